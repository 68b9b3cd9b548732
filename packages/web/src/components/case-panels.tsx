import { handoffs, milestoneLabels, type NameOf, timelineRows } from '../case-timeline.ts';
import { formatInstant } from '../format-instant.ts';
import { explainDecision } from '../routing-explanation.ts';
import { formatCompactTime, formatDuration, formatMinutes, slaCountdown } from '../time-format.ts';
import {
  type AiResult,
  labelOf,
  priorityLabels,
  type RoutingDecision,
  type SlaSpan,
  slaSpanStateLabels,
  type TimelineEvent,
  toEpochMs,
} from '../worklist-model.ts';

const instant = (ms: number | null) => (ms === null ? '—' : formatInstant(new Date(ms).toISOString()));

/** A compact time for a cell, with the full instant (zone named) on hover. */
function Instant({ ms, nowMs }: { ms: number | null; nowMs: number }) {
  if (ms === null) return <span className="muted">—</span>;
  const iso = new Date(ms).toISOString();
  return (
    <time dateTime={iso} title={formatInstant(iso)}>
      {formatCompactTime(iso, nowMs)}
    </time>
  );
}

/** The handoff milestones in a row, each with when it was reached and how long the handoff took. */
export function HandoffStrip({ events, nowMs }: { events: TimelineEvent[]; nowMs: number }) {
  const steps = handoffs(events);
  return (
    <ol className="handoffs" aria-label="Handoffs">
      {steps.map((step) => (
        <li key={step.milestone} className={step.atMs === null ? 'handoff is-pending' : 'handoff is-done'}>
          <span className="handoff-name">{milestoneLabels[step.milestone]}</span>
          {step.atMs === null ? (
            <span className="handoff-time muted">not yet</span>
          ) : (
            <time
              className="handoff-time"
              dateTime={new Date(step.atMs).toISOString()}
              title={instant(step.atMs)}
            >
              {formatCompactTime(new Date(step.atMs).toISOString(), nowMs, { seconds: true })}
            </time>
          )}
          {step.sincePreviousMs !== null && (
            <span className="handoff-elapsed">
              <span className="visually-hidden">after </span>+{formatDuration(step.sincePreviousMs)}
            </span>
          )}
        </li>
      ))}
    </ol>
  );
}

/** Every event of the case: when, what, who, and the time since the event before. */
export function TimelineTable({
  events,
  nameOf,
  nowMs,
}: {
  events: TimelineEvent[];
  nameOf: NameOf;
  nowMs: number;
}) {
  const rows = timelineRows(events, nameOf);
  if (rows.length === 0) return <p className="muted">No events yet.</p>;
  return (
    <table className="data-table timeline-table">
      <caption className="visually-hidden">Case timeline, oldest first</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Event</th>
          <th scope="col">By</th>
          <th scope="col" className="numeric">
            Since previous
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key} className={`tone-${row.tone}${row.milestone ? ' is-milestone' : ''}`}>
            <td className="nowrap">
              <time dateTime={row.at} title={formatInstant(row.at)}>
                {formatCompactTime(row.at, nowMs, { seconds: true })}
              </time>
            </td>
            <td>
              <span className="event-label">{row.label}</span>
              {row.count > 1 && <span className="muted"> ×{row.count}</span>}
              {row.milestone && milestoneLabels[row.milestone] !== row.label && (
                <span className="badge badge-milestone">{milestoneLabels[row.milestone]}</span>
              )}
              {row.description && <span className="event-description"> {row.description}</span>}
            </td>
            <td>{row.actor ?? <span className="muted">—</span>}</td>
            <td className="numeric nowrap">
              {row.sincePreviousMs === null ? '—' : `+${formatDuration(row.sincePreviousMs)}`}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function spanName(span: SlaSpan): string {
  if (typeof span.span === 'string' && span.span !== '') return span.span.replace('->', ' → ');
  if (span.from && span.to) return `${span.from} → ${span.to}`;
  return '—';
}

/** The case's SLA spans: each target, when it started, when it is due, whether it was met. */
export function SlaSpansTable({ spans, nowMs }: { spans: SlaSpan[]; nowMs: number }) {
  if (spans.length === 0) return <p className="muted">No SLA applies to this case.</p>;
  return (
    <table className="data-table">
      <caption className="visually-hidden">SLA spans</caption>
      <thead>
        <tr>
          <th scope="col">Span</th>
          <th scope="col" className="numeric">
            Target
          </th>
          <th scope="col">Started</th>
          <th scope="col">Due</th>
          <th scope="col">Completed</th>
          <th scope="col">State</th>
        </tr>
      </thead>
      <tbody>
        {spans.map((span, index) => {
          const minutes = typeof span.targetMinutes === 'number' ? span.targetMinutes : span.minutes;
          const started = toEpochMs(span.startedAt);
          const due = toEpochMs(span.dueAt);
          const completed = toEpochMs(span.completedAt);
          const running = due !== null && completed === null;
          const countdown = running && due !== null ? slaCountdown(new Date(due).toISOString(), nowMs) : null;
          const state = typeof span.state === 'string' ? span.state : null;
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: spans have no id, and the list is fixed per class.
            <tr key={index}>
              <th scope="row">{spanName(span)}</th>
              <td className="numeric">{typeof minutes === 'number' ? formatMinutes(minutes) : '—'}</td>
              <td className="nowrap">
                <Instant ms={started} nowMs={nowMs} />
              </td>
              <td className="nowrap">
                <Instant ms={due} nowMs={nowMs} />
                {countdown && (
                  <span className={`cell-sub countdown countdown-${countdown.urgency}`}>
                    {countdown.text}
                  </span>
                )}
              </td>
              <td className="nowrap">
                <Instant ms={completed} nowMs={nowMs} />
              </td>
              <td>
                {state ? (
                  <span className={`badge sla sla-${state}`}>{slaSpanStateLabels[state] ?? state}</span>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Why the case went where it went: the summary, the rules evaluated, and every candidate reader's verdict. */
export function RoutingExplanationPanel({ decision, nameOf }: { decision: RoutingDecision; nameOf: NameOf }) {
  const e = explainDecision(decision, nameOf);
  const at = toEpochMs(decision.at);
  return (
    <div className="explanation">
      <p className="explanation-summary">{e.summary}</p>
      <dl className="facts facts-inline">
        <dt>Outcome</dt>
        <dd>{e.outcomeLabel}</dd>
        <dt>Decided</dt>
        <dd>{instant(at)}</dd>
        <dt>Priority</dt>
        <dd>{labelOf(priorityLabels, decision.priority)}</dd>
        <dt>SLA class</dt>
        <dd>{decision.slaClass || '—'}</dd>
        {decision.pathway && (
          <>
            <dt>Pathway</dt>
            <dd>{decision.pathway}</dd>
          </>
        )}
      </dl>

      <h3>Rules evaluated ({e.matchedCount} matched)</h3>
      <table className="data-table rules-trace">
        <thead>
          <tr>
            <th scope="col" className="numeric">
              #
            </th>
            <th scope="col">Rule</th>
            <th scope="col">Result</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {e.rules.map((rule, index) => (
            <tr
              key={rule.ruleId}
              className={rule.deciding ? 'is-deciding' : rule.afterDecision ? 'is-after' : undefined}
            >
              <td className="numeric">{index + 1}</td>
              <td>
                <strong>{rule.name}</strong> <code className="uid">{rule.ruleId}</code>
              </td>
              <td className="nowrap">
                {rule.deciding ? (
                  <span className="badge badge-good">Routed the case</span>
                ) : rule.matched ? (
                  <span className="badge">Matched{rule.afterDecision ? ' (not needed)' : ''}</span>
                ) : (
                  <span className="badge badge-muted">No match</span>
                )}
                {typeof rule.eligibleCount === 'number' && (
                  <span className="cell-sub">{rule.eligibleCount} eligible</span>
                )}
              </td>
              <td>
                {rule.why.length === 0 ? (
                  <span className="muted">—</span>
                ) : (
                  <ul className="plain-list">
                    {rule.why.map((why) => (
                      <li key={why}>{why}</li>
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h3>Eligible readers ({e.eligible.length})</h3>
      {e.eligible.length === 0 ? (
        <p className="muted">Nobody could take this case.</p>
      ) : (
        <ul className="candidates">
          {e.eligible.map((c) => (
            <li key={c.readerId} className={c.chosen ? 'candidate is-chosen' : 'candidate'}>
              <span className="candidate-name">{c.name}</span>
              {c.chosen && <span className="badge badge-good">Chosen</span>}
              {c.loadRatio !== null && <span className="muted">load {Math.round(c.loadRatio * 100)}%</span>}
            </li>
          ))}
        </ul>
      )}

      {e.excluded.length > 0 && (
        <>
          <h3>Not eligible</h3>
          {e.excluded.map((group) => (
            <div key={group.stage} className="excluded-group">
              <p className="excluded-stage">
                {group.label} <span className="muted">({group.readers.length})</span>
              </p>
              <ul className="plain-list">
                {group.readers.map((r) => (
                  <li key={r.readerId}>
                    <strong>{r.name}</strong>
                    {r.reason && <> — {r.reason}</>}
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </>
      )}
    </div>
  );
}

/** AI triage results for the study. */
export function AiResultsTable({ results }: { results: AiResult[] }) {
  if (results.length === 0) return <p className="muted">No AI results for this study.</p>;
  return (
    <table className="data-table">
      <thead>
        <tr>
          <th scope="col">Received</th>
          <th scope="col">Source</th>
          <th scope="col">Finding</th>
          <th scope="col" className="numeric">
            Confidence
          </th>
          <th scope="col">Flags</th>
        </tr>
      </thead>
      <tbody>
        {results.map((r, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: results have no id; they are only ever appended.
          <tr key={index} className={r.suspectedCritical ? 'tone-danger' : undefined}>
            <td className="nowrap">{formatInstant(r.at)}</td>
            <td>{r.source}</td>
            <td>
              {r.suspectedCritical && <span className="badge badge-danger">Suspected critical</span>}{' '}
              {r.finding}
            </td>
            <td className="numeric">{r.confidence === null ? '—' : `${Math.round(r.confidence * 100)}%`}</td>
            <td>
              {r.flags.length === 0
                ? '—'
                : r.flags.map((f) => (
                    <code key={f} className="badge badge-code">
                      {f}
                    </code>
                  ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
