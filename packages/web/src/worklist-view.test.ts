/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { caseSummary } from './case-fixtures.ts';
import {
  activeFilterCount,
  compareCases,
  emptyFilters,
  formatSort,
  matchesView,
  parseSort,
  parseView,
  SortColumn,
  serverSort,
  toggleSort,
  viewToApiParams,
  viewToUrlParams,
  type WorklistView,
} from './worklist-view.ts';

test('a view survives the URL round trip, except the free-text search', () => {
  const view: WorklistView = {
    filters: {
      ...emptyFilters,
      states: ['ready', 'in-read'],
      priorities: ['stat'],
      modalities: ['CT', 'MR'],
      sites: ['north'],
      sla: ['breached', 'at-risk'],
      mine: true,
      text: 'Doe',
    },
    sort: [
      { column: SortColumn.Priority, direction: 'asc' },
      { column: SortColumn.SlaDueAt, direction: 'desc' },
    ],
  };
  const params = viewToUrlParams(view);
  assert.equal(
    params.toString(),
    'state=ready%2Cin-read&priority=stat&modality=CT%2CMR&site=north&sla=breached%2Cat-risk&mine=true&sort=priority%2C-slaDueAt',
  );
  assert.equal(params.has('q'), false, 'patient names stay out of the URL');
  assert.deepEqual(parseView(params), { ...view, filters: { ...view.filters, text: '' } });
});

test('the plain worklist has a plain URL', () => {
  assert.equal(viewToUrlParams({ filters: emptyFilters, sort: [] }).toString(), '');
});

test('parseSort drops unknown and repeated columns', () => {
  assert.deepEqual(parseSort('-priority,bogus,priority,,availableAt'), [
    { column: 'priority', direction: 'desc' },
    { column: 'availableAt', direction: 'asc' },
  ]);
  assert.deepEqual(parseSort(null), []);
});

test('the API gets the text search and only the columns the server sorts by', () => {
  const view: WorklistView = {
    filters: { ...emptyFilters, text: '  doe ', exceptions: ['unroutable'] },
    sort: [
      { column: SortColumn.Pathway, direction: 'asc' },
      { column: SortColumn.AvailableAt, direction: 'desc' },
    ],
  };
  const params = viewToApiParams(view, 200);
  assert.equal(params.get('q'), 'doe');
  assert.equal(params.get('sort'), '-availableAt');
  assert.equal(params.get('exception'), 'unroutable');
  assert.equal(params.get('limit'), '200');
  assert.equal(serverSort([{ column: SortColumn.Pathway, direction: 'asc' }]), '');
});

test('a plain click sorts by one column and a second click reverses it', () => {
  const byState = toggleSort([], SortColumn.State, false);
  assert.deepEqual(byState, [{ column: 'state', direction: 'asc' }]);
  assert.deepEqual(toggleSort(byState, SortColumn.State, false), [{ column: 'state', direction: 'desc' }]);
  assert.deepEqual(toggleSort(byState, SortColumn.Site, false), [{ column: 'site', direction: 'asc' }]);
});

test('a plain click on the default sort first column reverses it', () => {
  assert.deepEqual(toggleSort([], SortColumn.Priority, false), [{ column: 'priority', direction: 'desc' }]);
});

test('shift-click adds a column to the sort, and reverses one already in it', () => {
  const two = toggleSort([{ column: 'priority', direction: 'asc' }], SortColumn.AvailableAt, true);
  assert.equal(formatSort(two), 'priority,availableAt');
  assert.equal(formatSort(toggleSort(two, SortColumn.Priority, true)), '-priority,availableAt');
  assert.equal(formatSort(toggleSort([], SortColumn.Site, true)), 'priority,slaDueAt,availableAt,site');
});

test('matchesView applies the server default of live work only', () => {
  assert.equal(matchesView(caseSummary({ state: 'ready' }), emptyFilters, null), true);
  assert.equal(matchesView(caseSummary({ state: 'final' }), emptyFilters, null), false);
  assert.equal(matchesView(caseSummary({ state: 'exception' }), emptyFilters, null), false);
  const exceptionView = { ...emptyFilters, exceptions: ['unroutable'] };
  const unroutable = caseSummary({ state: 'exception', exception: { queue: 'unroutable', reason: 'x' } });
  assert.equal(matchesView(unroutable, exceptionView, null), true);
  assert.equal(
    matchesView({ ...unroutable, exception: { queue: 'unreadable', reason: 'x' } }, exceptionView, null),
    false,
  );
});

test('matchesView narrows by each filter', () => {
  const c = caseSummary({ priority: 'stat', modalities: ['CT', 'SR'], ownerId: 'r-1', state: 'in-read' });
  assert.equal(matchesView(c, { ...emptyFilters, priorities: ['urgent'] }, null), false);
  assert.equal(matchesView(c, { ...emptyFilters, modalities: ['ct'] }, null), true);
  assert.equal(matchesView(c, { ...emptyFilters, modalities: ['MR'] }, null), false);
  assert.equal(matchesView(c, { ...emptyFilters, sites: ['south'] }, null), false);
  assert.equal(matchesView(c, { ...emptyFilters, sla: ['breached'] }, null), false);
  assert.equal(matchesView(c, { ...emptyFilters, mine: true }, 'r-1'), true);
  assert.equal(matchesView(c, { ...emptyFilters, mine: true }, 'r-2'), false);
  assert.equal(matchesView(c, { ...emptyFilters, mine: true }, null), false);
  assert.equal(matchesView(c, { ...emptyFilters, text: 'jane' }, null), true);
  assert.equal(matchesView(c, { ...emptyFilters, text: 'nv0001' }, null), true);
  assert.equal(matchesView(c, { ...emptyFilters, text: 'smith' }, null), false);
});

test('compareCases sorts like the server: nulls last either way, then the id', () => {
  const a = caseSummary({ id: 'a', priority: 'routine', slaDueAt: '2024-07-01T11:00:00.000Z' });
  const b = caseSummary({ id: 'b', priority: 'stat', slaDueAt: null });
  const c = caseSummary({ id: 'c', priority: 'stat', slaDueAt: '2024-07-01T10:30:00.000Z' });
  const d = caseSummary({ id: 'd', priority: 'stat', slaDueAt: '2024-07-01T10:30:00.000Z' });
  const ids = (sort: Parameters<typeof compareCases>[0]) =>
    [a, b, c, d]
      .sort(compareCases(sort))
      .map((x) => x.id)
      .join('');
  assert.equal(ids([]), 'cdba', 'default: most urgent, then nearest deadline');
  assert.equal(ids([{ column: 'slaDueAt', direction: 'desc' }]), 'acdb', 'no deadline stays last');
  assert.equal(ids([{ column: 'priority', direction: 'desc' }]), 'abcd');
});

test('activeFilterCount counts filters, not values', () => {
  assert.equal(activeFilterCount(emptyFilters), 0);
  assert.equal(
    activeFilterCount({ ...emptyFilters, states: ['ready', 'assigned'], mine: true, text: ' ' }),
    2,
  );
});
