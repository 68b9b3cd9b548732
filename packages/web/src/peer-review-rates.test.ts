import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ratesToText, textToRates } from './peer-review-rates.ts';

test('rates round-trip through "key = percent" lines', () => {
  const text = ratesToText({ MR: 0.1, CT: 0.075 });
  assert.equal(text, 'MR = 10\nCT = 7.5');
  assert.deepEqual(textToRates(`${text}\n\n  r-new = 25 %  `), {
    ok: true,
    rates: { MR: 0.1, CT: 0.075, 'r-new': 0.25 },
  });
});

test('a line that is not "key = percent" (or over 100) is named', () => {
  assert.deepEqual(textToRates('MR = ten'), { ok: false, line: 'MR = ten' });
  assert.deepEqual(textToRates('CT = 150'), { ok: false, line: 'CT = 150' });
});
