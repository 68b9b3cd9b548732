import type { Clock } from '@confer/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Actor } from '../archive/ports.ts';
import { DomainError } from '../http/errors.ts';
import type { Database } from '../store/schema.ts';
import type { NotificationsTable } from '../store/tables/notifications.ts';

/** What a feature asks to tell people. Titles and bodies must not carry patient names or IDs. */
export interface NotificationInput {
  /** Recipients by user name; duplicates are sent once. */
  usernames: readonly string[];
  /** What it is about, e.g. 'mention', 'consult', 'critical-result', 'peer-review', 'board'. */
  kind: string;
  title: string;
  body?: string;
  caseId?: string;
  /** Where the app goes when it is opened, an app fragment such as '#/cases/C-1'. */
  link?: string;
}

/** A notification as its recipient sees it. */
export interface Notification {
  id: number;
  kind: string;
  title: string;
  body: string | null;
  caseId: string | null;
  link: string | null;
  createdAt: string;
  readAt: string | null;
}

export interface NotificationPage {
  items: Notification[];
  /** How many of the recipient's notifications are unread, in all. */
  unread: number;
}

export const NotificationErrorCode = {
  NotFound: 'CONFER_ERR_NOTIFICATION_NOT_FOUND',
  NoUser: 'CONFER_ERR_NOTIFICATIONS_NEED_A_USER',
} as const;
export type NotificationErrorCode = (typeof NotificationErrorCode)[keyof typeof NotificationErrorCode];

export class NotificationError extends DomainError {
  constructor(status: number, code: NotificationErrorCode, message: string) {
    super(status, code, message);
    this.name = 'NotificationError';
  }
}

type Listener = (notification: Notification) => void;

/** How far behind the newest pushed id a flush looks again, for rows whose transactions committed late. */
const LOOKBACK_IDS = 500;

/**
 * In-app notifications: one stored row per recipient, pushed live to the recipient's open browsers.
 *
 * Rows are the truth and pushing is best effort: a browser that was closed reads its unread list on open.
 * A notification written inside a caller's transaction must not be pushed before that transaction commits,
 * so pushing is a separate step, `flush()`: it reads rows newer than the last ones pushed and sends them to
 * this node's subscribers. `notify` without a transaction flushes at once; callers that pass a transaction
 * call `flush()` after their commit, and the clockwork flushes every tick, which is also how notifications
 * written on another node reach this node's browsers.
 */
export class NotificationService {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Ids already pushed, within the lookback window (ids can commit out of order on PostgreSQL). */
  private readonly pushed = new Set<number>();
  private cursor = 0;
  /** Rows up to this id existed before this node started: they are never pushed live. */
  private floor = 0;
  private started = false;
  private flushing: Promise<void> | undefined;
  private flushAgain = false;

  constructor(deps: { db: Kysely<Database>; clock: Clock }) {
    this.db = deps.db;
    this.clock = deps.clock;
  }

  /** Starts pushing from the newest stored row, so a restart does not replay old notifications live. */
  async start(): Promise<void> {
    const row = await this.db
      .selectFrom('notifications')
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirst();
    this.cursor = Number(row?.max ?? 0);
    this.floor = this.cursor;
    this.started = true;
  }

  /**
   * Stores one notification per recipient. With `trx` the rows are part of the caller's transaction and
   * are pushed by the next `flush()` after it commits; without, they are pushed before this returns.
   */
  async notify(input: NotificationInput, trx?: Transaction<Database>): Promise<number[]> {
    const usernames = [...new Set(input.usernames.filter((u) => u.trim() !== ''))];
    if (usernames.length === 0) return [];
    const now = this.clock.now().getTime();
    const rows = await (trx ?? this.db)
      .insertInto('notifications')
      .values(
        usernames.map((username) => ({
          username,
          kind: input.kind,
          title: input.title,
          body: input.body ?? null,
          case_id: input.caseId ?? null,
          link: input.link ?? null,
          created_at: now,
          read_at: null,
        })),
      )
      .returning('id')
      .execute();
    if (!trx) await this.flush();
    return rows.map((r) => Number(r.id));
  }

  /** The recipient's notifications, newest first, with the unread total. */
  async list(
    actor: Actor,
    options: { unreadOnly?: boolean; limit?: number; beforeId?: number } = {},
  ): Promise<NotificationPage> {
    const username = this.usernameOf(actor);
    const limit = Math.min(Math.max(options.limit ?? 50, 1), 200);
    let q = this.db.selectFrom('notifications').selectAll().where('username', '=', username);
    if (options.unreadOnly) q = q.where('read_at', 'is', null);
    if (options.beforeId !== undefined) q = q.where('id', '<', options.beforeId);
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return { items: rows.map(toNotification), unread: await this.unreadCount(username) };
  }

  async unreadCount(username: string): Promise<number> {
    const row = await this.db
      .selectFrom('notifications')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('username', '=', username)
      .where('read_at', 'is', null)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Marks one of the caller's notifications read; someone else's answers as not found. */
  async markRead(actor: Actor, id: number): Promise<Notification> {
    const username = this.usernameOf(actor);
    const row = await this.db
      .selectFrom('notifications')
      .selectAll()
      .where('id', '=', id)
      .where('username', '=', username)
      .executeTakeFirst();
    if (!row)
      throw new NotificationError(404, NotificationErrorCode.NotFound, `you have no notification ${id}`);
    if (row.read_at !== null) return toNotification(row);
    const readAt = this.clock.now().getTime();
    await this.db.updateTable('notifications').set({ read_at: readAt }).where('id', '=', id).execute();
    return toNotification({ ...row, read_at: readAt });
  }

  /** Marks all of the caller's notifications read; returns how many were unread. */
  async markAllRead(actor: Actor): Promise<number> {
    const username = this.usernameOf(actor);
    const result = await this.db
      .updateTable('notifications')
      .set({ read_at: this.clock.now().getTime() })
      .where('username', '=', username)
      .where('read_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Live notifications for one user on this node; returns the function that unsubscribes. */
  subscribe(username: string, listener: Listener): () => void {
    let set = this.listeners.get(username);
    if (!set) {
      set = new Set();
      this.listeners.set(username, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(username);
    };
  }

  /**
   * Pushes rows committed since the last flush to this node's subscribers. Call it after the commit, never
   * inside a transaction: on SQLite the one connection is the transaction's until it ends. Concurrent calls coalesce: a call
   * during a flush makes that flush run once more, so nothing committed before the call is left behind.
   */
  async flush(): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      try {
        do {
          this.flushAgain = false;
          await this.flushOnce();
        } while (this.flushAgain);
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    if (!this.started) await this.start();
    const rows = await this.db
      .selectFrom('notifications')
      .selectAll()
      .where('id', '>', Math.max(this.floor, this.cursor - LOOKBACK_IDS))
      .orderBy('id')
      .execute();
    for (const row of rows) {
      const id = Number(row.id);
      if (this.pushed.has(id)) continue;
      this.pushed.add(id);
      if (id > this.cursor) this.cursor = id;
      for (const l of this.listeners.get(row.username) ?? []) {
        try {
          l(toNotification(row));
        } catch {
          // One broken stream must not stop the others.
        }
      }
    }
    for (const id of this.pushed) if (id <= this.cursor - LOOKBACK_IDS) this.pushed.delete(id);
  }

  usernameOf(actor: Actor): string {
    if (!actor.username)
      throw new NotificationError(
        403,
        NotificationErrorCode.NoUser,
        'notifications belong to users; sign in as a user or use a token created for one',
      );
    return actor.username;
  }
}

function toNotification(row: Selectable<NotificationsTable>): Notification {
  return {
    id: Number(row.id),
    kind: row.kind,
    title: row.title,
    body: row.body,
    caseId: row.case_id,
    link: row.link,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    readAt: row.read_at === null ? null : new Date(Number(row.read_at)).toISOString(),
  };
}
