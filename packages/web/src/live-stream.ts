// The worklist's live connection (server-sent events on GET /api/worklist/stream), with the state a
// person needs to trust the screen: live, or reconnecting. The browser's EventSource retries a dropped
// connection by itself, but gives up for good on an HTTP error (a restart behind a proxy, an expired
// session); then this reconnects with a growing delay. Every (re)connection announces itself with the
// server's `ready` event, after which the page reloads its rows, since events in the gap are lost.

export const LiveStatus = {
  Connecting: 'connecting',
  Live: 'live',
  Reconnecting: 'reconnecting',
} as const;
export type LiveStatus = (typeof LiveStatus)[keyof typeof LiveStatus];

/** The slice of EventSource this uses, so tests can hand in a fake. */
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}

/** EventSource.CLOSED, spelled out so this module needs no DOM at load time. */
const closed = 2;

export interface LiveStreamOptions {
  url: string;
  createSource: (url: string) => EventSourceLike;
  /** Named events to pass on, e.g. ['case', 'removed', 'notice']. */
  events: readonly string[];
  onStatus: (status: LiveStatus) => void;
  /** A named event with its JSON data parsed; events whose data is not JSON are dropped. */
  onEvent: (type: string, data: unknown) => void;
  /** After every successful (re)connection, once the server said `ready`. */
  onReady: () => void;
  /** After a connection attempt failed outright: the session may have ended; the app can check. */
  onFailure?: (attempt: number) => void;
  setTimer?: (run: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/** Delay before reconnect attempt `n` (1-based): 1 s, 2 s, 4 s ... at most 30 s. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));
}

/** Opens the stream; returns the function that closes it for good. */
export function openLiveStream(options: LiveStreamOptions): () => void {
  const setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
  const clearTimer =
    options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  let source: EventSourceLike | null = null;
  let timer: unknown = null;
  let attempt = 0;
  let stopped = false;
  let everLive = false;

  const connect = () => {
    timer = null;
    if (stopped) return;
    options.onStatus(everLive || attempt > 0 ? LiveStatus.Reconnecting : LiveStatus.Connecting);
    const current = options.createSource(options.url);
    source = current;
    current.addEventListener('ready', () => {
      if (stopped || source !== current) return;
      attempt = 0;
      everLive = true;
      options.onStatus(LiveStatus.Live);
      options.onReady();
    });
    for (const type of options.events) {
      current.addEventListener(type, (event) => {
        if (stopped || source !== current) return;
        let data: unknown;
        try {
          data = JSON.parse(String(event.data));
        } catch {
          return;
        }
        options.onEvent(type, data);
      });
    }
    current.addEventListener('error', () => {
      if (stopped || source !== current) return;
      options.onStatus(LiveStatus.Reconnecting);
      // Still CONNECTING: the browser is retrying on its own (the server asked for 2 s); let it.
      if (current.readyState !== closed) return;
      current.close();
      source = null;
      attempt += 1;
      options.onFailure?.(attempt);
      timer = setTimer(connect, reconnectDelayMs(attempt));
    });
  };

  connect();
  return () => {
    stopped = true;
    if (timer !== null) clearTimer(timer);
    source?.close();
    source = null;
  };
}
