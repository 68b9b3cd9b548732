/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatAgo,
  formatCompactTime,
  formatDuration,
  formatMinutes,
  slaCountdown,
  Urgency,
  zoneAbbreviation,
} from './time-format.ts';

test('formatDuration is precise when short and coarse when long', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(45_900), '45s');
  assert.equal(formatDuration(12 * 60_000 + 5_000), '12m 05s');
  assert.equal(formatDuration(3 * 3_600_000 + 7 * 60_000 + 59_000), '3h 07m');
  assert.equal(formatDuration(2 * 86_400_000 + 4 * 3_600_000), '2d 4h');
  assert.equal(formatDuration(-90_000), '1m 30s');
});

test('slaCountdown counts down, turns urgent near the deadline, then counts the overrun', () => {
  const due = '2024-07-01T12:00:00.000Z';
  const at = (iso: string) => slaCountdown(due, Date.parse(iso));
  assert.deepEqual(at('2024-07-01T11:00:00.000Z'), {
    remainingMs: 3_600_000,
    urgency: Urgency.Ok,
    text: '1h 00m left',
  });
  assert.equal(at('2024-07-01T11:47:55.000Z')?.text, '12m 05s left');
  assert.equal(at('2024-07-01T11:47:55.000Z')?.urgency, Urgency.Soon);
  assert.equal(at('2024-07-01T12:00:00.000Z')?.urgency, Urgency.Overdue);
  assert.equal(at('2024-07-01T12:03:10.000Z')?.text, 'overdue 3m 10s');
  assert.equal(slaCountdown(null, 0), null);
  assert.equal(slaCountdown('not a date', 0), null);
});

test('formatCompactTime shows the time today and the date on other days, in the given zone', () => {
  const now = Date.parse('2024-07-01T23:30:00.000Z');
  const options = { locale: 'en-GB', timeZone: 'UTC' };
  assert.equal(formatCompactTime('2024-07-01T14:05:00.000Z', now, options), '14:05');
  assert.equal(formatCompactTime('2024-06-30T14:05:00.000Z', now, options), '30 Jun 14:05');
  // 23:30 UTC is already 2 July in Kolkata: 1 July there is another day.
  const kolkata = { locale: 'en-GB', timeZone: 'Asia/Kolkata' };
  assert.equal(formatCompactTime('2024-07-01T14:05:00.000Z', now, kolkata), '1 Jul 19:35');
  assert.equal(formatCompactTime(null, now), '—');
});

test('zoneAbbreviation names the zone as it is at that instant', () => {
  assert.equal(zoneAbbreviation(Date.parse('2024-07-01T12:00:00Z'), { timeZone: 'Europe/London' }), 'BST');
  assert.equal(zoneAbbreviation(Date.parse('2024-01-01T12:00:00Z'), { timeZone: 'Europe/London' }), 'GMT');
});

test('formatAgo', () => {
  const now = Date.parse('2024-07-01T12:00:00.000Z');
  assert.equal(formatAgo('2024-07-01T11:59:58.000Z', now), 'just now');
  assert.equal(formatAgo('2024-07-01T11:55:50.000Z', now), '4m 10s ago');
});

test('formatCompactTime can show seconds', () => {
  const now = Date.parse('2024-07-01T23:30:00.000Z');
  assert.equal(
    formatCompactTime('2024-07-01T14:05:09.000Z', now, { locale: 'en-GB', timeZone: 'UTC', seconds: true }),
    '14:05:09',
  );
});

test('formatMinutes writes SLA and queue targets as people say them', () => {
  assert.deepEqual([15, 60, 90, 1440, 4320, -1].map(formatMinutes), [
    '15 min',
    '1 h',
    '1 h 30 min',
    '24 h',
    '3 d',
    '—',
  ]);
});
