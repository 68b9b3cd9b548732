/**
 * Routing at the size of a national network: 1,000 readers, 500 sites, 1,000 rules, 600 shifts. The expected
 * decisions are worked out here from first principles (local hour via Intl, capacities, ids), independently
 * of the engine's indexes and caches.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRouting } from './compiled-routing.ts';
import type { Reader, RosterEntry, RoutingConfig, RoutingLoad, Rule, Shift, Site } from './model.ts';
import { routeCase } from './route-case.ts';
import { validateRoutingConfig } from './routing-config-validation.ts';

const ZONES = [
  { zone: 'America/New_York', jurisdiction: 'US-NY' },
  { zone: 'America/Chicago', jurisdiction: 'US-IL' },
  { zone: 'America/Denver', jurisdiction: 'US-CO' },
  { zone: 'America/Los_Angeles', jurisdiction: 'US-CA' },
  { zone: 'Europe/London', jurisdiction: 'GB' },
  { zone: 'Australia/Sydney', jurisdiction: 'AU-NSW' },
] as const;
const HUBS = 20;
const SPOKES = 480;
const HUB_READERS = 20;
const EVERY_DAY: Shift['days'] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** A small deterministic generator (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number) => String(n).padStart(3, '0');
const hubId = (h: number) => `hub-${pad(h)}`;
const spokeId = (s: number) => `spoke-${pad(s)}`;
const hubOf = (s: number) => s % HUBS;
const zoneOfHub = (h: number) => ZONES[h % ZONES.length]!;

function buildConfig(): unknown {
  const sites: Site[] = [];
  const readers: Reader[] = [];
  const shifts: Shift[] = [];
  const rosters: RosterEntry[] = [];
  const rules: Rule[] = [];
  const since = '2025-01-01';
  const licence = (jurisdiction: string) => ({ jurisdiction, validFrom: since });
  const privilege = (siteId: string) => ({ siteId, validFrom: since });

  for (let h = 0; h < HUBS; h++) {
    const { zone, jurisdiction } = zoneOfHub(h);
    sites.push({ id: hubId(h), name: `Hub ${h}`, timeZone: zone, jurisdiction, kind: 'hub' });
    shifts.push(
      {
        id: `${hubId(h)}-day`,
        name: `Hub ${h} day`,
        timeZone: zone,
        days: EVERY_DAY,
        start: '07:00',
        end: '19:00',
        covers: { siteIds: [hubId(h)] },
      },
      {
        id: `${hubId(h)}-night`,
        name: `Hub ${h} night`,
        timeZone: zone,
        days: EVERY_DAY,
        start: '19:00',
        end: '07:00',
        covers: { siteIds: [hubId(h)] },
      },
    );
  }
  for (let s = 0; s < SPOKES; s++) {
    const h = hubOf(s);
    const { zone, jurisdiction } = zoneOfHub(h);
    sites.push({
      id: spokeId(s),
      name: `Spoke ${s}`,
      timeZone: zone,
      jurisdiction,
      kind: 'spoke',
      hubId: hubId(h),
    });
    shifts.push({
      id: `${spokeId(s)}-day`,
      name: `Spoke ${s} day`,
      timeZone: zone,
      days: EVERY_DAY,
      start: '08:00',
      end: '18:00',
      covers: { siteIds: [spokeId(s)], modalities: ['CT', 'XR'] },
    });
    readers.push({
      id: `local-${pad(s)}`,
      name: `Dr Local ${s}`,
      subspecialties: ['general'],
      modalities: ['CT', 'XR'],
      licences: [licence(jurisdiction)],
      privileges: [privilege(spokeId(s))],
      maxConcurrent: 2,
    });
    rosters.push({ readerId: `local-${pad(s)}`, shiftId: `${spokeId(s)}-day`, from: since });
  }
  for (let h = 0; h < HUBS; h++) {
    const { jurisdiction } = zoneOfHub(h);
    const privileges = [privilege(hubId(h))];
    for (let s = h; s < SPOKES; s += HUBS) privileges.push(privilege(spokeId(s)));
    for (let i = 0; i < HUB_READERS; i++) {
      const id = `hub-${pad(h)}-r${String(i).padStart(2, '0')}`;
      readers.push({
        id,
        name: `Dr Hub ${h}.${i}`,
        subspecialties: ['general'],
        modalities: ['CT', 'XR', 'MR'],
        licences: [licence(jurisdiction)],
        privileges,
        maxConcurrent: 6,
      });
      rosters.push({ readerId: id, shiftId: `${hubId(h)}-${i % 2 === 0 ? 'day' : 'night'}`, from: since });
    }
  }
  // Spare capacity elsewhere: overflow readers on shifts no rule targets directly, to make the indexes work.
  for (let i = 0; readers.length < 1000; i++) {
    const { zone, jurisdiction } = ZONES[i % ZONES.length]!;
    const shiftId = `overflow-${pad(i % 80)}`;
    if (i < 80) {
      shifts.push({
        id: shiftId,
        name: `Overflow ${i}`,
        timeZone: zone,
        days: EVERY_DAY,
        start: '09:00',
        end: '17:00',
        covers: { modalities: ['MR'] },
      });
    }
    readers.push({
      id: `overflow-${pad(i)}`,
      name: `Dr Overflow ${i}`,
      subspecialties: ['neuro'],
      modalities: ['MR'],
      licences: [licence(jurisdiction)],
      privileges: [],
      maxConcurrent: 3,
    });
    rosters.push({ readerId: `overflow-${pad(i)}`, shiftId, from: since });
  }
  for (let s = 0; s < SPOKES; s++) {
    rules.push({
      id: `local-${pad(s)}`,
      name: `Spoke ${s} local`,
      when: { siteIds: [spokeId(s)], studyAgeMinutes: { max: 30 } },
      then: { target: { kind: 'covering-shifts' } },
    });
  }
  for (let s = 0; s < SPOKES; s++) {
    rules.push({
      id: `hub-${pad(s)}`,
      name: `Spoke ${s} to hub`,
      when: { siteIds: [spokeId(s)] },
      then: { target: { kind: 'hub' } },
    });
  }
  for (let i = 0; rules.length < 1000; i++) {
    rules.push({
      id: `ai-${pad(i)}`,
      name: `AI flag ${i}`,
      kind: 'modify',
      when: { aiFlags: [`flag-${i}`] },
      then: { raisePriority: 'urgent' },
    });
  }
  return {
    sites,
    readers,
    shifts,
    rosters,
    rules,
    sla: {
      classes: [
        {
          id: 'std',
          name: 'Standard',
          targets: [{ from: 'available', to: 'final', minutes: 60 }],
          escalation: [],
        },
      ],
      byPriority: { stat: 'std', urgent: 'std', routine: 'std' },
    },
  };
}

function localHour(zone: string, at: number): number {
  const text = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' }).format(
    at,
  );
  return Number(text);
}

test('scale: 200 cases over 1,000 readers, 500 sites, 1,000 rules and 600 shifts', () => {
  const doc = buildConfig() as RoutingConfig;
  assert.equal(doc.readers.length, 1000);
  assert.equal(doc.sites.length, 500);
  assert.equal(doc.rules.length, 1000);
  assert.equal(doc.shifts.length, 600);
  const validated = validateRoutingConfig(doc);
  assert.ok(validated.ok, JSON.stringify(!validated.ok && validated.errors.slice(0, 5)));
  const compiled = compileRouting(validated.config);

  // Tuesday 2026-06-09 15:30Z: daytime in the Americas, late afternoon in London, night in Sydney.
  const now = Date.parse('2026-06-09T15:30:00Z');
  const rand = random(42);
  const load: RoutingLoad = { readers: {}, siteQueueDepth: {}, lastChosenByRule: {} };
  const counts = { local: 0, hub: 0 };
  for (let n = 0; n < 200; n++) {
    const s = Math.floor(rand() * SPOKES);
    const ageMinutes = Math.floor(rand() * 60);
    const modality = rand() < 0.8 ? 'CT' : 'XR';
    const d = routeCase({
      compiled,
      case: {
        id: `case-${n}`,
        siteId: spokeId(s),
        modalities: [modality],
        bodyParts: ['CHEST'],
        priority: 'routine',
        aiFlags: [],
        availableAt: now - ageMinutes * 60_000,
      },
      load,
      now,
    });

    // What a coordinator would expect: the spoke's own reader for a young study while their 08-18 day is on
    // and they have room; otherwise the least-loaded hub reader on the hub's current shift (day 07-19).
    const h = hubOf(s);
    const zone = zoneOfHub(h).zone;
    const hour = localHour(zone, now);
    const localId = `local-${pad(s)}`;
    const localOn = hour >= 8 && hour < 18;
    const localHasRoom = (load.readers[localId]?.cases ?? 0) < 2;
    let expected: string;
    let expectedRule: string;
    if (ageMinutes <= 30 && localOn && localHasRoom) {
      expected = localId;
      expectedRule = `local-${pad(s)}`;
    } else {
      const parity = hour >= 7 && hour < 19 ? 0 : 1;
      const onShift = Array.from({ length: HUB_READERS }, (_, i) => i)
        .filter((i) => i % 2 === parity)
        .map((i) => `hub-${pad(h)}-r${String(i).padStart(2, '0')}`);
      onShift.sort(
        (a, b) => (load.readers[a]?.cases ?? 0) - (load.readers[b]?.cases ?? 0) || (a < b ? -1 : 1),
      );
      expected = onShift[0]!;
      expectedRule = `hub-${pad(s)}`;
    }
    assert.equal(d.outcome, 'assigned', d.summary);
    assert.equal(d.assigneeId, expected, `case-${n} at spoke ${s} (age ${ageMinutes} min): ${d.summary}`);
    assert.equal(d.ruleId, expectedRule);
    counts[expected.startsWith('local') ? 'local' : 'hub']++;

    const held = load.readers[expected] ?? { cases: 0, weight: 0 };
    load.readers[expected] = { cases: held.cases + 1, weight: held.weight + 1, lastAssignedAt: now };
  }
  // Both paths were exercised.
  assert.ok(counts.local > 20 && counts.hub > 20, JSON.stringify(counts));
});
