import { type CaseView, caseView } from './case-view.ts';
import { type CompiledRouting, type CompiledRule, onShiftAt } from './compiled-routing.ts';
import {
  priorityRank,
  type RoutingCase,
  type RoutingDecision,
  type RoutingLoad,
  type RuleTrace,
} from './model.ts';
import { evaluateTarget, type TargetEvaluation } from './reader-eligibility.ts';
import { chooseAssignee } from './routing-strategy.ts';
import { matchConditions } from './rule-conditions.ts';

export interface RouteCaseInput {
  compiled: CompiledRouting;
  case: RoutingCase;
  load: RoutingLoad;
  /** The instant routing happens (epoch ms), from the caller's clock. */
  now: number;
}

/** Route rules that did not route, for the unroutable summary: at most this many are named. */
const ATTEMPTS_NAMED = 6;
const MATCHED_ATTEMPTS_NAMED = 5;

interface Attempt {
  matched: boolean;
  text: string;
}

/** Applies a rule's priority/pathway/SLA-class actions to the case being routed; returns what changed, in words. */
function applyActions(rule: CompiledRule, view: CaseView): string[] {
  const then = rule.rule.then;
  const lines: string[] = [];
  if (then.raisePriority !== undefined) {
    if (priorityRank[then.raisePriority] < priorityRank[view.priority]) {
      lines.push(`priority raised from ${view.priority} to ${then.raisePriority}`);
      view.priority = then.raisePriority;
    } else {
      lines.push(`priority stays ${view.priority} (already at least as urgent as ${then.raisePriority})`);
    }
  }
  if (then.setPathway !== undefined) {
    const was = view.pathway;
    lines.push(
      `pathway set to ${then.setPathway}${was !== undefined && was !== then.setPathway ? ` (was ${was})` : ''}`,
    );
    view.pathway = then.setPathway;
    view.pathwayKey = then.setPathway.toLowerCase();
  }
  if (then.slaClass !== undefined) {
    lines.push(`SLA class set to ${then.slaClass}`);
    view.slaClass = then.slaClass;
  }
  return lines;
}

/** Rule's (or a modify rule's) class, else the pathway's, else the partner contract's, else the priority's. */
function slaClassFor(compiled: CompiledRouting, view: CaseView): string {
  if (view.slaClass !== undefined) return view.slaClass;
  const byPathway = view.pathwayKey !== undefined ? compiled.slaByPathway.get(view.pathwayKey) : undefined;
  if (byPathway !== undefined) return byPathway;
  const partnerId = view.site?.partnerId;
  const contract = partnerId !== undefined ? compiled.partners.get(partnerId)?.slaClass : undefined;
  if (contract !== undefined) return contract;
  return compiled.config.sla.byPriority[view.priority];
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** '2 off shift, 1 without a licence for US-TX': excluded candidates counted by reason, most common first. */
function exclusionCounts(evaluation: TargetEvaluation): string {
  const counts = new Map<string, number>();
  for (const tag of evaluation.tags.values()) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([tag, n]) => `${n} ${tag}`)
    .join(', ');
}

function namesOf(compiled: CompiledRouting, ids: readonly string[], max = 3): string {
  const names = ids.slice(0, max).map((id) => compiled.readers.get(id)?.reader.name ?? id);
  return ids.length > max ? `${names.join(', ')} and ${ids.length - max} more` : names.join(', ');
}

function unroutableSummary(attempts: Attempt[]): string {
  if (attempts.length === 0) return 'No eligible reader: no enabled route rule to try';
  // With many rules, the ones that matched but found nobody explain more than the ones that did not match.
  const keep = new Set<Attempt>();
  for (const a of attempts) if (a.matched && keep.size < MATCHED_ATTEMPTS_NAMED) keep.add(a);
  for (const a of attempts) if (!a.matched && keep.size < ATTEMPTS_NAMED) keep.add(a);
  const named = attempts.filter((a) => keep.has(a)).map((a) => a.text);
  const rest = attempts.length - named.length;
  return `No eligible reader: ${named.join('; ')}${rest > 0 ? `; and ${plural(rest, 'more route rule')} did not route` : ''}`;
}

/**
 * Routes one case: runs the enabled rules in order and returns the decision with its full explanation.
 *
 * Modify rules that match adjust priority, pathway or SLA class, and later rules see the adjusted case. The
 * first route rule that matches and has at least one eligible reader decides: 'pooled' for strategy pool,
 * otherwise 'assigned' to the reader its strategy picks. A route rule that matches but finds nobody eligible
 * is recorded (with `eligibleCount: 0` and its candidates' reasons) and evaluation goes on, which is how
 * "local first, then the hub" and broadening are written. When no rule routes, the outcome is 'unroutable'
 * with the candidates of the last route rule tried and a summary of why each route rule failed.
 *
 * The route rule's own actions (priority, pathway, SLA class) take effect for its own target and the
 * decision only if that rule decides.
 */
export function routeCase(input: RouteCaseInput): RoutingDecision {
  const { compiled, load, now } = input;
  const snapshot = onShiftAt(compiled, now);
  const view = caseView(compiled, input.case, load, now);
  const rules: RuleTrace[] = [];
  const attempts: Attempt[] = [];
  let lastTried: TargetEvaluation | undefined;

  for (const rule of compiled.rules) {
    if (!rule.enabled) continue;
    const result = matchConditions(compiled, rule, view, snapshot);
    const trace: RuleTrace = {
      ruleId: rule.rule.id,
      name: rule.rule.name,
      matched: result.matched,
      why: result.why,
    };
    rules.push(trace);
    if (!result.matched) {
      if (rule.kind === 'route') {
        attempts.push({
          matched: false,
          text: `rule "${rule.rule.name}" did not match (${result.why.at(-1)})`,
        });
      }
      continue;
    }
    if (rule.kind === 'modify') {
      trace.why.push(...applyActions(rule, view));
      continue;
    }

    const before = {
      priority: view.priority,
      pathway: view.pathway,
      pathwayKey: view.pathwayKey,
      sla: view.slaClass,
    };
    const changes = applyActions(rule, view);
    const evaluation = evaluateTarget(compiled, rule, view, snapshot, load);
    const eligibleIds = evaluation.eligible.map((e) => e.id);
    trace.eligibleCount = eligibleIds.length;
    trace.why.push(
      `target: ${evaluation.target}; ${plural(evaluation.candidates.length, 'candidate')}, ${eligibleIds.length} eligible`,
    );
    if (eligibleIds.length === 0) {
      view.priority = before.priority;
      view.pathway = before.pathway;
      view.pathwayKey = before.pathwayKey;
      view.slaClass = before.sla;
      lastTried = evaluation;
      const text =
        evaluation.candidates.length === 0
          ? `rule "${rule.rule.name}" had no candidates (${evaluation.noCandidates ?? 'none'})`
          : `rule "${rule.rule.name}" had ${plural(evaluation.candidates.length, 'candidate')} (${exclusionCounts(evaluation)})`;
      attempts.push({ matched: true, text });
      continue;
    }
    trace.why.push(...changes);

    const decision: RoutingDecision = {
      caseId: input.case.id,
      at: now,
      outcome: rule.strategy === 'pool' ? 'pooled' : 'assigned',
      ruleId: rule.rule.id,
      priority: view.priority,
      slaClass: slaClassFor(compiled, view),
      eligibleReaderIds: eligibleIds,
      rules,
      candidates: evaluation.candidates,
      summary: '',
    };
    if (view.pathway !== undefined) decision.pathway = view.pathway;
    if (rule.strategy === 'pool') {
      decision.summary = `Pooled for ${plural(eligibleIds.length, 'eligible reader')} (${namesOf(compiled, eligibleIds)}) by rule "${rule.rule.name}"`;
    } else {
      const choice = chooseAssignee(compiled, rule, evaluation.eligible, load);
      decision.assigneeId = choice.readerId;
      const name = compiled.readers.get(choice.readerId)?.reader.name ?? choice.readerId;
      decision.summary = `Assigned to ${name} by rule "${rule.rule.name}" (${choice.how})`;
    }
    return decision;
  }

  const decision: RoutingDecision = {
    caseId: input.case.id,
    at: now,
    outcome: 'unroutable',
    priority: view.priority,
    slaClass: slaClassFor(compiled, view),
    eligibleReaderIds: [],
    rules,
    candidates: lastTried?.candidates ?? [],
    summary: unroutableSummary(attempts),
  };
  if (view.pathway !== undefined) decision.pathway = view.pathway;
  return decision;
}
