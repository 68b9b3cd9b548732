import { createHash } from 'node:crypto';
import type { Clock } from '@confer/core';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Dialect } from '../store/database.ts';
import type { Database } from '../store/schema.ts';
import type { AuditEvent, AuditSink } from './ports.ts';

const GENESIS = '0'.repeat(64);

type Row = Omit<Database['audit_events'], 'id' | 'prev_hash' | 'hash'>;

function contentOf(row: Row): string {
  return JSON.stringify([
    row.at,
    row.actor_kind,
    row.actor_id,
    row.actor_name,
    row.action,
    row.protocol,
    row.remote_address,
    row.calling_ae,
    row.study_uid,
    row.patient_id,
    row.outcome,
    row.detail,
  ]);
}

function chain(prevHash: string, row: Row): string {
  return createHash('sha256').update(prevHash).update(contentOf(row)).digest('hex');
}

/**
 * The tamper-evident audit trail: every row carries the SHA-256 of the previous row's hash and its own
 * content, so an edited or deleted row breaks the chain from that point on (see `verify`).
 */
export class AuditLog implements AuditSink {
  private readonly db: Kysely<Database>;
  private readonly dialect: Dialect;
  private readonly clock: Clock;

  constructor(db: Kysely<Database>, dialect: Dialect, clock: Clock) {
    this.db = db;
    this.dialect = dialect;
    this.clock = clock;
  }

  async record(event: AuditEvent): Promise<void> {
    await this.db.transaction().execute((trx) => this.append(trx, [event]));
  }

  /** Appends within the caller's transaction, so the audit row commits with the data it describes. */
  async append(trx: Transaction<Database>, events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (this.dialect === 'postgres') {
      // Serialise appenders across nodes so the chain never forks.
      await sql`select pg_advisory_xact_lock(7242018)`.execute(trx);
    }
    const last = await trx
      .selectFrom('audit_events')
      .select('hash')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    let prev = last?.hash ?? GENESIS;
    const at = this.clock.now().getTime();
    const rows = events.map((e) => {
      const row: Row = {
        at,
        actor_kind: e.actor.kind,
        actor_id: e.actor.id,
        actor_name: e.actor.name,
        action: e.action,
        protocol: e.origin.protocol,
        remote_address: e.origin.remoteAddress,
        calling_ae: e.origin.callingAe ?? null,
        study_uid: e.studyUid ?? null,
        patient_id: e.patientId ?? null,
        outcome: e.outcome,
        detail: e.detail ?? null,
      };
      const hash = chain(prev, row);
      const full = { ...row, prev_hash: prev, hash };
      prev = hash;
      return full;
    });
    await trx.insertInto('audit_events').values(rows).execute();
  }

  /** Recomputes the chain; returns the id of the first row that does not match, or null when intact. */
  async verify(): Promise<{ rows: number; brokenAtId: number | null }> {
    let prev = GENESIS;
    let rows = 0;
    let afterId = 0;
    for (;;) {
      const page = await this.db
        .selectFrom('audit_events')
        .selectAll()
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(1000)
        .execute();
      if (page.length === 0) return { rows, brokenAtId: null };
      for (const r of page) {
        if (r.prev_hash !== prev || chain(prev, r) !== r.hash) return { rows, brokenAtId: Number(r.id) };
        prev = r.hash;
        rows++;
        afterId = Number(r.id);
      }
    }
  }

  async list(options: { limit: number; beforeId?: number; studyUid?: string }) {
    let q = this.db.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(options.limit);
    if (options.beforeId !== undefined) q = q.where('id', '<', options.beforeId);
    if (options.studyUid) q = q.where('study_uid', '=', options.studyUid);
    return (await q.execute()).map((r) => ({
      id: Number(r.id),
      at: new Date(Number(r.at)).toISOString(),
      actor: r.actor_name,
      actorKind: r.actor_kind,
      action: r.action,
      protocol: r.protocol,
      remoteAddress: r.remote_address,
      callingAe: r.calling_ae,
      studyUid: r.study_uid,
      patientId: r.patient_id,
      outcome: r.outcome,
      detail: r.detail,
    }));
  }
}
