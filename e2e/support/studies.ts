// Storing synthetic images into a browser test's Confer the way a modality's C-STORE lands: through the
// ingest service, as the site's AE, so the studies become cases exactly as they would in production.

import type { ConferHandle } from '../../packages/server/src/main.ts';
import type { SyntheticSite } from '../../packages/server/src/synthetic/index.ts';

/** Stores one Part 10 instance as sent by `site`'s modality; throws with Confer's reason if refused. */
export async function storeFromModality(
  confer: ConferHandle,
  site: SyntheticSite,
  part10: Uint8Array,
): Promise<void> {
  const out = await confer.ingest.store({
    body: [part10],
    framing: 'part10',
    actor: { kind: 'ae', id: site.aeTitle, name: site.aeTitle, roles: ['modality'], siteId: site.id },
    origin: { protocol: 'cli', remoteAddress: 'e2e' },
  });
  if (!out.ok) throw new Error(`storing the study failed: ${out.reason}`);
}
