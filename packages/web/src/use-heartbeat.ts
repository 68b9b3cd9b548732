import { useEffect, useRef } from 'react';
import { useApi } from './api-context.ts';
import { type Problem, ProblemError } from './problem.ts';

/** How often an open, claimed case renews its lease; well inside the server's lease (2 minutes by default). */
export const heartbeatIntervalMs = 30_000;

/**
 * While `active` (the reader has their own claimed case open), renews the claim's lease at once and then
 * every {@link heartbeatIntervalMs}. A refusal (the lease lapsed, a coordinator reassigned the case) is
 * reported once through `onLost` and stops the heartbeat; a network failure is retried on the next beat.
 */
export function useHeartbeat(caseId: string, active: boolean, onLost: (problem: Problem) => void): void {
  const api = useApi();
  const onLostRef = useRef(onLost);
  useEffect(() => {
    onLostRef.current = onLost;
  });
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    const beat = () => {
      api.caseAction(caseId, 'heartbeat').catch((error: unknown) => {
        if (stopped || !(error instanceof ProblemError) || error.status === 0 || error.status >= 500) return;
        stopped = true;
        clearInterval(timer);
        onLostRef.current(error.problem);
      });
    };
    const timer = setInterval(beat, heartbeatIntervalMs);
    beat();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [api, caseId, active]);
}
