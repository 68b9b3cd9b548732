import { can, Permission } from '@confer/core';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DicomJsonDataset, DicomJsonElement } from '../dicom/dicom-json.ts';
import { formatTag, Tag } from '../dicom/tags.ts';
import type { Database } from '../store/schema.ts';
import type { AuditLog } from './audit-log.ts';
import {
  AuditOutcome,
  QueryError,
  QueryErrorCode,
  type QueryInput,
  QueryLevel,
  type QueryOutput,
  type QueryService,
} from './ports.ts';

const Match = {
  Text: 'text',
  PersonName: 'pn',
  Date: 'date',
  Time: 'time',
  Uid: 'uid',
  Integer: 'int',
  Modalities: 'modalities',
} as const;
type Match = (typeof Match)[keyof typeof Match];

interface Column {
  column: string;
  match: Match;
  vr: string;
  /** The lowest level the key is matched at; keys of higher levels restrict the hierarchy. */
  level: QueryLevel;
}

const LEVEL_RANK: Record<QueryLevel, number> = { PATIENT: 0, STUDY: 1, SERIES: 2, IMAGE: 3 };

/** The attributes Confer indexes, per PS3.4 C.6.1.1 / C.6.2.1 key tables, with how each one matches. */
const COLUMNS: Record<string, Column> = {
  [Tag.PatientName]: { column: 'p.patient_name', match: Match.PersonName, vr: 'PN', level: 'PATIENT' },
  [Tag.PatientID]: { column: 'p.patient_id', match: Match.Text, vr: 'LO', level: 'PATIENT' },
  [Tag.IssuerOfPatientID]: { column: 'p.issuer', match: Match.Text, vr: 'LO', level: 'PATIENT' },
  [Tag.PatientBirthDate]: { column: 'p.birth_date', match: Match.Date, vr: 'DA', level: 'PATIENT' },
  [Tag.PatientSex]: { column: 'p.sex', match: Match.Text, vr: 'CS', level: 'PATIENT' },
  [Tag.StudyInstanceUID]: { column: 's.study_uid', match: Match.Uid, vr: 'UI', level: 'STUDY' },
  [Tag.StudyDate]: { column: 's.study_date', match: Match.Date, vr: 'DA', level: 'STUDY' },
  [Tag.StudyTime]: { column: 's.study_time', match: Match.Time, vr: 'TM', level: 'STUDY' },
  [Tag.AccessionNumber]: { column: 's.accession_number', match: Match.Text, vr: 'SH', level: 'STUDY' },
  [Tag.StudyID]: { column: 's.study_id', match: Match.Text, vr: 'SH', level: 'STUDY' },
  [Tag.StudyDescription]: { column: 's.description', match: Match.Text, vr: 'LO', level: 'STUDY' },
  [Tag.ReferringPhysicianName]: {
    column: 's.referring_physician',
    match: Match.PersonName,
    vr: 'PN',
    level: 'STUDY',
  },
  [Tag.ModalitiesInStudy]: { column: 's.id', match: Match.Modalities, vr: 'CS', level: 'STUDY' },
  [Tag.SeriesInstanceUID]: { column: 'se.series_uid', match: Match.Uid, vr: 'UI', level: 'SERIES' },
  [Tag.Modality]: { column: 'se.modality', match: Match.Text, vr: 'CS', level: 'SERIES' },
  [Tag.SeriesNumber]: { column: 'se.series_number', match: Match.Integer, vr: 'IS', level: 'SERIES' },
  [Tag.SeriesDescription]: { column: 'se.description', match: Match.Text, vr: 'LO', level: 'SERIES' },
  [Tag.BodyPartExamined]: { column: 'se.body_part', match: Match.Text, vr: 'CS', level: 'SERIES' },
  [Tag.SeriesDate]: { column: 'se.series_date', match: Match.Date, vr: 'DA', level: 'SERIES' },
  [Tag.SeriesTime]: { column: 'se.series_time', match: Match.Time, vr: 'TM', level: 'SERIES' },
  [Tag.SOPInstanceUID]: { column: 'i.sop_instance_uid', match: Match.Uid, vr: 'UI', level: 'IMAGE' },
  [Tag.SOPClassUID]: { column: 'i.sop_class_uid', match: Match.Uid, vr: 'UI', level: 'IMAGE' },
  [Tag.InstanceNumber]: { column: 'i.instance_number', match: Match.Integer, vr: 'IS', level: 'IMAGE' },
};

/** Keys that describe the query itself, or are computed, and are never matching keys. */
const NOT_MATCHED = new Set<string>([
  Tag.QueryRetrieveLevel,
  Tag.SpecificCharacterSet,
  Tag.RetrieveAETitle,
  Tag.InstanceAvailability,
  Tag.RetrieveURL,
  Tag.TimezoneOffsetFromUTC,
  Tag.NumberOfStudyRelatedSeries,
  Tag.NumberOfStudyRelatedInstances,
  Tag.NumberOfSeriesRelatedInstances,
  Tag.NumberOfPatientRelatedStudies,
  Tag.NumberOfPatientRelatedSeries,
  Tag.NumberOfPatientRelatedInstances,
  Tag.SOPClassesInStudy,
]);

export interface QueryOptions {
  /** Person names match case-insensitively (as Orthanc's default, and as most users expect). */
  caseSensitivePersonNames: boolean;
  maxResults: number;
}

export class ArchiveQueryService implements QueryService {
  private readonly db: Kysely<Database>;
  private readonly audit: AuditLog;
  private readonly options: QueryOptions;

  constructor(deps: { db: Kysely<Database>; audit: AuditLog; options?: Partial<QueryOptions> }) {
    this.db = deps.db;
    this.audit = deps.audit;
    this.options = { caseSensitivePersonNames: false, maxResults: 5000, ...deps.options };
  }

  async query(input: QueryInput): Promise<QueryOutput> {
    const auditBase = {
      actor: { kind: input.actor.kind, id: input.actor.id, name: input.actor.name },
      origin: input.origin,
    };
    const matchingTags = Object.entries(input.keys)
      .filter(([, v]) => v !== '')
      .map(([t]) => t);
    const studyUid = input.keys[Tag.StudyInstanceUID] || null;
    const patientId = input.keys[Tag.PatientID] || null;
    const describe = `${input.level} query on ${matchingTags.map(formatTag).join(' ') || 'no keys'}`;
    if (!can(input.actor.roles, Permission.ArchiveRead)) {
      await this.audit.record({
        ...auditBase,
        action: 'query',
        outcome: AuditOutcome.Denied,
        studyUid,
        patientId,
        detail: describe,
      });
      throw new QueryError(QueryErrorCode.Forbidden, `${input.actor.name} may not query this archive`);
    }
    const { where, ignoredKeys } = this.conditions(input);
    const limit = Math.min(input.limit ?? this.options.maxResults, this.options.maxResults);
    const offset = input.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 0 || !Number.isInteger(offset) || offset < 0) {
      throw new QueryError(QueryErrorCode.InvalidKey, 'limit and offset must be non-negative integers');
    }
    const whereSql = where.length > 0 ? sql`where ${sql.join(where, sql` and `)}` : sql``;
    let rows: Record<string, unknown>[];
    try {
      rows = (await this.select(input.level, whereSql, limit + 1, offset).execute(this.db)).rows as Record<
        string,
        unknown
      >[];
    } catch (err) {
      throw new QueryError(
        QueryErrorCode.StorageUnavailable,
        `the index database is unavailable: ${(err as Error).message}`,
      );
    }
    const more = rows.length > limit;
    const matches = rows.slice(0, limit).map((r) => this.toDataset(input.level, r));
    await this.audit.record({
      ...auditBase,
      action: 'query',
      outcome: AuditOutcome.Success,
      studyUid,
      patientId,
      detail: `${describe}: ${matches.length}${more ? '+' : ''} matches`,
    });
    return { matches, more, ignoredKeys };
  }

  private conditions(input: QueryInput): { where: RawBuilder<unknown>[]; ignoredKeys: string[] } {
    const where: RawBuilder<unknown>[] = [];
    const ignoredKeys: string[] = [];
    for (const [tag, raw] of Object.entries(input.keys)) {
      if (raw === '' || NOT_MATCHED.has(tag)) continue;
      const col = COLUMNS[tag];
      if (!col || LEVEL_RANK[col.level] > LEVEL_RANK[input.level]) {
        ignoredKeys.push(tag);
        continue;
      }
      where.push(this.condition(tag, col, raw, input.fuzzyMatching ?? false));
    }
    return { where, ignoredKeys };
  }

  private condition(tag: string, col: Column, raw: string, fuzzy: boolean): RawBuilder<unknown> {
    const ref = sql.ref(col.column);
    const value = raw.trim();
    const invalid = (why: string) =>
      new QueryError(QueryErrorCode.InvalidKey, `${formatTag(tag)} ${why}`, tag);
    switch (col.match) {
      case Match.Uid: {
        // PS3.4 C.2.2.2.2: a list of UIDs matches any of them.
        const uids = value
          .split(/[\\,]/)
          .map((u) => u.trim())
          .filter(Boolean);
        if (uids.some((u) => !/^[0-9.]+$/.test(u)))
          throw invalid(`"${value}" is not a UID or a list of UIDs`);
        return uids.length === 1 ? sql`${ref} = ${uids[0]}` : sql`${ref} in (${sql.join(uids)})`;
      }
      case Match.Date:
      case Match.Time:
        return rangeOrSingle(ref, value, col.match, invalid);
      case Match.Integer: {
        if (!/^[+-]?\d+$/.test(value)) throw invalid(`"${value}" is not an integer`);
        return sql`${ref} = ${Number(value)}`;
      }
      case Match.Modalities: {
        const mods = value
          .split(/[\\,]/)
          .map((m) => m.trim())
          .filter(Boolean);
        return sql`exists (select 1 from series mx where mx.study_fk = s.id and mx.modality in (${sql.join(mods)}))`;
      }
      case Match.PersonName: {
        const insensitive = fuzzy || !this.options.caseSensitivePersonNames;
        const target = insensitive ? sql`lower(${ref})` : ref;
        const v = insensitive ? value.toLowerCase() : value;
        if (fuzzy && !/[*?]/.test(v)) {
          // Fuzzy: each name component may start with the value (family or given name).
          const esc = escapeLike(v);
          return sql`(${target} like ${`${esc}%`} escape '\\' or ${target} like ${`%^${esc}%`} escape '\\' or ${target} like ${`% ${esc}%`} escape '\\')`;
        }
        return textMatch(target, v);
      }
      default:
        return textMatch(ref, value);
    }
  }

  private select(level: QueryLevel, whereSql: RawBuilder<unknown>, limit: number, offset: number) {
    const page = sql`limit ${limit} offset ${offset}`;
    switch (level) {
      case QueryLevel.Patient:
        return sql`select p.*,
            (select count(*) from studies x where x.patient_fk = p.id) as n_studies,
            (select coalesce(sum(x.num_series), 0) from studies x where x.patient_fk = p.id) as n_series,
            (select coalesce(sum(x.num_instances), 0) from studies x where x.patient_fk = p.id) as n_instances
          from patients p ${whereSql} order by p.id ${page}`;
      case QueryLevel.Study:
        return sql`select p.patient_id, p.issuer, p.patient_name, p.birth_date, p.sex, s.*
          from studies s join patients p on p.id = s.patient_fk ${whereSql}
          order by s.study_date desc, s.study_time desc, s.id desc ${page}`;
      case QueryLevel.Series:
        return sql`select p.patient_id, p.issuer, p.patient_name, p.birth_date, p.sex,
            s.study_uid, s.attributes_json as study_json, se.*
          from series se join studies s on s.id = se.study_fk join patients p on p.id = s.patient_fk ${whereSql}
          order by s.id, se.series_number, se.id ${page}`;
      case QueryLevel.Image:
        return sql`select s.study_uid, se.series_uid, i.sop_instance_uid, i.metadata_json
          from instances i join series se on se.id = i.series_fk join studies s on s.id = se.study_fk
            join patients p on p.id = s.patient_fk ${whereSql}
          order by se.id, i.instance_number, i.id ${page}`;
    }
  }

  private toDataset(level: QueryLevel, r: Record<string, unknown>): DicomJsonDataset {
    if (level === QueryLevel.Image) return JSON.parse(String(r.metadata_json)) as DicomJsonDataset;
    const ds: DicomJsonDataset = {};
    const put = (tag: string, vr: string, value: unknown) => {
      ds[tag] = element(vr, value);
    };
    if (level === QueryLevel.Study) Object.assign(ds, JSON.parse(String(r.attributes_json)));
    if (level === QueryLevel.Series) {
      Object.assign(ds, JSON.parse(String(r.study_json)), JSON.parse(String(r.attributes_json)));
    }
    put(Tag.PatientName, 'PN', r.patient_name);
    put(Tag.PatientID, 'LO', r.patient_id);
    if (r.issuer) put(Tag.IssuerOfPatientID, 'LO', r.issuer);
    put(Tag.PatientBirthDate, 'DA', r.birth_date);
    put(Tag.PatientSex, 'CS', r.sex);
    if (level === QueryLevel.Patient) {
      put(Tag.NumberOfPatientRelatedStudies, 'IS', Number(r.n_studies));
      put(Tag.NumberOfPatientRelatedSeries, 'IS', Number(r.n_series));
      put(Tag.NumberOfPatientRelatedInstances, 'IS', Number(r.n_instances));
      return ds;
    }
    put(Tag.StudyInstanceUID, 'UI', r.study_uid);
    if (level === QueryLevel.Study) {
      put(Tag.StudyDate, 'DA', r.study_date);
      put(Tag.StudyTime, 'TM', r.study_time);
      put(Tag.AccessionNumber, 'SH', r.accession_number);
      put(Tag.StudyID, 'SH', r.study_id);
      put(Tag.StudyDescription, 'LO', r.description);
      put(Tag.ReferringPhysicianName, 'PN', r.referring_physician);
      if (r.institution_name) put(Tag.InstitutionName, 'LO', r.institution_name);
      ds[Tag.ModalitiesInStudy] = { vr: 'CS', Value: String(r.modalities).split('\\').filter(Boolean) };
      ds[Tag.SOPClassesInStudy] = { vr: 'UI', Value: String(r.sop_classes).split('\\').filter(Boolean) };
      put(Tag.NumberOfStudyRelatedSeries, 'IS', Number(r.num_series));
      put(Tag.NumberOfStudyRelatedInstances, 'IS', Number(r.num_instances));
      return ds;
    }
    put(Tag.SeriesInstanceUID, 'UI', r.series_uid);
    put(Tag.Modality, 'CS', r.modality);
    put(Tag.SeriesNumber, 'IS', r.series_number === null ? null : Number(r.series_number));
    put(Tag.SeriesDescription, 'LO', r.description);
    put(Tag.BodyPartExamined, 'CS', r.body_part);
    put(Tag.NumberOfSeriesRelatedInstances, 'IS', Number(r.num_instances));
    return ds;
  }
}

function element(vr: string, value: unknown): DicomJsonElement {
  if (value === null || value === undefined || value === '') return { vr };
  if (vr === 'PN') return { vr, Value: [{ Alphabetic: String(value) }] };
  return { vr, Value: [value as string | number] };
}

function escapeLike(v: string): string {
  return v.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** PS3.4 C.2.2.2.4: '*' matches any run of characters and '?' one character; otherwise an exact match. */
function textMatch(
  target: RawBuilder<unknown> | ReturnType<typeof sql.ref>,
  value: string,
): RawBuilder<unknown> {
  if (!/[*?]/.test(value)) return sql`${target} = ${value}`;
  if (value === '*') return sql`1 = 1`;
  const pattern = escapeLike(value).replace(/\*/g, '%').replace(/\?/g, '_');
  return sql`${target} like ${pattern} escape '\\'`;
}

/** PS3.4 C.2.2.2.5: "A-B", "A-" and "-B" are inclusive ranges; anything else matches one value. */
function rangeOrSingle(
  ref: ReturnType<typeof sql.ref>,
  value: string,
  kind: 'date' | 'time',
  invalid: (why: string) => QueryError,
): RawBuilder<unknown> {
  const valid = kind === 'date' ? /^\d{8}$/ : /^\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?$/;
  const what =
    kind === 'date' ? 'a date (YYYYMMDD) or a date range' : 'a time (HHMMSS.FFFFFF) or a time range';
  const check = (v: string) => {
    const clean = kind === 'date' ? v.replace(/-/g, '') : v.replace(/:/g, '');
    if (!valid.test(clean)) throw invalid(`"${value}" is not ${what}`);
    return clean;
  };
  // Accept the ISO forms (2024-01-31) that QIDO clients send as well as DICOM's own.
  const isoDate = /^\d{4}-\d{2}-\d{2}$/;
  if (kind === 'date' && isoDate.test(value)) return sql`${ref} = ${check(value)}`;
  const parts =
    kind === 'date' && /^\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}$/.test(value)
      ? [value.slice(0, 10), value.slice(11)]
      : value.split('-');
  if (parts.length === 1) return sql`${ref} = ${check(value)}`;
  if (parts.length !== 2) throw invalid(`"${value}" is not ${what}`);
  const [from, to] = parts as [string, string];
  if (from === '' && to === '') throw invalid('has an empty range');
  const conds: RawBuilder<unknown>[] = [];
  if (from !== '') conds.push(sql`${ref} >= ${check(from)}`);
  if (to !== '') {
    const upper = check(to);
    // A time bound "1200" covers 12:00:00.999999 as well.
    conds.push(kind === 'time' ? sql`${ref} <= ${`${upper}~`}` : sql`${ref} <= ${upper}`);
  }
  return sql`(${sql.join(conds, sql` and `)})`;
}
