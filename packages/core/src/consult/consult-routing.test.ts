import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRouting } from '../routing/compiled-routing.ts';
import type { Reader, RoutingCase, RoutingConfig, RoutingLoad } from '../routing/model.ts';
import { consultTargetProblem, routeConsult } from './consult-routing.ts';

/** Tuesday 2026-03-10, 14:00 in London. */
const NOW = Date.parse('2026-03-10T14:00:00Z');
const EVERY_DAY = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

function reader(id: string, extra: Partial<Reader> = {}): Reader {
  return {
    id,
    name: `Dr ${id}`,
    subspecialties: ['neuro'],
    modalities: ['CT', 'MR'],
    licences: [{ jurisdiction: 'GB-ENG', validFrom: '2020-01-01' }],
    privileges: [{ siteId: 'hub', validFrom: '2020-01-01' }],
    maxConcurrent: 3,
    ...extra,
  };
}

function config(): RoutingConfig {
  return {
    sites: [{ id: 'hub', name: 'Hub', timeZone: 'Europe/London', jurisdiction: 'GB-ENG', kind: 'hub' }],
    partners: [],
    readers: [
      reader('asker'),
      reader('busy'),
      reader('unlicensed', { licences: [{ jurisdiction: 'US-NY', validFrom: '2020-01-01' }] }),
      reader('no-privileges', { privileges: [] }),
      reader('off'),
      reader('free'),
      reader('second'),
    ],
    shifts: [
      {
        id: 'day',
        name: 'Day',
        timeZone: 'Europe/London',
        days: [...EVERY_DAY],
        start: '08:00',
        end: '18:00',
        covers: {},
      },
      {
        id: 'night',
        name: 'Night',
        timeZone: 'Europe/London',
        days: [...EVERY_DAY],
        start: '20:00',
        end: '08:00',
        covers: {},
      },
    ],
    rosters: [
      ...['asker', 'busy', 'unlicensed', 'no-privileges', 'free', 'second'].map((r) => ({
        readerId: r,
        shiftId: 'day',
        from: '2026-01-01',
      })),
      { readerId: 'off', shiftId: 'night', from: '2026-01-01' },
    ],
    pools: [
      {
        id: 'neuro',
        name: 'Neuroradiology',
        readerIds: ['asker', 'busy', 'unlicensed', 'no-privileges', 'off', 'free', 'second'],
      },
    ],
    rules: [],
    sla: { classes: [], byPriority: { stat: 'x', urgent: 'x', routine: 'x' } },
  };
}

const theCase: RoutingCase = {
  id: 'C-1',
  siteId: 'hub',
  modalities: ['CT'],
  bodyParts: ['HEAD'],
  priority: 'routine',
  aiFlags: [],
  availableAt: NOW - 3_600_000,
};
const load: RoutingLoad = {
  readers: { busy: { cases: 3, weight: 3 }, second: { cases: 1, weight: 1 } },
  siteQueueDepth: {},
  lastChosenByRule: {},
};

test('a pool consult runs the same stages as a case and goes to the least loaded eligible member, with reasons', () => {
  const compiled = compileRouting(config());
  const d = routeConsult({
    compiled,
    case: theCase,
    target: { kind: 'pool', poolId: 'neuro' },
    urgency: 'urgent',
    exclude: [{ readerId: 'asker', why: 'asked for this consult' }],
    load,
    now: NOW,
  });
  assert.equal(d.outcome, 'assigned');
  assert.equal(d.assigneeId, 'free');
  assert.equal(d.priority, 'urgent', 'the consult urgency, not the case priority');
  assert.deepEqual(d.eligibleReaderIds.sort(), ['free', 'second']);
  const why = Object.fromEntries(d.candidates.map((c) => [c.readerId, c.excludedAt ?? 'eligible']));
  assert.deepEqual(why, {
    busy: 'capacity',
    'no-privileges': 'credentials',
    off: 'shift',
    unlicensed: 'credentials',
    free: 'eligible',
    second: 'eligible',
  });
  assert.match(d.summary, /Assigned to Dr free by rule "Consult: pool Neuroradiology" \(balanced/);
  assert.ok(d.rules[0]!.why.some((w) => w === 'left out: Dr asker (asked for this consult)'));
});

test('a named reader must be eligible too; one who is not gets an unroutable decision that says why', () => {
  const compiled = compileRouting(config());
  const ok = routeConsult({
    compiled,
    case: theCase,
    target: { kind: 'reader', readerId: 'second' },
    urgency: 'routine',
    exclude: [],
    load,
    now: NOW,
  });
  assert.equal(ok.assigneeId, 'second');
  const off = routeConsult({
    compiled,
    case: theCase,
    target: { kind: 'reader', readerId: 'off' },
    urgency: 'routine',
    exclude: [],
    load,
    now: NOW,
  });
  assert.equal(off.outcome, 'unroutable');
  assert.match(off.candidates[0]!.reason!, /off shift/);
  const declined = routeConsult({
    compiled,
    case: theCase,
    target: { kind: 'reader', readerId: 'second' },
    urgency: 'routine',
    exclude: [{ readerId: 'second', why: 'declined this consult' }],
    load,
    now: NOW,
  });
  assert.equal(declined.outcome, 'unroutable');
  assert.match(declined.summary, /declined this consult/);
});

test('targets are checked before routing: unknown pool or reader, or oneself', () => {
  const compiled = compileRouting(config());
  assert.match(
    consultTargetProblem(compiled, { kind: 'pool', poolId: 'msk' }, null)!,
    /no pool "msk"; pools are neuro/,
  );
  assert.match(consultTargetProblem(compiled, { kind: 'reader', readerId: 'r-x' }, null)!, /no reader "r-x"/);
  assert.match(consultTargetProblem(compiled, { kind: 'reader', readerId: 'asker' }, 'asker')!, /yourself/);
  assert.equal(consultTargetProblem(compiled, { kind: 'pool', poolId: 'neuro' }, 'asker'), undefined);
});
