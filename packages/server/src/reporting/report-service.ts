import {
  addendaUpTo,
  applyReportCommand,
  type CaseSnapshot,
  type Clock,
  can,
  contentFromTemplate,
  type DiffOp,
  diffStats,
  diffWords,
  freeFormContent,
  newReport,
  Permission,
  type ReportAuthor,
  type ReportCommand,
  type ReportContent,
  type ReportDraft,
  type ReportRefusal,
  type ReportSnapshot,
  type ReportStatus,
  type ReportVersion,
  renderReportText,
  type SignedReport,
  type SignedReportFacts,
  SignedReportKind,
  selectTemplate,
  type TemplateSelection,
  toSignedReport,
} from '@confer/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { AuditLog } from '../archive/audit-log.ts';
import { type Actor, type AuditEvent, AuditOutcome, type RequestOrigin } from '../archive/ports.ts';
import { type AccessService, AuthError } from '../auth/access-service.ts';
import type { CasesTable, Database } from '../store/schema.ts';
import type { RoutingConfigStore } from '../worklist/routing-config-store.ts';
import type { CaseChangeHook, WorklistService } from '../worklist/worklist-service.ts';
import { ReportError, ReportServiceErrorCode } from './report-error.ts';
import type { ReportOutbox } from './report-outbox.ts';
import { type StoredTemplate, TemplateStore } from './template-store.ts';

type Db = Kysely<Database> | Transaction<Database>;
type CaseRow = Selectable<CasesTable>;

/** Who may read what: readers who see the case and coordinators everything; others final reports only. */
export type ReportReadScope = 'all' | 'final-only';

export interface ReportVersionView {
  version: number;
  kind: SignedReportKind;
  author: { name: string; readerId: string | null };
  signedAt: string;
  content: ReportContent;
  /** The report as plain text at this version, addenda included. */
  text: string;
}

export interface ReportView {
  id: string;
  caseId: string;
  status: ReportStatus;
  /** Send it back with the next write (optimistic locking). */
  revision: number;
  /** The working draft; only for readers and coordinators. */
  draft: {
    content: ReportContent;
    savedBy: { name: string; readerId: string | null };
    savedAt: string;
  } | null;
  versions: ReportVersionView[];
  scope: ReportReadScope;
  /** Whether the caller may write (and sign) it now. */
  canWrite: boolean;
}

export interface SignInput {
  kind: SignedReportKind;
  password: string;
  expectedRevision: number;
  content?: ReportContent;
}

/**
 * Called inside the signing transaction with the critical findings this signature adds (those no earlier
 * version carried), so the closed loop (notify, acknowledge, escalate) starts with the signature or not at
 * all. It may return work to do once the transaction has committed (sending messages).
 */
export type CriticalFindingsHook = (
  trx: Transaction<Database>,
  report: SignedReport,
  findings: SignedReport['criticalFindings'],
  actor: Actor,
) => Promise<(() => Promise<void>) | undefined>;

export interface ReportServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditLog;
  access: AccessService;
  worklist: WorklistService;
  routing: RoutingConfigStore;
  outbox: ReportOutbox;
  onCriticalFindings?: CriticalFindingsHook;
  logger?: Logger;
}

/** The report's id is derived from the case's, so two nodes starting a report create one. */
export function reportIdFor(caseId: string): string {
  return `R-${caseId.replace(/^C-/, '')}`;
}

const SIGN_ACTION: Record<SignedReportKind, string> = {
  preliminary: 'report-sign-preliminary',
  final: 'report-sign-final',
  addendum: 'report-sign-addendum',
};
const REFUSAL_STATUS: Record<string, number> = {
  CONFER_ERR_REPORT_NOT_OWNER: 403,
  CONFER_ERR_REPORT_STALE: 409,
  CONFER_ERR_REPORT_INVALID_TRANSITION: 409,
  CONFER_ERR_REPORT_INCOMPLETE: 422,
  CONFER_ERR_REPORT_INVALID: 400,
};

function refusalError(r: ReportRefusal): ReportError {
  return new ReportError(REFUSAL_STATUS[r.code] ?? 409, r.code, r.message, {
    ...(r.savedBy ? { savedBy: { name: r.savedBy.name, readerId: r.savedBy.readerId ?? null } } : {}),
    ...(r.savedAt !== undefined ? { savedAt: new Date(r.savedAt).toISOString() } : {}),
    ...(r.missing ? { missing: r.missing } : {}),
  });
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Structured reports: templates, drafts with autosave, signing (preliminary, final, addenda) with
 * re-authentication, versions and diffs. Every read and write is checked here and audited. A signature is one
 * transaction: the case transition (through the worklist, so report times feed the handoff timeline), the
 * signed version, its audit row and the delivery outbox entry commit together or not at all.
 */
export class ReportService {
  readonly templates: TemplateStore;
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private readonly audit: AuditLog;
  private readonly access: AccessService;
  private readonly worklist: WorklistService;
  private readonly routing: RoutingConfigStore;
  private readonly outbox: ReportOutbox;
  private readonly onCriticalFindings: CriticalFindingsHook | undefined;
  private readonly log: Logger | undefined;

  constructor(deps: ReportServiceDeps) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.access = deps.access;
    this.worklist = deps.worklist;
    this.routing = deps.routing;
    this.outbox = deps.outbox;
    this.onCriticalFindings = deps.onCriticalFindings;
    this.log = deps.logger;
    this.templates = new TemplateStore({ db: deps.db, clock: deps.clock });
  }

  // ---------------------------------------------------------------- templates

  async listTemplates(actor: Actor): Promise<StoredTemplate[]> {
    this.requireAny(
      actor,
      [Permission.ReportRead, Permission.ReportWrite, Permission.ReportManage],
      'templates',
    );
    return this.templates.list();
  }

  async getTemplate(actor: Actor, id: string): Promise<StoredTemplate> {
    this.requireAny(
      actor,
      [Permission.ReportRead, Permission.ReportWrite, Permission.ReportManage],
      'templates',
    );
    const t = await this.templates.get(id);
    if (!t) throw new ReportError(404, ReportServiceErrorCode.TemplateNotFound, `no template "${id}"`);
    return t;
  }

  async saveTemplate(
    actor: Actor,
    doc: unknown,
    mode: 'create' | 'replace',
    origin: RequestOrigin,
  ): Promise<StoredTemplate> {
    this.requireAny(actor, [Permission.ReportManage], 'changing templates');
    const id = (doc as { id?: unknown } | null)?.id;
    try {
      const saved = await this.templates.save(doc, actor.name, mode);
      await this.audit.record(
        this.event(actor, origin, `report-template-${mode}`, AuditOutcome.Success, saved.template.id),
      );
      return saved;
    } catch (err) {
      await this.audit.record(
        this.event(
          actor,
          origin,
          `report-template-${mode}`,
          AuditOutcome.Failure,
          `${String(id)}: ${(err as Error).message}`,
        ),
      );
      throw err;
    }
  }

  async deleteTemplate(actor: Actor, id: string, origin: RequestOrigin): Promise<void> {
    this.requireAny(actor, [Permission.ReportManage], 'deleting templates');
    await this.templates.remove(id);
    await this.audit.record(this.event(actor, origin, 'report-template-delete', AuditOutcome.Success, id));
  }

  /** The template for a case, why it was chosen, and the draft it starts (what the editor opens with). */
  async templateFor(
    actor: Actor,
    caseId: string,
    origin: RequestOrigin,
  ): Promise<TemplateSelection & { draft: ReportContent }> {
    const row = await this.caseRow(caseId);
    await this.requireScope(actor, row, origin, 'report-template-select', 'all');
    const readerId = this.worklist.readerIdOf(actor);
    const reader = this.routing.current()?.config.readers.find((r) => r.id === readerId);
    const selection = selectTemplate(
      (await this.templates.list()).map((t) => t.template),
      {
        modalities: split(row.modalities),
        bodyParts: split(row.body_parts),
        ...(row.procedure_text ? { procedure: row.procedure_text } : {}),
        specialties: [...(reader?.subspecialties ?? []), ...(row.pathway ? [row.pathway] : [])],
      },
    );
    await this.audit.record(
      this.event(
        actor,
        origin,
        'report-template-select',
        AuditOutcome.Success,
        `${caseId}: ${selection.template?.id ?? 'none'}`,
        row,
      ),
    );
    const draft = selection.template
      ? contentFromTemplate(selection.template)
      : freeFormContent(row.procedure_text ?? `${split(row.modalities).join('/')} report`);
    return { ...selection, draft };
  }

  // ---------------------------------------------------------------- reading

  /** The case's report: its status, draft (readers and coordinators) and the versions the caller may read. */
  async get(actor: Actor, caseId: string, origin: RequestOrigin): Promise<ReportView> {
    const row = await this.caseRow(caseId);
    const scope = await this.requireScope(actor, row, origin, 'report-read');
    const report = await this.load(this.db, row);
    if (scope === 'final-only' && report.status !== 'final' && report.status !== 'addended') {
      await this.audit.record(
        this.event(actor, origin, 'report-read', AuditOutcome.Denied, `${caseId}: not final`, row),
      );
      throw new ReportError(
        403,
        ReportServiceErrorCode.NotFinal,
        `the report on case ${caseId} is not final yet; it can be read here once it is signed final`,
      );
    }
    await this.audit.record(this.event(actor, origin, 'report-read', AuditOutcome.Success, caseId, row));
    return this.view(actor, report, scope);
  }

  /** Two versions (numbers, or 'draft' for the working draft) compared word by word. */
  async diff(
    actor: Actor,
    caseId: string,
    from: number | 'draft',
    to: number | 'draft',
    origin: RequestOrigin,
  ): Promise<{
    from: number | 'draft';
    to: number | 'draft';
    ops: DiffOp[];
    added: number;
    removed: number;
  }> {
    const row = await this.caseRow(caseId);
    const scope = await this.requireScope(actor, row, origin, 'report-diff');
    const report = await this.load(this.db, row);
    const textOf = (v: number | 'draft'): string => {
      if (v === 'draft') {
        if (scope !== 'all' || !report.draft)
          throw new ReportError(
            404,
            ReportServiceErrorCode.VersionNotFound,
            `case ${caseId} has no draft you can read`,
          );
        return draftText(report, report.draft);
      }
      const version = report.versions.find((x) => x.version === v);
      if (!version || (scope === 'final-only' && version.kind === SignedReportKind.Preliminary))
        throw new ReportError(
          404,
          ReportServiceErrorCode.VersionNotFound,
          `the report on case ${caseId} has no version ${v}${report.versions.length ? ` (versions 1 to ${report.versions.length})` : ''}`,
        );
      return versionText(report, version);
    };
    const ops = diffWords(textOf(from), textOf(to));
    await this.audit.record(
      this.event(actor, origin, 'report-diff', AuditOutcome.Success, `${caseId}: ${from}..${to}`, row),
    );
    return { from, to, ops, ...diffStats(ops) };
  }

  // ---------------------------------------------------------------- writing

  /** Autosave: stores the draft when `expectedRevision` is current; otherwise 409 with who saved last. */
  async saveDraft(
    actor: Actor,
    caseId: string,
    input: { expectedRevision: number; content: ReportContent },
    origin: RequestOrigin,
  ): Promise<ReportView> {
    const row = await this.caseRow(caseId);
    await this.requireWriter(actor, origin, 'report-draft-save', row);
    const content = await this.normalise(input.content);
    const command: ReportCommand = {
      type: 'save-draft',
      by: this.authorOf(actor),
      expectedRevision: input.expectedRevision,
      content,
    };
    try {
      const saved = await this.db.transaction().execute(async (trx) => {
        const report = await this.load(trx, row);
        const out = applyReportCommand(report, command, this.now());
        if (!out.ok) throw refusalError(out);
        await this.write(trx, report, out.snapshot);
        await this.audit.append(trx, [
          this.event(
            actor,
            origin,
            'report-draft-save',
            AuditOutcome.Success,
            `${caseId}: revision ${out.snapshot.revision}`,
            row,
          ),
        ]);
        return out.snapshot;
      });
      return this.view(actor, saved, 'all');
    } catch (err) {
      await this.auditFailure(actor, origin, 'report-draft-save', row, err);
      throw err;
    }
  }

  /**
   * Signs the draft (or the content sent) as preliminary, final or an addendum. The reader proves it is them
   * with their password. Then, in one transaction: the case moves (preliminary / final / addended, through
   * the worklist, so the handoff timeline and milestones get the time), the signed version is stored, the
   * SignedReport is queued for delivery, critical findings start their loop, and the audit row is written.
   * If any step fails, nothing is signed and the case does not move.
   */
  async sign(
    actor: Actor,
    caseId: string,
    input: SignInput,
    origin: RequestOrigin,
  ): Promise<{ report: ReportView; signed: SignedReport }> {
    const action = SIGN_ACTION[input.kind];
    const row = await this.caseRow(caseId);
    if (actor.kind !== 'user') {
      await this.audit.record(
        this.event(actor, origin, action, AuditOutcome.Denied, `${caseId}: not a person`, row),
      );
      throw new ReportError(
        403,
        ReportServiceErrorCode.SignerNotAPerson,
        'a report is signed by a person signed in to Confer, not with an API token; sign in and sign from the report editor',
      );
    }
    await this.requireWriter(actor, origin, action, row);
    try {
      const user = await this.access.verifyPassword(actor.username ?? actor.name, input.password);
      if (String(user.id) !== actor.id)
        throw new AuthError('CONFER_ERR_INVALID_CREDENTIALS', 'not the signed-in user');
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      await this.audit.record(
        this.event(actor, origin, action, AuditOutcome.Failure, `${caseId}: re-authentication failed`, row),
      );
      throw new ReportError(
        401,
        ReportServiceErrorCode.ReauthFailed,
        'the password is not right; signing a report needs your own Confer password',
      );
    }
    const by = this.authorOf(actor);
    const command: ReportCommand = {
      type: 'sign',
      kind: input.kind,
      by,
      expectedRevision: input.expectedRevision,
      ...(input.content ? { content: await this.normalise(input.content) } : {}),
    };
    // Decided once before touching the case, so a refusal (stale, incomplete, not yours) moves nothing.
    const first = applyReportCommand(await this.load(this.db, row), command, this.now());
    if (!first.ok) {
      await this.auditFailure(actor, origin, action, row, refusalError(first));
      throw refusalError(first);
    }
    let result: { snapshot: ReportSnapshot; signed: SignedReport } | undefined;
    let afterCommit: (() => Promise<void>) | undefined;
    const hook: CaseChangeHook = async (trx, change) => {
      // Decided again on what this transaction reads: another node may have written in between.
      const report = await this.load(trx, row, change.before);
      const out = applyReportCommand(report, command, this.now());
      if (!out.ok) throw refusalError(out);
      await this.write(trx, report, out.snapshot);
      const version = out.snapshot.versions[out.snapshot.versions.length - 1]!;
      const signed = toSignedReport(out.snapshot, version.version, await this.facts(trx, row, change.after));
      await trx
        .insertInto('report_versions')
        .values({
          report_id: out.snapshot.id,
          version: version.version,
          kind: version.kind,
          content_json: JSON.stringify(version.content),
          text: versionText(out.snapshot, version),
          author_user_id: version.author.userId,
          author_reader_id: version.author.readerId ?? null,
          author_name: version.author.name,
          signed_at: version.signedAt,
          signed_report_json: JSON.stringify(signed),
        })
        .execute();
      await this.outbox.enqueue(trx, signed);
      const added = newFindings(report, signed);
      if (added.length > 0 && this.onCriticalFindings)
        afterCommit = await this.onCriticalFindings(trx, signed, added, actor);
      await this.audit.append(trx, [
        this.event(actor, origin, action, AuditOutcome.Success, `${caseId}: version ${version.version}`, row),
      ]);
      result = { snapshot: out.snapshot, signed };
    };
    try {
      if (input.kind === SignedReportKind.Addendum) await this.worklist.addend(actor, caseId, origin, hook);
      else
        await this.worklist.finish(
          actor,
          caseId,
          origin,
          input.kind === SignedReportKind.Preliminary ? 'preliminary' : 'finalize',
          hook,
        );
    } catch (err) {
      await this.auditFailure(actor, origin, action, row, err);
      throw err;
    }
    if (!result) throw new Error(`signing case ${caseId} committed without storing the report`);
    // Committed: what the critical loop sends now. A failure here is retried by its own clockwork.
    await afterCommit?.().catch((err: Error) =>
      this.log?.warn({ caseId, err: err.message }, 'critical result messages deferred to the next tick'),
    );
    this.log?.info({ caseId, kind: input.kind, version: result.signed.version }, 'report signed');
    return { report: this.view(actor, result.snapshot, 'all'), signed: result.signed };
  }

  // ---------------------------------------------------------------- helpers

  private now(): number {
    return this.clock.now().getTime();
  }

  private async caseRow(caseId: string): Promise<CaseRow> {
    const row = await this.worklist.row(caseId);
    if (!row) throw new ReportError(404, ReportServiceErrorCode.CaseNotFound, `no case ${caseId}`);
    return row;
  }

  private requireAny(actor: Actor, permissions: Permission[], what: string): void {
    if (!permissions.some((p) => can(actor.roles, p)))
      throw new ReportError(
        403,
        ReportServiceErrorCode.Forbidden,
        `${what} need${what.endsWith('s') ? '' : 's'} one of the permissions ${permissions.join(', ')}`,
      );
  }

  /** Refuses (and audits the refusal) when the actor's roles do not include writing reports. */
  private async requireWriter(
    actor: Actor,
    origin: RequestOrigin,
    action: string,
    row: CaseRow,
  ): Promise<void> {
    if (can(actor.roles, Permission.ReportWrite)) return;
    await this.audit.record(
      this.event(actor, origin, action, AuditOutcome.Denied, `${row.id}: no report:write`, row),
    );
    throw new ReportError(
      403,
      ReportServiceErrorCode.Forbidden,
      'writing reports needs the radiologist role',
    );
  }

  /** What the caller may read of this case's report; refuses (and audits) when nothing. */
  private async requireScope(
    actor: Actor,
    row: CaseRow,
    origin: RequestOrigin,
    action: string,
    needed?: 'all',
  ): Promise<ReportReadScope> {
    const scope = await this.scopeOf(actor, row);
    if (scope && (needed === undefined || scope === needed)) return scope;
    await this.audit.record(this.event(actor, origin, action, AuditOutcome.Denied, row.id, row));
    throw new ReportError(
      403,
      ReportServiceErrorCode.Forbidden,
      scope
        ? `only readers who have case ${row.id} on their worklist can do this`
        : `case ${row.id} is not on your worklist and your roles do not include reading reports`,
    );
  }

  private async scopeOf(actor: Actor, row: CaseRow): Promise<ReportReadScope | undefined> {
    if (await this.worklist.canSee(actor, row)) return 'all';
    if (!can(actor.roles, Permission.ReportRead)) return undefined;
    // A clinician tied to a site reads that site's reports; one tied to none (a regional service) reads all.
    if (actor.siteId && row.site_id && actor.siteId !== row.site_id) return undefined;
    return 'final-only';
  }

  private authorOf(actor: Actor): ReportAuthor {
    const readerId = this.worklist.readerIdOf(actor);
    const reader = this.routing.current()?.config.readers.find((r) => r.id === readerId);
    return { userId: actor.id, ...(readerId ? { readerId } : {}), name: reader?.name ?? actor.name };
  }

  /** Required flags come from the template, whatever the client sends: a required section stays required. */
  private async normalise(content: ReportContent): Promise<ReportContent> {
    const template = content.templateId
      ? (await this.templates.get(content.templateId))?.template
      : undefined;
    if (!template) return content;
    const required = new Set(template.sections.filter((s) => s.required).map((s) => s.id));
    const sections = content.sections.map((s) => {
      const { required: _r, ...rest } = s;
      return required.has(s.id) ? { ...rest, required: true } : rest;
    });
    for (const s of template.sections)
      if (s.required && !sections.some((x) => x.id === s.id))
        sections.push({ id: s.id, title: s.title, text: '', required: true });
    return { ...content, sections };
  }

  /** The report as stored, with the case's state as the decider needs it (`caseSnapshot` overrides the row's). */
  private async load(db: Db, row: CaseRow, caseSnapshot?: CaseSnapshot): Promise<ReportSnapshot> {
    const id = reportIdFor(row.id);
    const caseState = caseSnapshot
      ? { state: caseSnapshot.state, ownerId: caseSnapshot.ownerId }
      : { state: row.state as CaseSnapshot['state'], ownerId: row.owner_id };
    const r = await db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) return newReport(id, row.id, caseState);
    const versions = await db
      .selectFrom('report_versions')
      .select([
        'version',
        'kind',
        'content_json',
        'author_user_id',
        'author_reader_id',
        'author_name',
        'signed_at',
      ])
      .where('report_id', '=', id)
      .orderBy('version')
      .execute();
    return {
      id,
      caseId: row.id,
      status: r.status as ReportStatus,
      revision: Number(r.revision),
      draft: r.draft_json ? (JSON.parse(r.draft_json) as ReportDraft) : null,
      versions: versions.map((v) => ({
        version: Number(v.version),
        kind: v.kind as SignedReportKind,
        content: JSON.parse(v.content_json) as ReportContent,
        author: {
          userId: v.author_user_id,
          ...(v.author_reader_id ? { readerId: v.author_reader_id } : {}),
          name: v.author_name,
        },
        signedAt: Number(v.signed_at),
      })),
      case: caseState,
    };
  }

  /** Stores the report row with a conditional update on the revision read; a lost race is a stale refusal. */
  private async write(
    trx: Transaction<Database>,
    before: ReportSnapshot,
    after: ReportSnapshot,
  ): Promise<void> {
    const now = this.now();
    const cols = {
      status: after.status,
      revision: after.revision,
      draft_json: after.draft ? JSON.stringify(after.draft) : null,
      updated_at: now,
    };
    let written: boolean;
    if (before.revision === 0) {
      const r = await trx
        .insertInto('reports')
        .values({ id: after.id, case_id: after.caseId, ...cols, created_at: now })
        // No conflict target: a race on the id or on case_id (both unique) must end in "do nothing", never an error.
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      written = r !== undefined;
    } else {
      const r = await trx
        .updateTable('reports')
        .set(cols)
        .where('id', '=', after.id)
        .where('revision', '=', before.revision)
        .executeTakeFirst();
      written = Number(r.numUpdatedRows) === 1;
    }
    if (!written)
      throw new ReportError(
        409,
        'CONFER_ERR_REPORT_STALE',
        `the report on case ${after.caseId} was changed at the same moment by someone else; reload it and apply your changes again`,
      );
  }

  /** What the case, study and patient rows say about the report, for the SignedReport. */
  private async facts(
    trx: Transaction<Database>,
    row: CaseRow,
    snap: CaseSnapshot,
  ): Promise<SignedReportFacts> {
    const study = await trx
      .selectFrom('studies')
      .innerJoin('patients', 'patients.id', 'studies.patient_fk')
      .select([
        'studies.accession_number',
        'studies.description',
        'studies.referring_physician',
        'studies.site_id',
        'patients.patient_id',
        'patients.issuer',
        'patients.scope',
        'patients.patient_name',
        'patients.birth_date',
        'patients.sex',
      ])
      .where('studies.study_uid', '=', row.study_uid)
      .executeTakeFirst();
    const procedure = row.procedure_text ?? study?.description ?? undefined;
    const accession = row.accession_number ?? study?.accession_number ?? undefined;
    const siteId = row.site_id ?? study?.site_id ?? undefined;
    // A patient without a Patient ID is scoped to its study (see the patients table): no identifier to send.
    const patientId = study && study.scope === '' ? study.patient_id : undefined;
    return {
      studyUid: row.study_uid,
      ...(accession ? { accessionNumber: accession } : {}),
      patient: {
        ...(patientId ? { id: patientId } : {}),
        ...(patientId && study?.issuer ? { issuer: study.issuer } : {}),
        ...(study?.patient_name ? { name: study.patient_name } : {}),
        ...(study?.birth_date ? { birthDate: study.birth_date } : {}),
        ...(study?.sex ? { sex: study.sex } : {}),
      },
      ...(procedure ? { procedure } : {}),
      modalities: split(row.modalities),
      bodyParts: split(row.body_parts),
      ...(siteId ? { siteId } : {}),
      ...(study?.referring_physician ? { orderingClinician: { name: study.referring_physician } } : {}),
      ...(snap.milestones.acquired !== undefined ? { observedAt: snap.milestones.acquired } : {}),
    };
  }

  private view(actor: Actor, r: ReportSnapshot, scope: ReportReadScope): ReportView {
    const versions =
      scope === 'all' ? r.versions : r.versions.filter((v) => v.kind !== SignedReportKind.Preliminary);
    const dryRun =
      scope === 'all' &&
      can(actor.roles, Permission.ReportWrite) &&
      applyReportCommand(
        r,
        {
          type: 'save-draft',
          by: this.authorOf(actor),
          expectedRevision: r.revision,
          content: r.draft?.content ?? freeFormContent('report'),
        },
        this.now(),
      ).ok;
    return {
      id: r.id,
      caseId: r.caseId,
      status: r.status,
      revision: r.revision,
      draft:
        scope === 'all' && r.draft
          ? {
              content: r.draft.content,
              savedBy: { name: r.draft.savedBy.name, readerId: r.draft.savedBy.readerId ?? null },
              savedAt: iso(r.draft.savedAt),
            }
          : null,
      versions: versions.map((v) => ({
        version: v.version,
        kind: v.kind,
        author: { name: v.author.name, readerId: v.author.readerId ?? null },
        signedAt: iso(v.signedAt),
        content: v.content,
        text: versionText(r, v),
      })),
      scope,
      canWrite: Boolean(dryRun),
    };
  }

  private event(
    actor: Actor,
    origin: RequestOrigin,
    action: string,
    outcome: AuditEvent['outcome'],
    detail: string,
    row?: CaseRow,
  ): AuditEvent {
    return {
      action,
      actor: { kind: actor.kind, id: actor.id, name: actor.name },
      origin,
      outcome,
      ...(row ? { studyUid: row.study_uid, patientId: row.patient_id } : {}),
      detail: detail.slice(0, 500),
    };
  }

  private async auditFailure(
    actor: Actor,
    origin: RequestOrigin,
    action: string,
    row: CaseRow,
    err: unknown,
  ) {
    const code = (err as { code?: string }).code;
    await this.audit.record(
      this.event(
        actor,
        origin,
        action,
        AuditOutcome.Failure,
        `${row.id}: ${code ? `${code} ` : ''}${(err as Error).message}`,
        row,
      ),
    );
  }
}

/** Critical findings of the signed version that no earlier version carried (each is flagged once). */
function newFindings(before: ReportSnapshot, signed: SignedReport): SignedReport['criticalFindings'] {
  const key = (f: { category: string; finding: string }) => `${f.category}\u0000${f.finding.trim()}`;
  const known = new Set(before.versions.flatMap((v) => v.content.criticalFindings.map(key)));
  return signed.criticalFindings.filter((f) => !known.has(key(f)));
}

function split(v: string): string[] {
  return v.split('\\').filter(Boolean);
}

function versionText(r: ReportSnapshot, v: ReportVersion): string {
  return renderReportText(
    v.content,
    addendaUpTo(r, v.version).map((a) => ({ text: a.text, author: a.author.name, signedAt: a.signedAt })),
  );
}

/** The draft as it would read signed: after a final report, the addendum being written comes last. */
function draftText(r: ReportSnapshot, d: ReportDraft): string {
  const addenda = addendaUpTo(r, r.versions.length).map((a) => ({
    text: a.text,
    author: a.author.name,
    signedAt: a.signedAt,
  }));
  if (d.content.addendum?.trim())
    addenda.push({ text: d.content.addendum, author: `draft, ${d.savedBy.name}`, signedAt: d.savedAt });
  return renderReportText(d.content, addenda);
}
