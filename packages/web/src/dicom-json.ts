// Readers for the DICOM JSON model (PS3.18 annex F), the body of every QIDO-RS response.
// Kept free of React and the DOM so the same code runs under `node --test`.

/** One attribute of a DICOM JSON dataset. Absent `Value` means the attribute is present but empty. */
export interface DicomJsonAttribute {
  vr: string;
  Value?: unknown[];
  BulkDataURI?: string;
  InlineBinary?: string;
}

/** A dataset: attributes keyed by tag, e.g. `"0020000D"`. */
export type DicomJsonDataset = Record<string, DicomJsonAttribute | undefined>;

/** The object form of a PN value (PS3.18 F.2.2): up to three component groups. */
export interface PersonNameValue {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

/**
 * All values of an attribute, or an empty array when the attribute is missing or has no value.
 * Tolerates a dataset that is not an object so a malformed response row degrades to blanks.
 */
export function readValues(dataset: unknown, tag: string): unknown[] {
  if (typeof dataset !== 'object' || dataset === null) return [];
  const attribute = (dataset as Record<string, unknown>)[tag];
  if (typeof attribute !== 'object' || attribute === null) return [];
  const value = (attribute as DicomJsonAttribute).Value;
  return Array.isArray(value) ? value : [];
}

/** The first value of an attribute (the only one for single-valued attributes), or `undefined`. */
export function readFirstValue(dataset: unknown, tag: string): unknown {
  return readValues(dataset, tag)[0];
}

/**
 * The first value as text. Numbers are accepted because IS and DS arrive as JSON numbers from most
 * servers but as strings from some (PS3.18 F.2.3 permits both); `null` entries stand for empty values.
 */
export function readString(dataset: unknown, tag: string): string | undefined {
  return valueAsString(readFirstValue(dataset, tag));
}

/** Every value as text, skipping empty ones: e.g. ModalitiesInStudy `["CT", "SR"]`. */
export function readStrings(dataset: unknown, tag: string): string[] {
  const out: string[] = [];
  for (const value of readValues(dataset, tag)) {
    const text = valueAsString(value);
    if (text !== undefined && text !== '') out.push(text);
  }
  return out;
}

/** The first value as a finite number, parsing IS/DS strings; `undefined` when absent or not numeric. */
export function readNumber(dataset: unknown, tag: string): number | undefined {
  const value = readFirstValue(dataset, tag);
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value.trim());
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** The first PN value of an attribute, formatted for display by {@link formatPersonName}. */
export function readPersonName(dataset: unknown, tag: string): string {
  return formatPersonName(readFirstValue(dataset, tag));
}

/**
 * Formats a DICOM person name for display as "Family, Given Middle".
 *
 * Accepts the JSON object form (`{Alphabetic: "Doe^Jane"}`) and, because some servers send it, a bare
 * string in PS3.5 6.2 form (`"Doe^Jane=..."`). Components are family^given^middle^prefix^suffix; the
 * alphabetic group is preferred and the ideographic or phonetic one used only when it is all there is.
 */
export function formatPersonName(value: unknown): string {
  let raw: string | undefined;
  if (typeof value === 'string') {
    raw = value.split('=')[0];
  } else if (typeof value === 'object' && value !== null) {
    const pn = value as PersonNameValue;
    raw = [pn.Alphabetic, pn.Ideographic, pn.Phonetic].find((g) => typeof g === 'string' && g.trim() !== '');
  }
  if (raw === undefined) return '';
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = raw
    .split('^')
    .map((component) => component.trim());
  const forenames = [prefix, given, middle].filter((part) => part !== '').join(' ');
  let name = family !== '' && forenames !== '' ? `${family}, ${forenames}` : family || forenames;
  if (suffix !== '') name = name === '' ? suffix : `${name}, ${suffix}`;
  return name;
}

/**
 * Formats a DA value (`YYYYMMDD`) as ISO `YYYY-MM-DD`, which reads the same in every locale; a study
 * date has no time zone, so it is shown as recorded rather than converted. Anything that is not a
 * plain date is returned unchanged so that odd data stays visible instead of vanishing.
 */
export function formatDicomDate(value: unknown): string {
  if (typeof value !== 'string') return '';
  const text = value.trim();
  // PS3.5 6.2 note: ACR-NEMA 2.0 wrote dates as YYYY.MM.DD and some archives still return them.
  const match = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(text);
  if (!match) return text;
  const [, year, month, day] = match;
  return `${year}-${month}-${day}`;
}

/**
 * Formats a TM value (`HHMMSS.FFFFFF`, where everything after the hour is optional) as `HH:MM`;
 * seconds are dropped because a worklist never needs them. Unparseable input is returned unchanged.
 */
export function formatDicomTime(value: unknown): string {
  if (typeof value !== 'string') return '';
  const text = value.trim();
  const match = /^(\d{2}):?(\d{2})?(?::?(\d{2})(?:\.\d{1,6})?)?$/.exec(text);
  if (!match) return text;
  const [, hours, minutes = '00'] = match;
  return `${hours}:${minutes}`;
}

function valueAsString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
