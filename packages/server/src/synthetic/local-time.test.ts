import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localDicomTime, patientAge, zonedInstant } from './local-time.ts';

test('wall clock and offset follow each zone, DST included', () => {
  const winter = new Date('2026-01-15T12:00:00Z');
  const summer = new Date('2026-07-15T12:00:00Z');
  assert.deepEqual(localDicomTime(winter, 'Europe/London'), {
    date: '20260115',
    time: '120000',
    offset: '+0000',
  });
  assert.deepEqual(localDicomTime(summer, 'Europe/London'), {
    date: '20260715',
    time: '130000',
    offset: '+0100',
  });
  assert.equal(localDicomTime(winter, 'Asia/Kolkata').offset, '+0530');
  assert.equal(localDicomTime(winter, 'Pacific/Auckland').offset, '+1300'); // southern summer
  assert.equal(localDicomTime(summer, 'Pacific/Auckland').offset, '+1200');
  assert.deepEqual(localDicomTime(winter, 'America/Denver'), {
    date: '20260115',
    time: '050000',
    offset: '-0700',
  });
  // The local date can differ from the UTC one.
  assert.equal(localDicomTime(new Date('2026-01-15T23:30:00Z'), 'Pacific/Auckland').date, '20260116');
});

test('zonedInstant inverts the wall clock, across a DST change', () => {
  assert.equal(zonedInstant(2026, 3, 29, 9, 15, 'Europe/London').toISOString(), '2026-03-29T08:15:00.000Z');
  assert.equal(zonedInstant(2026, 3, 28, 9, 15, 'Europe/London').toISOString(), '2026-03-28T09:15:00.000Z');
  assert.equal(zonedInstant(2026, 6, 1, 8, 0, 'Asia/Kolkata').toISOString(), '2026-06-01T02:30:00.000Z');
});

test('PatientAge is whole years from two, then months, weeks, days (PS3.5 AS)', () => {
  assert.equal(patientAge('19800310', '20260310'), '046Y');
  assert.equal(patientAge('19800311', '20260310'), '045Y');
  assert.equal(patientAge('20250101', '20260310'), '014M');
  assert.equal(patientAge('20260201', '20260310'), '001M');
  assert.equal(patientAge('20260220', '20260310'), '002W');
  assert.equal(patientAge('20260308', '20260310'), '002D');
});
