import { createContext, type ReactNode, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { useApi } from './api-context.ts';
import { LiveStatus, openLiveStream } from './live-stream.ts';
import type { CaseSummary, CoordinatorNotice } from './worklist-model.ts';

export type LiveMessage =
  | { type: 'case'; summary: CaseSummary }
  | { type: 'removed'; id: string }
  | { type: 'notice'; notice: CoordinatorNotice };

export interface LiveWorklist {
  status: LiveStatus;
  /** Counts (re)connections; lists reload when it changes, since events in a gap are lost. */
  generation: number;
  /** Coordinator notices since sign-in, newest first (at most 50). */
  notices: CoordinatorNotice[];
  subscribe(listener: (message: LiveMessage) => void): () => void;
}

const noStream: LiveWorklist = {
  status: LiveStatus.Connecting,
  generation: 0,
  notices: [],
  subscribe: () => () => {},
};

const LiveWorklistContext = createContext<LiveWorklist>(noStream);

/** The live worklist from the nearest provider; a never-connecting stand-in when there is none. */
export function useLiveWorklist(): LiveWorklist {
  return useContext(LiveWorklistContext);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * One live connection for the whole signed-in app, so moving between the worklist, a case and the
 * coordinator page does not reconnect, and notices are kept while the user is elsewhere.
 */
export function LiveWorklistProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const [status, setStatus] = useState<LiveStatus>(LiveStatus.Connecting);
  const [generation, setGeneration] = useState(0);
  const [notices, setNotices] = useState<CoordinatorNotice[]>([]);
  const listeners = useRef(new Set<(message: LiveMessage) => void>());

  useEffect(() => {
    const publish = (message: LiveMessage) => {
      for (const listener of [...listeners.current]) listener(message);
    };
    return openLiveStream({
      url: api.worklistStreamUrl,
      createSource: (url) => new EventSource(url, { withCredentials: true }),
      events: ['case', 'removed', 'notice'],
      onStatus: setStatus,
      onReady: () => setGeneration((n) => n + 1),
      onEvent: (type, data) => {
        if (!isRecord(data)) return;
        if (type === 'case' && typeof data.id === 'string')
          publish({ type, summary: data as unknown as CaseSummary });
        else if (type === 'removed' && typeof data.id === 'string') publish({ type, id: data.id });
        else if (type === 'notice' && typeof data.message === 'string') {
          const notice = data as unknown as CoordinatorNotice;
          setNotices((previous) => [notice, ...previous].slice(0, 50));
          publish({ type, notice });
        }
      },
      // A stream refused outright may mean the session ended: a checked request tells the app if so.
      onFailure: () => {
        api.verifySession().catch(() => {});
      },
    });
  }, [api]);

  const value = useMemo<LiveWorklist>(
    () => ({
      status,
      generation,
      notices,
      subscribe(listener) {
        listeners.current.add(listener);
        return () => {
          listeners.current.delete(listener);
        };
      },
    }),
    [status, generation, notices],
  );
  return <LiveWorklistContext value={value}>{children}</LiveWorklistContext>;
}
