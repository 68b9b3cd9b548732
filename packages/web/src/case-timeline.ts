// A case's timeline for people: every event in words, who did it, and the time since the event before;
// plus the handoff milestones (acquired -> available -> routed -> opened -> preliminary -> final, then
// communicated -> acknowledged for a critical result) with the time each handoff took, which is what
// turnaround is measured by.

import { describeConsultEvent } from './consult-timeline.ts';
import { type Priority, priorityLabels, type TimelineEvent, toEpochMs } from './worklist-model.ts';

export const Milestone = {
  Acquired: 'acquired',
  Available: 'available',
  Routed: 'routed',
  Opened: 'opened',
  Preliminary: 'preliminary',
  Final: 'final',
  Communicated: 'communicated',
  Acknowledged: 'acknowledged',
} as const;
export type Milestone = (typeof Milestone)[keyof typeof Milestone];

export const milestones: readonly Milestone[] = Object.values(Milestone);

export const milestoneLabels: Record<Milestone, string> = {
  acquired: 'Acquired',
  available: 'Available',
  routed: 'Routed',
  opened: 'Opened',
  preliminary: 'Preliminary',
  final: 'Final',
  communicated: 'Communicated',
  acknowledged: 'Acknowledged',
};

/** Reached only by cases with a critical result; left out of the handoffs until reached. */
const criticalMilestones: readonly Milestone[] = [Milestone.Communicated, Milestone.Acknowledged];

/** The event type that first reaches each milestone after `acquired` (which rides on `case:available`). */
const milestoneEvents: Record<string, Milestone> = {
  'case:available': Milestone.Available,
  'case:routed': Milestone.Routed,
  'case:claimed': Milestone.Opened,
  'case:preliminary': Milestone.Preliminary,
  'case:finalized': Milestone.Final,
  'case:critical-communicated': Milestone.Communicated,
  'case:critical-acknowledged': Milestone.Acknowledged,
};

export interface Handoff {
  milestone: Milestone;
  /** Epoch ms when first reached, or null when not yet. */
  atMs: number | null;
  /** Time since the previous milestone that was reached, or null for the first or an unreached one. */
  sincePreviousMs: number | null;
}

/** When each handoff milestone was first reached, and how long each handoff took. */
export function handoffs(events: readonly TimelineEvent[]): Handoff[] {
  const reached = new Map<Milestone, number>();
  for (const event of events) {
    const at = toEpochMs(event.at);
    if (at === null) continue;
    if (event.type === 'case:available') {
      const acquired = toEpochMs(event.detail.acquiredAt);
      if (acquired !== null && !reached.has(Milestone.Acquired)) reached.set(Milestone.Acquired, acquired);
    }
    const milestone = milestoneEvents[event.type];
    if (milestone && !reached.has(milestone)) reached.set(milestone, at);
  }
  let previous: number | null = null;
  return milestones
    .filter((m) => reached.has(m) || !criticalMilestones.includes(m))
    .map((milestone) => {
      const atMs = reached.get(milestone) ?? null;
      const sincePreviousMs = atMs !== null && previous !== null ? atMs - previous : null;
      if (atMs !== null) previous = atMs;
      return { milestone, atMs, sincePreviousMs };
    });
}

export interface TimelineRow {
  /** Stable within one timeline, for React keys. */
  key: string;
  atMs: number | null;
  at: string;
  type: string;
  /** Short name of what happened, e.g. "Claimed". */
  label: string;
  /** The rest in words, e.g. "by Dr Ada Lovelace; lease until 14:07". */
  description: string;
  /** Who acted, as a name when the actor is a known reader. */
  actor: string | null;
  /** Time since the event before, or null for the first. */
  sincePreviousMs: number | null;
  /** The handoff milestone this event first reached, if any. */
  milestone: Milestone | null;
  /** For collapsed runs of lease renewals: how many there were. */
  count: number;
  tone: 'normal' | 'good' | 'warning' | 'danger';
}

/** Looks up a display name for a reader id; returns the id when unknown. */
export type NameOf = (id: string) => string;

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

function reasonSuffix(detail: Record<string, unknown>, key = 'reason'): string {
  const reason = str(detail[key]);
  return reason ? ` — ${reason}` : '';
}

function describe(
  event: TimelineEvent,
  nameOf: NameOf,
): { label: string; description: string; tone: TimelineRow['tone'] } {
  const d = event.detail ?? {};
  const reader = str(d.readerId);
  const who = reader ? nameOf(reader) : null;
  switch (event.type) {
    case 'case:scheduled':
      return { label: 'Scheduled', description: 'Order received; waiting for images', tone: 'normal' };
    case 'case:images-arrived':
      return {
        label: 'Images arriving',
        description: 'The first images reached the archive',
        tone: 'normal',
      };
    case 'case:available':
      return { label: 'Available', description: 'Study complete and ready to read', tone: 'normal' };
    case 'case:routed': {
      const eligible = Array.isArray(d.eligibleReaderIds) ? d.eligibleReaderIds.length : 0;
      const rule = str(d.ruleId);
      return {
        label: 'Routed',
        description: `${eligible === 1 ? '1 eligible reader' : `${eligible} eligible readers`}${rule ? ` by rule ${rule}` : ''}`,
        tone: eligible === 0 ? 'warning' : 'normal',
      };
    }
    case 'case:assigned':
      return { label: 'Assigned', description: who ? `to ${who}` : '', tone: 'normal' };
    case 'case:claimed':
      return { label: 'Claimed', description: who ? `by ${who}` : '', tone: 'normal' };
    case 'case:lease-renewed':
      return { label: 'Lease renewed', description: who ? `by ${who} (still reading)` : '', tone: 'normal' };
    case 'case:released':
      return {
        label: 'Released',
        description: `${who ? `by ${who}` : ''}${reasonSuffix(d)}`,
        tone: 'normal',
      };
    case 'case:lease-expired':
      return {
        label: 'Claim lapsed',
        description: `${who ? `${who}'s` : 'The'} lease ran out without a heartbeat; back on the worklist`,
        tone: 'warning',
      };
    case 'case:reassigned': {
      const from = str(d.fromReaderId);
      const to = str(d.toReaderId);
      const by = str(d.by);
      const target = to ? `to ${nameOf(to)}` : 'back to the shared worklist';
      return {
        label: 'Reassigned',
        description: `${from ? `from ${nameOf(from)} ` : ''}${target}${by ? ` by ${actorLabel(by, nameOf)}` : ''}${reasonSuffix(d)}`,
        tone: 'normal',
      };
    }
    case 'case:preliminary':
      return { label: 'Preliminary', description: who ? `report by ${who}` : '', tone: 'good' };
    case 'case:finalized':
      return { label: 'Final', description: who ? `report signed by ${who}` : '', tone: 'good' };
    case 'case:addended':
      return { label: 'Addendum', description: who ? `by ${who}` : '', tone: 'normal' };
    case 'case:cancelled':
      return {
        label: 'Cancelled',
        description: `${str(d.by) ? `by ${str(d.by)}` : ''}${reasonSuffix(d)}`,
        tone: 'warning',
      };
    case 'case:exception-raised':
      return {
        label: 'Exception',
        description: `sent to ${str(d.queue) ?? 'an exception queue'}${str(d.by) ? ` by ${actorLabel(str(d.by)!, nameOf)}` : ''}${reasonSuffix(d)}`,
        tone: 'danger',
      };
    case 'case:exception-resolved':
      return {
        label: 'Exception resolved',
        description: `${str(d.by) ? `by ${str(d.by)}` : ''}${reasonSuffix(d, 'note')}`,
        tone: 'good',
      };
    case 'case:reprioritised': {
      const priority = str(d.priority);
      const label =
        priority && Object.hasOwn(priorityLabels, priority) ? priorityLabels[priority as Priority] : priority;
      return {
        label: 'Priority changed',
        description: `to ${label ?? '?'}${reasonSuffix(d)}`,
        tone: 'warning',
      };
    }
    case 'case:broadened': {
      const n = Array.isArray(d.readerIds) ? d.readerIds.length : 0;
      return {
        label: 'Broadened',
        description: `opened to ${n} readers on shift${reasonSuffix(d)}`,
        tone: 'warning',
      };
    }
    case 'case:critical-communicated':
    case 'case:critical-acknowledged': {
      const recipient = str(d.recipient);
      const channel = str(d.channel);
      const acknowledged = event.type === 'case:critical-acknowledged';
      return {
        label: acknowledged ? 'Critical result acknowledged' : 'Critical result communicated',
        description: `${acknowledged ? 'by' : 'to'} ${recipient ?? '?'}${channel ? ` (${channelLabel(channel)})` : ''}${str(d.resultId) ? `, ${str(d.resultId)}` : ''}`,
        tone: acknowledged ? 'good' : 'warning',
      };
    }
    case 'board:case-added':
      return {
        label: 'Added to board',
        description: `${str(d.title) ?? 'a board session'}${str(d.question) ? ` — ${str(d.question)}` : ''}`,
        tone: 'normal',
      };
    case 'board:case-removed':
      return { label: 'Removed from board', description: str(d.sessionId) ?? '', tone: 'normal' };
    case 'board:outcome':
      return {
        label: 'Board outcome',
        description: `${str(d.title) ?? 'board'}: ${str(d.category) ?? '?'} — ${str(d.recommendation) ?? ''}`,
        tone: 'good',
      };
    case 'exception:overdue':
      return {
        label: 'Exception overdue',
        description: `waited in ${str(d.queue) ?? 'its queue'} beyond target`,
        tone: 'danger',
      };
    default: {
      const consult = describeConsultEvent(event.type, d);
      if (consult) return consult;
      if (event.type.startsWith('sla:')) {
        const what = event.type.slice(4);
        const span = str(d.span);
        return {
          label: what === 'breached' ? 'SLA breached' : `SLA ${what.replace(/-/g, ' ')}`,
          description: span ? `span ${span}` : '',
          tone: what === 'breached' ? 'danger' : 'warning',
        };
      }
      return { label: event.type, description: '', tone: 'normal' };
    }
  }
}

const channelLabels: Record<string, string> = {
  app: 'in the app',
  webhook: 'webhook',
  email: 'e-mail',
  phone: 'phone read-back',
  link: 'acknowledgement link',
};

function channelLabel(channel: string): string {
  return channelLabels[channel] ?? channel;
}

/**
 * The timeline in order with each event described. Runs of lease renewals (one per heartbeat, every
 * half minute while a reader works) collapse into one row that counts them and keeps the last time.
 */
export function timelineRows(events: readonly TimelineEvent[], nameOf: NameOf): TimelineRow[] {
  const firstMilestone = new Set<Milestone>();
  const rows: TimelineRow[] = [];
  let previousAt: number | null = null;
  events.forEach((event, index) => {
    const atMs = toEpochMs(event.at);
    const last = rows[rows.length - 1];
    if (
      event.type === 'case:lease-renewed' &&
      last?.type === event.type &&
      last.actor === actorName(event, nameOf)
    ) {
      last.count += 1;
      last.at = event.at;
      last.atMs = atMs;
      previousAt = atMs ?? previousAt;
      return;
    }
    let milestone: Milestone | null = milestoneEvents[event.type] ?? null;
    if (milestone !== null) {
      if (firstMilestone.has(milestone)) milestone = null;
      else firstMilestone.add(milestone);
    }
    const { label, description, tone } = describe(event, nameOf);
    rows.push({
      key: `${index}:${event.type}`,
      atMs,
      at: event.at,
      type: event.type,
      label,
      description,
      actor: actorName(event, nameOf),
      sincePreviousMs: atMs !== null && previousAt !== null ? atMs - previousAt : null,
      milestone,
      count: 1,
      tone,
    });
    if (atMs !== null) previousAt = atMs;
  });
  return rows;
}

const systemActors: Record<string, string> = { confer: 'Confer', routing: 'Routing engine', ai: 'AI triage' };

function actorName(event: TimelineEvent, nameOf: NameOf): string | null {
  // Only a routing decision assigns (people reassign); the event names the assignee, not who decided.
  if (event.type === 'case:assigned') return systemActors.routing!;
  if (event.actor === null || event.actor === '') return null;
  return actorLabel(event.actor, nameOf);
}

function actorLabel(id: string, nameOf: NameOf): string {
  return systemActors[id] ?? nameOf(id);
}
