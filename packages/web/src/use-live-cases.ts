import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { useApi } from './api-context.ts';
import { useLiveWorklist } from './live-worklist.tsx';
import { type Problem, toProblem } from './problem.ts';
import type { CaseSummary } from './worklist-model.ts';
import { initialRows, worklistRowsReducer } from './worklist-rows.ts';
import { compareCases, viewToApiParams, type WorklistView } from './worklist-view.ts';

export interface LiveCases {
  /** The view's cases, sorted as the view says. */
  cases: CaseSummary[];
  /** Whether the first answer has arrived. */
  loaded: boolean;
  loading: boolean;
  /** The server had more cases than one page. */
  more: boolean;
  problem: Problem | null;
  reload: () => void;
  /** Applies a case the caller just changed (e.g. the answer to Claim) without waiting for the stream. */
  apply: (summary: CaseSummary) => void;
}

/**
 * The cases of a worklist view, loaded from GET /api/worklist and kept current by the live stream;
 * reloaded when the view changes and after every (re)connection of the stream.
 */
export function useLiveCases(view: WorklistView, you: string | null, limit = 200): LiveCases {
  const api = useApi();
  const live = useLiveWorklist();
  const [rows, dispatch] = useReducer(worklistRowsReducer, initialRows);
  const [loading, setLoading] = useState(true);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [attempt, setAttempt] = useState(0);
  const params = viewToApiParams(view, limit).toString();

  // Stream events are applied with the view as it is when they arrive, not as it was at subscription.
  const current = useRef({ filters: view.filters, you });
  useEffect(() => {
    current.current = { filters: view.filters, you };
  });

  const { generation, subscribe } = live;
  useEffect(() => {
    const controller = new AbortController();
    dispatch({ type: 'load-started' });
    setLoading(true);
    // Not read, but each is a reason to load again: a (re)connection of the stream, a Refresh.
    void generation;
    void attempt;
    api.worklist(new URLSearchParams(params), controller.signal).then(
      (answer) => {
        if (controller.signal.aborted) return;
        setProblem(null);
        setLoading(false);
        dispatch({ type: 'loaded', cases: answer.cases, more: answer.more, ...current.current });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setLoading(false);
        setProblem(toProblem(error));
      },
    );
    return () => controller.abort();
  }, [api, params, generation, attempt]);

  useEffect(
    () =>
      subscribe((message) => {
        if (message.type === 'case') dispatch({ type: 'case', summary: message.summary, ...current.current });
        else if (message.type === 'removed') dispatch({ type: 'removed', id: message.id });
      }),
    [subscribe],
  );

  const sort = view.sort;
  const cases = useMemo(() => [...rows.byId.values()].sort(compareCases(sort)), [rows.byId, sort]);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  const apply = useCallback(
    (summary: CaseSummary) => dispatch({ type: 'case', summary, ...current.current }),
    [],
  );
  return { cases, loaded: rows.loaded, loading, more: rows.more, problem, reload, apply };
}
