import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DiscrepancyState, stepDiscrepancy } from './discrepancy.ts';
import { isDiscrepancy, scoreCode, validateScore } from './radpeer.ts';
import { summariseBy, summariseScores } from './summary.ts';

test('score 1 takes no significance; 2 to 4 need a or b and a comment', () => {
  assert.deepEqual(validateScore({ score: 1 }), {
    ok: true,
    value: { score: 1, significance: null, comment: null },
  });
  assert.equal(validateScore({ score: 1, significance: 'a' }).ok, false);
  assert.equal(validateScore({ score: 3, comment: 'missed nodule' }).ok, false);
  assert.equal(validateScore({ score: 3, significance: 'c', comment: 'missed nodule' }).ok, false);
  assert.equal(validateScore({ score: 3, significance: 'b' }).ok, false);
  assert.deepEqual(validateScore({ score: 3, significance: 'b', comment: ' missed nodule ' }), {
    ok: true,
    value: { score: 3, significance: 'b', comment: 'missed nodule' },
  });
  for (const bad of [0, 5, 2.5, Number.NaN]) {
    const v = validateScore({ score: bad, significance: 'a', comment: 'x' });
    assert.equal(v.ok, false);
    assert.match(!v.ok ? v.message : '', /score must be 1, 2, 3 or 4/);
  }
  assert.equal(validateScore({ score: 2, significance: 'a', comment: 'x'.repeat(4001) }).ok, false);
});

test('scores of 2 or more, or marked b, are discrepancies', () => {
  assert.equal(isDiscrepancy(1, null), false);
  assert.equal(isDiscrepancy(2, 'a'), true);
  assert.equal(isDiscrepancy(4, 'b'), true);
  assert.equal(isDiscrepancy(1, 'b'), true);
  assert.equal(scoreCode(3, 'b'), '3b');
  assert.equal(scoreCode(1, null), '1');
});

test('the discrepancy workflow: answer once, then close or escalate; closed is final', () => {
  const respond = { type: 'respond', response: 'agree', comment: null } as const;
  assert.deepEqual(stepDiscrepancy(DiscrepancyState.AwaitingResponse, respond), {
    ok: true,
    state: DiscrepancyState.Responded,
  });
  assert.equal(stepDiscrepancy(DiscrepancyState.Responded, respond).ok, false);
  assert.equal(
    stepDiscrepancy(DiscrepancyState.AwaitingResponse, {
      type: 'respond',
      response: 'disagree',
      comment: ' ',
    }).ok,
    false,
  );
  assert.deepEqual(stepDiscrepancy(DiscrepancyState.Responded, { type: 'escalate', note: null }), {
    ok: true,
    state: DiscrepancyState.Escalated,
  });
  assert.equal(stepDiscrepancy(DiscrepancyState.Escalated, { type: 'escalate', note: null }).ok, false);
  assert.deepEqual(stepDiscrepancy(DiscrepancyState.Escalated, { type: 'close', note: 'committee agreed' }), {
    ok: true,
    state: DiscrepancyState.Closed,
  });
  assert.equal(stepDiscrepancy(DiscrepancyState.Closed, { type: 'close', note: null }).ok, false);
  assert.equal(stepDiscrepancy(DiscrepancyState.Closed, respond).ok, false);
});

test('summaries count by score and compute the discrepancy rate over scored reviews only', () => {
  const rows = [
    { score: 1, significance: null, reader: 'r-a', modalities: ['CT'] },
    { score: 1, significance: null, reader: 'r-a', modalities: ['CT', 'MR'] },
    { score: 3, significance: 'b', reader: 'r-a', modalities: ['MR'] },
    { score: 2, significance: 'a', reader: 'r-b', modalities: ['CT'] },
    { score: null, significance: null, reader: 'r-b', modalities: ['CT'] },
  ];
  const all = summariseScores(rows);
  assert.equal(all.scored, 4);
  assert.equal(all.discrepancies, 2);
  assert.equal(all.discrepancyRate, 0.5);
  assert.equal(all.significant, 1);
  assert.equal(all.byScore['1'], 2);
  assert.equal(all.byScore['3b'], 1);
  assert.equal(all.byScore['4a'], 0);
  const byReader = summariseBy(rows, (r) => [r.reader]);
  assert.deepEqual(
    byReader.map((g) => [g.key, g.summary.scored, g.summary.discrepancies]),
    [
      ['r-a', 3, 1],
      ['r-b', 1, 1],
    ],
  );
  const byModality = summariseBy(rows, (r) => r.modalities);
  assert.deepEqual(
    byModality.map((g) => [g.key, g.summary.scored]),
    [
      ['CT', 3],
      ['MR', 2],
    ],
  );
  assert.equal(summariseScores([]).discrepancyRate, 0);
});
