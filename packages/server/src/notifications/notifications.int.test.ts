import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeCases } from '../../test/support/stores.ts';
import { bearer, startWorklistBed } from '../../test/support/worklist.ts';
import type { Notification } from './notification-service.ts';

/** Reads server-sent events from a fetch body, one `{ event, data }` at a time. */
function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(): Promise<{ event: string; data: unknown }> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':')) continue;
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1];
          return { event, data: data === undefined ? undefined : JSON.parse(data) };
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

for (const store of await storeCases()) {
  describe(`notifications (${store.name})`, { skip: store.skip }, () => {
    test('each recipient gets one row, reads only their own, and marks them read', async () => {
      const env = await store.open();
      const bed = await startWorklistBed(env, { routing: null });
      try {
        const { app, notifications } = bed.confer;
        const ada = await bed.token('ada', ['radiologist']);
        const ben = await bed.token('ben', ['radiologist']);
        const ids = await notifications.notify({
          usernames: ['ada', 'ben', 'ada'],
          kind: 'mention',
          title: 'Ben mentioned you on case C-1',
          caseId: 'C-1',
          link: '#/cases/C-1',
        });
        assert.equal(ids.length, 2, 'a duplicate recipient gets one notification');

        const list = await app.inject({ method: 'GET', url: '/api/notifications', headers: bearer(ada) });
        assert.equal(list.statusCode, 200);
        assert.equal(list.headers['cache-control'], 'no-store');
        const page = list.json() as { items: Notification[]; unread: number };
        assert.equal(page.unread, 1);
        assert.equal(page.items.length, 1);
        assert.deepEqual(
          { kind: page.items[0]!.kind, caseId: page.items[0]!.caseId, link: page.items[0]!.link },
          { kind: 'mention', caseId: 'C-1', link: '#/cases/C-1' },
        );
        const adasId = page.items[0]!.id;

        const notYours = await app.inject({
          method: 'POST',
          url: `/api/notifications/${adasId}/read`,
          headers: bearer(ben),
        });
        assert.equal(notYours.statusCode, 404);
        assert.equal(notYours.json().code, 'CONFER_ERR_NOTIFICATION_NOT_FOUND');

        bed.clock.advance(60_000);
        const read = await app.inject({
          method: 'POST',
          url: `/api/notifications/${adasId}/read`,
          headers: bearer(ada),
        });
        assert.equal(read.statusCode, 200);
        assert.equal(read.json().readAt, bed.clock.now().toISOString());
        const unreadOnly = await app.inject({
          method: 'GET',
          url: '/api/notifications?unread=true',
          headers: bearer(ada),
        });
        assert.deepEqual(unreadOnly.json(), { items: [], unread: 0 });

        await notifications.notify({ usernames: ['ben'], kind: 'consult', title: 'Second opinion asked' });
        const all = await app.inject({
          method: 'POST',
          url: '/api/notifications/read-all',
          headers: bearer(ben),
        });
        assert.deepEqual(all.json(), { marked: 2 });
        const after = await app.inject({ method: 'GET', url: '/api/notifications', headers: bearer(ben) });
        assert.equal(after.json().unread, 0);
        assert.equal(after.json().items.length, 2);
        assert.equal(after.json().items[0].kind, 'consult', 'newest first');

        const anonymous = await app.inject({ method: 'GET', url: '/api/notifications' });
        assert.equal(anonymous.statusCode, 401);
      } finally {
        await bed.close();
        await env.cleanup();
      }
    });

    test("a notification written in a caller's transaction is pushed after commit, never after a rollback", async () => {
      const env = await store.open();
      const bed = await startWorklistBed(env, { routing: null });
      try {
        const { notifications, store: db } = bed.confer;
        const seen: Notification[] = [];
        const stop = notifications.subscribe('ada', (n) => seen.push(n));

        await assert.rejects(
          db.db.transaction().execute(async (trx) => {
            await notifications.notify(
              { usernames: ['ada'], kind: 'critical-result', title: 'rolled back' },
              trx,
            );
            throw new Error('the caller failed');
          }),
          /the caller failed/,
        );
        await db.db.transaction().execute(async (trx) => {
          await notifications.notify(
            { usernames: ['ada'], kind: 'critical-result', title: 'committed' },
            trx,
          );
          assert.deepEqual(seen, [], 'nothing is pushed before the commit');
        });
        await notifications.flush();
        assert.deepEqual(
          seen.map((n) => n.title),
          ['committed'],
        );
        await notifications.flush();
        assert.equal(seen.length, 1, 'a flush pushes each notification once');
        stop();
        await notifications.notify({ usernames: ['ada'], kind: 'mention', title: 'after unsubscribe' });
        assert.equal(seen.length, 1);
      } finally {
        await bed.close();
        await env.cleanup();
      }
    });
  });
}

const sqlite = (await storeCases()).find((c) => c.name === 'sqlite')!;

test('the live stream sends the unread count, then each new notification addressed to the user only', async () => {
  const env = await sqlite.open();
  const bed = await startWorklistBed(env, { routing: null });
  const controller = new AbortController();
  try {
    const { notifications, httpUrl } = bed.confer;
    const ada = await bed.token('ada', ['referrer']);
    await notifications.notify({ usernames: ['ada'], kind: 'mention', title: 'before the stream' });
    const res = await fetch(`${httpUrl}/api/notifications/stream`, {
      headers: bearer(ada),
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = sseReader(res.body!);
    assert.deepEqual(await events.next(), { event: 'ready', data: { unread: 1 } });
    await notifications.notify({ usernames: ['ben'], kind: 'mention', title: 'for someone else' });
    await notifications.notify({
      usernames: ['ada'],
      kind: 'critical-result',
      title: 'Critical result to acknowledge',
    });
    const next = await events.next();
    assert.equal(next.event, 'notification');
    assert.equal((next.data as Notification).title, 'Critical result to acknowledge');
    await events.cancel();
  } finally {
    controller.abort();
    await bed.close();
    await env.cleanup();
  }
});

test('notifications stored before a restart are listed but not pushed live again', async () => {
  const env = await sqlite.open();
  const first = await startWorklistBed(env, { routing: null });
  await first.confer.notifications.notify({ usernames: ['ada'], kind: 'mention', title: 'old news' });
  await first.close();
  const second = await startWorklistBed(env, { routing: null });
  try {
    const seen: string[] = [];
    second.confer.notifications.subscribe('ada', (n) => seen.push(n.title));
    await second.confer.tick();
    await second.confer.notifications.notify({ usernames: ['ada'], kind: 'mention', title: 'new' });
    assert.deepEqual(seen, ['new']);
    const ada = await second.token('ada', ['radiologist']);
    const list = await second.confer.app.inject({
      method: 'GET',
      url: '/api/notifications',
      headers: bearer(ada),
    });
    assert.deepEqual(
      (list.json().items as Notification[]).map((n) => n.title),
      ['new', 'old news'],
    );
  } finally {
    await second.close();
    await env.cleanup();
  }
});
