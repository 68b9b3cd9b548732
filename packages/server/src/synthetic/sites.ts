/**
 * A fictional hub-and-spoke network of imaging sites. Every name is invented; none is a real hospital.
 * The set spans five time zones (both hemispheres' DST rules, and one half-hour zone with no DST) and
 * four jurisdictions, so follow-the-sun routing, credentialing and data-residency code has something to chew on.
 */
export const SiteRole = { Hub: 'hub', Spoke: 'spoke' } as const;
export type SiteRole = (typeof SiteRole)[keyof typeof SiteRole];

export interface SyntheticSite {
  /** Stable kebab-case id, also the local namespace of the site's patient IDs and accession numbers. */
  id: string;
  /** Short name a person reads on the worklist. */
  name: string;
  /** The calling AE title its modalities use (PS3.5: at most 16 characters, no backslash). */
  aeTitle: string;
  /** (0008,0080) Institution Name as the modalities write it. */
  institutionName: string;
  /** IANA zone that owns the site's clock: study dates and times are local to it. */
  timeZone: string;
  /** ISO 3166-2 subdivision (or ISO 3166-1 country) whose law governs the site's data and its readers' licences. */
  jurisdiction: string;
  role: SiteRole;
  /** (0010,0021) Issuer of Patient ID: the site's MRN namespace. */
  patientIdIssuer: string;
  /** Prefix of the site's MRNs and accession numbers (upper case letters). */
  idPrefix: string;
}

export const DEFAULT_SITES: readonly SyntheticSite[] = [
  {
    id: 'northvale-hub',
    name: 'Northvale Hub',
    aeTitle: 'NORTHVALE_HUB',
    institutionName: 'Northvale Regional Imaging Centre',
    timeZone: 'Europe/London',
    jurisdiction: 'GB-ENG',
    role: SiteRole.Hub,
    patientIdIssuer: 'NORTHVALE.MRN',
    idPrefix: 'NV',
  },
  {
    id: 'kestrel-moor',
    name: 'Kestrel Moor',
    aeTitle: 'KESTREL_MOOR',
    institutionName: 'Kestrel Moor Community Hospital',
    timeZone: 'Europe/London',
    jurisdiction: 'GB-ENG',
    role: SiteRole.Spoke,
    patientIdIssuer: 'KESTRELMOOR.MRN',
    idPrefix: 'KM',
  },
  {
    id: 'brightwater',
    name: 'Brightwater',
    aeTitle: 'BRIGHTWATER_CT',
    institutionName: 'Brightwater Valley Medical Center',
    timeZone: 'America/New_York',
    jurisdiction: 'US-NY',
    role: SiteRole.Spoke,
    patientIdIssuer: 'BRIGHTWATER.MRN',
    idPrefix: 'BW',
  },
  {
    id: 'red-mesa',
    name: 'Red Mesa',
    aeTitle: 'RED_MESA',
    institutionName: 'Red Mesa Frontier Clinic',
    timeZone: 'America/Denver',
    jurisdiction: 'US-CO',
    role: SiteRole.Spoke,
    patientIdIssuer: 'REDMESA.MRN',
    idPrefix: 'RM',
  },
  {
    id: 'lotus-bay',
    name: 'Lotus Bay',
    aeTitle: 'LOTUS_BAY',
    institutionName: 'Lotus Bay Diagnostic Institute',
    timeZone: 'Asia/Kolkata',
    jurisdiction: 'IN-WB',
    role: SiteRole.Spoke,
    patientIdIssuer: 'LOTUSBAY.MRN',
    idPrefix: 'LB',
  },
  {
    id: 'tui-harbour',
    name: 'Tui Harbour',
    aeTitle: 'TUI_HARBOUR',
    institutionName: 'Tui Harbour District Hospital',
    timeZone: 'Pacific/Auckland',
    jurisdiction: 'NZ',
    role: SiteRole.Spoke,
    patientIdIssuer: 'TUIHARBOUR.MRN',
    idPrefix: 'TH',
  },
];

/** The site with this id from `sites`, or an error that lists the known ids. */
export function siteById(id: string, sites: readonly SyntheticSite[] = DEFAULT_SITES): SyntheticSite {
  const site = sites.find((s) => s.id === id);
  if (!site)
    throw new RangeError(`unknown synthetic site "${id}"; known: ${sites.map((s) => s.id).join(', ')}`);
  return site;
}
