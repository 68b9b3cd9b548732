import type { MouseEvent } from 'react';
import { caseHref } from '../app-route.ts';
import { allowedActions, type Caller, CaseAction, claimBlocker } from '../case-actions.ts';
import { patientDisplayName, procedureText } from '../case-display.ts';
import { formatCompactTime } from '../time-format.ts';
import type { CaseSummary } from '../worklist-model.ts';
import { effectiveSort, SortColumn, type SortKey } from '../worklist-view.ts';
import { PriorityCell, SlaCell, StateBadge } from './case-badges.tsx';

/** A row action the table asks its page to run. */
export type RowAction = 'claim' | 'release' | 'preliminary' | 'final' | 'unreadable';

interface WorklistTableProps {
  cases: CaseSummary[];
  sort: SortKey[];
  onSort: (column: SortColumn, additive: boolean) => void;
  caller: Caller;
  nowMs: number;
  /** Short name of the viewer's zone, for the "available" header, e.g. "BST". */
  zone: string;
  readerName: (id: string) => string;
  siteName: (id: string | null) => string;
  busyCaseId: string | null;
  /** Cases that arrived live a moment ago, highlighted briefly. */
  freshIds: ReadonlySet<string>;
  onAction: (c: CaseSummary, action: RowAction) => void;
  busy: boolean;
  caption: string;
}

interface Column {
  column: SortColumn;
  label: string;
  /** Shown to screen readers instead, when the visible label is terse. */
  longLabel?: string;
}

function columns(zone: string): Column[] {
  return [
    { column: SortColumn.Priority, label: 'Priority' },
    { column: SortColumn.SlaDueAt, label: 'SLA', longLabel: 'SLA and time to due' },
    { column: SortColumn.PatientName, label: 'Patient' },
    { column: SortColumn.Procedure, label: 'Procedure' },
    { column: SortColumn.Modality, label: 'Mod.', longLabel: 'Modality' },
    { column: SortColumn.Site, label: 'Site' },
    { column: SortColumn.State, label: 'State' },
    { column: SortColumn.Owner, label: 'Owner' },
    {
      column: SortColumn.AvailableAt,
      label: `Available${zone ? ` (${zone})` : ''}`,
      longLabel: `Available at, your time${zone ? `, ${zone}` : ''}`,
    },
    { column: SortColumn.Pathway, label: 'Pathway' },
  ];
}

const directionWords = { asc: 'ascending', desc: 'descending' } as const;

/**
 * The worklist. Every column header sorts (shift-click adds a column to the sort); the patient name opens
 * the case; actions sit at the end of each row and name the patient for screen readers.
 */
export function WorklistTable({
  cases,
  sort,
  onSort,
  caller,
  nowMs,
  zone,
  readerName,
  siteName,
  busyCaseId,
  freshIds,
  onAction,
  busy,
  caption,
}: WorklistTableProps) {
  const keys = effectiveSort(sort);
  const cols = columns(zone);
  const sortWords = keys
    .map(
      (k) =>
        `${cols.find((c) => c.column === k.column)?.longLabel ?? cols.find((c) => c.column === k.column)?.label ?? k.column} ${directionWords[k.direction]}`,
    )
    .join(', then ');

  function header(col: Column) {
    const index = keys.findIndex((k) => k.column === col.column);
    const key = index >= 0 ? keys[index] : undefined;
    const click = (event: MouseEvent<HTMLButtonElement>) => onSort(col.column, event.shiftKey);
    return (
      <th
        key={col.column}
        scope="col"
        aria-sort={index === 0 && key ? (key.direction === 'asc' ? 'ascending' : 'descending') : undefined}
        className={key ? 'is-sorted' : undefined}
      >
        <button
          type="button"
          className="sort-button"
          onClick={click}
          title="Click to sort; shift-click to add to the sort"
        >
          {col.longLabel ? (
            <>
              <span aria-hidden="true">{col.label}</span>
              <span className="visually-hidden">{col.longLabel}</span>
            </>
          ) : (
            col.label
          )}
          <span className="sort-indicator" aria-hidden="true">
            {key ? `${keys.length > 1 ? index + 1 : ''}${key.direction === 'asc' ? '▲' : '▼'}` : '↕'}
          </span>
        </button>
      </th>
    );
  }

  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable so keyboard users can scroll it sideways (WCAG 2.1.1).
    <section className="table-scroll" aria-label="Worklist cases" tabIndex={0}>
      <table className="data-table worklist-table" aria-busy={busy}>
        <caption className="visually-hidden">
          {caption}, sorted by {sortWords}
        </caption>
        <thead>
          <tr>
            {cols.map(header)}
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {cases.map((c) => (
            <WorklistRow
              key={c.id}
              c={c}
              caller={caller}
              nowMs={nowMs}
              readerName={readerName}
              siteName={siteName}
              busy={busyCaseId === c.id}
              fresh={freshIds.has(c.id)}
              onAction={onAction}
            />
          ))}
        </tbody>
      </table>
    </section>
  );
}

interface WorklistRowProps {
  c: CaseSummary;
  caller: Caller;
  nowMs: number;
  readerName: (id: string) => string;
  siteName: (id: string | null) => string;
  busy: boolean;
  fresh: boolean;
  onAction: (c: CaseSummary, action: RowAction) => void;
}

function WorklistRow({ c, caller, nowMs, readerName, siteName, busy, fresh, onAction }: WorklistRowProps) {
  const actions = allowedActions(c, caller, nowMs);
  const blocker = claimBlocker(c, caller, nowMs, readerName);
  const patient = patientDisplayName(c);
  const mine = c.ownerId !== null && c.ownerId === caller.readerId;
  const button = (action: RowAction, label: string, primary = false) => (
    <button
      type="button"
      className={`button button-small ${primary ? 'button-primary' : 'button-secondary'}`}
      onClick={() => onAction(c, action)}
      disabled={busy}
    >
      {label}
      <span className="visually-hidden"> {patient}</span>
    </button>
  );
  const classes = [`row-priority-${c.priority}`, fresh ? 'is-fresh' : '', mine ? 'is-mine' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <tr className={classes} data-case-id={c.id}>
      <td>
        <PriorityCell summary={c} />
      </td>
      <td className="nowrap">
        <SlaCell summary={c} nowMs={nowMs} />
      </td>
      <td>
        <a className="case-link" href={caseHref(c.id)}>
          {patient}
        </a>
        <span className="cell-sub">
          {c.patientId ?? '—'}
          {c.accessionNumber && <> · {c.accessionNumber}</>}
        </span>
      </td>
      <td>{procedureText(c)}</td>
      <td>{c.modalities.join(', ') || '—'}</td>
      <td>{siteName(c.siteId)}</td>
      <td>
        <StateBadge summary={c} />
      </td>
      <td>
        {c.ownerId === null ? (
          <span className="muted">—</span>
        ) : mine ? (
          <strong>You</strong>
        ) : (
          readerName(c.ownerId)
        )}
      </td>
      <td className="nowrap">
        {c.availableAt ? (
          <time dateTime={c.availableAt}>{formatCompactTime(c.availableAt, nowMs)}</time>
        ) : (
          '—'
        )}
      </td>
      <td>{c.pathway ?? <span className="muted">—</span>}</td>
      <td className="row-actions">
        {actions.has(CaseAction.Claim) && button('claim', 'Claim', true)}
        {actions.has(CaseAction.Final) && button('final', 'Final', true)}
        {actions.has(CaseAction.Preliminary) && button('preliminary', 'Prelim')}
        {actions.has(CaseAction.Unreadable) && button('unreadable', 'Unreadable…')}
        {actions.has(CaseAction.Release) && button('release', 'Release')}
        {blocker && <span className="blocker">{blocker}</span>}
      </td>
    </tr>
  );
}
