import type { FastifyReply, FastifyRequest } from 'fastify';

export interface EventStreamOptions {
  /** The first event's payload, sent as `ready` together with the reconnect delay. */
  ready: unknown;
  /** Comment lines keep proxies from closing an idle stream; 15 s unless a test wants it sooner. */
  keepAliveMs?: number | undefined;
}

/** A server-sent events stream opened on a hijacked reply. */
export interface EventStream {
  /** Writes one event (with an optional id the browser resends as Last-Event-ID). */
  send(event: string, data: unknown, id?: string): void;
  /** Writes a last event and ends the response (for a stream the server closes, e.g. access revoked). */
  end(event: string, data: unknown): void;
  /** Runs `fn` once when the client goes away or the socket fails (unsubscribe here). */
  onClose(fn: () => void): void;
}

/**
 * Takes the reply over from Fastify and opens a text/event-stream: no caching, no proxy buffering, a
 * 2 s reconnect delay for the browser's EventSource, the `ready` event, and a keep-alive comment on an
 * unref'd timer that stops when the client leaves. Every live route (worklist, notifications, discussion,
 * annotations) uses it, so they all behave the same towards browsers and proxies.
 */
export function openEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  options: EventStreamOptions,
): EventStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(`retry: 2000\n${frame('ready', options.ready)}`);
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), options.keepAliveMs ?? 15_000);
  keepAlive.unref();
  const closers: Array<() => void> = [() => clearInterval(keepAlive)];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const fn of closers) fn();
  };
  request.raw.on('close', close);
  res.on('error', close);
  return {
    send(event, data, id) {
      res.write(id === undefined ? frame(event, data) : `id: ${id}\n${frame(event, data)}`);
    },
    end(event, data) {
      res.end(frame(event, data));
    },
    onClose(fn) {
      if (closed) fn();
      else closers.push(fn);
    },
  };
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
