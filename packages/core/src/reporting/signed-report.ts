/**
 * A signed report as it leaves Confer: what the HL7 v2 ORU^R01, the FHIR DiagnosticReport and the PDF are
 * built from. The reporting service produces one each time a report is signed preliminary, signed final or
 * addended; the delivery adapters turn it into wire messages. It carries text already rendered from the
 * template, so every output says the same thing.
 */

export const SignedReportKind = {
  Preliminary: 'preliminary',
  Final: 'final',
  /** A signed addendum to a final report; the output carries the whole report with the addendum appended. */
  Addendum: 'addendum',
} as const;
export type SignedReportKind = (typeof SignedReportKind)[keyof typeof SignedReportKind];

export interface SignedReportSection {
  id: string;
  title: string;
  /** Plain text, paragraphs separated by blank lines. */
  text: string;
}

export interface SignedReportMeasurement {
  label: string;
  value: number;
  unit: string;
  /** Where it was measured, e.g. 'series 3, image 41'. */
  where?: string;
}

export interface SignedReportCriticalFinding {
  /** ACR category: 'critical' (minutes), 'urgent' (hours), 'unexpected-significant' (days). */
  category: string;
  finding: string;
}

export interface SignedReportAddendum {
  text: string;
  author: { userId: string; name: string };
  signedAt: number;
}

export interface SignedReport {
  reportId: string;
  caseId: string;
  /** The report version this output was made from (1, 2, ...). */
  version: number;
  kind: SignedReportKind;
  studyUid: string;
  accessionNumber?: string;
  patient: { id?: string; issuer?: string; name?: string; birthDate?: string; sex?: string };
  /** The procedure as ordered or described by the study, e.g. 'CT HEAD WITHOUT CONTRAST'. */
  procedure?: string;
  modalities: string[];
  bodyParts: string[];
  siteId?: string;
  orderingClinician?: { id?: string; name: string };
  /** Who signed this version. */
  author: { userId: string; readerId?: string; name: string };
  signedAt: number;
  /** When the images were acquired (epoch ms), when known. */
  observedAt?: number;
  templateId?: string;
  title: string;
  sections: SignedReportSection[];
  impression: string;
  measurements: SignedReportMeasurement[];
  criticalFindings: SignedReportCriticalFinding[];
  /** Addenda signed after the final report, oldest first. */
  addenda: SignedReportAddendum[];
}
