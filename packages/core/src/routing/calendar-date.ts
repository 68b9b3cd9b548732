import type { Weekday } from './model.ts';

/**
 * Calendar dates ('YYYY-MM-DD') and wall-clock times ('HH:MM') as plain numbers, with no time zone: a date is
 * a day number (days since 1970-01-01), a time is minutes since midnight. Arithmetic on day numbers never
 * meets DST, which is why shift and credential code works in them and converts to instants only at the end.
 */

export const MS_PER_MINUTE = 60_000;
export const MS_PER_DAY = 86_400_000;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^(\d{2}):(\d{2})$/;

/** Weekdays indexed as `Date#getUTCDay()` numbers them (0 = Sunday). */
const WEEKDAY_BY_UTC_DAY: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/**
 * The day number of a 'YYYY-MM-DD' date, or undefined when it is malformed or not a real date
 * (e.g. '2026-02-30').
 */
export function parseCalendarDate(date: string): number | undefined {
  const m = DATE_RE.exec(date);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const ms = Date.UTC(year, month - 1, day);
  // Date.UTC rolls 2026-02-30 over into March; a real date survives the round trip.
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    return undefined;
  }
  return ms / MS_PER_DAY;
}

/** Formats a day number as 'YYYY-MM-DD'. */
export function formatCalendarDate(dayNumber: number): string {
  const d = new Date(dayNumber * MS_PER_DAY);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  return `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${day < 10 ? '0' : ''}${day}`;
}

/** The weekday of a day number. */
export function weekdayOfDay(dayNumber: number): Weekday {
  // Day 0 (1970-01-01) was a Thursday.
  return WEEKDAY_BY_UTC_DAY[(((dayNumber + 4) % 7) + 7) % 7]!;
}

/** Minutes since midnight of an 'HH:MM' time (00:00 to 23:59), or undefined when malformed. */
export function parseWallTime(time: string): number | undefined {
  const m = TIME_RE.exec(time);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 23 || min > 59) return undefined;
  return h * 60 + min;
}

/** Formats minutes since midnight as 'HH:MM'. */
export function formatWallTime(minuteOfDay: number): string {
  const h = Math.floor(minuteOfDay / 60);
  const m = minuteOfDay % 60;
  return `${h < 10 ? '0' : ''}${h}:${m < 10 ? '0' : ''}${m}`;
}
