import type { Clock } from '@confer/core';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export const StudyEvent = { Complete: 'study:complete' } as const;

export interface StudyCompleteEvent {
  type: typeof StudyEvent.Complete;
  /** Position in the durable event log; consumers keep the last one they handled. */
  eventId: number;
  studyUid: string;
  siteId: string | null;
  numSeries: number;
  numInstances: number;
  modalities: string[];
  firstReceivedAt: string;
  lastReceivedAt: string;
  occurredAt: string;
}

type Listener = (event: StudyCompleteEvent) => void;

/**
 * Announces `study:complete` once a study has received nothing for the quiet period. The decision is made
 * from stored timestamps and the event is written to the domain_events table in the same transaction that
 * marks the study announced, so a restart neither loses nor repeats an announcement. Several nodes may run
 * it: the conditional update lets exactly one of them announce a study.
 */
export class StudyCompletionMonitor {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private readonly quietPeriodMs: number;
  private readonly listeners = new Set<Listener>();

  constructor(deps: { db: Kysely<Database>; clock: Clock; quietPeriodMs: number }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.quietPeriodMs = deps.quietPeriodMs;
  }

  /** Subscribes to announcements made by this node; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Announces every study that has gone quiet; returns what it announced. Call it from a timer. */
  async tick(): Promise<StudyCompleteEvent[]> {
    const now = this.clock.now().getTime();
    const due = await this.db
      .selectFrom('studies')
      .select([
        'id',
        'study_uid',
        'site_id',
        'num_series',
        'num_instances',
        'modalities',
        'first_received_at',
        'last_received_at',
      ])
      .where('complete_announced_at', 'is', null)
      .where('last_received_at', '<=', now - this.quietPeriodMs)
      .orderBy('last_received_at')
      .limit(500)
      .execute();
    const announced: StudyCompleteEvent[] = [];
    for (const s of due) {
      const event = await this.db.transaction().execute(async (trx) => {
        // Only if nothing arrived since we looked, and no other node announced it first.
        const claimed = await trx
          .updateTable('studies')
          .set({ complete_announced_at: now })
          .where('id', '=', s.id)
          .where('complete_announced_at', 'is', null)
          .where('last_received_at', '=', s.last_received_at)
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) return undefined;
        const payload = {
          studyUid: s.study_uid,
          siteId: s.site_id,
          numSeries: Number(s.num_series),
          numInstances: Number(s.num_instances),
          modalities: s.modalities.split('\\').filter(Boolean),
          firstReceivedAt: new Date(Number(s.first_received_at)).toISOString(),
          lastReceivedAt: new Date(Number(s.last_received_at)).toISOString(),
        };
        const row = await trx
          .insertInto('domain_events')
          .values({
            type: StudyEvent.Complete,
            subject: s.study_uid,
            payload_json: JSON.stringify(payload),
            occurred_at: now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        return {
          type: StudyEvent.Complete,
          eventId: Number(row.id),
          ...payload,
          occurredAt: new Date(now).toISOString(),
        } satisfies StudyCompleteEvent;
      });
      if (event) announced.push(event);
    }
    for (const e of announced) for (const l of this.listeners) l(e);
    return announced;
  }

  /** Durable events after `afterEventId`, oldest first: how a consumer catches up after a restart. */
  async readSince(afterEventId: number, limit = 500): Promise<StudyCompleteEvent[]> {
    const rows = await this.db
      .selectFrom('domain_events')
      .selectAll()
      .where('type', '=', StudyEvent.Complete)
      .where('id', '>', afterEventId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      type: StudyEvent.Complete,
      eventId: Number(r.id),
      ...(JSON.parse(r.payload_json) as Omit<StudyCompleteEvent, 'type' | 'eventId' | 'occurredAt'>),
      occurredAt: new Date(Number(r.occurred_at)).toISOString(),
    }));
  }
}
