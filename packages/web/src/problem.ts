// Errors from the Confer server as RFC 9457 problem details, so every screen shows them the same way.

/** One problem with one field of a submitted document, e.g. a routing rule (`path` is a JSON path). */
export interface FieldError {
  path: string;
  message: string;
}

/** An RFC 9457 problem, plus Confer's stable `code` (e.g. `CONFER_ERR_AUTH_INVALID_CREDENTIALS`). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  /** Every validation error, when the server lists them (e.g. a 422 for a routing configuration). */
  errors?: FieldError[];
  /** Other extension members the server added, e.g. `ownerId` and `since` for a case already claimed. */
  extensions?: Record<string, unknown>;
}

const standardMembers = new Set(['type', 'title', 'status', 'detail', 'code', 'errors', 'instance']);

/** Thrown by the API client for any failed request, so callers catch one type. */
export class ProblemError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.name = 'ProblemError';
    this.problem = problem;
  }

  get status(): number {
    return this.problem.status;
  }
}

/**
 * The problem a failed response describes. Uses the body when it is problem+json (or plain JSON in
 * that shape, which proxies and older endpoints produce); otherwise says in words what the status
 * means, because a reverse proxy's HTML error page is no use to show.
 */
export function problemFromResponse(status: number, contentType: string | null, bodyText: string): Problem {
  const fallback = fallbackProblem(status);
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType === 'application/problem+json' || mediaType === 'application/json') {
    try {
      const body: unknown = JSON.parse(bodyText);
      if (typeof body === 'object' && body !== null) {
        const b = body as Record<string, unknown>;
        const problem: Problem = {
          type: typeof b.type === 'string' ? b.type : 'about:blank',
          title: typeof b.title === 'string' && b.title !== '' ? b.title : fallback.title,
          status: typeof b.status === 'number' ? b.status : status,
        };
        if (typeof b.detail === 'string' && b.detail !== '') problem.detail = b.detail;
        else if (fallback.detail !== undefined && problem.title === fallback.title)
          problem.detail = fallback.detail;
        if (typeof b.code === 'string' && b.code !== '') problem.code = b.code;
        const errors = readFieldErrors(b.errors);
        if (errors.length > 0) problem.errors = errors;
        const extensions = Object.fromEntries(Object.entries(b).filter(([key]) => !standardMembers.has(key)));
        if (Object.keys(extensions).length > 0) problem.extensions = extensions;
        return problem;
      }
    } catch {
      // Not JSON after all: fall through to the generic description.
    }
  }
  return fallback;
}

function readFieldErrors(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item): FieldError[] => {
    if (typeof item !== 'object' || item === null) return [];
    const { path, message } = item as Record<string, unknown>;
    if (typeof message !== 'string') return [];
    return [{ path: typeof path === 'string' ? path : '', message }];
  });
}

/** The problem to show when the server could not be reached at all. */
export function networkProblem(): Problem {
  return {
    type: 'about:blank',
    title: 'Cannot reach the Confer server',
    status: 0,
    detail: 'Check your network connection, or ask your administrator whether the server is running.',
  };
}

/** The problem to show when a success response is not what the contract promised. */
export function unexpectedResponseProblem(status: number, what: string): Problem {
  return {
    type: 'about:blank',
    title: 'Unexpected response from the server',
    status,
    detail: `The server's answer to ${what} could not be read. The server and this page may be different versions; try reloading.`,
  };
}

function fallbackProblem(status: number): Problem {
  const base = { type: 'about:blank', status };
  if (status === 401)
    return { ...base, title: 'Not signed in', detail: 'Your session has ended. Sign in again.' };
  if (status === 403) {
    return { ...base, title: 'Not allowed', detail: 'Your account does not have permission for this.' };
  }
  if (status === 404) return { ...base, title: 'Not found' };
  if (status === 429)
    return { ...base, title: 'Too many requests', detail: 'Wait a moment, then try again.' };
  if (status >= 500) {
    return {
      ...base,
      title: 'Server error',
      detail: `The server failed with status ${status}. Try again; if it keeps happening, tell your administrator.`,
    };
  }
  return { ...base, title: `Request failed with status ${status}` };
}

/** The problem behind anything a request threw, so a screen never has to show a bare exception. */
export function toProblem(error: unknown): Problem {
  if (error instanceof ProblemError) return error.problem;
  return {
    type: 'about:blank',
    title: 'Something went wrong in this page',
    status: 0,
    detail: error instanceof Error ? error.message : String(error),
  };
}
