import {
  type Actor,
  QueryError,
  QueryErrorCode,
  QueryLevel,
  type QueryService,
  type RequestOrigin,
} from '../archive/ports.ts';
import type { WritableDataset, WritableElement } from '../dicom/dataset-writer.ts';
import type { DicomJsonDataset, DicomJsonElement, PersonName } from '../dicom/dicom-json.ts';
import { formatTag, Tag } from '../dicom/tags.ts';
import { BINARY_VRS } from '../dicom/vr.ts';
import { QueryModel } from './association.ts';
import { type DimseResult, Status } from './dimse-message.ts';

/** Levels of each information model (PS3.4 C.6.1.1, C.6.2.1). */
const LEVELS: Record<QueryModel, readonly QueryLevel[]> = {
  [QueryModel.PatientRoot]: [QueryLevel.Patient, QueryLevel.Study, QueryLevel.Series, QueryLevel.Image],
  [QueryModel.StudyRoot]: [QueryLevel.Study, QueryLevel.Series, QueryLevel.Image],
};

/** Elements of a request identifier that describe the query rather than ask for an attribute. */
const NOT_KEYS = new Set<string>([Tag.QueryRetrieveLevel, Tag.SpecificCharacterSet]);

/** A C-FIND identifier read as a query. */
export interface FindPlan {
  level: QueryLevel;
  /** Matching keys: tag -> the value as DICOM writes it (PS3.4 C.2.2.2). */
  keys: Record<string, string>;
  /** Every key of the request, empty or not, with its value: what each response must hold. */
  returnKeys: DicomJsonDataset;
  /** The request held matching keys Confer cannot apply (sequence matching): pending status 0xFF01. */
  unsupportedKeys: boolean;
}

/** A PN value back in its wire form: component groups joined by '=' (PS3.5 6.2.1). */
function personName(pn: PersonName): string {
  return [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? ''].join('=').replace(/=+$/, '');
}

/** The raw DICOM string of a key: its values joined by backslashes, as on the wire, '' when empty. */
export function rawQueryValue(el: DicomJsonElement): string {
  return (el.Value ?? [])
    .map((v) => {
      if (v === null || v === undefined) return '';
      if (typeof v === 'object') return personName(v as PersonName);
      return String(v);
    })
    .join('\\');
}

/**
 * Turns a C-FIND identifier into a query: Query/Retrieve Level (0008,0052) gives the level, every key with a
 * value is a matching key, every key present is a return key. Refuses a level the model does not have.
 */
export function planFind(identifier: DicomJsonDataset, model: QueryModel): FindPlan | DimseResult {
  const levelValue = identifier[Tag.QueryRetrieveLevel]?.Value?.[0];
  const level = typeof levelValue === 'string' ? levelValue.trim() : '';
  if (!level) {
    return {
      status: Status.IdentifierDoesNotMatchSopClass,
      errorComment: 'Query/Retrieve Level (0008,0052) is missing',
      offendingElements: [Tag.QueryRetrieveLevel],
    };
  }
  if (!(LEVELS[model] as readonly string[]).includes(level)) {
    const why =
      model === QueryModel.StudyRoot && level === QueryLevel.Patient
        ? 'Study Root has no PATIENT level; use Patient Root'
        : `Query/Retrieve Level "${level}" is not one of ${LEVELS[model].join(', ')}`;
    return {
      status: Status.IdentifierDoesNotMatchSopClass,
      errorComment: why,
      offendingElements: [Tag.QueryRetrieveLevel],
    };
  }
  const keys: Record<string, string> = {};
  const returnKeys: DicomJsonDataset = {};
  let unsupportedKeys = false;
  for (const [tag, el] of Object.entries(identifier)) {
    if (NOT_KEYS.has(tag) || tag.endsWith('0000')) continue;
    returnKeys[tag] = el;
    if (el.vr === 'SQ') {
      // PS3.4 C.2.2.2.6 sequence matching is not supported: a sequence is a return key only.
      const items = (el.Value ?? []) as DicomJsonDataset[];
      if (items.some((item) => Object.values(item ?? {}).some((sub) => rawQueryValue(sub) !== ''))) {
        unsupportedKeys = true;
      }
      continue;
    }
    if (BINARY_VRS.has(el.vr)) continue;
    const raw = rawQueryValue(el);
    if (raw !== '') keys[tag] = raw;
  }
  return { level: level as QueryLevel, keys, returnKeys, unsupportedKeys };
}

function returnElement(requested: DicomJsonElement, have: DicomJsonElement | undefined): WritableElement {
  if (requested.vr === 'SQ' || have?.vr === 'SQ') {
    const wanted = (requested.Value?.[0] ?? undefined) as DicomJsonDataset | undefined;
    const items = (have?.Value ?? []) as DicomJsonDataset[];
    // A sequence key with no item, or an empty one, asks for the whole items (PS3.4 C.2.2.2.6).
    if (!wanted || Object.keys(wanted).length === 0) return { vr: 'SQ', Value: items };
    return { vr: 'SQ', Value: items.map((item) => pick(item ?? {}, wanted)) };
  }
  const vr = have && have.vr !== 'UN' ? have.vr : requested.vr;
  if (have?.Value?.length) return { vr, Value: have.Value };
  if (have?.InlineBinary !== undefined) return { vr, InlineBinary: have.InlineBinary };
  return { vr };
}

function pick(source: DicomJsonDataset, wanted: DicomJsonDataset): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const [tag, requested] of Object.entries(wanted)) out[tag] = returnElement(requested, source[tag]);
  return out;
}

function hasNonAscii(ds: DicomJsonDataset): boolean {
  for (const el of Object.values(ds)) {
    for (const v of el.Value ?? []) {
      if (typeof v === 'string' && /[^\x00-\x7f]/.test(v)) return true;
      if (v && typeof v === 'object') {
        if (el.vr === 'SQ') {
          if (hasNonAscii(v as DicomJsonDataset)) return true;
        } else if (/[^\x00-\x7f]/.test(personName(v as PersonName))) return true;
      }
    }
  }
  return false;
}

/**
 * The identifier of one pending response. PS3.4 C.4.1.3.1: it holds the keys asked for and no others (empty
 * when we have no value), plus Query/Retrieve Level, Retrieve AE Title and, when a value is not ASCII,
 * Specific Character Set (C.4.1.1.3.2); Confer writes such values as UTF-8, ISO_IR 192.
 */
export function responseIdentifier(
  match: DicomJsonDataset,
  plan: FindPlan,
  aeTitle: string,
): WritableDataset {
  const out: WritableDataset = pick(match, plan.returnKeys);
  out[Tag.QueryRetrieveLevel] = { vr: 'CS', Value: [plan.level] };
  out[Tag.RetrieveAETitle] = { vr: 'AE', Value: [aeTitle] };
  if (hasNonAscii(out)) out[Tag.SpecificCharacterSet] = { vr: 'CS', Value: ['ISO_IR 192'] };
  return out;
}

/** The final status for a query the query service refused. */
export function queryErrorStatus(err: QueryError): DimseResult {
  const comment = err.message;
  switch (err.code) {
    case QueryErrorCode.InvalidKey:
      return {
        status: Status.IdentifierDoesNotMatchSopClass,
        errorComment: err.tag ? `${formatTag(err.tag)}: ${comment}` : comment,
        ...(err.tag ? { offendingElements: [err.tag] } : {}),
      };
    case QueryErrorCode.Forbidden:
      return { status: Status.RefusedNotAuthorized, errorComment: comment };
    default:
      return { status: Status.UnableToProcess, errorComment: comment };
  }
}

/** One C-FIND, with the transport hooks performCFind needs. */
export interface CFindRequest {
  identifier: DicomJsonDataset;
  model: QueryModel;
  aeTitle: string;
  actor: Actor;
  origin: RequestOrigin;
  /** Sends one pending response; resolves when the transport can take more. */
  sendPending(identifier: WritableDataset, status: number): Promise<void>;
  /** True once a C-CANCEL-RQ for this request has arrived. */
  cancelled(): boolean;
}

/**
 * Performs a C-FIND (PS3.4 C.4.1): one pending response per match, then the final status, which the caller
 * sends. A C-CANCEL stops the pending responses with 0xFE00 (C.4.1.2.3).
 */
export async function performCFind(query: QueryService, req: CFindRequest): Promise<DimseResult> {
  const plan = planFind(req.identifier, req.model);
  if (!('level' in plan)) return plan;
  let output: Awaited<ReturnType<QueryService['query']>>;
  try {
    output = await query.query({ level: plan.level, keys: plan.keys, actor: req.actor, origin: req.origin });
  } catch (err) {
    if (err instanceof QueryError) return queryErrorStatus(err);
    throw err;
  }
  const pending =
    plan.unsupportedKeys || (output.ignoredKeys?.length ?? 0) > 0
      ? Status.PendingWarningOptionalKeysNotSupported
      : Status.Pending;
  for (const match of output.matches) {
    if (req.cancelled()) return { status: Status.Cancel };
    await req.sendPending(responseIdentifier(match, plan, req.aeTitle), pending);
  }
  if (req.cancelled()) return { status: Status.Cancel };
  return { status: Status.Success };
}
