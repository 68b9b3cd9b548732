// Confer for bench:routing, in a process of its own (so the 500 SSE clients and the query load of the
// benchmark never share its event loop, and `--cpu-prof` profiles Confer alone). Driven over IPC by
// bench/routing.ts: it writes the arriving studies' rows, calls worklist.onStudyComplete as main.ts's tick
// does, plays the readers who read their cases, and runs the clockwork on a timer as main.ts does.
import { ManualClock, Role } from '@confer/core';
import pino from 'pino';
import type { Actor } from '../src/archive/ports.ts';
import { type StudyCompleteEvent, StudyEvent } from '../src/archive/study-completion.ts';
import { loadConfig } from '../src/config/config.ts';
import { type ConferHandle, startConfer } from '../src/main.ts';
import type { WorklistMessage } from '../src/worklist/worklist-bus.ts';
import {
  buildNetwork,
  burstyArrivals,
  FULL_NETWORK,
  type Network,
  type StudySpec,
  studyAt,
} from './routing-network.ts';

export interface RoutingChildOptions {
  dataDir: string;
  databaseUrl: string | undefined;
  seed: string;
  /** The domain instant the timed arrivals start at (backlog arrivals come before it). */
  startAt: string;
  /** Readers (by index in the directory) who get a user and an API token for a live session. */
  sessionReaders: number;
  coordinators: number;
  claimLeaseMs: number;
  /** Wall-clock period of the clockwork (confer.tick: leases, SLA timers, re-routing), 0 = none. */
  clockworkMs: number;
}

export interface ArrivalResult {
  i: number;
  caseId: string;
  /** process.hrtime.bigint() in ns (CLOCK_MONOTONIC, shared with the parent), as a decimal string. */
  callNs: string;
  returnNs: string;
  /** Behind schedule when called (ms of wall time). */
  lagMs: number;
  inBurst: boolean;
  outcome: 'assigned' | 'pooled' | 'unroutable' | 'exception' | 'none';
  ownerId: string | null;
}

export type RoutingParentMessage =
  | { type: 'backlog'; arrivals: number; ownedTarget: number; inReadShare: number; perDay: number }
  | { type: 'timed'; arrivals: number; perDay: number; speedup: number; readsPerArrival: number }
  | { type: 'stats' }
  | { type: 'stop' };

export interface ClockworkFigures {
  ticks: number;
  skipped: number;
  msP50: number;
  msMax: number;
}

export type RoutingChildMessage =
  | {
      type: 'ready';
      httpUrl: string;
      sessions: { readerId: string; username: string; token: string }[];
      coordinatorTokens: string[];
      setupSeconds: number;
    }
  | { type: 'backlog-done'; seconds: number; arrivals: number; reads: number; claims: number }
  | { type: 'timed-started'; startNs: string }
  | {
      type: 'timed-done';
      endNs: string;
      results: ArrivalResult[];
      reads: number;
      readFailures: number;
      clockwork: ClockworkFigures;
      wallSeconds: number;
      domainMinutes: number;
    }
  | {
      type: 'stats';
      byState: Record<string, number>;
      visibilityRows: number;
      cases: number;
      timers: number;
      events: number;
    }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

const send = (m: RoutingChildMessage) => {
  if (process.connected) process.send?.(m);
};
const nowNs = () => process.hrtime.bigint();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ORIGIN = { protocol: 'api', remoteAddress: 'bench' } as const;

/** The study rows the worklist reads when a study completes: patient, study, one series, one instance. */
async function insertStudy(confer: ConferHandle, s: StudySpec, now: number): Promise<StudyCompleteEvent> {
  const db = confer.store.db;
  const first = now - 120_000;
  const date = new Date(first).toISOString();
  const dicomDate = date.slice(0, 10).replaceAll('-', '');
  const dicomTime = date.slice(11, 19).replaceAll(':', '');
  const meta = {
    '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
    '00080018': { vr: 'UI', Value: [`${s.studyUid}.1.1`] },
    '00080020': { vr: 'DA', Value: [dicomDate] },
    '00080030': { vr: 'TM', Value: [dicomTime] },
    '00080050': { vr: 'SH', Value: [s.accessionNumber] },
    '00080060': { vr: 'CS', Value: [s.modality] },
    '00081030': { vr: 'LO', Value: [s.procedure] },
    '00100010': { vr: 'PN', Value: [{ Alphabetic: s.patientName }] },
    '00100020': { vr: 'LO', Value: [s.patientId] },
    '00180015': { vr: 'CS', Value: [s.bodyPart] },
    '0020000D': { vr: 'UI', Value: [s.studyUid] },
    '0020000E': { vr: 'UI', Value: [`${s.studyUid}.1`] },
    '00321060': { vr: 'LO', Value: [s.procedure] },
    '00401003': { vr: 'SH', Value: [s.dicomPriority] },
  };
  await db.transaction().execute(async (trx) => {
    const patient = await trx
      .insertInto('patients')
      .values({
        patient_id: s.patientId,
        issuer: '',
        scope: '',
        patient_name: s.patientName,
        birth_date: null,
        sex: null,
        updated_at: now,
      })
      .onConflict((oc) => oc.columns(['patient_id', 'issuer', 'scope']).doUpdateSet({ updated_at: now }))
      .returning('id')
      .executeTakeFirstOrThrow();
    const study = await trx
      .insertInto('studies')
      .values({
        study_uid: s.studyUid,
        patient_fk: Number(patient.id),
        accession_number: s.accessionNumber,
        study_id: null,
        study_date: dicomDate,
        study_time: dicomTime,
        description: s.procedure,
        referring_physician: null,
        modalities: s.modality,
        body_parts: s.bodyPart,
        sop_classes: '1.2.840.10008.5.1.4.1.1.2',
        institution_name: s.siteId,
        site_id: s.siteId,
        num_series: 1,
        num_instances: 1,
        first_received_at: first,
        last_received_at: now,
        complete_announced_at: now,
        attributes_json: JSON.stringify({ '00100020': meta['00100020'], '0020000D': meta['0020000D'] }),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const series = await trx
      .insertInto('series')
      .values({
        series_uid: `${s.studyUid}.1`,
        study_fk: Number(study.id),
        modality: s.modality,
        series_number: 1,
        description: s.procedure,
        body_part: s.bodyPart,
        series_date: dicomDate,
        series_time: dicomTime,
        num_instances: 1,
        first_received_at: first,
        last_received_at: now,
        attributes_json: '{}',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('instances')
      .values({
        sop_instance_uid: `${s.studyUid}.1.1`,
        series_fk: Number(series.id),
        sop_class_uid: '1.2.840.10008.5.1.4.1.1.2',
        instance_number: 1,
        transfer_syntax_uid: '1.2.840.10008.1.2.1',
        rows: 512,
        columns: 512,
        number_of_frames: null,
        size_bytes: 526_000,
        blob_key: `bench/${s.studyUid}`,
        dataset_offset: 132,
        pixel_data_offset: -1,
        received_at: now,
        metadata_json: JSON.stringify(meta),
      })
      .execute();
  });
  return {
    type: StudyEvent.Complete,
    eventId: 0,
    studyUid: s.studyUid,
    siteId: s.siteId,
    numSeries: 1,
    numInstances: 1,
    modalities: [s.modality],
    firstReceivedAt: new Date(first).toISOString(),
    lastReceivedAt: new Date(now).toISOString(),
    occurredAt: new Date(now).toISOString(),
  };
}

/** Readers at work: who holds what (from the live bus), and reading the oldest held case to the end. */
class Readers {
  /** Assigned or in read: case id -> owner, oldest change first. */
  readonly held = new Map<string, { ownerId: string; state: string }>();
  /** Ready with eligible readers: case id -> who may claim it. */
  readonly pooled = new Map<string, string[]>();
  /** The last state the bus showed per case, for the outcome of a routing. */
  readonly last = new Map<string, { state: string; ownerId: string | null; exception: string | null }>();
  private readonly actors = new Map<string, Actor>();
  private readonly confer: ConferHandle;
  reads = 0;
  claims = 0;
  failures = 0;

  constructor(confer: ConferHandle, network: Network) {
    this.confer = confer;
    for (const r of network.config.readers) {
      this.actors.set(r.id, {
        kind: 'user',
        id: r.username!,
        name: r.username!,
        roles: [Role.Radiologist],
        siteId: null,
        username: r.username!,
      });
    }
    confer.bus.subscribe((m: WorklistMessage) => {
      if (m.type !== 'case:changed') return;
      const s = m.summary;
      this.last.set(s.id, { state: s.state, ownerId: s.ownerId, exception: s.exception?.queue ?? null });
      this.held.delete(s.id);
      this.pooled.delete(s.id);
      if ((s.state === 'assigned' || s.state === 'in-read') && s.ownerId)
        this.held.set(s.id, { ownerId: s.ownerId, state: s.state });
      else if (s.state === 'ready' && m.visibleNow.length > 0) this.pooled.set(s.id, m.visibleNow);
    });
  }

  /** The owner claims an assigned case (opens it), leaving it in read. */
  async claimOne(skip: number): Promise<boolean> {
    let n = 0;
    for (const [id, h] of this.held) {
      if (h.state !== 'assigned' || n++ < skip) continue;
      await this.confer.worklist.claim(this.actors.get(h.ownerId)!, id, ORIGIN);
      this.claims++;
      return true;
    }
    return false;
  }

  /**
   * One reader reads one case to the end, through the same service calls the API makes (claimed if it is
   * not in read yet, then finalised; both audited): the oldest held case, or every fifth time the oldest
   * case waiting on a shared worklist, claimed by the first reader who may.
   */
  async readOne(): Promise<void> {
    let caseId: string | undefined;
    let readerId: string | undefined;
    let inRead = false;
    if (this.reads % 5 === 4 && this.pooled.size > 0) {
      const [id, who] = this.pooled.entries().next().value!;
      caseId = id;
      readerId = who[0]!;
    } else {
      const first = this.held.entries().next();
      if (first.done) return;
      const [id, h] = first.value;
      caseId = id;
      readerId = h.ownerId;
      inRead = h.state === 'in-read';
    }
    this.reads++;
    const actor = this.actors.get(readerId);
    if (!actor) return;
    try {
      if (!inRead) await this.confer.worklist.claim(actor, caseId, ORIGIN);
      await this.confer.worklist.finish(actor, caseId, ORIGIN, 'finalize');
    } catch {
      // Taken meanwhile (a re-route, another claim): another reader's turn next time.
      this.failures++;
      this.held.delete(caseId);
      this.pooled.delete(caseId);
    }
  }
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('routing-child.ts is started by bench/routing.ts over IPC');
  const options = JSON.parse(process.env.CONFER_BENCH_ROUTING ?? '{}') as RoutingChildOptions;
  const t0 = performance.now();
  const network = buildNetwork(options.seed, FULL_NETWORK);
  const startAt = Date.parse(options.startAt);
  const clock = new ManualClock(new Date(startAt - 6 * 3_600_000));
  // No process.env: a CONFER_* variable of the shell must not change what is measured.
  const config = loadConfig(
    {},
    {
      dataDir: options.dataDir,
      databaseUrl: options.databaseUrl,
      httpPort: 0,
      dicomPort: 0,
      logLevel: 'silent',
      adminPassword: 'bench-admin-password',
      claimLeaseMs: options.claimLeaseMs,
      sites: network.config.sites.map((s, i) => ({
        id: s.id,
        name: s.name,
        aeTitles: [`SITE${String(i).padStart(4, '0')}`],
        timeZone: s.timeZone,
        jurisdiction: s.jurisdiction,
      })),
    },
  );
  const confer = await startConfer(config, {
    clock,
    completionTimer: false,
    logger: pino({ level: 'silent' }),
  });
  await confer.routing.save(network.config, 'bench', 'bench:routing generated network');

  // Users and API tokens: one argon2 hash made by the access service, shared by the others (hashing 500
  // passwords would only slow the set-up; sessions authenticate with tokens).
  const readers = network.config.readers;
  const step = readers.length / Math.max(1, options.sessionReaders);
  const chosen = Array.from(
    { length: Math.min(options.sessionReaders, readers.length) },
    (_, k) => readers[Math.floor(k * step)]!,
  );
  await confer.access.createUser({
    username: 'bench-template',
    password: 'bench-password-1',
    roles: [Role.Radiologist],
  });
  const template = await confer.store.db
    .selectFrom('users')
    .select('password_hash')
    .where('username', '=', 'bench-template')
    .executeTakeFirstOrThrow();
  const now = clock.now().getTime();
  const users = [
    ...chosen.map((r) => ({ username: r.username!, roles: [Role.Radiologist] as string[] })),
    ...Array.from({ length: options.coordinators }, (_, k) => ({
      username: `coord${k}`,
      roles: [Role.Coordinator] as string[],
    })),
  ];
  for (let k = 0; k < users.length; k += 200) {
    await confer.store.db
      .insertInto('users')
      .values(
        users.slice(k, k + 200).map((u) => ({
          username: u.username,
          display_name: null,
          password_hash: template.password_hash,
          roles: JSON.stringify(u.roles),
          site_id: null,
          disabled: 0,
          created_at: now,
          password_changed_at: now,
        })),
      )
      .execute();
  }
  const sessions: { readerId: string; username: string; token: string }[] = [];
  for (const r of chosen) {
    const t = await confer.access.createToken({ name: 'bench-session', username: r.username! });
    sessions.push({ readerId: r.id, username: r.username!, token: t.token });
  }
  const coordinatorTokens: string[] = [];
  for (let k = 0; k < options.coordinators; k++)
    coordinatorTokens.push((await confer.access.createToken({ name: 'bench', username: `coord${k}` })).token);

  const people = new Readers(confer, network);

  // The clockwork, on a wall-clock timer as main.ts runs it (skipping a turn while the last one runs).
  const tickMs: number[] = [];
  let skipped = 0;
  let ticking = false;
  let timer: NodeJS.Timeout | undefined;
  const startClockwork = () => {
    if (options.clockworkMs <= 0) return;
    timer = setInterval(() => {
      if (ticking) {
        skipped++;
        return;
      }
      ticking = true;
      const a = performance.now();
      confer
        .tick()
        .catch(() => {})
        .finally(() => {
          tickMs.push(performance.now() - a);
          ticking = false;
        });
    }, options.clockworkMs);
  };
  const stopClockwork = async () => {
    if (timer) clearInterval(timer);
    while (ticking) await sleep(20);
  };

  const outcomeOf = (caseId: string): Pick<ArrivalResult, 'outcome' | 'ownerId'> => {
    const l = people.last.get(caseId);
    if (!l) return { outcome: 'none', ownerId: null };
    if (l.state === 'assigned') return { outcome: 'assigned', ownerId: l.ownerId };
    if (l.state === 'ready') return { outcome: 'pooled', ownerId: null };
    if (l.state === 'exception')
      return { outcome: l.exception === 'unroutable' ? 'unroutable' : 'exception', ownerId: null };
    return { outcome: 'none', ownerId: l.ownerId };
  };

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await stopClockwork();
      await confer.close({ graceMs: 2000 });
      send({ type: 'stopped' });
      // A normal exit, so that --cpu-prof writes its profile.
      process.exit(0);
    })().catch((err: Error) => {
      send({ type: 'error', message: err.message });
      process.exit(1);
    });
    return stopping;
  };

  process.on('message', (m: RoutingParentMessage) => {
    const run = async () => {
      if (m.type === 'stop') return void stop();
      if (m.type === 'backlog') {
        // Untimed: the live backlog arrives through the same path before the measurement, over the domain
        // time before the start; owners open some of their cases, and read the oldest when they hold more
        // than the target in all (so the backlog does not simply pile up on the readers).
        const a = performance.now();
        const gapMs = 86_400_000 / m.perDay;
        for (let i = 0; i < m.arrivals; i++) {
          clock.set(new Date(startAt - (m.arrivals - i) * gapMs));
          const s = studyAt(network, options.seed, 'backlog', i);
          const event = await insertStudy(confer, s, clock.now().getTime());
          await confer.worklist.onStudyComplete(event);
          if (people.held.size > m.ownedTarget) await people.readOne();
          if (i % Math.round(1 / m.inReadShare) === 0) await people.claimOne(20).catch(() => {});
          if (i % 500 === 499) await confer.tick();
        }
        clock.set(new Date(startAt));
        send({
          type: 'backlog-done',
          seconds: (performance.now() - a) / 1000,
          arrivals: m.arrivals,
          reads: people.reads,
          claims: people.claims,
        });
        return;
      }
      if (m.type === 'timed') {
        const arrivals = burstyArrivals(options.seed, m.arrivals, m.perDay);
        const results: ArrivalResult[] = [];
        const readsBefore = people.reads;
        const failuresBefore = people.failures;
        tickMs.length = 0;
        skipped = 0;
        startClockwork();
        // Readers read at the rate cases arrive, on their own (not awaited by the arrivals).
        let readsOwed = 0;
        let reading = false;
        const readLoop = async () => {
          if (reading) return;
          reading = true;
          while (readsOwed >= 1) {
            readsOwed--;
            await people.readOne();
          }
          reading = false;
        };
        const wall0 = performance.now();
        const startNs = nowNs();
        send({ type: 'timed-started', startNs: String(startNs) });
        for (let i = 0; i < m.arrivals; i++) {
          const dueWall = arrivals.offsetsMs[i]! / m.speedup;
          const wait = dueWall - (performance.now() - wall0);
          if (wait > 1) await sleep(wait);
          clock.set(new Date(startAt + arrivals.offsetsMs[i]!));
          const s = studyAt(network, options.seed, 'timed', i);
          const event = await insertStudy(confer, s, clock.now().getTime());
          const lagMs = Math.max(0, performance.now() - wall0 - dueWall);
          const callNs = nowNs();
          // Exactly as main.ts's tick does for each announced study.
          const caseId = await confer.worklist.onStudyComplete(event);
          const returnNs = nowNs();
          const o = outcomeOf(caseId);
          results.push({
            i,
            caseId,
            callNs: String(callNs),
            returnNs: String(returnNs),
            lagMs,
            inBurst: arrivals.inBurst[i]!,
            outcome: o.outcome,
            ownerId: o.ownerId,
          });
          readsOwed += m.readsPerArrival;
          void readLoop();
        }
        const wallSeconds = (performance.now() - wall0) / 1000;
        const endNs = nowNs();
        await stopClockwork();
        while (reading) await sleep(20);
        const sorted = [...tickMs].sort((a, b) => a - b);
        send({
          type: 'timed-done',
          endNs: String(endNs),
          results,
          reads: people.reads - readsBefore,
          readFailures: people.failures - failuresBefore,
          clockwork: {
            ticks: tickMs.length,
            skipped,
            msP50: sorted[Math.floor(sorted.length / 2)] ?? 0,
            msMax: sorted.at(-1) ?? 0,
          },
          wallSeconds,
          domainMinutes: (arrivals.offsetsMs.at(-1) ?? 0) / 60_000,
        });
        return;
      }
      if (m.type === 'stats') {
        const db = confer.store.db;
        const byState = await db
          .selectFrom('cases')
          .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
          .groupBy('state')
          .execute();
        const count = async (table: 'case_visibility' | 'cases' | 'case_timers' | 'case_events') =>
          Number(
            (
              await db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll<number>().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          );
        send({
          type: 'stats',
          byState: Object.fromEntries(byState.map((r) => [r.state, Number(r.n)])),
          visibilityRows: await count('case_visibility'),
          cases: await count('cases'),
          timers: await count('case_timers'),
          events: await count('case_events'),
        });
      }
    };
    run().catch((err: Error) => send({ type: 'error', message: err.stack ?? err.message }));
  });
  // The benchmark died without stopping us: do not linger.
  process.on('disconnect', () => void stop());
  send({
    type: 'ready',
    httpUrl: confer.httpUrl,
    sessions,
    coordinatorTokens,
    setupSeconds: (performance.now() - t0) / 1000,
  });
}

main().catch((err: Error) => {
  send({ type: 'error', message: err.stack ?? err.message });
  process.exit(1);
});
