import { parseArgs } from 'node:util';
import { type Clock, systemClock } from '@confer/core';
import {
  contextsFor,
  type InstanceToStore,
  part10Instance,
  type StoreBatchResult,
  StoreScuError,
  storeInstances,
} from '../dimse/store-scu.ts';
import { Rng } from '../synthetic/prng.ts';
import { DEFAULT_SITES, SiteRole, type SyntheticSite } from '../synthetic/sites.ts';
import { ProcedurePriority, planStudy, type SyntheticStudy } from '../synthetic/study.ts';

/**
 * A live feed for the demo: synthetic studies arrive from the demo sites at a configured rate, each sent
 * over DICOM from its site's AE title, so the worklist fills, routes and ages as it would in a network.
 */

/** setTimeout semantics, injected so a test can fire arrivals without waiting for them. */
export interface Scheduler {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The process's own timers. */
export const realScheduler: Scheduler = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** One kind of study in the demo mix: what is acquired, where, how often and how urgently. */
export interface DemoStudyKind {
  id: string;
  /** A synthetic protocol id ('ct-head', 'mr-knee', ...). */
  protocol: string;
  /** A pathway of that protocol ('stroke'): names the protocol in the study description. */
  pathway?: string;
  /** Relative frequency. */
  weight: number;
  /** Only sites of these roles acquire it (a stroke CT comes from a spoke's emergency department). */
  siteRoles?: SiteRole[];
  /** Relative frequency of each Requested Procedure Priority. */
  priorities: readonly (readonly [ProcedurePriority, number])[];
}

const usual: DemoStudyKind['priorities'] = [
  [ProcedurePriority.Routine, 0.75],
  [ProcedurePriority.High, 0.2],
  [ProcedurePriority.Stat, 0.05],
];
const elective: DemoStudyKind['priorities'] = [
  [ProcedurePriority.Routine, 0.92],
  [ProcedurePriority.High, 0.08],
];

/**
 * A general network's mix: plain films and CT dominate; stroke CTs come from the spokes and are nearly
 * all STAT; MR brain and knee give the neuro and MSK pools work; priorities mostly routine.
 */
export const DEFAULT_DEMO_MIX: readonly DemoStudyKind[] = [
  {
    id: 'ct-head-stroke',
    protocol: 'ct-head',
    pathway: 'stroke',
    weight: 6,
    siteRoles: [SiteRole.Spoke],
    priorities: [
      [ProcedurePriority.Stat, 0.85],
      [ProcedurePriority.High, 0.15],
    ],
  },
  {
    id: 'ct-head',
    protocol: 'ct-head',
    weight: 6,
    priorities: [
      [ProcedurePriority.Routine, 0.5],
      [ProcedurePriority.High, 0.4],
      [ProcedurePriority.Stat, 0.1],
    ],
  },
  { id: 'ct-chest', protocol: 'ct-chest', weight: 10, priorities: usual },
  { id: 'ct-abdomen-pelvis', protocol: 'ct-abdomen-pelvis', weight: 10, priorities: usual },
  { id: 'mr-brain', protocol: 'mr-brain', weight: 9, priorities: elective },
  { id: 'mr-knee', protocol: 'mr-knee', weight: 8, priorities: elective },
  { id: 'cr-chest', protocol: 'cr-chest-2v', weight: 18, priorities: usual },
  {
    id: 'cr-chest-portable',
    protocol: 'cr-chest-ap',
    weight: 8,
    priorities: [
      [ProcedurePriority.Routine, 0.5],
      [ProcedurePriority.High, 0.4],
      [ProcedurePriority.Stat, 0.1],
    ],
  },
  { id: 'us-abdomen', protocol: 'us-abdomen', weight: 12, priorities: usual },
];

/** A drawn arrival: which kind of study, from which site, how urgent. */
export interface DemoArrival {
  kind: DemoStudyKind;
  site: SyntheticSite;
  priority: ProcedurePriority;
}

/**
 * Draws the next study of the mix. Kinds limited to site roles the network lacks fall back to any site,
 * so a network without spokes still gets stroke CTs.
 */
export function drawDemoArrival(
  rng: Rng,
  sites: readonly SyntheticSite[],
  mix: readonly DemoStudyKind[] = DEFAULT_DEMO_MIX,
): DemoArrival {
  const kind = rng.weighted(mix.map((k) => [k, k.weight] as const));
  const fitting = kind.siteRoles ? sites.filter((s) => kind.siteRoles!.includes(s.role)) : sites;
  const site = rng.pick(fitting.length > 0 ? fitting : sites);
  const priority = rng.weighted(kind.priorities);
  return { kind, site, priority };
}

/** Milliseconds to the next arrival of a Poisson process with this rate: exponential, mean 1/rate. */
export function interArrivalMs(rng: Rng, studiesPerHour: number): number {
  const meanMs = 3_600_000 / studiesPerHour;
  return Math.max(1, Math.round(-Math.log(1 - rng.float()) * meanMs));
}

/** What the streamer tells listeners and logs about one study: counts and site, never the patient. */
export interface DemoStudySent {
  siteId: string;
  aeTitle: string;
  kindId: string;
  modality: string;
  priority: ProcedurePriority;
  pathway?: string;
  studyUid: string;
  instances: number;
  succeeded: number;
  failed: number;
  /** Set when the association failed (StoreScuError code, or the error's name). */
  errorCode?: string;
}

export interface DemoStreamerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface DemoStreamerOptions {
  host: string;
  port: number;
  /** Confer's AE title. */
  calledAe: string;
  /** The demo sites; each study is sent from its site's AE title. Default DEFAULT_SITES. */
  sites?: readonly SyntheticSite[];
  /** Mean arrival rate; gaps between studies are exponential (seeded). */
  studiesPerHour: number;
  /**
   * Every `everyMinutes`, `studies` more studies from one site at once (a trauma call, a modality
   * flushing its queue after an outage): the site `siteId`, or one drawn each time.
   */
  burst?: { everyMinutes: number; studies: number; siteId?: string };
  seed: string | number;
  /** Study times are its now. Default the system clock. */
  clock?: Clock;
  /** Default the process's timers. */
  scheduler?: Scheduler;
  /** Pixel size of the studies (StudySpec small/tiny). Default 'small'. */
  size?: 'tiny' | 'small' | 'full';
  mix?: readonly DemoStudyKind[];
  /** Studies waiting to be sent beyond this are dropped (and counted): a down peer must not grow memory. */
  maxQueuedStudies?: number;
  /** Per association: connect, each response, release. Default 30 000. */
  timeoutMs?: number;
  logger?: DemoStreamerLogger;
  /** Sends one study; default: storeInstances over one association from the study's site AE title. */
  send?: (study: SyntheticStudy) => Promise<StoreBatchResult>;
}

/** Counts since start. */
export interface DemoStreamerStats {
  planned: number;
  sent: number;
  /** Studies whose association failed, or with an instance refused. */
  failed: number;
  /** Dropped because the queue was full. */
  dropped: number;
  instances: number;
}

const silent: DemoStreamerLogger = { info() {}, warn() {} };

/**
 * Streams synthetic studies into a DICOM peer. `start()` schedules arrivals; studies are sent one at a time
 * in arrival order; `stop()` cancels what is scheduled and queued and waits for the send in flight.
 */
export class DemoStreamer {
  private readonly options: DemoStreamerOptions;
  private readonly sites: readonly SyntheticSite[];
  private readonly mix: readonly DemoStudyKind[];
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly logger: DemoStreamerLogger;
  private readonly rng: Rng;
  private readonly maxQueued: number;
  private readonly queue: { study: SyntheticStudy; kind: DemoStudyKind }[] = [];
  private readonly listeners = new Set<(event: DemoStudySent) => void>();
  private idleWaiters: (() => void)[] = [];
  private arrivalTimer: unknown = null;
  private burstTimer: unknown = null;
  private sending: Promise<void> | null = null;
  private running = false;
  private readonly counts: DemoStreamerStats = { planned: 0, sent: 0, failed: 0, dropped: 0, instances: 0 };

  constructor(options: DemoStreamerOptions) {
    if (!(Number.isFinite(options.studiesPerHour) && options.studiesPerHour > 0)) {
      throw new RangeError(`studiesPerHour must be a positive number, not ${options.studiesPerHour}`);
    }
    if (options.burst && !(options.burst.everyMinutes > 0 && options.burst.studies >= 1)) {
      throw new RangeError('burst needs everyMinutes > 0 and studies >= 1');
    }
    this.options = options;
    this.sites = options.sites ?? DEFAULT_SITES;
    if (this.sites.length === 0) throw new RangeError('the demo streamer needs at least one site');
    if (options.burst?.siteId && !this.sites.some((s) => s.id === options.burst!.siteId)) {
      throw new RangeError(`burst site "${options.burst.siteId}" is not one of the sites`);
    }
    this.mix = options.mix ?? DEFAULT_DEMO_MIX;
    this.clock = options.clock ?? systemClock;
    this.scheduler = options.scheduler ?? realScheduler;
    this.logger = options.logger ?? silent;
    this.rng = new Rng(`demo-stream:${options.seed}`);
    this.maxQueued = options.maxQueuedStudies ?? 20;
  }

  /** Starts scheduling arrivals (and bursts). Throws when already running. */
  start(): void {
    if (this.running) throw new Error('the demo streamer is already running');
    this.running = true;
    this.scheduleArrival();
    if (this.options.burst) this.scheduleBurst();
    this.logger.info(
      {
        sites: this.sites.length,
        studiesPerHour: this.options.studiesPerHour,
        burst: this.options.burst ?? null,
        size: this.options.size ?? 'small',
      },
      'demo streamer started',
    );
  }

  /** Cancels scheduled arrivals and queued studies, then waits for the study being sent, if any. */
  async stop(): Promise<void> {
    if (this.running) {
      this.running = false;
      this.scheduler.clearTimeout(this.arrivalTimer);
      this.scheduler.clearTimeout(this.burstTimer);
      this.arrivalTimer = null;
      this.burstTimer = null;
      this.queue.length = 0;
      this.logger.info({ ...this.counts }, 'demo streamer stopping');
    }
    await this.sending;
  }

  /** Resolves once nothing is queued or being sent (at once if so already). */
  whenIdle(): Promise<void> {
    if (!this.sending && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Calls `listener` after each study's send; returns the unsubscribe. */
  onStudySent(listener: (event: DemoStudySent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get stats(): DemoStreamerStats {
    return { ...this.counts };
  }

  get isRunning(): boolean {
    return this.running;
  }

  private scheduleArrival(): void {
    const delayMs = interArrivalMs(this.rng, this.options.studiesPerHour);
    this.arrivalTimer = this.scheduler.setTimeout(() => {
      if (!this.running) return;
      this.enqueue(drawDemoArrival(this.rng, this.sites, this.mix));
      this.scheduleArrival();
    }, delayMs);
  }

  private scheduleBurst(): void {
    const burst = this.options.burst!;
    this.burstTimer = this.scheduler.setTimeout(() => {
      if (!this.running) return;
      const site = burst.siteId ? this.sites.find((s) => s.id === burst.siteId)! : this.rng.pick(this.sites);
      this.logger.info({ siteId: site.id, studies: burst.studies }, 'demo burst');
      for (let i = 0; i < burst.studies; i++) {
        const arrival = drawDemoArrival(this.rng, [site], this.mix);
        this.enqueue(arrival);
      }
      this.scheduleBurst();
    }, burst.everyMinutes * 60_000);
  }

  private enqueue(arrival: DemoArrival): void {
    const size = this.options.size ?? 'small';
    const study = planStudy(
      {
        site: arrival.site,
        studyDateTime: this.clock.now(),
        protocol: arrival.kind.protocol,
        ...(arrival.kind.pathway ? { pathway: arrival.kind.pathway } : {}),
        priority: arrival.priority,
        ...(size === 'tiny' ? { tiny: true } : size === 'small' ? { small: true } : {}),
      },
      this.rng,
    );
    this.counts.planned++;
    if (this.queue.length >= this.maxQueued) {
      this.counts.dropped++;
      this.logger.warn(
        {
          siteId: arrival.site.id,
          kind: arrival.kind.id,
          queued: this.queue.length,
          dropped: this.counts.dropped,
        },
        'demo study dropped: the send queue is full (is the peer slow or down?)',
      );
      return;
    }
    this.queue.push({ study, kind: arrival.kind });
    this.sending ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        await this.sendOne(next.study, next.kind);
      }
    } finally {
      this.sending = null;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async sendOne(study: SyntheticStudy, kind: DemoStudyKind): Promise<void> {
    const started = performance.now();
    const event: DemoStudySent = {
      siteId: study.site.id,
      aeTitle: study.site.aeTitle,
      kindId: kind.id,
      modality: study.modalitiesInStudy[0] ?? '',
      priority: study.priority ?? ProcedurePriority.Routine,
      ...(study.pathway ? { pathway: study.pathway } : {}),
      studyUid: study.studyUid,
      instances: study.instanceCount,
      succeeded: 0,
      failed: 0,
    };
    try {
      const result = await (this.options.send ?? ((s) => this.sendOverDicom(s)))(study);
      event.succeeded = result.succeeded + result.warnings;
      event.failed = result.failed.length;
    } catch (err) {
      event.errorCode = err instanceof StoreScuError ? err.code : err instanceof Error ? err.name : 'unknown';
      event.failed = study.instanceCount - event.succeeded;
    }
    this.counts.instances += event.succeeded;
    if (event.failed > 0 || event.errorCode) this.counts.failed++;
    else this.counts.sent++;
    // Counts, site and kind only: names, patient IDs and accession numbers stay out of the logs.
    const fields = {
      siteId: event.siteId,
      aeTitle: event.aeTitle,
      kind: event.kindId,
      modality: event.modality,
      priority: event.priority,
      instances: event.instances,
      succeeded: event.succeeded,
      failed: event.failed,
      ms: Math.round(performance.now() - started),
    };
    if (event.errorCode || event.failed > 0) {
      this.logger.warn({ ...fields, code: event.errorCode ?? null }, 'demo study not fully stored');
    } else this.logger.info(fields, 'demo study sent');
    for (const listener of this.listeners) listener(event);
  }

  private sendOverDicom(study: SyntheticStudy): Promise<StoreBatchResult> {
    const contexts = contextsFor(
      study.sopClassesInStudy.map((sopClassUid) => ({
        sopClassUid,
        transferSyntaxUid: study.transferSyntaxUid,
      })),
    );
    function* instances(): Generator<InstanceToStore> {
      for (const i of study.instances()) yield part10Instance(i.part10);
    }
    return storeInstances(
      {
        host: this.options.host,
        port: this.options.port,
        callingAe: study.site.aeTitle,
        calledAe: this.options.calledAe,
        contexts,
        ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
      },
      instances(),
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// node packages/server/src/demo/streamer.ts [--host H] [--port N] [--called-ae AE] [--studies-per-hour N]
//   [--seed S] [--size tiny|small|full] [--burst-every-minutes N --burst-studies N [--burst-site ID]]

const USAGE = `usage: node packages/server/src/demo/streamer.ts [--host 127.0.0.1] [--port 11112] [--called-ae CONFER]
       [--studies-per-hour 60] [--seed S] [--size tiny|small|full]
       [--burst-every-minutes N --burst-studies N [--burst-site SITE_ID]]
Sends synthetic studies from the demo sites' AE titles (${DEFAULT_SITES.map((s) => s.aeTitle).join(', ')}) until Ctrl-C.`;

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '11112' },
      'called-ae': { type: 'string', default: 'CONFER' },
      'studies-per-hour': { type: 'string', default: '60' },
      seed: { type: 'string' },
      size: { type: 'string', default: 'small' },
      'burst-every-minutes': { type: 'string' },
      'burst-studies': { type: 'string' },
      'burst-site': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const size = v.size as 'tiny' | 'small' | 'full';
  if (!['tiny', 'small', 'full'].includes(size)) throw new RangeError(`--size must be tiny, small or full`);
  const burst =
    v['burst-every-minutes'] !== undefined
      ? {
          everyMinutes: Number(v['burst-every-minutes']),
          studies: Number(v['burst-studies'] ?? 5),
          ...(v['burst-site'] ? { siteId: v['burst-site'] } : {}),
        }
      : undefined;
  const log = (level: string) => (obj: object, msg: string) =>
    process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), msg, ...obj })}\n`);
  const streamer = new DemoStreamer({
    host: v.host,
    port: Number(v.port),
    calledAe: v['called-ae'],
    studiesPerHour: Number(v['studies-per-hour']),
    // Without a seed, every run streams different studies; with one, the same sequence.
    seed: v.seed ?? `run-${Date.now()}`,
    size,
    ...(burst ? { burst } : {}),
    logger: { info: log('info'), warn: log('warn') },
  });
  streamer.start();
  const stop = () => {
    streamer.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.main) {
  main().catch((err: Error) => {
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    process.exit(2);
  });
}
