import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migration-context.ts';

/**
 * Tables for in-app notifications (mentions, consults, critical results, peer review, boards).
 * The migration below creates them; once released it is never edited (add a new file and entry instead).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in as the feature's tables are added
export interface NotificationsTables {}

export async function migrateNotifications(_db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {}
