import dcmjs from 'dcmjs';

/**
 * Tag -> VR and keyword <-> tag, built once from dcmjs's copy of the PS3.6 data dictionary.
 * Only the dictionary is borrowed from dcmjs; parsing and encoding are Confer's own (./dataset-reader.ts).
 */
interface Entry {
  tag: string;
  vr: string;
  name: string;
}

const vrByTag = new Map<string, string>();
const tagByKeyword = new Map<string, string>();
const keywordByTag = new Map<string, string>();

for (const entry of Object.values(
  (dcmjs as unknown as { data: { DicomMetaDictionary: { nameMap: Record<string, Entry> } } }).data
    .DicomMetaDictionary.nameMap,
)) {
  const m = /^\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)$/.exec(entry.tag);
  if (!m) continue; // repeating groups such as (60xx,3000) are resolved by vrOf's fallbacks
  const tag = `${m[1]}${m[2]}`.toUpperCase();
  vrByTag.set(tag, normaliseVr(entry.vr));
  tagByKeyword.set(entry.name, tag);
  keywordByTag.set(tag, entry.name);
}

function normaliseVr(vr: string): string {
  if (/^[A-Z]{2}$/.test(vr)) return vr;
  if (vr === 'ox' || vr.includes('OW')) return 'OW'; // PS3.5 A.1: implicit VR pixel data is OW
  if (vr === 'xs' || vr.includes('US')) return 'US';
  return 'UN';
}

/** The VR an implicit-VR element has, per PS3.5 7.1.3 and the dictionary. */
export function vrOf(tag: string): string {
  const known = vrByTag.get(tag);
  if (known) return known;
  const group = Number.parseInt(tag.slice(0, 4), 16);
  const element = Number.parseInt(tag.slice(4, 8), 16);
  if (element === 0) return 'UL'; // group length
  if (group % 2 === 1 && element >= 0x10 && element <= 0xff) return 'LO'; // private creator
  if ((group & 0xff00) === 0x6000) return vrByTag.get(`6000${tag.slice(4)}`) ?? 'UN';
  if ((group & 0xff00) === 0x5000) return vrByTag.get(`5000${tag.slice(4)}`) ?? 'UN';
  return 'UN';
}

/** Accepts a keyword ("PatientName") or 8 hex digits ("00100010"); returns the tag or undefined. */
export function resolveTag(keywordOrTag: string): string | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(keywordOrTag)) return keywordOrTag.toUpperCase();
  return tagByKeyword.get(keywordOrTag);
}

export function keywordOf(tag: string): string | undefined {
  return keywordByTag.get(tag);
}
