import { useState } from 'react';
import { ErrorNotice } from '../components/error-notice.tsx';
import { acknowledgeCriticalLink, type CriticalLink, openCriticalLink } from '../critical/critical-api.ts';
import { categoryHints, categoryLabel, methodLabels } from '../critical/critical-model.ts';
import { formatInstant } from '../format-instant.ts';
import { type Problem, toProblem } from '../problem.ts';
import { RequestStatus, useRequest } from '../use-request.ts';

/**
 * The page an acknowledgement link (from an e-mail or a webhook) opens, without signing in: the link's
 * random token is the key. Opening it shows the finding and is recorded; the button acknowledges and uses
 * the link up.
 */
export function AckLinkPage({ token }: { token: string }) {
  const { state, reload } = useRequest(token, (signal) => openCriticalLink(token, signal));
  const [done, setDone] = useState<CriticalLink | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const link = done ?? state.data;
  return (
    <main className="splash ack-link" id="main">
      <div className="sign-in-card">
        <span className="brand brand-large">Confer</span>
        <h1 tabIndex={-1}>Critical result</h1>
        {state.status === RequestStatus.Failure && !done && (
          <ErrorNotice problem={state.problem} onRetry={reload} />
        )}
        {!link && state.status !== RequestStatus.Failure && <p role="status">Opening the finding…</p>}
        {link && (
          <>
            <p className="heading-sub">
              <span className={`badge ${link.category === 'critical' ? 'badge-danger' : 'badge-muted'}`}>
                {categoryLabel(link.category)}
              </span>{' '}
              {categoryHints[link.category]}
            </p>
            <p className="critical-finding">{link.finding}</p>
            <dl className="facts">
              <dt>Case</dt>
              <dd>{link.caseId}</dd>
              <dt>Flagged</dt>
              <dd>
                {formatInstant(link.flaggedAt)} by {link.flaggedBy}
              </dd>
              <dt>For</dt>
              <dd>{link.recipient}</dd>
            </dl>
            {link.acknowledgement ? (
              <p className="notice notice-success" role="status">
                Acknowledged by {link.acknowledgement.by} {methodLabels[link.acknowledgement.method]} at{' '}
                {formatInstant(link.acknowledgement.at)}. Thank you; nothing more to do here.
              </p>
            ) : (
              <>
                <p className="muted">
                  Acknowledge once you have read the finding and taken responsibility for acting on it. This
                  link works once and expires at {formatInstant(link.expiresAt)}.
                </p>
                <button
                  type="button"
                  className="button button-primary"
                  disabled={busy}
                  onClick={async () => {
                    setBusy(true);
                    setProblem(null);
                    try {
                      setDone(await acknowledgeCriticalLink(token));
                    } catch (error) {
                      setProblem(toProblem(error));
                    } finally {
                      setBusy(false);
                    }
                  }}
                >
                  {busy ? 'Acknowledging…' : 'Acknowledge'}
                </button>
              </>
            )}
            {problem && <ErrorNotice problem={problem} />}
          </>
        )}
      </div>
    </main>
  );
}
