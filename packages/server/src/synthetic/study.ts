import { encodeDataset, type WritableDataset } from '../dicom/dataset-writer.ts';
import type { PersonName } from '../dicom/dicom-json.ts';
import { buildPart10Header } from '../dicom/part10.ts';
import { TransferSyntax } from '../dicom/transfer-syntax.ts';
import { type BuilderValue, put, putAll } from './dataset-builder.ts';
import { localDicomTime, patientAge } from './local-time.ts';
import { generatePatient, physicianName, type SyntheticPatient, syntheticName } from './patients.ts';
import type { Sphere } from './phantom.ts';
import {
  axialGeometry,
  littleEndianBytes,
  renderCtSlice,
  renderMrSlice,
  renderProjection,
  renderUltrasound,
} from './pixels.ts';
import { Rng } from './prng.ts';
import {
  PROTOCOLS,
  protocolById,
  protocolsFor,
  type SeriesProtocol,
  SopClass,
  type StudyProtocol,
  type SyntheticModality,
} from './protocols.ts';
import { buildReport } from './report.ts';
import type { SyntheticSite } from './sites.ts';

/** What to generate. Everything not given is drawn from the Rng passed alongside. */
export interface StudySpec {
  site: SyntheticSite;
  /** When the study was acquired (UTC instant); DICOM dates and times are written in the site's zone. */
  studyDateTime: Date;
  /** A protocol id from PROTOCOLS ('ct-chest', 'mr-brain', ...); else one is picked for `modality`. */
  protocol?: string;
  /** Used when `protocol` is absent; when both are absent, any protocol. */
  modality?: SyntheticModality;
  /** The same patient across studies makes priors; absent, a new patient of the site is made up. */
  patient?: SyntheticPatient;
  accessionNumber?: string;
  /** Slices per axial CT or MR series (default: the protocol's). */
  slices?: number;
  /** Frames per ultrasound clip (default 24). */
  usFrames?: number;
  /** 8x8 pixels (and 2 ultrasound frames) with the full header: about 2 KB a file, for protocol overhead. */
  tiny?: boolean;
  /**
   * Demo-sized: CT 256x256 with at most 20 slices (unless `slices` says), MR 128x128, CR 512x512, US
   * 320x240 clips of 12 frames. Real-looking in a viewer, quick to send. `tiny` wins when both are set.
   */
  small?: boolean;
  /** (0040,1003) Requested Procedure Priority. Absent, none is written, as from most modalities. */
  priority?: ProcedurePriority;
  /**
   * A clinical pathway of the protocol (see StudyProtocol.pathways), e.g. 'stroke' for 'ct-head': the
   * study and requested procedure descriptions then name the pathway's protocol, and the reason fits it.
   */
  pathway?: string;
  /** Add a Basic Text SR preliminary report that describes the study's synthetic findings. */
  report?: boolean;
  /** Explicit (default) or implicit VR little endian. */
  transferSyntaxUid?: string;
}

/** (0040,1003) Requested Procedure Priority values (PS3.3 C.4.11). */
export const ProcedurePriority = {
  Stat: 'STAT',
  High: 'HIGH',
  Routine: 'ROUTINE',
  Medium: 'MEDIUM',
  Low: 'LOW',
} as const;
export type ProcedurePriority = (typeof ProcedurePriority)[keyof typeof ProcedurePriority];

/** One generated file. */
export interface SyntheticInstance {
  sopClassUid: string;
  sopInstanceUid: string;
  seriesUid: string;
  studyUid: string;
  transferSyntaxUid: string;
  modality: string;
  seriesNumber: number;
  instanceNumber: number;
  /** Preamble, file meta and data set: a complete Part 10 file. */
  part10: Buffer;
}

export interface SyntheticSeries {
  seriesUid: string;
  seriesNumber: number;
  modality: string;
  description: string;
  sopClassUid: string;
  instanceCount: number;
  /** When the series started (UTC instant). */
  startedAt: Date;
}

/** A lesion the phantom carries, and how a report would word it. */
export interface SyntheticFinding {
  sphere: Sphere;
  description: string;
}

/**
 * A planned study: every attribute a worklist or query needs, cheap to hold by the thousand. Pixel data
 * is made only when `instances()` is iterated, one instance at a time.
 */
export interface SyntheticStudy {
  studyUid: string;
  accessionNumber: string;
  studyId: string;
  protocolId: string;
  studyDescription: string;
  bodyPartExamined: string;
  site: SyntheticSite;
  patient: SyntheticPatient;
  referringPhysicianName: PersonName;
  reasonForStudy: string;
  studyDateTime: Date;
  /** DA, TM and offset as written into the files (site-local). */
  studyDate: string;
  studyTime: string;
  timezoneOffsetFromUtc: string;
  /** (0008,0061): the distinct modalities of `series`, in series order. */
  modalitiesInStudy: string[];
  sopClassesInStudy: string[];
  series: SyntheticSeries[];
  instanceCount: number;
  findings: SyntheticFinding[];
  transferSyntaxUid: string;
  tiny: boolean;
  /** Demo-sized pixels (StudySpec.small) and not tiny. */
  small: boolean;
  /** (0040,1003) as written; absent when none is. */
  priority?: ProcedurePriority;
  /** The pathway the study was made for, when one was asked for. */
  pathway?: string;
  /** Generates the study's files lazily, in series then instance order; each call starts afresh. */
  instances(): Generator<SyntheticInstance, void, undefined>;
}

const MODEL_NAMES: Record<SyntheticModality, string> = {
  CT: 'Synthetic CT 64',
  MR: 'Synthetic MR 1.5T',
  CR: 'Synthetic CR Reader',
  US: 'Synthetic US C5-1',
};

const SERIES_GAP_MS = 4 * 60_000;
const REPORT_DELAY_MS = 95 * 60_000;
const REPORT_SERIES_NUMBER = 999;
const CT_RESCALE_INTERCEPT = -1024;
/** Axial slices of a small study when the spec does not say. */
const SMALL_MAX_SLICES = 20;

/** A dimension for the study's size: 8 when tiny, `small` when small, else `full`. */
function px(plan: StudyPlan, full: number, small: number): number {
  return plan.tiny ? 8 : plan.small ? small : full;
}

interface SeriesPlan {
  index: number;
  protocol: SeriesProtocol | { kind: 'sr-report'; seriesNumber: number; description: string };
  series: SyntheticSeries;
}

interface StudyPlan extends Omit<SyntheticStudy, 'instances'> {
  protocol: StudyProtocol;
  rng: Rng;
  frameOfReferenceUid: string;
  operatorName: PersonName;
  deviceSerialNumber: string;
  slices: number;
  usFrames: number;
  plans: SeriesPlan[];
}

function instanceCountOf(p: SeriesPlan['protocol'], slices: number): number {
  switch (p.kind) {
    case 'ct-axial':
    case 'mr-axial':
      return slices;
    case 'us-cine':
      return p.clips.length;
    default:
      return 1;
  }
}

function sopClassOf(p: SeriesPlan['protocol']): string {
  switch (p.kind) {
    case 'ct-localizer':
    case 'ct-axial':
      return SopClass.CTImage;
    case 'mr-axial':
      return SopClass.MRImage;
    case 'cr-view':
      return SopClass.ComputedRadiographyImage;
    case 'us-cine':
      return SopClass.UltrasoundMultiFrameImage;
    case 'sr-report':
      return SopClass.BasicTextSR;
  }
}

/** Lesions a protocol's phantom may carry, with the words a report would use. */
function drawFindings(protocol: StudyProtocol, rng: Rng): SyntheticFinding[] {
  const out: SyntheticFinding[] = [];
  if (protocol.id === 'ct-chest' || protocol.modality === 'CR') {
    if (rng.chance(0.5)) {
      const side = rng.chance(0.5) ? -1 : 1;
      const z = rng.range(540, 700);
      const radiusMm = rng.range(4, 11);
      const sphere = { x: side * rng.range(55, 90), y: rng.range(0, 70), z, radiusMm };
      const size = Math.round(radiusMm * 2);
      out.push({
        sphere,
        description: `${size} mm solid nodule in the ${side < 0 ? 'right' : 'left'} ${z > 620 ? 'upper' : 'lower'} lobe.`,
      });
    }
  } else if (protocol.id === 'ct-abdomen-pelvis') {
    if (rng.chance(0.5)) {
      const radiusMm = rng.range(6, 16);
      const sphere = { x: rng.range(-85, -35), y: rng.range(10, 55), z: rng.range(380, 440), radiusMm };
      out.push({
        sphere,
        description: `${Math.round(radiusMm * 2)} mm hypoattenuating lesion in the right lobe of the liver.`,
      });
    }
  } else if (protocol.id === 'mr-brain') {
    const count = rng.weighted([
      [0, 0.5],
      [2, 0.2],
      [4, 0.2],
      [7, 0.1],
    ]);
    for (let i = 0; i < count; i++) {
      const radiusMm = rng.range(2, 5);
      const sphere = {
        x: (rng.chance(0.5) ? -1 : 1) * rng.range(12, 32),
        y: rng.range(-20, 60),
        z: rng.range(965, 1035),
        radiusMm,
      };
      out.push({
        sphere,
        description: `${Math.round(radiusMm * 2)} mm T2/FLAIR hyperintense white matter focus.`,
      });
    }
  }
  return out;
}

function planStudyInternal(spec: StudySpec, rng: Rng): StudyPlan {
  // Everything below comes from a generator seeded off the caller's one: the caller's Rng advances by
  // exactly four words per study, however big the study is.
  const studyRng = new Rng(
    `study:${[rng.u32(), rng.u32(), rng.u32(), rng.u32()].map((w) => w.toString(16)).join('')}`,
  );
  const candidates = spec.modality ? protocolsFor(spec.modality) : PROTOCOLS;
  const protocol = spec.protocol ? protocolById(spec.protocol) : studyRng.pick(candidates);
  const transferSyntaxUid = spec.transferSyntaxUid ?? TransferSyntax.ExplicitVRLittleEndian;
  if (
    transferSyntaxUid !== TransferSyntax.ExplicitVRLittleEndian &&
    transferSyntaxUid !== TransferSyntax.ImplicitVRLittleEndian
  ) {
    throw new RangeError(
      `synthetic studies are written in explicit or implicit VR little endian, not ${transferSyntaxUid}`,
    );
  }
  const site = spec.site;
  const patient = spec.patient ?? generatePatient(studyRng.derive('patient'), site, spec.studyDateTime);
  const local = localDicomTime(spec.studyDateTime, site.timeZone);
  const tiny = spec.tiny ?? false;
  const small = !tiny && (spec.small ?? false);
  const pathway = spec.pathway === undefined ? undefined : protocol.pathways?.[spec.pathway];
  if (spec.pathway !== undefined && !pathway) {
    throw new RangeError(
      `protocol "${protocol.id}" has no "${spec.pathway}" pathway; it has: ${Object.keys(protocol.pathways ?? {}).join(', ') || 'none'}`,
    );
  }
  const defaultSlices = small ? Math.min(SMALL_MAX_SLICES, protocol.defaultSlices) : protocol.defaultSlices;
  const slices = Math.max(1, Math.floor(spec.slices ?? defaultSlices));
  const usFrames = Math.max(1, Math.floor(spec.usFrames ?? (tiny ? 2 : small ? 12 : 24)));
  const studyUid = studyRng.uid();
  const frameOfReferenceUid = studyRng.uid();
  const accessionNumber =
    spec.accessionNumber ?? `${site.idPrefix}${local.date.slice(2, 4)}${studyRng.digits(8)}`;
  const studyId = String(studyRng.int(10000, 99999));
  const referringPhysicianName = physicianName(studyRng);
  const operatorName = syntheticName(studyRng).name;
  // One draw either way, so a pathway changes the reason and nothing else that is drawn.
  const reasonForStudy = studyRng.pick(pathway ? pathway.reasons : protocol.reasons);
  const deviceSerialNumber = studyRng.digits(6);
  const findings = drawFindings(protocol, studyRng.derive('findings'));

  const seriesProtocols: SeriesPlan['protocol'][] = [...protocol.series];
  if (spec.report)
    seriesProtocols.push({
      kind: 'sr-report',
      seriesNumber: REPORT_SERIES_NUMBER,
      description: 'Preliminary report',
    });
  const plans: SeriesPlan[] = seriesProtocols.map((p, index) => {
    const isReport = p.kind === 'sr-report';
    return {
      index,
      protocol: p,
      series: {
        seriesUid: studyRng.uid(),
        seriesNumber: p.seriesNumber,
        modality: isReport ? 'SR' : protocol.modality,
        description: p.description,
        sopClassUid: sopClassOf(p),
        instanceCount: instanceCountOf(p, slices),
        startedAt: new Date(
          spec.studyDateTime.getTime() + (isReport ? REPORT_DELAY_MS : index * SERIES_GAP_MS),
        ),
      },
    };
  });
  const series = plans.map((p) => p.series);
  return {
    protocol,
    rng: studyRng,
    frameOfReferenceUid,
    operatorName,
    deviceSerialNumber,
    slices,
    usFrames,
    plans,
    studyUid,
    accessionNumber,
    studyId,
    protocolId: protocol.id,
    studyDescription: pathway ? pathway.studyDescription : protocol.studyDescription,
    bodyPartExamined: protocol.bodyPartExamined,
    site,
    patient,
    referringPhysicianName,
    reasonForStudy,
    studyDateTime: spec.studyDateTime,
    studyDate: local.date,
    studyTime: local.time,
    timezoneOffsetFromUtc: local.offset,
    modalitiesInStudy: [...new Set(series.map((s) => s.modality))],
    sopClassesInStudy: [...new Set(series.map((s) => s.sopClassUid))],
    series,
    instanceCount: series.reduce((n, s) => n + s.instanceCount, 0),
    findings,
    transferSyntaxUid,
    tiny,
    small,
    ...(spec.priority !== undefined ? { priority: spec.priority } : {}),
    ...(spec.pathway !== undefined ? { pathway: spec.pathway } : {}),
  };
}

/**
 * Plans a study from `spec`, drawing what the spec leaves open from `rng` (which advances by a fixed
 * amount). The same spec and Rng state give the same study, byte for byte, whenever its instances are made.
 */
export function planStudy(spec: StudySpec, rng: Rng): SyntheticStudy {
  const plan = planStudyInternal(spec, rng);
  const { protocol: _p, rng: _r, frameOfReferenceUid: _f, operatorName: _o, ...rest } = plan;
  const { deviceSerialNumber: _d, slices: _s, usFrames: _u, plans: _pl, ...study } = rest;
  return { ...study, instances: () => generateInstances(plan) };
}

/** The instances of a study made from `spec` and `rng`, one at a time: see planStudy. */
export function generateStudy(spec: StudySpec, rng: Rng): Generator<SyntheticInstance, void, undefined> {
  return planStudy(spec, rng).instances();
}

/** Each instance's own generator: instance k is the same whether or not 0..k-1 were generated. */
function instanceRng(plan: StudyPlan, seriesIndex: number, instanceIndex: number): Rng {
  return plan.rng.derive(seriesIndex, instanceIndex);
}

/** The SOP Instance UID of instance `k` of series `s`, without making its pixels (the report needs them). */
function instanceUid(plan: StudyPlan, seriesIndex: number, instanceIndex: number): string {
  return instanceRng(plan, seriesIndex, instanceIndex).uid();
}

function* generateInstances(plan: StudyPlan): Generator<SyntheticInstance, void, undefined> {
  const studyBase = studyDataset(plan);
  for (const sp of plan.plans) {
    const seriesBase = seriesDataset(plan, sp, studyBase);
    for (let k = 0; k < sp.series.instanceCount; k++) {
      const rng = instanceRng(plan, sp.index, k);
      const sopInstanceUid = rng.uid();
      const ds: WritableDataset = { ...seriesBase };
      putAll(ds, { SOPInstanceUID: sopInstanceUid, InstanceNumber: k + 1 });
      fillInstance(plan, sp, k, rng, ds);
      const header = buildPart10Header({
        sopClassUid: sp.series.sopClassUid,
        sopInstanceUid,
        transferSyntaxUid: plan.transferSyntaxUid,
        sourceAeTitle: plan.site.aeTitle,
      });
      const body = encodeDataset(ds, plan.transferSyntaxUid);
      yield {
        sopClassUid: sp.series.sopClassUid,
        sopInstanceUid,
        seriesUid: sp.series.seriesUid,
        studyUid: plan.studyUid,
        transferSyntaxUid: plan.transferSyntaxUid,
        modality: sp.series.modality,
        seriesNumber: sp.series.seriesNumber,
        instanceNumber: k + 1,
        part10: Buffer.concat([header, body], header.byteLength + body.byteLength),
      };
    }
  }
}

/** Patient, General Study and SOP Common attributes shared by every instance of the study. */
function studyDataset(plan: StudyPlan): WritableDataset {
  const ds: WritableDataset = {};
  const p = plan.patient;
  const issuer: WritableDataset = {};
  putAll(issuer, { LocalNamespaceEntityID: plan.site.id });
  const request: WritableDataset = {};
  putAll(request, {
    RequestedProcedureID: plan.accessionNumber,
    ScheduledProcedureStepID: plan.accessionNumber,
    RequestedProcedureDescription: plan.studyDescription,
    ReasonForTheRequestedProcedure: plan.reasonForStudy,
  });
  putAll(ds, {
    // Names carry accents and ideographs; PS3.3 C.12.1.1.2: ISO_IR 192 is UTF-8 and must stand alone.
    SpecificCharacterSet: 'ISO_IR 192',
    PatientName: p.name,
    PatientID: p.patientId,
    IssuerOfPatientID: p.issuer,
    PatientBirthDate: p.birthDate,
    PatientSex: p.sex,
    PatientAge: patientAge(p.birthDate, plan.studyDate),
    StudyInstanceUID: plan.studyUid,
    StudyDate: plan.studyDate,
    StudyTime: plan.studyTime,
    StudyID: plan.studyId,
    AccessionNumber: plan.accessionNumber,
    IssuerOfAccessionNumberSequence: issuer,
    StudyDescription: plan.studyDescription,
    ReferringPhysicianName: plan.referringPhysicianName,
    RequestAttributesSequence: request,
    TimezoneOffsetFromUTC: plan.timezoneOffsetFromUtc,
    InstitutionName: plan.site.institutionName,
    InstitutionalDepartmentName: 'Radiology',
    Manufacturer: 'Confer Synthetic',
    SoftwareVersions: 'confer-synthetic 1',
  });
  // Not part of the image IODs' Request Attributes macro, but RIS-integrated modalities copy it from the
  // worklist (a standard extended SOP class), and it is what a reading worklist sorts by.
  if (plan.priority !== undefined) put(ds, 'RequestedProcedurePriority', plan.priority);
  return ds;
}

function seriesDataset(plan: StudyPlan, sp: SeriesPlan, studyBase: WritableDataset): WritableDataset {
  const ds: WritableDataset = { ...studyBase };
  const started = localDicomTime(sp.series.startedAt, plan.site.timeZone);
  putAll(ds, {
    SOPClassUID: sp.series.sopClassUid,
    Modality: sp.series.modality,
    SeriesInstanceUID: sp.series.seriesUid,
    SeriesNumber: sp.series.seriesNumber,
    SeriesDescription: sp.series.description,
    SeriesDate: started.date,
    SeriesTime: started.time,
  });
  if (sp.protocol.kind === 'sr-report') {
    put(ds, 'ReferencedPerformedProcedureStepSequence');
    return ds;
  }
  putAll(ds, {
    BodyPartExamined: plan.bodyPartExamined,
    ProtocolName: plan.studyDescription,
    OperatorsName: plan.operatorName,
    StationName: `${plan.site.idPrefix}-${plan.protocol.modality}01`,
    ManufacturerModelName: MODEL_NAMES[plan.protocol.modality],
    DeviceSerialNumber: plan.deviceSerialNumber,
    BurnedInAnnotation: 'NO',
    LossyImageCompression: '00',
  });
  if (plan.protocol.modality === 'CT' || plan.protocol.modality === 'MR') {
    putAll(ds, { FrameOfReferenceUID: plan.frameOfReferenceUid, PatientPosition: 'HFS' });
    put(ds, 'PositionReferenceIndicator');
  }
  return ds;
}

function timestamps(plan: StudyPlan, ds: WritableDataset, at: Date, withAcquisition: boolean): void {
  const t = localDicomTime(at, plan.site.timeZone);
  putAll(ds, {
    ContentDate: t.date,
    ContentTime: t.time,
    InstanceCreationDate: t.date,
    InstanceCreationTime: t.time,
  });
  if (withAcquisition) putAll(ds, { AcquisitionDate: t.date, AcquisitionTime: t.time });
}

function pixelModule(
  ds: WritableDataset,
  o: { rows: number; columns: number; bits: 8 | 12 | 16; signed: boolean; rgb?: boolean },
): void {
  const values: Record<string, BuilderValue | BuilderValue[]> = {
    SamplesPerPixel: o.rgb ? 3 : 1,
    PhotometricInterpretation: o.rgb ? 'RGB' : 'MONOCHROME2',
    Rows: o.rows,
    Columns: o.columns,
    BitsAllocated: o.bits === 8 ? 8 : 16,
    BitsStored: o.bits,
    HighBit: o.bits - 1,
    PixelRepresentation: o.signed ? 1 : 0,
  };
  if (o.rgb) values.PlanarConfiguration = 0;
  putAll(ds, values);
}

const round2 = (v: number) => Math.round(v * 100) / 100;

function fillInstance(plan: StudyPlan, sp: SeriesPlan, k: number, rng: Rng, ds: WritableDataset): void {
  const p = sp.protocol;
  const protocol = plan.protocol;
  const spheres = plan.findings.map((f) => f.sphere);
  const start = sp.series.startedAt.getTime();
  switch (p.kind) {
    case 'ct-localizer': {
      const size = px(plan, 512, 256);
      const zTop = protocol.zTopMm + 30;
      const zBottom = protocol.zBottomMm - 30;
      const widthMm = protocol.fovMm;
      const pixels = renderProjection({
        rows: size,
        columns: size,
        zTopMm: zTop,
        zBottomMm: zBottom,
        widthMm,
        centreMm: 0,
        view: 'AP',
        maxValue: 4095,
        noiseSd: 12,
        spheres,
        rng,
      });
      timestamps(plan, ds, new Date(start), true);
      pixelModule(ds, { rows: size, columns: size, bits: 16, signed: false });
      putAll(ds, {
        ImageType: ['ORIGINAL', 'PRIMARY', 'LOCALIZER'],
        AcquisitionNumber: 1,
        KVP: 120,
        XRayTubeCurrent: 35,
        ExposureTime: 3500,
        ConvolutionKernel: 'T20f',
        SliceThickness: 0.6,
        PixelSpacing: [round2((zTop - zBottom) / size), widthMm / size],
        ImageOrientationPatient: [1, 0, 0, 0, 0, -1],
        ImagePositionPatient: [-widthMm / 2 + widthMm / size / 2, 0, zTop],
        RescaleIntercept: 0,
        RescaleSlope: 1,
        RescaleType: 'US',
        WindowCenter: 1500,
        WindowWidth: 3000,
      });
      ds['7FE00010'] = { vr: 'OW', bytes: littleEndianBytes(pixels) };
      return;
    }
    case 'ct-axial': {
      const size = px(plan, 512, 256);
      const g = axialGeometry(size, protocol.fovMm, protocol.fovCentreXMm ?? 0, protocol.fovCentreYMm);
      const spacing = (protocol.zTopMm - protocol.zBottomMm) / plan.slices;
      const z = round2(protocol.zTopMm - (k + 0.5) * spacing);
      const pixels = renderCtSlice({
        geometry: g,
        zMm: z,
        contrast: protocol.contrast,
        noiseSdHu: p.noiseSdHu,
        rescaleIntercept: CT_RESCALE_INTERCEPT,
        spheres,
        rng,
      });
      // A helical scan reconstructs about four slices a second; content time follows the table.
      timestamps(plan, ds, new Date(start + 60_000 + Math.round(k * 250)), true);
      pixelModule(ds, { rows: size, columns: size, bits: 16, signed: true });
      putAll(ds, {
        ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
        AcquisitionNumber: 1,
        KVP: 120,
        XRayTubeCurrent: protocol.id === 'ct-head' ? 280 : 180,
        ExposureTime: 500,
        ConvolutionKernel: p.kernel,
        DataCollectionDiameter: 500,
        ReconstructionDiameter: protocol.fovMm,
        GantryDetectorTilt: 0,
        TableHeight: 150,
        RotationDirection: 'CW',
        SliceThickness: round2(spacing),
        PixelSpacing: [g.pixelSpacingMm, g.pixelSpacingMm],
        ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
        ImagePositionPatient: [g.originXMm, g.originYMm, z],
        SliceLocation: z,
        RescaleIntercept: CT_RESCALE_INTERCEPT,
        RescaleSlope: 1,
        RescaleType: 'HU',
        WindowCenter: p.windows.map((w) => w.centre),
        WindowWidth: p.windows.map((w) => w.width),
        WindowCenterWidthExplanation: p.windows.map((w) => w.explanation),
      });
      ds['7FE00010'] = { vr: 'OW', bytes: littleEndianBytes(pixels) };
      return;
    }
    case 'mr-axial': {
      const size = px(plan, 256, 128);
      const g = axialGeometry(size, protocol.fovMm, protocol.fovCentreXMm ?? 0, protocol.fovCentreYMm);
      const spacing = (protocol.zTopMm - protocol.zBottomMm) / plan.slices;
      const z = round2(protocol.zTopMm - (k + 0.5) * spacing);
      const pixels = renderMrSlice({
        geometry: g,
        zMm: z,
        weighting: p.weighting,
        noiseSd: 18,
        spheres,
        rng,
      });
      timestamps(plan, ds, new Date(start + 30_000 + k * 1000), true);
      pixelModule(ds, { rows: size, columns: size, bits: 12, signed: false });
      putAll(ds, {
        ImageType: ['ORIGINAL', 'PRIMARY', 'M', 'ND'],
        AcquisitionNumber: 1,
        ScanningSequence: p.scanningSequence,
        SequenceVariant: p.sequenceVariant,
        MRAcquisitionType: '2D',
        RepetitionTime: p.repetitionTimeMs,
        EchoTime: p.echoTimeMs,
        EchoTrainLength: p.echoTrainLength,
        FlipAngle: p.flipAngleDeg,
        MagneticFieldStrength: 1.5,
        ImagingFrequency: 63.87,
        ImagedNucleus: '1H',
        NumberOfAverages: 1,
        SliceThickness: round2(Math.min(5, spacing * 0.85)),
        SpacingBetweenSlices: round2(spacing),
        PixelSpacing: [g.pixelSpacingMm, g.pixelSpacingMm],
        ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
        ImagePositionPatient: [g.originXMm, g.originYMm, z],
        SliceLocation: z,
        WindowCenter: p.window.centre,
        WindowWidth: p.window.width,
        WindowCenterWidthExplanation: p.window.explanation,
      });
      put(ds, 'ScanOptions');
      if (p.inversionTimeMs !== undefined) put(ds, 'InversionTime', p.inversionTimeMs);
      ds['7FE00010'] = { vr: 'OW', bytes: littleEndianBytes(pixels) };
      return;
    }
    case 'cr-view': {
      const size = px(plan, 2048, 512);
      const lateral = p.view === 'LATERAL';
      const pixels = renderProjection({
        rows: size,
        columns: size,
        zTopMm: protocol.zTopMm,
        zBottomMm: protocol.zBottomMm,
        widthMm: protocol.fovMm,
        centreMm: lateral ? protocol.fovCentreYMm : 0,
        view: p.view,
        maxValue: 4095,
        noiseSd: 18,
        spheres,
        rng,
      });
      timestamps(plan, ds, new Date(start + 60_000), true);
      pixelModule(ds, { rows: size, columns: size, bits: 12, signed: false });
      const spacing = protocol.fovMm / size;
      putAll(ds, {
        ImageType: ['ORIGINAL', 'PRIMARY'],
        AcquisitionNumber: 1,
        ViewPosition: p.viewPosition,
        PatientOrientation: p.patientOrientation,
        KVP: lateral ? 110 : 120,
        ExposureTime: lateral ? 16 : 8,
        XRayTubeCurrent: 320,
        DistanceSourceToDetector: p.view === 'AP' ? 1000 : 1800,
        ImagerPixelSpacing: [spacing, spacing],
        RescaleIntercept: 0,
        RescaleSlope: 1,
        RescaleType: 'US',
        WindowCenter: 1900,
        WindowWidth: 3400,
      });
      ds['7FE00010'] = { vr: 'OW', bytes: littleEndianBytes(pixels) };
      return;
    }
    case 'us-cine': {
      const clip = p.clips[k]!;
      const rows = px(plan, 480, 240);
      const columns = px(plan, 640, 320);
      const frames = plan.usFrames;
      const pixels = renderUltrasound({ rows, columns, frames, colour: clip.colour, cycles: 2, rng });
      timestamps(plan, ds, new Date(start + 60_000 + k * 90_000), true);
      pixelModule(ds, { rows, columns, bits: 8, signed: false, rgb: clip.colour });
      putAll(ds, {
        // PS3.3 C.8.5.6.1.1: the fourth value is a hex bit set; 0001 is 2D imaging, 0010 colour flow.
        ImageType: ['ORIGINAL', 'PRIMARY', 'ABDOMINAL', clip.colour ? '0011' : '0001'],
        NumberOfFrames: frames,
        // PS3.3 C.7.6.6: which attribute steps from frame to frame; here the frame time.
        FrameIncrementPointer: '00181063',
        FrameTime: 33.33,
        CineRate: 30,
        RecommendedDisplayFrameRate: 30,
        TransducerData: 'C5-1',
        ProcessingFunction: 'ABDOMEN',
        UltrasoundColorDataPresent: clip.colour ? 1 : 0,
      });
      put(ds, 'PatientOrientation');
      ds['7FE00010'] = { vr: 'OB', bytes: pixels };
      return;
    }
    case 'sr-report': {
      timestamps(plan, ds, sp.series.startedAt, false);
      const evidence = plan.plans
        .filter((s) => s.protocol.kind !== 'sr-report')
        .map((s) => ({
          seriesUid: s.series.seriesUid,
          sopClassUid: s.series.sopClassUid,
          instanceUids: Array.from({ length: s.series.instanceCount }, (_, i) =>
            instanceUid(plan, s.index, i),
          ),
        }));
      buildReport(ds, {
        studyUid: plan.studyUid,
        studyDescription: plan.studyDescription,
        reason: plan.reasonForStudy,
        findings: plan.findings.map((f) => f.description),
        modality: plan.protocol.modality,
        evidence,
        rng,
      });
      return;
    }
  }
}
