// The MDT / tumour board API as the browser uses it (see docs/boards.md).

import { requestJson } from './json-request.ts';
import type { CaseSummary } from './worklist-model.ts';

export interface BoardMember {
  username: string;
  displayName: string | null;
}

export interface BoardSession {
  id: string;
  title: string;
  startsAt: string;
  date: string;
  time: string;
  timeZone: string;
  durationMinutes: number;
  specialties: string[];
  location: string | null;
  createdBy: string;
  cancelled: boolean;
  members: BoardMember[];
  caseCount: number;
  outcomesRecorded: number;
}

export interface BoardOutcome {
  category: string;
  recommendation: string;
  attendees: string[];
  recordedBy: string;
  recordedAt: string;
}

export interface BoardCase {
  caseId: string;
  position: number;
  question: string;
  addedBy: string;
  addedAt: string;
  case: Pick<
    CaseSummary,
    | 'studyUid'
    | 'state'
    | 'modalities'
    | 'procedure'
    | 'accessionNumber'
    | 'patientName'
    | 'patientId'
    | 'siteId'
  > | null;
  outcome: BoardOutcome | null;
}

export interface BoardSessionDetail extends BoardSession {
  cases: BoardCase[];
  canManage: boolean;
}

export interface BoardPresentation {
  session: { id: string; title: string };
  entry: BoardCase;
  index: number;
  total: number;
  previousCaseId: string | null;
  nextCaseId: string | null;
  case: CaseSummary;
  series: { seriesUid: string; modality: string | null; description: string | null; instances: number }[];
  report: { status: string; title?: string; text: string; impression?: string; authorName?: string } | null;
  discussion: { at: string; author: string; text: string }[] | null;
}

export interface BoardSessionInput {
  title: string;
  date: string;
  time: string;
  timeZone: string;
  durationMinutes: number;
  specialties: string[];
  location: string | null;
  members: string[];
}

const enc = encodeURIComponent;
const sig = (signal?: AbortSignal) => (signal ? { signal } : {});

export const boardsApi = {
  list: (past: boolean, signal?: AbortSignal) =>
    requestJson<{ sessions: BoardSession[] }>('GET', `/api/boards${past ? '?past=true' : ''}`, sig(signal)),
  get: (id: string, signal?: AbortSignal) =>
    requestJson<{ session: BoardSessionDetail }>('GET', `/api/boards/${enc(id)}`, sig(signal)),
  create: (input: BoardSessionInput) =>
    requestJson<{ session: BoardSessionDetail }>('POST', '/api/boards', { body: input }),
  update: (id: string, input: Partial<BoardSessionInput>) =>
    requestJson<{ session: BoardSessionDetail }>('PATCH', `/api/boards/${enc(id)}`, { body: input }),
  cancel: (id: string) =>
    requestJson<{ session: BoardSessionDetail }>('POST', `/api/boards/${enc(id)}/cancel`),
  addCase: (id: string, caseId: string, question: string) =>
    requestJson<{ session: BoardSessionDetail }>('POST', `/api/boards/${enc(id)}/cases`, {
      body: { caseId, question },
    }),
  removeCase: (id: string, caseId: string) =>
    requestJson<{ session: BoardSessionDetail }>('DELETE', `/api/boards/${enc(id)}/cases/${enc(caseId)}`),
  reorder: (id: string, caseIds: string[]) =>
    requestJson<{ session: BoardSessionDetail }>('PUT', `/api/boards/${enc(id)}/cases/order`, {
      body: { caseIds },
    }),
  present: (id: string, caseId: string, signal?: AbortSignal) =>
    requestJson<BoardPresentation>('GET', `/api/boards/${enc(id)}/cases/${enc(caseId)}/present`, sig(signal)),
  recordOutcome: (
    id: string,
    caseId: string,
    outcome: { category: string; recommendation: string; attendees: string[] },
  ) =>
    requestJson<{ entry: BoardCase }>('PUT', `/api/boards/${enc(id)}/cases/${enc(caseId)}/outcome`, {
      body: outcome,
    }),
  forCase: (caseId: string, signal?: AbortSignal) =>
    requestJson<{ sessions: { id: string; title: string; startsAt: string; outcome: string | null }[] }>(
      'GET',
      `/api/cases/${enc(caseId)}/boards`,
      sig(signal),
    ),
};

/** Where a board page points: the list, one session, or its presentation (optionally at a case). */
export type BoardPath =
  | { view: 'list' }
  | { view: 'session'; id: string }
  | { view: 'present'; id: string; caseId: string | null };

/** Reads `#/boards`, `#/boards/<id>`, `#/boards/<id>/present?case=<caseId>`. */
export function parseBoardPath(hash: string): BoardPath {
  const fragment = hash.replace(/^#\/?/, '');
  const queryAt = fragment.indexOf('?');
  const path = queryAt < 0 ? fragment : fragment.slice(0, queryAt);
  const params = new URLSearchParams(queryAt < 0 ? '' : fragment.slice(queryAt + 1));
  const [, rawId = '', sub = ''] = path.split('/');
  let id = '';
  try {
    id = decodeURIComponent(rawId);
  } catch {
    return { view: 'list' };
  }
  if (!id) return { view: 'list' };
  if (sub === 'present') return { view: 'present', id, caseId: params.get('case') };
  return { view: 'session', id };
}

export function boardHref(id: string): string {
  return `#/boards/${enc(id)}`;
}

export function presentHref(id: string, caseId?: string | null): string {
  return `#/boards/${enc(id)}/present${caseId ? `?case=${enc(caseId)}` : ''}`;
}
