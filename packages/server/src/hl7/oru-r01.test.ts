import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signedReportFixture } from '../../test/support/signed-report.ts';
import { parseMessage } from './message.ts';
import { buildOruR01 } from './oru-r01.ts';

const options = {
  controlId: 'CF0123456789ABCDEF',
  now: Date.parse('2026-03-10T14:20:05Z'),
  sendingFacility: 'CONFER-HUB',
  receivingApplication: 'RIS',
  receivingFacility: 'NORTHVALE',
  processingId: 'P' as const,
};

test('MSH names Confer, the receiver, the control id, ORU^R01 and v2.5.1', () => {
  const text = buildOruR01(signedReportFixture(), options);
  assert.ok(text.endsWith('\r'));
  assert.doesNotMatch(text, /\n/);
  const msh = text.split('\r')[0]!;
  assert.equal(
    msh,
    'MSH|^~\\&|CONFER|CONFER-HUB|RIS|NORTHVALE|20260310142005+0000||ORU^R01^ORU_R01|CF0123456789ABCDEF|P|2.5.1||||||UNICODE UTF-8',
  );
});

test('PID carries the patient id with its issuer (CX), the name as XPN, birth date and sex', () => {
  const msg = parseMessage(buildOruR01(signedReportFixture(), options));
  const pid = msg.segment('PID')!;
  assert.equal(pid.raw(3), 'PAT-0042^^^NORTHVALE^MR');
  assert.equal(pid.raw(5), 'QUILLFEATHER^MARGOT^J');
  assert.equal(pid.get(7), '19610314');
  assert.equal(pid.get(8), 'F');
});

test('ORC/OBR: accession as placer and filler, procedure, dates, status per kind, interpreter', () => {
  for (const [kind, status, orcStatus] of [
    ['preliminary', 'P', 'A'],
    ['final', 'F', 'CM'],
    ['addendum', 'C', 'CM'],
  ] as const) {
    const msg = parseMessage(buildOruR01(signedReportFixture({ kind }), options));
    const orc = msg.segment('ORC')!;
    assert.equal(orc.get(1), 'RE');
    assert.equal(orc.get(2), 'ACC12345');
    assert.equal(orc.get(5), orcStatus);
    const obr = msg.segment('OBR')!;
    assert.equal(obr.get(2), 'ACC12345');
    assert.equal(obr.get(3), 'ACC12345');
    assert.equal(obr.get(4, 2), 'CT HEAD WITHOUT CONTRAST');
    assert.equal(obr.get(7), '20260310135500+0000');
    assert.equal(obr.get(22), '20260310142000+0000');
    assert.equal(obr.get(25), status);
    assert.equal(obr.raw(32), 'r-ada&Dr Ada Quill');
    for (const obx of msg.all('OBX')) assert.equal(obx.get(11), status, `OBX status for ${kind}`);
  }
  const corrected = parseMessage(buildOruR01(signedReportFixture(), { ...options, corrected: true }));
  assert.equal(corrected.segment('OBR')!.get(25), 'C');
});

test('sections are FT with escaped delimiters and \\.br\\ line breaks; they read back unchanged', () => {
  const report = signedReportFixture();
  const msg = parseMessage(buildOruR01(report, options));
  const obx = msg.all('OBX');
  const history = obx.find((o) => o.get(3, 1) === 'HISTORY')!;
  assert.equal(history.get(2), 'FT');
  assert.equal(history.raw(5), 'Fall at home \\F\\ headache \\S\\ nausea \\T\\ vomiting \\R\\ 2 days.');
  assert.equal(history.get(5), report.sections[0]!.text);
  const findings = obx.find((o) => o.get(3, 1) === 'FINDINGS')!;
  assert.equal(findings.get(5), report.sections[1]!.text);
  assert.match(findings.raw(5), /convexity\.\\\.br\\\\\.br\\Midline/);
  const impression = obx.find((o) => o.get(3, 1) === '19005-8')!;
  assert.equal(impression.get(5), report.impression);
  const study = obx.find((o) => o.get(3, 1) === '113014')!;
  assert.equal(study.get(5), report.studyUid);
});

test('measurements are NM with UCUM units; critical findings carry the abnormal flag', () => {
  const report = signedReportFixture({
    criticalFindings: [
      { category: 'critical', finding: 'Acute subdural haematoma' },
      { category: 'unexpected-significant', finding: 'Incidental 9 mm lung nodule' },
    ],
  });
  const msg = parseMessage(buildOruR01(report, options));
  const nm = msg.all('OBX').filter((o) => o.get(2) === 'NM');
  assert.equal(nm.length, 2);
  assert.equal(nm[0]!.get(5), '9.5');
  assert.equal(nm[0]!.raw(6), 'mm^mm^UCUM');
  assert.equal(nm[0]!.get(3, 2), 'Haematoma thickness');
  const nte = msg.segment('NTE')!;
  assert.equal(nte.get(3), 'series 3, image 41');
  const crit = msg.all('OBX').filter((o) => o.get(3, 1) === 'CRITICAL');
  assert.deepEqual(
    crit.map((o) => [o.get(8), o.get(5)]),
    [
      ['AA', 'Acute subdural haematoma'],
      ['A', 'Incidental 9 mm lung nodule'],
    ],
  );
  // Set ids run 1..n over every OBX.
  assert.deepEqual(
    msg.all('OBX').map((o) => o.get(1)),
    msg.all('OBX').map((_, i) => String(i + 1)),
  );
});

test('addenda follow the report; a missing accession, patient or procedure leaves fields empty, not broken', () => {
  const report = signedReportFixture({
    kind: 'addendum',
    version: 3,
    accessionNumber: undefined,
    patient: {},
    procedure: undefined,
    addenda: [
      {
        text: 'Compared with prior|CT.',
        author: { userId: '12', name: 'Dr Ada Quill' },
        signedAt: Date.parse('2026-03-11T09:00:00Z'),
      },
    ],
  });
  const msg = parseMessage(buildOruR01(report, options));
  assert.equal(msg.segment('PID')!.raw(3), '');
  assert.equal(msg.segment('OBR')!.get(2), '');
  assert.equal(msg.segment('OBR')!.get(4, 2), 'CT HEAD');
  const add = msg.all('OBX').find((o) => o.get(3, 1) === 'ADDENDUM')!;
  assert.equal(
    add.get(5),
    'Addendum 1, signed 2026-03-11T09:00:00.000Z by Dr Ada Quill:\nCompared with prior|CT.',
  );
});
