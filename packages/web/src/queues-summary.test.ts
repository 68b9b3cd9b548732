/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readerLoads, siteCounts, slaCounts, stateByPriority } from './queues-summary.ts';

test('stateByPriority pivots counts into live states by priority with totals', () => {
  const pivot = stateByPriority([
    { state: 'in-read', priority: 'routine', count: 2 },
    { state: 'ready', priority: 'stat', count: 1 },
    { state: 'ready', priority: 'routine', count: 4 },
    { state: 'exception', priority: 'urgent', count: 1 },
  ]);
  assert.deepEqual(pivot.priorityColumns, ['stat', 'urgent', 'routine']);
  assert.deepEqual(
    pivot.rows.map((r) => [r.state, r.counts.stat, r.counts.urgent, r.counts.routine, r.total]),
    [
      ['ready', 1, 0, 4, 5],
      ['in-read', 0, 0, 2, 2],
      ['exception', 0, 1, 0, 1],
    ],
  );
  assert.deepEqual(pivot.totals, { stat: 1, urgent: 1, routine: 6 });
  assert.equal(pivot.total, 8);
});

test('siteCounts lists the busiest site first', () => {
  const { rows, stateColumns } = siteCounts([
    { siteId: 'north', state: 'ready', count: 1 },
    { siteId: 'south', state: 'ready', count: 2 },
    { siteId: 'south', state: 'in-read', count: 1 },
    { siteId: null, state: 'exception', count: 1 },
  ]);
  assert.deepEqual(stateColumns, ['ready', 'in-read', 'exception']);
  assert.deepEqual(
    rows.map((r) => [r.siteId, r.total, r.counts.ready ?? 0]),
    [
      ['south', 3, 2],
      ['north', 1, 1],
      [null, 1, 0],
    ],
  );
});

test('readerLoads ranks readers by load against capacity', () => {
  const loads = readerLoads([
    { id: 'a', name: 'Ada', cases: 0, weight: 0, maxConcurrent: 4 },
    { id: 'b', name: 'Bea', cases: 4, weight: 4, maxConcurrent: 4 },
    { id: 'c', name: 'Cy', cases: 3, weight: 3, maxConcurrent: 4 },
    { id: 'd', name: 'Di', cases: 1, weight: 1, maxConcurrent: 4 },
  ]);
  assert.deepEqual(
    loads.map((l) => [l.id, l.tone]),
    [
      ['b', 'full'],
      ['c', 'high'],
      ['d', 'ok'],
      ['a', 'idle'],
    ],
  );
});

test('slaCounts fills in missing states', () => {
  assert.deepEqual(slaCounts({ breached: 2 }), { ok: 0, atRisk: 0, breached: 2 });
});
