import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migration-context.ts';

/**
 * Tables for viewer annotations and measurements saved per case.
 * The migration below creates them; once released it is never edited (add a new file and entry instead).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in as the feature's tables are added
export interface AnnotationsTables {}

export async function migrateAnnotations(_db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {}
