import { useCallback, useEffect, useRef, useState } from 'react';
import { type Problem, toProblem } from './problem.ts';

export const RequestStatus = {
  Idle: 'idle',
  Loading: 'loading',
  Success: 'success',
  Failure: 'failure',
} as const;

export type RequestStatus = (typeof RequestStatus)[keyof typeof RequestStatus];

export type RequestState<T> =
  | { status: typeof RequestStatus.Idle; data: undefined }
  /** `data` is the previous answer, kept so a table does not flash empty while the next page loads. */
  | { status: typeof RequestStatus.Loading; data: T | undefined }
  | { status: typeof RequestStatus.Success; data: T }
  | { status: typeof RequestStatus.Failure; data: undefined; problem: Problem };

/**
 * Loads data for a component and reloads it whenever `key` changes; `null` means "nothing to load".
 * The previous request is aborted when the key changes or the component goes away, so a slow answer
 * for old filters can never overwrite the answer for new ones.
 */
export function useRequest<T>(
  key: string | null,
  load: (signal: AbortSignal) => Promise<T>,
): { state: RequestState<T>; reload: () => void } {
  const [state, setState] = useState<RequestState<T>>(() =>
    key === null
      ? { status: RequestStatus.Idle, data: undefined }
      : { status: RequestStatus.Loading, data: undefined },
  );
  const [attempt, setAttempt] = useState(0);
  // The loader is a fresh closure every render; only `key` decides when to fetch again.
  const loadRef = useRef(load);
  useEffect(() => {
    loadRef.current = load;
  });

  const requestKey = key === null ? null : `${attempt}:${key}`;
  useEffect(() => {
    if (requestKey === null) {
      setState({ status: RequestStatus.Idle, data: undefined });
      return;
    }
    const controller = new AbortController();
    setState((previous) => ({ status: RequestStatus.Loading, data: previous.data }));
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ status: RequestStatus.Success, data });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) {
          setState({ status: RequestStatus.Failure, data: undefined, problem: toProblem(error) });
        }
      },
    );
    return () => controller.abort();
  }, [requestKey]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { state, reload };
}
