import { randomBytes } from 'node:crypto';
import {
  type BoardSessionInput,
  type Clock,
  can,
  checkCaseOrder,
  isBoardOutcomeCategory,
  Permission,
  sessionLocalStart,
  validateBoardSession,
} from '@confer/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { AuditLog } from '../archive/audit-log.ts';
import type { Actor, AuditEvent, RequestOrigin } from '../archive/ports.ts';
import {
  type CaseDiscussionEntry,
  type CaseMaterial,
  type CaseReportView,
  DomainError,
  type Notifier,
} from '../peer-review/ports.ts';
import type { Database } from '../store/schema.ts';
import type { BoardCasesTable, BoardSessionsTable } from '../store/tables/peer-review-boards.ts';
import { type CaseSummary, toCaseSummary } from '../worklist/case-summary.ts';

export const BoardErrorCode = {
  Forbidden: 'CONFER_ERR_FORBIDDEN',
  NotFound: 'CONFER_ERR_BOARD_NOT_FOUND',
  NotAMember: 'CONFER_ERR_BOARD_NOT_A_MEMBER',
  Invalid: 'CONFER_ERR_BOARD_SESSION_INVALID',
  UnknownUser: 'CONFER_ERR_BOARD_UNKNOWN_USER',
  CaseNotFound: 'CONFER_ERR_CASE_NOT_FOUND',
  CaseAlreadyListed: 'CONFER_ERR_BOARD_CASE_ALREADY_LISTED',
  CaseNotListed: 'CONFER_ERR_BOARD_CASE_NOT_LISTED',
  BadOrder: 'CONFER_ERR_BOARD_ORDER_INVALID',
  BadOutcome: 'CONFER_ERR_BOARD_OUTCOME_INVALID',
  Cancelled: 'CONFER_ERR_BOARD_SESSION_CANCELLED',
} as const;
const E = BoardErrorCode;

/** Timeline event types a board writes on a case. */
export const BoardCaseEvent = {
  Added: 'board:case-added',
  Removed: 'board:case-removed',
  Outcome: 'board:outcome',
} as const;

const SYSTEM_ACTOR = { kind: 'system', id: 'confer', name: 'board reminders' } as const;
const CLOCKWORK: RequestOrigin = { protocol: 'api', remoteAddress: 'clockwork' };

export interface BoardDeps {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditLog;
  notifier?: Notifier;
  material?: CaseMaterial;
  /** How long before a session starts its members are reminded (30 minutes by default). */
  reminderLeadMs?: number;
  /** How long after a session starts its members keep access to its cases (30 days by default). */
  accessAfterMs?: number;
  logger?: Logger;
}

export interface BoardSessionChanges extends Partial<BoardSessionInput> {
  members?: string[];
}

export interface BoardMemberView {
  username: string;
  displayName: string | null;
}

export interface BoardSessionView {
  id: string;
  title: string;
  startsAt: string;
  /** The local date and time in the session's zone, as it was entered. */
  date: string;
  time: string;
  timeZone: string;
  durationMinutes: number;
  specialties: string[];
  location: string | null;
  createdBy: string;
  cancelled: boolean;
  members: BoardMemberView[];
  caseCount: number;
  outcomesRecorded: number;
}

export interface BoardCaseView {
  caseId: string;
  position: number;
  question: string;
  addedBy: string;
  addedAt: string;
  case: Pick<
    CaseSummary,
    | 'studyUid'
    | 'state'
    | 'modalities'
    | 'procedure'
    | 'accessionNumber'
    | 'patientName'
    | 'patientId'
    | 'siteId'
  > | null;
  outcome: {
    category: string;
    recommendation: string;
    attendees: string[];
    recordedBy: string;
    recordedAt: string;
  } | null;
}

export interface BoardSessionDetail extends BoardSessionView {
  cases: BoardCaseView[];
  /** What the caller may do: manage (edit, add cases, record outcomes) or attend. */
  canManage: boolean;
}

/** One case as presentation mode shows it: the case, its series, its report and its discussion. */
export interface BoardPresentation {
  session: { id: string; title: string };
  entry: BoardCaseView;
  index: number;
  total: number;
  previousCaseId: string | null;
  nextCaseId: string | null;
  case: CaseSummary;
  series: { seriesUid: string; modality: string | null; description: string | null; instances: number }[];
  report: CaseReportView | null;
  discussion: CaseDiscussionEntry[] | null;
}

type SessionRow = Selectable<BoardSessionsTable>;
type CaseRow = Selectable<BoardCasesTable>;

/**
 * MDT / tumour boards: sessions with members, a case list built from the worklist or a case page, a
 * presentation of each case in turn, and the board's outcome per case (written to the case's timeline).
 * Members (board:attend) see their sessions' cases, images and reports even when those cases are not on their
 * worklist: that access goes through this service only, and each one is audited as board access.
 */
export class BoardService {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private readonly audit: AuditLog;
  private readonly notifier: Notifier | undefined;
  private readonly material: CaseMaterial | undefined;
  private readonly reminderLeadMs: number;
  private readonly accessAfterMs: number;
  private readonly log: Logger | undefined;

  constructor(deps: BoardDeps) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.notifier = deps.notifier;
    this.material = deps.material;
    this.reminderLeadMs = deps.reminderLeadMs ?? 30 * 60_000;
    this.accessAfterMs = deps.accessAfterMs ?? 30 * 86_400_000;
    this.log = deps.logger;
  }

  // ---------------------------------------------------------------- sessions

  async create(
    actor: Actor,
    input: BoardSessionInput & { members: string[] },
    origin: RequestOrigin,
  ): Promise<BoardSessionDetail> {
    this.requireManager(actor);
    const startsAt = this.validSession(input);
    const members = await this.knownUsers(input.members);
    const id = `B-${randomBytes(5).toString('hex').toUpperCase()}`;
    const now = this.now();
    await this.write(async (trx) => {
      await trx
        .insertInto('board_sessions')
        .values({
          id,
          title: input.title.trim(),
          starts_at: startsAt,
          time_zone: input.timeZone,
          duration_minutes: input.durationMinutes,
          specialties: JSON.stringify(input.specialties.map((s) => s.trim())),
          location: input.location?.trim() || null,
          created_by: usernameOf(actor),
          created_at: now,
          updated_at: now,
        })
        .execute();
      if (members.length > 0)
        await trx
          .insertInto('board_members')
          .values(members.map((username) => ({ session_id: id, username })))
          .execute();
      await this.audit.append(trx, [
        {
          action: 'board-create',
          actor,
          origin,
          outcome: 'success',
          detail: `${id}: ${members.length} members`,
        },
      ]);
      if (members.length > 0)
        await this.notifier?.notify(
          {
            usernames: members,
            kind: 'board:member',
            title: `You are a member of the board "${input.title.trim()}"`,
            body: `${input.date} ${input.time} (${input.timeZone})`,
            link: `#/boards/${id}`,
          },
          trx,
        );
    });
    return this.detail(actor, id, origin);
  }

  async update(
    actor: Actor,
    id: string,
    changes: BoardSessionChanges,
    origin: RequestOrigin,
  ): Promise<BoardSessionDetail> {
    this.requireManager(actor);
    const row = await this.session(id);
    if (row.cancelled_at !== null)
      throw new DomainError(
        409,
        E.Cancelled,
        'Session cancelled',
        'this session was cancelled; create a new one',
      );
    const local = sessionLocalStart(Number(row.starts_at), row.time_zone);
    const merged: BoardSessionInput = {
      title: changes.title ?? row.title,
      date: changes.date ?? local.date,
      time: changes.time ?? local.time,
      timeZone: changes.timeZone ?? row.time_zone,
      durationMinutes: changes.durationMinutes ?? Number(row.duration_minutes),
      specialties: changes.specialties ?? (JSON.parse(row.specialties) as string[]),
      location: changes.location === undefined ? row.location : changes.location,
    };
    const startsAt = this.validSession(merged);
    const members = changes.members ? await this.knownUsers(changes.members) : undefined;
    const before = await this.memberNames(id);
    await this.write(async (trx) => {
      await trx
        .updateTable('board_sessions')
        .set({
          title: merged.title.trim(),
          starts_at: startsAt,
          time_zone: merged.timeZone,
          duration_minutes: merged.durationMinutes,
          specialties: JSON.stringify(merged.specialties.map((s) => s.trim())),
          location: merged.location?.trim() || null,
          updated_at: this.now(),
          // A session moved to a new time reminds its members again.
          ...(startsAt !== Number(row.starts_at) ? { reminded_at: null } : {}),
        })
        .where('id', '=', id)
        .execute();
      if (members) {
        await trx.deleteFrom('board_members').where('session_id', '=', id).execute();
        if (members.length > 0)
          await trx
            .insertInto('board_members')
            .values(members.map((username) => ({ session_id: id, username })))
            .execute();
        const added = members.filter((m) => !before.includes(m));
        if (added.length > 0)
          await this.notifier?.notify(
            {
              usernames: added,
              kind: 'board:member',
              title: `You are a member of the board "${merged.title.trim()}"`,
              body: `${merged.date} ${merged.time} (${merged.timeZone})`,
              link: `#/boards/${id}`,
            },
            trx,
          );
      }
      await this.audit.append(trx, [
        {
          action: 'board-update',
          actor,
          origin,
          outcome: 'success',
          detail: `${id}: ${Object.keys(changes).join(', ') || 'nothing'}`,
        },
      ]);
    });
    return this.detail(actor, id, origin);
  }

  async cancel(actor: Actor, id: string, origin: RequestOrigin): Promise<BoardSessionDetail> {
    this.requireManager(actor);
    const row = await this.session(id);
    const members = await this.memberNames(id);
    await this.write(async (trx) => {
      await trx
        .updateTable('board_sessions')
        .set({ cancelled_at: this.now() })
        .where('id', '=', id)
        .execute();
      await this.audit.append(trx, [
        { action: 'board-cancel', actor, origin, outcome: 'success', detail: id },
      ]);
      if (members.length > 0 && row.cancelled_at === null)
        await this.notifier?.notify(
          {
            usernames: members,
            kind: 'board:cancelled',
            title: `Board "${row.title}" cancelled`,
            link: '#/boards',
          },
          trx,
        );
    });
    return this.detail(actor, id, origin);
  }

  /** Sessions the caller may see (managers: all; members: theirs), upcoming first unless `past`. */
  async list(actor: Actor, query: { past?: boolean }, origin: RequestOrigin): Promise<BoardSessionView[]> {
    const manager = this.requireAttendee(actor);
    const now = this.now();
    let q = this.db.selectFrom('board_sessions').selectAll();
    if (!manager)
      q = q.where('id', 'in', (eb) =>
        eb.selectFrom('board_members').select('session_id').where('username', '=', usernameOf(actor)),
      );
    // A session stays "upcoming" until it has ended.
    q = query.past
      ? q.where('starts_at', '<', now).orderBy('starts_at', 'desc')
      : q.where((eb) => eb('starts_at', '>=', now - 12 * 3_600_000)).orderBy('starts_at', 'asc');
    const rows = (await q.limit(200).execute()).filter(
      (r) => query.past || Number(r.starts_at) + Number(r.duration_minutes) * 60_000 >= now,
    );
    await this.audit.record({ action: 'board-list', actor, origin, outcome: 'success' });
    return Promise.all(rows.map((r) => this.view(r)));
  }

  /** A session with its members and case list; members' access to these cases is audited per case. */
  async detail(actor: Actor, id: string, origin: RequestOrigin): Promise<BoardSessionDetail> {
    const row = await this.session(id);
    const manager = await this.requireSessionAccess(actor, row, origin);
    const entries = await this.entries(id);
    const cases = await this.caseRows(entries.map((e) => e.case_id));
    await this.auditCaseAccess(
      actor,
      origin,
      'board-view',
      id,
      entries.map((e) => e.case_id),
      cases,
    );
    return {
      ...(await this.view(row)),
      cases: entries.map((e) => this.caseView(e, cases.get(e.case_id))),
      canManage: manager,
    };
  }

  // ---------------------------------------------------------------- the case list

  /** Adds a case with the question for the board; members are told, and the case's timeline says so. */
  async addCase(
    actor: Actor,
    id: string,
    input: { caseId: string; question: string },
    origin: RequestOrigin,
  ): Promise<BoardSessionDetail> {
    this.requireManager(actor);
    const row = await this.session(id);
    if (row.cancelled_at !== null)
      throw new DomainError(
        409,
        E.Cancelled,
        'Session cancelled',
        'this session was cancelled; add the case to another one',
      );
    const question = input.question.trim();
    if (!question || question.length > 2000)
      throw new DomainError(
        400,
        E.Invalid,
        'Invalid question',
        'say what the board should answer (1 to 2000 characters)',
      );
    const c = await this.db
      .selectFrom('cases')
      .select(['id', 'study_uid', 'patient_id'])
      .where('id', '=', input.caseId)
      .executeTakeFirst();
    if (!c) throw new DomainError(404, E.CaseNotFound, 'Case not found', `no case ${input.caseId}`);
    const members = await this.memberNames(id);
    const now = this.now();
    await this.write(async (trx) => {
      const last = await trx
        .selectFrom('board_cases')
        .select((eb) => eb.fn.max('position').as('p'))
        .where('session_id', '=', id)
        .executeTakeFirst();
      const inserted = await trx
        .insertInto('board_cases')
        .values({
          session_id: id,
          case_id: c.id,
          position: Number(last?.p ?? 0) + 1,
          question,
          added_by: usernameOf(actor),
          added_at: now,
        })
        .onConflict((oc) => oc.columns(['session_id', 'case_id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted)
        throw new DomainError(
          409,
          E.CaseAlreadyListed,
          'Already on the list',
          `${c.id} is already on this session's list`,
        );
      await this.timeline(trx, c.id, BoardCaseEvent.Added, usernameOf(actor), {
        sessionId: id,
        title: row.title,
        startsAt: new Date(Number(row.starts_at)).toISOString(),
        question,
      });
      await this.audit.append(trx, [
        {
          action: 'board-add-case',
          actor,
          origin,
          outcome: 'success',
          studyUid: c.study_uid,
          patientId: c.patient_id,
          detail: `${c.id} to ${id}`,
        },
      ]);
      if (members.length > 0)
        await this.notifier?.notify(
          {
            usernames: members,
            kind: 'board:case-added',
            title: `A case was added to "${row.title}"`,
            // The question may describe the patient: it stays on the session page, not in the notice.
            body: 'Open the session to see the case and the question for the board.',
            caseId: c.id,
            link: `#/boards/${id}`,
          },
          trx,
        );
    });
    return this.detail(actor, id, origin);
  }

  async removeCase(
    actor: Actor,
    id: string,
    caseId: string,
    origin: RequestOrigin,
  ): Promise<BoardSessionDetail> {
    this.requireManager(actor);
    await this.session(id);
    await this.write(async (trx) => {
      const removed = await trx
        .deleteFrom('board_cases')
        .where('session_id', '=', id)
        .where('case_id', '=', caseId)
        .executeTakeFirst();
      if (Number(removed.numDeletedRows) === 0)
        throw new DomainError(
          404,
          E.CaseNotListed,
          'Not on the list',
          `${caseId} is not on this session's list`,
        );
      await this.timeline(trx, caseId, BoardCaseEvent.Removed, usernameOf(actor), { sessionId: id });
      await this.audit.append(trx, [
        { action: 'board-remove-case', actor, origin, outcome: 'success', detail: `${caseId} from ${id}` },
      ]);
    });
    return this.detail(actor, id, origin);
  }

  /** Puts the case list in a new order; the order must name every case once. */
  async reorder(
    actor: Actor,
    id: string,
    caseIds: string[],
    origin: RequestOrigin,
  ): Promise<BoardSessionDetail> {
    this.requireManager(actor);
    await this.session(id);
    const current = (await this.entries(id)).map((e) => e.case_id);
    const problem = checkCaseOrder(current, caseIds);
    if (problem) throw new DomainError(400, E.BadOrder, 'Invalid order', problem);
    await this.write(async (trx) => {
      for (const [i, caseId] of caseIds.entries())
        await trx
          .updateTable('board_cases')
          .set({ position: i + 1 })
          .where('session_id', '=', id)
          .where('case_id', '=', caseId)
          .execute();
      await this.audit.append(trx, [
        { action: 'board-reorder', actor, origin, outcome: 'success', detail: id },
      ]);
    });
    return this.detail(actor, id, origin);
  }

  /** Records what the board decided for a case; it goes on the case's timeline. */
  async recordOutcome(
    actor: Actor,
    id: string,
    caseId: string,
    input: { category: string; recommendation: string; attendees: string[] },
    origin: RequestOrigin,
  ): Promise<BoardCaseView> {
    this.requireManager(actor);
    const row = await this.session(id);
    if (!isBoardOutcomeCategory(input.category))
      throw new DomainError(
        400,
        E.BadOutcome,
        'Invalid outcome',
        'category must be one of surgery, chemotherapy, radiotherapy, surveillance, more-imaging, other',
      );
    const recommendation = input.recommendation.trim();
    if (!recommendation || recommendation.length > 4000)
      throw new DomainError(
        400,
        E.BadOutcome,
        'Invalid outcome',
        "write the board's recommendation (1 to 4000 characters)",
      );
    const members = await this.memberNames(id);
    const strangers = input.attendees.filter((a) => !members.includes(a));
    if (strangers.length > 0)
      throw new DomainError(
        400,
        E.BadOutcome,
        'Invalid outcome',
        `attendees must be members of the session; not members: ${strangers.join(', ')} (add them to the session first)`,
      );
    const attendees = [...new Set(input.attendees)];
    const c = await this.db
      .selectFrom('cases')
      .select(['study_uid', 'patient_id'])
      .where('id', '=', caseId)
      .executeTakeFirst();
    const now = this.now();
    const updated = await this.write(async (trx) => {
      const out = await trx
        .updateTable('board_cases')
        .set({
          outcome_category: input.category,
          recommendation,
          attendees: JSON.stringify(attendees),
          outcome_by: usernameOf(actor),
          outcome_at: now,
        })
        .where('session_id', '=', id)
        .where('case_id', '=', caseId)
        .returningAll()
        .executeTakeFirst();
      if (!out)
        throw new DomainError(
          404,
          E.CaseNotListed,
          'Not on the list',
          `${caseId} is not on this session's list`,
        );
      await this.timeline(trx, caseId, BoardCaseEvent.Outcome, usernameOf(actor), {
        sessionId: id,
        title: row.title,
        category: input.category,
        recommendation,
        attendees,
      });
      await this.audit.append(trx, [
        {
          action: 'board-outcome',
          actor,
          origin,
          outcome: 'success',
          studyUid: c?.study_uid ?? null,
          patientId: c?.patient_id ?? null,
          detail: `${caseId} in ${id}: ${input.category}`,
        },
      ]);
      return out;
    });
    const cases = await this.caseRows([caseId]);
    return this.caseView(updated, cases.get(caseId));
  }

  // ---------------------------------------------------------------- presentation

  /**
   * One case of a session as the board sees it: the case, its series, report and discussion, with the
   * neighbours for next/previous. This is how a member reaches a case that is not on their worklist: the
   * access is audited as `board-case-view`, naming the session.
   */
  async present(actor: Actor, id: string, caseId: string, origin: RequestOrigin): Promise<BoardPresentation> {
    const row = await this.session(id);
    await this.requireSessionAccess(actor, row, origin);
    const entries = await this.entries(id);
    const index = entries.findIndex((e) => e.case_id === caseId);
    if (index < 0)
      throw new DomainError(
        404,
        E.CaseNotListed,
        'Not on the list',
        `${caseId} is not on this session's list`,
      );
    const caseRow = await this.db.selectFrom('cases').selectAll().where('id', '=', caseId).executeTakeFirst();
    if (!caseRow) throw new DomainError(404, E.CaseNotFound, 'Case not found', `no case ${caseId}`);
    await this.audit.record({
      action: 'board-case-view',
      actor,
      origin,
      outcome: 'success',
      studyUid: caseRow.study_uid,
      patientId: caseRow.patient_id,
      detail: `${caseId} presented at board session ${id}`,
    });
    const series = await this.db
      .selectFrom('series')
      .innerJoin('studies', 'studies.id', 'series.study_fk')
      .select(['series.series_uid', 'series.modality', 'series.description', 'series.num_instances'])
      .where('studies.study_uid', '=', caseRow.study_uid)
      .orderBy('series.series_number')
      .execute();
    // Read as the member: their access to the case through this board (see attendsBoardWithCase) applies.
    const report = this.material?.report
      ? await this.material.report(actor, caseId, origin).catch(() => null)
      : null;
    const discussion = this.material?.discussion
      ? await this.material.discussion(actor, caseId, origin).catch(() => null)
      : null;
    const summary = toCaseSummary(caseRow);
    return {
      session: { id, title: row.title },
      entry: this.caseView(entries[index]!, summary),
      index,
      total: entries.length,
      previousCaseId: entries[index - 1]?.case_id ?? null,
      nextCaseId: entries[index + 1]?.case_id ?? null,
      case: summary,
      series: series.map((s) => ({
        seriesUid: s.series_uid,
        modality: s.modality,
        description: s.description,
        instances: Number(s.num_instances),
      })),
      report,
      discussion,
    };
  }

  /**
   * Whether the actor sees this case as a member (board:attend) of a session that lists it: from when it is
   * listed until `accessAfterMs` after the session starts, unless the session was cancelled. Registered
   * with the worklist's visibility (see `grantCaseAccess`), so the case page, its images and its report
   * open for members; every such view is audited by the feature serving it.
   */
  async attendsBoardWithCase(actor: Actor, caseId: string): Promise<boolean> {
    if (!can(actor.roles, Permission.BoardAttend)) return false;
    const hit = await this.db
      .selectFrom('board_cases')
      .innerJoin('board_members', 'board_members.session_id', 'board_cases.session_id')
      .innerJoin('board_sessions', 'board_sessions.id', 'board_cases.session_id')
      .select('board_cases.id')
      .where('board_cases.case_id', '=', caseId)
      .where('board_members.username', '=', usernameOf(actor))
      .where('board_sessions.cancelled_at', 'is', null)
      .where('board_sessions.starts_at', '>=', this.now() - this.accessAfterMs)
      .limit(1)
      .executeTakeFirst();
    return Boolean(hit);
  }

  /** Lets board members see their sessions' cases wherever the worklist decides visibility. */
  grantCaseAccess(worklist: {
    allowViewers(check: (actor: Actor, caseId: string) => Promise<boolean>): () => void;
  }): () => void {
    return worklist.allowViewers((actor, caseId) => this.attendsBoardWithCase(actor, caseId));
  }

  /** Sessions a case is on (the case page shows them). */
  async sessionsForCase(
    actor: Actor,
    caseId: string,
  ): Promise<{ id: string; title: string; startsAt: string; outcome: string | null }[]> {
    const manager = this.requireAttendee(actor);
    let q = this.db
      .selectFrom('board_cases')
      .innerJoin('board_sessions', 'board_sessions.id', 'board_cases.session_id')
      .select([
        'board_sessions.id',
        'board_sessions.title',
        'board_sessions.starts_at',
        'board_cases.outcome_category',
      ])
      .where('board_cases.case_id', '=', caseId);
    // Members learn only of the sessions they sit on.
    if (!manager)
      q = q.where('board_cases.session_id', 'in', (eb) =>
        eb.selectFrom('board_members').select('session_id').where('username', '=', usernameOf(actor)),
      );
    const rows = await q.orderBy('board_sessions.starts_at').execute();
    return rows.map((r) => ({
      id: r.id,
      title: r.title,
      startsAt: new Date(Number(r.starts_at)).toISOString(),
      outcome: r.outcome_category,
    }));
  }

  // ---------------------------------------------------------------- clockwork

  /**
   * Reminds members of sessions starting within the lead time, once per session (a conditional update, so
   * with several nodes only one sends it). Called on every tick; returns how many sessions it reminded of.
   */
  async tick(): Promise<number> {
    const now = this.now();
    const due = await this.db
      .selectFrom('board_sessions')
      .selectAll()
      .where('reminded_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .where('starts_at', '>', now)
      .where('starts_at', '<=', now + this.reminderLeadMs)
      .execute();
    let sent = 0;
    for (const s of due) {
      const members = await this.memberNames(s.id);
      const count = (await this.entries(s.id)).length;
      const done = await this.write(async (trx) => {
        const claimed = await trx
          .updateTable('board_sessions')
          .set({ reminded_at: now })
          .where('id', '=', s.id)
          .where('reminded_at', 'is', null)
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) === 0) return false;
        const minutes = Math.max(1, Math.round((Number(s.starts_at) - now) / 60_000));
        if (members.length > 0)
          await this.notifier?.notify(
            {
              usernames: members,
              kind: 'board:starting',
              title: `Board "${s.title}" starts in ${minutes} minutes`,
              body: `${count} case${count === 1 ? '' : 's'} on the list`,
              link: `#/boards/${s.id}`,
            },
            trx,
          );
        await this.audit.append(trx, [
          {
            action: 'board-reminder',
            actor: SYSTEM_ACTOR,
            origin: CLOCKWORK,
            outcome: 'success',
            detail: `${s.id}: ${members.length} members`,
          },
        ]);
        return true;
      });
      if (done) sent++;
    }
    if (sent > 0) this.log?.info({ sessions: sent }, 'board reminders sent');
    return sent;
  }

  // ---------------------------------------------------------------- helpers

  private validSession(input: BoardSessionInput): number {
    const v = validateBoardSession(input);
    if (!v.ok)
      throw new DomainError(
        400,
        E.Invalid,
        'Invalid board session',
        `the session is invalid: ${v.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
        { errors: v.errors },
      );
    return v.startsAt;
  }

  private async knownUsers(usernames: string[]): Promise<string[]> {
    const unique = [...new Set(usernames.map((u) => u.trim()).filter(Boolean))];
    if (unique.length === 0) return [];
    const found = await this.db
      .selectFrom('users')
      .select('username')
      .where('username', 'in', unique)
      .execute();
    const have = new Set(found.map((f) => f.username));
    const missing = unique.filter((u) => !have.has(u));
    if (missing.length > 0)
      throw new DomainError(
        400,
        E.UnknownUser,
        'Unknown user',
        `no user ${missing.map((m) => `"${m}"`).join(', ')}; members are Confer users, by user name`,
      );
    return unique;
  }

  private async session(id: string): Promise<SessionRow> {
    const row = await this.db
      .selectFrom('board_sessions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new DomainError(404, E.NotFound, 'Board session not found', `no board session ${id}`);
    return row;
  }

  private async entries(id: string): Promise<CaseRow[]> {
    return this.db
      .selectFrom('board_cases')
      .selectAll()
      .where('session_id', '=', id)
      .orderBy('position')
      .orderBy('id')
      .execute();
  }

  private async memberNames(id: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('board_members')
      .select('username')
      .where('session_id', '=', id)
      .orderBy('username')
      .execute();
    return rows.map((r) => r.username);
  }

  private async caseRows(caseIds: string[]): Promise<Map<string, CaseSummary>> {
    if (caseIds.length === 0) return new Map();
    const rows = await this.db.selectFrom('cases').selectAll().where('id', 'in', caseIds).execute();
    return new Map(rows.map((r) => [r.id, toCaseSummary(r)]));
  }

  private async view(row: SessionRow): Promise<BoardSessionView> {
    const members = await this.db
      .selectFrom('board_members')
      .leftJoin('users', 'users.username', 'board_members.username')
      .select(['board_members.username', 'users.display_name'])
      .where('board_members.session_id', '=', row.id)
      .orderBy('board_members.username')
      .execute();
    const counts = await this.db
      .selectFrom('board_cases')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.count<number>('outcome_category').as('o')])
      .where('session_id', '=', row.id)
      .executeTakeFirst();
    const local = sessionLocalStart(Number(row.starts_at), row.time_zone);
    return {
      id: row.id,
      title: row.title,
      startsAt: new Date(Number(row.starts_at)).toISOString(),
      date: local.date,
      time: local.time,
      timeZone: row.time_zone,
      durationMinutes: Number(row.duration_minutes),
      specialties: JSON.parse(row.specialties) as string[],
      location: row.location,
      createdBy: row.created_by,
      cancelled: row.cancelled_at !== null,
      members: members.map((m) => ({ username: m.username, displayName: m.display_name ?? null })),
      caseCount: Number(counts?.n ?? 0),
      outcomesRecorded: Number(counts?.o ?? 0),
    };
  }

  private caseView(e: CaseRow, c: CaseSummary | undefined): BoardCaseView {
    return {
      caseId: e.case_id,
      position: Number(e.position),
      question: e.question,
      addedBy: e.added_by,
      addedAt: new Date(Number(e.added_at)).toISOString(),
      case: c
        ? {
            studyUid: c.studyUid,
            state: c.state,
            modalities: c.modalities,
            procedure: c.procedure,
            accessionNumber: c.accessionNumber,
            patientName: c.patientName,
            patientId: c.patientId,
            siteId: c.siteId,
          }
        : null,
      outcome:
        e.outcome_category && e.recommendation
          ? {
              category: e.outcome_category,
              recommendation: e.recommendation,
              attendees: e.attendees ? (JSON.parse(e.attendees) as string[]) : [],
              recordedBy: e.outcome_by ?? '',
              recordedAt: new Date(Number(e.outcome_at)).toISOString(),
            }
          : null,
    };
  }

  private async timeline(
    trx: Transaction<Database>,
    caseId: string,
    type: string,
    actorName: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await trx
      .insertInto('case_events')
      .values({
        case_id: caseId,
        at: this.now(),
        type,
        actor: actorName,
        detail_json: JSON.stringify(detail),
      })
      .execute();
  }

  private async auditCaseAccess(
    actor: Actor,
    origin: RequestOrigin,
    action: string,
    sessionId: string,
    caseIds: string[],
    cases: Map<string, CaseSummary>,
  ): Promise<void> {
    if (caseIds.length === 0) {
      await this.audit.record({ action, actor, origin, outcome: 'success', detail: sessionId });
      return;
    }
    const events: AuditEvent[] = caseIds.map((caseId) => ({
      action,
      actor,
      origin,
      outcome: 'success',
      studyUid: cases.get(caseId)?.studyUid ?? null,
      patientId: cases.get(caseId)?.patientId ?? null,
      detail: `${caseId} listed at board session ${sessionId}`,
    }));
    await this.write((trx) => this.audit.append(trx, events));
  }

  /** Managers may open any session; attendees only those they are members of. Refusals are audited. */
  private async requireSessionAccess(actor: Actor, row: SessionRow, origin: RequestOrigin): Promise<boolean> {
    const manager = this.requireAttendee(actor);
    if (manager) return true;
    const member = await this.db
      .selectFrom('board_members')
      .select('username')
      .where('session_id', '=', row.id)
      .where('username', '=', usernameOf(actor))
      .executeTakeFirst();
    if (!member) {
      await this.audit.record({ action: 'board-view', actor, origin, outcome: 'denied', detail: row.id });
      throw new DomainError(
        403,
        E.NotAMember,
        'Not a member',
        'you are not a member of this board session; ask its coordinator to add you',
      );
    }
    return false;
  }

  /** Returns whether the actor manages boards; refuses those who may neither attend nor manage. */
  private requireAttendee(actor: Actor): boolean {
    const manager = can(actor.roles, Permission.BoardManage);
    if (!manager && !can(actor.roles, Permission.BoardAttend))
      throw new DomainError(
        403,
        E.Forbidden,
        'Not allowed',
        'boards need board:attend (radiologists, referrers) or board:manage',
      );
    return manager;
  }

  private requireManager(actor: Actor): void {
    if (!can(actor.roles, Permission.BoardManage))
      throw new DomainError(
        403,
        E.Forbidden,
        'Not allowed',
        'creating and editing board sessions needs board:manage (the coordinator or admin role)',
      );
  }

  /**
   * Runs a change in one transaction (its audit rows and notifications inside), then pushes the
   * notifications it stored to open browsers: only after the commit, so nobody is told of a change that
   * rolled back.
   */
  private async write<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    const out = await this.db.transaction().execute(fn);
    await this.notifier?.flush?.().catch(() => {});
    return out;
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}

function usernameOf(actor: Actor): string {
  return actor.username ?? actor.name;
}
