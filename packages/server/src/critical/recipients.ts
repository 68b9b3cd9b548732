import type { CriticalCategory, CriticalChannel, ResponsibleSource, Rung, RungRecipient } from '@confer/core';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';
import { type CriticalConfig, ladderFor } from './critical-config.ts';

/**
 * Who a critical result goes to: the responsible clinician (named by the caller, else the case's referring
 * physician when Confer knows them, else the site's default, else the global default) and the ladder's
 * rungs resolved to usernames, each with the channels that reach them.
 */

type Db = Kysely<Database> | Transaction<Database>;

/** Channels for one person: always in the app; a webhook when configured; e-mail when configured and known. */
export function channelsFor(config: CriticalConfig, username: string): CriticalChannel[] {
  const out: CriticalChannel[] = ['app'];
  if (config.webhook) out.push('webhook');
  if (config.smtp && config.contacts[username]?.email) out.push('email');
  return out;
}

function recipient(config: CriticalConfig, username: string): RungRecipient {
  return { username, channels: channelsFor(config, username) };
}

/** "Lee^Anna^^Dr" (DICOM PN) and "Dr Anna Lee" both become "anna lee" for matching display names. */
function personKey(name: string): string[] {
  const parts = name
    .split('=')[0]!
    .split('^')
    .map((p) => p.trim());
  const [family = '', given = ''] = parts;
  const plain = name.replace(/\^/g, ' ').replace(/\s+/g, ' ').trim().toLowerCase();
  const keys = [plain];
  if (family && given) keys.push(`${given} ${family}`.toLowerCase(), `dr ${given} ${family}`.toLowerCase());
  return keys;
}

async function enabledUser(db: Db, username: string): Promise<boolean> {
  const u = await db
    .selectFrom('users')
    .select('username')
    .where('username', '=', username)
    .where('disabled', '=', 0)
    .executeTakeFirst();
  return Boolean(u);
}

/** The responsible clinician, or undefined when nothing names one (the caller then refuses with a clear error). */
export async function resolveResponsible(
  db: Db,
  config: CriticalConfig,
  c: { studyUid: string; siteId: string | null },
  given: string | undefined,
): Promise<{ username: string; source: ResponsibleSource } | undefined> {
  if (given) return { username: given, source: 'given' };
  const study = await db
    .selectFrom('studies')
    .select('referring_physician')
    .where('study_uid', '=', c.studyUid)
    .executeTakeFirst();
  const referrer = study?.referring_physician?.trim();
  if (referrer) {
    const mapped = config.referrers[referrer];
    if (mapped) return { username: mapped, source: 'case' };
    const keys = personKey(referrer);
    const users = await db
      .selectFrom('users')
      .select(['username', 'display_name', 'roles'])
      .where('disabled', '=', 0)
      .execute();
    const match = users.find(
      (u) =>
        (JSON.parse(u.roles) as string[]).includes('referrer') &&
        (keys.includes(u.username.toLowerCase()) ||
          (u.display_name !== null && keys.includes(u.display_name.toLowerCase()))),
    );
    if (match) return { username: match.username, source: 'case' };
  }
  const site = c.siteId ? config.sites[c.siteId]?.defaultClinician : undefined;
  if (site) return { username: site, source: 'site-default' };
  if (config.defaultClinician) return { username: config.defaultClinician, source: 'default' };
  return undefined;
}

/** The configured rungs for the category, resolved to people; the responsible clinician is left out of them. */
export function resolveLadder(
  config: CriticalConfig,
  category: CriticalCategory,
  siteId: string | null,
  responsible: string,
): Rung[] {
  const backup = (siteId ? config.sites[siteId]?.backupClinician : undefined) ?? config.backupClinician;
  return ladderFor(config, category).map((step) => {
    const names = new Set<string>();
    if (step.backup && backup) names.add(backup);
    for (const u of step.usernames ?? []) names.add(u);
    for (const g of step.groups ?? []) for (const u of config.groups[g] ?? []) names.add(u);
    names.delete(responsible);
    return {
      name: step.name,
      waitMs: step.afterMinutes * 60_000,
      recipients: [...names].map((u) => recipient(config, u)),
    };
  });
}

export { enabledUser, recipient };
