import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeCases } from '../../test/support/stores.ts';
import {
  bearer,
  HUB,
  SPOKE,
  startWorklistBed,
  testRoutingConfig,
  type WorklistBed,
} from '../../test/support/worklist.ts';

const MIN = 60_000;

async function withBed(
  c: Awaited<ReturnType<typeof storeCases>>[number],
  run: (bed: WorklistBed) => Promise<void>,
  options: Parameters<typeof startWorklistBed>[1] = {},
) {
  const env = await c.open();
  let bed: WorklistBed | undefined;
  try {
    bed = await startWorklistBed(env, options);
    await run(bed);
  } finally {
    await bed?.close();
    await env.cleanup();
  }
}

for (const c of await storeCases()) {
  describe(`worklist on ${c.name}`, { skip: c.skip }, () => {
    test('a completed study becomes one routed case, with its explanation and handoff timeline', () =>
      withBed(c, async (bed) => {
        const { app } = bed.confer;
        const caseId = await bed.newCase({ site: SPOKE });
        // A second tick does not create another case or route it again.
        await bed.confer.tick();
        const n = await bed.confer.store.db.selectFrom('cases').select('id').execute();
        assert.equal(n.length, 1);

        const coord = await bed.token('olive', ['coordinator']);
        const res = await app.inject({ url: `/api/cases/${caseId}`, headers: bearer(coord) });
        assert.equal(res.statusCode, 200, res.body);
        const detail = res.json();
        assert.equal(detail.case.state, 'ready');
        assert.equal(detail.case.siteId, SPOKE.id);
        assert.equal(detail.decision.outcome, 'pooled');
        assert.equal(detail.decision.ruleId, 'shared');
        // Ada holds no New York licence and Cy has no privileges at the spoke: both excluded, with reasons.
        assert.deepEqual(detail.decision.eligibleReaderIds, ['r-ben']);
        const ada = detail.decision.candidates.find((x: { readerId: string }) => x.readerId === 'r-ada');
        assert.equal(ada.excludedAt, 'credentials');
        assert.match(ada.reason, /US-NY/);
        const cy = detail.decision.candidates.find((x: { readerId: string }) => x.readerId === 'r-cy');
        assert.equal(cy.excludedAt, 'credentials');
        const types = detail.timeline.map((e: { type: string }) => e.type);
        assert.deepEqual(types.slice(0, 2), ['case:available', 'case:routed']);
        assert.ok(
          detail.sla.some((s: { from: string; to: string }) => s.from === 'available' && s.to === 'final'),
        );

        // Ben sees it; Ada does not, and may not open it.
        const ben = await bed.token('ben', ['radiologist']);
        const ada2 = await bed.token('ada', ['radiologist']);
        const benList = (await app.inject({ url: '/api/worklist', headers: bearer(ben) })).json();
        assert.deepEqual(
          benList.cases.map((x: { id: string }) => x.id),
          [caseId],
        );
        const adaList = (await app.inject({ url: '/api/worklist', headers: bearer(ada2) })).json();
        assert.deepEqual(adaList.cases, []);
        const denied = await app.inject({ url: `/api/cases/${caseId}`, headers: bearer(ada2) });
        assert.equal(denied.statusCode, 403);
        assert.equal(denied.headers['content-type'], 'application/problem+json; charset=utf-8');
        // Every access is audited, the denied one too.
        const audit = await bed.confer.store.db
          .selectFrom('audit_events')
          .select(['action', 'outcome'])
          .where('action', 'in', ['case-view', 'worklist-query'])
          .execute();
        assert.ok(audit.some((a) => a.action === 'case-view' && a.outcome === 'denied'));
        assert.ok(audit.filter((a) => a.action === 'worklist-query').length >= 2);
      }));

    test('claim once with a lease; a second claimant is refused; an expired lease returns the case', () =>
      withBed(c, async (bed) => {
        const { app } = bed.confer;
        const caseId = await bed.newCase({ site: HUB });
        const ada = await bed.token('ada', ['radiologist']);
        const ben = await bed.token('ben', ['radiologist']);
        const claim = (t: string) =>
          app.inject({ method: 'POST', url: `/api/cases/${caseId}/claim`, headers: bearer(t) });

        const first = await claim(ada);
        assert.equal(first.statusCode, 200, first.body);
        assert.equal(first.json().case.state, 'in-read');
        assert.equal(first.json().case.ownerId, 'r-ada');
        const second = await claim(ben);
        assert.equal(second.statusCode, 409);
        assert.equal(second.json().code, 'CONFER_ERR_CASE_ALREADY_CLAIMED');
        assert.equal(second.json().ownerId, 'r-ada');

        // A heartbeat renews the lease; the tick after the old expiry leaves the claim alone.
        bed.clock.advance(100_000);
        const hb = await app.inject({
          method: 'POST',
          url: `/api/cases/${caseId}/heartbeat`,
          headers: bearer(ada),
        });
        assert.equal(hb.statusCode, 200, hb.body);
        bed.clock.advance(60_000);
        await bed.confer.tick();
        assert.equal((await bed.confer.worklist.row(caseId))!.state, 'in-read');
        // Without heartbeats the lease runs out and the case is back on the worklist for anyone eligible.
        bed.clock.advance(121_000);
        await bed.confer.tick();
        const back = (await bed.confer.worklist.row(caseId))!;
        assert.equal(back.state, 'ready');
        assert.equal(back.owner_id, null);
        const benClaims = await claim(ben);
        assert.equal(benClaims.statusCode, 200, benClaims.body);

        const fin = await app.inject({
          method: 'POST',
          url: `/api/cases/${caseId}/final`,
          headers: bearer(ben),
        });
        assert.equal(fin.statusCode, 200, fin.body);
        assert.equal(fin.json().case.state, 'final');
        const detail = (
          await app.inject({
            url: `/api/cases/${caseId}`,
            headers: bearer(await bed.token('olive', ['coordinator'])),
          })
        ).json();
        const types = detail.timeline.map((e: { type: string }) => e.type);
        assert.ok(!types.includes('case:lease-renewed'), 'heartbeats stay out of the timeline');
        for (const t of ['case:claimed', 'case:lease-expired', 'case:finalized'])
          assert.ok(types.includes(t), `${t} in ${types.join(', ')}`);
      }));

    test("next case follows the reader's sort order; coordinators reassign; readers cannot", () =>
      withBed(c, async (bed) => {
        const { app } = bed.confer;
        const routine = await bed.newCase({ site: HUB, protocol: 'cr-chest-ap' });
        bed.clock.advance(MIN);
        const stroke = await bed.newCase({ site: HUB, protocol: 'ct-head' });
        const coord = await bed.token('olive', ['coordinator']);
        // Make the CT head a stroke case the way a coordinator would: raise it to STAT with a reason.
        const pr = await app.inject({
          method: 'POST',
          url: `/api/cases/${stroke}/priority`,
          headers: bearer(coord),
          payload: { priority: 'stat', reason: 'ED called: suspected stroke' },
        });
        assert.equal(pr.statusCode, 200, pr.body);
        assert.equal(pr.json().case.priority, 'stat');

        const ben = await bed.token('ben', ['radiologist']);
        const next = await app.inject({
          method: 'POST',
          url: '/api/worklist/next',
          headers: bearer(ben),
          payload: {},
        });
        assert.equal(next.statusCode, 200, next.body);
        assert.equal(next.json().case.id, stroke, 'most urgent first');
        const byAge = await app.inject({
          method: 'POST',
          url: '/api/worklist/next',
          headers: bearer(await bed.token('cy', ['radiologist'])),
          payload: { sort: 'availableAt' },
        });
        assert.equal(byAge.json().case.id, routine);

        const refused = await app.inject({
          method: 'POST',
          url: `/api/cases/${stroke}/reassign`,
          headers: bearer(ben),
          payload: { readerId: 'r-ada' },
        });
        assert.equal(refused.statusCode, 403);
        const moved = await app.inject({
          method: 'POST',
          url: `/api/cases/${stroke}/reassign`,
          headers: bearer(coord),
          payload: { readerId: 'r-ada', reason: 'neuro read' },
        });
        assert.equal(moved.statusCode, 200, moved.body);
        assert.equal(moved.json().case.state, 'assigned');
        assert.equal(moved.json().case.ownerId, 'r-ada');
        const none = await app.inject({
          method: 'POST',
          url: '/api/worklist/next',
          headers: bearer(ben),
          payload: {},
        });
        assert.equal(none.statusCode, 404);
        assert.equal(none.json().code, 'CONFER_ERR_NO_CASE_AVAILABLE');
      }));

    test('AI triage: a suspected critical finding makes the case STAT at once; a protocol mismatch is an exception', () =>
      withBed(c, async (bed) => {
        const { app } = bed.confer;
        const caseId = await bed.newCase({ site: HUB });
        const row = (await bed.confer.worklist.row(caseId))!;
        const ai = await bed.token('triage-ai', ['integration']);
        const res = await app.inject({
          method: 'POST',
          url: '/api/ai-results',
          headers: bearer(ai),
          payload: {
            studyInstanceUid: row.study_uid,
            source: 'ChestAI 2.1',
            finding: 'pneumothorax',
            confidence: 0.94,
            suspectedCritical: true,
          },
        });
        assert.equal(res.statusCode, 200, res.body);
        const after = (await bed.confer.worklist.row(caseId))!;
        assert.equal(after.priority, 'stat');
        assert.match(after.priority_reasons, /pneumothorax/);
        assert.match(after.ai_flags, /suspected-critical/);

        const other = await bed.newCase({ site: HUB });
        const otherRow = (await bed.confer.worklist.row(other))!;
        const fhir = await app.inject({
          method: 'POST',
          url: '/api/fhir/Observation',
          headers: bearer(ai),
          payload: {
            resourceType: 'Observation',
            status: 'final',
            code: { text: 'protocol mismatch: non-contrast series missing' },
            category: [{ coding: [{ code: 'protocol-mismatch' }] }],
            derivedFrom: [{ identifier: { value: `urn:oid:${otherRow.study_uid}` } }],
            device: { display: 'ProtocolCheck 1.0' },
          },
        });
        assert.equal(fhir.statusCode, 201, fhir.body);
        const ex = (await bed.confer.worklist.row(other))!;
        assert.equal(ex.state, 'exception');
        assert.equal(ex.exception_queue, 'protocol-mismatch');

        const bad = await app.inject({
          method: 'POST',
          url: '/api/fhir/Observation',
          headers: bearer(ai),
          payload: { resourceType: 'Observation', code: { text: 'x' } },
        });
        assert.equal(bad.statusCode, 400);
        assert.equal(bad.json().resourceType, 'OperationOutcome');
        // Readers may not post AI results.
        const reader = await bed.token('ben', ['radiologist']);
        const forbidden = await app.inject({
          method: 'POST',
          url: '/api/ai-results',
          headers: bearer(reader),
          payload: { studyInstanceUid: row.study_uid, source: 'x', finding: 'y' },
        });
        assert.equal(forbidden.statusCode, 403);
      }));

    test('SLA deadlines are stored: escalation steps fire on time, a breach shows, and both survive a restart', async () => {
      const env = await c.open();
      let bed: WorklistBed | undefined;
      try {
        bed = await startWorklistBed(env);
        const caseId = await bed.newCase({ site: HUB });
        const coord = await bed.token('olive', ['coordinator']);
        await bed.confer.app.inject({
          method: 'POST',
          url: `/api/cases/${caseId}/priority`,
          headers: bearer(coord),
          payload: { priority: 'stat', reason: 'clinician phoned' },
        });
        const timers = await bed.confer.store.db
          .selectFrom('case_timers')
          .selectAll()
          .where('case_id', '=', caseId)
          .where('fired_at', 'is', null)
          .execute();
        assert.ok(timers.length >= 3, 'alert, supervisor and breach timers stored');
        const clock = bed.clock;
        await bed.close();
        bed = undefined;

        // Restart 31 minutes later: the 50% alert fires from the stored timer.
        clock.advance(31 * MIN);
        bed = await startWorklistBed(env, { clock });
        const notices: string[] = [];
        bed.confer.bus.subscribe((m) => {
          if (m.type === 'notice') notices.push(m.kind);
        });
        await bed.confer.tick();
        assert.equal((await bed.confer.worklist.row(caseId))!.sla_state, 'at-risk');
        clock.advance(15 * MIN);
        await bed.confer.tick();
        assert.deepEqual(notices, ['sla-supervisor']);
        clock.advance(15 * MIN);
        await bed.confer.tick();
        const breached = (await bed.confer.worklist.row(caseId))!;
        assert.equal(breached.sla_state, 'breached');
        assert.ok(notices.includes('sla-breached'));
        const list = (
          await bed.confer.app.inject({ url: '/api/worklist?sla=breached', headers: bearer(coord) })
        ).json();
        assert.deepEqual(
          list.cases.map((x: { id: string }) => x.id),
          [caseId],
        );
        const events = await bed.confer.store.db
          .selectFrom('case_events')
          .select('type')
          .where('case_id', '=', caseId)
          .execute();
        const types = events.map((e) => e.type);
        assert.ok(types.includes('sla:alert') && types.includes('sla:breached'), types.join(', '));
      } finally {
        await bed?.close();
        await env.cleanup();
      }
    });

    test('routing rules change through the API without a restart; bad ones are refused with their paths', () =>
      withBed(c, async (bed) => {
        const { app } = bed.confer;
        const coord = await bed.token('olive', ['coordinator']);
        const bad = await app.inject({
          method: 'PUT',
          url: '/api/routing/config/rules',
          headers: bearer(coord),
          payload: [{ id: 'x', name: 'x', when: { priorities: ['soon'] }, then: {} }],
        });
        assert.equal(bad.statusCode, 422, bad.body);
        assert.equal(bad.json().code, 'CONFER_ERR_ROUTING_CONFIG_INVALID');
        assert.ok(
          bad.json().errors.some((e: { path: string }) => e.path.startsWith('rules[0].when.priorities')),
        );

        // Nobody may read the spoke now (Ben's roster entry removed): its case is unroutable, with the reason.
        const cfg = testRoutingConfig();
        const noBen = await app.inject({
          method: 'PUT',
          url: '/api/routing/config/rosters',
          headers: bearer(coord),
          payload: cfg.rosters.filter((r) => r.readerId !== 'r-ben'),
        });
        assert.equal(noBen.statusCode, 200, noBen.body);
        assert.equal(noBen.json().version, 2);
        const caseId = await bed.newCase({ site: SPOKE });
        const row = (await bed.confer.worklist.row(caseId))!;
        assert.equal(row.state, 'exception');
        assert.equal(row.exception_queue, 'unroutable');
        assert.match(row.exception_reason ?? '', /No eligible reader|no eligible reader/i);
        const queues = (await app.inject({ url: '/api/queues', headers: bearer(coord) })).json();
        assert.equal(queues.exceptions.find((q: { queue: string }) => q.queue === 'unroutable').count, 1);

        // Ben back on the roster: the next tick routes the case with no manual step.
        const back = await app.inject({
          method: 'PUT',
          url: '/api/routing/config/rosters',
          headers: bearer(coord),
          payload: cfg.rosters,
        });
        assert.equal(back.json().version, 3);
        await bed.confer.tick();
        const routed = (await bed.confer.worklist.row(caseId))!;
        assert.equal(routed.state, 'ready');
        assert.deepEqual(JSON.parse(routed.decision_json!).eligibleReaderIds, ['r-ben']);
        const versions = (await app.inject({ url: '/api/routing/versions', headers: bearer(coord) })).json();
        assert.deepEqual(
          versions.versions.map((v: { version: number }) => v.version),
          [3, 2, 1],
        );
      }));

    test('the live stream sends each reader only the cases they may see', () =>
      withBed(c, async (bed) => {
        const url = bed.confer.httpUrl;
        const ada = await bed.token('ada', ['radiologist']);
        const ben = await bed.token('ben', ['radiologist']);
        const open = async (token: string) => {
          const ctrl = new AbortController();
          const res = await fetch(`${url}/api/worklist/stream`, {
            headers: bearer(token),
            signal: ctrl.signal,
          });
          assert.equal(res.status, 200);
          assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
          const reader = res.body!.getReader();
          const events: { event: string; data: unknown }[] = [];
          const waiters: { cond: () => boolean; resolve: () => void }[] = [];
          const waitFor = (cond: () => boolean) =>
            new Promise<void>((resolve, reject) => {
              if (cond()) return resolve();
              const timer = setTimeout(() => reject(new Error('stream event never came')), 10_000);
              waiters.push({
                cond,
                resolve: () => {
                  clearTimeout(timer);
                  resolve();
                },
              });
            });
          let buffer = '';
          const pump = (async () => {
            const dec = new TextDecoder();
            for (;;) {
              const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
              if (done) return;
              buffer += dec.decode(value, { stream: true });
              let i = buffer.indexOf('\n\n');
              while (i >= 0) {
                const block = buffer.slice(0, i);
                buffer = buffer.slice(i + 2);
                const ev = /^event: (.+)$/m.exec(block)?.[1];
                const data = /^data: (.+)$/m.exec(block)?.[1];
                if (ev && data) events.push({ event: ev, data: JSON.parse(data) });
                for (const w of waiters.splice(0)) {
                  if (w.cond()) w.resolve();
                  else waiters.push(w);
                }
                i = buffer.indexOf('\n\n');
              }
            }
          })();
          return { events, waitFor, close: () => ctrl.abort(), pump };
        };
        const adaStream = await open(ada);
        const benStream = await open(ben);
        await adaStream.waitFor(() => adaStream.events.length > 0);
        await benStream.waitFor(() => benStream.events.length > 0);
        const spokeCase = await bed.newCase({ site: SPOKE });
        await benStream.waitFor(() => benStream.events.some((e) => e.event === 'case'));
        const hubCase = await bed.newCase({ site: HUB });
        await adaStream.waitFor(() => adaStream.events.some((e) => e.event === 'case'));
        const adaIds = adaStream.events
          .filter((e) => e.event === 'case')
          .map((e) => (e.data as { id: string }).id);
        assert.ok(adaIds.includes(hubCase));
        assert.ok(!adaIds.includes(spokeCase), 'Ada is not licensed for the spoke');
        adaStream.close();
        benStream.close();
        await Promise.all([adaStream.pump, benStream.pump]);
      }));
  });
}
