import { randomBytes } from 'node:crypto';
import { type Clock, can, type MeasuredValue, Permission, Role } from '@confer/core';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../archive/audit-log.ts';
import type { Actor, IngestService, RequestOrigin } from '../archive/ports.ts';
import { encodeDataset } from '../dicom/dataset-writer.ts';
import type { DicomJsonDataset } from '../dicom/dicom-json.ts';
import { buildPart10Header } from '../dicom/part10.ts';
import { TransferSyntax } from '../dicom/transfer-syntax.ts';
import type { Database } from '../store/schema.ts';
import { AnnotationError, AnnotationErrorCode, type AnnotationService } from './annotation-service.ts';
import { buildMeasurementReport, COMPREHENSIVE_SR, type SrAnnotation } from './sr-measurement-report.ts';

export interface SrExportResult {
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  /** WADO-RS path of the stored SR instance (fetch it with Accept: application/dicom). */
  retrieveUrl: string;
  exported: string[];
  notMapped: { id: string; tool: string; reason: string }[];
}

/** A UID under the 2.25 root from 122 random bits (PS3.5 B.2), as Confer mints them. */
export function newUid(): string {
  const bytes = randomBytes(16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return `2.25.${BigInt(`0x${bytes.toString('hex')}`).toString(10)}`;
}

/**
 * Exports a case's annotations as a DICOM SR Measurement Report and stores it through the ingest service as
 * a new series of the study, so it is searchable and retrievable like any other instance.
 */
export class SrExportService {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private readonly audit: AuditLog;
  private readonly ingest: IngestService;
  private readonly annotations: AnnotationService;

  constructor(deps: {
    db: Kysely<Database>;
    clock: Clock;
    audit: AuditLog;
    ingest: IngestService;
    annotations: AnnotationService;
  }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.ingest = deps.ingest;
    this.annotations = deps.annotations;
  }

  async export(actor: Actor, caseId: string, origin: RequestOrigin): Promise<SrExportResult> {
    if (!can(actor.roles, Permission.AnnotationWrite)) {
      await this.audit.record({
        action: 'annotations-sr-export',
        actor,
        origin,
        outcome: 'denied',
        detail: caseId,
      });
      throw new AnnotationError(
        403,
        AnnotationErrorCode.Forbidden,
        'exporting measurements to the archive needs a reading role (radiologist)',
      );
    }
    const row = await this.annotations.caseFor(actor, caseId, origin, 'annotations-sr-export');
    const rows = await this.annotations.rowsOf(caseId);
    if (rows.length === 0)
      throw new AnnotationError(
        409,
        AnnotationErrorCode.NothingToExport,
        `case ${caseId} has no annotations yet: measure something in the viewer first`,
      );
    const images = await this.db
      .selectFrom('instances')
      .select(['sop_instance_uid', 'sop_class_uid', 'number_of_frames'])
      .where(
        'sop_instance_uid',
        'in',
        rows.map((r) => r.sop_instance_uid),
      )
      .execute();
    const byUid = new Map(images.map((i) => [i.sop_instance_uid, i]));
    const study = await this.db
      .selectFrom('studies')
      .select(['attributes_json', 'id'])
      .where('study_uid', '=', row.study_uid)
      .executeTakeFirstOrThrow();
    const maxSeries = await this.db
      .selectFrom('series')
      .select((eb) => eb.fn.max('series_number').as('n'))
      .where('study_fk', '=', study.id)
      .executeTakeFirst();
    const annotations: SrAnnotation[] = rows
      .filter((r) => byUid.has(r.sop_instance_uid))
      .map((r) => {
        const image = byUid.get(r.sop_instance_uid)!;
        return {
          id: r.id,
          tool: r.tool,
          label: r.label,
          points: (JSON.parse(r.geometry_json) as { points: [number, number][] }).points,
          measurements: JSON.parse(r.measurements_json) as MeasuredValue[],
          sopClassUid: image.sop_class_uid,
          sopInstanceUid: r.sop_instance_uid,
          seriesUid: r.series_uid,
          frameNumber: Number(r.frame_number),
          numberOfFrames: Number(image.number_of_frames ?? 1) || 1,
        };
      });
    const author = rows.find((r) => r.author_username === (actor.username ?? actor.name));
    const seriesUid = newUid();
    const sopInstanceUid = newUid();
    const report = buildMeasurementReport({
      study: JSON.parse(study.attributes_json) as DicomJsonDataset,
      studyUid: row.study_uid,
      seriesUid,
      sopInstanceUid,
      seriesNumber: Math.max(Number(maxSeries?.n ?? 0) + 1, 900),
      observerName: (author?.author_name ?? actor.name).replaceAll(' ', '^'),
      now: this.clock.now(),
      annotations,
    });
    if (report.exported.length === 0)
      throw new AnnotationError(
        409,
        AnnotationErrorCode.NothingToExport,
        'none of the annotations has a TID 1500 mapping (angles have none): nothing to export',
        { notMapped: report.notMapped },
      );
    const bytes = Buffer.concat([
      buildPart10Header({
        sopClassUid: COMPREHENSIVE_SR,
        sopInstanceUid,
        transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian,
      }),
      encodeDataset(report.dataset, TransferSyntax.ExplicitVRLittleEndian),
    ]);
    // Confer itself stores the report on the reader's behalf: readers may not store arbitrary objects.
    const out = await this.ingest.store({
      body: [bytes],
      framing: 'part10',
      actor: {
        kind: 'system',
        id: 'confer',
        name: `confer (SR export by ${actor.name})`,
        roles: [Role.Integration],
        siteId: row.site_id,
      },
      origin,
    });
    if (!out.ok) {
      await this.audit.record({
        action: 'annotations-sr-export',
        actor,
        origin,
        outcome: 'failure',
        studyUid: row.study_uid,
        patientId: row.patient_id,
        detail: `${caseId}: ${out.reason}`.slice(0, 500),
      });
      throw new AnnotationError(
        500,
        AnnotationErrorCode.ExportFailed,
        `the archive refused the SR: ${out.reason}`,
      );
    }
    await this.audit.record({
      action: 'annotations-sr-export',
      actor,
      origin,
      outcome: 'success',
      studyUid: row.study_uid,
      patientId: row.patient_id,
      detail: `${caseId}: SR ${sopInstanceUid} with ${report.exported.length} measurement groups`,
    });
    return {
      studyUid: row.study_uid,
      seriesUid,
      sopInstanceUid,
      sopClassUid: COMPREHENSIVE_SR,
      retrieveUrl: `/dicomweb/studies/${row.study_uid}/series/${seriesUid}/instances/${sopInstanceUid}`,
      exported: report.exported,
      notMapped: report.notMapped,
    };
  }
}
