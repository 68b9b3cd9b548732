import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migration-context.ts';

/**
 * Tables for critical results, their communications and acknowledgement timers.
 * The migration below creates them; once released it is never edited (add a new file and entry instead).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in as the feature's tables are added
export interface CriticalResultsTables {}

export async function migrateCriticalResults(_db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {}
