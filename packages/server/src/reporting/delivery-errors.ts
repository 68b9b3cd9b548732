/** Refusals of the report delivery and report output services, with stable codes that say what to do. */
export const DeliveryErrorCode = {
  NotFound: 'CONFER_ERR_REPORT_NOT_FOUND',
  Forbidden: 'CONFER_ERR_FORBIDDEN',
  NotRetryable: 'CONFER_ERR_DELIVERY_NOT_RETRYABLE',
  Busy: 'CONFER_ERR_DELIVERY_BUSY',
  BadRequest: 'CONFER_ERR_BAD_REQUEST',
} as const;
export type DeliveryErrorCode = (typeof DeliveryErrorCode)[keyof typeof DeliveryErrorCode];

export class DeliveryError extends Error {
  readonly code: DeliveryErrorCode;
  readonly status: number;
  readonly extra: Record<string, unknown>;
  constructor(status: number, code: DeliveryErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DeliveryError';
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}
