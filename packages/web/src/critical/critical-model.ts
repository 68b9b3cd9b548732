// Words for critical results: categories, states, channels, and one line per communication.

import type { CriticalCategory, CriticalCommunication, CriticalResult } from './critical-api.ts';

export const categoryLabels: Record<CriticalCategory, string> = {
  critical: 'Critical',
  urgent: 'Urgent',
  'unexpected-significant': 'Unexpected significant',
};

/** What each category promises, for the flag form's choices. */
export const categoryHints: Record<CriticalCategory, string> = {
  critical: 'life-threatening: communicate within minutes',
  urgent: 'could become serious: communicate within hours',
  'unexpected-significant': 'significant, not urgent: communicate within days',
};

export const channelLabels: Record<CriticalCommunication['channel'], string> = {
  app: 'in the app',
  webhook: 'webhook',
  email: 'e-mail',
  phone: 'phone read-back',
};

export const methodLabels: Record<string, string> = {
  app: 'in the app',
  link: 'by link',
  phone: 'by phone read-back',
};

export function categoryLabel(category: string): string {
  return Object.hasOwn(categoryLabels, category) ? categoryLabels[category as CriticalCategory] : category;
}

export function channelLabel(channel: string): string {
  return Object.hasOwn(channelLabels, channel)
    ? channelLabels[channel as CriticalCommunication['channel']]
    : channel;
}

/** "to dr.backup by e-mail — delivered", "dr.chief by phone read-back (recorded by olive)". */
export function describeCommunication(c: CriticalCommunication): string {
  if (c.channel === 'phone') return `${c.recipient} by phone read-back (recorded by ${c.sentBy})`;
  const status =
    c.acknowledgedAt !== null
      ? 'acknowledged'
      : c.openedAt !== null
        ? 'opened'
        : c.status === 'delivered'
          ? 'delivered'
          : c.status === 'failed'
            ? `failed${c.error ? `: ${c.error}` : ''}`
            : 'sending';
  return `to ${c.recipient} ${channelLabel(c.channel)} — ${status}`;
}

/** The ladder position in words: "Backup clinician (rung 2 of 4)", or "ladder exhausted" once overdue. */
export function ladderPosition(r: CriticalResult): string {
  if (r.state === 'overdue') return `Ladder exhausted after ${r.stepName}`;
  return `${r.stepName} (rung ${r.step + 1} of ${r.rungs.length})`;
}

/** Whether the user is among the people this result was sent to (not counting phone calls). */
export function isAddressedTo(r: CriticalResult, username: string): boolean {
  return r.communications.some((c) => c.recipient === username && c.channel !== 'phone');
}

/** The token of an acknowledgement link, `#/ack/<token>`, or null for any other fragment. */
export function ackTokenFromHash(hash: string): string | null {
  const m = /^#\/ack\/([A-Za-z0-9_-]{20,128})$/.exec(hash);
  return m ? m[1]! : null;
}
