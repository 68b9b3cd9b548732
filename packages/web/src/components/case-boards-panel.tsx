import { BOARD_OUTCOME_LABELS } from '@confer/core';
import { useId, useState } from 'react';
import { abilitiesOf, type User } from '../api-client.ts';
import { boardHref, boardsApi } from '../boards-api.ts';
import { formatInstant } from '../format-instant.ts';
import { type Problem, toProblem } from '../problem.ts';
import { RequestStatus, useRequest } from '../use-request.ts';
import { ErrorNotice } from './error-notice.tsx';

/**
 * On the case page: the board sessions the case is on (with their outcomes), and for coordinators an
 * "Add to board" form with the question for the board.
 */
export function CaseBoardsPanel({ user, caseId }: { user: User; caseId: string }) {
  const manage = abilitiesOf(user).manage;
  const listed = useRequest(`case-boards:${caseId}`, (signal) => boardsApi.forCase(caseId, signal));
  const upcoming = useRequest(manage ? 'boards:upcoming' : null, (signal) => boardsApi.list(false, signal));
  const [sessionId, setSessionId] = useState('');
  const [question, setQuestion] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const ids = { session: useId(), question: useId() };
  // Members without board:manage see only the sessions they sit on; a 403 means boards are not for them.
  if (listed.state.status === RequestStatus.Failure && listed.state.problem.status === 403) return null;
  const sessions = listed.state.data?.sessions ?? [];
  const choices = (upcoming.state.data?.sessions ?? []).filter(
    (s) => !s.cancelled && !sessions.some((x) => x.id === s.id),
  );

  async function add(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    setAdded(null);
    try {
      const out = await boardsApi.addCase(sessionId, caseId, question);
      setAdded(out.session.title);
      setQuestion('');
      setSessionId('');
      listed.reload();
    } catch (error) {
      setProblem(toProblem(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="case-boards-heading">
      <h2 id="case-boards-heading">Boards</h2>
      {sessions.length === 0 ? (
        <p className="muted">Not on any board session.</p>
      ) : (
        <ul>
          {sessions.map((s) => (
            <li key={s.id}>
              <a href={boardHref(s.id)}>{s.title}</a>, {formatInstant(s.startsAt)}
              {s.outcome && (
                <span className="badge badge-good">
                  {' '}
                  {BOARD_OUTCOME_LABELS[s.outcome as keyof typeof BOARD_OUTCOME_LABELS] ?? s.outcome}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {manage && (
        <form className="stack" onSubmit={add} aria-label="Add to board">
          <div className="field">
            <label htmlFor={ids.session}>Add to board session</label>
            <select
              id={ids.session}
              required
              value={sessionId}
              onChange={(e) => setSessionId(e.target.value)}
            >
              <option value="" disabled>
                {choices.length === 0 ? 'No upcoming session to add to' : 'Choose a session…'}
              </option>
              {choices.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.title} — {s.date} {s.time} ({s.timeZone})
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.question}>Question for the board</label>
            <textarea
              id={ids.question}
              required
              rows={2}
              maxLength={2000}
              value={question}
              onChange={(e) => setQuestion(e.target.value)}
            />
          </div>
          {problem && <ErrorNotice problem={problem} />}
          <div className="form-actions">
            <button type="submit" className="button button-secondary" disabled={busy || !sessionId}>
              Add to board
            </button>
            {added && (
              <span role="status" className="outcome outcome-good">
                Added to {added}.
              </span>
            )}
          </div>
        </form>
      )}
    </section>
  );
}
