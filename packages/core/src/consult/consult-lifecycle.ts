import type { Priority } from '../routing/model.ts';

/**
 * A consult or second opinion: one reader asks another reader, or a subspecialty pool, a question about a
 * case. Routing picks the consultant; the consultant accepts and answers, or declines and routing picks
 * someone else. The lifecycle is a pure decider like the case's: the server stores the snapshot with a
 * conditional update on `version`.
 *
 * ```
 *   requested ──accept──> accepted ──answer──> answered
 *      │  ^                  │
 *      │  └──── decline ─────┘  (routed again, the decliner left out; nobody eligible: unassigned)
 *      └──answer──> answered          any open state ──cancel──> cancelled
 *   expire (SLA target passed): a requested consult leaves its consultant and is routed again
 * ```
 */

export const ConsultKind = { Consult: 'consult', SecondOpinion: 'second-opinion' } as const;
export type ConsultKind = (typeof ConsultKind)[keyof typeof ConsultKind];

export const ConsultState = {
  /** Routed to a consultant, not accepted yet. */
  Requested: 'requested',
  /** Routing found nobody eligible (after declines or expiry); it is routed again on every tick. */
  Unassigned: 'unassigned',
  Accepted: 'accepted',
  Answered: 'answered',
  Cancelled: 'cancelled',
} as const;
export type ConsultState = (typeof ConsultState)[keyof typeof ConsultState];

export const openConsultStates: readonly ConsultState[] = [
  ConsultState.Requested,
  ConsultState.Unassigned,
  ConsultState.Accepted,
];

/** Who the consult is asked of: a named reader, or a pool (routing picks one of its members). */
export type ConsultTarget = { kind: 'reader'; readerId: string } | { kind: 'pool'; poolId: string };

export const ConsultErrorCode = {
  NotAssignee: 'CONFER_ERR_CONSULT_NOT_ASSIGNEE',
  InvalidTransition: 'CONFER_ERR_CONSULT_INVALID_TRANSITION',
  Closed: 'CONFER_ERR_CONSULT_CLOSED',
  EmptyAnswer: 'CONFER_ERR_CONSULT_EMPTY_ANSWER',
} as const;
export type ConsultErrorCode = (typeof ConsultErrorCode)[keyof typeof ConsultErrorCode];

export interface ConsultSnapshot {
  id: string;
  caseId: string;
  kind: ConsultKind;
  urgency: Priority;
  target: ConsultTarget;
  question: string;
  /** The user who asked, and the reader they act as (left out of routing: nobody consults themselves). */
  requestedBy: string;
  requesterReaderId: string | null;
  state: ConsultState;
  assigneeId: string | null;
  /** Readers who declined it; routing leaves them out. */
  declinedBy: string[];
  /** Readers it was taken from when its target passed unanswered; routing leaves them out. */
  expiredFrom: string[];
  /** Set once the SLA target passed without an answer. */
  expired: boolean;
  answer: { text: string; by: string; readerId: string; at: number } | null;
  requestedAt: number;
  acceptedAt: number | null;
  closedAt: number | null;
  version: number;
}

/** What routing decided for the consult, as the lifecycle needs it. */
export interface ConsultRouting {
  assigneeId: string | null;
  summary: string;
}

export type ConsultCommand =
  | { type: 'route'; routing: ConsultRouting }
  | { type: 'accept'; readerId: string }
  | { type: 'decline'; readerId: string; reason: string }
  | { type: 'answer'; readerId: string; username: string; text: string }
  | { type: 'cancel'; by: string; reason?: string }
  | { type: 'expire' };

export const ConsultEventType = {
  Requested: 'consult:requested',
  Routed: 'consult:routed',
  Unassigned: 'consult:unassigned',
  Accepted: 'consult:accepted',
  Declined: 'consult:declined',
  Answered: 'consult:answered',
  Cancelled: 'consult:cancelled',
  Expired: 'consult:expired',
} as const;
export type ConsultEventType = (typeof ConsultEventType)[keyof typeof ConsultEventType];

export interface ConsultEvent {
  type: ConsultEventType;
  at: number;
  /** Who did it: a reader id, a user name, or 'routing' / 'confer'. */
  actor: string;
  detail: Record<string, unknown>;
}

export type ConsultApplied =
  | { ok: true; snapshot: ConsultSnapshot; events: ConsultEvent[] }
  | { ok: false; code: ConsultErrorCode; message: string };

export interface NewConsult {
  id: string;
  caseId: string;
  kind: ConsultKind;
  urgency: Priority;
  target: ConsultTarget;
  question: string;
  requestedBy: string;
  requesterReaderId: string | null;
}

/** A consult just asked, before routing: `route` is its first command. */
export function newConsult(
  input: NewConsult,
  now: number,
): { snapshot: ConsultSnapshot; events: ConsultEvent[] } {
  const snapshot: ConsultSnapshot = {
    ...input,
    state: ConsultState.Unassigned,
    assigneeId: null,
    declinedBy: [],
    expiredFrom: [],
    expired: false,
    answer: null,
    requestedAt: now,
    acceptedAt: null,
    closedAt: null,
    version: 0,
  };
  return {
    snapshot,
    events: [
      {
        type: ConsultEventType.Requested,
        at: now,
        actor: input.requestedBy,
        detail: { kind: input.kind, urgency: input.urgency, target: input.target },
      },
    ],
  };
}

/** Readers routing must leave out for this consult: the requester, decliners, and those it expired with. */
export function consultExclusions(s: ConsultSnapshot): { readerId: string; why: string }[] {
  const out: { readerId: string; why: string }[] = [];
  const add = (readerId: string, why: string) => {
    if (!out.some((o) => o.readerId === readerId)) out.push({ readerId, why });
  };
  if (s.requesterReaderId) add(s.requesterReaderId, 'asked for this consult');
  for (const r of s.declinedBy) add(r, 'declined this consult');
  for (const r of s.expiredFrom) add(r, 'let it pass its target unanswered');
  return out;
}

function refuse(code: ConsultErrorCode, message: string): ConsultApplied {
  return { ok: false, code, message };
}

function isOpen(s: ConsultSnapshot): boolean {
  return openConsultStates.includes(s.state);
}

/** Decides one command against the consult and returns the new snapshot and its events, or a refusal. */
export function applyConsultCommand(s: ConsultSnapshot, c: ConsultCommand, now: number): ConsultApplied {
  if (!isOpen(s))
    return refuse(ConsultErrorCode.Closed, `consult ${s.id} is ${s.state}; nothing more can be done with it`);
  const next = (patch: Partial<ConsultSnapshot>, events: Omit<ConsultEvent, 'at'>[]): ConsultApplied => ({
    ok: true,
    snapshot: { ...s, ...patch, version: s.version + 1 },
    events: events.map((e) => ({ ...e, at: now })),
  });
  switch (c.type) {
    case 'route': {
      if (s.state === ConsultState.Accepted)
        return refuse(
          ConsultErrorCode.InvalidTransition,
          `consult ${s.id} is accepted; it is not routed again`,
        );
      const { assigneeId, summary } = c.routing;
      if (assigneeId === null)
        return next({ state: ConsultState.Unassigned, assigneeId: null }, [
          { type: ConsultEventType.Unassigned, actor: 'routing', detail: { summary } },
        ]);
      return next({ state: ConsultState.Requested, assigneeId }, [
        { type: ConsultEventType.Routed, actor: 'routing', detail: { assigneeId, summary } },
      ]);
    }
    case 'accept': {
      if (s.state === ConsultState.Accepted && s.assigneeId === c.readerId)
        return { ok: true, snapshot: s, events: [] };
      if (s.state !== ConsultState.Requested)
        return refuse(
          ConsultErrorCode.InvalidTransition,
          `consult ${s.id} is ${s.state}; only a requested consult can be accepted`,
        );
      if (s.assigneeId !== c.readerId)
        return refuse(
          ConsultErrorCode.NotAssignee,
          `consult ${s.id} is routed to someone else; only its consultant can accept it`,
        );
      return next({ state: ConsultState.Accepted, acceptedAt: now }, [
        { type: ConsultEventType.Accepted, actor: c.readerId, detail: {} },
      ]);
    }
    case 'decline': {
      if (s.assigneeId !== c.readerId || s.state === ConsultState.Unassigned)
        return refuse(ConsultErrorCode.NotAssignee, `consult ${s.id} is not yours to decline`);
      return next(
        {
          state: ConsultState.Unassigned,
          assigneeId: null,
          acceptedAt: null,
          declinedBy: [...s.declinedBy, c.readerId],
        },
        [{ type: ConsultEventType.Declined, actor: c.readerId, detail: { reason: c.reason } }],
      );
    }
    case 'answer': {
      const text = c.text.trim();
      if (text === '') return refuse(ConsultErrorCode.EmptyAnswer, 'write an answer before sending it');
      if (s.assigneeId !== c.readerId || s.state === ConsultState.Unassigned)
        return refuse(ConsultErrorCode.NotAssignee, `consult ${s.id} is not yours to answer`);
      const answer = { text, by: c.username, readerId: c.readerId, at: now };
      // Answering a consult that was never accepted accepts it implicitly.
      return next({ state: ConsultState.Answered, answer, acceptedAt: s.acceptedAt ?? now, closedAt: now }, [
        { type: ConsultEventType.Answered, actor: c.readerId, detail: { consultant: c.readerId } },
      ]);
    }
    case 'cancel':
      return next({ state: ConsultState.Cancelled, assigneeId: null, closedAt: now }, [
        { type: ConsultEventType.Cancelled, actor: c.by, detail: c.reason ? { reason: c.reason } : {} },
      ]);
    case 'expire': {
      if (s.expired) return { ok: true, snapshot: s, events: [] };
      // A consultant who accepted is working on it: they keep it, and the escalation is a notice. One who
      // never accepted loses it to the next eligible reader.
      if (s.state === ConsultState.Requested && s.assigneeId)
        return next(
          {
            expired: true,
            state: ConsultState.Unassigned,
            assigneeId: null,
            expiredFrom: [...s.expiredFrom, s.assigneeId],
          },
          [
            {
              type: ConsultEventType.Expired,
              actor: 'confer',
              detail: { from: s.assigneeId, rerouted: true },
            },
          ],
        );
      return next({ expired: true }, [
        { type: ConsultEventType.Expired, actor: 'confer', detail: { from: s.assigneeId, rerouted: false } },
      ]);
    }
  }
}
