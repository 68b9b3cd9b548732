// Which actions to offer on a case, for the person looking at it. The server decides (and refuses with a
// reason); the browser only avoids offering what would certainly be refused, so the screen stays honest:
// a case in read by someone else shows who has it, not a Claim button.

import { CaseState, type CaseSummary, ExceptionQueue } from './worklist-model.ts';

export const CaseAction = {
  Claim: 'claim',
  Release: 'release',
  Preliminary: 'preliminary',
  Final: 'final',
  Unreadable: 'unreadable',
  Reassign: 'reassign',
  Priority: 'priority',
  Exception: 'exception',
  Resolve: 'resolve',
} as const;
export type CaseAction = (typeof CaseAction)[keyof typeof CaseAction];

export interface Caller {
  /** The caller's reader id in the routing directory, or null when not a reader. */
  readerId: string | null;
  /** Has the radiologist (or admin) role: may claim and report. */
  canRead: boolean;
  /** Has the coordinator (or admin) role: may reassign, reprioritise, handle exceptions. */
  canManage: boolean;
}

const closedStates: readonly string[] = [CaseState.Final, CaseState.Addended, CaseState.Cancelled];

/** Whether the case's claim has run out, so another reader may take it over. */
export function leaseLapsed(c: CaseSummary, nowMs: number): boolean {
  if (c.state !== CaseState.InRead || c.leaseExpiresAt === null) return false;
  const expires = Date.parse(c.leaseExpiresAt);
  return !Number.isNaN(expires) && expires <= nowMs;
}

/**
 * The actions to offer. `eligibleReaderIds`, when known (the case page has them), narrows Claim on a
 * ready case to readers routing made eligible; the worklist only lists such cases to readers anyway.
 */
export function allowedActions(
  c: CaseSummary,
  caller: Caller,
  nowMs: number,
  eligibleReaderIds?: readonly string[],
): Set<CaseAction> {
  const actions = new Set<CaseAction>();
  const you = caller.readerId;
  const reader = caller.canRead && you !== null;
  const mine = reader && c.ownerId === you;

  if (reader) {
    const eligible = eligibleReaderIds === undefined || eligibleReaderIds.includes(you);
    if (c.state === CaseState.Ready && eligible) actions.add(CaseAction.Claim);
    if (c.state === CaseState.Assigned && mine) actions.add(CaseAction.Claim);
    if (c.state === CaseState.InRead && !mine && leaseLapsed(c, nowMs) && eligible)
      actions.add(CaseAction.Claim);
    if (mine && (c.state === CaseState.Assigned || c.state === CaseState.InRead))
      actions.add(CaseAction.Release);
    if (mine && c.state === CaseState.InRead) {
      actions.add(CaseAction.Preliminary);
      actions.add(CaseAction.Final);
      actions.add(CaseAction.Unreadable);
    }
    if (mine && c.state === CaseState.Preliminary) actions.add(CaseAction.Final);
  }

  if (caller.canManage) {
    const inException = c.state === CaseState.Exception;
    if (
      c.state === CaseState.Ready ||
      c.state === CaseState.Assigned ||
      c.state === CaseState.InRead ||
      (inException && c.exception?.queue === ExceptionQueue.Unroutable)
    )
      actions.add(CaseAction.Reassign);
    if (!closedStates.includes(c.state)) actions.add(CaseAction.Priority);
    if (
      c.state === CaseState.Acquiring ||
      c.state === CaseState.Ready ||
      c.state === CaseState.Assigned ||
      c.state === CaseState.InRead
    )
      actions.add(CaseAction.Exception);
    if (inException) actions.add(CaseAction.Resolve);
  }
  return actions;
}

/**
 * Why a reader cannot claim a case they can see, in words for the row, or null when nothing stands in
 * the way (or the reason is not the reader's business, e.g. a closed case).
 */
export function claimBlocker(
  c: CaseSummary,
  caller: Caller,
  nowMs: number,
  nameOf: (id: string) => string,
): string | null {
  // Only a reader could claim; coordinators see the owner in its own column.
  if (!caller.canRead || caller.readerId === null) return null;
  if (c.ownerId === null || c.ownerId === caller.readerId) return null;
  if (c.state === CaseState.InRead && !leaseLapsed(c, nowMs)) return `In read by ${nameOf(c.ownerId)}`;
  if (c.state === CaseState.Assigned) return `Assigned to ${nameOf(c.ownerId)}`;
  if (c.state === CaseState.Preliminary) return `Preliminary by ${nameOf(c.ownerId)}`;
  return null;
}
