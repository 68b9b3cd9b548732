import { type FormEvent, useCallback, useEffect, useId, useRef, useState } from 'react';
import {
  type ConsultKind,
  type ConsultTargets,
  type ConsultUrgency,
  type ConsultView,
  collaborationApi,
  consultKindLabels,
  consultStateLabels,
} from '../collaboration-api.ts';
import { formatInstant } from '../format-instant.ts';
import { type Problem, toProblem } from '../problem.ts';
import { formatCompactTime } from '../time-format.ts';
import { ErrorNotice } from './error-notice.tsx';
import { ReasonDialog } from './reason-dialog.tsx';
import '../collaboration.css';

interface ConsultPanelProps {
  caseId: string;
  username: string;
  /** Radiologists may ask for consults (and answer those routed to them). */
  canRequest: boolean;
  nowMs: number;
  /** Bumped when a consult of the case changed elsewhere (the discussion stream), to read them again. */
  refreshKey: number;
  /** A consult changed here: the case (its timeline) should be read again. */
  onChanged: () => void;
}

/** The case's consults and second opinions: who was asked, where each stands, the answers; ask for one. */
export function ConsultPanel({
  caseId,
  username,
  canRequest,
  nowMs,
  refreshKey,
  onChanged,
}: ConsultPanelProps) {
  const [consults, setConsults] = useState<ConsultView[]>([]);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [asking, setAsking] = useState(false);

  const load = useCallback(
    async (signal?: AbortSignal) => {
      try {
        setConsults((await collaborationApi.consultsOfCase(caseId, signal)).consults);
        setProblem(null);
      } catch (error) {
        if (!signal?.aborted) setProblem(toProblem(error));
      }
    },
    [caseId],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey is the signal to read the consults again
  useEffect(() => {
    const controller = new AbortController();
    void load(controller.signal);
    return () => controller.abort();
  }, [load, refreshKey]);

  const changed = () => {
    void load();
    onChanged();
  };

  return (
    <section className="panel consults" aria-labelledby="consults-heading">
      <div className="panel-heading-row">
        <h2 id="consults-heading">Consults and second opinions</h2>
        {canRequest && (
          <button type="button" className="button button-secondary" onClick={() => setAsking(true)}>
            Request consult / second opinion…
          </button>
        )}
      </div>
      {problem && <ErrorNotice problem={problem} onRetry={() => void load()} />}
      {consults.length === 0 ? (
        <p className="muted">No consult has been asked for on this case.</p>
      ) : (
        <ul className="consult-list">
          {consults.map((k) => (
            <ConsultItem key={k.id} consult={k} username={username} nowMs={nowMs} onChanged={changed} />
          ))}
        </ul>
      )}
      {/* Mounted only while asking, so its fields are not in the page (and its labels not found) otherwise. */}
      {asking && (
        <ConsultDialog
          open={asking}
          caseId={caseId}
          onClose={() => setAsking(false)}
          onRequested={() => {
            setAsking(false);
            changed();
          }}
        />
      )}
    </section>
  );
}

/** One consult: the question, who has it, its answer, and the consultant's actions when it is theirs. */
export function ConsultItem({
  consult: k,
  username,
  nowMs,
  onChanged,
  showCase = false,
}: {
  consult: ConsultView;
  username: string;
  nowMs: number;
  onChanged: (k: ConsultView) => void;
  showCase?: boolean;
}) {
  const mine = k.assignee?.username === username && (k.state === 'requested' || k.state === 'accepted');
  const asked =
    k.requestedBy === username &&
    (k.state === 'requested' || k.state === 'accepted' || k.state === 'unassigned');
  return (
    <li className={`consult consult-${k.state}`} data-consult-id={k.id}>
      <div className="consult-head">
        <strong>{consultKindLabels[k.kind]}</strong>
        {showCase && (
          <>
            {' '}
            on <a href={`#/cases/${encodeURIComponent(k.caseId)}`}>case {k.caseId}</a>
          </>
        )}{' '}
        <span className={`badge badge-urgency-${k.urgency}`}>{k.urgency.toUpperCase()}</span>{' '}
        <span className={`badge consult-state consult-state-${k.state}`}>{consultStateLabels[k.state]}</span>
        {k.expired && k.state !== 'answered' && <span className="badge badge-danger">Past target</span>}
      </div>
      <p className="consult-route muted">
        {k.requestedBy} asked {k.target.kind === 'pool' ? `the ${k.target.name} pool` : k.target.name}
        {k.assignee && <> · with {k.assignee.name}</>} ·{' '}
        <time dateTime={k.requestedAt} title={formatInstant(k.requestedAt)}>
          {formatCompactTime(k.requestedAt, nowMs)}
        </time>
        {k.state !== 'answered' && k.state !== 'cancelled' && (
          <>
            {' '}
            · due <time dateTime={k.dueAt}>{formatCompactTime(k.dueAt, nowMs)}</time>
          </>
        )}
      </p>
      <p className="consult-question">{k.question}</p>
      {k.answer && (
        <div className="consult-answer">
          <p className="consult-answer-label">
            Answer from {k.assignee?.name ?? k.answer.by}{' '}
            <time className="muted" dateTime={k.answer.at}>
              {formatCompactTime(k.answer.at, nowMs)}
            </time>
          </p>
          <p>{k.answer.text}</p>
        </div>
      )}
      {k.decision && (
        <details className="consult-decision">
          <summary>Why routing chose {k.assignee ? k.assignee.name : 'nobody'}</summary>
          <p>{k.decision.summary}</p>
          {k.declinedBy.length > 0 && <p className="muted">Declined by {k.declinedBy.join(', ')}.</p>}
        </details>
      )}
      {mine && <ConsultantActions consult={k} onChanged={onChanged} />}
      {asked && <CancelConsult consult={k} onChanged={onChanged} />}
    </li>
  );
}

function ConsultantActions({
  consult: k,
  onChanged,
}: {
  consult: ConsultView;
  onChanged: (k: ConsultView) => void;
}) {
  const [answer, setAnswer] = useState('');
  const [declining, setDeclining] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const fieldId = useId();

  async function act(action: 'accept' | 'decline' | 'answer', body?: Record<string, unknown>) {
    setBusy(true);
    setProblem(null);
    try {
      onChanged(await collaborationApi.consultAction(k.id, action, body));
      if (action === 'answer') setAnswer('');
    } catch (error) {
      setProblem(toProblem(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <form
        className="consult-actions"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          if (answer.trim()) void act('answer', { text: answer });
        }}
      >
        <div className="field">
          <label htmlFor={fieldId}>Your answer</label>
          <textarea
            id={fieldId}
            rows={3}
            maxLength={10_000}
            value={answer}
            onChange={(e) => setAnswer(e.target.value)}
          />
        </div>
        {problem && <ErrorNotice problem={problem} />}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy || answer.trim() === ''}>
            Send answer
          </button>
          {k.state === 'requested' && (
            <button
              type="button"
              className="button button-secondary"
              disabled={busy}
              onClick={() => void act('accept')}
            >
              Accept
            </button>
          )}
          <button
            type="button"
            className="button button-quiet"
            disabled={busy}
            onClick={() => setDeclining(true)}
          >
            Decline…
          </button>
        </div>
      </form>
      {declining && (
        <ReasonDialog
          open={declining}
          title="Decline the consult"
          description={
            <p>Confer routes it to another eligible reader, leaving you out, and tells the requester.</p>
          }
          label="Reason"
          required={false}
          confirmLabel="Decline"
          busy={busy}
          onCancel={() => setDeclining(false)}
          onConfirm={async (reason) => {
            await act('decline', reason ? { reason } : {});
            setDeclining(false);
          }}
        />
      )}
    </>
  );
}

function CancelConsult({
  consult: k,
  onChanged,
}: {
  consult: ConsultView;
  onChanged: (k: ConsultView) => void;
}) {
  const [problem, setProblem] = useState<Problem | null>(null);
  return (
    <div className="consult-actions">
      {problem && <ErrorNotice problem={problem} />}
      <button
        type="button"
        className="button button-quiet button-small"
        onClick={async () => {
          try {
            onChanged(await collaborationApi.consultAction(k.id, 'cancel', {}));
          } catch (error) {
            setProblem(toProblem(error));
          }
        }}
      >
        Cancel this request
      </button>
    </div>
  );
}

/** The request form, in a native modal dialog (focus kept inside, Escape closes). */
function ConsultDialog({
  open,
  caseId,
  onClose,
  onRequested,
}: {
  open: boolean;
  caseId: string;
  onClose: () => void;
  onRequested: (k: ConsultView) => void;
}) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [targets, setTargets] = useState<ConsultTargets | null>(null);
  const [kind, setKind] = useState<ConsultKind>('second-opinion');
  const [targetKind, setTargetKind] = useState<'pool' | 'reader'>('pool');
  const [targetId, setTargetId] = useState('');
  const [urgency, setUrgency] = useState<ConsultUrgency>('routine');
  const [question, setQuestion] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const titleId = useId();
  const ids = { target: useId(), urgency: useId(), question: useId() };

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      setProblem(null);
      setQuestion('');
      dialog.showModal();
      collaborationApi.targets().then(
        (t) => {
          setTargets(t);
          setTargetId((cur) => cur || t.pools[0]?.id || '');
        },
        (error: unknown) => setProblem(toProblem(error)),
      );
    } else if (!open && dialog.open) dialog.close();
  }, [open]);

  const options =
    targetKind === 'pool'
      ? (targets?.pools ?? []).map((p) => ({ id: p.id, label: `${p.name} (${p.members} readers)` }))
      : (targets?.readers ?? []).map((r) => ({
          id: r.id,
          label: `${r.name}${r.subspecialties.length ? ` — ${r.subspecialties.join(', ')}` : ''}`,
        }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!targetId || question.trim() === '') {
      setProblem({
        type: 'about:blank',
        title: 'Missing details',
        status: 0,
        detail: 'Choose whom to ask and write the question.',
      });
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      onRequested(
        await collaborationApi.requestConsult(caseId, {
          kind,
          target: { kind: targetKind, id: targetId },
          urgency,
          question,
        }),
      );
    } catch (error) {
      setProblem(toProblem(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog
      ref={dialogRef}
      className="dialog consult-dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <form onSubmit={submit} noValidate>
        <h2 id={titleId}>Request a consult or second opinion</h2>
        <p className="dialog-description">
          Confer routes the request like a case: only readers on shift now, licensed for this patient&rsquo;s
          jurisdiction, privileged at the site and with capacity can receive it.
        </p>
        <fieldset className="field">
          <legend>What</legend>
          {(['second-opinion', 'consult'] as const).map((k) => (
            <label key={k} className="field-inline">
              <input type="radio" name="consult-kind" checked={kind === k} onChange={() => setKind(k)} />{' '}
              {consultKindLabels[k]}
            </label>
          ))}
        </fieldset>
        <fieldset className="field">
          <legend>Ask</legend>
          <label className="field-inline">
            <input
              type="radio"
              name="consult-target-kind"
              checked={targetKind === 'pool'}
              onChange={() => {
                setTargetKind('pool');
                setTargetId(targets?.pools[0]?.id ?? '');
              }}
            />{' '}
            A subspecialty pool
          </label>
          <label className="field-inline">
            <input
              type="radio"
              name="consult-target-kind"
              checked={targetKind === 'reader'}
              onChange={() => {
                setTargetKind('reader');
                setTargetId(targets?.readers[0]?.id ?? '');
              }}
            />{' '}
            A named reader
          </label>
        </fieldset>
        <div className="field">
          <label htmlFor={ids.target}>{targetKind === 'pool' ? 'Pool' : 'Reader'}</label>
          <select id={ids.target} value={targetId} onChange={(e) => setTargetId(e.target.value)}>
            {options.map((o) => (
              <option key={o.id} value={o.id}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.urgency}>Urgency</label>
          <select
            id={ids.urgency}
            value={urgency}
            onChange={(e) => setUrgency(e.target.value as ConsultUrgency)}
          >
            <option value="stat">STAT</option>
            <option value="urgent">Urgent</option>
            <option value="routine">Routine</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.question}>Question</label>
          <textarea
            id={ids.question}
            rows={4}
            maxLength={2000}
            value={question}
            onChange={(e) => setQuestion(e.target.value)}
          />
        </div>
        {problem && <ErrorNotice problem={problem} />}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Routing…' : 'Send request'}
          </button>
          <button type="button" className="button button-secondary" onClick={onClose} disabled={busy}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
