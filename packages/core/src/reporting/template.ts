/**
 * Report templates: what a reader fills in for a kind of study. A template is data (stored as JSON and
 * edited by people with report:manage), so it is validated completely, every problem named by its JSON path.
 */

export const TemplateSectionKind = {
  /** Free text, optionally prefilled with default text. */
  Text: 'text',
  /** Pick one choice; choosing inserts its phrase into the section's text (and takes out the previous one). */
  Single: 'single',
  /** Pick any number of choices; each inserts (or, unpicked, takes out) its phrase. */
  Multi: 'multi',
  /** Named measurement slots (e.g. "largest lesion, mm"), filled by hand or from the viewer's measurements. */
  Measurements: 'measurements',
} as const;
export type TemplateSectionKind = (typeof TemplateSectionKind)[keyof typeof TemplateSectionKind];

export interface TemplateChoice {
  id: string;
  label: string;
  /** The text a pick inserts, e.g. 'No acute intracranial haemorrhage.' */
  phrase: string;
}

export interface TemplateMeasurementSlot {
  id: string;
  label: string;
  unit: string;
}

export interface TemplateSection {
  id: string;
  title: string;
  kind: TemplateSectionKind;
  /** A report cannot be signed while a required section is empty. */
  required?: boolean;
  defaultText?: string;
  /** A prompt shown to the reader, never part of the report. */
  hint?: string;
  /** For single and multi pick-lists. */
  choices?: TemplateChoice[];
  /** For measurement sections. */
  slots?: TemplateMeasurementSlot[];
}

/** Which cases a template is for; every criterion given must hold, and a list holds when any entry does. */
export interface TemplateMatch {
  /** DICOM modalities, e.g. ['CT']. */
  modalities?: string[];
  /** DICOM Body Part Examined values, e.g. ['HEAD', 'BRAIN']. */
  bodyParts?: string[];
  /** Subspecialties of the reader or the case's pathway, e.g. ['neuro', 'stroke']. */
  specialties?: string[];
  /** Case-insensitive substrings of the procedure description, e.g. ['chest', 'abdomen']. */
  procedures?: string[];
}

export interface ReportTemplate {
  id: string;
  name: string;
  /** The report's title, e.g. 'CT HEAD WITHOUT CONTRAST'. */
  title: string;
  match: TemplateMatch;
  sections: TemplateSection[];
  impression: { defaultText?: string; hint?: string };
  /** Inactive templates are kept (signed reports name them) but never chosen. Default true. */
  active?: boolean;
}

export interface TemplateIssue {
  path: string;
  message: string;
}

export type TemplateValidation =
  | { ok: true; template: ReportTemplate }
  | { ok: false; errors: TemplateIssue[] };

type Obj = Record<string, unknown>;
const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const KINDS = Object.values(TemplateSectionKind);
const MAX_TEXT = 20_000;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

/**
 * Validates a template document (parsed JSON), collecting every problem so an author fixes it in one pass.
 * On success returns the template with only known keys, trimmed ids and `active` defaulted to true.
 */
export function validateReportTemplate(doc: unknown): TemplateValidation {
  const errors: TemplateIssue[] = [];
  const err = (path: string, message: string) => errors.push({ path, message });

  const keys = (o: Obj, path: string, allowed: readonly string[], required: readonly string[]) => {
    for (const k of Object.keys(o))
      if (!allowed.includes(k))
        err(path ? `${path}.${k}` : k, `unknown key "${k}"; allowed: ${allowed.join(', ')}`);
    for (const k of required) if (o[k] === undefined) err(path ? `${path}.${k}` : k, 'is required');
  };
  const str = (o: Obj, key: string, path: string, opts: { id?: boolean; empty?: boolean } = {}) => {
    const v = o[key];
    const p = path ? `${path}.${key}` : key;
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || (!opts.empty && v.trim() === '')) {
      err(p, `must be a${opts.empty ? '' : ' non-empty'} string, not ${kindOf(v)}`);
      return undefined;
    }
    if (v.length > MAX_TEXT) {
      err(p, `must be at most ${MAX_TEXT} characters`);
      return undefined;
    }
    if (opts.id && !ID.test(v)) {
      err(p, `must be an id of lower-case letters, digits, '.', '_' or '-' (at most 64), not ${kindOf(v)}`);
      return undefined;
    }
    return v;
  };
  const list = <T>(o: Obj, key: string, path: string, each: (v: unknown, p: string) => T | undefined) => {
    const v = o[key];
    const p = path ? `${path}.${key}` : key;
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) {
      err(p, `must be an array, not ${kindOf(v)}`);
      return undefined;
    }
    const out: T[] = [];
    v.forEach((x, i) => {
      const r = each(x, `${p}[${i}]`);
      if (r !== undefined) out.push(r);
    });
    return out;
  };
  const words = (o: Obj, key: string, path: string) =>
    list(o, key, path, (x, p) => {
      if (typeof x !== 'string' || x.trim() === '') {
        err(p, `must be a non-empty string, not ${kindOf(x)}`);
        return undefined;
      }
      return x.trim();
    });
  const unique = (items: { id: string }[] | undefined, path: string, noun: string) => {
    const seen = new Map<string, number>();
    items?.forEach((item, i) => {
      const first = seen.get(item.id);
      if (first !== undefined)
        err(`${path}[${i}].id`, `duplicate ${noun} id "${item.id}" (first at [${first}])`);
      else seen.set(item.id, i);
    });
  };

  if (!isObj(doc))
    return { ok: false, errors: [{ path: '', message: `must be an object, not ${kindOf(doc)}` }] };
  keys(
    doc,
    '',
    ['id', 'name', 'title', 'match', 'sections', 'impression', 'active'],
    ['id', 'name', 'title', 'sections'],
  );
  const id = str(doc, 'id', '', { id: true });
  const name = str(doc, 'name', '');
  const title = str(doc, 'title', '');
  if (doc.active !== undefined && typeof doc.active !== 'boolean')
    err('active', `must be true or false, not ${kindOf(doc.active)}`);

  const match: TemplateMatch = {};
  if (doc.match !== undefined) {
    if (!isObj(doc.match)) err('match', `must be an object, not ${kindOf(doc.match)}`);
    else {
      keys(doc.match, 'match', ['modalities', 'bodyParts', 'specialties', 'procedures'], []);
      const modalities = words(doc.match, 'modalities', 'match');
      const bodyParts = words(doc.match, 'bodyParts', 'match');
      const specialties = words(doc.match, 'specialties', 'match');
      const procedures = words(doc.match, 'procedures', 'match');
      // Empty lists would match nothing, which is never what an author means: say so.
      for (const [k, v] of Object.entries({ modalities, bodyParts, specialties, procedures }))
        if (v && v.length === 0)
          err(`match.${k}`, 'must list at least one value, or be left out to match any');
      if (modalities?.length) match.modalities = modalities.map((m) => m.toUpperCase());
      if (bodyParts?.length) match.bodyParts = bodyParts.map((b) => b.toUpperCase());
      if (specialties?.length) match.specialties = specialties.map((s) => s.toLowerCase());
      if (procedures?.length) match.procedures = procedures.map((p) => p.toLowerCase());
    }
  }

  const sectionIds = new Map<string, string>();
  const sections = list(doc, 'sections', '', (s, p): TemplateSection | undefined => {
    if (!isObj(s)) {
      err(p, `must be an object, not ${kindOf(s)}`);
      return undefined;
    }
    keys(
      s,
      p,
      ['id', 'title', 'kind', 'required', 'defaultText', 'hint', 'choices', 'slots'],
      ['id', 'title', 'kind'],
    );
    const sid = str(s, 'id', p, { id: true });
    // Checked here rather than on the valid sections, so a duplicate is reported even beside other mistakes.
    if (sid !== undefined) {
      const first = sectionIds.get(sid);
      if (first !== undefined) err(`${p}.id`, `duplicate section id "${sid}" (first at ${first})`);
      else sectionIds.set(sid, p);
    }
    const stitle = str(s, 'title', p);
    const kind = s.kind;
    if (kind !== undefined && !KINDS.includes(kind as TemplateSectionKind))
      err(`${p}.kind`, `must be one of ${KINDS.join(', ')}, not ${kindOf(kind)}`);
    if (s.required !== undefined && typeof s.required !== 'boolean')
      err(`${p}.required`, `must be true or false, not ${kindOf(s.required)}`);
    const defaultText = str(s, 'defaultText', p, { empty: true });
    const hint = str(s, 'hint', p, { empty: true });
    const choices = list(s, 'choices', p, (c, cp): TemplateChoice | undefined => {
      if (!isObj(c)) {
        err(cp, `must be an object, not ${kindOf(c)}`);
        return undefined;
      }
      keys(c, cp, ['id', 'label', 'phrase'], ['id', 'label', 'phrase']);
      const cid = str(c, 'id', cp, { id: true });
      const label = str(c, 'label', cp);
      const phrase = str(c, 'phrase', cp);
      return cid && label && phrase ? { id: cid, label, phrase: phrase.trim() } : undefined;
    });
    const slots = list(s, 'slots', p, (m, mp): TemplateMeasurementSlot | undefined => {
      if (!isObj(m)) {
        err(mp, `must be an object, not ${kindOf(m)}`);
        return undefined;
      }
      keys(m, mp, ['id', 'label', 'unit'], ['id', 'label', 'unit']);
      const mid = str(m, 'id', mp, { id: true });
      const label = str(m, 'label', mp);
      const unit = str(m, 'unit', mp);
      return mid && label && unit ? { id: mid, label, unit } : undefined;
    });
    const pick = kind === TemplateSectionKind.Single || kind === TemplateSectionKind.Multi;
    if (pick && s.choices === undefined) err(`${p}.choices`, `is required for a ${String(kind)} pick-list`);
    if (pick && choices?.length === 0) err(`${p}.choices`, 'must list at least one choice');
    if (!pick && s.choices !== undefined)
      err(`${p}.choices`, 'only single and multi pick-lists have choices');
    if (kind === TemplateSectionKind.Measurements && slots?.length === 0)
      err(`${p}.slots`, 'must list at least one slot, or be left out');
    if (kind !== TemplateSectionKind.Measurements && s.slots !== undefined)
      err(`${p}.slots`, 'only measurement sections have slots');
    unique(choices, `${p}.choices`, 'choice');
    unique(slots, `${p}.slots`, 'slot');
    if (!sid || !stitle || !KINDS.includes(kind as TemplateSectionKind)) return undefined;
    return {
      id: sid,
      title: stitle,
      kind: kind as TemplateSectionKind,
      ...(s.required === true ? { required: true } : {}),
      ...(defaultText ? { defaultText } : {}),
      ...(hint ? { hint } : {}),
      ...(choices && pick ? { choices } : {}),
      ...(slots?.length ? { slots } : {}),
    };
  });
  if (sections?.length === 0) err('sections', 'must list at least one section');
  if (sections?.some((s) => s.id === 'impression'))
    err(
      `sections[${sections.findIndex((s) => s.id === 'impression')}].id`,
      '"impression" is reserved for the impression',
    );

  let impression: ReportTemplate['impression'] = {};
  if (doc.impression !== undefined) {
    if (!isObj(doc.impression)) err('impression', `must be an object, not ${kindOf(doc.impression)}`);
    else {
      keys(doc.impression, 'impression', ['defaultText', 'hint'], []);
      const defaultText = str(doc.impression, 'defaultText', 'impression', { empty: true });
      const hint = str(doc.impression, 'hint', 'impression', { empty: true });
      impression = { ...(defaultText ? { defaultText } : {}), ...(hint ? { hint } : {}) };
    }
  }

  if (errors.length > 0 || !id || !name || !title || !sections) return { ok: false, errors };
  return {
    ok: true,
    template: { id, name, title, match, sections, impression, active: doc.active !== false },
  };
}
