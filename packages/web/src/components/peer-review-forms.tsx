import {
  RADPEER_LABELS,
  RADPEER_SCORES,
  type RadpeerScore,
  SIGNIFICANCE_LABELS,
  validateScore,
} from '@confer/core';
import { useId, useState } from 'react';
import { patientDisplayName } from '../case-display.ts';
import { type PeerReview, type PeerReviewDetail, peerReviewApi } from '../peer-review-api.ts';
import { type Problem, toProblem } from '../problem.ts';
import { ErrorNotice } from './error-notice.tsx';

/** The case as the reviewer reads it: facts, series (with the report when there is one). */
export function ReviewCasePanel({ review }: { review: PeerReviewDetail }) {
  return (
    <div className="stack">
      <dl className="facts facts-inline">
        <dt>Case</dt>
        <dd>
          <code>{review.caseId}</code>
        </dd>
        <dt>Patient</dt>
        <dd>{patientDisplayName(review)}</dd>
        <dt>Accession</dt>
        <dd>{review.accessionNumber ?? '—'}</dd>
        <dt>Procedure</dt>
        <dd>{review.procedure ?? review.modalities.join(', ')}</dd>
        <dt>Reported by</dt>
        <dd>{review.originalReader ? review.originalReader.name : <em>hidden (anonymised review)</em>}</dd>
      </dl>
      <p>
        {/* The bare study, not the case: the case's timeline and annotations would name who reported it. */}
        <a className="button button-secondary" href={`#/viewer?study=${encodeURIComponent(review.studyUid)}`}>
          Open the images in the viewer
        </a>
      </p>
      <SeriesList series={review.series} studyUid={review.studyUid} />
      <ReportText report={review.report} />
    </div>
  );
}

/** The series of a study, for reading them in the viewer. */
export function SeriesList({
  series,
  studyUid,
}: {
  series: { seriesUid: string; modality: string | null; description: string | null; instances: number }[];
  studyUid: string;
}) {
  if (series.length === 0) return <p className="muted">No series stored for this study.</p>;
  return (
    <table className="data-table series-table">
      <caption className="visually-hidden">Series of study {studyUid}</caption>
      <thead>
        <tr>
          <th scope="col">Modality</th>
          <th scope="col">Series</th>
          <th scope="col" className="numeric">
            Images
          </th>
        </tr>
      </thead>
      <tbody>
        {series.map((s) => (
          <tr key={s.seriesUid}>
            <td>{s.modality ?? '—'}</td>
            <td>
              {s.description ?? <span className="muted">(no description)</span>}{' '}
              <code className="uid" title="Series Instance UID">
                {s.seriesUid}
              </code>
            </td>
            <td className="numeric">{s.instances}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The signed report's text, or why there is none to show. */
export function ReportText({ report }: { report: PeerReviewDetail['report'] }) {
  if (!report) return <p className="muted">No signed report is available here for this case.</p>;
  return (
    <div className="report-text">
      <p className="notice-title">
        {report.title ?? 'Report'} <span className="badge badge-muted">{report.status}</span>
        {report.authorName && <span className="muted"> — {report.authorName}</span>}
      </p>
      <pre className="report-body">{report.text}</pre>
      {report.impression && (
        <p>
          <strong>Impression:</strong> {report.impression}
        </p>
      )}
    </div>
  );
}

/** The RADPEER score form: 1 to 4, a or b for a discrepancy, and a comment for the original reader. */
export function ScoreForm({ review, onScored }: { review: PeerReview; onScored: (r: PeerReview) => void }) {
  const [score, setScore] = useState<RadpeerScore | null>(null);
  const [significance, setSignificance] = useState<'a' | 'b' | null>(null);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [local, setLocal] = useState<string | null>(null);
  const commentId = useId();
  const discrepancy = score !== null && score >= 2;

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setProblem(null);
    if (score === null) {
      setLocal('Choose a score.');
      return;
    }
    const input = { score, significance: discrepancy ? significance : null, comment };
    const v = validateScore(input);
    if (!v.ok) {
      setLocal(v.message);
      return;
    }
    setLocal(null);
    setBusy(true);
    try {
      const out = await peerReviewApi.score(review.id, {
        score,
        ...(discrepancy ? { significance } : {}),
        ...(comment.trim() ? { comment: comment.trim() } : {}),
      });
      onScored(out.review);
    } catch (error) {
      setProblem(toProblem(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack score-form" onSubmit={submit} aria-label={`Score review ${review.id}`}>
      <fieldset>
        <legend>RADPEER score</legend>
        {RADPEER_SCORES.map((s) => (
          <label key={s} className="choice">
            <input
              type="radio"
              name={`score-${review.id}`}
              value={s}
              checked={score === s}
              onChange={() => {
                setScore(s);
                if (s === 1) setSignificance(null);
              }}
            />
            <strong>{s}</strong> — {RADPEER_LABELS[s]}
          </label>
        ))}
      </fieldset>
      <fieldset disabled={!discrepancy}>
        <legend>Clinical significance {discrepancy ? '' : '(for scores 2 to 4)'}</legend>
        {(['a', 'b'] as const).map((sig) => (
          <label key={sig} className="choice">
            <input
              type="radio"
              name={`significance-${review.id}`}
              value={sig}
              checked={significance === sig}
              onChange={() => setSignificance(sig)}
            />
            <strong>{sig}</strong> — {SIGNIFICANCE_LABELS[sig]}
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor={commentId}>Comment {discrepancy ? '(required: what was seen)' : '(optional)'}</label>
        <textarea
          id={commentId}
          rows={3}
          maxLength={4000}
          value={comment}
          onChange={(e) => setComment(e.target.value)}
        />
      </div>
      {local && (
        <p className="field-error" role="alert">
          {local}
        </p>
      )}
      {problem && <ErrorNotice problem={problem} />}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Submitting…' : 'Submit score'}
        </button>
      </div>
    </form>
  );
}

/** The original reader's answer to a discrepancy. */
export function RespondForm({ review, onDone }: { review: PeerReview; onDone: (r: PeerReview) => void }) {
  const [response, setResponse] = useState<'agree' | 'disagree' | null>(null);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const commentId = useId();

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    if (!response) return;
    setBusy(true);
    setProblem(null);
    try {
      const out = await peerReviewApi.respond(review.id, {
        response,
        ...(comment.trim() ? { comment: comment.trim() } : {}),
      });
      onDone(out.review);
    } catch (error) {
      setProblem(toProblem(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack" onSubmit={submit} aria-label={`Respond to discrepancy ${review.id}`}>
      <fieldset>
        <legend>Your response</legend>
        <label className="choice">
          <input
            type="radio"
            name={`response-${review.id}`}
            checked={response === 'agree'}
            onChange={() => setResponse('agree')}
          />
          I agree with the reviewer
        </label>
        <label className="choice">
          <input
            type="radio"
            name={`response-${review.id}`}
            checked={response === 'disagree'}
            onChange={() => setResponse('disagree')}
          />
          I disagree
        </label>
      </fieldset>
      <div className="field">
        <label htmlFor={commentId}>
          Comment {response === 'disagree' ? '(required: why)' : '(optional)'}
        </label>
        <textarea id={commentId} rows={3} value={comment} onChange={(e) => setComment(e.target.value)} />
      </div>
      {problem && <ErrorNotice problem={problem} />}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy || response === null}>
          {busy ? 'Sending…' : 'Send response'}
        </button>
      </div>
    </form>
  );
}

/** Human words for a discrepancy's state. */
export const discrepancyStateLabels: Record<string, string> = {
  'awaiting-response': 'Awaiting the reader’s response',
  responded: 'Reader responded',
  escalated: 'With the quality committee',
  closed: 'Closed',
};
