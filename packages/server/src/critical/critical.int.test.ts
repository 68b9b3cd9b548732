import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { ManualClock } from '@confer/core';
import { startSmtpSink } from '../../test/support/smtp-sink.ts';
import { storeCases } from '../../test/support/stores.ts';
import { bearer, HUB, startWorklistBed, type WorklistBed } from '../../test/support/worklist.ts';
import { verifyWebhookSignature } from '../webhook/webhook-sender.ts';
import { type CriticalConfig, validateCriticalConfig } from './critical-config.ts';
import type { CriticalResultView } from './critical-service.ts';

const MIN = 60_000;
const SECRET = 'test-webhook-secret-0123456789';

async function webhookReceiver() {
  const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return {
    url: `http://127.0.0.1:${port}/critical`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function criticalConfig(webhookUrl: string | undefined, smtpPort: number | undefined): CriticalConfig {
  return validateCriticalConfig({
    deadlineMinutes: { critical: 30, urgent: 240, 'unexpected-significant': 4320 },
    groups: { 'ed-department': ['dr.dept'], supervisors: ['dr.chief'] },
    ladder: [
      { name: 'Backup clinician', afterMinutes: 15, backup: true },
      { name: 'Department', afterMinutes: 15, groups: ['ed-department'] },
      { name: 'Supervisor', afterMinutes: 10, groups: ['supervisors'] },
    ],
    sites: { [HUB.id]: { defaultClinician: 'dr.clinician', backupClinician: 'dr.backup' } },
    contacts: {
      'dr.clinician': { email: 'clinician@hospital.test' },
      'dr.backup': { email: 'backup@hospital.test' },
    },
    ...(webhookUrl ? { webhook: { url: webhookUrl, secret: SECRET } } : {}),
    ...(smtpPort ? { smtp: { host: '127.0.0.1', port: smtpPort, from: 'confer@hospital.test' } } : {}),
    publicBaseUrl: 'http://confer.test',
  });
}

async function people(bed: WorklistBed) {
  return {
    ada: await bed.token('ada', ['radiologist']),
    olive: await bed.token('olive', ['coordinator']),
    clinician: await bed.token('dr.clinician', ['referrer']),
    backup: await bed.token('dr.backup', ['referrer']),
    dept: await bed.token('dr.dept', ['referrer']),
    chief: await bed.token('dr.chief', ['referrer']),
  };
}

function tokenOf(mailBody: string): string {
  const m = /#\/ack\/([A-Za-z0-9_-]+)/.exec(mailBody);
  assert.ok(m, `no acknowledgement link in:\n${mailBody}`);
  return m[1]!;
}

for (const store of await storeCases()) {
  test(`critical results on ${store.name}: flag, notify by app, webhook and e-mail, escalate, acknowledge by link`, {
    skip: store.skip,
  }, async () => {
    const env = await store.open();
    const hook = await webhookReceiver();
    const smtp = await startSmtpSink();
    const bed = await startWorklistBed(env, {
      config: { critical: criticalConfig(hook.url, smtp.port) },
    });
    try {
      const { app } = bed.confer;
      const t = await people(bed);
      const caseId = await bed.newCase({ site: HUB });
      const caseRow = (await bed.confer.worklist.row(caseId))!;

      // A referrer cannot flag; a reader who sees the case can.
      const denied = await app.inject({
        method: 'POST',
        url: `/api/cases/${caseId}/critical-results`,
        headers: bearer(t.clinician),
        payload: { category: 'critical', finding: 'x' },
      });
      assert.equal(denied.statusCode, 403);
      const flagged = await app.inject({
        method: 'POST',
        url: `/api/cases/${caseId}/critical-results`,
        headers: bearer(t.ada),
        payload: {
          category: 'critical',
          finding: 'Tension pneumothorax on the right with mediastinal shift',
        },
      });
      assert.equal(flagged.statusCode, 201, flagged.body);
      const r = flagged.json() as CriticalResultView;
      assert.equal(r.responsible, 'dr.clinician');
      assert.equal(r.responsibleSource, 'site-default');
      assert.equal(r.state, 'open');
      assert.equal(Date.parse(r.dueAt) - Date.parse(r.flaggedAt), 30 * MIN);
      assert.deepEqual(
        r.communications.map((c) => [c.channel, c.recipient, c.sentBy, c.status]),
        [
          ['app', 'dr.clinician', 'ada', 'delivered'],
          ['webhook', 'dr.clinician', 'ada', 'delivered'],
          ['email', 'dr.clinician', 'ada', 'delivered'],
        ],
      );
      assert.deepEqual(
        r.rungs.map((g) => [g.name, g.recipients]),
        [
          ['Responsible clinician', ['dr.clinician']],
          ['Backup clinician', ['dr.backup']],
          ['Department', ['dr.dept']],
          ['Supervisor', ['dr.chief']],
        ],
      );

      // The webhook: signed JSON with the finding and a link, no patient identifiers.
      assert.equal(hook.received.length, 1);
      const h = hook.received[0]!;
      assert.ok(
        verifyWebhookSignature(
          SECRET,
          Number(h.headers['x-confer-timestamp']),
          h.body,
          String(h.headers['x-confer-signature']),
        ),
      );
      const payload = JSON.parse(h.body);
      assert.equal(payload.resultId, r.id);
      assert.equal(payload.recipient.username, 'dr.clinician');
      assert.match(payload.acknowledgeUrl, /^http:\/\/confer\.test\/#\/ack\/[A-Za-z0-9_-]{43}$/);
      // The e-mail: a link, no finding (by default) and no patient name or ID.
      assert.equal(smtp.messages.length, 1);
      const mail = smtp.messages[0]!;
      assert.deepEqual(mail.to, ['clinician@hospital.test']);
      assert.match(mail.headers.subject!, /CRITICAL result to acknowledge - case C-/);
      for (const secret of [
        caseRow.patient_name,
        caseRow.patient_id,
        caseRow.accession_number,
        'pneumothorax',
      ]) {
        if (secret) assert.equal(mail.data.includes(secret), false, `the e-mail carries ${secret}`);
        if (secret && secret !== 'pneumothorax') assert.equal(h.body.includes(secret), false);
      }

      // The in-app notification reached the clinician, linking to the result.
      const inbox = (await app.inject({ url: '/api/notifications', headers: bearer(t.clinician) })).json();
      assert.ok(
        inbox.items.some(
          (n: { kind: string; link: string }) =>
            n.kind === 'critical-result' && n.link === `#/critical/${r.id}`,
        ),
        JSON.stringify(inbox),
      );
      // The clinician sees it as theirs; the backup does not, and cannot acknowledge it yet.
      const mine = await app.inject({ url: '/api/critical-results', headers: bearer(t.clinician) });
      assert.deepEqual(
        (mine.json().results as CriticalResultView[]).map((x) => x.id),
        [r.id],
      );
      const notYet = await app.inject({ url: '/api/critical-results', headers: bearer(t.backup) });
      assert.deepEqual(notYet.json().results, []);
      const early = await app.inject({
        method: 'POST',
        url: `/api/critical-results/${r.id}/acknowledge`,
        headers: bearer(t.backup),
      });
      assert.equal(early.statusCode, 403);
      assert.equal(early.json().code, 'CONFER_ERR_CRITICAL_NOT_A_RECIPIENT');
      // A radiologist has no dashboard.
      const noDashboard = await app.inject({ url: '/api/critical-results', headers: bearer(t.ada) });
      assert.equal(noDashboard.statusCode, 403);

      // The case records the communication.
      let detail = (await app.inject({ url: `/api/cases/${caseId}`, headers: bearer(t.olive) })).json();
      assert.ok(detail.timeline.some((e: { type: string }) => e.type === 'case:critical-communicated'));

      // Past the deadline: the backup clinician is told; firing again does nothing more.
      bed.clock.advance(30 * MIN);
      await bed.confer.tick();
      await bed.confer.tick();
      const dash = await app.inject({ url: '/api/critical-results?state=open', headers: bearer(t.olive) });
      const [open] = dash.json().results as CriticalResultView[];
      assert.equal(open!.step, 1);
      assert.equal(open!.stepName, 'Backup clinician');
      assert.deepEqual(open!.currentRecipients, ['dr.backup']);
      assert.equal(open!.timeLeftMs, 15 * MIN);
      assert.equal(open!.communications.filter((c) => c.step === 1).length, 3);
      assert.equal(open!.lastCommunication?.recipient, 'dr.backup');
      assert.equal(smtp.messages.length, 2);
      assert.deepEqual(smtp.messages[1]!.to, ['backup@hospital.test']);
      assert.match(smtp.messages[1]!.body, /escalated/);

      // The backup acknowledges through the link in their e-mail; the link is single-use.
      const token = tokenOf(smtp.messages[1]!.body);
      const opened = await app.inject({ url: `/api/critical-links/${token}` });
      assert.equal(opened.statusCode, 200, opened.body);
      assert.equal(opened.json().finding, 'Tension pneumothorax on the right with mediastinal shift');
      assert.equal(opened.json().recipient, 'dr.backup');
      const acked = await app.inject({ method: 'POST', url: `/api/critical-links/${token}/acknowledge` });
      assert.equal(acked.statusCode, 200, acked.body);
      assert.equal(acked.json().state, 'acknowledged');
      assert.equal(acked.json().acknowledgement.method, 'link');
      assert.equal(acked.json().acknowledgement.by, 'dr.backup');
      const again = await app.inject({ method: 'POST', url: `/api/critical-links/${token}/acknowledge` });
      assert.equal(again.statusCode, 410);
      assert.equal(again.json().code, 'CONFER_ERR_CRITICAL_LINK_USED');
      const bogus = await app.inject({ url: `/api/critical-links/${'x'.repeat(43)}` });
      assert.equal(bogus.statusCode, 404);

      // No more escalation; the dashboard is empty; the case carries both milestones.
      bed.clock.advance(60 * MIN);
      await bed.confer.tick();
      const after = await app.inject({ url: '/api/critical-results?state=open', headers: bearer(t.olive) });
      assert.deepEqual(after.json().results, []);
      const perCase = await app.inject({
        url: `/api/cases/${caseId}/critical-results`,
        headers: bearer(t.ada),
      });
      const [done] = perCase.json().results as CriticalResultView[];
      assert.equal(done!.state, 'acknowledged');
      const linkComm = done!.communications.find((c) => c.id === done!.acknowledgement!.communicationId)!;
      assert.ok(linkComm.openedAt && linkComm.acknowledgedAt && linkComm.deliveredAt);
      detail = (await app.inject({ url: `/api/cases/${caseId}`, headers: bearer(t.olive) })).json();
      const types = detail.timeline.map((e: { type: string }) => e.type);
      assert.ok(types.includes('case:critical-acknowledged'));
      const snapshot = JSON.parse((await bed.confer.worklist.row(caseId))!.snapshot_json);
      assert.equal(snapshot.milestones.communicated, Date.parse(r.flaggedAt));
      assert.equal(snapshot.milestones.acknowledged, Date.parse(acked.json().acknowledgement.at));

      // Every step was audited.
      const audit = await bed.confer.store.db
        .selectFrom('audit_events')
        .select(['action', 'outcome'])
        .execute();
      const actions = audit.map((a) => `${a.action}:${a.outcome}`);
      for (const a of [
        'critical-flag:denied',
        'critical-flag:success',
        'critical-escalate:success',
        'critical-link-open:success',
        'critical-acknowledge-link:success',
        'critical-acknowledge:denied',
      ])
        assert.ok(actions.includes(a), `no audit record ${a}`);
    } finally {
      await bed.close();
      await hook.close();
      await smtp.close();
      await env.cleanup();
    }
  });

  test(`critical results on ${store.name}: the ladder runs out to overdue; a coordinator records a phone read-back`, {
    skip: store.skip,
  }, async () => {
    const env = await store.open();
    const bed = await startWorklistBed(env, { config: { critical: criticalConfig(undefined, undefined) } });
    try {
      const { app } = bed.confer;
      const t = await people(bed);
      const caseId = await bed.newCase({ site: HUB });
      const res = await app.inject({
        method: 'POST',
        url: `/api/cases/${caseId}/critical-results`,
        headers: bearer(t.ada),
        payload: { category: 'critical', finding: 'Free air under the diaphragm', responsible: 'dr.dept' },
      });
      assert.equal(res.statusCode, 201, res.body);
      const r = res.json() as CriticalResultView;
      assert.equal(r.responsibleSource, 'given');
      // The responsible clinician is not told twice when they are also on a rung.
      assert.deepEqual(
        r.rungs.map((g) => g.recipients),
        [['dr.dept'], ['dr.backup'], [], ['dr.chief']].filter((x) => x.length > 0),
      );
      for (const wait of [30, 15, 10]) {
        bed.clock.advance(wait * MIN);
        await bed.confer.tick();
      }
      const dash = (await app.inject({ url: '/api/critical-results', headers: bearer(t.olive) })).json();
      const [overdue] = dash.results as CriticalResultView[];
      assert.equal(overdue!.state, 'overdue');
      assert.ok(overdue!.timeLeftMs! <= 0);
      // A clinician cannot acknowledge on someone's behalf; a coordinator records the phone read-back.
      const notAllowed = await app.inject({
        method: 'POST',
        url: `/api/critical-results/${r.id}/acknowledge-on-behalf`,
        headers: bearer(t.chief),
        payload: { clinician: 'dr.chief' },
      });
      assert.equal(notAllowed.statusCode, 403);
      const phone = await app.inject({
        method: 'POST',
        url: `/api/critical-results/${r.id}/acknowledge-on-behalf`,
        headers: bearer(t.olive),
        payload: { clinician: 'dr.chief', note: 'read back over the phone at 14:55' },
      });
      assert.equal(phone.statusCode, 200, phone.body);
      const v = phone.json() as CriticalResultView;
      assert.deepEqual(
        [v.state, v.acknowledgement?.method, v.acknowledgement?.by, v.acknowledgement?.recordedBy],
        ['acknowledged', 'phone', 'dr.chief', 'olive'],
      );
      assert.deepEqual(
        [v.lastCommunication?.channel, v.lastCommunication?.sentBy, v.lastCommunication?.recipient],
        ['phone', 'olive', 'dr.chief'],
      );
      const twice = await app.inject({
        method: 'POST',
        url: `/api/critical-results/${r.id}/acknowledge`,
        headers: bearer(t.chief),
      });
      assert.equal(twice.json().code, 'CONFER_ERR_CRITICAL_ALREADY_ACKNOWLEDGED');
      // Without a default clinician and without a name, flagging says what to configure.
      const other = await bed.newCase({ site: HUB });
      await bed.confer.store.db.updateTable('cases').set({ site_id: null }).where('id', '=', other).execute();
      const none = await app.inject({
        method: 'POST',
        url: `/api/cases/${other}/critical-results`,
        headers: bearer(t.olive),
        payload: { category: 'urgent', finding: 'Pulmonary embolism' },
      });
      assert.equal(none.statusCode, 422);
      assert.match(none.json().detail, /critical\.defaultClinician/);
    } finally {
      await bed.close();
      await env.cleanup();
    }
  });

  test(`critical results on ${store.name}: a restart mid-escalation loses nothing`, {
    skip: store.skip,
  }, async () => {
    const env = await store.open();
    const clock = new ManualClock('2026-03-10T14:00:00Z');
    const config = { critical: criticalConfig(undefined, undefined) };
    let bed = await startWorklistBed(env, { clock, config });
    let closed = false;
    try {
      const t = await people(bed);
      const caseId = await bed.newCase({ site: HUB });
      const res = await bed.confer.app.inject({
        method: 'POST',
        url: `/api/cases/${caseId}/critical-results`,
        headers: bearer(t.ada),
        payload: { category: 'critical', finding: 'Acute subdural haematoma' },
      });
      const id = (res.json() as CriticalResultView).id;
      await bed.close();
      closed = true;
      clock.advance(31 * MIN);
      bed = await startWorklistBed(env, { clock, config });
      closed = false;
      await bed.confer.tick();
      const olive = await bed.token('olive', ['coordinator']);
      const v = (
        await bed.confer.app.inject({ url: `/api/critical-results/${id}`, headers: bearer(olive) })
      ).json() as CriticalResultView;
      assert.equal(v.step, 1);
      assert.deepEqual(v.currentRecipients, ['dr.backup']);
      assert.equal(Date.parse(v.stepDueAt), clock.now().getTime() + 15 * MIN);
    } finally {
      if (!closed) await bed.close();
      await env.cleanup();
    }
  });
}

const postgres = (await storeCases()).find((c) => c.name === 'postgres')!;
test('two nodes on PostgreSQL: each escalation timer fires once', { skip: postgres.skip }, async () => {
  const env = await postgres.open();
  const clock = new ManualClock('2026-03-10T14:00:00Z');
  const config = { critical: criticalConfig(undefined, undefined) };
  const a = await startWorklistBed(env, { clock, config, node: 'a' });
  const b = await startWorklistBed(env, { clock, config, node: 'b' });
  try {
    const t = await people(a);
    const caseId = await a.newCase({ site: HUB });
    const res = await a.confer.app.inject({
      method: 'POST',
      url: `/api/cases/${caseId}/critical-results`,
      headers: bearer(t.ada),
      payload: { category: 'critical', finding: 'Aortic dissection, Stanford type A' },
    });
    const id = (res.json() as CriticalResultView).id;
    clock.advance(30 * MIN);
    const [ra, rb] = await Promise.all([a.confer.critical.tick(), b.confer.critical.tick()]);
    assert.equal(ra.escalated + rb.escalated, 1);
    const comms = await a.confer.store.db
      .selectFrom('critical_communications')
      .select(['step', 'recipient'])
      .where('result_id', '=', id)
      .execute();
    assert.deepEqual(
      comms.filter((c) => c.step === 1).map((c) => c.recipient),
      ['dr.backup'],
    );
  } finally {
    await a.close();
    await b.close();
    await env.cleanup();
  }
});

const sqliteCase = (await storeCases()).find((c) => c.name === 'sqlite')!;
test('signing a report with a critical finding flags it in the signing transaction', async () => {
  const { STARTER_TEMPLATES } = await import('../reporting/starter-templates.ts');
  const env = await sqliteCase.open();
  const bed = await startWorklistBed(env, { config: { critical: criticalConfig(undefined, undefined) } });
  try {
    const { app } = bed.confer;
    for (const tpl of STARTER_TEMPLATES) await bed.confer.reports.templates.save(tpl, 'test', 'upsert');
    const t = await people(bed);
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'ada', password: 'ada-password-1' },
    });
    const ada = { cookie: String(login.headers['set-cookie']).split(';')[0]! };
    const sign = async (caseId: string) => {
      assert.equal(
        (await app.inject({ method: 'POST', url: `/api/cases/${caseId}/claim`, headers: ada })).statusCode,
        200,
      );
      const draft = (await app.inject({ url: `/api/cases/${caseId}/report/template`, headers: ada })).json()
        .draft;
      const content = {
        ...draft,
        sections: draft.sections.map((s: { id: string }) =>
          s.id === 'findings' ? { ...s, text: 'Large right pneumothorax.' } : s,
        ),
        impression: 'Large right pneumothorax.',
        criticalFindings: [{ category: 'critical', finding: 'Large right pneumothorax' }],
      };
      const saved = await app.inject({
        method: 'PUT',
        url: `/api/cases/${caseId}/report/draft`,
        headers: ada,
        payload: { expectedRevision: 0, content },
      });
      assert.equal(saved.statusCode, 200, saved.body);
      return app.inject({
        method: 'POST',
        url: `/api/cases/${caseId}/report/sign`,
        headers: ada,
        payload: {
          kind: 'final',
          password: 'ada-password-1',
          expectedRevision: saved.json().report.revision,
        },
      });
    };
    const caseId = await bed.newCase({ site: HUB });
    const signed = await sign(caseId);
    assert.equal(signed.statusCode, 200, signed.body);
    await bed.confer.tick();
    const [r] = (
      await app.inject({ url: `/api/cases/${caseId}/critical-results`, headers: bearer(t.olive) })
    ).json().results as CriticalResultView[];
    assert.equal(r!.finding, 'Large right pneumothorax');
    assert.equal(r!.flaggedBy, 'ada');
    assert.equal(r!.responsible, 'dr.clinician');
    assert.ok(r!.reportId);
    const timeline = (await app.inject({ url: `/api/cases/${caseId}`, headers: bearer(t.olive) })).json()
      .timeline;
    assert.ok(timeline.some((e: { type: string }) => e.type === 'case:critical-communicated'));
    // Nobody to address it to: the signature is refused with the reason, and nothing is signed.
    const orphan = await bed.newCase({ site: HUB });
    await bed.confer.store.db.updateTable('cases').set({ site_id: null }).where('id', '=', orphan).execute();
    const refused = await sign(orphan);
    assert.equal(refused.statusCode, 422, refused.body);
    assert.equal(refused.json().code, 'CONFER_ERR_CRITICAL_NO_CLINICIAN');
    assert.equal((await bed.confer.worklist.row(orphan))!.state, 'in-read');
  } finally {
    await bed.close();
    await env.cleanup();
  }
});

test('in-app notifications: one per rung, written in the flagging transaction, flushed after the commit', async () => {
  const env = await sqliteCase.open();
  const bed = await startWorklistBed(env, { config: { critical: criticalConfig(undefined, undefined) } });
  try {
    const calls: { usernames: readonly string[]; link?: string; inTransaction: boolean; title: string }[] =
      [];
    let flushes = 0;
    bed.confer.critical.useNotifier({
      async notify(input, trx) {
        calls.push({ ...input, inTransaction: trx?.isTransaction === true });
      },
      async flush() {
        flushes++;
      },
    });
    const t = await people(bed);
    const caseId = await bed.newCase({ site: HUB });
    const res = await bed.confer.app.inject({
      method: 'POST',
      url: `/api/cases/${caseId}/critical-results`,
      headers: bearer(t.ada),
      payload: { category: 'urgent', finding: 'Segmental pulmonary embolism' },
    });
    const id = (res.json() as CriticalResultView).id;
    assert.deepEqual(
      calls.map((c) => [c.usernames, c.link, c.inTransaction]),
      [[['dr.clinician'], `#/critical/${id}`, true]],
    );
    assert.ok(flushes >= 1);
    bed.clock.advance(240 * MIN);
    await bed.confer.tick();
    assert.deepEqual(calls[1]!.usernames, ['dr.backup']);
    assert.match(calls[1]!.title, /^Escalated: Urgent result to acknowledge on case C-/);
    assert.ok(flushes >= 2);
  } finally {
    await bed.close();
    await env.cleanup();
  }
});
