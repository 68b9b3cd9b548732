import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkCaseOrder,
  isBoardOutcomeCategory,
  sessionLocalStart,
  validateBoardSession,
} from './board-session.ts';

const base = {
  title: 'Lung MDT',
  date: '2026-03-12',
  time: '08:00',
  timeZone: 'Europe/London',
  durationMinutes: 90,
  specialties: ['oncology', 'radiology'],
};

test('a session starts at its wall-clock time in its own zone, DST included', () => {
  const winter = validateBoardSession(base);
  assert.deepEqual(winter, { ok: true, startsAt: Date.parse('2026-03-12T08:00:00Z') });
  const summer = validateBoardSession({ ...base, date: '2026-07-02' });
  assert.deepEqual(summer, { ok: true, startsAt: Date.parse('2026-07-02T07:00:00Z') });
  const ny = validateBoardSession({ ...base, timeZone: 'America/New_York' });
  assert.deepEqual(ny, { ok: true, startsAt: Date.parse('2026-03-12T12:00:00Z') });
  assert.deepEqual(sessionLocalStart(Date.parse('2026-07-02T07:00:00Z'), 'Europe/London'), {
    date: '2026-07-02',
    time: '08:00',
  });
});

test('a bad session names every bad field', () => {
  const v = validateBoardSession({
    title: ' ',
    date: '2026-02-30',
    time: '25:00',
    timeZone: '+05:00',
    durationMinutes: 2,
    specialties: [''],
  });
  assert.equal(v.ok, false);
  assert.deepEqual(!v.ok ? v.errors.map((e) => e.path) : [], [
    'title',
    'date',
    'time',
    'timeZone',
    'durationMinutes',
    'specialties',
  ]);
});

test('a new case order lists every case once', () => {
  assert.equal(checkCaseOrder(['a', 'b', 'c'], ['c', 'a', 'b']), null);
  assert.match(checkCaseOrder(['a', 'b'], ['a', 'a']) ?? '', /twice/);
  assert.match(checkCaseOrder(['a', 'b'], ['a']) ?? '', /leaves out b/);
  assert.match(checkCaseOrder(['a'], ['a', 'z']) ?? '', /not on this session: z/);
});

test('outcome categories', () => {
  assert.equal(isBoardOutcomeCategory('more-imaging'), true);
  assert.equal(isBoardOutcomeCategory('magic'), false);
});
