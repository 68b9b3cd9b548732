import { pipeline, type Readable } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Actor, StoreFailure, type StoreOutcome } from '../archive/ports.ts';
import type { DicomJsonDataset, DicomJsonElement } from '../dicom/dicom-json.ts';
import { Tag } from '../dicom/tags.ts';
import type { AppDeps } from '../http/app.ts';
import { originOf, requireActor } from '../http/authenticate.ts';
import { ErrorCode, ProblemError } from '../http/errors.ts';
import { MediaTypes, parseAccept, parseMediaType, rangeCovers } from './media-type.ts';
import {
  boundaryOf,
  MultipartError,
  MultipartErrorKind,
  type MultipartPart,
  MultipartReader,
} from './multipart-related.ts';
import { ByteBudget, PartQueue } from './read-ahead.ts';
import { instanceUrl, pathUid, serviceBase, studyUrl } from './service-url.ts';

/**
 * Failure Reason (0008,1197) values of the Store Instances Response Module, PS3.18 Annex I Table I.2-2.
 * The table gives classes (A7xx, A9xx, Cxxx) and two exact codes; Confer uses the class's base code.
 */
export const FailureReason = {
  /** A7xx Refused out of resources: disk full, or over Confer's size limits. */
  OutOfResources: 0xa700,
  /**
   * A9xx Data Set does not match SOP Class: required UIDs missing, or contradicting the request. PS3.18
   * 10.5.3.1 names a Study Instance UID mismatch as the typical conflict; Table I.2-2 has no code of its
   * own for it, so it is A900 too and the ErrorComment says which.
   */
  DataSetDoesNotMatchSopClass: 0xa900,
  /** Cxxx Cannot understand: not a readable DICOM Part 10 object, or a part that is not application/dicom. */
  CannotUnderstand: 0xc000,
  /** C122 Referenced Transfer Syntax not supported. */
  TransferSyntaxNotSupported: 0xc122,
  /** 0110 Processing failure: the index or blob store failed, or the request body was cut off. */
  ProcessingFailure: 0x0110,
  /**
   * 0124 Refused: not authorized. Not in Table I.2-2 ("additional codes may be used"); it is the DIMSE
   * status of that name (PS3.7 C.5.x). The request as a whole is answered 403.
   */
  NotAuthorized: 0x0124,
} as const;
export type FailureReason = (typeof FailureReason)[keyof typeof FailureReason];

const reasonForFailure: Record<StoreFailure, FailureReason> = {
  [StoreFailure.CannotParse]: FailureReason.CannotUnderstand,
  [StoreFailure.TooLarge]: FailureReason.OutOfResources,
  [StoreFailure.MissingAttribute]: FailureReason.DataSetDoesNotMatchSopClass,
  [StoreFailure.UidMismatch]: FailureReason.DataSetDoesNotMatchSopClass,
  [StoreFailure.StudyMismatch]: FailureReason.DataSetDoesNotMatchSopClass,
  [StoreFailure.UnsupportedTransferSyntax]: FailureReason.TransferSyntaxNotSupported,
  [StoreFailure.OutOfResources]: FailureReason.OutOfResources,
  [StoreFailure.StorageUnavailable]: FailureReason.ProcessingFailure,
  [StoreFailure.Forbidden]: FailureReason.NotAuthorized,
};

/** Stores under way at once for one request: enough to overlap fsyncs, few enough file handles. */
const MAX_PENDING_STORES = 16;
/** Bytes of one request read ahead of the stores writing them (PS3.18 puts no bound on a part's size). */
const READ_AHEAD_BYTES = 16 * 1024 * 1024;
/** Largest single write handed to the blob store: fewer trips through libuv's thread pool. */
const MAX_WRITE_BYTES = 1024 * 1024;
const MAX_PART_HEADER_BYTES = 16 * 1024;

/** One part's fate, in request order. */
interface PartResult {
  number: number;
  outcome?: StoreOutcome;
  /** Why the part failed before or outside the ingest service (wrong media type, body cut off). */
  refusal?: { reason: FailureReason; comment: string };
}

/** The 415 answer for anything but Part 10 instances in multipart/related. */
function unsupportedMediaType(got: string): ProblemError {
  return new ProblemError(
    415,
    ErrorCode.UnsupportedMediaType,
    `Confer's STOW-RS takes DICOM Part 10 instances as 'multipart/related; type="application/dicom"; ` +
      `boundary=...', not ${got}. Storing metadata as application/dicom+json or application/dicom+xml ` +
      'with separate bulk data is not supported yet.',
  );
}

/** Registers POST /studies and /studies/{study} (PS3.18 10.5) on a scope mounted at /dicomweb. */
export function registerStow(scope: FastifyInstance, deps: AppDeps): void {
  const bodyLimit = deps.config.httpBodyLimitBytes;
  const handler = (request: FastifyRequest<{ Params: { study?: string } }>, reply: FastifyReply) =>
    stow(request, reply, deps);
  scope.post('/studies', { bodyLimit }, handler);
  scope.post('/studies/:study', { bodyLimit }, handler);
}

async function stow(
  request: FastifyRequest<{ Params: { study?: string } }>,
  reply: FastifyReply,
  deps: AppDeps,
): Promise<FastifyReply> {
  const actor = requireActor(request);
  const expectedStudyUid =
    request.params.study === undefined ? undefined : pathUid(request.params.study, 'Study Instance UID');
  const responseType = negotiateResponse(request.headers.accept);

  const contentType = request.headers['content-type'];
  const ct = contentType ? parseMediaType(contentType) : undefined;
  if (!ct || ct.type !== MediaTypes.MultipartRelated)
    throw unsupportedMediaType(contentType ?? 'no Content-Type');
  const rootType = ct.params.get('type')?.toLowerCase();
  if (rootType !== undefined && rootType !== MediaTypes.Dicom) {
    throw unsupportedMediaType(`parts of type "${rootType}"`);
  }
  const boundary = boundaryOf(ct);
  if (!boundary) {
    throw new ProblemError(
      400,
      ErrorCode.BadRequest,
      'the multipart/related Content-Type needs a boundary parameter of 1 to 70 characters (RFC 2046 5.1.1)',
    );
  }
  const limit = deps.config.httpBodyLimitBytes;
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);

  const reader = new MultipartReader(decoded(request), boundary, {
    maxHeaderBytes: MAX_PART_HEADER_BYTES,
    maxBodyBytes: limit,
  });
  const results = await storeParts(reader, deps, actor, originOf(request, 'dicomweb'), expectedStudyUid);

  if (results.length === 0) {
    throw new ProblemError(400, ErrorCode.BadRequest, 'the multipart body holds no parts: nothing to store');
  }
  const forbidden = results.every(
    (r) => r.outcome?.ok === false && r.outcome.failure === StoreFailure.Forbidden,
  );
  if (forbidden) {
    throw new ProblemError(403, ErrorCode.Forbidden, `${actor.name} may not store instances in this archive`);
  }
  const { body, stored, failed } = storeResponse(results, serviceBase(request), expectedStudyUid);
  // PS3.18 10.5.3.1: 200 all stored, 202 some failed, 409 none stored.
  const status = failed === 0 ? 200 : stored > 0 ? 202 : 409;
  return reply
    .code(status)
    .type(responseType)
    .send(Buffer.from(JSON.stringify(body)));
}

/** PS3.18 10.5.4: the response is application/dicom+json; XML is not offered. */
function negotiateResponse(accept: string | undefined): string {
  for (const range of parseAccept(accept)) {
    if (rangeCovers(range.type, MediaTypes.DicomJson)) return MediaTypes.DicomJson;
    if (range.type === MediaTypes.Json) return MediaTypes.Json;
  }
  throw new ProblemError(
    406,
    ErrorCode.NotAcceptable,
    `Confer answers STOW-RS with application/dicom+json only; the Accept header allows none of it ("${accept}")`,
  );
}

function tooLarge(limit: number): ProblemError {
  return new ProblemError(
    413,
    ErrorCode.PayloadTooLarge,
    `the request body is larger than ${limit} bytes (CONFER_HTTP_BODY_LIMIT_BYTES); send fewer instances per request`,
  );
}

/** The request body, inflated when the client compressed it (PS3.18 8.4.3 Content-Encoding). */
function decoded(request: FastifyRequest): AsyncIterable<Uint8Array> {
  const raw = (request.body as Readable | undefined) ?? request.raw;
  const encoding = String(request.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  switch (encoding) {
    case '':
    case 'identity':
      return raw;
    case 'gzip':
    case 'x-gzip':
    case 'deflate': {
      const inflate = encoding === 'deflate' ? createInflate() : createGunzip();
      // pipeline, not pipe: a client that goes away must fail the inflater too, not leave it waiting.
      pipeline(raw, inflate, () => {});
      return inflate;
    }
    default:
      throw new ProblemError(
        415,
        ErrorCode.UnsupportedMediaType,
        `Content-Encoding "${encoding}" is not supported; use gzip, deflate or none`,
      );
  }
}

/**
 * Hands each part to the ingest service as it arrives. The request is read ahead into a bounded window
 * while earlier parts are still being written and fsynced, so instances of one request are stored
 * concurrently and share the ingest's group commits instead of queueing behind each other's disk syncs.
 */
async function storeParts(
  reader: MultipartReader,
  deps: AppDeps,
  actor: Actor,
  origin: ReturnType<typeof originOf>,
  expectedStudyUid: string | undefined,
): Promise<PartResult[]> {
  const results: PartResult[] = [];
  const budget = new ByteBudget(READ_AHEAD_BYTES);
  const pending = new Set<Promise<void>>();
  try {
    for (;;) {
      let part: MultipartPart | undefined;
      try {
        part = await reader.nextPart();
      } catch (err) {
        if (!(err instanceof MultipartError)) throw err;
        if (err.kind === MultipartErrorKind.TooLarge) throw tooLarge(deps.config.httpBodyLimitBytes);
        throw new ProblemError(
          400,
          ErrorCode.BadRequest,
          `the multipart body cannot be read: ${err.message}`,
        );
      }
      if (!part) break;
      const result: PartResult = { number: part.number };
      results.push(result);
      const partType = part.contentType?.type;
      if (part.headers['content-type'] !== undefined && partType !== MediaTypes.Dicom) {
        result.refusal = {
          reason: FailureReason.CannotUnderstand,
          comment: `part ${part.number} has Content-Type "${part.headers['content-type']}"; STOW-RS parts must be application/dicom`,
        };
        continue;
      }
      const queue = new PartQueue(budget, MAX_WRITE_BYTES);
      let settled = false;
      const store = deps.ingest
        .store({
          body: queue,
          framing: 'part10',
          ...(expectedStudyUid ? { expectedStudyUid } : {}),
          actor,
          origin,
        })
        .then(
          (outcome) => {
            result.outcome = outcome;
          },
          (err: Error) => {
            // The ingest service answers failures as outcomes; an exception is a bug, reported per part.
            result.refusal = {
              reason: FailureReason.ProcessingFailure,
              comment: `store failed: ${err.message}`,
            };
          },
        )
        .finally(() => {
          settled = true;
          // A store that has answered reads no more: what is queued or still to come is dropped.
          queue.abandon();
        });
      pending.add(store);
      void store.finally(() => pending.delete(store));
      let bodyError: Error | undefined;
      try {
        for await (const chunk of part.body) {
          // Refused before reading (who the caller is): nextPart() skips the rest of the part.
          if (settled) break;
          await queue.push(chunk);
        }
        queue.end();
      } catch (err) {
        bodyError = err as Error;
        queue.fail(bodyError);
      }
      if (bodyError) {
        await store;
        if (bodyError instanceof MultipartError && bodyError.kind === MultipartErrorKind.TooLarge) {
          throw tooLarge(deps.config.httpBodyLimitBytes);
        }
        if (!(bodyError instanceof MultipartError)) {
          throw new ProblemError(
            400,
            ErrorCode.BadRequest,
            `the request body could not be read (${bodyError.message}); nothing of part ${result.number} was stored`,
          );
        }
        // A body cut off inside a part fails that part; what was stored before it stands.
        result.refusal = {
          reason: FailureReason.ProcessingFailure,
          comment: `${bodyError.message}; nothing of part ${result.number} was stored`,
        };
        break;
      }
      // Refused for who the caller is: every other part would be refused the same way.
      if (result.outcome?.ok === false && result.outcome.failure === StoreFailure.Forbidden) break;
      while (pending.size >= MAX_PENDING_STORES) await Promise.race(pending);
    }
  } finally {
    await Promise.allSettled(pending);
  }
  return results;
}

function ui(value: string): DicomJsonElement {
  return { vr: 'UI', Value: [value] };
}

/** The Store Instances Response Module (PS3.18 Annex I Table I.1-1) in DICOM JSON. */
function storeResponse(
  results: PartResult[],
  base: string,
  expectedStudyUid: string | undefined,
): { body: DicomJsonDataset; stored: number; failed: number } {
  const referenced: DicomJsonDataset[] = [];
  const failed: DicomJsonDataset[] = [];
  const other: DicomJsonDataset[] = [];
  const studies = new Set<string>();
  for (const r of results) {
    const o = r.outcome;
    if (o?.ok && !r.refusal) {
      studies.add(o.studyUid);
      referenced.push({
        [Tag.ReferencedSOPClassUID]: ui(o.sopClassUid),
        [Tag.ReferencedSOPInstanceUID]: ui(o.sopInstanceUid),
        [Tag.RetrieveURL]: {
          vr: 'UR',
          Value: [instanceUrl(base, o.studyUid, o.seriesUid, o.sopInstanceUid)],
        },
      });
      continue;
    }
    const reason =
      r.refusal?.reason ?? (o && !o.ok ? reasonForFailure[o.failure] : FailureReason.ProcessingFailure);
    const comment = r.refusal?.comment ?? (o && !o.ok ? o.reason : 'the part was not stored');
    const item: DicomJsonDataset = {};
    const classUid = o && !o.ok ? o.sopClassUid : undefined;
    const instanceUid = o?.sopInstanceUid;
    if (classUid) item[Tag.ReferencedSOPClassUID] = ui(classUid);
    if (instanceUid) item[Tag.ReferencedSOPInstanceUID] = ui(instanceUid);
    item[Tag.FailureReason] = { vr: 'US', Value: [reason] };
    // Not part of Table I.1-1: Confer's sentence for the sender's operator, in the DIMSE Error Comment.
    item[Tag.ErrorComment] = { vr: 'LO', Value: [`part ${r.number}: ${comment}`] };
    // PS3.18 Annex I: a failure that cannot be tied to a SOP instance goes to the Other Failures Sequence.
    (instanceUid ? failed : other).push(sortKeys(item));
  }
  const body: DicomJsonDataset = {};
  const study = expectedStudyUid ?? (studies.size === 1 ? [...studies][0] : undefined);
  body[Tag.RetrieveURL] = study ? { vr: 'UR', Value: [studyUrl(base, study)] } : { vr: 'UR' };
  if (failed.length > 0) body[Tag.FailedSOPSequence] = { vr: 'SQ', Value: failed };
  if (referenced.length > 0) body[Tag.ReferencedSOPSequence] = { vr: 'SQ', Value: referenced };
  if (other.length > 0) body[Tag.OtherFailuresSequence] = { vr: 'SQ', Value: other };
  return { body, stored: referenced.length, failed: failed.length + other.length };
}

function sortKeys(ds: DicomJsonDataset): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const k of Object.keys(ds).sort()) out[k] = ds[k]!;
  return out;
}
