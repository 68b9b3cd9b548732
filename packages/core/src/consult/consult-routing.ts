import { type CompiledRouting, compileRule } from '../routing/compiled-routing.ts';
import type { Pool, Priority, RoutingCase, RoutingDecision, RoutingLoad, Rule } from '../routing/model.ts';
import { routeCase } from '../routing/route-case.ts';
import type { ConsultTarget } from './consult-lifecycle.ts';

/**
 * Consults are routed by the same engine as cases: one route rule whose target is the pool or the named
 * reader asked, run against the case as routing sees it (its site, hence the patient's jurisdiction and the
 * facility), with the consult's urgency. Every candidate goes through the same stages (shift, roster,
 * competency, credentials, capacity), and the decision keeps the same explanation.
 */

export const CONSULT_RULE_ID = 'confer:consult';

export interface RouteConsultInput {
  compiled: CompiledRouting;
  /** The consult's case as routing sees it. */
  case: RoutingCase;
  target: ConsultTarget;
  urgency: Priority;
  /** Readers left out (the requester, decliners), each with the reason shown in the explanation. */
  exclude: { readerId: string; why: string }[];
  /** Cases and open consults held per reader. */
  load: RoutingLoad;
  now: number;
}

/** What is wrong with a target before routing runs: an unknown pool or reader, or the requester themselves. */
export function consultTargetProblem(
  compiled: CompiledRouting,
  target: ConsultTarget,
  requesterReaderId: string | null,
): string | undefined {
  if (target.kind === 'pool') {
    if (!compiled.pools.has(target.poolId))
      return `no pool "${target.poolId}"; pools are ${[...compiled.pools.keys()].join(', ') || 'not configured'}`;
    return undefined;
  }
  if (!compiled.readers.has(target.readerId))
    return `no reader "${target.readerId}" in the routing directory`;
  if (target.readerId === requesterReaderId)
    return 'you cannot ask yourself for a consult; name a colleague or a pool';
  return undefined;
}

/** The route rule a consult is routed by. A named reader must be on shift now, like a pool's members. */
export function consultRule(compiled: CompiledRouting, target: ConsultTarget): Rule {
  if (target.kind === 'pool') {
    const pool = compiled.pools.get(target.poolId);
    return {
      id: CONSULT_RULE_ID,
      name: `Consult: pool ${pool?.name ?? target.poolId}`,
      when: {},
      then: { target: { kind: 'pool', poolId: target.poolId, onShift: true }, strategy: 'balanced' },
    };
  }
  const reader = compiled.readers.get(target.readerId);
  return {
    id: CONSULT_RULE_ID,
    name: `Consult: ${reader?.reader.name ?? target.readerId}`,
    when: {},
    then: { target: { kind: 'reader', readerId: target.readerId, onShift: true }, strategy: 'balanced' },
  };
}

/**
 * Routes a consult and returns the decision with its explanation. Excluded readers are taken out of the pool
 * before the stages run, and named in the explanation with the reason.
 */
export function routeConsult(input: RouteConsultInput): RoutingDecision {
  const { compiled, target } = input;
  const excluded = new Map(input.exclude.map((e) => [e.readerId, e.why]));
  let pools = compiled.pools;
  if (target.kind === 'pool') {
    const pool = compiled.pools.get(target.poolId);
    if (pool) {
      const kept: Pool = { ...pool, readerIds: pool.readerIds.filter((r) => !excluded.has(r)) };
      pools = new Map(compiled.pools);
      (pools as Map<string, Pool>).set(pool.id, kept);
    }
  }
  const rule = consultRule(compiled, target);
  // Only the rule list and the pool differ: the directory, shifts and their per-minute cache are shared.
  const consultRouting: CompiledRouting = { ...compiled, pools, rules: [compileRule(rule)] };
  const namedExcluded = target.kind === 'reader' && excluded.has(target.readerId);
  const decision = routeCase({
    compiled: consultRouting,
    case: { ...input.case, priority: input.urgency },
    load: namedExcluded
      ? {
          ...input.load,
          readers: {
            ...input.load.readers,
            [target.readerId]: { cases: Number.MAX_SAFE_INTEGER, weight: 0 },
          },
        }
      : input.load,
    now: input.now,
  });
  const relevant =
    target.kind === 'pool'
      ? (compiled.pools.get(target.poolId)?.readerIds ?? []).filter((r) => excluded.has(r))
      : namedExcluded
        ? [target.readerId]
        : [];
  if (relevant.length > 0) {
    const words = relevant.map((r) => `${compiled.readers.get(r)?.reader.name ?? r} (${excluded.get(r)})`);
    decision.rules[0]?.why.push(`left out: ${words.join(', ')}`);
    if (namedExcluded) {
      decision.candidates = decision.candidates.map((c) =>
        c.readerId === target.readerId ? { ...c, reason: excluded.get(target.readerId)! } : c,
      );
      decision.summary = `No eligible reader: ${words.join(', ')}`;
    } else if (decision.outcome === 'unroutable') {
      decision.summary = `${decision.summary}; left out: ${words.join(', ')}`;
    }
  }
  return decision;
}
