import type { Clock } from '@confer/core';
import { Role } from '@confer/core';
import type { Actor } from '../archive/ports.ts';
import { seedDemoReviewAndBoard } from '../boards/demo-seed.ts';
import type { SiteConfig } from '../config/config.ts';
import { type CriticalConfig, validateCriticalConfig } from '../critical/critical-config.ts';
import { demoReaderUsers, demoRoutingConfig } from '../demo/network.ts';
import type { ConferHandle } from '../main.ts';
import { STARTER_TEMPLATES } from '../reporting/starter-templates.ts';
import { DEFAULT_SITES, planCohort } from '../synthetic/index.ts';

/** The demo network: the synthetic hub and spokes, each known by its modalities' AE title. */
export function demoSites(): SiteConfig[] {
  return DEFAULT_SITES.map((s) => ({
    id: s.id,
    name: s.name,
    aeTitles: [s.aeTitle],
    timeZone: s.timeZone,
    jurisdiction: s.jurisdiction,
  }));
}

/**
 * On an empty archive, stores a small cohort of synthetic studies from the demo sites (with priors), so a
 * newcomer sees data at once. Returns how many studies and instances it stored; 0 when the archive had data.
 */
export async function seedDemoStudies(
  confer: ConferHandle,
  clock: Clock,
  options: { studies?: number; slices?: number } = {},
): Promise<{ studies: number; instances: number }> {
  const existing = await confer.store.db.selectFrom('studies').select('id').limit(1).executeTakeFirst();
  if (existing) return { studies: 0, instances: 0 };
  const from = new Date(clock.now().getTime() - 14 * 86_400_000);
  const cohort = planCohort({
    studies: options.studies ?? 12,
    seed: 'confer-demo',
    from,
    spanDays: 14,
    slices: options.slices ?? 24,
  });
  let instances = 0;
  for (const study of cohort) {
    const actor: Actor = {
      kind: 'system',
      id: 'demo',
      name: `demo seeder (as ${study.site.aeTitle})`,
      roles: [Role.Technologist],
      siteId: study.site.id,
    };
    for (const instance of study.instances()) {
      const out = await confer.ingest.store({
        body: [instance.part10],
        framing: 'part10',
        actor,
        origin: { protocol: 'cli', remoteAddress: 'local' },
      });
      if (!out.ok) throw new Error(`demo seeding failed: ${out.reason}`);
      instances++;
    }
  }
  return { studies: cohort.length, instances };
}

/** The demo's people sign in with this password (a demo only: real deployments create their own users). */
export const DEMO_PASSWORD = 'confer-demo';
/** The demo reader left to whoever tries the demo; the other readers are simulated. */
export const DEMO_HUMAN_READER = 'dr.okafor';

/** The demo's clinicians who receive critical results (referrer role, password confer-demo). */
export const DEMO_CLINICIANS = [
  { username: 'dr.clinician', displayName: 'Dr Amara Clinician (referring)' },
  { username: 'dr.backup', displayName: 'Dr Ben Backup (covering)' },
  { username: 'dr.emergency', displayName: 'Dr Eva Emergency (ED department)' },
  { username: 'dr.chief', displayName: 'Dr Chris Chief (clinical supervisor)' },
] as const;

/**
 * The demo's critical-results protocol: dr.clinician is every site's responsible clinician and dr.backup the
 * backup; the ladder goes backup, then the emergency department, then the supervisor. Nothing is sent
 * outside the app: no webhook or SMTP server listens in a demo.
 */
export function demoCriticalConfig(sites: readonly SiteConfig[]): CriticalConfig {
  return validateCriticalConfig({
    deadlineMinutes: { critical: 30, urgent: 240, 'unexpected-significant': 3 * 24 * 60 },
    groups: { 'emergency-department': ['dr.emergency'], supervisors: ['dr.chief'] },
    ladder: [
      { name: 'Backup clinician', afterMinutes: 15, backup: true },
      { name: 'Emergency department', afterMinutes: 15, groups: ['emergency-department'] },
      { name: 'Clinical supervisor', afterMinutes: 15, groups: ['supervisors'] },
    ],
    sites: Object.fromEntries(
      sites.map((s) => [s.id, { defaultClinician: 'dr.clinician', backupClinician: 'dr.backup' }]),
    ),
    defaultClinician: 'dr.clinician',
    backupClinician: 'dr.backup',
  });
}

/**
 * Sets up the demo worklist on a fresh store: the demo routing network as version 1, a user per reader and
 * a coordinator. Returns what it created (nothing when routing was already configured).
 */
export async function seedDemoWorklist(
  confer: ConferHandle,
  clock: Clock,
): Promise<{ routingVersion: number | undefined; users: string[] }> {
  const users: string[] = [];
  await seedDemoTemplates(confer);
  if (confer.routing.current()) return { routingVersion: undefined, users };
  const today = new Date(clock.now().getTime()).toISOString().slice(0, 10);
  const saved = await confer.routing.save(demoRoutingConfig({ today }), 'demo', 'demo network');
  const people = [
    ...demoReaderUsers().map((r) => ({
      username: r.username,
      displayName: r.displayName,
      roles: [Role.Radiologist],
    })),
    { username: 'coordinator', displayName: 'Demo coordinator', roles: [Role.Coordinator] },
    ...DEMO_CLINICIANS.map((c) => ({ ...c, roles: [Role.Referrer] })),
    { username: 'triage-ai', displayName: 'Demo AI triage', roles: [Role.Integration] },
  ];
  for (const p of people) {
    try {
      await confer.access.getUser(p.username);
    } catch {
      await confer.access.createUser({ ...p, password: DEMO_PASSWORD });
      users.push(p.username);
    }
  }
  return { routingVersion: saved.version, users };
}

/** The starter report templates (CT head, CT chest/abdomen, MR brain, chest X-ray, generic), where missing. */
export async function seedDemoTemplates(confer: ConferHandle): Promise<number> {
  let added = 0;
  for (const t of STARTER_TEMPLATES) {
    if (await confer.reports.templates.get(t.id)) continue;
    await confer.reports.templates.save(t, 'demo', 'create');
    added++;
  }
  return added;
}

/**
 * Peer review sampling settings and one upcoming board session for the demo; the returned `fill()` adds two
 * cases to the session once the streamed studies have become cases (serve calls it on its timer).
 */
export function seedDemoBoards(confer: ConferHandle, clock: Clock) {
  return seedDemoReviewAndBoard(
    { db: confer.store.db, peerReview: confer.peerReview, boards: confer.boards },
    clock,
    ['coordinator', DEMO_HUMAN_READER, DEMO_CLINICIANS[0].username],
  );
}
