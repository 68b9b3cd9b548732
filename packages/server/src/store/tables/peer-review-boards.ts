import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migration-context.ts';

/**
 * Tables for peer review assignments and scores; MDT / tumour board sessions, members, cases and outcomes.
 * The migration below creates them; once released it is never edited (add a new file and entry instead).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in as the feature's tables are added
export interface PeerReviewBoardsTables {}

export async function migratePeerReviewBoards(_db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {}
