import type { Generated } from 'kysely';
import type { AnnotationsTables } from './tables/annotations.ts';
import type { CollaborationTables } from './tables/collaboration.ts';
import type { CriticalResultsTables } from './tables/critical-results.ts';
import type { NotificationsTables } from './tables/notifications.ts';
import type { PeerReviewBoardsTables } from './tables/peer-review-boards.ts';
import type { ReportDeliveryTables } from './tables/report-delivery.ts';
import type { ReportingTables } from './tables/reporting.ts';

/**
 * Table shapes as Kysely sees them. Times are epoch milliseconds (UTC) in integer columns so both
 * databases sort and compare them the same way; JSON is stored as text.
 */
export interface Database
  extends ReportingTables,
    ReportDeliveryTables,
    CriticalResultsTables,
    CollaborationTables,
    PeerReviewBoardsTables,
    AnnotationsTables,
    NotificationsTables {
  sites: SitesTable;
  patients: PatientsTable;
  studies: StudiesTable;
  series: SeriesTable;
  instances: InstancesTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  audit_events: AuditEventsTable;
  domain_events: DomainEventsTable;
  routing_configs: RoutingConfigsTable;
  cases: CasesTable;
  case_visibility: CaseVisibilityTable;
  case_events: CaseEventsTable;
  case_timers: CaseTimersTable;
  ai_results: AiResultsTable;
}

export interface SitesTable {
  id: string;
  name: string;
  /** JSON array of calling AE titles that map to this site. */
  ae_titles: string;
  time_zone: string;
  jurisdiction: string | null;
  /** 1 when an unknown calling AE may store on behalf of this site (a catch-all site). */
  accept_unknown_ae: number;
  updated_at: number;
}

export interface PatientsTable {
  id: Generated<number>;
  patient_id: string;
  /** '' when the sender gave no issuer. */
  issuer: string;
  /** '' normally; the Study Instance UID when the object had no Patient ID, so such studies never merge. */
  scope: string;
  patient_name: string | null;
  birth_date: string | null;
  sex: string | null;
  updated_at: number;
}

export interface StudiesTable {
  id: Generated<number>;
  study_uid: string;
  patient_fk: number;
  accession_number: string | null;
  study_id: string | null;
  study_date: string | null;
  study_time: string | null;
  description: string | null;
  referring_physician: string | null;
  /** Backslash-joined distinct modalities of its series, as ModalitiesInStudy is written. */
  modalities: string;
  body_parts: string;
  sop_classes: string;
  institution_name: string | null;
  site_id: string | null;
  num_series: number;
  num_instances: number;
  first_received_at: number;
  last_received_at: number;
  /** When study:complete was announced for the current burst of images; null until then. */
  complete_announced_at: number | null;
  /** DICOM JSON of the patient and study level attributes of the first instance received. */
  attributes_json: string;
}

export interface SeriesTable {
  id: Generated<number>;
  series_uid: string;
  study_fk: number;
  modality: string | null;
  series_number: number | null;
  description: string | null;
  body_part: string | null;
  series_date: string | null;
  series_time: string | null;
  num_instances: number;
  first_received_at: number;
  last_received_at: number;
  attributes_json: string;
}

export interface InstancesTable {
  id: Generated<number>;
  sop_instance_uid: string;
  series_fk: number;
  sop_class_uid: string;
  instance_number: number | null;
  transfer_syntax_uid: string;
  rows: number | null;
  columns: number | null;
  number_of_frames: number | null;
  size_bytes: number;
  blob_key: string;
  /** Byte offset of the data set in the stored Part 10 file, and of pixel data (-1 when none). */
  dataset_offset: number;
  pixel_data_offset: number;
  received_at: number;
  /** Full DICOM JSON metadata without bulk data (WADO-RS metadata serves this as is). */
  metadata_json: string;
}

export interface UsersTable {
  id: Generated<number>;
  username: string;
  display_name: string | null;
  password_hash: string;
  /** JSON array of role names. */
  roles: string;
  site_id: string | null;
  disabled: number;
  created_at: number;
  password_changed_at: number;
}

export interface ApiTokensTable {
  id: Generated<number>;
  name: string;
  user_fk: number;
  /** SHA-256 (hex) of the secret; the secret itself is shown once and never stored. */
  secret_hash: string;
  /** The first characters of the token, so an operator can tell tokens apart. */
  prefix: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the cookie value. */
  id: string;
  user_fk: number;
  created_at: number;
  expires_at: number;
  remote_address: string | null;
}

export interface AuditEventsTable {
  id: Generated<number>;
  at: number;
  actor_kind: string;
  actor_id: string;
  actor_name: string;
  action: string;
  protocol: string;
  remote_address: string;
  calling_ae: string | null;
  study_uid: string | null;
  patient_id: string | null;
  outcome: string;
  detail: string | null;
  /** Hash chain (tamper evidence): sha256 of the previous row's hash and this row's content. */
  prev_hash: string;
  hash: string;
}

export interface DomainEventsTable {
  id: Generated<number>;
  type: string;
  /** The aggregate the event is about (a Study Instance UID for study:complete). */
  subject: string;
  payload_json: string;
  occurred_at: number;
}

/** Every version of the routing configuration (directory, rosters, rules, SLAs); the highest is live. */
export interface RoutingConfigsTable {
  version: number;
  document_json: string;
  created_at: number;
  created_by: string;
  comment: string | null;
}

/**
 * One row per case: the core's snapshot (`snapshot_json`) plus the columns the worklist sorts and filters on.
 * Every change is a conditional update on `version`, so a case is claimed once across nodes.
 */
export interface CasesTable {
  id: string;
  study_uid: string;
  site_id: string | null;
  state: string;
  priority: string;
  /** 0 = stat, 1 = urgent, 2 = routine: sorts most urgent first. */
  priority_rank: number;
  pathway: string | null;
  owner_id: string | null;
  lease_expires_at: number | null;
  broadened: number;
  exception_queue: string | null;
  exception_reason: string | null;
  sla_class: string | null;
  /** 'ok' | 'at-risk' | 'breached' */
  sla_state: string;
  /** The next breach deadline of a running span. */
  sla_due_at: number | null;
  available_at: number | null;
  /** Backslash-separated, as in the studies table. */
  modalities: string;
  body_parts: string;
  procedure_text: string | null;
  accession_number: string | null;
  patient_name: string | null;
  patient_id: string | null;
  /** JSON array of AI flags. */
  ai_flags: string;
  /** JSON array of why the priority was raised. */
  priority_reasons: string;
  weight: number;
  /** The latest routing decision with its explanation. */
  decision_json: string | null;
  snapshot_json: string;
  version: number;
  created_at: number;
  updated_at: number;
}

/** Who may see and claim a case that is not theirs yet (from routing and broadening). */
export interface CaseVisibilityTable {
  case_id: string;
  reader_id: string;
}

/** The handoff timeline: every event of every case. */
export interface CaseEventsTable {
  id: Generated<number>;
  case_id: string;
  at: number;
  type: string;
  actor: string | null;
  detail_json: string;
}

/** Stored deadlines (SLA steps, breaches), so a restart loses none. */
export interface CaseTimersTable {
  id: Generated<number>;
  case_id: string;
  due_at: number;
  /** 'sla' */
  kind: string;
  /** e.g. 'available->final' */
  span: string;
  /** The escalation step, -1 for the breach itself. */
  step_index: number;
  action: string | null;
  fired_at: number | null;
}

export interface AiResultsTable {
  id: Generated<number>;
  case_id: string | null;
  study_uid: string;
  received_at: number;
  source: string;
  finding: string;
  confidence: number | null;
  suspected_critical: number;
  /** JSON array of flags, e.g. ["suspected-critical", "ich"]. */
  flags: string;
  payload_json: string;
}
