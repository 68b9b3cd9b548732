import { type Generated, type Kysely, sql } from 'kysely';
import type { MigrationContext } from '../migration-context.ts';

/**
 * Tables for in-app notifications (mentions, consults, critical results, peer review, boards): one row per
 * recipient, so reading one's own is an index range and marking read touches one row.
 */
export interface NotificationsTables {
  notifications: NotificationsTable;
}

export interface NotificationsTable {
  id: Generated<number>;
  /** The recipient's user name (users.username). */
  username: string;
  /** What it is about, e.g. 'mention', 'consult', 'critical-result'. */
  kind: string;
  title: string;
  body: string | null;
  case_id: string | null;
  /** Where the app goes when it is opened: an app fragment such as '#/cases/C-1'. */
  link: string | null;
  created_at: number;
  read_at: number | null;
}

export async function migrateNotifications(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await sql`create table notifications (
    id ${ctx.id}, username text not null, kind text not null, title text not null, body text, case_id text,
    link text, created_at ${ctx.big} not null, read_at ${ctx.big})`.execute(db);
  await sql`create index notifications_user on notifications (username, id)`.execute(db);
  await sql`create index notifications_unread on notifications (username, read_at)`.execute(db);
}
