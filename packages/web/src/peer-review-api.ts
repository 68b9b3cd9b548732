// The peer review API as the browser uses it (see docs/peer-review.md).

import type { PeerReviewSettings, PeerReviewSummary } from '@confer/core';
import { requestJson } from './json-request.ts';

export interface PersonRef {
  id: string;
  name: string;
}

export interface PeerReview {
  id: string;
  caseId: string;
  studyUid: string;
  modalities: string[];
  procedure: string | null;
  accessionNumber: string | null;
  state: 'assigned' | 'scored';
  finalizedAt: string;
  sampledAt: string;
  dueAt: string;
  overdue: boolean;
  originalReader: PersonRef | null;
  reviewer: PersonRef | null;
  anonymised: boolean;
  score: number | null;
  significance: string | null;
  scoreCode: string | null;
  comment: string | null;
  scoredAt: string | null;
  discrepancy: {
    state: string;
    response: string | null;
    readerComment: string | null;
    respondedAt: string | null;
    escalatedAt: string | null;
    closedAt: string | null;
    leadNote: string | null;
  } | null;
  sample?: { rate: number; source: string; draw: number };
}

export interface PeerReviewDetail extends PeerReview {
  patientName: string | null;
  patientId: string | null;
  series: { seriesUid: string; modality: string | null; description: string | null; instances: number }[];
  report: { status: string; title?: string; text: string; impression?: string; authorName?: string } | null;
}

export interface SummaryRange {
  from?: string;
  to?: string;
}

export interface PeerReviewSummaries {
  overall: PeerReviewSummary;
  byReader: { readerId: string; name: string; summary: PeerReviewSummary }[];
  byModality: { modality: string; summary: PeerReviewSummary }[];
  open: { assigned: number; overdue: number; discrepanciesOpen: number };
}

export type SavedSettings = PeerReviewSettings & { savedAt: string | null; savedBy: string | null };

function rangeQuery(range: SummaryRange): string {
  const q = new URLSearchParams();
  if (range.from) q.set('from', range.from);
  if (range.to) q.set('to', range.to);
  const s = q.toString();
  return s ? `?${s}` : '';
}

const id = (reviewId: string) => encodeURIComponent(reviewId);

export const peerReviewApi = {
  mine: (signal?: AbortSignal) =>
    requestJson<{ reviews: PeerReview[] }>('GET', '/api/peer-review/mine', { ...(signal ? { signal } : {}) }),
  myDiscrepancies: (signal?: AbortSignal) =>
    requestJson<{ reviews: PeerReview[] }>('GET', '/api/peer-review/discrepancies/mine', {
      ...(signal ? { signal } : {}),
    }),
  mySummary: (range: SummaryRange, signal?: AbortSignal) =>
    requestJson<{ summary: PeerReviewSummary }>('GET', `/api/peer-review/summary/mine${rangeQuery(range)}`, {
      ...(signal ? { signal } : {}),
    }),
  detail: (reviewId: string, signal?: AbortSignal) =>
    requestJson<{ review: PeerReviewDetail }>('GET', `/api/peer-review/reviews/${id(reviewId)}`, {
      ...(signal ? { signal } : {}),
    }),
  score: (reviewId: string, body: { score: number; significance?: string | null; comment?: string }) =>
    requestJson<{ review: PeerReview }>('POST', `/api/peer-review/reviews/${id(reviewId)}/score`, { body }),
  respond: (reviewId: string, body: { response: 'agree' | 'disagree'; comment?: string }) =>
    requestJson<{ review: PeerReview }>('POST', `/api/peer-review/reviews/${id(reviewId)}/respond`, { body }),
  escalate: (reviewId: string, note: string) =>
    requestJson<{ review: PeerReview }>('POST', `/api/peer-review/reviews/${id(reviewId)}/escalate`, {
      body: note ? { note } : {},
    }),
  close: (reviewId: string, note: string) =>
    requestJson<{ review: PeerReview }>('POST', `/api/peer-review/reviews/${id(reviewId)}/close`, {
      body: note ? { note } : {},
    }),
  all: (query: { discrepancy?: string }, signal?: AbortSignal) =>
    requestJson<{ reviews: PeerReview[] }>(
      'GET',
      `/api/peer-review/reviews${query.discrepancy ? `?discrepancy=${encodeURIComponent(query.discrepancy)}` : ''}`,
      { ...(signal ? { signal } : {}) },
    ),
  summaries: (range: SummaryRange, signal?: AbortSignal) =>
    requestJson<PeerReviewSummaries>('GET', `/api/peer-review/summary${rangeQuery(range)}`, {
      ...(signal ? { signal } : {}),
    }),
  settings: (signal?: AbortSignal) =>
    requestJson<{ settings: SavedSettings }>('GET', '/api/peer-review/settings', {
      ...(signal ? { signal } : {}),
    }),
  saveSettings: (settings: PeerReviewSettings) =>
    requestJson<{ settings: PeerReviewSettings }>('PUT', '/api/peer-review/settings', { body: settings }),
};
