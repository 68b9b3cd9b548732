import { useId, useState } from 'react';
import type { User } from '../api-client.ts';
import {
  type CriticalCategory,
  type CriticalResult,
  caseCriticalResults,
  flagCriticalResult,
} from '../critical/critical-api.ts';
import {
  categoryHints,
  categoryLabel,
  categoryLabels,
  ladderPosition,
  methodLabels,
} from '../critical/critical-model.ts';
import { CommunicationsTable } from '../pages/critical-page.tsx';
import { type Problem, toProblem } from '../problem.ts';
import { RequestStatus, useRequest } from '../use-request.ts';
import { ErrorNotice } from './error-notice.tsx';

const flaggingRoles = ['radiologist', 'coordinator', 'admin'];

/**
 * The case's critical results with every communication, and for readers the form that flags one: the
 * responsible clinician is notified at once and the escalation ladder starts.
 */
export function CriticalResultsPanel({
  caseId,
  user,
  onFlagged,
}: {
  caseId: string;
  user: User;
  onFlagged: () => void;
}) {
  const { state, reload } = useRequest(caseId, (signal) => caseCriticalResults(caseId, signal));
  const mayFlag = user.roles.some((r) => flaggingRoles.includes(r));
  const [open, setOpen] = useState(false);
  const results = state.data ?? [];
  if (!mayFlag && results.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="critical-heading">
      <div className="page-heading-row">
        <h2 id="critical-heading">Critical results</h2>
        {mayFlag && !open && (
          <button type="button" className="button button-secondary" onClick={() => setOpen(true)}>
            Flag critical result
          </button>
        )}
      </div>
      {state.status === RequestStatus.Failure && <ErrorNotice problem={state.problem} onRetry={reload} />}
      {open && (
        <FlagForm
          caseId={caseId}
          onCancel={() => setOpen(false)}
          onFlagged={() => {
            setOpen(false);
            reload();
            onFlagged();
          }}
        />
      )}
      {results.length === 0 && !open && <p className="muted">No critical result on this case.</p>}
      {results.map((r) => (
        <CaseCriticalResult key={r.id} result={r} />
      ))}
    </section>
  );
}

function CaseCriticalResult({ result: r }: { result: CriticalResult }) {
  return (
    <article className="stack" aria-label={`Critical result ${r.id}`}>
      <p>
        <span className={`badge ${r.category === 'critical' ? 'badge-danger' : 'badge-muted'}`}>
          {categoryLabel(r.category)}
        </span>{' '}
        <a href={`#/critical/${encodeURIComponent(r.id)}`}>{r.finding}</a>{' '}
        <span className="muted">
          —{' '}
          {r.acknowledgement
            ? `acknowledged by ${r.acknowledgement.by} ${methodLabels[r.acknowledgement.method]}`
            : ladderPosition(r)}
        </span>
      </p>
      <CommunicationsTable result={r} />
    </article>
  );
}

function FlagForm({
  caseId,
  onCancel,
  onFlagged,
}: {
  caseId: string;
  onCancel: () => void;
  onFlagged: () => void;
}) {
  const [category, setCategory] = useState<CriticalCategory>('critical');
  const [finding, setFinding] = useState('');
  const [responsible, setResponsible] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const categoryId = useId();
  const findingId = useId();
  const responsibleId = useId();
  return (
    <form
      className="stack"
      aria-label="Flag a critical result"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setProblem(null);
        try {
          await flagCriticalResult(caseId, {
            category,
            finding: finding.trim(),
            ...(responsible.trim() ? { responsible: responsible.trim() } : {}),
          });
          onFlagged();
        } catch (error) {
          setProblem(toProblem(error));
        } finally {
          setBusy(false);
        }
      }}
    >
      <div className="field">
        <label htmlFor={categoryId}>Category</label>
        <select
          id={categoryId}
          value={category}
          onChange={(e) => setCategory(e.target.value as CriticalCategory)}
        >
          {(Object.keys(categoryLabels) as CriticalCategory[]).map((c) => (
            <option key={c} value={c}>
              {categoryLabels[c]} — {categoryHints[c]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={findingId}>Finding</label>
        <textarea
          id={findingId}
          value={finding}
          onChange={(e) => setFinding(e.target.value)}
          required
          maxLength={4000}
          rows={3}
          placeholder="What was found and where, as the clinician must hear it"
        />
      </div>
      <div className="field">
        <label htmlFor={responsibleId}>Responsible clinician (username, optional)</label>
        <input
          id={responsibleId}
          value={responsible}
          onChange={(e) => setResponsible(e.target.value)}
          spellCheck={false}
          placeholder="the case's referring clinician, else the site default"
        />
      </div>
      {problem && <ErrorNotice problem={problem} />}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy || finding.trim() === ''}>
          {busy ? 'Flagging…' : 'Flag and notify'}
        </button>
        <button type="button" className="button button-quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
