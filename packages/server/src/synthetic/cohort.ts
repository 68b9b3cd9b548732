import { localDicomTime, zonedInstant } from './local-time.ts';
import { generatePatient, type SyntheticPatient } from './patients.ts';
import { Rng } from './prng.ts';
import { SyntheticModality } from './protocols.ts';
import { DEFAULT_SITES, type SyntheticSite } from './sites.ts';
import { planStudy, type StudySpec, type SyntheticStudy } from './study.ts';

export const CohortModality = { ...SyntheticModality, Mixed: 'mixed' } as const;
export type CohortModality = (typeof CohortModality)[keyof typeof CohortModality];

export interface CohortOptions {
  studies: number;
  seed: string | number;
  /** CT, MR, CR, US, or 'mixed' (weighted as a general radiology department's volume is). */
  modality?: CohortModality;
  /** A protocol id ('ct-chest', ...) for every study; overrides `modality`. */
  protocol?: string;
  /** First day of the period; studies fall on the following `spanDays` days in each site's own zone. */
  from: Date;
  spanDays?: number;
  sites?: readonly SyntheticSite[];
  /** Chance that a study belongs to a patient already in the cohort, so priors exist. Default 0.3. */
  priorProbability?: number;
  /** Chance that a study carries an SR preliminary report. Default 0. */
  reportProbability?: number;
  slices?: number;
  usFrames?: number;
  tiny?: boolean;
  /** Demo-sized pixels and at most 20 axial slices (StudySpec.small). */
  small?: boolean;
  transferSyntaxUid?: string;
}

/** How a mixed department's volume splits: plain films dominate, then CT, US, MR. */
const MIXED_WEIGHTS: readonly (readonly [SyntheticModality, number])[] = [
  ['CR', 0.4],
  ['CT', 0.28],
  ['US', 0.18],
  ['MR', 0.14],
];

/** Most imaging happens in the working day; emergency CT keeps going at night. */
const HOUR_WEIGHTS: readonly (readonly [number, number])[] = Array.from({ length: 24 }, (_, h) => [
  h,
  h >= 8 && h < 18 ? 6 : h >= 18 && h < 23 ? 2 : 1,
]);

/**
 * Plans a cohort of studies across the sites: patients with priors, a per-site accession sequence (so
 * accession numbers never collide within a site), study times in each site's working day. Returns the
 * plans sorted by acquisition time; pixel data is made only when a study's `instances()` is iterated.
 */
export function planCohort(options: CohortOptions): SyntheticStudy[] {
  const rng = new Rng(options.seed);
  const sites = options.sites ?? DEFAULT_SITES;
  const spanDays = options.spanDays ?? 28;
  const priorProbability = options.priorProbability ?? 0.3;
  const reportProbability = options.reportProbability ?? 0;
  const patients: SyntheticPatient[] = [];
  const accessionCounters = new Map<string, number>();
  const studies: SyntheticStudy[] = [];
  const startDay = new Date(
    Date.UTC(options.from.getUTCFullYear(), options.from.getUTCMonth(), options.from.getUTCDate()),
  );
  for (let i = 0; i < options.studies; i++) {
    const mode = options.modality ?? CohortModality.Mixed;
    const modality: SyntheticModality = mode === CohortModality.Mixed ? rng.weighted(MIXED_WEIGHTS) : mode;
    const reuse = patients.length > 0 && rng.chance(priorProbability);
    const prior = reuse ? rng.pick(patients) : undefined;
    const site = prior ? sites.find((s) => s.id === prior.siteId)! : rng.pick(sites);
    const day = new Date(startDay.getTime() + rng.int(0, Math.max(0, spanDays - 1)) * 86_400_000);
    const studyDateTime = zonedInstant(
      day.getUTCFullYear(),
      day.getUTCMonth() + 1,
      day.getUTCDate(),
      rng.weighted(HOUR_WEIGHTS),
      rng.int(0, 59),
      site.timeZone,
    );
    // Ages are drawn as of the period's first day, so no study of the patient predates their birth.
    const patient = prior ?? generatePatient(rng.derive('patient', i), site, startDay);
    if (!prior) patients.push(patient);
    // Accessions run on per site from a random start, as a RIS sequence would.
    const counter = accessionCounters.get(site.id) ?? rng.int(100_000, 900_000);
    accessionCounters.set(site.id, counter + 1);
    const year = localDicomTime(studyDateTime, site.timeZone).date.slice(2, 4);
    const spec: StudySpec = {
      site,
      studyDateTime,
      modality,
      ...(options.protocol !== undefined ? { protocol: options.protocol } : {}),
      patient,
      accessionNumber: `${site.idPrefix}${year}${String(counter).padStart(8, '0')}`,
      report: rng.chance(reportProbability),
      tiny: options.tiny ?? false,
      ...(options.small ? { small: true } : {}),
      ...(options.slices !== undefined ? { slices: options.slices } : {}),
      ...(options.usFrames !== undefined ? { usFrames: options.usFrames } : {}),
      ...(options.transferSyntaxUid !== undefined ? { transferSyntaxUid: options.transferSyntaxUid } : {}),
    };
    studies.push(planStudy(spec, rng));
  }
  return studies.sort((a, b) => a.studyDateTime.getTime() - b.studyDateTime.getTime());
}
