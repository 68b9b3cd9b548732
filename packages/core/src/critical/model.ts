/**
 * The critical-result protocol's model. A critical result is a finding that must reach a responsible
 * clinician within a deadline set by its ACR category, be acknowledged by them (or by whoever the
 * escalation ladder reached next), and leave a record of every communication: who sent what to whom, when,
 * how, and when it was received and acknowledged. Instants are epoch milliseconds (UTC).
 */

/** ACR Practice Parameter for Communication of Diagnostic Imaging Findings: the three categories. */
export const CriticalCategory = {
  /** Life-threatening; communicate within minutes. */
  Critical: 'critical',
  /** Could become life-threatening; communicate within hours. */
  Urgent: 'urgent',
  /** Significant but not urgent; communicate within days. */
  UnexpectedSignificant: 'unexpected-significant',
} as const;
export type CriticalCategory = (typeof CriticalCategory)[keyof typeof CriticalCategory];

/** How a communication travels. `phone` is recorded by a coordinator (a read-back), never sent by Confer. */
export const CriticalChannel = { App: 'app', Webhook: 'webhook', Email: 'email', Phone: 'phone' } as const;
export type CriticalChannel = (typeof CriticalChannel)[keyof typeof CriticalChannel];

/** How an acknowledgement was given. */
export const AckMethod = {
  /** The in-app button, by the signed-in recipient. */
  App: 'app',
  /** The single-use link from an e-mail or webhook. */
  Link: 'link',
  /** A phone read-back, recorded by a coordinator on the clinician's behalf. */
  Phone: 'phone',
} as const;
export type AckMethod = (typeof AckMethod)[keyof typeof AckMethod];

export const CriticalState = {
  /** Waiting for an acknowledgement; the current rung's timer runs. */
  Open: 'open',
  /** The ladder is exhausted and nobody has acknowledged: coordinators must act. Still acknowledgeable. */
  Overdue: 'overdue',
  Acknowledged: 'acknowledged',
} as const;
export type CriticalState = (typeof CriticalState)[keyof typeof CriticalState];

/** Where the responsible clinician came from. */
export type ResponsibleSource = 'given' | 'case' | 'site-default' | 'default';

/** One recipient of a rung and the channels Confer reaches them by (resolved from configuration at flag time). */
export interface RungRecipient {
  username: string;
  channels: CriticalChannel[];
}

/**
 * One rung of the escalation ladder as stored with the result. Rung 0 is the responsible clinician and waits
 * for the category's deadline; each later rung waits its own `waitMs` after it is notified. Rungs are
 * resolved when the result is flagged, so a configuration change never rewrites an escalation under way.
 */
export interface Rung {
  name: string;
  waitMs: number;
  recipients: RungRecipient[];
}

export const DeliveryStatus = { Pending: 'pending', Delivered: 'delivered', Failed: 'failed' } as const;
export type DeliveryStatus = (typeof DeliveryStatus)[keyof typeof DeliveryStatus];

/** The record of one communication: one recipient, one channel, one rung. */
export interface CriticalCommunication {
  /** `<result id>/<n>`, n counting from 1 in the order they were made. */
  id: string;
  step: number;
  channel: CriticalChannel;
  recipient: string;
  /** Who sent it: the flagging reader for rung 0, 'confer' for escalations, the coordinator for a phone call. */
  sentBy: string;
  /** When it was made (queued for delivery; for app and phone, also delivered). */
  at: number;
  status: DeliveryStatus;
  /** When the channel confirmed receipt (app stored, webhook 2xx, SMTP accepted, phone spoken). */
  deliveredAt?: number;
  /** When the recipient opened it (the link page, the in-app page). */
  openedAt?: number;
  /** When the recipient acknowledged (set on their communications when they do). */
  acknowledgedAt?: number;
  error?: string;
}

/** The receipt of an acknowledgement: who, when, how, and who recorded it. */
export interface CriticalAcknowledgement {
  at: number;
  /** The clinician who acknowledged. */
  by: string;
  method: AckMethod;
  /** The user who recorded it: `by` themselves, or the coordinator who took a phone read-back. */
  recordedBy: string;
  /** The communication acknowledged (the link's, or the phone call's). */
  communicationId?: string;
  note?: string;
}

export interface CriticalResult {
  id: string;
  caseId: string;
  siteId: string | null;
  category: CriticalCategory;
  finding: string;
  flaggedBy: string;
  flaggedAt: number;
  responsible: string;
  responsibleSource: ResponsibleSource;
  /** The category deadline: flaggedAt plus the category's allowance. Never moves. */
  dueAt: number;
  rungs: Rung[];
  /** The rung notified last. */
  step: number;
  /** When the current rung's wait ends and the next rung is notified (or the result becomes overdue). */
  stepDueAt: number;
  state: CriticalState;
  communications: CriticalCommunication[];
  acknowledgement: CriticalAcknowledgement | null;
  /** Set when escalation ran out of rungs. */
  overdueAt: number | null;
  version: number;
}

export type CriticalCommand =
  /** The current rung's timer fired; `step` is the rung the timer was for, so a stale timer does nothing. */
  | { type: 'escalate'; step: number }
  /** A channel reported on a communication. */
  | { type: 'delivery'; communicationId: string; ok: boolean; error?: string }
  /** The recipient opened the communication (link page, in-app page). */
  | { type: 'open'; communicationId: string }
  | {
      type: 'acknowledge';
      by: string;
      method: AckMethod;
      recordedBy: string;
      communicationId?: string;
      note?: string;
    };

export const CriticalEventType = {
  Flagged: 'critical:flagged',
  Communicated: 'critical:communicated',
  Escalated: 'critical:escalated',
  Delivered: 'critical:delivered',
  DeliveryFailed: 'critical:delivery-failed',
  Opened: 'critical:opened',
  Acknowledged: 'critical:acknowledged',
  Overdue: 'critical:overdue',
} as const;
export type CriticalEventType = (typeof CriticalEventType)[keyof typeof CriticalEventType];

export type CriticalEvent =
  | { type: typeof CriticalEventType.Flagged; at: number; by: string; category: CriticalCategory }
  | { type: typeof CriticalEventType.Communicated; at: number; communication: CriticalCommunication }
  | { type: typeof CriticalEventType.Escalated; at: number; step: number; stepDueAt: number }
  | { type: typeof CriticalEventType.Delivered; at: number; communicationId: string }
  | { type: typeof CriticalEventType.DeliveryFailed; at: number; communicationId: string; error: string }
  | { type: typeof CriticalEventType.Opened; at: number; communicationId: string }
  | ({ type: typeof CriticalEventType.Acknowledged } & CriticalAcknowledgement)
  | { type: typeof CriticalEventType.Overdue; at: number; step: number };

export const CriticalErrorCode = {
  NotFound: 'CONFER_ERR_CRITICAL_NOT_FOUND',
  AlreadyAcknowledged: 'CONFER_ERR_CRITICAL_ALREADY_ACKNOWLEDGED',
  NotARecipient: 'CONFER_ERR_CRITICAL_NOT_A_RECIPIENT',
  InvalidInput: 'CONFER_ERR_CRITICAL_INVALID',
  UnknownCommunication: 'CONFER_ERR_CRITICAL_UNKNOWN_COMMUNICATION',
  NotDue: 'CONFER_ERR_CRITICAL_NOT_DUE',
} as const;
export type CriticalErrorCode = (typeof CriticalErrorCode)[keyof typeof CriticalErrorCode];

export type CriticalDecision =
  | { ok: true; events: CriticalEvent[] }
  | { ok: false; code: CriticalErrorCode; message: string };
