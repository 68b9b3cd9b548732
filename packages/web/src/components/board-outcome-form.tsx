import { BOARD_OUTCOME_LABELS, BoardOutcomeCategory } from '@confer/core';
import { useId, useState } from 'react';
import { type BoardCase, type BoardMember, boardsApi } from '../boards-api.ts';
import { type Problem, toProblem } from '../problem.ts';
import { ErrorNotice } from './error-notice.tsx';

/** What the board decided for one case: the category, the recommendation and who was present. */
export function BoardOutcomeForm({
  sessionId,
  entry,
  members,
  onSaved,
}: {
  sessionId: string;
  entry: BoardCase;
  members: BoardMember[];
  onSaved: (entry: BoardCase) => void;
}) {
  const [category, setCategory] = useState(entry.outcome?.category ?? '');
  const [recommendation, setRecommendation] = useState(entry.outcome?.recommendation ?? '');
  const [attendees, setAttendees] = useState<string[]>(
    entry.outcome?.attendees ?? members.map((m) => m.username),
  );
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [saved, setSaved] = useState(false);
  const ids = { category: useId(), recommendation: useId() };

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    setSaved(false);
    try {
      const out = await boardsApi.recordOutcome(sessionId, entry.caseId, {
        category,
        recommendation,
        attendees,
      });
      setSaved(true);
      onSaved(out.entry);
    } catch (error) {
      setProblem(toProblem(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack" onSubmit={submit} aria-label="Board outcome">
      <div className="field">
        <label htmlFor={ids.category}>Outcome</label>
        <select id={ids.category} required value={category} onChange={(e) => setCategory(e.target.value)}>
          <option value="" disabled>
            Choose…
          </option>
          {Object.values(BoardOutcomeCategory).map((c) => (
            <option key={c} value={c}>
              {BOARD_OUTCOME_LABELS[c]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.recommendation}>Recommendation</label>
        <textarea
          id={ids.recommendation}
          required
          rows={3}
          maxLength={4000}
          value={recommendation}
          onChange={(e) => setRecommendation(e.target.value)}
        />
      </div>
      <fieldset>
        <legend>Present</legend>
        {members.length === 0 && <p className="muted">The session has no members.</p>}
        {members.map((m) => (
          <label key={m.username} className="choice">
            <input
              type="checkbox"
              checked={attendees.includes(m.username)}
              onChange={(e) =>
                setAttendees(
                  e.target.checked ? [...attendees, m.username] : attendees.filter((a) => a !== m.username),
                )
              }
            />
            {m.displayName ?? m.username}
          </label>
        ))}
      </fieldset>
      {problem && <ErrorNotice problem={problem} />}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy || !category}>
          {busy ? 'Saving…' : 'Record outcome'}
        </button>
        {saved && (
          <span role="status" className="outcome outcome-good">
            Outcome recorded; it is on the case’s timeline.
          </span>
        )}
      </div>
    </form>
  );
}

/** A recorded outcome in words. */
export function OutcomeSummary({ entry }: { entry: BoardCase }) {
  if (!entry.outcome) return <span className="muted">No outcome yet</span>;
  const label =
    BOARD_OUTCOME_LABELS[entry.outcome.category as keyof typeof BOARD_OUTCOME_LABELS] ??
    entry.outcome.category;
  return (
    <span>
      <span className="badge badge-good">{label}</span> {entry.outcome.recommendation}
    </span>
  );
}
