import type { CriticalCommunication, CriticalResult } from '@confer/core';
import type { MailMessage } from '../mail/smtp-client.ts';

/**
 * What leaves Confer about a critical result. Neither the e-mail nor the webhook carries a patient name, ID,
 * birth date or accession number: the case id is Confer's own opaque id, and the clinician sees the finding
 * and the case after opening the single-use link. The finding's text is in the webhook (sent to a configured
 * hospital system) and in e-mails only when `critical.emailIncludesFinding` is set.
 */

const categoryWords: Record<string, string> = {
  critical: 'critical (communicate within minutes)',
  urgent: 'urgent (communicate within hours)',
  'unexpected-significant': 'unexpected significant (communicate within days)',
};

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface LinkInfo {
  url: string;
  expiresAt: number;
}

export function criticalEmail(
  r: CriticalResult,
  c: CriticalCommunication,
  to: string,
  link: LinkInfo,
  options: { includeFinding: boolean; siteName?: string },
): MailMessage {
  const rung = r.rungs[c.step]?.name ?? 'Recipient';
  const lines = [
    `A ${categoryWords[r.category] ?? r.category} result needs your acknowledgement.`,
    '',
    `Case: ${r.caseId}${options.siteName ? ` (${options.siteName})` : ''}`,
    `Flagged: ${iso(r.flaggedAt)} by ${r.flaggedBy}`,
    `You receive it as: ${rung}${c.step > 0 ? ' (escalated: nobody acknowledged it in time)' : ''}`,
    `Acknowledge by: ${iso(r.stepDueAt)}`,
    ...(options.includeFinding ? ['', `Finding: ${r.finding}`] : []),
    '',
    'Open the finding and acknowledge it:',
    link.url,
    '',
    `The link works once and expires at ${iso(link.expiresAt)}.`,
    'This message carries no patient identifiers; sign in to Confer for the full case.',
  ];
  return {
    to,
    subject: `[Confer] ${r.category === 'critical' ? 'CRITICAL' : r.category} result to acknowledge - case ${r.caseId}`,
    text: lines.join('\n'),
    headers: { 'X-Confer-Critical-Result': r.id, 'X-Confer-Communication': c.id },
  };
}

/** The webhook's JSON body: one notification of one recipient. */
export function criticalWebhookPayload(
  r: CriticalResult,
  c: CriticalCommunication,
  link: LinkInfo,
  email: string | undefined,
) {
  return {
    type: 'critical-result.notification',
    resultId: r.id,
    communicationId: c.id,
    caseId: r.caseId,
    siteId: r.siteId,
    category: r.category,
    finding: r.finding,
    recipient: { username: c.recipient, ...(email ? { email } : {}) },
    step: c.step,
    stepName: r.rungs[c.step]?.name ?? null,
    flaggedAt: iso(r.flaggedAt),
    flaggedBy: r.flaggedBy,
    acknowledgeBy: iso(r.stepDueAt),
    acknowledgeUrl: link.url,
    linkExpiresAt: iso(link.expiresAt),
  };
}
