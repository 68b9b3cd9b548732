import { createHash } from 'node:crypto';
import {
  applyCaseCommand,
  type CaseCommand,
  CaseErrorCode,
  type CaseEvent,
  CaseEventType,
  type CaseSnapshot,
  CaseState,
  type Clock,
  type CompiledRouting,
  can,
  ExceptionQueue,
  newCase,
  Permission,
  type Priority,
  priorityRank,
  type RoutingCase,
  type RoutingDecision,
  type RoutingLoad,
  resolveSlaClass,
  routeCase,
  type SlaClass,
  slaStatus,
  slaTimers,
  worstSlaState,
} from '@confer/core';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Actor, AuditSink, RequestOrigin } from '../archive/ports.ts';
import type { StudyCompleteEvent } from '../archive/study-completion.ts';
import { DomainError } from '../http/errors.ts';
import type { CasesTable, Database } from '../store/schema.ts';
import { type CaseSummary, toCaseSummary } from './case-summary.ts';
import type { RoutingConfigStore, RoutingVersion } from './routing-config-store.ts';
import type { WorklistBus } from './worklist-bus.ts';

export const WorklistErrorCode = {
  ...CaseErrorCode,
  NotFound: 'CONFER_ERR_CASE_NOT_FOUND',
  Forbidden: 'CONFER_ERR_FORBIDDEN',
  NotAReader: 'CONFER_ERR_NOT_A_READER',
  NoCaseAvailable: 'CONFER_ERR_NO_CASE_AVAILABLE',
  Busy: 'CONFER_ERR_CASE_BUSY',
  BadRequest: 'CONFER_ERR_BAD_REQUEST',
} as const;
export type WorklistErrorCode = (typeof WorklistErrorCode)[keyof typeof WorklistErrorCode];

/** A refusal with a stable code, an HTTP status and a sentence that says what to do. */
export class WorklistError extends DomainError {
  declare readonly code: WorklistErrorCode;
  constructor(status: number, code: WorklistErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(status, code, message, extra);
    this.name = 'WorklistError';
  }
}

/** States in which a case is live work (shown on worklists by default). */
export const ACTIVE_STATES: readonly string[] = [
  CaseState.Ready,
  CaseState.Assigned,
  CaseState.InRead,
  CaseState.Preliminary,
];
const TERMINAL_STATES: readonly string[] = [CaseState.Final, CaseState.Addended, CaseState.Cancelled];

/** Exception queues, their owners and how long an item may wait there. */
export const EXCEPTION_QUEUES: Record<
  ExceptionQueue,
  { owner: string; targetMinutes: number; title: string }
> = {
  'incomplete-study': { owner: 'coordinator', targetMinutes: 60, title: 'Incomplete study' },
  'protocol-mismatch': { owner: 'coordinator', targetMinutes: 60, title: 'Protocol mismatch' },
  unroutable: { owner: 'coordinator', targetMinutes: 15, title: 'Unroutable: no eligible reader' },
  unreadable: { owner: 'coordinator', targetMinutes: 120, title: 'Unreadable (marked by reader)' },
};

export interface WorklistQuery {
  states?: string[];
  priorities?: string[];
  siteIds?: string[];
  modalities?: string[];
  slaStates?: string[];
  exceptionQueues?: string[];
  pathway?: string;
  ownerId?: string;
  /** Only cases owned by the caller. */
  mine?: boolean;
  /** Free text: accession number, patient name or ID, procedure. */
  text?: string;
  sort?: { column: SortColumn; direction: 'asc' | 'desc' }[];
  limit?: number;
  offset?: number;
}

export const SORT_COLUMNS = {
  priority: 'priority_rank',
  slaDueAt: 'sla_due_at',
  availableAt: 'available_at',
  site: 'site_id',
  modality: 'modalities',
  state: 'state',
  patientName: 'patient_name',
  procedure: 'procedure_text',
  updatedAt: 'updated_at',
  owner: 'owner_id',
  pathway: 'pathway',
  slaState: 'sla_state',
} as const;
export type SortColumn = keyof typeof SORT_COLUMNS;
const DEFAULT_SORT: WorklistQuery['sort'] = [
  { column: 'priority', direction: 'asc' },
  { column: 'slaDueAt', direction: 'asc' },
  { column: 'availableAt', direction: 'asc' },
];

export interface CaseDetail {
  case: CaseSummary;
  timeline: { at: string; type: string; actor: string | null; detail: Record<string, unknown> }[];
  decision: RoutingDecision | null;
  sla: ReturnType<typeof slaStatus>;
  aiResults: {
    at: string;
    source: string;
    finding: string;
    confidence: number | null;
    suspectedCritical: boolean;
    flags: string[];
  }[];
  eligibleReaderIds: string[];
}

export interface AiResultInput {
  studyUid: string;
  source: string;
  finding: string;
  confidence?: number | null;
  suspectedCritical: boolean;
  flags: string[];
  payload: unknown;
}

/**
 * Work that must commit with a case change or not at all (a signed report, its delivery outbox entry): run
 * inside the transaction that stores the change, after the case row is updated. Throwing rolls both back.
 */
export type CaseChangeHook = (
  trx: Transaction<Database>,
  change: { caseId: string; before: CaseSnapshot; after: CaseSnapshot; events: CaseEvent[] },
) => Promise<void>;

export interface WorklistDeps {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditSink;
  routing: RoutingConfigStore;
  bus: WorklistBus;
  /** How long a claim lasts without a heartbeat. */
  leaseMs: number;
  logger?: Logger;
  /** On PostgreSQL: NOTIFY other nodes of each change in its transaction, so their streams update at once. */
  notifyOtherNodes?: boolean;
}

type CaseRow = Selectable<CasesTable>;
type Extra = Partial<Pick<CasesTable, 'decision_json' | 'sla_class' | 'ai_flags'>>;
/** A worklist row as lists read it: without the stored decision and snapshot (tens of KB a case). */
type ListedRow = Omit<CaseRow, 'decision_json' | 'snapshot_json'>;
const LISTED_COLUMNS = [
  'id',
  'study_uid',
  'site_id',
  'state',
  'priority',
  'priority_rank',
  'pathway',
  'owner_id',
  'lease_expires_at',
  'broadened',
  'exception_queue',
  'exception_reason',
  'sla_class',
  'sla_state',
  'sla_due_at',
  'available_at',
  'modalities',
  'body_parts',
  'procedure_text',
  'accession_number',
  'patient_name',
  'patient_id',
  'ai_flags',
  'priority_reasons',
  'weight',
  'version',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof ListedRow)[];
// A column added to the cases table must be listed above (or the summary would miss it): this fails to compile.
const listsEveryColumn: [Exclude<keyof ListedRow, (typeof LISTED_COLUMNS)[number]>] extends [never]
  ? true
  : never = true;
void listsEveryColumn;

/**
 * A case row as commands and routing read it: everything but the stored decision, which only the case detail
 * shows (it lists every candidate with its verdict: tens of KB that every read would otherwise carry).
 */
type StoredRow = Omit<CaseRow, 'decision_json'>;
const STORED_COLUMNS = [...LISTED_COLUMNS, 'snapshot_json'] as const;

/** The summary of a listed row; toCaseSummary reads neither the decision nor the snapshot. */
function summaryOf(row: ListedRow): CaseSummary {
  return toCaseSummary({ ...row, decision_json: null, snapshot_json: '' });
}

const SYSTEM = 'confer';
const REMOTE_LOOKBACK = 500;
/** PostgreSQL channel on which nodes tell each other a case changed. */
export const WORKLIST_CHANNEL = 'confer_worklist';

/** The case id is derived from the study, so two nodes announcing one study create one case. */
export function caseIdFor(studyUid: string): string {
  return `C-${createHash('sha256').update(studyUid).digest('hex').slice(0, 12).toUpperCase()}`;
}

/**
 * The shared worklist: turns `study:complete` into cases, routes them with the live rules, and carries out
 * what readers and coordinators ask (claim, release, reassign, next...). Every change is decided by the core
 * lifecycle, then written with a conditional update on the case's version together with its timeline
 * events, visibility and SLA timers, and only then published to live streams.
 */
export class WorklistService {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private readonly audit: AuditSink;
  private readonly routing: RoutingConfigStore;
  private readonly bus: WorklistBus;
  private readonly leaseMs: number;
  private readonly log: Logger | undefined;
  private readonly lastChosenByRule: Record<string, string> = {};
  /** Domain event ids this node wrote, so polling for other nodes' changes skips them. */
  private readonly ownEventIds = new Set<number>();
  private remoteCursor = -1;
  private readonly handledEventIds = new Set<number>();
  private polling: Promise<number> | undefined;
  private pollAgain = false;
  private readonly notifyChannel: string | undefined;
  private readonly extraViewers: ((actor: Actor, caseId: string) => Promise<boolean>)[] = [];

  constructor(deps: WorklistDeps) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.routing = deps.routing;
    this.bus = deps.bus;
    this.leaseMs = deps.leaseMs;
    this.log = deps.logger;
    this.notifyChannel = deps.notifyOtherNodes ? WORKLIST_CHANNEL : undefined;
  }

  // ---------------------------------------------------------------- intake and routing

  /** Creates the case for a completed study (once, whichever node gets there first) and routes it. */
  async onStudyComplete(event: StudyCompleteEvent): Promise<string> {
    const id = caseIdFor(event.studyUid);
    const existing = await this.stored(id);
    if (existing) {
      if (existing.state === CaseState.Acquiring || existing.state === CaseState.Scheduled) {
        await this.execute(id, { type: 'study-complete', acquiredAt: Date.parse(event.firstReceivedAt) });
        await this.route(id);
      }
      return id;
    }
    const study = await this.db
      .selectFrom('studies')
      .innerJoin('patients', 'patients.id', 'studies.patient_fk')
      .select([
        'studies.site_id',
        'studies.modalities',
        'studies.body_parts',
        'studies.description',
        'studies.accession_number',
        'studies.first_received_at',
        'studies.attributes_json',
        'patients.patient_id',
        'patients.patient_name',
        // An instance's metadata (for the requested procedure and its priority), in the same round trip.
        (eb) =>
          eb
            .selectFrom('instances')
            .innerJoin('series', 'series.id', 'instances.series_fk')
            .select('instances.metadata_json')
            .whereRef('series.study_fk', '=', 'studies.id')
            .limit(1)
            .as('instance_metadata_json'),
      ])
      .where('studies.study_uid', '=', event.studyUid)
      .executeTakeFirst();
    if (!study) return id;
    const meta = study.instance_metadata_json
      ? (JSON.parse(study.instance_metadata_json) as Record<string, { Value?: unknown[] }>)
      : {};
    const priority = priorityFromDicom(meta);
    const procedure =
      firstString(meta['00321060']) ?? // RequestedProcedureDescription
      study.description ??
      null;
    const pending = await this.db
      .selectFrom('ai_results')
      .select(['flags', 'finding', 'source', 'confidence', 'suspected_critical'])
      .where('study_uid', '=', event.studyUid)
      .execute();
    const aiFlags = [...new Set(pending.flatMap((p) => JSON.parse(p.flags) as string[]))];
    const now = this.now();
    const snapshot = newCase(id, { priority });
    const created = applyCaseCommand(
      snapshot,
      { type: 'study-complete', acquiredAt: Number(study.first_received_at) },
      now,
    );
    if (!created.ok) throw new Error(created.message);
    const routingConfig = this.routing.current()?.config;
    const modalities = study.modalities.split('\\').filter(Boolean);
    const weight = Math.max(1, ...modalities.map((m) => routingConfig?.workWeights?.[m] ?? 1));
    const inserted = await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('cases')
        .values({
          ...this.columnsOf(created.snapshot, now),
          id,
          study_uid: event.studyUid,
          site_id: study.site_id,
          modalities: study.modalities,
          body_parts: study.body_parts,
          procedure_text: procedure,
          accession_number: study.accession_number,
          patient_name: study.patient_name,
          patient_id: study.patient_id,
          ai_flags: JSON.stringify(aiFlags),
          priority_reasons: JSON.stringify(created.snapshot.priorityReasons),
          weight,
          decision_json: null,
          sla_class: null,
          sla_state: 'ok',
          sla_due_at: null,
          created_at: now,
        })
        .onConflict((oc) => oc.column('study_uid').doNothing())
        .returning(STORED_COLUMNS)
        .executeTakeFirst();
      if (!row) return undefined;
      await this.writeEvents(trx, id, created.events);
      await trx
        .updateTable('ai_results')
        .set({ case_id: id })
        .where('study_uid', '=', event.studyUid)
        .execute();
      return row;
    });
    if (!inserted) return id;
    // The row as inserted, for routing to start from while no command has changed it.
    let current: StoredRow | undefined = inserted;
    for (const p of pending) {
      if (p.suspected_critical) {
        current = undefined;
        await this.execute(id, {
          type: 'reprioritise',
          priority: 'stat',
          reason: aiReason(p.finding, p.confidence, p.source),
        });
      }
    }
    const flagged = aiExceptionQueue(aiFlags);
    if (flagged) {
      await this.execute(id, {
        type: 'raise-exception',
        queue: flagged.queue,
        reason: flagged.reason,
        by: 'ai',
      });
      return id;
    }
    await this.routeFrom(id, {}, current);
    return id;
  }

  /** Creates the cases of studies announced complete that have none (after a restart or an upgrade). */
  async catchUp(limit = 1000): Promise<number> {
    const missing = await this.db
      .selectFrom('studies')
      .leftJoin('cases', 'cases.study_uid', 'studies.study_uid')
      .select([
        'studies.study_uid',
        'studies.site_id',
        'studies.num_series',
        'studies.num_instances',
        'studies.modalities',
        'studies.first_received_at',
        'studies.last_received_at',
        'studies.complete_announced_at',
      ])
      .where('studies.complete_announced_at', 'is not', null)
      .where('cases.id', 'is', null)
      .limit(limit)
      .execute();
    for (const m of missing) {
      await this.onStudyComplete({
        type: 'study:complete',
        eventId: 0,
        studyUid: m.study_uid,
        siteId: m.site_id,
        numSeries: Number(m.num_series),
        numInstances: Number(m.num_instances),
        modalities: m.modalities.split('\\').filter(Boolean),
        firstReceivedAt: new Date(Number(m.first_received_at)).toISOString(),
        lastReceivedAt: new Date(Number(m.last_received_at)).toISOString(),
        occurredAt: new Date(Number(m.complete_announced_at)).toISOString(),
      });
    }
    return missing.length;
  }

  /**
   * Routes (or re-routes) a case with the live rules and stores the decision with its explanation.
   * In-read, preliminary and closed cases are never rerouted: ownership follows the reader.
   */
  async route(caseId: string, options: { onlyIfChanged?: boolean; excludeReaderIds?: string[] } = {}) {
    return this.routeFrom(caseId, options);
  }

  /** route(), from a row the caller has just read or written (`known`) instead of reading it again. */
  private async routeFrom(
    caseId: string,
    options: { onlyIfChanged?: boolean; excludeReaderIds?: string[] },
    known?: StoredRow,
  ) {
    const live = this.routing.current();
    const row = known ?? (await this.stored(caseId));
    if (!row) throw new WorklistError(404, WorklistErrorCode.NotFound, `no case ${caseId}`);
    const routable = row.state === CaseState.Ready || row.state === CaseState.Assigned;
    const unroutableException =
      row.state === CaseState.Exception && row.exception_queue === ExceptionQueue.Unroutable;
    if (!routable && !unroutableException) return undefined;
    const now = this.now();
    if (!live) {
      if (row.state !== CaseState.Exception)
        await this.execute(caseId, {
          type: 'raise-exception',
          queue: ExceptionQueue.Unroutable,
          reason:
            'No routing configuration is loaded yet: an administrator must load rules, shifts and rosters.',
          by: 'routing',
        });
      return undefined;
    }
    const decision = await this.decide(live, row, now, options.excludeReaderIds ?? []);
    if (options.onlyIfChanged && !decisionChanges(row, decision)) return decision;
    if (unroutableException) {
      if (decision.outcome === 'unroutable') return decision;
      await this.execute(caseId, {
        type: 'resolve-exception',
        by: 'routing',
        note: 'an eligible reader is now available',
      });
    }
    await this.execute(
      caseId,
      { type: 'route', decision },
      { decision_json: JSON.stringify(forStorage(decision)), sla_class: decision.slaClass },
      // The row just read, unless a command was applied since: saves reading it again (a stale one only
      // costs a refused conditional update and a re-read).
      unroutableException ? undefined : row,
    );
    if (decision.ruleId && decision.assigneeId) this.lastChosenByRule[decision.ruleId] = decision.assigneeId;
    return decision;
  }

  private async decide(
    live: RoutingVersion,
    row: StoredRow,
    now: number,
    exclude: string[],
  ): Promise<RoutingDecision> {
    const load = await this.loadFigures(live.compiled);
    for (const r of exclude)
      load.readers[r] = { cases: Number.MAX_SAFE_INTEGER, weight: Number.MAX_SAFE_INTEGER };
    return routeCase({ compiled: live.compiled, case: routingCaseOf(row), load, now });
  }

  /**
   * Current load per reader and queue depth per site, read just before routing. For routing with `compiled`,
   * the last reader chosen is copied only for its round-robin rules (the only ones routing reads it for):
   * copying the entry of every rule that ever assigned took longer than the query on a large network.
   */
  async loadFigures(compiled?: CompiledRouting): Promise<RoutingLoad> {
    // One statement (one round trip, one consistent snapshot): held cases and weight per reader, from the
    // cases_held index alone, then unclaimed cases per site.
    const rows = await this.db
      .selectFrom('cases')
      .select([
        sql<string>`'reader'`.as('kind'),
        'owner_id as key',
        (eb) => eb.fn.countAll<number>().as('n'),
        (eb) => eb.fn.sum<number>('weight').as('w'),
      ])
      .where('state', 'in', [CaseState.Assigned, CaseState.InRead, CaseState.Preliminary])
      .where('owner_id', 'is not', null)
      .groupBy('owner_id')
      .unionAll(
        this.db
          .selectFrom('cases')
          .select([
            sql<string>`'site'`.as('kind'),
            'site_id as key',
            (eb) => eb.fn.countAll<number>().as('n'),
            sql<number>`0`.as('w'),
          ])
          .where('state', '=', CaseState.Ready)
          .groupBy('site_id'),
      )
      .execute();
    const readers: RoutingLoad['readers'] = {};
    const siteQueueDepth: Record<string, number> = {};
    for (const r of rows) {
      if (r.kind === 'reader') readers[r.key!] = { cases: Number(r.n), weight: Number(r.w) };
      else if (r.key) siteQueueDepth[r.key] = Number(r.n);
    }
    let lastChosenByRule: Record<string, string>;
    if (compiled) {
      lastChosenByRule = {};
      for (const id of roundRobinRuleIds(compiled)) {
        const last = this.lastChosenByRule[id];
        if (last !== undefined) lastChosenByRule[id] = last;
      }
    } else lastChosenByRule = { ...this.lastChosenByRule };
    return { readers, siteQueueDepth, lastChosenByRule };
  }

  // ---------------------------------------------------------------- commands

  /**
   * Applies one command: decide in the core, then a conditional update on the version read. When another
   * node changed the case in between, it re-reads and decides again, so a second claim is refused by the
   * lifecycle, never silently lost.
   */
  async execute(
    caseId: string,
    command: CaseCommand,
    extra: Extra = {},
    known?: StoredRow,
    within?: CaseChangeHook,
  ): Promise<CaseSummary> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const row = attempt === 0 && known ? known : await this.stored(caseId);
      if (!row) throw new WorklistError(404, WorklistErrorCode.NotFound, `no case ${caseId}`);
      const before = JSON.parse(row.snapshot_json) as CaseSnapshot;
      const now = this.now();
      const result = applyCaseCommand(before, command, now);
      if (!result.ok) {
        throw new WorklistError(409, result.code, result.message, {
          ...(result.ownerId ? { ownerId: result.ownerId } : {}),
          ...(result.since ? { since: new Date(result.since).toISOString() } : {}),
          state: row.state,
        });
      }
      // Accepted but changing nothing (a repeated study-complete, reassigning to the current owner): no write.
      if (result.events.length === 0 && Object.keys(extra).length === 0) return summaryOf(row);
      const after = result.snapshot;
      const slaClass = this.slaClassOf(extra.sla_class ?? row.sla_class, after);
      const written = await this.db.transaction().execute(async (trx) => {
        const cols = this.columnsOf(after, now, slaClass);
        // The updated row comes back with the update: nothing else in this transaction writes to it.
        const updated = await trx
          .updateTable('cases')
          .set({
            ...cols,
            ...extra,
            ...(extra.sla_class === undefined && slaClass ? { sla_class: slaClass.id } : {}),
          })
          .where('id', '=', caseId)
          .where('version', '=', Number(row.version))
          .returning(STORED_COLUMNS)
          .executeTakeFirst();
        if (!updated) return undefined;
        await this.writeEvents(trx, caseId, result.events);
        if (within) await within(trx, { caseId, before, after, events: result.events });
        if (!sameSet(before.eligibleReaderIds, after.eligibleReaderIds)) {
          // The rows are the snapshot's eligible readers, always written together: when readers were only
          // added (a new case routed, broadening, a new owner), insert those alone.
          const had = new Set(before.eligibleReaderIds);
          const onlyAdded = before.eligibleReaderIds.every((r) => after.eligibleReaderIds.includes(r));
          if (!onlyAdded) await trx.deleteFrom('case_visibility').where('case_id', '=', caseId).execute();
          const rows = (
            onlyAdded ? after.eligibleReaderIds.filter((r) => !had.has(r)) : after.eligibleReaderIds
          ).map((r) => ({ case_id: caseId, reader_id: r }));
          if (rows.length > 0) await trx.insertInto('case_visibility').values(rows).execute();
        }
        await this.syncTimers(trx, caseId, after, slaClass);
        const ev = await trx
          .insertInto('domain_events')
          .values({
            type: 'case:changed',
            subject: caseId,
            payload_json: JSON.stringify({
              version: after.version,
              events: result.events.map((e) => e.type),
            }),
            occurred_at: now,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        this.ownEventIds.add(Number(ev.id));
        // Delivered on commit only, so a listener never reads a change that is not there yet.
        if (this.notifyChannel) await sql`select pg_notify(${this.notifyChannel}, ${caseId})`.execute(trx);
        return updated;
      });
      if (!written) continue;
      const summary = summaryOf(written);
      this.bus.publish({
        type: 'case:changed',
        summary,
        visibleBefore: visibleTo(before),
        visibleNow: visibleTo(after),
        events: result.events.map((e) => e.type),
      });
      return summary;
    }
    throw new WorklistError(
      503,
      WorklistErrorCode.Busy,
      `case ${caseId} kept changing while Confer tried to update it; try again`,
    );
  }

  /** The reader a signed-in user acts as, from the live routing directory. */
  readerIdOf(actor: Actor): string | undefined {
    const username = actor.username ?? (actor.kind === 'user' ? actor.name : undefined);
    if (!username) return undefined;
    return this.routing.current()?.config.readers.find((r) => r.username === username)?.id;
  }

  private requireReader(actor: Actor): string {
    if (!can(actor.roles, Permission.CaseClaim))
      throw new WorklistError(403, WorklistErrorCode.Forbidden, 'claiming cases needs the radiologist role');
    const id = this.readerIdOf(actor);
    if (!id)
      throw new WorklistError(
        403,
        WorklistErrorCode.NotAReader,
        `user ${actor.username ?? actor.name} is not a reader in the routing directory; ask an administrator to add them with "username": "${actor.username ?? actor.name}"`,
      );
    return id;
  }

  private requireManager(actor: Actor): void {
    if (!can(actor.roles, Permission.WorklistManage))
      throw new WorklistError(403, WorklistErrorCode.Forbidden, 'this needs the coordinator or admin role');
  }

  async claim(actor: Actor, caseId: string, origin: RequestOrigin): Promise<CaseSummary> {
    const readerId = this.requireReader(actor);
    const s = await this.audited(actor, origin, 'case-claim', caseId, {
      type: 'claim',
      readerId,
      leaseMs: this.leaseMs,
    });
    return s;
  }

  async heartbeat(actor: Actor, caseId: string): Promise<CaseSummary> {
    const readerId = this.requireReader(actor);
    return this.execute(caseId, { type: 'heartbeat', readerId, leaseMs: this.leaseMs });
  }

  async release(actor: Actor, caseId: string, origin: RequestOrigin, reason?: string): Promise<CaseSummary> {
    const readerId = this.requireReader(actor);
    return this.audited(actor, origin, 'case-release', caseId, {
      type: 'release',
      readerId,
      ...(reason ? { reason } : {}),
    });
  }

  async finish(
    actor: Actor,
    caseId: string,
    origin: RequestOrigin,
    step: 'preliminary' | 'finalize',
    within?: CaseChangeHook,
  ): Promise<CaseSummary> {
    const readerId = this.requireReader(actor);
    return this.audited(actor, origin, `case-${step}`, caseId, { type: step, readerId }, within);
  }

  /** Records an addendum to a final (or already addended) case; `within` commits with it. */
  async addend(
    actor: Actor,
    caseId: string,
    origin: RequestOrigin,
    within?: CaseChangeHook,
  ): Promise<CaseSummary> {
    const readerId = this.requireReader(actor);
    return this.audited(actor, origin, 'case-addend', caseId, { type: 'addend', readerId }, within);
  }

  async markUnreadable(
    actor: Actor,
    caseId: string,
    origin: RequestOrigin,
    reason: string,
  ): Promise<CaseSummary> {
    const readerId = this.requireReader(actor);
    if (!reason.trim())
      throw new WorklistError(400, WorklistErrorCode.BadRequest, 'say why the study cannot be read');
    return this.audited(actor, origin, 'case-unreadable', caseId, {
      type: 'mark-unreadable',
      readerId,
      reason,
    });
  }

  async reassign(
    actor: Actor,
    caseId: string,
    origin: RequestOrigin,
    toReaderId: string | null,
    reason?: string,
  ): Promise<CaseSummary> {
    this.requireManager(actor);
    if (toReaderId && !this.routing.current()?.config.readers.some((r) => r.id === toReaderId))
      throw new WorklistError(
        400,
        WorklistErrorCode.BadRequest,
        `no reader ${toReaderId} in the routing directory`,
      );
    return this.audited(actor, origin, 'case-reassign', caseId, {
      type: 'reassign',
      toReaderId,
      by: actor.name,
      ...(reason ? { reason } : {}),
    });
  }

  async raiseException(
    actor: Actor,
    caseId: string,
    origin: RequestOrigin,
    queue: ExceptionQueue,
    reason: string,
  ): Promise<CaseSummary> {
    this.requireManager(actor);
    return this.audited(actor, origin, 'case-exception', caseId, {
      type: 'raise-exception',
      queue,
      reason,
      by: actor.name,
    });
  }

  /** Takes a case out of its exception queue and routes it again. */
  async resolveException(actor: Actor, caseId: string, origin: RequestOrigin, note?: string) {
    this.requireManager(actor);
    await this.audited(actor, origin, 'case-exception-resolve', caseId, {
      type: 'resolve-exception',
      by: actor.name,
      ...(note ? { note } : {}),
    });
    await this.route(caseId);
    return toCaseSummary((await this.row(caseId))!);
  }

  async reprioritise(
    actor: Actor,
    caseId: string,
    origin: RequestOrigin,
    priority: Priority,
    reason: string,
  ) {
    this.requireManager(actor);
    await this.audited(actor, origin, 'case-reprioritise', caseId, {
      type: 'reprioritise',
      priority,
      reason: `${reason} (${actor.name})`,
    });
    await this.route(caseId, { onlyIfChanged: true });
    return toCaseSummary((await this.row(caseId))!);
  }

  /**
   * Claims the first case the reader may take, in the reader's own sort order (default: most urgent, then
   * nearest SLA deadline, then oldest). Cases another reader takes meanwhile are skipped.
   */
  async next(actor: Actor, origin: RequestOrigin, sort?: WorklistQuery['sort']): Promise<CaseSummary> {
    const readerId = this.requireReader(actor);
    const candidates = await this.listRows(
      { states: [CaseState.Ready, CaseState.Assigned], ...(sort ? { sort } : {}), limit: 20 },
      readerId,
      false,
    );
    for (const c of candidates) {
      if (c.state === CaseState.Assigned && c.owner_id !== readerId) continue;
      try {
        return await this.claim(actor, c.id, origin);
      } catch (err) {
        if (err instanceof WorklistError && err.status === 409) continue;
        throw err;
      }
    }
    throw new WorklistError(404, WorklistErrorCode.NoCaseAvailable, 'no case is waiting for you right now');
  }

  // ---------------------------------------------------------------- reading

  /** The caller's worklist: everything for coordinators, otherwise what is routed, assigned or broadened to them. */
  async list(actor: Actor, query: WorklistQuery, origin: RequestOrigin) {
    const all = can(actor.roles, Permission.WorklistReadAll);
    if (!all && !can(actor.roles, Permission.WorklistRead))
      throw new WorklistError(
        403,
        WorklistErrorCode.Forbidden,
        'the worklist needs the radiologist or coordinator role',
      );
    const readerId = this.readerIdOf(actor);
    if (!all && !readerId)
      throw new WorklistError(
        403,
        WorklistErrorCode.NotAReader,
        `user ${actor.username ?? actor.name} is not a reader in the routing directory`,
      );
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 500);
    const rows = await this.listRows(
      { ...query, limit: limit + 1 },
      query.mine ? (readerId ?? '?') : readerId,
      all && !query.mine,
    );
    await this.audit.record({
      action: 'worklist-query',
      actor,
      origin,
      outcome: 'success',
      detail: `${Math.min(rows.length, limit)} cases`,
    });
    return { cases: rows.slice(0, limit).map(summaryOf), more: rows.length > limit };
  }

  private async listRows(
    query: WorklistQuery,
    readerId: string | undefined,
    all: boolean,
  ): Promise<ListedRow[]> {
    let q = this.db.selectFrom('cases').select(LISTED_COLUMNS);
    if (!all) {
      const r = readerId ?? '?';
      // `id in (the reader's visible cases)` rather than a correlated EXISTS: both databases then read the
      // reader's visibility rows once (an index range) instead of probing the visibility table per active case.
      q = q.where((eb) =>
        eb.or([
          eb('owner_id', '=', r),
          eb(
            'cases.id',
            'in',
            eb
              .selectFrom('case_visibility')
              .select('case_visibility.case_id')
              .where('case_visibility.reader_id', '=', r),
          ),
        ]),
      );
      if (query.mine) q = q.where('owner_id', '=', r);
    }
    const states = query.states?.length
      ? query.states
      : query.exceptionQueues?.length
        ? [CaseState.Exception]
        : ACTIVE_STATES;
    q = q.where('state', 'in', states);
    if (query.priorities?.length) q = q.where('priority', 'in', query.priorities);
    if (query.siteIds?.length) q = q.where('site_id', 'in', query.siteIds);
    if (query.slaStates?.length) q = q.where('sla_state', 'in', query.slaStates);
    if (query.exceptionQueues?.length) q = q.where('exception_queue', 'in', query.exceptionQueues);
    if (query.pathway) q = q.where('pathway', '=', query.pathway);
    if (query.ownerId) q = q.where('owner_id', '=', query.ownerId);
    if (query.modalities?.length) {
      const mods = query.modalities;
      q = q.where((eb) => eb.or(mods.map((m) => eb('modalities', 'like', `%${stripLikeWildcards(m)}%`))));
    }
    if (query.text) {
      const t = `%${stripLikeWildcards(query.text.toUpperCase())}%`;
      q = q.where((eb) =>
        eb.or([
          eb(sql`upper(accession_number)`, 'like', t),
          eb(sql`upper(patient_name)`, 'like', t),
          eb(sql`upper(patient_id)`, 'like', t),
          eb(sql`upper(procedure_text)`, 'like', t),
        ]),
      );
    }
    for (const s of query.sort?.length ? query.sort : DEFAULT_SORT!) {
      const col = SORT_COLUMNS[s.column];
      // Nulls last either way: a case without a deadline is never "most urgent".
      q = q.orderBy(sql`${sql.ref(col)} is null`).orderBy(col, s.direction);
    }
    q = q.orderBy('id');
    return q
      .limit(query.limit ?? 100)
      .offset(query.offset ?? 0)
      .execute();
  }

  /** A live stream opened: an access to the worklist, so it is audited like a query. */
  async auditStream(actor: Actor, origin: RequestOrigin): Promise<void> {
    await this.audit.record({ action: 'worklist-stream', actor, origin, outcome: 'success' });
  }

  /**
   * Lets another feature widen who may see a case: a consultant while the consult is theirs, a colleague a
   * case's discussion was shared with. Returns the function that removes the check.
   */
  allowViewers(check: (actor: Actor, caseId: string) => Promise<boolean>): () => void {
    this.extraViewers.push(check);
    return () => {
      const i = this.extraViewers.indexOf(check);
      if (i >= 0) this.extraViewers.splice(i, 1);
    };
  }

  /**
   * Whether the actor may see this case: coordinators always; readers when it is theirs or routed to them;
   * anyone a feature allowed (see allowViewers).
   */
  async canSee(actor: Actor, row: CaseRow): Promise<boolean> {
    if (can(actor.roles, Permission.WorklistReadAll)) return true;
    if (await this.seesAsReader(actor, row)) return true;
    for (const check of this.extraViewers) if (await check(actor, row.id)) return true;
    return false;
  }

  private async seesAsReader(actor: Actor, row: CaseRow): Promise<boolean> {
    if (!can(actor.roles, Permission.WorklistRead)) return false;
    const readerId = this.readerIdOf(actor);
    if (!readerId) return false;
    if (row.owner_id === readerId) return true;
    const v = await this.db
      .selectFrom('case_visibility')
      .select('reader_id')
      .where('case_id', '=', row.id)
      .where('reader_id', '=', readerId)
      .executeTakeFirst();
    if (v) return true;
    // A reader who once handled the case keeps read access to its history.
    const touched = await this.db
      .selectFrom('case_events')
      .select('id')
      .where('case_id', '=', row.id)
      .where('actor', '=', readerId)
      .limit(1)
      .executeTakeFirst();
    return Boolean(touched);
  }

  async detail(actor: Actor, caseId: string, origin: RequestOrigin): Promise<CaseDetail> {
    const row = await this.row(caseId);
    if (!row) throw new WorklistError(404, WorklistErrorCode.NotFound, `no case ${caseId}`);
    if (!(await this.canSee(actor, row))) {
      await this.audit.record({
        action: 'case-view',
        actor,
        origin,
        outcome: 'denied',
        studyUid: row.study_uid,
        patientId: row.patient_id,
      });
      throw new WorklistError(403, WorklistErrorCode.Forbidden, 'this case is not on your worklist');
    }
    const events = await this.db
      .selectFrom('case_events')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('id')
      .execute();
    const ai = await this.db
      .selectFrom('ai_results')
      .selectAll()
      .where('study_uid', '=', row.study_uid)
      .orderBy('id')
      .execute();
    const snapshot = JSON.parse(row.snapshot_json) as CaseSnapshot;
    const cls = this.slaClassOf(row.sla_class, snapshot);
    await this.audit.record({
      action: 'case-view',
      actor,
      origin,
      outcome: 'success',
      studyUid: row.study_uid,
      patientId: row.patient_id,
    });
    return {
      case: toCaseSummary(row),
      timeline: events.map((e) => ({
        at: new Date(Number(e.at)).toISOString(),
        type: e.type,
        actor: e.actor,
        detail: JSON.parse(e.detail_json) as Record<string, unknown>,
      })),
      decision: row.decision_json ? (JSON.parse(row.decision_json) as RoutingDecision) : null,
      sla: cls ? slaStatus(cls, snapshot.milestones, this.now()) : [],
      aiResults: ai.map((a) => ({
        at: new Date(Number(a.received_at)).toISOString(),
        source: a.source,
        finding: a.finding,
        confidence: a.confidence,
        suspectedCritical: Boolean(a.suspected_critical),
        flags: JSON.parse(a.flags) as string[],
      })),
      eligibleReaderIds: snapshot.eligibleReaderIds,
    };
  }

  /** Counts per queue for the coordinator view: active by state, exceptions by queue, breaches. */
  async queues(actor: Actor) {
    if (!can(actor.roles, Permission.WorklistReadAll))
      throw new WorklistError(
        403,
        WorklistErrorCode.Forbidden,
        'the queue overview needs the coordinator role',
      );
    const byState = await this.db
      .selectFrom('cases')
      .select(['state', 'priority', (eb) => eb.fn.countAll<number>().as('n')])
      .where('state', 'in', [...ACTIVE_STATES, CaseState.Exception])
      .groupBy(['state', 'priority'])
      .execute();
    const exceptions = await this.db
      .selectFrom('cases')
      .select([
        'exception_queue',
        (eb) => eb.fn.countAll<number>().as('n'),
        (eb) => eb.fn.min('updated_at').as('oldest'),
      ])
      .where('state', '=', CaseState.Exception)
      .groupBy('exception_queue')
      .execute();
    const sla = await this.db
      .selectFrom('cases')
      .select(['sla_state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('state', 'in', ACTIVE_STATES)
      .groupBy('sla_state')
      .execute();
    const bySite = await this.db
      .selectFrom('cases')
      .select(['site_id', 'state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('state', 'in', [...ACTIVE_STATES, CaseState.Exception])
      .groupBy(['site_id', 'state'])
      .execute();
    const load = await this.loadFigures();
    const live = this.routing.current();
    return {
      byState: byState.map((r) => ({ state: r.state, priority: r.priority, count: Number(r.n) })),
      exceptions: Object.entries(EXCEPTION_QUEUES).map(([queue, q]) => {
        const r = exceptions.find((e) => e.exception_queue === queue);
        return {
          queue,
          title: q.title,
          owner: q.owner,
          targetMinutes: q.targetMinutes,
          count: Number(r?.n ?? 0),
          oldestAt: r?.oldest ? new Date(Number(r.oldest)).toISOString() : null,
        };
      }),
      sla: Object.fromEntries(sla.map((r) => [r.sla_state, Number(r.n)])),
      bySite: bySite.map((r) => ({ siteId: r.site_id, state: r.state, count: Number(r.n) })),
      readers: (live?.config.readers ?? []).map((r) => ({
        id: r.id,
        name: r.name,
        cases: load.readers[r.id]?.cases ?? 0,
        weight: load.readers[r.id]?.weight ?? 0,
        maxConcurrent: r.maxConcurrent,
      })),
    };
  }

  // ---------------------------------------------------------------- AI triage

  /**
   * Records an AI result. A suspected critical finding makes the case STAT at once (with the reason shown on
   * the worklist) and routes it again; protocol-mismatch or incomplete-study flags send it to an exception
   * queue. Results for studies not complete yet are kept and applied when the case is created.
   */
  async addAiResult(actor: Actor, input: AiResultInput, origin: RequestOrigin) {
    if (!can(actor.roles, Permission.AiResultsWrite))
      throw new WorklistError(
        403,
        WorklistErrorCode.Forbidden,
        'posting AI results needs the integration role',
      );
    const now = this.now();
    const caseId = caseIdFor(input.studyUid);
    const flags = [...new Set([...input.flags, ...(input.suspectedCritical ? ['suspected-critical'] : [])])];
    const existing = await this.row(caseId);
    await this.db
      .insertInto('ai_results')
      .values({
        case_id: existing ? caseId : null,
        study_uid: input.studyUid,
        received_at: now,
        source: input.source,
        finding: input.finding,
        confidence: input.confidence ?? null,
        suspected_critical: input.suspectedCritical ? 1 : 0,
        flags: JSON.stringify(flags),
        payload_json: JSON.stringify(input.payload ?? null),
      })
      .execute();
    await this.audit.record({
      action: 'ai-result',
      actor,
      origin,
      outcome: 'success',
      studyUid: input.studyUid,
      detail: `${input.source}: ${input.finding}`,
    });
    if (!existing) return { caseId: null, applied: 'pending' as const };
    const merged = [...new Set([...(JSON.parse(existing.ai_flags) as string[]), ...flags])];
    await this.db
      .updateTable('cases')
      .set({ ai_flags: JSON.stringify(merged) })
      .where('id', '=', caseId)
      .execute();
    if (TERMINAL_STATES.includes(existing.state)) return { caseId, applied: 'recorded' as const };
    const exceptionFlag = aiExceptionQueue(flags);
    if (exceptionFlag && existing.state !== CaseState.Exception && existing.state !== CaseState.Scheduled) {
      await this.execute(caseId, {
        type: 'raise-exception',
        queue: exceptionFlag.queue,
        reason: exceptionFlag.reason,
        by: 'ai',
      });
      return { caseId, applied: 'exception' as const };
    }
    if (input.suspectedCritical) {
      await this.execute(caseId, {
        type: 'reprioritise',
        priority: 'stat',
        reason: aiReason(input.finding, input.confidence ?? null, input.source),
      });
      await this.route(caseId, { onlyIfChanged: true });
      return { caseId, applied: 'reprioritised' as const };
    }
    return { caseId, applied: 'recorded' as const };
  }

  // ---------------------------------------------------------------- timers

  /**
   * The worklist's clockwork, run on a timer (and called directly by tests with a manual clock): expires
   * leases, fires due SLA and exception timers, and re-routes waiting cases so time-based rules (overflow
   * after N minutes, shift changes, broadening) take effect with no manual step.
   */
  async tick(
    options: { reroute?: boolean } = {},
  ): Promise<{ expired: number; fired: number; rerouted: number }> {
    const now = this.now();
    let expired = 0;
    const leases = await this.db
      .selectFrom('cases')
      .select('id')
      .where('state', '=', CaseState.InRead)
      .where('lease_expires_at', '<=', now)
      .limit(500)
      .execute();
    for (const l of leases) {
      try {
        await this.execute(l.id, { type: 'expire-lease' });
        expired++;
      } catch (err) {
        if (!(err instanceof WorklistError && err.status === 409)) throw err;
      }
    }
    let fired = 0;
    const due = await this.db
      .selectFrom('case_timers')
      .selectAll()
      .where('fired_at', 'is', null)
      .where('due_at', '<=', now)
      .orderBy('due_at')
      .limit(500)
      .execute();
    for (const t of due) {
      const mine = await this.db
        .updateTable('case_timers')
        .set({ fired_at: now })
        .where('id', '=', t.id)
        .where('fired_at', 'is', null)
        .executeTakeFirst();
      if (Number(mine.numUpdatedRows) !== 1) continue; // another node fired it
      fired++;
      await this.fire(t.case_id, t.kind, t.span, Number(t.step_index), t.action);
    }
    let rerouted = 0;
    if (options.reroute !== false && this.routing.current()) {
      const waiting = await this.db
        .selectFrom('cases')
        .select('id')
        .where((eb) =>
          eb.or([
            eb('state', '=', CaseState.Ready),
            eb.and([
              eb('state', '=', CaseState.Exception),
              eb('exception_queue', '=', ExceptionQueue.Unroutable),
            ]),
          ]),
        )
        .orderBy('priority_rank')
        .orderBy('available_at')
        .limit(1000)
        .execute();
      for (const w of waiting) {
        try {
          const before = await this.stored(w.id);
          const d = await this.route(w.id, { onlyIfChanged: true });
          const after = await this.stored(w.id);
          if (d && before && after && after.version !== before.version) rerouted++;
        } catch (err) {
          if (!(err instanceof WorklistError && err.status === 409)) throw err;
        }
      }
    }
    return { expired, fired, rerouted };
  }

  private async fire(caseId: string, kind: string, span: string, stepIndex: number, action: string | null) {
    const row = await this.stored(caseId);
    if (!row || TERMINAL_STATES.includes(row.state)) return;
    const now = this.now();
    if (kind === 'exception') {
      await this.note(caseId, 'exception:overdue', { queue: row.exception_queue, span });
      await this.setSla(caseId, 'breached');
      this.notice(
        caseId,
        'exception-overdue',
        `Case ${caseId} has waited in ${row.exception_queue} beyond its target`,
      );
      return;
    }
    const breach = stepIndex < 0;
    const what = breach ? 'breached' : (action ?? 'alert');
    await this.note(caseId, `sla:${what}`, { span, step: stepIndex, slaClass: row.sla_class });
    if (breach) await this.setSla(caseId, 'breached');
    else if (row.sla_state === 'ok') await this.setSla(caseId, 'at-risk');
    const live = this.routing.current();
    if (!breach && action === 'notify-supervisor') {
      this.notice(caseId, 'sla-supervisor', `Case ${caseId} (${row.priority}) is close to missing ${span}`);
    } else if (!breach && action === 'reassign' && row.state === CaseState.Assigned && row.owner_id) {
      const prev = row.owner_id;
      await this.execute(caseId, {
        type: 'reassign',
        toReaderId: null,
        by: SYSTEM,
        reason: `SLA ${span} at risk`,
      });
      await this.route(caseId, { excludeReaderIds: [prev] });
    } else if (
      (breach || action === 'broaden') &&
      live &&
      ACTIVE_STATES.includes(row.state) &&
      row.state !== CaseState.InRead
    ) {
      // A breach (or a broaden step) opens the case to everyone eligible on shift anywhere; ownership of an
      // assigned case ends here so the first free reader can take it.
      const d = routeCase({
        compiled: live.broadening,
        case: routingCaseOf(row),
        load: await this.loadFigures(live.broadening),
        now,
      });
      if (d.eligibleReaderIds.length > 0 && row.state !== CaseState.Preliminary) {
        if (row.state === CaseState.Assigned)
          await this.execute(caseId, {
            type: 'reassign',
            toReaderId: null,
            by: SYSTEM,
            reason: `SLA ${span} ${what}`,
          });
        await this.execute(caseId, {
          type: 'broaden',
          readerIds: d.eligibleReaderIds,
          reason: `SLA ${span} ${what}`,
        });
      }
      if (breach) this.notice(caseId, 'sla-breached', `Case ${caseId} (${row.priority}) breached ${span}`);
    } else if (breach) {
      this.notice(caseId, 'sla-breached', `Case ${caseId} (${row.priority}) breached ${span}`);
    }
    void now;
  }

  private async setSla(caseId: string, state: 'at-risk' | 'breached') {
    const row = await this.db
      .updateTable('cases')
      .set({ sla_state: state })
      .where('id', '=', caseId)
      .returning(STORED_COLUMNS)
      .executeTakeFirst();
    if (row) {
      const snap = JSON.parse(row.snapshot_json) as CaseSnapshot;
      this.bus.publish({
        type: 'case:changed',
        summary: summaryOf(row),
        visibleBefore: visibleTo(snap),
        visibleNow: visibleTo(snap),
        events: [`sla:${state}`],
      });
    }
  }

  private async note(caseId: string, type: string, detail: Record<string, unknown>) {
    await this.db
      .insertInto('case_events')
      .values({ case_id: caseId, at: this.now(), type, actor: SYSTEM, detail_json: JSON.stringify(detail) })
      .execute();
  }

  private notice(caseId: string, kind: string, message: string) {
    this.log?.info({ caseId, kind }, 'coordinator notice');
    this.bus.publish({ type: 'notice', caseId, kind, message, at: new Date(this.now()).toISOString() });
  }

  /**
   * Publishes changes other nodes made (read from the durable event log) to this node's live streams.
   * Called on every tick, and at once when PostgreSQL notifies this node of a change (LISTEN/NOTIFY).
   * The first call only positions the cursor. Calls made while one runs are folded into one more run.
   */
  pollRemoteChanges(): Promise<number> {
    if (this.polling) {
      this.pollAgain = true;
      return this.polling;
    }
    this.polling = (async () => {
      let total = 0;
      do {
        this.pollAgain = false;
        total += await this.pollOnce();
      } while (this.pollAgain);
      return total;
    })().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  /**
   * Event ids are handed out at insert but transactions commit in any order, so an id below the cursor can
   * become visible after a higher one. Each poll therefore looks back REMOTE_LOOKBACK ids and skips the
   * ones it has already handled.
   */
  private async pollOnce(): Promise<number> {
    if (this.remoteCursor < 0) {
      const top = await this.db
        .selectFrom('domain_events')
        .select((eb) => eb.fn.max('id').as('m'))
        .executeTakeFirst();
      this.remoteCursor = Number(top?.m ?? 0);
      return 0;
    }
    const floor = this.remoteCursor - REMOTE_LOOKBACK;
    const rows = await this.db
      .selectFrom('domain_events')
      .select(['id', 'subject'])
      .where('type', '=', 'case:changed')
      .where('id', '>', floor)
      .orderBy('id')
      .limit(2000)
      .execute();
    let n = 0;
    const changed = new Set<string>();
    for (const r of rows) {
      const id = Number(r.id);
      this.remoteCursor = Math.max(this.remoteCursor, id);
      if (this.handledEventIds.has(id)) continue;
      this.handledEventIds.add(id);
      if (this.ownEventIds.delete(id)) continue;
      changed.add(r.subject);
    }
    for (const id of this.handledEventIds)
      if (id <= this.remoteCursor - REMOTE_LOOKBACK) this.handledEventIds.delete(id);
    for (const caseId of changed) {
      const row = await this.stored(caseId);
      if (!row) continue;
      const snap = JSON.parse(row.snapshot_json) as CaseSnapshot;
      // Another node changed it: who could see it before is unknown here, so tell everyone who can see it now
      // and let streams without access drop it by id.
      this.bus.publish({
        type: 'case:changed',
        summary: summaryOf(row),
        visibleBefore: [],
        visibleNow: visibleTo(snap),
        events: ['remote'],
      });
      n++;
    }
    return n;
  }

  // ---------------------------------------------------------------- persistence helpers

  private now(): number {
    return this.clock.now().getTime();
  }

  async row(caseId: string): Promise<CaseRow | undefined> {
    return this.db.selectFrom('cases').selectAll().where('id', '=', caseId).executeTakeFirst();
  }

  /** The case as commands and routing need it: without the stored decision. */
  private async stored(caseId: string): Promise<StoredRow | undefined> {
    return this.db.selectFrom('cases').select(STORED_COLUMNS).where('id', '=', caseId).executeTakeFirst();
  }

  private slaClassOf(classId: string | null | undefined, snap: CaseSnapshot): SlaClass | undefined {
    const live = this.routing.current();
    if (!live) return undefined;
    const found = classId ? live.config.sla.classes.find((c) => c.id === classId) : undefined;
    if (found) return found;
    try {
      return resolveSlaClass(live.config.sla, {
        priority: snap.priority,
        ...(snap.pathway ? { pathway: snap.pathway } : {}),
      });
    } catch {
      return undefined;
    }
  }

  private columnsOf(s: CaseSnapshot, now: number, cls?: SlaClass) {
    const status = cls ? slaStatus(cls, s.milestones, now) : [];
    const running = status.filter((x) => x.dueAt !== undefined && x.completedAt === undefined);
    const due = running.length ? Math.min(...running.map((x) => x.dueAt!)) : null;
    const worst = TERMINAL_STATES.includes(s.state) ? 'ok' : worstSlaState(status);
    return {
      state: s.state,
      priority: s.priority,
      priority_rank: priorityRank[s.priority],
      pathway: s.pathway ?? null,
      owner_id: s.ownerId,
      lease_expires_at: s.leaseExpiresAt,
      broadened: s.broadened ? 1 : 0,
      exception_queue: s.exception?.queue ?? null,
      exception_reason: s.exception?.reason ?? null,
      available_at: s.milestones.available ?? null,
      priority_reasons: JSON.stringify(s.priorityReasons),
      snapshot_json: JSON.stringify(s),
      version: s.version,
      updated_at: now,
      sla_due_at: TERMINAL_STATES.includes(s.state) ? null : due,
      sla_state: worst,
    };
  }

  /**
   * Appends the events to the case's timeline. Lease renewals (a heartbeat every 30 s while a reader has the
   * case open) are left out: the claim and its end are what a timeline reader needs, and the lease itself
   * is on the case row.
   */
  private async writeEvents(trx: Transaction<Database>, caseId: string, events: CaseEvent[]) {
    const kept = events.filter((e) => e.type !== CaseEventType.LeaseRenewed);
    if (kept.length === 0) return;
    await trx
      .insertInto('case_events')
      .values(
        kept.map((e) => {
          const { type, at, ...detail } = e;
          // An assignment by routing names the assignee in its detail; the actor is routing itself.
          const actor =
            type === CaseEventType.Routed || type === CaseEventType.Assigned
              ? 'routing'
              : 'readerId' in e
                ? e.readerId
                : 'by' in e
                  ? e.by
                  : SYSTEM;
          return { case_id: caseId, at, type, actor, detail_json: JSON.stringify(detail) };
        }),
      )
      .execute();
  }

  /** Replaces the case's pending timers with those its SLA class and milestones call for now. */
  private async syncTimers(
    trx: Transaction<Database>,
    caseId: string,
    s: CaseSnapshot,
    cls: SlaClass | undefined,
  ) {
    await trx.deleteFrom('case_timers').where('case_id', '=', caseId).where('fired_at', 'is', null).execute();
    if (TERMINAL_STATES.includes(s.state)) return;
    const rows: {
      case_id: string;
      due_at: number;
      kind: string;
      span: string;
      step_index: number;
      action: string | null;
    }[] = [];
    if (s.state === CaseState.Exception && s.exception) {
      const q = EXCEPTION_QUEUES[s.exception.queue];
      rows.push({
        case_id: caseId,
        due_at: s.exception.raisedAt + q.targetMinutes * 60_000,
        kind: 'exception',
        span: `${s.exception.queue}@${s.exception.raisedAt}`,
        step_index: -1,
        action: null,
      });
    } else if (cls) {
      for (const t of slaTimers(cls, s.milestones))
        rows.push({
          case_id: caseId,
          due_at: t.dueAt,
          kind: 'sla',
          span: t.span,
          step_index: t.stepIndex,
          action: t.action ?? null,
        });
    }
    if (rows.length === 0) return;
    await trx
      .insertInto('case_timers')
      .values(rows)
      .onConflict((oc) => oc.columns(['case_id', 'kind', 'span', 'step_index']).doNothing())
      .execute();
  }

  private async audited(
    actor: Actor,
    origin: RequestOrigin,
    action: string,
    caseId: string,
    command: CaseCommand,
    within?: CaseChangeHook,
  ): Promise<CaseSummary> {
    const row = await this.stored(caseId);
    try {
      // The row read for the audit record is the command's first read too.
      const out = await this.execute(caseId, command, {}, row, within);
      await this.audit.record({
        action,
        actor,
        origin,
        outcome: 'success',
        studyUid: row?.study_uid ?? null,
        patientId: row?.patient_id ?? null,
        detail: caseId,
      });
      return out;
    } catch (err) {
      await this.audit.record({
        action,
        actor,
        origin,
        outcome: 'failure',
        studyUid: row?.study_uid ?? null,
        patientId: row?.patient_id ?? null,
        detail: `${caseId}: ${(err as Error).message}`.slice(0, 500),
      });
      throw err;
    }
  }
}

// ---------------------------------------------------------------- pure helpers

const roundRobinRules = new WeakMap<CompiledRouting, string[]>();
/** Ids of the rules that choose round-robin, once per compiled configuration. */
function roundRobinRuleIds(compiled: CompiledRouting): string[] {
  let ids = roundRobinRules.get(compiled);
  if (!ids) {
    ids = compiled.rules.filter((r) => r.strategy === 'round-robin').map((r) => r.rule.id);
    roundRobinRules.set(compiled, ids);
  }
  return ids;
}

function visibleTo(s: CaseSnapshot): string[] {
  return s.ownerId && !s.eligibleReaderIds.includes(s.ownerId)
    ? [...s.eligibleReaderIds, s.ownerId]
    : s.eligibleReaderIds;
}

/**
 * A decision keeps a trace of every rule evaluated; with a thousand rules that is too much to store per case.
 * Kept: every rule that matched, and the first rules that did not (the ones a coordinator reads first).
 */
const MAX_UNMATCHED_TRACES = 25;
function forStorage(d: RoutingDecision): RoutingDecision & { rulesOmitted?: number } {
  const unmatched = d.rules.filter((r) => !r.matched);
  if (unmatched.length <= MAX_UNMATCHED_TRACES) return d;
  const keep = new Set(unmatched.slice(0, MAX_UNMATCHED_TRACES));
  return {
    ...d,
    rules: d.rules.filter((r) => r.matched || keep.has(r)),
    rulesOmitted: unmatched.length - MAX_UNMATCHED_TRACES,
  };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

function decisionChanges(row: StoredRow, d: RoutingDecision): boolean {
  const snap = JSON.parse(row.snapshot_json) as CaseSnapshot;
  if (d.outcome === 'unroutable') return row.state !== CaseState.Exception;
  // A new priority or pathway can change the SLA class, and with it the stored deadlines.
  if (row.sla_class !== d.slaClass) return true;
  if (row.state === CaseState.Exception) return true;
  if (d.outcome === 'assigned') return row.state !== CaseState.Assigned || row.owner_id !== d.assigneeId;
  if (row.state === CaseState.Assigned) return true;
  return !sameSet(snap.eligibleReaderIds, d.eligibleReaderIds) || snap.priority !== d.priority;
}

export function routingCaseOf(row: Omit<CaseRow, 'decision_json'>): RoutingCase {
  const snap = JSON.parse(row.snapshot_json) as CaseSnapshot;
  return {
    id: row.id,
    siteId: row.site_id ?? '',
    modalities: row.modalities.split('\\').filter(Boolean),
    bodyParts: row.body_parts.split('\\').filter(Boolean),
    ...(row.procedure_text ? { procedure: row.procedure_text } : {}),
    priority: snap.priority,
    ...(snap.pathway ? { pathway: snap.pathway } : {}),
    aiFlags: JSON.parse(row.ai_flags) as string[],
    availableAt: Number(row.available_at ?? row.created_at),
  };
}

function firstString(el: { Value?: unknown[] } | undefined): string | undefined {
  const v = el?.Value?.[0];
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/** PS3.3: Requested Procedure Priority (0040,1003) STAT/HIGH/ROUTINE/MEDIUM/LOW, else Study Priority ID. */
export function priorityFromDicom(meta: Record<string, { Value?: unknown[] }>): Priority {
  const p = (firstString(meta['00401003']) ?? firstString(meta['0032000C']) ?? '').toUpperCase();
  if (p === 'STAT') return 'stat';
  if (p === 'HIGH' || p === 'URGENT') return 'urgent';
  return 'routine';
}

function aiReason(finding: string, confidence: number | null, source: string): string {
  const c = confidence === null || confidence === undefined ? '' : ` (confidence ${confidence})`;
  return `AI suspects ${finding}${c}, from ${source}`;
}

function aiExceptionQueue(flags: string[]): { queue: ExceptionQueue; reason: string } | undefined {
  if (flags.includes('protocol-mismatch'))
    return { queue: ExceptionQueue.ProtocolMismatch, reason: 'AI flagged a protocol mismatch' };
  if (flags.includes('incomplete-study'))
    return { queue: ExceptionQueue.IncompleteStudy, reason: 'AI flagged the study as incomplete' };
  return undefined;
}

function stripLikeWildcards(s: string): string {
  return s.replace(/[\\%_]/g, '');
}
