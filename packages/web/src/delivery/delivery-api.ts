// The browser's calls to the report outputs API (PDF links, delivery states, the retry command).

import { requestJson } from '../json-request.ts';

export type DeliveryState = 'pending' | 'sending' | 'delivered' | 'failed';

export interface DeliverySummary {
  id: number;
  destinationId: string;
  destinationType: string;
  state: DeliveryState;
  attempts: number;
  lastAckCode: string | null;
  lastError: string | null;
}

export interface SignedVersion {
  reportId: string;
  version: number;
  kind: 'preliminary' | 'final' | 'addendum';
  signedAt: string;
  signedBy: string;
  title: string;
  pdfUrl: string;
  deliveries: DeliverySummary[];
}

export interface DeliveryAttempt {
  attempt: number;
  startedAt: string;
  finishedAt: string;
  outcome: 'accepted' | 'rejected' | 'error';
  ackCode: string | null;
  error: string | null;
  node: string;
}

export interface Delivery extends DeliverySummary {
  reportId: string;
  reportVersion: number;
  kind: string;
  caseId: string;
  messageControlId: string;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  failedAt: string | null;
  createdAt: string;
  attemptLog?: DeliveryAttempt[];
}

export const deliveryApi = {
  signedVersions(caseId: string, signal?: AbortSignal) {
    return requestJson<{ versions: SignedVersion[] }>(
      'GET',
      `/api/cases/${encodeURIComponent(caseId)}/signed-reports`,
      {
        ...(signal ? { signal } : {}),
      },
    );
  },
  list(state: DeliveryState | 'all', signal?: AbortSignal) {
    const query = state === 'all' ? '' : `?state=${state}`;
    return requestJson<{ deliveries: Delivery[] }>('GET', `/api/report-deliveries${query}`, {
      ...(signal ? { signal } : {}),
    });
  },
  ofReport(reportId: string, signal?: AbortSignal) {
    return requestJson<{ deliveries: Delivery[] }>(
      'GET',
      `/api/reports/${encodeURIComponent(reportId)}/deliveries`,
      {
        ...(signal ? { signal } : {}),
      },
    );
  },
  retry(id: number) {
    return requestJson<{ delivery: Delivery }>('POST', `/api/report-deliveries/${id}/retry`);
  },
};

/** Words for a delivery's state, and the badge class that colours it. */
export const deliveryStateLabel: Record<DeliveryState, { text: string; badge: string }> = {
  pending: { text: 'Waiting', badge: 'badge-muted' },
  sending: { text: 'Sending', badge: 'badge-muted' },
  delivered: { text: 'Delivered', badge: 'badge-good' },
  failed: { text: 'Failed', badge: 'badge-danger' },
};

export const signedKindLabel: Record<SignedVersion['kind'], string> = {
  preliminary: 'Preliminary',
  final: 'Final',
  addendum: 'Addendum',
};
