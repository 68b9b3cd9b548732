// Flattens QIDO-RS datasets into the rows the study and series tables show, and sorts them.

import { readNumber, readPersonName, readString, readStrings } from './dicom-json.ts';
import { Tag } from './dicom-tags.ts';

/** A study as the studies table shows it; raw DICOM values, formatted only at display time. */
export interface StudyRow {
  studyUid: string;
  patientName: string;
  patientId: string;
  /** DA, `YYYYMMDD`, so it sorts as text. */
  studyDate: string;
  /** TM, `HHMMSS.FFFFFF`. */
  studyTime: string;
  modalities: string[];
  description: string;
  accessionNumber: string;
  seriesCount: number | undefined;
  instanceCount: number | undefined;
  /** InstitutionName: the sending site as the modality recorded it. */
  institution: string;
}

/** A series as the series table shows it. */
export interface SeriesRow {
  seriesUid: string;
  seriesNumber: number | undefined;
  modality: string;
  description: string;
  bodyPart: string;
  instanceCount: number | undefined;
}

/** Reads one QIDO-RS study result; missing attributes become blanks, never errors. */
export function toStudyRow(dataset: unknown): StudyRow {
  return {
    studyUid: readString(dataset, Tag.StudyInstanceUID) ?? '',
    patientName: readPersonName(dataset, Tag.PatientName),
    patientId: readString(dataset, Tag.PatientID) ?? '',
    studyDate: readString(dataset, Tag.StudyDate) ?? '',
    studyTime: readString(dataset, Tag.StudyTime) ?? '',
    modalities: readStrings(dataset, Tag.ModalitiesInStudy),
    description: readString(dataset, Tag.StudyDescription) ?? '',
    accessionNumber: readString(dataset, Tag.AccessionNumber) ?? '',
    seriesCount: readNumber(dataset, Tag.NumberOfStudyRelatedSeries),
    instanceCount: readNumber(dataset, Tag.NumberOfStudyRelatedInstances),
    institution: readString(dataset, Tag.InstitutionName) ?? '',
  };
}

/** Reads one QIDO-RS series result. */
export function toSeriesRow(dataset: unknown): SeriesRow {
  return {
    seriesUid: readString(dataset, Tag.SeriesInstanceUID) ?? '',
    seriesNumber: readNumber(dataset, Tag.SeriesNumber),
    modality: readString(dataset, Tag.Modality) ?? '',
    description: readString(dataset, Tag.SeriesDescription) ?? '',
    bodyPart: readString(dataset, Tag.BodyPartExamined) ?? '',
    instanceCount: readNumber(dataset, Tag.NumberOfSeriesRelatedInstances),
  };
}

/** The studies table's sortable columns. */
export const StudySortKey = {
  PatientName: 'patientName',
  PatientId: 'patientId',
  StudyDate: 'studyDate',
  Modalities: 'modalities',
  Description: 'description',
  AccessionNumber: 'accessionNumber',
  SeriesCount: 'seriesCount',
  InstanceCount: 'instanceCount',
  Institution: 'institution',
} as const;

export type StudySortKey = (typeof StudySortKey)[keyof typeof StudySortKey];

export const SortDirection = { Ascending: 'ascending', Descending: 'descending' } as const;
export type SortDirection = (typeof SortDirection)[keyof typeof SortDirection];

export interface StudySort {
  key: StudySortKey;
  direction: SortDirection;
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/**
 * A sorted copy of the rows. Blanks and missing counts always sort last, whatever the direction, so
 * reversing the order never buries the studies that do have a value under the ones that do not. Ties
 * keep their order (Array#sort is stable), so date then time gives a natural worklist order.
 */
export function sortStudies(rows: readonly StudyRow[], sort: StudySort): StudyRow[] {
  const sign = sort.direction === SortDirection.Ascending ? 1 : -1;
  const sortValue = (row: StudyRow): string | number | undefined => {
    switch (sort.key) {
      case StudySortKey.StudyDate:
        return row.studyDate === '' ? undefined : `${row.studyDate}${row.studyTime}`;
      case StudySortKey.Modalities:
        return row.modalities.length === 0 ? undefined : row.modalities.join('\\');
      case StudySortKey.SeriesCount:
        return row.seriesCount;
      case StudySortKey.InstanceCount:
        return row.instanceCount;
      default: {
        const text = row[sort.key];
        return text === '' ? undefined : text;
      }
    }
  };
  return [...rows].sort((a, b) => {
    const left = sortValue(a);
    const right = sortValue(b);
    if (left === undefined || right === undefined) {
      if (left === right) return 0;
      return left === undefined ? 1 : -1;
    }
    const order =
      typeof left === 'number' && typeof right === 'number'
        ? left - right
        : collator.compare(String(left), String(right));
    return order * sign;
  });
}

/** Series in acquisition order by SeriesNumber; unnumbered series last. */
export function sortSeries(rows: readonly SeriesRow[]): SeriesRow[] {
  return [...rows].sort((a, b) => {
    if (a.seriesNumber === undefined || b.seriesNumber === undefined) {
      if (a.seriesNumber === b.seriesNumber) return 0;
      return a.seriesNumber === undefined ? 1 : -1;
    }
    return a.seriesNumber - b.seriesNumber;
  });
}
