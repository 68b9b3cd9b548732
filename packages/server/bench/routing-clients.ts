// The benchmark's side of the wire for bench:routing: live worklist sessions (SSE over real HTTP
// connections, one per reader) and the worklist query load. Runs in the benchmark process, not in Confer's.
import http from 'node:http';

/** When the `case` event that shows a case assigned to the session's reader arrived (hrtime ns). */
export interface AssignedSeen {
  atNs: bigint;
  readerId: string;
}

export interface SessionSet {
  sessions: number;
  /** Per case id: the first `case` event with state assigned, received on the owner's own stream. */
  assigned: Map<string, AssignedSeen>;
  events: { ready: number; case: number; removed: number; other: number };
  close(): void;
}

/**
 * Opens one SSE stream per reader (GET /api/worklist/stream with the reader's own token) and resolves once
 * every stream has said `ready`. Each chunk is stamped on arrival, before it is parsed.
 */
export async function openSessions(
  baseUrl: string,
  readers: { readerId: string; token: string }[],
  openTimeoutMs = 60_000,
): Promise<SessionSet> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const assigned = new Map<string, AssignedSeen>();
  const events = { ready: 0, case: 0, removed: 0, other: 0 };
  const requests: http.ClientRequest[] = [];
  const open = (r: { readerId: string; token: string }) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`stream of ${r.readerId} never said ready`)),
        openTimeoutMs,
      );
      const req = http.request(`${baseUrl}/api/worklist/stream`, {
        agent,
        headers: { authorization: `Bearer ${r.token}`, accept: 'text/event-stream' },
      });
      requests.push(req);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          clearTimeout(timer);
          reject(new Error(`stream of ${r.readerId}: HTTP ${res.statusCode}`));
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          const atNs = process.hrtime.bigint();
          buffer += chunk;
          let i = buffer.indexOf('\n\n');
          while (i >= 0) {
            const block = buffer.slice(0, i);
            buffer = buffer.slice(i + 2);
            i = buffer.indexOf('\n\n');
            if (block.startsWith('event: case\n')) {
              events.case++;
              const data = block.slice(block.indexOf('data: ') + 6);
              const c = JSON.parse(data) as { id: string; state: string; ownerId: string | null };
              if (c.state === 'assigned' && c.ownerId === r.readerId && !assigned.has(c.id))
                assigned.set(c.id, { atNs, readerId: r.readerId });
            } else if (block.startsWith('event: removed')) events.removed++;
            else if (block.includes('event: ready')) {
              events.ready++;
              clearTimeout(timer);
              resolve();
            } else if (!block.startsWith(':')) events.other++;
          }
        });
        res.on('error', () => {});
      });
      req.end();
    });
  // Open in waves, as browsers reconnecting after a deploy would, not all in one instant.
  for (let k = 0; k < readers.length; k += 50) await Promise.all(readers.slice(k, k + 50).map(open));
  return {
    sessions: readers.length,
    assigned,
    events,
    close() {
      for (const r of requests) r.destroy();
      agent.destroy();
    },
  };
}

export interface QuerySample {
  kind: 'reader' | 'coordinator';
  label: string;
  ms: number;
  status: number;
  cases: number;
}

/** One GET on a keep-alive connection; the time is to the last byte of the body. */
export function timedGet(
  agent: http.Agent,
  url: string,
  token: string,
): Promise<{ ms: number; status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () =>
        resolve({
          ms: performance.now() - t0,
          status: res.statusCode ?? 0,
          body: Buffer.concat(parts).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

export interface QueryMixEntry {
  kind: 'reader' | 'coordinator';
  label: string;
  path: string;
  token: string;
}

/**
 * Worklist queries at `perSecond` (Poisson, open loop) until `stop()` is called; at most `maxInFlight` at
 * once (a query due while that many are running waits and is counted as delayed).
 */
export function runQueryLoad(
  baseUrl: string,
  next: () => QueryMixEntry,
  perSecond: number,
  maxInFlight: number,
  random: () => number,
): { stop(): Promise<{ samples: QuerySample[]; delayed: number; errors: number }> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
  const samples: QuerySample[] = [];
  let delayed = 0;
  let errors = 0;
  let inFlight = 0;
  let stopped = false;
  const running = new Set<Promise<void>>();
  const fire = () => {
    const q = next();
    inFlight++;
    const p = timedGet(agent, `${baseUrl}${q.path}`, q.token)
      .then((r) => {
        let cases = 0;
        if (r.status === 200) cases = (JSON.parse(r.body) as { cases: unknown[] }).cases.length;
        else errors++;
        samples.push({ kind: q.kind, label: q.label, ms: r.ms, status: r.status, cases });
      })
      .catch(() => {
        errors++;
      })
      .finally(() => {
        inFlight--;
        running.delete(p);
      });
    running.add(p);
  };
  const loop = (async () => {
    let due = performance.now();
    while (!stopped) {
      due += (-Math.log(1 - random()) * 1000) / perSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (stopped) break;
      if (inFlight >= maxInFlight) {
        delayed++;
        while (inFlight >= maxInFlight && !stopped) await new Promise((r) => setTimeout(r, 1));
      }
      fire();
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(running);
      agent.destroy();
      return { samples, delayed, errors };
    },
  };
}
