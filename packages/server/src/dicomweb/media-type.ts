/**
 * Media types and Accept negotiation for DICOMweb (PS3.18 8.7). DICOMweb leans on media type parameters
 * (`type=` of multipart/related, `transfer-syntax=`), so these are parsed properly: quoted strings, escapes,
 * case-insensitive names, q-values.
 */

/** A media type or media range with its parameters; names and type are lower-cased, values kept as sent. */
export interface MediaType {
  /** "multipart/related", "application/dicom", "*\/*"... */
  type: string;
  params: Map<string, string>;
  /** Quality from the Accept header (RFC 9110 12.4.2); 1 when absent. */
  q: number;
}

/** The media types DICOMweb negotiates, spelled as PS3.18 8.7 does. */
export const MediaTypes = {
  Dicom: 'application/dicom',
  DicomJson: 'application/dicom+json',
  DicomXml: 'application/dicom+xml',
  Json: 'application/json',
  OctetStream: 'application/octet-stream',
  MultipartRelated: 'multipart/related',
  Any: '*/*',
} as const;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Splits on `sep` outside quoted strings. */
function splitOutsideQuotes(value: string, sep: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      current += c;
      if (c === '\\' && i + 1 < value.length) current += value[++i];
      else if (c === '"') quoted = false;
    } else if (c === '"') {
      quoted = true;
      current += c;
    } else if (c === sep) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

/** Parses one media type such as `multipart/related; type="application/dicom"; boundary=abc`; undefined if malformed. */
export function parseMediaType(value: string): MediaType | undefined {
  const [head, ...rest] = splitOutsideQuotes(value, ';');
  const type = (head ?? '').trim().toLowerCase();
  const slash = type.indexOf('/');
  if (slash <= 0 || !TOKEN.test(type.slice(0, slash)) || !TOKEN.test(type.slice(slash + 1))) return undefined;
  const params = new Map<string, string>();
  let q = 1;
  for (const p of rest) {
    if (p.trim() === '') continue;
    const eq = p.indexOf('=');
    if (eq <= 0) return undefined;
    const name = p.slice(0, eq).trim().toLowerCase();
    const v = unquote(p.slice(eq + 1));
    if (name === 'q') {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 1) return undefined;
      q = n;
    } else params.set(name, v);
  }
  return { type, params, q };
}

/**
 * The media ranges of an Accept header, best first (stable for equal q); ranges with q=0 are dropped.
 * An absent or empty header means `*\/*` (RFC 9110 12.5.1). Malformed ranges are skipped.
 */
export function parseAccept(header: string | string[] | undefined): MediaType[] {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  if (value.trim() === '') return [{ type: MediaTypes.Any, params: new Map(), q: 1 }];
  const ranges = splitOutsideQuotes(value, ',')
    .map((r) => parseMediaType(r))
    .filter((r): r is MediaType => r !== undefined && r.q > 0);
  return ranges
    .map((r, i) => ({ r, i }))
    .sort((a, b) => b.r.q - a.r.q || a.i - b.i)
    .map(({ r }) => r);
}

/** True when `range` (which may be `*\/*` or `type/*`) covers `type`. */
export function rangeCovers(range: string, type: string): boolean {
  if (range === MediaTypes.Any || range === type) return true;
  return range.endsWith('/*') && type.startsWith(range.slice(0, -1));
}

/**
 * What a range asks for inside a multipart/related body: its `type` parameter for multipart/related, the
 * range itself for a bare single-part type, '*\/*' for wildcards. PS3.18 8.7.3.5: `type` names the media
 * type of every part.
 */
export function partTypeOf(range: MediaType): { multipart: boolean; partType: string } {
  if (range.type === MediaTypes.MultipartRelated) {
    return { multipart: true, partType: (range.params.get('type') ?? MediaTypes.Any).toLowerCase() };
  }
  if (range.type === MediaTypes.Any || range.type === 'multipart/*')
    return { multipart: true, partType: MediaTypes.Any };
  return { multipart: false, partType: range.type };
}

/** Formats a media type with parameters, quoting values that are not tokens. */
export function formatMediaType(type: string, params: Record<string, string | undefined> = {}): string {
  let out = type;
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    out += `; ${k}=${TOKEN.test(v) ? v : `"${v.replace(/(["\\])/g, '\\$1')}"`}`;
  }
  return out;
}
