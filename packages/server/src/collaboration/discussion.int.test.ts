import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '@confer/core';
import { collaborationRouting } from '../../test/support/collaboration.ts';
import { storeCases } from '../../test/support/stores.ts';
import { bearer, HUB, SPOKE, startWorklistBed, type WorklistBed } from '../../test/support/worklist.ts';
import type { DiscussionMessage } from './discussion-bus.ts';

const MIN = 60_000;

async function withBed(
  c: Awaited<ReturnType<typeof storeCases>>[number],
  run: (bed: WorklistBed) => Promise<void>,
) {
  const env = await c.open();
  let bed: WorklistBed | undefined;
  try {
    bed = await startWorklistBed(env, { routing: collaborationRouting() });
    await run(bed);
  } finally {
    await bed?.close();
    await env.cleanup();
  }
}

async function auditActions(bed: WorklistBed, prefix: string) {
  const rows = await bed.confer.store.db
    .selectFrom('audit_events')
    .select(['action', 'outcome', 'actor_name', 'detail'])
    .where('action', 'like', `${prefix}%`)
    .orderBy('id')
    .execute();
  return rows;
}

for (const c of await storeCases()) {
  describe(`case discussion on ${c.name}`, { skip: c.skip }, () => {
    test('post, list newest last with paging, edit within the window, delete kept in the record; all audited', () =>
      withBed(c, async (bed) => {
        const { app } = bed.confer;
        // A spoke case: Ben (licensed in New York) sees it; Olive coordinates and sees everything.
        const caseId = await bed.newCase({ site: SPOKE });
        const ben = await bed.token('ben', ['radiologist']);
        const olive = await bed.token('olive', ['coordinator']);
        const url = `/api/cases/${caseId}/discussion`;
        const post = (token: string, body: string, share?: string[]) =>
          app.inject({
            method: 'POST',
            url,
            headers: bearer(token),
            payload: { body, ...(share ? { share } : {}) },
          });

        const first = await post(
          ben,
          'Query pneumothorax, see annotation:a-17. @olive can we get a lateral?',
        );
        assert.equal(first.statusCode, 201, first.body);
        const c1 = first.json();
        assert.deepEqual(c1.mentions, ['olive']);
        assert.deepEqual(c1.annotationIds, ['a-17']);
        assert.equal(c1.author, 'ben');
        for (const text of ['second', 'third']) {
          bed.clock.advance(MIN);
          assert.equal((await post(olive, text)).statusCode, 201);
        }

        const page = (await app.inject({ url: `${url}?limit=2`, headers: bearer(ben) })).json();
        assert.deepEqual(
          page.comments.map((x: { body: string }) => x.body),
          ['second', 'third'],
          'the newest page, oldest first',
        );
        assert.equal(page.more, true);
        const older = (
          await app.inject({ url: `${url}?limit=2&before=${page.comments[0].id}`, headers: bearer(ben) })
        ).json();
        assert.deepEqual(
          older.comments.map((x: { id: number }) => x.id),
          [c1.id],
        );
        assert.equal(older.more, false);

        const edited = await app.inject({
          method: 'PATCH',
          url: `${url}/${c1.id}`,
          headers: bearer(ben),
          payload: { body: 'Query small apical pneumothorax, annotation:a-17. @olive lateral please' },
        });
        assert.equal(edited.statusCode, 200, edited.body);
        assert.ok(edited.json().editedAt);
        const revisions = await bed.confer.store.db
          .selectFrom('case_comment_revisions')
          .select('body')
          .where('comment_id', '=', c1.id)
          .execute();
        assert.match(revisions[0]!.body, /^Query pneumothorax/, 'the previous text is kept');

        const notYours = await app.inject({
          method: 'PATCH',
          url: `${url}/${c1.id}`,
          headers: bearer(olive),
          payload: { body: 'hijack' },
        });
        assert.equal(notYours.statusCode, 403);
        assert.equal(notYours.json().code, 'CONFER_ERR_COMMENT_NOT_YOURS');

        bed.clock.advance(16 * MIN);
        const late = await app.inject({
          method: 'PATCH',
          url: `${url}/${c1.id}`,
          headers: bearer(ben),
          payload: { body: 'too late' },
        });
        assert.equal(late.statusCode, 409);
        assert.equal(late.json().code, 'CONFER_ERR_COMMENT_EDIT_WINDOW_CLOSED');
        assert.match(late.headers['content-type'] ?? '', /problem\+json/);

        const del = await app.inject({ method: 'DELETE', url: `${url}/${c1.id}`, headers: bearer(ben) });
        assert.equal(del.statusCode, 200, del.body);
        assert.equal(del.json().body, null);
        assert.ok(del.json().deletedAt);
        const again = await app.inject({ method: 'DELETE', url: `${url}/${c1.id}`, headers: bearer(ben) });
        assert.equal(again.json().code, 'CONFER_ERR_COMMENT_DELETED');
        const listed = (await app.inject({ url, headers: bearer(olive) })).json();
        assert.equal(listed.comments[0].body, null, 'the thread shows it deleted');
        const kept = await bed.confer.store.db
          .selectFrom('case_comments')
          .select(['body', 'deleted_by'])
          .where('id', '=', c1.id)
          .executeTakeFirstOrThrow();
        assert.match(kept.body, /apical pneumothorax/, 'the record keeps the text');
        assert.equal(kept.deleted_by, 'ben');

        const audit = await auditActions(bed, 'discussion-');
        const seen = new Set(audit.map((a) => `${a.action}:${a.outcome}`));
        for (const a of [
          'discussion-post:success',
          'discussion-read:success',
          'discussion-edit:success',
          'discussion-edit:failure',
          'discussion-edit:denied',
          'discussion-delete:success',
        ])
          assert.ok(seen.has(a), `audited ${a}`);
        assert.ok(audit.every((a) => a.detail?.startsWith(caseId)));
      }));

    test('mentions resolve against users: unknown names and people who cannot see the case are refused by name; sharing lets them in', () =>
      withBed(c, async (bed) => {
        const { app, store } = bed.confer;
        const caseId = await bed.newCase({ site: SPOKE });
        const ben = await bed.token('ben', ['radiologist']);
        const ada = await bed.token('ada', ['radiologist']);
        const rita = await bed.token('rita', ['referrer']);
        await bed.token('tom', ['technologist']);
        await bed.token('olive', ['coordinator']);
        const url = `/api/cases/${caseId}/discussion`;
        const post = (token: string, body: string, share?: string[]) =>
          app.inject({
            method: 'POST',
            url,
            headers: bearer(token),
            payload: { body, ...(share ? { share } : {}) },
          });

        const unknown = await post(ben, '@olive and @nobody.here, thoughts?');
        assert.equal(unknown.statusCode, 422);
        assert.equal(unknown.json().code, 'CONFER_ERR_MENTION_UNKNOWN_USER');
        assert.deepEqual(unknown.json().unknown, ['nobody.here']);

        // Ada is not licensed in New York: the spoke case is not on her worklist and she may not open it.
        const hidden = await post(ben, '@ada you read a lot of these, agree?');
        assert.equal(hidden.statusCode, 422);
        assert.equal(hidden.json().code, 'CONFER_ERR_MENTION_CANNOT_SEE_CASE');
        assert.deepEqual(hidden.json().cannotSee, ['ada']);
        assert.match(hidden.json().detail, /share/);

        const tech = await post(ben, '@tom please repeat the view');
        assert.equal(tech.json().code, 'CONFER_ERR_MENTION_CANNOT_DISCUSS');
        assert.equal(
          (await store.db.selectFrom('case_comments').select('id').execute()).length,
          0,
          'nothing posted',
        );

        assert.equal((await app.inject({ url, headers: bearer(ada) })).statusCode, 403);
        const notified = async (username: string) =>
          store.db
            .selectFrom('notifications')
            .select(['kind', 'title', 'link'])
            .where('username', '=', username)
            .execute();
        assert.deepEqual(await notified('ada'), [], 'a refused comment notifies nobody');
        const shared = await post(ben, '@ada you read a lot of these, agree? @Rita FYI', ['ada', 'rita']);
        assert.equal(shared.statusCode, 201, shared.body);
        assert.deepEqual(shared.json().mentions, ['ada', 'rita']);
        for (const who of ['ada', 'rita']) {
          const n = await notified(who);
          assert.equal(n.length, 1, `${who} is notified once`);
          assert.equal(n[0]!.kind, 'mention');
          assert.equal(n[0]!.title, `ben mentioned you on case ${caseId}`);
          assert.equal(n[0]!.link, `#/cases/${caseId}?comment=${shared.json().id}`);
        }
        // An edit notifies only people it newly mentions; mentioning oneself notifies nobody.
        const edited = await app.inject({
          method: 'PATCH',
          url: `${url}/${shared.json().id}`,
          headers: bearer(ben),
          payload: { body: '@ada @rita @olive @ben agree?' },
        });
        assert.equal(edited.statusCode, 200, edited.body);
        assert.equal((await notified('ada')).length, 1);
        assert.equal((await notified('olive')).length, 1);
        assert.deepEqual(await notified('ben'), []);
        // Shared: both may now read the discussion, and Ada the case itself.
        assert.equal((await app.inject({ url, headers: bearer(ada) })).statusCode, 200);
        assert.equal(
          (await app.inject({ url: `/api/cases/${caseId}`, headers: bearer(ada) })).statusCode,
          200,
        );
        assert.equal((await app.inject({ url, headers: bearer(rita) })).statusCode, 200);
        // ...but a referrer may not share the case onwards.
        const onwards = await post(rita, 'asking @cy too', ['cy']);
        await bed.token('cy', ['radiologist']);
        const onwards2 = await post(rita, 'asking @cy too', ['cy']);
        assert.equal(onwards.json().code, 'CONFER_ERR_MENTION_UNKNOWN_USER', 'cy had no user yet');
        assert.equal(onwards2.statusCode, 403);
        assert.equal(onwards2.json().code, 'CONFER_ERR_SHARE_NOT_ALLOWED');

        const suggestions = (
          await app.inject({ url: `${url}/participants`, headers: bearer(ben) })
        ).json() as { users: { username: string }[] };
        const names = suggestions.users.map((u) => u.username).sort();
        assert.deepEqual(
          names,
          ['ada', 'admin', 'ben', 'olive', 'rita'],
          'who can see the case, not Cy or Tom',
        );
        const narrowed = (await app.inject({ url: `${url}/participants?q=ol`, headers: bearer(ben) })).json();
        assert.deepEqual(
          narrowed.users.map((u: { username: string }) => u.username),
          ['olive'],
        );
      }));

    test('roles: anonymous 401, no case:discuss 403, cannot see the case 403 (audited as denied)', () =>
      withBed(c, async (bed) => {
        const { app } = bed.confer;
        const caseId = await bed.newCase({ site: SPOKE });
        const hubCase = await bed.newCase({ site: HUB });
        const ben = await bed.token('ben', ['radiologist']);
        const tom = await bed.token('tom', ['technologist']);
        const ada = await bed.token('ada', ['radiologist']);
        const posted = await app.inject({
          method: 'POST',
          url: `/api/cases/${caseId}/discussion`,
          headers: bearer(ben),
          payload: { body: 'hello' },
        });
        const id = posted.json().id;
        const routes = [
          { method: 'GET' as const, url: `/api/cases/${caseId}/discussion` },
          { method: 'POST' as const, url: `/api/cases/${caseId}/discussion`, payload: { body: 'x' } },
          { method: 'PATCH' as const, url: `/api/cases/${caseId}/discussion/${id}`, payload: { body: 'x' } },
          { method: 'DELETE' as const, url: `/api/cases/${caseId}/discussion/${id}` },
          { method: 'GET' as const, url: `/api/cases/${caseId}/discussion/participants` },
          { method: 'GET' as const, url: `/api/cases/${caseId}/discussion/stream` },
        ];
        for (const r of routes) {
          const anon = await app.inject(r);
          assert.equal(anon.statusCode, 401, `${r.method} ${r.url} anonymous`);
          const t = await app.inject({ ...r, headers: bearer(tom) });
          assert.equal(t.statusCode, 403, `${r.method} ${r.url} technologist`);
          assert.equal(t.json().code, 'CONFER_ERR_FORBIDDEN');
          const a = await app.inject({ ...r, headers: bearer(ada) });
          assert.equal(a.statusCode, 403, `${r.method} ${r.url} a reader who cannot see the case`);
          assert.equal(a.json().code, 'CONFER_ERR_NOT_IN_DISCUSSION');
        }
        const missing = await app.inject({ url: '/api/cases/C-NOPE/discussion', headers: bearer(ben) });
        assert.equal(missing.statusCode, 404);
        // Ada sees the hub case, so she may discuss it.
        assert.equal(
          (await app.inject({ url: `/api/cases/${hubCase}/discussion`, headers: bearer(ada) })).statusCode,
          200,
        );
        const denied = (await auditActions(bed, 'discussion-')).filter((a) => a.outcome === 'denied');
        assert.ok(denied.length >= 6, 'refusals for not seeing the case are audited');
        assert.ok(denied.every((a) => a.actor_name.startsWith('ada')));
        const doc = (await app.inject({ url: '/api/openapi.json' })).json();
        for (const p of [
          '/api/cases/{id}/discussion',
          '/api/cases/{id}/discussion/{commentId}',
          '/api/cases/{id}/discussion/participants',
          '/api/cases/{id}/discussion/stream',
        ])
          assert.ok(doc.paths[p], `${p} documented`);
      }));

    test('a new comment reaches others viewing the case over its live stream', () =>
      withBed(c, async (bed) => {
        const caseId = await bed.newCase({ site: HUB });
        const ada = await bed.token('ada', ['radiologist']);
        const ben = await bed.token('ben', ['radiologist']);
        const controller = new AbortController();
        const res = await fetch(`${bed.confer.httpUrl}/api/cases/${caseId}/discussion/stream`, {
          headers: bearer(ada),
          signal: controller.signal,
        });
        assert.equal(res.status, 200);
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        const nextEvent = async (name: string) => {
          for (;;) {
            const at = buffer.indexOf(`event: ${name}\n`);
            if (at >= 0) {
              const end = buffer.indexOf('\n\n', at);
              if (end >= 0) {
                const data = buffer
                  .slice(at, end)
                  .split('\n')
                  .find((l) => l.startsWith('data: '))!;
                buffer = buffer.slice(end + 2);
                return JSON.parse(data.slice(6));
              }
            }
            const { value, done } = await reader.read();
            if (done) throw new Error('stream ended');
            buffer += decoder.decode(value, { stream: true });
          }
        };
        await nextEvent('ready');
        const posted = await bed.confer.app.inject({
          method: 'POST',
          url: `/api/cases/${caseId}/discussion`,
          headers: bearer(ben),
          payload: { body: '@ada have a look at the apex' },
        });
        assert.equal(posted.statusCode, 201);
        const event = await nextEvent('comment');
        assert.equal(event.id, posted.json().id);
        assert.equal(event.body, '@ada have a look at the apex');
        controller.abort();
      }));
  });
}

const pgCase = (await storeCases()).find((c) => c.name === 'postgres')!;

describe('case discussion on two nodes sharing one PostgreSQL', { skip: pgCase.skip }, () => {
  test("a comment and a consult change made on one node reach the other node's case streams on its tick", async () => {
    const env = await pgCase.open();
    const clock = new ManualClock('2026-03-10T14:00:00Z');
    let a: WorklistBed | undefined;
    let b: WorklistBed | undefined;
    try {
      a = await startWorklistBed(env, { routing: collaborationRouting(), clock, node: 'node-a' });
      b = await startWorklistBed(env, { clock, node: 'node-b' });
      const caseId = await a.newCase({ site: HUB });
      await b.confer.tick(); // positions node B's cursor
      const heard: DiscussionMessage[] = [];
      const other: DiscussionMessage[] = [];
      b.confer.collaboration.bus.subscribe(caseId, (m) => heard.push(m));
      b.confer.collaboration.bus.subscribe('C-ELSEWHERE', (m) => other.push(m));
      const ben = await a.token('ben', ['radiologist']);
      const posted = await a.confer.app.inject({
        method: 'POST',
        url: `/api/cases/${caseId}/discussion`,
        headers: bearer(ben),
        payload: { body: 'seen from the other node?' },
      });
      assert.equal(posted.statusCode, 201);
      const asked = await a.confer.app.inject({
        method: 'POST',
        url: `/api/cases/${caseId}/consults`,
        headers: bearer(ben),
        payload: { target: { kind: 'pool', id: 'neuro' }, question: 'Agree?' },
      });
      assert.equal(asked.statusCode, 201, asked.body);
      assert.equal(heard.length, 0, 'nothing until node B reads the log');
      await b.confer.tick();
      assert.deepEqual(
        heard.map((m) => m.type),
        ['comment', 'consult'],
      );
      assert.equal(heard[0]!.type === 'comment' && heard[0]!.comment.body, 'seen from the other node?');
      assert.deepEqual(other, []);
      await b.confer.tick();
      assert.equal(heard.length, 2, 'each change is published once');
      // Node A published its own changes itself and does not repeat them from the log.
      const ownHeard: DiscussionMessage[] = [];
      a.confer.collaboration.bus.subscribe(caseId, (m) => ownHeard.push(m));
      await a.confer.tick();
      assert.deepEqual(ownHeard, []);
    } finally {
      await b?.close();
      await a?.close();
      await env.cleanup();
    }
  });
});
