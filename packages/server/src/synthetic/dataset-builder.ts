import type { WritableDataset } from '../dicom/dataset-writer.ts';
import type { PersonName } from '../dicom/dicom-json.ts';
import { resolveTag, vrOf } from '../dicom/dictionary.ts';

export type BuilderValue = string | number | PersonName | WritableDataset;

const tagCache = new Map<string, { tag: string; vr: string }>();

function lookup(keyword: string): { tag: string; vr: string } {
  let hit = tagCache.get(keyword);
  if (!hit) {
    const tag = resolveTag(keyword);
    if (!tag) throw new RangeError(`"${keyword}" is not a PS3.6 keyword`);
    hit = { tag, vr: vrOf(tag) };
    tagCache.set(keyword, hit);
  }
  return hit;
}

/**
 * Sets an element by its PS3.6 keyword, with the dictionary's VR, so a generator reads like the IOD
 * tables it follows. No values writes a zero-length (Type 2) element; a sequence's values are its items.
 */
export function put(ds: WritableDataset, keyword: string, ...values: BuilderValue[]): void {
  const { tag, vr } = lookup(keyword);
  if (values.length === 0) ds[tag] = vr === 'SQ' ? { vr, Value: [] } : { vr };
  else ds[tag] = { vr, Value: values };
}

/** Sets several elements at once: `{ Modality: 'CT', ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'] }`. */
export function putAll(ds: WritableDataset, elements: Record<string, BuilderValue | BuilderValue[]>): void {
  for (const [keyword, value] of Object.entries(elements)) {
    if (Array.isArray(value)) put(ds, keyword, ...value);
    else put(ds, keyword, value);
  }
}

/** A code sequence item (PS3.3 8.8): value, scheme and meaning. */
export function code(value: string, scheme: string, meaning: string): WritableDataset {
  const item: WritableDataset = {};
  putAll(item, { CodeValue: value, CodingSchemeDesignator: scheme, CodeMeaning: meaning });
  return item;
}
