import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { DiscussionBus } from './discussion-bus.ts';
import type { CommentView } from './discussion-service.ts';

/** What one discussion or consult change tells other nodes: enough to read it back and publish it. */
export type DiscussionChange =
  | { kind: 'comment'; caseId: string; commentId: number }
  | { kind: 'consult'; caseId: string; consultId: string; state: string; event: string };

const EVENT_TYPE = 'discussion:changed';
/** Ids are handed out at insert but commit in any order: each poll looks this far back for late ones. */
const LOOKBACK_IDS = 500;

/**
 * Carries discussion and consult changes to the case pages open on other nodes. Each change is written to
 * the durable event log (`domain_events`) in the change's own transaction; every node reads the log on its
 * clockwork tick and publishes the changes it did not make to its own live streams. On one node this costs
 * one indexed read per tick.
 */
export class DiscussionFeed {
  private readonly db: Kysely<Database>;
  private readonly bus: DiscussionBus;
  private readonly readComment: (id: number) => Promise<CommentView | undefined>;
  private readonly own = new Set<number>();
  private readonly handled = new Set<number>();
  private cursor = -1;

  constructor(deps: {
    db: Kysely<Database>;
    bus: DiscussionBus;
    readComment: (id: number) => Promise<CommentView | undefined>;
  }) {
    this.db = deps.db;
    this.bus = deps.bus;
    this.readComment = deps.readComment;
  }

  /** Records a change in the caller's transaction (this node publishes it itself, after the commit). */
  async announce(trx: Transaction<Database>, change: DiscussionChange, at: number): Promise<void> {
    const row = await trx
      .insertInto('domain_events')
      .values({
        type: EVENT_TYPE,
        subject: change.caseId,
        payload_json: JSON.stringify(change),
        occurred_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    this.own.add(Number(row.id));
  }

  /** Publishes other nodes' changes since the last poll; the first call only positions the cursor. */
  async poll(): Promise<number> {
    if (this.cursor < 0) {
      const top = await this.db
        .selectFrom('domain_events')
        .select((eb) => eb.fn.max('id').as('m'))
        .executeTakeFirst();
      this.cursor = Number(top?.m ?? 0);
      return 0;
    }
    const rows = await this.db
      .selectFrom('domain_events')
      .select(['id', 'payload_json'])
      .where('type', '=', EVENT_TYPE)
      .where('id', '>', this.cursor - LOOKBACK_IDS)
      .orderBy('id')
      .limit(1000)
      .execute();
    let published = 0;
    for (const r of rows) {
      const id = Number(r.id);
      this.cursor = Math.max(this.cursor, id);
      if (this.handled.has(id)) continue;
      this.handled.add(id);
      if (this.own.delete(id)) continue;
      const change = JSON.parse(r.payload_json) as DiscussionChange;
      if (change.kind === 'comment') {
        const comment = await this.readComment(change.commentId);
        if (comment) this.bus.publish({ type: 'comment', caseId: change.caseId, comment });
      } else {
        this.bus.publish({
          type: 'consult',
          caseId: change.caseId,
          consultId: change.consultId,
          state: change.state,
          event: change.event,
        });
      }
      published++;
    }
    for (const id of this.handled) if (id <= this.cursor - LOOKBACK_IDS) this.handled.delete(id);
    return published;
  }
}
