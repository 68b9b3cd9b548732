import type { DicomJsonDataset, DicomJsonElement, PersonName } from './dicom-json.ts';
import { firstString } from './dicom-json.ts';
import { Tag } from './tags.ts';
import { encodingOf } from './transfer-syntax.ts';
import { LONG_HEADER_VRS } from './vr.ts';

/** An element to write; `bytes` carries a binary value directly (pixel data) instead of InlineBinary. */
export type WritableElement = DicomJsonElement & { bytes?: Uint8Array };
export type WritableDataset = Record<string, WritableElement>;

class Writer {
  private chunks: Buffer[] = [];
  private readonly explicitVr: boolean;
  private readonly le: boolean;
  private readonly utf8: boolean;

  constructor(explicitVr: boolean, le: boolean, utf8: boolean) {
    this.explicitVr = explicitVr;
    this.le = le;
    this.utf8 = utf8;
  }

  result(): Buffer {
    return Buffer.concat(this.chunks);
  }

  private header(tag: string, vr: string, length: number): void {
    const group = Number.parseInt(tag.slice(0, 4), 16);
    const element = Number.parseInt(tag.slice(4, 8), 16);
    const long = LONG_HEADER_VRS.has(vr);
    const b = Buffer.alloc(this.explicitVr ? (long ? 12 : 8) : 8);
    const u16 = (v: number, o: number) => (this.le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
    const u32 = (v: number, o: number) => (this.le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
    u16(group, 0);
    u16(element, 2);
    if (this.explicitVr) {
      b.write(vr, 4, 'latin1');
      if (long) u32(length, 8);
      else {
        if (length > 0xffff) throw new RangeError(`value of ${tag} (${vr}) is ${length} bytes, over 65534`);
        u16(length, 6);
      }
    } else {
      u32(length, 4);
    }
    this.chunks.push(b);
  }

  private raw(tagGroup: number, tagElement: number, length: number): void {
    const b = Buffer.alloc(8);
    if (this.le) {
      b.writeUInt16LE(tagGroup, 0);
      b.writeUInt16LE(tagElement, 2);
      b.writeUInt32LE(length, 4);
    } else {
      b.writeUInt16BE(tagGroup, 0);
      b.writeUInt16BE(tagElement, 2);
      b.writeUInt32BE(length, 4);
    }
    this.chunks.push(b);
  }

  dataset(ds: WritableDataset): void {
    for (const tag of Object.keys(ds).sort()) this.element(tag, ds[tag]!);
  }

  private element(tag: string, el: WritableElement): void {
    const vr = el.vr;
    if (vr === 'SQ') {
      this.header(tag, 'SQ', 0xffffffff);
      for (const item of (el.Value ?? []) as DicomJsonDataset[]) {
        this.raw(0xfffe, 0xe000, 0xffffffff);
        this.dataset(item ?? {});
        this.raw(0xfffe, 0xe00d, 0);
      }
      this.raw(0xfffe, 0xe0dd, 0);
      return;
    }
    const value = this.valueBytes(el);
    this.header(tag, vr, value.byteLength);
    this.chunks.push(value);
  }

  private valueBytes(el: WritableElement): Buffer {
    const { vr } = el;
    if (el.bytes) return pad(Buffer.from(el.bytes.buffer, el.bytes.byteOffset, el.bytes.byteLength), 0);
    if (el.InlineBinary !== undefined) return pad(Buffer.from(el.InlineBinary, 'base64'), 0);
    const values = el.Value ?? [];
    const numeric = (size: number, write: (b: Buffer, v: number, o: number) => void) => {
      const b = Buffer.alloc(size * values.length);
      for (const [i, v] of values.entries()) write(b, Number(v), i * size);
      return b;
    };
    const le = this.le;
    switch (vr) {
      case 'US':
        return numeric(2, (b, v, o) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o)));
      case 'SS':
        return numeric(2, (b, v, o) => (le ? b.writeInt16LE(v, o) : b.writeInt16BE(v, o)));
      case 'UL':
        return numeric(4, (b, v, o) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o)));
      case 'SL':
        return numeric(4, (b, v, o) => (le ? b.writeInt32LE(v, o) : b.writeInt32BE(v, o)));
      case 'FL':
        return numeric(4, (b, v, o) => (le ? b.writeFloatLE(v, o) : b.writeFloatBE(v, o)));
      case 'FD':
        return numeric(8, (b, v, o) => (le ? b.writeDoubleLE(v, o) : b.writeDoubleBE(v, o)));
      case 'AT': {
        // AT values are tags as 8 hex digits ("0020000D"); Number() would read them as decimal.
        const b = Buffer.alloc(4 * values.length);
        values.forEach((v, i) => {
          const t = Number.parseInt(String(v), 16);
          if (le) {
            b.writeUInt16LE(t >>> 16, i * 4);
            b.writeUInt16LE(t & 0xffff, i * 4 + 2);
          } else {
            b.writeUInt16BE(t >>> 16, i * 4);
            b.writeUInt16BE(t & 0xffff, i * 4 + 2);
          }
        });
        return b;
      }
    }
    if (['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'UN'].includes(vr)) return Buffer.alloc(0);
    const text = values
      .map((v) => {
        if (v === null || v === undefined) return '';
        if (typeof v === 'object') {
          const pn = v as PersonName;
          return [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? ''].join('=').replace(/=+$/, '');
        }
        if (vr === 'DS' && typeof v === 'number') return formatDs(v);
        return String(v);
      })
      .join('\\');
    const encoded = Buffer.from(text, this.utf8 ? 'utf8' : 'latin1');
    return pad(encoded, vr === 'UI' ? 0 : 0x20);
  }
}

function pad(b: Buffer, byte: number): Buffer {
  if (b.byteLength % 2 === 0) return b;
  const out = Buffer.alloc(b.byteLength + 1, byte);
  b.copy(out);
  return out;
}

/** DS is at most 16 characters (PS3.5 6.2). */
function formatDs(v: number): string {
  let s = String(v);
  if (s.length <= 16) return s;
  for (let p = 15; p > 0; p--) {
    s = v.toPrecision(p);
    if (s.length <= 16) return s.includes('e') ? s : String(Number(s));
  }
  return s;
}

/**
 * Encodes a data set (no file meta) in an uncompressed transfer syntax. Strings are written as UTF-8 when
 * (0008,0005) says ISO_IR 192, otherwise as Latin-1.
 */
export function encodeDataset(ds: WritableDataset, transferSyntaxUid: string): Buffer {
  const enc = encodingOf(transferSyntaxUid);
  if (!enc || enc.deflated)
    throw new RangeError(`cannot encode a data set in transfer syntax ${transferSyntaxUid}`);
  const charset = firstString(ds, Tag.SpecificCharacterSet) ?? '';
  const w = new Writer(enc.explicitVr, enc.littleEndian, charset.includes('192'));
  w.dataset(ds);
  return w.result();
}
