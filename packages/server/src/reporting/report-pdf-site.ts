import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { ReportLayoutOptions } from './report-pdf-text.ts';

/** The site's name and time zone for a printed report (dates are shown in the zone that owns the case). */
export async function siteLayout(
  db: Kysely<Database>,
  siteId: string | undefined,
): Promise<ReportLayoutOptions> {
  if (!siteId) return {};
  const site = await db
    .selectFrom('sites')
    .select(['name', 'time_zone'])
    .where('id', '=', siteId)
    .executeTakeFirst();
  return site ? { siteName: site.name, timeZone: site.time_zone } : { siteName: siteId };
}
