import type { Problem } from '../problem.ts';

interface ErrorNoticeProps {
  problem: Problem;
  /** Offered as a "Try again" button when the failure may be temporary. */
  onRetry?: () => void;
}

/**
 * Shows a server problem the same way everywhere: the title, what to do, and the stable code and
 * status, so a user can quote them to support and support can search the server's logs for them.
 */
export function ErrorNotice({ problem, onRetry }: ErrorNoticeProps) {
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">{problem.title}</p>
      {problem.detail && <p>{problem.detail}</p>}
      {(problem.code || problem.status > 0) && (
        <p className="notice-meta">
          {problem.code && (
            <>
              Error code <code>{problem.code}</code>
            </>
          )}
          {problem.code && problem.status > 0 && ' · '}
          {problem.status > 0 && `HTTP ${problem.status}`}
        </p>
      )}
      {onRetry && (
        <button type="button" className="button button-secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
