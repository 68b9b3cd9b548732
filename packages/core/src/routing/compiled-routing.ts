import { MS_PER_DAY, MS_PER_MINUTE, parseCalendarDate } from './calendar-date.ts';
import type {
  Partner,
  Pool,
  Reader,
  RosterEntry,
  RouteTarget,
  RoutingConfig,
  Rule,
  Shift,
  Site,
  SiteKind,
  Strategy,
  WorkFilter,
} from './model.ts';
import { type ShiftTimes, shiftInstanceAt, shiftTimesOf } from './shift-calendar.ts';

/**
 * A routing config turned into indexes once, so that routing a case costs lookups rather than scans. The
 * config is read as it was at compile time: compile again after any change. Matching is case-insensitive,
 * so every list a case is matched against is kept lower-cased, with its display text alongside for the
 * explanations.
 */

/** A list condition: its lower-cased members for matching, and how a coordinator sees it: '[CT, MR]'. */
export interface MatchList {
  set: ReadonlySet<string>;
  text: string;
}

export interface CompiledFilter {
  modalities?: MatchList;
  bodyParts?: MatchList;
  priorities?: MatchList;
  siteIds?: MatchList;
  pathways?: MatchList;
  subspecialties?: MatchList;
}

export interface CompiledShift {
  shift: Shift;
  /** Undefined when the times are malformed (an unvalidated config): the shift is never on. */
  times: ShiftTimes | undefined;
  covers: CompiledFilter;
  /** e.g. 'Night CT (22:00-07:00 America/Chicago)'. */
  label: string;
}

/** A dated entry (roster, licence, privilege) with its dates as day numbers; `toDay` is Infinity when open. */
export interface DatedSpan {
  fromDay: number;
  toDay: number;
  from: string;
  to?: string;
}

export interface CompiledRosterEntry extends DatedSpan {
  readerId: string;
  shiftId: string;
}

export interface CompiledReader {
  reader: Reader;
  active: boolean;
  modalities: ReadonlySet<string>;
  subspecialties: ReadonlySet<string>;
  /** Keyed by lower-cased jurisdiction. */
  licences: ReadonlyMap<string, DatedSpan[]>;
  /** Keyed by site id. */
  privileges: ReadonlyMap<string, DatedSpan[]>;
}

export interface CompiledConditions {
  modalities?: MatchList;
  bodyParts?: MatchList;
  /** Lower-cased substrings and their original spelling. */
  procedures?: { needles: string[]; text: string };
  priorities?: MatchList;
  pathways?: MatchList;
  siteIds?: MatchList;
  siteKinds?: MatchList;
  partnerIds?: MatchList;
  aiFlags?: MatchList;
  studyAgeMinutes?: { min?: number; max?: number };
  uncovered?: boolean;
  siteQueueDepthAtLeast?: number;
}

export interface CompiledRule {
  rule: Rule;
  enabled: boolean;
  kind: 'route' | 'modify';
  when: CompiledConditions;
  target: RouteTarget;
  strategy: Strategy;
  requireSubspecialties?: MatchList;
  requireModalities?: MatchList;
  preferredReaderIds: string[];
}

/** A shift instance running at some minute, with the active readers rostered for it. */
export interface ActiveShift {
  shift: CompiledShift;
  /** The local day the instance started on, as a day number and as 'YYYY-MM-DD'. */
  dayNumber: number;
  startsAt: number;
  endsAt: number;
  readerIds: string[];
}

/** Who is on which shift during one minute. */
export interface OnShiftSnapshot {
  minute: number;
  active: ActiveShift[];
  byShiftId: ReadonlyMap<string, ActiveShift>;
  /** Active readers only, each with every shift they are rostered on now. */
  shiftsByReader: ReadonlyMap<string, ActiveShift[]>;
  /** Roster entries dated within a day or two of the minute: the readers a shift could plausibly have now. */
  nearbyByShift: ReadonlyMap<string, CompiledRosterEntry[]>;
  nearbyByReader: ReadonlyMap<string, CompiledRosterEntry[]>;
}

export interface CompiledRouting {
  config: RoutingConfig;
  readers: ReadonlyMap<string, CompiledReader>;
  sites: ReadonlyMap<string, Site>;
  partners: ReadonlyMap<string, Partner>;
  shifts: ReadonlyMap<string, CompiledShift>;
  shiftList: readonly CompiledShift[];
  /** Shifts whose covers list the site (by lower-cased site id), and those that list no site (cover all). */
  shiftsBySite: ReadonlyMap<string, CompiledShift[]>;
  shiftsForAnySite: readonly CompiledShift[];
  pools: ReadonlyMap<string, Pool>;
  rosterByShift: ReadonlyMap<string, CompiledRosterEntry[]>;
  rosterEntries: readonly CompiledRosterEntry[];
  /** In config order, disabled ones included (they are skipped when routing). */
  rules: readonly CompiledRule[];
  /** Lower-cased modality -> work weight. */
  workWeights: ReadonlyMap<string, number>;
  /** Lower-cased pathway -> SLA class id. */
  slaByPathway: ReadonlyMap<string, string>;
  /**
   * Caches filled as routing runs (the one mutable part): on-shift snapshots by minute, nearby roster
   * entries by UTC day. Both are pure functions of the config and the minute, so caching cannot change an
   * answer, and a simulation that routes thousands of cases in one minute computes the shifts once.
   */
  cache: { snapshots: Map<number, OnShiftSnapshot>; nearby: Map<number, NearbyRoster> };
}

interface NearbyRoster {
  byShift: Map<string, CompiledRosterEntry[]>;
  byReader: Map<string, CompiledRosterEntry[]>;
}

const SNAPSHOTS_KEPT = 8;

function lower(values: readonly string[]): Set<string> {
  return new Set(values.map((v) => v.toLowerCase()));
}

/** Builds a match list, or undefined when the list is absent (absent means "any"). */
export function matchList(values: readonly string[] | undefined): MatchList | undefined {
  if (values === undefined) return undefined;
  return { set: lower(values), text: `[${values.join(', ')}]` };
}

function compileFilter(filter: WorkFilter | undefined): CompiledFilter {
  const f = filter ?? {};
  return {
    modalities: matchList(f.modalities),
    bodyParts: matchList(f.bodyParts),
    priorities: matchList(f.priorities),
    siteIds: matchList(f.siteIds),
    pathways: matchList(f.pathways),
    subspecialties: matchList(f.subspecialties),
  };
}

function datedSpan(from: string, to: string | undefined): DatedSpan {
  const fromDay = parseCalendarDate(from) ?? Number.POSITIVE_INFINITY;
  const toDay =
    to === undefined ? Number.POSITIVE_INFINITY : (parseCalendarDate(to) ?? Number.NEGATIVE_INFINITY);
  return to === undefined ? { fromDay, toDay, from } : { fromDay, toDay, from, to };
}

function compileReader(reader: Reader): CompiledReader {
  const licences = new Map<string, DatedSpan[]>();
  for (const l of reader.licences ?? []) {
    const key = l.jurisdiction.toLowerCase();
    const list = licences.get(key) ?? [];
    list.push(datedSpan(l.validFrom, l.validTo));
    licences.set(key, list);
  }
  const privileges = new Map<string, DatedSpan[]>();
  for (const p of reader.privileges ?? []) {
    const list = privileges.get(p.siteId) ?? [];
    list.push(datedSpan(p.validFrom, p.validTo));
    privileges.set(p.siteId, list);
  }
  return {
    reader,
    active: reader.active !== false,
    modalities: lower(reader.modalities ?? []),
    subspecialties: lower(reader.subspecialties ?? []),
    licences,
    privileges,
  };
}

/** One rule turned into the form routing evaluates (lower-cased lists, defaults filled in). */
export function compileRule(rule: Rule): CompiledRule {
  const w = rule.when ?? {};
  const t = rule.then ?? {};
  return {
    rule,
    enabled: rule.enabled !== false,
    kind: rule.kind ?? 'route',
    when: {
      modalities: matchList(w.modalities),
      bodyParts: matchList(w.bodyParts),
      procedures: w.procedures && {
        needles: w.procedures.map((p) => p.toLowerCase()),
        text: `[${w.procedures.map((p) => JSON.stringify(p)).join(', ')}]`,
      },
      priorities: matchList(w.priorities),
      pathways: matchList(w.pathways),
      siteIds: matchList(w.siteIds),
      siteKinds: matchList(w.siteKinds as SiteKind[] | undefined),
      partnerIds: matchList(w.partnerIds),
      aiFlags: matchList(w.aiFlags),
      studyAgeMinutes: w.studyAgeMinutes,
      uncovered: w.uncovered,
      siteQueueDepthAtLeast: w.siteQueueDepthAtLeast,
    },
    target: t.target ?? { kind: 'covering-shifts' },
    strategy: t.strategy ?? 'balanced',
    requireSubspecialties: matchList(t.require?.subspecialties),
    requireModalities: matchList(t.require?.modalities),
    preferredReaderIds: t.preferredReaderIds ?? [],
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Precomputes everything routing looks up: readers, sites, shifts and pools by id, roster entries per shift,
 * rules in order with lower-cased sets, work weights. Expects a config that passed `validateRoutingConfig`;
 * it does not throw on a bad one, but routing results are then undefined.
 */
export function compileRouting(config: RoutingConfig): CompiledRouting {
  const readers = new Map<string, CompiledReader>();
  for (const r of config.readers) readers.set(r.id, compileReader(r));
  const sites = new Map<string, Site>();
  for (const s of config.sites) sites.set(s.id, s);
  const partners = new Map<string, Partner>();
  for (const p of config.partners ?? []) partners.set(p.id, p);
  const shiftList: CompiledShift[] = config.shifts.map((shift) => ({
    shift,
    times: shiftTimesOf(shift),
    covers: compileFilter(shift.covers),
    label: `${shift.name} (${shift.start}-${shift.end} ${shift.timeZone})`,
  }));
  const shifts = new Map<string, CompiledShift>();
  for (const s of shiftList) shifts.set(s.shift.id, s);
  const shiftsBySite = new Map<string, CompiledShift[]>();
  const shiftsForAnySite: CompiledShift[] = [];
  for (const s of shiftList) {
    if (!s.covers.siteIds) shiftsForAnySite.push(s);
    else for (const siteId of s.covers.siteIds.set) push(shiftsBySite, siteId, s);
  }
  const pools = new Map<string, Pool>();
  for (const p of config.pools ?? []) pools.set(p.id, p);
  const rosterEntries: CompiledRosterEntry[] = config.rosters.map((e: RosterEntry) => ({
    readerId: e.readerId,
    shiftId: e.shiftId,
    ...datedSpan(e.from, e.to),
  }));
  const rosterByShift = new Map<string, CompiledRosterEntry[]>();
  for (const e of rosterEntries) push(rosterByShift, e.shiftId, e);
  const workWeights = new Map<string, number>();
  for (const [modality, weight] of Object.entries(config.workWeights ?? {})) {
    workWeights.set(modality.toLowerCase(), weight);
  }
  const slaByPathway = new Map<string, string>();
  for (const [pathway, cls] of Object.entries(config.sla.byPathway ?? {})) {
    slaByPathway.set(pathway.toLowerCase(), cls);
  }
  return {
    config,
    readers,
    sites,
    partners,
    shifts,
    shiftList,
    shiftsBySite,
    shiftsForAnySite,
    pools,
    rosterByShift,
    rosterEntries,
    rules: config.rules.map(compileRule),
    workWeights,
    slaByPathway,
    cache: { snapshots: new Map(), nearby: new Map() },
  };
}

/** True when the entry's dates include local day `dayNumber`. */
export function spanCoversDay(span: DatedSpan, dayNumber: number): boolean {
  return span.fromDay <= dayNumber && dayNumber <= span.toDay;
}

function nearbyRoster(compiled: CompiledRouting, utcDay: number): NearbyRoster {
  let found = compiled.cache.nearby.get(utcDay);
  if (found) return found;
  // A running instance started on a local date between two days before and one day after the UTC date
  // (zones run from UTC-12 to UTC+14, and overnight instances start the day before).
  const lo = utcDay - 2;
  const hi = utcDay + 1;
  found = { byShift: new Map(), byReader: new Map() };
  for (const e of compiled.rosterEntries) {
    if (e.toDay < lo || e.fromDay > hi) continue;
    push(found.byShift, e.shiftId, e);
    push(found.byReader, e.readerId, e);
  }
  if (compiled.cache.nearby.size >= 4) compiled.cache.nearby.clear();
  compiled.cache.nearby.set(utcDay, found);
  return found;
}

/**
 * Who is on which shift during the minute containing `at`. Shift edges are whole local minutes, so the
 * answer holds for the whole minute, which is what makes it cacheable per minute.
 */
export function onShiftAt(compiled: CompiledRouting, at: number): OnShiftSnapshot {
  const minute = Math.floor(at / MS_PER_MINUTE) * MS_PER_MINUTE;
  const cached = compiled.cache.snapshots.get(minute);
  if (cached) return cached;
  const nearby = nearbyRoster(compiled, Math.floor(minute / MS_PER_DAY));
  const active: ActiveShift[] = [];
  const byShiftId = new Map<string, ActiveShift>();
  const shiftsByReader = new Map<string, ActiveShift[]>();
  for (const shift of compiled.shiftList) {
    if (!shift.times) continue;
    const entries = nearby.byShift.get(shift.shift.id);
    const instance = shiftInstanceAt(shift.times, minute);
    if (!instance) continue;
    const on: ActiveShift = { shift, ...instance, readerIds: [] };
    for (const e of entries ?? []) {
      if (!spanCoversDay(e, instance.dayNumber) || on.readerIds.includes(e.readerId)) continue;
      if (!compiled.readers.get(e.readerId)?.active) continue;
      on.readerIds.push(e.readerId);
      push(shiftsByReader, e.readerId, on);
    }
    active.push(on);
    byShiftId.set(shift.shift.id, on);
  }
  const snapshot: OnShiftSnapshot = {
    minute,
    active,
    byShiftId,
    shiftsByReader,
    nearbyByShift: nearby.byShift,
    nearbyByReader: nearby.byReader,
  };
  if (compiled.cache.snapshots.size >= SNAPSHOTS_KEPT) {
    const oldest = compiled.cache.snapshots.keys().next().value;
    if (oldest !== undefined) compiled.cache.snapshots.delete(oldest);
  }
  compiled.cache.snapshots.set(minute, snapshot);
  return snapshot;
}
