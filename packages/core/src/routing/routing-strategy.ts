import type { CompiledRouting, CompiledRule } from './compiled-routing.ts';
import type { RoutingLoad } from './model.ts';
import type { EligibleReader } from './reader-eligibility.ts';

/**
 * Picks one reader among the eligible ones, by the rule's strategy, and says how in a phrase for the summary.
 * Every tie is broken down to the reader id, so the same inputs always give the same assignee on any node.
 */

export interface StrategyChoice {
  readerId: string;
  /** e.g. 'balanced: 1 of 4 cases, lowest load of 3 eligible'. */
  how: string;
}

/** Orders by cases relative to capacity, then weight relative to its limit, then the longest idle, then id. */
export function compareLoad(a: EligibleReader, b: EligibleReader): number {
  // Cross-multiplied so that 1/3 and 2/6 compare equal without floating-point doubt.
  const byCases = a.cases * b.reader.reader.maxConcurrent - b.cases * a.reader.reader.maxConcurrent;
  if (byCases !== 0) return byCases;
  const wa = a.reader.reader.maxWeight ? a.weight / a.reader.reader.maxWeight : 0;
  const wb = b.reader.reader.maxWeight ? b.weight / b.reader.reader.maxWeight : 0;
  if (wa !== wb) return wa - wb;
  // Never assigned counts as idle the longest.
  const ta = a.lastAssignedAt ?? Number.NEGATIVE_INFINITY;
  const tb = b.lastAssignedAt ?? Number.NEGATIVE_INFINITY;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function loadPhrase(r: EligibleReader): string {
  const cases = `${r.cases} of ${r.reader.reader.maxConcurrent} cases`;
  return r.reader.reader.maxWeight ? `${cases}, weight ${r.weight} of ${r.reader.reader.maxWeight}` : cases;
}

function balanced(eligible: readonly EligibleReader[]): StrategyChoice {
  let best = eligible[0]!;
  for (const r of eligible) if (compareLoad(r, best) < 0) best = r;
  const among =
    eligible.length === 1 ? 'the only eligible reader' : `lowest load of ${eligible.length} eligible`;
  return { readerId: best.id, how: `balanced: ${loadPhrase(best)}, ${among}` };
}

/**
 * Chooses the assignee for a route rule whose strategy assigns (every strategy but 'pool').
 * `eligible` must not be empty.
 */
export function chooseAssignee(
  compiled: CompiledRouting,
  rule: CompiledRule,
  eligible: readonly EligibleReader[],
  load: RoutingLoad,
): StrategyChoice {
  if (rule.strategy === 'preferred') {
    for (const id of rule.preferredReaderIds) {
      const r = eligible.find((e) => e.id === id);
      if (r) return { readerId: r.id, how: `preferred reader, ${loadPhrase(r)}` };
    }
    const fallback = balanced(eligible);
    return { readerId: fallback.readerId, how: `no preferred reader eligible; ${fallback.how}` };
  }
  if (rule.strategy === 'round-robin') {
    const ids = eligible.map((e) => e.id).sort();
    const last = load.lastChosenByRule[rule.rule.id];
    const next = (last !== undefined && ids.find((id) => id > last)) || ids[0]!;
    if (last === undefined) return { readerId: next, how: `round-robin: first of ${ids.length} eligible` };
    const lastName = compiled.readers.get(last)?.reader.name ?? last;
    return { readerId: next, how: `round-robin: next after ${lastName} among ${ids.length} eligible` };
  }
  return balanced(eligible);
}
