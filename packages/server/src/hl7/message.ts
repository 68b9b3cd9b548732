import { DEFAULT_DELIMITERS, escapeText, type Hl7Delimiters, unescapeText } from './escape.ts';

/**
 * HL7 v2 segments as data. A field is text, or a list of components, each text or a list of subcomponents.
 * Leaves are escaped when the segment is written, unless wrapped with `raw()` (already-escaped FT narrative).
 */
export type Hl7Leaf = string | number | undefined | null | Hl7Raw;
export type Hl7Component = Hl7Leaf | Hl7Leaf[];
export type Hl7Field = Hl7Leaf | Hl7Component[];

export interface Hl7Raw {
  raw: string;
}

/** Marks a value as already escaped (e.g. formatted text with `\.br\`), so the writer keeps it as is. */
export function raw(text: string): Hl7Raw {
  return { raw: text };
}

function leaf(v: Hl7Leaf, d: Hl7Delimiters): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return v.raw;
  return escapeText(String(v), d);
}

function trimEnd(parts: string[]): string[] {
  let n = parts.length;
  while (n > 0 && parts[n - 1] === '') n--;
  return parts.slice(0, n);
}

function component(c: Hl7Component, d: Hl7Delimiters): string {
  if (Array.isArray(c)) return trimEnd(c.map((s) => leaf(s, d))).join(d.subcomponent);
  return leaf(c, d);
}

function field(f: Hl7Field, d: Hl7Delimiters): string {
  if (Array.isArray(f)) return trimEnd(Array.from(f, (c) => component(c, d))).join(d.component);
  return leaf(f, d);
}

/**
 * Writes one segment. `fields[0]` is field 1 (for MSH, MSH-3: MSH-1 and MSH-2 are written here, since
 * they are the delimiters themselves). Trailing empty fields are left off, as receivers expect.
 */
export function writeSegment(
  name: string,
  fields: Hl7Field[],
  d: Hl7Delimiters = DEFAULT_DELIMITERS,
): string {
  // Array.from visits holes too: builders leave unused fields unset.
  const body = trimEnd(Array.from(fields, (f) => field(f, d)));
  if (name === 'MSH') {
    const encoding = `${d.component}${d.repetition}${d.escape}${d.subcomponent}`;
    return ['MSH', encoding, ...body].join(d.field);
  }
  return [name, ...body].join(d.field);
}

/** Segments are separated by a carriage return (2.5.2), never a line feed. */
export function writeMessage(segments: string[]): string {
  return `${segments.join('\r')}\r`;
}

/** A parsed segment: `field(n)` is HL7's field number n (for MSH, MSH-1 is the field separator). */
export interface ParsedSegment {
  name: string;
  /** Field n, unescaped; with `component` (1-based), that component; '' when absent. */
  get(field: number, component?: number, subcomponent?: number): string;
  /** Field n exactly as received (still escaped). */
  raw(field: number): string;
}

export interface ParsedMessage {
  delimiters: Hl7Delimiters;
  segments: ParsedSegment[];
  /** The first segment with this name, if any. */
  segment(name: string): ParsedSegment | undefined;
  all(name: string): ParsedSegment[];
}

export class Hl7ParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Hl7ParseError';
  }
}

/**
 * Parses a message as received (an ACK): the delimiters come from its MSH (2.5.4), segments are split on
 * CR (a LF or CRLF from a sloppy sender is accepted too).
 */
export function parseMessage(text: string): ParsedMessage {
  const body = text.replace(/^[\s\x0b]+/, '');
  if (!body.startsWith('MSH') || body.length < 8)
    throw new Hl7ParseError('the message does not start with an MSH segment');
  const d: Hl7Delimiters = {
    field: body[3]!,
    component: body[4]!,
    repetition: body[5]!,
    escape: body[6]!,
    subcomponent: body[7]!,
  };
  const lines = body.split(/\r\n|\r|\n/).filter((l) => l.trim() !== '');
  const segments = lines.map((line): ParsedSegment => {
    const parts = line.split(d.field);
    const name = parts[0] ?? '';
    // For MSH, field 1 is the separator itself, so parts[1] (the encoding characters) is MSH-2.
    const fields = name === 'MSH' ? ['MSH', d.field, ...parts.slice(1)] : parts;
    const rawField = (n: number) => fields[n] ?? '';
    return {
      name,
      raw: rawField,
      get(n, comp, sub) {
        const f = rawField(n);
        if (name === 'MSH' && n <= 2) return f;
        if (comp === undefined) return unescapeText(f, d);
        const c = f.split(d.repetition)[0]!.split(d.component)[comp - 1] ?? '';
        if (sub === undefined) return unescapeText(c, d);
        return unescapeText(c.split(d.subcomponent)[sub - 1] ?? '', d);
      },
    };
  });
  return {
    delimiters: d,
    segments,
    segment: (n) => segments.find((s) => s.name === n),
    all: (n) => segments.filter((s) => s.name === n),
  };
}

/** HL7 DTM in UTC with an explicit offset: YYYYMMDDHHMMSS+0000. */
export function hl7DateTime(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}+0000`;
}
