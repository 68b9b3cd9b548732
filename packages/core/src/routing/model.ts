/**
 * The routing model: who reads what, and the rules that say where a case goes. Everything here is data,
 * loaded from a config file or the API, validated by `validateRoutingConfig`, versioned by the server.
 * Instants are epoch milliseconds (UTC); calendar dates are 'YYYY-MM-DD'; wall-clock times are 'HH:MM'.
 */

export const Priority = { Stat: 'stat', Urgent: 'urgent', Routine: 'routine' } as const;
export type Priority = (typeof Priority)[keyof typeof Priority];
/** Lower is more urgent; used for sorting and "raise priority". */
export const priorityRank: Record<Priority, number> = { stat: 0, urgent: 1, routine: 2 };

export const Weekday = {
  Mon: 'mon',
  Tue: 'tue',
  Wed: 'wed',
  Thu: 'thu',
  Fri: 'fri',
  Sat: 'sat',
  Sun: 'sun',
} as const;
export type Weekday = (typeof Weekday)[keyof typeof Weekday];

export const SiteKind = { Hub: 'hub', Spoke: 'spoke', Partner: 'partner' } as const;
export type SiteKind = (typeof SiteKind)[keyof typeof SiteKind];

/** A site or facility where studies are acquired. The patient's jurisdiction is the site's. */
export interface Site {
  id: string;
  name: string;
  /** IANA zone, e.g. 'America/Chicago'. */
  timeZone: string;
  /** Licensing jurisdiction, e.g. 'US-TX', 'AU-NSW', 'GB'. */
  jurisdiction: string;
  region?: string;
  kind: SiteKind;
  /** For partner sites: the contract partner they belong to. */
  partnerId?: string;
  /** The hub that takes this spoke's overflow. */
  hubId?: string;
}

export interface Partner {
  id: string;
  name: string;
  /** SLA class applied to this partner's cases unless a rule says otherwise (a contract). */
  slaClass?: string;
}

/** A dated credential: valid from `validFrom` (inclusive) until `validTo` (inclusive), as calendar dates. */
export interface DatedCredential {
  validFrom: string;
  validTo?: string;
}
export interface Licence extends DatedCredential {
  jurisdiction: string;
}
export interface Privilege extends DatedCredential {
  siteId: string;
}

export interface Reader {
  id: string;
  name: string;
  /** The Confer user who acts as this reader (sign-in name). */
  username?: string;
  /** e.g. 'neuro', 'msk', 'body', 'breast', 'paeds', 'cardiac', 'general'. */
  subspecialties: string[];
  /** Modalities the reader is qualified to report, e.g. ['CT', 'MR']. */
  modalities: string[];
  licences: Licence[];
  privileges: Privilege[];
  /** Most cases assigned or in read at once. */
  maxConcurrent: number;
  /** Most work weight (e.g. RVUs) assigned or in read at once; absent = no weight limit. */
  maxWeight?: number;
  /** The reader's home zone, for display. */
  timeZone?: string;
  /** False to keep the reader in the directory but out of routing (leave, suspension). */
  active?: boolean;
}

/** What kinds of work a shift covers; an absent list means "any". */
export interface WorkFilter {
  modalities?: string[];
  bodyParts?: string[];
  priorities?: Priority[];
  siteIds?: string[];
  pathways?: string[];
  subspecialties?: string[];
}

/**
 * A recurring shift, evaluated in its own time zone, DST included. `start`-`end` is wall-clock time; an
 * `end` at or before `start` runs past midnight and belongs to the day it starts on.
 */
export interface Shift {
  id: string;
  name: string;
  timeZone: string;
  days: Weekday[];
  start: string;
  end: string;
  covers: WorkFilter;
}

/** A dated assignment of a reader to a shift; dates are shift start dates in the shift's zone, inclusive. */
export interface RosterEntry {
  readerId: string;
  shiftId: string;
  from: string;
  to?: string;
}

/** Readers grouped by subspecialty or contract. */
export interface Pool {
  id: string;
  name: string;
  readerIds: string[];
}

/** Where a rule sends a case. */
export type RouteTarget =
  /** Readers rostered now on shifts whose `covers` match the case (the default). */
  | { kind: 'covering-shifts'; scope?: 'site' | 'any' }
  /** Readers rostered now on this shift. */
  | { kind: 'shift'; shiftId: string }
  /** Readers of a pool; `onShift` (default true) keeps only those rostered on some shift now. */
  | { kind: 'pool'; poolId: string; onShift?: boolean }
  /** A named reader; `onShift` (default false) additionally requires them to be on shift now. */
  | { kind: 'reader'; readerId: string; onShift?: boolean }
  /** Follow-the-sun / national overflow: every reader on any shift now, anywhere. */
  | { kind: 'anyone-on-shift' }
  /** The hub of the case's site (its `hubId`): readers on shifts covering the hub. */
  | { kind: 'hub' };

export const Strategy = {
  /** Lowest weighted load relative to capacity; ties to the longest idle. */
  Balanced: 'balanced',
  /** The first eligible reader of `preferredReaderIds`, then balanced. */
  Preferred: 'preferred',
  /** Next reader after the last one chosen by this rule. */
  RoundRobin: 'round-robin',
  /** No assignee: the case sits on the eligible readers' shared worklist for them to claim. */
  Pool: 'pool',
} as const;
export type Strategy = (typeof Strategy)[keyof typeof Strategy];

export interface RuleConditions {
  modalities?: string[];
  bodyParts?: string[];
  /** Procedure codes or descriptions; each entry is matched case-insensitively as a substring. */
  procedures?: string[];
  priorities?: Priority[];
  pathways?: string[];
  siteIds?: string[];
  siteKinds?: SiteKind[];
  partnerIds?: string[];
  /** AI flags on the case, e.g. 'suspected-critical', 'ich'; any one matches. */
  aiFlags?: string[];
  /** Minutes since the study became available. */
  studyAgeMinutes?: { min?: number; max?: number };
  /** True: only when no shift covering the case has a reader rostered now. */
  uncovered?: boolean;
  /** Only when the cases waiting on the case's site (unclaimed) are at least this many. */
  siteQueueDepthAtLeast?: number;
}

export interface RuleActions {
  target?: RouteTarget;
  /** Extra eligibility filters, e.g. a subspecialty. */
  require?: { subspecialties?: string[]; modalities?: string[] };
  /** Sets the priority when it is more urgent than the case's current one. */
  raisePriority?: Priority;
  setPathway?: string;
  slaClass?: string;
  strategy?: Strategy;
  preferredReaderIds?: string[];
}

export interface Rule {
  id: string;
  name: string;
  /** Disabled rules are kept and versioned but not evaluated. */
  enabled?: boolean;
  when: RuleConditions;
  then: RuleActions;
  /**
   * 'route' (default): the first matching route rule whose target has an eligible reader decides.
   * 'modify': adjusts priority/pathway/SLA class and evaluation continues.
   */
  kind?: 'route' | 'modify';
}

/** One span of a case's handoff timeline, e.g. available -> final. */
export const Milestone = {
  Acquired: 'acquired',
  Available: 'available',
  Routed: 'routed',
  Opened: 'opened',
  Preliminary: 'preliminary',
  Final: 'final',
  /** A critical result on the case first reached a clinician (see critical/protocol.ts). */
  Communicated: 'communicated',
  /** A clinician first acknowledged a critical result on the case. */
  Acknowledged: 'acknowledged',
} as const;
export type Milestone = (typeof Milestone)[keyof typeof Milestone];

export const EscalationAction = {
  /** Mark the case at risk on every worklist that shows it. */
  Alert: 'alert',
  /** Take it from its assignee (unless in read) and route again. */
  Reassign: 'reassign',
  /** Make it visible to every eligible reader on shift anywhere. */
  Broaden: 'broaden',
  /** Tell the coordinators/supervisors. */
  NotifySupervisor: 'notify-supervisor',
} as const;
export type EscalationAction = (typeof EscalationAction)[keyof typeof EscalationAction];

export interface EscalationStep {
  /** When the step fires, as a fraction of the target elapsed (0.75 = 75% of the time used). */
  atFraction: number;
  action: EscalationAction;
}

export interface SlaClass {
  id: string;
  name: string;
  /** Targets per handoff span, in minutes. */
  targets: { from: Milestone; to: Milestone; minutes: number }[];
  escalation: EscalationStep[];
}

export interface SlaPolicy {
  classes: SlaClass[];
  /** The class used when no rule or contract sets one. */
  byPriority: Record<Priority, string>;
  /** Pathway-specific classes, taking precedence over priority. */
  byPathway?: Record<string, string>;
}

export interface RoutingConfig {
  sites: Site[];
  partners: Partner[];
  readers: Reader[];
  shifts: Shift[];
  rosters: RosterEntry[];
  pools: Pool[];
  rules: Rule[];
  sla: SlaPolicy;
  /** Work weight per modality (e.g. RVUs); 1 when absent. */
  workWeights?: Record<string, number>;
  /** What the engine does when no rule routes a case: 'exception' (default) sends it to the unroutable queue. */
  fallback?: 'exception';
}

/** What routing needs to know of a case. */
export interface RoutingCase {
  id: string;
  siteId: string;
  modalities: string[];
  bodyParts: string[];
  procedure?: string;
  priority: Priority;
  pathway?: string;
  aiFlags: string[];
  /** When the study became available (epoch ms). */
  availableAt: number;
}

/** Live figures the strategies and conditions need, read by the server just before routing. */
export interface RoutingLoad {
  /** Per reader: cases assigned or in read, and their summed weight. */
  readers: Record<string, { cases: number; weight: number; lastAssignedAt?: number }>;
  /** Unclaimed cases waiting per site. */
  siteQueueDepth: Record<string, number>;
  /** Per rule: the reader it chose last (round-robin). */
  lastChosenByRule: Record<string, string>;
}

export const EligibilityStage = {
  Shift: 'shift',
  Roster: 'roster',
  Competency: 'competency',
  Credentials: 'credentials',
  Capacity: 'capacity',
} as const;
export type EligibilityStage = (typeof EligibilityStage)[keyof typeof EligibilityStage];

export interface CandidateVerdict {
  readerId: string;
  eligible: boolean;
  /** Where the reader dropped out, and why in words a coordinator understands. */
  excludedAt?: EligibilityStage;
  reason?: string;
  /** Load relative to capacity when eligible (0 = idle). */
  loadRatio?: number;
}

export interface RuleTrace {
  ruleId: string;
  name: string;
  matched: boolean;
  /** Why it matched or which condition failed, e.g. 'modality CT in [CT, MR]'. */
  why: string[];
  /** For matched route rules: how many readers were eligible. */
  eligibleCount?: number;
}

export const RoutingOutcome = { Assigned: 'assigned', Pooled: 'pooled', Unroutable: 'unroutable' } as const;
export type RoutingOutcome = (typeof RoutingOutcome)[keyof typeof RoutingOutcome];

/** A routing decision and its full explanation; stored with the case and shown in the API and UI. */
export interface RoutingDecision {
  caseId: string;
  at: number;
  outcome: RoutingOutcome;
  /** The rule that routed the case, if any. */
  ruleId?: string;
  priority: Priority;
  pathway?: string;
  slaClass: string;
  /** Readers who may see and claim the case. */
  eligibleReaderIds: string[];
  /** The reader it is assigned to (strategy other than 'pool'). */
  assigneeId?: string;
  rules: RuleTrace[];
  /** Candidates of the deciding rule (or of the last rule tried when unroutable). */
  candidates: CandidateVerdict[];
  /** One sentence: who was chosen and why, or why nobody could be. */
  summary: string;
}
