import type { SignedReport } from '@confer/core';

/**
 * The printed form of a signed report, as blocks both the PDF and the plain-text presentation are drawn
 * from, so they say the same thing in the same order.
 */
export type ReportBlock =
  | { kind: 'heading'; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'fields'; rows: [string, string][] }
  | { kind: 'list'; items: string[]; emphasis?: boolean }
  | { kind: 'signature'; text: string };

export interface ReportLayoutOptions {
  siteName?: string;
  /** IANA zone the dates are printed in (the site's); UTC when absent. */
  timeZone?: string;
}

const KIND_LABEL: Record<SignedReport['kind'], string> = {
  preliminary: 'Preliminary (not yet final)',
  final: 'Final',
  addendum: 'Final, with addendum',
};

/** A date and time as people read it, in the given zone with the zone named. */
export function formatDateTime(epochMs: number, timeZone = 'UTC'): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(new Date(epochMs));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('day')} ${get('month')} ${get('year')} ${get('hour')}:${get('minute')} ${get('timeZoneName')}`;
}

/** DICOM PN to "Given Middle FAMILY"-style reading order. */
export function readableName(pn: string | undefined): string {
  if (!pn) return 'Unknown';
  const [family, given, middle] = pn.split('^');
  return [given, middle, family].filter((p) => p?.trim()).join(' ') || pn;
}

function birthDate(d: string | undefined): string {
  if (!d) return 'unknown';
  const digits = d.replace(/-/g, '');
  return /^\d{8}$/.test(digits) ? `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}` : d;
}

/** One line for the running header of every page: site, patient, accession. */
export function runningHeader(report: SignedReport, options: ReportLayoutOptions = {}): string {
  const patient = `${readableName(report.patient.name)}${report.patient.id ? ` (${report.patient.id})` : ''}`;
  return [
    options.siteName ?? report.siteId ?? 'Confer',
    patient,
    `Acc. ${report.accessionNumber ?? 'none'}`,
  ].join('  |  ');
}

export function reportBlocks(report: SignedReport, options: ReportLayoutOptions = {}): ReportBlock[] {
  const tz = options.timeZone ?? 'UTC';
  const blocks: ReportBlock[] = [];
  blocks.push({
    kind: 'fields',
    rows: [
      ['Patient', readableName(report.patient.name)],
      [
        'Patient ID',
        `${report.patient.id ?? 'unknown'}${report.patient.issuer ? ` (${report.patient.issuer})` : ''}`,
      ],
      ['Birth date / sex', `${birthDate(report.patient.birthDate)} / ${report.patient.sex || 'unknown'}`],
      ['Procedure', report.procedure ?? (report.modalities.join(', ') || 'Imaging study')],
      ['Accession', report.accessionNumber ?? 'none'],
      ['Study UID', report.studyUid],
      ['Acquired', report.observedAt !== undefined ? formatDateTime(report.observedAt, tz) : 'unknown'],
      ['Ordered by', report.orderingClinician?.name ?? 'not recorded'],
      ['Status', `${KIND_LABEL[report.kind]}, version ${report.version}`],
      ['Signed', `${formatDateTime(report.signedAt, tz)} by ${report.author.name}`],
    ],
  });
  for (const s of report.sections) {
    if (!s.text.trim()) continue;
    blocks.push({ kind: 'heading', text: s.title });
    for (const p of s.text.split(/\n\s*\n/)) if (p.trim()) blocks.push({ kind: 'paragraph', text: p.trim() });
  }
  blocks.push({ kind: 'heading', text: 'Impression' });
  for (const p of report.impression.split(/\n\s*\n/))
    if (p.trim()) blocks.push({ kind: 'paragraph', text: p.trim() });
  if (report.measurements.length > 0) {
    blocks.push({ kind: 'heading', text: 'Measurements' });
    blocks.push({
      kind: 'list',
      items: report.measurements.map(
        (m) => `${m.label}: ${m.value} ${m.unit}${m.where ? ` (${m.where})` : ''}`,
      ),
    });
  }
  if (report.criticalFindings.length > 0) {
    blocks.push({ kind: 'heading', text: 'Critical findings' });
    blocks.push({
      kind: 'list',
      emphasis: true,
      items: report.criticalFindings.map((c) => `${c.category.toUpperCase()}: ${c.finding}`),
    });
  }
  blocks.push({
    kind: 'signature',
    text: `Electronically signed by ${report.author.name} on ${formatDateTime(report.signedAt, tz)}${
      report.kind === 'preliminary' ? ' as a PRELIMINARY report' : ''
    }.`,
  });
  report.addenda.forEach((a, i) => {
    blocks.push({ kind: 'heading', text: `Addendum ${i + 1}` });
    for (const p of a.text.split(/\n\s*\n/)) if (p.trim()) blocks.push({ kind: 'paragraph', text: p.trim() });
    blocks.push({
      kind: 'signature',
      text: `Addendum signed by ${a.author.name} on ${formatDateTime(a.signedAt, tz)}.`,
    });
  });
  return blocks;
}

/** The report as plain text (FHIR presentedForm, the narrative, e-mail), in the PDF's order. */
export function renderReportText(report: SignedReport, options: ReportLayoutOptions = {}): string {
  const lines: string[] = [];
  if (report.kind === 'preliminary') lines.push('*** PRELIMINARY REPORT ***', '');
  lines.push(report.title.toUpperCase(), runningHeader(report, options), '');
  for (const b of reportBlocks(report, options)) {
    if (b.kind === 'heading') lines.push('', b.text.toUpperCase());
    else if (b.kind === 'paragraph') lines.push(b.text, '');
    else if (b.kind === 'fields') for (const [k, v] of b.rows) lines.push(`${k}: ${v}`);
    else if (b.kind === 'list') for (const item of b.items) lines.push(`- ${item}`);
    else lines.push('', b.text);
  }
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}
