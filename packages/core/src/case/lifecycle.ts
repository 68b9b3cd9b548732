import { type Priority, priorityRank } from '../routing/model.ts';
import {
  type CaseCommand,
  type CaseDecision,
  CaseErrorCode,
  type CaseEvent,
  CaseEventType,
  type CaseSnapshot,
  CaseState,
  ExceptionQueue,
} from './model.ts';

/**
 * The case lifecycle as a decider. `decideCase` is the only place that says no; `evolveCase` trusts its
 * events and only folds them. Both are pure, so the server can run them inside its transaction and store
 * the result with a conditional update on `version`.
 *
 * The owner invariant: `ownerId` is set exactly when the state is one of `caseStatesWithOwner` (assigned,
 * in-read, preliminary), and `leaseExpiresAt` exactly when the state is in-read. A final case has no owner:
 * the finalizing reader is in the `case:finalized` event, and per-reader load counts only open work.
 */

/** A refusal: a stable code, a message that says what to do, and who holds the case if someone does. */
export type CaseRefusal = Extract<CaseDecision, { ok: false }>;

/** The result of `applyCaseCommand`: the new snapshot and the events that made it, or a refusal. */
export type CaseApplied = { ok: true; snapshot: CaseSnapshot; events: CaseEvent[] } | CaseRefusal;

/** States in which a case has exactly one owner; in every other state `ownerId` is null. */
export const caseStatesWithOwner: readonly CaseState[] = [
  CaseState.Assigned,
  CaseState.InRead,
  CaseState.Preliminary,
];

/** States nothing leaves except by an addendum; the case is off every worklist. */
export const closedCaseStates: readonly CaseState[] = [
  CaseState.Final,
  CaseState.Addended,
  CaseState.Cancelled,
];

const allStates: readonly CaseState[] = Object.values(CaseState);
const openStates = allStates.filter((s) => !closedCaseStates.includes(s));

type Targets = Partial<Record<CaseState, readonly CaseState[]>>;

/** Each listed state maps to itself: the command is accepted there and never moves the case. */
function stays(states: readonly CaseState[]): Targets {
  return Object.fromEntries(states.map((s) => [s, [s]]));
}

/** Each listed state may lead to the same targets. */
function leads(states: readonly CaseState[], to: readonly CaseState[]): Targets {
  return Object.fromEntries(states.map((s) => [s, to]));
}

/**
 * The transition table: for each command, the states it is accepted in and the states it may lead to.
 * A state missing from a command's row refuses the command whoever asks. Who may ask (the owner, an
 * eligible reader, anyone) is the command's guard in `decideCase`; the property tests check every
 * accepted command against this table.
 */
export const caseTransitions: Readonly<Record<CaseCommand['type'], Targets>> = {
  // Images keep arriving after completion and after reporting; that must never fail an adapter.
  'images-arrived': { ...stays(allStates), scheduled: ['acquiring'] },
  'study-complete': { ...stays(allStates), scheduled: ['ready'], acquiring: ['ready'] },
  // Never from in-read: ownership follows the reader, so routing does not pull a case out of a read.
  route: leads(['ready', 'assigned'], ['assigned', 'ready', 'exception']),
  claim: { ready: ['in-read'], assigned: ['in-read'], 'in-read': ['in-read'] },
  heartbeat: { 'in-read': ['in-read'] },
  release: { assigned: ['ready'], 'in-read': ['ready'] },
  'expire-lease': { 'in-read': ['ready'] },
  // A coordinator's power: it works on a case in read, and on the unroutable queue (the guard checks which).
  reassign: {
    ...leads(['ready', 'assigned', 'exception'], ['assigned', 'ready']),
    'in-read': ['assigned', 'ready', 'in-read'],
  },
  preliminary: { 'in-read': ['preliminary'] },
  finalize: { 'in-read': ['final'], preliminary: ['final'] },
  addend: { final: ['addended'], addended: ['addended'] },
  cancel: leads(openStates, ['cancelled']),
  'raise-exception': leads(['acquiring', 'ready', 'assigned', 'in-read'], ['exception']),
  'resolve-exception': { exception: ['ready'] },
  'mark-unreadable': { 'in-read': ['exception'] },
  reprioritise: stays(openStates),
  broaden: stays(['ready', 'assigned']),
  // A critical result is communicated whatever the case's state, usually after it is final.
  'record-critical': stays(allStates),
};

const verbs: Record<CaseCommand['type'], string> = {
  'images-arrived': 'record images for',
  'study-complete': 'complete the study of',
  route: 'route',
  claim: 'claim',
  heartbeat: 'renew the lease on',
  release: 'release',
  'expire-lease': 'expire the lease on',
  reassign: 'reassign',
  preliminary: 'issue a preliminary report on',
  finalize: 'finalize',
  addend: 'add an addendum to',
  cancel: 'cancel',
  'raise-exception': 'raise an exception on',
  'resolve-exception': 'resolve an exception on',
  'mark-unreadable': 'mark unreadable',
  reprioritise: 'reprioritise',
  broaden: 'broaden',
  'record-critical': 'record a critical result communication on',
};

/**
 * A case as it is created from an order or a first image: version 0, nobody owns it, nobody may read it
 * yet. Routing starts once the study is complete.
 */
export function newCase(
  id: string,
  init: { priority: Priority; pathway?: string; state?: 'scheduled' | 'acquiring' },
): CaseSnapshot {
  return {
    id,
    state: init.state ?? CaseState.Acquiring,
    priority: init.priority,
    ...(init.pathway === undefined ? {} : { pathway: init.pathway }),
    ownerId: null,
    leaseExpiresAt: null,
    eligibleReaderIds: [],
    broadened: false,
    exception: null,
    milestones: {},
    priorityReasons: [],
    version: 0,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function accept(...events: CaseEvent[]): CaseDecision {
  return { ok: true, events };
}

function refuse(code: CaseErrorCode, message: string, ownerId?: string | null, since?: number): CaseRefusal {
  return {
    ok: false,
    code,
    message,
    ...(ownerId == null ? {} : { ownerId }),
    ...(since === undefined ? {} : { since }),
  };
}

/** "in read by r-12 since 2026-…Z", for messages; the since part only when known. */
function heldBy(c: CaseSnapshot): string {
  const how =
    c.state === CaseState.InRead
      ? 'in read by'
      : c.state === CaseState.Preliminary
        ? 'awaiting the final report of'
        : 'assigned to';
  return `${how} ${c.ownerId}${c.stateSince === undefined ? '' : ` since ${iso(c.stateSince)}`}`;
}

function isEligible(c: CaseSnapshot, readerId: string): boolean {
  return c.eligibleReaderIds.includes(readerId);
}

function moreUrgent(a: Priority, b: Priority): boolean {
  return priorityRank[a] < priorityRank[b];
}

/**
 * Routing and reading both presume a complete study; when a coordinator pushes a case past its
 * completion (resolving an incomplete-study exception, assigning it by hand), the available milestone is
 * recorded then, so turnaround spans from it still start.
 */
function availableIfMissing(c: CaseSnapshot, now: number): CaseEvent[] {
  return c.milestones.available === undefined ? [{ type: CaseEventType.Available, at: now }] : [];
}

/** Why a command is not accepted in the case's current state, whoever asks. */
function refuseState(c: CaseSnapshot, command: CaseCommand): CaseRefusal {
  const cannot = `Cannot ${verbs[command.type]} case ${c.id}`;
  const since = c.stateSince;
  if (command.type === 'heartbeat') {
    // A heartbeat from a viewer that lost the case: the code tells the client to stop renewing.
    return refuse(
      CaseErrorCode.NotOwner,
      c.ownerId === null
        ? `${cannot}: it is ${c.state} and not in read by ${command.readerId}; claim it again to keep reading`
        : `${cannot}: it is ${heldBy(c)}, not in read by ${command.readerId}; claim it again to keep reading`,
      c.ownerId,
      since,
    );
  }
  switch (c.state) {
    case CaseState.Final:
    case CaseState.Addended:
      return refuse(
        CaseErrorCode.Closed,
        `${cannot}: it is ${c.state}${since === undefined ? '' : ` since ${iso(since)}`}; add an addendum to change its report`,
        null,
        since,
      );
    case CaseState.Cancelled:
      return refuse(
        CaseErrorCode.Closed,
        `${cannot}: it was cancelled${since === undefined ? '' : ` at ${iso(since)}`}; nothing more can be done with it`,
        null,
        since,
      );
    case CaseState.Exception:
      return refuse(
        CaseErrorCode.InvalidTransition,
        `${cannot}: it is in the ${c.exception?.queue} exception queue (${c.exception?.reason}); a coordinator must resolve the exception first`,
      );
    case CaseState.Scheduled:
    case CaseState.Acquiring:
      return refuse(
        CaseErrorCode.InvalidTransition,
        `${cannot}: its study is not complete yet (${c.state}); wait for the study to complete`,
      );
    case CaseState.InRead:
      return refuse(
        CaseErrorCode.InvalidTransition,
        command.type === 'route'
          ? `${cannot}: it is ${heldBy(c)}, and a case in read is never rerouted; ask the reader to release it or a coordinator to reassign it`
          : `${cannot}: it is ${heldBy(c)}; ask the reader to release it or a coordinator to reassign it`,
        c.ownerId,
        since,
      );
    case CaseState.Preliminary: {
      const owner = c.ownerId;
      if (command.type === 'claim' && command.readerId !== owner) {
        return refuse(
          CaseErrorCode.AlreadyClaimed,
          `Case ${c.id} is ${heldBy(c)}, who issued the preliminary report; only they can finalize it`,
          owner,
          since,
        );
      }
      return refuse(
        CaseErrorCode.InvalidTransition,
        `${cannot}: it is ${heldBy(c)}, who issued the preliminary report; ${owner} finalizes it`,
        owner,
        since,
      );
    }
    default: {
      const from = Object.keys(caseTransitions[command.type]).join(', ');
      const readerOnly = ['preliminary', 'finalize', 'mark-unreadable'].includes(command.type);
      return refuse(
        CaseErrorCode.InvalidTransition,
        readerOnly && (c.state === CaseState.Ready || c.state === CaseState.Assigned)
          ? `${cannot}: it is ${c.state}, not in read; claim it first`
          : `${cannot}: it is ${c.state}; that is possible only when it is ${from}`,
        c.ownerId,
        since,
      );
    }
  }
}

/**
 * Checks a command against the case at `now` and says what happened (events, each at `now`) or why not
 * (a refusal with a stable code and a message that says what to do). Pure: the case is not changed.
 */
export function decideCase(c: CaseSnapshot, command: CaseCommand, now: number): CaseDecision {
  if (caseTransitions[command.type][c.state] === undefined) return refuseState(c, command);
  const cannot = `Cannot ${verbs[command.type]} case ${c.id}`;
  switch (command.type) {
    case 'images-arrived': {
      // An adapter may report arrival late but never early: a future time would break milestone order.
      const at = Math.min(command.at ?? now, now);
      const first =
        c.state === CaseState.Scheduled ||
        (c.state === CaseState.Acquiring && c.milestones.acquired === undefined);
      // Later images are the archive's business; a version per instance would only churn the case.
      return first ? accept({ type: CaseEventType.ImagesArrived, at }) : accept();
    }
    case 'study-complete': {
      if (closedCaseStates.includes(c.state)) return accept();
      const incomplete = c.state === CaseState.Scheduled || c.state === CaseState.Acquiring;
      if (!incomplete && c.milestones.available !== undefined) return accept();
      return accept({
        type: CaseEventType.Available,
        at: now,
        ...(command.acquiredAt === undefined ? {} : { acquiredAt: command.acquiredAt }),
      });
    }
    case 'route': {
      const d = command.decision;
      if (d.caseId !== c.id) {
        return refuse(
          CaseErrorCode.InvalidTransition,
          `${cannot} with a routing decision for case ${d.caseId}`,
        );
      }
      if (d.outcome === 'assigned' && d.assigneeId === undefined) {
        return refuse(
          CaseErrorCode.InvalidTransition,
          `${cannot}: the decision says 'assigned' but names no assignee; route it again`,
        );
      }
      const events: CaseEvent[] = [];
      // Rules only ever raise priority; a decision computed from a stale priority must not lower it.
      const raised = moreUrgent(d.priority, c.priority);
      const priority = raised ? d.priority : c.priority;
      if (raised) {
        const why = d.rules.filter((r) => r.matched).map((r) => r.name);
        events.push({
          type: CaseEventType.Reprioritised,
          at: now,
          priority,
          reason: why.length > 0 ? `raised by routing rules: ${why.join(', ')}` : 'raised by routing',
        });
      }
      const pathway = d.pathway ?? c.pathway;
      events.push({
        type: CaseEventType.Routed,
        at: now,
        eligibleReaderIds: [...d.eligibleReaderIds],
        priority,
        ...(pathway === undefined ? {} : { pathway }),
        ...(d.ruleId === undefined ? {} : { ruleId: d.ruleId }),
      });
      if (d.outcome === 'assigned') {
        events.push({ type: CaseEventType.Assigned, at: now, readerId: d.assigneeId! });
      } else if (d.outcome === 'unroutable') {
        events.push({
          type: CaseEventType.ExceptionRaised,
          at: now,
          queue: ExceptionQueue.Unroutable,
          reason: d.summary,
          by: 'routing',
        });
      }
      return accept(...events);
    }
    case 'claim': {
      const readerId = command.readerId;
      const leaseExpiresAt = now + command.leaseMs;
      const claimed: CaseEvent = { type: CaseEventType.Claimed, at: now, readerId, leaseExpiresAt };
      const notEligible = () =>
        refuse(
          CaseErrorCode.NotEligible,
          `${cannot}: reader ${readerId} is not eligible for it; ask a coordinator to assign it to you`,
        );
      if (c.state === CaseState.InRead) {
        const owner = c.ownerId!;
        // The viewer retried or reopened: the claim stands, only its lease moves.
        if (owner === readerId) {
          return accept({ type: CaseEventType.LeaseRenewed, at: now, readerId, leaseExpiresAt });
        }
        if (now < c.leaseExpiresAt!) {
          return refuse(
            CaseErrorCode.AlreadyClaimed,
            `Case ${c.id} is ${heldBy(c)} (lease until ${iso(c.leaseExpiresAt!)}); ask a coordinator to reassign it`,
            owner,
            c.stateSince,
          );
        }
        // An abandoned read is freed on the spot rather than waiting for the expiry sweep.
        if (!isEligible(c, readerId) && !command.override) return notEligible();
        return accept({ type: CaseEventType.LeaseExpired, at: now, readerId: owner }, claimed);
      }
      if (c.state === CaseState.Assigned && c.ownerId !== readerId && !command.override) {
        return refuse(
          CaseErrorCode.AssignedElsewhere,
          `Case ${c.id} is ${heldBy(c)}; only they can claim it, or ask a coordinator to reassign it`,
          c.ownerId,
          c.stateSince,
        );
      }
      if (c.state === CaseState.Ready && !isEligible(c, readerId) && !command.override) return notEligible();
      return accept(claimed);
    }
    case 'heartbeat': {
      if (c.ownerId !== command.readerId) return refuseState(c, command);
      if (now >= c.leaseExpiresAt!) {
        return refuse(
          CaseErrorCode.NotOwner,
          `${cannot}: the lease of ${command.readerId} expired at ${iso(c.leaseExpiresAt!)}; claim it again to keep reading`,
          c.ownerId,
          c.stateSince,
        );
      }
      return accept({
        type: CaseEventType.LeaseRenewed,
        at: now,
        readerId: command.readerId,
        leaseExpiresAt: now + command.leaseMs,
      });
    }
    case 'release': {
      if (c.ownerId !== command.readerId) {
        return refuse(
          CaseErrorCode.NotOwner,
          `${cannot}: it is ${heldBy(c)}, not ${command.readerId}; only the owner or a coordinator can give it up`,
          c.ownerId,
          c.stateSince,
        );
      }
      return accept({
        type: CaseEventType.Released,
        at: now,
        readerId: command.readerId,
        ...(command.reason === undefined ? {} : { reason: command.reason }),
      });
    }
    case 'expire-lease': {
      if (now < c.leaseExpiresAt!) {
        return refuse(
          CaseErrorCode.InvalidTransition,
          `${cannot}: the lease of ${c.ownerId} runs until ${iso(c.leaseExpiresAt!)}; nothing to expire yet`,
          c.ownerId,
          c.stateSince,
        );
      }
      return accept({ type: CaseEventType.LeaseExpired, at: now, readerId: c.ownerId! });
    }
    case 'reassign': {
      const inException = c.state === CaseState.Exception;
      if (inException && c.exception?.queue !== ExceptionQueue.Unroutable) {
        return refuse(
          CaseErrorCode.InvalidTransition,
          `${cannot}: it is in the ${c.exception?.queue} exception queue (${c.exception?.reason}); resolve the exception first`,
        );
      }
      // Asking for what already holds keeps the command idempotent for a coordinator's double click.
      if (!inException && command.toReaderId === c.ownerId) return accept();
      return accept(...availableIfMissing(c, now), {
        type: CaseEventType.Reassigned,
        at: now,
        by: command.by,
        fromReaderId: c.ownerId,
        toReaderId: command.toReaderId,
        ...(command.reason === undefined ? {} : { reason: command.reason }),
      });
    }
    case 'preliminary':
    case 'finalize':
    case 'mark-unreadable': {
      if (c.ownerId !== command.readerId) {
        return refuse(
          CaseErrorCode.NotOwner,
          `${cannot}: it is ${heldBy(c)}; only they can do that, or ask a coordinator to reassign it`,
          c.ownerId,
          c.stateSince,
        );
      }
      if (command.type === 'mark-unreadable') {
        return accept({
          type: CaseEventType.ExceptionRaised,
          at: now,
          queue: ExceptionQueue.Unreadable,
          reason: command.reason,
          by: command.readerId,
        });
      }
      const type = command.type === 'preliminary' ? CaseEventType.Preliminary : CaseEventType.Finalized;
      return accept({ type, at: now, readerId: command.readerId });
    }
    case 'addend':
      return accept({ type: CaseEventType.Addended, at: now, readerId: command.readerId });
    case 'cancel':
      return accept({ type: CaseEventType.Cancelled, at: now, by: command.by, reason: command.reason });
    case 'raise-exception':
      return accept({
        type: CaseEventType.ExceptionRaised,
        at: now,
        queue: command.queue,
        reason: command.reason,
        by: command.by,
      });
    case 'resolve-exception':
      return accept(...availableIfMissing(c, now), {
        type: CaseEventType.ExceptionResolved,
        at: now,
        by: command.by,
        ...(command.note === undefined ? {} : { note: command.note }),
      });
    case 'reprioritise':
      return accept({
        type: CaseEventType.Reprioritised,
        at: now,
        priority: command.priority,
        reason: command.reason,
      });
    case 'broaden':
      return accept({
        type: CaseEventType.Broadened,
        at: now,
        readerIds: [...command.readerIds],
        reason: command.reason,
      });
    case 'record-critical':
      // Recorded after the fact (delivery is confirmed after the commit); never in the future.
      return accept({
        type:
          command.milestone === 'communicated'
            ? CaseEventType.CriticalCommunicated
            : CaseEventType.CriticalAcknowledged,
        at: Math.min(command.at, now),
        resultId: command.resultId,
        by: command.by,
        recipient: command.recipient,
        channel: command.channel,
      });
  }
}

function withReader(readerIds: string[], readerId: string | null): string[] {
  return readerId === null || readerIds.includes(readerId) ? readerIds : [...readerIds, readerId];
}

/**
 * Applies one event (from `decideCase`, or replayed from the store) and returns a new snapshot whose
 * `version` is one higher. Milestones record the first time only, so replays and re-routes never move
 * a turnaround clock.
 */
export function evolveCase(c: CaseSnapshot, e: CaseEvent): CaseSnapshot {
  const next: CaseSnapshot = {
    ...c,
    eligibleReaderIds: [...c.eligibleReaderIds],
    milestones: { ...c.milestones },
    priorityReasons: [...c.priorityReasons],
    version: c.version + 1,
  };
  const m = next.milestones;
  const enter = (state: CaseState, ownerId: string | null) => {
    next.state = state;
    next.ownerId = ownerId;
    next.stateSince = e.at;
    if (state !== CaseState.InRead) next.leaseExpiresAt = null;
    if (state !== CaseState.Exception) {
      next.exception = null;
      delete next.stateBeforeException;
    }
  };
  // Whoever loses the case keeps seeing it, so a case taken from its owner never drops off every list.
  const keepVisible = (readerId: string | null) => {
    next.eligibleReaderIds = withReader(next.eligibleReaderIds, readerId);
  };

  switch (e.type) {
    case CaseEventType.ImagesArrived:
      m.acquired ??= e.at;
      if (c.state === CaseState.Scheduled) enter(CaseState.Acquiring, null);
      break;
    case CaseEventType.Available:
      // A modality clock ahead of ours must not put acquisition after availability.
      m.acquired ??= Math.min(e.acquiredAt ?? e.at, e.at);
      m.available ??= e.at;
      if (c.state === CaseState.Scheduled || c.state === CaseState.Acquiring) enter(CaseState.Ready, null);
      else if (
        c.stateBeforeException === CaseState.Scheduled ||
        c.stateBeforeException === CaseState.Acquiring
      )
        next.stateBeforeException = CaseState.Ready;
      break;
    case CaseEventType.Routed:
      next.priority = e.priority;
      if (e.pathway !== undefined) next.pathway = e.pathway;
      next.eligibleReaderIds = [...e.eligibleReaderIds];
      next.broadened = false;
      // Routed to nobody is not routed: the available->routed clock keeps running in the unroutable queue.
      if (e.eligibleReaderIds.length > 0) m.routed ??= e.at;
      enter(CaseState.Ready, null);
      break;
    case CaseEventType.Assigned:
      keepVisible(e.readerId);
      enter(CaseState.Assigned, e.readerId);
      break;
    case CaseEventType.Claimed:
      keepVisible(e.readerId);
      m.opened ??= e.at;
      enter(CaseState.InRead, e.readerId);
      next.leaseExpiresAt = e.leaseExpiresAt;
      break;
    case CaseEventType.LeaseRenewed:
      next.leaseExpiresAt = e.leaseExpiresAt;
      break;
    case CaseEventType.Released:
    case CaseEventType.LeaseExpired:
      keepVisible(e.readerId);
      enter(CaseState.Ready, null);
      break;
    case CaseEventType.Reassigned:
      keepVisible(e.fromReaderId);
      if (e.toReaderId === null) {
        enter(CaseState.Ready, null);
      } else {
        keepVisible(e.toReaderId);
        // A coordinator who hands an unroutable case to a reader has routed it by hand.
        m.routed ??= e.at;
        enter(CaseState.Assigned, e.toReaderId);
      }
      break;
    case CaseEventType.Preliminary:
      m.preliminary ??= e.at;
      enter(CaseState.Preliminary, c.ownerId);
      break;
    case CaseEventType.Finalized:
      m.final ??= e.at;
      enter(CaseState.Final, null);
      break;
    case CaseEventType.Addended:
      enter(CaseState.Addended, null);
      break;
    case CaseEventType.Cancelled:
      enter(CaseState.Cancelled, null);
      break;
    case CaseEventType.ExceptionRaised:
      keepVisible(c.ownerId);
      enter(CaseState.Exception, null);
      next.stateBeforeException = c.state;
      next.exception = { queue: e.queue, reason: e.reason, raisedAt: e.at, raisedBy: e.by };
      break;
    case CaseEventType.ExceptionResolved:
      enter(CaseState.Ready, null);
      break;
    case CaseEventType.Reprioritised:
      next.priority = e.priority;
      next.priorityReasons.push(e.reason);
      break;
    case CaseEventType.Broadened:
      for (const r of e.readerIds) keepVisible(r);
      next.broadened = true;
      break;
    case CaseEventType.CriticalCommunicated:
      m.communicated ??= e.at;
      break;
    case CaseEventType.CriticalAcknowledged:
      // An acknowledgement is also a communication: the milestones stay in order whatever arrives first.
      m.communicated ??= e.at;
      m.acknowledged ??= e.at;
      break;
  }
  return next;
}

/** `decideCase`, then every event folded with `evolveCase`: what the server stores, and what it publishes. */
export function applyCaseCommand(c: CaseSnapshot, command: CaseCommand, now: number): CaseApplied {
  const decision = decideCase(c, command, now);
  if (!decision.ok) return decision;
  return { ok: true, snapshot: decision.events.reduce(evolveCase, c), events: decision.events };
}
