import { type Generated, type Kysely, sql } from 'kysely';
import type { MigrationContext } from '../migration-context.ts';

/**
 * Tables for HL7 v2 / FHIR / PDF delivery of signed reports: the outbox of signed versions, one delivery per
 * destination, and every attempt. The migration below creates them; once released it is never edited (add a
 * new file and entry instead).
 */
export interface ReportDeliveryTables {
  report_outputs: ReportOutputsTable;
  report_deliveries: ReportDeliveriesTable;
  report_delivery_attempts: ReportDeliveryAttemptsTable;
}

/** Each signed version as it left Confer (the SignedReport JSON), so every output says the same thing. */
export interface ReportOutputsTable {
  id: Generated<number>;
  report_id: string;
  version: number;
  kind: string;
  case_id: string;
  study_uid: string;
  accession_number: string | null;
  patient_id: string | null;
  site_id: string | null;
  signed_at: number;
  report_json: string;
  created_at: number;
}

/**
 * One row per (signed version, destination). `state` moves pending -> sending -> delivered | pending (retry)
 * | failed; a node claims a row by a conditional update on `version`, and holds it until `lease_expires_at`.
 */
export interface ReportDeliveriesTable {
  id: Generated<number>;
  output_fk: number;
  report_id: string;
  report_version: number;
  destination_id: string;
  /** 'hl7-mllp' | 'fhir' */
  destination_type: string;
  /** 'pending' | 'sending' | 'delivered' | 'failed' */
  state: string;
  /** MSH-10 for HL7 (kept across retries so a receiver can spot a duplicate); a request id for FHIR. */
  message_control_id: string;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_ack_code: string | null;
  last_error: string | null;
  delivered_at: number | null;
  failed_at: number | null;
  version: number;
  created_at: number;
  updated_at: number;
}

export interface ReportDeliveryAttemptsTable {
  id: Generated<number>;
  delivery_fk: number;
  attempt: number;
  started_at: number;
  finished_at: number;
  /** 'accepted' | 'rejected' | 'error' */
  outcome: string;
  /** MSA-1 (AA, AE, ...) or the HTTP status for FHIR. */
  ack_code: string | null;
  error: string | null;
  node: string;
}

export async function migrateReportDelivery(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await sql`create table report_outputs (
    id ${ctx.id}, report_id text not null, version integer not null, kind text not null, case_id text not null,
    study_uid text not null, accession_number text, patient_id text, site_id text,
    signed_at ${ctx.big} not null, report_json text not null, created_at ${ctx.big} not null,
    unique (report_id, version))`.execute(db);
  await sql`create index report_outputs_study on report_outputs (study_uid)`.execute(db);
  await sql`create index report_outputs_accession on report_outputs (accession_number)`.execute(db);
  await sql`create index report_outputs_patient on report_outputs (patient_id)`.execute(db);
  await sql`create table report_deliveries (
    id ${ctx.id}, output_fk ${ctx.big} not null references report_outputs(id), report_id text not null,
    report_version integer not null, destination_id text not null, destination_type text not null,
    state text not null, message_control_id text not null unique, attempts integer not null,
    next_attempt_at ${ctx.big} not null, lease_owner text, lease_expires_at ${ctx.big},
    last_ack_code text, last_error text, delivered_at ${ctx.big}, failed_at ${ctx.big},
    version integer not null, created_at ${ctx.big} not null, updated_at ${ctx.big} not null,
    unique (output_fk, destination_id))`.execute(db);
  await sql`create index report_deliveries_due on report_deliveries (state, next_attempt_at)`.execute(db);
  await sql`create index report_deliveries_report on report_deliveries (report_id, destination_id)`.execute(
    db,
  );
  await sql`create table report_delivery_attempts (
    id ${ctx.id}, delivery_fk ${ctx.big} not null references report_deliveries(id), attempt integer not null,
    started_at ${ctx.big} not null, finished_at ${ctx.big} not null, outcome text not null, ack_code text,
    error text, node text not null)`.execute(db);
  await sql`create index report_delivery_attempts_delivery on report_delivery_attempts (delivery_fk, id)`.execute(
    db,
  );
}
