import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  conferToolOf,
  samePoints,
  statisticsDiffer,
  toNewAnnotation,
  toWorldPoints,
} from './annotation-bridge.ts';

const image = { studyUid: '1.2', seriesUid: '1.2.3', sopInstanceUid: '1.2.3.4', frameNumber: 1 };
// A plane at z=7 with 0.5 mm pixels: world = (x*0.5, y*0.5, 7).
const worldToImage = (p: [number, number, number]): [number, number] => [p[0] / 0.5, p[1] / 0.5];
const imageToWorld = ([x, y]: [number, number]): [number, number, number] => [x * 0.5, y * 0.5, 7];

test('a drawn length becomes image coordinates for the server', () => {
  const out = toNewAnnotation(
    {
      metadata: { toolName: 'Length' },
      data: {
        label: 'Aorta',
        handles: {
          points: [
            [1, 2, 7],
            [11.333, 2, 7],
          ],
        },
      },
    },
    image,
    worldToImage,
  );
  assert.deepEqual(out, {
    ...image,
    tool: 'length',
    label: 'Aorta',
    points: [
      [2, 4],
      [22.67, 4],
    ],
  });
});

test("a region carries Cornerstone's pixel statistics, HU kept as the unit", () => {
  const out = toNewAnnotation(
    {
      metadata: { toolName: 'EllipticalROI' },
      data: {
        handles: {
          points: [
            [0, 1, 7],
            [0, -1, 7],
            [-1, 0, 7],
            [1, 0, 7],
          ],
        },
        cachedStats: {
          'imageId:x': { area: 3.14, mean: 42.5, stdDev: 3, max: 50, min: 30, modalityUnit: 'HU' },
        },
      },
    },
    image,
    worldToImage,
  );
  assert.equal(out?.tool, 'ellipse');
  assert.deepEqual(out?.statistics, { mean: 42.5, stdDev: 3, min: 30, max: 50, unit: 'HU' });
});

test("the statistics of the image drawn on win over another target's", () => {
  const out = toNewAnnotation(
    {
      metadata: { toolName: 'RectangleROI', referencedImageId: 'wadors:x/frames/1' },
      data: {
        handles: {
          points: [
            [0, 0, 7],
            [1, 0, 7],
            [0, 1, 7],
            [1, 1, 7],
          ],
        },
        cachedStats: { 'volumeId:v': { mean: 1 }, 'imageId:wadors:x/frames/1': { mean: 2 } },
      },
    },
    image,
    worldToImage,
  );
  assert.equal(out?.statistics?.mean, 2);
});

test('tools Confer does not save are left alone; saved points go back to world space', () => {
  assert.equal(
    toNewAnnotation(
      { metadata: { toolName: 'Probe' }, data: { handles: { points: [] } } },
      image,
      worldToImage,
    ),
    undefined,
  );
  assert.equal(conferToolOf('RectangleROI'), 'rectangle');
  assert.deepEqual(toWorldPoints([[2, 4]], imageToWorld), [[1, 2, 7]]);
  assert.ok(samePoints([[1, 2]], [[1.001, 2]]));
  assert.ok(!samePoints([[1, 2]], [[1.1, 2]]));
});

test('statistics differ only beyond the hundredth the server keeps', () => {
  const saved = [
    { name: 'area', value: 100 },
    { name: 'mean', value: 18.62 },
  ];
  assert.equal(statisticsDiffer(saved, { mean: 18.6212 }), false);
  assert.equal(statisticsDiffer(saved, { mean: 20.1 }), true);
  assert.equal(statisticsDiffer(saved, { stdDev: 3 }), true, 'a value not saved yet');
  assert.equal(statisticsDiffer(saved, undefined), false);
});
