import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CT_PRESETS, headerPresets, presetsFor, voiRangeOf, windowOf } from './window-presets.ts';

test('a window becomes a VOI range and back', () => {
  assert.deepEqual(voiRangeOf(40, 80), { lower: 0, upper: 80 });
  assert.deepEqual(voiRangeOf(-600, 1500), { lower: -1350, upper: 150 });
  assert.deepEqual(windowOf({ lower: 0, upper: 80 }), { center: 40, width: 80 });
});

test('CT gets the seven reading-room presets, keyed 1 to 7', () => {
  const ids = presetsFor('CT', []).map((p) => `${p.key}:${p.id}`);
  assert.deepEqual(ids, [
    '1:brain',
    '2:subdural',
    '3:lung',
    '4:mediastinum',
    '5:bone',
    '6:abdomen',
    '7:liver',
  ]);
  assert.equal(CT_PRESETS.find((p) => p.id === 'lung')!.center, -600);
});

test("MR and CR use the header's windows, named by their explanations", () => {
  const header = headerPresets(['300', '600'], ['700', '1200'], ['T2', 'WIDE']);
  assert.deepEqual(
    presetsFor('MR', header).map((p) => [p.label, p.center, p.width]),
    [
      ['T2', 300, 700],
      ['WIDE', 600, 1200],
    ],
  );
  assert.deepEqual(
    headerPresets(2048, 4096).map((p) => p.label),
    ['Header'],
  );
  assert.deepEqual(headerPresets(undefined, undefined), []);
  // A zero width is no window.
  assert.deepEqual(
    headerPresets('40\\50', '0\\100').map((p) => p.center),
    [50],
  );
});
