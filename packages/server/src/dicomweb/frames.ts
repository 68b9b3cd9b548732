import type { Readable } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import { readDataset } from '../dicom/dataset-reader.ts';
import { type DicomJsonDataset, firstNumber } from '../dicom/dicom-json.ts';
import { Tag } from '../dicom/tags.ts';
import { encodingOf, TransferSyntax } from '../dicom/transfer-syntax.ts';

/**
 * Frames of pixel data, read from the stored Part 10 file by byte range: native frames straight from their
 * offsets, encapsulated frames by walking the fragment items (PS3.5 A.4). Only the bytes of the frames
 * asked for are held in memory.
 */

/**
 * Reads bytes `start` to `end` inclusive (end omitted: to the end of the file), as the blob store does.
 * `readInto`, when the store offers it, reads an exact range with one positional read instead of a stream:
 * a frame header or a native frame is read that way (a viewer asks for hundreds of frames a second).
 */
export type RangeReader = ((range: { start: number; end?: number }) => Readable) & {
  readInto?: (position: number, target: Buffer, offset: number, length: number) => Promise<number>;
};

/** Why frames cannot be served; the route turns `kind` into 404, 406 or 500. */
export class FrameError extends Error {
  /** 'missing': no such frame or no pixel data (404); 'unsupported': Confer cannot cut these frames (406). */
  readonly kind: 'missing' | 'unsupported' | 'corrupt';
  constructor(kind: FrameError['kind'], message: string) {
    super(message);
    this.name = 'FrameError';
    this.kind = kind;
  }
}

/** What it takes to cut native pixel data into frames (PS3.3 C.7.6.3 Image Pixel module). */
export interface PixelGeometry {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  numberOfFrames: number;
  /** VR of Pixel Data as stored: OB, OW (native) or OB (encapsulated). */
  vr: string;
}

/** Rows, Columns, Samples per Pixel, Bits Allocated and Number of Frames, or undefined for non-images. */
export function pixelGeometry(ds: DicomJsonDataset): PixelGeometry | undefined {
  const rows = firstNumber(ds, Tag.Rows);
  const columns = firstNumber(ds, Tag.Columns);
  const bitsAllocated = firstNumber(ds, Tag.BitsAllocated);
  if (!rows || !columns || !bitsAllocated) return undefined;
  return {
    rows,
    columns,
    bitsAllocated,
    samplesPerPixel: firstNumber(ds, Tag.SamplesPerPixel) ?? 1,
    // PS3.3 C.7.6.6: absent Number of Frames means one frame.
    numberOfFrames: Math.max(1, firstNumber(ds, Tag.NumberOfFrames) ?? 1),
    vr: ds[Tag.PixelData]?.vr ?? 'OW',
  };
}

/** Transfer syntaxes whose pixel data is native (not encapsulated) once the data set is read. */
export function isNative(transferSyntaxUid: string): boolean {
  return (
    transferSyntaxUid === TransferSyntax.ImplicitVRLittleEndian ||
    transferSyntaxUid === TransferSyntax.ExplicitVRLittleEndian ||
    transferSyntaxUid === TransferSyntax.ExplicitVRBigEndian ||
    transferSyntaxUid === TransferSyntax.DeflatedExplicitVRLittleEndian
  );
}

/** Pulls exact byte counts from a stream of chunks; a read within one chunk is a view of it, not a copy. */
class ByteReader {
  private readonly it: AsyncIterator<Buffer>;
  private readonly release: () => void;
  private buf: Buffer = Buffer.alloc(0);
  /** Offset in the file of buf[0]. */
  position: number;

  constructor(source: Readable | AsyncGenerator<Buffer>, start: number) {
    this.it = source[Symbol.asyncIterator]();
    this.release =
      'destroy' in source
        ? () => source.destroy()
        : () => void (source as AsyncGenerator<Buffer>).return(undefined);
    this.position = start;
  }

  /** Exactly n bytes, or fewer at the end of the range. */
  async read(n: number): Promise<Buffer> {
    if (this.buf.length < n) {
      // Gather, then copy once: a frame of many chunks must not be re-copied per chunk.
      const chunks = this.buf.length > 0 ? [this.buf] : [];
      let have = this.buf.length;
      while (have < n) {
        const r = await this.it.next();
        if (r.done) break;
        chunks.push(r.value);
        have += r.value.length;
      }
      this.buf =
        chunks.length === 0 ? this.buf : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, have);
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    this.position += out.length;
    return out;
  }

  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0) {
        const r = await this.it.next();
        if (r.done) break;
        this.buf = r.value;
      }
      const take = Math.min(left, this.buf.length);
      this.buf = this.buf.subarray(take);
      left -= take;
    }
    this.position += n - left;
    return n - left;
  }

  close(): void {
    this.release();
  }
}

/** Largest chunk read at once when walking fragments by positional reads: a bound on memory per request. */
const WALK_CHUNK_BYTES = 1024 * 1024;

/** Room to keep free around each chunk read: for a response's framing, written around a frame in place. */
export interface ChunkRoom {
  before: number;
  after: number;
  /** Memory of its own (never a slice of shared memory) of `size` bytes; a fresh buffer when absent. */
  alloc?: (size: number) => Buffer;
}

/** The memory of chunks read with room around them: only these may be written around (see `enclose`). */
const roomyChunks = new WeakSet<ArrayBufferLike>();

/**
 * The file from `start` to `end` (exclusive) as chunks of positional reads. A single-frame file's fragments
 * usually fit one chunk, so the frame handed out is a view of it: one read, no copy. With `room`, each chunk
 * has its own memory with that many spare bytes around it.
 */
async function* positionalChunks(
  readInto: NonNullable<RangeReader['readInto']>,
  start: number,
  end: number,
  room?: ChunkRoom,
): AsyncGenerator<Buffer> {
  let at = start;
  while (at < end) {
    const length = Math.min(WALK_CHUNK_BYTES, end - at);
    let chunk: Buffer;
    if (room) {
      // Memory of its own, never a slice of Node's shared pool, so writing around the frame is safe.
      const size = room.before + length + room.after;
      const memory = room.alloc ? room.alloc(size) : Buffer.allocUnsafeSlow(size);
      roomyChunks.add(memory.buffer);
      chunk = memory.subarray(room.before, room.before + length);
    } else {
      chunk = Buffer.allocUnsafe(length);
    }
    const n = await readInto(at, chunk, 0, length);
    if (n === 0) return;
    yield n < length ? chunk.subarray(0, n) : chunk;
    at += n;
  }
}

/**
 * `head`, the frame and `tail` as one buffer, written in place around a frame that is a view of a chunk read
 * with room (the bytes around it, DICOM item headers and spare room, are no longer needed once the frame is
 * out); undefined when the frame is not such a view or the room is short, and the caller must copy.
 */
export function enclose(frame: Buffer, head: Buffer, tail: Buffer): Buffer | undefined {
  if (!roomyChunks.has(frame.buffer)) return undefined;
  const from = frame.byteOffset - head.length;
  const to = frame.byteOffset + frame.length + tail.length;
  if (from < 0 || to > frame.buffer.byteLength) return undefined;
  const out = Buffer.from(frame.buffer, from, to - from);
  head.copy(out, 0);
  tail.copy(out, head.length + frame.length);
  return out;
}

/** `length` bytes at `start`; with `into` (and a positional reader) read straight into that buffer. */
async function readExact(read: RangeReader, start: number, length: number, into?: Buffer): Promise<Buffer> {
  if (read.readInto) {
    const target = into ?? Buffer.allocUnsafe(length);
    const n = await read.readInto(start, target, 0, length);
    return n < length ? target.subarray(0, n) : target;
  }
  const r = new ByteReader(read({ start, end: start + length - 1 }), start);
  try {
    return await r.read(length);
  } finally {
    r.close();
  }
}

/** Bytes of the Pixel Data element's header: PS3.5 7.1.2, 12 for OB/OW in explicit VR, 8 in implicit VR. */
function pixelHeaderBytes(transferSyntaxUid: string): number {
  const enc = encodingOf(transferSyntaxUid);
  if (!enc) throw new FrameError('corrupt', `unknown transfer syntax ${transferSyntaxUid}`);
  return enc.explicitVr ? 12 : 8;
}

/** Where the value of the Pixel Data element whose header `h` holds starts, and its length (undefined: encapsulated). */
function parsePixelElement(
  h: Buffer,
  offset: number,
  transferSyntaxUid: string,
): { valueStart: number; length: number | undefined } {
  const headerBytes = pixelHeaderBytes(transferSyntaxUid);
  if (h.length < headerBytes)
    throw new FrameError('corrupt', 'the file ends inside the pixel data element header');
  const le = encodingOf(transferSyntaxUid)!.littleEndian;
  const group = le ? h.readUInt16LE(0) : h.readUInt16BE(0);
  const element = le ? h.readUInt16LE(2) : h.readUInt16BE(2);
  if (group !== 0x7fe0 || element !== 0x0010) {
    throw new FrameError('corrupt', `expected Pixel Data (7FE0,0010) at offset ${offset} of the stored file`);
  }
  const at = headerBytes - 4;
  const raw = le ? h.readUInt32LE(at) : h.readUInt32BE(at);
  return { valueStart: offset + headerBytes, length: raw === 0xffffffff ? undefined : raw };
}

/** The pixel data element's header at `offset`: where its value starts and its length (undefined: encapsulated). */
async function pixelElement(
  read: RangeReader,
  offset: number,
  transferSyntaxUid: string,
): Promise<{ valueStart: number; length: number | undefined }> {
  const h = await readExact(read, offset, pixelHeaderBytes(transferSyntaxUid));
  return parsePixelElement(h, offset, transferSyntaxUid);
}

/** Where the pixel data is in a stored file, as the ingest service recorded it. */
export interface FrameSource {
  /** Where the stored file's data set starts, and where Pixel Data starts (-1: not addressable). */
  datasetOffset: number;
  pixelDataOffset: number;
  transferSyntaxUid: string;
  sizeBytes: number;
}

/**
 * Where to read a native frame: a buffer of `lead + length` bytes, the frame going after the first `lead`
 * (scratch bytes for the element header when it is read along; 0 otherwise).
 */
export type FrameTarget = (index: number, length: number, lead: number) => Buffer;

/**
 * The native (uncompressed) bytes of the frames asked for, little endian as PS3.18 8.7.3.3.2 requires of
 * application/octet-stream: big endian OW data is byte-swapped. Frames are 1-based. `frameTarget`, when
 * given, supplies the buffer each frame is read into (a view into a response being assembled, so the
 * frame is not copied again); a frame that must be swapped or inflated comes back in a buffer of its own.
 */
export async function readNativeFrames(
  read: RangeReader,
  source: FrameSource,
  geometry: PixelGeometry,
  frames: readonly number[],
  frameTarget?: FrameTarget,
): Promise<Buffer[]> {
  const frameBits = geometry.rows * geometry.columns * geometry.samplesPerPixel * geometry.bitsAllocated;
  const frameBytes = Math.ceil(frameBits / 8);
  if (frameBits % 8 !== 0 && frames.some((f) => f > 1)) {
    throw new FrameError(
      'unsupported',
      'frames of single-bit pixel data that do not end on a byte boundary cannot be cut out yet',
    );
  }
  checkFrames(frames, geometry.numberOfFrames);
  if (source.transferSyntaxUid === TransferSyntax.DeflatedExplicitVRLittleEndian) {
    return deflatedFrames(read, source, frameBytes, frames);
  }
  if (source.pixelDataOffset < 0) throw new FrameError('missing', 'the instance has no pixel data');
  if (
    read.readInto &&
    frames.length === 1 &&
    frames[0] === 1 &&
    source.transferSyntaxUid !== TransferSyntax.ExplicitVRBigEndian
  ) {
    return [await firstNativeFrame(read.readInto, source, geometry, frameBytes, frameTarget)];
  }
  const el = await pixelElement(read, source.pixelDataOffset, source.transferSyntaxUid);
  if (el.length === undefined) {
    throw new FrameError('corrupt', 'the pixel data is encapsulated although the transfer syntax is native');
  }
  const needed = frameBytes * geometry.numberOfFrames;
  if (el.length < needed && geometry.numberOfFrames > 1) {
    throw new FrameError(
      'corrupt',
      `the pixel data holds ${el.length} bytes, fewer than ${geometry.numberOfFrames} frames of ${frameBytes}`,
    );
  }
  const out: Buffer[] = [];
  for (const [i, f] of frames.entries()) {
    const start = el.valueStart + (f - 1) * frameBytes;
    const length = Math.min(frameBytes, el.length - (f - 1) * frameBytes);
    const bytes = await readExact(read, start, length, frameTarget?.(i, length, 0));
    if (bytes.length < length) throw new FrameError('corrupt', `the stored file ends inside frame ${f}`);
    out.push(
      source.transferSyntaxUid === TransferSyntax.ExplicitVRBigEndian
        ? toLittleEndian(bytes, geometry.vr)
        : bytes,
    );
  }
  return out;
}

/**
 * Frame 1 of little endian native pixel data, the element's header and the frame in one positional read
 * (a single-frame image, as a viewer asks for it slice by slice): the header lands in the `lead` bytes
 * in front of the frame, which the caller may overwrite afterwards.
 */
async function firstNativeFrame(
  readInto: NonNullable<RangeReader['readInto']>,
  source: FrameSource,
  geometry: PixelGeometry,
  frameBytes: number,
  frameTarget: FrameTarget | undefined,
): Promise<Buffer> {
  const lead = pixelHeaderBytes(source.transferSyntaxUid);
  const target = frameTarget?.(0, frameBytes, lead) ?? Buffer.allocUnsafe(lead + frameBytes);
  const n = await readInto(source.pixelDataOffset, target, 0, lead + frameBytes);
  const el = parsePixelElement(
    target.subarray(0, Math.min(n, lead)),
    source.pixelDataOffset,
    source.transferSyntaxUid,
  );
  if (el.length === undefined) {
    throw new FrameError('corrupt', 'the pixel data is encapsulated although the transfer syntax is native');
  }
  if (el.length < frameBytes * geometry.numberOfFrames && geometry.numberOfFrames > 1) {
    throw new FrameError(
      'corrupt',
      `the pixel data holds ${el.length} bytes, fewer than ${geometry.numberOfFrames} frames of ${frameBytes}`,
    );
  }
  const length = Math.min(frameBytes, el.length);
  if (n < lead + length) throw new FrameError('corrupt', 'the stored file ends inside frame 1');
  return target.subarray(lead, lead + length);
}

/** PS3.5 A.2: big endian OW is a stream of 16-bit words (OF 32-bit, OD 64-bit) each byte-swapped. */
function toLittleEndian(bytes: Buffer, vr: string): Buffer {
  const copy = Buffer.from(bytes);
  if (vr === 'OW' && copy.length % 2 === 0) copy.swap16();
  else if ((vr === 'OF' || vr === 'OL') && copy.length % 4 === 0) copy.swap32();
  else if (vr === 'OD' && copy.length % 8 === 0) copy.swap64();
  return copy;
}

/** Largest file Confer inflates in memory to serve frames of a deflated data set. */
const MAX_DEFLATED_FILE_BYTES = 256 * 1024 * 1024;

async function deflatedFrames(
  read: RangeReader,
  source: FrameSource,
  frameBytes: number,
  frames: readonly number[],
): Promise<Buffer[]> {
  if (source.sizeBytes > MAX_DEFLATED_FILE_BYTES) {
    throw new FrameError('unsupported', 'frames of deflated data sets this large are not served yet');
  }
  // PS3.5 A.5: everything after the file meta is one raw deflate stream; inflate it to find pixel data.
  const file = await readExact(read, 0, source.sizeBytes);
  const inflated = inflateRawSync(file.subarray(source.datasetOffset), {
    maxOutputLength: 4 * MAX_DEFLATED_FILE_BYTES,
  });
  const r = readDataset(inflated, TransferSyntax.ExplicitVRLittleEndian, { stopAtPixelData: true });
  if (!r.stoppedAtPixelData) throw new FrameError('missing', 'the instance has no pixel data');
  const at = r.endOffset;
  if (inflated.readUInt16LE(at) !== 0x7fe0 || inflated.readUInt16LE(at + 2) !== 0x0010) {
    throw new FrameError('unsupported', 'only (7FE0,0010) Pixel Data frames are served');
  }
  const length = inflated.readUInt32LE(at + 8);
  const valueStart = at + 12;
  return frames.map((f) => {
    const start = valueStart + (f - 1) * frameBytes;
    if (start + frameBytes > valueStart + length)
      throw new FrameError('corrupt', `the pixel data ends before frame ${f}`);
    return Buffer.from(inflated.subarray(start, start + frameBytes));
  });
}

function checkFrames(frames: readonly number[], numberOfFrames: number): void {
  const bad = frames.find((f) => f > numberOfFrames);
  if (bad !== undefined) {
    throw new FrameError(
      'missing',
      `frame ${bad} does not exist: the instance has ${numberOfFrames} frame(s)`,
    );
  }
}

const ITEM = 0xe000;
const SEQUENCE_DELIMITER = 0xe0dd;

/** Transfer syntaxes whose frames can span fragments, and how a frame's first fragment starts. */
function startsFrame(transferSyntaxUid: string): ((head: Buffer) => boolean) | undefined {
  const uid = transferSyntaxUid;
  // JPEG (PS3.5 A.4.1) and JPEG-LS (A.4.3): a frame starts with SOI, FF D8.
  if (/^1\.2\.840\.10008\.1\.2\.4\.(50|51|57|70|80|81)$/.test(uid)) {
    return (h) => h[0] === 0xff && h[1] === 0xd8;
  }
  // JPEG 2000 and HTJ2K (A.4.4, A.4.8): a codestream starts with SOC, FF 4F.
  if (/^1\.2\.840\.10008\.1\.2\.4\.(90|91|92|93|201|202|203)$/.test(uid)) {
    return (h) => h[0] === 0xff && h[1] === 0x4f;
  }
  return undefined;
}

/**
 * The compressed bit streams of the frames asked for (1-based), each the concatenation of its fragments.
 * With a Basic Offset Table, frames start where it says (PS3.5 A.4 Table A.4-1) and only their bytes are
 * read. Without one: a single frame is all fragments; JPEG-family frames start at a fragment opening with a
 * start-of-image marker; otherwise each fragment is one frame (PS3.5 A.4.2 requires this of RLE).
 */
export async function readEncapsulatedFrames(
  read: RangeReader,
  source: FrameSource,
  geometry: PixelGeometry,
  frames: readonly number[],
  room?: ChunkRoom,
): Promise<Buffer[]> {
  checkFrames(frames, geometry.numberOfFrames);
  if (source.pixelDataOffset < 0) throw new FrameError('missing', 'the instance has no pixel data');
  // With positional reads, one reader from the element's header on: the header, the offset table and (in a
  // single-frame file, usually) every fragment come in one read.
  let reader: ByteReader | undefined = read.readInto
    ? new ByteReader(
        positionalChunks(read.readInto, source.pixelDataOffset, source.sizeBytes, room),
        source.pixelDataOffset,
      )
    : undefined;
  try {
    const el = reader
      ? parsePixelElement(
          await reader.read(pixelHeaderBytes(source.transferSyntaxUid)),
          source.pixelDataOffset,
          source.transferSyntaxUid,
        )
      : await pixelElement(read, source.pixelDataOffset, source.transferSyntaxUid);
    if (el.length !== undefined) {
      throw new FrameError(
        'corrupt',
        'the pixel data has a defined length although the transfer syntax is encapsulated',
      );
    }
    const botHeader = reader ? await reader.read(8) : await readExact(read, el.valueStart, 8);
    if (botHeader.length < 8 || botHeader.readUInt16LE(0) !== 0xfffe || botHeader.readUInt16LE(2) !== ITEM) {
      throw new FrameError(
        'corrupt',
        'encapsulated pixel data does not start with the Basic Offset Table item',
      );
    }
    const botLength = botHeader.readUInt32LE(4);
    const firstFragment = el.valueStart + 8 + botLength;

    let offsets: number[] | undefined;
    if (botLength > 0 && botLength / 4 === geometry.numberOfFrames) {
      const bot = reader ? await reader.read(botLength) : await readExact(read, el.valueStart + 8, botLength);
      if (bot.length < botLength)
        throw new FrameError('corrupt', 'the file ends inside the Basic Offset Table');
      offsets = [];
      for (let i = 0; i < botLength; i += 4) offsets.push(bot.readUInt32LE(i));
    } else if (reader && botLength > 0 && (await reader.skip(botLength)) < botLength) {
      throw new FrameError('corrupt', 'the file ends inside the Basic Offset Table');
    }

    // With offsets, start reading at the first frame asked for; otherwise walk from the first fragment.
    const startFrame = offsets ? Math.min(...frames) : 1;
    const start = offsets ? firstFragment + offsets[startFrame - 1]! : firstFragment;
    if (reader?.position !== start) {
      reader?.close();
      reader = new ByteReader(
        read.readInto ? positionalChunks(read.readInto, start, source.sizeBytes, room) : read({ start }),
        start,
      );
    }
    return await walkFragments(reader, source, geometry, frames, firstFragment, offsets, startFrame);
  } finally {
    reader?.close();
  }
}

/** Collects the fragments of the frames asked for, walking items from the reader's position. */
async function walkFragments(
  reader: ByteReader,
  source: FrameSource,
  geometry: PixelGeometry,
  frames: readonly number[],
  firstFragment: number,
  offsets: number[] | undefined,
  startFrame: number,
): Promise<Buffer[]> {
  const wanted = new Set(frames);
  const collected = new Map<number, Buffer[]>();
  const maxWanted = Math.max(...frames);
  const isStart = startsFrame(source.transferSyntaxUid);
  let frame = startFrame - 1;
  let fragmentIndex = 0;
  for (;;) {
    const at = reader.position;
    const header = await reader.read(8);
    if (header.length < 8)
      throw new FrameError('corrupt', 'encapsulated pixel data is not closed (PS3.5 A.4)');
    const element = header.readUInt16LE(2);
    if (header.readUInt16LE(0) !== 0xfffe)
      throw new FrameError('corrupt', `no fragment item at offset ${at}`);
    if (element === SEQUENCE_DELIMITER) break;
    if (element !== ITEM) throw new FrameError('corrupt', `no fragment item at offset ${at}`);
    const length = header.readUInt32LE(4);
    if (offsets) {
      // The frame whose offset is the last one at or before this fragment.
      const rel = at - firstFragment;
      while (frame < offsets.length && offsets[frame]! <= rel) frame++;
    } else if (geometry.numberOfFrames === 1) {
      frame = 1;
    } else if (!isStart) {
      frame = fragmentIndex + 1;
    }
    // Only a fragment's first bytes are needed to tell whether it opens a frame.
    let head: Buffer = Buffer.alloc(0);
    if (isStart && !offsets && geometry.numberOfFrames > 1) {
      head = await reader.read(Math.min(2, length));
      if (fragmentIndex === 0 || isStart(head)) frame++;
    }
    fragmentIndex++;
    if (frame > maxWanted) break;
    const rest = length - head.length;
    if (wanted.has(frame)) {
      const tail = await reader.read(rest);
      if (tail.length < rest) throw new FrameError('corrupt', `the stored file ends inside frame ${frame}`);
      const list = collected.get(frame) ?? [];
      list.push(head.length > 0 ? Buffer.concat([head, tail]) : tail);
      collected.set(frame, list);
    } else if ((await reader.skip(rest)) < rest) {
      throw new FrameError('corrupt', 'the stored file ends inside the pixel data');
    }
  }
  return frames.map((f) => {
    const parts = collected.get(f);
    if (!parts) throw new FrameError('missing', `the pixel data holds no fragment for frame ${f}`);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  });
}

/**
 * A frame list from the URL (PS3.18 10.4.1.1.1: comma-separated, 1-based); undefined when malformed.
 * Duplicates are kept: the answer has one part per number asked for.
 */
export function parseFrameList(value: string): number[] | undefined {
  const frames = value.split(',').map((s) => s.trim());
  if (frames.length === 0 || frames.length > 10_000 || frames.some((f) => !/^[1-9]\d{0,8}$/.test(f)))
    return undefined;
  return frames.map(Number);
}
