import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { QueryLevel } from '../archive/ports.ts';
import type { DicomJsonDataset, DicomJsonElement } from '../dicom/dicom-json.ts';
import { keywordOf, resolveTag, vrOf } from '../dicom/dictionary.ts';
import { formatTag, Tag } from '../dicom/tags.ts';
import type { AppDeps } from '../http/app.ts';
import { originOf, requireActor } from '../http/authenticate.ts';
import { ErrorCode, ProblemError } from '../http/errors.ts';
import { MediaTypes, parseAccept, partTypeOf, rangeCovers } from './media-type.ts';
import { instanceUrl, pathUid, seriesUrl, serviceBase, studyUrl } from './service-url.ts';

/** The six search resources of PS3.18 Table 10.6.1-1. */
export const SearchResource = {
  AllStudies: 'all-studies',
  StudySeries: 'study-series',
  AllSeries: 'all-series',
  StudySeriesInstances: 'study-series-instances',
  StudyInstances: 'study-instances',
  AllInstances: 'all-instances',
} as const;
export type SearchResource = (typeof SearchResource)[keyof typeof SearchResource];

const LEVEL: Record<SearchResource, QueryLevel> = {
  [SearchResource.AllStudies]: QueryLevel.Study,
  [SearchResource.StudySeries]: QueryLevel.Series,
  [SearchResource.AllSeries]: QueryLevel.Series,
  [SearchResource.StudySeriesInstances]: QueryLevel.Image,
  [SearchResource.StudyInstances]: QueryLevel.Image,
  [SearchResource.AllInstances]: QueryLevel.Image,
};

/** How a default return attribute behaves when a match has no value for it. */
const Presence = {
  /** Type R/U: always returned, zero-length when unknown (as C-FIND does). */
  Required: 'required',
  /** Type C "shall be present if known": left out when unknown. */
  IfKnown: 'if-known',
  /** Counted by Confer at one level only (counts, modalities): left out where it is not computed. */
  Computed: 'computed',
} as const;
type Presence = (typeof Presence)[keyof typeof Presence];

type Default = readonly [tag: string, presence: Presence];

const PerformedProcedureStepStartDate = '00400244';
const PerformedProcedureStepStartTime = '00400245';

/** PS3.18 Table 10.6.3-3 (RetrieveURL and InstanceAvailability are added by Confer for every match). */
const STUDY_DEFAULTS: readonly Default[] = [
  [Tag.StudyDate, Presence.Required],
  [Tag.StudyTime, Presence.Required],
  [Tag.AccessionNumber, Presence.Required],
  [Tag.ModalitiesInStudy, Presence.Computed],
  [Tag.ReferringPhysicianName, Presence.Required],
  [Tag.TimezoneOffsetFromUTC, Presence.IfKnown],
  [Tag.PatientName, Presence.Required],
  [Tag.PatientID, Presence.Required],
  [Tag.PatientBirthDate, Presence.Required],
  [Tag.PatientSex, Presence.Required],
  [Tag.StudyInstanceUID, Presence.Required],
  [Tag.StudyID, Presence.Required],
  [Tag.NumberOfStudyRelatedSeries, Presence.Computed],
  [Tag.NumberOfStudyRelatedInstances, Presence.Computed],
];

/** PS3.18 Table 10.6.3-4, plus the Study Instance UID the series belongs to, which clients navigate by. */
const SERIES_DEFAULTS: readonly Default[] = [
  [Tag.Modality, Presence.Required],
  [Tag.TimezoneOffsetFromUTC, Presence.IfKnown],
  [Tag.SeriesDescription, Presence.IfKnown],
  [Tag.StudyInstanceUID, Presence.Required],
  [Tag.SeriesInstanceUID, Presence.Required],
  [Tag.SeriesNumber, Presence.Required],
  [Tag.NumberOfSeriesRelatedInstances, Presence.Computed],
  [PerformedProcedureStepStartDate, Presence.IfKnown],
  [PerformedProcedureStepStartTime, Presence.IfKnown],
  [Tag.RequestAttributesSequence, Presence.IfKnown],
];

/** PS3.18 Table 10.6.3-5, plus the Study and Series Instance UIDs of the instance. */
const INSTANCE_DEFAULTS: readonly Default[] = [
  [Tag.SOPClassUID, Presence.Required],
  [Tag.SOPInstanceUID, Presence.Required],
  [Tag.TimezoneOffsetFromUTC, Presence.IfKnown],
  [Tag.StudyInstanceUID, Presence.Required],
  [Tag.SeriesInstanceUID, Presence.Required],
  [Tag.InstanceNumber, Presence.Required],
  [Tag.Rows, Presence.IfKnown],
  [Tag.Columns, Presence.IfKnown],
  [Tag.BitsAllocated, Presence.IfKnown],
  [Tag.NumberOfFrames, Presence.IfKnown],
];

/**
 * PS3.18 10.6.3.3: All Series adds the study defaults; Study's Instances adds the series defaults; All
 * Instances adds both.
 */
const DEFAULTS: Record<SearchResource, readonly Default[]> = {
  [SearchResource.AllStudies]: STUDY_DEFAULTS,
  [SearchResource.StudySeries]: SERIES_DEFAULTS,
  [SearchResource.AllSeries]: [...STUDY_DEFAULTS, ...SERIES_DEFAULTS],
  [SearchResource.StudySeriesInstances]: INSTANCE_DEFAULTS,
  [SearchResource.StudyInstances]: [...SERIES_DEFAULTS, ...INSTANCE_DEFAULTS],
  [SearchResource.AllInstances]: [...STUDY_DEFAULTS, ...SERIES_DEFAULTS, ...INSTANCE_DEFAULTS],
};

/** Bulk data never goes into a search result, even with includefield=all. */
const BULK_TAGS = new Set<string>([Tag.PixelData, Tag.FloatPixelData, Tag.DoubleFloatPixelData]);

/** Query parameters that are not attributes (PS3.18 8.3.3 and 8.3.4). */
const CONTROL_PARAMS = new Set(['includefield', 'limit', 'offset', 'fuzzymatching', 'accept', 'charset']);

/** Keywords people often type in the wrong case, for a hint in the 400 answer. */
const COMMON_KEYWORDS = [
  ...new Set([...STUDY_DEFAULTS, ...SERIES_DEFAULTS, ...INSTANCE_DEFAULTS].map(([t]) => keywordOf(t))),
  'StudyDescription',
  'SeriesDate',
  'BodyPartExamined',
  'IssuerOfPatientID',
].filter((k): k is string => k !== undefined);

/** A QIDO-RS query string, read: matching keys for the query service and what to return. */
export interface SearchRequest {
  /** Matching keys for the query service: tag -> DICOM query value ('' is universal matching). */
  keys: Record<string, string>;
  /** Tags asked for by includefield, or matched on: returned when Confer has them. */
  returnTags: Set<string>;
  includeAll: boolean;
  fuzzyMatching: boolean;
  limit: number | undefined;
  offset: number | undefined;
  /** Attributes Confer cannot match on that the query service will not see (sequence paths). */
  notMatched: string[];
  /** The `accept` query parameter (PS3.18 8.3.3.1), which stands in for the Accept header. */
  accept: string | undefined;
}

function badRequest(detail: string, extra: Record<string, unknown> = {}): ProblemError {
  return new ProblemError(400, ErrorCode.InvalidQuery, detail, extra);
}

/** Resolves a keyword or tag; unknown ones are a 400 naming them, with a hint for a mistyped case. */
function attributeTag(name: string, what: string): string {
  const tag = resolveTag(name);
  if (tag) return tag;
  const hint = COMMON_KEYWORDS.find((k) => k.toLowerCase() === name.toLowerCase());
  throw badRequest(
    `${what} "${name}" is neither a DICOM keyword nor 8 hex digits of a tag${hint ? ` (keywords are case-sensitive: did you mean ${hint}?)` : ''}`,
    { attribute: name },
  );
}

function uint(value: string, name: string): number {
  if (!/^\d{1,9}$/.test(value)) throw badRequest(`${name} must be a whole number, not "${value}"`);
  return Number(value);
}

/**
 * Reads a QIDO query string (PS3.18 8.3.4). Values are percent-decoded only: a '+' stays a '+' (RFC 3986),
 * so a timezone offset such as +0100 survives.
 */
export function parseSearch(rawQuery: string): SearchRequest {
  const out: SearchRequest = {
    keys: {},
    returnTags: new Set(),
    includeAll: false,
    fuzzyMatching: false,
    limit: undefined,
    offset: undefined,
    notMatched: [],
    accept: undefined,
  };
  const seen = new Set<string>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
      value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
    } catch {
      throw badRequest(`the query parameter "${pair.slice(0, 80)}" is not valid percent-encoding`);
    }
    if (CONTROL_PARAMS.has(name)) {
      switch (name) {
        case 'includefield':
          for (const field of value.split(',')) {
            const f = field.trim();
            if (f === '') continue;
            if (f === 'all') out.includeAll = true;
            else if (f.includes('.')) for (const p of f.split('.')) attributeTag(p, 'includefield');
            else out.returnTags.add(attributeTag(f, 'includefield'));
          }
          break;
        case 'limit':
          out.limit = uint(value, 'limit');
          break;
        case 'offset':
          out.offset = uint(value, 'offset');
          break;
        case 'fuzzymatching':
          if (value !== 'true' && value !== 'false') throw badRequest('fuzzymatching must be true or false');
          out.fuzzyMatching = value === 'true';
          break;
        case 'accept':
          out.accept = value;
          break;
        case 'charset':
          // PS3.18 8.3.3.2: results are DICOM JSON, always UTF-8 (PS3.18 F.2).
          if (!value.split(',').some((c) => /^utf-?8$/i.test(c.split(';')[0]!.trim()))) {
            throw badRequest(`charset "${value}" is not supported: search results are UTF-8`);
          }
          break;
      }
      continue;
    }
    // PS3.18 8.3.4.1: each attribute at most once.
    if (seen.has(name))
      throw badRequest(`the attribute ${name} is given more than once`, { attribute: name });
    seen.add(name);
    if (name.includes('.')) {
      // A sequence path such as OtherPatientIDsSequence.PatientID: valid, but not indexed.
      for (const p of name.split('.')) attributeTag(p, 'attribute');
      out.notMatched.push(name);
      continue;
    }
    const tag = attributeTag(name, 'attribute');
    // PS3.18 8.3.4.1 rule 3: a comma separates the values of a UID list; DICOM's own separator is "\".
    out.keys[tag] = vrOf(tag) === 'UI' ? value.replace(/,/g, '\\') : value;
    out.returnTags.add(tag);
  }
  return out;
}

/** application/dicom+json (the default, PS3.18 10.6.4), or plain JSON for clients that ask only for that. */
function negotiate(acceptHeader: string | undefined): string {
  for (const range of parseAccept(acceptHeader)) {
    const { multipart, partType } = partTypeOf(range);
    if (!multipart && rangeCovers(range.type, MediaTypes.DicomJson)) return MediaTypes.DicomJson;
    if (range.type === MediaTypes.Json) return MediaTypes.Json;
    if (multipart && partType === MediaTypes.Any) return MediaTypes.DicomJson;
  }
  throw new ProblemError(
    406,
    ErrorCode.NotAcceptable,
    `Confer answers searches in application/dicom+json only (multipart/related application/dicom+xml is not supported); the request accepts "${acceptHeader}"`,
  );
}

interface SearchContext {
  resource: SearchResource;
  base: string;
  search: SearchRequest;
}

/** The result for one match: defaults for the resource, asked-for attributes, RetrieveURL, availability. */
export function searchResult(match: DicomJsonDataset, ctx: SearchContext): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  if (ctx.search.includeAll) {
    for (const [tag, el] of Object.entries(match)) if (!BULK_TAGS.has(tag)) out[tag] = el;
  }
  for (const [tag, presence] of DEFAULTS[ctx.resource]) {
    const el = match[tag];
    if (presence === Presence.Required) out[tag] = el ?? { vr: vrOf(tag) };
    else if (presence === Presence.Computed) {
      // PS3.18 F.2.2: an empty value has no "Value" member at all.
      if (el) out[tag] = el.Value?.length === 0 ? { vr: el.vr } : el;
    }
    // "Shall be present if known": a zero-length value is not knowing it.
    else if (el && (el.Value?.length ?? 0) > 0) out[tag] = el;
  }
  for (const tag of ctx.search.returnTags) {
    const el = match[tag];
    if (el && !BULK_TAGS.has(tag)) out[tag] = el;
    // Matched on but absent: C-FIND answers a matching key with zero length.
    else if (tag in ctx.search.keys && !out[tag]) out[tag] = { vr: vrOf(tag) };
  }
  out[Tag.InstanceAvailability] = { vr: 'CS', Value: ['ONLINE'] };
  out[Tag.RetrieveURL] = { vr: 'UR', Value: [retrieveUrl(match, ctx)] };
  const sorted: DicomJsonDataset = {};
  for (const tag of Object.keys(out).sort()) sorted[tag] = out[tag] as DicomJsonElement;
  return sorted;
}

function uidOf(ds: DicomJsonDataset, tag: string): string {
  const v = ds[tag]?.Value?.[0];
  return typeof v === 'string' ? v : '';
}

function retrieveUrl(match: DicomJsonDataset, ctx: SearchContext): string {
  const study = uidOf(match, Tag.StudyInstanceUID);
  switch (LEVEL[ctx.resource]) {
    case QueryLevel.Study:
      return studyUrl(ctx.base, study);
    case QueryLevel.Series:
      return seriesUrl(ctx.base, study, uidOf(match, Tag.SeriesInstanceUID));
    default:
      return instanceUrl(
        ctx.base,
        study,
        uidOf(match, Tag.SeriesInstanceUID),
        uidOf(match, Tag.SOPInstanceUID),
      );
  }
}

/** RFC 9111 5.5 / PS3.18 8.3.4: a 299 warning naming this server, the text quoted. */
function warning(request: FastifyRequest, text: string): string {
  return `299 ${request.host || 'confer'} "${text.replace(/(["\\])/g, '\\$1')}"`;
}

async function search(
  request: FastifyRequest<{ Params: { study?: string; series?: string } }>,
  reply: FastifyReply,
  deps: AppDeps,
  resource: SearchResource,
): Promise<FastifyReply> {
  const actor = requireActor(request);
  const url = request.url;
  const q = url.indexOf('?');
  const parsed = parseSearch(q < 0 ? '' : url.slice(q + 1));
  const type = negotiate(parsed.accept ?? request.headers.accept);
  const keys = { ...parsed.keys };
  for (const [param, tag, what] of [
    ['study', Tag.StudyInstanceUID, 'Study Instance UID'],
    ['series', Tag.SeriesInstanceUID, 'Series Instance UID'],
  ] as const) {
    const fromPath = request.params[param];
    if (fromPath === undefined) continue;
    const uid = pathUid(fromPath, what);
    const fromQuery = keys[tag];
    if (fromQuery !== undefined && fromQuery !== '' && !fromQuery.split('\\').includes(uid)) {
      throw badRequest(`${keywordOf(tag)} ${fromQuery} in the query contradicts ${uid} in the path`);
    }
    keys[tag] = uid;
  }
  const out = await deps.query.query({
    level: LEVEL[resource],
    keys,
    fuzzyMatching: parsed.fuzzyMatching,
    ...(parsed.limit !== undefined ? { limit: parsed.limit } : {}),
    ...(parsed.offset !== undefined ? { offset: parsed.offset } : {}),
    actor,
    origin: originOf(request, 'dicomweb'),
  });
  const ctx: SearchContext = { resource, base: serviceBase(request), search: parsed };
  const warnings: string[] = [];
  const ignored = [
    ...out.ignoredKeys.map((t) => `${formatTag(t)} ${keywordOf(t) ?? ''}`.trim()),
    ...parsed.notMatched,
  ];
  if (ignored.length > 0) {
    warnings.push(
      warning(request, `The following attributes are not supported for matching: ${ignored.join(', ')}`),
    );
  }
  // PS3.18 8.3.4.4.1: more matches than returned. Confer does not count them, so no number is given.
  if (out.more) warnings.push(warning(request, 'There are additional results that can be requested'));
  if (warnings.length > 0) reply.header('warning', warnings);
  // PS3.18 8.3.4.4.1 asks for 204 when nothing matches; like Orthanc, Confer answers 200 with [] which
  // every client reads, while some treat 204 as an error.
  const body = `[${out.matches.map((m) => JSON.stringify(searchResult(m, ctx))).join(',')}]`;
  return reply.code(200).type(type).send(Buffer.from(body));
}

/** Registers the QIDO-RS search resources (PS3.18 10.6) on a scope mounted at /dicomweb. */
export function registerQido(scope: FastifyInstance, deps: AppDeps): void {
  const route = (path: string, resource: SearchResource) =>
    scope.get(path, (request: FastifyRequest<{ Params: { study?: string; series?: string } }>, reply) =>
      search(request, reply, deps, resource),
    );
  route('/studies', SearchResource.AllStudies);
  route('/studies/:study/series', SearchResource.StudySeries);
  route('/series', SearchResource.AllSeries);
  route('/studies/:study/series/:series/instances', SearchResource.StudySeriesInstances);
  route('/studies/:study/instances', SearchResource.StudyInstances);
  route('/instances', SearchResource.AllInstances);
}
