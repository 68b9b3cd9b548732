// npm run bench:routing [-- --db sqlite|postgres|both] [--quick] [--runs N] [--profile[=DIR]] ...
//
// Routing and the live worklist at national scale, on SQLite and on PostgreSQL in one run: a generated
// network (500 sites, 1,000 readers, ~600 shifts, 1,000 rules), a million closed cases and a live backlog
// in the database, 500 live SSE sessions, studies arriving at 100,000 a day in bursts. Measures assignment
// latency (onStudyComplete to the `case` event on the assignee's own stream) and worklist query latency
// while all of that runs, against the targets; the floor is routeCase alone, in process. Prints a table
// and, last, one line of JSON with every figure. See docs/benchmarks.md.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compileRouting, type RoutingLoad, routeCase, validateRoutingConfig } from '@confer/core';
import pg from 'pg';
import { migrateToLatest, openStore } from '../src/store/database.ts';
import { Rng } from '../src/synthetic/prng.ts';
import { TEST_POSTGRES_URL } from '../test/support/stores.ts';
import { formatProfile, type ProfileSummary, profilesIn, summariseProfiles } from './cpu-profile.ts';
import type {
  ArrivalResult,
  RoutingChildMessage,
  RoutingChildOptions,
  RoutingParentMessage,
} from './routing-child.ts';
import { openSessions, type QueryMixEntry, type QuerySample, runQueryLoad } from './routing-clients.ts';
import {
  buildNetwork,
  burstyArrivals,
  FULL_NETWORK,
  type Network,
  type NetworkFacts,
  priorityOf,
  studyAt,
} from './routing-network.ts';
import { HISTORY_NOTE, type HistoryFigures, seedHistoryPostgres, seedHistorySqlite } from './routing-seed.ts';
import { median, percentile, round } from './stats.ts';

// ---------------------------------------------------------------------------------------------------------
// Settings

const USAGE = `usage: npm run bench:routing [-- options]

  --db sqlite|postgres|both   databases to measure, one after the other [both]
  --quick                     a small run for a quick look (20k history, 300 backlog, 400 arrivals, 100 sessions)
  --runs N                    runs per database, each on a fresh database; medians are reported [1]
  --history N                 closed cases bulk-inserted into cases [1000000]
  --visibility N              average eligible readers (case_visibility rows) per closed case [5]
  --backlog N                 live cases created through onStudyComplete before the measurement [3000]
  --arrivals N                timed arrivals [3000]
  --per-day N                 mean arrival rate in studies per day of domain time [100000]
  --speedup X                 domain time runs X times faster than wall time [10]
  --sessions N                live SSE sessions, one per reader [500]
  --queries-per-s Q           worklist queries per wall-clock second during the arrivals [20]
  --coordinator-share F       share of the queries made by coordinators [0.15]
  --clockwork-ms MS           confer.tick() every MS of wall time, as main.ts's timer (0: none) [5000]
  --seed S                    seed of the network, history and arrivals [bench-routing]
  --profile[=DIR]             run Confer under node --cpu-prof; summarise the timed window
  --postgres-url URL          server to create the PostgreSQL databases on [${TEST_POSTGRES_URL}]
  -h, --help`;

const args = parseArgs({
  options: {
    db: { type: 'string', default: 'both' },
    quick: { type: 'boolean' },
    runs: { type: 'string' },
    history: { type: 'string' },
    visibility: { type: 'string' },
    backlog: { type: 'string' },
    arrivals: { type: 'string' },
    'per-day': { type: 'string' },
    speedup: { type: 'string' },
    sessions: { type: 'string' },
    'queries-per-s': { type: 'string' },
    'coordinator-share': { type: 'string' },
    'clockwork-ms': { type: 'string' },
    seed: { type: 'string' },
    profile: { type: 'string' },
    'postgres-url': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
  // `--profile` alone (no directory) is allowed: parseArgs wants a value, so it is rewritten below.
  args: process.argv.slice(2).map((a) => (a === '--profile' ? '--profile=' : a)),
});
if (args.values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

function num(name: keyof typeof args.values, fallback: number, min = 0): number {
  const raw = args.values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) {
    process.stderr.write(`--${name} must be a number of at least ${min}, not "${String(raw)}"\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
}

const quick = args.values.quick === true;
const settings = {
  runs: num('runs', 1, 1),
  history: num('history', quick ? 20_000 : 1_000_000),
  visibility: num('visibility', 5, 1),
  backlog: num('backlog', quick ? 300 : 3000),
  arrivals: num('arrivals', quick ? 400 : 3000, 1),
  perDay: num('per-day', 100_000, 1),
  speedup: num('speedup', quick ? 20 : 10, 0.01),
  sessions: num('sessions', quick ? 100 : 500, 1),
  queriesPerS: num('queries-per-s', 20, 0),
  coordinatorShare: num('coordinator-share', 0.15),
  clockworkMs: num('clockwork-ms', 5000),
  seed: args.values.seed ?? 'bench-routing',
  coordinators: 5,
  claimLeaseMs: 4 * 3_600_000,
  /** Held (assigned or in read) cases the backlog stops at; readers read the oldest beyond it. */
  ownedTarget: quick ? 200 : 2000,
  inReadShare: 0.2,
  maxQueriesInFlight: 16,
};
const dbs = (args.values.db === 'both' ? ['sqlite', 'postgres'] : [args.values.db]) as (
  | 'sqlite'
  | 'postgres'
)[];
for (const d of dbs) {
  if (d !== 'sqlite' && d !== 'postgres') {
    process.stderr.write(`--db must be sqlite, postgres or both, not "${d}"\n${USAGE}\n`);
    process.exit(2);
  }
}
const postgresUrl = args.values['postgres-url'] ?? TEST_POSTGRES_URL;
const profileDir = args.values.profile;
/** The domain instant the timed arrivals start: a Tuesday afternoon in Europe, morning in the Americas. */
const START_AT = '2026-07-14T13:00:00Z';

const TARGETS = { assignmentP99Ms: 20, worklistP99Ms: 50, rfpAssignmentP95Ms: 500 } as const;

const log = (line: string) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------------------
// Cleanup

let root: string | undefined;
const children = new Set<ChildProcess>();
const databases = new Set<string>();
let cleaning: Promise<void> | undefined;

async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
  databases.delete(name);
}

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of children) c.kill('SIGKILL');
    for (const d of [...databases]) await dropDatabase(d).catch(() => {});
    if (root) await rm(root, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping Confer, dropping databases, removing temp files`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------------------
// The floor: routeCase alone, in process, on the same network and the same arrivals

interface Floor {
  decisions: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  outcomes: Record<string, number>;
}

function measureFloor(network: Network): Floor {
  const v = validateRoutingConfig(network.config);
  if (!v.ok) throw new Error(`generated network is invalid: ${JSON.stringify(v.errors.slice(0, 5))}`);
  const compiled = compileRouting(v.config);
  const start = Date.parse(START_AT);
  const load: RoutingLoad = { readers: {}, siteQueueDepth: {}, lastChosenByRule: {} };
  const held: string[] = [];
  const route = (stream: string, i: number, now: number) => {
    const s = studyAt(network, settings.seed, stream, i);
    return routeCase({
      compiled,
      case: {
        id: `floor-${stream}-${i}`,
        siteId: s.siteId,
        modalities: [s.modality],
        bodyParts: [s.bodyPart],
        procedure: s.procedure,
        priority: priorityOf(s),
        aiFlags: [],
        availableAt: now,
      },
      load,
      now,
    });
  };
  const apply = (d: ReturnType<typeof route>, now: number) => {
    if (!d.assigneeId) return;
    const h = load.readers[d.assigneeId] ?? { cases: 0, weight: 0 };
    load.readers[d.assigneeId] = { cases: h.cases + 1, weight: h.weight + 1, lastAssignedAt: now };
    if (d.ruleId) load.lastChosenByRule[d.ruleId] = d.assigneeId;
    held.push(d.assigneeId);
    // Readers finish at the rate cases arrive once they hold the backlog's share.
    if (held.length > settings.ownedTarget) {
      const r = held.shift()!;
      const x = load.readers[r]!;
      load.readers[r] = { ...x, cases: x.cases - 1, weight: x.weight - 1 };
    }
  };
  // Warm-up (JIT, shift calendar formatters), then the timed arrivals at their domain times.
  for (let i = 0; i < Math.min(settings.backlog, 1000); i++) {
    const now = start - 3_600_000 + i * 1000;
    apply(route('backlog', i, now), now);
  }
  const arrivals = burstyArrivals(settings.seed, settings.arrivals, settings.perDay);
  const ms: number[] = [];
  const outcomes: Record<string, number> = {};
  for (let i = 0; i < settings.arrivals; i++) {
    const now = start + arrivals.offsetsMs[i]!;
    const t0 = performance.now();
    const d = route('timed', i, now);
    ms.push(performance.now() - t0);
    outcomes[d.outcome] = (outcomes[d.outcome] ?? 0) + 1;
    apply(d, now);
  }
  return {
    decisions: ms.length,
    p50Ms: round(percentile(ms, 50)),
    p95Ms: round(percentile(ms, 95)),
    p99Ms: round(percentile(ms, 99)),
    outcomes,
  };
}

// ---------------------------------------------------------------------------------------------------------
// One run on one database

interface Latency {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function latency(values: number[]): Latency {
  return {
    n: values.length,
    p50: round(percentile(values, 50)),
    p95: round(percentile(values, 95)),
    p99: round(percentile(values, 99)),
    max: round(values.length ? Math.max(...values) : Number.NaN),
  };
}

interface RunFigures {
  db: 'sqlite' | 'postgres';
  run: number;
  seeding: {
    history: HistoryFigures;
    setupSeconds: number;
    backlogSeconds: number;
    backlogArrivals: number;
    sessionsSeconds: number;
  };
  counts: {
    casesBefore: number;
    activeBefore: Record<string, number>;
    visibilityRowsBefore: number;
    casesAfter: number;
    activeAfter: Record<string, number>;
    timersAfter: number;
    timelineRowsAfter: number;
  };
  assignment: Latency & { measured: number; missing: number; assignedToSession: number };
  onStudyCompleteMs: Latency;
  outcomes: Record<string, number>;
  arrivals: {
    count: number;
    inBursts: number;
    wallSeconds: number;
    domainMinutes: number;
    meanPerS: number;
    lagP50Ms: number;
    lagP99Ms: number;
    burstP99Ms: number;
    quietP99Ms: number;
  };
  worklist: Latency & {
    reader: Latency;
    coordinator: Latency;
    delayed: number;
    errors: number;
    perLabel: { label: string; p50: number; p99: number; n: number; meanCases: number }[];
  };
  reads: number;
  readFailures: number;
  clockwork: { ticks: number; skipped: number; msP50: number; msMax: number };
  sse: { sessions: number; caseEvents: number; removedEvents: number };
  profile: { main: ProfileSummary; other: ProfileSummary | null } | null;
}

class Child {
  readonly process: ChildProcess;
  private readonly waiting = new Map<
    string,
    { resolve: (m: RoutingChildMessage) => void; reject: (e: Error) => void }
  >();
  private failure: Error | undefined;
  readonly exited: Promise<void>;

  constructor(options: RoutingChildOptions, cpuProfDir: string | undefined) {
    const nodeArgs = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
    this.process = spawn(process.execPath, [...nodeArgs, join(import.meta.dirname, 'routing-child.ts')], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, CONFER_BENCH_ROUTING: JSON.stringify(options) },
    });
    children.add(this.process);
    this.exited = new Promise((resolve) =>
      this.process.once('exit', (code) => {
        children.delete(this.process);
        this.failure ??= new Error(`Confer exited (code ${code})`);
        for (const w of this.waiting.values()) w.reject(this.failure);
        this.waiting.clear();
        resolve();
      }),
    );
    this.process.on('message', (m: RoutingChildMessage) => {
      if (m.type === 'error') {
        this.failure = new Error(`Confer failed: ${m.message}`);
        for (const w of this.waiting.values()) w.reject(this.failure);
        this.waiting.clear();
        return;
      }
      this.waiting.get(m.type)?.resolve(m);
      this.waiting.delete(m.type);
    });
  }

  wait<T extends RoutingChildMessage['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<RoutingChildMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const timer = setTimeout(() => {
        this.waiting.delete(type);
        reject(new Error(`Confer did not say "${type}" in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(type, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<RoutingChildMessage, { type: T }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  send(m: RoutingParentMessage): void {
    this.process.send(m);
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.connected) {
      const stopped = this.wait('stopped', 60_000).catch(() => {});
      this.send({ type: 'stop' });
      await stopped;
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 30_000))]);
    }
    if (this.process.exitCode === null) this.process.kill('SIGKILL');
    await this.exited;
  }
}

/** The worklist queries readers and coordinators make, as the web app sends them. */
function queryMix(
  network: Network,
  sessions: { readerId: string; token: string }[],
  coordinatorTokens: string[],
  rng: Rng,
): () => QueryMixEntry {
  const readerQueries: [string, string, number][] = [
    ['reader: default worklist', '/api/worklist', 60],
    ['reader: mine', '/api/worklist?mine=true', 15],
    ['reader: by SLA due', '/api/worklist?sort=slaDueAt', 15],
    ['reader: ready, newest first', '/api/worklist?state=ready&sort=-availableAt', 10],
  ];
  const names = ['SMI', 'NGU', 'GARC', 'MUEL', 'SING', 'TANA', 'OKAF', 'ROSS'];
  const coordinatorQueries: [string, () => string, number][] = [
    ['coordinator: all active', () => '/api/worklist', 20],
    ['coordinator: STAT by SLA due', () => '/api/worklist?priority=stat&sort=slaDueAt', 15],
    ['coordinator: one site', () => `/api/worklist?site=${rng.pick(network.config.sites).id}`, 15],
    [
      'coordinator: CT ready, oldest first',
      () => '/api/worklist?state=ready&modality=CT&sort=availableAt',
      10,
    ],
    ['coordinator: at risk or breached', () => '/api/worklist?sla=at-risk,breached&sort=slaDueAt', 10],
    ['coordinator: unroutable queue', () => '/api/worklist?exception=unroutable', 10],
    ['coordinator: patient name search', () => `/api/worklist?q=${rng.pick(names)}`, 10],
    [
      'coordinator: one reader, by site',
      () => `/api/worklist?owner=${rng.pick(sessions).readerId}&sort=site`,
      5,
    ],
    ['coordinator: stroke pathway', () => '/api/worklist?pathway=stroke&sort=-updatedAt', 5],
  ];
  return () => {
    if (rng.chance(settings.coordinatorShare)) {
      const [label, path] = rng.weighted(
        coordinatorQueries.map((q) => [[q[0], q[1]] as const, q[2]] as const),
      );
      return { kind: 'coordinator', label, path: path(), token: rng.pick(coordinatorTokens) };
    }
    const [label, path] = rng.weighted(readerQueries.map((q) => [[q[0], q[1]] as const, q[2]] as const));
    return { kind: 'reader', label, path, token: rng.pick(sessions).token };
  };
}

async function runOnce(db: 'sqlite' | 'postgres', run: number, network: Network): Promise<RunFigures> {
  const tag = `${db} run ${run}`;
  const dataDir = await mkdtemp(join(root!, `${db}-${run}-`));
  let databaseUrl: string | undefined;
  let dbName: string | undefined;
  if (db === 'postgres') {
    dbName = `confer_bench_routing_${process.pid}_${run}`;
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    try {
      await admin.query(`drop database if exists ${dbName} with (force)`);
      await admin.query(`create database ${dbName}`);
      databases.add(dbName);
    } finally {
      await admin.end();
    }
    const u = new URL(postgresUrl);
    u.pathname = `/${dbName}`;
    databaseUrl = u.toString();
  }
  let child: Child | undefined;
  let sessionsSet: Awaited<ReturnType<typeof openSessions>> | undefined;
  try {
    // The schema, by Confer's own migrations; then the history, bulk-inserted.
    const sqlitePath = join(dataDir, 'confer.sqlite');
    const store = await openStore({ databaseUrl, sqlitePath });
    await migrateToLatest(store);
    await store.close();
    log(`[${tag}] seeding ${settings.history.toLocaleString('en')} closed cases ...`);
    let lastLog = performance.now();
    const progress = (done: number) => {
      if (performance.now() - lastLog > 15_000) {
        lastLog = performance.now();
        log(`[${tag}]   ${done.toLocaleString('en')} ...`);
      }
    };
    const historyOptions = {
      network,
      seed: settings.seed,
      count: settings.history,
      visibilityPerCase: settings.visibility,
      spanDays: 730,
      beforeMs: Date.parse(START_AT) - 6 * 3_600_000,
    };
    const history =
      db === 'sqlite'
        ? seedHistorySqlite(sqlitePath, historyOptions, progress)
        : await seedHistoryPostgres(databaseUrl!, historyOptions, progress);
    log(
      `[${tag}]   ${history.cases.toLocaleString('en')} cases, ${history.visibilityRows.toLocaleString('en')} ` +
        `visibility rows in ${history.seconds.toFixed(0)} s`,
    );

    let cpuProfDir: string | undefined;
    if (profileDir !== undefined) {
      cpuProfDir = join(profileDir || join(root!, 'profiles'), `${db}-run${run}`);
      await mkdir(cpuProfDir, { recursive: true });
    }
    child = new Child(
      {
        dataDir,
        databaseUrl,
        seed: settings.seed,
        startAt: START_AT,
        sessionReaders: settings.sessions,
        coordinators: settings.coordinators,
        claimLeaseMs: settings.claimLeaseMs,
        clockworkMs: settings.clockworkMs,
      },
      cpuProfDir,
    );
    const ready = await child.wait('ready', 300_000);
    log(
      `[${tag}] Confer up in ${ready.setupSeconds.toFixed(1)} s; opening ${ready.sessions.length} SSE sessions ...`,
    );
    const s0 = performance.now();
    sessionsSet = await openSessions(ready.httpUrl, ready.sessions);
    const sessionsSeconds = (performance.now() - s0) / 1000;
    const sessionReaders = new Set(ready.sessions.map((s) => s.readerId));

    log(`[${tag}] live backlog: ${settings.backlog} arrivals through onStudyComplete ...`);
    const backlogDone = child.wait('backlog-done', 3_600_000);
    child.send({
      type: 'backlog',
      arrivals: settings.backlog,
      ownedTarget: settings.ownedTarget,
      inReadShare: settings.inReadShare,
      perDay: settings.perDay,
    });
    const backlog = await backlogDone;
    if (databaseUrl) {
      // What autovacuum would long since have done on a database in steady state: statistics that know the
      // live backlog (those taken right after the bulk load saw no active case at all).
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      await c.query('analyze cases');
      await c.query('analyze case_visibility');
      await c.end();
    }
    const statsBefore = child.wait('stats', 600_000);
    child.send({ type: 'stats' });
    const before = await statsBefore;

    // Warm-up of the query path (untimed).
    const rng = new Rng(`${settings.seed}/queries/${db}/${run}`);
    const nextQuery = queryMix(network, ready.sessions, ready.coordinatorTokens, rng);
    const warm = runQueryLoad(ready.httpUrl, nextQuery, 50, 4, () => rng.float());
    await new Promise((r) => setTimeout(r, 2000));
    await warm.stop();

    log(
      `[${tag}] timed: ${settings.arrivals} arrivals at ${settings.perDay.toLocaleString('en')}/day x${settings.speedup}, ` +
        `${settings.queriesPerS} worklist queries/s, ${ready.sessions.length} sessions ...`,
    );
    const started = child.wait('timed-started', 60_000);
    const done = child.wait('timed-done', 6 * 3_600_000);
    child.send({
      type: 'timed',
      arrivals: settings.arrivals,
      perDay: settings.perDay,
      speedup: settings.speedup,
      readsPerArrival: 1,
    });
    await started;
    const load =
      settings.queriesPerS > 0
        ? runQueryLoad(ready.httpUrl, nextQuery, settings.queriesPerS, settings.maxQueriesInFlight, () =>
            rng.float(),
          )
        : undefined;
    const timed = await done;
    const queries = load ? await load.stop() : { samples: [] as QuerySample[], delayed: 0, errors: 0 };
    // Events still in flight get a moment to arrive.
    await new Promise((r) => setTimeout(r, 1000));
    const statsAfter = child.wait('stats', 600_000);
    child.send({ type: 'stats' });
    const after = await statsAfter;

    const figures = summarise(db, run, {
      history,
      setupSeconds: ready.setupSeconds,
      backlog,
      sessionsSeconds,
      before,
      after,
      timed,
      queries,
      sessionsSet,
      sessionReaders,
    });
    sessionsSet.close();
    sessionsSet = undefined;
    await child.stop();
    if (cpuProfDir) {
      const window = {
        startUs: Number(BigInt(timed.results[0]?.callNs ?? '0') / 1000n),
        endUs: Number(BigInt(timed.endNs) / 1000n),
      };
      const files = await profilesIn(cpuProfDir);
      const main = files.filter((f) => f.threadId === 0).map((f) => ({ path: f.path, windows: [window] }));
      const other = files.filter((f) => f.threadId !== 0).map((f) => ({ path: f.path, windows: [window] }));
      figures.profile = {
        main: await summariseProfiles(main, 25),
        other: other.length ? await summariseProfiles(other, 25) : null,
      };
      log(`[${tag}] profiles in ${cpuProfDir}`);
    }
    return figures;
  } finally {
    sessionsSet?.close();
    await child?.stop().catch(() => {});
    if (dbName)
      await dropDatabase(dbName).catch((err: Error) => log(`could not drop ${dbName}: ${err.message}`));
    await rm(dataDir, { recursive: true, force: true });
  }
}

function summarise(
  db: 'sqlite' | 'postgres',
  run: number,
  x: {
    history: HistoryFigures;
    setupSeconds: number;
    backlog: Extract<RoutingChildMessage, { type: 'backlog-done' }>;
    sessionsSeconds: number;
    before: Extract<RoutingChildMessage, { type: 'stats' }>;
    after: Extract<RoutingChildMessage, { type: 'stats' }>;
    timed: Extract<RoutingChildMessage, { type: 'timed-done' }>;
    queries: { samples: QuerySample[]; delayed: number; errors: number };
    sessionsSet: Awaited<ReturnType<typeof openSessions>>;
    sessionReaders: Set<string>;
  },
): RunFigures {
  const results: ArrivalResult[] = x.timed.results;
  const outcomes: Record<string, number> = {};
  for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  const assignMs: number[] = [];
  const burstMs: number[] = [];
  const quietMs: number[] = [];
  let missing = 0;
  let assignedToSession = 0;
  for (const r of results) {
    if (r.outcome !== 'assigned' || !r.ownerId || !x.sessionReaders.has(r.ownerId)) continue;
    assignedToSession++;
    const seen = x.sessionsSet.assigned.get(r.caseId);
    if (!seen || seen.readerId !== r.ownerId) {
      missing++;
      continue;
    }
    const ms = Number(seen.atNs - BigInt(r.callNs)) / 1e6;
    assignMs.push(ms);
    (r.inBurst ? burstMs : quietMs).push(ms);
  }
  const callMs = results.map((r) => Number(BigInt(r.returnNs) - BigInt(r.callNs)) / 1e6);
  const samples = x.queries.samples.filter((s) => s.status === 200);
  const labels = [...new Set(samples.map((s) => s.label))].sort();
  const active = (by: Record<string, number>) =>
    Object.fromEntries(
      ['ready', 'assigned', 'in-read', 'preliminary', 'exception'].map((s) => [s, by[s] ?? 0]),
    );
  return {
    db,
    run,
    seeding: {
      history: x.history,
      setupSeconds: round(x.setupSeconds),
      backlogSeconds: round(x.backlog.seconds),
      backlogArrivals: x.backlog.arrivals,
      sessionsSeconds: round(x.sessionsSeconds),
    },
    counts: {
      casesBefore: x.before.cases,
      activeBefore: active(x.before.byState),
      visibilityRowsBefore: x.before.visibilityRows,
      casesAfter: x.after.cases,
      activeAfter: active(x.after.byState),
      timersAfter: x.after.timers,
      timelineRowsAfter: x.after.events,
    },
    assignment: { ...latency(assignMs), measured: assignMs.length, missing, assignedToSession },
    onStudyCompleteMs: latency(callMs),
    outcomes,
    arrivals: {
      count: results.length,
      inBursts: results.filter((r) => r.inBurst).length,
      wallSeconds: round(x.timed.wallSeconds),
      domainMinutes: round(x.timed.domainMinutes),
      meanPerS: round(results.length / x.timed.wallSeconds),
      lagP50Ms: round(
        percentile(
          results.map((r) => r.lagMs),
          50,
        ),
      ),
      lagP99Ms: round(
        percentile(
          results.map((r) => r.lagMs),
          99,
        ),
      ),
      burstP99Ms: round(percentile(burstMs, 99)),
      quietP99Ms: round(percentile(quietMs, 99)),
    },
    worklist: {
      ...latency(samples.map((s) => s.ms)),
      reader: latency(samples.filter((s) => s.kind === 'reader').map((s) => s.ms)),
      coordinator: latency(samples.filter((s) => s.kind === 'coordinator').map((s) => s.ms)),
      delayed: x.queries.delayed,
      errors: x.queries.errors + (x.queries.samples.length - samples.length),
      perLabel: labels.map((label) => {
        const mine = samples.filter((s) => s.label === label);
        return {
          label,
          n: mine.length,
          p50: round(
            percentile(
              mine.map((s) => s.ms),
              50,
            ),
          ),
          p99: round(
            percentile(
              mine.map((s) => s.ms),
              99,
            ),
          ),
          meanCases: round(mine.reduce((a, s) => a + s.cases, 0) / Math.max(1, mine.length)),
        };
      }),
    },
    reads: x.timed.reads,
    readFailures: x.timed.readFailures,
    clockwork: x.timed.clockwork,
    sse: {
      sessions: x.sessionsSet.sessions,
      caseEvents: x.sessionsSet.events.case,
      removedEvents: x.sessionsSet.events.removed,
    },
    profile: null,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Report

function machine() {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    memoryGiB: round(totalmem() / 1024 ** 3),
    os: `${platform()} ${release()}`,
    node: process.version,
  };
}

const med = (runs: RunFigures[], pick: (r: RunFigures) => number) => round(median(runs.map(pick)));

function verdict(value: number, target: number): string {
  return Number.isFinite(value) ? (value <= target ? 'met' : 'MISSED') : '-';
}

function report(network: Network, floor: Floor, byDb: Map<string, RunFigures[]>, seconds: number): void {
  const m = machine();
  const arrivals = burstyArrivals(settings.seed, settings.arrivals, settings.perDay);
  const wallMeanPerS = (settings.perDay / 86_400) * settings.speedup;
  const out: string[] = [];
  const f: NetworkFacts = network.facts;
  out.push(
    '',
    `Confer routing benchmark: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}`,
    `Peer: the targets (assignment p99 <= ${TARGETS.assignmentP99Ms} ms, worklist query p99 <= ${TARGETS.worklistP99Ms} ms; ` +
      `the public RFP asks assignment p95 <= ${TARGETS.rfpAssignmentP95Ms} ms) and the floor, routeCase alone in process`,
    `Network (seed ${settings.seed}): ${f.hubs} hubs, ${f.spokes} spokes, ${f.partnerSites} partner sites in ${f.jurisdictions} ` +
      `jurisdictions and ${f.zones} zones; ${f.readers} readers (${f.privileges.toLocaleString('en')} privileges, ` +
      `${f.expiredLicences} expired licences, ${f.inactiveReaders} inactive); ${f.shifts} shifts, ${f.rosterEntries} roster ` +
      `entries, ${f.pools} pools; ${f.rules} rules (${f.routeRules} route, ${f.modifyRules} modify, ${f.disabledRules} disabled)`,
    `Seeded: ${settings.history.toLocaleString('en')} closed cases (${HISTORY_NOTE}); a live backlog of ${settings.backlog} ` +
      'arrivals through onStudyComplete (with their study rows, timeline, timers, visibility, audit), readers opening and ' +
      'reading the oldest of their cases; PostgreSQL: VACUUM ANALYZE after the bulk load and ANALYZE after the backlog ' +
      '(as autovacuum would have), SQLite: no ANALYZE (Confer never runs it)',
    `Load: ${settings.arrivals} timed arrivals at ${settings.perDay.toLocaleString('en')}/day (${arrivals.bursts} bursts at ` +
      `${round(Math.min(...arrivals.burstFactors))}-${round(Math.max(...arrivals.burstFactors))}x the mean), domain time ` +
      `x${settings.speedup} (ManualClock), so on the wall clock a mean of ${round(wallMeanPerS)}/s and bursts up to ` +
      `${round(wallMeanPerS * Math.max(...arrivals.burstFactors))}/s; per arrival one case read to the end (claim + final); ${settings.sessions} SSE ` +
      `sessions; ${settings.queriesPerS} worklist queries/s (${Math.round(settings.coordinatorShare * 100)}% coordinators); ` +
      `confer.tick() every ${settings.clockworkMs} ms of wall time`,
    `Floor: routeCase alone on this network, ${floor.decisions} decisions: p50 ${floor.p50Ms} ms, p95 ${floor.p95Ms} ms, ` +
      `p99 ${floor.p99Ms} ms (${Object.entries(floor.outcomes)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
    '',
  );
  const cols = [...byDb.keys()];
  const header = [
    '',
    ...cols.map((c) => `${c} (${byDb.get(c)!.length} run${byDb.get(c)!.length > 1 ? 's' : ''})`),
    'target',
  ];
  const rows: string[][] = [];
  const row = (label: string, pick: (r: RunFigures) => number, target?: number, unit = '') =>
    rows.push([
      label,
      ...cols.map((c) => {
        const v = med(byDb.get(c)!, pick);
        return `${Number.isFinite(v) ? v : '-'}${unit}${target !== undefined ? ` ${verdict(v, target)}` : ''}`;
      }),
      target !== undefined ? `<= ${target}` : '',
    ]);
  const pair = (label: string, a: (r: RunFigures) => number, b: (r: RunFigures) => number) =>
    rows.push([label, ...cols.map((c) => `${med(byDb.get(c)!, a)} / ${med(byDb.get(c)!, b)}`), '']);
  const firstRun = (label: string, text: (r: RunFigures) => string) =>
    rows.push([label, ...cols.map((c) => text(byDb.get(c)![0]!)), '']);
  row('assignment p50 (ms)', (r) => r.assignment.p50);
  row('assignment p95 (ms)', (r) => r.assignment.p95, TARGETS.rfpAssignmentP95Ms);
  row('assignment p99 (ms)', (r) => r.assignment.p99, TARGETS.assignmentP99Ms);
  pair(
    '  p99 in bursts / in quiet spells (ms)',
    (r) => r.arrivals.burstP99Ms,
    (r) => r.arrivals.quietP99Ms,
  );
  pair(
    '  onStudyComplete call p50 / p99 (ms)',
    (r) => r.onStudyCompleteMs.p50,
    (r) => r.onStudyCompleteMs.p99,
  );
  row('  measured (assignee has a session)', (r) => r.assignment.measured);
  row('  not seen on the stream', (r) => r.assignment.missing);
  row('worklist query p50 (ms)', (r) => r.worklist.p50);
  row('worklist query p95 (ms)', (r) => r.worklist.p95);
  row('worklist query p99 (ms)', (r) => r.worklist.p99, TARGETS.worklistP99Ms);
  pair(
    '  reader / coordinator p99 (ms)',
    (r) => r.worklist.reader.p99,
    (r) => r.worklist.coordinator.p99,
  );
  row('  queries measured', (r) => r.worklist.n);
  firstRun('outcomes assigned/pooled/unroutable/other', (r) => {
    const o = r.outcomes;
    const other = r.arrivals.count - (o.assigned ?? 0) - (o.pooled ?? 0) - (o.unroutable ?? 0);
    return `${o.assigned ?? 0}/${o.pooled ?? 0}/${o.unroutable ?? 0}/${other}`;
  });
  row('arrivals/s achieved (wall)', (r) => r.arrivals.meanPerS);
  row('arrival lag behind schedule p99 (ms)', (r) => r.arrivals.lagP99Ms);
  row('seeding: history (s)', (r) => r.seeding.history.seconds);
  row('seeding: Confer start + directory + tokens (s)', (r) => r.seeding.setupSeconds);
  row('seeding: live backlog (s)', (r) => r.seeding.backlogSeconds);
  row('seeding: open SSE sessions (s)', (r) => r.seeding.sessionsSeconds);
  row('cases in the database', (r) => r.counts.casesAfter);
  row('case_visibility rows before the timed phase', (r) => r.counts.visibilityRowsBefore);
  firstRun('active before: ready/assigned/in-read/exception', (r) => {
    const a = r.counts.activeBefore;
    return `${a.ready}/${a.assigned}/${a['in-read']}/${a.exception}`;
  });
  firstRun('active after: ready/assigned/in-read/exception', (r) => {
    const a = r.counts.activeAfter;
    return `${a.ready}/${a.assigned}/${a['in-read']}/${a.exception}`;
  });
  firstRun(
    'clockwork ticks, p50 / max (ms)',
    (r) => `${r.clockwork.ticks}, ${round(r.clockwork.msP50)} / ${round(r.clockwork.msMax)}`,
  );
  row('SSE case events received', (r) => r.sse.caseEvents);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  out.push(line(header), ...rows.map(line));
  out.push('', 'Worklist queries by kind (first run; p50 / p99 ms, mean cases returned):');
  for (const c of cols) {
    out.push(`  ${c}:`);
    for (const q of byDb.get(c)![0]!.worklist.perLabel)
      out.push(
        `    ${q.label.padEnd(42)} ${String(q.n).padStart(5)}  ${String(q.p50).padStart(7)} / ${String(q.p99).padStart(7)}  ${q.meanCases}`,
      );
  }
  if ([...byDb.values()].some((runs) => runs.length > 1)) {
    out.push('', 'Runs (assignment p99 | worklist p99, ms):');
    for (const c of cols)
      out.push(
        `  ${c}: ${byDb
          .get(c)!
          .map((r) => `${r.assignment.p99} | ${r.worklist.p99}`)
          .join(', ')}`,
      );
  }
  for (const c of cols) {
    for (const r of byDb.get(c)!) {
      if (!r.profile) continue;
      out.push(...formatProfile(`${c} run ${r.run}, main thread`, r.profile.main, 'the timed window'));
      if (r.profile.other)
        out.push(
          ...formatProfile(`${c} run ${r.run}, worker threads (SQLite)`, r.profile.other, 'the timed window'),
        );
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
  const json = {
    bench: 'routing',
    machine: m,
    settings,
    targets: TARGETS,
    network: f,
    history: HISTORY_NOTE,
    floor,
    databases: Object.fromEntries(
      cols.map((c) => {
        const runs = byDb.get(c)!;
        return [
          c,
          {
            median: {
              assignmentMs: {
                p50: med(runs, (r) => r.assignment.p50),
                p95: med(runs, (r) => r.assignment.p95),
                p99: med(runs, (r) => r.assignment.p99),
              },
              worklistMs: {
                p50: med(runs, (r) => r.worklist.p50),
                p95: med(runs, (r) => r.worklist.p95),
                p99: med(runs, (r) => r.worklist.p99),
              },
              met: {
                assignmentP99: med(runs, (r) => r.assignment.p99) <= TARGETS.assignmentP99Ms,
                worklistP99: med(runs, (r) => r.worklist.p99) <= TARGETS.worklistP99Ms,
                rfpAssignmentP95: med(runs, (r) => r.assignment.p95) <= TARGETS.rfpAssignmentP95Ms,
              },
            },
            runs: runs.map((r) => ({
              ...r,
              profile: r.profile
                ? {
                    mainBusyMs: round(r.profile.main.totalMs - r.profile.main.idleMs),
                    top: r.profile.main.functions
                      .slice(0, 10)
                      .map((x) => ({ fn: x.name, share: round(x.share) })),
                  }
                : null,
            })),
          },
        ];
      }),
    ),
    durationS: round(seconds),
  };
  process.stdout.write(`\n${JSON.stringify(json)}\n`);
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  root = await mkdtemp(join(tmpdir(), 'confer-bench-routing-'));
  const m = machine();
  log(
    `Confer routing benchmark on ${m.cores} cores (${m.cpu}), Node ${m.node}; databases: ${dbs.join(', ')}`,
  );
  const network = buildNetwork(settings.seed, FULL_NETWORK);
  log('Floor: routeCase alone ...');
  const floor = measureFloor(network);
  log(`  p50 ${floor.p50Ms} ms, p99 ${floor.p99Ms} ms`);
  const byDb = new Map<string, RunFigures[]>();
  for (let run = 1; run <= settings.runs; run++) {
    for (const db of run % 2 === 1 ? dbs : [...dbs].reverse()) {
      const figures = await runOnce(db, run, network);
      log(
        `[${db} run ${run}] assignment p50/p95/p99 ${figures.assignment.p50}/${figures.assignment.p95}/${figures.assignment.p99} ms ` +
          `(${figures.assignment.measured} measured); worklist p50/p95/p99 ${figures.worklist.p50}/${figures.worklist.p95}/${figures.worklist.p99} ms`,
      );
      byDb.set(db, [...(byDb.get(db) ?? []), figures]);
    }
  }
  const ordered = new Map(dbs.filter((d) => byDb.has(d)).map((d) => [d, byDb.get(d)!]));
  report(network, floor, ordered, (performance.now() - started) / 1000);
}

try {
  await main();
} catch (err) {
  log(`bench:routing failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
