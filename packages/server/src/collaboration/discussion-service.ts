import { type Clock, can, mentionedUsernames, Permission, referencedAnnotationIds } from '@confer/core';
import type { Kysely, Selectable } from 'kysely';
import type { Actor, AuditOutcome, AuditSink, RequestOrigin } from '../archive/ports.ts';
import type { CasesTable, Database } from '../store/schema.ts';
import type { CaseCommentsTable } from '../store/tables/collaboration.ts';
import { recordCaseAudit } from '../worklist/case-audit.ts';
import { type CaseAccess, GrantReason, type KnownUser, usernameOf } from './case-access.ts';
import { CollaborationError, CollaborationErrorCode } from './collaboration-error.ts';
import type { DiscussionBus } from './discussion-bus.ts';
import type { DiscussionFeed } from './discussion-feed.ts';
import type { Notifier } from './notifier.ts';

/** A comment as the API and the live stream send it. A deleted comment keeps its place but not its text. */
export interface CommentView {
  id: number;
  caseId: string;
  author: string;
  authorName: string | null;
  /** Null once deleted. */
  body: string | null;
  mentions: string[];
  annotationIds: string[];
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
  /** Until when the author may edit it. */
  editableUntil: string;
}

export interface DiscussionPage {
  /** Oldest first (newest last). */
  comments: CommentView[];
  /** Older comments exist: ask again with `before` set to the first id here. */
  more: boolean;
}

export const MAX_COMMENT_CHARS = 5000;
const MAX_MENTIONS = 20;

export interface DiscussionDeps {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditSink;
  access: CaseAccess;
  bus: DiscussionBus;
  notifier?: Notifier;
  /** How long after posting its author may edit a comment. */
  editWindowMs?: number;
}

/**
 * A discussion thread per case: post, list, edit within a window, delete (kept in the record), with
 * `@username` mentions that notify, and `annotation:<id>` links to viewer annotations. Who may take part:
 * case:discuss and sight of the case (see CaseAccess). Every read and change is audited.
 */
export class DiscussionService {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private readonly audit: AuditSink;
  private readonly access: CaseAccess;
  private readonly bus: DiscussionBus;
  private notifier: Notifier | undefined;
  private feed: DiscussionFeed | undefined;
  readonly editWindowMs: number;

  constructor(deps: DiscussionDeps) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.access = deps.access;
    this.bus = deps.bus;
    this.notifier = deps.notifier;
    this.editWindowMs = deps.editWindowMs ?? 15 * 60_000;
  }

  /** The case, once the actor is allowed in its discussion; a refusal is audited. */
  private async enter(actor: Actor, caseId: string, origin: RequestOrigin, action: string) {
    if (!can(actor.roles, Permission.CaseDiscuss))
      throw new CollaborationError(
        403,
        CollaborationErrorCode.Forbidden,
        'case discussions need a role with case:discuss (radiologist, coordinator, referrer)',
      );
    const row = await this.access.caseRow(caseId);
    if (!(await this.access.canSee(actor, row))) {
      await this.record(actor, origin, action, row, 'denied', 'cannot see the case');
      throw new CollaborationError(
        403,
        CollaborationErrorCode.NotADiscussant,
        `case ${caseId} is not visible to you: its discussion is open to the readers it is routed to, coordinators, consultants while their consult is open, and people it was shared with`,
      );
    }
    return row;
  }

  async list(
    actor: Actor,
    caseId: string,
    page: { limit?: number; before?: number },
    origin: RequestOrigin,
  ): Promise<DiscussionPage> {
    const row = await this.enter(actor, caseId, origin, 'discussion-read');
    const limit = Math.min(Math.max(page.limit ?? 50, 1), 200);
    let q = this.db
      .selectFrom('case_comments')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (page.before !== undefined) q = q.where('id', '<', page.before);
    const rows = await q.execute();
    const names = await this.displayNames(rows.map((r) => r.author));
    await this.record(
      actor,
      origin,
      'discussion-read',
      row,
      'success',
      `${Math.min(rows.length, limit)} comments`,
    );
    return {
      comments: rows
        .slice(0, limit)
        .reverse()
        .map((r) => this.view(r, names)),
      more: rows.length > limit,
    };
  }

  /**
   * Posts a comment. Mentions must name known users who may see the case; a mention of someone who may
   * not is refused with their names, unless the caller lists them in `share` (readers and coordinators may
   * share a case's discussion with a colleague who may discuss cases, which lets them see the case).
   */
  async post(
    actor: Actor,
    caseId: string,
    input: { body: string; share?: string[] },
    origin: RequestOrigin,
  ): Promise<CommentView> {
    const row = await this.enter(actor, caseId, origin, 'discussion-post');
    const body = checkBody(input.body);
    const author = usernameOf(actor) ?? actor.name;
    const { notify, share } = await this.resolveMentions(actor, row, body, input.share ?? [], []);
    const now = this.now();
    const inserted = await this.db.transaction().execute(async (trx) => {
      const c = await trx
        .insertInto('case_comments')
        .values({
          case_id: caseId,
          author,
          body,
          mentions_json: JSON.stringify(notify.map((u) => u.username)),
          annotations_json: JSON.stringify(referencedAnnotationIds(body)),
          created_at: now,
          edited_at: null,
          deleted_at: null,
          deleted_by: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      for (const u of share)
        await this.access.grant(trx, {
          caseId,
          username: u.username,
          reason: GrantReason.Shared,
          by: author,
          at: now,
        });
      await this.notifyMentioned(notify, author, caseId, Number(c.id), trx);
      await this.feed?.announce(trx, { kind: 'comment', caseId, commentId: Number(c.id) }, now);
      return c;
    });
    await this.notifier?.flush();
    await this.record(
      actor,
      origin,
      'discussion-post',
      row,
      'success',
      `comment ${inserted.id}${notify.length ? `, mentions ${notify.map((u) => u.username).join(' ')}` : ''}${share.length ? `, shared with ${share.map((u) => u.username).join(' ')}` : ''}`,
    );
    const view = this.view(inserted, await this.displayNames([author]));
    this.bus.publish({ type: 'comment', caseId, comment: view });
    return view;
  }

  /** Edits one's own comment within the edit window; the previous text is kept. New mentions notify. */
  async edit(
    actor: Actor,
    caseId: string,
    commentId: number,
    input: { body: string; share?: string[] },
    origin: RequestOrigin,
  ): Promise<CommentView> {
    const row = await this.enter(actor, caseId, origin, 'discussion-edit');
    const existing = await this.own(actor, caseId, commentId, row, origin, 'discussion-edit');
    const now = this.now();
    if (now > Number(existing.created_at) + this.editWindowMs) {
      await this.record(
        actor,
        origin,
        'discussion-edit',
        row,
        'failure',
        `comment ${commentId}: edit window closed`,
      );
      throw new CollaborationError(
        409,
        CollaborationErrorCode.CommentEditWindowClosed,
        `comments can be edited for ${Math.round(this.editWindowMs / 60_000)} minutes after posting; post a new comment instead`,
        { editableUntil: new Date(Number(existing.created_at) + this.editWindowMs).toISOString() },
      );
    }
    const body = checkBody(input.body);
    const already = JSON.parse(existing.mentions_json) as string[];
    const { notify, share, all } = await this.resolveMentions(actor, row, body, input.share ?? [], already);
    const updated = await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('case_comment_revisions')
        .values({ comment_id: commentId, body: existing.body, replaced_at: now })
        .execute();
      const u = await trx
        .updateTable('case_comments')
        .set({
          body,
          edited_at: now,
          mentions_json: JSON.stringify(all.map((x) => x.username)),
          annotations_json: JSON.stringify(referencedAnnotationIds(body)),
        })
        .where('id', '=', commentId)
        .where('deleted_at', 'is', null)
        .returningAll()
        .executeTakeFirstOrThrow();
      for (const s of share)
        await this.access.grant(trx, {
          caseId,
          username: s.username,
          reason: GrantReason.Shared,
          by: existing.author,
          at: now,
        });
      await this.notifyMentioned(notify, existing.author, caseId, commentId, trx);
      await this.feed?.announce(trx, { kind: 'comment', caseId, commentId }, now);
      return u;
    });
    await this.notifier?.flush();
    await this.record(actor, origin, 'discussion-edit', row, 'success', `comment ${commentId}`);
    const view = this.view(updated, await this.displayNames([updated.author]));
    this.bus.publish({ type: 'comment', caseId, comment: view });
    return view;
  }

  /** Deletes one's own comment: it stays in the record (text, who, when) but the thread shows it as deleted. */
  async remove(actor: Actor, caseId: string, commentId: number, origin: RequestOrigin): Promise<CommentView> {
    const row = await this.enter(actor, caseId, origin, 'discussion-delete');
    await this.own(actor, caseId, commentId, row, origin, 'discussion-delete');
    const now = this.now();
    const updated = await this.db.transaction().execute(async (trx) => {
      const u = await trx
        .updateTable('case_comments')
        .set({ deleted_at: now, deleted_by: usernameOf(actor) ?? actor.name })
        .where('id', '=', commentId)
        .where('deleted_at', 'is', null)
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.feed?.announce(trx, { kind: 'comment', caseId, commentId }, now);
      return u;
    });
    await this.record(actor, origin, 'discussion-delete', row, 'success', `comment ${commentId}`);
    const view = this.view(updated, await this.displayNames([updated.author]));
    this.bus.publish({ type: 'comment', caseId, comment: view });
    return view;
  }

  /**
   * People who may see the case and take part in its discussion, for @mention autocomplete, optionally
   * narrowed to names or display names starting with `prefix`.
   */
  async participants(actor: Actor, caseId: string, prefix: string, origin: RequestOrigin) {
    const row = await this.enter(actor, caseId, origin, 'discussion-participants');
    const p = prefix.toLowerCase();
    const everyone = await this.access.discussants();
    const certain = await this.access.certainViewers(everyone, row);
    const out: { username: string; displayName: string | null }[] = [];
    for (const u of everyone) {
      if (out.length >= 20) break;
      const matches =
        p === '' ||
        u.username.toLowerCase().startsWith(p) ||
        (u.displayName ?? '')
          .toLowerCase()
          .split(/\s+/)
          .some((w) => w.startsWith(p));
      if (!matches) continue;
      // With a name typed, the few who match are asked in full (other features may let them see the case);
      // a bare "@" lists only those the cheap rules find, so it never checks every user one by one.
      if (certain.has(u.username) || (p !== '' && (await this.access.userCanSee(u, row))))
        out.push({ username: u.username, displayName: u.displayName });
    }
    return { users: out };
  }

  /** The bus the live stream of a case's discussion listens to, after the same access check as a read. */
  async openStream(actor: Actor, caseId: string, origin: RequestOrigin): Promise<DiscussionBus> {
    await this.enter(actor, caseId, origin, 'discussion-stream');
    const row = await this.access.caseRow(caseId);
    await this.record(actor, origin, 'discussion-stream', row, 'success', null);
    return this.bus;
  }

  /** Whether the actor may still follow the case's discussion (asked again before a stream sends a change). */
  async stillAllowed(actor: Actor, caseId: string): Promise<boolean> {
    const row = await this.access.caseRow(caseId).catch(() => undefined);
    return row !== undefined && (await this.access.canDiscuss(actor, row));
  }

  setNotifier(notifier: Notifier): void {
    this.notifier = notifier;
  }

  /** Other nodes learn of this node's changes through the feed (see DiscussionFeed). */
  attachFeed(feed: DiscussionFeed): void {
    this.feed = feed;
  }

  /** A comment as streams send it, read without an access check: for streams that passed one on opening. */
  async commentView(commentId: number): Promise<CommentView | undefined> {
    const r = await this.db
      .selectFrom('case_comments')
      .selectAll()
      .where('id', '=', commentId)
      .executeTakeFirst();
    return r ? this.view(r, await this.displayNames([r.author])) : undefined;
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Resolves the comment's mentions against users and checks each may see the case. Unknown names and
   * people who may not see the case are refused, with their names, so nothing is silently dropped.
   * Returns who to notify (new mentions only), whom to share with, and every mentioned user.
   */
  private async resolveMentions(
    actor: Actor,
    row: Selectable<CasesTable>,
    body: string,
    shareNames: string[],
    alreadyNotified: string[],
  ): Promise<{ notify: KnownUser[]; share: KnownUser[]; all: KnownUser[] }> {
    const names = mentionedUsernames(body);
    if (names.length > MAX_MENTIONS)
      throw new CollaborationError(
        400,
        CollaborationErrorCode.CommentInvalid,
        `a comment may mention at most ${MAX_MENTIONS} people`,
      );
    const users = await this.access.usersNamed([...names, ...shareNames]);
    const unknown = names.filter((n) => !users.has(n.toLowerCase()));
    if (unknown.length > 0)
      throw new CollaborationError(
        422,
        CollaborationErrorCode.MentionUnknownUser,
        `no user named ${unknown.map((n) => `@${n}`).join(', ')}; check the spelling (the mention list suggests people who can see this case)`,
        { unknown },
      );
    const me = (usernameOf(actor) ?? actor.name).toLowerCase();
    const mentioned = names.map((n) => users.get(n.toLowerCase())!);
    const sharing = new Set(shareNames.map((n) => n.toLowerCase()));
    const cannotDiscuss: string[] = [];
    const cannotSee: string[] = [];
    const share: KnownUser[] = [];
    for (const u of mentioned) {
      if (u.disabled || !can(u.roles, Permission.CaseDiscuss)) {
        cannotDiscuss.push(u.username);
        continue;
      }
      if (await this.access.userCanSee(u, row)) continue;
      if (sharing.has(u.username.toLowerCase())) share.push(u);
      else cannotSee.push(u.username);
    }
    if (cannotDiscuss.length > 0)
      throw new CollaborationError(
        422,
        CollaborationErrorCode.MentionCannotDiscuss,
        `${cannotDiscuss.map((n) => `@${n}`).join(', ')} cannot take part in case discussions (disabled, or no role with case:discuss); remove the mention`,
        { cannotDiscuss },
      );
    if (cannotSee.length > 0)
      throw new CollaborationError(
        422,
        CollaborationErrorCode.MentionCannotSeeCase,
        `${cannotSee.map((n) => `@${n}`).join(', ')} cannot see this case, so they would not be able to read the comment. Send it again with "share": ${JSON.stringify(cannotSee)} to share this case with them, or remove the mention`,
        { cannotSee },
      );
    if (share.length > 0 && !can(actor.roles, Permission.WorklistRead))
      throw new CollaborationError(
        403,
        CollaborationErrorCode.ShareNotAllowed,
        'only readers and coordinators may share a case with a colleague; ask one of them to mention them',
      );
    const before = new Set(alreadyNotified.map((n) => n.toLowerCase()));
    const notify = mentioned.filter(
      (u) => !before.has(u.username.toLowerCase()) && u.username.toLowerCase() !== me,
    );
    return { notify, share, all: mentioned };
  }

  private async notifyMentioned(
    users: KnownUser[],
    author: string,
    caseId: string,
    commentId: number,
    trx: Parameters<Notifier['notify']>[1],
  ) {
    if (!this.notifier || users.length === 0) return;
    await this.notifier.notify(
      {
        usernames: users.map((u) => u.username),
        kind: 'mention',
        title: `${author} mentioned you on case ${caseId}`,
        body: 'Open the case to read the discussion.',
        caseId,
        link: `#/cases/${encodeURIComponent(caseId)}?comment=${commentId}`,
      },
      trx,
    );
  }

  private async own(
    actor: Actor,
    caseId: string,
    commentId: number,
    row: Selectable<CasesTable>,
    origin: RequestOrigin,
    action: string,
  ): Promise<Selectable<CaseCommentsTable>> {
    const c = await this.db
      .selectFrom('case_comments')
      .selectAll()
      .where('id', '=', commentId)
      .where('case_id', '=', caseId)
      .executeTakeFirst();
    if (!c)
      throw new CollaborationError(
        404,
        CollaborationErrorCode.CommentNotFound,
        `no comment ${commentId} on case ${caseId}`,
      );
    if (c.author !== (usernameOf(actor) ?? actor.name)) {
      await this.record(actor, origin, action, row, 'denied', `comment ${commentId} is ${c.author}'s`);
      throw new CollaborationError(
        403,
        CollaborationErrorCode.CommentNotYours,
        'only the author may edit or delete a comment',
      );
    }
    if (c.deleted_at !== null)
      throw new CollaborationError(
        409,
        CollaborationErrorCode.CommentDeleted,
        `comment ${commentId} was deleted`,
      );
    return c;
  }

  private view(r: Selectable<CaseCommentsTable>, names: Map<string, string | null>): CommentView {
    const deleted = r.deleted_at !== null;
    return {
      id: Number(r.id),
      caseId: r.case_id,
      author: r.author,
      authorName: names.get(r.author) ?? null,
      body: deleted ? null : r.body,
      mentions: deleted ? [] : (JSON.parse(r.mentions_json) as string[]),
      annotationIds: deleted ? [] : (JSON.parse(r.annotations_json) as string[]),
      createdAt: iso(r.created_at),
      editedAt: r.edited_at === null ? null : iso(r.edited_at),
      deletedAt: r.deleted_at === null ? null : iso(r.deleted_at),
      editableUntil: iso(Number(r.created_at) + this.editWindowMs),
    };
  }

  private async displayNames(usernames: string[]): Promise<Map<string, string | null>> {
    const unique = [...new Set(usernames)];
    if (unique.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('users')
      .select(['username', 'display_name'])
      .where('username', 'in', unique)
      .execute();
    return new Map(rows.map((r) => [r.username, r.display_name]));
  }

  private async record(
    actor: Actor,
    origin: RequestOrigin,
    action: string,
    row: Selectable<CasesTable>,
    outcome: AuditOutcome,
    detail: string | null,
  ) {
    await recordCaseAudit(this.audit, actor, origin, action, row, outcome, detail);
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}

function checkBody(raw: string): string {
  const body = (raw ?? '').trim();
  if (body === '')
    throw new CollaborationError(
      400,
      CollaborationErrorCode.CommentInvalid,
      'write something before posting',
    );
  if (body.length > MAX_COMMENT_CHARS)
    throw new CollaborationError(
      400,
      CollaborationErrorCode.CommentInvalid,
      `a comment may be at most ${MAX_COMMENT_CHARS} characters (this one has ${body.length})`,
    );
  return body;
}

function iso(ms: number | bigint): string {
  return new Date(Number(ms)).toISOString();
}
