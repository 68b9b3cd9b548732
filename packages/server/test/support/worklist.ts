import { join } from 'node:path';
import { ManualClock, type RoutingConfig } from '@confer/core';
import { type ConferConfig, loadConfig } from '../../src/config/config.ts';
import { type ConferHandle, type StartOptions, startConfer } from '../../src/main.ts';
import { DEFAULT_SITES, planStudy, Rng } from '../../src/synthetic/index.ts';
import type { StoreCase } from './stores.ts';

export const HUB = DEFAULT_SITES[0]!; // northvale-hub, Europe/London, GB-ENG
export const SPOKE = DEFAULT_SITES[2]!; // brightwater, America/New_York, US-NY

/**
 * A small routing network for tests: a London hub and a New York spoke; Ada (neuro, licensed in England only),
 * Ben (licensed in New York) and Cy (England, one case at a time), all on a shift that covers every hour.
 */
export function testRoutingConfig(overrides: Partial<RoutingConfig> = {}): RoutingConfig {
  const always = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
  return {
    sites: [
      { id: HUB.id, name: HUB.name, timeZone: HUB.timeZone, jurisdiction: HUB.jurisdiction, kind: 'hub' },
      {
        id: SPOKE.id,
        name: SPOKE.name,
        timeZone: SPOKE.timeZone,
        jurisdiction: SPOKE.jurisdiction,
        kind: 'spoke',
        hubId: HUB.id,
      },
    ],
    partners: [],
    readers: [
      {
        id: 'r-ada',
        name: 'Dr Ada Quill',
        username: 'ada',
        subspecialties: ['neuro', 'general'],
        modalities: ['CT', 'MR', 'CR', 'US', 'SR'],
        licences: [{ jurisdiction: 'GB-ENG', validFrom: '2020-01-01' }],
        privileges: [
          { siteId: HUB.id, validFrom: '2020-01-01' },
          { siteId: SPOKE.id, validFrom: '2020-01-01' },
        ],
        maxConcurrent: 5,
      },
      {
        id: 'r-ben',
        name: 'Dr Ben Marsh',
        username: 'ben',
        subspecialties: ['general'],
        modalities: ['CT', 'MR', 'CR', 'US', 'SR'],
        licences: [
          { jurisdiction: 'US-NY', validFrom: '2020-01-01' },
          { jurisdiction: 'GB-ENG', validFrom: '2020-01-01' },
        ],
        privileges: [
          { siteId: HUB.id, validFrom: '2020-01-01' },
          { siteId: SPOKE.id, validFrom: '2020-01-01' },
        ],
        maxConcurrent: 5,
      },
      {
        id: 'r-cy',
        name: 'Dr Cy Fenn',
        username: 'cy',
        subspecialties: ['general'],
        modalities: ['CT', 'MR', 'CR', 'US', 'SR'],
        licences: [{ jurisdiction: 'GB-ENG', validFrom: '2020-01-01' }],
        privileges: [{ siteId: HUB.id, validFrom: '2020-01-01' }],
        maxConcurrent: 1,
      },
    ],
    shifts: [
      {
        id: 'round-the-clock',
        name: 'Round the clock',
        timeZone: 'Europe/London',
        days: [...always],
        start: '00:00',
        end: '00:00',
        covers: {},
      },
    ],
    rosters: [
      { readerId: 'r-ada', shiftId: 'round-the-clock', from: '2020-01-01' },
      { readerId: 'r-ben', shiftId: 'round-the-clock', from: '2020-01-01' },
      { readerId: 'r-cy', shiftId: 'round-the-clock', from: '2020-01-01' },
    ],
    pools: [{ id: 'neuro', name: 'Neuroradiology', readerIds: ['r-ada'] }],
    rules: [
      {
        id: 'stroke-pathway',
        name: 'Stroke protocol sets the stroke pathway',
        kind: 'modify',
        when: { procedures: ['stroke'] },
        then: { setPathway: 'stroke', raisePriority: 'stat' },
      },
      {
        id: 'stroke-to-neuro',
        name: 'Stroke to the neuro pool',
        when: { pathways: ['stroke'] },
        then: { target: { kind: 'pool', poolId: 'neuro' }, strategy: 'balanced' },
      },
      {
        id: 'shared',
        name: 'Everything else on the shared worklist',
        when: {},
        then: { target: { kind: 'covering-shifts', scope: 'any' }, strategy: 'pool' },
      },
    ],
    sla: {
      classes: [
        {
          id: 'stat',
          name: 'STAT',
          targets: [{ from: 'available', to: 'final', minutes: 60 }],
          escalation: [
            { atFraction: 0.5, action: 'alert' },
            { atFraction: 0.75, action: 'notify-supervisor' },
          ],
        },
        {
          id: 'routine',
          name: 'Routine',
          targets: [{ from: 'available', to: 'final', minutes: 1440 }],
          escalation: [{ atFraction: 0.75, action: 'alert' }],
        },
      ],
      byPriority: { stat: 'stat', urgent: 'stat', routine: 'routine' },
    },
    workWeights: { CT: 2, MR: 3, CR: 0.5 },
    ...overrides,
  };
}

export interface WorklistBed {
  confer: ConferHandle;
  clock: ManualClock;
  /** Stores a tiny synthetic study from a site and returns its Study Instance UID. */
  storeStudy(options?: {
    site?: (typeof DEFAULT_SITES)[number];
    protocol?: string;
    seed?: string;
  }): Promise<string>;
  /** Stores a study and runs the clockwork so its case exists and is routed; returns the case id. */
  newCase(options?: Parameters<WorklistBed['storeStudy']>[0]): Promise<string>;
  /** An API token for a user (created on first use) with these roles. */
  token(username: string, roles: string[]): Promise<string>;
  close(): Promise<void>;
}

let seedCounter = 0;

/**
 * Confer with the worklist on one store case: manual clock, no timers (tests call `confer.tick()`), quiet
 * period 0 (a study is complete at the next tick), and the test routing network live.
 */
export async function startWorklistBed(
  env: { dataDir: string; databaseUrl: string | undefined },
  options: {
    routing?: RoutingConfig | null;
    clock?: ManualClock;
    node?: string;
    /** Further configuration, e.g. `critical`. */
    config?: Partial<ConferConfig>;
    reportOutbox?: StartOptions['reportOutbox'];
  } = {},
): Promise<WorklistBed> {
  const clock = options.clock ?? new ManualClock('2026-03-10T14:00:00Z');
  const config = loadConfig(
    { CONFER_DATA_DIR: join(env.dataDir, options.node ?? 'confer') },
    {
      httpPort: 0,
      dicomPort: 0,
      logLevel: 'silent',
      adminPassword: 'first-admin-password',
      databaseUrl: env.databaseUrl,
      studyQuietPeriodMs: 0,
      claimLeaseMs: 120_000,
      sites: DEFAULT_SITES.map((s) => ({
        id: s.id,
        name: s.name,
        aeTitles: [s.aeTitle],
        timeZone: s.timeZone,
        jurisdiction: s.jurisdiction,
      })),
      ...options.config,
    },
  );
  const confer = await startConfer(config, {
    clock,
    completionTimer: false,
    ...(options.reportOutbox ? { reportOutbox: options.reportOutbox } : {}),
  });
  if (options.routing !== null && !confer.routing.current())
    await confer.routing.save(options.routing ?? testRoutingConfig(), 'test');
  const tokens = new Map<string, string>();
  const bed: WorklistBed = {
    confer,
    clock,
    async storeStudy(o = {}) {
      const site = o.site ?? HUB;
      const study = planStudy(
        { site, studyDateTime: clock.now(), protocol: o.protocol ?? 'cr-chest-ap', tiny: true, slices: 2 },
        new Rng(o.seed ?? `worklist-${process.pid}-${seedCounter++}`),
      );
      for (const i of study.instances()) {
        const out = await confer.ingest.store({
          body: [i.part10],
          framing: 'part10',
          actor: { kind: 'ae', id: site.aeTitle, name: site.aeTitle, roles: ['modality'], siteId: site.id },
          origin: { protocol: 'cli', remoteAddress: 'test' },
        });
        if (!out.ok) throw new Error(out.reason);
      }
      return study.studyUid;
    },
    async newCase(o) {
      const uid = await bed.storeStudy(o);
      await confer.tick();
      const row = await confer.store.db
        .selectFrom('cases')
        .select('id')
        .where('study_uid', '=', uid)
        .executeTakeFirstOrThrow();
      return row.id;
    },
    async token(username, roles) {
      const known = tokens.get(username);
      if (known) return known;
      try {
        await confer.access.getUser(username);
      } catch {
        await confer.access.createUser({ username, password: `${username}-password-1`, roles });
      }
      const t = await confer.access.createToken({ name: 'test', username });
      tokens.set(username, t.token);
      return t.token;
    },
    close: () => confer.close({ graceMs: 1000 }),
  };
  return bed;
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

export type { StoreCase };
