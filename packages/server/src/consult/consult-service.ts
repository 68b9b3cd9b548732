import { randomBytes } from 'node:crypto';
import {
  applyConsultCommand,
  type Clock,
  type ConsultCommand,
  type ConsultEvent,
  ConsultKind,
  type ConsultPolicy,
  type ConsultSnapshot,
  ConsultState,
  type ConsultTarget,
  can,
  consultDueAt,
  consultExclusions,
  consultTargetProblem,
  consultTimers,
  defaultConsultPolicy,
  newConsult,
  openConsultStates,
  Permission,
  type Priority,
  type RoutingDecision,
  routeConsult,
} from '@confer/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Actor, AuditOutcome, AuditSink, RequestOrigin } from '../archive/ports.ts';
import { type CaseAccess, GrantReason, usernameOf } from '../collaboration/case-access.ts';
import { CollaborationError, CollaborationErrorCode } from '../collaboration/collaboration-error.ts';
import type { DiscussionBus } from '../collaboration/discussion-bus.ts';
import type { DiscussionFeed } from '../collaboration/discussion-feed.ts';
import type { Notifier, NotifyInput } from '../collaboration/notifier.ts';
import type { CasesTable, Database } from '../store/schema.ts';
import type { ConsultsTable } from '../store/tables/collaboration.ts';
import { recordCaseAudit } from '../worklist/case-audit.ts';
import type { RoutingConfigStore, RoutingVersion } from '../worklist/routing-config-store.ts';
import { routingCaseOf, type WorklistService } from '../worklist/worklist-service.ts';

/** A consult as the API sends it. */
export interface ConsultView {
  id: string;
  caseId: string;
  kind: ConsultKind;
  urgency: Priority;
  state: ConsultState;
  target: { kind: 'reader' | 'pool'; id: string; name: string };
  question: string;
  requestedBy: string;
  requestedAt: string;
  dueAt: string;
  expired: boolean;
  assignee: { readerId: string; name: string; username: string | null } | null;
  acceptedAt: string | null;
  answer: { text: string; by: string; at: string } | null;
  closedAt: string | null;
  declinedBy: string[];
  /** The latest routing decision, with the same explanation a case's has. */
  decision: RoutingDecision | null;
}

export interface ConsultRequestInput {
  kind: ConsultKind;
  target: ConsultTarget;
  urgency: Priority;
  question: string;
}

export interface ConsultDeps {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditSink;
  access: CaseAccess;
  worklist: WorklistService;
  routing: RoutingConfigStore;
  bus: DiscussionBus;
  notifier?: Notifier;
  policy?: ConsultPolicy;
  logger?: Logger;
}

const MAX_QUESTION_CHARS = 2000;

/**
 * Consults and second opinions: a reader asks a named reader or a pool a question about a case. The
 * consult is routed by the case routing engine (shift, roster, competency, credentials for the patient's
 * jurisdiction, privileges at the site, capacity), with its own SLA, stored timers and a lifecycle decided
 * in the core. Each change is written with a conditional update on the consult's version, together with the
 * case timeline event, access grant and notifications, in one transaction.
 */
export class ConsultService {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private readonly audit: AuditSink;
  private readonly access: CaseAccess;
  private readonly worklist: WorklistService;
  private readonly routing: RoutingConfigStore;
  private readonly bus: DiscussionBus;
  private notifier: Notifier | undefined;
  private feed: DiscussionFeed | undefined;
  readonly policy: ConsultPolicy;
  private readonly log: Logger | undefined;

  constructor(deps: ConsultDeps) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.access = deps.access;
    this.worklist = deps.worklist;
    this.routing = deps.routing;
    this.bus = deps.bus;
    this.notifier = deps.notifier;
    this.policy = deps.policy ?? defaultConsultPolicy;
    this.log = deps.logger;
  }

  setNotifier(notifier: Notifier): void {
    this.notifier = notifier;
  }

  /** Other nodes' case pages learn of consult changes through the feed (see DiscussionFeed). */
  attachFeed(feed: DiscussionFeed): void {
    this.feed = feed;
  }

  // ---------------------------------------------------------------- requests

  /**
   * Asks for a consult. It is routed at once; when nobody is eligible the request is refused with the
   * routing explanation (who was considered and why each could not take it), and nothing is stored.
   */
  async request(
    actor: Actor,
    caseId: string,
    input: ConsultRequestInput,
    origin: RequestOrigin,
  ): Promise<ConsultView> {
    if (!can(actor.roles, Permission.ConsultRequest))
      throw new CollaborationError(
        403,
        CollaborationErrorCode.Forbidden,
        'asking for a consult needs the radiologist role',
      );
    const row = await this.access.caseRow(caseId);
    if (!(await this.access.canSee(actor, row))) {
      await this.record(actor, origin, 'consult-request', row, 'denied', 'cannot see the case');
      throw new CollaborationError(
        403,
        CollaborationErrorCode.Forbidden,
        `case ${caseId} is not visible to you`,
      );
    }
    const live = this.live();
    const requesterReaderId = this.worklist.readerIdOf(actor) ?? null;
    const problem = consultTargetProblem(live.compiled, input.target, requesterReaderId);
    if (problem) throw new CollaborationError(422, CollaborationErrorCode.ConsultTargetInvalid, problem);
    const question = input.question.trim();
    if (question === '' || question.length > MAX_QUESTION_CHARS)
      throw new CollaborationError(
        400,
        CollaborationErrorCode.ConsultTargetInvalid,
        `ask a question of 1 to ${MAX_QUESTION_CHARS} characters`,
      );
    const now = this.now();
    const requestedBy = usernameOf(actor) ?? actor.name;
    const created = newConsult(
      {
        id: `K-${randomBytes(5).toString('hex').toUpperCase()}`,
        caseId,
        kind: input.kind,
        urgency: input.urgency,
        target: input.target,
        question,
        requestedBy,
        requesterReaderId,
      },
      now,
    );
    const decision = await this.decide(live, row, created.snapshot, now);
    if (decision.outcome === 'unroutable') {
      await this.record(actor, origin, 'consult-request', row, 'failure', decision.summary);
      throw new CollaborationError(
        422,
        CollaborationErrorCode.ConsultNoEligibleReader,
        `nobody can take this consult now. ${decision.summary}. Ask another reader or pool, or a coordinator.`,
        { decision },
      );
    }
    const routed = applyConsultCommand(
      created.snapshot,
      { type: 'route', routing: { assigneeId: decision.assigneeId ?? null, summary: decision.summary } },
      now,
    );
    if (!routed.ok) throw new Error(routed.message);
    const s = routed.snapshot;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('consults')
        .values({ ...this.columnsOf(s, now), decision_json: JSON.stringify(decision), created_at: now })
        .execute();
      await trx
        .insertInto('consult_timers')
        .values(
          consultTimers(this.policy, s.urgency, now).map((t) => ({
            consult_id: s.id,
            due_at: t.dueAt,
            step_index: t.stepIndex,
            action: t.action,
            fired_at: null,
          })),
        )
        .execute();
      await this.effects(trx, created.snapshot, s, [...created.events, ...routed.events], requestedBy, now);
    });
    await this.notifier?.flush();
    await this.record(actor, origin, 'consult-request', row, 'success', `${s.id} to ${decision.assigneeId}`);
    this.publish(s, 'consult:requested');
    return this.view(s, decision);
  }

  async accept(actor: Actor, id: string, origin: RequestOrigin): Promise<ConsultView> {
    const readerId = this.requireConsultant(actor);
    return this.command(actor, id, { type: 'accept', readerId }, origin, 'consult-accept');
  }

  /** Declines a consult; it is routed again at once, leaving out everyone who declined it. */
  async decline(actor: Actor, id: string, reason: string, origin: RequestOrigin): Promise<ConsultView> {
    const readerId = this.requireConsultant(actor);
    await this.command(
      actor,
      id,
      { type: 'decline', readerId, reason: reason.trim() || 'no reason given' },
      origin,
      'consult-decline',
    );
    await this.routeAgain(id);
    // The decliner's access to the case ended with the decline: answer from the row, not through get().
    return this.viewOf(await this.consultRow(id));
  }

  async answer(actor: Actor, id: string, text: string, origin: RequestOrigin): Promise<ConsultView> {
    const readerId = this.requireConsultant(actor);
    return this.command(
      actor,
      id,
      { type: 'answer', readerId, username: usernameOf(actor) ?? actor.name, text },
      origin,
      'consult-answer',
    );
  }

  /** Cancels a consult: its requester, or a coordinator. */
  async cancel(
    actor: Actor,
    id: string,
    reason: string | undefined,
    origin: RequestOrigin,
  ): Promise<ConsultView> {
    const s = await this.snapshot(id);
    const me = usernameOf(actor) ?? actor.name;
    if (s.requestedBy !== me && !can(actor.roles, Permission.WorklistManage))
      throw new CollaborationError(
        403,
        CollaborationErrorCode.Forbidden,
        'only the requester or a coordinator may cancel a consult',
      );
    return this.command(
      actor,
      id,
      { type: 'cancel', by: me, ...(reason ? { reason } : {}) },
      origin,
      'consult-cancel',
    );
  }

  // ---------------------------------------------------------------- reading

  async get(actor: Actor, id: string, origin: RequestOrigin, audited = true): Promise<ConsultView> {
    const r = await this.consultRow(id);
    const row = await this.access.caseRow(r.case_id);
    if (!(await this.access.canSee(actor, row))) {
      if (audited) await this.record(actor, origin, 'consult-view', row, 'denied', id);
      throw new CollaborationError(
        403,
        CollaborationErrorCode.Forbidden,
        `consult ${id} is not visible to you`,
      );
    }
    if (audited) await this.record(actor, origin, 'consult-view', row, 'success', id);
    return this.viewOf(r);
  }

  /**
   * Consults: `mine` (incoming, routed to the caller as a reader), `requested` (asked by the caller),
   * `caseId` (a case's, for anyone who may see it), or for coordinators every open one.
   */
  async list(
    actor: Actor,
    q: { mine?: boolean; requested?: boolean; caseId?: string; all?: boolean },
    origin: RequestOrigin,
  ): Promise<{ consults: ConsultView[] }> {
    let query = this.db.selectFrom('consults').selectAll().orderBy('created_at', 'desc').limit(200);
    if (q.caseId) {
      const row = await this.access.caseRow(q.caseId);
      if (!(await this.access.canSee(actor, row))) {
        await this.record(actor, origin, 'consult-list', row, 'denied', null);
        throw new CollaborationError(
          403,
          CollaborationErrorCode.Forbidden,
          `case ${q.caseId} is not visible to you`,
        );
      }
      query = query.where('case_id', '=', q.caseId);
    } else if (q.mine) {
      const readerId = this.requireConsultant(actor);
      query = query.where('assignee_id', '=', readerId);
      if (!q.all) query = query.where('state', 'in', [ConsultState.Requested, ConsultState.Accepted]);
    } else if (q.requested) {
      if (!can(actor.roles, Permission.ConsultRequest))
        throw new CollaborationError(
          403,
          CollaborationErrorCode.Forbidden,
          'consults need the radiologist role',
        );
      query = query.where('requested_by', '=', usernameOf(actor) ?? actor.name);
    } else if (can(actor.roles, Permission.WorklistReadAll)) {
      if (!q.all) query = query.where('state', 'in', openConsultStates);
    } else if (can(actor.roles, Permission.ConsultRequest)) {
      throw new CollaborationError(
        400,
        CollaborationErrorCode.ConsultTargetInvalid,
        'say which consults: mine=1 (routed to you), requested=1 (asked by you) or caseId=<case>',
      );
    } else {
      throw new CollaborationError(
        403,
        CollaborationErrorCode.Forbidden,
        'consults need the radiologist or coordinator role',
      );
    }
    const rows = await query.execute();
    await this.audit.record({
      action: 'consult-list',
      actor,
      origin,
      outcome: 'success',
      detail: `${rows.length} consults${q.caseId ? ` of ${q.caseId}` : ''}`,
    });
    return { consults: rows.map((r) => this.viewOf(r)) };
  }

  /** Whom a consult can be asked of: the pools and the readers of the live directory (not oneself). */
  targets(actor: Actor): {
    pools: { id: string; name: string; members: number }[];
    readers: { id: string; name: string; subspecialties: string[] }[];
  } {
    if (!can(actor.roles, Permission.ConsultRequest))
      throw new CollaborationError(
        403,
        CollaborationErrorCode.Forbidden,
        'consults need the radiologist role',
      );
    const cfg = this.routing.current()?.config;
    const me = this.worklist.readerIdOf(actor);
    return {
      pools: (cfg?.pools ?? []).map((p) => ({ id: p.id, name: p.name, members: p.readerIds.length })),
      readers: (cfg?.readers ?? [])
        .filter((r) => r.id !== me && r.active !== false)
        .map((r) => ({ id: r.id, name: r.name, subspecialties: r.subspecialties })),
    };
  }

  // ---------------------------------------------------------------- clockwork

  /**
   * Fires due consult timers (reminders, expiry, notices to coordinators) and routes unassigned consults
   * again, so a consult whose decliners left nobody finds a reader once one comes on shift. Timers are
   * rows, claimed with a conditional update, so a restart neither loses nor repeats them and one node
   * fires each.
   */
  async tick(): Promise<{ fired: number; rerouted: number }> {
    const now = this.now();
    const due = await this.db
      .selectFrom('consult_timers')
      .selectAll()
      .where('fired_at', 'is', null)
      .where('due_at', '<=', now)
      .orderBy('due_at')
      .limit(200)
      .execute();
    let fired = 0;
    for (const t of due) {
      const mine = await this.db
        .updateTable('consult_timers')
        .set({ fired_at: now })
        .where('id', '=', t.id)
        .where('fired_at', 'is', null)
        .executeTakeFirst();
      if (Number(mine.numUpdatedRows) !== 1) continue;
      fired++;
      try {
        await this.fire(t.consult_id, t.action);
      } catch (err) {
        this.log?.warn({ consultId: t.consult_id, err: (err as Error).message }, 'consult timer failed');
      }
    }
    let rerouted = 0;
    if (this.routing.current()) {
      const waiting = await this.db
        .selectFrom('consults')
        .select('id')
        .where('state', '=', ConsultState.Unassigned)
        .orderBy('created_at')
        .limit(200)
        .execute();
      for (const w of waiting) if (await this.routeAgain(w.id, { onlyIfAssigned: true })) rerouted++;
    }
    if (fired + rerouted > 0) await this.notifier?.flush();
    return { fired, rerouted };
  }

  private async fire(id: string, action: string) {
    const s = await this.snapshot(id);
    if (!openConsultStates.includes(s.state)) return;
    const caseLink = `#/cases/${encodeURIComponent(s.caseId)}`;
    if (action === 'expire') {
      const after = await this.change(id, { type: 'expire' }, 'confer');
      if (!after) return;
      const rerouted = after.state === ConsultState.Unassigned ? await this.routeAgain(id) : undefined;
      const outcome = rerouted?.assigneeId
        ? `routed again to ${this.readerName(rerouted.assigneeId)}`
        : after.state === ConsultState.Accepted
          ? `${this.readerName(after.assigneeId)} accepted it and is still on it`
          : 'nobody else is eligible now; Confer keeps trying';
      await this.notifyNow({
        usernames: [s.requestedBy, ...(await this.access.usersWith(Permission.WorklistManage))],
        kind: 'consult-expired',
        title: `Consult ${id} on case ${s.caseId} passed its ${s.urgency} target unanswered`,
        body: outcome,
        caseId: s.caseId,
        link: caseLink,
      });
      return;
    }
    if (action === 'remind' && s.assigneeId) {
      const username = this.usernameOfReader(s.assigneeId);
      if (username)
        await this.notifyNow({
          usernames: [username],
          kind: 'consult-reminder',
          title: `Reminder: ${s.requestedBy} is waiting for your ${kindWord(s.kind)} on case ${s.caseId}`,
          caseId: s.caseId,
          link: '#/consults',
        });
      return;
    }
    if (action === 'notify-coordinators') {
      await this.notifyNow({
        usernames: await this.access.usersWith(Permission.WorklistManage),
        kind: 'consult-escalated',
        title: `Consult ${id} on case ${s.caseId} is still open well past its target`,
        body: s.assigneeId
          ? `With ${this.readerName(s.assigneeId)} (${s.state})`
          : 'Nobody is eligible to take it',
        caseId: s.caseId,
        link: caseLink,
      });
    }
  }

  /**
   * Routes an unassigned consult again, leaving out the requester, decliners and those it expired with.
   * With `onlyIfAssigned` a decision that finds nobody is not written (the clockwork retries every tick).
   */
  private async routeAgain(id: string, options: { onlyIfAssigned?: boolean } = {}) {
    const live = this.routing.current();
    if (!live) return undefined;
    const s = await this.snapshot(id);
    if (s.state !== ConsultState.Unassigned) return undefined;
    const row = await this.access.caseRow(s.caseId);
    const decision = await this.decide(live, row, s, this.now());
    if (options.onlyIfAssigned && !decision.assigneeId) return undefined;
    return this.change(
      id,
      { type: 'route', routing: { assigneeId: decision.assigneeId ?? null, summary: decision.summary } },
      'routing',
      decision,
    );
  }

  // ---------------------------------------------------------------- writing

  private async command(
    actor: Actor,
    id: string,
    c: ConsultCommand,
    origin: RequestOrigin,
    action: string,
  ): Promise<ConsultView> {
    const s = await this.snapshot(id);
    const row = await this.access.caseRow(s.caseId);
    try {
      const after = await this.change(id, c, usernameOf(actor) ?? actor.name);
      await this.record(actor, origin, action, row, 'success', id);
      return this.viewOf(await this.consultRow(after?.id ?? id));
    } catch (err) {
      await this.record(actor, origin, action, row, 'failure', `${id}: ${(err as Error).message}`);
      throw err;
    }
  }

  /**
   * Decides the command in the core and writes it with a conditional update on the version read; when
   * another node changed the consult meanwhile it reads again and decides again.
   */
  private async change(
    id: string,
    c: ConsultCommand,
    by: string,
    decision?: RoutingDecision,
  ): Promise<ConsultSnapshot | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = await this.snapshot(id);
      const now = this.now();
      const out = applyConsultCommand(before, c, now);
      if (!out.ok) {
        const status =
          out.code === 'CONFER_ERR_CONSULT_NOT_ASSIGNEE'
            ? 403
            : out.code === 'CONFER_ERR_CONSULT_EMPTY_ANSWER'
              ? 400
              : 409;
        throw new CollaborationError(status, out.code, out.message, { state: before.state });
      }
      if (out.events.length === 0) return before;
      const after = out.snapshot;
      const written = await this.db.transaction().execute(async (trx) => {
        const u = await trx
          .updateTable('consults')
          .set({
            ...this.columnsOf(after, now),
            ...(decision ? { decision_json: JSON.stringify(decision) } : {}),
          })
          .where('id', '=', id)
          .where('version', '=', before.version)
          .executeTakeFirst();
        if (Number(u.numUpdatedRows) !== 1) return false;
        if (!openConsultStates.includes(after.state))
          await trx
            .deleteFrom('consult_timers')
            .where('consult_id', '=', id)
            .where('fired_at', 'is', null)
            .execute();
        await this.effects(trx, before, after, out.events, by, now);
        return true;
      });
      if (!written) continue;
      await this.notifier?.flush();
      for (const e of out.events) this.publish(after, e.type);
      return after;
    }
    throw new CollaborationError(503, CollaborationErrorCode.Busy, `consult ${id} kept changing; try again`);
  }

  /**
   * What a change means beyond the consult row: the case timeline, who may see the case, and who is told.
   * Runs in the change's transaction.
   */
  private async effects(
    trx: Transaction<Database>,
    before: ConsultSnapshot,
    after: ConsultSnapshot,
    events: ConsultEvent[],
    by: string,
    now: number,
  ) {
    const link = `#/cases/${encodeURIComponent(after.caseId)}`;
    const word = kindWord(after.kind);
    await trx
      .insertInto('case_events')
      .values(
        events.map((e) => ({
          case_id: after.caseId,
          at: e.at,
          type: `case:${e.type.replace(':', '-')}`,
          // Routing and the clockwork name themselves; people are named by their user name.
          actor: e.actor === 'routing' || e.actor === 'confer' ? e.actor : by,
          detail_json: JSON.stringify(this.timelineDetail(after, e)),
        })),
      )
      .execute();
    await this.feed?.announce(
      trx,
      {
        kind: 'consult',
        caseId: after.caseId,
        consultId: after.id,
        state: after.state,
        event: events.at(-1)!.type,
      },
      now,
    );
    const assigneeChanged = before.assigneeId !== after.assigneeId;
    if (assigneeChanged && before.assigneeId) await this.access.revokeConsult(trx, after.id, now);
    if (after.state === ConsultState.Cancelled) await this.access.revokeConsult(trx, after.id, now);
    if (assigneeChanged && after.assigneeId) {
      const username = this.usernameOfReader(after.assigneeId);
      if (username) {
        await this.access.grant(trx, {
          caseId: after.caseId,
          username,
          reason: GrantReason.Consult,
          by: after.requestedBy,
          at: now,
          consultId: after.id,
        });
        await this.notifier?.notify(
          {
            usernames: [username],
            kind: 'consult',
            title: `${after.requestedBy} asks you for a ${after.urgency} ${word} on case ${after.caseId}`,
            body: 'Open your consults to accept, answer or decline it.',
            caseId: after.caseId,
            link: '#/consults',
          },
          trx,
        );
      }
    }
    for (const e of events) {
      if (e.type === 'consult:answered')
        await this.notifier?.notify(
          {
            usernames: [after.requestedBy],
            kind: 'consult-answered',
            title: `${this.readerName(after.assigneeId)} answered your ${word} on case ${after.caseId}`,
            caseId: after.caseId,
            link,
          },
          trx,
        );
      if (e.type === 'consult:declined')
        await this.notifier?.notify(
          {
            usernames: [after.requestedBy],
            kind: 'consult-declined',
            title: `${this.readerName(before.assigneeId)} declined your ${word} on case ${after.caseId}; Confer is routing it again`,
            caseId: after.caseId,
            link,
          },
          trx,
        );
      if (e.type === 'consult:cancelled' && before.assigneeId) {
        const username = this.usernameOfReader(before.assigneeId);
        if (username)
          await this.notifier?.notify(
            {
              usernames: [username],
              kind: 'consult-cancelled',
              title: `The ${word} on case ${after.caseId} was cancelled`,
              caseId: after.caseId,
              link: '#/consults',
            },
            trx,
          );
      }
    }
  }

  /** What the case timeline shows of a consult event: the answer itself when it is one. */
  private timelineDetail(s: ConsultSnapshot, e: ConsultEvent): Record<string, unknown> {
    const base = { consultId: s.id, kind: s.kind, urgency: s.urgency, target: this.targetName(s.target) };
    switch (e.type) {
      case 'consult:requested':
        return { ...base, question: s.question };
      case 'consult:routed':
        return { ...base, consultant: this.readerName(s.assigneeId), summary: e.detail.summary };
      case 'consult:answered':
        return { ...base, consultant: this.readerName(s.answer?.readerId ?? null), answer: s.answer?.text };
      default:
        return { ...base, ...e.detail };
    }
  }

  private async decide(live: RoutingVersion, row: Selectable<CasesTable>, s: ConsultSnapshot, now: number) {
    const load = await this.worklist.loadFigures(live.compiled);
    // An open consult counts as one case against the consultant's capacity.
    const open = await this.db
      .selectFrom('consults')
      .select(['assignee_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('state', 'in', [ConsultState.Requested, ConsultState.Accepted])
      .where('assignee_id', 'is not', null)
      .groupBy('assignee_id')
      .execute();
    for (const o of open) {
      const cur = load.readers[o.assignee_id!] ?? { cases: 0, weight: 0 };
      load.readers[o.assignee_id!] = { ...cur, cases: cur.cases + Number(o.n) };
    }
    return routeConsult({
      compiled: live.compiled,
      case: routingCaseOf(row),
      target: s.target,
      urgency: s.urgency,
      exclude: consultExclusions(s),
      load,
      now,
    });
  }

  // ---------------------------------------------------------------- helpers

  private live(): RoutingVersion {
    const live = this.routing.current();
    if (!live)
      throw new CollaborationError(
        409,
        CollaborationErrorCode.NoRouting,
        'no routing configuration is loaded, so there is nobody to route a consult to; an administrator must load one',
      );
    return live;
  }

  private requireConsultant(actor: Actor): string {
    if (!can(actor.roles, Permission.ConsultRequest))
      throw new CollaborationError(
        403,
        CollaborationErrorCode.Forbidden,
        'consults need the radiologist role',
      );
    const readerId = this.worklist.readerIdOf(actor);
    if (!readerId)
      throw new CollaborationError(
        403,
        CollaborationErrorCode.NotAReader,
        `user ${usernameOf(actor) ?? actor.name} is not a reader in the routing directory`,
      );
    return readerId;
  }

  private async consultRow(id: string): Promise<Selectable<ConsultsTable>> {
    const r = await this.db.selectFrom('consults').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw new CollaborationError(404, CollaborationErrorCode.ConsultNotFound, `no consult ${id}`);
    return r;
  }

  private async snapshot(id: string): Promise<ConsultSnapshot> {
    return JSON.parse((await this.consultRow(id)).snapshot_json) as ConsultSnapshot;
  }

  private columnsOf(s: ConsultSnapshot, now: number) {
    return {
      id: s.id,
      case_id: s.caseId,
      kind: s.kind,
      urgency: s.urgency,
      state: s.state,
      target_kind: s.target.kind,
      target_id: s.target.kind === 'pool' ? s.target.poolId : s.target.readerId,
      requested_by: s.requestedBy,
      assignee_id: s.assigneeId,
      due_at: consultDueAt(this.policy, s.urgency, s.requestedAt),
      expired: s.expired ? 1 : 0,
      snapshot_json: JSON.stringify(s),
      version: s.version,
      updated_at: now,
    };
  }

  private viewOf(r: Selectable<ConsultsTable>): ConsultView {
    const s = JSON.parse(r.snapshot_json) as ConsultSnapshot;
    const v = this.view(s, r.decision_json ? (JSON.parse(r.decision_json) as RoutingDecision) : null);
    return { ...v, dueAt: new Date(Number(r.due_at)).toISOString() };
  }

  private view(s: ConsultSnapshot, decision: RoutingDecision | null): ConsultView {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      id: s.id,
      caseId: s.caseId,
      kind: s.kind,
      urgency: s.urgency,
      state: s.state,
      target: {
        kind: s.target.kind,
        id: s.target.kind === 'pool' ? s.target.poolId : s.target.readerId,
        name: this.targetName(s.target),
      },
      question: s.question,
      requestedBy: s.requestedBy,
      requestedAt: new Date(s.requestedAt).toISOString(),
      dueAt: new Date(consultDueAt(this.policy, s.urgency, s.requestedAt)).toISOString(),
      expired: s.expired,
      assignee: s.assigneeId
        ? {
            readerId: s.assigneeId,
            name: this.readerName(s.assigneeId),
            username: this.usernameOfReader(s.assigneeId) ?? null,
          }
        : null,
      acceptedAt: iso(s.acceptedAt),
      answer: s.answer
        ? { text: s.answer.text, by: s.answer.by, at: new Date(s.answer.at).toISOString() }
        : null,
      closedAt: iso(s.closedAt),
      declinedBy: s.declinedBy.map((r) => this.readerName(r)),
      decision,
    };
  }

  private targetName(t: ConsultTarget): string {
    const cfg = this.routing.current()?.config;
    if (t.kind === 'pool') return cfg?.pools.find((p) => p.id === t.poolId)?.name ?? t.poolId;
    return this.readerName(t.readerId);
  }

  private readerName(readerId: string | null): string {
    if (!readerId) return 'nobody';
    return this.routing.current()?.config.readers.find((r) => r.id === readerId)?.name ?? readerId;
  }

  private usernameOfReader(readerId: string): string | undefined {
    return this.routing.current()?.config.readers.find((r) => r.id === readerId)?.username;
  }

  private async notifyNow(input: NotifyInput) {
    if (!this.notifier || input.usernames.length === 0) return;
    await this.notifier.notify(input);
  }

  private publish(s: ConsultSnapshot, event: string) {
    this.bus.publish({ type: 'consult', caseId: s.caseId, consultId: s.id, state: s.state, event });
  }

  private async record(
    actor: Actor,
    origin: RequestOrigin,
    action: string,
    row: Selectable<CasesTable>,
    outcome: AuditOutcome,
    detail: string | null,
  ) {
    await recordCaseAudit(this.audit, actor, origin, action, row, outcome, detail);
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}

function kindWord(kind: ConsultKind): string {
  return kind === ConsultKind.SecondOpinion ? 'second opinion' : 'consult';
}
