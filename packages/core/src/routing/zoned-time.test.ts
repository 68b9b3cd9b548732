import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MS_PER_MINUTE, parseCalendarDate } from './calendar-date.ts';
import { instantOfLocalTime, isValidTimeZone, wallClockAt, zoneOffsetMs } from './zoned-time.ts';

const ZONES = [
  'America/New_York',
  'America/Chicago',
  'Europe/London',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  'Pacific/Chatham',
  'America/Santiago',
  'UTC',
];

const day = (date: string) => parseCalendarDate(date)!;
const utc = (iso: string) => Date.parse(iso);

/** What Intl says, asked directly: the reference the cached spans must agree with. */
function intlWall(timeZone: string, at: number): { date: string; minuteOfDay: number } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(new Date(at));
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return {
    date: `${get('year')}-${get('month')}-${get('day')}`,
    minuteOfDay: Number(get('hour')) * 60 + Number(get('minute')),
  };
}

test('zone names: IANA zones pass, fixed offsets and nonsense do not', () => {
  assert.equal(isValidTimeZone('Europe/London'), true);
  assert.equal(isValidTimeZone('UTC'), true);
  assert.equal(isValidTimeZone('Mars/Olympus_Mons'), false);
  assert.equal(isValidTimeZone('+05:00'), false);
  assert.equal(isValidTimeZone(''), false);
});

test('offsets either side of New York, London and Sydney transitions', () => {
  assert.equal(zoneOffsetMs('America/New_York', utc('2026-03-08T06:59:59Z')), -5 * 3_600_000);
  assert.equal(zoneOffsetMs('America/New_York', utc('2026-03-08T07:00:00Z')), -4 * 3_600_000);
  assert.equal(zoneOffsetMs('Europe/London', utc('2026-10-25T00:59:59Z')), 3_600_000);
  assert.equal(zoneOffsetMs('Europe/London', utc('2026-10-25T01:00:00Z')), 0);
  assert.equal(zoneOffsetMs('Australia/Sydney', utc('2026-04-04T15:59:59Z')), 11 * 3_600_000);
  assert.equal(zoneOffsetMs('Australia/Sydney', utc('2026-04-04T16:00:00Z')), 10 * 3_600_000);
});

test('wall clock: the local date and weekday can differ from the UTC ones', () => {
  const w = wallClockAt('Australia/Sydney', utc('2026-06-07T22:00:00Z'));
  assert.deepEqual(w, {
    dayNumber: day('2026-06-08'),
    date: '2026-06-08',
    minuteOfDay: 8 * 60,
    weekday: 'mon',
  });
  assert.equal(wallClockAt('America/Chicago', utc('2026-06-08T03:00:00Z')).weekday, 'sun');
});

test('local time to instant: the gap resolves to the first instant after it, the overlap to the earlier', () => {
  // New York skips 02:00-03:00 on 2026-03-08 and repeats 01:00-02:00 on 2026-11-01.
  assert.equal(instantOfLocalTime('America/New_York', day('2026-03-08'), 150), utc('2026-03-08T07:00:00Z'));
  assert.equal(instantOfLocalTime('America/New_York', day('2026-03-08'), 180), utc('2026-03-08T07:00:00Z'));
  assert.equal(instantOfLocalTime('America/New_York', day('2026-11-01'), 90), utc('2026-11-01T05:30:00Z'));
  // London skips 01:00-02:00 on 2026-03-29.
  assert.equal(instantOfLocalTime('Europe/London', day('2026-03-29'), 90), utc('2026-03-29T01:00:00Z'));
  // Sydney repeats 02:00-03:00 on 2026-04-05 and skips 02:00-03:00 on 2026-10-04.
  assert.equal(instantOfLocalTime('Australia/Sydney', day('2026-04-05'), 150), utc('2026-04-04T15:30:00Z'));
  assert.equal(instantOfLocalTime('Australia/Sydney', day('2026-10-04'), 150), utc('2026-10-03T16:00:00Z'));
  // Lord Howe moves by half an hour.
  assert.equal(
    instantOfLocalTime('Australia/Lord_Howe', day('2026-10-04'), 135),
    utc('2026-10-03T15:30:00Z'),
  );
});

test('property: the cached wall clock agrees with Intl at any instant', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...ZONES),
      fc.integer({
        min: utc('1995-01-01T00:00:00Z') / MS_PER_MINUTE,
        max: utc('2045-01-01T00:00:00Z') / MS_PER_MINUTE,
      }),
      (zone, minute) => {
        const at = minute * MS_PER_MINUTE;
        const w = wallClockAt(zone, at);
        assert.deepEqual({ date: w.date, minuteOfDay: w.minuteOfDay }, intlWall(zone, at));
      },
    ),
    { numRuns: 3000 },
  );
});

test('property: a local time maps to an instant showing it, or, in a gap, to the first instant after', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...ZONES),
      fc.integer({ min: day('1995-01-01'), max: day('2045-01-01') }),
      fc.integer({ min: 0, max: 1439 }),
      (zone, dayNumber, minuteOfDay) => {
        const at = instantOfLocalTime(zone, dayNumber, minuteOfDay);
        const shown = wallClockAt(zone, at);
        const shownMinute = shown.dayNumber * 1440 + shown.minuteOfDay;
        const asked = dayNumber * 1440 + minuteOfDay;
        if (shownMinute === asked) {
          // The earlier of two: a minute before, the clock did not already show a later time.
          const prior = wallClockAt(zone, at - 3_600_000);
          assert.ok(prior.dayNumber * 1440 + prior.minuteOfDay < asked || at - 3_600_000 < 0);
          return;
        }
        // A gap: the clock jumped over the asked time exactly at `at`.
        assert.ok(shownMinute > asked, `${zone} ${dayNumber} ${minuteOfDay}`);
        const before = wallClockAt(zone, at - 1000);
        assert.ok(before.dayNumber * 1440 + before.minuteOfDay < asked);
      },
    ),
    { numRuns: 3000 },
  );
});
