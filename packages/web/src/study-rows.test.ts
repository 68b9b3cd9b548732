/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tag } from './dicom-tags.ts';
import {
  SortDirection,
  type StudyRow,
  StudySortKey,
  sortSeries,
  sortStudies,
  toSeriesRow,
  toStudyRow,
} from './study-rows.ts';

function row(overrides: Partial<StudyRow>): StudyRow {
  return {
    studyUid: '1.2.3',
    patientName: '',
    patientId: '',
    studyDate: '',
    studyTime: '',
    modalities: [],
    description: '',
    accessionNumber: '',
    seriesCount: undefined,
    instanceCount: undefined,
    institution: '',
    ...overrides,
  };
}

test('toStudyRow reads every column, including the sending site', () => {
  const study = toStudyRow({
    [Tag.StudyInstanceUID]: { vr: 'UI', Value: ['1.2.3.4'] },
    [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] },
    [Tag.PatientID]: { vr: 'LO', Value: ['MRN-1'] },
    [Tag.StudyDate]: { vr: 'DA', Value: ['20240115'] },
    [Tag.StudyTime]: { vr: 'TM', Value: ['101500'] },
    [Tag.ModalitiesInStudy]: { vr: 'CS', Value: ['CT', 'SR'] },
    [Tag.StudyDescription]: { vr: 'LO', Value: ['CT CHEST W/O'] },
    [Tag.AccessionNumber]: { vr: 'SH', Value: ['ACC42'] },
    [Tag.NumberOfStudyRelatedSeries]: { vr: 'IS', Value: [2] },
    [Tag.NumberOfStudyRelatedInstances]: { vr: 'IS', Value: [301] },
    [Tag.InstitutionName]: { vr: 'LO', Value: ['North Clinic'] },
  });
  assert.deepEqual(study, {
    studyUid: '1.2.3.4',
    patientName: 'Doe, Jane',
    patientId: 'MRN-1',
    studyDate: '20240115',
    studyTime: '101500',
    modalities: ['CT', 'SR'],
    description: 'CT CHEST W/O',
    accessionNumber: 'ACC42',
    seriesCount: 2,
    instanceCount: 301,
    institution: 'North Clinic',
  });
});

test('toStudyRow and toSeriesRow turn missing attributes into blanks', () => {
  assert.deepEqual(toStudyRow({}), row({ studyUid: '' }));
  assert.deepEqual(toSeriesRow({}), {
    seriesUid: '',
    seriesNumber: undefined,
    modality: '',
    description: '',
    bodyPart: '',
    instanceCount: undefined,
  });
});

test('sortStudies sorts by date and time, keeping blanks last in both directions', () => {
  const rows = [
    row({ studyUid: 'a', studyDate: '20240102', studyTime: '0900' }),
    row({ studyUid: 'b', studyDate: '' }),
    row({ studyUid: 'c', studyDate: '20240102', studyTime: '0800' }),
    row({ studyUid: 'd', studyDate: '20231231' }),
  ];
  const uids = (sorted: StudyRow[]) => sorted.map((r) => r.studyUid).join('');
  const key = StudySortKey.StudyDate;
  assert.equal(uids(sortStudies(rows, { key, direction: SortDirection.Ascending })), 'dcab');
  assert.equal(uids(sortStudies(rows, { key, direction: SortDirection.Descending })), 'acdb');
});

test('sortStudies compares counts as numbers and names without regard to case', () => {
  const rows = [
    row({ studyUid: 'a', seriesCount: 10, patientName: 'doe, Jane' }),
    row({ studyUid: 'b', seriesCount: 9, patientName: 'Adams, Ann' }),
    row({ studyUid: 'c', seriesCount: undefined, patientName: 'Brown, Bo' }),
  ];
  const uids = (sorted: StudyRow[]) => sorted.map((r) => r.studyUid).join('');
  const asc = SortDirection.Ascending;
  assert.equal(uids(sortStudies(rows, { key: StudySortKey.SeriesCount, direction: asc })), 'bac');
  assert.equal(uids(sortStudies(rows, { key: StudySortKey.PatientName, direction: asc })), 'bca');
  assert.equal(uids(rows), 'abc', 'sorting returns a copy');
});

test('sortSeries orders by series number, unnumbered last', () => {
  const series = [undefined, 3, 1, 2].map((n) => ({ ...toSeriesRow({}), seriesNumber: n }));
  assert.deepEqual(
    sortSeries(series).map((s) => s.seriesNumber),
    [1, 2, 3, undefined],
  );
});
