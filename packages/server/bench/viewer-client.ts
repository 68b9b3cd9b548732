// What a web viewer's WADO-RS image loader asks of an archive to show a series, timed: the series metadata,
// then the first slice's frame, then every other frame over a browser's six HTTP/1.1 connections. The same
// code loads from Confer and from Orthanc in bench/viewer.ts, and from an in-process Confer in the smoke test.
import { Agent, request } from 'node:http';
import { crc32 } from 'node:zlib';

/** An archive's DICOMweb root and the headers that authenticate to it. */
export interface ViewerTarget {
  /** e.g. http://127.0.0.1:41234/dicomweb, no trailing slash. */
  dicomwebUrl: string;
  headers: Record<string, string>;
}

export interface LoadOptions {
  studyUid: string;
  seriesUid: string;
  /** Concurrent connections for the frames: 6, as a browser opens per origin on HTTP/1.1. */
  connections?: number;
  /** Also checksum every frame's bytes (outside the timed path's hot loop: only for checking runs). */
  checksum?: boolean;
}

/** One load of a series, in milliseconds from the first request. */
export interface SeriesLoad {
  /** The series metadata received and parsed. */
  metadataMs: number;
  /** The first slice's pixel data in hand: metadata, then frame 1 of the lowest Instance Number. */
  firstImageMs: number;
  /** Every frame of every instance in hand. */
  fullyLoadedMs: number;
  instances: number;
  frames: number;
  /** Pixel bytes received (frame payloads only, no multipart framing). */
  pixelBytes: number;
  /** The transfer syntaxes the frames were sent in (from each part's Content-Type). */
  transferSyntaxes: string[];
  /** CRC-32 of every frame in order, when asked for: equal loads from two archives sent the same pixels. */
  checksum: string | undefined;
}

/** What Cornerstone3D's WADO-RS loader sends for every frame: whatever the archive stores, as is. */
export const FRAME_ACCEPT = 'multipart/related; type=application/octet-stream; transfer-syntax=*';
export const METADATA_ACCEPT = 'application/dicom+json';

const SOP_INSTANCE_UID = '00080018';
const INSTANCE_NUMBER = '00200013';
const ROWS = '00280010';
const COLUMNS = '00280011';
const BITS_ALLOCATED = '00280100';
const SAMPLES_PER_PIXEL = '00280002';
const NUMBER_OF_FRAMES = '00280008';

type JsonDataset = Record<string, { vr: string; Value?: unknown[] } | undefined>;

const first = (ds: JsonDataset, tag: string): unknown => ds[tag]?.Value?.[0];
const num = (ds: JsonDataset, tag: string): number | undefined => {
  const v = first(ds, tag);
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};

interface Response {
  status: number;
  contentType: string;
  body: Buffer;
}

function get(agent: Agent, url: string, headers: Record<string, string>): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function failed(url: string, r: Response): Error {
  return new Error(`GET ${url}: HTTP ${r.status} ${r.body.subarray(0, 400).toString('utf8')}`);
}

/** A parameter of a media type, unquoted; undefined when absent. */
export function mediaParam(contentType: string, name: string): string | undefined {
  const re = new RegExp(`;\\s*${name}\\s*=\\s*("((?:[^"\\\\]|\\\\.)*)"|[^;\\s]+)`, 'i');
  const m = re.exec(contentType);
  if (!m) return undefined;
  return m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[1];
}

/**
 * The parts of a multipart/related body, as a viewer's loader cuts them: after each delimiter line, the
 * headers up to the blank line, then the bytes up to the next CRLF-delimiter.
 */
export function multipartParts(body: Buffer, contentType: string): { contentType: string; bytes: Buffer }[] {
  const boundary = mediaParam(contentType, 'boundary');
  if (!boundary) throw new Error(`no boundary in "${contentType}"`);
  const delimiter = Buffer.from(`--${boundary}`);
  const out: { contentType: string; bytes: Buffer }[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const afterDelimiter = at + delimiter.length;
    // The close delimiter ends the body.
    if (body[afterDelimiter] === 0x2d && body[afterDelimiter + 1] === 0x2d) break;
    const headersEnd = body.indexOf('\r\n\r\n', afterDelimiter);
    if (headersEnd < 0) throw new Error('a multipart part has no end of headers');
    const headers = body.subarray(afterDelimiter, headersEnd).toString('latin1');
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headersEnd + 4);
    if (next < 0) throw new Error('a multipart part is not closed');
    out.push({
      contentType: /^content-type:\s*(.*)$/im.exec(headers)?.[1]?.trim() ?? '',
      bytes: body.subarray(headersEnd + 4, next),
    });
    at = next + 2;
  }
  return out;
}

interface FrameRef {
  url: string;
  /** Bytes of one native frame, to check what arrives; undefined when unknown. */
  nativeBytes: number | undefined;
}

/**
 * Loads a series the way a Cornerstone3D viewer does and times it. A new connection pool per call (cold
 * connections, kept alive within the load); the first frame is fetched alone, as a viewer shows the first
 * image before it prefetches the rest; then the remaining frames are fetched `connections` at a time, in
 * slice order. Throws on any non-200 answer or a frame that is not what the metadata promised.
 */
export async function loadSeries(target: ViewerTarget, options: LoadOptions): Promise<SeriesLoad> {
  const connections = options.connections ?? 6;
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const seriesUrl = `${target.dicomwebUrl}/studies/${options.studyUid}/series/${options.seriesUid}`;
  const syntaxes = new Set<string>();
  try {
    const t0 = performance.now();
    const meta = await get(agent, `${seriesUrl}/metadata`, { ...target.headers, accept: METADATA_ACCEPT });
    if (meta.status !== 200) throw failed(`${seriesUrl}/metadata`, meta);
    const datasets = JSON.parse(meta.body.toString('utf8')) as JsonDataset[];
    const metadataMs = performance.now() - t0;

    // Slice order: a viewer stacks by position; the synthetic series numbers instances along the table.
    const sorted = datasets
      .map((ds) => ({ ds, n: num(ds, INSTANCE_NUMBER) ?? Number.MAX_SAFE_INTEGER }))
      .sort((a, b) => a.n - b.n)
      .map((x) => x.ds);
    const frames: FrameRef[] = [];
    for (const ds of sorted) {
      const sop = first(ds, SOP_INSTANCE_UID);
      if (typeof sop !== 'string') throw new Error('an instance in the metadata has no SOP Instance UID');
      const rows = num(ds, ROWS);
      const columns = num(ds, COLUMNS);
      const bits = num(ds, BITS_ALLOCATED);
      const samples = num(ds, SAMPLES_PER_PIXEL) ?? 1;
      const nativeBytes = rows && columns && bits ? (rows * columns * samples * bits) / 8 : undefined;
      const count = Math.max(1, num(ds, NUMBER_OF_FRAMES) ?? 1);
      for (let f = 1; f <= count; f++) {
        frames.push({ url: `${seriesUrl}/instances/${sop}/frames/${f}`, nativeBytes });
      }
    }
    if (frames.length === 0) throw new Error(`series ${options.seriesUid} has no instances`);

    const received = new Array<Buffer>(frames.length);
    let pixelBytes = 0;
    const frameHeaders = { ...target.headers, accept: FRAME_ACCEPT };
    const fetchFrame = async (i: number) => {
      const ref = frames[i]!;
      const r = await get(agent, ref.url, frameHeaders);
      if (r.status !== 200) throw failed(ref.url, r);
      const parts = multipartParts(r.body, r.contentType);
      if (parts.length !== 1) throw new Error(`${ref.url}: ${parts.length} parts, not 1`);
      const part = parts[0]!;
      const syntax =
        mediaParam(part.contentType, 'transfer-syntax') ?? mediaParam(r.contentType, 'transfer-syntax');
      syntaxes.add(syntax ?? '(none)');
      const compressed = syntax !== undefined && !/^1\.2\.840\.10008\.1\.2(\.1|\.2)?$/.test(syntax);
      if (!compressed && ref.nativeBytes !== undefined && part.bytes.length !== ref.nativeBytes) {
        throw new Error(`${ref.url}: ${part.bytes.length} bytes, a native frame has ${ref.nativeBytes}`);
      }
      if (part.bytes.length === 0) throw new Error(`${ref.url}: an empty frame`);
      received[i] = part.bytes;
      pixelBytes += part.bytes.length;
    };

    await fetchFrame(0);
    const firstImageMs = performance.now() - t0;
    let next = 1;
    const worker = async () => {
      while (next < frames.length) await fetchFrame(next++);
    };
    await Promise.all(Array.from({ length: Math.min(connections, frames.length - 1) }, worker));
    const fullyLoadedMs = performance.now() - t0;

    let checksum: string | undefined;
    if (options.checksum) {
      let crc = 0;
      for (const b of received) crc = crc32(b, crc);
      checksum = crc.toString(16).padStart(8, '0');
    }
    return {
      metadataMs,
      firstImageMs,
      fullyLoadedMs,
      instances: sorted.length,
      frames: frames.length,
      pixelBytes,
      transferSyntaxes: [...syntaxes].sort(),
      checksum,
    };
  } finally {
    agent.destroy();
  }
}
