import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';

/** What discussion and consults ask the notification service to tell people (no patient identifiers). */
export interface NotifyInput {
  usernames: readonly string[];
  kind: string;
  title: string;
  body?: string;
  caseId?: string;
  /** An app fragment, e.g. '#/cases/C-1'. */
  link?: string;
}

/**
 * The slice of the in-app NotificationService this feature uses: a row per recipient written in the
 * caller's transaction, pushed to browsers by `flush()` once it has committed.
 */
export interface Notifier {
  notify(input: NotifyInput, trx?: Transaction<Database>): Promise<unknown>;
  flush(): Promise<void>;
}
