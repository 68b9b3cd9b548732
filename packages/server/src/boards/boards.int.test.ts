import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storeCases } from '../../test/support/stores.ts';
import { bearer, HUB, startWorklistBed, type WorklistBed } from '../../test/support/worklist.ts';
import type {
  BoardCaseView,
  BoardPresentation,
  BoardSessionDetail,
  BoardSessionView,
} from './board-service.ts';

async function call(
  bed: WorklistBed,
  token: string,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: object,
) {
  const r = await bed.confer.app.inject({
    method,
    url,
    headers: bearer(token),
    ...(payload !== undefined ? { payload } : {}),
  });
  return { status: r.statusCode, body: r.json() as Record<string, unknown>, text: r.body };
}

const session = {
  title: 'Thoracic oncology MDT',
  // The bed's clock reads 2026-03-10T14:00Z; 15:00 in London is 15:00Z (GMT in March before the change).
  date: '2026-03-10',
  time: '15:00',
  timeZone: 'Europe/London',
  durationMinutes: 60,
  specialties: ['oncology', 'thoracic surgery', 'radiology'],
  location: 'Room 4 and video',
};

for (const sc of await storeCases()) {
  test(`boards on ${sc.name}: sessions, members, the case list, presentation, outcomes on the timeline, reminders`, {
    skip: sc.skip,
  }, async () => {
    const env = await sc.open();
    const bed = await startWorklistBed(env);
    try {
      const olive = await bed.token('olive', ['coordinator']);
      const rita = await bed.token('rita', ['referrer']);
      const ada = await bed.token('ada', ['radiologist']);
      const ben = await bed.token('ben', ['radiologist']);
      const c1 = await bed.newCase({ site: HUB });
      const c2 = await bed.newCase({ site: HUB });
      const c3 = await bed.newCase({ site: HUB });

      // Validation names what is wrong; unknown members are refused.
      const bad = await call(bed, olive, 'POST', '/api/boards', {
        ...session,
        date: '2026-02-30',
        timeZone: 'Mars/Base',
      });
      assert.equal(bad.status, 400, bad.text);
      assert.equal(bad.body.code, 'CONFER_ERR_BOARD_SESSION_INVALID');
      assert.match(String(bad.body.detail), /date: .*timeZone: /);
      const ghost = await call(bed, olive, 'POST', '/api/boards', { ...session, members: ['nobody'] });
      assert.equal(ghost.status, 400);
      assert.equal(ghost.body.code, 'CONFER_ERR_BOARD_UNKNOWN_USER');
      assert.equal((await call(bed, ada, 'POST', '/api/boards', session)).status, 403);

      const created = await call(bed, olive, 'POST', '/api/boards', {
        ...session,
        members: ['rita', 'ada', 'olive'],
      });
      assert.equal(created.status, 200, created.text);
      const s = created.body.session as BoardSessionDetail;
      assert.equal(s.startsAt, '2026-03-10T15:00:00.000Z');
      assert.equal(s.time, '15:00');
      assert.deepEqual(
        s.members.map((m) => m.username),
        ['ada', 'olive', 'rita'],
      );
      assert.equal(s.canManage, true);

      // Editing: a new time in another zone keeps its wall clock there.
      const moved = await call(bed, olive, 'PATCH', `/api/boards/${s.id}`, {
        time: '11:00',
        timeZone: 'America/New_York',
      });
      assert.equal(moved.status, 200, moved.text);
      assert.equal((moved.body.session as BoardSessionDetail).startsAt, '2026-03-10T15:00:00.000Z');

      // The case list: add from the case page (with the question), no duplicates, reorder.
      for (const [caseId, question] of [
        [c1, 'Resectable? Nodule in the right upper lobe'],
        [c2, 'Response to chemotherapy?'],
        [c3, 'Biopsy or surveillance?'],
      ] as const) {
        const r = await call(bed, olive, 'POST', `/api/boards/${s.id}/cases`, { caseId, question });
        assert.equal(r.status, 200, r.text);
      }
      const dup = await call(bed, olive, 'POST', `/api/boards/${s.id}/cases`, {
        caseId: c1,
        question: 'again',
      });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.code, 'CONFER_ERR_BOARD_CASE_ALREADY_LISTED');
      const noCase = await call(bed, olive, 'POST', `/api/boards/${s.id}/cases`, {
        caseId: 'C-NOPE',
        question: 'x',
      });
      assert.equal(noCase.status, 404);
      const badOrder = await call(bed, olive, 'PUT', `/api/boards/${s.id}/cases/order`, {
        caseIds: [c3, c1],
      });
      assert.equal(badOrder.status, 400);
      assert.equal(badOrder.body.code, 'CONFER_ERR_BOARD_ORDER_INVALID');
      const ordered = await call(bed, olive, 'PUT', `/api/boards/${s.id}/cases/order`, {
        caseIds: [c3, c1, c2],
      });
      assert.equal(ordered.status, 200, ordered.text);
      assert.deepEqual(
        (ordered.body.session as BoardSessionDetail).cases.map((c) => c.caseId),
        [c3, c1, c2],
      );
      const removed = await call(bed, olive, 'DELETE', `/api/boards/${s.id}/cases/${c2}`);
      assert.equal(removed.status, 200);
      assert.deepEqual(
        (removed.body.session as BoardSessionDetail).cases.map((c) => c.caseId),
        [c3, c1],
      );

      // A member who is a referrer sees the session and its cases, though they are on no worklist of hers:
      // the case page, its report and its discussion open through the board.
      const note = await call(bed, olive, 'POST', `/api/cases/${c1}/discussion`, {
        body: 'PET-CT booked for Monday.',
      });
      assert.equal(note.status, 201, note.text);
      assert.equal((await call(bed, rita, 'GET', `/api/cases/${c1}`)).status, 200);
      assert.equal(
        (await call(bed, rita, 'GET', `/api/cases/${c2}`)).status,
        403,
        'taken off the list: no access',
      );
      const viaBoard = await call(bed, rita, 'GET', `/api/boards/${s.id}/cases/${c1}/present`);
      assert.deepEqual(
        (viaBoard.body as unknown as BoardPresentation).discussion?.map((m) => m.text),
        ['PET-CT booked for Monday.'],
      );
      const mine = await call(bed, rita, 'GET', '/api/boards');
      assert.equal(mine.status, 200, mine.text);
      assert.deepEqual(
        (mine.body.sessions as BoardSessionView[]).map((x) => x.id),
        [s.id],
      );
      const seen = await call(bed, rita, 'GET', `/api/boards/${s.id}`);
      assert.equal(seen.status, 200, seen.text);
      assert.equal((seen.body.session as BoardSessionDetail).canManage, false);
      const first = await call(bed, rita, 'GET', `/api/boards/${s.id}/cases/${c3}/present`);
      assert.equal(first.status, 200, first.text);
      const p1 = first.body as unknown as BoardPresentation;
      assert.equal(p1.index, 0);
      assert.equal(p1.total, 2);
      assert.equal(p1.previousCaseId, null);
      assert.equal(p1.nextCaseId, c1);
      assert.equal(p1.entry.question, 'Biopsy or surveillance?');
      assert.equal(p1.report, null, 'no report signed yet');
      assert.ok(p1.series.length > 0);
      const second = (await call(bed, rita, 'GET', `/api/boards/${s.id}/cases/${c1}/present`))
        .body as unknown as BoardPresentation;
      assert.equal(second.previousCaseId, c3);
      assert.equal(second.nextCaseId, null);
      // A case taken off the list is no longer reachable through the board.
      assert.equal((await call(bed, rita, 'GET', `/api/boards/${s.id}/cases/${c2}/present`)).status, 404);

      // Someone who is not a member is refused, and the refusal is audited; members cannot edit.
      const rex = await bed.token('rex', ['referrer']);
      assert.equal(
        (await call(bed, rex, 'GET', `/api/cases/${c3}`)).status,
        403,
        'a referrer who is not a member',
      );
      const outsider = await call(bed, ben, 'GET', `/api/boards/${s.id}`);
      assert.equal(outsider.status, 403);
      assert.equal(outsider.body.code, 'CONFER_ERR_BOARD_NOT_A_MEMBER');
      assert.equal((await call(bed, ben, 'GET', `/api/boards/${s.id}/cases/${c1}/present`)).status, 403);
      assert.deepEqual((await call(bed, ben, 'GET', '/api/boards')).body.sessions, []);
      assert.equal((await call(bed, rita, 'PATCH', `/api/boards/${s.id}`, { title: 'x' })).status, 403);

      // The outcome: members only as attendees, a known category, then on the case's timeline.
      const stranger = await call(bed, olive, 'PUT', `/api/boards/${s.id}/cases/${c1}/outcome`, {
        category: 'surgery',
        recommendation: 'Right upper lobectomy',
        attendees: ['ben'],
      });
      assert.equal(stranger.status, 400);
      assert.equal(stranger.body.code, 'CONFER_ERR_BOARD_OUTCOME_INVALID');
      const badCat = await call(bed, olive, 'PUT', `/api/boards/${s.id}/cases/${c1}/outcome`, {
        category: 'magic',
        recommendation: 'x',
      });
      assert.equal(badCat.status, 400);
      assert.equal(
        (
          await call(bed, rita, 'PUT', `/api/boards/${s.id}/cases/${c1}/outcome`, {
            category: 'surgery',
            recommendation: 'x',
          })
        ).status,
        403,
      );
      const outcome = await call(bed, olive, 'PUT', `/api/boards/${s.id}/cases/${c1}/outcome`, {
        category: 'surgery',
        recommendation: 'Right upper lobectomy after PET-CT',
        attendees: ['rita', 'ada'],
      });
      assert.equal(outcome.status, 200, outcome.text);
      assert.deepEqual((outcome.body.entry as BoardCaseView).outcome?.attendees, ['rita', 'ada']);
      const detail = await call(bed, olive, 'GET', `/api/cases/${c1}`);
      const timeline = detail.body.timeline as {
        type: string;
        actor: string;
        detail: Record<string, unknown>;
      }[];
      const added = timeline.find((t) => t.type === 'board:case-added');
      assert.equal(added?.detail.sessionId, s.id);
      const out = timeline.find((t) => t.type === 'board:outcome');
      assert.ok(out, 'the outcome is on the timeline');
      assert.equal(out.actor, 'olive');
      assert.equal(out.detail.category, 'surgery');
      assert.equal(out.detail.recommendation, 'Right upper lobectomy after PET-CT');
      const onCase = await call(bed, rita, 'GET', `/api/cases/${c1}/boards`);
      assert.deepEqual(
        (onCase.body.sessions as { id: string; outcome: string }[]).map((x) => [x.id, x.outcome]),
        [[s.id, 'surgery']],
      );
      assert.deepEqual((await call(bed, ben, 'GET', `/api/cases/${c1}/boards`)).body.sessions, []);

      // Members were told they are members and of each case added; Ben, not a member, of nothing.
      const kinds = async (token: string) =>
        ((await call(bed, token, 'GET', '/api/notifications')).body.items as { kind: string }[]).map(
          (n) => n.kind,
        );
      assert.deepEqual((await kinds(rita)).filter((k) => k.startsWith('board:')).sort(), [
        'board:case-added',
        'board:case-added',
        'board:case-added',
        'board:member',
      ]);
      assert.deepEqual(
        (await kinds(ben)).filter((k) => k.startsWith('board:')),
        [],
      );

      // Reminders: once, when the session is within 30 minutes of starting.
      await bed.confer.tick();
      assert.equal(await bed.confer.boards.tick(), 0);
      bed.clock.advance(31 * 60_000);
      await bed.confer.tick();
      assert.equal(await bed.confer.boards.tick(), 0, 'reminded once');
      const row = await bed.confer.store.db
        .selectFrom('board_sessions')
        .select('reminded_at')
        .where('id', '=', s.id)
        .executeTakeFirstOrThrow();
      assert.equal(Number(row.reminded_at), bed.clock.now().getTime());
      assert.equal((await kinds(ada)).filter((k) => k === 'board:starting').length, 1);

      const audit = await bed.confer.store.db
        .selectFrom('audit_events')
        .select(['action', 'outcome', 'detail'])
        .execute();
      const actions = new Set(audit.map((a) => `${a.action}:${a.outcome}`));
      for (const a of [
        'board-create:success',
        'board-update:success',
        'board-add-case:success',
        'board-reorder:success',
        'board-remove-case:success',
        'board-view:success',
        'board-view:denied',
        'board-case-view:success',
        'board-outcome:success',
        'board-reminder:success',
      ])
        assert.ok(actions.has(a), `audit has ${a}`);
      assert.ok(
        audit.some(
          (a) => a.action === 'board-case-view' && a.detail === `${c3} presented at board session ${s.id}`,
        ),
      );

      // Cancelling stops edits, and members' access to its cases.
      const cancelled = await call(bed, olive, 'POST', `/api/boards/${s.id}/cancel`);
      assert.equal((cancelled.body.session as BoardSessionDetail).cancelled, true);
      assert.equal((await call(bed, rita, 'GET', `/api/cases/${c1}`)).status, 403);
      const late = await call(bed, olive, 'POST', `/api/boards/${s.id}/cases`, { caseId: c2, question: 'x' });
      assert.equal(late.status, 409);
    } finally {
      await bed.close();
      await env.cleanup();
    }
  });
}

const sqlite = (await storeCases()).find((c) => c.name === 'sqlite')!;

test('every board route: anonymous 401, a technologist 403, the right role 2xx', async () => {
  const env = await sqlite.open();
  const bed = await startWorklistBed(env);
  try {
    const olive = await bed.token('olive', ['coordinator']);
    const tech = await bed.token('tess', ['technologist']);
    const caseId = await bed.newCase({ site: HUB });
    const s = (await call(bed, olive, 'POST', '/api/boards', { ...session, members: ['olive'] })).body
      .session as BoardSessionDetail;
    const routes: { method: 'GET' | 'POST' | 'PUT' | 'PATCH'; url: string; payload?: object }[] = [
      { method: 'GET', url: '/api/boards' },
      { method: 'POST', url: '/api/boards', payload: session },
      { method: 'GET', url: `/api/boards/${s.id}` },
      { method: 'PATCH', url: `/api/boards/${s.id}`, payload: { title: 'Lung MDT' } },
      { method: 'POST', url: `/api/boards/${s.id}/cases`, payload: { caseId, question: 'Staging?' } },
      { method: 'PUT', url: `/api/boards/${s.id}/cases/order`, payload: { caseIds: [caseId] } },
      { method: 'GET', url: `/api/boards/${s.id}/cases/${caseId}/present` },
      {
        method: 'PUT',
        url: `/api/boards/${s.id}/cases/${caseId}/outcome`,
        payload: { category: 'surveillance', recommendation: 'CT in 3 months', attendees: ['olive'] },
      },
      { method: 'GET', url: `/api/cases/${caseId}/boards` },
      { method: 'POST', url: `/api/boards/${s.id}/cancel` },
    ];
    for (const r of routes) {
      const base = { method: r.method, url: r.url, ...(r.payload ? { payload: r.payload } : {}) };
      assert.equal((await bed.confer.app.inject(base)).statusCode, 401, `${r.url} anonymous`);
      const t = await bed.confer.app.inject({ ...base, headers: bearer(tech) });
      assert.equal(t.statusCode, 403, `${r.method} ${r.url} technologist: ${t.body}`);
      assert.match(t.headers['content-type'] ?? '', /problem\+json/);
      const ok = await bed.confer.app.inject({ ...base, headers: bearer(olive) });
      assert.ok(ok.statusCode < 300, `${r.method} ${r.url}: ${ok.statusCode} ${ok.body}`);
    }
    const spec = (await bed.confer.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
      paths: Record<string, unknown>;
    };
    assert.ok(spec.paths['/api/boards/{id}/cases/{caseId}/outcome']);
  } finally {
    await bed.close();
    await env.cleanup();
  }
});
