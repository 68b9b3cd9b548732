import { type Clock, can, Permission } from '@confer/core';
import type { Kysely, Transaction } from 'kysely';
import { DicomParseError, readDataset } from '../dicom/dataset-reader.ts';
import { type DicomJsonDataset, firstNumber, firstString } from '../dicom/dicom-json.ts';
import { buildPart10Header, readPart10Header } from '../dicom/part10.ts';
import { Tag } from '../dicom/tags.ts';
import { encodingOf, isKnownTransferSyntax } from '../dicom/transfer-syntax.ts';
import { type BlobStore, type BlobWriter, blobKeyFor } from '../store/blob-store.ts';
import type { Dialect } from '../store/database.ts';
import type { Database } from '../store/schema.ts';
import type { AuditLog } from './audit-log.ts';
import { FragmentWalker } from './fragment-walker.ts';
import {
  type AuditEvent,
  AuditOutcome,
  type IngestService,
  StoreFailure,
  type StoreInput,
  type StoreOutcome,
} from './ports.ts';
import { seriesLevelAttributes, studyLevelAttributes } from './study-attributes.ts';

export interface IngestLimits {
  /** Largest object accepted; larger ones fail with too-large and leave nothing behind. */
  maxInstanceBytes: number;
  /**
   * Most bytes held in memory per store while looking for the end of the header (the start of pixel data).
   * Memory per concurrent store is bounded by this, not by the object's size.
   */
  maxHeaderBytes: number;
}

export const defaultIngestLimits: IngestLimits = {
  maxInstanceBytes: 4 * 1024 * 1024 * 1024,
  maxHeaderBytes: 16 * 1024 * 1024,
};

class StoreRefused extends Error {
  readonly failure: StoreFailure;
  constructor(failure: StoreFailure, reason: string) {
    super(reason);
    this.failure = failure;
  }
}

interface Parsed {
  dataset: DicomJsonDataset;
  transferSyntaxUid: string;
  /** Offset of the data set within the stored file. */
  datasetOffset: number;
  pixelDataOffset: number;
}

interface IndexJob {
  parsed: Parsed;
  sopClassUid: string;
  sopInstanceUid: string;
  studyUid: string;
  seriesUid: string;
  blobKey: string;
  sizeBytes: number;
  siteId: string | null;
  audit: AuditEvent;
}

/**
 * Receives DICOM objects from any protocol: streams them to the blob store while reading the header, then
 * indexes them. Success is returned only after the file is fsynced and its index rows are committed.
 * Index writes from concurrent stores are grouped into one transaction (group commit), so a busy archive
 * pays one database sync for many instances.
 */
export class ArchiveIngestService implements IngestService {
  private readonly db: Kysely<Database>;
  private readonly blobs: BlobStore;
  private readonly audit: AuditLog;
  private readonly clock: Clock;
  private readonly limits: IngestLimits;
  private readonly dialect: Dialect;
  private queue: { job: IndexJob; resolve: (duplicate: boolean) => void; reject: (err: unknown) => void }[] =
    [];
  private flushing = false;
  /** Stores under way; graceful shutdown waits for them. */
  private inFlight = new Set<Promise<unknown>>();

  constructor(deps: {
    db: Kysely<Database>;
    dialect: Dialect;
    blobs: BlobStore;
    audit: AuditLog;
    clock: Clock;
    limits?: IngestLimits;
  }) {
    this.db = deps.db;
    this.dialect = deps.dialect;
    this.blobs = deps.blobs;
    this.audit = deps.audit;
    this.clock = deps.clock;
    this.limits = deps.limits ?? defaultIngestLimits;
  }

  store(input: StoreInput): Promise<StoreOutcome> {
    const p = this.storeOne(input);
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return p;
  }

  /** Resolves when every store that has started has finished. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async storeOne(input: StoreInput): Promise<StoreOutcome> {
    const auditBase = {
      actor: { kind: input.actor.kind, id: input.actor.id, name: input.actor.name },
      origin: input.origin,
    };
    let writer: BlobWriter | undefined;
    let sopInstanceUid = input.sopInstanceUid;
    let sopClassUid = input.sopClassUid;
    // The header read before a later refusal (pixel data cut short...): it names the instance that failed.
    let header: DicomJsonDataset | undefined;
    try {
      if (!can(input.actor.roles, Permission.ArchiveWrite)) {
        throw new StoreRefused(
          StoreFailure.Forbidden,
          `${input.actor.name} may not store objects in this archive`,
        );
      }
      writer = await this.blobs.begin().catch((err: NodeJS.ErrnoException) => {
        throw storageError(err);
      });
      const parsed = await this.receive(input, writer, (ds) => {
        header = ds;
      });
      const ds = parsed.dataset;
      const dsClass = firstString(ds, Tag.SOPClassUID);
      const dsInstance = firstString(ds, Tag.SOPInstanceUID);
      sopClassUid ??= dsClass;
      sopInstanceUid ??= dsInstance;
      if (!dsClass || !dsInstance) {
        throw new StoreRefused(
          StoreFailure.MissingAttribute,
          'SOP Class UID (0008,0016) or SOP Instance UID (0008,0018) missing',
        );
      }
      if (
        (input.sopClassUid && input.sopClassUid !== dsClass) ||
        (input.sopInstanceUid && input.sopInstanceUid !== dsInstance)
      ) {
        throw new StoreRefused(
          StoreFailure.UidMismatch,
          `the command names SOP instance ${input.sopInstanceUid} of class ${input.sopClassUid}, the data set ${dsInstance} of class ${dsClass}`,
        );
      }
      const studyUid = firstString(ds, Tag.StudyInstanceUID);
      const seriesUid = firstString(ds, Tag.SeriesInstanceUID);
      if (!studyUid || !seriesUid) {
        throw new StoreRefused(
          StoreFailure.MissingAttribute,
          'Study Instance UID (0020,000D) or Series Instance UID (0020,000E) missing',
        );
      }
      if (input.expectedStudyUid && input.expectedStudyUid !== studyUid) {
        throw new StoreRefused(
          StoreFailure.StudyMismatch,
          `instance belongs to study ${studyUid}, not to ${input.expectedStudyUid} named in the request`,
        );
      }
      const existing = await this.db
        .selectFrom('instances')
        .select('id')
        .where('sop_instance_uid', '=', dsInstance)
        .executeTakeFirst();
      const outcome = {
        ok: true as const,
        duplicate: true,
        sopClassUid: dsClass,
        sopInstanceUid: dsInstance,
        studyUid,
        seriesUid,
        transferSyntaxUid: parsed.transferSyntaxUid,
        sizeBytes: writer.bytesWritten,
      };
      if (existing) {
        await writer.abort();
        await this.audit.record({
          ...auditBase,
          action: 'instance-stored',
          outcome: AuditOutcome.Success,
          studyUid,
          patientId: firstString(ds, Tag.PatientID) ?? null,
          detail: `SOP instance ${dsInstance} (already stored; kept the first copy)`,
        });
        return outcome;
      }
      const blobKey = blobKeyFor(studyUid, seriesUid, dsInstance);
      await writer.commit(blobKey).catch((err: NodeJS.ErrnoException) => {
        throw storageError(err);
      });
      const job: IndexJob = {
        parsed,
        sopClassUid: dsClass,
        sopInstanceUid: dsInstance,
        studyUid,
        seriesUid,
        blobKey,
        sizeBytes: writer.bytesWritten,
        siteId: input.actor.siteId,
        audit: {
          ...auditBase,
          action: 'instance-stored',
          outcome: AuditOutcome.Success,
          studyUid,
          patientId: firstString(ds, Tag.PatientID) ?? null,
          detail: `SOP instance ${dsInstance}`,
        },
      };
      let duplicate: boolean;
      try {
        duplicate = await this.enqueue(job);
      } catch (err) {
        await this.blobs.remove(blobKey).catch(() => {});
        throw new StoreRefused(
          StoreFailure.StorageUnavailable,
          `the index database is unavailable: ${(err as Error).message}`,
        );
      }
      if (duplicate) await this.blobs.remove(blobKey).catch(() => {});
      return { ...outcome, duplicate };
    } catch (err) {
      await writer?.abort().catch(() => {});
      const refused =
        err instanceof StoreRefused
          ? err
          : err instanceof DicomParseError
            ? new StoreRefused(StoreFailure.CannotParse, `cannot read the data set: ${err.message}`)
            : new StoreRefused(StoreFailure.StorageUnavailable, `store failed: ${(err as Error).message}`);
      await this.audit
        .record({
          ...auditBase,
          action: 'instance-store-refused',
          outcome: refused.failure === StoreFailure.Forbidden ? AuditOutcome.Denied : AuditOutcome.Failure,
          detail: `${refused.failure}: ${refused.message}`,
        })
        .catch(() => {});
      if (header) {
        sopClassUid ??= firstString(header, Tag.SOPClassUID);
        sopInstanceUid ??= firstString(header, Tag.SOPInstanceUID);
      }
      const failed: StoreOutcome = { ok: false, failure: refused.failure, reason: refused.message };
      if (sopClassUid) failed.sopClassUid = sopClassUid;
      if (sopInstanceUid) failed.sopInstanceUid = sopInstanceUid;
      return failed;
    }
  }

  /**
   * Streams the body to the writer, keeping only the bytes up to the start of pixel data in memory. The body
   * is always consumed to its end, even after a refusal, so the protocol adapter can answer cleanly.
   */
  private async receive(
    input: StoreInput,
    writer: BlobWriter,
    onHeader: (dataset: DicomJsonDataset) => void,
  ): Promise<Parsed> {
    const { maxInstanceBytes, maxHeaderBytes } = this.limits;
    let prefix: Buffer[] = [];
    let prefixBytes = 0;
    let nextAttempt = 64 * 1024;
    let parsed: Parsed | undefined;
    let refusal: StoreRefused | undefined;
    let bodyOffset = 0;
    let fileOffset = 0;
    let headerLength = 0;
    let transferSyntaxUid = input.transferSyntaxUid;
    /** Where native pixel data must end in the file. */
    let pixelEnd: number | undefined;
    let fragments: FragmentWalker | undefined;

    if (input.framing === 'dataset') {
      if (!transferSyntaxUid || !input.sopClassUid || !input.sopInstanceUid) {
        throw new Error('a bare data set needs its transfer syntax, SOP class and SOP instance UIDs');
      }
      const header = buildPart10Header({
        sopClassUid: input.sopClassUid,
        sopInstanceUid: input.sopInstanceUid,
        transferSyntaxUid,
        ...(input.origin.callingAe ? { sourceAeTitle: input.origin.callingAe } : {}),
      });
      await writer.write(header);
      fileOffset = header.byteLength;
      headerLength = header.byteLength;
    }

    const tryParse = (final: boolean): void => {
      const bytes = Buffer.concat(prefix, prefixBytes);
      try {
        let dsStart = 0;
        if (input.framing === 'part10') {
          const h = readPart10Header(bytes);
          dsStart = h.datasetOffset;
          transferSyntaxUid = h.transferSyntaxUid;
          headerLength = 0;
        }
        const ts = transferSyntaxUid!;
        if (!isKnownTransferSyntax(ts) || !encodingOf(ts)) {
          throw new StoreRefused(
            StoreFailure.UnsupportedTransferSyntax,
            `transfer syntax ${ts} is not supported`,
          );
        }
        const r = readDataset(bytes.subarray(dsStart), ts, {
          stopAtPixelData: true,
          inlineBinaryMaxBytes: 64 * 1024,
        });
        const enc = encodingOf(ts)!;
        const datasetOffset = headerLength + dsStart;
        parsed = {
          dataset: r.dataset,
          transferSyntaxUid: ts,
          datasetOffset,
          pixelDataOffset: r.stoppedAtPixelData && !enc.deflated ? datasetOffset + r.endOffset : -1,
        };
        onHeader(r.dataset);
        if (r.stoppedAtPixelData && !enc.deflated) {
          const at = dsStart + r.endOffset;
          const element = pixelElement(bytes, at, enc.explicitVr, enc.littleEndian);
          if (!element) {
            if (!final) {
              parsed = undefined;
              return;
            }
            throw new DicomParseError('data set is truncated inside the pixel data element header', at, true);
          }
          // Known length: the file must hold all of it. Undefined length: its fragments must be closed.
          const valueAt = headerLength + at + element.headerBytes;
          if (element.length === undefined) {
            fragments = new FragmentWalker(valueAt);
            fragments.feed(bytes, headerLength);
          } else pixelEnd = valueAt + element.length;
          if (element.tag === Tag.PixelData) parsed.dataset[Tag.PixelData] = { vr: element.vr };
        }
        prefix = [];
      } catch (err) {
        if (err instanceof DicomParseError && err.truncated && !final) return;
        throw err;
      }
    };

    for await (const chunk of input.body) {
      bodyOffset += chunk.byteLength;
      if (refusal) continue;
      try {
        if (bodyOffset > maxInstanceBytes) {
          throw new StoreRefused(
            StoreFailure.TooLarge,
            `object is larger than the ${maxInstanceBytes}-byte limit (CONFER_MAX_INSTANCE_BYTES)`,
          );
        }
        await writer.write(chunk).catch((err: NodeJS.ErrnoException) => {
          throw storageError(err);
        });
        fileOffset += chunk.byteLength;
        if (fragments && !fragments.done) fragments.feed(chunk, fileOffset - chunk.byteLength);
        if (!parsed) {
          const keep = Math.min(chunk.byteLength, maxHeaderBytes - prefixBytes);
          if (keep > 0) {
            prefix.push(Buffer.from(chunk.buffer, chunk.byteOffset, keep));
            prefixBytes += keep;
          }
          if (prefixBytes >= nextAttempt || prefixBytes >= maxHeaderBytes) {
            nextAttempt *= 4;
            tryParse(false);
            if (!parsed && prefixBytes >= maxHeaderBytes) {
              throw new StoreRefused(
                StoreFailure.TooLarge,
                `the header (everything before pixel data) is larger than the ${maxHeaderBytes}-byte limit`,
              );
            }
          }
        }
      } catch (err) {
        refusal = err instanceof StoreRefused ? err : toRefusal(err);
      }
    }
    if (refusal) throw refusal;
    if (!parsed) tryParse(true);
    if (!parsed) throw new StoreRefused(StoreFailure.CannotParse, 'the data set could not be read');
    if (pixelEnd !== undefined && pixelEnd > fileOffset) {
      throw new StoreRefused(
        StoreFailure.CannotParse,
        `pixel data is truncated: the element declares ${pixelEnd - parsed.pixelDataOffset} bytes but the object ends ${pixelEnd - fileOffset} bytes short`,
      );
    }
    if (fragments && !fragments.done) {
      throw new StoreRefused(
        StoreFailure.CannotParse,
        fragments.error ??
          'encapsulated pixel data is truncated: the fragments are not closed by a sequence delimiter (PS3.5 A.4)',
      );
    }
    return parsed;
  }

  private enqueue(job: IndexJob): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, 128);
        try {
          const results = await this.db.transaction().execute(async (trx) => {
            const out: boolean[] = [];
            for (const b of batch) out.push(await this.index(trx, b.job));
            await this.audit.append(
              trx,
              batch.map((b) => b.job.audit),
            );
            return out;
          });
          for (const [i, b] of batch.entries()) b.resolve(results[i]!);
        } catch (err) {
          if (batch.length === 1) {
            batch[0]!.reject(err);
            continue;
          }
          // One bad job must not fail its neighbours: retry each alone.
          for (const s of batch) {
            try {
              const dup = await this.db.transaction().execute(async (trx) => {
                const d = await this.index(trx, s.job);
                await this.audit.append(trx, [s.job.audit]);
                return d;
              });
              s.resolve(dup);
            } catch (e) {
              s.reject(e);
            }
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /**
   * Writes the patient, study, series and instance rows; returns true when the instance already existed.
   * Each upsert returns the row it wrote (RETURNING) and carries the counter increments itself, so an
   * instance costs five statements, six for the first of a series: on the embedded store every statement
   * is a round trip to the SQLite thread, inside the group commit that all stores queue for.
   */
  private async index(trx: Transaction<Database>, job: IndexJob): Promise<boolean> {
    const ds = job.parsed.dataset;
    const now = this.clock.now().getTime();
    const dup = await trx
      .selectFrom('instances')
      .select('id')
      .where('sop_instance_uid', '=', job.sopInstanceUid)
      .executeTakeFirst();
    if (dup) return true;

    const patientAttributes = {
      patient_name: firstString(ds, Tag.PatientName) ?? null,
      birth_date: firstString(ds, Tag.PatientBirthDate) ?? null,
      sex: firstString(ds, Tag.PatientSex) ?? null,
      updated_at: now,
    };
    const patientId = firstString(ds, Tag.PatientID) ?? '';
    const patient = await trx
      .insertInto('patients')
      .values({
        patient_id: patientId,
        issuer: firstString(ds, Tag.IssuerOfPatientID) ?? '',
        // Objects without a Patient ID are not one patient: each study keeps its own record.
        scope: patientId === '' ? job.studyUid : '',
        ...patientAttributes,
      })
      .onConflict((oc) => oc.columns(['patient_id', 'issuer', 'scope']).doUpdateSet(patientAttributes))
      .returning('id')
      .executeTakeFirstOrThrow();

    const modality = firstString(ds, Tag.Modality) ?? null;
    const bodyPart = firstString(ds, Tag.BodyPartExamined) ?? null;
    // On PostgreSQL the conflict update locks the study row, so two nodes adding series to one study do not
    // lose each other's modalities (it replaces a SELECT ... FOR UPDATE).
    const study = await trx
      .insertInto('studies')
      .values({
        study_uid: job.studyUid,
        patient_fk: Number(patient.id),
        accession_number: firstString(ds, Tag.AccessionNumber) ?? null,
        study_id: firstString(ds, Tag.StudyID) ?? null,
        study_date: firstString(ds, Tag.StudyDate) ?? null,
        study_time: firstString(ds, Tag.StudyTime) ?? null,
        description: firstString(ds, Tag.StudyDescription) ?? null,
        referring_physician: firstString(ds, Tag.ReferringPhysicianName) ?? null,
        modalities: '',
        body_parts: '',
        sop_classes: '',
        institution_name: firstString(ds, Tag.InstitutionName) ?? null,
        site_id: job.siteId,
        num_series: 0,
        num_instances: 1,
        first_received_at: now,
        last_received_at: now,
        complete_announced_at: null,
        attributes_json: JSON.stringify(studyLevelAttributes(ds)),
      })
      .onConflict((oc) =>
        oc.column('study_uid').doUpdateSet((eb) => ({
          num_instances: eb('studies.num_instances', '+', 1),
          last_received_at: now,
          // New images after study:complete reopen the study; it is announced again after the next quiet period.
          complete_announced_at: null,
        })),
      )
      .returning(['id', 'modalities', 'body_parts', 'sop_classes'])
      .executeTakeFirstOrThrow();

    const series = await trx
      .insertInto('series')
      .values({
        series_uid: job.seriesUid,
        study_fk: Number(study.id),
        modality,
        series_number: firstNumber(ds, Tag.SeriesNumber) ?? null,
        description: firstString(ds, Tag.SeriesDescription) ?? null,
        body_part: bodyPart,
        series_date: firstString(ds, Tag.SeriesDate) ?? null,
        series_time: firstString(ds, Tag.SeriesTime) ?? null,
        num_instances: 1,
        first_received_at: now,
        last_received_at: now,
        attributes_json: JSON.stringify(seriesLevelAttributes(ds)),
      })
      .onConflict((oc) =>
        oc.column('series_uid').doUpdateSet((eb) => ({
          num_instances: eb('series.num_instances', '+', 1),
          last_received_at: now,
        })),
      )
      .returning(['id', 'study_fk', 'num_instances'])
      .executeTakeFirstOrThrow();
    if (Number(series.study_fk) !== Number(study.id)) {
      // Thrown inside the transaction: the counters just incremented roll back with it.
      throw new Error(`series ${job.seriesUid} already belongs to another study`);
    }
    // The count includes this instance: 1 means the series had none before it.
    const newSeries = Number(series.num_instances) === 1;

    await trx
      .insertInto('instances')
      .values({
        sop_instance_uid: job.sopInstanceUid,
        series_fk: Number(series.id),
        sop_class_uid: job.sopClassUid,
        instance_number: firstNumber(ds, Tag.InstanceNumber) ?? null,
        transfer_syntax_uid: job.parsed.transferSyntaxUid,
        rows: firstNumber(ds, Tag.Rows) ?? null,
        columns: firstNumber(ds, Tag.Columns) ?? null,
        number_of_frames: firstNumber(ds, Tag.NumberOfFrames) ?? null,
        size_bytes: job.sizeBytes,
        blob_key: job.blobKey,
        dataset_offset: job.parsed.datasetOffset,
        pixel_data_offset: job.parsed.pixelDataOffset,
        received_at: now,
        metadata_json: JSON.stringify(ds),
      })
      .execute();
    const modalities = addValue(study.modalities, modality);
    const bodyParts = addValue(study.body_parts, bodyPart);
    const sopClasses = addValue(study.sop_classes, job.sopClassUid);
    if (
      newSeries ||
      modalities !== study.modalities ||
      bodyParts !== study.body_parts ||
      sopClasses !== study.sop_classes
    ) {
      await trx
        .updateTable('studies')
        .set((eb) => ({
          num_series: newSeries ? eb('num_series', '+', 1) : eb.ref('num_series'),
          modalities,
          body_parts: bodyParts,
          sop_classes: sopClasses,
        }))
        .where('id', '=', Number(study.id))
        .execute();
    }
    return false;
  }
}

function addValue(list: string, value: string | null): string {
  if (!value) return list;
  const values = list === '' ? [] : list.split('\\');
  return values.includes(value) ? list : [...values, value].join('\\');
}

/** The pixel data element's header at `offset`, or undefined when the bytes end before it does. */
function pixelElement(
  bytes: Uint8Array,
  offset: number,
  explicitVr: boolean,
  littleEndian: boolean,
): { tag: string; vr: string; headerBytes: number; length: number | undefined } | undefined {
  if (offset + 12 > bytes.byteLength) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = `7FE0${view
    .getUint16(offset + 2, littleEndian)
    .toString(16)
    .toUpperCase()
    .padStart(4, '0')}`;
  // Implicit VR pixel data is OW (PS3.5 A.1); explicit syntaxes name it.
  const vr = explicitVr ? String.fromCharCode(bytes[offset + 4]!, bytes[offset + 5]!) : 'OW';
  const length = explicitVr
    ? view.getUint32(offset + 8, littleEndian)
    : view.getUint32(offset + 4, littleEndian);
  return { tag, vr, headerBytes: explicitVr ? 12 : 8, length: length === 0xffffffff ? undefined : length };
}

function storageError(err: NodeJS.ErrnoException): StoreRefused {
  if (err.code === 'ENOSPC' || err.code === 'EDQUOT' || err.code === 'EMFILE') {
    return new StoreRefused(
      StoreFailure.OutOfResources,
      `the archive is out of storage (${err.code}); try again later`,
    );
  }
  return new StoreRefused(
    StoreFailure.StorageUnavailable,
    `the blob store failed: ${err.code ?? err.message}`,
  );
}

function toRefusal(err: unknown): StoreRefused {
  if (err instanceof DicomParseError)
    return new StoreRefused(StoreFailure.CannotParse, `cannot read the data set: ${err.message}`);
  return new StoreRefused(StoreFailure.StorageUnavailable, (err as Error).message);
}
