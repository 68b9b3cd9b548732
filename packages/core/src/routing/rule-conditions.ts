import { type CaseView, coverageOf } from './case-view.ts';
import type { CompiledRouting, CompiledRule, MatchList, OnShiftSnapshot } from './compiled-routing.ts';

/**
 * Evaluates a rule's `when` against a case and says why, in the words a coordinator reads in the decision:
 * one line per condition that held, then the one that failed. Conditions run cheapest first and stop at the
 * first failure, since with a thousand rules most fail on their first condition (usually the site).
 */

export interface ConditionResult {
  matched: boolean;
  why: string[];
}

function minutes(value: number): string {
  return `${Number.isInteger(value) ? value : Math.floor(value * 10) / 10} min`;
}

/** 'CT' or 'PT/CT': the case's own spelling, for explanations. */
function shown(values: readonly string[]): string {
  return values.join('/');
}

function firstIn(
  list: MatchList,
  lowered: readonly string[],
  original: readonly string[],
): string | undefined {
  for (let i = 0; i < lowered.length; i++) if (list.set.has(lowered[i]!)) return original[i];
  return undefined;
}

/**
 * Whether `rule` matches the case as it stands (after earlier modify rules), and why. `snapshot` is needed
 * only for `uncovered`.
 */
export function matchConditions(
  compiled: CompiledRouting,
  rule: CompiledRule,
  view: CaseView,
  snapshot: OnShiftSnapshot,
): ConditionResult {
  const w = rule.when;
  const c = view.source;
  const why: string[] = [];
  const fail = (line: string): ConditionResult => {
    why.push(line);
    return { matched: false, why };
  };

  if (w.siteIds) {
    if (!w.siteIds.set.has(c.siteId.toLowerCase())) return fail(`site ${c.siteId} not in ${w.siteIds.text}`);
    why.push(`site ${c.siteId} in ${w.siteIds.text}`);
  }
  if (w.siteKinds) {
    if (!view.site)
      return fail(`site ${c.siteId} is not in the routing config (needs kind ${w.siteKinds.text})`);
    if (!w.siteKinds.set.has(view.site.kind))
      return fail(`site kind ${view.site.kind} not in ${w.siteKinds.text}`);
    why.push(`site kind ${view.site.kind} in ${w.siteKinds.text}`);
  }
  if (w.partnerIds) {
    const partnerId = view.site?.partnerId;
    if (partnerId === undefined)
      return fail(`site ${c.siteId} has no partner (needs one of ${w.partnerIds.text})`);
    if (!w.partnerIds.set.has(partnerId.toLowerCase()))
      return fail(`partner ${partnerId} not in ${w.partnerIds.text}`);
    const name = compiled.partners.get(partnerId)?.name;
    why.push(`partner ${partnerId}${name ? ` (${name})` : ''} in ${w.partnerIds.text}`);
  }
  if (w.modalities) {
    const hit = firstIn(w.modalities, view.modalities, c.modalities);
    if (hit === undefined) {
      if (c.modalities.length === 0)
        return fail(`no modality on the case (needs one of ${w.modalities.text})`);
      return fail(`modality ${shown(c.modalities)} not in ${w.modalities.text}`);
    }
    why.push(`modality ${hit} in ${w.modalities.text}`);
  }
  if (w.bodyParts) {
    const hit = firstIn(w.bodyParts, view.bodyParts, c.bodyParts);
    if (hit === undefined) {
      if (c.bodyParts.length === 0)
        return fail(`no body part on the case (needs one of ${w.bodyParts.text})`);
      return fail(`body part ${shown(c.bodyParts)} not in ${w.bodyParts.text}`);
    }
    why.push(`body part ${hit} in ${w.bodyParts.text}`);
  }
  if (w.procedures) {
    const procedure = view.procedure;
    if (procedure === undefined) return fail(`no procedure on the case (needs one of ${w.procedures.text})`);
    const i = w.procedures.needles.findIndex((needle) => procedure.includes(needle));
    if (i < 0) return fail(`procedure ${JSON.stringify(c.procedure)} contains none of ${w.procedures.text}`);
    why.push(
      `procedure ${JSON.stringify(c.procedure)} contains ${JSON.stringify(rule.rule.when.procedures![i])}`,
    );
  }
  if (w.priorities) {
    if (!w.priorities.set.has(view.priority))
      return fail(`priority ${view.priority} not in ${w.priorities.text}`);
    why.push(`priority ${view.priority} in ${w.priorities.text}`);
  }
  if (w.pathways) {
    if (view.pathwayKey === undefined) return fail(`no pathway (needs one of ${w.pathways.text})`);
    if (!w.pathways.set.has(view.pathwayKey))
      return fail(`pathway ${view.pathway} not in ${w.pathways.text}`);
    why.push(`pathway ${view.pathway} in ${w.pathways.text}`);
  }
  if (w.aiFlags) {
    const hit = firstIn(w.aiFlags, view.aiFlags, c.aiFlags);
    if (hit === undefined) {
      const has = c.aiFlags.length === 0 ? 'case has none' : `case has ${c.aiFlags.join(', ')}`;
      return fail(`no AI flag in ${w.aiFlags.text} (${has})`);
    }
    why.push(`AI flag ${hit} in ${w.aiFlags.text}`);
  }
  if (w.studyAgeMinutes) {
    const { min, max } = w.studyAgeMinutes;
    const age = view.ageMinutes;
    if (min !== undefined) {
      if (age < min) return fail(`study age ${minutes(age)} < ${minutes(min)}`);
      why.push(`study age ${minutes(age)} >= ${minutes(min)}`);
    }
    if (max !== undefined) {
      if (age > max) return fail(`study age ${minutes(age)} > ${minutes(max)}`);
      why.push(`study age ${minutes(age)} <= ${minutes(max)}`);
    }
  }
  if (w.siteQueueDepthAtLeast !== undefined) {
    const depth = view.queueDepth;
    const line = `${depth} case${depth === 1 ? '' : 's'} waiting at site ${c.siteId}`;
    if (depth < w.siteQueueDepthAtLeast) return fail(`${line} < ${w.siteQueueDepthAtLeast}`);
    why.push(`${line} >= ${w.siteQueueDepthAtLeast}`);
  }
  if (w.uncovered !== undefined) {
    const coverage = coverageOf(view, snapshot);
    const covered = coverage.readerIds.size > 0;
    const coveredLine = () => {
      const n = coverage.readerIds.size;
      const names = coverage.shiftNames.slice(0, 3).join(', ');
      const more = coverage.shiftNames.length > 3 ? ` and ${coverage.shiftNames.length - 3} more` : '';
      return `covered: ${n} reader${n === 1 ? '' : 's'} on shifts covering the case (${names}${more})`;
    };
    const uncoveredLine = 'uncovered: no reader is on a shift covering the case';
    if (w.uncovered === covered) return fail(covered ? coveredLine() : uncoveredLine);
    why.push(covered ? coveredLine() : uncoveredLine);
  }
  if (why.length === 0) why.push('no conditions: matches every case');
  return { matched: true, why };
}
