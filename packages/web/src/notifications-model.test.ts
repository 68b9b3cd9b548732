import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AppNotification,
  allRead,
  badgeText,
  bellLabel,
  emptyNotifications,
  loaded,
  MAX_SHOWN,
  markedRead,
  received,
} from './notifications-model.ts';

function n(id: number, readAt: string | null = null): AppNotification {
  return {
    id,
    kind: 'mention',
    title: `notification ${id}`,
    body: null,
    caseId: 'C-1',
    link: '#/cases/C-1',
    createdAt: '2026-03-10T14:00:00.000Z',
    readAt,
  };
}

test('a loaded page is shown newest first and its unread total is the server’s', () => {
  const s = loaded({ items: [n(1), n(3), n(2, '2026-03-10T14:05:00.000Z')], unread: 7 });
  assert.deepEqual(
    s.items.map((i) => i.id),
    [3, 2, 1],
  );
  assert.equal(s.unread, 7, 'older unread ones beyond the page still count');
});

test('a live notification goes on top and counts once, even when the stream replays it', () => {
  let s = loaded({ items: [n(1)], unread: 1 });
  s = received(s, n(2));
  s = received(s, n(2));
  assert.deepEqual(
    s.items.map((i) => i.id),
    [2, 1],
  );
  assert.equal(s.unread, 2);
});

test('the list keeps the newest ones only', () => {
  let s = emptyNotifications;
  for (let id = 1; id <= MAX_SHOWN + 5; id++) s = received(s, n(id));
  assert.equal(s.items.length, MAX_SHOWN);
  assert.equal(s.items[0]!.id, MAX_SHOWN + 5);
  assert.equal(s.unread, MAX_SHOWN + 5);
});

test('marking read lowers the count once; marking an already read one changes nothing', () => {
  let s = loaded({ items: [n(2), n(1)], unread: 2 });
  s = markedRead(s, n(2, '2026-03-10T14:06:00.000Z'));
  assert.equal(s.unread, 1);
  assert.equal(s.items[0]!.readAt, '2026-03-10T14:06:00.000Z');
  s = markedRead(s, n(2, '2026-03-10T14:06:00.000Z'));
  assert.equal(s.unread, 1);
  s = allRead(s, '2026-03-10T14:07:00.000Z');
  assert.equal(s.unread, 0);
  assert.ok(s.items.every((i) => i.readAt !== null));
});

test('the bell says how many are unread, and caps the badge', () => {
  assert.equal(bellLabel(0), 'Notifications: none unread');
  assert.equal(bellLabel(3), 'Notifications: 3 unread');
  assert.equal(badgeText(5), '5');
  assert.equal(badgeText(250), '99+');
});
