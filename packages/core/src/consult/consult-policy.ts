import type { Priority } from '../routing/model.ts';

/**
 * How long a consult may wait for its answer, per urgency, and what happens on the way. Expiry at the target
 * itself is always there (a requested consult goes to the next eligible reader; the requester and the
 * coordinators are told); the escalation steps add reminders and notices before or after it.
 */

export const ConsultEscalationAction = {
  /** Remind the consultant (a notification). */
  Remind: 'remind',
  /** Tell the coordinators. */
  NotifyCoordinators: 'notify-coordinators',
} as const;
export type ConsultEscalationAction = (typeof ConsultEscalationAction)[keyof typeof ConsultEscalationAction];

export interface ConsultPolicy {
  /** Minutes from request to answer, per urgency. */
  targetMinutes: Record<Priority, number>;
  /** Steps at fractions of the target (0.5 = half the time used). */
  escalation: { atFraction: number; action: ConsultEscalationAction }[];
}

export const defaultConsultPolicy: ConsultPolicy = {
  targetMinutes: { stat: 30, urgent: 120, routine: 1440 },
  escalation: [
    { atFraction: 0.5, action: 'remind' },
    { atFraction: 1.5, action: 'notify-coordinators' },
  ],
};

/** One stored deadline of a consult. `stepIndex` -1 is the expiry at the target. */
export interface ConsultTimer {
  dueAt: number;
  stepIndex: number;
  action: ConsultEscalationAction | 'expire';
}

/** The consult's deadlines, from the moment it was asked. */
export function consultTimers(policy: ConsultPolicy, urgency: Priority, requestedAt: number): ConsultTimer[] {
  const targetMs = policy.targetMinutes[urgency] * 60_000;
  const out: ConsultTimer[] = [{ dueAt: requestedAt + targetMs, stepIndex: -1, action: 'expire' }];
  policy.escalation.forEach((step, i) => {
    out.push({
      dueAt: requestedAt + Math.round(targetMs * step.atFraction),
      stepIndex: i,
      action: step.action,
    });
  });
  return out.sort((a, b) => a.dueAt - b.dueAt || a.stepIndex - b.stepIndex);
}

/** When the consult's answer is due. */
export function consultDueAt(policy: ConsultPolicy, urgency: Priority, requestedAt: number): number {
  return requestedAt + policy.targetMinutes[urgency] * 60_000;
}

/**
 * Checks a consult policy from a config file: every problem with its path. Absent means the defaults;
 * a partial `targetMinutes` keeps the defaults for the urgencies it leaves out.
 */
export function validateConsultPolicy(
  raw: unknown,
): { ok: true; policy: ConsultPolicy } | { ok: false; errors: { path: string; message: string }[] } {
  if (raw === undefined) return { ok: true, policy: defaultConsultPolicy };
  const errors: { path: string; message: string }[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, errors: [{ path: 'consults', message: 'expected an object' }] };
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o))
    if (key !== 'targetMinutes' && key !== 'escalation')
      errors.push({ path: `consults.${key}`, message: 'unknown key; expected targetMinutes or escalation' });
  const targetMinutes = { ...defaultConsultPolicy.targetMinutes };
  if (o.targetMinutes !== undefined) {
    if (typeof o.targetMinutes !== 'object' || o.targetMinutes === null)
      errors.push({
        path: 'consults.targetMinutes',
        message: 'expected { "stat": 30, "urgent": 120, "routine": 1440 }',
      });
    else
      for (const [k, v] of Object.entries(o.targetMinutes as Record<string, unknown>)) {
        if (k !== 'stat' && k !== 'urgent' && k !== 'routine') {
          errors.push({
            path: `consults.targetMinutes.${k}`,
            message: 'must be one of stat, urgent, routine',
          });
          continue;
        }
        if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
          errors.push({
            path: `consults.targetMinutes.${k}`,
            message: 'expected a number of minutes above 0',
          });
        else targetMinutes[k] = v;
      }
  }
  let escalation = defaultConsultPolicy.escalation;
  if (o.escalation !== undefined) {
    if (!Array.isArray(o.escalation)) {
      errors.push({ path: 'consults.escalation', message: 'expected a list of { "atFraction", "action" }' });
    } else {
      const actions: string[] = Object.values(ConsultEscalationAction);
      escalation = [];
      o.escalation.forEach((step: unknown, i) => {
        const s = (step ?? {}) as Record<string, unknown>;
        const path = `consults.escalation[${i}]`;
        if (typeof s.atFraction !== 'number' || !(s.atFraction > 0) || s.atFraction > 10)
          errors.push({ path: `${path}.atFraction`, message: 'expected a number above 0 and at most 10' });
        else if (typeof s.action !== 'string' || !actions.includes(s.action))
          errors.push({ path: `${path}.action`, message: `must be one of ${actions.join(', ')}` });
        else escalation.push({ atFraction: s.atFraction, action: s.action as ConsultEscalationAction });
      });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, policy: { targetMinutes, escalation } };
}
