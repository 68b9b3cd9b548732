import type { WritableDataset } from '../dicom/dataset-writer.ts';
import { code, put, putAll } from './dataset-builder.ts';
import type { Rng } from './prng.ts';

export interface ReportEvidence {
  seriesUid: string;
  sopClassUid: string;
  instanceUids: string[];
}

export interface ReportInput {
  studyUid: string;
  studyDescription: string;
  reason: string;
  /** Sentences describing the phantom's lesions; none means a normal study. */
  findings: string[];
  modality: string;
  evidence: ReportEvidence[];
  rng: Rng;
}

const NORMAL: Record<string, string[]> = {
  CT: [
    'No acute abnormality.',
    'No focal lesion. No lymphadenopathy. No free fluid.',
    'The visualised structures are within normal limits.',
  ],
  MR: ['Normal appearances of the brain for age.', 'No restricted diffusion. Ventricles normal in size.'],
  CR: ['Lungs clear. Heart size normal. No pleural effusion.', 'No consolidation or pneumothorax.'],
  US: [
    'Liver normal in size and echotexture. No focal lesion.',
    'Gallbladder normal. No biliary dilatation.',
  ],
};

function textItem(conceptValue: string, conceptMeaning: string, text: string): WritableDataset {
  const item: WritableDataset = {};
  putAll(item, {
    RelationshipType: 'CONTAINS',
    ValueType: 'TEXT',
    ConceptNameCodeSequence: code(conceptValue, 'DCM', conceptMeaning),
    TextValue: text,
  });
  return item;
}

/**
 * Adds the SR Document General and Content modules of a Basic Text SR preliminary report (TID 2000
 * shape: a "Diagnostic Imaging Report" container holding Findings and Impression text) to `ds`.
 * It stays UNVERIFIED: a synthetic report is never signed.
 */
export function buildReport(ds: WritableDataset, input: ReportInput): void {
  const normal = NORMAL[input.modality] ?? NORMAL.CT!;
  const findings =
    input.findings.length > 0
      ? input.findings.join(' ')
      : `${input.rng.pick(normal)} ${input.rng.pick(normal)}`;
  const impression =
    input.findings.length > 0
      ? `${input.findings.length === 1 ? 'Finding' : `${input.findings.length} findings`} as described; correlate clinically and compare with priors.`
      : 'No acute abnormality.';
  const evidence: WritableDataset = {};
  putAll(evidence, {
    StudyInstanceUID: input.studyUid,
    ReferencedSeriesSequence: input.evidence.map((s) => {
      const series: WritableDataset = {};
      putAll(series, {
        SeriesInstanceUID: s.seriesUid,
        ReferencedSOPSequence: s.instanceUids.map((uid) => {
          const ref: WritableDataset = {};
          putAll(ref, { ReferencedSOPClassUID: s.sopClassUid, ReferencedSOPInstanceUID: uid });
          return ref;
        }),
      });
      return series;
    }),
  });
  const template: WritableDataset = {};
  putAll(template, { MappingResource: 'DCMR', TemplateIdentifier: '2000' });
  putAll(ds, {
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    CurrentRequestedProcedureEvidenceSequence: evidence,
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: code('18748-4', 'LN', 'Diagnostic Imaging Report'),
    ContinuityOfContent: 'SEPARATE',
    ContentTemplateSequence: template,
    ContentSequence: [
      textItem('121060', 'History', `${input.studyDescription}. ${input.reason}.`),
      textItem('121071', 'Finding', findings),
      textItem('121073', 'Impression', impression),
    ],
  });
  put(ds, 'PerformedProcedureCodeSequence'); // Type 2: present, empty
}
