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

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  [key: string]: unknown;
}

export function problemBody(
  status: number,
  code: ErrorCode,
  detail: string,
  extra: Record<string, unknown> = {},
): ProblemBody {
  return { type: `https://confer.dev/problems/${code}`, title: TITLES[code], status, detail, code, ...extra };
}
