import { aiBadgeText } from '../case-display.ts';
import { slaCountdown, Urgency } from '../time-format.ts';
import {
  type CaseSummary,
  caseStateLabels,
  exceptionQueueLabels,
  labelOf,
  priorityLabels,
  slaStateLabels,
} from '../worklist-model.ts';

/** STAT, urgent or routine, each in its own colour and word, so colour is never the only signal. */
export function PriorityBadge({ priority }: { priority: string }) {
  return <span className={`badge priority priority-${priority}`}>{labelOf(priorityLabels, priority)}</span>;
}

/**
 * The priority with why it is what it is: the AI badge (e.g. "AI: suspected ICH") and the priority reasons,
 * which open from a disclosure so keyboard and screen-reader users reach them as mouse users do.
 */
export function PriorityCell({ summary }: { summary: CaseSummary }) {
  const ai = aiBadgeText(summary);
  const reasons = summary.priorityReasons;
  return (
    <div className="priority-cell">
      <PriorityBadge priority={summary.priority} />
      {ai && (
        <span className="badge badge-ai" title={reasons.join('\n') || ai}>
          {ai}
        </span>
      )}
      {reasons.length > 0 && (
        <details className="reasons">
          <summary title={reasons.join('\n')}>
            <span aria-hidden="true">Why</span>
            <span className="visually-hidden">Why {labelOf(priorityLabels, summary.priority)}</span>
          </summary>
          <ul className="reasons-list">
            {reasons.map((reason) => (
              <li key={reason}>{reason}</li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

/** The SLA state in words and colour, and the time left to the deadline, ticking with the page's clock. */
export function SlaCell({
  summary,
  nowMs,
}: {
  summary: Pick<CaseSummary, 'slaState' | 'slaDueAt'>;
  nowMs: number;
}) {
  const countdown = slaCountdown(summary.slaDueAt, nowMs);
  return (
    <div className="sla-cell">
      <span className={`badge sla sla-${summary.slaState}`}>{labelOf(slaStateLabels, summary.slaState)}</span>
      {countdown && (
        <time
          className={`countdown countdown-${countdown.urgency}`}
          dateTime={summary.slaDueAt ?? undefined}
          title={`Due ${summary.slaDueAt ? new Date(summary.slaDueAt).toLocaleString() : ''}`}
        >
          {countdown.text}
        </time>
      )}
      {countdown?.urgency === Urgency.Overdue && summary.slaState !== 'breached' && (
        <span className="visually-hidden"> (deadline passed)</span>
      )}
    </div>
  );
}

/** The lifecycle state; exceptions name their queue and reason. */
export function StateBadge({ summary }: { summary: Pick<CaseSummary, 'state' | 'exception' | 'broadened'> }) {
  const exception = summary.exception;
  return (
    <span className="state-cell">
      <span className={`badge state state-${summary.state}`}>{labelOf(caseStateLabels, summary.state)}</span>
      {exception && (
        <span className="state-detail" title={exception.reason}>
          {labelOf(exceptionQueueLabels, exception.queue)}
        </span>
      )}
      {summary.broadened && (
        <span
          className="state-detail"
          title="Opened to every eligible reader on shift after an SLA escalation"
        >
          broadened
        </span>
      )}
    </span>
  );
}
