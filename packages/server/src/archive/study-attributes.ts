import type { DicomJsonDataset } from '../dicom/dicom-json.ts';
import { Tag } from '../dicom/tags.ts';

/** Attributes kept at study level (Patient and General Study modules, PS3.3 C.7.1.1 and C.7.2.1). */
const STUDY_LEVEL = new Set<string>([
  Tag.SpecificCharacterSet,
  Tag.StudyDate,
  Tag.StudyTime,
  Tag.AccessionNumber,
  Tag.IssuerOfAccessionNumberSequence,
  Tag.ReferringPhysicianName,
  Tag.TimezoneOffsetFromUTC,
  Tag.StudyDescription,
  Tag.StudyInstanceUID,
  Tag.StudyID,
  Tag.RequestedProcedureDescription,
  '00081032', // ProcedureCodeSequence
  '00081060', // NameOfPhysiciansReadingStudy
  '00321032', // RequestingPhysician
  '00321033', // RequestingService
  '00401001', // RequestedProcedureID
]);

/** Attributes kept at series level (General Series and General Equipment modules). */
const SERIES_LEVEL = new Set<string>([
  Tag.SpecificCharacterSet,
  Tag.Modality,
  Tag.SeriesInstanceUID,
  Tag.SeriesNumber,
  Tag.SeriesDescription,
  Tag.SeriesDate,
  Tag.SeriesTime,
  Tag.BodyPartExamined,
  Tag.Manufacturer,
  Tag.InstitutionName,
  Tag.StationName,
  Tag.RequestAttributesSequence,
  '00200060', // Laterality
  '00185100', // PatientPosition
  '00081090', // ManufacturerModelName
  '00400244', // PerformedProcedureStepStartDate
  '00400245', // PerformedProcedureStepStartTime
  '00400254', // PerformedProcedureStepDescription
]);

function pick(ds: DicomJsonDataset, keep: (tag: string) => boolean): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const [tag, el] of Object.entries(ds)) if (keep(tag)) out[tag] = el;
  return out;
}

export function studyLevelAttributes(ds: DicomJsonDataset): DicomJsonDataset {
  return pick(ds, (t) => t.startsWith('0010') || STUDY_LEVEL.has(t));
}

export function seriesLevelAttributes(ds: DicomJsonDataset): DicomJsonDataset {
  return pick(ds, (t) => SERIES_LEVEL.has(t));
}
