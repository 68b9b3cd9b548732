// The browser's calls to the critical-results API. Same origin, session cookie; problems come back as
// ProblemError like every other call, so pages show them with ErrorNotice.

import { requestJson } from '../json-request.ts';

export type CriticalCategory = 'critical' | 'urgent' | 'unexpected-significant';
export type CriticalState = 'open' | 'overdue' | 'acknowledged';

export interface CriticalCommunication {
  id: string;
  step: number;
  channel: 'app' | 'webhook' | 'email' | 'phone';
  recipient: string;
  sentBy: string;
  at: string;
  status: 'pending' | 'delivered' | 'failed';
  deliveredAt: string | null;
  openedAt: string | null;
  acknowledgedAt: string | null;
  error: string | null;
}

export interface CriticalAcknowledgement {
  at: string;
  by: string;
  method: 'app' | 'link' | 'phone';
  recordedBy: string;
  communicationId: string | null;
  note: string | null;
}

export interface CriticalResult {
  id: string;
  caseId: string;
  siteId: string | null;
  category: CriticalCategory;
  finding: string;
  state: CriticalState;
  flaggedBy: string;
  flaggedAt: string;
  responsible: string;
  responsibleSource: string;
  dueAt: string;
  step: number;
  stepName: string;
  stepDueAt: string;
  timeLeftMs: number | null;
  currentRecipients: string[];
  rungs: { name: string; waitMinutes: number; recipients: string[] }[];
  acknowledgement: CriticalAcknowledgement | null;
  overdueAt: string | null;
  communications: CriticalCommunication[];
  lastCommunication: CriticalCommunication | null;
  reportId: string | null;
  case: { procedure: string | null; modalities: string[]; priority: string | null } | null;
}

export interface CriticalLink {
  resultId: string;
  caseId: string;
  category: CriticalCategory;
  finding: string;
  flaggedBy: string;
  flaggedAt: string;
  recipient: string;
  state: CriticalState;
  expiresAt: string;
  acknowledgement: CriticalAcknowledgement | null;
}

/** The page's requests: JSON over the session, no HTTP cache, failures as ProblemErrors (json-request.ts). */
function call<T>(
  path: string,
  init: { method?: 'GET' | 'POST'; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  return requestJson<T>(init.method ?? 'GET', path, {
    ...(init.body === undefined ? {} : { body: init.body }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

const enc = encodeURIComponent;

/** Open results: every one for coordinators (`mine` false), the caller's own otherwise. */
export async function listCriticalResults(
  query: { state?: 'open' | 'acknowledged' | 'all'; mine?: boolean },
  signal?: AbortSignal,
): Promise<CriticalResult[]> {
  const params = new URLSearchParams({
    state: query.state ?? 'open',
    ...(query.mine ? { mine: 'true' } : {}),
  });
  return (
    await call<{ results: CriticalResult[] }>(`/api/critical-results?${params}`, {
      ...(signal ? { signal } : {}),
    })
  ).results;
}

export function getCriticalResult(id: string, signal?: AbortSignal): Promise<CriticalResult> {
  return call(`/api/critical-results/${enc(id)}`, { ...(signal ? { signal } : {}) });
}

export async function caseCriticalResults(caseId: string, signal?: AbortSignal): Promise<CriticalResult[]> {
  return (
    await call<{ results: CriticalResult[] }>(`/api/cases/${enc(caseId)}/critical-results`, {
      ...(signal ? { signal } : {}),
    })
  ).results;
}

export function flagCriticalResult(
  caseId: string,
  input: { category: CriticalCategory; finding: string; responsible?: string },
): Promise<CriticalResult> {
  return call(`/api/cases/${enc(caseId)}/critical-results`, { method: 'POST', body: input });
}

export function acknowledgeCriticalResult(id: string): Promise<CriticalResult> {
  return call(`/api/critical-results/${enc(id)}/acknowledge`, { method: 'POST', body: {} });
}

export function acknowledgeOnBehalf(id: string, clinician: string, note: string): Promise<CriticalResult> {
  return call(`/api/critical-results/${enc(id)}/acknowledge-on-behalf`, {
    method: 'POST',
    body: { clinician, ...(note.trim() ? { note: note.trim() } : {}) },
  });
}

export function openCriticalLink(token: string, signal?: AbortSignal): Promise<CriticalLink> {
  return call(`/api/critical-links/${enc(token)}`, { ...(signal ? { signal } : {}) });
}

export function acknowledgeCriticalLink(token: string): Promise<CriticalLink> {
  return call(`/api/critical-links/${enc(token)}/acknowledge`, { method: 'POST' });
}
