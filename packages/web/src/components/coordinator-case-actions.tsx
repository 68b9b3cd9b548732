import { type FormEvent, useId, useState } from 'react';
import type { CaseActionName } from '../api-client.ts';
import { CaseAction } from '../case-actions.ts';
import {
  type CaseSummary,
  type DirectoryReader,
  exceptionQueueLabels,
  exceptionQueues,
  labelOf,
  priorities,
  priorityLabels,
} from '../worklist-model.ts';

interface CoordinatorCaseActionsProps {
  summary: CaseSummary;
  allowed: ReadonlySet<string>;
  readers: DirectoryReader[];
  /** Readers routing found eligible, listed first in the reassign picker. */
  eligibleReaderIds: readonly string[];
  busy: boolean;
  run: (action: CaseActionName, body: Record<string, unknown>) => Promise<unknown>;
}

/** The pool: reassigning to nobody puts the case back on the shared worklist of eligible readers. */
const toPool = '';

/** A coordinator's levers on one case: reassign, change priority, send to or resolve an exception. */
export function CoordinatorCaseActions({
  summary,
  allowed,
  readers,
  eligibleReaderIds,
  busy,
  run,
}: CoordinatorCaseActionsProps) {
  const id = useId();
  const [readerId, setReaderId] = useState<string>(toPool);
  const [reassignReason, setReassignReason] = useState('');
  const [priority, setPriority] = useState<string>(summary.priority);
  const [priorityReason, setPriorityReason] = useState('');
  const [queue, setQueue] = useState<string>(exceptionQueues[0]!);
  const [exceptionReason, setExceptionReason] = useState('');
  const [note, setNote] = useState('');

  const eligible = new Set(eligibleReaderIds);
  const ordered = [...readers].sort(
    (a, b) => Number(eligible.has(b.id)) - Number(eligible.has(a.id)) || a.name.localeCompare(b.name),
  );

  const submit =
    (action: CaseActionName, body: Record<string, unknown>, reset: () => void) =>
    async (event: FormEvent) => {
      event.preventDefault();
      const ok = await run(action, body);
      if (ok) reset();
    };

  return (
    <div className="coordinator-actions">
      {allowed.has(CaseAction.Reassign) && (
        <form
          className="action-form"
          aria-labelledby={`${id}-reassign`}
          onSubmit={submit(
            'reassign',
            {
              readerId: readerId === toPool ? null : readerId,
              ...(reassignReason.trim() ? { reason: reassignReason.trim() } : {}),
            },
            () => setReassignReason(''),
          )}
        >
          <h3 id={`${id}-reassign`}>Reassign</h3>
          <div className="field">
            <label htmlFor={`${id}-reader`}>Reader</label>
            <select id={`${id}-reader`} value={readerId} onChange={(e) => setReaderId(e.target.value)}>
              <option value={toPool}>Nobody: back to the shared worklist</option>
              {ordered.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                  {r.id === summary.ownerId ? ' (current owner)' : ''}
                  {eligible.has(r.id) ? ' · eligible' : ''}
                  {r.onShift.length > 0 ? ' · on shift' : ' · off shift'}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-reassign-reason`}>
              Reason <span className="muted">(optional)</span>
            </label>
            <input
              id={`${id}-reassign-reason`}
              value={reassignReason}
              maxLength={500}
              onChange={(e) => setReassignReason(e.target.value)}
            />
          </div>
          <button type="submit" className="button button-secondary" disabled={busy}>
            Reassign
          </button>
        </form>
      )}

      {allowed.has(CaseAction.Priority) && (
        <form
          className="action-form"
          aria-labelledby={`${id}-priority`}
          onSubmit={submit('priority', { priority, reason: priorityReason.trim() }, () =>
            setPriorityReason(''),
          )}
        >
          <h3 id={`${id}-priority`}>Change priority</h3>
          <div className="field">
            <label htmlFor={`${id}-priority-value`}>Priority</label>
            <select
              id={`${id}-priority-value`}
              value={priority}
              onChange={(e) => setPriority(e.target.value)}
            >
              {priorities.map((p) => (
                <option key={p} value={p}>
                  {labelOf(priorityLabels, p)}
                  {p === summary.priority ? ' (current)' : ''}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-priority-reason`}>Reason</label>
            <input
              id={`${id}-priority-reason`}
              value={priorityReason}
              required
              maxLength={500}
              onChange={(e) => setPriorityReason(e.target.value)}
            />
          </div>
          <button
            type="submit"
            className="button button-secondary"
            disabled={busy || priorityReason.trim() === '' || priority === summary.priority}
          >
            Change priority
          </button>
        </form>
      )}

      {allowed.has(CaseAction.Exception) && (
        <form
          className="action-form"
          aria-labelledby={`${id}-exception`}
          onSubmit={submit('exception', { queue, reason: exceptionReason.trim() }, () =>
            setExceptionReason(''),
          )}
        >
          <h3 id={`${id}-exception`}>Send to an exception queue</h3>
          <div className="field">
            <label htmlFor={`${id}-queue`}>Queue</label>
            <select id={`${id}-queue`} value={queue} onChange={(e) => setQueue(e.target.value)}>
              {exceptionQueues.map((q) => (
                <option key={q} value={q}>
                  {labelOf(exceptionQueueLabels, q)}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-exception-reason`}>Reason</label>
            <input
              id={`${id}-exception-reason`}
              value={exceptionReason}
              required
              maxLength={500}
              onChange={(e) => setExceptionReason(e.target.value)}
            />
          </div>
          <button
            type="submit"
            className="button button-secondary"
            disabled={busy || exceptionReason.trim() === ''}
          >
            Send to queue
          </button>
        </form>
      )}

      {allowed.has(CaseAction.Resolve) && (
        <form
          className="action-form"
          aria-labelledby={`${id}-resolve`}
          onSubmit={submit('resolve', note.trim() ? { note: note.trim() } : {}, () => setNote(''))}
        >
          <h3 id={`${id}-resolve`}>Resolve the exception</h3>
          {summary.exception && (
            <p>
              In <strong>{labelOf(exceptionQueueLabels, summary.exception.queue)}</strong>:{' '}
              {summary.exception.reason}
            </p>
          )}
          <div className="field">
            <label htmlFor={`${id}-note`}>
              Note <span className="muted">(optional)</span>
            </label>
            <input id={`${id}-note`} value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} />
          </div>
          <button type="submit" className="button button-secondary" disabled={busy}>
            Resolve and route again
          </button>
        </form>
      )}
    </div>
  );
}
