import { createHash, randomBytes } from 'node:crypto';
import {
  type AckMethod,
  applyCriticalCommand,
  type Clock,
  CriticalCategory,
  type CriticalCommand,
  type CriticalCommunication,
  CriticalErrorCode,
  type CriticalEvent,
  type CriticalResult,
  CriticalState,
  can,
  criticalTimeLeftMs,
  criticalTimer,
  flagCriticalResult,
  Permission,
} from '@confer/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Actor, AuditSink, RequestOrigin } from '../archive/ports.ts';
import { DomainError } from '../http/errors.ts';
import { type MailMessage, sendMail as realSendMail, type SmtpOptions } from '../mail/smtp-client.ts';
import type { Database } from '../store/schema.ts';
import type { CriticalResultsTable } from '../store/tables/critical-results.ts';
import { postWebhook as realPostWebhook, type WebhookTarget } from '../webhook/webhook-sender.ts';
import type { WorklistService } from '../worklist/worklist-service.ts';
import type { CriticalConfig } from './critical-config.ts';
import { criticalEmail, criticalWebhookPayload } from './messages.ts';
import { enabledUser, recipient, resolveLadder, resolveResponsible } from './recipients.ts';

export const CriticalServiceErrorCode = {
  ...CriticalErrorCode,
  Forbidden: 'CONFER_ERR_FORBIDDEN',
  CaseNotFound: 'CONFER_ERR_CASE_NOT_FOUND',
  NoClinician: 'CONFER_ERR_CRITICAL_NO_CLINICIAN',
  LinkInvalid: 'CONFER_ERR_CRITICAL_LINK_INVALID',
  LinkExpired: 'CONFER_ERR_CRITICAL_LINK_EXPIRED',
  LinkUsed: 'CONFER_ERR_CRITICAL_LINK_USED',
  Busy: 'CONFER_ERR_CRITICAL_BUSY',
} as const;
export type CriticalServiceErrorCode =
  (typeof CriticalServiceErrorCode)[keyof typeof CriticalServiceErrorCode];

/** A refusal with a stable code, an HTTP status and a sentence that says what to do. */
export class CriticalError extends DomainError {
  declare readonly code: CriticalServiceErrorCode;
  constructor(
    status: number,
    code: CriticalServiceErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    super(status, code, message, extra);
    this.name = 'CriticalError';
  }
}

const statusOfCoreCode: Record<string, number> = {
  [CriticalErrorCode.NotFound]: 404,
  [CriticalErrorCode.AlreadyAcknowledged]: 409,
  [CriticalErrorCode.NotARecipient]: 403,
  [CriticalErrorCode.InvalidInput]: 400,
  [CriticalErrorCode.UnknownCommunication]: 404,
  [CriticalErrorCode.NotDue]: 409,
};

/** The in-app notification port (NotificationService.notify); the write joins the caller's transaction. */
export interface CriticalNotifier {
  notify(
    input: {
      usernames: string[];
      kind: string;
      title: string;
      body?: string;
      caseId?: string;
      link?: string;
    },
    trx?: Transaction<Database>,
  ): Promise<unknown>;
  /** Pushes what was written in committed transactions to the recipients' browsers, when the service does so. */
  flush?(): Promise<void>;
}

export interface CriticalDeps {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditSink;
  worklist: WorklistService;
  config: CriticalConfig;
  notifier?: CriticalNotifier;
  logger?: Logger;
  /** The senders; the real ones by default (tests point them at real listeners through the config). */
  sendMail?: (options: SmtpOptions, message: MailMessage, now?: Date) => Promise<void>;
  postWebhook?: (target: WebhookTarget, deliveryId: string, payload: unknown, now?: Date) => Promise<void>;
}

/** What flagging needs. `flaggedBy` is a username; `responsible` overrides the case's clinician. */
export interface FlagInput {
  caseId: string;
  category: CriticalCategory;
  finding: string;
  flaggedBy: string;
  responsible?: string;
  /** The report whose signing raised it. */
  reportId?: string;
}

/** A communication as the API shows it: instants as ISO strings. */
export interface CommunicationView {
  id: string;
  step: number;
  channel: string;
  recipient: string;
  sentBy: string;
  at: string;
  status: string;
  deliveredAt: string | null;
  openedAt: string | null;
  acknowledgedAt: string | null;
  error: string | null;
}

export interface CriticalResultView {
  id: string;
  caseId: string;
  siteId: string | null;
  category: CriticalCategory;
  finding: string;
  state: CriticalState;
  flaggedBy: string;
  flaggedAt: string;
  responsible: string;
  responsibleSource: string;
  dueAt: string;
  step: number;
  stepName: string;
  stepDueAt: string;
  /** Until the current rung runs out (negative once past); null when acknowledged. */
  timeLeftMs: number | null;
  currentRecipients: string[];
  rungs: { name: string; waitMinutes: number; recipients: string[] }[];
  acknowledgement: {
    at: string;
    by: string;
    method: AckMethod;
    recordedBy: string;
    communicationId: string | null;
    note: string | null;
  } | null;
  overdueAt: string | null;
  communications: CommunicationView[];
  lastCommunication: CommunicationView | null;
  reportId: string | null;
  case: { procedure: string | null; modalities: string[]; priority: string | null } | null;
}

/** What the acknowledgement link page shows: the finding and where the result stands, nothing more. */
export interface LinkView {
  resultId: string;
  caseId: string;
  category: CriticalCategory;
  finding: string;
  flaggedBy: string;
  flaggedAt: string;
  recipient: string;
  state: CriticalState;
  expiresAt: string;
  acknowledgement: CriticalResultView['acknowledgement'];
}

type ResultRow = Selectable<CriticalResultsTable>;
type Db = Kysely<Database> | Transaction<Database>;
const SYSTEM_ACTOR = { kind: 'system' as const, id: 'confer', name: 'confer' };
const SYSTEM_ORIGIN: RequestOrigin = { protocol: 'cli', remoteAddress: 'clockwork' };

/** Thrown inside a transaction to undo it without an error reaching the caller. */
class Rollback extends Error {}

const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function usernameOf(actor: Actor): string {
  return actor.username ?? actor.name;
}

/**
 * Closed-loop critical results: flag, notify the responsible clinician in the app, by webhook and e-mail,
 * escalate along the ladder on stored timers, and record every communication and the acknowledgement.
 * Each change is decided by the core protocol and written with a conditional update on the result's
 * version, together with its communications and timer, so several nodes never apply one step twice.
 * Deliveries outside the app happen after the commit and are retried from the stored rows.
 */
export class CriticalResultService {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private readonly audit: AuditSink;
  private readonly worklist: WorklistService;
  private readonly config: CriticalConfig;
  private readonly log: Logger | undefined;
  private readonly sendMail: NonNullable<CriticalDeps['sendMail']>;
  private readonly postWebhook: NonNullable<CriticalDeps['postWebhook']>;
  private notifier: CriticalNotifier | undefined;

  constructor(deps: CriticalDeps) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.worklist = deps.worklist;
    this.config = deps.config;
    this.notifier = deps.notifier;
    this.log = deps.logger;
    this.sendMail = deps.sendMail ?? realSendMail;
    this.postWebhook = deps.postWebhook ?? realPostWebhook;
  }

  /** Connects the in-app notifications once they exist (the composition root may create them later). */
  useNotifier(notifier: CriticalNotifier): void {
    this.notifier = notifier;
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  // ---------------------------------------------------------------- flagging

  /**
   * A reader flags a critical result on a case they can see (coordinators on any case). Audited; the
   * responsible clinician is notified before this returns, and the webhook and e-mail go out right after.
   */
  async flag(
    actor: Actor,
    input: Omit<FlagInput, 'flaggedBy'>,
    origin: RequestOrigin,
  ): Promise<CriticalResultView> {
    const row = await this.worklist.row(input.caseId);
    if (!row) throw new CriticalError(404, CriticalServiceErrorCode.CaseNotFound, `no case ${input.caseId}`);
    const audit = (outcome: 'success' | 'failure' | 'denied', detail: string) =>
      this.audit.record({
        action: 'critical-flag',
        actor,
        origin,
        outcome,
        studyUid: row.study_uid,
        patientId: row.patient_id,
        detail: detail.slice(0, 500),
      });
    const mayFlag =
      can(actor.roles, Permission.CriticalManage) ||
      (can(actor.roles, Permission.ReportWrite) && (await this.worklist.canSee(actor, row)));
    if (!mayFlag) {
      await audit('denied', input.caseId);
      throw new CriticalError(
        403,
        CriticalServiceErrorCode.Forbidden,
        'flagging a critical result needs a reader who can see the case (or a coordinator)',
      );
    }
    try {
      const { result, afterCommit } = await this.db
        .transaction()
        .execute((trx) => this.flagInTransaction(trx, { ...input, flaggedBy: usernameOf(actor) }));
      await audit('success', `${result.id} on ${input.caseId} (${input.category}) to ${result.responsible}`);
      await afterCommit();
      return this.view(await this.load(result.id));
    } catch (err) {
      await audit('failure', `${input.caseId}: ${(err as Error).message}`);
      throw err;
    }
  }

  /**
   * Flags a critical result inside the caller's transaction, e.g. the reporting service's when a report
   * with critical findings is signed, so the report is never signed without its result (nor the reverse).
   * The result, its first communications, its in-app notifications and its timer are written in `trx`.
   * Call `afterCommit()` once the transaction has committed: it sends the webhook and e-mails and records
   * the communication on the case. If the caller never does (a crash), the next `tick()` does it.
   * The caller audits: this method trusts that `flaggedBy` may flag on the case.
   *
   * @throws CriticalError CONFER_ERR_CASE_NOT_FOUND, CONFER_ERR_CRITICAL_INVALID (bad category or empty
   * finding) or CONFER_ERR_CRITICAL_NO_CLINICIAN (nobody responsible could be determined).
   */
  async flagInTransaction(
    trx: Transaction<Database>,
    input: FlagInput,
  ): Promise<{ result: CriticalResult; afterCommit: () => Promise<void> }> {
    if (!Object.values(CriticalCategory).includes(input.category)) {
      throw new CriticalError(
        400,
        CriticalServiceErrorCode.InvalidInput,
        `category must be one of ${Object.values(CriticalCategory).join(', ')}, not ${JSON.stringify(input.category)}`,
      );
    }
    const finding = input.finding.trim();
    if (finding === '' || finding.length > 4000) {
      throw new CriticalError(
        400,
        CriticalServiceErrorCode.InvalidInput,
        'the finding must be 1 to 4000 characters: say what was found and where',
      );
    }
    const c = await trx
      .selectFrom('cases')
      .select(['id', 'site_id', 'study_uid'])
      .where('id', '=', input.caseId)
      .executeTakeFirst();
    if (!c) throw new CriticalError(404, CriticalServiceErrorCode.CaseNotFound, `no case ${input.caseId}`);
    const who = await resolveResponsible(
      trx,
      this.config,
      { studyUid: c.study_uid, siteId: c.site_id },
      input.responsible,
    );
    if (!who || !(await enabledUser(trx, who.username))) {
      throw new CriticalError(
        422,
        CriticalServiceErrorCode.NoClinician,
        who
          ? `the responsible clinician "${who.username}" (${who.source}) is not an active Confer user; add the user or correct critical.${who.source === 'site-default' ? `sites.${c.site_id}.` : ''}defaultClinician`
          : `case ${c.id} names no clinician Confer knows, and ${c.site_id ? `site ${c.site_id}` : 'the case'} has no default; set critical.sites.${c.site_id ?? '<site>'}.defaultClinician or critical.defaultClinician, or name the clinician`,
      );
    }
    const now = this.now();
    const { result, events } = flagCriticalResult(
      {
        id: `CR-${randomBytes(6).toString('hex').toUpperCase()}`,
        caseId: c.id,
        siteId: c.site_id,
        category: input.category,
        finding,
        flaggedBy: input.flaggedBy,
        responsible: recipient(this.config, who.username),
        responsibleSource: who.source,
        deadlineMs: this.config.deadlineMinutes[input.category] * 60_000,
        ladder: resolveLadder(this.config, input.category, c.site_id, who.username),
      },
      now,
    );
    await this.write(trx, null, result, events, input.reportId);
    return { result, afterCommit: () => this.settle(result.id) };
  }

  // ---------------------------------------------------------------- persistence

  private async load(id: string, db: Db = this.db): Promise<ResultRow> {
    const row = await db.selectFrom('critical_results').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new CriticalError(404, CriticalServiceErrorCode.NotFound, `no critical result ${id}`);
    return row;
  }

  /**
   * Writes the result (insert, or a conditional update on the version read), its changed communications,
   * its timer, and in-app notifications for new app communications. False when another writer got there
   * first.
   */
  private async write(
    trx: Transaction<Database>,
    before: CriticalResult | null,
    after: CriticalResult,
    events: CriticalEvent[],
    reportId?: string,
  ): Promise<boolean> {
    const now = this.now();
    const delivered = after.communications
      .map((c) => c.deliveredAt)
      .filter((t): t is number => t !== undefined);
    const cols = {
      state: after.state,
      step: after.step,
      step_due_at: after.stepDueAt,
      communicated_at: delivered.length > 0 ? Math.min(...delivered) : null,
      acknowledged_at: after.acknowledgement?.at ?? null,
      snapshot_json: JSON.stringify(after),
      version: after.version,
      updated_at: now,
    };
    if (before === null) {
      await trx
        .insertInto('critical_results')
        .values({
          id: after.id,
          case_id: after.caseId,
          site_id: after.siteId,
          category: after.category,
          responsible: after.responsible,
          flagged_by: after.flaggedBy,
          flagged_at: after.flaggedAt,
          due_at: after.dueAt,
          report_id: reportId ?? null,
          case_communicated: 0,
          case_acknowledged: 0,
          ...cols,
        })
        .execute();
    } else {
      const updated = await trx
        .updateTable('critical_results')
        .set(cols)
        .where('id', '=', after.id)
        .where('version', '=', before.version)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return false;
    }
    const previous = new Map((before?.communications ?? []).map((c) => [c.id, c]));
    for (const c of after.communications) {
      const p = previous.get(c.id);
      const progress = {
        status: c.status,
        delivered_at: c.deliveredAt ?? null,
        opened_at: c.openedAt ?? null,
        acknowledged_at: c.acknowledgedAt ?? null,
        error: c.error ?? null,
      };
      if (!p) {
        await trx
          .insertInto('critical_communications')
          .values({
            id: c.id,
            result_id: after.id,
            case_id: after.caseId,
            step: c.step,
            channel: c.channel,
            recipient: c.recipient,
            sent_by: c.sentBy,
            at: c.at,
            attempts: 0,
            next_attempt_at: null,
            ...progress,
          })
          .execute();
      } else if (JSON.stringify(p) !== JSON.stringify(c)) {
        await trx.updateTable('critical_communications').set(progress).where('id', '=', c.id).execute();
      }
    }
    const timer = criticalTimer(after);
    let stale = trx
      .deleteFrom('critical_timers')
      .where('result_id', '=', after.id)
      .where('fired_at', 'is', null);
    if (timer) stale = stale.where('step', '<>', timer.step);
    await stale.execute();
    if (timer) {
      await trx
        .insertInto('critical_timers')
        .values({ result_id: after.id, step: timer.step, due_at: timer.dueAt, fired_at: null })
        .onConflict((oc) => oc.columns(['result_id', 'step']).doNothing())
        .execute();
    }
    const appTargets = events
      .filter((e) => e.type === 'critical:communicated' && e.communication.channel === 'app')
      .map((e) => (e as Extract<CriticalEvent, { type: 'critical:communicated' }>).communication.recipient);
    if (appTargets.length > 0 && this.notifier) {
      const escalated = after.step > 0;
      await this.notifier.notify(
        {
          usernames: [...new Set(appTargets)],
          kind: 'critical-result',
          title: `${escalated ? 'Escalated: ' : ''}${after.category === 'critical' ? 'Critical' : after.category === 'urgent' ? 'Urgent' : 'Unexpected significant'} result to acknowledge on case ${after.caseId}`,
          body: after.finding,
          caseId: after.caseId,
          link: `#/critical/${after.id}`,
        },
        trx,
      );
    }
    return true;
  }

  /** Applies a command with retries on a concurrent change; returns the result after it. */
  private async apply(
    id: string,
    command: CriticalCommand,
  ): Promise<{ before: CriticalResult; after: CriticalResult; events: CriticalEvent[] }> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const row = await this.load(id);
      const before = JSON.parse(row.snapshot_json) as CriticalResult;
      const applied = applyCriticalCommand(before, command, this.now());
      if (!applied.ok)
        throw new CriticalError(statusOfCoreCode[applied.code] ?? 409, applied.code, applied.message, {
          state: before.state,
        });
      if (applied.events.length === 0) return { before, after: before, events: [] };
      const written = await this.db
        .transaction()
        .execute((trx) => this.write(trx, before, applied.result, applied.events));
      if (written) return { before, after: applied.result, events: applied.events };
    }
    throw new CriticalError(
      503,
      CriticalServiceErrorCode.Busy,
      `critical result ${id} kept changing; try again`,
    );
  }

  // ---------------------------------------------------------------- reading

  private async caseInfo(caseIds: string[]) {
    if (caseIds.length === 0) return new Map<string, CriticalResultView['case']>();
    const rows = await this.db
      .selectFrom('cases')
      .select(['id', 'procedure_text', 'modalities', 'priority'])
      .where('id', 'in', [...new Set(caseIds)])
      .execute();
    return new Map(
      rows.map((r) => [
        r.id,
        {
          procedure: r.procedure_text,
          modalities: r.modalities.split('\\').filter(Boolean),
          priority: r.priority,
        },
      ]),
    );
  }

  private view(row: ResultRow, info?: CriticalResultView['case']): CriticalResultView {
    const r = JSON.parse(row.snapshot_json) as CriticalResult;
    const comms = r.communications.map(communicationView);
    const rung = r.rungs[r.step];
    return {
      id: r.id,
      caseId: r.caseId,
      siteId: r.siteId,
      category: r.category,
      finding: r.finding,
      state: r.state,
      flaggedBy: r.flaggedBy,
      flaggedAt: iso(r.flaggedAt)!,
      responsible: r.responsible,
      responsibleSource: r.responsibleSource,
      dueAt: iso(r.dueAt)!,
      step: r.step,
      stepName: rung?.name ?? '',
      stepDueAt: iso(r.stepDueAt)!,
      timeLeftMs: criticalTimeLeftMs(r, this.now()),
      currentRecipients: rung?.recipients.map((x) => x.username) ?? [],
      rungs: r.rungs.map((g) => ({
        name: g.name,
        waitMinutes: g.waitMs / 60_000,
        recipients: g.recipients.map((x) => x.username),
      })),
      acknowledgement: r.acknowledgement
        ? {
            at: iso(r.acknowledgement.at)!,
            by: r.acknowledgement.by,
            method: r.acknowledgement.method,
            recordedBy: r.acknowledgement.recordedBy,
            communicationId: r.acknowledgement.communicationId ?? null,
            note: r.acknowledgement.note ?? null,
          }
        : null,
      overdueAt: iso(r.overdueAt),
      communications: comms,
      lastCommunication: comms.at(-1) ?? null,
      reportId: row.report_id,
      case: info ?? null,
    };
  }

  private async caseRow(caseId: string) {
    return this.worklist.row(caseId);
  }

  /** Whether the actor may read this result: coordinators, anyone it was addressed to, anyone who sees the case. */
  private async maySee(actor: Actor, row: ResultRow): Promise<boolean> {
    if (can(actor.roles, Permission.CriticalManage)) return true;
    const me = usernameOf(actor);
    const r = JSON.parse(row.snapshot_json) as CriticalResult;
    if (r.communications.some((c) => c.recipient === me) || r.flaggedBy === me) return true;
    const c = await this.caseRow(row.case_id);
    return Boolean(c && (await this.worklist.canSee(actor, c)));
  }

  /**
   * The dashboard (critical:manage: every result) or the caller's own (results addressed to them), by
   * state, sorted by time left (the most pressing first). `mine` narrows a coordinator to their own too.
   */
  async list(
    actor: Actor,
    query: { state?: 'open' | 'acknowledged' | 'all'; mine?: boolean; limit?: number },
    origin: RequestOrigin,
  ): Promise<CriticalResultView[]> {
    const manager = can(actor.roles, Permission.CriticalManage);
    if (!manager && !can(actor.roles, Permission.CriticalAcknowledge)) {
      await this.audit.record({ action: 'critical-list', actor, origin, outcome: 'denied' });
      throw new CriticalError(
        403,
        CriticalServiceErrorCode.Forbidden,
        'critical results are listed for coordinators (critical:manage) and for the clinicians they are addressed to',
      );
    }
    const mine = query.mine || !manager;
    let q = this.db.selectFrom('critical_results').selectAll();
    const state = query.state ?? 'open';
    if (state === 'open') q = q.where('state', 'in', [CriticalState.Open, CriticalState.Overdue]);
    else if (state === 'acknowledged') q = q.where('state', '=', CriticalState.Acknowledged);
    if (mine) {
      const me = usernameOf(actor);
      q = q.where('id', 'in', (eb) =>
        eb
          .selectFrom('critical_communications')
          .select('result_id')
          .where('recipient', '=', me)
          .where('channel', '<>', 'phone'),
      );
    }
    const rows = await q
      .orderBy('step_due_at')
      .orderBy('flagged_at')
      .limit(Math.min(query.limit ?? 200, 1000))
      .execute();
    const info = await this.caseInfo(rows.map((r) => r.case_id));
    await this.audit.record({
      action: 'critical-list',
      actor,
      origin,
      outcome: 'success',
      detail: `${state}${mine ? ', mine' : ''}: ${rows.length} results`,
    });
    const views = rows.map((r) => this.view(r, info.get(r.case_id)));
    // Acknowledged results have no time left; the rest sort by it, overdue (most negative) first.
    return views.sort((a, b) => (a.timeLeftMs ?? Infinity) - (b.timeLeftMs ?? Infinity));
  }

  /** The critical results of one case, oldest first, for whoever may see the case. */
  async forCase(actor: Actor, caseId: string, origin: RequestOrigin): Promise<CriticalResultView[]> {
    const c = await this.caseRow(caseId);
    if (!c) throw new CriticalError(404, CriticalServiceErrorCode.CaseNotFound, `no case ${caseId}`);
    const rows = await this.db
      .selectFrom('critical_results')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('flagged_at')
      .execute();
    const allowed =
      can(actor.roles, Permission.CriticalManage) ||
      (await this.worklist.canSee(actor, c)) ||
      rows.some((r) =>
        (JSON.parse(r.snapshot_json) as CriticalResult).communications.some(
          (x) => x.recipient === usernameOf(actor),
        ),
      );
    await this.audit.record({
      action: 'critical-list',
      actor,
      origin,
      outcome: allowed ? 'success' : 'denied',
      studyUid: c.study_uid,
      patientId: c.patient_id,
      detail: caseId,
    });
    if (!allowed)
      throw new CriticalError(403, CriticalServiceErrorCode.Forbidden, 'this case is not on your worklist');
    const info = await this.caseInfo([caseId]);
    return rows.map((r) => this.view(r, info.get(caseId)));
  }

  /** One result. A recipient opening it in the app is recorded as their in-app notification opened. */
  async get(actor: Actor, id: string, origin: RequestOrigin): Promise<CriticalResultView> {
    let row = await this.load(id);
    const c = await this.caseRow(row.case_id);
    const allowed = await this.maySee(actor, row);
    await this.audit.record({
      action: 'critical-view',
      actor,
      origin,
      outcome: allowed ? 'success' : 'denied',
      studyUid: c?.study_uid ?? null,
      patientId: c?.patient_id ?? null,
      detail: id,
    });
    if (!allowed)
      throw new CriticalError(
        403,
        CriticalServiceErrorCode.Forbidden,
        'this critical result was not addressed to you and its case is not on your worklist',
      );
    const me = usernameOf(actor);
    const r = JSON.parse(row.snapshot_json) as CriticalResult;
    const unopened = r.communications.filter(
      (x) => x.recipient === me && x.channel === 'app' && x.openedAt === undefined,
    );
    if (unopened.length > 0) {
      for (const u of unopened) await this.apply(id, { type: 'open', communicationId: u.id });
      row = await this.load(id);
    }
    const info = await this.caseInfo([row.case_id]);
    return this.view(row, info.get(row.case_id));
  }

  // ---------------------------------------------------------------- acknowledging

  /** The addressed clinician acknowledges in the app (method 'app'). */
  async acknowledge(
    actor: Actor,
    id: string,
    origin: RequestOrigin,
    note?: string,
  ): Promise<CriticalResultView> {
    const me = usernameOf(actor);
    return this.audited(actor, origin, 'critical-acknowledge', id, async () => {
      if (!can(actor.roles, Permission.CriticalAcknowledge))
        throw new CriticalError(
          403,
          CriticalServiceErrorCode.Forbidden,
          'acknowledging needs the critical:acknowledge permission (the referrer role); a coordinator records a phone read-back instead',
        );
      await this.apply(id, {
        type: 'acknowledge',
        by: me,
        method: 'app',
        recordedBy: me,
        ...(note ? { note } : {}),
      });
    });
  }

  /** A coordinator records a phone read-back on the clinician's behalf (method 'phone'). */
  async acknowledgeOnBehalf(
    actor: Actor,
    id: string,
    input: { clinician: string; note?: string },
    origin: RequestOrigin,
  ): Promise<CriticalResultView> {
    return this.audited(actor, origin, 'critical-acknowledge-on-behalf', id, async () => {
      if (!can(actor.roles, Permission.CriticalManage))
        throw new CriticalError(
          403,
          CriticalServiceErrorCode.Forbidden,
          'recording an acknowledgement on behalf of a clinician needs the coordinator role (critical:manage)',
        );
      await this.apply(id, {
        type: 'acknowledge',
        by: input.clinician,
        method: 'phone',
        recordedBy: usernameOf(actor),
        ...(input.note ? { note: input.note } : {}),
      });
    });
  }

  private async audited(
    actor: Actor,
    origin: RequestOrigin,
    action: string,
    id: string,
    run: () => Promise<void>,
  ): Promise<CriticalResultView> {
    const row = await this.db
      .selectFrom('critical_results')
      .select('case_id')
      .where('id', '=', id)
      .executeTakeFirst();
    const c = row ? await this.caseRow(row.case_id) : undefined;
    const record = (outcome: 'success' | 'failure' | 'denied', detail: string) =>
      this.audit.record({
        action,
        actor,
        origin,
        outcome,
        studyUid: c?.study_uid ?? null,
        patientId: c?.patient_id ?? null,
        detail: detail.slice(0, 500),
      });
    try {
      await run();
    } catch (err) {
      const denied = err instanceof CriticalError && err.status === 403;
      await record(denied ? 'denied' : 'failure', `${id}: ${(err as Error).message}`);
      throw err;
    }
    await record('success', id);
    await this.settle(id);
    const fresh = await this.load(id);
    const info = await this.caseInfo([fresh.case_id]);
    return this.view(fresh, info.get(fresh.case_id));
  }

  private async link(token: string): Promise<Selectable<Database['critical_links']>> {
    const link = await this.db
      .selectFrom('critical_links')
      .selectAll()
      .where('token_hash', '=', hashToken(token))
      .executeTakeFirst();
    if (!link)
      throw new CriticalError(
        404,
        CriticalServiceErrorCode.LinkInvalid,
        'this acknowledgement link is not valid; sign in to Confer to see your critical results',
      );
    return link;
  }

  private linkActor(recipient: string): Actor {
    return {
      kind: 'user',
      id: `link:${recipient}`,
      name: recipient,
      roles: [],
      siteId: null,
      username: recipient,
    };
  }

  /** Opens a link: shows the finding and records the communication as opened (once). */
  async openLink(token: string, origin: RequestOrigin): Promise<LinkView> {
    const link = await this.link(token);
    const row = await this.load(link.result_id);
    const c = await this.caseRow(row.case_id);
    const now = this.now();
    const expired = link.expires_at <= now;
    await this.audit.record({
      action: 'critical-link-open',
      actor: this.linkActor(link.recipient),
      origin,
      outcome: expired ? 'denied' : 'success',
      studyUid: c?.study_uid ?? null,
      patientId: c?.patient_id ?? null,
      detail: `${link.result_id} ${link.communication_id}`,
    });
    if (expired && link.used_at === null)
      throw new CriticalError(
        410,
        CriticalServiceErrorCode.LinkExpired,
        `this acknowledgement link expired at ${iso(link.expires_at)}; sign in to Confer to acknowledge`,
      );
    if (link.opened_at === null) {
      await this.db
        .updateTable('critical_links')
        .set({ opened_at: now })
        .where('token_hash', '=', link.token_hash)
        .where('opened_at', 'is', null)
        .execute();
      await this.apply(link.result_id, { type: 'open', communicationId: link.communication_id });
    }
    return this.linkView(await this.load(link.result_id), link);
  }

  /** Acknowledges through a link (method 'link'); the link is used up. */
  async acknowledgeLink(token: string, origin: RequestOrigin): Promise<LinkView> {
    const link = await this.link(token);
    const actor = this.linkActor(link.recipient);
    const now = this.now();
    if (link.used_at !== null)
      throw new CriticalError(
        410,
        CriticalServiceErrorCode.LinkUsed,
        `this link was already used at ${iso(link.used_at)}; nothing more to do`,
      );
    if (link.expires_at <= now)
      throw new CriticalError(
        410,
        CriticalServiceErrorCode.LinkExpired,
        `this acknowledgement link expired at ${iso(link.expires_at)}; sign in to Confer to acknowledge`,
      );
    await this.audited(actor, origin, 'critical-acknowledge-link', link.result_id, async () => {
      // Used up first, conditionally: two clicks (or two nodes) acknowledge once.
      const claimed = await this.db
        .updateTable('critical_links')
        .set({ used_at: now })
        .where('token_hash', '=', link.token_hash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1)
        throw new CriticalError(
          410,
          CriticalServiceErrorCode.LinkUsed,
          'this link was already used; nothing more to do',
        );
      try {
        await this.apply(link.result_id, {
          type: 'acknowledge',
          by: link.recipient,
          method: 'link',
          recordedBy: link.recipient,
          communicationId: link.communication_id,
        });
      } catch (err) {
        // Refused (already acknowledged by someone else): the link was not what acknowledged it.
        if (!(err instanceof CriticalError && err.code === CriticalServiceErrorCode.AlreadyAcknowledged))
          await this.db
            .updateTable('critical_links')
            .set({ used_at: null })
            .where('token_hash', '=', link.token_hash)
            .execute();
        throw err;
      }
    });
    return this.linkView(await this.load(link.result_id), { ...link, used_at: now });
  }

  private linkView(row: ResultRow, link: Selectable<Database['critical_links']>): LinkView {
    const v = this.view(row);
    return {
      resultId: v.id,
      caseId: v.caseId,
      category: v.category,
      finding: v.finding,
      flaggedBy: v.flaggedBy,
      flaggedAt: v.flaggedAt,
      recipient: link.recipient,
      state: v.state,
      expiresAt: iso(link.expires_at)!,
      acknowledgement: v.acknowledgement,
    };
  }

  // ---------------------------------------------------------------- clockwork

  /**
   * One turn of the clockwork: fires due ladder timers (each once across nodes: the timer is claimed with a
   * conditional update in the same transaction as the escalation it causes), sends pending webhooks and
   * e-mails, and records communications and acknowledgements on their cases.
   */
  async tick(): Promise<{ escalated: number; delivered: number }> {
    const now = this.now();
    const due = await this.db
      .selectFrom('critical_timers')
      .selectAll()
      .where('fired_at', 'is', null)
      .where('due_at', '<=', now)
      .orderBy('due_at')
      .limit(200)
      .execute();
    let escalated = 0;
    for (const t of due) {
      try {
        const done = await this.db.transaction().execute(async (trx) => {
          const claimed = await trx
            .updateTable('critical_timers')
            .set({ fired_at: now })
            .where('id', '=', t.id)
            .where('fired_at', 'is', null)
            .executeTakeFirst();
          if (Number(claimed.numUpdatedRows) !== 1) return null; // another node fired it
          const row = await this.load(t.result_id, trx);
          const before = JSON.parse(row.snapshot_json) as CriticalResult;
          const applied = applyCriticalCommand(before, { type: 'escalate', step: Number(t.step) }, now);
          if (!applied.ok) throw new Rollback(applied.message);
          if (applied.events.length > 0 && !(await this.write(trx, before, applied.result, applied.events)))
            throw new Rollback('changed meanwhile');
          return { before, after: applied.result };
        });
        if (!done || done.after.version === done.before.version) continue;
        escalated++;
        const c = await this.caseRow(done.after.caseId);
        const overdue = done.after.state === CriticalState.Overdue;
        this.log?.info(
          { resultId: done.after.id, caseId: done.after.caseId, step: done.after.step, overdue },
          'critical result escalated',
        );
        await this.audit.record({
          action: overdue ? 'critical-overdue' : 'critical-escalate',
          actor: SYSTEM_ACTOR,
          origin: SYSTEM_ORIGIN,
          outcome: 'success',
          studyUid: c?.study_uid ?? null,
          patientId: c?.patient_id ?? null,
          detail: `${done.after.id}: ${overdue ? 'ladder exhausted' : `rung ${done.after.step} ${done.after.rungs[done.after.step]?.name}`}`,
        });
      } catch (err) {
        if (!(err instanceof Rollback)) throw err;
      }
    }
    if (escalated > 0) await this.notifier?.flush?.();
    const delivered = await this.deliverPending();
    await this.syncCases();
    return { escalated, delivered };
  }

  /** Deliveries and case records for one result, right after a change (the tick catches up on any missed). */
  private async settle(id: string): Promise<void> {
    await this.notifier?.flush?.();
    await this.deliverPending(id);
    await this.syncCases(id);
  }

  /** Sends pending webhook and e-mail communications, each claimed by one node per attempt. */
  private async deliverPending(resultId?: string): Promise<number> {
    const now = this.now();
    let q = this.db
      .selectFrom('critical_communications')
      .selectAll()
      .where('status', '=', 'pending')
      .where('channel', 'in', ['webhook', 'email'])
      .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]));
    if (resultId) q = q.where('result_id', '=', resultId);
    const pending = await q.orderBy('at').limit(100).execute();
    let delivered = 0;
    for (const p of pending) {
      const claimed = await this.db
        .updateTable('critical_communications')
        .set({ attempts: Number(p.attempts) + 1, next_attempt_at: now + this.config.retryDelayMs })
        .where('id', '=', p.id)
        .where('status', '=', 'pending')
        .where('attempts', '=', Number(p.attempts))
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) continue;
      const row = await this.load(p.result_id);
      const r = JSON.parse(row.snapshot_json) as CriticalResult;
      const comm = r.communications.find((c) => c.id === p.id);
      if (!comm) continue;
      if (r.state === CriticalState.Acknowledged) {
        await this.apply(r.id, {
          type: 'delivery',
          communicationId: p.id,
          ok: false,
          error: `not sent: acknowledged by ${r.acknowledgement?.by} first`,
        });
        continue;
      }
      try {
        await this.send(r, comm);
        await this.apply(r.id, { type: 'delivery', communicationId: p.id, ok: true });
        delivered++;
      } catch (err) {
        const message = (err as Error).message.slice(0, 500);
        this.log?.warn(
          { resultId: r.id, communicationId: p.id, channel: p.channel, err: message },
          'critical result delivery failed',
        );
        if (Number(p.attempts) + 1 >= this.config.maxDeliveryAttempts) {
          await this.apply(r.id, { type: 'delivery', communicationId: p.id, ok: false, error: message });
        } else {
          await this.db
            .updateTable('critical_communications')
            .set({ error: message })
            .where('id', '=', p.id)
            .execute();
        }
      }
    }
    return delivered;
  }

  /** Makes a single-use link for the communication and sends it by its channel. */
  private async send(r: CriticalResult, c: CriticalCommunication): Promise<void> {
    const base = this.config.publicBaseUrl;
    if (!base) throw new Error('critical.publicBaseUrl is not set, so no acknowledgement link can be made');
    const now = this.now();
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now + this.config.linkTtlMinutes * 60_000;
    await this.db
      .insertInto('critical_links')
      .values({
        token_hash: hashToken(token),
        result_id: r.id,
        communication_id: c.id,
        recipient: c.recipient,
        created_at: now,
        expires_at: expiresAt,
        opened_at: null,
        used_at: null,
      })
      .execute();
    const link = { url: `${base}/#/ack/${token}`, expiresAt };
    const email = this.config.contacts[c.recipient]?.email;
    if (c.channel === 'webhook') {
      const target = this.config.webhook;
      if (!target) throw new Error('critical.webhook is no longer configured');
      await this.postWebhook(target, c.id, criticalWebhookPayload(r, c, link, email), this.clock.now());
    } else if (c.channel === 'email') {
      const smtp = this.config.smtp;
      if (!smtp) throw new Error('critical.smtp is no longer configured');
      if (!email) throw new Error(`no e-mail address for ${c.recipient} in critical.contacts`);
      const site = r.siteId
        ? await this.db.selectFrom('sites').select('name').where('id', '=', r.siteId).executeTakeFirst()
        : undefined;
      await this.sendMail(
        smtp,
        criticalEmail(r, c, email, link, {
          includeFinding: this.config.emailIncludesFinding,
          ...(site ? { siteName: site.name } : {}),
        }),
        this.clock.now(),
      );
    }
  }

  /** Records the first communication and the acknowledgement on each case's timeline and milestones, once. */
  private async syncCases(resultId?: string): Promise<void> {
    let q = this.db
      .selectFrom('critical_results')
      .select([
        'id',
        'case_id',
        'snapshot_json',
        'communicated_at',
        'acknowledged_at',
        'case_communicated',
        'case_acknowledged',
      ])
      .where((eb) =>
        eb.or([
          eb.and([eb('communicated_at', 'is not', null), eb('case_communicated', '=', 0)]),
          eb.and([eb('acknowledged_at', 'is not', null), eb('case_acknowledged', '=', 0)]),
        ]),
      );
    if (resultId) q = q.where('id', '=', resultId);
    for (const row of await q.limit(100).execute()) {
      const r = JSON.parse(row.snapshot_json) as CriticalResult;
      const first = r.communications
        .filter((c) => c.deliveredAt !== undefined)
        .sort((a, b) => a.deliveredAt! - b.deliveredAt!)[0];
      const records: {
        column: 'case_communicated' | 'case_acknowledged';
        command: () => CriticalCaseRecord;
      }[] = [];
      if (row.case_communicated === 0 && first)
        records.push({
          column: 'case_communicated',
          command: () => ({
            milestone: 'communicated',
            at: first.deliveredAt!,
            by: first.sentBy,
            recipient: first.recipient,
            channel: first.channel,
          }),
        });
      if (row.case_acknowledged === 0 && r.acknowledgement) {
        const a = r.acknowledgement;
        records.push({
          column: 'case_acknowledged',
          command: () => ({
            milestone: 'acknowledged',
            at: a.at,
            by: a.by,
            recipient: a.by,
            channel: a.method,
          }),
        });
      }
      for (const rec of records) {
        const claimed = await this.db
          .updateTable('critical_results')
          .set({ [rec.column]: 1 })
          .where('id', '=', row.id)
          .where(rec.column, '=', 0)
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) continue;
        try {
          await this.worklist.execute(row.case_id, {
            type: 'record-critical',
            resultId: r.id,
            ...rec.command(),
          });
        } catch (err) {
          await this.db
            .updateTable('critical_results')
            .set({ [rec.column]: 0 })
            .where('id', '=', row.id)
            .execute();
          this.log?.warn(
            { resultId: r.id, caseId: r.caseId, err: (err as Error).message },
            'recording a critical result on its case failed; will retry',
          );
        }
      }
    }
  }
}

type CriticalCaseRecord = {
  milestone: 'communicated' | 'acknowledged';
  at: number;
  by: string;
  recipient: string;
  channel: string;
};

function communicationView(c: CriticalCommunication): CommunicationView {
  return {
    id: c.id,
    step: c.step,
    channel: c.channel,
    recipient: c.recipient,
    sentBy: c.sentBy,
    at: iso(c.at)!,
    status: c.status,
    deliveredAt: iso(c.deliveredAt),
    openedAt: iso(c.openedAt),
    acknowledgedAt: iso(c.acknowledgedAt),
    error: c.error ?? null,
  };
}
