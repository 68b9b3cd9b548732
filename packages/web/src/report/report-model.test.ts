import assert from 'node:assert/strict';
import { test } from 'node:test';
import { insertableMeasurements, saveStateText, signKinds } from './report-model.ts';

test('the signatures offered follow the report status', () => {
  assert.deepEqual(signKinds('none'), ['final', 'preliminary']);
  assert.deepEqual(signKinds('preliminary'), ['final']);
  assert.deepEqual(signKinds('final'), ['addendum']);
  assert.deepEqual(signKinds('addended'), ['addendum']);
});

test('viewer measurements become report lines with where they were taken', () => {
  const out = insertableMeasurements([
    {
      id: 'A1',
      label: 'Right lower lobe nodule',
      where: 'series 3, image 41',
      measurements: [{ name: 'length', value: 12.34, unit: 'mm', text: '12.3 mm' }],
    },
    {
      id: 'A2',
      label: '',
      where: '',
      measurements: [
        { name: 'angle', value: 31, unit: 'deg' },
        { name: 'x', value: Number.NaN, unit: '' },
      ],
    },
  ]);
  assert.deepEqual(
    out.map((m) => m.text),
    ['Right lower lobe nodule: 12.3 mm (series 3, image 41)', 'Angle: 31 deg'],
  );
  assert.deepEqual(out[0]!.measurement, {
    label: 'Right lower lobe nodule',
    value: 12.34,
    unit: 'mm',
    where: 'series 3, image 41',
  });
});

test('the autosave indicator says who saved a conflicting version', () => {
  assert.equal(
    saveStateText({ kind: 'conflict', savedBy: 'Dr Ada Quill', savedAt: '2026-03-10T14:05:00.000Z' }),
    'Not saved: Dr Ada Quill saved a newer version at 14:05 UTC',
  );
  assert.equal(saveStateText({ kind: 'saving' }), 'Saving…');
});
