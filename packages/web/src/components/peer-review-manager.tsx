import { type PeerReviewSettings, type PeerReviewSummary, SCORE_CODES } from '@confer/core';
import { useEffect, useId, useState } from 'react';
import { formatInstant } from '../format-instant.ts';
import { type PeerReview, peerReviewApi, type SavedSettings } from '../peer-review-api.ts';
import { ratesToText, textToRates } from '../peer-review-rates.ts';
import { type Problem, toProblem } from '../problem.ts';
import { RequestStatus, useRequest } from '../use-request.ts';
import { ErrorNotice } from './error-notice.tsx';
import { discrepancyStateLabels } from './peer-review-forms.tsx';

/** Sampling settings for quality leads. */
export function SamplingSettingsForm() {
  const { state, reload } = useRequest<{ settings: SavedSettings }>('settings', (signal) =>
    peerReviewApi.settings(signal),
  );
  const [draft, setDraft] = useState<{
    enabled: boolean;
    ratePercent: string;
    byModality: string;
    byReader: string;
    seed: string;
    targetDays: string;
    anonymise: boolean;
  } | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [local, setLocal] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const ids = { rate: useId(), modality: useId(), reader: useId(), seed: useId(), days: useId() };

  useEffect(() => {
    if (state.status !== RequestStatus.Success) return;
    const s = state.data.settings;
    setDraft({
      enabled: s.enabled,
      ratePercent: String(Math.round(s.rate * 1000) / 10),
      byModality: ratesToText(s.byModality),
      byReader: ratesToText(s.byReader),
      seed: s.seed,
      targetDays: String(s.targetDays),
      anonymise: s.anonymise,
    });
  }, [state]);

  if (state.status === RequestStatus.Failure) return <ErrorNotice problem={state.problem} onRetry={reload} />;
  if (!draft) return <p role="status">Loading the settings…</p>;

  async function save(event: React.FormEvent) {
    event.preventDefault();
    if (!draft) return;
    setSaved(false);
    setProblem(null);
    const rate = Number(draft.ratePercent);
    const modality = textToRates(draft.byModality);
    const reader = textToRates(draft.byReader);
    if (!Number.isFinite(rate) || rate < 0 || rate > 100)
      return setLocal('The overall rate is a percentage, 0 to 100.');
    if (!modality.ok) return setLocal(`Modality rates: cannot read "${modality.line}" (write e.g. MR = 10).`);
    if (!reader.ok) return setLocal(`Reader rates: cannot read "${reader.line}" (write e.g. r-okafor = 25).`);
    setLocal(null);
    const settings: PeerReviewSettings = {
      enabled: draft.enabled,
      rate: rate / 100,
      byModality: modality.rates,
      byReader: reader.rates,
      seed: draft.seed,
      targetDays: Number(draft.targetDays),
      anonymise: draft.anonymise,
    };
    setBusy(true);
    try {
      await peerReviewApi.saveSettings(settings);
      setSaved(true);
    } catch (error) {
      setProblem(toProblem(error));
    } finally {
      setBusy(false);
    }
  }

  const set = (patch: Partial<typeof draft>) => {
    setSaved(false);
    setDraft({ ...draft, ...patch });
  };
  const savedInfo = state.status === RequestStatus.Success ? state.data.settings : null;
  return (
    <form className="stack" onSubmit={save} aria-label="Sampling settings">
      <label className="choice">
        <input type="checkbox" checked={draft.enabled} onChange={(e) => set({ enabled: e.target.checked })} />
        Sample finalised cases for peer review
      </label>
      <div className="filter-grid">
        <div className="field">
          <label htmlFor={ids.rate}>Overall rate (%)</label>
          <input
            id={ids.rate}
            inputMode="decimal"
            value={draft.ratePercent}
            onChange={(e) => set({ ratePercent: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.days}>Days to score</label>
          <input
            id={ids.days}
            type="number"
            min={1}
            max={365}
            value={draft.targetDays}
            onChange={(e) => set({ targetDays: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.seed}>Sampling seed</label>
          <input
            id={ids.seed}
            value={draft.seed}
            onChange={(e) => set({ seed: e.target.value })}
            spellCheck={false}
          />
        </div>
      </div>
      <div className="filter-grid">
        <div className="field">
          <label htmlFor={ids.modality}>Rates per modality (%), one per line</label>
          <textarea
            id={ids.modality}
            rows={3}
            placeholder="MR = 10"
            value={draft.byModality}
            onChange={(e) => set({ byModality: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.reader}>Rates per reader id (%), one per line</label>
          <textarea
            id={ids.reader}
            rows={3}
            placeholder="r-okafor = 25"
            value={draft.byReader}
            onChange={(e) => set({ byReader: e.target.value })}
          />
        </div>
      </div>
      <label className="choice">
        <input
          type="checkbox"
          checked={draft.anonymise}
          onChange={(e) => set({ anonymise: e.target.checked })}
        />
        Anonymise: reviewers do not see who reported, readers do not see who reviewed
      </label>
      {local && (
        <p className="field-error" role="alert">
          {local}
        </p>
      )}
      {problem && <ErrorNotice problem={problem} />}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save settings'}
        </button>
        {saved && (
          <span role="status" className="outcome outcome-good">
            Saved. Cases finalised from now on are sampled with these settings.
          </span>
        )}
        {savedInfo?.savedAt && !saved && (
          <span className="muted">
            Last saved {formatInstant(savedInfo.savedAt)} by {savedInfo.savedBy}
          </span>
        )}
      </div>
    </form>
  );
}

/** One summary row's cells: scored, each score code, discrepancy rate. */
function SummaryCells({ s }: { s: PeerReviewSummary }) {
  return (
    <>
      <td className="numeric">{s.scored}</td>
      {SCORE_CODES.map((c) => (
        <td key={c} className="numeric">
          {s.byScore[c] || <span className="muted">0</span>}
        </td>
      ))}
      <td className="numeric">{(s.discrepancyRate * 100).toFixed(1)} %</td>
    </>
  );
}

function SummaryTable({
  caption,
  keyLabel,
  rows,
}: {
  caption: string;
  keyLabel: string;
  rows: { key: string; label: string; summary: PeerReviewSummary }[];
}) {
  if (rows.length === 0) return <p className="muted">No scored reviews in this range.</p>;
  return (
    <table className="data-table summary-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{keyLabel}</th>
          <th scope="col" className="numeric">
            Scored
          </th>
          {SCORE_CODES.map((c) => (
            <th key={c} scope="col" className="numeric">
              {c}
            </th>
          ))}
          <th scope="col" className="numeric">
            Discrepancy rate
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key} data-summary-key={r.key}>
            <th scope="row">{r.label}</th>
            <SummaryCells s={r.summary} />
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Summaries per reader and per modality over a date range (quality leads). */
export function PeerReviewSummaries() {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const ids = { from: useId(), to: useId() };
  const range = {
    ...(from ? { from: new Date(`${from}T00:00:00`).toISOString() } : {}),
    ...(to ? { to: new Date(`${to}T00:00:00`).toISOString() } : {}),
  };
  const { state, reload } = useRequest(`summary:${from}:${to}`, (signal) =>
    peerReviewApi.summaries(range, signal),
  );
  return (
    <div className="stack">
      <div className="toolbar">
        <div className="field field-inline">
          <label htmlFor={ids.from}>Scored from</label>
          <input id={ids.from} type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div className="field field-inline">
          <label htmlFor={ids.to}>until (not including)</label>
          <input id={ids.to} type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </div>
      </div>
      {state.status === RequestStatus.Failure && <ErrorNotice problem={state.problem} onRetry={reload} />}
      {state.data && (
        <>
          <p>
            {state.data.overall.scored} scored, {state.data.overall.discrepancies}{' '}
            {state.data.overall.discrepancies === 1 ? 'discrepancy' : 'discrepancies'} (
            {(state.data.overall.discrepancyRate * 100).toFixed(1)} %), {state.data.overall.significant}{' '}
            likely clinically significant. Open: {state.data.open.assigned} awaiting a score (
            {state.data.open.overdue} overdue), {state.data.open.discrepanciesOpen} discrepancies not closed.
          </p>
          <SummaryTable
            caption="Per reader (the reader who reported)"
            keyLabel="Reader"
            rows={state.data.byReader.map((r) => ({ key: r.readerId, label: r.name, summary: r.summary }))}
          />
          <SummaryTable
            caption="Per modality"
            keyLabel="Modality"
            rows={state.data.byModality.map((m) => ({
              key: m.modality,
              label: m.modality,
              summary: m.summary,
            }))}
          />
        </>
      )}
    </div>
  );
}

/** Discrepancies that are not closed, with escalate and close (quality leads). */
export function OpenDiscrepancies() {
  const { state, reload } = useRequest('open-discrepancies', (signal) =>
    peerReviewApi.all({ discrepancy: 'open' }, signal),
  );
  const [notes, setNotes] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem | null>(null);
  async function act(review: PeerReview, step: 'escalate' | 'close') {
    setProblem(null);
    try {
      await peerReviewApi[step](review.id, notes[review.id] ?? '');
      reload();
    } catch (error) {
      setProblem(toProblem(error));
    }
  }
  if (state.status === RequestStatus.Failure) return <ErrorNotice problem={state.problem} onRetry={reload} />;
  const reviews = state.data?.reviews ?? [];
  if (state.status === RequestStatus.Success && reviews.length === 0)
    return <p className="muted">No open discrepancies.</p>;
  return (
    <div className="stack">
      {problem && <ErrorNotice problem={problem} />}
      <table className="data-table">
        <thead>
          <tr>
            <th scope="col">Review</th>
            <th scope="col">Score</th>
            <th scope="col">Reported by / reviewed by</th>
            <th scope="col">Reviewer’s comment</th>
            <th scope="col">Reader’s response</th>
            <th scope="col">State</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {reviews.map((r) => (
            <tr key={r.id} data-review-id={r.id}>
              <td>
                <code>{r.id}</code>
                <br />
                <span className="muted">{r.procedure ?? r.modalities.join(', ')}</span>
              </td>
              <td>
                <span className="badge badge-danger">{r.scoreCode}</span>
              </td>
              <td>
                {r.originalReader?.name ?? '—'} / {r.reviewer?.name ?? '—'}
              </td>
              <td>{r.comment}</td>
              <td>
                {r.discrepancy?.response ? (
                  <>
                    <strong>{r.discrepancy.response}</strong> {r.discrepancy.readerComment}
                  </>
                ) : (
                  <span className="muted">none yet</span>
                )}
              </td>
              <td>{discrepancyStateLabels[r.discrepancy?.state ?? ''] ?? r.discrepancy?.state}</td>
              <td>
                <div className="stack">
                  <input
                    aria-label={`Note for ${r.id}`}
                    placeholder="Note"
                    value={notes[r.id] ?? ''}
                    onChange={(e) => setNotes({ ...notes, [r.id]: e.target.value })}
                  />
                  <div className="form-actions">
                    {r.discrepancy?.state !== 'escalated' && (
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        onClick={() => act(r, 'escalate')}
                      >
                        Escalate
                      </button>
                    )}
                    <button
                      type="button"
                      className="button button-primary button-small"
                      onClick={() => act(r, 'close')}
                    >
                      Close
                    </button>
                  </div>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
