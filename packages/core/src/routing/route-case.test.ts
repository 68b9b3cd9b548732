/**
 * Routing scenarios. Each builds a small config for one collaboration model and shows what routing decides
 * and how it explains itself; read them as documentation of the rule language.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRouting } from './compiled-routing.ts';
import type {
  Reader,
  RosterEntry,
  RoutingCase,
  RoutingConfig,
  RoutingDecision,
  RoutingLoad,
  Rule,
  Shift,
  Site,
  WorkFilter,
} from './model.ts';
import { routeCase } from './route-case.ts';
import { validateRoutingConfig } from './routing-config-validation.ts';

const MINUTE = 60_000;
const EVERY_DAY = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
/** Tuesday 2026-06-09, 10:00 in Chicago (CDT, UTC-5). */
const TUESDAY_10AM_CHICAGO = Date.parse('2026-06-09T15:00:00Z');
/** Tuesday 2026-06-09, 20:00 in Chicago. */
const TUESDAY_8PM_CHICAGO = Date.parse('2026-06-10T01:00:00Z');

function site(id: string, extra: Partial<Site> = {}): Site {
  return {
    id,
    name: `Site ${id}`,
    timeZone: 'America/Chicago',
    jurisdiction: 'US-TX',
    kind: 'spoke',
    ...extra,
  };
}

function reader(
  id: string,
  name: string,
  opts: {
    modalities?: string[];
    subspecialties?: string[];
    jurisdictions?: string[];
    sites?: string[];
    maxConcurrent?: number;
    maxWeight?: number;
    licences?: Reader['licences'];
    privileges?: Reader['privileges'];
    timeZone?: string;
  } = {},
): Reader {
  const r: Reader = {
    id,
    name,
    subspecialties: opts.subspecialties ?? ['general'],
    modalities: opts.modalities ?? ['CT', 'MR', 'XR'],
    licences:
      opts.licences ??
      (opts.jurisdictions ?? ['US-TX']).map((j) => ({ jurisdiction: j, validFrom: '2020-01-01' })),
    privileges:
      opts.privileges ??
      (opts.sites ?? ['S1', 'S2', 'H']).map((s) => ({ siteId: s, validFrom: '2020-01-01' })),
    maxConcurrent: opts.maxConcurrent ?? 4,
  };
  if (opts.maxWeight !== undefined) r.maxWeight = opts.maxWeight;
  if (opts.timeZone !== undefined) r.timeZone = opts.timeZone;
  return r;
}

function shift(
  id: string,
  start: string,
  end: string,
  covers: WorkFilter = {},
  extra: Partial<Shift> = {},
): Shift {
  return { id, name: id, timeZone: 'America/Chicago', days: [...EVERY_DAY], start, end, covers, ...extra };
}

function rostered(readerIds: string[], shiftId: string, from = '2026-01-01', to?: string): RosterEntry[] {
  return readerIds.map((readerId) => (to ? { readerId, shiftId, from, to } : { readerId, shiftId, from }));
}

function rule(
  id: string,
  name: string,
  when: Rule['when'],
  then: Rule['then'] = {},
  kind?: Rule['kind'],
): Rule {
  return kind ? { id, name, when, then, kind } : { id, name, when, then };
}

/** A config through the validator, as the server would load it: scenarios must be valid documents. */
function config(
  parts: Partial<RoutingConfig> & Pick<RoutingConfig, 'readers' | 'shifts' | 'rosters' | 'rules'>,
): RoutingConfig {
  const doc = {
    sites: [site('H', { kind: 'hub', name: 'Hub' }), site('S1', { hubId: 'H' }), site('S2', { hubId: 'H' })],
    sla: {
      classes: [
        {
          id: 'stat-60',
          name: 'STAT',
          targets: [{ from: 'available', to: 'final', minutes: 60 }],
          escalation: [],
        },
        {
          id: 'routine-24h',
          name: 'Routine',
          targets: [{ from: 'available', to: 'final', minutes: 1440 }],
          escalation: [],
        },
        {
          id: 'stroke-20',
          name: 'Stroke',
          targets: [{ from: 'available', to: 'preliminary', minutes: 20 }],
          escalation: [],
        },
        {
          id: 'partner-8h',
          name: 'Partner',
          targets: [{ from: 'available', to: 'final', minutes: 480 }],
          escalation: [],
        },
      ],
      byPriority: { stat: 'stat-60', urgent: 'stat-60', routine: 'routine-24h' },
      byPathway: { stroke: 'stroke-20' },
    },
    ...parts,
  };
  const result = validateRoutingConfig(doc);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  return result.config;
}

function ctCase(now: number, extra: Partial<RoutingCase> & { ageMinutes?: number } = {}): RoutingCase {
  const { ageMinutes = 10, ...rest } = extra;
  return {
    id: 'c1',
    siteId: 'S1',
    modalities: ['CT'],
    bodyParts: ['HEAD'],
    procedure: 'CT HEAD WITHOUT CONTRAST',
    priority: 'routine',
    aiFlags: [],
    availableAt: now - ageMinutes * MINUTE,
    ...rest,
  };
}

function noLoad(extra: Partial<RoutingLoad> = {}): RoutingLoad {
  return { readers: {}, siteQueueDepth: {}, lastChosenByRule: {}, ...extra };
}

function route(
  cfg: RoutingConfig,
  c: RoutingCase,
  now: number,
  load: RoutingLoad = noLoad(),
): RoutingDecision {
  return routeCase({ compiled: compileRouting(cfg), case: c, load, now });
}

function verdict(d: RoutingDecision, readerId: string) {
  return d.candidates.find((c) => c.readerId === readerId);
}

// --- hub and spoke ---------------------------------------------------------------------------------------

const hubAndSpoke = config({
  readers: [reader('local', 'Dr L. Mensah'), reader('hub1', 'Dr H. Ito'), reader('hub2', 'Dr H. Berg')],
  shifts: [
    shift('Spoke S1 days', '07:00', '19:00', { siteIds: ['S1'] }),
    shift('Hub around the clock', '00:00', '00:00', { siteIds: ['H'] }),
  ],
  rosters: [...rostered(['local'], 'Spoke S1 days'), ...rostered(['hub1', 'hub2'], 'Hub around the clock')],
  rules: [
    rule(
      'busy',
      'Busy spoke to hub',
      { siteKinds: ['spoke'], siteQueueDepthAtLeast: 5 },
      { target: { kind: 'hub' } },
    ),
    rule('local', 'Spoke local', { siteKinds: ['spoke'], studyAgeMinutes: { max: 30 } }),
    rule('hub', 'Hub overflow', { siteKinds: ['spoke'] }, { target: { kind: 'hub' } }),
  ],
});

test('hub and spoke: a fresh study goes to the spoke reader, one waiting over 30 minutes to the hub', () => {
  const fresh = route(hubAndSpoke, ctCase(TUESDAY_10AM_CHICAGO, { ageMinutes: 10 }), TUESDAY_10AM_CHICAGO);
  assert.equal(fresh.outcome, 'assigned');
  assert.equal(fresh.assigneeId, 'local');
  assert.equal(fresh.ruleId, 'local');
  assert.deepEqual(
    fresh.rules.map((r) => [r.ruleId, r.matched]),
    [
      ['busy', false],
      ['local', true],
    ],
  );
  assert.deepEqual(fresh.rules[0]!.why, ['site kind spoke in [spoke]', '0 cases waiting at site S1 < 5']);
  assert.deepEqual(fresh.rules[1]!.why.slice(0, 2), [
    'site kind spoke in [spoke]',
    'study age 10 min <= 30 min',
  ]);

  const old = route(hubAndSpoke, ctCase(TUESDAY_10AM_CHICAGO, { ageMinutes: 31 }), TUESDAY_10AM_CHICAGO);
  assert.equal(old.ruleId, 'hub');
  assert.deepEqual(old.eligibleReaderIds, ['hub1', 'hub2']);
  assert.ok(['hub1', 'hub2'].includes(old.assigneeId!));
  assert.deepEqual(old.rules[1]!.why.at(-1), 'study age 31 min > 30 min');
});

test('hub and spoke: local first falls through to the hub when the spoke reader is off shift', () => {
  const d = route(hubAndSpoke, ctCase(TUESDAY_8PM_CHICAGO), TUESDAY_8PM_CHICAGO);
  assert.equal(d.ruleId, 'hub');
  const local = d.rules.find((r) => r.ruleId === 'local')!;
  assert.equal(local.matched, true);
  assert.equal(local.eligibleCount, 0);
  assert.equal(d.rules.find((r) => r.ruleId === 'hub')!.eligibleCount, 2);
});

test('hub and spoke: a long queue at the spoke sends even fresh studies to the hub', () => {
  const d = route(
    hubAndSpoke,
    ctCase(TUESDAY_10AM_CHICAGO),
    TUESDAY_10AM_CHICAGO,
    noLoad({ siteQueueDepth: { S1: 6 } }),
  );
  assert.equal(d.ruleId, 'busy');
  assert.ok(d.rules[0]!.why.includes('6 cases waiting at site S1 >= 5'));
});

// --- follow the sun --------------------------------------------------------------------------------------

const followTheSun = config({
  sites: [site('N1', { name: 'Northfield', timeZone: 'Europe/London', jurisdiction: 'GB', kind: 'hub' })],
  readers: [
    reader('syd', 'Dr S. Nguyen', { jurisdictions: ['GB'], sites: ['N1'], timeZone: 'Australia/Sydney' }),
    reader('lon', 'Dr L. Patel', { jurisdictions: ['GB'], sites: ['N1'], timeZone: 'Europe/London' }),
    reader('chi', 'Dr C. Walsh', { jurisdictions: ['GB'], sites: ['N1'], timeZone: 'America/Chicago' }),
  ],
  shifts: [
    shift('Sydney days', '08:00', '17:00', {}, { timeZone: 'Australia/Sydney' }),
    shift('London days', '08:00', '17:00', {}, { timeZone: 'Europe/London' }),
    shift('Chicago days', '08:00', '17:00', {}, { timeZone: 'America/Chicago' }),
  ],
  rosters: [
    ...rostered(['syd'], 'Sydney days'),
    ...rostered(['lon'], 'London days'),
    ...rostered(['chi'], 'Chicago days'),
  ],
  rules: [rule('sun', 'Follow the sun', {}, { target: { kind: 'anyone-on-shift' } })],
});

test('follow the sun: at each UTC instant only the reader whose local day shift is on gets the case', () => {
  const cases: [string, string][] = [
    ['2026-06-09T00:00:00Z', 'syd'], // 10:00 in Sydney, 01:00 in London, 19:00 in Chicago
    ['2026-06-09T09:00:00Z', 'lon'], // 19:00 in Sydney, 10:00 in London, 04:00 in Chicago
    ['2026-06-09T16:00:00Z', 'chi'], // 02:00 in Sydney, 17:00 in London (ended), 11:00 in Chicago
  ];
  for (const [iso, expected] of cases) {
    const now = Date.parse(iso);
    const d = route(followTheSun, ctCase(now, { siteId: 'N1' }), now);
    assert.equal(d.assigneeId, expected, iso);
    assert.deepEqual(d.eligibleReaderIds, [expected], iso);
  }
  // 06:30Z is 16:30 in Sydney and 07:30 in London: still Sydney's, London opens at 08:00 BST (07:00Z).
  const overlap = Date.parse('2026-06-09T06:30:00Z');
  assert.deepEqual(route(followTheSun, ctCase(overlap, { siteId: 'N1' }), overlap).eligibleReaderIds, [
    'syd',
  ]);
});

// --- subspecialty pool -----------------------------------------------------------------------------------

test('subspecialty pool: MR head goes to the neuro pool worklist; other MR to the general readers', () => {
  const cfg = config({
    readers: [
      reader('n1', 'Dr N. Okafor', { subspecialties: ['neuro'] }),
      reader('n2', 'Dr N. Silva', { subspecialties: ['neuro'] }),
      reader('g1', 'Dr G. Hale'),
    ],
    shifts: [shift('Days', '07:00', '19:00')],
    rosters: rostered(['n1', 'n2', 'g1'], 'Days'),
    pools: [{ id: 'neuro', name: 'Neuroradiology', readerIds: ['n1', 'n2'] }],
    rules: [
      rule(
        'neuro',
        'Neuro MR',
        { modalities: ['MR'], bodyParts: ['HEAD', 'BRAIN'] },
        { target: { kind: 'pool', poolId: 'neuro' }, strategy: 'pool' },
      ),
      rule('general', 'General', {}, { require: { subspecialties: ['general'] } }),
    ],
  });
  const head = route(cfg, ctCase(TUESDAY_10AM_CHICAGO, { modalities: ['MR'] }), TUESDAY_10AM_CHICAGO);
  assert.equal(head.outcome, 'pooled');
  assert.equal(head.assigneeId, undefined);
  assert.deepEqual(head.eligibleReaderIds, ['n1', 'n2']);
  assert.equal(head.summary, 'Pooled for 2 eligible readers (Dr N. Okafor, Dr N. Silva) by rule "Neuro MR"');

  const chest = route(
    cfg,
    ctCase(TUESDAY_10AM_CHICAGO, { modalities: ['MR'], bodyParts: ['CHEST'] }),
    TUESDAY_10AM_CHICAGO,
  );
  assert.equal(chest.assigneeId, 'g1');
  assert.equal(chest.rules[0]!.why.at(-1), 'body part CHEST not in [HEAD, BRAIN]');
  assert.equal(verdict(chest, 'n1')!.excludedAt, 'competency');
  assert.equal(verdict(chest, 'n1')!.reason, 'no subspecialty in [general] (has neuro)');
});

// --- a named reader covering a kind of work remotely -----------------------------------------------------

test('named reader: cardiac CT goes to the cardiac reader wherever they are; with onShift they must be on', () => {
  const base = {
    readers: [reader('card', 'Dr K. Adeyemi', { modalities: ['CT'] }), reader('g1', 'Dr G. Hale')],
    shifts: [shift('Days', '07:00', '19:00'), shift('Cardiac evenings', '17:00', '23:00')],
    rosters: [...rostered(['g1'], 'Days'), ...rostered(['card'], 'Cardiac evenings')],
  };
  const anytime = config({
    ...base,
    rules: [
      rule(
        'cardiac',
        'Cardiac CT',
        { modalities: ['CT'], procedures: ['cardiac', 'coronary'] },
        {
          target: { kind: 'reader', readerId: 'card' },
        },
      ),
      rule('general', 'General', {}),
    ],
  });
  const cardiac = ctCase(TUESDAY_10AM_CHICAGO, { procedure: 'CT Coronary Angiogram', bodyParts: ['CHEST'] });
  const d = route(anytime, cardiac, TUESDAY_10AM_CHICAGO);
  assert.equal(d.assigneeId, 'card');
  assert.deepEqual(d.rules[0]!.why.slice(0, 2), [
    'modality CT in [CT]',
    'procedure "CT Coronary Angiogram" contains "coronary"',
  ]);

  const onShiftOnly = config({
    ...base,
    rules: [
      rule(
        'cardiac',
        'Cardiac CT',
        { procedures: ['coronary'] },
        {
          target: { kind: 'reader', readerId: 'card', onShift: true },
        },
      ),
      rule('general', 'General', {}),
    ],
  });
  const morning = route(onShiftOnly, cardiac, TUESDAY_10AM_CHICAGO);
  assert.equal(morning.assigneeId, 'g1');
  assert.equal(morning.rules[0]!.eligibleCount, 0);
  const evening = route(onShiftOnly, cardiac, TUESDAY_8PM_CHICAGO);
  assert.equal(evening.assigneeId, 'card');
});

// --- national overflow -----------------------------------------------------------------------------------

test('national overflow: anyone on shift, but only readers licensed in the patient’s state', () => {
  const cfg = config({
    readers: [
      reader('tx', 'Dr T. Ramos', { jurisdictions: ['US-TX', 'US-CA'] }),
      reader('ca', 'Dr C. Lee', { jurisdictions: ['US-CA'] }),
      reader('ny', 'Dr N. Cohen', { jurisdictions: ['US-NY'] }),
    ],
    shifts: [
      shift('Texas days', '07:00', '19:00', { siteIds: ['H'] }),
      shift('California days', '07:00', '19:00', { siteIds: ['S2'] }, { timeZone: 'America/Los_Angeles' }),
      shift('New York days', '07:00', '19:00', { siteIds: ['S2'] }, { timeZone: 'America/New_York' }),
    ],
    rosters: [
      ...rostered(['tx'], 'Texas days'),
      ...rostered(['ca'], 'California days'),
      ...rostered(['ny'], 'New York days'),
    ],
    rules: [rule('national', 'National overflow', {}, { target: { kind: 'anyone-on-shift' } })],
  });
  const d = route(cfg, ctCase(TUESDAY_10AM_CHICAGO), TUESDAY_10AM_CHICAGO);
  assert.equal(d.assigneeId, 'tx');
  assert.deepEqual(d.eligibleReaderIds, ['tx']);
  assert.deepEqual(verdict(d, 'ca'), {
    readerId: 'ca',
    eligible: false,
    excludedAt: 'credentials',
    reason: 'no licence for US-TX valid on 2026-06-09',
  });
  assert.equal(verdict(d, 'ny')!.excludedAt, 'credentials');
});

// --- automatic broadening by priority --------------------------------------------------------------------

const broadening = config({
  readers: [reader('s1r', 'Dr A. Local'), reader('far', 'Dr B. Remote')],
  shifts: [
    shift('S1 days', '07:00', '19:00', { siteIds: ['S1'] }),
    shift('S2 around the clock', '00:00', '00:00', { siteIds: ['S2'] }),
  ],
  rosters: [...rostered(['s1r'], 'S1 days'), ...rostered(['far'], 'S2 around the clock')],
  rules: [
    rule('ich', 'AI: intracranial haemorrhage', { aiFlags: ['ich'] }, { raisePriority: 'stat' }, 'modify'),
    rule('local', 'Covering shifts', {}),
    rule(
      'now',
      'Broaden STAT and urgent at once',
      { uncovered: true, priorities: ['stat', 'urgent'] },
      {
        target: { kind: 'anyone-on-shift' },
      },
    ),
    rule(
      'later',
      'Broaden routine after 4 h',
      { uncovered: true, priorities: ['routine'], studyAgeMinutes: { min: 240 } },
      {
        target: { kind: 'anyone-on-shift' },
      },
    ),
  ],
});

test('broadening: an uncovered STAT case goes to anyone on shift at once; routine waits 4 hours', () => {
  const stat = route(broadening, ctCase(TUESDAY_8PM_CHICAGO, { priority: 'stat' }), TUESDAY_8PM_CHICAGO);
  assert.equal(stat.ruleId, 'now');
  assert.equal(stat.assigneeId, 'far');
  assert.deepEqual(stat.rules.find((r) => r.ruleId === 'now')!.why.slice(0, 2), [
    'priority stat in [stat, urgent]',
    'uncovered: no reader is on a shift covering the case',
  ]);

  const routine = route(broadening, ctCase(TUESDAY_8PM_CHICAGO, { ageMinutes: 30 }), TUESDAY_8PM_CHICAGO);
  assert.equal(routine.outcome, 'unroutable');
  assert.equal(
    routine.summary,
    'No eligible reader: rule "Covering shifts" had 1 candidate (1 off shift); ' +
      'rule "Broaden STAT and urgent at once" did not match (priority routine not in [stat, urgent]); ' +
      'rule "Broaden routine after 4 h" did not match (study age 30 min < 240 min)',
  );
  assert.deepEqual(
    routine.candidates.map((c) => c.readerId),
    ['s1r'],
  );

  const waited = route(broadening, ctCase(TUESDAY_8PM_CHICAGO, { ageMinutes: 241 }), TUESDAY_8PM_CHICAGO);
  assert.equal(waited.ruleId, 'later');
  assert.equal(waited.assigneeId, 'far');
});

test('broadening: a covered case is not broadened, and an AI flag raises the priority first', () => {
  const covered = route(broadening, ctCase(TUESDAY_10AM_CHICAGO, { priority: 'stat' }), TUESDAY_10AM_CHICAGO);
  assert.equal(covered.ruleId, 'local');
  const flagged = route(broadening, ctCase(TUESDAY_8PM_CHICAGO, { aiFlags: ['ICH'] }), TUESDAY_8PM_CHICAGO);
  assert.equal(flagged.priority, 'stat');
  assert.equal(flagged.slaClass, 'stat-60');
  assert.equal(flagged.ruleId, 'now');
  assert.deepEqual(flagged.rules[0]!.why, ['AI flag ICH in [ich]', 'priority raised from routine to stat']);
});

// --- credentials -----------------------------------------------------------------------------------------

test('credentials: an expired licence, a missing privilege and a licence valid only from tomorrow', () => {
  const cfg = config({
    readers: [
      reader('expired', 'Dr E. Expired', {
        licences: [{ jurisdiction: 'US-TX', validFrom: '2020-01-01', validTo: '2026-05-31' }],
      }),
      reader('noPriv', 'Dr P. Elsewhere', { sites: ['S2'] }),
      reader('tomorrow', 'Dr T. Tomorrow', {
        licences: [{ jurisdiction: 'US-TX', validFrom: '2026-06-10' }],
      }),
      reader('ok', 'Dr O. Okay'),
    ],
    shifts: [shift('Days', '07:00', '19:00')],
    rosters: rostered(['expired', 'noPriv', 'tomorrow', 'ok'], 'Days'),
    rules: [rule('all', 'Everyone on the day shift', {})],
  });
  const d = route(cfg, ctCase(TUESDAY_10AM_CHICAGO), TUESDAY_10AM_CHICAGO);
  assert.equal(d.assigneeId, 'ok');
  assert.deepEqual(
    d.candidates.filter((c) => !c.eligible).map((c) => [c.readerId, c.excludedAt, c.reason]),
    [
      ['expired', 'credentials', 'licence for US-TX expired 2026-05-31'],
      ['noPriv', 'credentials', 'no privileges at Site S1 (S1) valid on 2026-06-09'],
      ['tomorrow', 'credentials', 'licence for US-TX is valid only from 2026-06-10'],
    ],
  );
});

test('credentials: validity is judged on the date at the site, not in UTC', () => {
  const cfg = config({
    sites: [
      site('SYD', { name: 'Sydney', timeZone: 'Australia/Sydney', jurisdiction: 'AU-NSW', kind: 'hub' }),
      site('CHI', { name: 'Chicago', timeZone: 'America/Chicago', jurisdiction: 'US-IL', kind: 'hub' }),
    ],
    readers: [
      reader('r', 'Dr R. Both', {
        licences: [
          { jurisdiction: 'AU-NSW', validFrom: '2026-06-09' },
          { jurisdiction: 'US-IL', validFrom: '2026-06-09' },
        ],
        sites: ['SYD', 'CHI'],
      }),
    ],
    shifts: [shift('Always', '00:00', '00:00', {}, { timeZone: 'UTC' })],
    rosters: rostered(['r'], 'Always'),
    rules: [rule('any', 'Anyone', {}, { target: { kind: 'anyone-on-shift' } })],
  });
  // 03:00Z on 9 June is 13:00 on the 9th in Sydney but 22:00 on the 8th in Chicago.
  const now = Date.parse('2026-06-09T03:00:00Z');
  assert.equal(route(cfg, ctCase(now, { siteId: 'SYD' }), now).assigneeId, 'r');
  const chicago = route(cfg, ctCase(now, { siteId: 'CHI' }), now);
  assert.equal(chicago.outcome, 'unroutable');
  assert.equal(chicago.candidates[0]!.reason, 'licence for US-IL is valid only from 2026-06-09');
});

// --- capacity and strategies -----------------------------------------------------------------------------

test('capacity: a full reader is skipped with the reason; weight counts the heaviest modality', () => {
  const cfg = config({
    readers: [
      reader('full', 'Dr F. Full', { maxConcurrent: 3 }),
      reader('heavy', 'Dr W. Weighty', { maxWeight: 10 }),
      reader('free', 'Dr F. Free'),
    ],
    shifts: [shift('Days', '07:00', '19:00')],
    rosters: rostered(['full', 'heavy', 'free'], 'Days'),
    rules: [rule('all', 'Everyone', {})],
    workWeights: { CT: 2, MR: 3 },
  });
  const load = noLoad({
    readers: { full: { cases: 3, weight: 6 }, heavy: { cases: 1, weight: 8 }, free: { cases: 2, weight: 4 } },
  });
  // Nobody here reads PET: competency comes before capacity.
  const d = route(
    cfg,
    ctCase(TUESDAY_10AM_CHICAGO, { modalities: ['PT', 'CT'] }),
    TUESDAY_10AM_CHICAGO,
    load,
  );
  assert.equal(d.outcome, 'unroutable');
  assert.deepEqual(verdict(d, 'full'), {
    readerId: 'full',
    eligible: false,
    excludedAt: 'competency',
    reason: 'not qualified for PT (reads CT, MR, XR)',
  });
  const ct = route(
    cfg,
    ctCase(TUESDAY_10AM_CHICAGO, { modalities: ['CT', 'MR'] }),
    TUESDAY_10AM_CHICAGO,
    load,
  );
  assert.equal(verdict(ct, 'full')!.reason, 'at capacity: 3 of 3 cases');
  assert.equal(verdict(ct, 'full')!.excludedAt, 'capacity');
  assert.equal(verdict(ct, 'heavy')!.reason, 'weight limit: 8 held + 3 for this case > 10');
  // A CT alone weighs 2, which fits.
  assert.equal(
    verdict(route(cfg, ctCase(TUESDAY_10AM_CHICAGO), TUESDAY_10AM_CHICAGO, load), 'heavy')!.eligible,
    true,
  );
  assert.equal(verdict(ct, 'free')!.loadRatio, 0.5);
  assert.equal(
    ct.summary,
    'Assigned to Dr F. Free by rule "Everyone" (balanced: 2 of 4 cases, the only eligible reader)',
  );
});

test('balanced: lowest load relative to capacity, then the longest idle, then the id', () => {
  const cfg = config({
    readers: [
      reader('a', 'Dr A', { maxConcurrent: 2 }),
      reader('b', 'Dr B', { maxConcurrent: 6 }),
      reader('c', 'Dr C', { maxConcurrent: 6 }),
    ],
    shifts: [shift('Days', '07:00', '19:00')],
    rosters: rostered(['a', 'b', 'c'], 'Days'),
    rules: [rule('all', 'Everyone', {})],
  });
  const now = TUESDAY_10AM_CHICAGO;
  const byRatio = route(
    cfg,
    ctCase(now),
    now,
    noLoad({
      readers: { a: { cases: 1, weight: 1 }, b: { cases: 2, weight: 2 }, c: { cases: 3, weight: 3 } },
    }),
  );
  assert.equal(byRatio.assigneeId, 'b');
  assert.equal(
    byRatio.summary,
    'Assigned to Dr B by rule "Everyone" (balanced: 2 of 6 cases, lowest load of 3 eligible)',
  );
  const byIdle = route(
    cfg,
    ctCase(now),
    now,
    noLoad({
      readers: {
        a: { cases: 1, weight: 1, lastAssignedAt: now - 5 * MINUTE },
        b: { cases: 3, weight: 3, lastAssignedAt: now - 20 * MINUTE },
        c: { cases: 3, weight: 3, lastAssignedAt: now - 9 * MINUTE },
      },
    }),
  );
  assert.equal(byIdle.assigneeId, 'b');
  const neverAssigned = route(
    cfg,
    ctCase(now),
    now,
    noLoad({ readers: { b: { cases: 0, weight: 0, lastAssignedAt: now - MINUTE } } }),
  );
  assert.equal(neverAssigned.assigneeId, 'a');
});

test('round-robin: the next eligible reader after the last one chosen by the rule, wrapping', () => {
  const cfg = config({
    readers: [reader('r1', 'Dr One'), reader('r2', 'Dr Two'), reader('r3', 'Dr Three')],
    shifts: [shift('Days', '07:00', '19:00')],
    rosters: rostered(['r1', 'r2', 'r3'], 'Days'),
    rules: [rule('rr', 'Rotation', {}, { strategy: 'round-robin' })],
  });
  const now = TUESDAY_10AM_CHICAGO;
  const chosen: string[] = [];
  let last: string | undefined;
  for (let i = 0; i < 4; i++) {
    const d = route(cfg, ctCase(now), now, noLoad({ lastChosenByRule: last ? { rr: last } : {} }));
    chosen.push(d.assigneeId!);
    last = d.assigneeId;
  }
  assert.deepEqual(chosen, ['r1', 'r2', 'r3', 'r1']);
  // A reader who is full is skipped in the rotation.
  const skip = route(
    cfg,
    ctCase(now),
    now,
    noLoad({ lastChosenByRule: { rr: 'r1' }, readers: { r2: { cases: 4, weight: 4 } } }),
  );
  assert.equal(skip.assigneeId, 'r3');
  assert.equal(
    skip.summary,
    'Assigned to Dr Three by rule "Rotation" (round-robin: next after Dr One among 2 eligible)',
  );
});

test('preferred: the first eligible preferred reader, else balanced', () => {
  const cfg = config({
    readers: [reader('p1', 'Dr Pref One'), reader('p2', 'Dr Pref Two'), reader('x', 'Dr X')],
    shifts: [shift('Days', '07:00', '19:00')],
    rosters: rostered(['p1', 'p2', 'x'], 'Days'),
    rules: [rule('pref', 'Preferred', {}, { strategy: 'preferred', preferredReaderIds: ['p1', 'p2'] })],
  });
  const now = TUESDAY_10AM_CHICAGO;
  assert.equal(
    route(cfg, ctCase(now), now, noLoad({ readers: { p1: { cases: 3, weight: 3 } } })).assigneeId,
    'p1',
  );
  const d = route(
    cfg,
    ctCase(now),
    now,
    noLoad({ readers: { p1: { cases: 4, weight: 4 }, p2: { cases: 4, weight: 4 } } }),
  );
  assert.equal(d.assigneeId, 'x');
  assert.match(d.summary, /no preferred reader eligible; balanced/);
});

// --- shifts and rosters ----------------------------------------------------------------------------------

test('roster: a night shift started yesterday uses yesterday’s roster; off shift and not rostered are told apart', () => {
  const cfg = config({
    readers: [reader('mon', 'Dr Monday'), reader('tue', 'Dr Tuesday'), reader('day', 'Dr Day')],
    shifts: [shift('Nights', '22:00', '07:00'), shift('Days', '07:00', '19:00')],
    rosters: [
      ...rostered(['mon'], 'Nights', '2026-06-08', '2026-06-08'),
      ...rostered(['tue'], 'Nights', '2026-06-09', '2026-06-09'),
      ...rostered(['day'], 'Days'),
    ],
    rules: [rule('all', 'Everyone', {})],
  });
  // 03:00 on Tuesday 9 June in Chicago: Monday night's instance.
  const now = Date.parse('2026-06-09T08:00:00Z');
  const d = route(cfg, ctCase(now), now);
  assert.equal(d.assigneeId, 'mon');
  assert.deepEqual(verdict(d, 'tue'), {
    readerId: 'tue',
    eligible: false,
    excludedAt: 'roster',
    reason: 'not rostered on Nights (22:00-07:00 America/Chicago) for 2026-06-08',
  });
  assert.deepEqual(verdict(d, 'day'), {
    readerId: 'day',
    eligible: false,
    excludedAt: 'shift',
    reason: 'off shift: Days (07:00-19:00 America/Chicago) not on now',
  });
});

test('covering shifts: site scope keeps shifts listing other sites out; scope any lets them in', () => {
  const base = {
    readers: [reader('s2', 'Dr Two')],
    shifts: [shift('S2 days', '07:00', '19:00', { siteIds: ['S2'], modalities: ['CT'] })],
    rosters: rostered(['s2'], 'S2 days'),
  };
  const now = TUESDAY_10AM_CHICAGO;
  const siteScope = route(config({ ...base, rules: [rule('r', 'Covering', {})] }), ctCase(now), now);
  assert.equal(siteScope.outcome, 'unroutable');
  assert.equal(
    siteScope.summary,
    'No eligible reader: rule "Covering" had no candidates (no shift covers the case)',
  );
  const anyScope = config({
    ...base,
    rules: [rule('r', 'Covering', {}, { target: { kind: 'covering-shifts', scope: 'any' } })],
  });
  assert.equal(route(anyScope, ctCase(now), now).assigneeId, 's2');
  // The shift's other filters still apply.
  assert.equal(route(anyScope, ctCase(now, { modalities: ['MR'] }), now).outcome, 'unroutable');
});

// --- pathways and SLA classes ----------------------------------------------------------------------------

test('modify rules: a pathway set by one rule is matched by a later one; the SLA class follows the pathway', () => {
  const cfg = config({
    sites: [site('S1', { kind: 'partner', partnerId: 'acme' }), site('H', { kind: 'hub' })],
    partners: [{ id: 'acme', name: 'Acme Imaging', slaClass: 'partner-8h' }],
    readers: [
      reader('n', 'Dr N. Okafor', { subspecialties: ['neuro'], sites: ['S1'] }),
      reader('g', 'Dr G. Hale', { sites: ['S1'] }),
    ],
    shifts: [shift('Days', '07:00', '19:00')],
    rosters: rostered(['n', 'g'], 'Days'),
    rules: [
      rule(
        'code',
        'Stroke code',
        { procedures: ['stroke', 'CTA head'] },
        { setPathway: 'stroke', raisePriority: 'stat' },
        'modify',
      ),
      rule('stroke', 'Stroke pathway', { pathways: ['stroke'] }, { require: { subspecialties: ['neuro'] } }),
      rule('rest', 'Everything else', {}),
    ],
  });
  const now = TUESDAY_10AM_CHICAGO;
  const stroke = route(cfg, ctCase(now, { procedure: 'CTA HEAD AND NECK' }), now);
  assert.equal(stroke.pathway, 'stroke');
  assert.equal(stroke.priority, 'stat');
  assert.equal(stroke.slaClass, 'stroke-20');
  assert.equal(stroke.assigneeId, 'n');
  assert.deepEqual(stroke.rules[0]!.why, [
    'procedure "CTA HEAD AND NECK" contains "CTA head"',
    'priority raised from routine to stat',
    'pathway set to stroke',
  ]);
  assert.equal(stroke.rules[1]!.why[0], 'pathway stroke in [stroke]');
  // Not a stroke: the partner's contract class applies.
  const other = route(cfg, ctCase(now, { procedure: 'CT ABDOMEN' }), now);
  assert.equal(other.pathway, undefined);
  assert.equal(other.slaClass, 'partner-8h');
  assert.equal(other.ruleId, 'rest');
  assert.equal(other.rules[1]!.why[0], 'no pathway (needs one of [stroke])');
});

test('a route rule’s own SLA class wins; a route rule that finds nobody leaves the case unchanged', () => {
  const cfg = config({
    readers: [reader('g', 'Dr G. Hale')],
    shifts: [shift('Days', '07:00', '19:00')],
    rosters: rostered(['g'], 'Days'),
    rules: [
      rule(
        'mr',
        'MR only',
        {},
        { require: { modalities: ['MR'] }, raisePriority: 'urgent', slaClass: 'stroke-20' },
      ),
      rule('rest', 'Everything else', {}, { slaClass: 'partner-8h' }),
    ],
  });
  const now = TUESDAY_10AM_CHICAGO;
  const cfgNoMr = { ...cfg, readers: [reader('g', 'Dr G. Hale', { modalities: ['CT'] })] };
  const d = route(cfgNoMr, ctCase(now), now);
  assert.equal(d.ruleId, 'rest');
  assert.equal(d.priority, 'routine');
  assert.equal(d.slaClass, 'partner-8h');
  const mr = route(cfg, ctCase(now), now);
  assert.equal(mr.ruleId, 'mr');
  assert.equal(mr.priority, 'urgent');
  assert.equal(mr.slaClass, 'stroke-20');
});

// --- explanations ----------------------------------------------------------------------------------------

test('explanation: the unroutable summary counts why each candidate dropped out, rule by rule', () => {
  const cfg = config({
    readers: [
      reader('a', 'Dr A. Off'),
      reader('b', 'Dr B. Off'),
      reader('c', 'Dr C. Unlicensed', { jurisdictions: ['US-CA'] }),
      reader('h', 'Dr H. Hub'),
    ],
    shifts: [
      shift('S1 nights', '22:00', '07:00', { siteIds: ['S1'] }),
      shift('S1 days', '07:00', '19:00', { siteIds: ['S1'] }),
      shift('Hub days', '07:00', '19:00', { siteIds: ['H'] }),
    ],
    rosters: [
      ...rostered(['a', 'b'], 'S1 nights'),
      ...rostered(['c'], 'S1 days'),
      ...rostered(['h'], 'Hub days'),
    ],
    rules: [
      rule('disabled', 'Old rule', {}, {}),
      rule('local', 'Spoke local', { siteIds: ['S1'] }),
      rule('hub', 'Hub overflow', { studyAgeMinutes: { min: 30 } }, { target: { kind: 'hub' } }),
    ].map((r) => (r.id === 'disabled' ? { ...r, enabled: false } : r)),
  });
  const now = TUESDAY_10AM_CHICAGO;
  const d = route(cfg, ctCase(now, { ageMinutes: 5 }), now);
  assert.equal(d.outcome, 'unroutable');
  assert.equal(
    d.summary,
    'No eligible reader: rule "Spoke local" had 3 candidates (2 off shift, 1 without a licence for US-TX); ' +
      'rule "Hub overflow" did not match (study age 5 min < 30 min)',
  );
  // Disabled rules are not evaluated at all; the candidates are those of the last route rule tried.
  assert.deepEqual(
    d.rules.map((r) => r.ruleId),
    ['local', 'hub'],
  );
  assert.deepEqual(
    d.candidates.map((c) => [c.readerId, c.excludedAt]),
    [
      ['a', 'shift'],
      ['b', 'shift'],
      ['c', 'credentials'],
    ],
  );
  assert.equal(d.slaClass, 'routine-24h');
  assert.equal(d.eligibleReaderIds.length, 0);
});

test('explanation: an inactive reader is out of routing and says so', () => {
  const cfg = config({
    readers: [{ ...reader('away', 'Dr A. Away'), active: false }, reader('here', 'Dr H. Here')],
    shifts: [shift('Days', '07:00', '19:00')],
    rosters: rostered(['away', 'here'], 'Days'),
    pools: [{ id: 'p', name: 'Everyone', readerIds: ['away', 'here'] }],
    rules: [rule('pool', 'Pool', {}, { target: { kind: 'pool', poolId: 'p' } })],
  });
  const d = route(cfg, ctCase(TUESDAY_10AM_CHICAGO), TUESDAY_10AM_CHICAGO);
  assert.equal(d.assigneeId, 'here');
  assert.deepEqual(verdict(d, 'away'), {
    readerId: 'away',
    eligible: false,
    excludedAt: 'roster',
    reason: 'inactive: kept in the directory but out of routing',
  });
});
