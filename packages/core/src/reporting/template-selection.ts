import type { ReportTemplate, TemplateMatch } from './template.ts';

/** What a template is chosen for: the case's study and the reader who reports it. */
export interface TemplateSubject {
  modalities: readonly string[];
  bodyParts: readonly string[];
  procedure?: string;
  /** The reader's subspecialties and the case's pathway. */
  specialties: readonly string[];
}

export interface TemplateCandidate {
  templateId: string;
  name: string;
  matched: boolean;
  /** How many criteria the template states (and, when matched, met): more is more specific. */
  specificity: number;
  /** Why it matched or did not, one line per criterion. */
  why: string[];
}

export interface TemplateSelection {
  template: ReportTemplate | undefined;
  /** One sentence for the reader: which template and why. */
  summary: string;
  candidates: TemplateCandidate[];
}

const CRITERIA = ['modalities', 'bodyParts', 'procedures', 'specialties'] as const;
const NOUN: Record<(typeof CRITERIA)[number], string> = {
  modalities: 'modality',
  bodyParts: 'body part',
  procedures: 'procedure',
  specialties: 'specialty',
};

function check(
  criterion: (typeof CRITERIA)[number],
  wanted: readonly string[],
  subject: TemplateSubject,
): { ok: boolean; why: string } {
  const noun = NOUN[criterion];
  if (criterion === 'procedures') {
    const p = (subject.procedure ?? '').toLowerCase();
    const hit = wanted.find((w) => p.includes(w.toLowerCase()));
    return hit
      ? { ok: true, why: `procedure "${subject.procedure}" contains "${hit}"` }
      : { ok: false, why: `procedure "${subject.procedure ?? ''}" contains none of ${wanted.join(', ')}` };
  }
  const have =
    criterion === 'modalities'
      ? subject.modalities.map((m) => m.toUpperCase())
      : criterion === 'bodyParts'
        ? subject.bodyParts.map((b) => b.toUpperCase())
        : subject.specialties.map((s) => s.toLowerCase());
  const norm = (w: string) => (criterion === 'specialties' ? w.toLowerCase() : w.toUpperCase());
  const hit = wanted.find((w) => have.includes(norm(w)));
  return hit
    ? { ok: true, why: `${noun} ${hit}` }
    : { ok: false, why: `${noun} ${have.length ? have.join(', ') : '(none)'} is not ${wanted.join(' or ')}` };
}

/** Whether one template's criteria hold for the subject, with the reason for each criterion. */
export function matchTemplate(
  match: TemplateMatch,
  subject: TemplateSubject,
): { matched: boolean; specificity: number; why: string[] } {
  let matched = true;
  let specificity = 0;
  const why: string[] = [];
  for (const c of CRITERIA) {
    const wanted = match[c];
    if (!wanted || wanted.length === 0) continue;
    specificity++;
    const r = check(c, wanted, subject);
    if (!r.ok) matched = false;
    why.push(r.why);
  }
  if (specificity === 0) why.push('matches any case (a fallback)');
  return { matched, specificity, why };
}

/**
 * Chooses the template for a case: among active templates whose criteria all hold, the most specific (the
 * one stating the most criteria); a tie goes to the template whose id sorts first, so the choice is stable
 * and can be explained. A template with no criteria is a fallback that matches any case.
 */
export function selectTemplate(
  templates: readonly ReportTemplate[],
  subject: TemplateSubject,
): TemplateSelection {
  const candidates: TemplateCandidate[] = templates
    .filter((t) => t.active !== false)
    .map((t) => ({ templateId: t.id, name: t.name, ...matchTemplate(t.match, subject) }))
    .sort((a, b) =>
      a.matched !== b.matched
        ? a.matched
          ? -1
          : 1
        : b.specificity - a.specificity ||
          (a.templateId < b.templateId ? -1 : a.templateId > b.templateId ? 1 : 0),
    );
  const best = candidates[0]?.matched ? candidates[0] : undefined;
  if (!best) {
    return {
      template: undefined,
      summary:
        candidates.length === 0
          ? 'No active report template exists; write the report free-form or ask an administrator to add templates'
          : 'No report template matches this case; write the report free-form or ask an administrator to add a fallback template',
      candidates,
    };
  }
  const template = templates.find((t) => t.id === best.templateId)!;
  const others = candidates.filter((c) => c.matched).length - 1;
  const tied = candidates.filter((c) => c.matched && c.specificity === best.specificity).length - 1;
  const reason =
    best.specificity === 0 ? 'the fallback; no more specific template matches' : best.why.join(', ');
  const rivals =
    others === 0
      ? 'the only matching template'
      : tied > 0
        ? `the most specific of ${others + 1} matching templates (tied with ${tied}, chosen by id)`
        : `the most specific of ${others + 1} matching templates`;
  return { template, summary: `"${template.name}": ${reason}; ${rivals}`, candidates };
}
