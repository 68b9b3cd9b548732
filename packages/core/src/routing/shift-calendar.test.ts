import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Shift, Weekday } from './model.ts';
import { activeShiftInstance, isShiftActiveAt } from './shift-calendar.ts';

const utc = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

function shift(timeZone: string, days: Weekday[], start: string, end: string): Shift {
  return { id: 's', name: 'S', timeZone, days, start, end, covers: {} };
}

test('New York night shift: 8 h on the spring-forward night, 10 h on the fall-back night', () => {
  const nights = shift('America/New_York', ['sat'], '22:00', '07:00');
  // Saturday 2026-03-07 22:00 EST to Sunday 07:00 EDT.
  const spring = activeShiftInstance(nights, utc('2026-03-08T10:59:00Z'));
  assert.deepEqual(spring, {
    date: '2026-03-07',
    startsAt: utc('2026-03-08T03:00:00Z'),
    endsAt: utc('2026-03-08T11:00:00Z'),
  });
  assert.equal(spring!.endsAt - spring!.startsAt, 8 * HOUR);
  assert.equal(isShiftActiveAt(nights, utc('2026-03-08T11:00:00Z')), false);
  assert.equal(isShiftActiveAt(nights, utc('2026-03-08T02:59:00Z')), false);
  // Saturday 2026-10-31 22:00 EDT to Sunday 07:00 EST.
  const fall = activeShiftInstance(nights, utc('2026-11-01T06:30:00Z'));
  assert.deepEqual(fall, {
    date: '2026-10-31',
    startsAt: utc('2026-11-01T02:00:00Z'),
    endsAt: utc('2026-11-01T12:00:00Z'),
  });
  assert.equal(fall!.endsAt - fall!.startsAt, 10 * HOUR);
});

test('New York: a start in the spring-forward gap begins at 03:00 EDT; a start in the repeated hour at its first pass', () => {
  const early = shift('America/New_York', ['sun'], '02:30', '06:00');
  assert.equal(isShiftActiveAt(early, utc('2026-03-08T06:59:59Z')), false);
  assert.deepEqual(activeShiftInstance(early, utc('2026-03-08T07:00:00Z')), {
    date: '2026-03-08',
    startsAt: utc('2026-03-08T07:00:00Z'),
    endsAt: utc('2026-03-08T10:00:00Z'),
  });
  const repeated = shift('America/New_York', ['sun'], '01:30', '05:00');
  const inst = activeShiftInstance(repeated, utc('2026-11-01T06:15:00Z'));
  // 01:30 EDT is 05:30Z; the shift stays on through the second pass of 01:00-01:30 (now EST).
  assert.deepEqual(inst, {
    date: '2026-11-01',
    startsAt: utc('2026-11-01T05:30:00Z'),
    endsAt: utc('2026-11-01T10:00:00Z'),
  });
});

test('London: night shifts across the March and October transitions', () => {
  const nights = shift('Europe/London', ['sat'], '22:00', '07:00');
  const spring = activeShiftInstance(nights, utc('2026-03-29T00:30:00Z'))!;
  assert.equal(spring.date, '2026-03-28');
  assert.equal(spring.startsAt, utc('2026-03-28T22:00:00Z'));
  assert.equal(spring.endsAt, utc('2026-03-29T06:00:00Z'));
  const fall = activeShiftInstance(nights, utc('2026-10-25T06:30:00Z'))!;
  assert.equal(fall.startsAt, utc('2026-10-24T21:00:00Z'));
  assert.equal(fall.endsAt, utc('2026-10-25T07:00:00Z'));
  assert.equal(fall.endsAt - fall.startsAt, 10 * HOUR);
  // 01:30 does not exist in London on 2026-03-29: the shift starts at 02:00 BST (01:00Z).
  const gap = shift('Europe/London', ['sun'], '01:30', '09:00');
  assert.equal(activeShiftInstance(gap, utc('2026-03-29T01:00:00Z'))!.startsAt, utc('2026-03-29T01:00:00Z'));
  assert.equal(isShiftActiveAt(gap, utc('2026-03-29T00:59:00Z')), false);
});

test('Sydney (southern hemisphere): DST ends in April and starts in October', () => {
  const nights = shift('Australia/Sydney', ['sat'], '22:00', '07:00');
  // Saturday 2026-04-04 22:00 AEDT (+11) to Sunday 07:00 AEST (+10): 10 h.
  const autumn = activeShiftInstance(nights, utc('2026-04-04T15:30:00Z'))!;
  assert.deepEqual(autumn, {
    date: '2026-04-04',
    startsAt: utc('2026-04-04T11:00:00Z'),
    endsAt: utc('2026-04-04T21:00:00Z'),
  });
  // Saturday 2026-10-03 22:00 AEST to Sunday 07:00 AEDT: 8 h.
  const spring = activeShiftInstance(nights, utc('2026-10-03T19:59:00Z'))!;
  assert.equal(spring.startsAt, utc('2026-10-03T12:00:00Z'));
  assert.equal(spring.endsAt, utc('2026-10-03T20:00:00Z'));
  assert.equal(isShiftActiveAt(nights, utc('2026-10-03T20:00:00Z')), false);
});

test('weekdays are the local start day: Monday morning in Sydney is Sunday in UTC', () => {
  const mornings = shift('Australia/Sydney', ['mon'], '08:00', '17:00');
  assert.equal(isShiftActiveAt(mornings, utc('2026-06-07T22:00:00Z')), true);
  assert.equal(isShiftActiveAt(mornings, utc('2026-06-07T21:59:00Z')), false);
  assert.equal(activeShiftInstance(mornings, utc('2026-06-07T22:00:00Z'))!.date, '2026-06-08');
});

test('weekday boundaries: a Friday night shift runs into Saturday; Saturday itself has none', () => {
  const fridayNights = shift('America/Chicago', ['fri'], '22:00', '06:00');
  // Saturday 2026-06-13 03:00 CDT belongs to Friday's instance.
  assert.equal(activeShiftInstance(fridayNights, utc('2026-06-13T08:00:00Z'))!.date, '2026-06-12');
  // Saturday 22:00 CDT: Saturday is not a shift day.
  assert.equal(isShiftActiveAt(fridayNights, utc('2026-06-14T03:00:00Z')), false);
  // Friday 03:00 would belong to Thursday, which is not a shift day either.
  assert.equal(isShiftActiveAt(fridayNights, utc('2026-06-12T08:00:00Z')), false);
  const weekdays = shift('America/Chicago', ['mon', 'tue', 'wed', 'thu', 'fri'], '08:00', '17:00');
  assert.equal(isShiftActiveAt(weekdays, utc('2026-06-12T21:59:00Z')), true);
  assert.equal(isShiftActiveAt(weekdays, utc('2026-06-12T22:00:00Z')), false);
  assert.equal(isShiftActiveAt(weekdays, utc('2026-06-13T14:00:00Z')), false);
});

test('a shift whose end equals its start lasts a whole day; 00:00 ends at the next midnight', () => {
  const allDay = shift('Europe/London', ['mon'], '08:00', '08:00');
  const inst = activeShiftInstance(allDay, utc('2026-06-09T06:59:00Z'))!;
  assert.equal(inst.date, '2026-06-08');
  assert.equal(inst.endsAt - inst.startsAt, 24 * HOUR);
  const evening = shift('Europe/London', ['mon'], '16:00', '00:00');
  assert.equal(isShiftActiveAt(evening, utc('2026-06-08T22:59:00Z')), true);
  assert.equal(isShiftActiveAt(evening, utc('2026-06-08T23:00:00Z')), false);
});
