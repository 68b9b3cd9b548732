/**
 * Maps an AI result sent as a FHIR R4 Observation to what the worklist needs. The study is named by
 * `derivedFrom` or `partOf` (an ImagingStudy reference whose identifier is `urn:oid:<Study Instance UID>`),
 * the finding by `code`, the confidence by a component coded "confidence" (or valueQuantity in 0..1), and a
 * suspected critical finding by interpretation code "AA" or "HH"/"LL" (critical, HL7 v3 ObservationInterpretation)
 * or the flag "suspected-critical" in `category`.
 */
export type ParsedObservation =
  | {
      ok: true;
      value: {
        studyUid: string;
        source: string;
        finding: string;
        confidence: number | null;
        suspectedCritical: boolean;
        flags: string[];
      };
    }
  | { ok: false; error: string; path: string };

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

function codeText(cc: unknown): string | undefined {
  const c = obj(cc);
  if (!c) return undefined;
  return (
    str(c.text) ??
    arr(c.coding)
      .map((x) => str(obj(x)?.display) ?? str(obj(x)?.code))
      .find(Boolean)
  );
}

function codes(cc: unknown): string[] {
  return arr(obj(cc)?.coding)
    .map((x) => str(obj(x)?.code))
    .filter((x): x is string => Boolean(x));
}

const CRITICAL_INTERPRETATIONS = new Set(['AA', 'HH', 'LL']);

export function parseFhirObservation(body: unknown): ParsedObservation {
  const o = obj(body);
  if (o?.resourceType !== 'Observation')
    return {
      ok: false,
      error: 'send a FHIR Observation (resourceType "Observation")',
      path: 'Observation.resourceType',
    };
  let studyUid: string | undefined;
  for (const field of ['derivedFrom', 'partOf'] as const) {
    for (const ref of arr(o[field])) {
      const r = obj(ref);
      const value = str(obj(r?.identifier)?.value);
      if (value?.startsWith('urn:oid:')) studyUid = value.slice('urn:oid:'.length);
      if (studyUid) break;
    }
    if (studyUid) break;
  }
  if (!studyUid || !/^[0-9.]{1,64}$/.test(studyUid))
    return {
      ok: false,
      error:
        'name the study in derivedFrom (or partOf) as {"reference": "ImagingStudy/...", "identifier": {"system": "urn:dicom:uid", "value": "urn:oid:<Study Instance UID>"}}',
      path: 'Observation.derivedFrom',
    };
  const finding = codeText(o.code) ?? codeText(o.valueCodeableConcept);
  if (!finding)
    return {
      ok: false,
      error: 'give the finding in code.text or code.coding[].display',
      path: 'Observation.code',
    };
  let confidence: number | null = null;
  for (const c of arr(o.component)) {
    const comp = obj(c);
    const name = (codeText(comp?.code) ?? '').toLowerCase();
    const q = obj(comp?.valueQuantity);
    if (name.includes('confidence') && typeof q?.value === 'number') confidence = q.value;
  }
  const vq = obj(o.valueQuantity);
  if (confidence === null && typeof vq?.value === 'number' && vq.value >= 0 && vq.value <= 1)
    confidence = vq.value;
  if (confidence !== null && (confidence < 0 || confidence > 1))
    return { ok: false, error: 'confidence must be between 0 and 1', path: 'Observation.component' };
  const interpretations = arr(o.interpretation).flatMap(codes);
  const categories = arr(o.category).flatMap(codes);
  const flags = categories.filter((c) => /^[a-z0-9-]{1,64}$/.test(c));
  const suspectedCritical =
    interpretations.some((c) => CRITICAL_INTERPRETATIONS.has(c)) || flags.includes('suspected-critical');
  const source = str(obj(o.device)?.display) ?? str(obj(o.device)?.reference) ?? 'FHIR Observation';
  return { ok: true, value: { studyUid, source, finding, confidence, suspectedCritical, flags } };
}
