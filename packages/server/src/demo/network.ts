import type {
  EscalationStep,
  Licence,
  Privilege,
  Reader,
  RosterEntry,
  RoutingConfig,
  Rule,
  Shift,
  Site,
  SlaClass,
  Weekday,
} from '@confer/core';
import { DEFAULT_SITES, SiteRole } from '../synthetic/sites.ts';

/**
 * The demo network's routing: the synthetic sites as a hub, spokes and one contract partner, a dozen and a
 * few fictional readers in five time zones, shifts that follow the sun, pools, rules and SLA classes. Every
 * person here is invented. Some credentials are missing or expired on purpose, so routing explanations
 * have exclusions to show.
 */

/** The synthetic site that plays the contract partner (the others keep their hub/spoke roles). */
export const DEMO_PARTNER_SITE_ID = 'lotus-bay';
export const DEMO_PARTNER_ID = 'lotus-diagnostics-partnership';

const HUB_ID = DEFAULT_SITES.find((s) => s.role === SiteRole.Hub)!.id;

const REGION: Record<string, string> = {
  'Europe/London': 'UK',
  'America/New_York': 'US East',
  'America/Denver': 'US Mountain',
  'Asia/Kolkata': 'India',
  'Pacific/Auckland': 'New Zealand',
};

const WEEKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];
const EVERY_DAY: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WEEKEND: Weekday[] = ['sat', 'sun'];

/** 'YYYY-MM-DD' plus `days` (negative for earlier), in the calendar, not in any zone. */
function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

function checkDate(today: string): void {
  const parsed = /^(\d{4})-(\d{2})-(\d{2})$/.exec(today);
  if (!parsed || addDays(today, 0) !== today) {
    throw new RangeError(`today must be a calendar date as YYYY-MM-DD, not "${today}"`);
  }
}

/** One fictional reader as the demo describes them; dates are relative to `today`. */
interface DemoReader {
  id: string;
  username: string;
  name: string;
  timeZone: string;
  subspecialties: string[];
  modalities: string[];
  /** Jurisdictions with a current licence. */
  licensed: string[];
  /** Licences that ran out this many days ago: kept on file, so an explanation says "expired". */
  expired?: { jurisdiction: string; daysAgo: number }[];
  /** Licences that start this many days from today ("valid only from"). */
  pending?: { jurisdiction: string; inDays: number }[];
  /** Sites with current privileges; 'all' for every demo site. */
  privileged: string[] | 'all';
  /** Privileges that ran out this many days ago. */
  expiredPrivileges?: { siteId: string; daysAgo: number }[];
  maxConcurrent: number;
  maxWeight: number;
  shifts: string[];
  active?: boolean;
}

const ALL_SITES = DEFAULT_SITES.map((s) => s.id);

/** Invented people. Usernames are what the demo signs in with. */
const DEMO_READERS: readonly DemoReader[] = [
  {
    id: 'r-okafor',
    username: 'dr.okafor',
    name: 'Dr Zuri Okafor-Lark',
    timeZone: 'Europe/London',
    subspecialties: ['neuro'],
    modalities: ['CT', 'MR'],
    licensed: ['GB-ENG', 'US-NY', 'NZ'],
    privileged: 'all',
    maxConcurrent: 6,
    maxWeight: 14,
    shifts: ['s-london-day'],
  },
  {
    id: 'r-brightwell',
    username: 'dr.brightwell',
    name: 'Dr Hal Brightwell-Finch',
    timeZone: 'Europe/London',
    subspecialties: ['body', 'chest'],
    modalities: ['CT', 'CR', 'US'],
    licensed: ['GB-ENG', 'IN-WB'],
    privileged: 'all',
    maxConcurrent: 8,
    maxWeight: 14,
    shifts: ['s-london-day'],
  },
  {
    id: 'r-ferncastle',
    username: 'dr.ferncastle',
    name: 'Dr Imogen Ferncastle',
    timeZone: 'Europe/London',
    subspecialties: ['msk'],
    modalities: ['MR', 'CR', 'CT'],
    licensed: ['GB-ENG', 'US-CO'],
    privileged: 'all',
    maxConcurrent: 6,
    maxWeight: 14,
    shifts: ['s-london-day'],
  },
  {
    id: 'r-nightjar',
    username: 'dr.nightjar',
    name: 'Dr Ptolemy Nightjar',
    timeZone: 'Europe/London',
    subspecialties: ['general'],
    modalities: ['CR', 'CT', 'US'],
    licensed: ['GB-ENG'],
    privileged: [HUB_ID, 'kestrel-moor'],
    maxConcurrent: 6,
    maxWeight: 10,
    shifts: ['s-london-evening'],
  },
  {
    id: 'r-quarry',
    username: 'dr.quarry',
    name: 'Dr Rosalind Quarry-Bell',
    timeZone: 'Europe/London',
    subspecialties: ['general', 'chest'],
    modalities: ['CR', 'CT', 'US', 'MR'],
    licensed: ['GB-ENG', 'US-NY', 'US-CO', 'IN-WB', 'NZ'],
    privileged: 'all',
    maxConcurrent: 8,
    maxWeight: 16,
    shifts: ['s-london-weekend'],
  },
  {
    id: 'r-castellano',
    username: 'dr.castellano',
    name: 'Dr Marisol Castellano-Wren',
    timeZone: 'America/New_York',
    subspecialties: ['neuro', 'general'],
    modalities: ['CT', 'MR', 'CR'],
    licensed: ['US-NY', 'US-CO', 'GB-ENG'],
    privileged: 'all',
    maxConcurrent: 6,
    maxWeight: 14,
    shifts: ['s-ny-day'],
  },
  {
    id: 'r-whitlock',
    username: 'dr.whitlock',
    name: 'Dr Abner Whitlock-Sage',
    timeZone: 'America/New_York',
    subspecialties: ['body', 'chest'],
    modalities: ['CT', 'CR', 'US'],
    licensed: ['US-NY', 'US-CO', 'NZ'],
    privileged: ['brightwater', 'red-mesa', HUB_ID],
    // Lapsed at Tui Harbour: its cases show "privileges at Tui Harbour (tui-harbour) expired".
    expiredPrivileges: [{ siteId: 'tui-harbour', daysAgo: 12 }],
    maxConcurrent: 8,
    maxWeight: 14,
    shifts: ['s-ny-day'],
  },
  {
    id: 'r-penhallow',
    username: 'dr.penhallow',
    name: 'Dr Odette Penhallow',
    timeZone: 'America/New_York',
    subspecialties: ['breast', 'body'],
    modalities: ['MG', 'US', 'CR', 'CT'],
    licensed: ['US-NY', 'US-CO', 'GB-ENG'],
    privileged: 'all',
    maxConcurrent: 6,
    maxWeight: 12,
    shifts: ['s-ny-evening'],
  },
  {
    id: 'r-redfern',
    username: 'dr.redfern',
    name: 'Dr Silas Redfern-Moss',
    timeZone: 'America/Denver',
    subspecialties: ['msk', 'general'],
    modalities: ['MR', 'CR', 'CT'],
    licensed: ['US-CO', 'US-NY'],
    privileged: 'all',
    maxConcurrent: 6,
    maxWeight: 14,
    shifts: ['s-denver-day'],
  },
  {
    id: 'r-aldana',
    username: 'dr.aldana',
    name: 'Dr Juniper Aldana-Thorne',
    timeZone: 'America/Denver',
    subspecialties: ['general', 'chest'],
    modalities: ['CR', 'CT', 'US', 'MR'],
    // No NZ licence at all: overnight Tui Harbour cases show "no licence for NZ".
    licensed: ['US-CO', 'US-NY', 'GB-ENG', 'IN-WB'],
    privileged: 'all',
    maxConcurrent: 8,
    maxWeight: 16,
    shifts: ['s-denver-overnight'],
  },
  {
    id: 'r-varma',
    username: 'dr.varma',
    name: 'Dr Ishaan Varma-Kite',
    timeZone: 'Asia/Kolkata',
    subspecialties: ['body', 'neuro'],
    modalities: ['CT', 'MR', 'US'],
    licensed: ['IN-WB', 'GB-ENG', 'NZ'],
    privileged: 'all',
    maxConcurrent: 8,
    maxWeight: 16,
    shifts: ['s-kolkata-day'],
  },
  {
    id: 'r-sundaravel',
    username: 'dr.sundaravel',
    name: 'Dr Meera Sundaravel-Rain',
    timeZone: 'Asia/Kolkata',
    subspecialties: ['general', 'chest'],
    modalities: ['CR', 'CT', 'US'],
    licensed: ['IN-WB', 'US-NY'],
    // Renewal pending: UK cases show "licence for GB-ENG expired".
    expired: [{ jurisdiction: 'GB-ENG', daysAgo: 9 }],
    privileged: 'all',
    maxConcurrent: 8,
    maxWeight: 14,
    shifts: ['s-kolkata-evening'],
  },
  {
    id: 'r-kingfisher',
    username: 'dr.kingfisher',
    name: 'Dr Aroha Kingfisher',
    timeZone: 'Pacific/Auckland',
    subspecialties: ['neuro', 'general'],
    modalities: ['CT', 'MR', 'CR'],
    licensed: ['NZ', 'GB-ENG'],
    // A Colorado licence granted but not yet in force: "valid only from".
    pending: [{ jurisdiction: 'US-CO', inDays: 14 }],
    privileged: 'all',
    maxConcurrent: 6,
    maxWeight: 14,
    shifts: ['s-auckland-day'],
  },
  {
    id: 'r-tuatara',
    username: 'dr.tuatara',
    name: 'Dr Felix Tuatara-Reed',
    timeZone: 'Pacific/Auckland',
    subspecialties: ['msk', 'body'],
    modalities: ['MR', 'CT', 'US', 'CR'],
    licensed: ['NZ', 'GB-ENG', 'US-NY', 'US-CO', 'IN-WB'],
    privileged: 'all',
    maxConcurrent: 8,
    maxWeight: 16,
    shifts: ['s-auckland-day', 's-auckland-weekend'],
  },
  {
    // On sabbatical: in the neuro pool and the directory, out of routing.
    id: 'r-lanternfish',
    username: 'dr.lanternfish',
    name: 'Dr Cosmo Lanternfish',
    timeZone: 'Europe/London',
    subspecialties: ['neuro'],
    modalities: ['CT', 'MR'],
    licensed: ['GB-ENG'],
    privileged: [HUB_ID],
    maxConcurrent: 4,
    maxWeight: 10,
    shifts: [],
    active: false,
  },
];

/**
 * Shifts in each reader's own zone. Weekday days in London, New York, Denver, Kolkata and Auckland hand
 * the work round the world; evenings, a Denver overnight and weekend shifts fill the rest, with overlaps
 * wide enough that DST on either hemisphere leaves no hour without a reader. Each shift covers its own
 * sites only: a site is "uncovered" when none of its own shifts runs, which is when follow-the-sun and
 * broadening rules (whose targets ignore site lists) send its work to readers elsewhere.
 */
function demoShifts(): Shift[] {
  const hubSites = [HUB_ID, 'kestrel-moor'];
  return [
    {
      id: 's-london-day',
      name: 'Northvale day',
      timeZone: 'Europe/London',
      days: WEEKDAYS,
      start: '08:00',
      end: '17:00',
      covers: { siteIds: hubSites },
    },
    {
      id: 's-london-evening',
      name: 'Northvale evening (urgent only)',
      timeZone: 'Europe/London',
      days: WEEKDAYS,
      start: '17:00',
      end: '23:00',
      covers: { siteIds: hubSites, priorities: ['stat', 'urgent'] },
    },
    {
      id: 's-london-weekend',
      name: 'Northvale weekend day',
      timeZone: 'Europe/London',
      days: WEEKEND,
      start: '08:00',
      end: '22:00',
      covers: { siteIds: hubSites },
    },
    {
      id: 's-ny-day',
      name: 'Brightwater day',
      timeZone: 'America/New_York',
      days: WEEKDAYS,
      start: '08:00',
      end: '17:00',
      covers: { siteIds: ['brightwater'] },
    },
    {
      id: 's-ny-evening',
      name: 'US evening (New York)',
      timeZone: 'America/New_York',
      days: EVERY_DAY,
      start: '17:00',
      end: '23:00',
      covers: { siteIds: ['brightwater', 'red-mesa'] },
    },
    {
      id: 's-denver-day',
      name: 'Red Mesa day',
      timeZone: 'America/Denver',
      days: WEEKDAYS,
      start: '08:00',
      end: '17:00',
      covers: { siteIds: ['red-mesa'] },
    },
    {
      id: 's-denver-overnight',
      name: 'US overnight (Denver)',
      timeZone: 'America/Denver',
      days: EVERY_DAY,
      start: '22:00',
      end: '08:00',
      covers: { siteIds: ['brightwater', 'red-mesa'] },
    },
    {
      id: 's-kolkata-day',
      name: 'Lotus Bay day, Northvale early cover',
      timeZone: 'Asia/Kolkata',
      days: WEEKDAYS,
      start: '09:00',
      end: '17:00',
      covers: { siteIds: [DEMO_PARTNER_SITE_ID, HUB_ID, 'kestrel-moor'] },
    },
    {
      id: 's-kolkata-evening',
      name: 'Lotus Bay evening (plain films, CT, US)',
      timeZone: 'Asia/Kolkata',
      days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
      start: '17:00',
      end: '23:00',
      covers: { siteIds: [DEMO_PARTNER_SITE_ID], modalities: ['CR', 'CT', 'US'] },
    },
    {
      id: 's-auckland-day',
      name: 'Tui Harbour day',
      timeZone: 'Pacific/Auckland',
      days: WEEKDAYS,
      start: '08:00',
      end: '17:00',
      covers: { siteIds: ['tui-harbour'] },
    },
    {
      id: 's-auckland-weekend',
      name: 'Tui Harbour weekend day',
      timeZone: 'Pacific/Auckland',
      days: WEEKEND,
      start: '08:00',
      end: '20:00',
      covers: { siteIds: ['tui-harbour'] },
    },
  ];
}

/** Alert at half and three quarters of the target, reassign at 90%, then the supervisor and broadening. */
function ladder(broadenAt: number): EscalationStep[] {
  return [
    { atFraction: 0.5, action: 'alert' },
    { atFraction: 0.75, action: 'alert' },
    { atFraction: 0.9, action: 'reassign' },
    { atFraction: 1, action: 'notify-supervisor' },
    { atFraction: broadenAt, action: 'broaden' },
  ];
}

function demoSlaClasses(): SlaClass[] {
  return [
    {
      id: 'stat',
      name: 'STAT: final within 1 hour',
      targets: [{ from: 'available', to: 'final', minutes: 60 }],
      escalation: ladder(1),
    },
    {
      id: 'urgent',
      name: 'Urgent: final within 4 hours',
      targets: [{ from: 'available', to: 'final', minutes: 240 }],
      escalation: ladder(1.25),
    },
    {
      id: 'routine',
      name: 'Routine: final within 24 hours',
      targets: [{ from: 'available', to: 'final', minutes: 1440 }],
      escalation: ladder(1.25),
    },
    {
      id: 'stroke',
      name: 'Stroke: preliminary within 20 minutes, final within 1 hour',
      targets: [
        { from: 'available', to: 'preliminary', minutes: 20 },
        { from: 'available', to: 'final', minutes: 60 },
      ],
      escalation: ladder(1),
    },
    {
      id: 'partner-contract',
      name: 'Partner contract: final within 12 hours',
      targets: [{ from: 'available', to: 'final', minutes: 720 }],
      escalation: ladder(1.25),
    },
  ];
}

/**
 * Rules in evaluation order: modify rules first (pathway, priority), then subspecialty pools, then the
 * local-first and hub-overflow rules of the hub-and-spoke model, then, for what no local shift covers
 * (overnight, mostly), broadening (urgent at once, routine after 4 hours: a shared worklist of everyone on
 * shift) and follow-the-sun (assigned to a reader elsewhere whose shift covers that work), and a catch-all
 * last, so that only a case nobody on shift anywhere may read is left unroutable.
 */
function demoRules(): Rule[] {
  return [
    {
      id: 'stroke-pathway',
      name: 'Stroke protocol: stroke pathway, STAT',
      kind: 'modify',
      when: { procedures: ['stroke'] },
      then: { setPathway: 'stroke', raisePriority: 'stat', slaClass: 'stroke' },
    },
    {
      id: 'ai-suspected-critical',
      name: 'AI suspects a critical finding: STAT',
      kind: 'modify',
      when: { aiFlags: ['suspected-critical'] },
      then: { raisePriority: 'stat' },
    },
    {
      id: 'stroke-neuro',
      name: 'Stroke to the neuro pool',
      when: { pathways: ['stroke'] },
      then: {
        target: { kind: 'pool', poolId: 'p-neuro' },
        strategy: 'preferred',
        preferredReaderIds: ['r-okafor', 'r-castellano', 'r-kingfisher', 'r-varma'],
      },
    },
    {
      id: 'mr-head-neuro',
      name: 'MR head and brain to neuroradiology',
      when: { modalities: ['MR'], bodyParts: ['HEAD', 'BRAIN'] },
      then: {
        target: { kind: 'pool', poolId: 'p-neuro' },
        require: { subspecialties: ['neuro'] },
        strategy: 'balanced',
      },
    },
    {
      id: 'msk-mr',
      name: 'MSK MR to the MSK pool worklist',
      when: { modalities: ['MR'], bodyParts: ['KNEE', 'SHOULDER', 'HIP', 'ANKLE', 'WRIST', 'ELBOW'] },
      then: { target: { kind: 'pool', poolId: 'p-msk' }, strategy: 'pool' },
    },
    {
      id: 'spoke-queue-overflow',
      name: 'Spoke queue of 5 or more: overflow to the hub',
      when: { siteKinds: ['spoke'], siteQueueDepthAtLeast: 5 },
      then: { target: { kind: 'hub' }, strategy: 'balanced' },
    },
    {
      id: 'spoke-local-first',
      name: 'Spoke cases to local readers first (30 minutes)',
      when: { siteKinds: ['spoke'], studyAgeMinutes: { max: 30 } },
      then: { target: { kind: 'covering-shifts', scope: 'site' }, strategy: 'balanced' },
    },
    {
      id: 'spoke-hub-overflow',
      name: 'Spoke cases waiting over 30 minutes: the hub',
      when: { siteKinds: ['spoke'], studyAgeMinutes: { min: 30 } },
      then: { target: { kind: 'hub' }, strategy: 'balanced' },
    },
    {
      id: 'partner-contract',
      name: 'Partner contract cases to readers covering the partner',
      when: { siteKinds: ['partner'], partnerIds: [DEMO_PARTNER_ID] },
      then: { target: { kind: 'covering-shifts', scope: 'site' }, strategy: 'balanced' },
    },
    {
      id: 'hub-local',
      name: 'Hub cases to hub readers',
      when: { siteKinds: ['hub'] },
      then: { target: { kind: 'covering-shifts', scope: 'site' }, strategy: 'balanced' },
    },
    {
      id: 'broaden-urgent',
      name: 'Uncovered urgent and STAT work: every reader on shift anywhere, at once',
      when: { uncovered: true, priorities: ['stat', 'urgent'] },
      then: { target: { kind: 'anyone-on-shift' }, strategy: 'pool' },
    },
    {
      id: 'broaden-routine',
      name: 'Uncovered routine work after 4 hours: every reader on shift anywhere',
      when: { uncovered: true, priorities: ['routine'], studyAgeMinutes: { min: 240 } },
      then: { target: { kind: 'anyone-on-shift' }, strategy: 'pool' },
    },
    {
      id: 'follow-the-sun',
      name: 'Follow the sun: uncovered work to a reader whose shift elsewhere covers it',
      when: { uncovered: true },
      then: { target: { kind: 'covering-shifts', scope: 'any' }, strategy: 'balanced' },
    },
    {
      id: 'catch-all',
      name: 'Catch-all: the shared worklist of everyone on shift',
      when: {},
      then: { target: { kind: 'anyone-on-shift' }, strategy: 'pool' },
    },
  ];
}

function demoSites(): Site[] {
  return DEFAULT_SITES.map((s) => {
    const site: Site = {
      id: s.id,
      name: s.name,
      timeZone: s.timeZone,
      jurisdiction: s.jurisdiction,
      region: REGION[s.timeZone] ?? s.timeZone,
      kind: s.id === DEMO_PARTNER_SITE_ID ? 'partner' : s.role === SiteRole.Hub ? 'hub' : 'spoke',
    };
    if (s.id === DEMO_PARTNER_SITE_ID) site.partnerId = DEMO_PARTNER_ID;
    if (s.role !== SiteRole.Hub) site.hubId = HUB_ID;
    return site;
  });
}

function toReader(r: DemoReader, today: string): Reader {
  // Credentials began long before the demo's month; a year is long enough to look settled.
  const since = addDays(today, -400);
  const licences: Licence[] = r.licensed.map((jurisdiction) => ({ jurisdiction, validFrom: since }));
  for (const e of r.expired ?? []) {
    licences.push({ jurisdiction: e.jurisdiction, validFrom: since, validTo: addDays(today, -e.daysAgo) });
  }
  for (const p of r.pending ?? []) {
    licences.push({ jurisdiction: p.jurisdiction, validFrom: addDays(today, p.inDays) });
  }
  const privileges: Privilege[] = (r.privileged === 'all' ? ALL_SITES : r.privileged).map((siteId) => ({
    siteId,
    validFrom: since,
  }));
  for (const e of r.expiredPrivileges ?? []) {
    privileges.push({ siteId: e.siteId, validFrom: since, validTo: addDays(today, -e.daysAgo) });
  }
  const reader: Reader = {
    id: r.id,
    name: r.name,
    username: r.username,
    subspecialties: r.subspecialties,
    modalities: r.modalities,
    licences,
    privileges,
    maxConcurrent: r.maxConcurrent,
    maxWeight: r.maxWeight,
    timeZone: r.timeZone,
  };
  if (r.active === false) reader.active = false;
  return reader;
}

/**
 * The routing configuration of the demo network as of `today` ('YYYY-MM-DD'): rosters run from 30 days
 * before it with no end, credentials were granted a year before it (and a few lapse or start around it).
 * It validates with `validateRoutingConfig` without warnings.
 */
export function demoRoutingConfig(options: { today: string }): RoutingConfig {
  checkDate(options.today);
  const rosterFrom = addDays(options.today, -30);
  const rosters: RosterEntry[] = DEMO_READERS.flatMap((r) =>
    r.shifts.map((shiftId) => ({ readerId: r.id, shiftId, from: rosterFrom })),
  );
  return {
    sites: demoSites(),
    partners: [{ id: DEMO_PARTNER_ID, name: 'Lotus Diagnostics Partnership', slaClass: 'partner-contract' }],
    readers: DEMO_READERS.map((r) => toReader(r, options.today)),
    shifts: demoShifts(),
    rosters,
    pools: [
      {
        id: 'p-neuro',
        name: 'Neuroradiology',
        readerIds: DEMO_READERS.filter((r) => r.subspecialties.includes('neuro')).map((r) => r.id),
      },
      {
        id: 'p-msk',
        name: 'Musculoskeletal',
        readerIds: DEMO_READERS.filter((r) => r.subspecialties.includes('msk')).map((r) => r.id),
      },
    ],
    rules: demoRules(),
    sla: {
      classes: demoSlaClasses(),
      byPriority: { stat: 'stat', urgent: 'urgent', routine: 'routine' },
      byPathway: { stroke: 'stroke' },
    },
    // Relative reading effort, RVU-like: a CT is five plain films' work, an MR more.
    workWeights: { CR: 0.3, DX: 0.3, MG: 0.7, US: 0.8, CT: 1.5, MR: 2 },
    fallback: 'exception',
  };
}

/** A Confer user per demo reader, so the demo can sign in as any of them. */
export interface DemoReaderUser {
  username: string;
  displayName: string;
  readerId: string;
}

/** The users the demo creates, one per reader (inactive ones included, as they keep their accounts). */
export function demoReaderUsers(): DemoReaderUser[] {
  return DEMO_READERS.map((r) => ({ username: r.username, displayName: r.name, readerId: r.id }));
}
