/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildStudySearchParams,
  DatePreset,
  datePresetRange,
  emptyStudyFilters,
  patientNameQuery,
  studyDateRange,
  studyFiltersProblem,
  takePage,
} from './qido-query.ts';

test('empty filters send only paging and includefield', () => {
  const params = buildStudySearchParams(emptyStudyFilters, { limit: 51, offset: 100 });
  assert.equal(params.toString(), 'limit=51&offset=100&includefield=all');
});

test('every filter maps to its QIDO-RS matching key', () => {
  const params = buildStudySearchParams(
    {
      patientName: ' Doe ',
      patientId: ' MRN-1 ',
      accessionNumber: 'ACC42',
      modality: 'CT',
      dateFrom: '2024-01-01',
      dateTo: '2024-01-31',
    },
    { limit: 50, offset: 0 },
  );
  assert.equal(params.get('PatientName'), 'Doe*');
  assert.equal(params.get('PatientID'), 'MRN-1');
  assert.equal(params.get('AccessionNumber'), 'ACC42');
  assert.equal(params.get('ModalitiesInStudy'), 'CT');
  assert.equal(params.get('StudyDate'), '20240101-20240131');
  assert.equal(params.get('limit'), '50');
  assert.equal(params.get('offset'), '0');
  assert.equal(params.get('includefield'), 'all');
});

test('patient names match by prefix and accept the "Family, Given" form the table shows', () => {
  assert.equal(patientNameQuery('Doe'), 'Doe*');
  assert.equal(patientNameQuery('Doe, Jane'), 'Doe^Jane*');
  assert.equal(patientNameQuery('Doe^J'), 'Doe^J*');
  assert.equal(patientNameQuery('D?e*'), 'D?e*');
  assert.equal(patientNameQuery('   '), '');
});

test('date ranges may be open at either end, and one day is a single value', () => {
  assert.equal(studyDateRange('', ''), undefined);
  assert.equal(studyDateRange('2024-01-01', ''), '20240101-');
  assert.equal(studyDateRange('', '2024-01-31'), '-20240131');
  assert.equal(studyDateRange('2024-03-05', '2024-03-05'), '20240305');
});

test('studyFiltersProblem rejects a reversed or malformed date range', () => {
  assert.equal(studyFiltersProblem(emptyStudyFilters), undefined);
  assert.match(
    studyFiltersProblem({ ...emptyStudyFilters, dateFrom: '2024-02-01', dateTo: '2024-01-01' }) ?? '',
    /after/,
  );
  assert.match(studyFiltersProblem({ ...emptyStudyFilters, dateTo: '01/02/2024' }) ?? '', /not a valid/);
});

test('date presets are calendar days in the local zone, including month boundaries', () => {
  const now = new Date(2024, 2, 3, 9, 30); // 3 March 2024, local time
  assert.deepEqual(datePresetRange(DatePreset.Today, now), { dateFrom: '2024-03-03', dateTo: '2024-03-03' });
  assert.deepEqual(datePresetRange(DatePreset.Last7Days, now), {
    dateFrom: '2024-02-26',
    dateTo: '2024-03-03',
  });
  assert.deepEqual(datePresetRange(DatePreset.Last30Days, now), {
    dateFrom: '2024-02-03',
    dateTo: '2024-03-03',
  });
  assert.deepEqual(datePresetRange(DatePreset.AnyDate, now), { dateFrom: '', dateTo: '' });
});

test('takePage uses the extra row only to tell whether another page exists', () => {
  assert.deepEqual(takePage([1, 2, 3], 2), { rows: [1, 2], hasMore: true });
  assert.deepEqual(takePage([1, 2], 2), { rows: [1, 2], hasMore: false });
  assert.deepEqual(takePage([], 2), { rows: [], hasMore: false });
});
