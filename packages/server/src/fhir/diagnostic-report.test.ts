import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signedReportFixture } from '../../test/support/signed-report.ts';
import { diagnosticReportStatus, operationOutcome, toDiagnosticReport } from './diagnostic-report.ts';

// biome-ignore lint/suspicious/noExplicitAny: resources are checked field by field
type Json = any;

test('status per kind: preliminary, final, appended (addendum), amended (a final replacing a final)', () => {
  assert.equal(diagnosticReportStatus(signedReportFixture({ kind: 'preliminary' })), 'preliminary');
  assert.equal(diagnosticReportStatus(signedReportFixture({ kind: 'final' })), 'final');
  assert.equal(diagnosticReportStatus(signedReportFixture({ kind: 'final' }), true), 'amended');
  assert.equal(diagnosticReportStatus(signedReportFixture({ kind: 'addendum' })), 'appended');
});

test('the resource names the patient, order, study, interpreter and times, with the PDF and the text', () => {
  const report = signedReportFixture({ version: 2 });
  const pdf = Buffer.from('%PDF-1.4 test');
  const r = toDiagnosticReport({ report, pdf, storedAt: Date.parse('2026-03-10T14:20:01Z') }) as Json;
  assert.equal(r.resourceType, 'DiagnosticReport');
  assert.equal(r.id, 'R-TEST0001');
  assert.deepEqual(r.meta, { versionId: '2', lastUpdated: '2026-03-10T14:20:01.000Z' });
  assert.deepEqual(r.identifier[0], { system: 'urn:confer:report', value: 'R-TEST0001' });
  assert.equal(r.identifier[1].type.coding[0].code, 'ACSN');
  assert.equal(r.identifier[1].value, 'ACC12345');
  assert.equal(r.basedOn[0].identifier.value, 'ACC12345');
  assert.equal(r.code.coding[0].system, 'http://loinc.org');
  assert.equal(r.code.coding[0].code, '18748-4');
  assert.equal(r.code.text, 'CT HEAD WITHOUT CONTRAST');
  // A CT study also carries the CT report code; a mixed or other study only the general one.
  assert.deepEqual(r.code.coding[1], { system: 'http://loinc.org', code: '18747-6', display: 'CT Report' });
  const cr = toDiagnosticReport({ report: signedReportFixture({ modalities: ['CR', 'SR'] }) }) as Json;
  assert.equal(cr.code.coding.length, 1);
  assert.deepEqual(r.subject.identifier, {
    use: 'usual',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
    system: 'urn:confer:patient:NORTHVALE',
    value: 'PAT-0042',
  });
  assert.equal(r.subject.display, 'MARGOT J QUILLFEATHER');
  assert.equal(r.effectiveDateTime, '2026-03-10T13:55:00.000Z');
  assert.equal(r.issued, '2026-03-10T14:20:00.000Z');
  assert.deepEqual(r.resultsInterpreter, [
    {
      type: 'Practitioner',
      identifier: { system: 'urn:confer:reader', value: 'r-ada' },
      display: 'Dr Ada Quill',
    },
  ]);
  assert.deepEqual(r.performer, [
    { type: 'Organization', identifier: { system: 'urn:confer:site', value: 'northvale-hub' } },
  ]);
  assert.deepEqual(r.imagingStudy, [
    {
      type: 'ImagingStudy',
      identifier: { system: 'urn:dicom:uid', value: 'urn:oid:1.2.826.0.1.3680043.10.1234.1.1' },
    },
  ]);
  assert.equal(r.conclusion, report.impression);
  assert.equal(r.presentedForm[0].contentType, 'application/pdf');
  assert.equal(Buffer.from(r.presentedForm[0].data, 'base64').toString(), '%PDF-1.4 test');
  const text = Buffer.from(r.presentedForm[1].data, 'base64').toString('utf8');
  assert.match(text, /IMPRESSION\nAcute left subdural haematoma with mass effect\./);
  assert.match(text, /- CRITICAL: Acute subdural haematoma with midline shift/);
  // The narrative is XHTML: markup characters in the text are escaped.
  assert.match(r.text.div, /^<div xmlns="http:\/\/www\.w3\.org\/1999\/xhtml"><pre>/);
  const withMarkup = toDiagnosticReport({ report: signedReportFixture({ impression: 'a <b> & "c"' }) }) as {
    text: { div: string };
  };
  assert.match(withMarkup.text.div, /a &lt;b&gt; &amp; &quot;c&quot;/);
});

test('what is unknown is left out rather than sent empty', () => {
  const r = toDiagnosticReport({
    report: signedReportFixture({
      accessionNumber: undefined,
      patient: {},
      observedAt: undefined,
      siteId: undefined,
    }),
  }) as Json;
  assert.equal(r.identifier.length, 1);
  assert.equal(r.basedOn, undefined);
  assert.deepEqual(r.subject, { type: 'Patient' });
  assert.equal(r.effectiveDateTime, undefined);
  assert.equal(r.performer[0].type, 'Practitioner');
  assert.equal(r.presentedForm.length, 1);
  assert.equal(r.presentedForm[0].contentType, 'text/plain; charset=utf-8');
});

test('OperationOutcome carries the Confer code as details', () => {
  assert.deepEqual(operationOutcome('not-found', 'no signed report R-1', 'CONFER_ERR_REPORT_NOT_FOUND'), {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code: 'not-found',
        diagnostics: 'no signed report R-1',
        details: {
          coding: [{ system: 'urn:confer:error', code: 'CONFER_ERR_REPORT_NOT_FOUND' }],
          text: 'no signed report R-1',
        },
      },
    ],
  });
});
