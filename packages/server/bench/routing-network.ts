// The generated routing network of bench:routing: a national-scale teleradiology network built from a seed,
// so every run (and both databases) routes the same cases over the same directory. Also the study mix and the
// bursty arrival process. Pure data: no I/O here.
import type {
  Licence,
  Pool,
  Priority,
  Privilege,
  Reader,
  RosterEntry,
  RoutingConfig,
  Rule,
  Shift,
  Site,
  Weekday,
} from '@confer/core';
import { Rng } from '../src/synthetic/prng.ts';

export interface NetworkSize {
  sites: number;
  readers: number;
  /** Rules in total (route, modify and a few disabled legacy ones), padded or trimmed to this. */
  rules: number;
}

export const FULL_NETWORK: NetworkSize = { sites: 500, readers: 1000, rules: 1000 };

/** A licensing jurisdiction, its zones (the first is the main one) and how many hubs it has of every 50. */
interface Region {
  jurisdiction: string;
  zones: string[];
  /** Follow-the-sun group: which part of the world it is. */
  area: 'americas' | 'emea' | 'apac';
  hubShare: number;
  /** Hubs read round the clock (a night shift) or hand nights to the night-hawk centres. */
  nights: boolean;
}

// Both hemispheres, zones with and without DST, half- and three-quarter-hour offsets, an island zone that
// differs from its mainland: the shift calendar has to get every one of them right.
const REGIONS: Region[] = [
  {
    jurisdiction: 'US-NY',
    zones: ['America/New_York', 'America/Detroit'],
    area: 'americas',
    hubShare: 6,
    nights: true,
  },
  { jurisdiction: 'US-IL', zones: ['America/Chicago'], area: 'americas', hubShare: 5, nights: true },
  { jurisdiction: 'US-CA', zones: ['America/Los_Angeles'], area: 'americas', hubShare: 6, nights: true },
  { jurisdiction: 'US-AZ', zones: ['America/Phoenix'], area: 'americas', hubShare: 3, nights: false },
  {
    jurisdiction: 'CL',
    zones: ['America/Santiago', 'Pacific/Easter'],
    area: 'americas',
    hubShare: 3,
    nights: false,
  },
  { jurisdiction: 'GB-ENG', zones: ['Europe/London'], area: 'emea', hubShare: 6, nights: true },
  { jurisdiction: 'DE-BY', zones: ['Europe/Berlin'], area: 'emea', hubShare: 4, nights: false },
  { jurisdiction: 'IN-KA', zones: ['Asia/Kolkata'], area: 'apac', hubShare: 5, nights: true },
  {
    jurisdiction: 'AU-NSW',
    zones: ['Australia/Sydney', 'Australia/Broken_Hill'],
    area: 'apac',
    hubShare: 5,
    nights: true,
  },
  { jurisdiction: 'AU-QLD', zones: ['Australia/Brisbane'], area: 'apac', hubShare: 3, nights: false },
  {
    jurisdiction: 'NZ',
    zones: ['Pacific/Auckland', 'Pacific/Chatham'],
    area: 'apac',
    hubShare: 4,
    nights: false,
  },
];

/** Night-hawk / follow-the-sun reading centres and the areas whose nights they cover. */
const CENTRES = [
  { id: 'syd', zone: 'Australia/Sydney', serves: ['americas', 'emea'] },
  { id: 'lon', zone: 'Europe/London', serves: ['apac', 'americas'] },
  { id: 'lax', zone: 'America/Los_Angeles', serves: ['apac', 'emea'] },
  { id: 'blr', zone: 'Asia/Kolkata', serves: ['americas', 'emea', 'apac'] },
] as const;

const SUBSPECIALTIES = ['neuro', 'body', 'msk', 'chest', 'breast', 'cardiac', 'paeds'] as const;
const POOLED_SUBSPECIALTIES = ['neuro', 'msk', 'breast', 'cardiac'] as const;
const AREAS = ['americas', 'emea', 'apac'] as const;
const EVERY_DAY: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WEEKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];
const WEEKEND: Weekday[] = ['sat', 'sun'];

/** What a generated network is made of, for the report. */
export interface NetworkFacts {
  jurisdictions: number;
  zones: number;
  hubs: number;
  spokes: number;
  partnerSites: number;
  readers: number;
  sessionCandidates: number;
  expiredLicences: number;
  inactiveReaders: number;
  privileges: number;
  shifts: number;
  rosterEntries: number;
  pools: number;
  rules: number;
  routeRules: number;
  modifyRules: number;
  disabledRules: number;
}

export interface Network {
  config: RoutingConfig;
  facts: NetworkFacts;
  /** Site id -> the region it is in (jurisdiction, zone). */
  siteRegion: Map<string, { jurisdiction: string; zone: string; area: string }>;
  /** Sites that are spokes, hubs, in order. */
  spokes: Site[];
  hubs: Site[];
}

const pad = (n: number, w = 3) => String(n).padStart(w, '0');

/** Deals `total` out over `shares` proportionally (largest remainder), so the parts sum to `total`. */
function apportion(total: number, shares: number[]): number[] {
  const sum = shares.reduce((a, b) => a + b, 0);
  const exact = shares.map((s) => (s / sum) * total);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    out[i]!++;
  }
  return out;
}

/**
 * Builds the network: hubs with spokes in ~10 jurisdictions; hub radiologists on three eight-hour shifts
 * (some hubs hand nights to the night-hawk centres), spoke radiologists on weekday (and some weekend) day
 * shifts, follow-the-sun readers in four centres on staggered shifts; subspecialty pools per area; and the
 * rules a network like this has: modify rules (stroke pathway, AI flags, partner contracts), subspecialty
 * pools, a stroke pathway, site-local rules with study-age limits, hub overflow per spoke, broadening of
 * uncovered STAT work, follow-the-sun to anyone on shift, and a catch-all.
 */
export function buildNetwork(seed: string, size: NetworkSize = FULL_NETWORK): Network {
  const rng = new Rng(`${seed}/network`);
  const sites: Site[] = [];
  const hubs: Site[] = [];
  const spokes: Site[] = [];
  const siteRegion = new Map<string, { jurisdiction: string; zone: string; area: string }>();
  const hubCount = Math.max(REGIONS.length, Math.round(size.sites / 10));
  const hubsPerRegion = apportion(
    hubCount,
    REGIONS.map((r) => r.hubShare),
  ).map((n) => Math.max(1, n));
  const regionOfHub: Region[] = [];
  for (const [i, region] of REGIONS.entries()) {
    for (let k = 0; k < hubsPerRegion[i]!; k++) regionOfHub.push(region);
  }
  for (const [h, region] of regionOfHub.entries()) {
    const id = `hub-${pad(h)}`;
    const site: Site = {
      id,
      name: `${region.jurisdiction} Hub ${h}`,
      timeZone: region.zones[0]!,
      jurisdiction: region.jurisdiction,
      region: region.area,
      kind: 'hub',
    };
    sites.push(site);
    hubs.push(site);
    siteRegion.set(id, { jurisdiction: region.jurisdiction, zone: site.timeZone, area: region.area });
  }
  const partners = Array.from({ length: 10 }, (_, i) => ({
    id: `partner-${pad(i, 2)}`,
    name: `Partner ${i}`,
    slaClass: i % 2 === 0 ? 'contract-4h' : 'contract-next-day',
  }));
  const spokeCount = size.sites - hubs.length;
  for (let s = 0; s < spokeCount; s++) {
    const hub = hubs[s % hubs.length]!;
    const region = regionOfHub[s % hubs.length]!;
    // Mostly the main zone; a share in the jurisdiction's other zone (Broken Hill, Chatham, Easter Island).
    const zone = region.zones.length > 1 && rng.chance(0.25) ? region.zones[1]! : region.zones[0]!;
    const partner = rng.chance(0.06) ? rng.pick(partners) : undefined;
    const site: Site = {
      id: `spoke-${pad(s)}`,
      name: `${region.jurisdiction} Spoke ${s}`,
      timeZone: zone,
      jurisdiction: region.jurisdiction,
      region: region.area,
      kind: partner ? 'partner' : 'spoke',
      hubId: hub.id,
      ...(partner ? { partnerId: partner.id } : {}),
    };
    sites.push(site);
    spokes.push(site);
    siteRegion.set(site.id, { jurisdiction: region.jurisdiction, zone, area: region.area });
  }
  const spokesOfHub = new Map<string, Site[]>();
  for (const s of spokes) {
    const list = spokesOfHub.get(s.hubId!) ?? [];
    list.push(s);
    spokesOfHub.set(s.hubId!, list);
  }

  // ------------------------------------------------------------------------------------------- shifts
  const shifts: Shift[] = [];
  const hubShiftIds = new Map<string, string[]>();
  for (const [h, hub] of hubs.entries()) {
    const region = regionOfHub[h]!;
    const blocks: [string, string, string][] = [
      ['day', '07:00', '15:00'],
      ['evening', '15:00', '23:00'],
    ];
    if (region.nights) blocks.push(['night', '23:00', '07:00']);
    const ids: string[] = [];
    for (const [name, start, end] of blocks) {
      const id = `${hub.id}-${name}`;
      shifts.push({
        id,
        name: `${hub.name} ${name}`,
        timeZone: hub.timeZone,
        days: EVERY_DAY,
        start,
        end,
        covers: { siteIds: [hub.id] },
      });
      ids.push(id);
    }
    hubShiftIds.set(hub.id, ids);
  }

  // Spoke radiologists: a share of spokes has one (a few have two), on a weekday day shift; some also
  // cover Saturday and Sunday mornings.
  const localReaders: Reader[] = [];
  const rosters: RosterEntry[] = [];
  const since = '2025-01-01';
  const hubReaderTarget = Math.round(size.readers * 0.45);
  const teleTarget = Math.round(size.readers * 0.28);
  const localTarget = size.readers - hubReaderTarget - teleTarget;
  const spokesWithLocal = spokes.filter((_, i) => i < localTarget);
  const licenceFor = (jurisdiction: string, from = since): Licence => ({ jurisdiction, validFrom: from });
  const privilegeAt = (siteId: string, from = since): Privilege => ({ siteId, validFrom: from });
  let expiredLicences = 0;
  for (const [i, spoke] of spokesWithLocal.entries()) {
    const dayId = `${spoke.id}-day`;
    shifts.push({
      id: dayId,
      name: `${spoke.name} weekday`,
      timeZone: spoke.timeZone,
      days: WEEKDAYS,
      start: rng.pick(['07:30', '08:00', '08:30']),
      end: rng.pick(['17:00', '18:00', '19:00']),
      covers: { siteIds: [spoke.id], modalities: ['CR', 'DX', 'US', 'CT'] },
    });
    const weekend = i % 5 === 0;
    if (weekend) {
      shifts.push({
        id: `${spoke.id}-weekend`,
        name: `${spoke.name} weekend`,
        timeZone: spoke.timeZone,
        days: WEEKEND,
        start: '09:00',
        end: '13:00',
        covers: { siteIds: [spoke.id], modalities: ['CR', 'DX', 'US'] },
      });
    }
    const neighbours = (spokesOfHub.get(spoke.hubId!) ?? []).filter((s) => s.id !== spoke.id);
    const extra = rng.int(0, 2);
    const privileges = [privilegeAt(spoke.id)];
    for (let k = 0; k < extra && k < neighbours.length; k++) privileges.push(privilegeAt(neighbours[k]!.id));
    const id = `local-${pad(i)}`;
    localReaders.push({
      id,
      name: `Dr Local ${i}`,
      subspecialties: ['general'],
      modalities: rng.chance(0.6) ? ['CR', 'DX', 'US', 'CT'] : ['CR', 'DX', 'US'],
      licences: [licenceFor(spoke.jurisdiction)],
      privileges,
      maxConcurrent: rng.int(3, 6),
      timeZone: spoke.timeZone,
    });
    rosters.push({ readerId: id, shiftId: dayId, from: since });
    if (weekend) rosters.push({ readerId: id, shiftId: `${spoke.id}-weekend`, from: since });
  }

  // Follow-the-sun centres: twelve staggered eight-hour shifts a day, weekday and weekend variants, each
  // covering the hubs of the areas the centre serves (their overflow and nights).
  const teleShiftIds = new Map<string, string[]>();
  const hubsByArea = new Map<string, string[]>();
  for (const [h, hub] of hubs.entries()) {
    const area = regionOfHub[h]!.area;
    hubsByArea.set(area, [...(hubsByArea.get(area) ?? []), hub.id]);
  }
  const perCentre = Math.max(2, Math.floor((600 - shifts.length) / CENTRES.length / 2));
  for (const centre of CENTRES) {
    const ids: string[] = [];
    const covered = centre.serves.flatMap((a) => hubsByArea.get(a) ?? []);
    for (let k = 0; k < perCentre; k++) {
      const startMin = Math.round((k * 24 * 60) / perCentre / 30) * 30;
      const endMin = (startMin + 8 * 60) % (24 * 60);
      const hhmm = (m: number) => `${pad(Math.floor(m / 60), 2)}:${pad(m % 60, 2)}`;
      for (const [variant, days] of [
        ['wk', WEEKDAYS],
        ['we', WEEKEND],
      ] as const) {
        const id = `tele-${centre.id}-${variant}-${pad(k, 2)}`;
        shifts.push({
          id,
          name: `Tele ${centre.id.toUpperCase()} ${variant === 'wk' ? 'weekday' : 'weekend'} ${hhmm(startMin)}`,
          timeZone: centre.zone,
          days: [...days],
          start: hhmm(startMin),
          end: hhmm(endMin),
          covers: { siteIds: covered },
        });
        ids.push(id);
      }
    }
    teleShiftIds.set(centre.id, ids);
  }

  // ------------------------------------------------------------------------------------------- readers
  const readers: Reader[] = [];
  const hubReaders: Reader[] = [];
  const hubReaderCount = apportion(
    hubReaderTarget,
    hubs.map(() => 1),
  );
  // Hub rotations: two-week blocks around the benchmark's dates on day, evening or night; ~4% on leave now.
  const blocks = [
    { from: '2026-06-15', to: '2026-06-28' },
    { from: '2026-06-29', to: '2026-07-12' },
    { from: '2026-07-13', to: '2026-07-26' },
    { from: '2026-07-27' },
  ];
  for (const [h, hub] of hubs.entries()) {
    const region = regionOfHub[h]!;
    const ids = hubShiftIds.get(hub.id)!;
    const privileges = [hub.id, ...(spokesOfHub.get(hub.id) ?? []).map((s) => s.id)].map((s) =>
      privilegeAt(s),
    );
    for (let i = 0; i < hubReaderCount[h]!; i++) {
      const id = `${hub.id}-r${pad(i, 2)}`;
      const sub = SUBSPECIALTIES[(h + i) % SUBSPECIALTIES.length]!;
      const modalities = ['CT', 'MR', 'CR', 'DX', 'US'];
      if (sub === 'breast') modalities.push('MG');
      if (sub === 'body' || sub === 'cardiac') modalities.push('NM', 'PT');
      const licences = [licenceFor(region.jurisdiction)];
      if (rng.chance(0.06)) {
        // A lapsed licence elsewhere: listed, expired, and never valid now.
        const other = rng.pick(REGIONS).jurisdiction;
        if (other !== region.jurisdiction) {
          licences.push({ jurisdiction: other, validFrom: '2022-01-01', validTo: '2025-12-31' });
          expiredLicences++;
        }
      }
      const reader: Reader = {
        id,
        name: `Dr Hub ${h}.${i}`,
        subspecialties: ['general', sub],
        modalities,
        licences,
        privileges,
        maxConcurrent: rng.int(8, 14),
        ...(rng.chance(0.3) ? { maxWeight: rng.int(24, 40) } : {}),
        timeZone: hub.timeZone,
        ...(rng.chance(0.01) ? { active: false } : {}),
      };
      hubReaders.push(reader);
      const onLeave = rng.chance(0.04);
      for (const [b, block] of blocks.entries()) {
        if (onLeave && b === 2) continue;
        rosters.push({ readerId: id, shiftId: ids[(i + b) % ids.length]!, ...block });
      }
    }
  }

  const teleReaders: Reader[] = [];
  const jurisdictionsByArea = new Map<string, string[]>();
  for (const r of REGIONS)
    jurisdictionsByArea.set(r.area, [...(jurisdictionsByArea.get(r.area) ?? []), r.jurisdiction]);
  const sitesByJurisdiction = new Map<string, string[]>();
  for (const s of sites)
    sitesByJurisdiction.set(s.jurisdiction, [...(sitesByJurisdiction.get(s.jurisdiction) ?? []), s.id]);
  for (let t = 0; t < teleTarget; t++) {
    const centre = CENTRES[t % CENTRES.length]!;
    const served = centre.serves.flatMap((a) => jurisdictionsByArea.get(a) ?? []);
    // One to three licences among the served jurisdictions; some lapsed (listed but expired).
    const n = rng.int(1, 3);
    const chosen: string[] = [];
    while (chosen.length < n && chosen.length < served.length) {
      const j = rng.pick(served);
      if (!chosen.includes(j)) chosen.push(j);
    }
    const licences: Licence[] = [];
    const privileges: Privilege[] = [];
    for (const [k, j] of chosen.entries()) {
      if (k > 0 && rng.chance(0.12)) {
        licences.push({ jurisdiction: j, validFrom: '2021-03-01', validTo: '2026-03-31' });
        expiredLicences++;
      } else {
        licences.push(licenceFor(j));
      }
      // Privileges at most of the jurisdiction's sites.
      for (const siteId of sitesByJurisdiction.get(j) ?? []) {
        if (rng.chance(0.8)) privileges.push(privilegeAt(siteId));
      }
    }
    const sub = rng.weighted<string>([
      ['neuro', 3],
      ['body', 2],
      ['msk', 2],
      ['chest', 2],
      ['breast', 1],
      ['cardiac', 1],
    ]);
    const modalities = ['CT', 'MR', 'CR', 'DX'];
    if (rng.chance(0.5)) modalities.push('US');
    if (sub === 'breast') modalities.push('MG');
    if (sub === 'body' || sub === 'cardiac') modalities.push('NM', 'PT');
    const id = `tele-${centre.id}-${pad(t)}`;
    const reader: Reader = {
      id,
      name: `Dr Tele ${centre.id.toUpperCase()} ${t}`,
      subspecialties: sub === 'neuro' && rng.chance(0.5) ? ['neuro'] : ['general', sub],
      modalities,
      licences,
      privileges,
      maxConcurrent: rng.int(10, 16),
      timeZone: centre.zone,
      ...(rng.chance(0.01) ? { active: false } : {}),
    };
    teleReaders.push(reader);
    const ids = teleShiftIds.get(centre.id)!;
    // Weekday and weekend shifts of the same slot, sometimes a second slot too.
    const slot = (t >> 2) % (ids.length / 2);
    rosters.push({ readerId: id, shiftId: ids[slot * 2]!, from: since });
    rosters.push({ readerId: id, shiftId: ids[slot * 2 + 1]!, from: since });
    if (rng.chance(0.3)) {
      const other = (slot + Math.floor(ids.length / 4)) % (ids.length / 2);
      rosters.push({ readerId: id, shiftId: ids[other * 2]!, from: '2026-07-01', to: '2026-08-31' });
    }
  }
  readers.push(...hubReaders, ...localReaders, ...teleReaders);
  for (const [i, r] of readers.entries()) r.username = `rdr${pad(i, 4)}`;

  // ------------------------------------------------------------------------------------------- pools
  const areaOfSite = (siteId: string) => siteRegion.get(siteId)!.area;
  const pools: Pool[] = [];
  for (const sub of POOLED_SUBSPECIALTIES) {
    for (const area of AREAS) {
      const members = [...hubReaders, ...teleReaders].filter((r) => {
        if (!r.subspecialties.includes(sub)) return false;
        const home = r.privileges.map((p) => areaOfSite(p.siteId));
        return home.includes(area);
      });
      pools.push({ id: `${sub}-${area}`, name: `${sub} (${area})`, readerIds: members.map((r) => r.id) });
    }
  }
  const sitesOfArea = (area: string) => sites.filter((s) => areaOfSite(s.id) === area).map((s) => s.id);

  // ------------------------------------------------------------------------------------------- rules
  const modify: Rule[] = [
    {
      id: 'stroke-pathway',
      name: 'Stroke protocol: stroke pathway, STAT',
      kind: 'modify',
      when: { procedures: ['stroke'] },
      then: { setPathway: 'stroke', raisePriority: 'stat' },
    },
    {
      id: 'ai-lvo',
      name: 'AI: large vessel occlusion or bleed: stroke pathway',
      kind: 'modify',
      when: { aiFlags: ['lvo', 'ich'] },
      then: { setPathway: 'stroke', raisePriority: 'stat' },
    },
    {
      id: 'ai-critical',
      name: 'AI: suspected critical finding is STAT',
      kind: 'modify',
      when: { aiFlags: ['suspected-critical', 'pe', 'pneumothorax'] },
      then: { raisePriority: 'stat' },
    },
    {
      id: 'trauma-pathway',
      name: 'Trauma protocol: trauma pathway, urgent',
      kind: 'modify',
      when: { procedures: ['trauma', 'polytrauma'] },
      then: { setPathway: 'trauma', raisePriority: 'urgent' },
    },
    {
      id: 'pe-urgent',
      name: 'CT PE protocol is urgent',
      kind: 'modify',
      when: { procedures: ['pe protocol'] },
      then: { raisePriority: 'urgent' },
    },
  ];
  for (const p of partners) {
    modify.push({
      id: `contract-${p.id}`,
      name: `${p.name} contract SLA`,
      kind: 'modify',
      when: { partnerIds: [p.id] },
      then: { slaClass: p.slaClass },
    });
  }
  const routeFirst: Rule[] = [];
  for (const area of AREAS) {
    routeFirst.push({
      id: `stroke-${area}`,
      name: `Stroke pathway to the ${area} neuro pool`,
      when: { pathways: ['stroke'], siteIds: sitesOfArea(area) },
      then: {
        target: { kind: 'pool', poolId: `neuro-${area}` },
        require: { subspecialties: ['neuro'] },
        strategy: 'balanced',
      },
    });
  }
  for (const area of AREAS) {
    const areaSites = sitesOfArea(area);
    routeFirst.push(
      {
        id: `breast-${area}`,
        name: `Mammography to the ${area} breast pool`,
        when: { modalities: ['MG'], siteIds: areaSites },
        then: { target: { kind: 'pool', poolId: `breast-${area}` }, strategy: 'round-robin' },
      },
      {
        id: `msk-${area}`,
        name: `MR joints to the ${area} MSK pool`,
        when: { modalities: ['MR'], bodyParts: ['KNEE', 'SHOULDER', 'HIP', 'ANKLE'], siteIds: areaSites },
        then: { target: { kind: 'pool', poolId: `msk-${area}` }, strategy: 'balanced' },
      },
      {
        id: `neuro-${area}`,
        name: `Urgent MR brain to the ${area} neuro pool`,
        when: {
          modalities: ['MR'],
          bodyParts: ['HEAD', 'BRAIN'],
          priorities: ['stat', 'urgent'],
          siteIds: areaSites,
        },
        then: { target: { kind: 'pool', poolId: `neuro-${area}` }, strategy: 'balanced' },
      },
      {
        id: `cardiac-${area}`,
        name: `Cardiac CT and MR to the ${area} cardiac pool`,
        when: { modalities: ['CT', 'MR'], bodyParts: ['HEART'], siteIds: areaSites },
        then: {
          target: { kind: 'pool', poolId: `cardiac-${area}` },
          strategy: 'preferred',
          preferredReaderIds: (pools.find((p) => p.id === `cardiac-${area}`)?.readerIds ?? []).slice(0, 2),
        },
      },
      {
        id: `breast-${area}-queue`,
        name: `Mammography waits for the ${area} breast pool when none is on shift`,
        when: { modalities: ['MG'], siteIds: areaSites },
        then: { target: { kind: 'pool', poolId: `breast-${area}`, onShift: false }, strategy: 'pool' },
      },
    );
  }
  // Site-local first, while the study is young: hubs to their own shifts, spokes to their own radiologist.
  const local: Rule[] = [];
  for (const hub of hubs) {
    local.push({
      id: `local-${hub.id}`,
      name: `${hub.name}: own shifts`,
      when: { siteIds: [hub.id], studyAgeMinutes: { max: rng.pick([30, 45, 60]) } },
      then: { target: { kind: 'covering-shifts', scope: 'site' }, strategy: 'balanced' },
    });
  }
  const localBySpoke = new Map(spokesWithLocal.map((s, i) => [s.id, localReaders[i]!.id]));
  for (const spoke of spokes) {
    const preferred = localBySpoke.get(spoke.id);
    local.push({
      id: `local-${spoke.id}`,
      name: `${spoke.name}: local radiologist`,
      when: { siteIds: [spoke.id], studyAgeMinutes: { max: rng.pick([15, 20, 30]) } },
      then: preferred
        ? {
            target: { kind: 'covering-shifts', scope: 'site' },
            strategy: 'preferred',
            preferredReaderIds: [preferred],
          }
        : { target: { kind: 'covering-shifts', scope: 'site' }, strategy: 'round-robin' },
    });
  }
  const overflow: Rule[] = spokes.map((spoke) => ({
    id: `hub-${spoke.id}`,
    name: `${spoke.name}: overflow to ${spoke.hubId}`,
    when: { siteIds: [spoke.id] },
    then: { target: { kind: 'hub' as const }, strategy: 'balanced' as const },
  }));
  const broaden: Rule = {
    id: 'uncovered-stat',
    name: 'STAT with nobody covering its site: anyone on shift, in turn',
    when: { priorities: ['stat'], uncovered: true },
    then: { target: { kind: 'anyone-on-shift' }, strategy: 'round-robin' },
  };
  const tail: Rule[] = [
    {
      id: 'follow-the-sun',
      name: 'Follow the sun: anyone on shift, least loaded',
      when: {},
      then: { target: { kind: 'anyone-on-shift' }, strategy: 'balanced' },
    },
    {
      id: 'catch-all',
      name: 'Everything else: shared worklist of every covering shift',
      when: {},
      then: { target: { kind: 'covering-shifts', scope: 'any' }, strategy: 'pool' },
    },
  ];
  // Retired rules an administrator kept (disabled): versioned with the rest, skipped by routing.
  const fixed = modify.length + routeFirst.length + local.length + 1 + overflow.length + tail.length;
  const legacy: Rule[] = [];
  for (let i = 0; fixed + legacy.length < size.rules; i++) {
    const site = spokes[(i * 37) % spokes.length]!;
    legacy.push(
      i % 3 === 0
        ? {
            id: `legacy-${pad(i)}`,
            name: `Legacy vendor AI flag ${i}`,
            kind: 'modify',
            when: { aiFlags: [`vendor-flag-${i}`] },
            then: { raisePriority: 'urgent' },
          }
        : {
            id: `legacy-${pad(i)}`,
            name: `Retired rule for ${site.name}`,
            enabled: false,
            when: { siteIds: [site.id] },
            then: { target: { kind: 'hub' }, strategy: 'balanced' },
          },
    );
  }
  // Modify rules first (they change what later rules see), then the route rules most specific first.
  const rules: Rule[] = [
    ...modify,
    ...legacy.filter((r) => r.kind === 'modify'),
    ...routeFirst,
    ...local,
    broaden,
    ...overflow,
    ...legacy.filter((r) => r.kind !== 'modify'),
    ...tail,
  ].slice(0, Math.max(size.rules, fixed));

  const config: RoutingConfig = {
    sites,
    partners,
    readers,
    shifts,
    rosters,
    pools,
    rules,
    sla: {
      classes: [
        {
          id: 'stroke',
          name: 'Stroke',
          targets: [
            { from: 'available', to: 'opened', minutes: 10 },
            { from: 'available', to: 'final', minutes: 30 },
          ],
          escalation: [
            { atFraction: 0.5, action: 'alert' },
            { atFraction: 0.75, action: 'broaden' },
          ],
        },
        {
          id: 'stat',
          name: 'STAT',
          targets: [{ from: 'available', to: 'final', minutes: 60 }],
          escalation: [
            { atFraction: 0.5, action: 'alert' },
            { atFraction: 0.75, action: 'notify-supervisor' },
          ],
        },
        {
          id: 'urgent',
          name: 'Urgent',
          targets: [{ from: 'available', to: 'final', minutes: 240 }],
          escalation: [{ atFraction: 0.75, action: 'alert' }],
        },
        {
          id: 'routine',
          name: 'Routine',
          targets: [{ from: 'available', to: 'final', minutes: 1440 }],
          escalation: [{ atFraction: 0.75, action: 'alert' }],
        },
        {
          id: 'contract-4h',
          name: 'Contract 4 h',
          targets: [{ from: 'available', to: 'final', minutes: 240 }],
          escalation: [{ atFraction: 0.8, action: 'notify-supervisor' }],
        },
        {
          id: 'contract-next-day',
          name: 'Contract next day',
          targets: [{ from: 'available', to: 'final', minutes: 2880 }],
          escalation: [],
        },
      ],
      byPriority: { stat: 'stat', urgent: 'urgent', routine: 'routine' },
      byPathway: { stroke: 'stroke' },
    },
    workWeights: { CT: 2, MR: 3, PT: 4, NM: 2, US: 1, CR: 0.5, DX: 0.5, MG: 1 },
  };
  const zones = new Set(sites.map((s) => s.timeZone));
  for (const s of shifts) zones.add(s.timeZone);
  return {
    config,
    siteRegion,
    spokes,
    hubs,
    facts: {
      jurisdictions: new Set(sites.map((s) => s.jurisdiction)).size,
      zones: zones.size,
      hubs: hubs.length,
      spokes: spokes.filter((s) => s.kind === 'spoke').length,
      partnerSites: spokes.filter((s) => s.kind === 'partner').length,
      readers: readers.length,
      sessionCandidates: readers.length,
      expiredLicences,
      inactiveReaders: readers.filter((r) => r.active === false).length,
      privileges: readers.reduce((n, r) => n + r.privileges.length, 0),
      shifts: shifts.length,
      rosterEntries: rosters.length,
      pools: pools.length,
      rules: rules.length,
      routeRules: rules.filter((r) => (r.kind ?? 'route') === 'route' && r.enabled !== false).length,
      modifyRules: rules.filter((r) => r.kind === 'modify').length,
      disabledRules: rules.filter((r) => r.enabled === false).length,
    },
  };
}

// ------------------------------------------------------------------------------------------- studies

/** One kind of study in the mix: what the modality sends, and how often. */
interface StudyKind {
  modality: string;
  bodyPart: string;
  procedure: string;
  share: number;
}

const STUDY_MIX: StudyKind[] = [
  { modality: 'CR', bodyPart: 'CHEST', procedure: 'XR CHEST 2 VIEWS', share: 26 },
  { modality: 'DX', bodyPart: 'HAND', procedure: 'XR HAND 3 VIEWS', share: 5 },
  { modality: 'DX', bodyPart: 'KNEE', procedure: 'XR KNEE 2 VIEWS', share: 5 },
  { modality: 'CT', bodyPart: 'HEAD', procedure: 'CT HEAD WO CONTRAST', share: 8 },
  { modality: 'CT', bodyPart: 'HEAD', procedure: 'CT HEAD STROKE PROTOCOL', share: 2 },
  { modality: 'CT', bodyPart: 'CHEST', procedure: 'CTA CHEST PE PROTOCOL', share: 2 },
  { modality: 'CT', bodyPart: 'ABDOMEN', procedure: 'CT ABDOMEN PELVIS W CONTRAST', share: 10 },
  { modality: 'CT', bodyPart: 'CHEST', procedure: 'CT TRAUMA PANSCAN', share: 1 },
  { modality: 'CT', bodyPart: 'HEART', procedure: 'CT CORONARY ANGIOGRAM', share: 1 },
  { modality: 'MR', bodyPart: 'BRAIN', procedure: 'MR BRAIN W WO CONTRAST', share: 5 },
  { modality: 'MR', bodyPart: 'KNEE', procedure: 'MR KNEE WO CONTRAST', share: 3 },
  { modality: 'MR', bodyPart: 'SHOULDER', procedure: 'MR SHOULDER WO CONTRAST', share: 2 },
  { modality: 'MR', bodyPart: 'LSPINE', procedure: 'MR LUMBAR SPINE', share: 3 },
  { modality: 'US', bodyPart: 'ABDOMEN', procedure: 'US ABDOMEN COMPLETE', share: 10 },
  { modality: 'US', bodyPart: 'PELVIS', procedure: 'US OBSTETRIC 2ND TRIMESTER', share: 3 },
  { modality: 'MG', bodyPart: 'BREAST', procedure: 'MG SCREENING BILATERAL', share: 5 },
  { modality: 'NM', bodyPart: 'WHOLEBODY', procedure: 'NM BONE SCAN WHOLE BODY', share: 1 },
  { modality: 'PT', bodyPart: 'WHOLEBODY', procedure: 'PET CT FDG SKULL BASE TO THIGH', share: 1 },
];

export interface StudySpec {
  studyUid: string;
  siteId: string;
  modality: string;
  bodyPart: string;
  procedure: string;
  /** Requested Procedure Priority as the modality sends it (0040,1003). */
  dicomPriority: 'STAT' | 'HIGH' | 'ROUTINE';
  patientId: string;
  patientName: string;
  accessionNumber: string;
}

const FAMILY = [
  'SMITH',
  'NGUYEN',
  'GARCIA',
  'MUELLER',
  'SINGH',
  'TANAKA',
  'OKAFOR',
  'ROSSI',
  'COHEN',
  'BROWN',
];
const GIVEN = ['ANA', 'BEN', 'CHLOE', 'DEV', 'ELLA', 'FARID', 'GRETA', 'HUGO', 'IRIS', 'JON', 'KAI', 'LENA'];

/**
 * The `i`th study of stream `stream` (history, backlog, timed): site weighted towards hubs (they do more
 * imaging), kind from the mix, priority STAT 8% / HIGH 17% / ROUTINE 75%. Same arguments, same study.
 */
export function studyAt(network: Network, seed: string, stream: string, i: number): StudySpec {
  const rng = new Rng(`${seed}/${stream}/${i}`);
  const site = rng.chance(0.35) ? rng.pick(network.hubs) : rng.pick(network.spokes);
  return studyWith(rng, site.id, stream, i);
}

function studyWith(rng: Rng, siteId: string, stream: string, i: number): StudySpec {
  const kind = rng.weighted(STUDY_MIX.map((k) => [k, k.share] as const));
  const dicomPriority = rng.weighted<'STAT' | 'HIGH' | 'ROUTINE'>([
    ['STAT', 8],
    ['HIGH', 17],
    ['ROUTINE', 75],
  ]);
  return {
    studyUid: `1.2.826.0.1.3680043.10.1043.${streamCode(stream)}.${i}`,
    siteId,
    modality: kind.modality,
    bodyPart: kind.bodyPart,
    procedure: kind.procedure,
    dicomPriority,
    patientId: `MRN${rng.digits(8)}`,
    patientName: `${rng.pick(FAMILY)}^${rng.pick(GIVEN)}`,
    accessionNumber: `ACC${rng.digits(10)}`,
  };
}

/** A cheaper generator for the million historical cases: one shared Rng, no per-study seeding. */
export function historyStudy(network: Network, rng: Rng, i: number): StudySpec {
  const site = rng.chance(0.35) ? rng.pick(network.hubs) : rng.pick(network.spokes);
  return studyWith(rng, site.id, 'history', i);
}

function streamCode(stream: string): number {
  let h = 7;
  for (let i = 0; i < stream.length; i++) h = (h * 31 + stream.charCodeAt(i)) % 9973;
  return h + 1;
}

export function priorityOf(spec: StudySpec): Priority {
  return spec.dicomPriority === 'STAT' ? 'stat' : spec.dicomPriority === 'HIGH' ? 'urgent' : 'routine';
}

// ------------------------------------------------------------------------------------------- arrivals

export interface ArrivalProcess {
  /** Offsets from the start, in domain milliseconds, ascending. */
  offsetsMs: number[];
  /** Per arrival: whether it fell in a burst. */
  inBurst: boolean[];
  meanPerDay: number;
  bursts: number;
  /** Peak rate of the bursts, as a multiple of the mean. */
  burstFactors: number[];
}

/**
 * A seeded bursty arrival process (a two-state Markov-modulated Poisson process): quiet spells at a rate a
 * little under the mean, and bursts (a CT list finishing, a mass-casualty call, a batch of outpatient MR
 * released at once) at 10-20x the mean rate, each 20-80 arrivals long. The quiet rate is set so that the
 * long-run mean is `perDay`.
 */
export function burstyArrivals(seed: string, count: number, perDay: number): ArrivalProcess {
  const rng = new Rng(`${seed}/arrivals`);
  const meanGapMs = 86_400_000 / perDay;
  // A burst starts after a quiet arrival with this chance; with 50 arrivals per burst on average, about 30%
  // of arrivals come in bursts.
  const burstStart = 0.0085;
  const offsetsMs: number[] = [];
  const inBurst: boolean[] = [];
  const burstFactors: number[] = [];
  let t = 0;
  let bursts = 0;
  while (offsetsMs.length < count) {
    if (rng.chance(burstStart)) {
      // A burst of 20-80 arrivals at 10-20x the mean rate.
      const f = rng.range(10, 20);
      const n = rng.int(20, 80);
      bursts++;
      burstFactors.push(f);
      for (let k = 0; k < n && offsetsMs.length < count; k++) {
        t += -Math.log(1 - rng.float()) * (meanGapMs / f);
        offsetsMs.push(t);
        inBurst.push(true);
      }
    } else {
      t += -Math.log(1 - rng.float()) * meanGapMs;
      offsetsMs.push(t);
      inBurst.push(false);
    }
  }
  // Rescale so that the long-run rate is exactly the mean: quiet spells end up a little slower than it, and
  // each burst's rate relative to the mean is its factor times the same scale.
  const scale = (count * meanGapMs) / t;
  for (let i = 0; i < offsetsMs.length; i++) offsetsMs[i]! *= scale;
  return {
    offsetsMs,
    inBurst,
    meanPerDay: perDay,
    bursts,
    burstFactors: burstFactors.map((f) => f / scale),
  };
}
