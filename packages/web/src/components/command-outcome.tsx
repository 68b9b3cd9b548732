import type { CommandOutcome } from '../use-case-commands.ts';

/**
 * The last action's outcome: a polite status when it worked, an alert with the server's own words when
 * it was refused, since those say what to do ("ask a coordinator to reassign it").
 */
export function CommandOutcomeNotice({
  outcome,
  onDismiss,
}: {
  outcome: CommandOutcome | null;
  onDismiss: () => void;
}) {
  return (
    <div className="command-outcome">
      <p role="status" className={outcome?.kind === 'done' ? 'notice notice-success' : 'visually-hidden'}>
        {outcome?.kind === 'done' ? outcome.text : ''}
      </p>
      {outcome?.kind === 'failed' && (
        <div className="notice notice-error" role="alert">
          <p className="notice-title">{outcome.what}</p>
          <p>{outcome.problem.detail ?? outcome.problem.title}</p>
          {outcome.problem.code && (
            <p className="notice-meta">
              Error code <code>{outcome.problem.code}</code>
              {outcome.problem.status > 0 && ` · HTTP ${outcome.problem.status}`}
            </p>
          )}
          <button type="button" className="button button-secondary button-small" onClick={onDismiss}>
            Dismiss
          </button>
        </div>
      )}
    </div>
  );
}
