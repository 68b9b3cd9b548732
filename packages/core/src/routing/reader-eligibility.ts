import { formatCalendarDate } from './calendar-date.ts';
import { type CaseView, coversCase } from './case-view.ts';
import {
  type CompiledReader,
  type CompiledRosterEntry,
  type CompiledRouting,
  type CompiledRule,
  type CompiledShift,
  type DatedSpan,
  type OnShiftSnapshot,
  spanCoversDay,
} from './compiled-routing.ts';
import type { CandidateVerdict, EligibilityStage, RoutingLoad } from './model.ts';

/**
 * Who a route rule's target could send the case to, and who of them may take it now. Every candidate runs
 * the same stages in the same order (shift, roster, competency, credentials, capacity) and stops at the
 * first it fails, so each verdict names one stage and one reason a coordinator can act on.
 */

/** An eligible reader with the load figures the strategies compare. */
export interface EligibleReader {
  id: string;
  reader: CompiledReader;
  cases: number;
  weight: number;
  lastAssignedAt: number | undefined;
  loadRatio: number;
}

export interface TargetEvaluation {
  /** In reader id order. */
  candidates: CandidateVerdict[];
  eligible: EligibleReader[];
  /** Per excluded reader: a short tag for counting in summaries, e.g. 'off shift', 'without a licence for US-TX'. */
  tags: Map<string, string>;
  /** What the target is, e.g. 'readers on shifts covering the case at site S1'. */
  target: string;
  /** Why there are no candidates at all, when there are none. */
  noCandidates?: string;
}

/** Which shifts count for the shift and roster stages: some, any, or none (the stages are skipped). */
type Relevant = { kind: 'some'; shiftIds: Set<string> } | { kind: 'any' } | { kind: 'skip' };

function isRelevant(relevant: Relevant, shiftId: string): boolean {
  return relevant.kind === 'any' || (relevant.kind === 'some' && relevant.shiftIds.has(shiftId));
}

function readersOf(entries: Iterable<CompiledRosterEntry[] | undefined>): Set<string> {
  const ids = new Set<string>();
  for (const list of entries) for (const e of list ?? []) ids.add(e.readerId);
  return ids;
}

/** Shifts whose covers take the case at `siteId` (null: any site). */
function coveringShifts(
  compiled: CompiledRouting,
  rule: CompiledRule,
  view: CaseView,
  siteId: string | null,
): Set<string> {
  const ids = new Set<string>();
  const consider = (shifts: readonly CompiledShift[]) => {
    for (const s of shifts) {
      if (coversCase(s.covers, view, siteId, rule.requireSubspecialties)) ids.add(s.shift.id);
    }
  };
  if (siteId === null) consider(compiled.shiftList);
  else {
    // Only shifts that list the site or list none can cover it: an index spares scanning every shift.
    consider(compiled.shiftsBySite.get(siteId.toLowerCase()) ?? []);
    consider(compiled.shiftsForAnySite);
  }
  return ids;
}

function nameOf(compiled: CompiledRouting, readerId: string): string {
  return compiled.readers.get(readerId)?.reader.name ?? readerId;
}

function siteLabel(compiled: CompiledRouting, siteId: string): string {
  const site = compiled.sites.get(siteId);
  return site ? `${site.name} (${site.id})` : siteId;
}

/** Why a set of dated credentials fails on `day`, or undefined when one of them is valid. */
function credentialProblem(spans: DatedSpan[] | undefined, day: number, what: string): string | undefined {
  const date = formatCalendarDate(day);
  if (!spans || spans.length === 0) return `no ${what} valid on ${date}`;
  if (spans.some((s) => spanCoversDay(s, day))) return undefined;
  const expired = spans.filter((s) => s.toDay < day).sort((a, b) => b.toDay - a.toDay)[0];
  const future = spans.filter((s) => s.fromDay > day).sort((a, b) => a.fromDay - b.fromDay)[0];
  const parts: string[] = [];
  if (expired) parts.push(`${what} expired ${expired.to}`);
  if (future) parts.push(`${expired ? 'the next is' : `${what} is`} valid only from ${future.from}`);
  return parts.length > 0 ? parts.join('; ') : `no ${what} valid on ${date}`;
}

/**
 * Computes the candidates of a route rule's target for the case and runs the eligibility stages on each.
 */
export function evaluateTarget(
  compiled: CompiledRouting,
  rule: CompiledRule,
  view: CaseView,
  snapshot: OnShiftSnapshot,
  load: RoutingLoad,
): TargetEvaluation {
  const target = rule.target;
  let candidateIds: Set<string>;
  let relevant: Relevant;
  let described: string;
  let noCandidates: string | undefined;
  switch (target.kind) {
    case 'covering-shifts': {
      const anySite = target.scope === 'any';
      const shiftIds = coveringShifts(compiled, rule, view, anySite ? null : view.source.siteId);
      relevant = { kind: 'some', shiftIds };
      candidateIds = readersOf([...shiftIds].map((id) => snapshot.nearbyByShift.get(id)));
      described = anySite
        ? 'readers on shifts covering the case at any site'
        : `readers on shifts covering the case at site ${view.source.siteId}`;
      if (shiftIds.size === 0) noCandidates = 'no shift covers the case';
      break;
    }
    case 'hub': {
      const hubId = view.site?.hubId;
      described = hubId
        ? `readers on shifts covering hub ${siteLabel(compiled, hubId)}`
        : 'the hub of the site';
      if (!hubId) {
        relevant = { kind: 'skip' };
        candidateIds = new Set();
        noCandidates = `site ${view.source.siteId} has no hub`;
        break;
      }
      const shiftIds = coveringShifts(compiled, rule, view, hubId);
      relevant = { kind: 'some', shiftIds };
      candidateIds = readersOf([...shiftIds].map((id) => snapshot.nearbyByShift.get(id)));
      if (shiftIds.size === 0) noCandidates = `no shift covers the case at hub ${hubId}`;
      break;
    }
    case 'shift': {
      const shift = compiled.shifts.get(target.shiftId);
      relevant = { kind: 'some', shiftIds: new Set([target.shiftId]) };
      candidateIds = readersOf([snapshot.nearbyByShift.get(target.shiftId)]);
      described = `readers on shift ${shift ? shift.label : target.shiftId}`;
      break;
    }
    case 'pool': {
      const pool = compiled.pools.get(target.poolId);
      candidateIds = new Set(pool?.readerIds ?? []);
      relevant = target.onShift === false ? { kind: 'skip' } : { kind: 'any' };
      described = `pool ${pool ? pool.name : target.poolId}${target.onShift === false ? '' : ', on shift now'}`;
      break;
    }
    case 'reader': {
      candidateIds = new Set([target.readerId]);
      relevant = target.onShift === true ? { kind: 'any' } : { kind: 'skip' };
      described = `reader ${nameOf(compiled, target.readerId)}${target.onShift === true ? ', on shift now' : ''}`;
      break;
    }
    case 'anyone-on-shift': {
      candidateIds = new Set(snapshot.shiftsByReader.keys());
      relevant = { kind: 'any' };
      described = 'anyone on shift now, anywhere';
      break;
    }
    default: {
      // Only an unvalidated config gets here; route nowhere rather than throw mid-decision.
      candidateIds = new Set();
      relevant = { kind: 'skip' };
      described = `an unknown target kind ${JSON.stringify((target as { kind: unknown }).kind)}`;
    }
  }
  if (candidateIds.size === 0 && noCandidates === undefined) noCandidates = 'nobody is rostered for it';

  const candidates: CandidateVerdict[] = [];
  const eligible: EligibleReader[] = [];
  const tags = new Map<string, string>();
  const ids = [...candidateIds].sort();
  for (const id of ids) {
    const reader = compiled.readers.get(id);
    if (!reader) continue;
    const out = (stage: EligibilityStage, reason: string, tag: string) => {
      candidates.push({ readerId: id, eligible: false, excludedAt: stage, reason });
      tags.set(id, tag);
    };

    // Shift, then roster: a reader whose relevant shifts are all off is "off shift"; one whose shift is on
    // but who is not rostered for today's instance is a roster matter, fixed in a different place.
    if (relevant.kind !== 'skip') {
      const entries = (snapshot.nearbyByReader.get(id) ?? []).filter((e) => isRelevant(relevant, e.shiftId));
      const running = entries.filter((e) => snapshot.byShiftId.has(e.shiftId));
      if (running.length === 0) {
        const labels = [...new Set(entries.map((e) => compiled.shifts.get(e.shiftId)?.label ?? e.shiftId))];
        const reason =
          labels.length === 0
            ? 'off shift: not rostered on any shift now'
            : `off shift: ${labels.slice(0, 2).join(', ')}${labels.length > 2 ? ` and ${labels.length - 2} more` : ''} not on now`;
        out('shift', reason, 'off shift');
        continue;
      }
      if (!running.some((e) => spanCoversDay(e, snapshot.byShiftId.get(e.shiftId)!.dayNumber))) {
        const on = snapshot.byShiftId.get(running[0]!.shiftId)!;
        out(
          'roster',
          `not rostered on ${on.shift.label} for ${formatCalendarDate(on.dayNumber)}`,
          'not rostered for the day',
        );
        continue;
      }
    }
    if (!reader.active) {
      out('roster', 'inactive: kept in the directory but out of routing', 'inactive');
      continue;
    }

    const missing = view.source.modalities.filter((_, i) => !reader.modalities.has(view.modalities[i]!));
    for (const m of rule.rule.then.require?.modalities ?? []) {
      if (!reader.modalities.has(m.toLowerCase()) && !missing.includes(m)) missing.push(m);
    }
    if (missing.length > 0) {
      const reads = reader.reader.modalities.length > 0 ? reader.reader.modalities.join(', ') : 'nothing';
      out(
        'competency',
        `not qualified for ${missing.join('/')} (reads ${reads})`,
        `not qualified for ${missing.join('/')}`,
      );
      continue;
    }
    const needSub = rule.requireSubspecialties;
    if (needSub && ![...needSub.set].some((s) => reader.subspecialties.has(s))) {
      const has = reader.reader.subspecialties.length > 0 ? reader.reader.subspecialties.join(', ') : 'none';
      out(
        'competency',
        `no subspecialty in ${needSub.text} (has ${has})`,
        `without subspecialty ${needSub.text}`,
      );
      continue;
    }

    const site = view.site;
    if (!site || view.siteDay === undefined) {
      out('credentials', `site ${view.source.siteId} is not in the routing config`, 'unknown site');
      continue;
    }
    const licenceProblem = credentialProblem(
      reader.licences.get(site.jurisdiction.toLowerCase()),
      view.siteDay,
      `licence for ${site.jurisdiction}`,
    );
    if (licenceProblem) {
      out('credentials', licenceProblem, `without a licence for ${site.jurisdiction}`);
      continue;
    }
    const privilegeProblem = credentialProblem(
      reader.privileges.get(site.id),
      view.siteDay,
      `privileges at ${site.name} (${site.id})`,
    );
    if (privilegeProblem) {
      out('credentials', privilegeProblem, `without privileges at ${site.name}`);
      continue;
    }

    const l = load.readers[id];
    const cases = l?.cases ?? 0;
    const weight = l?.weight ?? 0;
    const max = reader.reader.maxConcurrent;
    if (cases >= max) {
      out('capacity', `at capacity: ${cases} of ${max} cases`, 'at capacity');
      continue;
    }
    const maxWeight = reader.reader.maxWeight;
    if (maxWeight !== undefined && weight + view.weight > maxWeight) {
      out(
        'capacity',
        `weight limit: ${weight} held + ${view.weight} for this case > ${maxWeight}`,
        'over the weight limit',
      );
      continue;
    }
    const loadRatio = Math.max(cases / max, maxWeight ? weight / maxWeight : 0);
    candidates.push({ readerId: id, eligible: true, loadRatio });
    eligible.push({ id, reader, cases, weight, lastAssignedAt: l?.lastAssignedAt, loadRatio });
  }
  const evaluation: TargetEvaluation = { candidates, eligible, tags, target: described };
  if (noCandidates !== undefined && candidates.length === 0) evaluation.noCandidates = noCandidates;
  return evaluation;
}
