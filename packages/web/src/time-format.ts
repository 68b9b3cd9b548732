// Durations, SLA countdowns and compact times for dense tables. Every function takes "now" from its
// caller (the page's ticking clock), so the output is a function of its inputs and testable.

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;
const day = 24 * hour;

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A duration for people: precise when short, coarse when long. `45s`, `12m 05s`, `3h 07m`, `2d 4h`.
 * Negative durations are shown by size; the caller says whether it is late or early.
 */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < minute) return `${Math.floor(abs / second)}s`;
  if (abs < hour) return `${Math.floor(abs / minute)}m ${pad(Math.floor((abs % minute) / second))}s`;
  if (abs < day) return `${Math.floor(abs / hour)}h ${pad(Math.floor((abs % hour) / minute))}m`;
  return `${Math.floor(abs / day)}d ${Math.floor((abs % day) / hour)}h`;
}

export const Urgency = { Ok: 'ok', Soon: 'soon', Overdue: 'overdue' } as const;
export type Urgency = (typeof Urgency)[keyof typeof Urgency];

/** Below this much time left a countdown is shown as urgent, whatever the server's SLA state says. */
export const soonMs = 15 * minute;

export interface Countdown {
  /** Milliseconds until due; negative once overdue. */
  remainingMs: number;
  urgency: Urgency;
  /** e.g. `12m 05s left`, `overdue 3m 10s`. */
  text: string;
}

/** The countdown to an SLA deadline (ISO instant), or null when the case has no running deadline. */
export function slaCountdown(dueAt: string | null, nowMs: number): Countdown | null {
  if (dueAt === null) return null;
  const due = Date.parse(dueAt);
  if (Number.isNaN(due)) return null;
  const remainingMs = due - nowMs;
  if (remainingMs <= 0)
    return { remainingMs, urgency: Urgency.Overdue, text: `overdue ${formatDuration(remainingMs)}` };
  return {
    remainingMs,
    urgency: remainingMs <= soonMs ? Urgency.Soon : Urgency.Ok,
    text: `${formatDuration(remainingMs)} left`,
  };
}

export interface ZoneOptions {
  locale?: string;
  /** IANA zone; the viewer's own when absent. */
  timeZone?: string;
  /** Show seconds too, for event logs where a handoff may take seconds. */
  seconds?: boolean;
}

function dayKey(ms: number, options: ZoneOptions): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: options.timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(ms);
}

/**
 * A compact time for a table cell, in the viewer's zone: `14:05` today, `3 Jul 14:05` on another day.
 * The zone is named once in the column header (see {@link zoneAbbreviation}), not in every cell.
 */
export function formatCompactTime(iso: string | null, nowMs: number, options: ZoneOptions = {}): string {
  if (iso === null) return '—';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const time = new Intl.DateTimeFormat(options.locale, {
    timeZone: options.timeZone,
    hour: '2-digit',
    minute: '2-digit',
    ...(options.seconds ? { second: '2-digit' } : {}),
    hourCycle: 'h23',
  }).format(ms);
  if (dayKey(ms, options) === dayKey(nowMs, options)) return time;
  const date = new Intl.DateTimeFormat(options.locale, {
    timeZone: options.timeZone,
    day: 'numeric',
    month: 'short',
  }).format(ms);
  return `${date} ${time}`;
}

/** The short name of a zone at an instant, e.g. `BST`, `GMT+5:30`. */
export function zoneAbbreviation(atMs: number, options: ZoneOptions = {}): string {
  const parts = new Intl.DateTimeFormat(options.locale ?? 'en-GB', {
    timeZone: options.timeZone,
    timeZoneName: 'short',
  }).formatToParts(atMs);
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? '';
}

/** A target in minutes as people say it: `15 min`, `1 h`, `1 h 30 min`, `24 h`, `3 d`. */
export function formatMinutes(minutes: number): string {
  if (!Number.isFinite(minutes) || minutes < 0) return '—';
  if (minutes < 60) return `${minutes} min`;
  if (minutes % 1440 === 0 && minutes > 1440) return `${minutes / 1440} d`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** How long ago an instant was, e.g. `4m 10s ago`; `just now` under a few seconds. */
export function formatAgo(iso: string | null, nowMs: number): string {
  if (iso === null) return '—';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const elapsed = nowMs - ms;
  if (elapsed < 5 * second) return 'just now';
  return `${formatDuration(elapsed)} ago`;
}
