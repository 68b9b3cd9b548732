/**
 * Every error the HTTP API returns is an RFC 9457 problem+json body with a stable `code`. Codes are defined
 * here, in one place, so clients and docs can rely on them.
 */
export const ErrorCode = {
  Unauthenticated: 'CONFER_ERR_UNAUTHENTICATED',
  Forbidden: 'CONFER_ERR_FORBIDDEN',
  NotFound: 'CONFER_ERR_NOT_FOUND',
  BadRequest: 'CONFER_ERR_BAD_REQUEST',
  InvalidCredentials: 'CONFER_ERR_INVALID_CREDENTIALS',
  UnsupportedMediaType: 'CONFER_ERR_UNSUPPORTED_MEDIA_TYPE',
  NotAcceptable: 'CONFER_ERR_NOT_ACCEPTABLE',
  PayloadTooLarge: 'CONFER_ERR_PAYLOAD_TOO_LARGE',
  InvalidQuery: 'CONFER_ERR_QUERY_INVALID_KEY',
  StorageUnavailable: 'CONFER_ERR_STORAGE_UNAVAILABLE',
  Internal: 'CONFER_ERR_INTERNAL',
  Conflict: 'CONFER_ERR_CONFLICT',
  InvalidRoutingConfig: 'CONFER_ERR_ROUTING_CONFIG_INVALID',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const TITLES: Record<ErrorCode, string> = {
  CONFER_ERR_UNAUTHENTICATED: 'Sign-in required',
  CONFER_ERR_FORBIDDEN: 'Not allowed',
  CONFER_ERR_NOT_FOUND: 'Not found',
  CONFER_ERR_BAD_REQUEST: 'Bad request',
  CONFER_ERR_INVALID_CREDENTIALS: 'Wrong user name or password',
  CONFER_ERR_UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  CONFER_ERR_NOT_ACCEPTABLE: 'Not acceptable',
  CONFER_ERR_PAYLOAD_TOO_LARGE: 'Request too large',
  CONFER_ERR_QUERY_INVALID_KEY: 'Invalid query',
  CONFER_ERR_STORAGE_UNAVAILABLE: 'Storage unavailable',
  CONFER_ERR_INTERNAL: 'Internal error',
  CONFER_ERR_CONFLICT: 'Conflict',
  CONFER_ERR_ROUTING_CONFIG_INVALID: 'Invalid routing configuration',
};

/** Titles of codes defined by domain services (the worklist, the case lifecycle). */
const DOMAIN_TITLES: Record<string, string> = {
  CONFER_ERR_CASE_ALREADY_CLAIMED: 'Case already claimed',
  CONFER_ERR_CASE_ASSIGNED_ELSEWHERE: 'Case assigned to another reader',
  CONFER_ERR_CASE_NOT_ELIGIBLE: 'Not eligible for this case',
  CONFER_ERR_CASE_NOT_OWNER: 'Not your case',
  CONFER_ERR_CASE_INVALID_TRANSITION: "Not possible in the case's state",
  CONFER_ERR_CASE_CLOSED: 'Case closed',
  CONFER_ERR_CASE_NOT_FOUND: 'Case not found',
  CONFER_ERR_NOT_A_READER: 'Not a reader',
  CONFER_ERR_NO_CASE_AVAILABLE: 'No case waiting',
  CONFER_ERR_CASE_BUSY: 'Case busy',
  CONFER_ERR_CRITICAL_NOT_FOUND: 'Critical result not found',
  CONFER_ERR_CRITICAL_ALREADY_ACKNOWLEDGED: 'Critical result already acknowledged',
  CONFER_ERR_CRITICAL_NOT_A_RECIPIENT: 'Critical result not addressed to you',
  CONFER_ERR_CRITICAL_INVALID: 'Invalid critical result',
  CONFER_ERR_CRITICAL_UNKNOWN_COMMUNICATION: 'No such communication',
  CONFER_ERR_CRITICAL_NO_CLINICIAN: 'No responsible clinician',
  CONFER_ERR_CRITICAL_LINK_INVALID: 'Acknowledgement link not valid',
  CONFER_ERR_CRITICAL_LINK_EXPIRED: 'Acknowledgement link expired',
  CONFER_ERR_CRITICAL_LINK_USED: 'Acknowledgement link already used',
  CONFER_ERR_CRITICAL_BUSY: 'Critical result busy',
  CONFER_ERR_REPORT_NOT_OWNER: 'Not your report to write',
  CONFER_ERR_REPORT_STALE: 'Report changed meanwhile',
  CONFER_ERR_REPORT_INVALID_TRANSITION: "Not possible in the report's state",
  CONFER_ERR_REPORT_INCOMPLETE: 'Report incomplete',
  CONFER_ERR_REPORT_INVALID: 'Invalid report',
  CONFER_ERR_REPORT_NOT_FINAL: 'Report not final yet',
  CONFER_ERR_REPORT_VERSION_NOT_FOUND: 'No such report version',
  CONFER_ERR_REPORT_REAUTH_FAILED: 'Re-authentication failed',
  CONFER_ERR_REPORT_SIGNER_NOT_A_PERSON: 'Signing needs a person',
  CONFER_ERR_REPORT_TEMPLATE_NOT_FOUND: 'No such template',
  CONFER_ERR_REPORT_TEMPLATE_EXISTS: 'Template exists',
  CONFER_ERR_REPORT_TEMPLATE_INVALID: 'Invalid report template',
};

export class ProblemError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly extra: Record<string, unknown>;
  constructor(status: number, code: ErrorCode, detail: string, extra: Record<string, unknown> = {}) {
    super(detail);
    this.name = 'ProblemError';
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

/**
 * An error a domain service throws for the API to answer: an HTTP status, a stable `CONFER_ERR_...` code and
 * a sentence saying what to do. Services define their own codes; the app's error handler turns any such error
 * into problem+json without knowing the service.
 */
export class DomainError extends Error {
  readonly status: number;
  readonly code: string;
  readonly extra: Record<string, unknown>;
  constructor(status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DomainError';
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

/** A DomainError, or any error of that shape (a numeric status and a CONFER_ERR_ code). */
export function isDomainError(
  error: unknown,
): error is { status: number; code: string; message: string; extra?: Record<string, unknown> } {
  if (error instanceof DomainError) return true;
  const e = error as { status?: unknown; code?: unknown } | null;
  return (
    e instanceof Error &&
    typeof e.status === 'number' &&
    e.status >= 400 &&
    e.status < 600 &&
    typeof e.code === 'string' &&
    e.code.startsWith('CONFER_ERR_')
  );
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** An ErrorCode, or a domain code such as CONFER_ERR_CASE_ALREADY_CLAIMED. */
  code: string;
  [key: string]: unknown;
}

export function problemBody(
  status: number,
  code: ErrorCode | string,
  detail: string,
  extra: Record<string, unknown> = {},
): ProblemBody {
  const title = TITLES[code as ErrorCode] ?? DOMAIN_TITLES[code] ?? 'Request refused';
  return { type: `https://confer.dev/problems/${code}`, title, status, detail, code, ...extra };
}
