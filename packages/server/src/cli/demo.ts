import type { Clock } from '@confer/core';
import { Role } from '@confer/core';
import type { Actor } from '../archive/ports.ts';
import type { SiteConfig } from '../config/config.ts';
import type { ConferHandle } from '../main.ts';
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
