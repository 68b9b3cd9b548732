import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DicomJsonDataset } from '../dicom/dicom-json.ts';
import { buildMeasurementReport, notMappedReason, type SrAnnotation } from './sr-measurement-report.ts';

const image = {
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  sopInstanceUid: '2.25.10',
  seriesUid: '2.25.2',
  frameNumber: 1,
  numberOfFrames: 1,
};
const length: SrAnnotation = {
  ...image,
  id: 'A-1',
  tool: 'length',
  label: 'Aorta',
  points: [
    [0, 0],
    [10, 0],
  ],
  measurements: [{ name: 'length', value: 7, unit: 'mm' }],
};
const ellipse: SrAnnotation = {
  ...image,
  id: 'A-2',
  tool: 'ellipse',
  label: '',
  // the second axis is the longer one: it must come first in ELLIPSE graphic data
  points: [
    [10, 12],
    [10, 8],
    [0, 10],
    [20, 10],
  ],
  measurements: [
    { name: 'area', value: 62.83, unit: 'mm2' },
    { name: 'mean', value: 40, unit: 'HU' },
  ],
};
const angle: SrAnnotation = {
  ...image,
  id: 'A-3',
  tool: 'angle',
  label: '',
  points: [
    [1, 0],
    [0, 0],
    [0, 1],
  ],
  measurements: [{ name: 'angle', value: 90, unit: 'deg' }],
};

const items = (ds: DicomJsonDataset | undefined): DicomJsonDataset[] =>
  (ds?.['0040A730']?.Value ?? []) as DicomJsonDataset[];
const meaning = (ds: DicomJsonDataset): string =>
  String(((ds['0040A043']?.Value?.[0] as DicomJsonDataset)?.['00080104']?.Value ?? [''])[0]);

test('the TID 1500 tree: context, image library, one measurement group per mapped annotation', () => {
  const out = buildMeasurementReport({
    study: { '00100020': { vr: 'LO', Value: ['P1'] }, '00080050': { vr: 'SH', Value: ['ACC1'] } },
    studyUid: '2.25.1',
    seriesUid: '2.25.3',
    sopInstanceUid: '2.25.4',
    seriesNumber: 901,
    observerName: 'Quill^Ada',
    now: new Date('2026-03-10T14:05:06Z'),
    annotations: [length, ellipse, angle],
  });
  assert.deepEqual(out.exported, ['A-1', 'A-2']);
  assert.deepEqual(
    out.notMapped.map((n) => n.id),
    ['A-3'],
  );
  const ds = out.dataset as DicomJsonDataset;
  assert.equal(ds['00080016']!.Value![0], '1.2.840.10008.5.1.4.1.1.88.33');
  assert.equal(ds['00100020']!.Value![0], 'P1');
  assert.equal(ds['00080023']!.Value![0], '20260310');
  assert.equal(ds['00080033']!.Value![0], '140506');
  const template = (ds['0040A504']!.Value![0] as DicomJsonDataset)['0040DB00']!.Value![0];
  assert.equal(template, '1500');
  const root = items(ds);
  assert.deepEqual(root.map(meaning), [
    'Language of Content Item and Descendants',
    'Observer Type',
    'Person Observer Name',
    'Procedure reported',
    'Image Library',
    'Imaging Measurements',
  ]);
  // The image is listed once in the library although two annotations refer to it.
  const group = items(items(root[4])[0]);
  assert.equal(group.length, 1);
  const groups = items(root[5]);
  assert.equal(groups.length, 2);
  // Length: NUM inferred from a POLYLINE in the image's own coordinates.
  const num = items(groups[0]).find((i) => i['0040A040']!.Value![0] === 'NUM')!;
  assert.equal(meaning(num), 'Length');
  const scoord = items(num)[0]!;
  assert.equal(scoord['0040A010']!.Value![0], 'INFERRED FROM');
  assert.deepEqual(scoord['00700022']!.Value, [0, 0, 10, 0]);
  // Ellipse: the longer axis first; the mean in Hounsfield units.
  const region = items(groups[1]).find((i) => i['0040A040']!.Value![0] === 'SCOORD')!;
  assert.equal(region['00700023']!.Value![0], 'ELLIPSE');
  assert.deepEqual(region['00700022']!.Value, [0, 10, 20, 10, 10, 12, 10, 8]);
  const mean = items(groups[1]).find((i) => meaning(i) === 'Mean')!;
  const mv = mean['0040A300']!.Value![0] as DicomJsonDataset;
  assert.equal((mv['004008EA']!.Value![0] as DicomJsonDataset)['00080100']!.Value![0], "[hnsf'U]");
  // The evidence names the referenced image once.
  const evidence = ds['0040A375']!.Value![0] as DicomJsonDataset;
  assert.equal((evidence['00081115']!.Value as DicomJsonDataset[]).length, 1);
});

test('tools without a TID 1500 mapping say why', () => {
  assert.match(notMappedReason(angle) ?? '', /angle/);
  assert.equal(notMappedReason(length), undefined);
  assert.match(notMappedReason({ tool: 'arrow', measurements: [] }) ?? '', /no TID 1500 mapping/);
});
