import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '@confer/core';
import { collaborationRouting, readEvents } from '../../test/support/collaboration.ts';
import { storeCases } from '../../test/support/stores.ts';
import { bearer, HUB, SPOKE, startWorklistBed, type WorklistBed } from '../../test/support/worklist.ts';

const MIN = 60_000;
type Env = Awaited<ReturnType<Awaited<ReturnType<typeof storeCases>>[number]['open']>>;

async function withEnv(c: Awaited<ReturnType<typeof storeCases>>[number], run: (env: Env) => Promise<void>) {
  const env = await c.open();
  try {
    await run(env);
  } finally {
    await env.cleanup();
  }
}

async function withBed(
  c: Awaited<ReturnType<typeof storeCases>>[number],
  run: (bed: WorklistBed) => Promise<void>,
) {
  await withEnv(c, async (env) => {
    const bed = await startWorklistBed(env, { routing: collaborationRouting() });
    try {
      await run(bed);
    } finally {
      await bed.close();
    }
  });
}

async function timelineOf(bed: WorklistBed, caseId: string, token: string) {
  const res = await bed.confer.app.inject({ url: `/api/cases/${caseId}`, headers: bearer(token) });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().timeline as { type: string; actor: string; detail: Record<string, unknown> }[];
}

async function notificationsOf(bed: WorklistBed, username: string) {
  return bed.confer.store.db
    .selectFrom('notifications')
    .selectAll()
    .where('username', '=', username)
    .orderBy('id')
    .execute();
}

const ask = (bed: WorklistBed, token: string, caseId: string, body: Record<string, unknown>) =>
  bed.confer.app.inject({
    method: 'POST',
    url: `/api/cases/${caseId}/consults`,
    headers: bearer(token),
    payload: body,
  });

for (const c of await storeCases()) {
  describe(`consults on ${c.name}`, { skip: c.skip }, () => {
    test('a second opinion to the neuro pool is routed by the case engine to an eligible member, who sees the case, accepts and answers; the answer is on the case timeline', () =>
      withBed(c, async (bed) => {
        const { app } = bed.confer;
        // A New York case: Ada (neuro, England only) cannot take it; Dee (neuro, licensed in New York) can.
        const caseId = await bed.newCase({ site: SPOKE });
        const ben = await bed.token('ben', ['radiologist']);
        const dee = await bed.token('dee', ['radiologist']);
        await bed.token('olive', ['coordinator']);
        assert.equal(
          (await app.inject({ url: `/api/cases/${caseId}`, headers: bearer(dee) })).statusCode,
          403,
          'Dee cannot see the case before the consult',
        );

        const res = await ask(bed, ben, caseId, {
          kind: 'second-opinion',
          target: { kind: 'pool', id: 'neuro' },
          urgency: 'urgent',
          question: 'Is the left frontal hypodensity an early infarct?',
        });
        assert.equal(res.statusCode, 201, res.body);
        const k = res.json();
        assert.equal(k.state, 'requested');
        assert.equal(k.assignee.readerId, 'r-dee');
        assert.equal(k.target.name, 'Neuroradiology');
        assert.match(k.decision.summary, /Assigned to Dr Dee Okoro by rule "Consult: pool Neuroradiology"/);
        const ada = k.decision.candidates.find((x: { readerId: string }) => x.readerId === 'r-ada');
        assert.equal(ada.excludedAt, 'credentials');
        assert.match(ada.reason, /US-NY/);
        const stored = await bed.confer.store.db
          .selectFrom('consults')
          .select('decision_json')
          .where('id', '=', k.id)
          .executeTakeFirstOrThrow();
        assert.match(stored.decision_json!, /US-NY/, 'the explanation is stored');

        // Dee is told, finds it in her incoming consults, and may now open the case.
        const told = await notificationsOf(bed, 'dee');
        assert.equal(told.length, 1);
        assert.equal(told[0]!.kind, 'consult');
        assert.match(told[0]!.title, /ben asks you for a urgent second opinion/);
        const mine = (await app.inject({ url: '/api/consults?mine=1', headers: bearer(dee) })).json();
        assert.deepEqual(
          mine.consults.map((x: { id: string }) => x.id),
          [k.id],
        );
        assert.equal(
          (await app.inject({ url: `/api/cases/${caseId}`, headers: bearer(dee) })).statusCode,
          200,
        );
        // Consult access is not a worklist entry: the case is still not on Dee's worklist, nor hers to claim.
        const deeList = (await app.inject({ url: '/api/worklist', headers: bearer(dee) })).json();
        assert.deepEqual(deeList.cases, []);
        const claim = await app.inject({
          method: 'POST',
          url: `/api/cases/${caseId}/claim`,
          headers: bearer(dee),
        });
        assert.equal(claim.statusCode, 409, claim.body);
        assert.equal(claim.json().code, 'CONFER_ERR_CASE_NOT_ELIGIBLE');

        const benTriesToAnswer = await app.inject({
          method: 'POST',
          url: `/api/consults/${k.id}/answer`,
          headers: bearer(ben),
          payload: { text: 'sure' },
        });
        assert.equal(benTriesToAnswer.statusCode, 403);
        assert.equal(benTriesToAnswer.json().code, 'CONFER_ERR_CONSULT_NOT_ASSIGNEE');

        bed.clock.advance(5 * MIN);
        const accepted = await app.inject({
          method: 'POST',
          url: `/api/consults/${k.id}/accept`,
          headers: bearer(dee),
        });
        assert.equal(accepted.json().state, 'accepted');
        bed.clock.advance(10 * MIN);
        const answered = await app.inject({
          method: 'POST',
          url: `/api/consults/${k.id}/answer`,
          headers: bearer(dee),
          payload: { text: 'Yes: loss of grey-white differentiation, early left MCA infarct.' },
        });
        assert.equal(answered.statusCode, 200, answered.body);
        assert.equal(answered.json().state, 'answered');
        const again = await app.inject({
          method: 'POST',
          url: `/api/consults/${k.id}/cancel`,
          headers: bearer(ben),
        });
        assert.equal(again.statusCode, 409, again.body);
        assert.equal(again.json().code, 'CONFER_ERR_CONSULT_CLOSED');

        const timeline = await timelineOf(bed, caseId, ben);
        const consultEvents = timeline.filter((e) => e.type.startsWith('case:consult-'));
        assert.deepEqual(
          consultEvents.map((e) => e.type),
          ['case:consult-requested', 'case:consult-routed', 'case:consult-accepted', 'case:consult-answered'],
        );
        const answer = consultEvents.at(-1)!;
        assert.equal(answer.actor, 'dee');
        assert.equal(
          answer.detail.answer,
          'Yes: loss of grey-white differentiation, early left MCA infarct.',
        );
        assert.equal(answer.detail.consultant, 'Dr Dee Okoro');
        const benTold = await notificationsOf(bed, 'ben');
        assert.ok(benTold.some((n) => n.kind === 'consult-answered' && n.case_id === caseId));
        const ofCase = (
          await app.inject({ url: `/api/consults?caseId=${caseId}`, headers: bearer(ben) })
        ).json();
        assert.equal(
          ofCase.consults[0].answer.text,
          'Yes: loss of grey-white differentiation, early left MCA infarct.',
        );

        const audit = await bed.confer.store.db
          .selectFrom('audit_events')
          .select(['action', 'outcome', 'actor_name'])
          .where('action', 'like', 'consult-%')
          .execute();
        const seen = new Set(audit.map((a) => `${a.action}:${a.outcome}:${a.actor_name.split('/')[0]}`));
        for (const a of [
          'consult-request:success:ben',
          'consult-accept:success:dee',
          'consult-answer:success:dee',
          'consult-answer:failure:ben',
          'consult-cancel:failure:ben',
          'consult-list:success:dee',
        ])
          assert.ok(seen.has(a), `audited ${a}`);
      }));

    test('declined: routed again without the decliner; nobody left: unassigned, and the decliner loses the case', () =>
      withBed(c, async (bed) => {
        const { app } = bed.confer;
        // A hub case: Ada and Dee are both eligible; Ben asks.
        const caseId = await bed.newCase({ site: HUB });
        const ben = await bed.token('ben', ['radiologist']);
        const ada = await bed.token('ada', ['radiologist']);
        const dee = await bed.token('dee', ['radiologist']);
        const k = (
          await ask(bed, ben, caseId, {
            target: { kind: 'pool', id: 'neuro' },
            question: 'Second look at the C-spine?',
          })
        ).json();
        assert.equal(k.assignee.readerId, 'r-ada', 'equal load: the longest idle, then by id');
        const d1 = await app.inject({
          method: 'POST',
          url: `/api/consults/${k.id}/decline`,
          headers: bearer(ada),
          payload: { reason: 'on leave from 3pm' },
        });
        assert.equal(d1.statusCode, 200, d1.body);
        assert.equal(d1.json().state, 'requested');
        assert.equal(d1.json().assignee.readerId, 'r-dee');
        assert.match(d1.json().decision.rules[0].why.join(' '), /Dr Ada Quill \(declined this consult\)/);
        assert.equal(
          (await app.inject({ url: `/api/cases/${caseId}`, headers: bearer(dee) })).statusCode,
          200,
        );
        // Dee follows the case's discussion while the consult is hers.
        const stream = await readEvents(
          `${bed.confer.httpUrl}/api/cases/${caseId}/discussion/stream`,
          bearer(dee),
        );
        assert.equal((await stream.next())?.event, 'ready');
        const d2 = await app.inject({
          method: 'POST',
          url: `/api/consults/${k.id}/decline`,
          headers: bearer(dee),
          payload: {},
        });
        assert.equal(d2.json().state, 'unassigned');
        assert.equal(d2.json().assignee, null);
        assert.deepEqual(d2.json().declinedBy, ['Dr Ada Quill', 'Dr Dee Okoro']);
        assert.equal(
          (await app.inject({ url: `/api/cases/${caseId}`, headers: bearer(dee) })).statusCode,
          403,
          "the consult's access ended with the decline",
        );
        // Her open stream is told so and closed before it would carry the next comment.
        await app.inject({
          method: 'POST',
          url: `/api/cases/${caseId}/discussion`,
          headers: bearer(ben),
          payload: { body: 'not for Dee any more' },
        });
        assert.equal((await stream.next())?.event, 'revoked');
        assert.equal(await stream.next(), null, 'the stream ended');
        const benTold = await notificationsOf(bed, 'ben');
        assert.equal(benTold.filter((n) => n.kind === 'consult-declined').length, 2);
        const types = (await timelineOf(bed, caseId, ben))
          .map((e) => e.type)
          .filter((t) => t.startsWith('case:consult'));
        assert.deepEqual(types, [
          'case:consult-requested',
          'case:consult-routed',
          'case:consult-declined',
          'case:consult-routed',
          'case:consult-declined',
          'case:consult-unassigned',
        ]);
        const cancelled = await app.inject({
          method: 'POST',
          url: `/api/consults/${k.id}/cancel`,
          headers: bearer(ben),
          payload: { reason: 'discussed at the MDT' },
        });
        assert.equal(cancelled.json().state, 'cancelled');
      }));

    test('a named reader who is not eligible, oneself, or an unknown pool: refused with the reason, nothing stored', () =>
      withBed(c, async (bed) => {
        const caseId = await bed.newCase({ site: SPOKE });
        const ben = await bed.token('ben', ['radiologist']);
        const toAda = await ask(bed, ben, caseId, {
          target: { kind: 'reader', id: 'r-ada' },
          question: 'Thoughts?',
        });
        assert.equal(toAda.statusCode, 422);
        assert.equal(toAda.json().code, 'CONFER_ERR_CONSULT_NO_ELIGIBLE_READER');
        assert.match(toAda.json().detail, /US-NY/);
        assert.equal(toAda.json().decision.candidates[0].excludedAt, 'credentials');
        const self = await ask(bed, ben, caseId, { target: { kind: 'reader', id: 'r-ben' }, question: 'x' });
        assert.equal(self.json().code, 'CONFER_ERR_CONSULT_TARGET_INVALID');
        assert.match(self.json().detail, /yourself/);
        const pool = await ask(bed, ben, caseId, { target: { kind: 'pool', id: 'msk' }, question: 'x' });
        assert.equal(pool.statusCode, 422);
        assert.match(pool.json().detail, /no pool "msk"; pools are neuro/);
        const rows = await bed.confer.store.db.selectFrom('consults').select('id').execute();
        assert.equal(rows.length, 0);
      }));

    test('the SLA timer escalates after a restart: expiry takes the consult from a consultant who never accepted and tells the requester and coordinators', () =>
      withEnv(c, async (env) => {
        const clock = new ManualClock('2026-03-10T14:00:00Z');
        let bed = await startWorklistBed(env, { routing: collaborationRouting(), clock });
        let k: { id: string };
        let caseId: string;
        try {
          caseId = await bed.newCase({ site: SPOKE });
          const ben = await bed.token('ben', ['radiologist']);
          await bed.token('olive', ['coordinator']);
          await bed.token('dee', ['radiologist']);
          k = (
            await ask(bed, ben, caseId, {
              kind: 'consult',
              target: { kind: 'pool', id: 'neuro' },
              urgency: 'stat',
              question: 'Dissection?',
            })
          ).json();
          clock.advance(16 * MIN);
          await bed.confer.tick();
          const reminded = await notificationsOf(bed, 'dee');
          assert.deepEqual(
            reminded.map((n) => n.kind),
            ['consult', 'consult-reminder'],
            'the reminder at half the 30-minute target',
          );
        } finally {
          await bed.close();
        }
        // Confer is down when the target passes; the stored timer fires on the first tick after the restart.
        clock.advance(20 * MIN);
        bed = await startWorklistBed(env, { routing: collaborationRouting(), clock });
        try {
          await bed.confer.tick();
          const row = await bed.confer.store.db
            .selectFrom('consults')
            .selectAll()
            .where('id', '=', k.id)
            .executeTakeFirstOrThrow();
          assert.equal(
            row.state,
            'unassigned',
            'Dee never accepted: it left her, and nobody else is eligible',
          );
          assert.equal(row.expired, 1);
          const ben = await bed.token('ben', ['radiologist']);
          const types = (await timelineOf(bed, caseId, ben)).map((e) => e.type);
          assert.ok(types.includes('case:consult-expired'));
          for (const who of ['ben', 'olive']) {
            const n = await notificationsOf(bed, who);
            assert.ok(
              n.some((x) => x.kind === 'consult-expired' && /passed its stat target/.test(x.title)),
              `${who} is told`,
            );
          }
          // A second tick fires nothing again.
          const before = (await notificationsOf(bed, 'olive')).length;
          await bed.confer.tick();
          assert.equal((await notificationsOf(bed, 'olive')).length, before);
          const dee = await bed.token('dee', ['radiologist']);
          assert.equal(
            (await bed.confer.app.inject({ url: `/api/cases/${caseId}`, headers: bearer(dee) })).statusCode,
            403,
          );
        } finally {
          await bed.close();
        }
      }));

    test('roles: anonymous 401, a referrer 403, a coordinator lists every open consult', () =>
      withBed(c, async (bed) => {
        const { app } = bed.confer;
        const caseId = await bed.newCase({ site: HUB });
        const ben = await bed.token('ben', ['radiologist']);
        const rita = await bed.token('rita', ['referrer']);
        const olive = await bed.token('olive', ['coordinator']);
        const k = (
          await ask(bed, ben, caseId, { target: { kind: 'pool', id: 'neuro' }, question: 'Q' })
        ).json();
        const routes = [
          {
            method: 'POST' as const,
            url: `/api/cases/${caseId}/consults`,
            payload: { target: { kind: 'pool', id: 'neuro' }, question: 'Q' },
          },
          { method: 'GET' as const, url: '/api/consults?mine=1' },
          { method: 'GET' as const, url: '/api/consults/targets' },
          { method: 'GET' as const, url: `/api/consults/${k.id}` },
          { method: 'POST' as const, url: `/api/consults/${k.id}/accept` },
          { method: 'POST' as const, url: `/api/consults/${k.id}/decline`, payload: {} },
          { method: 'POST' as const, url: `/api/consults/${k.id}/answer`, payload: { text: 'x' } },
          { method: 'POST' as const, url: `/api/consults/${k.id}/cancel`, payload: {} },
        ];
        for (const r of routes) {
          assert.equal((await app.inject(r)).statusCode, 401, `${r.method} ${r.url} anonymous`);
          const ref = await app.inject({ ...r, headers: bearer(rita) });
          assert.equal(ref.statusCode, 403, `${r.method} ${r.url} referrer: ${ref.body}`);
          assert.match(ref.headers['content-type'] ?? '', /problem\+json/);
        }
        const all = (await app.inject({ url: '/api/consults', headers: bearer(olive) })).json();
        assert.deepEqual(
          all.consults.map((x: { id: string }) => x.id),
          [k.id],
        );
        const targets = (await app.inject({ url: '/api/consults/targets', headers: bearer(ben) })).json();
        assert.deepEqual(targets.pools, [{ id: 'neuro', name: 'Neuroradiology', members: 2 }]);
        assert.ok(!targets.readers.some((r: { id: string }) => r.id === 'r-ben'), 'not oneself');
        const doc = (await app.inject({ url: '/api/openapi.json' })).json();
        for (const p of ['/api/cases/{id}/consults', '/api/consults', '/api/consults/{id}/answer'])
          assert.ok(doc.paths[p], `${p} documented`);
      }));
  });
}
