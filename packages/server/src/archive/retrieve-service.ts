import type { Readable } from 'node:stream';
import { type Clock, can, Permission } from '@confer/core';
import type { CompiledQuery, Kysely } from 'kysely';
import type { BlobRandomAccess, BlobStore } from '../store/blob-store.ts';
import type { Database } from '../store/schema.ts';
import { AuditGroupCommit } from './audit-group-commit.ts';
import type { AuditLog } from './audit-log.ts';
import { FrameAccessAudit } from './frame-access-audit.ts';
import { type Actor, AuditOutcome, QueryError, QueryErrorCode, type RequestOrigin } from './ports.ts';

export interface StoredInstance {
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  sizeBytes: number;
  blobKey: string;
  /** Offset of the data set and of the pixel data element (-1: none or not addressable) in the file. */
  datasetOffset: number;
  pixelDataOffset: number;
  numberOfFrames: number | null;
  /** DICOM JSON text, without bulk data (PixelData carries its VR only). */
  metadataJson: string;
  patientId: string;
}

/** The audit actions of retrieves; frames and bulk data of one instance are audited per window. */
export const RetrieveAction = {
  Instances: 'retrieve',
  Metadata: 'retrieve-metadata',
  Frames: 'retrieve-frames',
  Bulkdata: 'retrieve-bulkdata',
} as const;
export type RetrieveAction = (typeof RetrieveAction)[keyof typeof RetrieveAction];

export interface RetrieveInput {
  studyUid: string;
  seriesUid?: string;
  sopInstanceUid?: string;
  actor: Actor;
  origin: RequestOrigin;
  /** What is being retrieved, for the audit trail: one of RetrieveAction, or another name. */
  action: string;
}

/**
 * Finds stored instances for WADO-RS (and later C-MOVE/C-GET), checking access and auditing each request
 * once; the bytes come from the blob store.
 */
/** Placeholders the compiled instance queries carry where the UIDs go (no UID has a NUL in it). */
const SLOT = { study: '\u0000study', series: '\u0000series', instance: '\u0000instance' } as const;

/** How long, and how many, instance rows of a series-level retrieve are kept for its frame requests. */
const RECENT_ROWS_MS = 60_000;
const RECENT_ROWS_MAX = 5000;

const recentKey = (study: string, series: string, sop: string) => `${study}\u0000${series}\u0000${sop}`;

interface InstanceRow {
  study_uid: string;
  series_uid: string;
  sop_instance_uid: string;
  sop_class_uid: string;
  transfer_syntax_uid: string;
  size_bytes: number | string | bigint;
  blob_key: string;
  dataset_offset: number | string | bigint;
  pixel_data_offset: number | string | bigint;
  number_of_frames: number | string | bigint | null;
  metadata_json: string;
  patient_id: string;
}

export class ArchiveRetrieveService {
  private readonly db: Kysely<Database>;
  private readonly compiled = new Map<string, CompiledQuery<InstanceRow>>();
  private readonly blobs: BlobStore;
  /** Every retrieve is audited before it is answered; concurrent ones share a commit (see AuditGroupCommit). */
  private readonly audit: AuditGroupCommit;
  /** Pixel data requests: one durable record per caller, series and window (see FrameAccessAudit). */
  private readonly frameAudit: FrameAccessAudit;
  private readonly clock: Clock;
  /**
   * Instance rows a series-level retrieve (a viewer's metadata request) just read, for the frame requests of
   * the same series that follow, by study, series and SOP Instance UID. Safe because a stored instance's row
   * never changes (ingest inserts; nothing updates or deletes instances); a feature that deletes or moves
   * instances must evict them here. Entries live RECENT_ROWS_MS and at most RECENT_ROWS_MAX are kept.
   */
  private readonly recent = new Map<string, { row: InstanceRow; at: number }>();

  constructor(deps: { db: Kysely<Database>; blobs: BlobStore; audit: AuditLog; clock: Clock }) {
    this.db = deps.db;
    this.blobs = deps.blobs;
    this.clock = deps.clock;
    this.audit = new AuditGroupCommit(deps.db, deps.audit);
    this.frameAudit = new FrameAccessAudit({ sink: this.audit, clock: deps.clock });
  }

  /** The instances of a study, series or one instance, in series and instance-number order; [] when none. */
  async find(input: RetrieveInput): Promise<StoredInstance[]> {
    const auditBase = {
      actor: { kind: input.actor.kind, id: input.actor.id, name: input.actor.name },
      origin: input.origin,
      studyUid: input.studyUid,
    };
    const what = input.sopInstanceUid
      ? `instance ${input.sopInstanceUid}`
      : input.seriesUid
        ? `series ${input.seriesUid}`
        : 'whole study';
    if (!can(input.actor.roles, Permission.ArchiveRead)) {
      await this.audit.record({
        ...auditBase,
        action: input.action,
        outcome: AuditOutcome.Denied,
        detail: what,
      });
      throw new QueryError(
        QueryErrorCode.Forbidden,
        `${input.actor.name} may not retrieve from this archive`,
      );
    }
    let rows: InstanceRow[];
    try {
      rows = await this.select(input);
    } catch (err) {
      throw new QueryError(
        QueryErrorCode.StorageUnavailable,
        `the index database is unavailable: ${(err as Error).message}`,
      );
    }
    const event = {
      ...auditBase,
      action: input.action,
      outcome: rows.length > 0 ? AuditOutcome.Success : AuditOutcome.Failure,
      patientId: rows[0]?.patient_id ?? null,
      detail: `${what}: ${rows.length} instance(s)`,
    };
    const pixels = input.action === RetrieveAction.Frames || input.action === RetrieveAction.Bulkdata;
    if (pixels && input.sopInstanceUid && rows.length > 0) {
      await this.frameAudit.record(event, rows[0]!.series_uid);
    } else {
      await this.audit.record(event);
    }
    return rows.map((r) => ({
      studyUid: r.study_uid,
      seriesUid: r.series_uid,
      sopInstanceUid: r.sop_instance_uid,
      sopClassUid: r.sop_class_uid,
      transferSyntaxUid: r.transfer_syntax_uid,
      sizeBytes: Number(r.size_bytes),
      blobKey: r.blob_key,
      datasetOffset: Number(r.dataset_offset),
      pixelDataOffset: Number(r.pixel_data_offset),
      numberOfFrames: r.number_of_frames === null ? null : Number(r.number_of_frames),
      metadataJson: r.metadata_json,
      patientId: r.patient_id,
    }));
  }

  /**
   * The instance rows of a study, series or instance. The SQL of each of the three shapes is built once
   * and run with new values (a viewer asks for hundreds of frames a second, each an instance lookup).
   */
  private async select(input: RetrieveInput): Promise<InstanceRow[]> {
    const now = this.clock.now().getTime();
    if (input.seriesUid && input.sopInstanceUid) {
      const hit = this.recent.get(recentKey(input.studyUid, input.seriesUid, input.sopInstanceUid));
      if (hit && now - hit.at < RECENT_ROWS_MS) return [hit.row];
    }
    const rows = await this.query(input);
    if (input.seriesUid && !input.sopInstanceUid && rows.length <= RECENT_ROWS_MAX) {
      for (const row of rows) {
        const k = recentKey(row.study_uid, row.series_uid, row.sop_instance_uid);
        // Deleted first, so the Map's order stays the order of last use and the oldest go first.
        this.recent.delete(k);
        this.recent.set(k, { row, at: now });
      }
      for (const k of this.recent.keys()) {
        if (this.recent.size <= RECENT_ROWS_MAX) break;
        this.recent.delete(k);
      }
    }
    return rows;
  }

  private async query(input: RetrieveInput): Promise<InstanceRow[]> {
    const key = `${input.seriesUid ? 'se' : ''}${input.sopInstanceUid ? 'i' : ''}`;
    let compiled = this.compiled.get(key);
    if (!compiled) {
      let q = this.db
        .selectFrom('instances as i')
        .innerJoin('series as se', 'se.id', 'i.series_fk')
        .innerJoin('studies as s', 's.id', 'se.study_fk')
        .innerJoin('patients as p', 'p.id', 's.patient_fk')
        .select([
          's.study_uid',
          'se.series_uid',
          'i.sop_instance_uid',
          'i.sop_class_uid',
          'i.transfer_syntax_uid',
          'i.size_bytes',
          'i.blob_key',
          'i.dataset_offset',
          'i.pixel_data_offset',
          'i.number_of_frames',
          'i.metadata_json',
          'p.patient_id',
        ])
        .where('s.study_uid', '=', SLOT.study)
        .orderBy('se.series_number')
        .orderBy('se.id')
        .orderBy('i.instance_number')
        .orderBy('i.id');
      if (input.seriesUid) q = q.where('se.series_uid', '=', SLOT.series);
      if (input.sopInstanceUid) q = q.where('i.sop_instance_uid', '=', SLOT.instance);
      compiled = q.compile();
      this.compiled.set(key, compiled);
    }
    const values: Record<string, string | undefined> = {
      [SLOT.study]: input.studyUid,
      [SLOT.series]: input.seriesUid,
      [SLOT.instance]: input.sopInstanceUid,
    };
    const parameters = compiled.parameters.map((p) => (typeof p === 'string' && p in values ? values[p] : p));
    return (await this.db.executeQuery<InstanceRow>({ ...compiled, parameters })).rows;
  }

  /** The stored Part 10 bytes, or a byte range of them. */
  open(instance: StoredInstance, range?: { start: number; end?: number }): Readable {
    return this.blobs.read(instance.blobKey, range);
  }

  /**
   * The stored file open for positional reads: one open per request, each read straight into the caller's
   * buffer where the blob store supports it; otherwise each read is a range stream. Close it when done.
   */
  async openRandomAccess(instance: StoredInstance): Promise<BlobRandomAccess> {
    if (this.blobs.openRandomAccess) return this.blobs.openRandomAccess(instance.blobKey);
    const blobs = this.blobs;
    return {
      async readInto(position, target, offset, length) {
        if (length <= 0) return 0;
        let n = 0;
        const range = { start: position, end: position + length - 1 };
        for await (const chunk of blobs.read(instance.blobKey, range)) {
          const b = chunk as Buffer;
          b.copy(target, offset + n, 0, Math.min(b.length, length - n));
          n += b.length;
        }
        return Math.min(n, length);
      },
      close: async () => {},
    };
  }
}

export type RetrieveService = ArchiveRetrieveService;
