/** The DICOM JSON model (PS3.18 F.2): what QIDO-RS and WADO-RS metadata return. */
export interface PersonName {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}
export type DicomJsonValue = string | number | PersonName | DicomJsonDataset | null;
export interface DicomJsonElement {
  vr: string;
  Value?: DicomJsonValue[];
  BulkDataURI?: string;
  InlineBinary?: string;
}
/** Keys are 8 upper-case hex digits, group then element ("0020000D"). */
export type DicomJsonDataset = Record<string, DicomJsonElement>;

/** The first value of an element as a string, or undefined. PN values give their alphabetic group. */
export function firstString(ds: DicomJsonDataset, tag: string): string | undefined {
  const v = ds[tag]?.Value?.[0];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if ('Alphabetic' in v || 'Ideographic' in v || 'Phonetic' in v) return (v as PersonName).Alphabetic;
  return undefined;
}

export function firstNumber(ds: DicomJsonDataset, tag: string): number | undefined {
  const v = ds[tag]?.Value?.[0];
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** All string values of an element (multi-valued CS such as ModalitiesInStudy). */
export function allStrings(ds: DicomJsonDataset, tag: string): string[] {
  return (ds[tag]?.Value ?? []).filter((v): v is string => typeof v === 'string');
}
