/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatDicomDate,
  formatDicomTime,
  formatPersonName,
  readFirstValue,
  readNumber,
  readPersonName,
  readString,
  readStrings,
  readValues,
} from './dicom-json.ts';
import { Tag } from './dicom-tags.ts';

const study = {
  [Tag.StudyInstanceUID]: { vr: 'UI', Value: ['1.2.840.113619.2.55.3'] },
  [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane^M' }] },
  [Tag.ModalitiesInStudy]: { vr: 'CS', Value: ['CT', null, 'SR'] },
  [Tag.NumberOfStudyRelatedSeries]: { vr: 'IS', Value: [3] },
  [Tag.NumberOfStudyRelatedInstances]: { vr: 'IS', Value: [' 412 '] },
  [Tag.StudyDescription]: { vr: 'LO' },
  [Tag.AccessionNumber]: { vr: 'SH', Value: [] },
};

test('readFirstValue returns the first value, or undefined when absent or empty', () => {
  assert.equal(readFirstValue(study, Tag.StudyInstanceUID), '1.2.840.113619.2.55.3');
  assert.equal(readFirstValue(study, Tag.StudyDescription), undefined);
  assert.equal(readFirstValue(study, Tag.AccessionNumber), undefined);
  assert.equal(readFirstValue(study, Tag.InstitutionName), undefined);
});

test('readers tolerate a row that is not a dataset', () => {
  assert.deepEqual(readValues(null, Tag.PatientID), []);
  assert.deepEqual(readValues('nonsense', Tag.PatientID), []);
  assert.deepEqual(readValues({ [Tag.PatientID]: 'not an attribute' }, Tag.PatientID), []);
  assert.deepEqual(readValues({ [Tag.PatientID]: { vr: 'LO', Value: 'not an array' } }, Tag.PatientID), []);
});

test('readString and readStrings read text, skipping empty values in multi-valued attributes', () => {
  assert.equal(readString(study, Tag.StudyInstanceUID), '1.2.840.113619.2.55.3');
  assert.equal(readString(study, Tag.NumberOfStudyRelatedSeries), '3');
  assert.equal(readString(study, Tag.PatientName), undefined);
  assert.deepEqual(readStrings(study, Tag.ModalitiesInStudy), ['CT', 'SR']);
  assert.deepEqual(readStrings(study, Tag.InstitutionName), []);
});

test('readNumber accepts IS/DS as JSON numbers or strings', () => {
  assert.equal(readNumber(study, Tag.NumberOfStudyRelatedSeries), 3);
  assert.equal(readNumber(study, Tag.NumberOfStudyRelatedInstances), 412);
  assert.equal(readNumber(study, Tag.StudyDescription), undefined);
  assert.equal(readNumber({ [Tag.SeriesNumber]: { vr: 'IS', Value: ['x'] } }, Tag.SeriesNumber), undefined);
  assert.equal(readNumber({ [Tag.SeriesNumber]: { vr: 'IS', Value: [''] } }, Tag.SeriesNumber), undefined);
});

test('formatPersonName puts the family name first and keeps prefix and suffix', () => {
  assert.equal(readPersonName(study, Tag.PatientName), 'Doe, Jane M');
  assert.equal(formatPersonName({ Alphabetic: 'Doe^Jane' }), 'Doe, Jane');
  assert.equal(formatPersonName({ Alphabetic: 'Doe' }), 'Doe');
  assert.equal(formatPersonName({ Alphabetic: 'Doe^Jane^^Dr^PhD' }), 'Doe, Dr Jane, PhD');
  assert.equal(formatPersonName({ Alphabetic: '^Jane' }), 'Jane');
  assert.equal(formatPersonName({ Alphabetic: 'Doe^Jane^^^' }), 'Doe, Jane');
});

test('formatPersonName falls back to other component groups and bare strings', () => {
  assert.equal(formatPersonName({ Alphabetic: '', Ideographic: '山田^太郎' }), '山田, 太郎');
  assert.equal(formatPersonName('Yamada^Tarou=山田^太郎'), 'Yamada, Tarou');
  assert.equal(formatPersonName(undefined), '');
  assert.equal(formatPersonName({}), '');
  assert.equal(formatPersonName(42), '');
});

test('formatDicomDate shows DA as ISO and leaves anything else visible', () => {
  assert.equal(formatDicomDate('20240115'), '2024-01-15');
  assert.equal(formatDicomDate('2024.01.15'), '2024-01-15');
  assert.equal(formatDicomDate(' 20240115 '), '2024-01-15');
  assert.equal(formatDicomDate('2024'), '2024');
  assert.equal(formatDicomDate(''), '');
  assert.equal(formatDicomDate(undefined), '');
});

test('formatDicomTime shows TM as HH:MM', () => {
  assert.equal(formatDicomTime('143015.123456'), '14:30');
  assert.equal(formatDicomTime('1430'), '14:30');
  assert.equal(formatDicomTime('14'), '14:00');
  assert.equal(formatDicomTime('14:30:15'), '14:30');
  assert.equal(formatDicomTime('noon'), 'noon');
  assert.equal(formatDicomTime(null), '');
});
