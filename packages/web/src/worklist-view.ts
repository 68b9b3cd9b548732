// What the worklist shows: filters and sort, kept in the URL so a reload, a bookmark or a colleague's link
// opens the same view; turned into GET /api/worklist parameters; and applied in the browser to rows that
// arrive on the live stream, so a streamed change lands where the server would have put it.

import { activeStates, CaseState, type CaseSummary, type Priority, priorityRank } from './worklist-model.ts';

/** Columns the worklist can sort by. All but `pathway` are sortable by the server too. */
export const SortColumn = {
  Priority: 'priority',
  SlaDueAt: 'slaDueAt',
  PatientName: 'patientName',
  Procedure: 'procedure',
  Modality: 'modality',
  Site: 'site',
  State: 'state',
  Owner: 'owner',
  AvailableAt: 'availableAt',
  Pathway: 'pathway',
  UpdatedAt: 'updatedAt',
} as const;
export type SortColumn = (typeof SortColumn)[keyof typeof SortColumn];

const sortColumns = new Set<string>(Object.values(SortColumn));
/** Columns GET /api/worklist and POST /api/worklist/next accept in `sort`. */
const serverSortColumns = new Set<string>([
  'priority',
  'slaDueAt',
  'availableAt',
  'site',
  'modality',
  'state',
  'patientName',
  'procedure',
  'updatedAt',
  'owner',
]);

export interface SortKey {
  column: SortColumn;
  direction: 'asc' | 'desc';
}

export interface WorklistFilters {
  states: string[];
  priorities: string[];
  modalities: string[];
  sites: string[];
  sla: string[];
  exceptions: string[];
  /** Only cases the caller owns. */
  mine: boolean;
  /** Free text: accession number, patient name or ID, procedure. Never put in the URL (patient data). */
  text: string;
}

export interface WorklistView {
  filters: WorklistFilters;
  /** Empty means the server's default: most urgent, then nearest deadline, then oldest. */
  sort: SortKey[];
}

export const emptyFilters: WorklistFilters = {
  states: [],
  priorities: [],
  modalities: [],
  sites: [],
  sla: [],
  exceptions: [],
  mine: false,
  text: '',
};

/** The order the server sorts in when asked for none; shown as the table's sort in that case. */
export const defaultSort: readonly SortKey[] = [
  { column: SortColumn.Priority, direction: 'asc' },
  { column: SortColumn.SlaDueAt, direction: 'asc' },
  { column: SortColumn.AvailableAt, direction: 'asc' },
];

/** Columns whose first click sorts descending: the newest or the most recently changed first. */
const descendingFirst = new Set<SortColumn>([SortColumn.UpdatedAt]);

function csv(value: string | null): string[] {
  if (value === null) return [];
  return [
    ...new Set(
      value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    ),
  ];
}

/** `priority,-slaDueAt` as sort keys; unknown columns are dropped rather than failing the page. */
export function parseSort(value: string | null): SortKey[] {
  const keys: SortKey[] = [];
  for (const part of csv(value)) {
    const descending = part.startsWith('-');
    const column = descending ? part.slice(1) : part;
    if (!sortColumns.has(column) || keys.some((k) => k.column === column)) continue;
    keys.push({ column: column as SortColumn, direction: descending ? 'desc' : 'asc' });
  }
  return keys;
}

/** Sort keys as `priority,-slaDueAt`. */
export function formatSort(sort: readonly SortKey[]): string {
  return sort.map((k) => `${k.direction === 'desc' ? '-' : ''}${k.column}`).join(',');
}

/** The sort as the server understands it: columns it cannot sort by are left for the browser. */
export function serverSort(sort: readonly SortKey[]): string {
  return formatSort(sort.filter((k) => serverSortColumns.has(k.column)));
}

/**
 * The view a URL's query names (`#/worklist?state=ready&sort=-priority`). The free-text search is not
 * read from the URL: it holds patient names and IDs, which must stay out of browser history.
 */
export function parseView(params: URLSearchParams): WorklistView {
  return {
    filters: {
      states: csv(params.get('state')),
      priorities: csv(params.get('priority')),
      modalities: csv(params.get('modality')),
      sites: csv(params.get('site')),
      sla: csv(params.get('sla')),
      exceptions: csv(params.get('exception')),
      mine: params.get('mine') === 'true',
      text: '',
    },
    sort: parseSort(params.get('sort')),
  };
}

/** The URL query for a view; empty filters are left out so the plain worklist has a plain URL. */
export function viewToUrlParams(view: WorklistView): URLSearchParams {
  const params = new URLSearchParams();
  const { filters } = view;
  if (filters.states.length > 0) params.set('state', filters.states.join(','));
  if (filters.priorities.length > 0) params.set('priority', filters.priorities.join(','));
  if (filters.modalities.length > 0) params.set('modality', filters.modalities.join(','));
  if (filters.sites.length > 0) params.set('site', filters.sites.join(','));
  if (filters.sla.length > 0) params.set('sla', filters.sla.join(','));
  if (filters.exceptions.length > 0) params.set('exception', filters.exceptions.join(','));
  if (filters.mine) params.set('mine', 'true');
  if (view.sort.length > 0) params.set('sort', formatSort(view.sort));
  return params;
}

/** GET /api/worklist parameters for a view, including the text search. */
export function viewToApiParams(view: WorklistView, limit: number): URLSearchParams {
  const params = viewToUrlParams(view);
  params.delete('sort');
  const sort = serverSort(view.sort);
  if (sort !== '') params.set('sort', sort);
  const text = view.filters.text.trim();
  if (text !== '') params.set('q', text);
  params.set('limit', String(limit));
  return params;
}

/**
 * The sort after a click on a column header. A plain click sorts by that column alone (a second click on
 * the only sort column reverses it); with `additive` (shift-click) the column is added as the next key, or
 * reversed if it is already one, so several columns can sort together.
 */
export function toggleSort(sort: readonly SortKey[], column: SortColumn, additive: boolean): SortKey[] {
  const current = sort.length > 0 ? sort : defaultSort;
  const existing = current.find((k) => k.column === column);
  const first: SortKey['direction'] = descendingFirst.has(column) ? 'desc' : 'asc';
  const flipped = (k: SortKey): SortKey => ({
    column: k.column,
    direction: k.direction === 'asc' ? 'desc' : 'asc',
  });
  if (additive) {
    if (existing) return current.map((k) => (k.column === column ? flipped(k) : k));
    return [...current, { column, direction: first }];
  }
  if (existing && current[0]?.column === column) return [flipped(existing)];
  return [{ column, direction: first }];
}

/** The sort the table is actually in: the chosen one, or the server's default. */
export function effectiveSort(sort: readonly SortKey[]): readonly SortKey[] {
  return sort.length > 0 ? sort : defaultSort;
}

/**
 * Whether a case belongs in the view, by the same rules as the server's query: with no state filter only
 * live work is listed (or, when filtering by exception queue, the exception state). `you` is the caller's
 * reader id, for "mine".
 */
export function matchesView(c: CaseSummary, filters: WorklistFilters, you: string | null): boolean {
  const states: readonly string[] =
    filters.states.length > 0
      ? filters.states
      : filters.exceptions.length > 0
        ? [CaseState.Exception]
        : activeStates;
  if (!states.includes(c.state)) return false;
  if (filters.priorities.length > 0 && !filters.priorities.includes(c.priority)) return false;
  if (filters.sites.length > 0 && (c.siteId === null || !filters.sites.includes(c.siteId))) return false;
  if (filters.sla.length > 0 && !filters.sla.includes(c.slaState)) return false;
  if (
    filters.exceptions.length > 0 &&
    (c.exception === null || !filters.exceptions.includes(c.exception.queue))
  )
    return false;
  if (filters.modalities.length > 0) {
    const joined = c.modalities.join('\\').toUpperCase();
    if (!filters.modalities.some((m) => joined.includes(m.toUpperCase()))) return false;
  }
  if (filters.mine && (you === null || c.ownerId !== you)) return false;
  const text = filters.text.trim().toUpperCase();
  if (text !== '') {
    const fields = [c.accessionNumber, c.patientName, c.patientId, c.procedure];
    if (!fields.some((f) => f?.toUpperCase().includes(text))) return false;
  }
  return true;
}

type SortValue = string | number | null;

function sortValue(c: CaseSummary, column: SortColumn): SortValue {
  switch (column) {
    case SortColumn.Priority:
      return Object.hasOwn(priorityRank, c.priority) ? priorityRank[c.priority as Priority] : 9;
    case SortColumn.SlaDueAt:
      return c.slaDueAt;
    case SortColumn.AvailableAt:
      return c.availableAt;
    case SortColumn.UpdatedAt:
      return c.updatedAt;
    case SortColumn.PatientName:
      return c.patientName;
    case SortColumn.Procedure:
      return c.procedure;
    case SortColumn.Modality:
      return c.modalities.length > 0 ? c.modalities.join('\\') : null;
    case SortColumn.Site:
      return c.siteId;
    case SortColumn.State:
      return c.state;
    case SortColumn.Owner:
      return c.ownerId;
    case SortColumn.Pathway:
      return c.pathway;
  }
}

/**
 * A comparator for the sort, matching the server's: missing values last whichever the direction (a case
 * without a deadline is never "most urgent"), then the case id so equal rows never swap on a refresh.
 * ISO instants compare correctly as text.
 */
export function compareCases(sort: readonly SortKey[]): (a: CaseSummary, b: CaseSummary) => number {
  const keys = effectiveSort(sort);
  return (a, b) => {
    for (const key of keys) {
      const x = sortValue(a, key.column);
      const y = sortValue(b, key.column);
      if (x === y) continue;
      if (x === null || x === '') return 1;
      if (y === null || y === '') return -1;
      const order = x < y ? -1 : 1;
      return key.direction === 'asc' ? order : -order;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}

/** Toggles one value in a filter list, keeping the list's order. */
export function toggleValue(values: readonly string[], value: string): string[] {
  return values.includes(value) ? values.filter((v) => v !== value) : [...values, value];
}

/** How many filters narrow the view (for a "3 filters" hint and a Clear button). */
export function activeFilterCount(filters: WorklistFilters): number {
  return (
    (filters.states.length > 0 ? 1 : 0) +
    (filters.priorities.length > 0 ? 1 : 0) +
    (filters.modalities.length > 0 ? 1 : 0) +
    (filters.sites.length > 0 ? 1 : 0) +
    (filters.sla.length > 0 ? 1 : 0) +
    (filters.exceptions.length > 0 ? 1 : 0) +
    (filters.mine ? 1 : 0) +
    (filters.text.trim() !== '' ? 1 : 0)
  );
}
