import { DomainError } from '../http/errors.ts';

/** Codes the reporting service refuses with, beyond the core decider's (CONFER_ERR_REPORT_NOT_OWNER, ...). */
export const ReportServiceErrorCode = {
  Forbidden: 'CONFER_ERR_FORBIDDEN',
  CaseNotFound: 'CONFER_ERR_CASE_NOT_FOUND',
  NotFinal: 'CONFER_ERR_REPORT_NOT_FINAL',
  VersionNotFound: 'CONFER_ERR_REPORT_VERSION_NOT_FOUND',
  ReauthFailed: 'CONFER_ERR_REPORT_REAUTH_FAILED',
  SignerNotAPerson: 'CONFER_ERR_REPORT_SIGNER_NOT_A_PERSON',
  TemplateNotFound: 'CONFER_ERR_REPORT_TEMPLATE_NOT_FOUND',
  TemplateExists: 'CONFER_ERR_REPORT_TEMPLATE_EXISTS',
  TemplateInvalid: 'CONFER_ERR_REPORT_TEMPLATE_INVALID',
} as const;

/** A refusal from the reporting service: an HTTP status, a stable code and a sentence that says what to do. */
export class ReportError extends DomainError {
  constructor(status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
    super(status, code, message, extra);
    this.name = 'ReportError';
  }
}
