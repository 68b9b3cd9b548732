import { useId, useMemo, useState } from 'react';
import { type AuditEvent, Role, type User } from '../api-client.ts';
import { useApi } from '../api-context.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { formatInstant } from '../format-instant.ts';
import { RequestStatus, useRequest } from '../use-request.ts';

const limits = [100, 500, 1000] as const;

interface AuditPageProps {
  user: User;
}

/** Who touched which study, when, from where, and whether it worked. Administrators only. */
export function AuditPage({ user }: AuditPageProps) {
  if (!user.roles.includes(Role.Admin)) {
    return (
      <>
        <div className="page-heading">
          <h1 tabIndex={-1}>Audit log</h1>
        </div>
        <p className="notice notice-info">
          The audit log is visible to administrators only. Ask an administrator if you need an access report.
        </p>
      </>
    );
  }
  return <AuditLog />;
}

function AuditLog() {
  const api = useApi();
  const [limit, setLimit] = useState<number>(100);
  const [query, setQuery] = useState('');
  const limitId = useId();
  const queryId = useId();
  const { state, reload } = useRequest(String(limit), (signal) => api.audit(limit, signal));

  // Newest first regardless of the order the server sends; ISO UTC strings sort as text.
  const newestFirst = useMemo(
    () => [...(state.data ?? [])].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)),
    [state.data],
  );
  const events = useMemo(() => filterEvents(newestFirst, query), [newestFirst, query]);
  const loaded = state.data?.length ?? 0;

  return (
    <>
      <div className="page-heading">
        <h1 tabIndex={-1}>Audit log</h1>
        <p className="muted">Most recent events first. Times are shown in your time zone.</p>
      </div>
      <div className="toolbar">
        <div className="field field-inline">
          <label htmlFor={limitId}>Load</label>
          <select id={limitId} value={limit} onChange={(e) => setLimit(Number(e.target.value))}>
            {limits.map((n) => (
              <option key={n} value={n}>
                last {n} events
              </option>
            ))}
          </select>
        </div>
        <div className="field field-inline">
          <label htmlFor={queryId}>Filter loaded events</label>
          <input
            id={queryId}
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder="User, action, patient ID, UID…"
            spellCheck={false}
          />
        </div>
        <button
          type="button"
          className="button button-secondary"
          onClick={reload}
          disabled={state.status === RequestStatus.Loading}
        >
          Refresh
        </button>
      </div>
      <p className="results-status" role="status">
        {state.status === RequestStatus.Loading
          ? 'Loading audit events…'
          : state.status === RequestStatus.Success
            ? query.trim() === ''
              ? `${loaded} events.${loaded >= limit ? ' Older events are not loaded; choose a larger number to see them.' : ''}`
              : `${events.length} of ${loaded} loaded events match.`
            : ''}
      </p>
      {state.status === RequestStatus.Failure && <ErrorNotice problem={state.problem} onRetry={reload} />}
      {events.length > 0 && (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable so keyboard users can scroll it sideways (WCAG 2.1.1).
        <section className="table-scroll" aria-label="Audit events" tabIndex={0}>
          <table className="data-table audit-table" aria-busy={state.status === RequestStatus.Loading}>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">User</th>
                <th scope="col">Action</th>
                <th scope="col">Protocol</th>
                <th scope="col">Outcome</th>
                <th scope="col">Patient ID</th>
                <th scope="col">Study UID</th>
                <th scope="col">From</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr key={event.id}>
                  <td className="nowrap">
                    <time dateTime={event.at} title={event.at}>
                      {formatInstant(event.at)}
                    </time>
                  </td>
                  <td>{event.actor}</td>
                  <td>{event.action}</td>
                  <td>{event.protocol}</td>
                  <td>
                    <span className={`outcome outcome-${outcomeTone(event.outcome)}`}>{event.outcome}</span>
                  </td>
                  <td>{event.patientId}</td>
                  <td>{event.studyUid && <code className="uid">{event.studyUid}</code>}</td>
                  <td>{event.remoteAddress}</td>
                  <td>{event.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}

/** Events whose text fields contain every word of the query, ignoring case. */
function filterEvents(events: AuditEvent[], query: string): AuditEvent[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return events;
  return events.filter((event) => {
    const text = [
      event.actor,
      event.action,
      event.protocol,
      event.outcome,
      event.patientId,
      event.studyUid,
      event.remoteAddress,
      event.detail,
    ]
      .filter((part): part is string => typeof part === 'string')
      .join(' ')
      .toLowerCase();
    return words.every((word) => text.includes(word));
  });
}

// The contract leaves outcome words open; colour only the ones whose meaning is unmistakable.
function outcomeTone(outcome: string): 'good' | 'bad' | 'neutral' {
  const word = outcome.toLowerCase();
  if (['success', 'succeeded', 'ok', 'allowed'].includes(word)) return 'good';
  if (['failure', 'failed', 'error', 'denied', 'forbidden', 'rejected'].includes(word)) return 'bad';
  return 'neutral';
}
