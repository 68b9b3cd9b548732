import { formatWallTime, parseCalendarDate, parseWallTime } from '../routing/calendar-date.ts';
import { instantOfLocalTime, isValidTimeZone, wallClockAt } from '../routing/zoned-time.ts';

/**
 * MDT / tumour board sessions: when they meet (a wall-clock time in the zone that holds the meeting, DST
 * included), which specialties sit, and what the board decided for each case.
 */

/** What a board may decide for a case. */
export const BoardOutcomeCategory = {
  Surgery: 'surgery',
  Chemotherapy: 'chemotherapy',
  Radiotherapy: 'radiotherapy',
  Surveillance: 'surveillance',
  MoreImaging: 'more-imaging',
  Other: 'other',
} as const;
export type BoardOutcomeCategory = (typeof BoardOutcomeCategory)[keyof typeof BoardOutcomeCategory];

export const BOARD_OUTCOME_LABELS: Record<BoardOutcomeCategory, string> = {
  surgery: 'Surgery',
  chemotherapy: 'Chemotherapy',
  radiotherapy: 'Radiotherapy',
  surveillance: 'Surveillance',
  'more-imaging': 'More imaging',
  other: 'Other',
};

export function isBoardOutcomeCategory(v: unknown): v is BoardOutcomeCategory {
  return typeof v === 'string' && Object.hasOwn(BOARD_OUTCOME_LABELS, v);
}

/** A session as a coordinator describes it: the local date and time in the meeting's zone. */
export interface BoardSessionInput {
  title: string;
  /** 'YYYY-MM-DD' in `timeZone`. */
  date: string;
  /** 'HH:MM' in `timeZone`. */
  time: string;
  /** IANA zone of the meeting, e.g. 'Europe/London'. */
  timeZone: string;
  durationMinutes: number;
  specialties: string[];
  location?: string | null;
}

export type SessionValidation =
  | { ok: true; startsAt: number }
  | { ok: false; errors: { path: string; message: string }[] };

/** Checks a session and works out the instant it starts (a time skipped by DST resolves to just after). */
export function validateBoardSession(input: BoardSessionInput): SessionValidation {
  const errors: { path: string; message: string }[] = [];
  if (typeof input.title !== 'string' || !input.title.trim() || input.title.length > 200)
    errors.push({ path: 'title', message: 'give the session a title of 1 to 200 characters' });
  const day = parseCalendarDate(input.date);
  if (day === undefined) errors.push({ path: 'date', message: 'must be a real date, YYYY-MM-DD' });
  const minute = parseWallTime(input.time);
  if (minute === undefined) errors.push({ path: 'time', message: 'must be a time of day, HH:MM (24-hour)' });
  const zoneOk = isValidTimeZone(input.timeZone);
  if (!zoneOk) errors.push({ path: 'timeZone', message: 'must be an IANA time zone, e.g. Europe/London' });
  if (!Number.isInteger(input.durationMinutes) || input.durationMinutes < 5 || input.durationMinutes > 720)
    errors.push({ path: 'durationMinutes', message: 'must be whole minutes from 5 to 720' });
  if (
    !Array.isArray(input.specialties) ||
    input.specialties.some((s) => typeof s !== 'string' || !s.trim() || s.length > 60)
  )
    errors.push({ path: 'specialties', message: 'must be a list of specialty names (1 to 60 characters)' });
  if (errors.length > 0 || day === undefined || minute === undefined) return { ok: false, errors };
  return { ok: true, startsAt: instantOfLocalTime(input.timeZone, day, minute) };
}

/** The local date and time a session starts at, in its zone, for showing and editing. */
export function sessionLocalStart(startsAt: number, timeZone: string): { date: string; time: string } {
  const w = wallClockAt(timeZone, startsAt);
  return { date: w.date, time: formatWallTime(w.minuteOfDay) };
}

/**
 * A new order for a session's case list: must name every case on it exactly once. Returns the problem, or
 * null when the order is acceptable.
 */
export function checkCaseOrder(current: readonly string[], proposed: readonly string[]): string | null {
  if (new Set(proposed).size !== proposed.length) return 'a case is listed twice in the new order';
  const have = new Set(current);
  const unknown = proposed.filter((c) => !have.has(c));
  if (unknown.length > 0) return `not on this session: ${unknown.join(', ')}`;
  const missing = current.filter((c) => !proposed.includes(c));
  if (missing.length > 0) return `the new order leaves out ${missing.join(', ')}; list every case once`;
  return null;
}
