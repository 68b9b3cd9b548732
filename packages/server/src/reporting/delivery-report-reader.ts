import { can, Permission, type SignedReport } from '@confer/core';
import type { Kysely, Selectable } from 'kysely';
import type { AuditLog } from '../archive/audit-log.ts';
import { type Actor, AuditOutcome, type RequestOrigin } from '../archive/ports.ts';
import { FHIR_ID, toDiagnosticReport } from '../fhir/diagnostic-report.ts';
import type { Database } from '../store/schema.ts';
import type { WorklistService } from '../worklist/worklist-service.ts';
import { DeliveryError, DeliveryErrorCode } from './delivery-errors.ts';
import type { DeliveryView, ReportDeliveryService } from './delivery-service.ts';
import { renderReportPdf } from './report-pdf.ts';
import { siteLayout } from './report-pdf-site.ts';

type OutputRow = Selectable<Database['report_outputs']>;

/** A signed version as the case page lists it. */
export interface SignedVersionView {
  reportId: string;
  version: number;
  kind: string;
  signedAt: string;
  signedBy: string;
  title: string;
  pdfUrl: string;
  deliveries: {
    id: number;
    destinationId: string;
    destinationType: string;
    state: string;
    attempts: number;
    lastAckCode: string | null;
    lastError: string | null;
  }[];
}

/** Search criteria of GET /api/fhir/DiagnosticReport, already split into system and value. */
export interface DiagnosticReportSearch {
  /** Report id or accession number; system narrows which. */
  identifier?: { system?: string; value: string };
  /** Accession number (the ServiceRequest the report is based on). */
  basedOn?: string;
  patient?: { system?: string; value: string };
  /** Study Instance UID. */
  study?: string;
  status?: string;
  count: number;
}

/**
 * Reads signed reports as they left Confer (the outbox copy): the PDF, the FHIR DiagnosticReport, the
 * deliveries of one report. Access is decided here, where the data is read: report:read, and the case
 * visible to the actor on the worklist; referrers (no worklist) see final and addended reports only, of
 * their own site when they belong to one. Every read, allowed or not, is audited.
 */
export class ReportReader {
  private readonly db: Kysely<Database>;
  private readonly audit: AuditLog;
  private readonly worklist: WorklistService;
  private readonly deliveries: ReportDeliveryService;

  constructor(deps: {
    db: Kysely<Database>;
    audit: AuditLog;
    worklist: WorklistService;
    deliveries: ReportDeliveryService;
  }) {
    this.db = deps.db;
    this.audit = deps.audit;
    this.worklist = deps.worklist;
    this.deliveries = deps.deliveries;
  }

  /** Whether the actor may read this version. */
  async mayRead(actor: Actor, row: Pick<OutputRow, 'case_id' | 'kind' | 'site_id'>): Promise<boolean> {
    if (!can(actor.roles, Permission.ReportRead)) return false;
    if (can(actor.roles, Permission.WorklistReadAll)) return true;
    if (can(actor.roles, Permission.WorklistRead)) {
      const c = await this.worklist.row(row.case_id);
      return c ? this.worklist.canSee(actor, c) : false;
    }
    if (row.kind === 'preliminary') return false;
    return !(actor.siteId && row.site_id && actor.siteId !== row.site_id);
  }

  private requireReportRead(actor: Actor): void {
    if (!can(actor.roles, Permission.ReportRead))
      throw new DeliveryError(
        403,
        DeliveryErrorCode.Forbidden,
        'reading reports needs the report:read permission',
      );
  }

  /**
   * The version to show: the one asked for, or the newest the actor may read. Denials are audited and
   * answered as "not found" for versions the actor may not know of, "forbidden" otherwise.
   */
  private async pick(
    actor: Actor,
    reportId: string,
    version: number | undefined,
    action: string,
    origin: RequestOrigin,
  ): Promise<OutputRow> {
    this.requireReportRead(actor);
    let q = this.db
      .selectFrom('report_outputs')
      .selectAll()
      .where('report_id', '=', reportId)
      .orderBy('version', 'desc');
    if (version !== undefined) q = q.where('version', '=', version);
    const rows = await q.execute();
    if (rows.length === 0)
      throw new DeliveryError(
        404,
        DeliveryErrorCode.NotFound,
        version !== undefined
          ? `report ${reportId} has no signed version ${version}`
          : `no signed report ${reportId}`,
      );
    for (const row of rows) if (await this.mayRead(actor, row)) return row;
    const first = rows[0]!;
    await this.audit.record({
      action,
      actor,
      origin,
      outcome: AuditOutcome.Denied,
      studyUid: first.study_uid,
      patientId: first.patient_id,
      detail: `report ${reportId}${version !== undefined ? ` v${version}` : ''}`,
    });
    throw new DeliveryError(
      403,
      DeliveryErrorCode.Forbidden,
      first.kind === 'preliminary' && rows.every((r) => r.kind === 'preliminary')
        ? 'this report is preliminary; it can be read once it is final, or by readers of the case'
        : 'this report belongs to a case you cannot see',
    );
  }

  private async audited(
    actor: Actor,
    origin: RequestOrigin,
    action: string,
    rows: OutputRow[],
    detail: string,
  ): Promise<void> {
    await this.audit.record({
      action,
      actor,
      origin,
      outcome: AuditOutcome.Success,
      studyUid: rows.length === 1 ? rows[0]!.study_uid : null,
      patientId: rows.length === 1 ? rows[0]!.patient_id : null,
      detail,
    });
  }

  /** The PDF of a signed version (the newest the actor may read when none is named). */
  async pdf(actor: Actor, reportId: string, version: number | undefined, origin: RequestOrigin) {
    const row = await this.pick(actor, reportId, version, 'report-pdf', origin);
    const report = JSON.parse(row.report_json) as SignedReport;
    const pdf = renderReportPdf(report, await siteLayout(this.db, report.siteId));
    await this.audited(actor, origin, 'report-pdf', [row], `report ${reportId} v${row.version} as PDF`);
    return { pdf, report };
  }

  private async resource(row: OutputRow): Promise<Record<string, unknown>> {
    const report = JSON.parse(row.report_json) as SignedReport;
    const corrected =
      report.kind === 'final' &&
      Boolean(
        await this.db
          .selectFrom('report_outputs')
          .select('id')
          .where('report_id', '=', row.report_id)
          .where('version', '<', row.version)
          .where('kind', '=', 'final')
          .executeTakeFirst(),
      );
    const pdf = renderReportPdf(report, await siteLayout(this.db, report.siteId));
    return toDiagnosticReport({ report, pdf, corrected, storedAt: row.created_at });
  }

  /** GET DiagnosticReport/:id — the report's newest version the actor may read. */
  async diagnosticReport(actor: Actor, id: string, origin: RequestOrigin): Promise<Record<string, unknown>> {
    if (!FHIR_ID.test(id))
      throw new DeliveryError(400, DeliveryErrorCode.BadRequest, `"${id}" is not a FHIR id`);
    const row = await this.pick(actor, id, undefined, 'report-fhir-read', origin);
    const resource = await this.resource(row);
    await this.audited(actor, origin, 'report-fhir-read', [row], `DiagnosticReport/${id} v${row.version}`);
    return resource;
  }

  /** The search: the newest readable version of each matching report, most recently signed first. */
  async searchDiagnosticReports(
    actor: Actor,
    search: DiagnosticReportSearch,
    origin: RequestOrigin,
  ): Promise<Record<string, unknown>[]> {
    this.requireReportRead(actor);
    let q = this.db.selectFrom('report_outputs').selectAll();
    const id = search.identifier;
    if (id) {
      if (id.system === 'urn:confer:report') q = q.where('report_id', '=', id.value);
      else if (id.system === 'urn:confer:accession') q = q.where('accession_number', '=', id.value);
      else if (id.system)
        throw new DeliveryError(
          400,
          DeliveryErrorCode.BadRequest,
          `unknown identifier system ${id.system}; use urn:confer:report or urn:confer:accession, or none`,
        );
      else
        q = q.where((eb) => eb.or([eb('report_id', '=', id.value), eb('accession_number', '=', id.value)]));
    }
    if (search.basedOn) q = q.where('accession_number', '=', search.basedOn);
    if (search.patient) q = q.where('patient_id', '=', search.patient.value);
    if (search.study) q = q.where('study_uid', '=', search.study);
    const rows = await q.orderBy('signed_at', 'desc').orderBy('version', 'desc').limit(2000).execute();
    const newest = new Map<string, OutputRow>();
    for (const row of rows) {
      if (newest.has(row.report_id)) continue;
      if (search.patient?.system) {
        const issuer = (JSON.parse(row.report_json) as SignedReport).patient.issuer;
        const system = issuer ? `urn:confer:patient:${issuer}` : 'urn:confer:patient';
        if (system !== search.patient.system) continue;
      }
      if (await this.mayRead(actor, row)) newest.set(row.report_id, row);
    }
    let found = [...newest.values()];
    const resources: Record<string, unknown>[] = [];
    for (const row of found) {
      const r = await this.resource(row);
      if (search.status && r.status !== search.status) continue;
      resources.push(r);
      if (resources.length >= search.count) break;
    }
    found = found.filter((row) => resources.some((r) => r.id === row.report_id));
    await this.audit.record({
      action: 'report-fhir-search',
      actor,
      origin,
      outcome: AuditOutcome.Success,
      studyUid: search.study ?? (found.length === 1 ? found[0]!.study_uid : null),
      patientId: search.patient?.value ?? (found.length === 1 ? found[0]!.patient_id : null),
      detail: `DiagnosticReport search: ${found.map((r) => `${r.report_id} v${r.version}`).join(', ') || 'no match'}`,
    });
    return resources;
  }

  /**
   * The signed versions of a case's reports the actor may read, newest first, each with its deliveries'
   * states (the case page's "Signed reports" panel).
   */
  async signedVersionsOfCase(
    actor: Actor,
    caseId: string,
    origin: RequestOrigin,
  ): Promise<SignedVersionView[]> {
    this.requireReportRead(actor);
    const rows = await this.db
      .selectFrom('report_outputs')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('signed_at', 'desc')
      .orderBy('version', 'desc')
      .execute();
    const readable: OutputRow[] = [];
    for (const row of rows) if (await this.mayRead(actor, row)) readable.push(row);
    const manage = can(actor.roles, Permission.ReportManage);
    const deliveries = readable.length
      ? await this.db
          .selectFrom('report_deliveries')
          .select([
            'output_fk',
            'destination_id',
            'destination_type',
            'state',
            'attempts',
            'last_ack_code',
            'last_error',
            'id',
          ])
          .where(
            'output_fk',
            'in',
            readable.map((r) => Number(r.id)),
          )
          .orderBy('id')
          .execute()
      : [];
    await this.audit.record({
      action: 'report-versions-read',
      actor,
      origin,
      outcome: rows.length > 0 && readable.length === 0 ? AuditOutcome.Denied : AuditOutcome.Success,
      studyUid: rows[0]?.study_uid ?? null,
      patientId: rows[0]?.patient_id ?? null,
      detail: `case ${caseId}: ${readable.map((r) => `${r.report_id} v${r.version}`).join(', ') || 'none readable'}`,
    });
    return readable.map((row) => {
      const report = JSON.parse(row.report_json) as SignedReport;
      return {
        reportId: row.report_id,
        version: row.version,
        kind: row.kind,
        signedAt: new Date(Number(row.signed_at)).toISOString(),
        signedBy: report.author.name,
        title: report.title,
        pdfUrl: `/api/reports/${encodeURIComponent(row.report_id)}/pdf?version=${row.version}`,
        deliveries: deliveries
          .filter((d) => Number(d.output_fk) === Number(row.id))
          .map((d) => ({
            id: Number(d.id),
            destinationId: d.destination_id,
            destinationType: d.destination_type,
            state: d.state,
            attempts: d.attempts,
            lastAckCode: d.last_ack_code,
            // Receivers' error texts can echo patient details: only those who manage deliveries see them.
            lastError: manage ? d.last_error : null,
          })),
      };
    });
  }

  /** The deliveries of one report with their attempts: report:manage, or a reader of the report. */
  async deliveriesOf(actor: Actor, reportId: string, origin: RequestOrigin): Promise<DeliveryView[]> {
    if (!can(actor.roles, Permission.ReportManage))
      await this.pick(actor, reportId, undefined, 'report-deliveries-read', origin);
    else {
      const exists = await this.db
        .selectFrom('report_outputs')
        .select('id')
        .where('report_id', '=', reportId)
        .executeTakeFirst();
      if (!exists) throw new DeliveryError(404, DeliveryErrorCode.NotFound, `no signed report ${reportId}`);
    }
    const views = await this.deliveries.forReport(reportId);
    const any = await this.db
      .selectFrom('report_outputs')
      .select(['study_uid', 'patient_id'])
      .where('report_id', '=', reportId)
      .executeTakeFirst();
    await this.audit.record({
      action: 'report-deliveries-read',
      actor,
      origin,
      outcome: AuditOutcome.Success,
      studyUid: any?.study_uid ?? null,
      patientId: any?.patient_id ?? null,
      detail: `report ${reportId}: ${views.length} deliveries`,
    });
    return views;
  }
}
