import { formatCalendarDate, MS_PER_DAY, MS_PER_MINUTE, weekdayOfDay } from './calendar-date.ts';
import type { Weekday } from './model.ts';

/**
 * Wall-clock time in IANA zones, DST included, from the platform's Intl data alone.
 *
 * Asking Intl is slow (a formatter costs tens of microseconds to create and ~3 µs per `formatToParts`), and
 * routing asks about hundreds of shifts per case. So formatters are created once per zone, and what they tell
 * us is kept as "offset spans": a stretch of up to four days over which a zone's UTC offset is known, with at
 * most one transition inside it located to the second. Within a span every conversion is arithmetic.
 *
 * The one assumption: a zone never changes its offset twice within four days. No zone in the tz database
 * does today; if a sample ever shows two changes, the span is narrowed until it holds one.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      // h23: some engines print midnight as "24" under hour12: false.
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * True when `timeZone` names an IANA zone this platform knows (e.g. 'Europe/London', 'UTC'). Fixed offsets
 * such as '+05:00' are refused even where Intl accepts them: they have no DST rules, so a shift "in" one would
 * silently stop following the local clock.
 */
export function isValidTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || !/^[A-Za-z]/.test(timeZone)) return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's UTC offset at `at`, measured by Intl, to the second. */
function measureOffsetMs(timeZone: string, at: number): number {
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const p of formatterFor(timeZone).formatToParts(new Date(at))) {
    switch (p.type) {
      case 'year':
        year = Number(p.value);
        break;
      case 'month':
        month = Number(p.value);
        break;
      case 'day':
        day = Number(p.value);
        break;
      case 'hour':
        hour = Number(p.value);
        break;
      case 'minute':
        minute = Number(p.value);
        break;
      case 'second':
        second = Number(p.value);
        break;
    }
  }
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  return wall - (at - (((at % 1000) + 1000) % 1000));
}

/** Offset `before` on [from, transitionAt), `after` on [transitionAt, to]; no transition: before === after. */
interface OffsetSpan {
  from: number;
  to: number;
  transitionAt: number;
  before: number;
  after: number;
}

const SPAN_RADIUS_MS = 2 * MS_PER_DAY;
const MIN_SPAN_RADIUS_MS = 3 * 3_600_000;
/** Offsets on Earth run from -12:00 to +14:00; a margin this wide always holds both candidate instants. */
const OFFSET_MARGIN_MS = 15 * 3_600_000;
const SPANS_PER_ZONE = 8;

const spansByZone = new Map<string, OffsetSpan[]>();

function findTransition(timeZone: string, lo: number, hi: number, before: number): number {
  // Invariant: offset(lo) === before, offset(hi) !== before; halve to the second.
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (measureOffsetMs(timeZone, mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

function measureSpan(timeZone: string, center: number, radius: number): OffsetSpan {
  const from = center - radius;
  const to = center + radius;
  const left = measureOffsetMs(timeZone, from);
  const middle = measureOffsetMs(timeZone, center);
  const right = measureOffsetMs(timeZone, to);
  if (left === middle && middle === right) {
    return { from, to, transitionAt: Number.POSITIVE_INFINITY, before: left, after: left };
  }
  if (left !== middle && middle !== right && radius > MIN_SPAN_RADIUS_MS) {
    return measureSpan(timeZone, center, radius / 4);
  }
  if (left !== middle) {
    return {
      from,
      to,
      transitionAt: findTransition(timeZone, from, center, left),
      before: left,
      after: middle,
    };
  }
  return {
    from,
    to,
    transitionAt: findTransition(timeZone, center, to, middle),
    before: middle,
    after: right,
  };
}

function spanCovering(timeZone: string, lo: number, hi: number): OffsetSpan {
  let spans = spansByZone.get(timeZone);
  if (spans) {
    for (const s of spans) if (s.from <= lo && hi <= s.to) return s;
  } else {
    spans = [];
    spansByZone.set(timeZone, spans);
  }
  // Whole seconds keep the binary search on the grid Intl reports.
  const center = Math.floor((lo + hi) / 2000) * 1000;
  let span = measureSpan(timeZone, center, SPAN_RADIUS_MS);
  if (!(span.from <= lo && hi <= span.to)) {
    // A narrowed span (two changes nearby) may not reach; measure around each end instead.
    span = measureSpan(timeZone, Math.floor(lo / 1000) * 1000, MIN_SPAN_RADIUS_MS);
  }
  spans.push(span);
  if (spans.length > SPANS_PER_ZONE) spans.shift();
  return span;
}

/** The zone's UTC offset in milliseconds at instant `at` (e.g. -14400000 for New York in summer). */
export function zoneOffsetMs(timeZone: string, at: number): number {
  const span = spanCovering(timeZone, at, at);
  return at < span.transitionAt ? span.before : span.after;
}

/** A local calendar position: the day (as a day number and 'YYYY-MM-DD'), minute of the day, weekday. */
export interface WallClock {
  dayNumber: number;
  date: string;
  minuteOfDay: number;
  weekday: Weekday;
}

/** The local day number (days since 1970-01-01) at instant `at` in the zone. */
export function localDayNumber(timeZone: string, at: number): number {
  return Math.floor((at + zoneOffsetMs(timeZone, at)) / MS_PER_DAY);
}

/** What a wall clock in `timeZone` shows at instant `at`. */
export function wallClockAt(timeZone: string, at: number): WallClock {
  const local = at + zoneOffsetMs(timeZone, at);
  const dayNumber = Math.floor(local / MS_PER_DAY);
  const minuteOfDay = Math.floor((local - dayNumber * MS_PER_DAY) / MS_PER_MINUTE);
  return { dayNumber, date: formatCalendarDate(dayNumber), minuteOfDay, weekday: weekdayOfDay(dayNumber) };
}

/**
 * The instant at which the zone's wall clock shows `minuteOfDay` on local day `dayNumber`.
 * A time skipped by a spring-forward gap resolves to the first instant that exists after it (the transition
 * itself: 02:30 on the night New York skips 02:00-03:00 gives 03:00 EDT); a time that happens twice during a
 * fall-back resolves to the earlier of the two.
 */
export function instantOfLocalTime(timeZone: string, dayNumber: number, minuteOfDay: number): number {
  const wall = dayNumber * MS_PER_DAY + minuteOfDay * MS_PER_MINUTE;
  const span = spanCovering(timeZone, wall - OFFSET_MARGIN_MS, wall + OFFSET_MARGIN_MS);
  const early = wall - span.before;
  if (span.before === span.after) return early;
  const late = wall - span.after;
  const earlyExists = early < span.transitionAt;
  const lateExists = late >= span.transitionAt;
  if (earlyExists && lateExists) return Math.min(early, late);
  if (earlyExists) return early;
  if (lateExists) return late;
  return span.transitionAt;
}
