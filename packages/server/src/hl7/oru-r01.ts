import type { SignedReport } from '@confer/core';
import { escapeFormattedText } from './escape.ts';
import { type Hl7Field, hl7DateTime, raw, writeMessage, writeSegment } from './message.ts';

/** Where the message goes and what identifies it: from the destination's configuration and the outbox. */
export interface OruOptions {
  /** MSH-10: unique per message, stored with the delivery so the ACK can be matched. */
  controlId: string;
  /** MSH-7: when the message was built. */
  now: number;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  /** MSH-11 (table 0103): P production, T training, D debugging. */
  processingId: 'P' | 'T' | 'D';
  /** A final report re-signed after an earlier final: sent as a correction (status C). */
  corrected?: boolean;
}

/** OBR-25 / OBX-11 result status (HL7 table 0123 / 0085) for a signed report. */
export function resultStatusOf(report: SignedReport, corrected = false): 'P' | 'F' | 'C' {
  if (report.kind === 'preliminary') return 'P';
  if (report.kind === 'addendum' || corrected) return 'C';
  return 'F';
}

/** OBX-8 abnormal flag (table 0078): AA critical abnormal for ACR "critical", A abnormal otherwise. */
export function abnormalFlagOf(category: string): 'AA' | 'A' {
  return category.toLowerCase() === 'critical' ? 'AA' : 'A';
}

/** DICOM PN (family^given^middle^prefix^suffix) to HL7 XPN (family^given^middle^suffix^prefix). */
function personName(name: string | undefined): Hl7Field {
  if (!name) return undefined;
  const [family, given, middle, prefix, suffix] = name.split('^');
  return [family, given, middle, suffix, prefix];
}

/** YYYYMMDD from DICOM DA or ISO dates; anything else is left out rather than sent malformed. */
function hl7Date(date: string | undefined): string | undefined {
  if (!date) return undefined;
  const digits = date.replace(/-/g, '');
  return /^\d{8}$/.test(digits) ? digits : undefined;
}

/** Administrative sex (table 0001) from DICOM's M/F/O. */
function sexOf(sex: string | undefined): string | undefined {
  const s = sex?.trim().toUpperCase();
  if (!s) return undefined;
  return s === 'M' || s === 'F' || s === 'O' ? s : 'U';
}

/** A local code from free text: upper-case letters, digits and dashes, at most 20 characters. */
function localCode(text: string): string {
  return (
    text
      .toUpperCase()
      .replace(/[^A-Z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 20) || 'STUDY'
  );
}

function procedureOf(report: SignedReport): string {
  if (report.procedure) return report.procedure;
  const parts = [report.modalities.join('/'), report.bodyParts.join(' ')].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : 'Imaging study';
}

/**
 * Builds an ORU^R01 (v2.5.1) carrying a signed report: MSH, PID, PV1, ORC, OBR, then OBX lines for the
 * study reference, each section (FT), the impression, measurements (NM with units), critical findings
 * (abnormal flag) and addenda. docs/report-delivery.md has the mapping table.
 */
export function buildOruR01(report: SignedReport, options: OruOptions): string {
  const status = resultStatusOf(report, options.corrected);
  const accession = report.accessionNumber;
  const procedure = procedureOf(report);
  const observed = report.observedAt !== undefined ? hl7DateTime(report.observedAt) : undefined;
  const signed = hl7DateTime(report.signedAt);
  // XCN / CNN: id^family name. Confer holds one display name, so it travels whole in the family component.
  const authorId = report.author.readerId ?? report.author.userId;
  const interpreter: Hl7Field = [[authorId, report.author.name]];
  const observer: Hl7Field = [authorId, report.author.name];
  const orderer: Hl7Field = report.orderingClinician
    ? [report.orderingClinician.id, report.orderingClinician.name]
    : undefined;
  const segments: string[] = [];
  segments.push(
    writeSegment('MSH', [
      'CONFER',
      options.sendingFacility,
      options.receivingApplication,
      options.receivingFacility,
      hl7DateTime(options.now),
      undefined,
      ['ORU', 'R01', 'ORU_R01'],
      options.controlId,
      options.processingId,
      '2.5.1',
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      'UNICODE UTF-8',
    ]),
  );
  segments.push(
    writeSegment('PID', [
      '1',
      undefined,
      report.patient.id ? [report.patient.id, undefined, undefined, report.patient.issuer, 'MR'] : undefined,
      undefined,
      personName(report.patient.name),
      undefined,
      hl7Date(report.patient.birthDate),
      sexOf(report.patient.sex),
    ]),
  );
  // PV1-2 patient class U (unknown): Confer does not know the encounter; many receivers insist on a PV1.
  segments.push(writeSegment('PV1', ['1', 'U']));
  segments.push(
    writeSegment('ORC', [
      'RE',
      accession,
      accession,
      undefined,
      status === 'P' ? 'A' : 'CM',
      undefined,
      undefined,
      undefined,
      signed,
      undefined,
      undefined,
      orderer,
    ]),
  );
  const obr: Hl7Field[] = [];
  obr[0] = '1';
  obr[1] = accession;
  obr[2] = accession;
  obr[3] = [localCode(procedure), procedure, 'L'];
  obr[6] = observed;
  obr[15] = orderer;
  obr[21] = signed;
  obr[23] = 'RAD';
  obr[24] = status;
  obr[31] = interpreter;
  segments.push(writeSegment('OBR', obr));

  let setId = 0;
  const obx = (
    valueType: 'FT' | 'NM' | 'ST',
    code: [string, string, string],
    subId: string | undefined,
    value: Hl7Field,
    extra: { units?: string; abnormal?: string } = {},
  ) => {
    const f: Hl7Field[] = [];
    f[0] = String(++setId);
    f[1] = valueType;
    f[2] = code;
    f[3] = subId;
    f[4] = value;
    f[5] = extra.units ? [extra.units, extra.units, 'UCUM'] : undefined;
    f[7] = extra.abnormal;
    f[10] = status;
    f[13] = observed;
    f[15] = observer;
    f[18] = signed;
    segments.push(writeSegment('OBX', f));
  };
  // DICOM's code for the study (DCM 113014) carries the Study Instance UID, as IHE results messages do.
  obx('ST', ['113014', 'DICOM Study', 'DCM'], undefined, report.studyUid);
  for (const s of report.sections) {
    if (!s.text.trim()) continue;
    obx('FT', [localCode(s.id), s.title, 'L'], undefined, raw(escapeFormattedText(s.text)));
  }
  if (report.impression.trim())
    obx('FT', ['19005-8', 'Impression', 'LN'], undefined, raw(escapeFormattedText(report.impression)));
  report.measurements.forEach((m, i) => {
    obx('NM', [localCode(m.label), m.label, 'L'], String(i + 1), String(m.value), { units: m.unit });
    if (m.where) segments.push(writeSegment('NTE', [String(i + 1), 'L', m.where]));
  });
  for (const c of report.criticalFindings) {
    obx(
      'FT',
      ['CRITICAL', `Critical finding (${c.category})`, 'L'],
      undefined,
      raw(escapeFormattedText(c.finding)),
      {
        abnormal: abnormalFlagOf(c.category),
      },
    );
  }
  report.addenda.forEach((a, i) => {
    const text = `Addendum ${i + 1}, signed ${new Date(a.signedAt).toISOString()} by ${a.author.name}:\n${a.text}`;
    obx('FT', ['ADDENDUM', 'Addendum', 'L'], String(i + 1), raw(escapeFormattedText(text)));
  });
  return writeMessage(segments);
}
