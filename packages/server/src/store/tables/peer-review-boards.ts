import { type Generated, type Kysely, sql } from 'kysely';
import type { MigrationContext } from '../migration-context.ts';

/**
 * Tables for peer review assignments and scores; MDT / tumour board sessions, members, cases and outcomes.
 * The migration below creates them; once released it is never edited (add a new file and entry instead).
 */
export interface PeerReviewBoardsTables {
  peer_review_settings: PeerReviewSettingsTable;
  peer_review_cursor: PeerReviewCursorTable;
  peer_reviews: PeerReviewsTable;
  board_sessions: BoardSessionsTable;
  board_members: BoardMembersTable;
  board_cases: BoardCasesTable;
}

/** Every saved version of the sampling settings; the highest id is live. */
export interface PeerReviewSettingsTable {
  id: Generated<number>;
  settings_json: string;
  saved_at: number;
  saved_by: string;
}

/** How far sampling has read the case timeline (`case_events.id` of the last finalisation looked at). */
export interface PeerReviewCursorTable {
  name: string;
  last_event_id: number;
}

/** One sampled case: who reviews it, their score, and the discrepancy workflow that may follow. */
export interface PeerReviewsTable {
  id: string;
  /** One review per case: two nodes sampling the same finalisation write one row. */
  case_id: string;
  study_uid: string;
  /** Backslash-separated, as in the cases table. */
  modalities: string;
  original_reader_id: string;
  reviewer_id: string;
  /** 'assigned' | 'scored' */
  state: string;
  /** When the case was finalised (what summaries' date ranges select on is scored_at). */
  finalized_at: number;
  sampled_at: number;
  due_at: number;
  /** The rate that applied, where it came from (reader, modality, overall) and the case's draw. */
  sample_rate: number;
  sample_source: string;
  sample_draw: number;
  score: number | null;
  /** 'a' | 'b' for scores 2 to 4. */
  significance: string | null;
  comment: string | null;
  scored_at: number | null;
  /** null when the score opened no discrepancy; else 'awaiting-response' | 'responded' | 'escalated' | 'closed'. */
  discrepancy_state: string | null;
  /** 'agree' | 'disagree' */
  reader_response: string | null;
  reader_comment: string | null;
  responded_at: number | null;
  escalated_at: number | null;
  escalated_by: string | null;
  closed_at: number | null;
  closed_by: string | null;
  /** The quality lead's notes on escalation and closing. */
  lead_note: string | null;
}

export interface BoardSessionsTable {
  id: string;
  title: string;
  starts_at: number;
  /** The zone the meeting is held in; times are shown in it. */
  time_zone: string;
  duration_minutes: number;
  /** JSON array, e.g. ["oncology", "radiology", "surgery"]. */
  specialties: string;
  location: string | null;
  created_by: string;
  created_at: number;
  updated_at: number;
  /** When members were told the session is about to start; null until then. */
  reminded_at: number | null;
  cancelled_at: number | null;
}

export interface BoardMembersTable {
  session_id: string;
  username: string;
}

/** A case on a session's list, with the question for the board and, afterwards, the board's outcome. */
export interface BoardCasesTable {
  id: Generated<number>;
  session_id: string;
  case_id: string;
  position: number;
  question: string;
  added_by: string;
  added_at: number;
  outcome_category: string | null;
  recommendation: string | null;
  /** JSON array of usernames present when the case was discussed. */
  attendees: string | null;
  outcome_by: string | null;
  outcome_at: number | null;
}

export async function migratePeerReviewBoards(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const b = ctx.big;
  await sql`create table peer_review_settings (
    id ${ctx.id}, settings_json text not null, saved_at ${b} not null, saved_by text not null)`.execute(db);
  await sql`create table peer_review_cursor (name text primary key, last_event_id ${b} not null)`.execute(db);
  await sql`create table peer_reviews (
    id text primary key, case_id text not null unique, study_uid text not null, modalities text not null,
    original_reader_id text not null, reviewer_id text not null, state text not null,
    finalized_at ${b} not null, sampled_at ${b} not null, due_at ${b} not null,
    sample_rate real not null, sample_source text not null, sample_draw real not null,
    score integer, significance text, comment text, scored_at ${b},
    discrepancy_state text, reader_response text, reader_comment text, responded_at ${b},
    escalated_at ${b}, escalated_by text, closed_at ${b}, closed_by text, lead_note text)`.execute(db);
  await sql`create index peer_reviews_reviewer on peer_reviews (reviewer_id, state)`.execute(db);
  await sql`create index peer_reviews_original on peer_reviews (original_reader_id, discrepancy_state)`.execute(
    db,
  );
  await sql`create index peer_reviews_scored on peer_reviews (scored_at)`.execute(db);

  await sql`create table board_sessions (
    id text primary key, title text not null, starts_at ${b} not null, time_zone text not null,
    duration_minutes integer not null, specialties text not null, location text, created_by text not null,
    created_at ${b} not null, updated_at ${b} not null, reminded_at ${b}, cancelled_at ${b})`.execute(db);
  await sql`create index board_sessions_starts on board_sessions (starts_at)`.execute(db);
  await sql`create table board_members (
    session_id text not null, username text not null, primary key (session_id, username))`.execute(db);
  await sql`create index board_members_user on board_members (username, session_id)`.execute(db);
  await sql`create table board_cases (
    id ${ctx.id}, session_id text not null, case_id text not null, position integer not null,
    question text not null, added_by text not null, added_at ${b} not null,
    outcome_category text, recommendation text, attendees text, outcome_by text, outcome_at ${b},
    unique (session_id, case_id))`.execute(db);
  await sql`create index board_cases_case on board_cases (case_id)`.execute(db);
}
