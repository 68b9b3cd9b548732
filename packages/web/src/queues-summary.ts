// GET /api/queues pivoted into the tables a coordinator scans: work by state and priority, by site, and
// each reader's load against capacity.

import { activeStates, CaseState, priorities, type QueuesOverview } from './worklist-model.ts';

export interface StatePriorityRow {
  state: string;
  /** Count per priority, in `priorities` order, then any other priority the server sent. */
  counts: Record<string, number>;
  total: number;
}

const stateOrder: readonly string[] = [...activeStates, CaseState.Exception];

function orderOf(list: readonly string[], value: string): number {
  const i = list.indexOf(value);
  return i < 0 ? list.length : i;
}

/** Rows per state (live states first, in lifecycle order) with counts per priority and a total. */
export function stateByPriority(byState: QueuesOverview['byState']): {
  rows: StatePriorityRow[];
  priorityColumns: string[];
  totals: Record<string, number>;
  total: number;
} {
  const priorityColumns = [...priorities] as string[];
  for (const r of byState) if (!priorityColumns.includes(r.priority)) priorityColumns.push(r.priority);
  const rows = new Map<string, StatePriorityRow>();
  const totals: Record<string, number> = Object.fromEntries(priorityColumns.map((p) => [p, 0]));
  let total = 0;
  for (const r of byState) {
    let row = rows.get(r.state);
    if (!row) {
      row = { state: r.state, counts: Object.fromEntries(priorityColumns.map((p) => [p, 0])), total: 0 };
      rows.set(r.state, row);
    }
    row.counts[r.priority] = (row.counts[r.priority] ?? 0) + r.count;
    row.total += r.count;
    totals[r.priority] = (totals[r.priority] ?? 0) + r.count;
    total += r.count;
  }
  for (const row of rows.values()) for (const p of priorityColumns) row.counts[p] = row.counts[p] ?? 0;
  const sorted = [...rows.values()].sort(
    (a, b) => orderOf(stateOrder, a.state) - orderOf(stateOrder, b.state),
  );
  return { rows: sorted, priorityColumns, totals, total };
}

export interface SiteRow {
  siteId: string | null;
  counts: Record<string, number>;
  total: number;
}

/** Rows per site with counts per state, busiest site first. */
export function siteCounts(bySite: QueuesOverview['bySite']): { rows: SiteRow[]; stateColumns: string[] } {
  const stateColumns = [...new Set(bySite.map((r) => r.state))].sort(
    (a, b) => orderOf(stateOrder, a) - orderOf(stateOrder, b),
  );
  const rows = new Map<string, SiteRow>();
  for (const r of bySite) {
    const key = r.siteId ?? '';
    let row = rows.get(key);
    if (!row) {
      row = { siteId: r.siteId, counts: {}, total: 0 };
      rows.set(key, row);
    }
    row.counts[r.state] = (row.counts[r.state] ?? 0) + r.count;
    row.total += r.count;
  }
  return {
    rows: [...rows.values()].sort(
      (a, b) => b.total - a.total || String(a.siteId).localeCompare(String(b.siteId)),
    ),
    stateColumns,
  };
}

export interface ReaderLoad {
  id: string;
  name: string;
  cases: number;
  capacity: number;
  /** cases / capacity; Infinity when the reader has no capacity but holds cases. */
  ratio: number;
  tone: 'idle' | 'ok' | 'high' | 'full';
}

/** Each reader's load against capacity, the most loaded first. */
export function readerLoads(readers: QueuesOverview['readers']): ReaderLoad[] {
  return readers
    .map((r) => {
      const capacity = Number.isFinite(r.maxConcurrent) ? r.maxConcurrent : 0;
      const ratio = capacity > 0 ? r.cases / capacity : r.cases > 0 ? Number.POSITIVE_INFINITY : 0;
      const tone: ReaderLoad['tone'] =
        r.cases === 0 ? 'idle' : ratio >= 1 ? 'full' : ratio >= 0.75 ? 'high' : 'ok';
      return { id: r.id, name: r.name, cases: r.cases, capacity, ratio, tone };
    })
    .sort((a, b) => b.ratio - a.ratio || a.name.localeCompare(b.name));
}

/** SLA counts for the three states, zero when the server left one out. */
export function slaCounts(sla: QueuesOverview['sla']): { ok: number; atRisk: number; breached: number } {
  return { ok: sla.ok ?? 0, atRisk: sla['at-risk'] ?? 0, breached: sla.breached ?? 0 };
}
