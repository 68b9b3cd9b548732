import { parseMessage } from './message.ts';

/**
 * MSA-1 acknowledgment codes (HL7 table 0008). Original mode: AA accept, AE error, AR reject. Enhanced
 * mode (commit acknowledgment): CA accept, CE error, CR reject.
 */
export const AckCode = {
  ApplicationAccept: 'AA',
  ApplicationError: 'AE',
  ApplicationReject: 'AR',
  CommitAccept: 'CA',
  CommitError: 'CE',
  CommitReject: 'CR',
} as const;
export type AckCode = (typeof AckCode)[keyof typeof AckCode];

const ACCEPTED = new Set<string>([AckCode.ApplicationAccept, AckCode.CommitAccept]);
const KNOWN = new Set<string>(Object.values(AckCode));

/** What a receiver answered, read from its ACK. */
export interface ParsedAck {
  code: string;
  /** MSA-2: the control id of the message being acknowledged. */
  controlId: string;
  /** MSA-3 and every ERR's text (ERR-8 user message, ERR-3 error code text, ERR-1 in v2.3 style). */
  text: string;
  /** MSH-10 of the ACK itself. */
  ackControlId: string;
}

/** The verdict on an ACK for the message Confer sent. */
export type AckVerdict =
  | { accepted: true; ack: ParsedAck }
  | { accepted: false; ack: ParsedAck | undefined; error: string };

/** Reads MSH and MSA (and ERR) of an acknowledgment. Throws Hl7ParseError when there is no MSH. */
export function parseAck(text: string): ParsedAck {
  const msg = parseMessage(text);
  const msa = msg.segment('MSA');
  const texts: string[] = [];
  const msa3 = msa?.get(3) ?? '';
  if (msa3) texts.push(msa3);
  for (const err of msg.all('ERR')) {
    // v2.5.1 ERR-8 user message, ERR-3 HL7 error code (CWE: code^text), ERR-1 (v2.3) location^code^text.
    const parts = [err.get(8), err.get(3, 2) || err.get(3, 1), err.get(1, 4, 2) || err.get(1, 4, 1)].filter(
      (p) => p !== '',
    );
    if (parts.length > 0) texts.push(parts.join(': '));
  }
  return {
    code: (msa?.get(1) ?? '').trim().toUpperCase(),
    controlId: (msa?.get(2) ?? '').trim(),
    text: texts.join('; '),
    ackControlId: msg.segment('MSH')?.get(10) ?? '',
  };
}

/**
 * Judges an ACK: accepted only with MSA-1 AA or CA and MSA-2 equal to the control id Confer sent (an ACK
 * for another message means the receiver is confused, so the message counts as not delivered).
 */
export function judgeAck(text: string, expectedControlId: string): AckVerdict {
  let ack: ParsedAck;
  try {
    ack = parseAck(text);
  } catch (err) {
    return { accepted: false, ack: undefined, error: `unreadable acknowledgment: ${(err as Error).message}` };
  }
  if (!ack.code)
    return { accepted: false, ack, error: 'the acknowledgment has no MSA segment or no MSA-1 code' };
  if (!KNOWN.has(ack.code)) return { accepted: false, ack, error: `unknown acknowledgment code ${ack.code}` };
  if (ack.controlId !== expectedControlId)
    return {
      accepted: false,
      ack,
      error: `the acknowledgment is for message ${ack.controlId || '(none)'}, not ${expectedControlId}`,
    };
  if (ACCEPTED.has(ack.code)) return { accepted: true, ack };
  return {
    accepted: false,
    ack,
    error: `${ack.code}${ack.text ? `: ${ack.text}` : ' (the receiver gave no reason)'}`,
  };
}
