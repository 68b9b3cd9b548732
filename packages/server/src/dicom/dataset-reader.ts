import { TextDecoder } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import type { DicomJsonDataset, DicomJsonElement, DicomJsonValue, PersonName } from './dicom-json.ts';
import { vrOf } from './dictionary.ts';
import { formatTag, Tag } from './tags.ts';
import { encodingOf } from './transfer-syntax.ts';
import { BINARY_VRS, LONG_HEADER_VRS } from './vr.ts';

/** A data set could not be read. `truncated` means more bytes would have helped. */
export class DicomParseError extends Error {
  readonly truncated: boolean;
  readonly offset: number;
  constructor(message: string, offset: number, truncated = false) {
    super(message);
    this.name = 'DicomParseError';
    this.offset = offset;
    this.truncated = truncated;
  }
}

export interface ReadOptions {
  /** Stop before (7FE0,0010) and its float variants; the result then holds only the header. */
  stopAtPixelData?: boolean;
  /** Binary values longer than this become a BulkDataURI (or are dropped); shorter ones are InlineBinary. */
  inlineBinaryMaxBytes?: number;
  /** Names the bulk data URI of a top-level binary element; without it, large binary values carry no value. */
  bulkDataUri?: (tag: string) => string | undefined;
  /** Upper bound on the inflated size of a deflated data set. */
  maxInflatedBytes?: number;
}

export interface ReadResult {
  dataset: DicomJsonDataset;
  /** Offset (in the bytes given) where reading stopped: the pixel data element's start, or the end. */
  endOffset: number;
  /** True when reading stopped at pixel data. */
  stoppedAtPixelData: boolean;
}

const UNSPLIT_STRING_VRS = new Set(['LT', 'ST', 'UT', 'UR']);
const UNDEFINED_LENGTH = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const PIXEL_TAGS = new Set([0x7fe00010, 0x7fe00008, 0x7fe00009]);

function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}

/** Maps (0008,0005) Specific Character Set terms to WHATWG encoding labels. */
function decoderFor(charset: string | undefined): TextDecoder {
  const term = (charset ?? '').split('\\').find((t) => t.trim() !== '') ?? '';
  const label: Record<string, string> = {
    ISO_IR_100: 'latin1',
    'ISO 2022 IR 100': 'latin1',
    ISO_IR_101: 'iso-8859-2',
    ISO_IR_109: 'iso-8859-3',
    ISO_IR_110: 'iso-8859-4',
    ISO_IR_144: 'iso-8859-5',
    ISO_IR_127: 'iso-8859-6',
    ISO_IR_126: 'iso-8859-7',
    ISO_IR_138: 'iso-8859-8',
    ISO_IR_148: 'iso-8859-9',
    ISO_IR_192: 'utf-8',
    GB18030: 'gb18030',
    GBK: 'gbk',
    ISO_IR_13: 'shift_jis',
    'ISO 2022 IR 13': 'shift_jis',
    ISO_IR_166: 'windows-874',
    'ISO 2022 IR 149': 'euc-kr',
  };
  const key = term.trim().replace(/ /g, term.startsWith('ISO 2022') ? ' ' : '_');
  return new TextDecoder(label[key] ?? 'latin1');
}

class Reader {
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  private readonly explicitVr: boolean;
  private readonly le: boolean;
  private readonly options: ReadOptions;
  private decoder = decoderFor(undefined);

  constructor(bytes: Uint8Array, explicitVr: boolean, littleEndian: boolean, options: ReadOptions) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.explicitVr = explicitVr;
    this.le = littleEndian;
    this.options = options;
  }

  private need(offset: number, count: number, what: string): void {
    if (offset + count > this.bytes.byteLength) {
      throw new DicomParseError(
        `data set is truncated: ${what} needs ${count} bytes at offset ${offset}, ${Math.max(0, this.bytes.byteLength - offset)} left`,
        offset,
        true,
      );
    }
  }

  private u16(o: number): number {
    return this.view.getUint16(o, this.le);
  }
  private u32(o: number): number {
    return this.view.getUint32(o, this.le);
  }
  private tagAt(o: number): number {
    return ((this.u16(o) << 16) | this.u16(o + 2)) >>> 0;
  }

  /** Reads elements from `start` until `end`, or until a delimiter when `end` is undefined. */
  readDataset(
    start: number,
    end: number | undefined,
    depth: number,
    explicitVr = this.explicitVr,
  ): { dataset: DicomJsonDataset; offset: number; stoppedAtPixelData: boolean } {
    const dataset: DicomJsonDataset = {};
    let offset = start;
    const limit = end ?? this.bytes.byteLength;
    while (offset < limit) {
      if (end === undefined && offset + 8 > this.bytes.byteLength) this.need(offset, 8, 'an item delimiter');
      if (offset + 4 > limit)
        throw new DicomParseError(`stray ${limit - offset} bytes at offset ${offset}`, offset);
      this.need(offset, 8, 'an element header');
      const tag = this.tagAt(offset);
      if (tag === ITEM_DELIMITATION) {
        if (end !== undefined)
          throw new DicomParseError(`unexpected item delimiter at offset ${offset}`, offset);
        return { dataset, offset: offset + 8, stoppedAtPixelData: false };
      }
      if (depth === 0 && this.options.stopAtPixelData && PIXEL_TAGS.has(tag)) {
        return { dataset, offset, stoppedAtPixelData: true };
      }
      const tagHex = hex8(tag);
      let vr: string;
      let length: number;
      let valueOffset: number;
      if (explicitVr) {
        vr = String.fromCharCode(this.bytes[offset + 4]!, this.bytes[offset + 5]!);
        if (!/^[A-Z]{2}$/.test(vr)) {
          throw new DicomParseError(
            `element ${formatTag(tagHex)} has an invalid VR at offset ${offset + 4}`,
            offset,
          );
        }
        if (LONG_HEADER_VRS.has(vr)) {
          this.need(offset, 12, `the header of ${formatTag(tagHex)}`);
          length = this.u32(offset + 8);
          valueOffset = offset + 12;
        } else {
          length = this.u16(offset + 6);
          valueOffset = offset + 8;
        }
      } else {
        vr = vrOf(tagHex);
        length = this.u32(offset + 4);
        valueOffset = offset + 8;
      }
      if (length === UNDEFINED_LENGTH) {
        if (vr === 'SQ' || vr === 'UN' || (!explicitVr && vr !== 'OB' && vr !== 'OW')) {
          // PS3.5 6.2.2: UN of undefined length is a sequence encoded in implicit VR little endian.
          const seq = this.readSequence(valueOffset, undefined, depth + 1, vr === 'UN' ? false : explicitVr);
          dataset[tagHex] = { vr: 'SQ', Value: seq.items };
          offset = seq.offset;
          continue;
        }
        // Encapsulated pixel data (PS3.5 A.4): a fragment sequence; skip the fragments.
        offset = this.skipFragments(valueOffset, tagHex);
        dataset[tagHex] = this.binaryElement(tagHex, vr, depth);
        continue;
      }
      if (length % 2 === 1) {
        throw new DicomParseError(
          `element ${formatTag(tagHex)} has odd value length ${length}; PS3.5 7.1.1 requires an even length`,
          offset,
        );
      }
      if (valueOffset + length > limit && end !== undefined && depth > 0) {
        throw new DicomParseError(
          `element ${formatTag(tagHex)} of length ${length} runs past the end of its container at offset ${offset}`,
          offset,
        );
      }
      this.need(valueOffset, length, `the value of ${formatTag(tagHex)}`);
      if (vr === 'SQ') {
        const seq = this.readSequence(valueOffset, valueOffset + length, depth + 1, explicitVr);
        dataset[tagHex] = { vr: 'SQ', Value: seq.items };
      } else {
        dataset[tagHex] = this.decodeValue(tagHex, vr, valueOffset, length, depth);
        if (tagHex === Tag.SpecificCharacterSet) {
          this.decoder = decoderFor(
            (dataset[tagHex].Value ?? []).filter((v): v is string => typeof v === 'string').join('\\'),
          );
        }
      }
      offset = valueOffset + length;
    }
    if (end === undefined) this.need(offset, 8, 'an item delimiter');
    return { dataset, offset, stoppedAtPixelData: false };
  }

  private readSequence(
    start: number,
    end: number | undefined,
    depth: number,
    explicitVr: boolean,
  ): { items: DicomJsonDataset[]; offset: number } {
    if (depth > 32) throw new DicomParseError('sequences nested deeper than 32 levels', start);
    const items: DicomJsonDataset[] = [];
    let offset = start;
    while (end === undefined || offset < end) {
      this.need(offset, 8, 'a sequence item header');
      const tag = this.tagAt(offset);
      const length = this.u32(offset + 4);
      if (tag === SEQUENCE_DELIMITATION) {
        if (end !== undefined)
          throw new DicomParseError(`unexpected sequence delimiter at ${offset}`, offset);
        return { items, offset: offset + 8 };
      }
      if (tag !== ITEM) throw new DicomParseError(`expected a sequence item at offset ${offset}`, offset);
      if (length === UNDEFINED_LENGTH) {
        const r = this.readDataset(offset + 8, undefined, depth, explicitVr);
        items.push(r.dataset);
        offset = r.offset;
      } else {
        this.need(offset + 8, length, 'a sequence item');
        const r = this.readDataset(offset + 8, offset + 8 + length, depth, explicitVr);
        items.push(r.dataset);
        offset = offset + 8 + length;
      }
    }
    return { items, offset };
  }

  private skipFragments(start: number, tagHex: string): number {
    let offset = start;
    for (;;) {
      this.need(offset, 8, `a fragment of ${formatTag(tagHex)}`);
      const tag = this.tagAt(offset);
      const length = this.u32(offset + 4);
      if (tag === SEQUENCE_DELIMITATION) return offset + 8;
      if (tag !== ITEM) throw new DicomParseError(`expected a fragment item in ${formatTag(tagHex)}`, offset);
      this.need(offset + 8, length, `a fragment of ${formatTag(tagHex)}`);
      offset += 8 + length;
    }
  }

  private binaryElement(tagHex: string, vr: string, depth: number): DicomJsonElement {
    const uri = depth === 0 ? this.options.bulkDataUri?.(tagHex) : undefined;
    return uri ? { vr, BulkDataURI: uri } : { vr };
  }

  private decodeValue(
    tagHex: string,
    vr: string,
    o: number,
    length: number,
    depth: number,
  ): DicomJsonElement {
    if (length === 0) return { vr };
    if (BINARY_VRS.has(vr)) {
      const max = this.options.inlineBinaryMaxBytes ?? 1024;
      if (length > max) return this.binaryElement(tagHex, vr, depth);
      return { vr, InlineBinary: Buffer.from(this.bytes.subarray(o, o + length)).toString('base64') };
    }
    const values: DicomJsonValue[] = [];
    const step = (size: number, read: (p: number) => number | bigint) => {
      for (let p = o; p + size <= o + length; p += size) values.push(Number(read(p)));
    };
    switch (vr) {
      case 'US':
        step(2, (p) => this.view.getUint16(p, this.le));
        return { vr, Value: values };
      case 'SS':
        step(2, (p) => this.view.getInt16(p, this.le));
        return { vr, Value: values };
      case 'UL':
        step(4, (p) => this.view.getUint32(p, this.le));
        return { vr, Value: values };
      case 'SL':
        step(4, (p) => this.view.getInt32(p, this.le));
        return { vr, Value: values };
      case 'FL':
        step(4, (p) => this.view.getFloat32(p, this.le));
        return { vr, Value: values };
      case 'FD':
        step(8, (p) => this.view.getFloat64(p, this.le));
        return { vr, Value: values };
      case 'SV':
        step(8, (p) => this.view.getBigInt64(p, this.le));
        return { vr, Value: values };
      case 'UV':
        step(8, (p) => this.view.getBigUint64(p, this.le));
        return { vr, Value: values };
      case 'AT':
        for (let p = o; p + 4 <= o + length; p += 4) {
          values.push(hex8(((this.u16(p) << 16) | this.u16(p + 2)) >>> 0));
        }
        return { vr, Value: values };
    }
    const raw = this.bytes.subarray(o, o + length);
    const text =
      vr === 'UI' || vr === 'AE' || vr === 'CS' || vr === 'DA' || vr === 'TM' || vr === 'DT' || vr === 'AS'
        ? Buffer.from(raw).toString('latin1')
        : this.decoder.decode(raw);
    const parts = UNSPLIT_STRING_VRS.has(vr) ? [text] : text.split('\\');
    for (const part of parts) {
      const trimmed = (UNSPLIT_STRING_VRS.has(vr) || vr === 'LT' ? part.trimEnd() : part.trim()).replace(
        /\0+$/,
        '',
      );
      if (vr === 'PN') {
        if (trimmed === '') values.push(null);
        else {
          const [a, i, p] = trimmed.split('=');
          const pn: PersonName = {};
          if (a) pn.Alphabetic = a;
          if (i) pn.Ideographic = i;
          if (p) pn.Phonetic = p;
          values.push(pn);
        }
      } else if (vr === 'IS' || vr === 'DS') {
        if (trimmed === '') values.push(null);
        else {
          const n = Number(trimmed);
          values.push(Number.isFinite(n) ? n : trimmed);
        }
      } else {
        values.push(trimmed === '' ? null : trimmed);
      }
    }
    if (values.every((v) => v === null)) return { vr };
    return { vr, Value: values };
  }
}

/**
 * Reads a data set (no preamble, no file meta) in the given transfer syntax into the DICOM JSON model.
 * Throws DicomParseError with the offending element and offset; `truncated` is set when the bytes end early.
 */
export function readDataset(
  bytes: Uint8Array,
  transferSyntaxUid: string,
  options: ReadOptions = {},
): ReadResult {
  const encoding = encodingOf(transferSyntaxUid);
  if (!encoding) throw new DicomParseError(`transfer syntax "${transferSyntaxUid}" is not a UID`, 0);
  let input = bytes;
  if (encoding.deflated) {
    try {
      input = inflateRawSync(bytes, { maxOutputLength: options.maxInflatedBytes ?? 256 * 1024 * 1024 });
    } catch (err) {
      throw new DicomParseError(`deflated data set cannot be inflated: ${(err as Error).message}`, 0);
    }
  }
  const reader = new Reader(input, encoding.explicitVr, encoding.littleEndian, options);
  const r = reader.readDataset(0, input.byteLength, 0);
  return { dataset: r.dataset, endOffset: r.offset, stoppedAtPixelData: r.stoppedAtPixelData };
}
