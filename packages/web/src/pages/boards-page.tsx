import { useId, useState } from 'react';
import { abilitiesOf, type User } from '../api-client.ts';
import { useApi } from '../api-context.ts';
import { navigate } from '../app-route.ts';
import {
  type BoardSession,
  type BoardSessionDetail,
  boardHref,
  boardsApi,
  parseBoardPath,
  presentHref,
} from '../boards-api.ts';
import { patientDisplayName } from '../case-display.ts';
import { OutcomeSummary } from '../components/board-outcome-form.tsx';
import { BoardSessionForm } from '../components/board-session-form.tsx';
import { ErrorNotice } from '../components/error-notice.tsx';
import { formatInstant } from '../format-instant.ts';
import { type Problem, toProblem } from '../problem.ts';
import { RequestStatus, useRequest } from '../use-request.ts';
import { BoardPresentPage } from './board-present-page.tsx';

/** `#/boards`, `#/boards/<id>` and `#/boards/<id>/present`: the fragment's path picks the view. */
export function BoardsPage({ user }: { user: User }) {
  const path = parseBoardPath(window.location.hash);
  if (path.view === 'present')
    return <BoardPresentPage key={path.id} user={user} sessionId={path.id} caseId={path.caseId} />;
  if (path.view === 'session') return <BoardSessionPage key={path.id} id={path.id} />;
  return <BoardListPage user={user} />;
}

/** When a session meets, in its own zone and, when different, in the viewer's. */
export function SessionWhen({ session }: { session: BoardSession }) {
  const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return (
    <span>
      {session.date} {session.time} <span className="muted">({session.timeZone})</span>
      {viewerZone !== session.timeZone && (
        <span className="muted"> — {formatInstant(session.startsAt)} here</span>
      )}
    </span>
  );
}

function BoardListPage({ user }: { user: User }) {
  const manage = abilitiesOf(user).manage;
  const [past, setPast] = useState(false);
  const [creating, setCreating] = useState(false);
  const { state, reload } = useRequest(`boards:${past}`, (signal) => boardsApi.list(past, signal));
  const sessions = state.data?.sessions ?? [];
  return (
    <>
      <div className="page-heading page-heading-row">
        <h1 tabIndex={-1}>Boards</h1>
        <div className="heading-actions">
          <button type="button" className="button button-secondary" onClick={() => setPast(!past)}>
            {past ? 'Show upcoming sessions' : 'Show past sessions'}
          </button>
          {manage && !creating && (
            <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
              New session
            </button>
          )}
        </div>
      </div>
      {creating && (
        <section className="panel" aria-labelledby="new-session-heading">
          <h2 id="new-session-heading">New board session</h2>
          <BoardSessionForm
            defaultTimeZone={Intl.DateTimeFormat().resolvedOptions().timeZone}
            submitLabel="Create session"
            onCancel={() => setCreating(false)}
            onSubmit={async (input) => {
              const out = await boardsApi.create(input);
              navigate(boardHref(out.session.id));
            }}
          />
        </section>
      )}
      <section className="panel" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">{past ? 'Past sessions' : 'Upcoming sessions'}</h2>
        {state.status === RequestStatus.Failure && <ErrorNotice problem={state.problem} onRetry={reload} />}
        {state.status === RequestStatus.Success && sessions.length === 0 && (
          <p className="muted">{past ? 'No past sessions.' : 'No upcoming sessions.'}</p>
        )}
        {sessions.length > 0 && (
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Session</th>
                <th scope="col">When</th>
                <th scope="col">Specialties</th>
                <th scope="col" className="numeric">
                  Cases
                </th>
                <th scope="col">Members</th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr key={s.id} data-board-id={s.id}>
                  <td>
                    <a href={boardHref(s.id)}>{s.title}</a>
                    {s.cancelled && <span className="badge badge-muted"> cancelled</span>}
                  </td>
                  <td>
                    <SessionWhen session={s} />
                  </td>
                  <td>{s.specialties.join(', ')}</td>
                  <td className="numeric">
                    {s.caseCount}
                    {s.outcomesRecorded > 0 && <span className="muted"> ({s.outcomesRecorded} decided)</span>}
                  </td>
                  <td>{s.members.map((m) => m.displayName ?? m.username).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function BoardSessionPage({ id }: { id: string }) {
  const { state, reload } = useRequest(`board:${id}`, (signal) => boardsApi.get(id, signal));
  const [session, setSession] = useState<BoardSessionDetail | null>(null);
  const [editing, setEditing] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const s = session ?? state.data?.session ?? null;
  if (!s) {
    return (
      <>
        <p className="back-link">
          <a href="#/boards">← Boards</a>
        </p>
        <h1 tabIndex={-1}>Board session</h1>
        {state.status === RequestStatus.Failure ? (
          <ErrorNotice problem={state.problem} onRetry={reload} />
        ) : (
          <p role="status">Loading the session…</p>
        )}
      </>
    );
  }

  async function apply(change: Promise<{ session: BoardSessionDetail }>) {
    setProblem(null);
    try {
      setSession((await change).session);
    } catch (error) {
      setProblem(toProblem(error));
    }
  }
  const move = (index: number, by: -1 | 1) => {
    const ids = s.cases.map((c) => c.caseId);
    const [moved] = ids.splice(index, 1);
    ids.splice(index + by, 0, moved!);
    void apply(boardsApi.reorder(s.id, ids));
  };

  return (
    <>
      <p className="back-link">
        <a href="#/boards">← Boards</a>
      </p>
      <div className="page-heading page-heading-row">
        <h1 tabIndex={-1}>
          {s.title}
          {s.cancelled && <span className="badge badge-muted"> cancelled</span>}
        </h1>
        <div className="heading-actions">
          {s.cases.length > 0 && (
            <a className="button button-primary" href={presentHref(s.id, s.cases[0]!.caseId)}>
              Start presentation
            </a>
          )}
          {s.canManage && !s.cancelled && !editing && (
            <button type="button" className="button button-secondary" onClick={() => setEditing(true)}>
              Edit session
            </button>
          )}
        </div>
      </div>
      <dl className="facts facts-inline">
        <dt>When</dt>
        <dd>
          <SessionWhen session={s} /> for {s.durationMinutes} minutes
        </dd>
        <dt>Where</dt>
        <dd>{s.location ?? '—'}</dd>
        <dt>Specialties</dt>
        <dd>{s.specialties.join(', ') || '—'}</dd>
        <dt>Members</dt>
        <dd>{s.members.map((m) => m.displayName ?? m.username).join(', ') || '—'}</dd>
      </dl>
      {problem && <ErrorNotice problem={problem} />}
      {editing && (
        <section className="panel" aria-labelledby="edit-heading">
          <h2 id="edit-heading">Edit session</h2>
          <BoardSessionForm
            initial={s}
            defaultTimeZone={s.timeZone}
            submitLabel="Save session"
            onCancel={() => setEditing(false)}
            onSubmit={async (input) => {
              setSession((await boardsApi.update(s.id, input)).session);
              setEditing(false);
            }}
          />
          <p>
            <button
              type="button"
              className="button button-quiet"
              onClick={() => {
                setEditing(false);
                void apply(boardsApi.cancel(s.id));
              }}
            >
              Cancel this session
            </button>
          </p>
        </section>
      )}
      <section className="panel" aria-labelledby="cases-heading">
        <h2 id="cases-heading">Case list</h2>
        {s.cases.length === 0 ? (
          <p className="muted">
            No cases yet.{s.canManage && ' Add one here by case id, or with "Add to board" on a case page.'}
          </p>
        ) : (
          <table className="data-table board-cases">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Patient and study</th>
                <th scope="col">Question for the board</th>
                <th scope="col">Outcome</th>
                {s.canManage && <th scope="col">Order</th>}
              </tr>
            </thead>
            <tbody>
              {s.cases.map((c, i) => (
                <tr key={c.caseId} data-case-id={c.caseId}>
                  <td className="numeric">{i + 1}</td>
                  <td>
                    <a href={presentHref(s.id, c.caseId)}>{c.case ? patientDisplayName(c.case) : c.caseId}</a>
                    <br />
                    <span className="muted">
                      {c.case?.procedure ?? c.case?.modalities.join(', ')} · <code>{c.caseId}</code>
                    </span>
                  </td>
                  <td>{c.question}</td>
                  <td>
                    <OutcomeSummary entry={c} />
                  </td>
                  {s.canManage && (
                    <td className="nowrap">
                      <button
                        type="button"
                        className="button button-quiet button-small"
                        aria-label={`Move ${c.caseId} up`}
                        disabled={i === 0}
                        onClick={() => move(i, -1)}
                      >
                        ↑
                      </button>
                      <button
                        type="button"
                        className="button button-quiet button-small"
                        aria-label={`Move ${c.caseId} down`}
                        disabled={i === s.cases.length - 1}
                        onClick={() => move(i, 1)}
                      >
                        ↓
                      </button>
                      <button
                        type="button"
                        className="button button-quiet button-small"
                        aria-label={`Remove ${c.caseId}`}
                        onClick={() => void apply(boardsApi.removeCase(s.id, c.caseId))}
                      >
                        Remove
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {s.canManage && !s.cancelled && (
          <>
            <WorklistPicker session={s} onAdded={(next) => setSession(next)} />
            <AddCaseById sessionId={s.id} onAdded={(next) => setSession(next)} />
          </>
        )}
      </section>
      <p className="muted">
        Members of this session may open its cases (case page, images, report, discussion) until 30 days after
        it starts; every view is audited as board access.
      </p>
    </>
  );
}

function AddCaseById({
  sessionId,
  onAdded,
}: {
  sessionId: string;
  onAdded: (s: BoardSessionDetail) => void;
}) {
  const [caseId, setCaseId] = useState('');
  const [question, setQuestion] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const ids = { caseId: useId(), question: useId() };
  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setProblem(null);
    try {
      onAdded((await boardsApi.addCase(sessionId, caseId.trim(), question)).session);
      setCaseId('');
      setQuestion('');
    } catch (error) {
      setProblem(toProblem(error));
    }
  }
  return (
    <form className="toolbar add-case" onSubmit={submit} aria-label="Add a case by id">
      <div className="field field-inline">
        <label htmlFor={ids.caseId}>Case id</label>
        <input
          id={ids.caseId}
          required
          value={caseId}
          onChange={(e) => setCaseId(e.target.value)}
          spellCheck={false}
        />
      </div>
      <div className="field field-inline">
        <label htmlFor={ids.question}>Question</label>
        <input id={ids.question} required value={question} onChange={(e) => setQuestion(e.target.value)} />
      </div>
      <button type="submit" className="button button-secondary">
        Add case
      </button>
      {problem && <ErrorNotice problem={problem} />}
    </form>
  );
}

/** Cases found on the worklist (every state a board may discuss), each with a question and an Add button. */
function WorklistPicker({
  session,
  onAdded,
}: {
  session: BoardSessionDetail;
  onAdded: (s: BoardSessionDetail) => void;
}) {
  const api = useApi();
  const [text, setText] = useState('');
  const [query, setQuery] = useState<string | null>(null);
  const [questions, setQuestions] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem | null>(null);
  const searchId = useId();
  const { state } = useRequest(query === null ? null : `pick:${query}`, (signal) => {
    const params = new URLSearchParams({
      state: 'ready,assigned,in-read,preliminary,final,addended',
      sort: '-updatedAt',
      limit: '20',
    });
    if (query) params.set('q', query);
    return api.worklist(params, signal);
  });
  const listed = new Set(session.cases.map((c) => c.caseId));
  async function add(caseId: string) {
    setProblem(null);
    try {
      onAdded((await boardsApi.addCase(session.id, caseId, questions[caseId] ?? '')).session);
    } catch (error) {
      setProblem(toProblem(error));
    }
  }
  return (
    <div className="stack worklist-picker">
      <form
        className="toolbar"
        aria-label="Find cases on the worklist"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(text.trim());
        }}
      >
        <div className="field field-inline">
          <label htmlFor={searchId}>Find on the worklist</label>
          <input
            id={searchId}
            type="search"
            placeholder="Accession, patient, procedure"
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </div>
        <button type="submit" className="button button-secondary">
          Search
        </button>
      </form>
      {problem && <ErrorNotice problem={problem} />}
      {state.status === RequestStatus.Failure && <ErrorNotice problem={state.problem} />}
      {state.data && state.data.cases.length === 0 && <p className="muted">No case matches.</p>}
      {state.data && state.data.cases.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Cases found on the worklist</caption>
          <tbody>
            {state.data.cases.map((c) => (
              <tr key={c.id} data-pick-case-id={c.id}>
                <td>
                  {patientDisplayName(c)}
                  <br />
                  <span className="muted">
                    {c.procedure ?? c.modalities.join(', ')} · {c.accessionNumber ?? c.id}
                  </span>
                </td>
                <td>
                  {listed.has(c.id) ? (
                    <span className="muted">On the list</span>
                  ) : (
                    <input
                      aria-label={`Question for ${c.id}`}
                      placeholder="Question for the board"
                      value={questions[c.id] ?? ''}
                      onChange={(e) => setQuestions({ ...questions, [c.id]: e.target.value })}
                    />
                  )}
                </td>
                <td>
                  {!listed.has(c.id) && (
                    <button
                      type="button"
                      className="button button-secondary button-small"
                      disabled={!(questions[c.id] ?? '').trim()}
                      onClick={() => void add(c.id)}
                    >
                      Add
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
