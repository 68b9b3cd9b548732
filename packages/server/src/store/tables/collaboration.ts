import { type Generated, type Kysely, sql } from 'kysely';
import type { MigrationContext } from '../migration-context.ts';

/**
 * Tables for case discussion threads, mentions, shared access and consult requests.
 * The migration below creates them; once released it is never edited (add a new file and entry instead).
 */
export interface CollaborationTables {
  case_comments: CaseCommentsTable;
  case_comment_revisions: CaseCommentRevisionsTable;
  case_access_grants: CaseAccessGrantsTable;
  consults: ConsultsTable;
  consult_timers: ConsultTimersTable;
}

/** One comment in a case's discussion. A deleted comment keeps its row (and text) for the record. */
export interface CaseCommentsTable {
  id: Generated<number>;
  case_id: string;
  author: string;
  body: string;
  /** JSON array of the user names mentioned (resolved, as stored in users). */
  mentions_json: string;
  /** JSON array of annotation ids referenced. */
  annotations_json: string;
  created_at: number;
  edited_at: number | null;
  deleted_at: number | null;
  deleted_by: string | null;
}

/** The text a comment had before each edit. */
export interface CaseCommentRevisionsTable {
  id: Generated<number>;
  comment_id: number;
  body: string;
  replaced_at: number;
}

/**
 * Who may see a case beyond the worklist's own rules: a user a case's discussion was shared with (by
 * mentioning them), or a consultant while their consult is theirs. `revoked_at` ends it.
 */
export interface CaseAccessGrantsTable {
  id: Generated<number>;
  case_id: string;
  username: string;
  /** 'shared' or 'consult'. */
  reason: string;
  consult_id: string | null;
  granted_by: string;
  granted_at: number;
  revoked_at: number | null;
}

export interface ConsultsTable {
  id: string;
  case_id: string;
  kind: string;
  urgency: string;
  state: string;
  target_kind: string;
  target_id: string;
  requested_by: string;
  assignee_id: string | null;
  due_at: number;
  expired: number;
  /** The latest routing decision with its explanation. */
  decision_json: string | null;
  snapshot_json: string;
  version: number;
  created_at: number;
  updated_at: number;
}

/** A consult's stored deadlines (expiry and escalation steps), fired by the clockwork once, by one node. */
export interface ConsultTimersTable {
  id: Generated<number>;
  consult_id: string;
  due_at: number;
  step_index: number;
  action: string;
  fired_at: number | null;
}

export async function migrateCollaboration(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const { id, big } = ctx;
  await sql`create table case_comments (
    id ${id}, case_id text not null, author text not null, body text not null,
    mentions_json text not null, annotations_json text not null, created_at ${big} not null,
    edited_at ${big}, deleted_at ${big}, deleted_by text)`.execute(db);
  await sql`create index case_comments_case on case_comments (case_id, id)`.execute(db);
  await sql`create table case_comment_revisions (
    id ${id}, comment_id ${big} not null, body text not null, replaced_at ${big} not null)`.execute(db);
  await sql`create index case_comment_revisions_comment on case_comment_revisions (comment_id)`.execute(db);
  await sql`create table case_access_grants (
    id ${id}, case_id text not null, username text not null, reason text not null, consult_id text,
    granted_by text not null, granted_at ${big} not null, revoked_at ${big})`.execute(db);
  await sql`create index case_access_grants_case on case_access_grants (case_id, username)`.execute(db);
  await sql`create table consults (
    id text primary key, case_id text not null, kind text not null, urgency text not null, state text not null,
    target_kind text not null, target_id text not null, requested_by text not null, assignee_id text,
    due_at ${big} not null, expired integer not null default 0, decision_json text, snapshot_json text not null,
    version integer not null, created_at ${big} not null, updated_at ${big} not null)`.execute(db);
  await sql`create index consults_case on consults (case_id, created_at)`.execute(db);
  await sql`create index consults_assignee on consults (assignee_id, state)`.execute(db);
  await sql`create index consults_state on consults (state, target_kind, target_id)`.execute(db);
  await sql`create table consult_timers (
    id ${id}, consult_id text not null, due_at ${big} not null, step_index integer not null,
    action text not null, fired_at ${big}, unique (consult_id, step_index))`.execute(db);
  await sql`create index consult_timers_due on consult_timers (fired_at, due_at)`.execute(db);
}
