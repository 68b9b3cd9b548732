import {
  type AckMethod,
  type CriticalCategory,
  CriticalChannel,
  type CriticalCommand,
  type CriticalCommunication,
  type CriticalDecision,
  CriticalErrorCode,
  type CriticalEvent,
  CriticalEventType,
  type CriticalResult,
  CriticalState,
  DeliveryStatus,
  type ResponsibleSource,
  type Rung,
  type RungRecipient,
} from './model.ts';

/**
 * The critical-result protocol as a decider, in the style of the case lifecycle: `decideCritical` is the
 * only place that says no, `evolveCritical` folds events it trusts, and both are pure so the server can run
 * them inside its transaction and store the result with a conditional update on `version`.
 *
 * Invariants (checked by the property tests): a result is acknowledged only with a receipt (who, when,
 * how, recorded by whom); the ladder only moves forward; every notification is a communication record;
 * the category deadline never moves and a rung's deadline only moves later.
 */

export type CriticalRefusal = Extract<CriticalDecision, { ok: false }>;
export type CriticalApplied = { ok: true; result: CriticalResult; events: CriticalEvent[] } | CriticalRefusal;

/** What flagging needs: the finding, where it belongs, and the ladder already resolved to people. */
export interface FlagCriticalInput {
  id: string;
  caseId: string;
  siteId: string | null;
  category: CriticalCategory;
  finding: string;
  flaggedBy: string;
  responsible: RungRecipient;
  responsibleSource: ResponsibleSource;
  /** The category's allowance: the responsible clinician's time to acknowledge. */
  deadlineMs: number;
  /** The rungs after the responsible clinician, in order. Rungs with no recipients are dropped. */
  ladder: Rung[];
}

/** The system actor that sends escalations. */
export const CRITICAL_SYSTEM = 'confer';

function refuse(code: CriticalErrorCode, message: string): CriticalRefusal {
  return { ok: false, code, message };
}

/** One communication per recipient and channel of a rung, numbered after the ones the result has. */
function notifyRung(r: CriticalResult, step: number, sentBy: string, at: number): CriticalEvent[] {
  const rung = r.rungs[step];
  if (!rung) return [];
  const events: CriticalEvent[] = [];
  let n = r.communications.length;
  for (const recipient of rung.recipients) {
    for (const channel of recipient.channels) {
      n += 1;
      // The in-app notification is stored with the result in one transaction: delivered as it is made.
      const immediate = channel === CriticalChannel.App;
      events.push({
        type: CriticalEventType.Communicated,
        at,
        communication: {
          id: `${r.id}/${n}`,
          step,
          channel,
          recipient: recipient.username,
          sentBy,
          at,
          status: immediate ? DeliveryStatus.Delivered : DeliveryStatus.Pending,
          ...(immediate ? { deliveredAt: at } : {}),
        },
      });
    }
  }
  return events;
}

/**
 * A new critical result, notified to the responsible clinician at `now`: the stored result and the events
 * that made it (flagged, then one communication per channel of rung 0).
 *
 * @throws Error on input the server must have validated (no finding, a non-positive deadline or wait).
 */
export function flagCriticalResult(
  input: FlagCriticalInput,
  now: number,
): { result: CriticalResult; events: CriticalEvent[] } {
  if (input.finding.trim() === '') throw new Error('a critical result needs a finding');
  if (!(input.deadlineMs > 0)) throw new Error('the category deadline must be positive');
  if (input.ladder.some((r) => !(r.waitMs > 0))) throw new Error('every ladder rung needs a positive wait');
  const rungs: Rung[] = [
    { name: 'Responsible clinician', waitMs: input.deadlineMs, recipients: [input.responsible] },
    ...input.ladder.filter((r) => r.recipients.length > 0),
  ];
  const base: CriticalResult = {
    id: input.id,
    caseId: input.caseId,
    siteId: input.siteId,
    category: input.category,
    finding: input.finding.trim(),
    flaggedBy: input.flaggedBy,
    flaggedAt: now,
    responsible: input.responsible.username,
    responsibleSource: input.responsibleSource,
    dueAt: now + input.deadlineMs,
    rungs,
    step: 0,
    stepDueAt: now + input.deadlineMs,
    state: CriticalState.Open,
    communications: [],
    acknowledgement: null,
    overdueAt: null,
    version: 0,
  };
  const events: CriticalEvent[] = [
    { type: CriticalEventType.Flagged, at: now, by: input.flaggedBy, category: input.category },
    ...notifyRung(base, 0, input.flaggedBy, now),
  ];
  return { result: events.reduce(evolveCritical, base), events };
}

/** Everyone the result has been addressed to so far (rungs up to the current one, and phone calls). */
export function addressedRecipients(r: CriticalResult): string[] {
  const out = new Set<string>();
  for (const c of r.communications) out.add(c.recipient);
  return [...out];
}

/** The timer the result needs now: the current rung's end, unless acknowledged or overdue. */
export function criticalTimer(r: CriticalResult): { step: number; dueAt: number } | null {
  return r.state === CriticalState.Open ? { step: r.step, dueAt: r.stepDueAt } : null;
}

/** Whether `username` may acknowledge by themselves (app or link): they were addressed. */
export function isRecipient(r: CriticalResult, username: string): boolean {
  return r.communications.some((c) => c.recipient === username && c.channel !== CriticalChannel.Phone);
}

function findCommunication(r: CriticalResult, id: string): CriticalCommunication | undefined {
  return r.communications.find((c) => c.id === id);
}

/**
 * Checks a command against the result at `now` and says what happened (events) or why not. Repeated timer
 * firings, deliveries and openings are accepted with no events, so retries and several nodes are harmless.
 */
export function decideCritical(r: CriticalResult, command: CriticalCommand, now: number): CriticalDecision {
  switch (command.type) {
    case 'escalate': {
      // A timer for a rung already passed, or a result already acknowledged or overdue: nothing to do.
      if (r.state !== CriticalState.Open || command.step !== r.step) return { ok: true, events: [] };
      if (now < r.stepDueAt) {
        return refuse(
          CriticalErrorCode.NotDue,
          `rung ${r.step} of critical result ${r.id} waits until ${new Date(r.stepDueAt).toISOString()}`,
        );
      }
      const next = r.step + 1;
      const rung = r.rungs[next];
      if (!rung) return { ok: true, events: [{ type: CriticalEventType.Overdue, at: now, step: r.step }] };
      // The next rung gets its whole wait from when it is told, even when the timer fires late (a restart).
      const stepDueAt = Math.max(now, r.stepDueAt) + rung.waitMs;
      return {
        ok: true,
        events: [
          { type: CriticalEventType.Escalated, at: now, step: next, stepDueAt },
          ...notifyRung({ ...r, step: next }, next, CRITICAL_SYSTEM, now),
        ],
      };
    }
    case 'delivery': {
      const c = findCommunication(r, command.communicationId);
      if (!c) {
        return refuse(
          CriticalErrorCode.UnknownCommunication,
          `critical result ${r.id} has no communication ${command.communicationId}`,
        );
      }
      if (c.status !== DeliveryStatus.Pending) return { ok: true, events: [] };
      return {
        ok: true,
        events: [
          command.ok
            ? { type: CriticalEventType.Delivered, at: now, communicationId: c.id }
            : {
                type: CriticalEventType.DeliveryFailed,
                at: now,
                communicationId: c.id,
                error: (command.error ?? 'delivery failed').slice(0, 500),
              },
        ],
      };
    }
    case 'open': {
      const c = findCommunication(r, command.communicationId);
      if (!c) {
        return refuse(
          CriticalErrorCode.UnknownCommunication,
          `critical result ${r.id} has no communication ${command.communicationId}`,
        );
      }
      return c.openedAt === undefined
        ? { ok: true, events: [{ type: CriticalEventType.Opened, at: now, communicationId: c.id }] }
        : { ok: true, events: [] };
    }
    case 'acknowledge':
      return decideAcknowledge(r, command, now);
  }
}

function decideAcknowledge(
  r: CriticalResult,
  command: Extract<CriticalCommand, { type: 'acknowledge' }>,
  now: number,
): CriticalDecision {
  if (r.state === CriticalState.Acknowledged) {
    const a = r.acknowledgement!;
    return refuse(
      CriticalErrorCode.AlreadyAcknowledged,
      `critical result ${r.id} was acknowledged by ${a.by} (${a.method}) at ${new Date(a.at).toISOString()}; nothing more to do`,
    );
  }
  if (command.by.trim() === '' || command.recordedBy.trim() === '') {
    return refuse(
      CriticalErrorCode.InvalidInput,
      'an acknowledgement names who acknowledged and who recorded it',
    );
  }
  const method: AckMethod = command.method;
  if (method === 'phone') {
    // A read-back over the phone is itself a communication: it is recorded as one, then acknowledged.
    const id = `${r.id}/${r.communications.length + 1}`;
    return {
      ok: true,
      events: [
        {
          type: CriticalEventType.Communicated,
          at: now,
          communication: {
            id,
            step: r.step,
            channel: CriticalChannel.Phone,
            recipient: command.by,
            sentBy: command.recordedBy,
            at: now,
            status: DeliveryStatus.Delivered,
            deliveredAt: now,
          },
        },
        {
          type: CriticalEventType.Acknowledged,
          at: now,
          by: command.by,
          method,
          recordedBy: command.recordedBy,
          communicationId: id,
          ...(command.note ? { note: command.note } : {}),
        },
      ],
    };
  }
  if (command.recordedBy !== command.by) {
    return refuse(
      CriticalErrorCode.InvalidInput,
      `an acknowledgement by ${method} is given by the clinician themselves; record a phone read-back to acknowledge on someone's behalf`,
    );
  }
  if (!isRecipient(r, command.by)) {
    return refuse(
      CriticalErrorCode.NotARecipient,
      `critical result ${r.id} was not addressed to ${command.by}; it went to ${addressedRecipients(r).join(', ')}`,
    );
  }
  if (command.communicationId !== undefined) {
    const c = findCommunication(r, command.communicationId);
    if (!c || c.recipient !== command.by) {
      return refuse(
        CriticalErrorCode.UnknownCommunication,
        `communication ${command.communicationId} of critical result ${r.id} was not addressed to ${command.by}`,
      );
    }
  }
  return {
    ok: true,
    events: [
      {
        type: CriticalEventType.Acknowledged,
        at: now,
        by: command.by,
        method,
        recordedBy: command.recordedBy,
        ...(command.communicationId === undefined ? {} : { communicationId: command.communicationId }),
        ...(command.note ? { note: command.note } : {}),
      },
    ],
  };
}

function updateCommunication(
  r: CriticalResult,
  id: string,
  change: (c: CriticalCommunication) => CriticalCommunication,
): CriticalCommunication[] {
  return r.communications.map((c) => (c.id === id ? change(c) : c));
}

/** Folds one event into the result; the version counts events. */
export function evolveCritical(r: CriticalResult, e: CriticalEvent): CriticalResult {
  const next: CriticalResult = { ...r, version: r.version + 1 };
  switch (e.type) {
    case CriticalEventType.Flagged:
      break;
    case CriticalEventType.Communicated:
      next.communications = [...r.communications, { ...e.communication }];
      break;
    case CriticalEventType.Escalated:
      next.step = Math.max(r.step, e.step);
      next.stepDueAt = Math.max(r.stepDueAt, e.stepDueAt);
      break;
    case CriticalEventType.Delivered:
      next.communications = updateCommunication(r, e.communicationId, (c) => ({
        ...c,
        status: DeliveryStatus.Delivered,
        deliveredAt: e.at,
      }));
      break;
    case CriticalEventType.DeliveryFailed:
      next.communications = updateCommunication(r, e.communicationId, (c) => ({
        ...c,
        status: DeliveryStatus.Failed,
        error: e.error,
      }));
      break;
    case CriticalEventType.Opened:
      next.communications = updateCommunication(r, e.communicationId, (c) => ({
        ...c,
        openedAt: c.openedAt ?? e.at,
      }));
      break;
    case CriticalEventType.Acknowledged: {
      const { type: _, ...receipt } = e;
      next.state = CriticalState.Acknowledged;
      next.acknowledgement = receipt;
      next.communications = r.communications.map((c) =>
        c.recipient === e.by && c.acknowledgedAt === undefined ? { ...c, acknowledgedAt: e.at } : c,
      );
      break;
    }
    case CriticalEventType.Overdue:
      next.state = CriticalState.Overdue;
      next.overdueAt = e.at;
      break;
  }
  return next;
}

/** `decideCritical`, then its events folded: what the server stores. */
export function applyCriticalCommand(
  r: CriticalResult,
  command: CriticalCommand,
  now: number,
): CriticalApplied {
  const d = decideCritical(r, command, now);
  if (!d.ok) return d;
  return { ok: true, result: d.events.reduce(evolveCritical, r), events: d.events };
}

/**
 * Time left before the current rung runs out (negative once passed); for an overdue result, how long ago
 * the last rung ran out; null once acknowledged. The dashboard sorts by it.
 */
export function criticalTimeLeftMs(r: CriticalResult, now: number): number | null {
  return r.state === CriticalState.Acknowledged ? null : r.stepDueAt - now;
}
