// The rows of a live worklist: a loaded page of cases kept current by the stream's `case` and `removed`
// events. A load and the stream race: an event can arrive while a load is in flight, and the load's answer
// may predate it. So events since the load started are remembered and replayed over its answer.

import type { CaseSummary } from './worklist-model.ts';
import { matchesView, type WorklistFilters } from './worklist-view.ts';

export interface WorklistRows {
  /** Cases by id, in no particular order (the table sorts). */
  byId: ReadonlyMap<string, CaseSummary>;
  /** Stream changes since the current load started: the case as sent, or null when removed. */
  sinceLoad: ReadonlyMap<string, CaseSummary | null>;
  /** Whether the first load has answered. */
  loaded: boolean;
  /** The server had more rows than the page holds. */
  more: boolean;
}

export type WorklistRowsAction =
  | { type: 'load-started' }
  | { type: 'loaded'; cases: CaseSummary[]; more: boolean; filters: WorklistFilters; you: string | null }
  | { type: 'case'; summary: CaseSummary; filters: WorklistFilters; you: string | null }
  | { type: 'removed'; id: string };

export const initialRows: WorklistRows = {
  byId: new Map(),
  sinceLoad: new Map(),
  loaded: false,
  more: false,
};

/**
 * Applies one streamed case: kept (or added) when it matches the view and is not older than what is
 * shown, dropped when it no longer matches (claimed by someone else under a "ready" filter, finalised...).
 * An equal version replaces the row: SLA state changes arrive without a new version.
 */
function applyCase(
  byId: Map<string, CaseSummary>,
  summary: CaseSummary,
  filters: WorklistFilters,
  you: string | null,
): void {
  const shown = byId.get(summary.id);
  if (shown && shown.version > summary.version) return;
  if (matchesView(summary, filters, you)) byId.set(summary.id, summary);
  else byId.delete(summary.id);
}

export function worklistRowsReducer(state: WorklistRows, action: WorklistRowsAction): WorklistRows {
  switch (action.type) {
    case 'load-started':
      return { ...state, sinceLoad: new Map() };
    case 'loaded': {
      const byId = new Map(action.cases.map((c) => [c.id, c]));
      for (const [id, change] of state.sinceLoad) {
        if (change === null) byId.delete(id);
        else applyCase(byId, change, action.filters, action.you);
      }
      return { byId, sinceLoad: state.sinceLoad, loaded: true, more: action.more };
    }
    case 'case': {
      const byId = new Map(state.byId);
      applyCase(byId, action.summary, action.filters, action.you);
      const sinceLoad = new Map(state.sinceLoad).set(action.summary.id, action.summary);
      return { ...state, byId, sinceLoad };
    }
    case 'removed': {
      const sinceLoad = new Map(state.sinceLoad).set(action.id, null);
      if (!state.byId.has(action.id)) return { ...state, sinceLoad };
      const byId = new Map(state.byId);
      byId.delete(action.id);
      return { ...state, byId, sinceLoad };
    }
  }
}

/** What changed between two row sets, for the live region: cases added and removed. */
export function diffRows(
  before: ReadonlyMap<string, CaseSummary>,
  after: ReadonlyMap<string, CaseSummary>,
): { added: CaseSummary[]; removed: string[] } {
  const added = [...after.values()].filter((c) => !before.has(c.id));
  const removed = [...before.keys()].filter((id) => !after.has(id));
  return { added, removed };
}
