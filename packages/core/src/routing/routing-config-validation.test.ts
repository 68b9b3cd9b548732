import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type RoutingConfigIssue, validateRoutingConfig } from './routing-config-validation.ts';

/** A small valid document; each test breaks one thing in a fresh copy. */
// biome-ignore lint/suspicious/noExplicitAny: the tests corrupt the document in ways no type describes
function validDoc(): Record<string, any> {
  return {
    sites: [
      { id: 'H', name: 'Hub', timeZone: 'America/Chicago', jurisdiction: 'US-TX', kind: 'hub' },
      {
        id: 'S1',
        name: 'Spoke',
        timeZone: 'America/Chicago',
        jurisdiction: 'US-TX',
        kind: 'spoke',
        hubId: 'H',
      },
      {
        id: 'P1',
        name: 'Partner clinic',
        timeZone: 'Europe/London',
        jurisdiction: 'GB',
        kind: 'partner',
        partnerId: 'acme',
      },
    ],
    partners: [{ id: 'acme', name: 'Acme', slaClass: 'routine' }],
    readers: [
      {
        id: 'r1',
        name: 'Dr One',
        subspecialties: ['neuro'],
        modalities: ['CT', 'MR'],
        licences: [{ jurisdiction: 'US-TX', validFrom: '2024-01-01', validTo: '2027-12-31' }],
        privileges: [{ siteId: 'S1', validFrom: '2024-01-01' }],
        maxConcurrent: 4,
        maxWeight: 12.5,
        timeZone: 'America/Chicago',
      },
      {
        id: 'r2',
        name: 'Dr Two',
        subspecialties: [],
        modalities: ['CT'],
        licences: [],
        privileges: [],
        maxConcurrent: 2,
      },
    ],
    shifts: [
      {
        id: 'day',
        name: 'Day',
        timeZone: 'America/Chicago',
        days: ['mon', 'tue', 'wed', 'thu', 'fri'],
        start: '07:00',
        end: '19:00',
        covers: { siteIds: ['S1'], priorities: ['stat', 'routine'] },
      },
      {
        id: 'night',
        name: 'Night',
        timeZone: 'America/Chicago',
        days: ['sat'],
        start: '22:00',
        end: '07:00',
        covers: {},
      },
    ],
    rosters: [{ readerId: 'r1', shiftId: 'day', from: '2026-01-01', to: '2026-12-31' }],
    pools: [{ id: 'neuro', name: 'Neuro', readerIds: ['r1'] }],
    rules: [
      {
        id: 'flag',
        name: 'AI flag',
        kind: 'modify',
        when: { aiFlags: ['ich'] },
        then: { raisePriority: 'stat' },
      },
      {
        id: 'local',
        name: 'Local',
        when: { siteKinds: ['spoke'], studyAgeMinutes: { max: 30 } },
        then: { target: { kind: 'covering-shifts', scope: 'site' } },
      },
      {
        id: 'neuro',
        name: 'Neuro',
        when: { modalities: ['MR'] },
        then: { target: { kind: 'pool', poolId: 'neuro' }, strategy: 'pool' },
      },
      {
        id: 'hub',
        name: 'Hub',
        enabled: false,
        when: { priorities: ['stat'] },
        then: { target: { kind: 'hub' } },
      },
    ],
    sla: {
      classes: [
        {
          id: 'stat',
          name: 'STAT',
          targets: [{ from: 'available', to: 'final', minutes: 60 }],
          escalation: [
            { atFraction: 0.75, action: 'alert' },
            { atFraction: 2, action: 'notify-supervisor' },
          ],
        },
        {
          id: 'routine',
          name: 'Routine',
          targets: [{ from: 'available', to: 'final', minutes: 1440 }],
          escalation: [],
        },
      ],
      byPriority: { stat: 'stat', urgent: 'stat', routine: 'routine' },
      byPathway: { stroke: 'stat' },
    },
    workWeights: { CT: 1.5, MR: 2 },
    fallback: 'exception',
  };
}

function errorsOf(doc: unknown): RoutingConfigIssue[] {
  const result = validateRoutingConfig(doc);
  assert.equal(result.ok, false, 'expected the document to be refused');
  return result.ok ? [] : result.errors;
}

function errorAt(doc: unknown, path: string): string {
  const errors = errorsOf(doc);
  const found = errors.find((e) => e.path === path);
  assert.ok(found, `no error at ${path}; got ${JSON.stringify(errors)}`);
  return found.message;
}

test('a valid document passes, with defaults filled in and the input left alone', () => {
  const doc = validDoc();
  delete doc.partners;
  delete doc.pools;
  doc.sites[2].partnerId = undefined;
  doc.rules = doc.rules.filter((r: { id: string }) => r.id !== 'neuro');
  const before = JSON.stringify(doc);
  const result = validateRoutingConfig(doc);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  assert.deepEqual(result.config.partners, []);
  assert.deepEqual(result.config.pools, []);
  assert.deepEqual(
    result.config.rules.map((r) => [r.id, r.enabled, r.kind]),
    [
      ['flag', true, 'modify'],
      ['local', true, 'route'],
      ['hub', false, 'route'],
    ],
  );
  assert.deepEqual(
    result.config.readers.map((r) => r.active),
    [true, true],
  );
  assert.equal(JSON.stringify(doc), before);
});

test('warnings: a reader nobody rostered, a shift nobody works, a partner site without a partner', () => {
  const doc = validDoc();
  doc.sites[2].partnerId = undefined;
  const result = validateRoutingConfig(doc);
  assert.ok(result.ok);
  assert.deepEqual(result.warnings, [
    'sites[2] (Partner clinic) is a partner site without partnerId: no contract SLA applies',
    'reader r2 (Dr Two) has no roster entry: only a rule naming them (target reader) can reach them',
    'shift night (Night) has no active reader rostered on it',
  ]);
});

test('the document must be an object with the required collections', () => {
  assert.deepEqual(errorsOf([]), [{ path: '', message: 'must be an object, not an array' }]);
  const errors = errorsOf({ sites: [] });
  assert.deepEqual(
    errors.map((e) => e.path),
    ['readers', 'shifts', 'rosters', 'rules', 'sla'],
  );
  assert.equal(errors[0]!.message, 'is required');
});

test('unknown keys are refused, naming the key and the allowed ones', () => {
  const doc = validDoc();
  doc.readers[0].licenses = [];
  assert.equal(
    errorAt(doc, 'readers[0].licenses'),
    'unknown key "licenses"; allowed: id, name, username, subspecialties, modalities, licences, privileges, maxConcurrent, maxWeight, timeZone, active',
  );
  const odd = validDoc();
  odd.rules[1].when['site ids'] = ['S1'];
  assert.match(
    errorAt(odd, 'rules[1].when["site ids"]'),
    /^unknown key "site ids"; allowed: modalities, bodyParts/,
  );
  const target = validDoc();
  target.rules[1].then.target.poolId = 'neuro';
  assert.equal(errorAt(target, 'rules[1].then.target.poolId'), 'unknown key "poolId"; allowed: kind, scope');
});

test('enumerations say what they accept', () => {
  const doc = validDoc();
  doc.rules[3].when.priorities = ['asap'];
  doc.shifts[0].days = ['monday'];
  doc.sites[0].kind = 'central';
  doc.rules[2].then.strategy = 'random';
  doc.sla.classes[0].escalation[0].action = 'page';
  assert.equal(
    errorAt(doc, 'rules[3].when.priorities[0]'),
    'must be one of stat, urgent, routine, not the string "asap"',
  );
  assert.equal(
    errorAt(doc, 'shifts[0].days[0]'),
    'must be one of mon, tue, wed, thu, fri, sat, sun, not the string "monday"',
  );
  assert.equal(errorAt(doc, 'sites[0].kind'), 'must be one of hub, spoke, partner, not the string "central"');
  assert.equal(
    errorAt(doc, 'rules[2].then.strategy'),
    'must be one of balanced, preferred, round-robin, pool, not the string "random"',
  );
  assert.match(
    errorAt(doc, 'sla.classes[0].escalation[0].action'),
    /^must be one of alert, reassign, broaden, notify-supervisor/,
  );
});

test('required fields and types inside collections', () => {
  const doc = validDoc();
  delete doc.sites[1].timeZone;
  doc.readers[1].modalities = 'CT';
  doc.readers[1].name = '';
  doc.rules[0].when = [];
  assert.equal(errorAt(doc, 'sites[1].timeZone'), 'is required');
  assert.equal(errorAt(doc, 'readers[1].modalities'), 'must be an array, not the string "CT"');
  assert.equal(errorAt(doc, 'readers[1].name'), 'must be a non-empty string, not the string ""');
  assert.equal(errorAt(doc, 'rules[0].when'), 'must be an object, not an array');
});

test('ids are unique per collection', () => {
  const doc = validDoc();
  doc.readers[1].id = 'r1';
  doc.sla.classes[1].id = 'stat';
  assert.equal(errorAt(doc, 'readers[1].id'), 'duplicate reader id "r1"; already used at readers[0]');
  assert.equal(
    errorAt(doc, 'sla.classes[1].id'),
    'duplicate SLA class id "stat"; already used at sla.classes[0]',
  );
});

test('every reference resolves', () => {
  const doc = validDoc();
  doc.rosters[0].readerId = 'r9';
  doc.rosters[0].shiftId = 'evening';
  doc.pools[0].readerIds = ['r1', 'ghost'];
  doc.rules[1].when.siteIds = ['S7'];
  doc.rules[1].when.partnerIds = ['globex'];
  doc.rules[2].then.target.poolId = 'msk';
  doc.rules[2].then.slaClass = 'gold';
  doc.rules[3].then.target = { kind: 'shift', shiftId: 'late' };
  doc.rules.push({
    id: 'named',
    name: 'Named',
    when: {},
    then: { target: { kind: 'reader', readerId: 'r5' } },
  });
  doc.readers[0].privileges[0].siteId = 'S9';
  doc.shifts[0].covers.siteIds = ['S1', 'S8'];
  doc.sla.byPriority.urgent = 'fast';
  doc.sla.byPathway.stroke = 'stroke-20';
  doc.partners[0].slaClass = 'bronze';
  doc.sites[2].partnerId = 'initech';
  const expected: [string, string][] = [
    ['rosters[0].readerId', 'unknown reader "r9"; known: r1, r2'],
    ['rosters[0].shiftId', 'unknown shift "evening"; known: day, night'],
    ['pools[0].readerIds[1]', 'unknown reader "ghost"; known: r1, r2'],
    ['rules[1].when.siteIds[0]', 'unknown site "S7"; known: H, S1, P1'],
    ['rules[1].when.partnerIds[0]', 'unknown partner "globex"; known: acme'],
    ['rules[2].then.target.poolId', 'unknown pool "msk"; known: neuro'],
    ['rules[2].then.slaClass', 'unknown SLA class "gold"; known: stat, routine'],
    ['rules[3].then.target.shiftId', 'unknown shift "late"; known: day, night'],
    ['rules[4].then.target.readerId', 'unknown reader "r5"; known: r1, r2'],
    ['readers[0].privileges[0].siteId', 'unknown site "S9"; known: H, S1, P1'],
    ['shifts[0].covers.siteIds[1]', 'unknown site "S8"; known: H, S1, P1'],
    ['sla.byPriority.urgent', 'unknown SLA class "fast"; known: stat, routine'],
    ['sla.byPathway.stroke', 'unknown SLA class "stroke-20"; known: stat, routine'],
    ['partners[0].slaClass', 'unknown SLA class "bronze"; known: stat, routine'],
    ['sites[2].partnerId', 'unknown partner "initech"; known: acme'],
  ];
  for (const [path, message] of expected) assert.equal(errorAt(doc, path), message, path);
});

test('a hub reference must name another site of kind hub', () => {
  const doc = validDoc();
  doc.sites.push({
    id: 'S2',
    name: 'Spoke 2',
    timeZone: 'America/Chicago',
    jurisdiction: 'US-TX',
    kind: 'spoke',
    hubId: 'S1',
  });
  doc.sites[0].hubId = 'H';
  assert.equal(errorAt(doc, 'sites[3].hubId'), 'must name a site of kind hub; "S1" is a spoke');
  assert.equal(errorAt(doc, 'sites[0].hubId'), 'must name another site, not the site itself');
});

test('time zones, times and dates', () => {
  const doc = validDoc();
  doc.sites[0].timeZone = 'America/Chicgo';
  doc.shifts[1].timeZone = '+05:00';
  doc.shifts[0].start = '7:00';
  doc.shifts[0].end = '24:00';
  doc.rosters[0].from = '2026-02-30';
  doc.readers[0].licences[0].validTo = '2023-12-31';
  doc.rosters.push({ readerId: 'r2', shiftId: 'night', from: '2026-06-01', to: '2026-05-31' });
  assert.equal(
    errorAt(doc, 'sites[0].timeZone'),
    `must be an IANA time zone such as 'Europe/London' or 'America/Chicago', not the string "America/Chicgo"`,
  );
  assert.match(errorAt(doc, 'shifts[1].timeZone'), /^must be an IANA time zone/);
  assert.equal(
    errorAt(doc, 'shifts[0].start'),
    `must be a time as 'HH:MM' from 00:00 to 23:59, not the string "7:00"`,
  );
  assert.match(errorAt(doc, 'shifts[0].end'), /not the string "24:00"/);
  assert.equal(
    errorAt(doc, 'rosters[0].from'),
    `must be a real date as 'YYYY-MM-DD', not the string "2026-02-30"`,
  );
  assert.equal(errorAt(doc, 'readers[0].licences[0].validTo'), 'must be on or after validFrom (2024-01-01)');
  assert.equal(errorAt(doc, 'rosters[1].to'), 'must be on or after from (2026-06-01)');
});

test('numbers: capacity, weights, SLA minutes and escalation fractions', () => {
  const doc = validDoc();
  doc.readers[0].maxConcurrent = 0;
  doc.readers[1].maxConcurrent = 1.5;
  doc.readers[0].maxWeight = -1;
  doc.sla.classes[0].targets[0].minutes = 0;
  doc.sla.classes[0].escalation[0].atFraction = 0;
  doc.sla.classes[0].escalation[1].atFraction = 2.5;
  doc.sla.classes[1].targets[0].to = 'available';
  doc.rules[1].when.studyAgeMinutes = { min: 60, max: 30 };
  doc.rules[2].when.siteQueueDepthAtLeast = -2;
  doc.workWeights.MR = 'heavy';
  assert.equal(errorAt(doc, 'readers[0].maxConcurrent'), 'must be a positive integer, not number 0');
  assert.equal(errorAt(doc, 'readers[1].maxConcurrent'), 'must be a positive integer, not number 1.5');
  assert.equal(errorAt(doc, 'readers[0].maxWeight'), 'must be a positive number, not number -1');
  assert.equal(
    errorAt(doc, 'sla.classes[0].targets[0].minutes'),
    'must be a number of minutes greater than 0, not number 0',
  );
  assert.match(
    errorAt(doc, 'sla.classes[0].escalation[0].atFraction'),
    /^must be a fraction of the target in \(0, 2\]/,
  );
  assert.match(errorAt(doc, 'sla.classes[0].escalation[1].atFraction'), /not number 2\.5$/);
  assert.match(errorAt(doc, 'sla.classes[1].targets[0].to'), /^must be a milestone after available/);
  assert.equal(errorAt(doc, 'rules[1].when.studyAgeMinutes.max'), 'must be at least min (60)');
  assert.equal(
    errorAt(doc, 'rules[2].when.siteQueueDepthAtLeast'),
    'must be an integer, 0 or more, not number -2',
  );
  assert.equal(errorAt(doc, 'workWeights.MR'), 'must be a positive number, not the string "heavy"');
});

test('SLA byPriority needs exactly stat, urgent and routine', () => {
  const doc = validDoc();
  doc.sla.byPriority = { stat: 'stat', routine: 'routine', low: 'routine' };
  assert.equal(errorAt(doc, 'sla.byPriority.urgent'), 'is required');
  assert.equal(errorAt(doc, 'sla.byPriority.low'), 'unknown key "low"; allowed: stat, urgent, routine');
});

test('rule targets: the kind is required and decides the other keys', () => {
  const doc = validDoc();
  doc.rules[1].then.target = { scope: 'any' };
  doc.rules[2].then.target = { kind: 'pool' };
  doc.rules[3].then.target = { kind: 'everyone' };
  assert.equal(
    errorAt(doc, 'rules[1].then.target.kind'),
    'is required: one of covering-shifts, shift, pool, reader, anyone-on-shift, hub',
  );
  assert.equal(errorAt(doc, 'rules[2].then.target.poolId'), 'is required');
  assert.match(errorAt(doc, 'rules[3].then.target.kind'), /^must be one of covering-shifts, shift, pool/);
});

test('every problem is reported at once, in document order', () => {
  const doc = validDoc();
  doc.sites[0].timeZone = 'Nowhere/Special';
  doc.readers[0].maxConcurrent = 0;
  doc.rules[0].when.priorities = ['urgent', 'soon'];
  assert.deepEqual(
    errorsOf(doc).map((e) => e.path),
    ['sites[0].timeZone', 'readers[0].maxConcurrent', 'rules[0].when.priorities[1]'],
  );
});

test('property: any JSON value is answered, never thrown on', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const result = validateRoutingConfig(value);
      assert.equal(typeof result.ok, 'boolean');
    }),
    { numRuns: 300 },
  );
  // Mutations of a valid document: one field replaced by an arbitrary JSON value.
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10_000 }), fc.jsonValue(), (pick, value) => {
      const doc = validDoc();
      const holders: Record<string, unknown>[] = [];
      const walk = (v: unknown) => {
        if (v && typeof v === 'object') {
          holders.push(v as Record<string, unknown>);
          for (const child of Object.values(v)) walk(child);
        }
      };
      walk(doc);
      const holder = holders[pick % holders.length]!;
      const keys = Object.keys(holder);
      if (keys.length > 0) holder[keys[pick % keys.length]!] = value;
      const result = validateRoutingConfig(doc);
      assert.equal(typeof result.ok, 'boolean');
    }),
    { numRuns: 500 },
  );
});
