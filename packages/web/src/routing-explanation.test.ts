/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainDecision } from './routing-explanation.ts';
import type { RoutingDecision } from './worklist-model.ts';

const decision: RoutingDecision = {
  caseId: 'C-1',
  at: Date.UTC(2024, 6, 1, 10, 3),
  outcome: 'assigned',
  ruleId: 'neuro',
  priority: 'stat',
  slaClass: 'stat',
  eligibleReaderIds: ['r-1', 'r-3'],
  assigneeId: 'r-3',
  rules: [
    { ruleId: 'mammo', name: 'Mammography', matched: false, why: ['modality CT not in [MG]'] },
    { ruleId: 'neuro', name: 'Neuro CT', matched: true, why: ['modality CT in [CT]'], eligibleCount: 2 },
    { ruleId: 'overflow', name: 'Overflow', matched: true, why: ['always'] },
  ],
  candidates: [
    { readerId: 'r-1', eligible: true, loadRatio: 0.2 },
    { readerId: 'r-2', eligible: false, excludedAt: 'credentials', reason: 'no licence for US-NY' },
    { readerId: 'r-3', eligible: true, loadRatio: 0.5 },
    { readerId: 'r-4', eligible: false, excludedAt: 'shift', reason: 'off shift until 18:00' },
    { readerId: 'r-5', eligible: false, excludedAt: 'capacity', reason: '4 of 4 cases' },
    { readerId: 'r-6', eligible: false, excludedAt: 'shift', reason: 'not rostered today' },
  ],
  summary: 'Assigned to r-3 by rule Neuro CT (preferred reader).',
};

const nameOf = (id: string) => `Reader ${id.slice(2)}`;

test('the deciding rule is marked and later rules are shown as not mattering', () => {
  const e = explainDecision(decision, nameOf);
  assert.deepEqual(
    e.rules.map((r) => [r.ruleId, r.matched, r.deciding, r.afterDecision]),
    [
      ['mammo', false, false, false],
      ['neuro', true, true, false],
      ['overflow', true, false, true],
    ],
  );
  assert.equal(e.matchedCount, 2);
  assert.equal(e.outcomeLabel, 'Assigned to a reader');
  assert.equal(e.summary, decision.summary);
});

test('the chosen reader comes first, then the least loaded', () => {
  const e = explainDecision(decision, nameOf);
  assert.deepEqual(
    e.eligible.map((c) => [c.readerId, c.chosen, c.name]),
    [
      ['r-3', true, 'Reader 3'],
      ['r-1', false, 'Reader 1'],
    ],
  );
});

test('excluded readers are grouped by the stage they dropped out at, in evaluation order', () => {
  const e = explainDecision(decision, nameOf);
  assert.deepEqual(
    e.excluded.map((g) => [g.stage, g.readers.map((r) => r.readerId)]),
    [
      ['shift', ['r-4', 'r-6']],
      ['credentials', ['r-2']],
      ['capacity', ['r-5']],
    ],
  );
  assert.equal(e.excluded[1]?.readers[0]?.reason, 'no licence for US-NY');
  assert.equal(e.excluded[0]?.label, 'Not on a covering shift');
});

test('an unroutable decision has no deciding rule and no one eligible', () => {
  const e = explainDecision(
    {
      ...decision,
      outcome: 'unroutable',
      ruleId: undefined,
      assigneeId: undefined,
      eligibleReaderIds: [],
      // A stage a newer server may add: shown as it comes.
      candidates: [{ readerId: 'r-1', eligible: false, excludedAt: 'mystery' as never, reason: '?' }],
    },
    nameOf,
  );
  assert.equal(
    e.rules.some((r) => r.deciding || r.afterDecision),
    false,
  );
  assert.deepEqual(e.eligible, []);
  assert.equal(e.excluded[0]?.label, 'mystery');
  assert.equal(e.outcomeLabel, 'Unroutable: no eligible reader');
});
