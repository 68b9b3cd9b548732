import type { Generated } from 'kysely';
import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from '../migration-context.ts';

/**
 * Tables for critical results, their communications, escalation timers and acknowledgement links.
 * The migration below creates them; once released it is never edited (add a new file and entry instead).
 */
export interface CriticalResultsTables {
  critical_results: CriticalResultsTable;
  critical_communications: CriticalCommunicationsTable;
  critical_timers: CriticalTimersTable;
  critical_links: CriticalLinksTable;
}

/** One critical result; the core snapshot is authoritative, the other columns are for queries. */
export interface CriticalResultsTable {
  /** 'CR-' and 12 random hex digits. */
  id: string;
  case_id: string;
  site_id: string | null;
  category: string;
  state: string;
  responsible: string;
  flagged_by: string;
  flagged_at: number;
  /** The category deadline. */
  due_at: number;
  step: number;
  /** When the current rung runs out: the dashboard sorts by it. */
  step_due_at: number;
  /** The first confirmed delivery, and the acknowledgement: what the case's milestones are made from. */
  communicated_at: number | null;
  acknowledged_at: number | null;
  /** 1 once the case's timeline and milestones carry the communication / the acknowledgement. */
  case_communicated: number;
  case_acknowledged: number;
  /** The report whose signing flagged it, when it came from a report. */
  report_id: string | null;
  snapshot_json: string;
  version: number;
  updated_at: number;
}

/** One communication (recipient x channel x rung), projected from the snapshot, plus delivery bookkeeping. */
export interface CriticalCommunicationsTable {
  id: string;
  result_id: string;
  case_id: string;
  step: number;
  channel: string;
  recipient: string;
  sent_by: string;
  at: number;
  status: string;
  delivered_at: number | null;
  opened_at: number | null;
  acknowledged_at: number | null;
  error: string | null;
  /** Delivery attempts so far (webhook, e-mail); also the claim's version across nodes. */
  attempts: number;
  /** No attempt before this instant (back-off, or another node's attempt in flight). */
  next_attempt_at: number | null;
}

/** The current rung's timer: stored, so a restart loses none; fired once across nodes. */
export interface CriticalTimersTable {
  id: Generated<number>;
  result_id: string;
  step: number;
  due_at: number;
  fired_at: number | null;
}

/** A single-use, expiring acknowledgement link; only the token's SHA-256 is stored. */
export interface CriticalLinksTable {
  token_hash: string;
  result_id: string;
  communication_id: string;
  recipient: string;
  created_at: number;
  expires_at: number;
  opened_at: number | null;
  used_at: number | null;
}

export async function migrateCriticalResults(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const b = ctx.big;
  await sql`create table critical_results (
    id text primary key, case_id text not null, site_id text, category text not null, state text not null,
    responsible text not null, flagged_by text not null, flagged_at ${b} not null, due_at ${b} not null,
    step integer not null, step_due_at ${b} not null, communicated_at ${b}, acknowledged_at ${b},
    case_communicated integer not null default 0, case_acknowledged integer not null default 0,
    report_id text, snapshot_json text not null, version integer not null, updated_at ${b} not null)`.execute(
    db,
  );
  await sql`create index critical_results_state on critical_results (state, step_due_at)`.execute(db);
  await sql`create index critical_results_case on critical_results (case_id, flagged_at)`.execute(db);
  await sql`create table critical_communications (
    id text primary key, result_id text not null, case_id text not null, step integer not null,
    channel text not null, recipient text not null, sent_by text not null, at ${b} not null, status text not null,
    delivered_at ${b}, opened_at ${b}, acknowledged_at ${b}, error text, attempts integer not null default 0,
    next_attempt_at ${b})`.execute(db);
  await sql`create index critical_communications_result on critical_communications (result_id, id)`.execute(
    db,
  );
  await sql`create index critical_communications_recipient on critical_communications (recipient, result_id)`.execute(
    db,
  );
  await sql`create index critical_communications_pending on critical_communications (status, next_attempt_at)`.execute(
    db,
  );
  await sql`create table critical_timers (
    id ${ctx.id}, result_id text not null, step integer not null, due_at ${b} not null, fired_at ${b},
    unique (result_id, step))`.execute(db);
  await sql`create index critical_timers_due on critical_timers (fired_at, due_at)`.execute(db);
  await sql`create table critical_links (
    token_hash text primary key, result_id text not null, communication_id text not null, recipient text not null,
    created_at ${b} not null, expires_at ${b} not null, opened_at ${b}, used_at ${b})`.execute(db);
  await sql`create index critical_links_result on critical_links (result_id)`.execute(db);
}
