import type { SignedReportCriticalFinding, SignedReportMeasurement } from './signed-report.ts';
import { type ReportTemplate, type TemplateSection, TemplateSectionKind } from './template.ts';

/**
 * What a reader writes: the sections as filled in, the impression, measurements and critical findings.
 * A draft and every signed version carry one.
 */
export interface ReportSectionContent {
  id: string;
  title: string;
  text: string;
  /** The pick-list choices picked (their phrases are in `text`). */
  choiceIds?: string[];
  /** Copied from the template: a required section must not be empty when signing. */
  required?: boolean;
}

export interface ReportMeasurement extends SignedReportMeasurement {
  /** The template slot it fills, when it fills one. */
  slotId?: string;
}

export interface ReportContent {
  templateId?: string;
  title: string;
  sections: ReportSectionContent[];
  impression: string;
  measurements: ReportMeasurement[];
  /** Categories are the ACR ones of `CriticalCategory` (the critical-results protocol's). */
  criticalFindings: SignedReportCriticalFinding[];
  /** Only in an addendum draft or version: the text added after the final report. */
  addendum?: string;
}

/** A new draft from a template: its sections with their default text, and its default impression. */
export function contentFromTemplate(template: ReportTemplate): ReportContent {
  return {
    templateId: template.id,
    title: template.title,
    sections: template.sections.map((s) => ({
      id: s.id,
      title: s.title,
      text: s.defaultText ?? '',
      ...(s.kind === TemplateSectionKind.Single || s.kind === TemplateSectionKind.Multi
        ? { choiceIds: [] }
        : {}),
      ...(s.required ? { required: true } : {}),
    })),
    impression: template.impression.defaultText ?? '',
    measurements: [],
    criticalFindings: [],
  };
}

/** A free-form report, for a case no template matches. */
export function freeFormContent(title: string): ReportContent {
  return {
    title,
    sections: [{ id: 'findings', title: 'Findings', text: '', required: true }],
    impression: '',
    measurements: [],
    criticalFindings: [],
  };
}

function appendPhrase(text: string, phrase: string): string {
  if (text === '' || /\s$/.test(text)) return text + phrase;
  return `${text} ${phrase}`;
}

function removePhrase(text: string, phrase: string): string {
  const at = text.lastIndexOf(phrase);
  if (at < 0) return text;
  let start = at;
  const end = at + phrase.length;
  // The space appendPhrase put before it goes too, so unpicking leaves the text as it was.
  if (start > 0 && text[start - 1] === ' ' && (end === text.length || /\s/.test(text[end]!))) start--;
  return text.slice(0, start) + text.slice(end);
}

/**
 * Picks or unpicks a pick-list choice: its phrase is appended to the section's text or taken out again.
 * On a single pick-list, picking a choice takes out the phrase of the one picked before.
 */
export function toggleChoice(
  section: TemplateSection,
  current: { text: string; choiceIds: readonly string[] },
  choiceId: string,
): { text: string; choiceIds: string[] } {
  const choice = section.choices?.find((c) => c.id === choiceId);
  if (!choice) return { text: current.text, choiceIds: [...current.choiceIds] };
  let text = current.text;
  let ids = [...current.choiceIds];
  if (ids.includes(choiceId)) {
    return { text: removePhrase(text, choice.phrase), choiceIds: ids.filter((i) => i !== choiceId) };
  }
  if (section.kind === TemplateSectionKind.Single) {
    for (const prev of ids) {
      const p = section.choices?.find((c) => c.id === prev);
      if (p) text = removePhrase(text, p.phrase);
    }
    ids = [];
  }
  return { text: appendPhrase(text, choice.phrase), choiceIds: [...ids, choiceId] };
}

function formatValue(value: number): string {
  // Two decimals at most: a viewer's 12.345678 mm is not more true than 12.35 mm.
  return String(Math.round(value * 100) / 100);
}

/** How a measurement reads in a report: 'Largest lesion: 12.35 mm (series 3, image 41)'. */
export function measurementPhrase(m: { label: string; value: number; unit: string; where?: string }): string {
  return `${m.label}: ${formatValue(m.value)} ${m.unit}${m.where ? ` (${m.where})` : ''}`.trim();
}

/** Adds a measurement to the content and its phrase to a section's text (a new content; the input is kept). */
export function insertMeasurement(
  content: ReportContent,
  sectionId: string,
  m: ReportMeasurement,
): ReportContent {
  return {
    ...content,
    measurements: [...content.measurements, { ...m }],
    sections: content.sections.map((s) =>
      s.id === sectionId ? { ...s, text: appendPhrase(s.text, `${measurementPhrase(m)}.`) } : s,
    ),
  };
}

/** Sections a signature needs filled and finds empty (the impression counts as one, always required). */
export function missingRequired(content: ReportContent): string[] {
  const missing = content.sections.filter((s) => s.required && s.text.trim() === '').map((s) => s.title);
  if (content.impression.trim() === '') missing.push('Impression');
  return missing;
}

const CATEGORY_LABEL: Record<string, string> = {
  critical: 'CRITICAL',
  urgent: 'URGENT',
  'unexpected-significant': 'UNEXPECTED SIGNIFICANT',
};

/**
 * The report as plain text: title, each non-empty section, the impression, critical findings, then the
 * addenda given (oldest first). What the diff compares and what a text-only output shows.
 */
export function renderReportText(
  content: ReportContent,
  addenda: readonly { text: string; author: string; signedAt: number }[] = [],
): string {
  const parts: string[] = [content.title.toUpperCase()];
  for (const s of content.sections)
    if (s.text.trim()) parts.push(`${s.title.toUpperCase()}:\n${s.text.trim()}`);
  parts.push(`IMPRESSION:\n${content.impression.trim()}`);
  if (content.criticalFindings.length > 0)
    parts.push(
      `CRITICAL FINDINGS:\n${content.criticalFindings
        .map((f) => `- ${CATEGORY_LABEL[f.category] ?? f.category}: ${f.finding}`)
        .join('\n')}`,
    );
  for (const a of addenda)
    parts.push(`ADDENDUM (${a.author}, ${new Date(a.signedAt).toISOString()}):\n${a.text.trim()}`);
  return parts.join('\n\n');
}
