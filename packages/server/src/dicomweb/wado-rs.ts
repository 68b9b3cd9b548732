import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RetrieveAction, type StoredInstance } from '../archive/retrieve-service.ts';
import type { DicomJsonDataset } from '../dicom/dicom-json.ts';
import { TransferSyntax } from '../dicom/transfer-syntax.ts';
import type { AppDeps } from '../http/app.ts';
import { originOf, requireActor } from '../http/authenticate.ts';
import { ErrorCode, ProblemError } from '../http/errors.ts';
import { FrameBufferPool } from './frame-buffers.ts';
import {
  type ChunkRoom,
  enclose,
  FrameError,
  type FrameTarget,
  isNative,
  type PixelGeometry,
  parseFrameList,
  pixelGeometry,
  type RangeReader,
  readEncapsulatedFrames,
  readNativeFrames,
} from './frames.ts';
import {
  formatMediaType,
  type MediaType,
  MediaTypes,
  parseAccept,
  partTypeOf,
  rangeCovers,
} from './media-type.ts';
import { closeDelimiter, newBoundary, partHeader } from './multipart-related.ts';
import { instanceUrl, pathUid, serviceBase } from './service-url.ts';

type Params = { study: string; series?: string; instance?: string; frames?: string; tag?: string };

/**
 * Media types of compressed frames by transfer syntax (PS3.18 Table 8.7.3-5 / 8.7.4), the standard's name
 * first; the others are spellings clients still send (dicomweb-client uses image/x-jls, image/jhc...).
 */
const FRAME_MEDIA_TYPES: Record<string, readonly string[]> = {
  [TransferSyntax.JPEGBaseline8Bit]: ['image/jpeg'],
  [TransferSyntax.JPEGExtended12Bit]: ['image/jpeg'],
  [TransferSyntax.JPEGLossless]: ['image/jpeg'],
  [TransferSyntax.JPEGLosslessSV1]: ['image/jpeg'],
  [TransferSyntax.JPEGLSLossless]: ['image/jls', 'image/x-jls'],
  [TransferSyntax.JPEGLSNearLossless]: ['image/jls', 'image/x-jls'],
  [TransferSyntax.JPEG2000Lossless]: ['image/jp2'],
  [TransferSyntax.JPEG2000]: ['image/jp2'],
  '1.2.840.10008.1.2.4.92': ['image/jpx'],
  '1.2.840.10008.1.2.4.93': ['image/jpx'],
  [TransferSyntax.HTJ2KLossless]: ['image/jphc', 'image/jhc'],
  [TransferSyntax.HTJ2KLosslessRPCL]: ['image/jphc', 'image/jhc'],
  [TransferSyntax.HTJ2K]: ['image/jphc', 'image/jhc'],
  [TransferSyntax.RLELossless]: ['image/dicom-rle', 'image/x-dicom-rle'],
  [TransferSyntax.EncapsulatedUncompressedExplicitVRLittleEndian]: [MediaTypes.OctetStream],
};

const PIXEL_DATA = '7FE00010';

function notFound(what: string): ProblemError {
  return new ProblemError(404, ErrorCode.NotFound, `${what} is not in this archive, or you may not see it`);
}

function notAcceptable(detail: string): ProblemError {
  return new ProblemError(406, ErrorCode.NotAcceptable, detail);
}

function describe(p: { study: string; series?: string | undefined; instance?: string | undefined }): string {
  if (p.instance) return `instance ${p.instance}`;
  if (p.series) return `series ${p.series}`;
  return `study ${p.study}`;
}

async function find(
  request: FastifyRequest<{ Params: Params }>,
  deps: AppDeps,
  action: string,
): Promise<StoredInstance[]> {
  const actor = requireActor(request);
  const study = pathUid(request.params.study, 'Study Instance UID');
  const series =
    request.params.series === undefined ? undefined : pathUid(request.params.series, 'Series Instance UID');
  const instance =
    request.params.instance === undefined ? undefined : pathUid(request.params.instance, 'SOP Instance UID');
  const found = await deps.retrieve.find({
    studyUid: study,
    ...(series ? { seriesUid: series } : {}),
    ...(instance ? { sopInstanceUid: instance } : {}),
    actor,
    origin: originOf(request, 'dicomweb'),
    action,
  });
  if (found.length === 0) throw notFound(describe({ study, series, instance }));
  return found;
}

/**
 * Which Accept ranges let Confer send the instances as stored. PS3.18 8.7.3.5.2: with no transfer-syntax
 * parameter the default would be Explicit VR Little Endian, which for other stored syntaxes means
 * transcoding; Confer does not transcode yet and sends the stored syntax, named in each part's
 * Content-Type, as Orthanc does without transcoding. A client that names another syntax gets 406.
 */
function negotiateInstances(
  accept: string | undefined,
  instances: StoredInstance[],
  single: boolean,
): boolean {
  const ranges = parseAccept(accept);
  const covers = (range: MediaType, ts: string) => {
    const asked = range.params.get('transfer-syntax');
    return asked === undefined || asked === '*' || asked === ts;
  };
  const dicomRanges = ranges.filter((r) => {
    const { multipart, partType } = partTypeOf(r);
    return multipart && rangeCovers(partType, MediaTypes.Dicom);
  });
  const uncovered = instances.find((i) => !dicomRanges.some((r) => covers(r, i.transferSyntaxUid)));
  if (dicomRanges.length > 0 && !uncovered) return true;
  // Single part application/dicom: only one instance fits in it.
  if (
    single &&
    ranges.some((r) => r.type === MediaTypes.Dicom && covers(r, instances[0]!.transferSyntaxUid))
  ) {
    return false;
  }
  if (uncovered && dicomRanges.length > 0) {
    const asked = dicomRanges.map((r) => r.params.get('transfer-syntax')).join(', ');
    throw notAcceptable(
      `instance ${uncovered.sopInstanceUid} is stored in transfer syntax ${uncovered.transferSyntaxUid} and Confer ` +
        `does not transcode yet; the request accepts only ${asked}. Ask with transfer-syntax=* (or leave it out) ` +
        'to receive each instance as stored.',
    );
  }
  throw notAcceptable(
    `DICOM instances are sent as multipart/related; type="application/dicom"${single ? ' (or single-part application/dicom)' : ''}; ` +
      `the request accepts "${accept}". Metadata is at .../metadata.`,
  );
}

/** Streams the stored files, as they are, in one multipart/related body (PS3.18 10.4.3.3). */
function instancesBody(
  deps: AppDeps,
  instances: StoredInstance[],
  boundary: string,
): { body: Readable; length: number } {
  const headers = instances.map((inst, i) =>
    partHeader(
      boundary,
      { 'Content-Type': formatMediaType(MediaTypes.Dicom, { 'transfer-syntax': inst.transferSyntaxUid }) },
      i === 0,
    ),
  );
  const close = closeDelimiter(boundary, true);
  const length = headers.reduce((n, h, i) => n + h.length + instances[i]!.sizeBytes, close.length);
  async function* parts(): AsyncGenerator<Buffer> {
    for (const [i, inst] of instances.entries()) {
      yield headers[i]!;
      for await (const chunk of deps.retrieve.open(inst)) yield chunk as Buffer;
    }
    yield close;
  }
  return { body: Readable.from(parts(), { objectMode: false }), length };
}

async function retrieveInstances(
  request: FastifyRequest<{ Params: Params }>,
  reply: FastifyReply,
  deps: AppDeps,
): Promise<FastifyReply> {
  const instances = await find(request, deps, RetrieveAction.Instances);
  const single = request.params.instance !== undefined;
  const multipart = negotiateInstances(request.headers.accept, instances, single);
  if (!multipart) {
    const inst = instances[0]!;
    return reply
      .type(formatMediaType(MediaTypes.Dicom, { 'transfer-syntax': inst.transferSyntaxUid }))
      .header('content-length', inst.sizeBytes)
      .send(deps.retrieve.open(inst));
  }
  const boundary = newBoundary();
  const { body, length } = instancesBody(deps, instances, boundary);
  return reply
    .type(formatMediaType(MediaTypes.MultipartRelated, { type: MediaTypes.Dicom, boundary }))
    .header('content-length', length)
    .send(body);
}

/** PS3.18 10.4.4: metadata is application/dicom+json (XML is not offered). */
function negotiateJson(accept: string | undefined): string {
  for (const range of parseAccept(accept)) {
    const { multipart, partType } = partTypeOf(range);
    if (!multipart && rangeCovers(range.type, MediaTypes.DicomJson)) return MediaTypes.DicomJson;
    if (range.type === MediaTypes.Json) return MediaTypes.Json;
    if (multipart && partType === MediaTypes.Any) return MediaTypes.DicomJson;
  }
  throw notAcceptable(
    `metadata is served as application/dicom+json only (multipart/related application/dicom+xml is not supported); the request accepts "${accept}"`,
  );
}

const PIXEL_TAIL = /"7FE00010":\{"vr":"(O[BWFDL]|UN)"\}\}$/;

/**
 * One instance's stored metadata with a BulkDataURI on Pixel Data, by string surgery: the ingest stops
 * reading at pixel data and appends it last, so it closes the stored JSON and no parse is needed.
 */
function withBulkDataUri(json: string, bulkDataUri: string): string {
  const m = PIXEL_TAIL.exec(json);
  if (!m) return json;
  return `${json.slice(0, m.index)}"7FE00010":{"vr":"${m[1]}","BulkDataURI":${JSON.stringify(bulkDataUri)}}}`;
}

async function retrieveMetadata(
  request: FastifyRequest<{ Params: Params }>,
  reply: FastifyReply,
  deps: AppDeps,
): Promise<FastifyReply> {
  const type = negotiateJson(request.headers.accept);
  const instances = await find(request, deps, RetrieveAction.Metadata);
  const base = serviceBase(request);
  const parts = new Array<string>(instances.length);
  for (const [i, inst] of instances.entries()) {
    const uri = `${instanceUrl(base, inst.studyUid, inst.seriesUid, inst.sopInstanceUid)}/bulkdata/${PIXEL_DATA}`;
    parts[i] = withBulkDataUri(inst.metadataJson, uri);
  }
  return reply.type(type).send(Buffer.from(`[${parts.join(',')}]`));
}

interface FrameChoice {
  /** The `type` of the multipart response and Content-Type of each part (with transfer-syntax). */
  partType: string;
  partContentType: string;
}

/**
 * Frames go out as stored: native pixel data as application/octet-stream (Explicit VR Little Endian bytes,
 * PS3.18 8.7.3.3.2), compressed frames as their image/* type or, for `transfer-syntax=*`, as
 * application/octet-stream naming the stored syntax. Anything needing a decoder is 406 until Confer transcodes.
 */
function negotiateFrames(accept: string | undefined, transferSyntaxUid: string): FrameChoice {
  const ranges = parseAccept(accept);
  const native = isNative(transferSyntaxUid);
  const names = FRAME_MEDIA_TYPES[transferSyntaxUid];
  for (const range of ranges) {
    const { multipart, partType } = partTypeOf(range);
    if (!multipart) continue;
    const asked = range.params.get('transfer-syntax');
    if (native) {
      const plain =
        asked === undefined ||
        asked === '*' ||
        asked === TransferSyntax.ExplicitVRLittleEndian ||
        asked === TransferSyntax.ImplicitVRLittleEndian;
      if (plain && rangeCovers(partType, MediaTypes.OctetStream)) {
        return {
          partType: MediaTypes.OctetStream,
          partContentType: formatMediaType(MediaTypes.OctetStream, {
            'transfer-syntax': TransferSyntax.ExplicitVRLittleEndian,
          }),
        };
      }
      continue;
    }
    const sameSyntax = asked === undefined || asked === '*' || asked === transferSyntaxUid;
    if (!sameSyntax) continue;
    if (names) {
      const named =
        names.find((n) => n === partType) ??
        (partType.endsWith('*') ? names.find((n) => rangeCovers(partType, n)) : undefined);
      if (named) {
        return {
          partType: named,
          partContentType: formatMediaType(named, { 'transfer-syntax': transferSyntaxUid }),
        };
      }
    }
    if (partType === MediaTypes.OctetStream && asked !== undefined) {
      return {
        partType: MediaTypes.OctetStream,
        partContentType: formatMediaType(MediaTypes.OctetStream, { 'transfer-syntax': transferSyntaxUid }),
      };
    }
  }
  const offer = native
    ? 'multipart/related; type="application/octet-stream"'
    : names
      ? `multipart/related; type="${names[0]}" or multipart/related; type="application/octet-stream"; transfer-syntax=*`
      : 'nothing: frames of this transfer syntax (video) are not served yet; retrieve the instance instead';
  throw notAcceptable(
    `the frames are stored in transfer syntax ${transferSyntaxUid} and Confer does not transcode yet; ` +
      `it can send ${offer}. The request accepts "${accept}".`,
  );
}

/** Memory for single-frame responses, reused once each response is sent (see FrameBufferPool). */
const framePool = new FrameBufferPool();

/** Sends `body`, a view into pooled memory, and gives the memory back once every byte is on the socket. */
function sendPooled(reply: FastifyReply, body: Buffer): FastifyReply {
  // 'finish' only: after an aborted response the memory may still be queued for writing; GC takes it.
  reply.raw.once('finish', () => framePool.give(body));
  return reply.send(body);
}

/** Frames, or (frames undefined) the whole Pixel Data value as bulk data. */
async function retrievePixels(
  request: FastifyRequest<{ Params: Params }>,
  reply: FastifyReply,
  deps: AppDeps,
  which: 'frames' | 'bulkdata',
): Promise<FastifyReply> {
  let frames: number[] | undefined;
  if (which === 'frames') {
    frames = parseFrameList(request.params.frames ?? '');
    if (!frames) {
      throw new ProblemError(
        400,
        ErrorCode.BadRequest,
        `"${request.params.frames}" is not a frame list: give 1-based frame numbers separated by commas`,
      );
    }
  } else if (request.params.tag?.toUpperCase() !== PIXEL_DATA) {
    throw notFound(`bulk data ${request.params.tag} (only Pixel Data, ${PIXEL_DATA}, is served)`);
  }
  const [inst] = await find(
    request,
    deps,
    which === 'frames' ? RetrieveAction.Frames : RetrieveAction.Bulkdata,
  );
  const instance = inst!;
  const dataset = JSON.parse(instance.metadataJson) as DicomJsonDataset;
  const geometry = pixelGeometry(dataset);
  if (!geometry || (instance.pixelDataOffset < 0 && !isNative(instance.transferSyntaxUid))) {
    throw notFound(`pixel data of instance ${instance.sopInstanceUid}`);
  }
  const choice = negotiateFrames(request.headers.accept, instance.transferSyntaxUid);
  const native = isNative(instance.transferSyntaxUid);
  // Bulk data of native pixels is one part holding every frame; of compressed pixels, one part per frame.
  const wanted = frames ?? Array.from({ length: geometry.numberOfFrames }, (_, i) => i + 1);
  const boundary = newBoundary();
  const head = (first: boolean) => partHeader(boundary, { 'Content-Type': choice.partContentType }, first);
  // One native frame (what a viewer asks for, hundreds a second): read it straight into the response body,
  // between its part header and the close delimiter, so its bytes are neither streamed nor copied.
  let single: { body: Buffer; head: Buffer; length: number } | undefined;
  const frameTarget: FrameTarget | undefined =
    native && which === 'frames' && wanted.length === 1
      ? (_index, length, lead) => {
          const h = head(true);
          if (lead > h.length) return Buffer.allocUnsafe(lead + length);
          const close = closeDelimiter(boundary, true);
          const body = framePool.take(h.length + length + close.length);
          close.copy(body, h.length + length);
          single = { body, head: h, length };
          // The element header, when read along, lands in the part header's place, written over it below.
          return body.subarray(h.length - lead, h.length + length);
        }
      : undefined;
  let buffers: Buffer[];
  try {
    // One compressed frame: read with room around it for the multipart framing, written in place below.
    const room: ChunkRoom | undefined =
      !native && which === 'frames' && wanted.length === 1
        ? {
            before: head(true).length,
            after: closeDelimiter(boundary, true).length,
            alloc: (size) => framePool.take(size),
          }
        : undefined;
    buffers = await readFrames(deps, instance, geometry, wanted, native, frameTarget, room);
  } catch (err) {
    if (!(err instanceof FrameError)) throw err;
    if (err.kind === 'missing') throw notFound(`${err.message}; instance ${instance.sopInstanceUid}`);
    if (err.kind === 'unsupported') throw notAcceptable(err.message);
    throw new ProblemError(
      500,
      ErrorCode.Internal,
      `the stored file of ${instance.sopInstanceUid} is damaged: ${err.message}`,
    );
  }
  const type = formatMediaType(MediaTypes.MultipartRelated, { type: choice.partType, boundary });
  const frame = buffers[0]!;
  if (
    single &&
    buffers.length === 1 &&
    frame.buffer === single.body.buffer &&
    frame.byteOffset === single.body.byteOffset + single.head.length &&
    frame.length === single.length
  ) {
    single.head.copy(single.body, 0);
    return sendPooled(reply.type(type), single.body);
  }
  if (!native && which === 'frames' && buffers.length === 1) {
    const body = enclose(frame, head(true), closeDelimiter(boundary, true));
    if (body) return sendPooled(reply.type(type), body);
  }
  if (which === 'bulkdata' && native) buffers = [Buffer.concat(buffers)];
  const chunks: Buffer[] = [];
  for (const [i, b] of buffers.entries()) chunks.push(head(i === 0), b);
  chunks.push(closeDelimiter(boundary, true));
  return reply.type(type).send(Buffer.concat(chunks));
}

async function readFrames(
  deps: AppDeps,
  instance: StoredInstance,
  geometry: PixelGeometry,
  frames: number[],
  native: boolean,
  frameTarget: FrameTarget | undefined,
  room: ChunkRoom | undefined,
): Promise<Buffer[]> {
  // One open file for every read of the request: headers, native frames and fragments by positional reads.
  const file = await deps.retrieve.openRandomAccess(instance);
  const read: RangeReader = Object.assign(
    (range: { start: number; end?: number }) => deps.retrieve.open(instance, range),
    { readInto: file.readInto },
  );
  try {
    return native
      ? await readNativeFrames(read, instance, geometry, frames, frameTarget)
      : await readEncapsulatedFrames(read, instance, geometry, frames, room);
  } finally {
    // Not awaited: the answer need not wait for the descriptor to be released.
    file.close().catch(() => {});
  }
}

/** Registers the WADO-RS retrieve resources (PS3.18 10.4) on a scope mounted at /dicomweb. */
export function registerWado(scope: FastifyInstance, deps: AppDeps): void {
  type R = FastifyRequest<{ Params: Params }>;
  const instancePath = '/studies/:study/series/:series/instances/:instance';
  for (const path of ['/studies/:study', '/studies/:study/series/:series', instancePath]) {
    scope.get(path, (request: R, reply) => retrieveInstances(request, reply, deps));
    scope.get(`${path}/metadata`, (request: R, reply) => retrieveMetadata(request, reply, deps));
  }
  scope.get(`${instancePath}/frames/:frames`, (request: R, reply) =>
    retrievePixels(request, reply, deps, 'frames'),
  );
  scope.get(`${instancePath}/bulkdata/:tag`, (request: R, reply) =>
    retrievePixels(request, reply, deps, 'bulkdata'),
  );
}
