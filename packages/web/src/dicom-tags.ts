/**
 * The DICOM attributes the browser reads, keyed as DICOM JSON keys them: eight upper-case hex digits,
 * group then element (PS3.18 F.2.1.1). Names are the standard's keywords (PS3.6 section 6).
 */
export const Tag = {
  // Patient
  PatientName: '00100010',
  PatientID: '00100020',
  PatientBirthDate: '00100030',
  PatientSex: '00100040',
  // Study
  StudyInstanceUID: '0020000D',
  StudyDate: '00080020',
  StudyTime: '00080030',
  AccessionNumber: '00080050',
  ModalitiesInStudy: '00080061',
  InstitutionName: '00080080',
  ReferringPhysicianName: '00080090',
  StudyDescription: '00081030',
  StudyID: '00200010',
  NumberOfStudyRelatedSeries: '00201206',
  NumberOfStudyRelatedInstances: '00201208',
  // Series
  SeriesInstanceUID: '0020000E',
  Modality: '00080060',
  SeriesDescription: '0008103E',
  SeriesNumber: '00200011',
  BodyPartExamined: '00180015',
  NumberOfSeriesRelatedInstances: '00201209',
} as const;

export type Tag = (typeof Tag)[keyof typeof Tag];
