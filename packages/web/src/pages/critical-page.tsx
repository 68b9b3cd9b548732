import { useCallback, useId, useMemo, useState } from 'react';
import type { User } from '../api-client.ts';
import { caseHref } from '../app-route.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import {
  acknowledgeCriticalResult,
  acknowledgeOnBehalf,
  type CriticalResult,
  getCriticalResult,
  listCriticalResults,
} from '../critical/critical-api.ts';
import {
  categoryHints,
  categoryLabel,
  describeCommunication,
  isAddressedTo,
  ladderPosition,
  methodLabels,
} from '../critical/critical-model.ts';
import { rungCountdown, usePolling } from '../critical/use-critical.ts';
import { formatInstant } from '../format-instant.ts';
import { type Problem, toProblem } from '../problem.ts';
import { useNow } from '../use-now.ts';
import { RequestStatus, useRequest } from '../use-request.ts';

interface CriticalPageProps {
  user: User;
  now: () => Date;
}

/** The id in `#/critical/<id>`, if any. */
function resultIdFromHash(): string | null {
  const m = /^#\/critical\/([^?]+)/.exec(window.location.hash);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
}

const managerRoles = ['coordinator', 'admin'];

/**
 * Critical results. Coordinators see every open result by time left, with the escalation and the last
 * communication, and can record a phone read-back; clinicians see the results addressed to them and
 * acknowledge in one click. `#/critical/<id>` shows one result with every communication.
 */
export function CriticalPage({ user, now }: CriticalPageProps) {
  const id = resultIdFromHash();
  if (id) return <CriticalDetail key={id} id={id} user={user} now={now} />;
  return <CriticalList user={user} now={now} />;
}

function CriticalList({ user, now }: CriticalPageProps) {
  const manager = user.roles.some((r) => managerRoles.includes(r));
  const [state, setState] = useState<'open' | 'acknowledged'>('open');
  const stateId = useId();
  const { state: request, reload } = useRequest(`${state}:${manager}`, async (signal) => ({
    results: await listCriticalResults({ state, mine: !manager }, signal),
    fetchedAtMs: now().getTime(),
  }));
  usePolling(reload);
  const nowMs = useNow(now);
  const data = request.data;
  return (
    <>
      <div className="page-heading">
        <h1 tabIndex={-1}>{manager ? 'Critical results' : 'Your critical results'}</h1>
        <p className="muted">
          {manager
            ? 'Every critical result waiting for an acknowledgement, the most pressing first. Escalations follow the configured ladder on their own.'
            : 'Critical results addressed to you. Acknowledge each once you have read it and acted on it.'}
        </p>
      </div>
      <div className="toolbar">
        <div className="field field-inline">
          <label htmlFor={stateId}>Show</label>
          <select
            id={stateId}
            value={state}
            onChange={(e) => setState(e.target.value as 'open' | 'acknowledged')}
          >
            <option value="open">waiting for acknowledgement</option>
            <option value="acknowledged">acknowledged</option>
          </select>
        </div>
        <button type="button" className="button button-secondary" onClick={reload}>
          Refresh
        </button>
      </div>
      <p className="results-status" role="status">
        {request.status === RequestStatus.Success || data
          ? `${data?.results.length ?? 0} ${state === 'open' ? 'waiting' : 'acknowledged'}.`
          : 'Loading critical results…'}
      </p>
      {request.status === RequestStatus.Failure && <ErrorNotice problem={request.problem} onRetry={reload} />}
      {data && data.results.length > 0 && (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable so keyboard users can scroll it sideways (WCAG 2.1.1).
        <section className="table-scroll" aria-label="Critical results" tabIndex={0}>
          <table className="data-table critical-table">
            <thead>
              <tr>
                <th scope="col">Time left</th>
                <th scope="col">Category</th>
                <th scope="col">Case</th>
                <th scope="col">Finding</th>
                <th scope="col">Clinician</th>
                <th scope="col">Ladder</th>
                <th scope="col">Last communication</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.results.map((r) => (
                <CriticalRow
                  key={r.id}
                  result={r}
                  user={user}
                  manager={manager}
                  fetchedAtMs={data.fetchedAtMs}
                  nowMs={nowMs}
                  onChanged={reload}
                />
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}

function CriticalRow({
  result: r,
  user,
  manager,
  fetchedAtMs,
  nowMs,
  onChanged,
}: {
  result: CriticalResult;
  user: User;
  manager: boolean;
  fetchedAtMs: number;
  nowMs: number;
  onChanged: () => void;
}) {
  const [behalfOpen, setBehalfOpen] = useState(false);
  const countdown = rungCountdown(r, fetchedAtMs, nowMs);
  const last = r.lastCommunication;
  return (
    <>
      <tr data-result-id={r.id} className={r.state === 'overdue' ? 'is-overdue' : undefined}>
        <td className="nowrap">
          {countdown ? (
            <span className={countdown.className}>{countdown.text}</span>
          ) : (
            <span className="badge badge-good">
              acknowledged {r.acknowledgement ? methodLabels[r.acknowledgement.method] : ''}
            </span>
          )}
        </td>
        <td>
          <span className={`badge ${r.category === 'critical' ? 'badge-danger' : 'badge-muted'}`}>
            {categoryLabel(r.category)}
          </span>
        </td>
        <td className="nowrap">
          <a className="case-link" href={caseHref(r.caseId)}>
            {r.caseId}
          </a>
          {r.case?.procedure && <div className="cell-sub">{r.case.procedure}</div>}
        </td>
        <td>
          <a href={`#/critical/${encodeURIComponent(r.id)}`}>{r.finding}</a>
        </td>
        <td>{r.responsible}</td>
        <td>
          {ladderPosition(r)}
          <div className="cell-sub">{r.currentRecipients.join(', ')}</div>
        </td>
        <td>
          {last && (
            <>
              {describeCommunication(last)}
              <div className="cell-sub">{formatInstant(last.at)}</div>
            </>
          )}
        </td>
        <td className="row-actions">
          {r.state !== 'acknowledged' && isAddressedTo(r, user.username) && (
            <AcknowledgeButton id={r.id} onDone={onChanged} />
          )}
          {manager && r.state !== 'acknowledged' && (
            <button
              type="button"
              className="button button-small button-secondary"
              aria-expanded={behalfOpen}
              onClick={() => setBehalfOpen((o) => !o)}
            >
              Record read-back
            </button>
          )}
        </td>
      </tr>
      {behalfOpen && (
        <tr>
          <td colSpan={8}>
            <OnBehalfForm
              result={r}
              onDone={() => {
                setBehalfOpen(false);
                onChanged();
              }}
            />
          </td>
        </tr>
      )}
    </>
  );
}

/** One click: the signed-in clinician acknowledges a result addressed to them. */
export function AcknowledgeButton({ id, onDone }: { id: string; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  return (
    <>
      <button
        type="button"
        className="button button-small button-primary"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setProblem(null);
          try {
            await acknowledgeCriticalResult(id);
            onDone();
          } catch (error) {
            setProblem(toProblem(error));
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? 'Acknowledging…' : 'Acknowledge'}
      </button>
      {problem && <ErrorNotice problem={problem} />}
    </>
  );
}

/** A coordinator records that a clinician read the result back over the phone. */
function OnBehalfForm({ result, onDone }: { result: CriticalResult; onDone: () => void }) {
  const addressed = useMemo(
    () => [...new Set(result.communications.filter((c) => c.channel !== 'phone').map((c) => c.recipient))],
    [result],
  );
  const [clinician, setClinician] = useState(result.currentRecipients[0] ?? addressed[0] ?? '');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const clinicianId = useId();
  const noteId = useId();
  const submit = useCallback(async () => {
    setBusy(true);
    setProblem(null);
    try {
      await acknowledgeOnBehalf(result.id, clinician.trim(), note);
      onDone();
    } catch (error) {
      setProblem(toProblem(error));
    } finally {
      setBusy(false);
    }
  }, [result.id, clinician, note, onDone]);
  return (
    <form
      className="action-form"
      aria-label={`Record a phone read-back for ${result.id}`}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <div className="field field-inline">
        <label htmlFor={clinicianId}>Clinician who read it back</label>
        <input
          id={clinicianId}
          list={`${clinicianId}-list`}
          value={clinician}
          onChange={(e) => setClinician(e.target.value)}
          required
          spellCheck={false}
        />
        <datalist id={`${clinicianId}-list`}>
          {addressed.map((u) => (
            <option key={u} value={u} />
          ))}
        </datalist>
      </div>
      <div className="field field-inline">
        <label htmlFor={noteId}>Note</label>
        <input
          id={noteId}
          value={note}
          onChange={(e) => setNote(e.target.value)}
          placeholder="e.g. read back at 14:55, will review now"
        />
      </div>
      <button
        type="submit"
        className="button button-primary button-small"
        disabled={busy || clinician.trim() === ''}
      >
        {busy ? 'Recording…' : 'Record acknowledgement'}
      </button>
      {problem && <ErrorNotice problem={problem} />}
    </form>
  );
}

function CriticalDetail({ id, user, now }: CriticalPageProps & { id: string }) {
  const manager = user.roles.some((r) => managerRoles.includes(r));
  const { state, reload } = useRequest(id, async (signal) => ({
    result: await getCriticalResult(id, signal),
    fetchedAtMs: now().getTime(),
  }));
  usePolling(reload);
  const nowMs = useNow(now);
  const [behalf, setBehalf] = useState(false);
  const data = state.data;
  if (!data) {
    return (
      <>
        <div className="page-heading">
          <h1 tabIndex={-1}>Critical result {id}</h1>
        </div>
        {state.status === RequestStatus.Failure ? (
          <ErrorNotice problem={state.problem} onRetry={reload} />
        ) : (
          <p role="status">Loading…</p>
        )}
      </>
    );
  }
  const r = data.result;
  const countdown = rungCountdown(r, data.fetchedAtMs, nowMs);
  return (
    <>
      <div className="page-heading">
        <a className="back-link" href="#/critical">
          ← Critical results
        </a>
        <h1 tabIndex={-1}>
          {categoryLabel(r.category)} result on case{' '}
          <a className="case-link" href={caseHref(r.caseId)}>
            {r.caseId}
          </a>
        </h1>
        <p className="heading-sub">
          {categoryHints[r.category]} · flagged by {r.flaggedBy} at {formatInstant(r.flaggedAt)}
        </p>
      </div>
      <section className="panel" aria-labelledby="finding-heading">
        <h2 id="finding-heading">Finding</h2>
        <p className="critical-finding">{r.finding}</p>
        <dl className="facts">
          <dt>State</dt>
          <dd>
            {r.state === 'acknowledged' && r.acknowledgement ? (
              <span className="badge badge-good">
                Acknowledged by {r.acknowledgement.by} {methodLabels[r.acknowledgement.method]} at{' '}
                {formatInstant(r.acknowledgement.at)}
                {r.acknowledgement.recordedBy !== r.acknowledgement.by
                  ? ` (recorded by ${r.acknowledgement.recordedBy})`
                  : ''}
              </span>
            ) : (
              <span className={r.state === 'overdue' ? 'badge badge-danger' : 'badge'}>
                {r.state === 'overdue' ? 'Overdue: nobody acknowledged it' : 'Waiting for acknowledgement'}
              </span>
            )}
          </dd>
          {countdown && (
            <>
              <dt>Current rung</dt>
              <dd>
                {ladderPosition(r)}: {r.currentRecipients.join(', ')} ·{' '}
                <span className={countdown.className}>{countdown.text}</span>
              </dd>
            </>
          )}
          <dt>Responsible clinician</dt>
          <dd>
            {r.responsible} <span className="muted">({r.responsibleSource.replace('-', ' ')})</span>
          </dd>
          <dt>Category deadline</dt>
          <dd>{formatInstant(r.dueAt)}</dd>
        </dl>
        <div className="form-actions">
          {r.state !== 'acknowledged' && isAddressedTo(r, user.username) && (
            <AcknowledgeButton id={r.id} onDone={reload} />
          )}
          {manager && r.state !== 'acknowledged' && (
            <button type="button" className="button button-secondary" onClick={() => setBehalf((b) => !b)}>
              Record phone read-back
            </button>
          )}
        </div>
        {behalf && (
          <OnBehalfForm
            result={r}
            onDone={() => {
              setBehalf(false);
              reload();
            }}
          />
        )}
      </section>
      <section className="panel" aria-labelledby="ladder-heading">
        <h2 id="ladder-heading">Escalation ladder</h2>
        <ol className="plain-list">
          {r.rungs.map((g, i) => (
            <li key={g.name} aria-current={i === r.step && r.state !== 'acknowledged' ? 'step' : undefined}>
              <strong>{g.name}</strong>: {g.recipients.join(', ')}{' '}
              <span className="muted">(waits {g.waitMinutes} min)</span>
              {i === r.step && r.state !== 'acknowledged' ? ' ← now' : ''}
            </li>
          ))}
        </ol>
      </section>
      <section className="panel" aria-labelledby="comms-heading">
        <h2 id="comms-heading">Communications</h2>
        <CommunicationsTable result={r} />
      </section>
    </>
  );
}

/** Every communication: when, who sent it, to whom, how, and when it was received, opened, acknowledged. */
export function CommunicationsTable({ result }: { result: CriticalResult }) {
  const at = (v: string | null) => (v ? formatInstant(v) : '—');
  return (
    <table className="data-table">
      <thead>
        <tr>
          <th scope="col">Sent</th>
          <th scope="col">Rung</th>
          <th scope="col">From</th>
          <th scope="col">To</th>
          <th scope="col">How</th>
          <th scope="col">Received</th>
          <th scope="col">Opened</th>
          <th scope="col">Acknowledged</th>
        </tr>
      </thead>
      <tbody>
        {result.communications.map((c) => (
          <tr key={c.id}>
            <td className="nowrap">{at(c.at)}</td>
            <td>{result.rungs[c.step]?.name ?? c.step}</td>
            <td>{c.sentBy}</td>
            <td>{c.recipient}</td>
            <td>
              {c.channel}
              {c.status === 'failed' && <div className="cell-sub">failed: {c.error}</div>}
            </td>
            <td className="nowrap">{at(c.deliveredAt)}</td>
            <td className="nowrap">{at(c.openedAt)}</td>
            <td className="nowrap">{at(c.acknowledgedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
