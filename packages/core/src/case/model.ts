import type { Milestone, Priority, RoutingDecision } from '../routing/model.ts';

/**
 * A case is the unit of reading work: usually one order and its study. Its lifecycle is a decider:
 * `decideCase(case, command, now)` checks a command against the current state and returns events (or a
 * refusal with a stable code); `evolveCase(case, event)` applies one event. The server stores the new
 * snapshot with a conditional update on `version`, so two nodes can never both apply a command to the same
 * version, and a case is claimed once.
 */

export const CaseState = {
  Scheduled: 'scheduled',
  Acquiring: 'acquiring',
  Ready: 'ready',
  Assigned: 'assigned',
  InRead: 'in-read',
  Preliminary: 'preliminary',
  Final: 'final',
  Addended: 'addended',
  Cancelled: 'cancelled',
  Exception: 'exception',
} as const;
export type CaseState = (typeof CaseState)[keyof typeof CaseState];

export const ExceptionQueue = {
  IncompleteStudy: 'incomplete-study',
  ProtocolMismatch: 'protocol-mismatch',
  Unroutable: 'unroutable',
  Unreadable: 'unreadable',
} as const;
export type ExceptionQueue = (typeof ExceptionQueue)[keyof typeof ExceptionQueue];

export interface CaseException {
  queue: ExceptionQueue;
  reason: string;
  raisedAt: number;
  /** Who raised it: a reader id, 'ai', 'routing', 'confer'. */
  raisedBy: string;
}

export interface TimelineEntry {
  at: number;
  /** The event type, e.g. 'case:claimed'. */
  type: CaseEventType;
  /** Who did it (reader/user id, 'confer', 'ai'), when a person or system acted. */
  actor?: string;
  detail?: string;
}

export interface CaseSnapshot {
  id: string;
  state: CaseState;
  priority: Priority;
  pathway?: string;
  /**
   * The reader who owns the case: assigned to them, in read by them, or holding their preliminary report.
   * Never more than one.
   */
  ownerId: string | null;
  /**
   * When the case entered its current state or passed to its current owner, whichever is later (e.g. when
   * the current reader claimed it); absent until the first event. Refusals quote it ("in read by r-12 since").
   */
  stateSince?: number;
  /** For 'in-read': the claim lasts until then unless renewed by a heartbeat. */
  leaseExpiresAt: number | null;
  /** Readers who may claim the case while it is 'ready' (from routing, broadening). */
  eligibleReaderIds: string[];
  /** Set when an escalation made the case visible to everyone eligible on shift. */
  broadened: boolean;
  /** Set while the case is in an exception queue. */
  exception: CaseException | null;
  /** The state to go back to when the exception is resolved. */
  stateBeforeException?: CaseState;
  /** First time each handoff milestone was reached. */
  milestones: Partial<Record<Milestone, number>>;
  /** Reasons the priority was raised (AI flags, rules), shown on the worklist. */
  priorityReasons: string[];
  version: number;
}

/** What people and systems ask of a case. */
export type CaseCommand =
  | { type: 'images-arrived'; at?: number }
  | { type: 'study-complete'; acquiredAt?: number }
  | { type: 'route'; decision: RoutingDecision }
  | { type: 'claim'; readerId: string; leaseMs: number; override?: boolean }
  | { type: 'heartbeat'; readerId: string; leaseMs: number }
  | { type: 'release'; readerId: string; reason?: string }
  | { type: 'expire-lease' }
  | { type: 'reassign'; toReaderId: string | null; by: string; reason?: string }
  | { type: 'preliminary'; readerId: string }
  | { type: 'finalize'; readerId: string }
  | { type: 'addend'; readerId: string }
  | { type: 'cancel'; by: string; reason: string }
  | { type: 'raise-exception'; queue: ExceptionQueue; reason: string; by: string }
  | { type: 'resolve-exception'; by: string; note?: string }
  | { type: 'mark-unreadable'; readerId: string; reason: string }
  | { type: 'reprioritise'; priority: Priority; reason: string }
  | { type: 'broaden'; readerIds: string[]; reason: string }
  /**
   * A critical result on the case reached a clinician, or was acknowledged: the critical-result service
   * records it on the case's timeline and milestones, at the time the communication happened.
   */
  | {
      type: 'record-critical';
      milestone: 'communicated' | 'acknowledged';
      at: number;
      resultId: string;
      by: string;
      recipient: string;
      channel: string;
    };

export const CaseEventType = {
  Scheduled: 'case:scheduled',
  ImagesArrived: 'case:images-arrived',
  Available: 'case:available',
  Routed: 'case:routed',
  Assigned: 'case:assigned',
  Claimed: 'case:claimed',
  LeaseRenewed: 'case:lease-renewed',
  Released: 'case:released',
  LeaseExpired: 'case:lease-expired',
  Reassigned: 'case:reassigned',
  Preliminary: 'case:preliminary',
  Finalized: 'case:finalized',
  Addended: 'case:addended',
  Cancelled: 'case:cancelled',
  ExceptionRaised: 'case:exception-raised',
  ExceptionResolved: 'case:exception-resolved',
  Reprioritised: 'case:reprioritised',
  Broadened: 'case:broadened',
  CriticalCommunicated: 'case:critical-communicated',
  CriticalAcknowledged: 'case:critical-acknowledged',
} as const;
export type CaseEventType = (typeof CaseEventType)[keyof typeof CaseEventType];

export type CaseEvent =
  | { type: typeof CaseEventType.ImagesArrived; at: number }
  | { type: typeof CaseEventType.Available; at: number; acquiredAt?: number }
  | {
      type: typeof CaseEventType.Routed;
      at: number;
      eligibleReaderIds: string[];
      priority: Priority;
      pathway?: string;
      ruleId?: string;
    }
  | { type: typeof CaseEventType.Assigned; at: number; readerId: string }
  | { type: typeof CaseEventType.Claimed; at: number; readerId: string; leaseExpiresAt: number }
  | { type: typeof CaseEventType.LeaseRenewed; at: number; readerId: string; leaseExpiresAt: number }
  | { type: typeof CaseEventType.Released; at: number; readerId: string; reason?: string }
  | { type: typeof CaseEventType.LeaseExpired; at: number; readerId: string }
  | {
      type: typeof CaseEventType.Reassigned;
      at: number;
      by: string;
      fromReaderId: string | null;
      toReaderId: string | null;
      reason?: string;
    }
  | { type: typeof CaseEventType.Preliminary; at: number; readerId: string }
  | { type: typeof CaseEventType.Finalized; at: number; readerId: string }
  | { type: typeof CaseEventType.Addended; at: number; readerId: string }
  | { type: typeof CaseEventType.Cancelled; at: number; by: string; reason: string }
  | {
      type: typeof CaseEventType.ExceptionRaised;
      at: number;
      queue: ExceptionQueue;
      reason: string;
      by: string;
    }
  | { type: typeof CaseEventType.ExceptionResolved; at: number; by: string; note?: string }
  | { type: typeof CaseEventType.Reprioritised; at: number; priority: Priority; reason: string }
  | { type: typeof CaseEventType.Broadened; at: number; readerIds: string[]; reason: string }
  | {
      type: typeof CaseEventType.CriticalCommunicated | typeof CaseEventType.CriticalAcknowledged;
      at: number;
      resultId: string;
      by: string;
      recipient: string;
      channel: string;
    };

export const CaseErrorCode = {
  AlreadyClaimed: 'CONFER_ERR_CASE_ALREADY_CLAIMED',
  AssignedElsewhere: 'CONFER_ERR_CASE_ASSIGNED_ELSEWHERE',
  NotEligible: 'CONFER_ERR_CASE_NOT_ELIGIBLE',
  NotOwner: 'CONFER_ERR_CASE_NOT_OWNER',
  InvalidTransition: 'CONFER_ERR_CASE_INVALID_TRANSITION',
  Closed: 'CONFER_ERR_CASE_CLOSED',
} as const;
export type CaseErrorCode = (typeof CaseErrorCode)[keyof typeof CaseErrorCode];

export type CaseDecision =
  | { ok: true; events: CaseEvent[] }
  | { ok: false; code: CaseErrorCode; message: string; ownerId?: string; since?: number };
