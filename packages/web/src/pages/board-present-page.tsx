import { lazy, Suspense, useEffect, useState } from 'react';
import type { User } from '../api-client.ts';
import { navigate, viewerHref } from '../app-route.ts';
import { type BoardCase, type BoardPresentation, boardHref, boardsApi, presentHref } from '../boards-api.ts';
import { patientDisplayName } from '../case-display.ts';
import { BoardOutcomeForm, OutcomeSummary } from '../components/board-outcome-form.tsx';
import { ErrorNotice } from '../components/error-notice.tsx';
import { ReportText, SeriesList } from '../components/peer-review-forms.tsx';
import { formatInstant } from '../format-instant.ts';
import { RequestStatus, useRequest } from '../use-request.ts';

/**
 * Presentation mode: one case of the session at a time, with its images, report and discussion in one view,
 * the question for the board, and (for the coordinator) the outcome form; next and previous move through
 * the list, also with the arrow keys.
 */
const BoardImageViewer = lazy(() => import('../components/board-image-viewer.tsx'));

export function BoardPresentPage({
  user,
  sessionId,
  caseId,
}: {
  user: User;
  sessionId: string;
  caseId: string | null;
}) {
  // Without a case in the fragment, start at the first on the list.
  const session = useRequest(caseId ? null : `board:${sessionId}`, (signal) =>
    boardsApi.get(sessionId, signal),
  );
  useEffect(() => {
    if (caseId || session.state.status !== RequestStatus.Success) return;
    const first = session.state.data.session.cases[0];
    navigate(first ? presentHref(sessionId, first.caseId) : boardHref(sessionId), { replace: true });
  }, [caseId, session.state, sessionId]);

  const { state, reload } = useRequest(caseId ? `present:${sessionId}:${caseId}` : null, (signal) =>
    boardsApi.present(sessionId, caseId!, signal),
  );
  const members = useRequest(`members:${sessionId}`, (signal) => boardsApi.get(sessionId, signal));
  const [entry, setEntry] = useState<BoardCase | null>(null);
  const p: BoardPresentation | undefined = state.data;

  useEffect(() => {
    if (!p) return;
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) return;
      if (e.key === 'ArrowRight' && p.nextCaseId) navigate(presentHref(sessionId, p.nextCaseId));
      if (e.key === 'ArrowLeft' && p.previousCaseId) navigate(presentHref(sessionId, p.previousCaseId));
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [p, sessionId]);

  if (!p) {
    return (
      <>
        <p className="back-link">
          <a href={boardHref(sessionId)}>← Session</a>
        </p>
        <h1 tabIndex={-1}>Presentation</h1>
        {state.status === RequestStatus.Failure ? (
          <ErrorNotice problem={state.problem} onRetry={reload} />
        ) : session.state.status === RequestStatus.Failure ? (
          <ErrorNotice problem={session.state.problem} onRetry={session.reload} />
        ) : (
          <p role="status">Loading the case…</p>
        )}
      </>
    );
  }
  // A recorded outcome is kept until the next case is shown.
  const shown = entry && entry.caseId === p.entry.caseId ? entry : p.entry;
  const detail = members.state.data?.session;
  const c = p.case;
  return (
    <div className="presentation">
      <div className="presentation-bar">
        <a href={boardHref(sessionId)}>← {p.session.title}</a>
        <span className="presentation-position" role="status">
          Case {p.index + 1} of {p.total}
        </span>
        <div className="form-actions">
          <button
            type="button"
            className="button button-secondary"
            disabled={!p.previousCaseId}
            onClick={() => p.previousCaseId && navigate(presentHref(sessionId, p.previousCaseId))}
          >
            ← Previous
          </button>
          <button
            type="button"
            className="button button-primary"
            disabled={!p.nextCaseId}
            onClick={() => p.nextCaseId && navigate(presentHref(sessionId, p.nextCaseId))}
          >
            Next →
          </button>
        </div>
      </div>
      <div className="page-heading">
        <h1 tabIndex={-1}>
          {patientDisplayName(c)}{' '}
          <span className="heading-sub">— {c.procedure ?? c.modalities.join(', ')}</span>
        </h1>
        <dl className="facts facts-inline">
          <dt>Case</dt>
          <dd>
            <code>{c.id}</code>
          </dd>
          <dt>Patient ID</dt>
          <dd>{c.patientId ?? '—'}</dd>
          <dt>Accession</dt>
          <dd>{c.accessionNumber ?? '—'}</dd>
          <dt>Modality</dt>
          <dd>{c.modalities.join(', ') || '—'}</dd>
        </dl>
        <p className="notice notice-info board-question">
          <strong>Question for the board:</strong> {shown.question}
        </p>
      </div>
      <div className="case-grid">
        <div className="case-column">
          <section className="panel board-images" aria-labelledby="images-heading">
            <h2 id="images-heading">Images</h2>
            <Suspense fallback={<p role="status">Loading the viewer…</p>}>
              <BoardImageViewer user={user} caseId={c.id} studyUid={c.studyUid} />
            </Suspense>
            <details className="board-series">
              <summary>
                Series ({p.series.length}) · <a href={viewerHref(c.id)}>Open in the full viewer</a>
              </summary>
              <SeriesList series={p.series} studyUid={c.studyUid} />
            </details>
          </section>
          <section className="panel" aria-labelledby="report-heading">
            <h2 id="report-heading">Report</h2>
            <ReportText report={p.report} />
          </section>
        </div>
        <div className="case-column">
          <section className="panel" aria-labelledby="discussion-heading">
            <h2 id="discussion-heading">Discussion</h2>
            {p.discussion === null ? (
              <p className="muted">The case discussion is not available here.</p>
            ) : p.discussion.length === 0 ? (
              <p className="muted">No messages on this case.</p>
            ) : (
              <ul className="stack">
                {p.discussion.map((m) => (
                  <li key={`${m.at}-${m.author}`}>
                    <span className="muted">
                      {m.author}, {formatInstant(m.at)}:
                    </span>{' '}
                    {m.text}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section className="panel" aria-labelledby="outcome-heading">
            <h2 id="outcome-heading">Board outcome</h2>
            {detail?.canManage ? (
              <BoardOutcomeForm
                key={shown.caseId}
                sessionId={sessionId}
                entry={shown}
                members={detail.members}
                onSaved={setEntry}
              />
            ) : (
              <OutcomeSummary entry={shown} />
            )}
          </section>
        </div>
      </div>
    </div>
  );
}
