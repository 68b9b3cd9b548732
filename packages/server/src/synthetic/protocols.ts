import type { MrWeighting, ProjectionView } from './pixels.ts';

/**
 * Acquisition protocols as data: what each synthetic study contains, series by series. Adding a protocol
 * is adding an entry here; the generator has one renderer per series kind, not per protocol.
 */
export const SyntheticModality = { CT: 'CT', MR: 'MR', CR: 'CR', US: 'US' } as const;
export type SyntheticModality = (typeof SyntheticModality)[keyof typeof SyntheticModality];

export const SopClass = {
  CTImage: '1.2.840.10008.5.1.4.1.1.2',
  MRImage: '1.2.840.10008.5.1.4.1.1.4',
  ComputedRadiographyImage: '1.2.840.10008.5.1.4.1.1.1',
  UltrasoundMultiFrameImage: '1.2.840.10008.5.1.4.1.1.3.1',
  BasicTextSR: '1.2.840.10008.5.1.4.1.1.88.11',
} as const;
export type SopClass = (typeof SopClass)[keyof typeof SopClass];

export interface VoiWindow {
  centre: number;
  width: number;
  explanation: string;
}

export type SeriesProtocol =
  | {
      kind: 'ct-localizer';
      seriesNumber: number;
      description: string;
    }
  | {
      kind: 'ct-axial';
      seriesNumber: number;
      description: string;
      kernel: string;
      noiseSdHu: number;
      windows: VoiWindow[];
    }
  | {
      kind: 'mr-axial';
      seriesNumber: number;
      description: string;
      weighting: MrWeighting;
      scanningSequence: string[];
      sequenceVariant: string[];
      repetitionTimeMs: number;
      echoTimeMs: number;
      inversionTimeMs?: number;
      echoTrainLength: number;
      flipAngleDeg: number;
      window: VoiWindow;
    }
  | {
      kind: 'cr-view';
      seriesNumber: number;
      description: string;
      view: ProjectionView;
      /** DICOM (0018,5101) View Position term */
      viewPosition: string;
      /** (0020,0020) row and column directions */
      patientOrientation: [string, string];
    }
  | {
      kind: 'us-cine';
      seriesNumber: number;
      description: string;
      /** One clip per entry: colour Doppler or B-mode. */
      clips: { colour: boolean }[];
    };

export type SeriesKind = SeriesProtocol['kind'];

export interface StudyProtocol {
  id: string;
  modality: SyntheticModality;
  studyDescription: string;
  bodyPartExamined: string;
  contrast: boolean;
  /** Scan range, superior edge first (mm, the phantom's z). */
  zTopMm: number;
  zBottomMm: number;
  /** Slices of an axial series when the spec does not say. */
  defaultSlices: number;
  /** Display field of view of axial series, mm. */
  fovMm: number;
  /** Centre of that field of view in the phantom's y, mm. */
  fovCentreYMm: number;
  /** Centre of that field of view in the phantom's x, mm; 0 (the midline) when absent. */
  fovCentreXMm?: number;
  /** Why a referrer asks for this: filled into (0040,1002). */
  reasons: string[];
  /**
   * Clinical pathways this protocol is run under, e.g. stroke: the description the order then carries
   * (the protocol a routing rule matches on) and the reasons a referrer gives for it.
   */
  pathways?: Record<string, { studyDescription: string; reasons: string[] }>;
  series: SeriesProtocol[];
}

const softTissue: VoiWindow = { centre: 40, width: 400, explanation: 'SOFT TISSUE' };
const lung: VoiWindow = { centre: -600, width: 1500, explanation: 'LUNG' };
const brain: VoiWindow = { centre: 40, width: 80, explanation: 'BRAIN' };
const bone: VoiWindow = { centre: 600, width: 2800, explanation: 'BONE' };

export const PROTOCOLS: readonly StudyProtocol[] = [
  {
    id: 'ct-head',
    modality: 'CT',
    studyDescription: 'CT HEAD WITHOUT CONTRAST',
    bodyPartExamined: 'HEAD',
    contrast: false,
    zTopMm: 1080,
    zBottomMm: 880,
    defaultSlices: 40,
    fovMm: 250,
    fovCentreYMm: 28,
    reasons: ['Sudden onset headache', 'Fall with head strike on anticoagulation', 'Acute confusion'],
    pathways: {
      stroke: {
        studyDescription: 'CT HEAD STROKE PROTOCOL',
        reasons: [
          'Acute left-sided weakness, last known well 50 minutes ago',
          'Sudden expressive aphasia, onset within 2 hours',
          'Facial droop and right arm drift, thrombolysis candidate',
        ],
      },
    },
    series: [
      { kind: 'ct-localizer', seriesNumber: 1, description: 'Topogram 0.6 T20f' },
      {
        kind: 'ct-axial',
        seriesNumber: 2,
        description: 'Head 5.0 H30s',
        kernel: 'H30s',
        noiseSdHu: 4,
        windows: [brain, bone],
      },
    ],
  },
  {
    id: 'ct-chest',
    modality: 'CT',
    studyDescription: 'CT CHEST WITH CONTRAST',
    bodyPartExamined: 'CHEST',
    contrast: true,
    zTopMm: 750,
    zBottomMm: 445,
    defaultSlices: 100,
    fovMm: 500,
    fovCentreYMm: 40,
    reasons: [
      'Persistent cough and weight loss',
      'Follow-up of pulmonary nodule',
      'Staging, known malignancy',
    ],
    series: [
      { kind: 'ct-localizer', seriesNumber: 1, description: 'Topogram 0.6 T20f' },
      {
        kind: 'ct-axial',
        seriesNumber: 2,
        description: 'Chest 3.0 Br40 soft tissue',
        kernel: 'Br40',
        noiseSdHu: 12,
        windows: [softTissue, lung],
      },
      {
        kind: 'ct-axial',
        seriesNumber: 3,
        description: 'Chest 3.0 Bl57 lung',
        kernel: 'Bl57',
        noiseSdHu: 35,
        windows: [lung, softTissue],
      },
    ],
  },
  {
    id: 'ct-abdomen-pelvis',
    modality: 'CT',
    studyDescription: 'CT ABDOMEN AND PELVIS WITH CONTRAST',
    bodyPartExamined: 'ABDOMEN',
    contrast: true,
    zTopMm: 490,
    zBottomMm: 20,
    defaultSlices: 94,
    fovMm: 500,
    fovCentreYMm: 40,
    reasons: [
      'Right iliac fossa pain, raised CRP',
      'Abdominal pain after fall',
      'Staging, colorectal cancer',
    ],
    series: [
      { kind: 'ct-localizer', seriesNumber: 1, description: 'Topogram 0.6 T20f' },
      {
        kind: 'ct-axial',
        seriesNumber: 2,
        description: 'Abdomen 5.0 Br40 portal venous',
        kernel: 'Br40',
        noiseSdHu: 12,
        windows: [softTissue, { centre: 60, width: 160, explanation: 'LIVER' }],
      },
    ],
  },
  {
    id: 'mr-brain',
    modality: 'MR',
    studyDescription: 'MR BRAIN WITHOUT CONTRAST',
    bodyPartExamined: 'BRAIN',
    contrast: false,
    zTopMm: 1062,
    zBottomMm: 905,
    defaultSlices: 24,
    fovMm: 240,
    fovCentreYMm: 28,
    reasons: ['Recurrent headaches', 'Suspected demyelination', 'Transient visual disturbance'],
    pathways: {
      stroke: {
        studyDescription: 'MR BRAIN STROKE PROTOCOL',
        reasons: ['Wake-up stroke, onset unknown', 'Transient ischaemic attack, query infarct'],
      },
    },
    series: [
      {
        kind: 'mr-axial',
        seriesNumber: 2,
        description: 'AX T1 SE',
        weighting: 'T1',
        scanningSequence: ['SE'],
        sequenceVariant: ['SP'],
        repetitionTimeMs: 550,
        echoTimeMs: 12,
        echoTrainLength: 1,
        flipAngleDeg: 90,
        window: { centre: 900, width: 1800, explanation: 'T1' },
      },
      {
        kind: 'mr-axial',
        seriesNumber: 3,
        description: 'AX T2 TSE',
        weighting: 'T2',
        scanningSequence: ['SE'],
        sequenceVariant: ['SK', 'SP'],
        repetitionTimeMs: 4500,
        echoTimeMs: 98,
        echoTrainLength: 15,
        flipAngleDeg: 150,
        window: { centre: 1400, width: 2800, explanation: 'T2' },
      },
      {
        kind: 'mr-axial',
        seriesNumber: 4,
        description: 'AX FLAIR',
        weighting: 'FLAIR',
        scanningSequence: ['SE', 'IR'],
        sequenceVariant: ['SK', 'SP', 'MP'],
        repetitionTimeMs: 9000,
        echoTimeMs: 120,
        inversionTimeMs: 2500,
        echoTrainLength: 16,
        flipAngleDeg: 150,
        window: { centre: 1100, width: 2200, explanation: 'FLAIR' },
      },
    ],
  },
  {
    id: 'cr-chest-2v',
    modality: 'CR',
    studyDescription: 'XR CHEST PA AND LATERAL',
    bodyPartExamined: 'CHEST',
    contrast: false,
    zTopMm: 800,
    zBottomMm: 390.4,
    defaultSlices: 1,
    fovMm: 409.6,
    fovCentreYMm: 40,
    reasons: ['Shortness of breath', 'Pre-operative assessment', 'Fever and productive cough'],
    series: [
      {
        kind: 'cr-view',
        seriesNumber: 1,
        description: 'Chest PA',
        view: 'PA',
        viewPosition: 'PA',
        patientOrientation: ['L', 'F'],
      },
      {
        kind: 'cr-view',
        seriesNumber: 2,
        description: 'Chest Lateral',
        view: 'LATERAL',
        viewPosition: 'LL',
        patientOrientation: ['P', 'F'],
      },
    ],
  },
  {
    id: 'cr-chest-ap',
    modality: 'CR',
    studyDescription: 'XR CHEST AP PORTABLE',
    bodyPartExamined: 'CHEST',
    contrast: false,
    zTopMm: 800,
    zBottomMm: 390.4,
    defaultSlices: 1,
    fovMm: 409.6,
    fovCentreYMm: 40,
    reasons: ['Line position check', 'Desaturation on ward', 'Post-intubation'],
    series: [
      {
        kind: 'cr-view',
        seriesNumber: 1,
        description: 'Chest AP portable',
        view: 'AP',
        viewPosition: 'AP',
        patientOrientation: ['L', 'F'],
      },
    ],
  },
  {
    id: 'us-abdomen',
    modality: 'US',
    studyDescription: 'US ABDOMEN COMPLETE',
    bodyPartExamined: 'ABDOMEN',
    contrast: false,
    zTopMm: 0,
    zBottomMm: 0,
    defaultSlices: 24,
    fovMm: 0,
    fovCentreYMm: 0,
    reasons: ['Deranged liver function tests', 'Right upper quadrant pain', 'Query gallstones'],
    series: [
      {
        kind: 'us-cine',
        seriesNumber: 1,
        description: 'Abdomen',
        clips: [{ colour: false }, { colour: false }, { colour: true }],
      },
    ],
  },
];

/**
 * Protocols made only when asked for by id, never drawn at random: a new one here leaves every seeded
 * study and cohort exactly as it was, which adding it to PROTOCOLS would not.
 */
export const ON_REQUEST_PROTOCOLS: readonly StudyProtocol[] = [
  {
    // The phantom ends at the upper thighs, so the "knee" images its lowest stations (the right femoral
    // shaft in muscle and fat) through a knee-sized field of view: the headers are a knee MR's, the
    // pixels a stand-in that looks like a limb.
    id: 'mr-knee',
    modality: 'MR',
    studyDescription: 'MR KNEE RIGHT WITHOUT CONTRAST',
    bodyPartExamined: 'KNEE',
    contrast: false,
    zTopMm: 40,
    zBottomMm: 0,
    defaultSlices: 20,
    fovMm: 180,
    fovCentreYMm: 43,
    fovCentreXMm: -102,
    reasons: [
      'Twisting injury, locking, query meniscal tear',
      'Persistent effusion after fall',
      'Instability, query ACL tear',
    ],
    series: [
      {
        kind: 'mr-axial',
        seriesNumber: 2,
        description: 'AX PD TSE',
        // The renderer knows T1, T2 and FLAIR signal; of those, proton density looks most like T1.
        weighting: 'T1',
        scanningSequence: ['SE'],
        sequenceVariant: ['SK', 'SP'],
        repetitionTimeMs: 3200,
        echoTimeMs: 30,
        echoTrainLength: 9,
        flipAngleDeg: 150,
        window: { centre: 1100, width: 2200, explanation: 'PD' },
      },
      {
        kind: 'mr-axial',
        seriesNumber: 3,
        description: 'AX T2 TSE FS',
        weighting: 'T2',
        scanningSequence: ['SE'],
        sequenceVariant: ['SK', 'SP', 'SS'],
        repetitionTimeMs: 4000,
        echoTimeMs: 70,
        echoTrainLength: 12,
        flipAngleDeg: 150,
        window: { centre: 1400, width: 2800, explanation: 'T2' },
      },
    ],
  },
];

/** The protocol with this id (drawable or on request), or an error naming the known ones. */
export function protocolById(id: string): StudyProtocol {
  const p = PROTOCOLS.find((x) => x.id === id) ?? ON_REQUEST_PROTOCOLS.find((x) => x.id === id);
  if (!p)
    throw new RangeError(
      `unknown synthetic protocol "${id}"; known: ${[...PROTOCOLS, ...ON_REQUEST_PROTOCOLS].map((x) => x.id).join(', ')}`,
    );
  return p;
}

export function protocolsFor(modality: SyntheticModality): StudyProtocol[] {
  return PROTOCOLS.filter((p) => p.modality === modality);
}
