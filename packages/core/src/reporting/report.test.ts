import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { CaseState } from '../case/model.ts';
import {
  applyReportCommand,
  newReport,
  type ReportAuthor,
  type ReportCommand,
  ReportErrorCode,
  type ReportSnapshot,
  ReportStatus,
} from './report.ts';
import type { ReportContent } from './report-content.ts';
import { renderReportText } from './report-content.ts';
import { toSignedReport } from './to-signed-report.ts';

const T0 = Date.parse('2026-11-24T08:00:00.000Z');
const ada: ReportAuthor = { userId: '7', readerId: 'r-ada', name: 'Dr Ada Quill' };
const ben: ReportAuthor = { userId: '8', readerId: 'r-ben', name: 'Dr Ben Marsh' };
const coordinator: ReportAuthor = { userId: '9', name: 'coord' };

const content = (impression: string, extra: Partial<ReportContent> = {}): ReportContent => ({
  templateId: 'ct-head',
  title: 'CT head',
  sections: [{ id: 'findings', title: 'Findings', text: 'Normal ventricles.', required: true }],
  impression,
  measurements: [],
  criticalFindings: [],
  ...extra,
});

function inRead(owner = 'r-ada'): ReportSnapshot {
  return newReport('R-C-1', 'C-1', { state: 'in-read', ownerId: owner });
}

function run(r: ReportSnapshot, cmd: ReportCommand, at = T0): ReportSnapshot {
  const out = applyReportCommand(r, cmd, at);
  assert.ok(out.ok, out.ok ? '' : `${out.code}: ${out.message}`);
  return out.snapshot;
}

/** The case moves with the report in the server; tests move it by hand. */
function withCase(r: ReportSnapshot, state: CaseState, ownerId: string | null): ReportSnapshot {
  return { ...r, case: { state, ownerId } };
}

test('draft, preliminary, final, addendum: each signed version kept with its author and time', () => {
  let r = inRead();
  r = run(r, { type: 'save-draft', by: ada, expectedRevision: 0, content: content('Normal') });
  assert.equal(r.status, ReportStatus.Draft);
  r = run(r, { type: 'sign', kind: 'preliminary', by: ada, expectedRevision: 1 }, T0 + 1000);
  assert.equal(r.status, 'preliminary');
  r = withCase(r, 'preliminary', 'r-ada');
  r = run(r, { type: 'save-draft', by: ada, expectedRevision: 2, content: content('Normal study.') });
  r = run(r, { type: 'sign', kind: 'final', by: ada, expectedRevision: 3 }, T0 + 2000);
  r = withCase(r, 'final', null);
  r = run(r, {
    type: 'save-draft',
    by: ada,
    expectedRevision: 4,
    content: { ...content('edited!'), addendum: 'Discussed with Dr Lee.' },
  });
  assert.equal(r.draft?.content.impression, 'Normal study.', 'the signed text cannot change after final');
  r = run(r, { type: 'sign', kind: 'addendum', by: ada, expectedRevision: 5 }, T0 + 3000);
  assert.equal(r.status, ReportStatus.Addended);
  assert.deepEqual(
    r.versions.map((v) => [v.version, v.kind, v.author.readerId, v.signedAt, v.content.impression]),
    [
      [1, 'preliminary', 'r-ada', T0 + 1000, 'Normal'],
      [2, 'final', 'r-ada', T0 + 2000, 'Normal study.'],
      [3, 'addendum', 'r-ada', T0 + 3000, 'Normal study.'],
    ],
  );
  assert.equal(r.versions[2]!.content.addendum, 'Discussed with Dr Lee.');
  assert.equal(r.draft?.content.addendum, '', 'the next addendum starts empty');
  const signed = toSignedReport(r, 3, {
    studyUid: '1.2.3',
    modalities: ['CT'],
    bodyParts: ['HEAD'],
    patient: { id: 'P1' },
  });
  assert.equal(signed.kind, 'addendum');
  assert.deepEqual(signed.addenda, [
    { text: 'Discussed with Dr Lee.', author: { userId: '7', name: 'Dr Ada Quill' }, signedAt: T0 + 3000 },
  ]);
  assert.deepEqual(signed.sections, [{ id: 'findings', title: 'Findings', text: 'Normal ventricles.' }]);
  assert.match(
    renderReportText(r.versions[2]!.content, [
      { text: 'Discussed with Dr Lee.', author: 'Dr Ada Quill', signedAt: T0 + 3000 },
    ]),
    /ADDENDUM \(Dr Ada Quill, 2026-11-24T08:00:03.000Z\):\nDiscussed with Dr Lee\./,
  );
});

test('sign final straight from a draft, with the content in the same command', () => {
  const r = run(inRead(), {
    type: 'sign',
    kind: 'final',
    by: ada,
    expectedRevision: 0,
    content: content('Normal'),
  });
  assert.equal(r.status, 'final');
  assert.equal(r.versions.length, 1);
});

test('only the reader who has the case writes', () => {
  for (const [r, by, pattern] of [
    [inRead('r-ben'), ada, /in read by r-ben; claim the case/],
    [newReport('R', 'C-1', { state: 'ready', ownerId: null }), ada, /case C-1 is ready; claim/],
    [newReport('R', 'C-1', { state: 'assigned', ownerId: 'r-ada' }), ada, /is assigned, not in read/],
    [inRead(), coordinator, /not a reader in the routing directory/],
  ] as const) {
    const out = applyReportCommand(
      r,
      { type: 'save-draft', by, expectedRevision: 0, content: content('x') },
      T0,
    );
    assert.equal(out.ok, false);
    if (out.ok) continue;
    assert.equal(out.code, ReportErrorCode.NotOwner);
    assert.match(out.message, pattern);
  }
});

test('only the final report signer adds addenda', () => {
  let r = run(inRead(), {
    type: 'sign',
    kind: 'final',
    by: ada,
    expectedRevision: 0,
    content: content('Normal'),
  });
  r = withCase(r, 'final', null);
  const out = applyReportCommand(
    r,
    {
      type: 'sign',
      kind: 'addendum',
      by: ben,
      expectedRevision: 1,
      content: { ...content(''), addendum: 'x' },
    },
    T0,
  );
  assert.ok(
    !out.ok && out.code === ReportErrorCode.NotOwner && /signed final by Dr Ada Quill/.test(out.message),
  );
});

test('a stale revision is refused with who saved last', () => {
  const r = run(
    inRead(),
    { type: 'save-draft', by: ada, expectedRevision: 0, content: content('a') },
    T0 + 5,
  );
  const out = applyReportCommand(
    r,
    { type: 'save-draft', by: ada, expectedRevision: 0, content: content('b') },
    T0 + 10,
  );
  assert.equal(out.ok, false);
  if (out.ok) return;
  assert.equal(out.code, ReportErrorCode.Stale);
  assert.deepEqual(out.savedBy, ada);
  assert.equal(out.savedAt, T0 + 5);
  assert.match(out.message, /saved by Dr Ada Quill at 2026-11-24T08:00:00.005Z\); reload/);
});

test('transitions: no addendum before final, no second preliminary, nothing but addenda after final', () => {
  const draft = run(inRead(), { type: 'save-draft', by: ada, expectedRevision: 0, content: content('a') });
  const early = applyReportCommand(
    draft,
    { type: 'sign', kind: 'addendum', by: ada, expectedRevision: 1 },
    T0,
  );
  assert.ok(
    !early.ok && early.code === ReportErrorCode.InvalidTransition && /sign final instead/.test(early.message),
  );
  const prelim = withCase(
    run(draft, { type: 'sign', kind: 'preliminary', by: ada, expectedRevision: 1 }),
    'preliminary',
    'r-ada',
  );
  const again = applyReportCommand(
    prelim,
    { type: 'sign', kind: 'preliminary', by: ada, expectedRevision: 2 },
    T0,
  );
  assert.ok(!again.ok && again.code === ReportErrorCode.InvalidTransition);
  const fin = withCase(
    run(prelim, { type: 'sign', kind: 'final', by: ada, expectedRevision: 2 }),
    'final',
    null,
  );
  const refinal = applyReportCommand(fin, { type: 'sign', kind: 'final', by: ada, expectedRevision: 3 }, T0);
  assert.ok(!refinal.ok && /add an addendum to change it/.test(refinal.message));
  const empty = applyReportCommand(fin, { type: 'sign', kind: 'addendum', by: ada, expectedRevision: 3 }, T0);
  assert.ok(!empty.ok && empty.code === ReportErrorCode.Incomplete);
});

test('a signature needs required sections and the impression; critical findings are checked', () => {
  const blank = content('', { sections: [{ id: 'findings', title: 'Findings', text: ' ', required: true }] });
  const out = applyReportCommand(
    inRead(),
    { type: 'sign', kind: 'final', by: ada, expectedRevision: 0, content: blank },
    T0,
  );
  assert.ok(!out.ok);
  if (out.ok) return;
  assert.equal(out.code, ReportErrorCode.Incomplete);
  assert.deepEqual(out.missing, ['Findings', 'Impression']);
  const bad = content('x', { criticalFindings: [{ category: 'serious', finding: 'bleed' }] });
  const b = applyReportCommand(
    inRead(),
    { type: 'save-draft', by: ada, expectedRevision: 0, content: bad },
    T0,
  );
  assert.ok(
    !b.ok &&
      b.code === ReportErrorCode.Invalid &&
      /use one of critical, urgent, unexpected-significant/.test(b.message),
  );
});

test('an addendum may add critical findings but never drops the signed ones', () => {
  const crit = { category: 'critical', finding: 'Acute subdural haematoma' };
  let r = run(inRead(), {
    type: 'sign',
    kind: 'final',
    by: ada,
    expectedRevision: 0,
    content: content('Bleed', { criticalFindings: [crit] }),
  });
  r = withCase(r, 'final', null);
  const late = { category: 'unexpected-significant', finding: 'Incidental 2 cm thyroid nodule' };
  r = run(r, {
    type: 'sign',
    kind: 'addendum',
    by: ada,
    expectedRevision: 1,
    content: { ...content('Bleed'), criticalFindings: [late], addendum: 'Thyroid nodule noted.' },
  });
  assert.deepEqual(r.versions[1]!.content.criticalFindings, [crit, late]);
});

test('property: whatever is asked, signed versions are never changed and numbered 1..n', () => {
  const who = fc.constantFrom(ada, ben, coordinator);
  const cmd: fc.Arbitrary<ReportCommand> = fc.oneof(
    fc.record({
      type: fc.constant('save-draft' as const),
      by: who,
      expectedRevision: fc.nat(8),
      content: fc.string({ maxLength: 5 }).map((s) => ({ ...content(s), addendum: s })),
    }),
    fc.record({
      type: fc.constant('sign' as const),
      kind: fc.constantFrom('preliminary' as const, 'final' as const, 'addendum' as const),
      by: who,
      expectedRevision: fc.nat(8),
    }),
  );
  // The case follows the report's status the way the server moves it.
  const caseFor = (r: ReportSnapshot): ReportSnapshot['case'] =>
    r.status === 'preliminary'
      ? { state: 'preliminary', ownerId: 'r-ada' }
      : r.status === 'final' || r.status === 'addended'
        ? { state: r.status, ownerId: null }
        : { state: 'in-read', ownerId: 'r-ada' };
  fc.assert(
    fc.property(fc.array(fc.tuple(cmd, fc.boolean()), { maxLength: 25 }), (steps) => {
      let r = inRead();
      for (const [c, fresh] of steps) {
        const sent = fresh ? { ...c, expectedRevision: r.revision } : c;
        const before = JSON.stringify(r.versions);
        const out = applyReportCommand(r, sent, T0);
        if (!out.ok) continue;
        assert.equal(out.snapshot.revision, r.revision + 1);
        assert.equal(JSON.stringify(out.snapshot.versions.slice(0, r.versions.length)), before);
        r = { ...out.snapshot, case: caseFor(out.snapshot) };
      }
      assert.deepEqual(
        r.versions.map((v) => v.version),
        r.versions.map((_, i) => i + 1),
      );
      const kinds = r.versions.map((v) => v.kind).join(',');
      assert.match(kinds, /^(preliminary)?(,?final(,addendum)*)?$/);
      for (const v of r.versions) assert.equal(v.author.readerId, 'r-ada');
    }),
  );
});
