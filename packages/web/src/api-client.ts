// The browser's only way to the Confer server: the auth, system, audit and site endpoints, QIDO-RS, and
// the worklist API (cases, queues, readers, routing). Same origin, session in an HttpOnly cookie, so
// nothing here ever sees a token.

import { networkProblem, ProblemError, problemFromResponse, unexpectedResponseProblem } from './problem.ts';
import { buildStudySearchParams, type StudyFilters, takePage } from './qido-query.ts';
import type {
  CaseDetail,
  CaseSummary,
  LiveRoutingConfig,
  QueuesOverview,
  ReaderDirectory,
  RoutingConfigDocument,
  RoutingSaveResult,
  RoutingVersionInfo,
} from './worklist-model.ts';

/** The signed-in user. */
export interface User {
  username: string;
  roles: string[];
}

/** Roles the browser acts on; the server enforces them, the browser only hides what would be refused. */
export const Role = { Admin: 'admin', Radiologist: 'radiologist', Coordinator: 'coordinator' } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** What a user's roles let them see, for navigation and for which actions to offer. */
export interface Abilities {
  /** The worklist (own cases for readers, every case for coordinators). */
  worklist: boolean;
  /** Claim and report cases (the server also needs the user in the routing directory). */
  read: boolean;
  /** Every case, queues, reassign, reprioritise, exceptions. */
  manage: boolean;
  /** View and edit routing rules, shifts, rosters and SLAs. */
  routing: boolean;
  admin: boolean;
  /** MDT / tumour boards: attend (readers, referrers) or run them (coordinators). */
  boards: boolean;
}

export function abilitiesOf(user: User): Abilities {
  const has = (role: Role) => user.roles.includes(role);
  const admin = has(Role.Admin);
  const manage = admin || has(Role.Coordinator);
  const read = admin || has(Role.Radiologist);
  const boards = read || manage || user.roles.includes('referrer');
  return { worklist: read || manage, read, manage, routing: manage, admin, boards };
}

/** Case actions that are a plain POST to /api/cases/:id/<action>. */
export type CaseActionName =
  | 'claim'
  | 'heartbeat'
  | 'release'
  | 'preliminary'
  | 'final'
  | 'unreadable'
  | 'reassign'
  | 'exception'
  | 'resolve'
  | 'priority';

/** Where and how the server takes images, from GET /api/system. */
export interface SystemInfo {
  version: string;
  aeTitle: string;
  dicomPort: number;
  dicomwebBase: string;
  database: string;
}

/** One audited access, from GET /api/audit. */
export interface AuditEvent {
  id: string;
  /** ISO 8601, UTC. */
  at: string;
  actor: string;
  action: string;
  protocol: string;
  studyUid: string | null;
  patientId: string | null;
  remoteAddress: string | null;
  outcome: string;
  detail: string | null;
}

/** A sending site and the calling AE titles that identify it, from GET /api/sites. */
export interface Site {
  id: string;
  name: string;
  aeTitles: string[];
  timeZone: string;
}

/** One page of QIDO-RS results as raw DICOM JSON datasets. */
export interface DatasetPage {
  datasets: unknown[];
  hasMore: boolean;
}

/** Called when a request that needs a session gets 401: the session expired or was revoked. */
export type SessionExpiredListener = () => void;

export interface ConferApi {
  /** Signs in; a wrong password is a {@link ProblemError} with status 401. */
  login(username: string, password: string): Promise<User>;
  logout(): Promise<void>;
  /** The current user, or `null` when there is no session. */
  me(signal?: AbortSignal): Promise<User | null>;
  system(signal?: AbortSignal): Promise<SystemInfo>;
  sites(signal?: AbortSignal): Promise<Site[]>;
  audit(limit: number, signal?: AbortSignal): Promise<AuditEvent[]>;
  searchStudies(
    filters: StudyFilters,
    page: { pageSize: number; offset: number },
    signal?: AbortSignal,
  ): Promise<DatasetPage>;
  studySeries(studyUid: string, signal?: AbortSignal): Promise<unknown[]>;
  /** GET /api/worklist with the given query (see worklist-view.ts). */
  worklist(params: URLSearchParams, signal?: AbortSignal): Promise<{ cases: CaseSummary[]; more: boolean }>;
  /** Claims the next case in the given server sort; a 404 problem when none is waiting. */
  nextCase(sort: string): Promise<CaseSummary>;
  caseDetail(caseId: string, signal?: AbortSignal): Promise<CaseDetail>;
  /** Runs one case action; answers the case as it is afterwards. */
  caseAction(caseId: string, action: CaseActionName, body?: Record<string, unknown>): Promise<CaseSummary>;
  queues(signal?: AbortSignal): Promise<QueuesOverview>;
  readers(signal?: AbortSignal): Promise<ReaderDirectory>;
  routingConfig(signal?: AbortSignal): Promise<LiveRoutingConfig>;
  routingVersions(signal?: AbortSignal): Promise<RoutingVersionInfo[]>;
  routingVersion(version: number, signal?: AbortSignal): Promise<RoutingConfigDocument>;
  /** Saves one section as a new live version; a 422 problem lists every validation error. */
  saveRoutingSection(section: string, value: unknown, comment: string): Promise<RoutingSaveResult>;
  /** Loads the server's routing file again as a new version. */
  reloadRouting(): Promise<RoutingSaveResult>;
  /**
   * Checks the session with a request that, answered 401, tells the session listeners: for callers that
   * cannot see HTTP statuses themselves (an EventSource that failed).
   */
  verifySession(): Promise<void>;
  /** Where the live worklist stream is, for an EventSource. */
  readonly worklistStreamUrl: string;
  /** Subscribes to session expiry; returns the unsubscribe function. */
  onSessionExpired(listener: SessionExpiredListener): () => void;
}

export interface ConferApiOptions {
  /** Injected so tests can answer requests without a server. */
  fetch?: typeof globalThis.fetch;
  /** Prefix for every path; '' for the same origin, which is how the server serves this app. */
  baseUrl?: string;
}

/** Builds the API client. One per page; the app shares it through React context. */
export function createConferApi(options: ConferApiOptions = {}): ConferApi {
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const baseUrl = options.baseUrl ?? '';
  const listeners = new Set<SessionExpiredListener>();

  async function send(
    path: string,
    init: RequestInit & { accept: string; expiresSession: boolean },
  ): Promise<Response> {
    const { accept, expiresSession, ...rest } = init;
    let response: Response;
    try {
      response = await fetchFn(`${baseUrl}${path}`, {
        ...rest,
        credentials: 'same-origin',
        // Responses carry patient data: keep them out of the browser's HTTP cache on shared workstations.
        cache: 'no-store',
        headers: { Accept: `${accept}, application/problem+json`, ...rest.headers },
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new ProblemError(networkProblem());
    }
    if (!response.ok) {
      const problem = problemFromResponse(
        response.status,
        response.headers.get('Content-Type'),
        await response.text(),
      );
      if (response.status === 401 && expiresSession) {
        for (const listener of [...listeners]) listener();
      }
      throw new ProblemError(problem);
    }
    return response;
  }

  async function getJson(path: string, what: string, signal: AbortSignal | undefined): Promise<unknown> {
    const response = await send(path, {
      accept: 'application/json',
      expiresSession: true,
      signal: signal ?? null,
    });
    return readJson(response, what);
  }

  async function getDicomJson(
    path: string,
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<unknown[]> {
    const response = await send(path, {
      accept: 'application/dicom+json',
      expiresSession: true,
      signal: signal ?? null,
    });
    // PS3.18 10.6.3: a search that matches nothing may answer 204 No Content instead of [].
    if (response.status === 204) return [];
    const text = await response.text();
    if (text.trim() === '') return [];
    const body = parseJson(text, response.status, what);
    if (!Array.isArray(body)) throw new ProblemError(unexpectedResponseProblem(response.status, what));
    return body;
  }

  async function sendJson(
    method: 'POST' | 'PUT',
    path: string,
    what: string,
    body: unknown,
  ): Promise<unknown> {
    // No body at all (rather than "{}") for actions that take none: the server rejects a JSON content
    // type with an empty body, and some actions declare no body.
    const init: RequestInit & { accept: string; expiresSession: boolean } =
      body === undefined
        ? { method, accept: 'application/json', expiresSession: true }
        : {
            method,
            accept: 'application/json',
            expiresSession: true,
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
          };
    const response = await send(path, init);
    if (response.status === 204) return {};
    return readJson(response, what);
  }

  function readCase(body: unknown, what: string): CaseSummary {
    const summary = isRecord(body) ? body.case : undefined;
    if (!isRecord(summary) || typeof summary.id !== 'string') {
      throw new ProblemError(unexpectedResponseProblem(200, what));
    }
    return summary as unknown as CaseSummary;
  }

  function readSaveResult(body: unknown, what: string): RoutingSaveResult {
    if (!isRecord(body) || typeof body.version !== 'number') {
      throw new ProblemError(unexpectedResponseProblem(200, what));
    }
    return { version: body.version, warnings: readStringList(body.warnings) };
  }

  return {
    async login(username, password) {
      const response = await send('/api/auth/login', {
        method: 'POST',
        accept: 'application/json',
        // A failed sign-in is the user's mistake to show on the form, not an expired session.
        expiresSession: false,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      return readUser(await readJson(response, 'sign-in'), response.status, 'sign-in');
    },

    async logout() {
      await send('/api/auth/logout', { method: 'POST', accept: 'application/json', expiresSession: false });
    },

    async me(signal) {
      try {
        const response = await send('/api/auth/me', {
          accept: 'application/json',
          expiresSession: false,
          signal: signal ?? null,
        });
        return readUser(await readJson(response, 'the session check'), response.status, 'the session check');
      } catch (error) {
        if (error instanceof ProblemError && error.status === 401) return null;
        throw error;
      }
    },

    async system(signal) {
      const body = await getJson('/api/system', 'the system information request', signal);
      if (!isRecord(body) || typeof body.aeTitle !== 'string') {
        throw new ProblemError(unexpectedResponseProblem(200, 'the system information request'));
      }
      return {
        version: String(body.version ?? ''),
        aeTitle: body.aeTitle,
        dicomPort: Number(body.dicomPort),
        dicomwebBase: typeof body.dicomwebBase === 'string' ? body.dicomwebBase : '/dicomweb',
        database: String(body.database ?? ''),
      };
    },

    async sites(signal) {
      const body = await getJson('/api/sites', 'the sites request', signal);
      if (!isRecord(body) || !Array.isArray(body.sites)) {
        throw new ProblemError(unexpectedResponseProblem(200, 'the sites request'));
      }
      return body.sites as Site[];
    },

    async audit(limit, signal) {
      const body = await getJson(
        `/api/audit?limit=${encodeURIComponent(limit)}`,
        'the audit log request',
        signal,
      );
      if (!isRecord(body) || !Array.isArray(body.events)) {
        throw new ProblemError(unexpectedResponseProblem(200, 'the audit log request'));
      }
      return body.events as AuditEvent[];
    },

    async searchStudies(filters, page, signal) {
      // One row more than a page: QIDO-RS has no total count, so the extra row is how we know whether
      // to offer a next page.
      const params = buildStudySearchParams(filters, { limit: page.pageSize + 1, offset: page.offset });
      const rows = await getDicomJson(`/dicomweb/studies?${params}`, 'the study search', signal);
      const { rows: datasets, hasMore } = takePage(rows, page.pageSize);
      return { datasets, hasMore };
    },

    async studySeries(studyUid, signal) {
      const path = `/dicomweb/studies/${encodeURIComponent(studyUid)}/series?includefield=all`;
      return getDicomJson(path, 'the series request', signal);
    },

    async worklist(params, signal) {
      const body = await getJson(`/api/worklist?${params}`, 'the worklist request', signal);
      if (!isRecord(body) || !Array.isArray(body.cases)) {
        throw new ProblemError(unexpectedResponseProblem(200, 'the worklist request'));
      }
      return { cases: body.cases as CaseSummary[], more: body.more === true };
    },

    async nextCase(sort) {
      const body = await sendJson(
        'POST',
        '/api/worklist/next',
        'the next-case request',
        sort ? { sort } : {},
      );
      return readCase(body, 'the next-case request');
    },

    async caseDetail(caseId, signal) {
      const what = 'the case request';
      const body = await getJson(`/api/cases/${encodeURIComponent(caseId)}`, what, signal);
      if (!isRecord(body) || !isRecord(body.case) || !Array.isArray(body.timeline)) {
        throw new ProblemError(unexpectedResponseProblem(200, what));
      }
      return {
        case: body.case as unknown as CaseSummary,
        timeline: body.timeline as CaseDetail['timeline'],
        decision: isRecord(body.decision) ? (body.decision as unknown as CaseDetail['decision']) : null,
        sla: Array.isArray(body.sla) ? (body.sla as CaseDetail['sla']) : [],
        aiResults: Array.isArray(body.aiResults) ? (body.aiResults as CaseDetail['aiResults']) : [],
        eligibleReaderIds: readStringList(body.eligibleReaderIds),
      };
    },

    async caseAction(caseId, action, body) {
      const what = `the ${action} request`;
      const path = `/api/cases/${encodeURIComponent(caseId)}/${action}`;
      return readCase(await sendJson('POST', path, what, body), what);
    },

    async queues(signal) {
      const body = await getJson('/api/queues', 'the queues request', signal);
      if (!isRecord(body) || !Array.isArray(body.byState)) {
        throw new ProblemError(unexpectedResponseProblem(200, 'the queues request'));
      }
      return {
        byState: body.byState as QueuesOverview['byState'],
        exceptions: Array.isArray(body.exceptions) ? (body.exceptions as QueuesOverview['exceptions']) : [],
        sla: isRecord(body.sla) ? (body.sla as QueuesOverview['sla']) : {},
        bySite: Array.isArray(body.bySite) ? (body.bySite as QueuesOverview['bySite']) : [],
        readers: Array.isArray(body.readers) ? (body.readers as QueuesOverview['readers']) : [],
      };
    },

    async readers(signal) {
      const body = await getJson('/api/readers', 'the reader directory request', signal);
      if (!isRecord(body) || !Array.isArray(body.readers)) {
        throw new ProblemError(unexpectedResponseProblem(200, 'the reader directory request'));
      }
      return {
        readers: body.readers as ReaderDirectory['readers'],
        you: typeof body.you === 'string' ? body.you : null,
      };
    },

    async routingConfig(signal) {
      const body = await getJson('/api/routing/config', 'the routing configuration request', signal);
      if (!isRecord(body) || typeof body.version !== 'number') {
        throw new ProblemError(unexpectedResponseProblem(200, 'the routing configuration request'));
      }
      return {
        version: body.version,
        createdAt: typeof body.createdAt === 'string' ? body.createdAt : null,
        createdBy: typeof body.createdBy === 'string' ? body.createdBy : null,
        comment: typeof body.comment === 'string' ? body.comment : null,
        warnings: readStringList(body.warnings),
        config: isRecord(body.config) ? body.config : null,
      };
    },

    async routingVersions(signal) {
      const body = await getJson('/api/routing/versions', 'the routing history request', signal);
      if (!isRecord(body) || !Array.isArray(body.versions)) {
        throw new ProblemError(unexpectedResponseProblem(200, 'the routing history request'));
      }
      return body.versions as RoutingVersionInfo[];
    },

    async routingVersion(version, signal) {
      const what = 'the routing version request';
      const body = await getJson(`/api/routing/versions/${encodeURIComponent(version)}`, what, signal);
      if (!isRecord(body) || !isRecord(body.config))
        throw new ProblemError(unexpectedResponseProblem(200, what));
      return body.config;
    },

    async saveRoutingSection(section, value, comment) {
      const what = 'the routing save';
      const query = comment.trim() === '' ? '' : `?comment=${encodeURIComponent(comment.trim())}`;
      const path = `/api/routing/config/${encodeURIComponent(section)}${query}`;
      return readSaveResult(await sendJson('PUT', path, what, value), what);
    },

    async reloadRouting() {
      const what = 'the routing reload';
      return readSaveResult(await sendJson('POST', '/api/routing/reload', what, undefined), what);
    },

    async verifySession() {
      await getJson('/api/auth/me', 'the session check', undefined);
    },

    worklistStreamUrl: `${baseUrl}/api/worklist/stream`,

    onSessionExpired(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

async function readJson(response: Response, what: string): Promise<unknown> {
  return parseJson(await response.text(), response.status, what);
}

function parseJson(text: string, status: number, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ProblemError(unexpectedResponseProblem(status, what));
  }
}

function readUser(body: unknown, status: number, what: string): User {
  const user = isRecord(body) ? body.user : undefined;
  if (!isRecord(user) || typeof user.username !== 'string') {
    throw new ProblemError(unexpectedResponseProblem(status, what));
  }
  const roles = Array.isArray(user.roles) ? user.roles.filter((r): r is string => typeof r === 'string') : [];
  return { username: user.username, roles };
}

function readStringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
