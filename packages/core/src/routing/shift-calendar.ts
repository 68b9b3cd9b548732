import { formatCalendarDate, parseWallTime } from './calendar-date.ts';
import type { Shift, Weekday } from './model.ts';
import { instantOfLocalTime, localDayNumber } from './zoned-time.ts';

/**
 * When a recurring shift is on. A shift is wall-clock time in its own zone: an instance starts on a local
 * date whose weekday is in `days`, at `start`, and ends at `end` that day, or the next day when `end` is at or
 * before `start`. The instance's two ends are then turned into instants, so DST falls where it falls:
 * 22:00-07:00 lasts 8 h on the spring-forward night and 10 h on the fall-back night, and a start inside the
 * spring-forward gap begins at the first instant that exists after it.
 */

/** One occurrence of a shift: `date` is the local date it starts on; `startsAt` inclusive, `endsAt` exclusive. */
export interface ShiftInstance {
  date: string;
  startsAt: number;
  endsAt: number;
}

/** A shift's times parsed once, for evaluating it at many instants. */
export interface ShiftTimes {
  timeZone: string;
  /** Indexed by `(dayNumber + 4) % 7`, i.e. Sunday = 0, as day numbers count from a Thursday. */
  onWeekday: readonly boolean[];
  startMinute: number;
  endMinute: number;
}

const WEEKDAY_INDEX: Record<Weekday, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

/** Parses a shift's days and times; undefined when `start` or `end` is not 'HH:MM'. */
export function shiftTimesOf(shift: Shift): ShiftTimes | undefined {
  const startMinute = parseWallTime(shift.start);
  const endMinute = parseWallTime(shift.end);
  if (startMinute === undefined || endMinute === undefined) return undefined;
  const onWeekday = [false, false, false, false, false, false, false];
  for (const d of shift.days) {
    const i = WEEKDAY_INDEX[d];
    if (i !== undefined) onWeekday[i] = true;
  }
  return { timeZone: shift.timeZone, onWeekday, startMinute, endMinute };
}

/**
 * The instance of a shift (given as parsed times) that contains `at`, with its start as a day number;
 * null when the shift is off.
 */
export function shiftInstanceAt(
  times: ShiftTimes,
  at: number,
): { dayNumber: number; startsAt: number; endsAt: number } | null {
  const today = localDayNumber(times.timeZone, at);
  const overnight = times.endMinute <= times.startMinute;
  // Only an overnight instance that started yesterday can still be running today; at most one instance
  // contains `at`, since yesterday's ends where today's would start at the earliest.
  for (let day = today; day >= (overnight ? today - 1 : today); day--) {
    if (!times.onWeekday[(((day + 4) % 7) + 7) % 7]) continue;
    const startsAt = instantOfLocalTime(times.timeZone, day, times.startMinute);
    if (at < startsAt) continue;
    const endsAt = instantOfLocalTime(times.timeZone, overnight ? day + 1 : day, times.endMinute);
    if (at < endsAt) return { dayNumber: day, startsAt, endsAt };
  }
  return null;
}

/**
 * The instance of `shift` running at instant `at` (epoch ms), or null when the shift is off. `date` is the
 * local date in the shift's zone on which the instance started, which is the date roster entries refer to.
 */
export function activeShiftInstance(shift: Shift, at: number): ShiftInstance | null {
  const times = shiftTimesOf(shift);
  if (!times) return null;
  const found = shiftInstanceAt(times, at);
  if (!found) return null;
  return { date: formatCalendarDate(found.dayNumber), startsAt: found.startsAt, endsAt: found.endsAt };
}

/** True when `shift` is on at instant `at` (epoch ms), evaluated in the shift's own zone. */
export function isShiftActiveAt(shift: Shift, at: number): boolean {
  const times = shiftTimesOf(shift);
  return times !== undefined && shiftInstanceAt(times, at) !== null;
}
