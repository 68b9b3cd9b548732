// The worklist API's shapes as the browser receives them (JSON over HTTP and the live stream), and the
// fixed value sets the screens offer. The value sets and the explanation's parts come from the pure core
// (one source of truth for states, priorities and queues); the response shapes are declared here, and
// readers of them tolerate fields the server adds later.
import { type CandidateVerdict, CaseState, ExceptionQueue, Priority, type RuleTrace } from '@confer/core';

export type { CandidateVerdict, RuleTrace } from '@confer/core';
export { CaseState, ExceptionQueue, Priority, priorityRank } from '@confer/core';

export const caseStateLabels: Record<CaseState, string> = {
  scheduled: 'Scheduled',
  acquiring: 'Acquiring',
  ready: 'Ready',
  assigned: 'Assigned',
  'in-read': 'In read',
  preliminary: 'Preliminary',
  final: 'Final',
  addended: 'Addended',
  cancelled: 'Cancelled',
  exception: 'Exception',
};

/** States the server lists when no state filter is given: live reading work. */
export const activeStates: readonly CaseState[] = [
  CaseState.Ready,
  CaseState.Assigned,
  CaseState.InRead,
  CaseState.Preliminary,
];

/** States offered in the worklist's state filter, in lifecycle order. */
export const filterableStates: readonly CaseState[] = [
  CaseState.Ready,
  CaseState.Assigned,
  CaseState.InRead,
  CaseState.Preliminary,
  CaseState.Exception,
  CaseState.Final,
];

export const priorities: readonly Priority[] = [Priority.Stat, Priority.Urgent, Priority.Routine];
export const priorityLabels: Record<Priority, string> = {
  stat: 'STAT',
  urgent: 'Urgent',
  routine: 'Routine',
};
/** Lower is more urgent, as the server sorts. */

export const SlaState = { Ok: 'ok', AtRisk: 'at-risk', Breached: 'breached' } as const;
export type SlaState = (typeof SlaState)[keyof typeof SlaState];
export const slaStates: readonly SlaState[] = [SlaState.Ok, SlaState.AtRisk, SlaState.Breached];
export const slaStateLabels: Record<SlaState, string> = {
  ok: 'On time',
  'at-risk': 'At risk',
  breached: 'Breached',
};

/** States of one SLA span on the case page (the badge on the worklist is the worst of them). */
export const slaSpanStateLabels: Record<string, string> = {
  'not-started': 'Not started',
  running: 'Running',
  'at-risk': 'At risk',
  breached: 'Breached',
  met: 'Met',
  missed: 'Missed',
};

export const exceptionQueues: readonly ExceptionQueue[] = Object.values(ExceptionQueue);
export const exceptionQueueLabels: Record<ExceptionQueue, string> = {
  'incomplete-study': 'Incomplete study',
  'protocol-mismatch': 'Protocol mismatch',
  unroutable: 'Unroutable',
  unreadable: 'Unreadable',
};

/** The label for a value of a fixed set, or the value itself when the server sends one this page does not know. */
export function labelOf<K extends string>(
  labels: Record<K, string>,
  value: string | null | undefined,
): string {
  if (value === null || value === undefined || value === '') return '—';
  return Object.hasOwn(labels, value) ? labels[value as K] : value;
}

/** One worklist row, from GET /api/worklist and the stream's `case` event. Instants are ISO 8601 UTC. */
export interface CaseSummary {
  id: string;
  studyUid: string;
  siteId: string | null;
  state: string;
  priority: string;
  pathway: string | null;
  ownerId: string | null;
  leaseExpiresAt: string | null;
  broadened: boolean;
  exception: { queue: string; reason: string } | null;
  slaClass: string | null;
  slaState: string;
  slaDueAt: string | null;
  availableAt: string | null;
  modalities: string[];
  bodyParts: string[];
  procedure: string | null;
  accessionNumber: string | null;
  patientName: string | null;
  patientId: string | null;
  aiFlags: string[];
  priorityReasons: string[];
  version: number;
  updatedAt: string;
}

/** One entry of a case's timeline; `detail` depends on `type` (e.g. `readerId`, `reason`, `toReaderId`). */
export interface TimelineEvent {
  at: string;
  type: string;
  actor: string | null;
  detail: Record<string, unknown>;
}

/** How a case was routed, with its full explanation. `at` is epoch milliseconds, as the core keeps it. */
export interface RoutingDecision {
  caseId: string;
  at: number | string;
  outcome: string;
  ruleId?: string;
  priority: string;
  pathway?: string;
  slaClass: string;
  eligibleReaderIds: string[];
  assigneeId?: string;
  rules: RuleTrace[];
  candidates: CandidateVerdict[];
  summary: string;
}

/**
 * One SLA span of a case as the server reports it. Times may come as epoch milliseconds or ISO strings;
 * read them with `toEpochMs`.
 */
export interface SlaSpan {
  from?: string;
  to?: string;
  span?: string;
  minutes?: number;
  targetMinutes?: number;
  startedAt?: number | string;
  dueAt?: number | string;
  completedAt?: number | string;
  state?: string;
  [key: string]: unknown;
}

export interface AiResult {
  at: string;
  source: string;
  finding: string;
  confidence: number | null;
  suspectedCritical: boolean;
  flags: string[];
}

/** GET /api/cases/:id. */
export interface CaseDetail {
  case: CaseSummary;
  timeline: TimelineEvent[];
  decision: RoutingDecision | null;
  sla: SlaSpan[];
  aiResults: AiResult[];
  eligibleReaderIds: string[];
}

/** A reader in the live directory, from GET /api/readers. */
export interface DirectoryReader {
  id: string;
  name: string;
  username: string | null;
  subspecialties: string[];
  modalities: string[];
  timeZone: string | null;
  onShift: { id: string; name: string }[];
}

export interface ReaderDirectory {
  readers: DirectoryReader[];
  /** The caller's own reader id, or null when the caller is not a reader. */
  you: string | null;
}

/** GET /api/queues: the coordinator's overview. */
export interface QueuesOverview {
  byState: { state: string; priority: string; count: number }[];
  exceptions: {
    queue: string;
    title: string;
    owner: string;
    targetMinutes: number;
    count: number;
    oldestAt: string | null;
  }[];
  sla: Partial<Record<string, number>>;
  bySite: { siteId: string | null; state: string; count: number }[];
  readers: { id: string; name: string; cases: number; weight: number; maxConcurrent: number }[];
}

/** The stream's `notice` event, for coordinators (SLA escalations, overdue exceptions). */
export interface CoordinatorNotice {
  type?: string;
  caseId: string;
  kind: string;
  message: string;
  at: string;
}

/** A routing configuration document; sections are kept as plain JSON for viewing and editing. */
export interface RoutingConfigDocument {
  sites?: unknown;
  partners?: unknown;
  readers?: unknown;
  shifts?: unknown;
  rosters?: unknown;
  pools?: unknown;
  rules?: unknown;
  sla?: unknown;
  workWeights?: unknown;
  [key: string]: unknown;
}

/** GET /api/routing/config. */
export interface LiveRoutingConfig {
  version: number;
  createdAt: string | null;
  createdBy: string | null;
  comment: string | null;
  warnings: string[];
  config: RoutingConfigDocument | null;
}

/** One row of GET /api/routing/versions. */
export interface RoutingVersionInfo {
  version: number;
  createdAt: string;
  createdBy: string;
  comment: string | null;
  live: boolean;
}

/** What a routing save answers. */
export interface RoutingSaveResult {
  version: number;
  warnings: string[];
}

/** An instant from the API as epoch milliseconds: the core sends numbers, the HTTP layer ISO strings. */
export function toEpochMs(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value !== '') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}
