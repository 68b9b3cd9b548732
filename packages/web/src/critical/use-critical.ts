import { useEffect } from 'react';
import { formatDuration } from '../time-format.ts';
import type { CriticalResult } from './critical-api.ts';

/** Reloads every `everyMs` while mounted: the dashboard and the banner follow escalations without a push. */
export function usePolling(reload: () => void, everyMs = 5000): void {
  useEffect(() => {
    const timer = setInterval(reload, everyMs);
    return () => clearInterval(timer);
  }, [reload, everyMs]);
}

/**
 * The countdown to the current rung's end. The server's `timeLeftMs` is measured on the server's clock;
 * only the time since it was fetched is measured here, so a browser clock that is off does not matter.
 */
export function rungCountdown(
  r: CriticalResult,
  fetchedAtMs: number,
  nowMs: number,
): { text: string; className: string } | null {
  if (r.timeLeftMs === null) return null;
  const left = r.timeLeftMs - Math.max(0, nowMs - fetchedAtMs);
  if (r.state === 'overdue' || left <= 0)
    return { text: `overdue ${formatDuration(-left)}`, className: 'countdown countdown-overdue' };
  return {
    text: `${formatDuration(left)} left`,
    className: left < 5 * 60_000 ? 'countdown countdown-soon' : 'countdown',
  };
}
