import { useEffect, useRef } from 'react';
import { useApi } from './api-context.ts';
import { type Problem, ProblemError } from './problem.ts';

/** How often an open, claimed case renews its lease; well inside the server's lease (2 minutes by default). */
export const heartbeatIntervalMs = 30_000;

/**
 * How long to wait before the first heartbeat: a fresh claim needs none for a while, but a page reopened
 * on a claim about to lapse must renew it at once. Renews when a minute or less of the lease is left,
 * and never waits longer than the usual interval.
 */
export function firstBeatDelayMs(leaseExpiresAt: string | null, nowMs: number): number {
  const expires = leaseExpiresAt === null ? Number.NaN : Date.parse(leaseExpiresAt);
  if (Number.isNaN(expires)) return 0;
  return Math.min(heartbeatIntervalMs, Math.max(0, expires - nowMs - 60_000));
}

/**
 * While `active` (the reader has their own claimed case open), renews the claim's lease every
 * {@link heartbeatIntervalMs}, the first time after `firstDelayMs`. A refusal (the lease lapsed, a
 * coordinator reassigned the case) is reported once through `onLost` and stops the heartbeat; a network
 * failure is retried on the next beat.
 */
export function useHeartbeat(
  caseId: string,
  active: boolean,
  firstDelayMs: number,
  onLost: (problem: Problem) => void,
): void {
  const api = useApi();
  const onLostRef = useRef(onLost);
  useEffect(() => {
    onLostRef.current = onLost;
  });
  // Only when the heartbeat starts: later changes of the lease (each beat moves it) must not restart it.
  const firstDelayRef = useRef(firstDelayMs);
  useEffect(() => {
    firstDelayRef.current = firstDelayMs;
  });
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setInterval> | undefined;
    const beat = () => {
      api.caseAction(caseId, 'heartbeat').catch((error: unknown) => {
        if (stopped || !(error instanceof ProblemError) || error.status === 0 || error.status >= 500) return;
        stopped = true;
        clearInterval(timer);
        onLostRef.current(error.problem);
      });
    };
    const first = setTimeout(() => {
      if (stopped) return;
      beat();
      timer = setInterval(beat, heartbeatIntervalMs);
    }, firstDelayRef.current);
    return () => {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
    };
  }, [api, caseId, active]);
}
