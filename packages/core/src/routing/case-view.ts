import { MS_PER_MINUTE } from './calendar-date.ts';
import type { CompiledFilter, CompiledRouting, MatchList, OnShiftSnapshot } from './compiled-routing.ts';
import type { Priority, RoutingCase, RoutingLoad, Site } from './model.ts';
import { localDayNumber } from './zoned-time.ts';

/**
 * A case as routing sees it while rules run: lower-cased for matching, with the facts rules ask about
 * (age, queue depth, weight, the site's local date) worked out once. Modify rules change `priority`,
 * `pathway` and `slaClass` here, so later rules see the modified case.
 */
export interface CaseView {
  source: RoutingCase;
  site: Site | undefined;
  modalities: string[];
  bodyParts: string[];
  procedure: string | undefined;
  aiFlags: string[];
  priority: Priority;
  /** As spelled by the case or the rule that set it; `pathwayKey` is its lower-cased form. */
  pathway: string | undefined;
  pathwayKey: string | undefined;
  /** Set by a modify rule. */
  slaClass: string | undefined;
  ageMinutes: number;
  queueDepth: number;
  /** The heaviest work weight among the case's modalities (1 when none is configured). */
  weight: number;
  /** The local day number at the case's site at `now`: the date credentials must be valid on. */
  siteDay: number | undefined;
  /** Readers on shifts covering the case, per priority/pathway combination seen (modify rules change them). */
  coverage: Map<string, Coverage>;
}

/** Who covers a case right now, for the `uncovered` condition. */
export interface Coverage {
  readerIds: Set<string>;
  shiftNames: string[];
}

/** Builds the view of `routingCase` at instant `now`. */
export function caseView(
  compiled: CompiledRouting,
  routingCase: RoutingCase,
  load: RoutingLoad,
  now: number,
): CaseView {
  const site = compiled.sites.get(routingCase.siteId);
  const modalities = routingCase.modalities.map((m) => m.toLowerCase());
  let weight = 0;
  for (const m of modalities) weight = Math.max(weight, compiled.workWeights.get(m) ?? 1);
  return {
    source: routingCase,
    site,
    modalities,
    bodyParts: routingCase.bodyParts.map((b) => b.toLowerCase()),
    procedure: routingCase.procedure?.toLowerCase(),
    aiFlags: routingCase.aiFlags.map((f) => f.toLowerCase()),
    priority: routingCase.priority,
    pathway: routingCase.pathway,
    pathwayKey: routingCase.pathway?.toLowerCase(),
    slaClass: undefined,
    ageMinutes: (now - routingCase.availableAt) / MS_PER_MINUTE,
    queueDepth: load.siteQueueDepth[routingCase.siteId] ?? 0,
    weight: weight === 0 ? 1 : weight,
    siteDay: site ? localDayNumber(site.timeZone, now) : undefined,
    coverage: new Map(),
  };
}

function intersects(list: MatchList | undefined, values: readonly string[]): boolean {
  if (!list) return true;
  for (const v of values) if (list.set.has(v)) return true;
  return false;
}

/**
 * Whether a shift's `covers` filter takes this case. `siteId` is the site to check the filter's site list
 * against (the case's own, or its hub's), or null to ignore sites. A shift's subspecialty list cannot be
 * checked against a case, which has none; it is checked against the subspecialties a rule requires, when
 * the rule requires some.
 */
export function coversCase(
  filter: CompiledFilter,
  view: CaseView,
  siteId: string | null,
  requiredSubspecialties?: MatchList,
): boolean {
  if (siteId !== null && filter.siteIds && !filter.siteIds.set.has(siteId.toLowerCase())) return false;
  if (filter.priorities && !filter.priorities.set.has(view.priority)) return false;
  if (!intersects(filter.modalities, view.modalities)) return false;
  if (!intersects(filter.bodyParts, view.bodyParts)) return false;
  if (filter.pathways && (view.pathwayKey === undefined || !filter.pathways.set.has(view.pathwayKey)))
    return false;
  if (filter.subspecialties && requiredSubspecialties) {
    let any = false;
    for (const s of requiredSubspecialties.set) if (filter.subspecialties.set.has(s)) any = true;
    if (!any) return false;
  }
  return true;
}

/** The readers on shift now whose shift covers the case at its own site (cached per priority and pathway). */
export function coverageOf(view: CaseView, snapshot: OnShiftSnapshot): Coverage {
  const key = `${view.priority}\u0000${view.pathwayKey ?? ''}`;
  let found = view.coverage.get(key);
  if (found) return found;
  found = { readerIds: new Set(), shiftNames: [] };
  for (const on of snapshot.active) {
    if (on.readerIds.length === 0 || !coversCase(on.shift.covers, view, view.source.siteId)) continue;
    for (const id of on.readerIds) found.readerIds.add(id);
    found.shiftNames.push(on.shift.shift.name);
  }
  view.coverage.set(key, found);
  return found;
}
