import type { ConsultErrorCode } from '@confer/core';
import { type ErrorCode, ProblemError } from '../http/errors.ts';

/**
 * A refusal from the discussion or consult services: an HTTP status, a stable code, a sentence that says
 * what to do, and details (the unknown names, the reasons). The app's error handler turns it into
 * problem+json like any other domain error.
 */
export const CollaborationErrorCode = {
  Forbidden: 'CONFER_ERR_FORBIDDEN',
  CaseNotFound: 'CONFER_ERR_CASE_NOT_FOUND',
  NotADiscussant: 'CONFER_ERR_NOT_IN_DISCUSSION',
  CommentNotFound: 'CONFER_ERR_COMMENT_NOT_FOUND',
  CommentNotYours: 'CONFER_ERR_COMMENT_NOT_YOURS',
  CommentEditWindowClosed: 'CONFER_ERR_COMMENT_EDIT_WINDOW_CLOSED',
  CommentDeleted: 'CONFER_ERR_COMMENT_DELETED',
  CommentInvalid: 'CONFER_ERR_COMMENT_INVALID',
  MentionUnknownUser: 'CONFER_ERR_MENTION_UNKNOWN_USER',
  MentionCannotSeeCase: 'CONFER_ERR_MENTION_CANNOT_SEE_CASE',
  MentionCannotDiscuss: 'CONFER_ERR_MENTION_CANNOT_DISCUSS',
  ShareNotAllowed: 'CONFER_ERR_SHARE_NOT_ALLOWED',
  NotAReader: 'CONFER_ERR_NOT_A_READER',
  ConsultNotFound: 'CONFER_ERR_CONSULT_NOT_FOUND',
  ConsultTargetInvalid: 'CONFER_ERR_CONSULT_TARGET_INVALID',
  ConsultNoEligibleReader: 'CONFER_ERR_CONSULT_NO_ELIGIBLE_READER',
  NoRouting: 'CONFER_ERR_NO_ROUTING_CONFIG',
  Busy: 'CONFER_ERR_CONSULT_BUSY',
} as const;
export type CollaborationErrorCode = (typeof CollaborationErrorCode)[keyof typeof CollaborationErrorCode];

export class CollaborationError extends ProblemError {
  constructor(
    status: number,
    code: CollaborationErrorCode | ConsultErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    // The app answers a ProblemError as problem+json with its own code, whichever feature defined it.
    super(status, code as unknown as ErrorCode, message, extra);
    this.name = 'CollaborationError';
  }
}
