import { useState } from 'react';
import { abilitiesOf, type User } from '../api-client.ts';
import { caseHref } from '../app-route.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import {
  discrepancyStateLabels,
  RespondForm,
  ReviewCasePanel,
  ScoreForm,
} from '../components/peer-review-forms.tsx';
import {
  OpenDiscrepancies,
  PeerReviewSummaries,
  SamplingSettingsForm,
} from '../components/peer-review-manager.tsx';
import { formatInstant } from '../format-instant.ts';
import { type PeerReview, peerReviewApi } from '../peer-review-api.ts';
import type { Problem } from '../problem.ts';
import { RequestStatus, useRequest } from '../use-request.ts';

/**
 * Peer review: the reader's assigned reviews with the score form, discrepancies found on the reader's own
 * cases with the response form, the reader's own summary; for quality leads, sampling settings, open
 * discrepancies and summaries per reader and modality.
 */
export function PeerReviewPage({ user }: { user: User }) {
  const abilities = abilitiesOf(user);
  return (
    <>
      <div className="page-heading">
        <h1 tabIndex={-1}>Peer review</h1>
        <p className="muted">
          Finalised cases are sampled and re-read by a colleague, scored RADPEER-style. A discrepancy goes
          back to the reader who reported it, and a quality lead closes it.
        </p>
      </div>
      {abilities.read && (
        <>
          <section className="panel" aria-labelledby="assigned-heading">
            <h2 id="assigned-heading">Reviews assigned to me</h2>
            <AssignedReviews />
          </section>
          <section className="panel" aria-labelledby="discrepancies-heading">
            <h2 id="discrepancies-heading">Discrepancies on my cases</h2>
            <MyDiscrepancies />
          </section>
          <section className="panel" aria-labelledby="my-summary-heading">
            <h2 id="my-summary-heading">My scores</h2>
            <MySummary />
          </section>
        </>
      )}
      {abilities.manage && (
        <>
          <section className="panel" aria-labelledby="open-heading">
            <h2 id="open-heading">Open discrepancies</h2>
            <OpenDiscrepancies />
          </section>
          <section className="panel" aria-labelledby="summaries-heading">
            <h2 id="summaries-heading">Summaries</h2>
            <PeerReviewSummaries />
          </section>
          <section className="panel" aria-labelledby="settings-heading">
            <h2 id="settings-heading">Sampling settings</h2>
            <SamplingSettingsForm />
          </section>
        </>
      )}
    </>
  );
}

/**
 * A section's failure; a user who is not a reader in the routing directory (a quality lead, an admin) is
 * told why the section is empty rather than shown an error.
 */
function ReaderProblem({ problem, onRetry }: { problem: Problem; onRetry: () => void }) {
  if (problem.code === 'CONFER_ERR_NOT_A_READER')
    return (
      <p className="muted">
        You are not a reader in the routing directory, so nothing is assigned to you here.
      </p>
    );
  return <ErrorNotice problem={problem} onRetry={onRetry} />;
}

function AssignedReviews() {
  const { state, reload } = useRequest('mine', (signal) => peerReviewApi.mine(signal));
  // A notification links to `#/peer-review?review=<id>`: that review opens at once.
  const [open, setOpen] = useState<string | null>(() => reviewInFragment(window.location.hash));
  if (state.status === RequestStatus.Failure)
    return <ReaderProblem problem={state.problem} onRetry={reload} />;
  const reviews = state.data?.reviews ?? [];
  if (state.status === RequestStatus.Loading && !state.data)
    return <p role="status">Loading your reviews…</p>;
  if (reviews.length === 0) return <p className="muted">No reviews assigned to you.</p>;
  return (
    <table className="data-table">
      <thead>
        <tr>
          <th scope="col">Case</th>
          <th scope="col">Finalised</th>
          <th scope="col">Due</th>
          <th scope="col">Score</th>
          <th scope="col" />
        </tr>
      </thead>
      <tbody>
        {reviews.map((r) => (
          <ReviewRow
            key={r.id}
            review={r}
            open={open === r.id}
            onToggle={() => setOpen(open === r.id ? null : r.id)}
            onScored={() => {
              setOpen(null);
              reload();
            }}
          />
        ))}
      </tbody>
    </table>
  );
}

function ReviewRow({
  review,
  open,
  onToggle,
  onScored,
}: {
  review: PeerReview;
  open: boolean;
  onToggle: () => void;
  onScored: () => void;
}) {
  return (
    <>
      <tr data-review-id={review.id} className={open ? 'is-expanded' : undefined}>
        <td>
          {review.procedure ?? review.modalities.join(', ')}
          <br />
          <code className="muted">{review.caseId}</code>
        </td>
        <td className="nowrap">{formatInstant(review.finalizedAt)}</td>
        <td className="nowrap">
          {formatInstant(review.dueAt)}{' '}
          {review.overdue && <span className="badge badge-danger">overdue</span>}
        </td>
        <td>
          {review.scoreCode ? (
            <span className={`badge ${review.discrepancy ? 'badge-danger' : 'badge-good'}`}>
              {review.scoreCode}
            </span>
          ) : (
            <span className="muted">not scored</span>
          )}
        </td>
        <td>
          <button
            type="button"
            className="button button-secondary button-small"
            onClick={onToggle}
            aria-expanded={open}
          >
            {review.state === 'assigned' ? (open ? 'Close' : 'Review') : open ? 'Close' : 'View'}
          </button>
        </td>
      </tr>
      {open && (
        <tr className="series-row">
          <td colSpan={5}>
            <ReviewWorkspace review={review} onScored={onScored} />
          </td>
        </tr>
      )}
    </>
  );
}

function ReviewWorkspace({ review, onScored }: { review: PeerReview; onScored: () => void }) {
  const { state, reload } = useRequest(review.id, (signal) => peerReviewApi.detail(review.id, signal));
  if (state.status === RequestStatus.Failure) return <ErrorNotice problem={state.problem} onRetry={reload} />;
  if (!state.data) return <p role="status">Loading the case…</p>;
  const detail = state.data.review;
  return (
    <div className="review-workspace">
      <ReviewCasePanel review={detail} />
      {detail.state === 'assigned' ? (
        <ScoreForm review={detail} onScored={onScored} />
      ) : (
        <p>
          You scored <strong>{detail.scoreCode}</strong>
          {detail.comment && <> — {detail.comment}</>}.
        </p>
      )}
    </div>
  );
}

function MyDiscrepancies() {
  const { state, reload } = useRequest('my-discrepancies', (signal) => peerReviewApi.myDiscrepancies(signal));
  if (state.status === RequestStatus.Failure)
    return <ReaderProblem problem={state.problem} onRetry={reload} />;
  const reviews = state.data?.reviews ?? [];
  if (state.status === RequestStatus.Loading && !state.data) return <p role="status">Loading…</p>;
  if (reviews.length === 0) return <p className="muted">No discrepancies on your cases.</p>;
  return (
    <ul className="stack discrepancy-list">
      {reviews.map((r) => (
        <li key={r.id} className="panel discrepancy" data-review-id={r.id}>
          <p>
            <span className="badge badge-danger">{r.scoreCode}</span>{' '}
            <strong>{r.procedure ?? r.modalities.join(', ')}</strong>{' '}
            <a href={caseHref(r.caseId)}>
              <code>{r.caseId}</code>
            </a>{' '}
            — {discrepancyStateLabels[r.discrepancy?.state ?? ''] ?? ''}
          </p>
          <p>
            <span className="muted">Reviewer{r.reviewer ? ` ${r.reviewer.name}` : ' (anonymous)'}:</span>{' '}
            {r.comment}
          </p>
          {r.discrepancy?.response && (
            <p>
              <span className="muted">
                You {r.discrepancy.response === 'agree' ? 'agreed' : 'disagreed'}:
              </span>{' '}
              {r.discrepancy.readerComment ?? ''}
            </p>
          )}
          {r.discrepancy?.leadNote && (
            <p>
              <span className="muted">Quality lead:</span> {r.discrepancy.leadNote}
            </p>
          )}
          {r.discrepancy?.state === 'awaiting-response' && <RespondForm review={r} onDone={reload} />}
        </li>
      ))}
    </ul>
  );
}

function MySummary() {
  const { state, reload } = useRequest('my-summary', (signal) => peerReviewApi.mySummary({}, signal));
  if (state.status === RequestStatus.Failure)
    return <ReaderProblem problem={state.problem} onRetry={reload} />;
  if (!state.data) return <p role="status">Loading…</p>;
  const s = state.data.summary;
  if (s.scored === 0) return <p className="muted">None of your cases has been scored yet.</p>;
  return (
    <p>
      {s.scored} of your cases scored: {s.byScore['1']} concur, {s.discrepancies}{' '}
      {s.discrepancies === 1 ? 'discrepancy' : 'discrepancies'} ({(s.discrepancyRate * 100).toFixed(1)} %),{' '}
      {s.significant} likely clinically significant.
    </p>
  );
}

/** The review named in the fragment's query (`#/peer-review?review=PR-...`), if any. */
function reviewInFragment(hash: string): string | null {
  const q = hash.indexOf('?');
  return q < 0 ? null : new URLSearchParams(hash.slice(q + 1)).get('review');
}
