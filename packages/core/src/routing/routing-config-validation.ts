import { parseCalendarDate, parseWallTime } from './calendar-date.ts';
import {
  EscalationAction,
  Milestone,
  Priority,
  type RoutingConfig,
  SiteKind,
  Strategy,
  Weekday,
} from './model.ts';
import { isValidTimeZone } from './zoned-time.ts';

/** One problem in a routing document: where (a JSON path such as `rules[3].when.priorities[0]`) and what. */
export interface RoutingConfigIssue {
  path: string;
  message: string;
}

export type RoutingConfigValidation =
  | { ok: true; config: RoutingConfig; warnings: string[] }
  | { ok: false; errors: RoutingConfigIssue[] };

type Obj = Record<string, unknown>;

const PRIORITIES = Object.values(Priority);
const WEEKDAYS = Object.values(Weekday);
const SITE_KINDS = Object.values(SiteKind);
const STRATEGIES = Object.values(Strategy);
const MILESTONES = Object.values(Milestone);
const ESCALATION_ACTIONS = Object.values(EscalationAction);
const TARGET_KINDS = ['covering-shifts', 'shift', 'pool', 'reader', 'anyone-on-shift', 'hub'] as const;
const TARGET_KEYS: Record<(typeof TARGET_KINDS)[number], readonly string[]> = {
  'covering-shifts': ['kind', 'scope'],
  shift: ['kind', 'shiftId'],
  pool: ['kind', 'poolId', 'onShift'],
  reader: ['kind', 'readerId', 'onShift'],
  'anyone-on-shift': ['kind'],
  hub: ['kind'],
};

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (!IDENTIFIER.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

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

function listed(values: readonly string[], max = 12): string {
  if (values.length <= max) return values.join(', ');
  return `${values.slice(0, max).join(', ')} and ${values.length - max} more`;
}

/** The ids of one collection, and where each was first defined, for references and duplicate checks. */
interface IdIndex {
  noun: string;
  firstAt: Map<string, string>;
}

/**
 * Validates a routing document (parsed JSON) completely, collecting every problem rather than stopping at the
 * first, so an administrator can fix a file in one pass. Each error names the JSON path and what is expected
 * there. On success returns the config with defaults filled in (`partners: []`, `pools: []`, rules
 * `enabled: true` and `kind: 'route'`, readers `active: true`) and warnings about things that are allowed but
 * probably unintended (a reader nobody rostered, a shift nobody works, a rule that can never match).
 */
export function validateRoutingConfig(doc: unknown): RoutingConfigValidation {
  const errors: RoutingConfigIssue[] = [];
  const warnings: string[] = [];
  const err = (path: string, message: string) => errors.push({ path, message });

  // --- primitive checks; each reports and returns undefined when the value is absent or wrong -------------

  function keys(obj: Obj, path: string, allowed: readonly string[], required: readonly string[]): void {
    for (const k of Object.keys(obj)) {
      if (!allowed.includes(k)) err(at(path, k), `unknown key "${k}"; allowed: ${allowed.join(', ')}`);
    }
    for (const k of required) if (obj[k] === undefined) err(at(path, k), 'is required');
  }

  function str(obj: Obj, key: string, path: string): string | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.trim() === '') {
      err(at(path, key), `must be a non-empty string, not ${kindOf(v)}`);
      return undefined;
    }
    return v;
  }

  function bool(obj: Obj, key: string, path: string): boolean | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') {
      err(at(path, key), `must be true or false, not ${kindOf(v)}`);
      return undefined;
    }
    return v;
  }

  function num(
    obj: Obj,
    key: string,
    path: string,
    check: { integer?: boolean; min?: number; above?: number; max?: number; what: string },
  ): number | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (!check.integer || Number.isInteger(v)) &&
      (check.min === undefined || v >= check.min) &&
      (check.above === undefined || v > check.above) &&
      (check.max === undefined || v <= check.max);
    if (!ok) {
      err(at(path, key), `must be ${check.what}, not ${kindOf(v)}`);
      return undefined;
    }
    return v as number;
  }

  function oneOf<T extends string>(obj: Obj, key: string, path: string, values: readonly T[]): T | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      err(at(path, key), `must be one of ${values.join(', ')}, not ${kindOf(v)}`);
      return undefined;
    }
    return v as T;
  }

  function arr(obj: Obj, key: string, path: string): unknown[] | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) {
      err(at(path, key), `must be an array, not ${kindOf(v)}`);
      return undefined;
    }
    return v;
  }

  function strList(obj: Obj, key: string, path: string, values?: readonly string[]): string[] | undefined {
    const list = arr(obj, key, path);
    if (!list) return undefined;
    const here = at(path, key);
    const out: string[] = [];
    list.forEach((v, i) => {
      if (typeof v !== 'string' || v.trim() === '')
        err(at(here, i), `must be a non-empty string, not ${kindOf(v)}`);
      else if (values && !values.includes(v))
        err(at(here, i), `must be one of ${values.join(', ')}, not ${kindOf(v)}`);
      else out.push(v);
    });
    return out;
  }

  function date(obj: Obj, key: string, path: string): number | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    const day = typeof v === 'string' ? parseCalendarDate(v) : undefined;
    if (day === undefined) err(at(path, key), `must be a real date as 'YYYY-MM-DD', not ${kindOf(v)}`);
    return day;
  }

  function datedRange(obj: Obj, path: string, fromKey: string, toKey: string): void {
    const from = date(obj, fromKey, path);
    const to = date(obj, toKey, path);
    if (from !== undefined && to !== undefined && to < from) {
      err(at(path, toKey), `must be on or after ${fromKey} (${String(obj[fromKey])})`);
    }
  }

  function zone(obj: Obj, key: string, path: string): void {
    const v = obj[key];
    if (v === undefined) return;
    if (typeof v !== 'string' || !isValidTimeZone(v)) {
      err(
        at(path, key),
        `must be an IANA time zone such as 'Europe/London' or 'America/Chicago', not ${kindOf(v)}`,
      );
    }
  }

  function ref(index: IdIndex, id: string | undefined, path: string): boolean {
    if (id === undefined) return false;
    if (index.firstAt.has(id)) return true;
    const known = [...index.firstAt.keys()];
    err(
      path,
      known.length === 0
        ? `unknown ${index.noun} "${id}"; no ${index.noun} is defined`
        : `unknown ${index.noun} "${id}"; known: ${listed(known)}`,
    );
    return false;
  }

  function refList(obj: Obj, key: string, path: string, index: IdIndex): string[] | undefined {
    const list = strList(obj, key, path);
    if (!list) return undefined;
    const here = at(path, key);
    (obj[key] as unknown[]).forEach((v, i) => {
      if (typeof v === 'string' && v.trim() !== '') ref(index, v, at(here, i));
    });
    return list;
  }

  function emptyListWarning(obj: Obj, key: string, path: string, consequence: string): void {
    const v = obj[key];
    if (Array.isArray(v) && v.length === 0)
      warnings.push(`${at(path, key)} is an empty list: ${consequence}`);
  }

  // --- the document ------------------------------------------------------------------------------------

  if (!isObj(doc))
    return { ok: false, errors: [{ path: '', message: `must be an object, not ${kindOf(doc)}` }] };
  keys(
    doc,
    '',
    ['sites', 'partners', 'readers', 'shifts', 'rosters', 'pools', 'rules', 'sla', 'workWeights', 'fallback'],
    ['sites', 'readers', 'shifts', 'rosters', 'rules', 'sla'],
  );

  /** The objects of a top-level collection, each with its index in the document (for paths). */
  const collection = (key: string): [Obj, number][] => {
    const list = arr(doc, key, '');
    if (!list) return [];
    const out: [Obj, number][] = [];
    list.forEach((v, i) => {
      if (isObj(v)) out.push([v, i]);
      else err(at(key, i), `must be an object, not ${kindOf(v)}`);
    });
    return out;
  };

  /** Ids first, so references anywhere can be checked whatever the order of the document. */
  function indexIds(key: string, items: unknown, noun: string): IdIndex {
    const index: IdIndex = { noun, firstAt: new Map() };
    if (!Array.isArray(items)) return index;
    items.forEach((item, i) => {
      if (!isObj(item)) return;
      const id = item.id;
      if (id === undefined) return;
      if (typeof id !== 'string' || id.trim() === '') return;
      const prior = index.firstAt.get(id);
      if (prior !== undefined)
        err(at(at(key, i), 'id'), `duplicate ${noun} id "${id}"; already used at ${prior}`);
      else index.firstAt.set(id, at(key, i));
    });
    return index;
  }

  const sla = isObj(doc.sla) ? doc.sla : undefined;
  const sites = indexIds('sites', doc.sites, 'site');
  const partners = indexIds('partners', doc.partners, 'partner');
  const readers = indexIds('readers', doc.readers, 'reader');
  const shifts = indexIds('shifts', doc.shifts, 'shift');
  const pools = indexIds('pools', doc.pools, 'pool');
  // Rule ids are referenced by nothing in the document, but load.lastChosenByRule and decisions key on them.
  indexIds('rules', doc.rules, 'rule');
  const slaClasses = indexIds('sla.classes', sla?.classes, 'SLA class');

  // --- sites and partners ---

  const siteKindById = new Map<string, string>();
  const siteHasHub = new Map<string, boolean>();
  const siteObjs = collection('sites');
  siteObjs.forEach(([site, i]) => {
    const path = at('sites', i);
    keys(
      site,
      path,
      ['id', 'name', 'timeZone', 'jurisdiction', 'region', 'kind', 'partnerId', 'hubId'],
      ['id', 'name', 'timeZone', 'jurisdiction', 'kind'],
    );
    const id = str(site, 'id', path);
    str(site, 'name', path);
    zone(site, 'timeZone', path);
    str(site, 'jurisdiction', path);
    str(site, 'region', path);
    const kind = oneOf(site, 'kind', path, SITE_KINDS);
    if (id !== undefined && kind !== undefined) siteKindById.set(id, kind);
    const partnerId = str(site, 'partnerId', path);
    ref(partners, partnerId, at(path, 'partnerId'));
    if (kind === 'partner' && partnerId === undefined) {
      warnings.push(
        `${path} (${String(site.name)}) is a partner site without partnerId: no contract SLA applies`,
      );
    }
    if (id !== undefined) siteHasHub.set(id, site.hubId !== undefined);
  });
  // Hub kinds are known only once every site is read.
  siteObjs.forEach(([site, i]) => {
    const path = at('sites', i);
    const hubId = str(site, 'hubId', path);
    if (hubId === undefined || !ref(sites, hubId, at(path, 'hubId'))) return;
    if (hubId === site.id) err(at(path, 'hubId'), 'must name another site, not the site itself');
    else if (siteKindById.has(hubId) && siteKindById.get(hubId) !== 'hub') {
      err(at(path, 'hubId'), `must name a site of kind hub; "${hubId}" is a ${siteKindById.get(hubId)}`);
    }
  });

  collection('partners').forEach(([partner, i]) => {
    const path = at('partners', i);
    keys(partner, path, ['id', 'name', 'slaClass'], ['id', 'name']);
    str(partner, 'id', path);
    str(partner, 'name', path);
    ref(slaClasses, str(partner, 'slaClass', path), at(path, 'slaClass'));
  });

  // --- readers ---

  const readerNames = new Map<string, string>();
  const activeReaders = new Set<string>();
  collection('readers').forEach(([reader, i]) => {
    const path = at('readers', i);
    keys(
      reader,
      path,
      [
        'id',
        'name',
        'username',
        'subspecialties',
        'modalities',
        'licences',
        'privileges',
        'maxConcurrent',
        'maxWeight',
        'timeZone',
        'active',
      ],
      ['id', 'name', 'subspecialties', 'modalities', 'licences', 'privileges', 'maxConcurrent'],
    );
    const id = str(reader, 'id', path);
    const name = str(reader, 'name', path);
    if (id !== undefined) readerNames.set(id, name ?? id);
    str(reader, 'username', path);
    strList(reader, 'subspecialties', path);
    const modalities = strList(reader, 'modalities', path);
    if (modalities && modalities.length === 0) {
      warnings.push(`${path} (${name ?? id}) has no modalities: no case can pass the competency check`);
    }
    arr(reader, 'licences', path)?.forEach((lic, j) => {
      const lp = at(at(path, 'licences'), j);
      if (!isObj(lic)) {
        err(lp, `must be an object, not ${kindOf(lic)}`);
        return;
      }
      keys(lic, lp, ['jurisdiction', 'validFrom', 'validTo'], ['jurisdiction', 'validFrom']);
      str(lic, 'jurisdiction', lp);
      datedRange(lic, lp, 'validFrom', 'validTo');
    });
    arr(reader, 'privileges', path)?.forEach((priv, j) => {
      const pp = at(at(path, 'privileges'), j);
      if (!isObj(priv)) {
        err(pp, `must be an object, not ${kindOf(priv)}`);
        return;
      }
      keys(priv, pp, ['siteId', 'validFrom', 'validTo'], ['siteId', 'validFrom']);
      ref(sites, str(priv, 'siteId', pp), at(pp, 'siteId'));
      datedRange(priv, pp, 'validFrom', 'validTo');
    });
    num(reader, 'maxConcurrent', path, { integer: true, min: 1, what: 'a positive integer' });
    num(reader, 'maxWeight', path, { above: 0, what: 'a positive number' });
    zone(reader, 'timeZone', path);
    const active = bool(reader, 'active', path);
    if (id !== undefined && active !== false) activeReaders.add(id);
  });

  // --- shifts, rosters, pools ---

  function workFilter(obj: Obj, key: string, path: string): void {
    const v = obj[key];
    if (v === undefined) return;
    const fp = at(path, key);
    if (!isObj(v)) {
      err(fp, `must be an object, not ${kindOf(v)}`);
      return;
    }
    keys(v, fp, ['modalities', 'bodyParts', 'priorities', 'siteIds', 'pathways', 'subspecialties'], []);
    strList(v, 'modalities', fp);
    strList(v, 'bodyParts', fp);
    strList(v, 'priorities', fp, PRIORITIES);
    refList(v, 'siteIds', fp, sites);
    strList(v, 'pathways', fp);
    strList(v, 'subspecialties', fp);
    for (const k of ['modalities', 'bodyParts', 'priorities', 'siteIds', 'pathways', 'subspecialties']) {
      emptyListWarning(v, k, fp, 'the shift covers no case (leave it out to cover any)');
    }
  }

  const shiftNames = new Map<string, string>();
  collection('shifts').forEach(([shift, i]) => {
    const path = at('shifts', i);
    keys(
      shift,
      path,
      ['id', 'name', 'timeZone', 'days', 'start', 'end', 'covers'],
      ['id', 'name', 'timeZone', 'days', 'start', 'end', 'covers'],
    );
    const id = str(shift, 'id', path);
    const name = str(shift, 'name', path);
    if (id !== undefined) shiftNames.set(id, name ?? id);
    zone(shift, 'timeZone', path);
    const days = strList(shift, 'days', path, WEEKDAYS);
    if (days && days.length === 0) warnings.push(`${at(path, 'days')} is empty: the shift is never on`);
    for (const key of ['start', 'end']) {
      const v = shift[key];
      if (v !== undefined && (typeof v !== 'string' || parseWallTime(v) === undefined)) {
        err(at(path, key), `must be a time as 'HH:MM' from 00:00 to 23:59, not ${kindOf(v)}`);
      }
    }
    workFilter(shift, 'covers', path);
  });

  const rostered = new Set<string>();
  const staffedShifts = new Set<string>();
  collection('rosters').forEach(([entry, i]) => {
    const path = at('rosters', i);
    keys(entry, path, ['readerId', 'shiftId', 'from', 'to'], ['readerId', 'shiftId', 'from']);
    const readerId = str(entry, 'readerId', path);
    const shiftId = str(entry, 'shiftId', path);
    if (ref(readers, readerId, at(path, 'readerId'))) rostered.add(readerId!);
    if (ref(shifts, shiftId, at(path, 'shiftId')) && readerId !== undefined && activeReaders.has(readerId)) {
      staffedShifts.add(shiftId!);
    }
    datedRange(entry, path, 'from', 'to');
  });

  collection('pools').forEach(([pool, i]) => {
    const path = at('pools', i);
    keys(pool, path, ['id', 'name', 'readerIds'], ['id', 'name', 'readerIds']);
    str(pool, 'id', path);
    str(pool, 'name', path);
    const members = refList(pool, 'readerIds', path, readers);
    if (members && members.length === 0) warnings.push(`${path} (${String(pool.name)}) has no readers`);
  });

  // --- rules ---

  collection('rules').forEach(([rule, i]) => {
    const path = at('rules', i);
    keys(rule, path, ['id', 'name', 'enabled', 'when', 'then', 'kind'], ['id', 'name', 'when', 'then']);
    str(rule, 'id', path);
    const label = `${path} (${typeof rule.name === 'string' ? rule.name : String(rule.id)})`;
    str(rule, 'name', path);
    bool(rule, 'enabled', path);
    const kind = oneOf(rule, 'kind', path, ['route', 'modify'] as const) ?? 'route';

    const when = rule.when;
    const wp = at(path, 'when');
    if (when !== undefined && !isObj(when)) err(wp, `must be an object, not ${kindOf(when)}`);
    if (isObj(when)) {
      keys(
        when,
        wp,
        [
          'modalities',
          'bodyParts',
          'procedures',
          'priorities',
          'pathways',
          'siteIds',
          'siteKinds',
          'partnerIds',
          'aiFlags',
          'studyAgeMinutes',
          'uncovered',
          'siteQueueDepthAtLeast',
        ],
        [],
      );
      strList(when, 'modalities', wp);
      strList(when, 'bodyParts', wp);
      strList(when, 'procedures', wp);
      strList(when, 'priorities', wp, PRIORITIES);
      strList(when, 'pathways', wp);
      refList(when, 'siteIds', wp, sites);
      strList(when, 'siteKinds', wp, SITE_KINDS);
      refList(when, 'partnerIds', wp, partners);
      strList(when, 'aiFlags', wp);
      for (const k of [
        'modalities',
        'bodyParts',
        'procedures',
        'priorities',
        'pathways',
        'siteIds',
        'siteKinds',
        'partnerIds',
        'aiFlags',
      ]) {
        emptyListWarning(when, k, wp, 'the rule never matches (leave it out to match any)');
      }
      const age = when.studyAgeMinutes;
      const ap = at(wp, 'studyAgeMinutes');
      if (age !== undefined && !isObj(age))
        err(ap, `must be an object like { "min": 30 }, not ${kindOf(age)}`);
      if (isObj(age)) {
        keys(age, ap, ['min', 'max'], []);
        const min = num(age, 'min', ap, { min: 0, what: 'a number of minutes, 0 or more' });
        const max = num(age, 'max', ap, { min: 0, what: 'a number of minutes, 0 or more' });
        if (min !== undefined && max !== undefined && max < min)
          err(at(ap, 'max'), `must be at least min (${min})`);
      }
      bool(when, 'uncovered', wp);
      num(when, 'siteQueueDepthAtLeast', wp, { integer: true, min: 0, what: 'an integer, 0 or more' });
    }

    const then = rule.then;
    const tp = at(path, 'then');
    if (then !== undefined && !isObj(then)) err(tp, `must be an object, not ${kindOf(then)}`);
    if (!isObj(then)) return;
    keys(
      then,
      tp,
      ['target', 'require', 'raisePriority', 'setPathway', 'slaClass', 'strategy', 'preferredReaderIds'],
      [],
    );
    const target = then.target;
    const gp = at(tp, 'target');
    if (target !== undefined && !isObj(target))
      err(gp, `must be an object with a kind, not ${kindOf(target)}`);
    if (isObj(target)) {
      const tk = oneOf(target, 'kind', gp, TARGET_KINDS);
      if (target.kind === undefined) err(at(gp, 'kind'), `is required: one of ${TARGET_KINDS.join(', ')}`);
      if (tk !== undefined) {
        const need =
          tk === 'shift' ? ['shiftId'] : tk === 'pool' ? ['poolId'] : tk === 'reader' ? ['readerId'] : [];
        keys(target, gp, TARGET_KEYS[tk], ['kind', ...need]);
        oneOf(target, 'scope', gp, ['site', 'any'] as const);
        ref(shifts, str(target, 'shiftId', gp), at(gp, 'shiftId'));
        ref(pools, str(target, 'poolId', gp), at(gp, 'poolId'));
        ref(readers, str(target, 'readerId', gp), at(gp, 'readerId'));
        bool(target, 'onShift', gp);
        if (tk === 'hub' && isObj(when) && Array.isArray(when.siteIds)) {
          const noHub = when.siteIds.filter((s) => typeof s === 'string' && siteHasHub.get(s) === false);
          if (noHub.length > 0) {
            warnings.push(`${label} routes to the hub, but site(s) ${noHub.join(', ')} have no hubId`);
          }
        }
      }
    }
    const req = then.require;
    const rp = at(tp, 'require');
    if (req !== undefined && !isObj(req)) err(rp, `must be an object, not ${kindOf(req)}`);
    if (isObj(req)) {
      keys(req, rp, ['subspecialties', 'modalities'], []);
      strList(req, 'subspecialties', rp);
      strList(req, 'modalities', rp);
    }
    oneOf(then, 'raisePriority', tp, PRIORITIES);
    str(then, 'setPathway', tp);
    ref(slaClasses, str(then, 'slaClass', tp), at(tp, 'slaClass'));
    const strategy = oneOf(then, 'strategy', tp, STRATEGIES);
    const preferred = refList(then, 'preferredReaderIds', tp, readers);

    if (kind === 'modify') {
      const ignored = ['target', 'require', 'strategy', 'preferredReaderIds'].filter(
        (k) => then[k] !== undefined,
      );
      if (ignored.length > 0) warnings.push(`${label} is a modify rule: ${ignored.join(', ')} are ignored`);
      if (then.raisePriority === undefined && then.setPathway === undefined && then.slaClass === undefined) {
        warnings.push(
          `${label} is a modify rule that changes nothing (no raisePriority, setPathway or slaClass)`,
        );
      }
    } else {
      if (strategy === 'preferred' && (preferred === undefined || preferred.length === 0)) {
        warnings.push(`${label} uses strategy preferred without preferredReaderIds: it behaves as balanced`);
      }
      if (preferred !== undefined && strategy !== 'preferred') {
        warnings.push(`${label} lists preferredReaderIds, which only strategy preferred uses`);
      }
    }
  });

  // --- SLA policy, weights ---

  const sp = 'sla';
  if (doc.sla !== undefined && !isObj(doc.sla)) err(sp, `must be an object, not ${kindOf(doc.sla)}`);
  if (sla) {
    keys(sla, sp, ['classes', 'byPriority', 'byPathway'], ['classes', 'byPriority']);
    arr(sla, 'classes', sp)?.forEach((cls, i) => {
      const cp = at(at(sp, 'classes'), i);
      if (!isObj(cls)) {
        err(cp, `must be an object, not ${kindOf(cls)}`);
        return;
      }
      keys(cls, cp, ['id', 'name', 'targets', 'escalation'], ['id', 'name', 'targets', 'escalation']);
      str(cls, 'id', cp);
      str(cls, 'name', cp);
      arr(cls, 'targets', cp)?.forEach((t, j) => {
        const tpath = at(at(cp, 'targets'), j);
        if (!isObj(t)) {
          err(tpath, `must be an object, not ${kindOf(t)}`);
          return;
        }
        keys(t, tpath, ['from', 'to', 'minutes'], ['from', 'to', 'minutes']);
        const from = oneOf(t, 'from', tpath, MILESTONES);
        const to = oneOf(t, 'to', tpath, MILESTONES);
        if (from !== undefined && to !== undefined && MILESTONES.indexOf(to) <= MILESTONES.indexOf(from)) {
          err(at(tpath, 'to'), `must be a milestone after ${from} (${MILESTONES.join(' → ')})`);
        }
        num(t, 'minutes', tpath, { above: 0, what: 'a number of minutes greater than 0' });
      });
      arr(cls, 'escalation', cp)?.forEach((step, j) => {
        const epath = at(at(cp, 'escalation'), j);
        if (!isObj(step)) {
          err(epath, `must be an object, not ${kindOf(step)}`);
          return;
        }
        keys(step, epath, ['atFraction', 'action'], ['atFraction', 'action']);
        num(step, 'atFraction', epath, {
          above: 0,
          max: 2,
          what: 'a fraction of the target in (0, 2], e.g. 0.75',
        });
        oneOf(step, 'action', epath, ESCALATION_ACTIONS);
      });
    });
    const byPriority = sla.byPriority;
    const bp = at(sp, 'byPriority');
    if (byPriority !== undefined && !isObj(byPriority))
      err(bp, `must be an object, not ${kindOf(byPriority)}`);
    if (isObj(byPriority)) {
      keys(byPriority, bp, PRIORITIES, PRIORITIES);
      for (const p of PRIORITIES) ref(slaClasses, str(byPriority, p, bp), at(bp, p));
    }
    const byPathway = sla.byPathway;
    const pp = at(sp, 'byPathway');
    if (byPathway !== undefined && !isObj(byPathway)) err(pp, `must be an object, not ${kindOf(byPathway)}`);
    if (isObj(byPathway)) {
      for (const k of Object.keys(byPathway)) ref(slaClasses, str(byPathway, k, pp), at(pp, k));
    }
  }

  const weights = doc.workWeights;
  if (weights !== undefined && !isObj(weights))
    err('workWeights', `must be an object, not ${kindOf(weights)}`);
  if (isObj(weights)) {
    for (const k of Object.keys(weights))
      num(weights, k, 'workWeights', { above: 0, what: 'a positive number' });
  }
  oneOf(doc, 'fallback', '', ['exception'] as const);

  if (errors.length > 0) return { ok: false, errors };

  // --- warnings that need the whole picture ---

  for (const [id, name] of readerNames) {
    if (activeReaders.has(id) && !rostered.has(id)) {
      warnings.push(
        `reader ${id} (${name}) has no roster entry: only a rule naming them (target reader) can reach them`,
      );
    }
  }
  for (const [id, name] of shiftNames) {
    if (!staffedShifts.has(id)) warnings.push(`shift ${id} (${name}) has no active reader rostered on it`);
  }

  // The document is plain JSON (or it would not have validated), so a JSON round trip copies it exactly.
  const config = JSON.parse(JSON.stringify(doc)) as RoutingConfig;
  config.partners ??= [];
  config.pools ??= [];
  for (const rule of config.rules) {
    rule.enabled ??= true;
    rule.kind ??= 'route';
  }
  for (const reader of config.readers) reader.active ??= true;
  return { ok: true, config, warnings };
}
