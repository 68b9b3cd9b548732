import {
  type Actor,
  type IngestService,
  type RequestOrigin,
  StoreFailure,
  type StoreOutcome,
} from '../archive/ports.ts';
import type { AcceptedContext } from './association.ts';
import { type DimseCommand, type DimseResult, Status } from './dimse-message.ts';

/**
 * Maps an ingest outcome to a C-STORE status (PS3.4 B.2.3, and Annex GG's mapping for the same failures
 * over STOW-RS). A duplicate is a success: storing the same instance twice is idempotent.
 */
export function storeStatus(outcome: StoreOutcome): DimseResult {
  if (outcome.ok) return { status: Status.Success };
  const errorComment = outcome.reason;
  switch (outcome.failure) {
    case StoreFailure.OutOfResources:
    case StoreFailure.TooLarge:
      return { status: Status.RefusedOutOfResources, errorComment };
    case StoreFailure.StorageUnavailable:
      // 0xA7xx rather than 0xCxxx: nothing is wrong with the data set, so the peer should retry later.
      return { status: Status.RefusedOutOfResources, errorComment };
    case StoreFailure.MissingAttribute:
    case StoreFailure.UidMismatch:
    case StoreFailure.StudyMismatch:
      return { status: Status.ErrorDataSetDoesNotMatchSopClass, errorComment };
    case StoreFailure.Forbidden:
      return { status: Status.RefusedNotAuthorized, errorComment };
    case StoreFailure.CannotParse:
    case StoreFailure.UnsupportedTransferSyntax:
      return { status: Status.ErrorCannotUnderstand, errorComment };
    default:
      return { status: Status.ErrorCannotUnderstand, errorComment };
  }
}

/** One C-STORE: its command, context, streamed data set and who sends it. */
export interface CStoreRequest {
  command: DimseCommand;
  context: AcceptedContext;
  /** The data set as it arrives; the caller drains whatever the ingest leaves unread. */
  body: AsyncIterable<Uint8Array>;
  actor: Actor;
  origin: RequestOrigin;
}

/**
 * Performs a C-STORE (PS3.4 B.2): checks the command against its presentation context, then streams the
 * data set to the ingest service. Throws only when the ingest does; the caller answers that with 0xC001.
 */
export async function performCStore(ingest: IngestService, req: CStoreRequest): Promise<DimseResult> {
  const { command, context } = req;
  const sopClassUid = command.affectedSopClassUid;
  const sopInstanceUid = command.affectedSopInstanceUid;
  if (sopClassUid !== context.abstractSyntax) {
    // PS3.7 9.1.1.1.2: the Affected SOP Class is the context's abstract syntax; a peer sending another class
    // on this context would have the instance stored under a class it never negotiated.
    return {
      status: Status.RefusedSopClassNotSupported,
      errorComment: `SOP class ${sopClassUid ?? '(none)'} sent on context for ${context.abstractSyntax}`,
    };
  }
  if (!sopInstanceUid) {
    return {
      status: Status.ErrorDataSetDoesNotMatchSopClass,
      errorComment: 'C-STORE-RQ has no Affected SOP Instance UID (0000,1000)',
    };
  }
  const outcome = await ingest.store({
    body: req.body,
    framing: 'dataset',
    transferSyntaxUid: context.transferSyntax,
    sopClassUid,
    sopInstanceUid,
    actor: req.actor,
    origin: req.origin,
  });
  return storeStatus(outcome);
}
