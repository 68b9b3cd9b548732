import { useEffect, useMemo, useState } from 'react';
import { abilitiesOf, type User } from '../api-client.ts';
import { useApi } from '../api-context.ts';
import { AppRoute, caseHref, hrefFor } from '../app-route.ts';
import type { Caller } from '../case-actions.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { LiveIndicator } from '../components/live-indicator.tsx';
import { WorklistTable } from '../components/worklist-table.tsx';
import { formatInstant } from '../format-instant.ts';
import { useLiveWorklist } from '../live-worklist.tsx';
import { readerLoads, siteCounts, slaCounts, stateByPriority } from '../queues-summary.ts';
import { formatAgo, formatMinutes, zoneAbbreviation } from '../time-format.ts';
import { type Directory, useDirectory } from '../use-directory.ts';
import { useLiveCases } from '../use-live-cases.ts';
import { useNow } from '../use-now.ts';
import { RequestStatus, useRequest } from '../use-request.ts';
import {
  caseStateLabels,
  exceptionQueues,
  labelOf,
  priorityLabels,
  type QueuesOverview,
} from '../worklist-model.ts';
import {
  emptyFilters,
  type SortColumn,
  type SortKey,
  toggleSort,
  type WorklistView,
} from '../worklist-view.ts';

interface CoordinatorPageProps {
  user: User;
  now: () => Date;
}

/** Queues refresh at most this often while changes stream in, so a burst of arrivals is one request. */
const queuesRefreshMs = 1500;

const breachFirst: SortKey[] = [
  { column: 'slaDueAt', direction: 'asc' },
  { column: 'priority', direction: 'asc' },
];

/**
 * The coordinator's overview: how much work is where, what is stuck in an exception queue, what is about
 * to miss or has missed its SLA, how loaded each reader is, and the escalations as they happen.
 */
export function CoordinatorPage({ user, now }: CoordinatorPageProps) {
  const api = useApi();
  const abilities = abilitiesOf(user);
  const directory = useDirectory();
  const live = useLiveWorklist();
  const nowMs = useNow(now);
  const queues = useRequest('queues', (signal) => api.queues(signal));

  // Any change on the stream may move a count: refresh the overview, at most every so often.
  const { subscribe, generation } = live;
  const reloadQueues = queues.reload;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const unsubscribe = subscribe(() => {
      if (timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        reloadQueues();
      }, queuesRefreshMs);
    });
    return () => {
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
    };
  }, [subscribe, reloadQueues]);
  useEffect(() => {
    if (generation > 1) reloadQueues();
  }, [generation, reloadQueues]);

  if (!abilities.manage) {
    return (
      <>
        <div className="page-heading">
          <h1 tabIndex={-1}>Coordinator</h1>
        </div>
        <p className="notice notice-info">The coordinator view needs the coordinator or admin role.</p>
      </>
    );
  }

  const data = queues.state.data;
  return (
    <>
      <div className="page-heading page-heading-row">
        <div>
          <h1 tabIndex={-1}>Coordinator</h1>
          <p className="muted">
            Counts refresh as cases change. Times are in your zone ({zoneAbbreviation(nowMs)}).
          </p>
        </div>
        <div className="heading-actions">
          <LiveIndicator status={live.status} />
          <button
            type="button"
            className="button button-secondary"
            onClick={queues.reload}
            disabled={queues.state.status === RequestStatus.Loading}
          >
            Refresh
          </button>
        </div>
      </div>
      {queues.state.status === RequestStatus.Failure && (
        <ErrorNotice problem={queues.state.problem} onRetry={queues.reload} />
      )}
      {data && <Overview data={data} directory={directory} nowMs={nowMs} />}
      <CaseLists
        directory={directory}
        caller={{ readerId: directory.you, canRead: abilities.read, canManage: true }}
        nowMs={nowMs}
      />
      <NoticeFeed />
    </>
  );
}

function Overview({ data, directory, nowMs }: { data: QueuesOverview; directory: Directory; nowMs: number }) {
  const sla = slaCounts(data.sla);
  const pivot = stateByPriority(data.byState);
  const sites = siteCounts(data.bySite);
  const loads = readerLoads(data.readers);
  const exceptionTotal = data.exceptions.reduce((n, q) => n + q.count, 0);
  const onShift = new Map(directory.readers.map((r) => [r.id, r.onShift]));
  const slaLink = (state: string) => hrefFor(AppRoute.Worklist, new URLSearchParams({ sla: state }));

  return (
    <>
      <ul className="stat-cards" aria-label="At a glance">
        <li className="stat-card">
          <span className="stat-value">{pivot.total}</span>
          <span className="stat-label">open cases</span>
        </li>
        <li className="stat-card stat-ok">
          <a href={slaLink('ok')}>
            <span className="stat-value">{sla.ok}</span>
            <span className="stat-label">on time</span>
          </a>
        </li>
        <li className="stat-card stat-at-risk">
          <a href={slaLink('at-risk')}>
            <span className="stat-value">{sla.atRisk}</span>
            <span className="stat-label">at risk</span>
          </a>
        </li>
        <li className="stat-card stat-breached">
          <a href={slaLink('breached')}>
            <span className="stat-value">{sla.breached}</span>
            <span className="stat-label">breached</span>
          </a>
        </li>
        <li className="stat-card">
          <a href={hrefFor(AppRoute.Worklist, new URLSearchParams({ exception: exceptionQueues.join(',') }))}>
            <span className="stat-value">{exceptionTotal}</span>
            <span className="stat-label">in exception queues</span>
          </a>
        </li>
      </ul>

      <div className="panels">
        <section className="panel" aria-labelledby="by-state-heading">
          <h2 id="by-state-heading">Work by state and priority</h2>
          {pivot.rows.length === 0 ? (
            <p className="muted">No open cases.</p>
          ) : (
            <table className="data-table compact">
              <thead>
                <tr>
                  <th scope="col">State</th>
                  {pivot.priorityColumns.map((p) => (
                    <th key={p} scope="col" className="numeric">
                      {labelOf(priorityLabels, p)}
                    </th>
                  ))}
                  <th scope="col" className="numeric">
                    Total
                  </th>
                </tr>
              </thead>
              <tbody>
                {pivot.rows.map((row) => (
                  <tr key={row.state}>
                    <th scope="row">
                      <a href={hrefFor(AppRoute.Worklist, new URLSearchParams({ state: row.state }))}>
                        {labelOf(caseStateLabels, row.state)}
                      </a>
                    </th>
                    {pivot.priorityColumns.map((p) => (
                      <td key={p} className="numeric">
                        {row.counts[p] || <span className="muted">0</span>}
                      </td>
                    ))}
                    <td className="numeric">
                      <strong>{row.total}</strong>
                    </td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">All</th>
                  {pivot.priorityColumns.map((p) => (
                    <td key={p} className="numeric">
                      {pivot.totals[p] ?? 0}
                    </td>
                  ))}
                  <td className="numeric">
                    <strong>{pivot.total}</strong>
                  </td>
                </tr>
              </tfoot>
            </table>
          )}
        </section>

        <section className="panel" aria-labelledby="exception-queues-heading">
          <h2 id="exception-queues-heading">Exception queues</h2>
          <table className="data-table compact">
            <thead>
              <tr>
                <th scope="col">Queue</th>
                <th scope="col">Owner</th>
                <th scope="col" className="numeric">
                  Target
                </th>
                <th scope="col" className="numeric">
                  Cases
                </th>
                <th scope="col">Oldest</th>
              </tr>
            </thead>
            <tbody>
              {data.exceptions.map((q) => {
                const oldestMs = q.oldestAt ? Date.parse(q.oldestAt) : null;
                const overdue = oldestMs !== null && nowMs - oldestMs > q.targetMinutes * 60_000;
                return (
                  <tr key={q.queue} className={overdue ? 'tone-danger' : undefined}>
                    <th scope="row">
                      <a href={hrefFor(AppRoute.Worklist, new URLSearchParams({ exception: q.queue }))}>
                        {q.title}
                      </a>
                    </th>
                    <td>{q.owner}</td>
                    <td className="numeric nowrap">{formatMinutes(q.targetMinutes)}</td>
                    <td className="numeric">{q.count}</td>
                    <td className="nowrap">
                      {q.oldestAt ? (
                        <time dateTime={q.oldestAt} title={formatInstant(q.oldestAt)}>
                          {formatAgo(q.oldestAt, nowMs)}
                          {overdue && <strong> — over target</strong>}
                        </time>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>

        <section className="panel" aria-labelledby="sites-heading">
          <h2 id="sites-heading">By site</h2>
          {sites.rows.length === 0 ? (
            <p className="muted">No open cases.</p>
          ) : (
            <table className="data-table compact">
              <thead>
                <tr>
                  <th scope="col">Site</th>
                  {sites.stateColumns.map((s) => (
                    <th key={s} scope="col" className="numeric">
                      {labelOf(caseStateLabels, s)}
                    </th>
                  ))}
                  <th scope="col" className="numeric">
                    Total
                  </th>
                </tr>
              </thead>
              <tbody>
                {sites.rows.map((row) => (
                  <tr key={row.siteId ?? 'none'}>
                    <th scope="row">
                      {row.siteId ? (
                        <a href={hrefFor(AppRoute.Worklist, new URLSearchParams({ site: row.siteId }))}>
                          {directory.siteName(row.siteId)}
                        </a>
                      ) : (
                        'No site'
                      )}
                    </th>
                    {sites.stateColumns.map((s) => (
                      <td key={s} className="numeric">
                        {row.counts[s] ?? <span className="muted">0</span>}
                      </td>
                    ))}
                    <td className="numeric">
                      <strong>{row.total}</strong>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>

        <section className="panel" aria-labelledby="readers-heading">
          <h2 id="readers-heading">Reader load</h2>
          {loads.length === 0 ? (
            <p className="muted">No readers in the routing directory.</p>
          ) : (
            <table className="data-table compact">
              <thead>
                <tr>
                  <th scope="col">Reader</th>
                  <th scope="col">On shift now</th>
                  <th scope="col">Load</th>
                </tr>
              </thead>
              <tbody>
                {loads.map((r) => {
                  const shifts = onShift.get(r.id) ?? [];
                  return (
                    <tr key={r.id} className={`load-${r.tone}`}>
                      <th scope="row">{r.name}</th>
                      <td>
                        {shifts.length === 0 ? (
                          <span className="muted">Off shift</span>
                        ) : (
                          shifts.map((s) => s.name).join(', ')
                        )}
                      </td>
                      <td>
                        <div className="load-cell">
                          <meter
                            min={0}
                            max={Math.max(r.capacity, 1)}
                            high={Math.max(r.capacity, 1) * 0.75}
                            optimum={0}
                            value={r.cases}
                            aria-label={`${r.name} load`}
                          />
                          <span className="nowrap">
                            {r.cases} of {r.capacity}
                            {r.tone === 'full' && <strong> — full</strong>}
                          </span>
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </section>
      </div>
    </>
  );
}

function CaseLists({ directory, caller, nowMs }: { directory: Directory; caller: Caller; nowMs: number }) {
  const [exceptionSort, setExceptionSort] = useState<SortKey[]>([{ column: 'updatedAt', direction: 'asc' }]);
  const [slaSort, setSlaSort] = useState<SortKey[]>(breachFirst);
  const exceptionView = useMemo<WorklistView>(
    () => ({ filters: { ...emptyFilters, exceptions: [...exceptionQueues] }, sort: exceptionSort }),
    [exceptionSort],
  );
  const slaView = useMemo<WorklistView>(
    () => ({ filters: { ...emptyFilters, sla: ['breached', 'at-risk'] }, sort: slaSort }),
    [slaSort],
  );
  const exceptions = useLiveCases(exceptionView, directory.you);
  const late = useLiveCases(slaView, directory.you);
  const zone = zoneAbbreviation(nowMs);
  const table = (
    title: string,
    list: ReturnType<typeof useLiveCases>,
    sort: SortKey[],
    setSort: (s: SortKey[]) => void,
    empty: string,
  ) => (
    <>
      {list.problem && <ErrorNotice problem={list.problem} onRetry={list.reload} />}
      {list.loaded && list.cases.length === 0 && <p className="muted">{empty}</p>}
      {list.cases.length > 0 && (
        <WorklistTable
          cases={list.cases}
          sort={sort}
          onSort={(column: SortColumn, additive) => setSort(toggleSort(sort, column, additive))}
          caller={{ ...caller, canRead: false }}
          nowMs={nowMs}
          zone={zone}
          readerName={directory.readerName}
          siteName={directory.siteName}
          busyCaseId={null}
          freshIds={new Set()}
          onAction={() => {}}
          busy={list.loading}
          caption={title}
        />
      )}
    </>
  );
  return (
    <>
      <section className="panel panel-wide" aria-labelledby="exceptions-list-heading">
        <h2 id="exceptions-list-heading">
          Exceptions <span className="count">{exceptions.loaded ? exceptions.cases.length : ''}</span>
        </h2>
        {table(
          'Cases in exception queues',
          exceptions,
          exceptionSort,
          setExceptionSort,
          'No case is waiting in an exception queue.',
        )}
      </section>
      <section className="panel panel-wide" aria-labelledby="late-list-heading">
        <h2 id="late-list-heading">
          Breached and at risk <span className="count">{late.loaded ? late.cases.length : ''}</span>
        </h2>
        {table(
          'Cases breached or at risk of breaching their SLA',
          late,
          slaSort,
          setSlaSort,
          'Every open case is on time.',
        )}
      </section>
    </>
  );
}

function NoticeFeed() {
  const { notices } = useLiveWorklist();
  const latest = notices[0];
  return (
    <section className="panel panel-wide" aria-labelledby="notices-heading">
      <h2 id="notices-heading">Escalations</h2>
      <p className="visually-hidden" aria-live="polite">
        {latest ? latest.message : ''}
      </p>
      {notices.length === 0 ? (
        <p className="muted">
          No escalations since you signed in. SLA escalations and overdue exceptions appear here as they
          happen.
        </p>
      ) : (
        <ol className="notice-feed">
          {notices.map((n) => (
            <li key={`${n.at}:${n.caseId}:${n.kind}`} className={`feed-item feed-${n.kind}`}>
              <time dateTime={n.at}>{formatInstant(n.at)}</time>
              <span className="badge">{n.kind.replace(/-/g, ' ')}</span>
              <span>{n.message}</span>
              <a href={caseHref(n.caseId)}>Open case {n.caseId}</a>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
