/**
 * The discrepancy workflow: a score of 2 or more (or marked likely clinically significant) goes back to the
 * original reader, who answers (agrees or disagrees, with a comment); a quality lead then closes it, or
 * escalates it to the quality committee and closes it once the committee has met.
 *
 *   awaiting-response ──(reader answers)──> responded ──(lead closes)──> closed
 *          │                                    │
 *          └───────(lead escalates)─────────────┴──> escalated ──(lead closes)──> closed
 *
 * A lead may close or escalate before the reader answers (a reader who left, a clear-cut case).
 */

export const DiscrepancyState = {
  AwaitingResponse: 'awaiting-response',
  Responded: 'responded',
  Escalated: 'escalated',
  Closed: 'closed',
} as const;
export type DiscrepancyState = (typeof DiscrepancyState)[keyof typeof DiscrepancyState];

export const ReaderResponse = { Agree: 'agree', Disagree: 'disagree' } as const;
export type ReaderResponse = (typeof ReaderResponse)[keyof typeof ReaderResponse];

export type DiscrepancyAction =
  | { type: 'respond'; response: ReaderResponse; comment: string | null }
  | { type: 'escalate'; note: string | null }
  | { type: 'close'; note: string | null };

export type DiscrepancyStep = { ok: true; state: DiscrepancyState } | { ok: false; message: string };

/** The next state of a discrepancy, or why the action is refused in this state. */
export function stepDiscrepancy(state: DiscrepancyState, action: DiscrepancyAction): DiscrepancyStep {
  if (state === DiscrepancyState.Closed)
    return { ok: false, message: 'the discrepancy is closed; nothing more can be recorded on it' };
  switch (action.type) {
    case 'respond':
      if (state !== DiscrepancyState.AwaitingResponse)
        return { ok: false, message: 'the original reader has already answered this discrepancy' };
      if (action.response === ReaderResponse.Disagree && !action.comment?.trim())
        return { ok: false, message: 'say why you disagree in the comment, for the quality lead' };
      return { ok: true, state: DiscrepancyState.Responded };
    case 'escalate':
      if (state === DiscrepancyState.Escalated)
        return { ok: false, message: 'the discrepancy is already with the committee' };
      return { ok: true, state: DiscrepancyState.Escalated };
    case 'close':
      return { ok: true, state: DiscrepancyState.Closed };
  }
}
