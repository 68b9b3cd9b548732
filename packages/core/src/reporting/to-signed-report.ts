import { addendaUpTo, type ReportSnapshot } from './report.ts';
import type { SignedReport } from './signed-report.ts';

/** What the case, its study and its patient say about a report: everything in SignedReport not written by the reader. */
export interface SignedReportFacts {
  studyUid: string;
  accessionNumber?: string;
  patient: SignedReport['patient'];
  procedure?: string;
  modalities: string[];
  bodyParts: string[];
  siteId?: string;
  orderingClinician?: SignedReport['orderingClinician'];
  observedAt?: number;
}

/**
 * The SignedReport for one signed version: the version's content (empty sections left out), its author and
 * time, the addenda signed up to it, and the facts about the study. What delivery turns into HL7, FHIR and PDF.
 */
export function toSignedReport(
  report: ReportSnapshot,
  version: number,
  facts: SignedReportFacts,
): SignedReport {
  const v = report.versions.find((x) => x.version === version);
  if (!v) throw new Error(`report ${report.id} has no version ${version}`);
  const c = v.content;
  return {
    reportId: report.id,
    caseId: report.caseId,
    version: v.version,
    kind: v.kind,
    studyUid: facts.studyUid,
    ...(facts.accessionNumber ? { accessionNumber: facts.accessionNumber } : {}),
    patient: { ...facts.patient },
    ...(facts.procedure ? { procedure: facts.procedure } : {}),
    modalities: [...facts.modalities],
    bodyParts: [...facts.bodyParts],
    ...(facts.siteId ? { siteId: facts.siteId } : {}),
    ...(facts.orderingClinician ? { orderingClinician: { ...facts.orderingClinician } } : {}),
    author: {
      userId: v.author.userId,
      ...(v.author.readerId ? { readerId: v.author.readerId } : {}),
      name: v.author.name,
    },
    signedAt: v.signedAt,
    ...(facts.observedAt !== undefined ? { observedAt: facts.observedAt } : {}),
    ...(c.templateId ? { templateId: c.templateId } : {}),
    title: c.title,
    sections: c.sections
      .filter((s) => s.text.trim() !== '')
      .map((s) => ({ id: s.id, title: s.title, text: s.text.trim() })),
    impression: c.impression.trim(),
    measurements: c.measurements.map((m) => ({
      label: m.label,
      value: m.value,
      unit: m.unit,
      ...(m.where ? { where: m.where } : {}),
    })),
    criticalFindings: c.criticalFindings.map((f) => ({ category: f.category, finding: f.finding })),
    addenda: addendaUpTo(report, version).map((a) => ({
      text: a.text.trim(),
      author: { userId: a.author.userId, name: a.author.name },
      signedAt: a.signedAt,
    })),
  };
}
