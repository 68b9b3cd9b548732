import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReportContent, SignedReport } from '@confer/core';
import type { Transaction } from 'kysely';
import { storeCases } from '../../test/support/stores.ts';
import { bearer, HUB, startWorklistBed, type WorklistBed } from '../../test/support/worklist.ts';
import { validateCriticalConfig } from '../critical/critical-config.ts';
import { SimulatedReaders } from '../demo/simulated-readers.ts';
import type { Database } from '../store/schema.ts';
import type { ReportOutbox } from './report-outbox.ts';
import { simulatedReportFinaliser } from './simulated-report.ts';
import { STARTER_TEMPLATES } from './starter-templates.ts';

/** An outbox that records what it is given (and whether inside a transaction), or fails when told to. */
class TestOutbox implements ReportOutbox {
  sent: SignedReport[] = [];
  fail = false;
  async enqueue(trx: Transaction<Database>, report: SignedReport): Promise<void> {
    assert.equal(trx.isTransaction, true);
    if (this.fail) throw new Error('outbox unavailable');
    this.sent.push(report);
  }
}

type Headers = Record<string, string>;

/** A browser session for a user (created with these roles on first use). */
async function session(bed: WorklistBed, username: string, roles: string[]): Promise<Headers> {
  await bed.token(username, roles);
  const res = await bed.confer.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username, password: `${username}-password-1` },
  });
  assert.equal(res.statusCode, 200, res.body);
  const cookie = String(res.headers['set-cookie']).split(';')[0]!;
  return { cookie };
}

async function api(
  bed: WorklistBed,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  headers: Headers,
  payload?: unknown,
) {
  const res = await bed.confer.app.inject({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, any>) : {} };
}

async function withBed(
  run: (bed: WorklistBed, outbox: TestOutbox) => Promise<void>,
  options: Parameters<typeof startWorklistBed>[1] = {},
) {
  for (const sc of await storeCases()) {
    if (sc.skip) {
      console.log(`skipped on ${sc.name}: ${sc.skip}`);
      continue;
    }
    const env = await sc.open();
    const outbox = new TestOutbox();
    const bed = await startWorklistBed(env, { ...options, reportOutbox: outbox });
    try {
      for (const t of STARTER_TEMPLATES) await bed.confer.reports.templates.save(t, 'test', 'upsert');
      await run(bed, outbox);
    } catch (err) {
      (err as Error).message = `[${sc.name}] ${(err as Error).message}`;
      throw err;
    } finally {
      await bed.close();
      await env.cleanup();
    }
  }
}

async function auditRows(bed: WorklistBed, prefix: string) {
  const rows = await bed.confer.store.db
    .selectFrom('audit_events')
    .select(['action', 'outcome', 'actor_name', 'detail', 'study_uid'])
    .where('action', 'like', `${prefix}%`)
    .orderBy('id')
    .execute();
  return rows;
}

/** Fills the chest radiograph draft the template gives: a pick-list phrase and an impression. */
function filled(draft: ReportContent, impression = 'No acute cardiopulmonary abnormality.'): ReportContent {
  return {
    ...draft,
    sections: draft.sections.map((s) =>
      s.id === 'findings'
        ? { ...s, text: 'The lungs are clear. The heart is not enlarged.', choiceIds: ['clear', 'heart'] }
        : s,
    ),
    impression,
  };
}

test('templates: create, validate with JSON paths, refuse duplicates and non-managers, replace, delete', async () => {
  await withBed(async (bed) => {
    const coord = bearer(await bed.token('olive', ['coordinator']));
    const ada = await session(bed, 'ada', ['radiologist']);
    const doc = {
      ...STARTER_TEMPLATES[4]!,
      id: 'us-abdomen',
      name: 'US abdomen',
      match: { modalities: ['US'] },
    };
    assert.equal((await api(bed, 'POST', '/api/report-templates', coord, doc)).status, 201);
    const dup = await api(bed, 'POST', '/api/report-templates', coord, doc);
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, 'CONFER_ERR_REPORT_TEMPLATE_EXISTS');
    const bad = await api(bed, 'POST', '/api/report-templates', coord, {
      ...doc,
      id: 'x',
      sections: [{ id: 'a', title: 'A', kind: 'multi' }],
    });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.code, 'CONFER_ERR_REPORT_TEMPLATE_INVALID');
    assert.deepEqual(
      bad.body.errors.map((e: { path: string }) => e.path),
      ['sections[0].choices'],
    );
    assert.equal((await api(bed, 'POST', '/api/report-templates', ada, { ...doc, id: 'y' })).status, 403);
    const put = await api(bed, 'PUT', '/api/report-templates/us-abdomen', coord, {
      ...doc,
      name: 'US abdomen v2',
    });
    assert.equal(put.status, 200);
    assert.equal(put.body.revision, 2);
    const list = await api(bed, 'GET', '/api/report-templates', ada);
    assert.ok(
      list.body.templates.some((t: { template: { name: string } }) => t.template.name === 'US abdomen v2'),
    );
    assert.equal((await api(bed, 'DELETE', '/api/report-templates/us-abdomen', coord)).status, 204);
    assert.equal((await api(bed, 'GET', '/api/report-templates/us-abdomen', ada)).status, 404);
    const openapi = await api(bed, 'GET', '/api/openapi.json', {});
    for (const path of [
      '/api/report-templates',
      '/api/report-templates/{id}',
      '/api/cases/{id}/report',
      '/api/cases/{id}/report/template',
      '/api/cases/{id}/report/draft',
      '/api/cases/{id}/report/sign',
      '/api/cases/{id}/report/versions',
      '/api/cases/{id}/report/diff',
    ])
      assert.ok(openapi.body.paths[path], `${path} is in the OpenAPI document`);
    assert.deepEqual(
      openapi.body.paths['/api/cases/{id}/report/sign'].post.requestBody.content['application/json'].schema
        .required,
      ['kind', 'password', 'expectedRevision'],
    );
    const audited = await auditRows(bed, 'report-template-');
    assert.deepEqual(
      audited.map((r) => `${r.action}:${r.outcome}`),
      [
        'report-template-create:success',
        'report-template-create:failure',
        'report-template-create:failure',
        'report-template-replace:success',
        'report-template-delete:success',
      ],
    );
  });
});

test('a report from template to addendum: autosave conflict, re-authentication, the case timeline, versions and diff', async () => {
  await withBed(async (bed, outbox) => {
    const caseId = await bed.newCase({ site: HUB });
    const ada = await session(bed, 'ada', ['radiologist']);
    assert.equal((await api(bed, 'POST', `/api/cases/${caseId}/claim`, ada)).status, 200);

    const tpl = await api(bed, 'GET', `/api/cases/${caseId}/report/template`, ada);
    assert.equal(tpl.status, 200, JSON.stringify(tpl.body));
    assert.equal(tpl.body.template.id, 'chest-xray');
    assert.match(
      tpl.body.summary,
      /"Chest radiograph": modality CR, body part CHEST; the most specific of 2 matching templates/,
    );
    const draft = tpl.body.draft as ReportContent;

    const saved = await api(bed, 'PUT', `/api/cases/${caseId}/report/draft`, ada, {
      expectedRevision: 0,
      content: filled(draft, 'Normal'),
    });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.equal(saved.body.report.revision, 1);
    assert.equal(saved.body.report.status, 'draft');
    // A second tab still at revision 0 must not overwrite the newer text.
    const stale = await api(bed, 'PUT', `/api/cases/${caseId}/report/draft`, ada, {
      expectedRevision: 0,
      content: draft,
    });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.code, 'CONFER_ERR_REPORT_STALE');
    assert.equal(stale.body.savedBy.name, 'Dr Ada Quill');
    assert.equal(stale.body.savedAt, '2026-03-10T14:00:00.000Z');

    const wrong = await api(bed, 'POST', `/api/cases/${caseId}/report/sign`, ada, {
      kind: 'final',
      password: 'not-my-password',
      expectedRevision: 1,
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.code, 'CONFER_ERR_REPORT_REAUTH_FAILED');
    const token = bearer(await bed.token('ada', ['radiologist']));
    const byToken = await api(bed, 'POST', `/api/cases/${caseId}/report/sign`, token, {
      kind: 'final',
      password: 'ada-password-1',
      expectedRevision: 1,
    });
    assert.equal(byToken.status, 403);
    assert.equal(byToken.body.code, 'CONFER_ERR_REPORT_SIGNER_NOT_A_PERSON');
    assert.equal(outbox.sent.length, 0);

    bed.clock.advance(5 * 60_000);
    const prelim = await api(bed, 'POST', `/api/cases/${caseId}/report/sign`, ada, {
      kind: 'preliminary',
      password: 'ada-password-1',
      expectedRevision: 1,
    });
    assert.equal(prelim.status, 200, JSON.stringify(prelim.body));
    assert.equal(prelim.body.signed.kind, 'preliminary');
    bed.clock.advance(10 * 60_000);
    const edited = await api(bed, 'PUT', `/api/cases/${caseId}/report/draft`, ada, {
      expectedRevision: prelim.body.report.revision,
      content: filled(draft, 'No acute cardiopulmonary abnormality.'),
    });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    const fin = await api(bed, 'POST', `/api/cases/${caseId}/report/sign`, ada, {
      kind: 'final',
      password: 'ada-password-1',
      expectedRevision: edited.body.report.revision,
    });
    assert.equal(fin.status, 200, JSON.stringify(fin.body));

    // Report times are the case's handoff times.
    const detail = await api(bed, 'GET', `/api/cases/${caseId}`, ada);
    assert.equal(detail.body.case.state, 'final');
    const types = detail.body.timeline.map((e: { type: string; at: string }) => `${e.type}@${e.at}`);
    assert.ok(types.includes('case:preliminary@2026-03-10T14:05:00.000Z'), types.join(' '));
    assert.ok(types.includes('case:finalized@2026-03-10T14:15:00.000Z'), types.join(' '));

    bed.clock.advance(60 * 60_000);
    const addendumDraft = {
      ...fin.body.report.draft.content,
      addendum: 'Compared with the prior study of last year: unchanged.',
    };
    const add = await api(bed, 'POST', `/api/cases/${caseId}/report/sign`, ada, {
      kind: 'addendum',
      password: 'ada-password-1',
      expectedRevision: fin.body.report.revision,
      content: addendumDraft,
    });
    assert.equal(add.status, 200, JSON.stringify(add.body));
    const after = await api(bed, 'GET', `/api/cases/${caseId}`, ada);
    assert.equal(after.body.case.state, 'addended');
    assert.ok(after.body.timeline.some((e: { type: string }) => e.type === 'case:addended'));

    const versions = await api(bed, 'GET', `/api/cases/${caseId}/report/versions`, ada);
    assert.deepEqual(
      versions.body.versions.map(
        (v: { version: number; kind: string; author: { name: string }; signedAt: string }) => [
          v.version,
          v.kind,
          v.author.name,
          v.signedAt,
        ],
      ),
      [
        [1, 'preliminary', 'Dr Ada Quill', '2026-03-10T14:05:00.000Z'],
        [2, 'final', 'Dr Ada Quill', '2026-03-10T14:15:00.000Z'],
        [3, 'addendum', 'Dr Ada Quill', '2026-03-10T15:15:00.000Z'],
      ],
    );
    const d12 = await api(bed, 'GET', `/api/cases/${caseId}/report/diff?from=1&to=2`, ada);
    assert.deepEqual(
      d12.body.ops.filter((o: { kind: string }) => o.kind !== 'same'),
      [
        { kind: 'removed', text: 'Normal' },
        { kind: 'added', text: 'No acute cardiopulmonary abnormality.' },
      ],
    );
    const d23 = await api(bed, 'GET', `/api/cases/${caseId}/report/diff?from=2&to=3`, ada);
    assert.equal(d23.body.removed, 0);
    assert.match(
      d23.body.ops.find((o: { kind: string }) => o.kind === 'added').text,
      /ADDENDUM \(Dr Ada Quill, .*\):\nCompared with the prior study/,
    );
    assert.equal((await api(bed, 'GET', `/api/cases/${caseId}/report/diff?from=1&to=9`, ada)).status, 404);

    // The outbox got one SignedReport per signature, built from the case, study and patient.
    assert.deepEqual(
      outbox.sent.map((s) => [s.kind, s.version]),
      [
        ['preliminary', 1],
        ['final', 2],
        ['addendum', 3],
      ],
    );
    const last = outbox.sent[2]!;
    const row = (await bed.confer.worklist.row(caseId))!;
    assert.equal(last.studyUid, row.study_uid);
    assert.equal(last.patient.id, row.patient_id);
    assert.equal(last.accessionNumber, row.accession_number ?? undefined);
    assert.deepEqual(last.modalities, ['CR']);
    assert.equal(last.templateId, 'chest-xray');
    assert.equal(last.impression, 'No acute cardiopulmonary abnormality.');
    assert.deepEqual(
      last.addenda.map((a) => a.text),
      ['Compared with the prior study of last year: unchanged.'],
    );
    assert.equal(last.author.readerId, 'r-ada');

    const audit = await auditRows(bed, 'report-');
    const seen = audit.map((r) => `${r.action}:${r.outcome}`);
    for (const want of [
      'report-template-select:success',
      'report-draft-save:success',
      'report-draft-save:failure',
      'report-sign-final:failure',
      'report-sign-final:denied',
      'report-sign-preliminary:success',
      'report-sign-final:success',
      'report-sign-addendum:success',
      'report-read:success',
      'report-diff:success',
    ])
      assert.ok(seen.includes(want), `audit has ${want}: ${seen.join(' ')}`);
    assert.ok(audit.every((r) => r.study_uid === row.study_uid || r.action.startsWith('report-template-')));
    assert.match(
      audit.find((r) => r.action === 'report-sign-final' && r.outcome === 'failure')!.detail!,
      /re-authentication failed/,
    );

    // Signed versions are immutable in the database itself.
    await assert.rejects(
      bed.confer.store.db.updateTable('report_versions').set({ text: 'tampered' }).execute(),
      /signed report versions cannot be changed/,
    );
  });
});

test('signing is one durable step: an outbox failure or a refused case transition leaves nothing signed', async () => {
  await withBed(async (bed, outbox) => {
    const caseId = await bed.newCase({ site: HUB });
    const ada = await session(bed, 'ada', ['radiologist']);
    await api(bed, 'POST', `/api/cases/${caseId}/claim`, ada);
    const draft = (await api(bed, 'GET', `/api/cases/${caseId}/report/template`, ada)).body
      .draft as ReportContent;
    const saved = await api(bed, 'PUT', `/api/cases/${caseId}/report/draft`, ada, {
      expectedRevision: 0,
      content: filled(draft),
    });
    assert.equal(saved.status, 200);

    outbox.fail = true;
    const failed = await api(bed, 'POST', `/api/cases/${caseId}/report/sign`, ada, {
      kind: 'final',
      password: 'ada-password-1',
      expectedRevision: 1,
    });
    assert.equal(failed.status, 500);
    const nothing = async () => {
      const versions = await bed.confer.store.db.selectFrom('report_versions').selectAll().execute();
      assert.equal(versions.length, 0);
      const report = await bed.confer.store.db
        .selectFrom('reports')
        .select(['status', 'revision'])
        .executeTakeFirstOrThrow();
      assert.deepEqual({ ...report, revision: Number(report.revision) }, { status: 'draft', revision: 1 });
    };
    await nothing();
    const row = (await bed.confer.worklist.row(caseId))!;
    assert.equal(row.state, 'in-read', 'the case did not move');
    const events = await bed.confer.store.db
      .selectFrom('case_events')
      .select('type')
      .where('case_id', '=', caseId)
      .execute();
    assert.ok(!events.some((e) => e.type === 'case:finalized'));
    const signAudit = await auditRows(bed, 'report-sign-final');
    assert.deepEqual(
      signAudit.map((r) => r.outcome),
      ['failure'],
    );

    // The case marked preliminary outside the report: the case refuses a second preliminary, so no version.
    outbox.fail = false;
    assert.equal((await api(bed, 'POST', `/api/cases/${caseId}/preliminary`, ada)).status, 200);
    const refused = await api(bed, 'POST', `/api/cases/${caseId}/report/sign`, ada, {
      kind: 'preliminary',
      password: 'ada-password-1',
      expectedRevision: 1,
    });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'CONFER_ERR_CASE_INVALID_TRANSITION');
    await nothing();
    assert.equal(outbox.sent.length, 0);

    // And with everything in order the same draft signs.
    const ok = await api(bed, 'POST', `/api/cases/${caseId}/report/sign`, ada, {
      kind: 'final',
      password: 'ada-password-1',
      expectedRevision: 1,
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(outbox.sent.length, 1);
  });
});

test('who reads what: readers and coordinators everything, referrers final reports only, others nothing', async () => {
  await withBed(async (bed) => {
    const caseId = await bed.newCase({ site: HUB });
    const ada = await session(bed, 'ada', ['radiologist']);
    const ben = bearer(await bed.token('ben', ['radiologist']));
    const coord = bearer(await bed.token('olive', ['coordinator']));
    const referrer = bearer(await bed.token('rita', ['referrer']));
    const tech = bearer(await bed.token('tom', ['technologist']));
    await api(bed, 'POST', `/api/cases/${caseId}/claim`, ada);
    const draft = (await api(bed, 'GET', `/api/cases/${caseId}/report/template`, ada)).body
      .draft as ReportContent;
    await api(bed, 'PUT', `/api/cases/${caseId}/report/draft`, ada, {
      expectedRevision: 0,
      content: filled(draft),
    });
    const prelim = await api(bed, 'POST', `/api/cases/${caseId}/report/sign`, ada, {
      kind: 'preliminary',
      password: 'ada-password-1',
      expectedRevision: 1,
    });
    assert.equal(prelim.status, 200);

    const asBen = await api(bed, 'GET', `/api/cases/${caseId}/report`, ben);
    assert.equal(asBen.status, 200);
    assert.equal(asBen.body.report.scope, 'all');
    assert.equal(asBen.body.report.canWrite, false, 'another reader sees but does not write');
    const benWrites = await api(bed, 'PUT', `/api/cases/${caseId}/report/draft`, ben, {
      expectedRevision: 2,
      content: draft,
    });
    assert.equal(benWrites.status, 403);
    assert.equal(benWrites.body.code, 'CONFER_ERR_REPORT_NOT_OWNER');
    const asAda = await api(bed, 'GET', `/api/cases/${caseId}/report`, ada);
    assert.equal(asAda.body.report.canWrite, true);
    assert.equal(
      (await api(bed, 'GET', `/api/cases/${caseId}/report`, coord)).body.report.versions.length,
      1,
    );
    const early = await api(bed, 'GET', `/api/cases/${caseId}/report`, referrer);
    assert.equal(early.status, 403);
    assert.equal(early.body.code, 'CONFER_ERR_REPORT_NOT_FINAL');
    assert.equal((await api(bed, 'GET', `/api/cases/${caseId}/report`, tech)).status, 403);
    const coordWrites = await api(bed, 'PUT', `/api/cases/${caseId}/report/draft`, coord, {
      expectedRevision: 2,
      content: draft,
    });
    assert.equal(coordWrites.status, 403);
    const coordSaves = (await auditRows(bed, 'report-draft-save')).filter(
      (r) => r.actor_name === 'olive/test',
    );
    assert.deepEqual(
      coordSaves.map((r) => r.outcome),
      ['denied'],
    );

    const fin = await api(bed, 'POST', `/api/cases/${caseId}/report/sign`, ada, {
      kind: 'final',
      password: 'ada-password-1',
      expectedRevision: 2,
    });
    assert.equal(fin.status, 200);
    const late = await api(bed, 'GET', `/api/cases/${caseId}/report`, referrer);
    assert.equal(late.status, 200);
    assert.equal(late.body.report.scope, 'final-only');
    assert.equal(late.body.report.draft, null);
    assert.deepEqual(
      late.body.report.versions.map((v: { kind: string }) => v.kind),
      ['final'],
    );
    assert.equal(
      (await api(bed, 'GET', `/api/cases/${caseId}/report/diff?from=1&to=2`, referrer)).status,
      404,
    );
    // Only the final's signer adds addenda.
    const benAdds = await api(bed, 'PUT', `/api/cases/${caseId}/report/draft`, ben, {
      expectedRevision: 3,
      content: { ...draft, addendum: 'x' },
    });
    assert.equal(benAdds.status, 403);
    const reads = await auditRows(bed, 'report-read');
    assert.deepEqual(
      reads.map((r) => `${r.actor_name}:${r.outcome}`),
      [
        'ben/test:success',
        'ada:success',
        'olive/test:success',
        'rita/test:denied',
        'tom/test:denied',
        'rita/test:success',
      ],
    );
  });
});

test('critical findings start the critical-results loop in the signing transaction, each finding once', async () => {
  const critical = validateCriticalConfig({ defaultClinician: 'dr.clinician' });
  await withBed(
    async (bed, outbox) => {
      const caseId = await bed.newCase({ site: HUB });
      const ada = await session(bed, 'ada', ['radiologist']);
      await api(bed, 'POST', `/api/cases/${caseId}/claim`, ada);
      const draft = (await api(bed, 'GET', `/api/cases/${caseId}/report/template`, ada)).body
        .draft as ReportContent;
      const ptx = { category: 'critical', finding: 'Large right tension pneumothorax.' };
      const content = { ...filled(draft, 'Right tension pneumothorax.'), criticalFindings: [ptx] };
      const sign = (kind: string, expectedRevision: number, c: ReportContent) =>
        api(bed, 'POST', `/api/cases/${caseId}/report/sign`, ada, {
          kind,
          password: 'ada-password-1',
          expectedRevision,
          content: c,
        });

      // Nobody to tell: the signature is refused with the critical service's reason, and nothing is signed.
      const refused = await sign('final', 0, content);
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.equal(refused.body.code, 'CONFER_ERR_CRITICAL_NO_CLINICIAN');
      assert.equal((await bed.confer.store.db.selectFrom('report_versions').selectAll().execute()).length, 0);
      assert.equal((await bed.confer.worklist.row(caseId))!.state, 'in-read');

      await bed.token('dr.clinician', ['referrer']);
      const fin = await sign('final', 0, content);
      assert.equal(fin.status, 200, JSON.stringify(fin.body));
      assert.deepEqual(outbox.sent[0]!.criticalFindings, [ptx]);
      const nodule = { category: 'unexpected-significant', finding: 'Incidental 2 cm thyroid nodule.' };
      const add = await sign('addendum', fin.body.report.revision, {
        ...fin.body.report.draft.content,
        criticalFindings: [ptx, nodule],
        addendum: 'Thyroid nodule noted; ultrasound advised.',
      });
      assert.equal(add.status, 200, JSON.stringify(add.body));
      const results = await bed.confer.store.db
        .selectFrom('critical_results')
        .select(['case_id', 'category', 'responsible', 'report_id', 'flagged_by'])
        .orderBy('flagged_at')
        .execute();
      assert.deepEqual(
        results.map((r) => [r.case_id, r.category, r.responsible, r.report_id, r.flagged_by]),
        [
          [caseId, 'critical', 'dr.clinician', fin.body.report.id, 'ada'],
          [caseId, 'unexpected-significant', 'dr.clinician', fin.body.report.id, 'ada'],
        ],
      );
    },
    { config: { critical } },
  );
});

test("the demo's simulated readers write short template-based reports and sign them final", async () => {
  await withBed(async (bed, outbox) => {
    const password = 'simulated-demo-password';
    for (const username of ['ben', 'cy'])
      await bed.confer.access.createUser({ username, password, roles: ['radiologist'] });
    const ids = [await bed.newCase({ site: HUB }), await bed.newCase({ site: HUB })];
    const sim = new SimulatedReaders({
      worklist: bed.confer.worklist,
      routing: bed.confer.routing,
      clock: bed.clock,
      humanUsernames: ['ada'],
      readMinutes: { min: 3, max: 3 },
      pickChance: 1,
      finalize: simulatedReportFinaliser({
        reports: bed.confer.reports,
        access: bed.confer.access,
        password,
        worklist: bed.confer.worklist,
      }),
    });
    assert.equal((await sim.step()).claimed, 2);
    bed.clock.advance(200_000);
    assert.equal((await sim.step()).finalized, 2);
    for (const id of ids) assert.equal((await bed.confer.worklist.row(id))!.state, 'final');
    assert.equal(outbox.sent.length, 2);
    for (const signed of outbox.sent) {
      assert.equal(signed.templateId, 'chest-xray');
      assert.deepEqual(signed.sections, [
        { id: 'findings', title: 'Findings', text: 'The lungs are clear.' },
      ]);
      assert.match(signed.impression, /Simulated demo report/);
      assert.ok(['r-ben', 'r-cy'].includes(signed.author.readerId!));
    }
  });
});

test('two tabs at once: one autosave and one signature win, the others are refused, nothing is lost', async () => {
  await withBed(async (bed, outbox) => {
    const caseId = await bed.newCase({ site: HUB });
    const ada = await session(bed, 'ada', ['radiologist']);
    await api(bed, 'POST', `/api/cases/${caseId}/claim`, ada);
    const draft = (await api(bed, 'GET', `/api/cases/${caseId}/report/template`, ada)).body
      .draft as ReportContent;
    const saves = await Promise.all(
      ['first tab', 'second tab'].map((impression) =>
        api(bed, 'PUT', `/api/cases/${caseId}/report/draft`, ada, {
          expectedRevision: 0,
          content: filled(draft, impression),
        }),
      ),
    );
    assert.deepEqual(saves.map((s) => s.status).sort(), [200, 409], JSON.stringify(saves.map((s) => s.body)));
    const winner = saves.find((s) => s.status === 200)!.body.report;
    const stored = await api(bed, 'GET', `/api/cases/${caseId}/report`, ada);
    assert.equal(stored.body.report.draft.content.impression, winner.draft.content.impression);

    const signs = await Promise.all(
      ['final', 'final'].map((kind) =>
        api(bed, 'POST', `/api/cases/${caseId}/report/sign`, ada, {
          kind,
          password: 'ada-password-1',
          expectedRevision: 1,
        }),
      ),
    );
    assert.deepEqual(
      signs.map((s) => s.status).sort(),
      [200, 409],
      JSON.stringify(signs.map((s) => s.body.code)),
    );
    assert.equal((await bed.confer.store.db.selectFrom('report_versions').selectAll().execute()).length, 1);
    assert.equal(outbox.sent.length, 1);
    const events = await bed.confer.store.db
      .selectFrom('case_events')
      .select('type')
      .where('case_id', '=', caseId)
      .where('type', '=', 'case:finalized')
      .execute();
    assert.equal(events.length, 1);
  });
});
