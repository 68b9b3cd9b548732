import type { Clock } from '@confer/core';
import type { AuditEvent, AuditSink } from './ports.ts';

/** How long one durable record covers a caller's further frame requests of the same series. */
export const FRAME_AUDIT_WINDOW_MS = 60_000;

/** Windows kept before expired ones are swept out. */
const SWEEP_AT = 1000;

interface AccessWindow {
  openedAt: number;
  /** Settles when the window's record is committed; a rejection closes the window. */
  durable: Promise<void>;
  /** Requests after the first that this window's record covered. */
  covered: number;
}

/**
 * The audit of pixel data requests (WADO-RS frames and bulk data), one record per caller, series and
 * window rather than per request. A viewer opening a 500-slice series asks for 500 frames within a second
 * or two; written one by one, each waits on a commit with its fsync, which made loading a series several
 * times slower than Orthanc, which audits nothing. An access still never goes out unaudited: the first
 * request of a window waits until its record, naming the caller, origin, study and series, is durable, and
 * every later request of the window waits for that same record before it is answered (it is already durable
 * then, unless the first is still committing). The record says it covers the window; the next record for
 * the same key says how many further requests the previous one covered. This follows IHE ATNA, which audits
 * a transfer of instances per study, not per image. Anything but a successful request of a known series
 * (denied, not found) is written on its own, as before.
 */
export class FrameAccessAudit {
  private readonly sink: AuditSink;
  private readonly clock: Clock;
  private readonly windowMs: number;
  private readonly windows = new Map<string, AccessWindow>();
  /** Covered counts of windows that closed, to report in the next record of the same key. */
  private readonly closedCounts = new Map<string, { openedAt: number; covered: number }>();

  constructor(deps: { sink: AuditSink; clock: Clock; windowMs?: number }) {
    this.sink = deps.sink;
    this.clock = deps.clock;
    this.windowMs = deps.windowMs ?? FRAME_AUDIT_WINDOW_MS;
  }

  /**
   * Audits a successful pixel data request for an instance of `seriesUid`; resolves once a durable record
   * covers it, rejects (and the request must fail) when that record could not be written.
   */
  record(event: AuditEvent, seriesUid: string): Promise<void> {
    const now = this.clock.now().getTime();
    const key = JSON.stringify([
      event.actor.kind,
      event.actor.id,
      event.origin.protocol,
      event.origin.remoteAddress,
      event.action,
      event.studyUid ?? null,
      seriesUid,
    ]);
    const open = this.windows.get(key);
    if (open && now - open.openedAt < this.windowMs) {
      open.covered++;
      return open.durable;
    }
    if (open) this.close(key, open);
    if (this.windows.size >= SWEEP_AT) this.sweep(now);
    const previous = this.closedCounts.get(key);
    this.closedCounts.delete(key);
    const seconds = Math.round(this.windowMs / 1000);
    const detail =
      `${event.detail ?? ''}; this record covers the caller's further ${event.action} requests of series ` +
      `${seriesUid} for ${seconds} s` +
      (previous && previous.covered > 0
        ? `; the previous record (from ${new Date(previous.openedAt).toISOString()}) covered ${previous.covered} further request(s)`
        : '');
    const window: AccessWindow = {
      openedAt: now,
      durable: this.sink.record({ ...event, detail: detail.replace(/^; /, '') }),
      covered: 0,
    };
    // A failed record closes the window, so the next request tries to write one again.
    window.durable.catch(() => {
      if (this.windows.get(key) === window) this.windows.delete(key);
    });
    this.windows.set(key, window);
    return window.durable;
  }

  private close(key: string, window: AccessWindow): void {
    this.windows.delete(key);
    if (window.covered > 0)
      this.closedCounts.set(key, { openedAt: window.openedAt, covered: window.covered });
  }

  private sweep(now: number): void {
    for (const [key, w] of this.windows) if (now - w.openedAt >= this.windowMs) this.close(key, w);
    // Counts of long-gone callers are dropped rather than kept without bound.
    if (this.closedCounts.size >= SWEEP_AT) this.closedCounts.clear();
  }
}
