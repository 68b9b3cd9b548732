import type { Generated } from 'kysely';
import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from '../migration-context.ts';

/**
 * Tables for report templates, reports and their versions.
 * The migration below creates them; once released it is never edited (add a new file and entry instead).
 */
export interface ReportingTables {
  report_templates: ReportTemplatesTable;
  reports: ReportsTable;
  report_versions: ReportVersionsTable;
}

/** A report template as validated JSON; `revision` counts edits. */
export interface ReportTemplatesTable {
  id: string;
  name: string;
  definition_json: string;
  active: number;
  revision: number;
  created_at: number;
  updated_at: number;
  updated_by: string;
}

/**
 * One report per case: its status, the working draft and `revision`, which every write checks and raises
 * (`UPDATE ... WHERE revision = ?`), so a stale autosave or a second signature is refused, never lost.
 */
export interface ReportsTable {
  id: string;
  case_id: string;
  status: string;
  revision: number;
  /** The core's ReportDraft as JSON (content, who saved it, when); null before anything is written. */
  draft_json: string | null;
  created_at: number;
  updated_at: number;
}

/** A signed version: written once, never updated (a trigger refuses updates and deletes). */
export interface ReportVersionsTable {
  id: Generated<number>;
  report_id: string;
  version: number;
  kind: string;
  content_json: string;
  /** The report as plain text at this version, addenda included (what the diff compares). */
  text: string;
  author_user_id: string;
  author_reader_id: string | null;
  author_name: string;
  signed_at: number;
  /** The SignedReport handed to delivery. */
  signed_report_json: string;
}

export async function migrateReporting(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await sql`create table report_templates (
    id text primary key, name text not null, definition_json text not null, active integer not null,
    revision integer not null, created_at ${ctx.big} not null, updated_at ${ctx.big} not null,
    updated_by text not null)`.execute(db);
  await sql`create table reports (
    id text primary key, case_id text not null unique, status text not null, revision integer not null,
    draft_json text, created_at ${ctx.big} not null, updated_at ${ctx.big} not null)`.execute(db);
  await sql`create table report_versions (
    id ${ctx.id}, report_id text not null references reports(id), version integer not null, kind text not null,
    content_json text not null, text text not null, author_user_id text not null, author_reader_id text,
    author_name text not null, signed_at ${ctx.big} not null, signed_report_json text not null,
    unique (report_id, version))`.execute(db);
  // A signed version is a legal record: the database itself refuses to change or remove one.
  if (ctx.dialect === 'postgres') {
    await sql`create function confer_report_version_immutable() returns trigger language plpgsql as $$
      begin raise exception 'signed report versions cannot be changed; add an addendum instead'; end $$`.execute(
      db,
    );
    await sql`create trigger report_versions_immutable before update or delete on report_versions
      for each row execute function confer_report_version_immutable()`.execute(db);
  } else {
    for (const op of ['update', 'delete'])
      await sql`create trigger ${sql.raw(`report_versions_no_${op}`)} before ${sql.raw(op)} on report_versions
        begin select raise(abort, 'signed report versions cannot be changed; add an addendum instead'); end`.execute(
        db,
      );
  }
}
