import { Fragment, useId, useState } from 'react';
import { caseHref } from '../app-route.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { formatInstant } from '../format-instant.ts';
import { type Problem, toProblem } from '../problem.ts';
import { RequestStatus, useRequest } from '../use-request.ts';
import {
  type Delivery,
  type DeliveryAttempt,
  type DeliveryState,
  deliveryApi,
  deliveryStateLabel,
} from './delivery-api.ts';
import './delivery.css';

const FILTERS: { value: DeliveryState | 'all'; label: string }[] = [
  { value: 'failed', label: 'Failed' },
  { value: 'pending', label: 'Waiting for a retry' },
  { value: 'delivered', label: 'Delivered' },
  { value: 'all', label: 'All' },
];

/**
 * Where signed reports went (HL7 v2 to the RIS, FHIR): the failed ones first, with the receiver's answer,
 * each attempt, and a button that sends again. For coordinators and admins (report:manage). `#/report-deliveries`.
 */
export function ReportDeliveriesPage() {
  const filterId = useId();
  const [filter, setFilter] = useState<DeliveryState | 'all'>('failed');
  const { state, reload } = useRequest(filter, (signal) => deliveryApi.list(filter, signal));
  const [open, setOpen] = useState<number | null>(null);
  const [attempts, setAttempts] = useState<Record<number, DeliveryAttempt[]>>({});
  const [busy, setBusy] = useState<number | null>(null);
  const [outcome, setOutcome] = useState<{ ok: true; text: string } | { ok: false; problem: Problem } | null>(
    null,
  );

  const toggle = async (d: Delivery) => {
    if (open === d.id) {
      setOpen(null);
      return;
    }
    setOpen(d.id);
    try {
      const all = await deliveryApi.ofReport(d.reportId);
      const mine = all.deliveries.find((x) => x.id === d.id);
      setAttempts((a) => ({ ...a, [d.id]: mine?.attemptLog ?? [] }));
    } catch (error) {
      setOutcome({ ok: false, problem: toProblem(error) });
    }
  };
  const retry = async (d: Delivery) => {
    setBusy(d.id);
    try {
      await deliveryApi.retry(d.id);
      setOutcome({
        ok: true,
        text: `Sending ${d.reportId} v${d.reportVersion} to ${d.destinationId} again.`,
      });
      reload();
    } catch (error) {
      setOutcome({ ok: false, problem: toProblem(error) });
    } finally {
      setBusy(null);
    }
  };

  const deliveries = state.data?.deliveries;
  return (
    <>
      <div className="page-heading">
        <h1 tabIndex={-1}>Report deliveries</h1>
        <p className="muted">
          Signed reports sent to the RIS (HL7 v2) and FHIR servers. A failed delivery was retried until its
          last attempt; send it again once the receiver is fixed. Times are shown in your time zone.
        </p>
      </div>
      <div className="toolbar">
        <div className="field field-inline">
          <label htmlFor={filterId}>Show</label>
          <select
            id={filterId}
            value={filter}
            onChange={(e) => setFilter(e.target.value as DeliveryState | 'all')}
          >
            {FILTERS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </div>
        <button type="button" className="button button-secondary" onClick={reload}>
          Refresh
        </button>
      </div>
      <p role="status" className={outcome?.ok ? 'notice notice-success' : 'visually-hidden'}>
        {outcome?.ok ? outcome.text : ''}
      </p>
      {outcome && !outcome.ok && <ErrorNotice problem={outcome.problem} />}
      {state.status === RequestStatus.Failure ? (
        <ErrorNotice problem={state.problem} onRetry={reload} />
      ) : !deliveries ? (
        <p role="status">Loading deliveries…</p>
      ) : deliveries.length === 0 ? (
        <section className="panel">
          <p className="muted">
            {filter === 'failed'
              ? 'No failed delivery. Every signed report reached its destinations.'
              : 'Nothing here.'}
          </p>
        </section>
      ) : (
        <section className="panel" aria-label="Deliveries">
          <div className="table-scroll">
            <table className="data-table deliveries-table" aria-busy={state.status === RequestStatus.Loading}>
              <thead>
                <tr>
                  <th scope="col">Case</th>
                  <th scope="col">Report</th>
                  <th scope="col">Destination</th>
                  <th scope="col">State</th>
                  <th scope="col" className="numeric">
                    Attempts
                  </th>
                  <th scope="col">Receiver's answer</th>
                  <th scope="col">When</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {deliveries.map((d) => (
                  <Fragment key={d.id}>
                    <tr className={open === d.id ? 'is-expanded' : undefined}>
                      <td className="delivery-case">
                        <a href={caseHref(d.caseId)}>{d.caseId}</a>
                      </td>
                      <td>
                        {d.kind} v{d.reportVersion}
                        <div className="muted delivery-control-id">MSH-10 {d.messageControlId}</div>
                      </td>
                      <td>
                        {d.destinationId}
                        <div className="muted">{d.destinationType === 'fhir' ? 'FHIR' : 'HL7 v2 / MLLP'}</div>
                      </td>
                      <td>
                        <span className={`badge ${deliveryStateLabel[d.state].badge}`}>
                          {deliveryStateLabel[d.state].text}
                        </span>
                      </td>
                      <td className="numeric">{d.attempts}</td>
                      <td className="delivery-answer">
                        <AckText
                          code={d.lastAckCode}
                          error={d.lastError}
                          accepted={d.state === 'delivered'}
                        />
                      </td>
                      <td>
                        {d.state === 'failed' && d.failedAt
                          ? `gave up ${formatInstant(d.failedAt)}`
                          : d.state === 'delivered' && d.deliveredAt
                            ? formatInstant(d.deliveredAt)
                            : d.nextAttemptAt
                              ? `next try ${formatInstant(d.nextAttemptAt)}`
                              : ''}
                      </td>
                      <td className="delivery-actions">
                        <button
                          type="button"
                          className="button button-quiet button-small"
                          aria-expanded={open === d.id}
                          onClick={() => void toggle(d)}
                        >
                          Attempts
                        </button>
                        {(d.state === 'failed' || d.state === 'pending') && (
                          <button
                            type="button"
                            className="button button-primary button-small"
                            disabled={busy === d.id}
                            onClick={() => void retry(d)}
                          >
                            {busy === d.id ? 'Sending…' : 'Send again'}
                          </button>
                        )}
                      </td>
                    </tr>
                    {open === d.id && (
                      <tr className="delivery-attempts-row">
                        <td colSpan={8}>
                          <AttemptLog attempts={attempts[d.id]} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </>
  );
}

function AttemptLog({ attempts }: { attempts: DeliveryAttempt[] | undefined }) {
  if (!attempts) return <p role="status">Loading attempts…</p>;
  if (attempts.length === 0) return <p className="muted">Not attempted yet.</p>;
  return (
    <ol className="attempt-log">
      {attempts.map((a) => (
        // An attempt's start and number identify it (a lost attempt shares its number with the next).
        <li key={`${a.startedAt}-${a.attempt}-${a.outcome}`}>
          <span className="attempt-time">{formatInstant(a.startedAt)}</span>{' '}
          <span className={`badge ${a.outcome === 'accepted' ? 'badge-good' : 'badge-danger'}`}>
            {a.outcome}
          </span>
          <span className={a.error ? 'attempt-error' : undefined}>
            {' '}
            <AckText code={a.ackCode} error={a.error} accepted={a.outcome === 'accepted'} />
          </span>
          <span className="muted">
            {' '}
            · attempt {a.attempt} on {a.node}
          </span>
        </li>
      ))}
    </ol>
  );
}

/** The receiver's answer: its code (MSA-1 or HTTP status) unless the error text already starts with it. */
function AckText({
  code,
  error,
  accepted,
}: {
  code: string | null;
  error: string | null;
  accepted: boolean;
}) {
  const showCode = code !== null && !(error ?? '').startsWith(code);
  return (
    <>
      {showCode && <code>{code}</code>}
      {showCode && ' '}
      {error ?? (accepted ? 'accepted' : '')}
    </>
  );
}
