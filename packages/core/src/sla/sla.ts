import type {
  EscalationAction,
  EscalationStep,
  Milestone,
  Priority,
  SlaClass,
  SlaPolicy,
} from '../routing/model.ts';

/**
 * Service-level targets for a case's handoff spans (available -> final, ...) and the escalation ladder
 * that fires as each span's time runs out. Everything here is a function of the class, the case's
 * milestones and `now`, so the server, the worklist and the simulator all agree on what is due when.
 */

export const SlaSpanState = {
  /** The span's start milestone has not been reached: no clock runs yet. */
  NotStarted: 'not-started',
  Running: 'running',
  /** Running, and past the first escalation step. */
  AtRisk: 'at-risk',
  /** Running, and past the target. */
  Breached: 'breached',
  /** Completed at or before the target. */
  Met: 'met',
  /** Completed after the target. */
  Missed: 'missed',
} as const;
export type SlaSpanState = (typeof SlaSpanState)[keyof typeof SlaSpanState];

/** Where one span of a case stands against its target. */
export interface SpanStatus {
  from: Milestone;
  to: Milestone;
  targetMinutes: number;
  startedAt?: number;
  dueAt?: number;
  completedAt?: number;
  state: SlaSpanState;
  /** For a span still running: time left until `dueAt`, negative once breached. */
  remainingMs?: number;
  /** For a span still running: the next escalation step that has not fired yet. */
  nextStep?: EscalationStep;
}

/** A stored escalation deadline: the server keeps these so they survive restarts, and fires the due ones. */
export interface SlaTimer {
  /** The span, as `from->to`, e.g. 'available->final'. */
  span: string;
  /** Index into the class's `escalation` list; -1 is the breach itself. */
  stepIndex: number;
  /** The step's action; absent for the breach. */
  action?: EscalationAction;
  dueAt: number;
}

/** The worklist badge: the worst of a case's spans. */
export type SlaBadge = 'ok' | 'at-risk' | 'breached';

type Milestones = Partial<Record<Milestone, number>>;
type Target = SlaClass['targets'][number];

const MINUTE_MS = 60_000;

/** The span's name as timers and the API spell it. */
export function slaSpanId(from: Milestone, to: Milestone): string {
  return `${from}->${to}`;
}

/**
 * The SLA class that applies to a case: a routing rule's class beats the pathway's, which beats the
 * contract's (the partner's), which beats the priority's default.
 *
 * @throws Error when the chosen id names no class; config validation is meant to rule that out, so
 * reaching it is a bug worth stopping for rather than a silent fallback to a laxer target.
 */
export function resolveSlaClass(
  policy: SlaPolicy,
  key: { priority: Priority; pathway?: string; ruleSlaClass?: string; contractSlaClass?: string },
): SlaClass {
  const byPathway = key.pathway === undefined ? undefined : policy.byPathway?.[key.pathway];
  const [id, source] =
    key.ruleSlaClass !== undefined
      ? [key.ruleSlaClass, 'the routing rule']
      : byPathway !== undefined
        ? [byPathway, `sla.byPathway.${key.pathway}`]
        : key.contractSlaClass !== undefined
          ? [key.contractSlaClass, 'the partner contract']
          : [policy.byPriority[key.priority], `sla.byPriority.${key.priority}`];
  const cls = policy.classes.find((c) => c.id === id);
  if (cls === undefined) {
    throw new Error(
      `SLA class '${id}' (from ${source}) is not defined; add it to sla.classes or correct ${source}`,
    );
  }
  return cls;
}

/**
 * When each step fires, rounded to whole milliseconds so that status, timers and stored rows agree to
 * the millisecond whatever the fraction.
 */
function stepDueAt(startedAt: number, targetMs: number, step: EscalationStep): number {
  return startedAt + Math.round(targetMs * step.atFraction);
}

/** The ladder in firing order, keeping each step's index in the class for timers. */
function ladder(cls: SlaClass): { step: EscalationStep; index: number }[] {
  return cls.escalation
    .map((step, index) => ({ step, index }))
    .sort((a, b) => a.step.atFraction - b.step.atFraction || a.index - b.index);
}

function spanStatus(cls: SlaClass, t: Target, milestones: Milestones, now: number): SpanStatus {
  const base = { from: t.from, to: t.to, targetMinutes: t.minutes };
  const startedAt = milestones[t.from];
  const completedAt = milestones[t.to];
  if (startedAt === undefined) {
    return {
      ...base,
      ...(completedAt === undefined ? {} : { completedAt }),
      state: SlaSpanState.NotStarted,
    };
  }
  const targetMs = t.minutes * MINUTE_MS;
  const dueAt = startedAt + targetMs;
  if (completedAt !== undefined) {
    return {
      ...base,
      startedAt,
      dueAt,
      completedAt,
      state: completedAt <= dueAt ? SlaSpanState.Met : SlaSpanState.Missed,
    };
  }
  const steps = ladder(cls);
  // A step or the breach counts from the instant its timer fires, so status and timers never disagree.
  const first = steps[0];
  const atRisk = first !== undefined && now >= stepDueAt(startedAt, targetMs, first.step);
  const next = steps.find((s) => stepDueAt(startedAt, targetMs, s.step) > now);
  return {
    ...base,
    startedAt,
    dueAt,
    state: now >= dueAt ? SlaSpanState.Breached : atRisk ? SlaSpanState.AtRisk : SlaSpanState.Running,
    remainingMs: dueAt - now,
    ...(next === undefined ? {} : { nextStep: next.step }),
  };
}

/**
 * Where each of the class's spans stands at `now`, in the class's order. A span runs from the moment its
 * `from` milestone is reached; it is at risk from the first escalation step, breached from its target
 * (both inclusive, matching the instant their timers fire), and met when completed at or before it.
 */
export function slaStatus(cls: SlaClass, milestones: Milestones, now: number): SpanStatus[] {
  return cls.targets.map((t) => spanStatus(cls, t, milestones, now));
}

/**
 * The escalation timers a case needs now: for every span that has started and not completed, one per
 * escalation step plus one for the breach. Past-due timers are included so that a server that was down
 * fires them on start. Sorted by `dueAt`, then by the span's place in the class, then the breach before
 * a step due at the same instant, so that the same case always yields the same list.
 */
export function slaTimers(cls: SlaClass, milestones: Milestones): SlaTimer[] {
  const timers: (SlaTimer & { order: number })[] = [];
  cls.targets.forEach((t, order) => {
    const startedAt = milestones[t.from];
    if (startedAt === undefined || milestones[t.to] !== undefined) return;
    const span = slaSpanId(t.from, t.to);
    const targetMs = t.minutes * MINUTE_MS;
    timers.push({ span, stepIndex: -1, dueAt: startedAt + targetMs, order });
    cls.escalation.forEach((step, stepIndex) => {
      timers.push({
        span,
        stepIndex,
        action: step.action,
        dueAt: stepDueAt(startedAt, targetMs, step),
        order,
      });
    });
  });
  return timers
    .sort((a, b) => a.dueAt - b.dueAt || a.order - b.order || a.stepIndex - b.stepIndex)
    .map(({ order: _, ...timer }) => timer);
}

/**
 * The badge for a worklist row. A missed span counts as breached: the case broke its SLA even if the
 * span that did so has since closed.
 */
export function worstSlaState(statuses: readonly SpanStatus[]): SlaBadge {
  if (statuses.some((s) => s.state === SlaSpanState.Breached || s.state === SlaSpanState.Missed)) {
    return 'breached';
  }
  return statuses.some((s) => s.state === SlaSpanState.AtRisk) ? 'at-risk' : 'ok';
}
