// The discussion thread's state in the browser: comments kept in order as the list and the live stream
// deliver them, who may still edit what, and completing an @mention at the caret.

import { mentionAtCaret } from '@confer/core';
import type { CommentView } from './collaboration-api.ts';

/** Adds or replaces a comment (a live event may repeat one already loaded), keeping id order. */
export function upsertComment(list: readonly CommentView[], comment: CommentView): CommentView[] {
  const without = list.filter((c) => c.id !== comment.id);
  return [...without, comment].sort((a, b) => a.id - b.id);
}

/** Whether the signed-in user may still edit (or delete) this comment. */
export function canEdit(comment: CommentView, username: string, nowMs: number): boolean {
  return (
    comment.author === username && comment.deletedAt === null && nowMs <= Date.parse(comment.editableUntil)
  );
}

/** Whether the signed-in user may delete this comment (their own, not yet deleted). */
export function canDelete(comment: CommentView, username: string): boolean {
  return comment.author === username && comment.deletedAt === null;
}

/** The partial name being typed after an `@` at the caret, or null. */
export function mentionQuery(text: string, caret: number): string | null {
  return mentionAtCaret(text, caret)?.partial ?? null;
}

/** Replaces the mention being typed at the caret with `@username ` and says where the caret goes. */
export function completeMention(
  text: string,
  caret: number,
  username: string,
): { text: string; caret: number } {
  const at = mentionAtCaret(text, caret);
  if (!at) return { text, caret };
  const inserted = `@${username} `;
  return { text: text.slice(0, at.start) + inserted + text.slice(caret), caret: at.start + inserted.length };
}
