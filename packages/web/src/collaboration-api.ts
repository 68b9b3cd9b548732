// The case discussion and consult API as the browser uses it (see docs/collaboration.md): same origin,
// session cookie, no HTTP cache, every failure a ProblemError like the main API client.

import { requestJson } from './json-request.ts';

export interface CommentView {
  id: number;
  caseId: string;
  author: string;
  authorName: string | null;
  /** Null once deleted. */
  body: string | null;
  mentions: string[];
  annotationIds: string[];
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
  editableUntil: string;
}

export interface Participant {
  username: string;
  displayName: string | null;
}

export type ConsultKind = 'consult' | 'second-opinion';
export type ConsultUrgency = 'stat' | 'urgent' | 'routine';
export type ConsultStateName = 'requested' | 'unassigned' | 'accepted' | 'answered' | 'cancelled';

export interface ConsultView {
  id: string;
  caseId: string;
  kind: ConsultKind;
  urgency: ConsultUrgency;
  state: ConsultStateName;
  target: { kind: 'reader' | 'pool'; id: string; name: string };
  question: string;
  requestedBy: string;
  requestedAt: string;
  dueAt: string;
  expired: boolean;
  assignee: { readerId: string; name: string; username: string | null } | null;
  acceptedAt: string | null;
  answer: { text: string; by: string; at: string } | null;
  closedAt: string | null;
  declinedBy: string[];
  decision: { summary: string; outcome: string } | null;
}

export interface ConsultTargets {
  pools: { id: string; name: string; members: number }[];
  readers: { id: string; name: string; subspecialties: string[] }[];
}

export interface ConsultRequest {
  kind: ConsultKind;
  target: { kind: 'reader' | 'pool'; id: string };
  urgency: ConsultUrgency;
  question: string;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

function request<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  return requestJson<T>(method, path, {
    ...(body === undefined ? {} : { body }),
    ...(signal ? { signal } : {}),
  });
}

const casePath = (caseId: string) => `/api/cases/${encodeURIComponent(caseId)}`;

export const collaborationApi = {
  comments(caseId: string, page: { before?: number } = {}, signal?: AbortSignal) {
    const q = page.before ? `?before=${page.before}` : '';
    return request<{ comments: CommentView[]; more: boolean }>(
      'GET',
      `${casePath(caseId)}/discussion${q}`,
      undefined,
      signal,
    );
  },
  post(caseId: string, body: string, share?: string[]) {
    return request<CommentView>('POST', `${casePath(caseId)}/discussion`, {
      body,
      ...(share?.length ? { share } : {}),
    });
  },
  edit(caseId: string, commentId: number, body: string, share?: string[]) {
    return request<CommentView>('PATCH', `${casePath(caseId)}/discussion/${commentId}`, {
      body,
      ...(share?.length ? { share } : {}),
    });
  },
  remove(caseId: string, commentId: number) {
    return request<CommentView>('DELETE', `${casePath(caseId)}/discussion/${commentId}`);
  },
  participants(caseId: string, prefix: string, signal?: AbortSignal) {
    return request<{ users: Participant[] }>(
      'GET',
      `${casePath(caseId)}/discussion/participants?q=${encodeURIComponent(prefix)}`,
      undefined,
      signal,
    );
  },
  streamUrl(caseId: string) {
    return `${casePath(caseId)}/discussion/stream`;
  },
  consultsOfCase(caseId: string, signal?: AbortSignal) {
    return request<{ consults: ConsultView[] }>(
      'GET',
      `/api/consults?caseId=${encodeURIComponent(caseId)}`,
      undefined,
      signal,
    );
  },
  consults(which: 'mine' | 'requested', signal?: AbortSignal) {
    return request<{ consults: ConsultView[] }>(
      'GET',
      `/api/consults?${which === 'mine' ? 'mine=1' : 'requested=1&all=1'}`,
      undefined,
      signal,
    );
  },
  targets(signal?: AbortSignal) {
    return request<ConsultTargets>('GET', '/api/consults/targets', undefined, signal);
  },
  requestConsult(caseId: string, body: ConsultRequest) {
    return request<ConsultView>('POST', `${casePath(caseId)}/consults`, body);
  },
  consultAction(
    id: string,
    action: 'accept' | 'decline' | 'answer' | 'cancel',
    body?: Record<string, unknown>,
  ) {
    return request<ConsultView>('POST', `/api/consults/${encodeURIComponent(id)}/${action}`, body ?? {});
  },
};

export const consultKindLabels: Record<ConsultKind, string> = {
  consult: 'Consult',
  'second-opinion': 'Second opinion',
};

export const consultStateLabels: Record<ConsultStateName, string> = {
  requested: 'Waiting for the consultant',
  unassigned: 'Nobody eligible yet',
  accepted: 'Accepted',
  answered: 'Answered',
  cancelled: 'Cancelled',
};

/** The link a comment's `annotation:<id>` opens: the viewer on that annotation. */
export function annotationHref(caseId: string, annotationId: string): string {
  return `#/cases/${encodeURIComponent(caseId)}/viewer?annotation=${encodeURIComponent(annotationId)}`;
}
