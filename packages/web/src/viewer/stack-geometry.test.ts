import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildStack, type DicomJsonElement, mapSliceIndex, SyncMode, syncModeOf } from './stack-geometry.ts';

type Ds = Record<string, DicomJsonElement>;
const axial = [1, 0, 0, 0, 1, 0];

function slice(uid: string, z: number, n: number, forUid = '1.2.9', orientation = axial): Ds {
  return {
    '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
    '00080018': { vr: 'UI', Value: [uid] },
    '00200013': { vr: 'IS', Value: [n] },
    '00200032': { vr: 'DS', Value: [0, 0, z] },
    '00200037': { vr: 'DS', Value: orientation },
    '00200052': { vr: 'UI', Value: [forUid] },
    '00280010': { vr: 'US', Value: [64] },
    '7FE00010': { vr: 'OW', BulkDataURI: 'x' },
  };
}

test('a stack is ordered by position along its normal, in the direction instance numbers rise', () => {
  // Instance 2 is out of place by number (a re-sent slice): position decides, numbers only the direction.
  const g = buildStack([slice('a', 10, 1), slice('b', 0, 3), slice('c', 5, 2), slice('d', 7, 9)]);
  assert.deepEqual(
    g.slices.map((s) => s.sopInstanceUid),
    ['a', 'd', 'c', 'b'],
  );
  const up = buildStack([slice('x', 10, 3), slice('y', 0, 1), slice('z', 5, 2)]);
  assert.deepEqual(
    up.slices.map((s) => s.sopInstanceUid),
    ['y', 'z', 'x'],
  );
  assert.deepEqual(g.normal, [0, 0, 1]);
  assert.equal(g.frameOfReferenceUid, '1.2.9');
});

test('without positions, instance number orders; frames of a multi-frame instance are slices; SR is left out', () => {
  const cine: Ds = {
    '00080018': { vr: 'UI', Value: ['us'] },
    '00200013': { vr: 'IS', Value: [2] },
    '00280008': { vr: 'IS', Value: ['3'] },
    '00280010': { vr: 'US', Value: [64] },
  };
  const single: Ds = {
    '00080018': { vr: 'UI', Value: ['one'] },
    '00200013': { vr: 'IS', Value: [1] },
    '00280010': { vr: 'US', Value: [8] },
  };
  const sr: Ds = {
    '00080018': { vr: 'UI', Value: ['sr'] },
    '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.88.33'] },
  };
  const g = buildStack([cine, sr, single]);
  assert.deepEqual(
    g.slices.map((s) => `${s.sopInstanceUid}#${s.frameNumber}`),
    ['one#1', 'us#1', 'us#2', 'us#3'],
  );
  assert.equal(g.normal, null);
});

test('two axial stacks in one frame of reference scroll by position', () => {
  const current = buildStack([0, 5, 10, 15, 20].map((z, i) => slice(`c${i}`, z, i + 1)));
  // The prior has thinner slices over the same range.
  const prior = buildStack([0, 2.5, 5, 7.5, 10, 12.5, 15, 17.5, 20].map((z, i) => slice(`p${i}`, z, i + 1)));
  assert.equal(syncModeOf(current, prior), SyncMode.Position);
  assert.equal(mapSliceIndex(SyncMode.Position, current, prior, 2), 4); // z=10
  assert.equal(mapSliceIndex(SyncMode.Position, prior, current, 3), 1); // z=7.5 -> nearest is 5 (first of ties)
});

test('a prior in another frame of reference scrolls by position when the ranges overlap, else by index', () => {
  const current = buildStack([0, 10, 20, 30].map((z, i) => slice(`c${i}`, z, i + 1, '1.1')));
  const near = buildStack([5, 15, 25, 35].map((z, i) => slice(`n${i}`, z, i + 1, '2.2')));
  const far = buildStack([500, 510, 520].map((z, i) => slice(`f${i}`, z, i + 1, '3.3')));
  assert.equal(syncModeOf(current, near), SyncMode.Position);
  assert.equal(syncModeOf(current, far), SyncMode.Index);
  // By index: first to first, last to last, proportionally between.
  assert.equal(mapSliceIndex(SyncMode.Index, current, far, 0), 0);
  assert.equal(mapSliceIndex(SyncMode.Index, current, far, 3), 2);
  assert.equal(mapSliceIndex(SyncMode.Index, current, far, 2), 1);
});

test('a sagittal stack never syncs by position with an axial one', () => {
  const ax = buildStack([0, 10].map((z, i) => slice(`a${i}`, z, i + 1)));
  const sag = buildStack([0, 10].map((z, i) => slice(`s${i}`, z, i + 1, '1.2.9', [0, 1, 0, 0, 0, -1])));
  assert.equal(syncModeOf(ax, sag), SyncMode.Index);
});
