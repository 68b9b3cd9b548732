// The routing configuration's sections, read for people: rules as "when ... then ...", shifts as days
// and hours in their zone, what a shift covers. The document is JSON of a known shape, but the page must
// keep working when a section holds something unexpected, so every reader here is defensive.

export const RoutingSection = {
  Rules: 'rules',
  Shifts: 'shifts',
  Rosters: 'rosters',
  Readers: 'readers',
  Pools: 'pools',
  Sla: 'sla',
  Sites: 'sites',
  Partners: 'partners',
  WorkWeights: 'workWeights',
} as const;
export type RoutingSection = (typeof RoutingSection)[keyof typeof RoutingSection];

export const routingSections: readonly RoutingSection[] = Object.values(RoutingSection);

export const routingSectionLabels: Record<RoutingSection, string> = {
  rules: 'Rules',
  shifts: 'Shifts',
  rosters: 'Rosters',
  readers: 'Readers',
  pools: 'Pools',
  sla: 'SLA',
  sites: 'Sites',
  partners: 'Partners',
  workWeights: 'Work weights',
};

export function isRoutingSection(value: string | null): value is RoutingSection {
  return value !== null && (routingSections as readonly string[]).includes(value);
}

export type Json = Record<string, unknown>;

export function asRecord(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asStrings(value: unknown): string[] {
  return asArray(value).filter((v): v is string => typeof v === 'string');
}

export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const weekdayLabels: Record<string, string> = {
  mon: 'Mon',
  tue: 'Tue',
  wed: 'Wed',
  thu: 'Thu',
  fri: 'Fri',
  sat: 'Sat',
  sun: 'Sun',
};

/** Shift days as ranges: `Mon–Fri`, `Mon–Wed, Sat`, `Every day`. */
export function formatDays(days: readonly string[]): string {
  const set = new Set(days.map((d) => d.toLowerCase()));
  const indices = weekdays.map((d, i) => (set.has(d) ? i : -1)).filter((i) => i >= 0);
  if (indices.length === 7) return 'Every day';
  if (indices.length === 0) return 'No days';
  const ranges: string[] = [];
  let start = indices[0]!;
  let previous = start;
  const flush = () => {
    const from = weekdayLabels[weekdays[start]!]!;
    const to = weekdayLabels[weekdays[previous]!]!;
    if (start === previous) ranges.push(from);
    else if (previous === start + 1) ranges.push(`${from}, ${to}`);
    else ranges.push(`${from}–${to}`);
  };
  for (const i of indices.slice(1)) {
    if (i === previous + 1) {
      previous = i;
      continue;
    }
    flush();
    start = i;
    previous = i;
  }
  flush();
  return ranges.join(', ');
}

/** Shift hours: `08:00–18:00`; a shift that ends at or before it starts runs overnight. */
export function formatHours(start: string, end: string): string {
  if (start === end) return `${start}–${end} (24 h)`;
  return end < start ? `${start}–${end} (overnight)` : `${start}–${end}`;
}

const workFilterParts: [key: string, label: string][] = [
  ['modalities', 'modality'],
  ['bodyParts', 'body part'],
  ['priorities', 'priority'],
  ['siteIds', 'site'],
  ['pathways', 'pathway'],
  ['subspecialties', 'subspecialty'],
];

/** What a shift covers, e.g. `modality CT, MR · site north`; `All work` when it covers everything. */
export function describeWorkFilter(covers: unknown): string {
  const c = asRecord(covers);
  const parts = workFilterParts.flatMap(([key, label]) => {
    const values = asStrings(c[key]);
    return values.length > 0 ? [`${label} ${values.join(', ')}`] : [];
  });
  return parts.length > 0 ? parts.join(' · ') : 'All work';
}

/** A rule's conditions as phrases, one per condition; empty means "every case". */
export function describeConditions(when: unknown): string[] {
  const w = asRecord(when);
  const out: string[] = [];
  const listed: [key: string, label: string][] = [
    ['modalities', 'modality'],
    ['bodyParts', 'body part'],
    ['procedures', 'procedure contains'],
    ['priorities', 'priority'],
    ['pathways', 'pathway'],
    ['siteIds', 'site'],
    ['siteKinds', 'site kind'],
    ['partnerIds', 'partner'],
    ['aiFlags', 'AI flag'],
  ];
  for (const [key, label] of listed) {
    const values = asStrings(w[key]);
    if (values.length > 0) out.push(`${label} ${values.join(' or ')}`);
  }
  const age = asRecord(w.studyAgeMinutes);
  if (typeof age.min === 'number' && typeof age.max === 'number')
    out.push(`waiting ${age.min}–${age.max} min`);
  else if (typeof age.min === 'number') out.push(`waiting at least ${age.min} min`);
  else if (typeof age.max === 'number') out.push(`waiting at most ${age.max} min`);
  if (w.uncovered === true) out.push('no covering reader on shift');
  if (typeof w.siteQueueDepthAtLeast === 'number') out.push(`site queue at least ${w.siteQueueDepthAtLeast}`);
  return out;
}

/** Where a rule sends a case, in words. */
export function describeTarget(target: unknown): string {
  const t = asRecord(target);
  switch (t.kind) {
    case undefined:
    case 'covering-shifts':
      return t.scope === 'any'
        ? 'Readers on covering shifts (any site)'
        : "Readers on shifts covering the case's site";
    case 'shift':
      return `Readers on shift ${text(t.shiftId)}`;
    case 'pool':
      return `Pool ${text(t.poolId)}${t.onShift === false ? ' (on shift or not)' : ' (on shift)'}`;
    case 'reader':
      return `Reader ${text(t.readerId)}${t.onShift === true ? ' (when on shift)' : ''}`;
    case 'anyone-on-shift':
      return 'Anyone on shift, anywhere';
    case 'hub':
      return "The site's hub";
    default:
      return text(t.kind);
  }
}

/** What a rule does besides routing: raise priority, set a pathway or SLA class, require a skill. */
export function describeActions(then: unknown): string[] {
  const t = asRecord(then);
  const out: string[] = [];
  if (typeof t.raisePriority === 'string') out.push(`raise priority to ${t.raisePriority}`);
  if (typeof t.setPathway === 'string') out.push(`pathway ${t.setPathway}`);
  if (typeof t.slaClass === 'string') out.push(`SLA class ${t.slaClass}`);
  const require = asRecord(t.require);
  const subs = asStrings(require.subspecialties);
  const mods = asStrings(require.modalities);
  if (subs.length > 0) out.push(`requires ${subs.join(' or ')}`);
  if (mods.length > 0) out.push(`requires modality ${mods.join(' or ')}`);
  const preferred = asStrings(t.preferredReaderIds);
  if (preferred.length > 0) out.push(`prefers ${preferred.join(', ')}`);
  return out;
}

export type ParsedSection = { ok: true; value: unknown } | { ok: false; message: string };

/** Parses an edited section; a syntax error says where, since the textarea is all the editor there is. */
export function parseSectionJson(source: string): ParsedSection {
  if (source.trim() === '')
    return { ok: false, message: 'The section is empty; write JSON, e.g. [] for an empty list.' };
  try {
    return { ok: true, value: JSON.parse(source) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    if (position) {
      const offset = Number(position[1]);
      const before = source.slice(0, offset);
      const line = before.split('\n').length;
      const column = offset - before.lastIndexOf('\n');
      return { ok: false, message: `Not valid JSON at line ${line}, column ${column}: ${message}` };
    }
    return { ok: false, message: `Not valid JSON: ${message}` };
  }
}

/** A section as the editor starts it: pretty JSON. */
export function sectionSource(value: unknown): string {
  return JSON.stringify(value ?? null, null, 2);
}

/**
 * Whether a validation error's path falls in a section, so the editor can list the section's own errors
 * first. Paths may be written `rules[0].when`, `$.rules[0]`, `/rules/0` or `rules.0`.
 */
export function pathInSection(path: string, section: RoutingSection): boolean {
  const normalised = path.replace(/^\$\.?/, '').replace(/^\//, '');
  return new RegExp(`^${section}(?:$|[.[/])`).test(normalised);
}
