import { type Generated, type Kysely, sql } from 'kysely';
import type { MigrationContext } from '../migration-context.ts';

/**
 * Tables for viewer annotations and measurements saved per case.
 * The migration below creates them; once released it is never edited (add a new file and entry instead).
 */
export interface AnnotationsTables {
  annotations: AnnotationsTable;
}

export interface AnnotationsTable {
  /** Insertion order: lists show annotations in the order they were drawn, on either database. */
  seq: Generated<number>;
  /** 'A-' and 12 hex digits. */
  id: string;
  case_id: string;
  study_uid: string;
  series_uid: string;
  sop_instance_uid: string;
  /** 1-based frame of a multi-frame instance; 1 for single-frame images. */
  frame_number: number;
  /** Series Number and Instance Number as stored, so a report can say "series 3, image 41". */
  series_number: number | null;
  instance_number: number | null;
  /** length, angle, ellipse, rectangle. */
  tool: string;
  label: string;
  /** JSON: { points: [[column, row], ...] } in image pixel coordinates. */
  geometry_json: string;
  /** JSON: [{ name, value, unit }], lengths and areas computed by the server, pixel statistics from the viewer. */
  measurements_json: string;
  author_username: string;
  author_name: string;
  created_at: number;
  updated_at: number;
  updated_by: string;
  /** Starts at 1; an update names the version it edited, so concurrent edits conflict instead of overwriting. */
  version: number;
}

export async function migrateAnnotations(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const b = ctx.big;
  await sql`create table annotations (
    seq ${ctx.id}, id text not null unique, case_id text not null, study_uid text not null, series_uid text not null,
    sop_instance_uid text not null, frame_number integer not null, series_number integer,
    instance_number integer, tool text not null, label text not null, geometry_json text not null,
    measurements_json text not null, author_username text not null, author_name text not null,
    created_at ${b} not null, updated_at ${b} not null, updated_by text not null,
    version integer not null)`.execute(db);
  await sql`create index annotations_case on annotations (case_id, seq)`.execute(db);
}
