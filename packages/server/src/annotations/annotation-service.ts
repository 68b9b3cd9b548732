import { randomBytes } from 'node:crypto';
import {
  type AnnotationTool,
  type Clock,
  can,
  formatMeasuredValue,
  geometryProblem,
  type ImagePoint,
  isAnnotationTool,
  type MeasuredValue,
  measureGeometry,
  Permission,
  usableSpacing,
} from '@confer/core';
import type { Kysely, Selectable } from 'kysely';
import type { AuditLog } from '../archive/audit-log.ts';
import type { Actor, RequestOrigin } from '../archive/ports.ts';
import type { DicomJsonDataset } from '../dicom/dicom-json.ts';
import type { Database } from '../store/schema.ts';
import type { AnnotationsTable } from '../store/tables/annotations.ts';
import type { WorklistService } from '../worklist/worklist-service.ts';
import { AnnotationEvents } from './annotation-events.ts';

export const AnnotationErrorCode = {
  CaseNotFound: 'CONFER_ERR_CASE_NOT_FOUND',
  NotFound: 'CONFER_ERR_ANNOTATION_NOT_FOUND',
  Forbidden: 'CONFER_ERR_FORBIDDEN',
  Invalid: 'CONFER_ERR_ANNOTATION_INVALID',
  ImageNotInCase: 'CONFER_ERR_ANNOTATION_IMAGE_NOT_IN_CASE',
  VersionConflict: 'CONFER_ERR_ANNOTATION_VERSION_CONFLICT',
  NotAuthor: 'CONFER_ERR_ANNOTATION_NOT_AUTHOR',
  NothingToExport: 'CONFER_ERR_ANNOTATION_NOTHING_TO_EXPORT',
  ExportFailed: 'CONFER_ERR_ANNOTATION_EXPORT_FAILED',
} as const;
export type AnnotationErrorCode = (typeof AnnotationErrorCode)[keyof typeof AnnotationErrorCode];

/** A refusal with a stable code, an HTTP status and a sentence that says what to do. */
export class AnnotationError extends Error {
  readonly code: AnnotationErrorCode;
  readonly status: number;
  readonly extra: Record<string, unknown>;
  constructor(
    status: number,
    code: AnnotationErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AnnotationError';
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

/** Pixel statistics the viewer computed over a region (the server cannot without decoding pixels). */
export interface RegionStatistics {
  mean?: number;
  stdDev?: number;
  min?: number;
  max?: number;
  /** HU for CT with a modality LUT, '' for raw pixel values. */
  unit?: string;
}

export interface AnnotationInput {
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
  frameNumber?: number;
  tool: string;
  label?: string;
  points: [number, number][];
  statistics?: RegionStatistics;
}

export interface AnnotationUpdate {
  version: number;
  label?: string;
  points?: [number, number][];
  statistics?: RegionStatistics;
}

export interface AnnotationMeasurement extends MeasuredValue {
  /** The value as a report writes it: "12.3 mm". */
  text: string;
}

/** One annotation as the API sends it; the report editor inserts `label`, `measurements` and `where`. */
export interface AnnotationView {
  id: string;
  caseId: string;
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
  frameNumber: number;
  seriesNumber: number | null;
  instanceNumber: number | null;
  /** "series 3, image 41" (", frame 2" for a frame of a multi-frame image). */
  where: string;
  tool: AnnotationTool;
  label: string;
  points: ImagePoint[];
  measurements: AnnotationMeasurement[];
  /** "Length 12.3 mm": the first measurement, for lists and report lines. */
  summary: string;
  author: { username: string; name: string };
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
  version: number;
  /** The web app fragment that opens the viewer on this image with the annotation selected. */
  link: string;
}

type CaseRow = NonNullable<Awaited<ReturnType<WorklistService['row']>>>;
const MAX_LABEL = 200;
const MAX_PER_CASE = 2000;

/**
 * Annotations and measurements drawn in the viewer, saved per case. Whoever may see the case (the worklist's
 * visibility rule) reads them; saving needs annotation:write. Every read and change is audited, and each
 * change is pushed to the case's open viewers.
 */
export class AnnotationService {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private readonly audit: AuditLog;
  private readonly worklist: WorklistService;
  readonly events: AnnotationEvents;

  constructor(deps: {
    db: Kysely<Database>;
    clock: Clock;
    audit: AuditLog;
    worklist: WorklistService;
    events?: AnnotationEvents;
  }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.worklist = deps.worklist;
    this.events = deps.events ?? new AnnotationEvents();
  }

  /** The case, once the actor may see it; a refusal is audited. */
  async caseFor(actor: Actor, caseId: string, origin: RequestOrigin, action: string): Promise<CaseRow> {
    const row = await this.worklist.row(caseId);
    if (!row) throw new AnnotationError(404, AnnotationErrorCode.CaseNotFound, `no case ${caseId}`);
    if (!(await this.worklist.canSee(actor, row))) {
      await this.audit.record({
        action,
        actor,
        origin,
        outcome: 'denied',
        studyUid: row.study_uid,
        patientId: row.patient_id,
        detail: caseId,
      });
      throw new AnnotationError(
        403,
        AnnotationErrorCode.Forbidden,
        `case ${caseId} is not on your worklist; ask a coordinator to share it if you need its annotations`,
      );
    }
    return row;
  }

  /** A viewer subscribes to the case's changes: an access to the case, audited like a read. */
  async openStream(actor: Actor, caseId: string, origin: RequestOrigin): Promise<void> {
    const row = await this.caseFor(actor, caseId, origin, 'annotations-stream');
    await this.audit.record({
      action: 'annotations-stream',
      actor,
      origin,
      outcome: 'success',
      studyUid: row.study_uid,
      patientId: row.patient_id,
      detail: caseId,
    });
  }

  async list(actor: Actor, caseId: string, origin: RequestOrigin): Promise<AnnotationView[]> {
    const row = await this.caseFor(actor, caseId, origin, 'annotations-read');
    const rows = await this.db
      .selectFrom('annotations')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('seq')
      .execute();
    await this.audit.record({
      action: 'annotations-read',
      actor,
      origin,
      outcome: 'success',
      studyUid: row.study_uid,
      patientId: row.patient_id,
      detail: `${caseId}: ${rows.length} annotations`,
    });
    return rows.map(toView);
  }

  /** The annotation rows of a case without access checks or audit: for the SR export, which checks first. */
  async rowsOf(caseId: string): Promise<Selectable<AnnotationsTable>[]> {
    return this.db
      .selectFrom('annotations')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('seq')
      .execute();
  }

  async create(
    actor: Actor,
    caseId: string,
    input: AnnotationInput,
    origin: RequestOrigin,
  ): Promise<AnnotationView> {
    const row = await this.writableCase(actor, caseId, origin, 'annotation-create');
    if (!isAnnotationTool(input.tool))
      throw new AnnotationError(
        400,
        AnnotationErrorCode.Invalid,
        `unknown tool "${input.tool}"; use length, angle, ellipse or rectangle`,
      );
    const tool = input.tool;
    const image = await this.imageOf(row, input);
    const measurements = this.measure(tool, input.points, image.spacing, input.statistics);
    const count = await this.db
      .selectFrom('annotations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('case_id', '=', caseId)
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_PER_CASE)
      throw new AnnotationError(
        400,
        AnnotationErrorCode.Invalid,
        `case ${caseId} already has ${MAX_PER_CASE} annotations; delete some first`,
      );
    const now = this.clock.now().getTime();
    const record: Omit<Selectable<AnnotationsTable>, 'seq'> = {
      id: `A-${randomBytes(6).toString('hex').toUpperCase()}`,
      case_id: caseId,
      study_uid: row.study_uid,
      series_uid: input.seriesUid,
      sop_instance_uid: input.sopInstanceUid,
      frame_number: image.frameNumber,
      series_number: image.seriesNumber,
      instance_number: image.instanceNumber,
      tool,
      label: cleanLabel(input.label),
      geometry_json: JSON.stringify({ points: input.points }),
      measurements_json: JSON.stringify(measurements),
      author_username: actor.username ?? actor.name,
      author_name: await this.displayName(actor),
      created_at: now,
      updated_at: now,
      updated_by: actor.username ?? actor.name,
      version: 1,
    };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('annotations').values(record).execute();
      await this.audit.append(trx, [
        {
          action: 'annotation-create',
          actor,
          origin,
          outcome: 'success',
          studyUid: row.study_uid,
          patientId: row.patient_id,
          detail: `${caseId}: ${record.id} ${tool}`,
        },
      ]);
    });
    const view = toView(record);
    this.events.publish({ type: 'annotation', caseId, annotation: view });
    return view;
  }

  async update(
    actor: Actor,
    caseId: string,
    annotationId: string,
    change: AnnotationUpdate,
    origin: RequestOrigin,
  ): Promise<AnnotationView> {
    const row = await this.writableCase(actor, caseId, origin, 'annotation-update');
    const current = await this.editable(
      actor,
      row,
      annotationId,
      change.version,
      origin,
      'annotation-update',
    );
    const tool = current.tool as AnnotationTool;
    const points = change.points ?? (JSON.parse(current.geometry_json).points as [number, number][]);
    let measurements = JSON.parse(current.measurements_json) as MeasuredValue[];
    if (change.points || change.statistics) {
      const image = await this.imageOf(row, {
        studyUid: current.study_uid,
        seriesUid: current.series_uid,
        sopInstanceUid: current.sop_instance_uid,
        frameNumber: current.frame_number,
      });
      const keptStats = change.statistics ?? (change.points ? undefined : statisticsOf(measurements));
      measurements = this.measure(tool, points, image.spacing, keptStats);
    }
    const now = this.clock.now().getTime();
    const next = {
      label: change.label === undefined ? current.label : cleanLabel(change.label),
      geometry_json: JSON.stringify({ points }),
      measurements_json: JSON.stringify(measurements),
      updated_at: now,
      updated_by: actor.username ?? actor.name,
      version: current.version + 1,
    };
    const updated = await this.db.transaction().execute(async (trx) => {
      // The version in the WHERE clause makes a concurrent edit lose cleanly on either database.
      const res = await trx
        .updateTable('annotations')
        .set(next)
        .where('id', '=', annotationId)
        .where('version', '=', change.version)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return false;
      await this.audit.append(trx, [
        {
          action: 'annotation-update',
          actor,
          origin,
          outcome: 'success',
          studyUid: row.study_uid,
          patientId: row.patient_id,
          detail: `${caseId}: ${annotationId} v${next.version}`,
        },
      ]);
      return true;
    });
    if (!updated) throw await this.conflict(annotationId, change.version);
    const view = toView({ ...current, ...next });
    this.events.publish({ type: 'annotation', caseId, annotation: view });
    return view;
  }

  async remove(
    actor: Actor,
    caseId: string,
    annotationId: string,
    version: number | undefined,
    origin: RequestOrigin,
  ): Promise<void> {
    const row = await this.writableCase(actor, caseId, origin, 'annotation-delete');
    const current = await this.editable(actor, row, annotationId, version, origin, 'annotation-delete');
    const deleted = await this.db.transaction().execute(async (trx) => {
      const res = await trx
        .deleteFrom('annotations')
        .where('id', '=', annotationId)
        .where('version', '=', current.version)
        .executeTakeFirst();
      if (Number(res.numDeletedRows) !== 1) return false;
      await this.audit.append(trx, [
        {
          action: 'annotation-delete',
          actor,
          origin,
          outcome: 'success',
          studyUid: row.study_uid,
          patientId: row.patient_id,
          detail: `${caseId}: ${annotationId}`,
        },
      ]);
      return true;
    });
    if (!deleted) throw await this.conflict(annotationId, current.version);
    this.events.publish({ type: 'deleted', caseId, id: annotationId });
  }

  // ---------------------------------------------------------------- helpers

  private async writableCase(actor: Actor, caseId: string, origin: RequestOrigin, action: string) {
    if (!can(actor.roles, Permission.AnnotationWrite)) {
      await this.audit.record({ action, actor, origin, outcome: 'denied', detail: caseId });
      throw new AnnotationError(
        403,
        AnnotationErrorCode.Forbidden,
        'saving annotations needs a reading role (radiologist); you can still view and measure without saving',
      );
    }
    return this.caseFor(actor, caseId, origin, action);
  }

  private async editable(
    actor: Actor,
    row: CaseRow,
    annotationId: string,
    version: number | undefined,
    origin: RequestOrigin,
    action: string,
  ): Promise<Selectable<AnnotationsTable>> {
    const current = await this.db
      .selectFrom('annotations')
      .selectAll()
      .where('id', '=', annotationId)
      .where('case_id', '=', row.id)
      .executeTakeFirst();
    if (!current)
      throw new AnnotationError(
        404,
        AnnotationErrorCode.NotFound,
        `case ${row.id} has no annotation ${annotationId}; it may have been deleted: reload the list`,
      );
    const mine = current.author_username === (actor.username ?? actor.name);
    if (!mine && !can(actor.roles, Permission.WorklistManage)) {
      await this.audit.record({
        action,
        actor,
        origin,
        outcome: 'denied',
        studyUid: row.study_uid,
        patientId: row.patient_id,
        detail: `${row.id}: ${annotationId} belongs to ${current.author_username}`,
      });
      throw new AnnotationError(
        403,
        AnnotationErrorCode.NotAuthor,
        `annotation ${annotationId} was drawn by ${current.author_name}; only its author changes it: draw your own instead`,
        { author: current.author_username },
      );
    }
    if (version !== undefined && current.version !== version)
      throw await this.conflict(annotationId, version);
    return current;
  }

  private async conflict(annotationId: string, version: number): Promise<AnnotationError> {
    const now = await this.db
      .selectFrom('annotations')
      .select(['version', 'updated_by'])
      .where('id', '=', annotationId)
      .executeTakeFirst();
    if (!now)
      return new AnnotationError(
        404,
        AnnotationErrorCode.NotFound,
        `annotation ${annotationId} was deleted meanwhile`,
      );
    return new AnnotationError(
      409,
      AnnotationErrorCode.VersionConflict,
      `annotation ${annotationId} is at version ${now.version} (changed by ${now.updated_by}), not ${version}: reload it and apply your change again`,
      { currentVersion: now.version },
    );
  }

  private measure(
    tool: AnnotationTool,
    points: unknown,
    spacing: readonly [number, number] | undefined,
    stats: RegionStatistics | undefined,
  ): MeasuredValue[] {
    const pts = Array.isArray(points) ? (points as ImagePoint[]) : [];
    const problem = geometryProblem(tool, pts);
    if (problem) throw new AnnotationError(400, AnnotationErrorCode.Invalid, problem);
    const out = measureGeometry(tool, pts, spacing);
    if (stats && (tool === 'ellipse' || tool === 'rectangle')) {
      const unit = typeof stats.unit === 'string' ? stats.unit.slice(0, 16) : '';
      for (const name of ['mean', 'stdDev', 'min', 'max'] as const) {
        const v = stats[name];
        if (v === undefined) continue;
        if (typeof v !== 'number' || !Number.isFinite(v))
          throw new AnnotationError(
            400,
            AnnotationErrorCode.Invalid,
            `statistics.${name} must be a finite number`,
          );
        out.push({ name, value: Math.round(v * 100) / 100, unit });
      }
    }
    return out;
  }

  /** The image an annotation sits on, checked to belong to the case's study. */
  private async imageOf(
    row: CaseRow,
    input: Pick<AnnotationInput, 'studyUid' | 'seriesUid' | 'sopInstanceUid' | 'frameNumber'>,
  ) {
    const found = await this.db
      .selectFrom('instances as i')
      .innerJoin('series as se', 'se.id', 'i.series_fk')
      .innerJoin('studies as st', 'st.id', 'se.study_fk')
      .select([
        'st.study_uid',
        'se.series_uid',
        'se.series_number',
        'i.instance_number',
        'i.number_of_frames',
        'i.metadata_json',
      ])
      .where('i.sop_instance_uid', '=', input.sopInstanceUid)
      .executeTakeFirst();
    if (
      !found ||
      found.study_uid !== row.study_uid ||
      found.series_uid !== input.seriesUid ||
      input.studyUid !== row.study_uid
    ) {
      throw new AnnotationError(
        422,
        AnnotationErrorCode.ImageNotInCase,
        `image ${input.sopInstanceUid} of series ${input.seriesUid} is not part of case ${row.id}'s study ${row.study_uid}`,
      );
    }
    const frames = Number(found.number_of_frames ?? 1) || 1;
    const frameNumber = input.frameNumber ?? 1;
    if (!Number.isInteger(frameNumber) || frameNumber < 1 || frameNumber > frames)
      throw new AnnotationError(
        400,
        AnnotationErrorCode.Invalid,
        `frameNumber ${frameNumber} is outside 1..${frames} of image ${input.sopInstanceUid}`,
      );
    return {
      frameNumber,
      seriesNumber: found.series_number === null ? null : Number(found.series_number),
      instanceNumber: found.instance_number === null ? null : Number(found.instance_number),
      spacing: pixelSpacingOf(JSON.parse(found.metadata_json) as DicomJsonDataset),
    };
  }

  private async displayName(actor: Actor): Promise<string> {
    const u = await this.db
      .selectFrom('users')
      .select('display_name')
      .where('username', '=', actor.username ?? actor.name)
      .executeTakeFirst();
    return u?.display_name || actor.username || actor.name;
  }
}

function cleanLabel(label: string | undefined): string {
  // Control characters would break report lines and SR text values.
  return (label ?? '')
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .trim()
    .slice(0, MAX_LABEL);
}

function statisticsOf(measurements: MeasuredValue[]): RegionStatistics | undefined {
  const stats: RegionStatistics = {};
  for (const m of measurements) {
    if (m.name === 'mean' || m.name === 'stdDev' || m.name === 'min' || m.name === 'max') {
      stats[m.name] = m.value;
      stats.unit = m.unit;
    }
  }
  return Object.keys(stats).length ? stats : undefined;
}

function numbers(ds: DicomJsonDataset | undefined, tag: string): number[] | undefined {
  const v = ds?.[tag]?.Value;
  return Array.isArray(v) ? v.map((x) => Number(x)) : undefined;
}

/**
 * Pixel Spacing, else the one in the shared functional groups (enhanced multi-frame), else Imager Pixel
 * Spacing (projection radiography, measured at the detector).
 */
export function pixelSpacingOf(ds: DicomJsonDataset): readonly [number, number] | undefined {
  const shared = ds['52009229']?.Value?.[0] as DicomJsonDataset | undefined;
  const measures = shared?.['00289110']?.Value?.[0] as DicomJsonDataset | undefined;
  return (
    usableSpacing(numbers(ds, '00280030')) ??
    usableSpacing(numbers(measures, '00280030')) ??
    usableSpacing(numbers(ds, '00181164'))
  );
}

const NAMES: Record<string, string> = {
  length: 'Length',
  angle: 'Angle',
  area: 'Area',
  mean: 'Mean',
  stdDev: 'SD',
  min: 'Min',
  max: 'Max',
};

/** "series 3, image 41" as a report writes where a measurement was made. */
export function whereOf(seriesNumber: number | null, instanceNumber: number | null, frame: number): string {
  const parts = [
    `series ${seriesNumber ?? '?'}`,
    `image ${instanceNumber ?? '?'}`,
    ...(frame > 1 ? [`frame ${frame}`] : []),
  ];
  return parts.join(', ');
}

export function toView(r: Omit<Selectable<AnnotationsTable>, 'seq'>): AnnotationView {
  const measurements = (JSON.parse(r.measurements_json) as MeasuredValue[]).map((m) => ({
    ...m,
    text: formatMeasuredValue(m),
  }));
  const first = measurements[0];
  const seriesNumber = r.series_number === null ? null : Number(r.series_number);
  const instanceNumber = r.instance_number === null ? null : Number(r.instance_number);
  const frame = Number(r.frame_number);
  return {
    id: r.id,
    caseId: r.case_id,
    studyUid: r.study_uid,
    seriesUid: r.series_uid,
    sopInstanceUid: r.sop_instance_uid,
    frameNumber: frame,
    seriesNumber,
    instanceNumber,
    where: whereOf(seriesNumber, instanceNumber, frame),
    tool: r.tool as AnnotationTool,
    label: r.label,
    points: (JSON.parse(r.geometry_json) as { points: ImagePoint[] }).points,
    measurements,
    summary: first ? `${NAMES[first.name] ?? first.name} ${first.text}` : '',
    author: { username: r.author_username, name: r.author_name },
    createdAt: new Date(Number(r.created_at)).toISOString(),
    updatedAt: new Date(Number(r.updated_at)).toISOString(),
    updatedBy: r.updated_by,
    version: Number(r.version),
    link: `#/cases/${encodeURIComponent(r.case_id)}/viewer?annotation=${encodeURIComponent(r.id)}`,
  };
}
