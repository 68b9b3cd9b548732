import type { MeasuredValue } from '@confer/core';
import type { WritableDataset } from '../dicom/dataset-writer.ts';
import type { DicomJsonDataset, DicomJsonElement } from '../dicom/dicom-json.ts';

/**
 * A DICOM Structured Report Measurement Report (PS3.16 TID 1500) built from a case's annotations: one
 * Measurement Group per annotation (TID 1410 planar ROI for ellipses and rectangles, TID 1501 with a TID 300
 * measurement for lengths), the referenced images in an Image Library (TID 1600), written as a Comprehensive
 * SR so spatial coordinates are allowed. Pure: UIDs and the time come in.
 */

export const COMPREHENSIVE_SR = '1.2.840.10008.5.1.4.1.1.88.33';

export interface SrAnnotation {
  id: string;
  tool: string;
  label: string;
  points: readonly (readonly [number, number])[];
  measurements: readonly MeasuredValue[];
  sopClassUid: string;
  sopInstanceUid: string;
  seriesUid: string;
  frameNumber: number;
  /** Number of Frames of the referenced image: a frame is named only for multi-frame images. */
  numberOfFrames: number;
}

export interface SrInput {
  /** Patient and study attributes of the study, as the archive indexed them (DICOM JSON). */
  study: DicomJsonDataset;
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
  seriesNumber: number;
  observerName: string;
  now: Date;
  annotations: readonly SrAnnotation[];
}

export interface SrOutput {
  dataset: WritableDataset;
  exported: string[];
  notMapped: { id: string; tool: string; reason: string }[];
}

type Code = readonly [value: string, scheme: string, meaning: string];

const C = {
  report: ['126000', 'DCM', 'Imaging Measurement Report'],
  language: ['121049', 'DCM', 'Language of Content Item and Descendants'],
  english: ['eng', 'RFC5646', 'English'],
  observerType: ['121005', 'DCM', 'Observer Type'],
  person: ['121006', 'DCM', 'Person'],
  observerName: ['121008', 'DCM', 'Person Observer Name'],
  procedureReported: ['121058', 'DCM', 'Procedure reported'],
  imagingProcedure: ['363679005', 'SCT', 'Imaging procedure'],
  imageLibrary: ['111028', 'DCM', 'Image Library'],
  imageLibraryGroup: ['126200', 'DCM', 'Image Library Group'],
  measurements: ['126010', 'DCM', 'Imaging Measurements'],
  group: ['125007', 'DCM', 'Measurement Group'],
  trackingId: ['112039', 'DCM', 'Tracking Identifier'],
  trackingUid: ['112040', 'DCM', 'Tracking Unique Identifier'],
  imageRegion: ['111030', 'DCM', 'Image Region'],
} as const satisfies Record<string, Code>;

/** SNOMED CT concepts for what Confer measures (as PS3.16 CID 7469/7464 use them). */
const QUANTITIES: Record<string, Code> = {
  length: ['410668003', 'SCT', 'Length'],
  area: ['42798000', 'SCT', 'Area'],
  mean: ['373098007', 'SCT', 'Mean'],
  stdDev: ['386136009', 'SCT', 'Standard Deviation'],
  min: ['255605001', 'SCT', 'Minimum'],
  max: ['56851009', 'SCT', 'Maximum'],
};

/** UCUM units. */
const UNITS: Record<string, Code> = {
  mm: ['mm', 'UCUM', 'millimeter'],
  mm2: ['mm2', 'UCUM', 'square millimeter'],
  HU: ["[hnsf'U]", 'UCUM', 'Hounsfield unit'],
  px: ['{pixel}', 'UCUM', 'pixel'],
  px2: ['{pixel}2', 'UCUM', 'square pixel'],
  '': ['1', 'UCUM', 'no units'],
};

const el = (vr: string, ...values: (string | number)[]): DicomJsonElement => ({ vr, Value: values });
const sq = (...items: DicomJsonDataset[]): DicomJsonElement => ({ vr: 'SQ', Value: items });
const code = ([value, scheme, meaning]: Code): DicomJsonDataset => ({
  '00080100': el('SH', value),
  '00080102': el('SH', scheme),
  '00080104': el('LO', meaning),
});

function item(relationship: string | null, valueType: string, concept: Code | null): DicomJsonDataset {
  const ds: DicomJsonDataset = { '0040A040': el('CS', valueType) };
  if (relationship) ds['0040A010'] = el('CS', relationship);
  if (concept) ds['0040A043'] = sq(code(concept));
  return ds;
}

function container(
  relationship: string | null,
  concept: Code,
  children: DicomJsonDataset[],
): DicomJsonDataset {
  return {
    ...item(relationship, 'CONTAINER', concept),
    '0040A050': el('CS', 'SEPARATE'),
    ...(children.length ? { '0040A730': sq(...children) } : {}),
  };
}

function imageRef(relationship: string, a: SrAnnotation): DicomJsonDataset {
  const ref: DicomJsonDataset = {
    '00081150': el('UI', a.sopClassUid),
    '00081155': el('UI', a.sopInstanceUid),
  };
  if (a.numberOfFrames > 1) ref['00081160'] = el('IS', a.frameNumber);
  return { ...item(relationship, 'IMAGE', null), '00081199': sq(ref) };
}

/** Confer's image coordinates already follow PS3.3 C.18.6.1.1 (the first pixel's top-left corner at 0,0). */
function graphicData(points: readonly (readonly [number, number])[]): number[] {
  return points.flat();
}

function scoord(relationship: string, concept: Code | null, a: SrAnnotation): DicomJsonDataset {
  let type: string;
  let pts: (readonly [number, number])[];
  if (a.tool === 'ellipse') {
    // ELLIPSE: the two ends of the major axis, then the two of the minor axis (PS3.3 C.18.6.1.2).
    const d = (p: number, q: number) =>
      Math.hypot(a.points[p]![0] - a.points[q]![0], a.points[p]![1] - a.points[q]![1]);
    const firstMajor = d(0, 1) >= d(2, 3);
    pts = firstMajor ? [...a.points] : [a.points[2]!, a.points[3]!, a.points[0]!, a.points[1]!];
    type = 'ELLIPSE';
  } else if (a.tool === 'rectangle') {
    const xs = a.points.map((p) => p[0]);
    const ys = a.points.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    // A closed POLYLINE: the first point repeated last.
    pts = [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
      [x0, y0],
    ];
    type = 'POLYLINE';
  } else {
    pts = [...a.points];
    type = 'POLYLINE';
  }
  return {
    ...item(relationship, 'SCOORD', concept),
    '00700023': el('CS', type),
    '00700022': { vr: 'FL', Value: graphicData(pts) },
    '0040A730': sq(imageRef('SELECTED FROM', a)),
  };
}

function num(m: MeasuredValue, children: DicomJsonDataset[] = []): DicomJsonDataset {
  const unit = UNITS[m.unit] ?? UNITS['']!;
  return {
    ...item('CONTAINS', 'NUM', QUANTITIES[m.name]!),
    '0040A300': sq({ '004008EA': sq(code(unit)), '0040A30A': el('DS', m.value) }),
    ...(children.length ? { '0040A730': sq(...children) } : {}),
  };
}

/** Why an annotation cannot go into a TID 1500 report, or undefined when it can. */
export function notMappedReason(a: Pick<SrAnnotation, 'tool' | 'measurements'>): string | undefined {
  if (a.tool === 'angle')
    return 'TID 1500 has no measurement concept for an angle between two lines; it stays in Confer only';
  if (!['length', 'ellipse', 'rectangle'].includes(a.tool))
    return `no TID 1500 mapping for the ${a.tool} tool`;
  const unmapped = a.measurements.filter((m) => !QUANTITIES[m.name]);
  if (unmapped.length) return `no code for ${unmapped.map((m) => m.name).join(', ')}`;
  return undefined;
}

/** Deterministic per annotation and export, so the same annotation keeps one tracking UID in one report. */
function trackingUid(reportUid: string, index: number): string {
  const uid = `${reportUid}.${index + 1}`;
  return uid.length <= 64 ? uid : `${reportUid.slice(0, 64 - String(index + 1).length - 1)}.${index + 1}`;
}

function group(a: SrAnnotation, uid: string): DicomJsonDataset {
  const children: DicomJsonDataset[] = [
    { ...item('HAS OBS CONTEXT', 'TEXT', C.trackingId), '0040A160': el('UT', a.label || a.id) },
    { ...item('HAS OBS CONTEXT', 'UIDREF', C.trackingUid), '0040A124': el('UI', uid) },
  ];
  if (a.tool === 'length') {
    // TID 1501 with a TID 300 measurement: the length is inferred from the drawn line.
    const length = a.measurements.find((m) => m.name === 'length');
    if (length) children.push(num(length, [scoord('INFERRED FROM', null, a)]));
  } else {
    // TID 1410: the region once, then what was measured in it.
    children.push(scoord('CONTAINS', C.imageRegion, a));
    for (const m of a.measurements) children.push(num(m));
  }
  return container('CONTAINS', C.group, children);
}

const text = (ds: DicomJsonDataset, tag: string): DicomJsonElement => {
  const e = ds[tag];
  return e?.Value?.length ? { vr: e.vr, Value: e.Value } : { vr: e?.vr ?? 'LO' };
};

function dicomDate(d: Date): string {
  return d.toISOString().slice(0, 10).replaceAll('-', '');
}
function dicomTime(d: Date): string {
  return d.toISOString().slice(11, 19).replaceAll(':', '');
}

/** Builds the SR data set (without file meta) and says which annotations it could not carry. */
export function buildMeasurementReport(input: SrInput): SrOutput {
  const exported: SrAnnotation[] = [];
  const notMapped: SrOutput['notMapped'] = [];
  for (const a of input.annotations) {
    const reason = notMappedReason(a);
    if (reason) notMapped.push({ id: a.id, tool: a.tool, reason });
    else exported.push(a);
  }
  const library: DicomJsonDataset[] = [];
  const seen = new Set<string>();
  for (const a of exported) {
    const key = `${a.sopInstanceUid}/${a.numberOfFrames > 1 ? a.frameNumber : 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    library.push(imageRef('CONTAINS', a));
  }
  const content: DicomJsonDataset[] = [
    { ...item('HAS CONCEPT MOD', 'CODE', C.language), '0040A168': sq(code(C.english)) },
    { ...item('HAS OBS CONTEXT', 'CODE', C.observerType), '0040A168': sq(code(C.person)) },
    {
      ...item('HAS OBS CONTEXT', 'PNAME', C.observerName),
      '0040A123': { vr: 'PN', Value: [{ Alphabetic: input.observerName.slice(0, 64) }] },
    },
    { ...item('HAS CONCEPT MOD', 'CODE', C.procedureReported), '0040A168': sq(code(C.imagingProcedure)) },
    container('CONTAINS', C.imageLibrary, [container('CONTAINS', C.imageLibraryGroup, library)]),
    container(
      'CONTAINS',
      C.measurements,
      exported.map((a, i) => group(a, trackingUid(input.sopInstanceUid, i))),
    ),
  ];

  // Current Requested Procedure Evidence: every image the report refers to, by series.
  const bySeries = new Map<string, Map<string, string>>();
  for (const a of exported) {
    const s = bySeries.get(a.seriesUid) ?? new Map<string, string>();
    s.set(a.sopInstanceUid, a.sopClassUid);
    bySeries.set(a.seriesUid, s);
  }
  const evidence = [...bySeries].map(([seriesUid, sops]) => ({
    '0020000E': el('UI', seriesUid),
    '00081199': sq(
      ...[...sops].map(([sop, cls]) => ({ '00081150': el('UI', cls), '00081155': el('UI', sop) })),
    ),
  }));

  const s = input.study;
  const dataset: WritableDataset = {
    '00080005': el('CS', 'ISO_IR 192'),
    '00080012': el('DA', dicomDate(input.now)),
    '00080013': el('TM', dicomTime(input.now)),
    '00080016': el('UI', COMPREHENSIVE_SR),
    '00080018': el('UI', input.sopInstanceUid),
    '00080020': text(s, '00080020'),
    '00080023': el('DA', dicomDate(input.now)),
    '00080030': text(s, '00080030'),
    '00080033': el('TM', dicomTime(input.now)),
    '00080050': text(s, '00080050'),
    '00080060': el('CS', 'SR'),
    '00080070': el('LO', 'Confer'),
    '00080090': { vr: 'PN', ...(s['00080090']?.Value?.length ? { Value: s['00080090'].Value } : {}) },
    '0008103E': el('LO', 'Confer measurements'),
    '00081111': { vr: 'SQ', Value: [] },
    '00100010': { vr: 'PN', ...(s['00100010']?.Value?.length ? { Value: s['00100010'].Value } : {}) },
    '00100020': text(s, '00100020'),
    '00100021': s['00100021']?.Value?.length ? text(s, '00100021') : { vr: 'LO' },
    '00100030': { vr: 'DA', ...(s['00100030']?.Value?.length ? { Value: s['00100030'].Value } : {}) },
    '00100040': { vr: 'CS', ...(s['00100040']?.Value?.length ? { Value: s['00100040'].Value } : {}) },
    '0020000D': el('UI', input.studyUid),
    '0020000E': el('UI', input.seriesUid),
    '00200010': text(s, '00200010'),
    '00200011': el('IS', input.seriesNumber),
    '00200013': el('IS', 1),
    '0040A040': el('CS', 'CONTAINER'),
    '0040A043': sq(code(C.report)),
    '0040A050': el('CS', 'SEPARATE'),
    '0040A372': { vr: 'SQ', Value: [] },
    '0040A375': sq({ '0020000D': el('UI', input.studyUid), '00081115': sq(...evidence) }),
    '0040A491': el('CS', 'COMPLETE'),
    '0040A493': el('CS', 'UNVERIFIED'),
    '0040A504': sq({ '00080105': el('CS', 'DCMR'), '0040DB00': el('CS', '1500') }),
    '0040A730': sq(...content),
  };
  return { dataset, exported: exported.map((a) => a.id), notMapped };
}
