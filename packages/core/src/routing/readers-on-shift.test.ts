import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compileRouting, onShiftAt } from './compiled-routing.ts';
import type { RoutingConfig, Shift } from './model.ts';
import { readersOnShiftAt } from './readers-on-shift.ts';

const EVERY_DAY: Shift['days'] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function shift(id: string, timeZone: string, start: string, end: string, days = EVERY_DAY): Shift {
  return { id, name: id, timeZone, days, start, end, covers: {} };
}

function readerIds(map: Map<string, Shift[]>): Record<string, string[]> {
  return Object.fromEntries(
    [...map].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, shifts]) => [id, shifts.map((s) => s.id)]),
  );
}

const config: RoutingConfig = {
  sites: [],
  partners: [],
  pools: [],
  rules: [],
  sla: { classes: [], byPriority: { stat: 'x', urgent: 'x', routine: 'x' } },
  readers: ['ann', 'bob', 'cat', 'dan', 'eve'].map((id) => ({
    id,
    name: id,
    subspecialties: [],
    modalities: ['CT'],
    licences: [],
    privileges: [],
    maxConcurrent: 2,
    active: id !== 'eve',
  })),
  shifts: [
    shift('chi-nights', 'America/Chicago', '22:00', '07:00'),
    shift('chi-days', 'America/Chicago', '07:00', '19:00'),
    shift('lon-evenings', 'Europe/London', '16:00', '23:00'),
    shift('syd-weekdays', 'Australia/Sydney', '08:00', '17:00', ['mon', 'tue', 'wed', 'thu', 'fri']),
  ],
  rosters: [
    // Ann works Monday night only; the instance runs into Tuesday morning.
    { readerId: 'ann', shiftId: 'chi-nights', from: '2026-06-08', to: '2026-06-08' },
    { readerId: 'bob', shiftId: 'chi-nights', from: '2026-06-09' },
    // Cat reads two shifts at once in the overlap.
    { readerId: 'cat', shiftId: 'chi-days', from: '2026-01-01', to: '2026-06-30' },
    { readerId: 'cat', shiftId: 'lon-evenings', from: '2026-01-01' },
    { readerId: 'dan', shiftId: 'syd-weekdays', from: '2026-06-01' },
    // Eve is inactive: rostered but out of routing.
    { readerId: 'eve', shiftId: 'chi-days', from: '2026-01-01' },
  ],
};

test('a night shift counts the roster of the day it started; inactive readers are left out', () => {
  // Tuesday 2026-06-09 03:00 in Chicago: Monday's night instance.
  assert.deepEqual(readerIds(readersOnShiftAt(config, Date.parse('2026-06-09T08:00:00Z'))), {
    ann: ['chi-nights'],
  });
  // Tuesday 23:00 in Chicago: Tuesday's night instance, Bob's from the 9th (and Wednesday 14:00 in Sydney).
  assert.deepEqual(readerIds(readersOnShiftAt(config, Date.parse('2026-06-10T04:00:00Z'))), {
    bob: ['chi-nights'],
    dan: ['syd-weekdays'],
  });
});

test('several shifts at once; to-dates are inclusive', () => {
  // 2026-06-30 11:00 in Chicago is 17:00 in London: Cat is on both; Eve (inactive) on neither.
  const both = readersOnShiftAt(config, Date.parse('2026-06-30T16:00:00Z'));
  assert.deepEqual(readerIds(both), { cat: ['chi-days', 'lon-evenings'] });
  // The next day her Chicago roster has ended.
  assert.deepEqual(readerIds(readersOnShiftAt(config, Date.parse('2026-07-01T16:00:00Z'))), {
    cat: ['lon-evenings'],
  });
});

test('weekdays in Sydney: Monday morning there is Sunday night in UTC', () => {
  const monday = readersOnShiftAt(config, Date.parse('2026-06-07T23:00:00Z'));
  assert.deepEqual(
    monday.get('dan')?.map((s) => s.id),
    ['syd-weekdays'],
  );
  // A day earlier it was 09:00 on Sunday in Sydney.
  assert.equal(readersOnShiftAt(config, Date.parse('2026-06-06T23:00:00Z')).has('dan'), false);
});

test('property: the compiled per-minute snapshot agrees with the plain calculation', () => {
  const compiled = compileRouting(config);
  fc.assert(
    fc.property(
      fc.integer({
        min: Date.parse('2026-01-01T00:00:00Z') / 60_000,
        max: Date.parse('2027-01-01T00:00:00Z') / 60_000,
      }),
      (minute) => {
        const at = minute * 60_000 + 30_000;
        const snapshot = onShiftAt(compiled, at);
        const fromSnapshot = new Map(
          [...snapshot.shiftsByReader].map(([id, on]) => [id, on.map((a) => a.shift.shift)]),
        );
        assert.deepEqual(readerIds(fromSnapshot), readerIds(readersOnShiftAt(config, at)));
      },
    ),
    { numRuns: 2000 },
  );
});
