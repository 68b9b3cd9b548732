import type { Transaction } from 'kysely';
import type { Actor, RequestOrigin } from '../archive/ports.ts';
import { DomainError as AppDomainError } from '../http/errors.ts';
import type { Database } from '../store/schema.ts';

/**
 * What peer review and boards need from the rest of Confer, as small ports, so each is wired in the
 * composition root and tests can see what was sent.
 */

/** One in-app notice to some users (the NotificationService's shape). */
export interface NoticeInput {
  usernames: string[];
  kind: string;
  title: string;
  body?: string;
  caseId?: string;
  /** An app fragment, e.g. '#/peer-review'. */
  link?: string;
}

/** Sends in-app notifications; stored inside the caller's transaction when one is passed. */
export interface Notifier {
  notify(input: NoticeInput, trx?: Transaction<Database>): Promise<unknown>;
  /** Pushes what was stored to open browsers; called after the commit. */
  flush?(): Promise<void>;
}

/** The signed report of a case, as a board or a reviewer reads it. */
export interface CaseReportView {
  status: string;
  title?: string;
  /** The report's text, sections joined, as signed. */
  text: string;
  impression?: string;
  signedAt?: string;
  /** Who signed it; left out when peer review hides the original reader. */
  authorName?: string;
}

/** One message of a case's discussion. */
export interface CaseDiscussionEntry {
  at: string;
  author: string;
  text: string;
}

/**
 * Reads what a board (or a reviewer) looks at besides the images: the report and the discussion, as the
 * viewer may see them (their access checks and audit apply). Provided by the reporting and collaboration
 * features; absent parts are shown as "not available". Null when there is nothing the viewer may read.
 */
export interface CaseMaterial {
  report?(viewer: Actor, caseId: string, origin: RequestOrigin): Promise<CaseReportView | null>;
  discussion?(viewer: Actor, caseId: string, origin: RequestOrigin): Promise<CaseDiscussionEntry[] | null>;
}

/**
 * A refusal with an HTTP status, a stable code (CONFER_ERR_...), a title and a sentence that says what to
 * do: the app's domain error with the title peer review and boards give their problems.
 */
export class DomainError extends AppDomainError {
  readonly title: string;
  constructor(
    status: number,
    code: string,
    title: string,
    detail: string,
    extra: Record<string, unknown> = {},
  ) {
    super(status, code, detail, { title, ...extra });
    this.title = title;
  }
}
