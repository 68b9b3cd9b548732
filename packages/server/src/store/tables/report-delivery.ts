import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migration-context.ts';

/**
 * Tables for HL7 v2 / FHIR / PDF delivery of signed reports: destinations, outbox, attempts.
 * The migration below creates them; once released it is never edited (add a new file and entry instead).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in as the feature's tables are added
export interface ReportDeliveryTables {}

export async function migrateReportDelivery(_db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {}
