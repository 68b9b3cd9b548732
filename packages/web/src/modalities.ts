/**
 * Modalities offered in the study filter: the common acquisition types from PS3.3 C.7.3.1.1.1 (Defined
 * Terms for Modality). A const object rather than an enum so it survives type stripping.
 */
export const Modality = {
  CT: 'CT',
  MR: 'MR',
  CR: 'CR',
  DX: 'DX',
  MG: 'MG',
  US: 'US',
  NM: 'NM',
  PT: 'PT',
  XA: 'XA',
  RF: 'RF',
  OT: 'OT',
  SR: 'SR',
} as const;

export type Modality = (typeof Modality)[keyof typeof Modality];

/** What each modality code means, for the filter's option labels. */
export const modalityLabels: Record<Modality, string> = {
  CT: 'Computed tomography',
  MR: 'Magnetic resonance',
  CR: 'Computed radiography',
  DX: 'Digital radiography',
  MG: 'Mammography',
  US: 'Ultrasound',
  NM: 'Nuclear medicine',
  PT: 'PET',
  XA: 'X-ray angiography',
  RF: 'Radio fluoroscopy',
  OT: 'Other',
  SR: 'Structured report',
};
