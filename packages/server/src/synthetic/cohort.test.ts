import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planCohort } from './cohort.ts';
import { DEFAULT_SITES } from './sites.ts';

const from = new Date('2026-03-02T00:00:00Z');

test('a mixed cohort spans sites and modalities, with priors and per-site accession sequences', () => {
  const studies = planCohort({ studies: 120, seed: 'cohort', from, reportProbability: 0.2 });
  assert.equal(studies.length, 120);
  const times = studies.map((s) => s.studyDateTime.getTime());
  assert.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
    'sorted by acquisition time',
  );
  assert.ok(new Set(studies.map((s) => s.site.id)).size >= 5);
  assert.deepEqual(
    new Set(studies.flatMap((s) => s.modalitiesInStudy)),
    new Set(['CR', 'CT', 'US', 'MR', 'SR']),
  );
  assert.equal(new Set(studies.map((s) => s.accessionNumber)).size, 120, 'accession numbers are unique');
  assert.equal(new Set(studies.map((s) => s.studyUid)).size, 120);
  for (const s of studies) {
    assert.ok(s.accessionNumber.length <= 16, 'SH holds 16 characters');
    assert.ok(s.accessionNumber.startsWith(s.site.idPrefix));
    assert.equal(s.patient.issuer, s.site.patientIdIssuer, 'a patient is registered where they are scanned');
    assert.ok(s.patient.birthDate <= s.studyDate, 'nobody is scanned before birth');
  }
  const byPatient = new Map<string, number>();
  for (const s of studies) byPatient.set(s.patient.patientId, (byPatient.get(s.patient.patientId) ?? 0) + 1);
  assert.ok(
    [...byPatient.values()].some((n) => n > 1),
    'some patients have priors',
  );
  const hubs = DEFAULT_SITES.filter((s) => s.role === 'hub');
  assert.equal(hubs.length, 1);
  assert.ok(new Set(DEFAULT_SITES.map((s) => s.timeZone)).size >= 3);
  assert.ok(new Set(DEFAULT_SITES.map((s) => s.jurisdiction)).size >= 3);
});

test('planning is deterministic and cheap: pixel data waits for instances()', () => {
  const started = performance.now();
  const a = planCohort({ studies: 500, seed: 9, from, modality: 'CT', slices: 500 });
  assert.ok(performance.now() - started < 2000, 'planning 500 studies of 500 slices makes no pixels');
  const b = planCohort({ studies: 500, seed: 9, from, modality: 'CT', slices: 500 });
  assert.deepEqual(
    a.map((s) => [s.studyUid, s.accessionNumber, s.patient.patientId, s.instanceCount]),
    b.map((s) => [s.studyUid, s.accessionNumber, s.patient.patientId, s.instanceCount]),
  );
  assert.ok(a.every((s) => s.modalitiesInStudy[0] === 'CT'));
});
