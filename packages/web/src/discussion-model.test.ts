import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CommentView } from './collaboration-api.ts';
import { canDelete, canEdit, completeMention, mentionQuery, upsertComment } from './discussion-model.ts';

function comment(id: number, extra: Partial<CommentView> = {}): CommentView {
  return {
    id,
    caseId: 'C-1',
    author: 'ben',
    authorName: null,
    body: `comment ${id}`,
    mentions: [],
    annotationIds: [],
    createdAt: '2026-03-10T14:00:00.000Z',
    editedAt: null,
    deletedAt: null,
    editableUntil: '2026-03-10T14:15:00.000Z',
    ...extra,
  };
}

test('comments stay in id order; a repeated or edited one replaces the old', () => {
  const list = upsertComment(upsertComment([comment(2)], comment(1)), comment(3));
  assert.deepEqual(
    list.map((c) => c.id),
    [1, 2, 3],
  );
  const edited = upsertComment(list, comment(2, { body: 'edited' }));
  assert.equal(edited.length, 3);
  assert.equal(edited[1]!.body, 'edited');
});

test('only the author edits, within the window; deleting has no window', () => {
  const c = comment(1);
  assert.equal(canEdit(c, 'ben', Date.parse('2026-03-10T14:10:00Z')), true);
  assert.equal(canEdit(c, 'ben', Date.parse('2026-03-10T14:16:00Z')), false);
  assert.equal(canEdit(c, 'ada', Date.parse('2026-03-10T14:10:00Z')), false);
  assert.equal(canDelete(c, 'ben'), true);
  assert.equal(canDelete(comment(1, { deletedAt: '2026-03-10T14:01:00Z' }), 'ben'), false);
});

test('an @mention being typed is completed at the caret', () => {
  assert.equal(mentionQuery('ask @ad', 7), 'ad');
  assert.equal(mentionQuery('mail a@b', 8), null);
  assert.deepEqual(completeMention('ask @ad about it', 7, 'ada'), { text: 'ask @ada  about it', caret: 9 });
  assert.deepEqual(completeMention('@', 1, 'olive'), { text: '@olive ', caret: 7 });
});
