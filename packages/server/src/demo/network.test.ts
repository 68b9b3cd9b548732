import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compileRouting,
  type Priority,
  type RoutingCase,
  type RoutingLoad,
  readersOnShiftAt,
  routeCase,
  validateRoutingConfig,
} from '@confer/core';
import { DEFAULT_SITES } from '../synthetic/sites.ts';
import { DEMO_PARTNER_ID, DEMO_PARTNER_SITE_ID, demoReaderUsers, demoRoutingConfig } from './network.ts';

const TODAY = '2026-03-02';
const config = demoRoutingConfig({ today: TODAY });
const HOUR = 3_600_000;

function unique(ids: string[], what: string): void {
  const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
  assert.deepEqual(dupes, [], `duplicate ${what} ids`);
}

test('the demo network validates without a warning', () => {
  const result = validateRoutingConfig(config);
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors, null, 2));
  assert.deepEqual(result.warnings, []);
});

test('shape: unique ids, references that resolve, zones, jurisdictions, a partner, a dozen readers', () => {
  unique(
    config.sites.map((s) => s.id),
    'site',
  );
  unique(
    config.readers.map((r) => r.id),
    'reader',
  );
  unique(
    config.shifts.map((s) => s.id),
    'shift',
  );
  unique(
    config.pools.map((p) => p.id),
    'pool',
  );
  unique(
    config.rules.map((r) => r.id),
    'rule',
  );
  unique(
    config.sla.classes.map((c) => c.id),
    'SLA class',
  );
  const readers = new Set(config.readers.map((r) => r.id));
  const shifts = new Set(config.shifts.map((s) => s.id));
  const sites = new Set(config.sites.map((s) => s.id));
  for (const e of config.rosters) {
    assert.ok(readers.has(e.readerId), e.readerId);
    assert.ok(shifts.has(e.shiftId), e.shiftId);
    assert.equal(e.from, '2026-01-31', 'rosters start 30 days before today');
    assert.equal(e.to, undefined, 'and are open-ended');
  }
  for (const p of config.pools) for (const id of p.readerIds) assert.ok(readers.has(id), `${p.id}: ${id}`);
  assert.deepEqual(config.pools.map((p) => p.id).sort(), ['p-msk', 'p-neuro']);
  for (const r of config.readers) for (const p of r.privileges) assert.ok(sites.has(p.siteId), p.siteId);
  assert.deepEqual([...sites].sort(), DEFAULT_SITES.map((s) => s.id).sort(), 'the demo sites, no others');

  assert.ok(new Set(config.sites.map((s) => s.timeZone)).size >= 3);
  assert.ok(new Set(config.sites.map((s) => s.jurisdiction)).size >= 3);
  assert.ok(new Set(config.shifts.map((s) => s.timeZone)).size >= 4, 'shifts in several zones');
  const hub = config.sites.filter((s) => s.kind === 'hub');
  assert.equal(hub.length, 1);
  for (const s of config.sites.filter((x) => x.kind !== 'hub')) assert.equal(s.hubId, hub[0]!.id);
  const partner = config.sites.find((s) => s.kind === 'partner')!;
  assert.equal(partner.id, DEMO_PARTNER_SITE_ID);
  assert.equal(partner.partnerId, DEMO_PARTNER_ID);
  assert.equal(config.partners.find((p) => p.id === DEMO_PARTNER_ID)?.slaClass, 'partner-contract');

  assert.ok(config.readers.length >= 12);
  const subspecialties = new Set(config.readers.flatMap((r) => r.subspecialties));
  for (const s of ['neuro', 'msk', 'body', 'chest', 'general', 'breast']) assert.ok(subspecialties.has(s), s);
  assert.ok(
    config.shifts.some((s) => s.end <= s.start),
    'an overnight shift',
  );
  assert.ok(
    config.shifts.some((s) => s.days.includes('sat') && !s.days.includes('mon')),
    'a weekend shift',
  );
  for (const m of ['CR', 'CT', 'MR', 'US']) assert.ok(config.workWeights?.[m], m);
});

test('SLA classes: stat, urgent, routine, stroke and the partner contract, each with a ladder', () => {
  const byId = new Map(config.sla.classes.map((c) => [c.id, c]));
  const final = (id: string) =>
    byId.get(id)!.targets.find((t) => t.from === 'available' && t.to === 'final')!;
  assert.equal(final('stat').minutes, 60);
  assert.equal(final('urgent').minutes, 240);
  assert.equal(final('routine').minutes, 1440);
  assert.equal(final('stroke').minutes, 60);
  assert.equal(byId.get('stroke')!.targets.find((t) => t.to === 'preliminary')!.minutes, 20);
  assert.equal(final('partner-contract').minutes, 720);
  for (const c of config.sla.classes) {
    assert.deepEqual(
      c.escalation.map((e) => e.action),
      ['alert', 'alert', 'reassign', 'notify-supervisor', 'broaden'],
      c.id,
    );
  }
  assert.equal(config.sla.byPathway?.stroke, 'stroke');
});

test('someone is rostered at every half hour of the year, never everyone', () => {
  // A week in each season, and the weeks either side of every DST change of both hemispheres.
  const weeks = [
    '2026-01-12',
    '2026-03-23',
    '2026-03-30',
    '2026-04-06',
    '2026-07-13',
    '2026-09-21',
    '2026-09-28',
    '2026-10-19',
    '2026-10-26',
  ];
  const active = config.readers.filter((r) => r.active !== false).length;
  for (const week of weeks) {
    const c = demoRoutingConfig({ today: week });
    const start = Date.parse(`${week}T00:00:00Z`);
    for (let t = start; t < start + 7 * 24 * HOUR; t += HOUR / 2) {
      const on = readersOnShiftAt(c, t);
      assert.ok(on.size >= 1, `nobody on shift at ${new Date(t).toISOString()}`);
      assert.ok(on.size < active, `everyone on shift at ${new Date(t).toISOString()}`);
    }
  }
});

test('demo users: one per reader, usernames like dr.okafor', () => {
  const users = demoReaderUsers();
  assert.equal(users.length, config.readers.length);
  unique(
    users.map((u) => u.username),
    'username',
  );
  for (const u of users) {
    const reader = config.readers.find((r) => r.id === u.readerId)!;
    assert.equal(reader.username, u.username);
    assert.equal(reader.name, u.displayName);
    assert.match(u.username, /^dr\.[a-z]+$/);
  }
  assert.ok(users.some((u) => u.username === 'dr.okafor'));
});

// ---------------------------------------------------------------------------------------------------------
// Routing the demo network

const compiled = compileRouting(config);
const idle: RoutingLoad = { readers: {}, siteQueueDepth: {}, lastChosenByRule: {} };

function kase(
  siteId: string,
  at: number,
  c: {
    modalities: string[];
    bodyParts: string[];
    procedure: string;
    priority?: Priority;
    ageMinutes?: number;
  },
): RoutingCase {
  return {
    id: `case-${siteId}-${at}`,
    siteId,
    modalities: c.modalities,
    bodyParts: c.bodyParts,
    procedure: c.procedure,
    priority: c.priority ?? 'routine',
    aiFlags: [],
    availableAt: at - (c.ageMinutes ?? 0) * 60_000,
  };
}

/** Tuesday 3 March 2026, 10:00 in London (GMT). */
const TUESDAY_10_LONDON = Date.parse('2026-03-03T10:00:00Z');

test('a stroke CT at a spoke goes STAT to a preferred neuroradiologist, under the stroke SLA', () => {
  const d = routeCase({
    compiled,
    case: kase('kestrel-moor', TUESDAY_10_LONDON, {
      modalities: ['CT'],
      bodyParts: ['HEAD'],
      procedure: 'CT HEAD STROKE PROTOCOL',
    }),
    load: idle,
    now: TUESDAY_10_LONDON,
  });
  assert.equal(d.outcome, 'assigned', d.summary);
  assert.equal(d.ruleId, 'stroke-neuro');
  assert.equal(d.assigneeId, 'r-okafor');
  assert.equal(d.priority, 'stat');
  assert.equal(d.pathway, 'stroke');
  assert.equal(d.slaClass, 'stroke');
});

test('an MR knee goes to the MSK pool worklist', () => {
  const d = routeCase({
    compiled,
    case: kase('red-mesa', Date.parse('2026-03-03T17:00:00Z'), {
      modalities: ['MR'],
      bodyParts: ['KNEE'],
      procedure: 'MR KNEE RIGHT WITHOUT CONTRAST',
    }),
    load: idle,
    now: Date.parse('2026-03-03T17:00:00Z'),
  });
  assert.equal(d.outcome, 'pooled', d.summary);
  assert.equal(d.ruleId, 'msk-mr');
  assert.ok(d.eligibleReaderIds.includes('r-redfern'));
});

test('overnight at Tui Harbour: follow the sun, and the explanation shows who lacks what', () => {
  // Tuesday 03:00 in Auckland (NZDT) is Monday 14:00 UTC: no Tui Harbour shift runs.
  const at = Date.parse('2026-03-02T14:00:00Z');
  const d = routeCase({
    compiled,
    case: kase('tui-harbour', at, {
      modalities: ['CT'],
      bodyParts: ['CHEST'],
      procedure: 'CT CHEST WITH CONTRAST',
    }),
    load: idle,
    now: at,
  });
  assert.equal(d.outcome, 'assigned', d.summary);
  assert.equal(d.ruleId, 'follow-the-sun');
  const why = new Map(d.candidates.map((c) => [c.readerId, c]));
  assert.match(why.get('r-aldana')!.reason!, /no licence for NZ/);
  assert.match(
    why.get('r-whitlock')!.reason!,
    /privileges at Tui Harbour \(tui-harbour\) expired 2026-02-18/,
  );
  assert.equal(why.get('r-whitlock')!.excludedAt, 'credentials');
  assert.ok(d.eligibleReaderIds.length >= 1);
});

test('most cases route, at any hour of the week, from any site', () => {
  const kinds = [
    { modalities: ['CT'], bodyParts: ['HEAD'], procedure: 'CT HEAD STROKE PROTOCOL' },
    {
      modalities: ['CT'],
      bodyParts: ['CHEST'],
      procedure: 'CT CHEST WITH CONTRAST',
      priority: 'urgent' as const,
    },
    { modalities: ['CT'], bodyParts: ['ABDOMEN'], procedure: 'CT ABDOMEN AND PELVIS WITH CONTRAST' },
    { modalities: ['MR'], bodyParts: ['BRAIN'], procedure: 'MR BRAIN WITHOUT CONTRAST' },
    { modalities: ['MR'], bodyParts: ['KNEE'], procedure: 'MR KNEE RIGHT WITHOUT CONTRAST' },
    { modalities: ['CR'], bodyParts: ['CHEST'], procedure: 'XR CHEST PA AND LATERAL' },
    {
      modalities: ['US'],
      bodyParts: ['ABDOMEN'],
      procedure: 'US ABDOMEN COMPLETE',
      priority: 'stat' as const,
    },
  ];
  let routed = 0;
  let total = 0;
  const unroutable: string[] = [];
  const start = Date.parse('2026-03-09T00:00:00Z');
  for (let t = start; t < start + 7 * 24 * HOUR; t += 3 * HOUR) {
    for (const site of config.sites) {
      for (const k of kinds) {
        total++;
        const d = routeCase({ compiled, case: kase(site.id, t, k), load: idle, now: t });
        if (d.outcome === 'unroutable')
          unroutable.push(`${site.id} ${k.procedure} ${new Date(t).toISOString()}`);
        else routed++;
      }
    }
  }
  assert.ok(routed / total >= 0.9, `${routed} of ${total} routed; not: ${unroutable.slice(0, 8).join('; ')}`);
});

test('today must be a real date', () => {
  assert.throws(() => demoRoutingConfig({ today: '2026-02-30' }), /YYYY-MM-DD/);
  assert.throws(() => demoRoutingConfig({ today: 'tomorrow' }), /YYYY-MM-DD/);
});
