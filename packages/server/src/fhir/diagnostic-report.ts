import type { SignedReport } from '@confer/core';
import { renderReportText } from '../reporting/report-pdf-text.ts';

/** FHIR R4 DiagnosticReport.status for a signed report (the report's kind, and whether it corrects a final). */
export function diagnosticReportStatus(
  report: SignedReport,
  corrected = false,
): 'preliminary' | 'final' | 'appended' | 'amended' {
  if (report.kind === 'preliminary') return 'preliminary';
  if (report.kind === 'addendum') return 'appended';
  return corrected ? 'amended' : 'final';
}

/** Identifier systems Confer uses; stable, so a receiver can match what it stored. */
export const FhirSystem = {
  Report: 'urn:confer:report',
  Accession: 'urn:confer:accession',
  Patient: 'urn:confer:patient',
  Reader: 'urn:confer:reader',
  Site: 'urn:confer:site',
  DicomUid: 'urn:dicom:uid',
  Loinc: 'http://loinc.org',
  V2IdentifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  V2DiagnosticService: 'http://terminology.hl7.org/CodeSystem/v2-0074',
} as const;

/**
 * Modality-specific report codes (LOINC, as DICOM CID 7001 lists them), added after the general
 * 18748-4 when a study has exactly one of these modalities.
 */
const MODALITY_REPORT_CODES: Record<string, { code: string; display: string }> = {
  CT: { code: '18747-6', display: 'CT Report' },
  MR: { code: '18755-9', display: 'MRI Report' },
  US: { code: '18760-9', display: 'Ultrasound Report' },
};

/** The FHIR id of a report: Confer's report id where it is a valid FHIR id, otherwise refused upstream. */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

export interface DiagnosticReportInput {
  report: SignedReport;
  /** The PDF of this version, attached as presentedForm. */
  pdf?: Buffer;
  /** A final signed after an earlier final (a correction). */
  corrected?: boolean;
  /** When the outbox stored this version (meta.lastUpdated). */
  storedAt?: number;
}

function patientIdentifier(report: SignedReport) {
  if (!report.patient.id) return undefined;
  return {
    use: 'usual',
    type: { coding: [{ system: FhirSystem.V2IdentifierType, code: 'MR' }] },
    system: report.patient.issuer ? `${FhirSystem.Patient}:${report.patient.issuer}` : FhirSystem.Patient,
    value: report.patient.id,
  };
}

function displayName(pn: string | undefined): string | undefined {
  if (!pn) return undefined;
  const [family, given, middle] = pn.split('^');
  return [given, middle, family].filter((p) => p?.trim()).join(' ') || pn;
}

function iso(epochMs: number | undefined): string | undefined {
  return epochMs === undefined ? undefined : new Date(epochMs).toISOString();
}

function escapeXhtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Builds the R4 DiagnosticReport of one signed version. References to Patient, ServiceRequest and
 * ImagingStudy are logical (by identifier): Confer serves no such resources yet, and a receiver matches them
 * against its own.
 */
export function toDiagnosticReport(input: DiagnosticReportInput): Record<string, unknown> {
  const { report } = input;
  const text = renderReportText(report);
  const accessionIdentifier = report.accessionNumber
    ? {
        type: { coding: [{ system: FhirSystem.V2IdentifierType, code: 'ACSN' }] },
        system: FhirSystem.Accession,
        value: report.accessionNumber,
      }
    : undefined;
  const interpreter = {
    identifier: { system: FhirSystem.Reader, value: report.author.readerId ?? report.author.userId },
    display: report.author.name,
  };
  const imaging = report.modalities.filter((m) => m !== 'SR' && m !== 'KO' && m !== 'PR');
  const modalityCode = imaging.length === 1 ? MODALITY_REPORT_CODES[imaging[0]!] : undefined;
  const presentedForm: Record<string, unknown>[] = [];
  if (input.pdf)
    presentedForm.push({
      contentType: 'application/pdf',
      data: input.pdf.toString('base64'),
      title: `${report.title} (version ${report.version})`,
      creation: iso(report.signedAt),
    });
  presentedForm.push({
    contentType: 'text/plain; charset=utf-8',
    data: Buffer.from(text, 'utf8').toString('base64'),
    title: `${report.title} (version ${report.version})`,
    creation: iso(report.signedAt),
  });
  const resource: Record<string, unknown> = {
    resourceType: 'DiagnosticReport',
    id: report.reportId,
    meta: {
      versionId: String(report.version),
      ...(input.storedAt !== undefined ? { lastUpdated: iso(input.storedAt) } : {}),
    },
    text: {
      status: 'generated',
      div: `<div xmlns="http://www.w3.org/1999/xhtml"><pre>${escapeXhtml(text)}</pre></div>`,
    },
    identifier: [
      { system: FhirSystem.Report, value: report.reportId },
      ...(accessionIdentifier ? [accessionIdentifier] : []),
    ],
    ...(accessionIdentifier
      ? { basedOn: [{ type: 'ServiceRequest', identifier: accessionIdentifier }] }
      : {}),
    status: diagnosticReportStatus(report, input.corrected),
    category: [{ coding: [{ system: FhirSystem.V2DiagnosticService, code: 'RAD', display: 'Radiology' }] }],
    code: {
      coding: [
        { system: FhirSystem.Loinc, code: '18748-4', display: 'Diagnostic imaging study' },
        ...(modalityCode ? [{ system: FhirSystem.Loinc, ...modalityCode }] : []),
      ],
      text: report.procedure ?? report.title,
    },
    subject: {
      type: 'Patient',
      ...(patientIdentifier(report) ? { identifier: patientIdentifier(report) } : {}),
      ...(displayName(report.patient.name) ? { display: displayName(report.patient.name) } : {}),
    },
    ...(report.observedAt !== undefined ? { effectiveDateTime: iso(report.observedAt) } : {}),
    issued: iso(report.signedAt),
    performer: [
      report.siteId
        ? { type: 'Organization', identifier: { system: FhirSystem.Site, value: report.siteId } }
        : { type: 'Practitioner', ...interpreter },
    ],
    resultsInterpreter: [{ type: 'Practitioner', ...interpreter }],
    imagingStudy: [
      {
        type: 'ImagingStudy',
        identifier: { system: FhirSystem.DicomUid, value: `urn:oid:${report.studyUid}` },
      },
    ],
    conclusion: report.impression,
    presentedForm,
  };
  return resource;
}

/** A FHIR OperationOutcome for an error response. */
export function operationOutcome(
  code: 'not-found' | 'forbidden' | 'invalid' | 'login' | 'exception' | 'not-supported',
  diagnostics: string,
  confer?: string,
): Record<string, unknown> {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code,
        diagnostics,
        ...(confer
          ? { details: { coding: [{ system: 'urn:confer:error', code: confer }], text: diagnostics } }
          : {}),
      },
    ],
  };
}
