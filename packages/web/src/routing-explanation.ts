// A routing decision arranged for a coordinator asking "why did this case go there?": the rules in the
// order they were evaluated with the deciding one marked, the readers who could take it (the chosen one
// first), and those who could not, grouped by the eligibility stage where they dropped out.

import type { CandidateVerdict, RoutingDecision, RuleTrace } from './worklist-model.ts';

/** Eligibility stages in the order the engine applies them. */
export const eligibilityStages = ['shift', 'roster', 'competency', 'credentials', 'capacity'] as const;

export const stageLabels: Record<string, string> = {
  shift: 'Not on a covering shift',
  roster: 'Not rostered',
  competency: 'Not qualified (modality or subspecialty)',
  credentials: 'No valid licence or privileges',
  capacity: 'At capacity',
};

export const outcomeLabels: Record<string, string> = {
  assigned: 'Assigned to a reader',
  pooled: 'On the shared worklist of eligible readers',
  unroutable: 'Unroutable: no eligible reader',
};

export interface ExplainedRule extends RuleTrace {
  /** The rule that routed the case. */
  deciding: boolean;
  /** Evaluated after the deciding rule: shown, but did not matter. */
  afterDecision: boolean;
}

export interface ExplainedCandidate {
  readerId: string;
  name: string;
  chosen: boolean;
  loadRatio: number | null;
}

export interface ExcludedGroup {
  stage: string;
  label: string;
  readers: { readerId: string; name: string; reason: string }[];
}

export interface Explanation {
  summary: string;
  outcome: string;
  outcomeLabel: string;
  rules: ExplainedRule[];
  /** Eligible readers: the chosen one first, then by load (least loaded first). */
  eligible: ExplainedCandidate[];
  /** Readers who could not take the case, grouped by stage in evaluation order. */
  excluded: ExcludedGroup[];
  matchedCount: number;
}

/** Arranges a decision for display; `nameOf` turns reader ids into names. */
export function explainDecision(decision: RoutingDecision, nameOf: (id: string) => string): Explanation {
  const decidingIndex = decision.ruleId ? decision.rules.findIndex((r) => r.ruleId === decision.ruleId) : -1;
  const rules = decision.rules.map((rule, index) => ({
    ...rule,
    why: Array.isArray(rule.why) ? rule.why : [],
    deciding: index === decidingIndex,
    afterDecision: decidingIndex >= 0 && index > decidingIndex,
  }));

  const eligibleVerdicts = decision.candidates.filter((c) => c.eligible);
  const eligible: ExplainedCandidate[] = eligibleVerdicts
    .map((c) => ({
      readerId: c.readerId,
      name: nameOf(c.readerId),
      chosen: c.readerId === decision.assigneeId,
      loadRatio: typeof c.loadRatio === 'number' ? c.loadRatio : null,
    }))
    .sort((a, b) => {
      if (a.chosen !== b.chosen) return a.chosen ? -1 : 1;
      const x = a.loadRatio ?? Number.POSITIVE_INFINITY;
      const y = b.loadRatio ?? Number.POSITIVE_INFINITY;
      return x === y ? a.name.localeCompare(b.name) : x - y;
    });

  const groups = new Map<string, ExcludedGroup>();
  for (const c of decision.candidates.filter((v: CandidateVerdict) => !v.eligible)) {
    const stage = c.excludedAt ?? 'other';
    let group = groups.get(stage);
    if (!group) {
      group = { stage, label: stageLabels[stage] ?? stage, readers: [] };
      groups.set(stage, group);
    }
    group.readers.push({ readerId: c.readerId, name: nameOf(c.readerId), reason: c.reason ?? '' });
  }
  const stageOrder = (stage: string) => {
    const i = (eligibilityStages as readonly string[]).indexOf(stage);
    return i < 0 ? eligibilityStages.length : i;
  };
  const excluded = [...groups.values()].sort((a, b) => stageOrder(a.stage) - stageOrder(b.stage));

  return {
    summary: decision.summary,
    outcome: decision.outcome,
    outcomeLabel: outcomeLabels[decision.outcome] ?? decision.outcome,
    rules,
    eligible,
    excluded,
    matchedCount: rules.filter((r) => r.matched).length,
  };
}
