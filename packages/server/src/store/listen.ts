import pg from 'pg';
import type { Logger } from 'pino';

/**
 * A dedicated PostgreSQL connection that LISTENs on channels and calls a handler per notification. When the
 * connection drops it reconnects with a growing delay; meanwhile callers fall back on polling. Returns the
 * function that stops listening.
 */
export async function listenForOtherNodes(
  databaseUrl: string,
  handlers: Record<string, () => void>,
  log: Logger,
): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retryMs = 500;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
    c.on('notification', (n) => handlers[n.channel]?.());
    c.on('error', (err) => {
      log.warn({ err: err.message }, 'lost the notification connection; polling until it is back');
      reconnect();
    });
    c.on('end', () => {
      if (!stopped) reconnect();
    });
    await c.connect();
    for (const channel of Object.keys(handlers)) await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    client = c;
    retryMs = 500;
    // Anything missed while disconnected is picked up now.
    for (const h of Object.values(handlers)) h();
  };
  const reconnect = () => {
    if (stopped || retry) return;
    const old = client;
    client = undefined;
    old?.end().catch(() => {});
    retry = setTimeout(() => {
      retry = undefined;
      connect().catch(() => {
        retryMs = Math.min(retryMs * 2, 30_000);
        reconnect();
      });
    }, retryMs);
    retry.unref();
  };

  await connect();
  return async function stopListening() {
    stopped = true;
    if (retry) clearTimeout(retry);
    await client?.end().catch(() => {});
    client = undefined;
  };
}
