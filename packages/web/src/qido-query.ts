// Turns what a user types into the study filter into QIDO-RS query parameters (PS3.18 10.6).
// Pure functions so the mapping is unit-tested without a browser or a server.

/** The study filter as the form holds it. Dates are `YYYY-MM-DD`, as `<input type="date">` yields. */
export interface StudyFilters {
  patientName: string;
  patientId: string;
  accessionNumber: string;
  modality: string;
  dateFrom: string;
  dateTo: string;
}

export const emptyStudyFilters: StudyFilters = {
  patientName: '',
  patientId: '',
  accessionNumber: '',
  modality: '',
  dateFrom: '',
  dateTo: '',
};

/** One page of a QIDO search. */
export interface PageRequest {
  limit: number;
  offset: number;
}

/**
 * QIDO-RS parameters for a study search. Blank filters are left out rather than sent empty: an empty
 * key is universal matching anyway (PS3.4 C.2.2.2.3), and a short query string is easier to read in the
 * server's logs when someone asks why a study did not show up.
 */
export function buildStudySearchParams(filters: StudyFilters, page: PageRequest): URLSearchParams {
  const params = new URLSearchParams();
  const patientName = patientNameQuery(filters.patientName);
  if (patientName !== '') params.set('PatientName', patientName);
  if (filters.patientId.trim() !== '') params.set('PatientID', filters.patientId.trim());
  if (filters.accessionNumber.trim() !== '') params.set('AccessionNumber', filters.accessionNumber.trim());
  if (filters.modality !== '') params.set('ModalitiesInStudy', filters.modality);
  const studyDate = studyDateRange(filters.dateFrom, filters.dateTo);
  if (studyDate !== undefined) params.set('StudyDate', studyDate);
  params.set('limit', String(page.limit));
  params.set('offset', String(page.offset));
  // includefield=all asks for InstitutionName and the related-series/instance counts, which are not in
  // the default QIDO study return set (PS3.18 table 10.6.3-3).
  params.set('includefield', 'all');
  return params;
}

/**
 * The PatientName matching key for what a user typed. The table shows names as "Family, Given", so a
 * comma is read as the PN component separator `^`; and a trailing `*` makes a partial name match by
 * prefix, since PN matching is otherwise exact (PS3.4 C.2.2.2.4). A user who writes their own `*` or `?`
 * gets exactly what they wrote.
 */
export function patientNameQuery(typed: string): string {
  let name = typed.trim();
  if (name === '') return '';
  if (name.includes(',') && !name.includes('^')) name = name.replace(/\s*,\s*/g, '^');
  if (!/[*?]/.test(name)) name = `${name}*`;
  return name;
}

/**
 * A DA range matching key (PS3.4 C.2.2.2.5.1): `from-to`, or open-ended `from-` / `-to`; `undefined`
 * when neither end is set.
 */
export function studyDateRange(dateFrom: string, dateTo: string): string | undefined {
  const from = toDicomDate(dateFrom);
  const to = toDicomDate(dateTo);
  if (from === '' && to === '') return undefined;
  if (from === to) return from;
  return `${from}-${to}`;
}

/** `YYYY-MM-DD` to DA `YYYYMMDD`; anything else to ''. */
export function toDicomDate(isoDate: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate.trim());
  return match ? `${match[1]}${match[2]}${match[3]}` : '';
}

/** Why the filters cannot be searched, in words for the user, or `undefined` when they can. */
export function studyFiltersProblem(filters: StudyFilters): string | undefined {
  if (filters.dateFrom !== '' && toDicomDate(filters.dateFrom) === '')
    return 'The "from" date is not a valid date.';
  if (filters.dateTo !== '' && toDicomDate(filters.dateTo) === '')
    return 'The "to" date is not a valid date.';
  if (filters.dateFrom !== '' && filters.dateTo !== '' && filters.dateFrom > filters.dateTo) {
    return 'The "from" date is after the "to" date.';
  }
  return undefined;
}

/** Quick date ranges offered beside the date inputs. */
export const DatePreset = {
  Today: 'today',
  Last7Days: 'last-7-days',
  Last30Days: 'last-30-days',
  AnyDate: 'any-date',
} as const;

export type DatePreset = (typeof DatePreset)[keyof typeof DatePreset];

/**
 * The date range for a preset, as calendar dates in the viewer's own zone: a study date is the
 * modality's wall-clock date, which for a reading room is (nearly always) the viewer's too.
 */
export function datePresetRange(preset: DatePreset, now: Date): { dateFrom: string; dateTo: string } {
  const today = isoLocalDate(now);
  const daysBack = (days: number) => {
    const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() - days);
    return isoLocalDate(start);
  };
  switch (preset) {
    case DatePreset.Today:
      return { dateFrom: today, dateTo: today };
    case DatePreset.Last7Days:
      return { dateFrom: daysBack(6), dateTo: today };
    case DatePreset.Last30Days:
      return { dateFrom: daysBack(29), dateTo: today };
    case DatePreset.AnyDate:
      return { dateFrom: '', dateTo: '' };
  }
}

/**
 * Splits a response fetched with one row more than the page size: that extra row only tells us a next
 * page exists, since QIDO-RS has no standard total count.
 */
export function takePage<T>(rows: readonly T[], pageSize: number): { rows: T[]; hasMore: boolean } {
  return { rows: rows.slice(0, pageSize), hasMore: rows.length > pageSize };
}

function isoLocalDate(date: Date): string {
  const year = String(date.getFullYear()).padStart(4, '0');
  const month = String(date.getMonth() + 1).padStart(2, '0');
  const day = String(date.getDate()).padStart(2, '0');
  return `${year}-${month}-${day}`;
}
