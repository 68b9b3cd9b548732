import { useCallback, useEffect, useState } from 'react';
import type { User } from '../api-client.ts';
import { type ConsultView, collaborationApi } from '../collaboration-api.ts';
import { ConsultItem } from '../components/consult-panel.tsx';
import { ErrorNotice } from '../components/error-notice.tsx';
import { type Problem, toProblem } from '../problem.ts';
import { useNow } from '../use-now.ts';

/**
 * A reader's consults: the ones routed to them, to accept, answer or decline, and the ones they asked
 * for, with the answers. `#/consults`.
 */
export function ConsultsPage({ user, now }: { user: User; now: () => Date }) {
  const nowMs = useNow(now, 30_000);
  const [incoming, setIncoming] = useState<ConsultView[] | null>(null);
  const [asked, setAsked] = useState<ConsultView[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);

  const load = useCallback(async (signal?: AbortSignal) => {
    try {
      const [mine, requested] = await Promise.all([
        collaborationApi.consults('mine', signal),
        collaborationApi.consults('requested', signal),
      ]);
      setIncoming(mine.consults);
      setAsked(requested.consults);
      setProblem(null);
    } catch (error) {
      if (!signal?.aborted) setProblem(toProblem(error));
    }
  }, []);
  useEffect(() => {
    const controller = new AbortController();
    void load(controller.signal);
    // New consults also arrive as notifications; re-reading every half minute keeps the list current.
    const timer = setInterval(() => void load(), 30_000);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, [load]);

  return (
    <>
      <div className="page-heading">
        <h1 tabIndex={-1}>Consults</h1>
        <p className="muted">Second opinions and consults routed to you, and the ones you asked for.</p>
      </div>
      {problem && <ErrorNotice problem={problem} onRetry={() => void load()} />}
      <section className="panel consults" aria-labelledby="incoming-heading">
        <h2 id="incoming-heading">For you</h2>
        {incoming === null ? (
          <p role="status">Loading…</p>
        ) : incoming.length === 0 ? (
          <p className="muted">No consult is waiting for you.</p>
        ) : (
          <ul className="consult-list">
            {incoming.map((k) => (
              <ConsultItem
                key={k.id}
                consult={k}
                username={user.username}
                nowMs={nowMs}
                onChanged={() => void load()}
                showCase
              />
            ))}
          </ul>
        )}
      </section>
      <section className="panel consults" aria-labelledby="asked-heading">
        <h2 id="asked-heading">Asked by you</h2>
        {asked === null ? (
          <p role="status">Loading…</p>
        ) : asked.length === 0 ? (
          <p className="muted">You have not asked for a consult yet. Ask from a case page.</p>
        ) : (
          <ul className="consult-list">
            {asked.map((k) => (
              <ConsultItem
                key={k.id}
                consult={k}
                username={user.username}
                nowMs={nowMs}
                onChanged={() => void load()}
                showCase
              />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
