/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { caseSummary } from './case-fixtures.ts';
import { diffRows, initialRows, type WorklistRowsAction, worklistRowsReducer } from './worklist-rows.ts';
import { emptyFilters } from './worklist-view.ts';

const view = { filters: emptyFilters, you: 'r-1' };
const run = (...actions: WorklistRowsAction[]) => actions.reduce(worklistRowsReducer, initialRows);
const ids = (state: ReturnType<typeof run>) => [...state.byId.keys()].sort();

test('a streamed case is added, updated and removed', () => {
  const a = caseSummary({ id: 'a' });
  let state = run({ type: 'loaded', cases: [], more: false, ...view });
  state = worklistRowsReducer(state, { type: 'case', summary: a, ...view });
  assert.deepEqual(ids(state), ['a']);
  state = worklistRowsReducer(state, {
    type: 'case',
    summary: { ...a, version: 4, state: 'in-read' },
    ...view,
  });
  assert.equal(state.byId.get('a')?.state, 'in-read');
  state = worklistRowsReducer(state, { type: 'removed', id: 'a' });
  assert.deepEqual(ids(state), []);
});

test('a streamed case that no longer matches the view leaves it', () => {
  const a = caseSummary({ id: 'a' });
  const filters = { ...emptyFilters, states: ['ready'] };
  let state = run({ type: 'loaded', cases: [a], more: false, filters, you: null });
  state = worklistRowsReducer(state, {
    type: 'case',
    summary: { ...a, state: 'in-read', ownerId: 'r-2', version: 4 },
    filters,
    you: null,
  });
  assert.deepEqual(ids(state), []);
});

test('an older version never overwrites a newer row; an equal one does (SLA state changes)', () => {
  const a = caseSummary({ id: 'a', version: 5 });
  let state = run({ type: 'loaded', cases: [a], more: false, ...view });
  state = worklistRowsReducer(state, {
    type: 'case',
    summary: { ...a, version: 4, state: 'assigned' },
    ...view,
  });
  assert.equal(state.byId.get('a')?.state, 'ready');
  state = worklistRowsReducer(state, { type: 'case', summary: { ...a, slaState: 'breached' }, ...view });
  assert.equal(state.byId.get('a')?.slaState, 'breached');
});

test('events during a load are replayed over its answer', () => {
  const a = caseSummary({ id: 'a', version: 3 });
  const b = caseSummary({ id: 'b', version: 3 });
  const c = caseSummary({ id: 'c', version: 1 });
  const state = run(
    { type: 'load-started' },
    { type: 'case', summary: { ...a, version: 4, state: 'in-read', ownerId: 'r-1' }, ...view },
    { type: 'removed', id: 'b' },
    { type: 'case', summary: c, ...view },
    // The answer was read before the events above happened.
    { type: 'loaded', cases: [a, b], more: true, ...view },
  );
  assert.deepEqual(ids(state), ['a', 'c']);
  assert.equal(state.byId.get('a')?.state, 'in-read');
  assert.equal(state.more, true);
  assert.equal(state.loaded, true);
});

test('a new load forgets the events of the previous one', () => {
  const a = caseSummary({ id: 'a' });
  const state = run(
    { type: 'removed', id: 'a' },
    { type: 'load-started' },
    { type: 'loaded', cases: [a], more: false, ...view },
  );
  assert.deepEqual(ids(state), ['a']);
});

test('diffRows lists added and removed cases', () => {
  const a = caseSummary({ id: 'a' });
  const b = caseSummary({ id: 'b' });
  const { added, removed } = diffRows(new Map([['a', a]]), new Map([['b', b]]));
  assert.deepEqual(
    added.map((c) => c.id),
    ['b'],
  );
  assert.deepEqual(removed, ['a']);
});
