import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { type ConsultPolicy, defaultConsultPolicy, validateConsultPolicy } from '@confer/core';
import {
  type CriticalConfig,
  CriticalConfigProblem,
  defaultCriticalConfig,
  validateCriticalConfig,
} from '../critical/critical-config.ts';
import {
  DeliveryConfigError,
  defaultReportDelivery,
  type ReportDeliverySettings,
  type ReportDestinationConfig,
  validateReportDelivery,
  validateReportDestinations,
} from '../reporting/delivery-config.ts';

/** A site that sends images: its calling AE titles map to it (DESIGN.md: each calling AE maps to one site). */
export interface SiteConfig {
  id: string;
  name: string;
  aeTitles: string[];
  timeZone: string;
  jurisdiction?: string;
  /** Accept associations from AE titles no site lists, on behalf of this site. At most one site. */
  acceptUnknownAe?: boolean;
}

export interface ConferConfig {
  dataDir: string;
  httpPort: number;
  dicomPort: number;
  aeTitle: string;
  bindAddress: string;
  /** Absent: embedded SQLite under dataDir. postgres://...: PostgreSQL. */
  databaseUrl: string | undefined;
  /** Password for the first admin account, used only when no user exists yet. */
  adminPassword: string | undefined;
  maxAssociations: number;
  associationTimeoutMs: number;
  dimseIdleTimeoutMs: number;
  maxPduLengthBytes: number;
  maxInstanceBytes: number;
  maxHeaderBytes: number;
  /** A study that has received nothing for this long is announced as study:complete. */
  studyQuietPeriodMs: number;
  sessionTtlMs: number;
  /** HTTP request bodies (STOW-RS) larger than this are refused with 413. */
  httpBodyLimitBytes: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  demo: boolean;
  /** With the demo: synthetic studies sent through DICOM per hour (0 = none). */
  demoStudiesPerHour: number;
  /** Routing configuration (JSON) loaded as a new version at start when it differs, and on POST /api/routing/reload. */
  routingFile: string | undefined;
  /** A claim lasts this long without a heartbeat; then the case returns to the worklist. */
  claimLeaseMs: number;
  /** How often leases, SLA timers and time-based routing are checked. */
  worklistTickMs: number;
  sites: SiteConfig[];
  /** Consult SLA: target minutes per urgency and escalation steps (docs/collaboration.md). */
  consults: ConsultPolicy;
  /** Critical results: category deadlines, the escalation ladder, recipients and channels (docs/critical-results.md). */
  critical: CriticalConfig;
  /** Where signed reports are sent (HL7 v2 ORU over MLLP, FHIR); see docs/report-delivery.md. */
  reportDestinations: ReportDestinationConfig[];
  /** Retries, lease and timeouts of report delivery. */
  reportDelivery: ReportDeliverySettings;
}

export const defaultConfig: ConferConfig = {
  dataDir: './data',
  httpPort: 8300,
  dicomPort: 11112,
  aeTitle: 'CONFER',
  bindAddress: '127.0.0.1',
  databaseUrl: undefined,
  adminPassword: undefined,
  maxAssociations: 32,
  associationTimeoutMs: 30_000,
  dimseIdleTimeoutMs: 120_000,
  maxPduLengthBytes: 262_144,
  maxInstanceBytes: 4 * 1024 * 1024 * 1024,
  maxHeaderBytes: 16 * 1024 * 1024,
  studyQuietPeriodMs: 90_000,
  sessionTtlMs: 12 * 3600_000,
  httpBodyLimitBytes: 4 * 1024 * 1024 * 1024,
  logLevel: 'info',
  demo: false,
  demoStudiesPerHour: 120,
  routingFile: undefined,
  claimLeaseMs: 120_000,
  worklistTickMs: 5_000,
  sites: [],
  consults: defaultConsultPolicy,
  critical: defaultCriticalConfig,
  reportDestinations: [],
  reportDelivery: defaultReportDelivery,
};

/** A configuration error names the key, where it came from, what was given and what is expected. */
export class ConfigError extends Error {
  readonly code = 'CONFER_ERR_CONFIG';
  readonly key: string;
  constructor(key: string, message: string) {
    super(`${key}: ${message}`);
    this.name = 'ConfigError';
    this.key = key;
  }
}

type Kind = 'port' | 'int' | 'string' | 'ae' | 'bool' | 'url' | 'level';
const FIELDS: { key: keyof ConferConfig; env: string; kind: Kind; min?: number }[] = [
  { key: 'dataDir', env: 'CONFER_DATA_DIR', kind: 'string' },
  { key: 'httpPort', env: 'CONFER_HTTP_PORT', kind: 'port' },
  { key: 'dicomPort', env: 'CONFER_DICOM_PORT', kind: 'port' },
  { key: 'aeTitle', env: 'CONFER_AE_TITLE', kind: 'ae' },
  { key: 'bindAddress', env: 'CONFER_BIND_ADDRESS', kind: 'string' },
  { key: 'databaseUrl', env: 'CONFER_DATABASE_URL', kind: 'url' },
  { key: 'adminPassword', env: 'CONFER_ADMIN_PASSWORD', kind: 'string' },
  { key: 'maxAssociations', env: 'CONFER_MAX_ASSOCIATIONS', kind: 'int', min: 1 },
  { key: 'associationTimeoutMs', env: 'CONFER_ASSOCIATION_TIMEOUT_MS', kind: 'int', min: 100 },
  { key: 'dimseIdleTimeoutMs', env: 'CONFER_DIMSE_IDLE_TIMEOUT_MS', kind: 'int', min: 100 },
  { key: 'maxPduLengthBytes', env: 'CONFER_MAX_PDU_LENGTH_BYTES', kind: 'int', min: 4096 },
  { key: 'maxInstanceBytes', env: 'CONFER_MAX_INSTANCE_BYTES', kind: 'int', min: 1024 },
  { key: 'maxHeaderBytes', env: 'CONFER_MAX_HEADER_BYTES', kind: 'int', min: 4096 },
  { key: 'studyQuietPeriodMs', env: 'CONFER_STUDY_QUIET_PERIOD_MS', kind: 'int', min: 0 },
  { key: 'sessionTtlMs', env: 'CONFER_SESSION_TTL_MS', kind: 'int', min: 60_000 },
  { key: 'httpBodyLimitBytes', env: 'CONFER_HTTP_BODY_LIMIT_BYTES', kind: 'int', min: 1024 },
  { key: 'logLevel', env: 'CONFER_LOG_LEVEL', kind: 'level' },
  { key: 'demo', env: 'CONFER_DEMO', kind: 'bool' },
  { key: 'demoStudiesPerHour', env: 'CONFER_DEMO_STUDIES_PER_HOUR', kind: 'int', min: 0 },
  { key: 'routingFile', env: 'CONFER_ROUTING_FILE', kind: 'string' },
  { key: 'claimLeaseMs', env: 'CONFER_CLAIM_LEASE_MS', kind: 'int', min: 5_000 },
  { key: 'worklistTickMs', env: 'CONFER_WORKLIST_TICK_MS', kind: 'int', min: 100 },
];

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function coerce(field: (typeof FIELDS)[number], raw: unknown, source: string): unknown {
  const name = source === 'env' ? field.env : field.key;
  const fail = (expected: string): never => {
    throw new ConfigError(name, `expected ${expected}, got ${JSON.stringify(raw)}`);
  };
  const asInt = (v: unknown) => {
    const n =
      typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
    return Number.isSafeInteger(n) ? n : undefined;
  };
  switch (field.kind) {
    case 'port': {
      const n = asInt(raw);
      if (n === undefined || n < 0 || n > 65535) fail('a TCP port number from 0 to 65535');
      return n;
    }
    case 'int': {
      const n = asInt(raw);
      if (n === undefined || n < (field.min ?? 0)) fail(`a whole number of at least ${field.min ?? 0}`);
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      return fail('true or false');
    }
    case 'ae': {
      const s = String(raw);
      // PS3.5 6.2: AE is at most 16 characters, no backslash or control characters, not all spaces.
      if (!/^[\x20-\x5b\x5d-\x7e]{1,16}$/.test(s) || s.trim() === '')
        fail('an AE title of 1 to 16 characters');
      return s.trim();
    }
    case 'url': {
      const s = String(raw).trim();
      if (s === '') return undefined;
      if (!/^postgres(ql)?:\/\/.+/.test(s))
        fail('a postgres://user@host:port/database URL, or nothing for the embedded SQLite store');
      return s;
    }
    case 'level':
      if (!LEVELS.includes(String(raw))) fail(`one of ${LEVELS.join(', ')}`);
      return String(raw);
    default:
      if (typeof raw !== 'string' || raw === '') fail('a non-empty string');
      return raw;
  }
}

function validateSites(raw: unknown): SiteConfig[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new ConfigError('sites', 'expected a list of sites');
  const seenAe = new Map<string, string>();
  const sites = raw.map((s, i) => {
    const key = `sites[${i}]`;
    if (typeof s !== 'object' || s === null) throw new ConfigError(key, 'expected an object');
    const o = s as Record<string, unknown>;
    if (typeof o.id !== 'string' || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(o.id)) {
      throw new ConfigError(
        `${key}.id`,
        'expected lower-case letters, digits and dashes, e.g. "north-general"',
      );
    }
    if (typeof o.name !== 'string' || o.name === '')
      throw new ConfigError(`${key}.name`, 'expected a non-empty name');
    if (
      !Array.isArray(o.aeTitles) ||
      o.aeTitles.some((a) => typeof a !== 'string' || !/^[\x20-\x5b\x5d-\x7e]{1,16}$/.test(a))
    ) {
      throw new ConfigError(`${key}.aeTitles`, 'expected a list of AE titles of 1 to 16 characters');
    }
    for (const ae of o.aeTitles as string[]) {
      if (seenAe.has(ae))
        throw new ConfigError(
          `${key}.aeTitles`,
          `AE title "${ae}" is already used by site ${seenAe.get(ae)}`,
        );
      seenAe.set(ae, o.id);
    }
    const tz = typeof o.timeZone === 'string' ? o.timeZone : 'UTC';
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
    } catch {
      throw new ConfigError(
        `${key}.timeZone`,
        `expected an IANA time zone such as "Europe/Berlin", got ${JSON.stringify(tz)}`,
      );
    }
    const site: SiteConfig = { id: o.id, name: o.name, aeTitles: o.aeTitles as string[], timeZone: tz };
    if (typeof o.jurisdiction === 'string') site.jurisdiction = o.jurisdiction;
    if (o.acceptUnknownAe === true) site.acceptUnknownAe = true;
    return site;
  });
  if (sites.filter((s) => s.acceptUnknownAe).length > 1) {
    throw new ConfigError('sites', 'at most one site may accept unknown AE titles');
  }
  return sites;
}

/**
 * Builds the configuration: defaults, then the config file (CONFER_CONFIG or <dataDir>/confer.json when it
 * exists), then environment variables, then explicit overrides (CLI flags, tests). Every value is checked;
 * the first bad one throws a ConfigError naming it.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<ConferConfig> = {},
): ConferConfig {
  const out: Record<string, unknown> = { ...defaultConfig };
  const dataDirHint = overrides.dataDir ?? env.CONFER_DATA_DIR ?? defaultConfig.dataDir;
  const file = env.CONFER_CONFIG ?? join(dataDirHint, 'confer.json');
  let fromFile: Record<string, unknown> = {};
  try {
    fromFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code !== 'ENOENT' || env.CONFER_CONFIG) {
      throw new ConfigError('CONFER_CONFIG', `cannot read ${file}: ${e.message}`);
    }
  }
  const known = new Set<string>([
    ...FIELDS.map((f) => f.key),
    'sites',
    'consults',
    'critical',
    'reportDestinations',
    'reportDelivery',
  ]);
  for (const key of Object.keys(fromFile)) {
    if (!known.has(key)) throw new ConfigError(key, `is not a setting Confer knows (in ${file})`);
  }
  for (const field of FIELDS) {
    if (fromFile[field.key] !== undefined) out[field.key] = coerce(field, fromFile[field.key], 'file');
    const fromEnv = env[field.env];
    if (fromEnv !== undefined && fromEnv !== '') out[field.key] = coerce(field, fromEnv, 'env');
    const o = overrides[field.key];
    if (o !== undefined) out[field.key] = coerce(field, o, 'override');
  }
  out.sites = validateSites(overrides.sites ?? fromFile.sites);
  const consults = validateConsultPolicy(overrides.consults ?? fromFile.consults);
  if (!consults.ok) throw new ConfigError(consults.errors[0]!.path, consults.errors[0]!.message);
  out.consults = consults.policy;
  try {
    out.critical = validateCriticalConfig(overrides.critical ?? fromFile.critical, env);
  } catch (err) {
    if (err instanceof CriticalConfigProblem)
      throw new ConfigError(err.key, err.message.slice(err.key.length + 2));
    throw err;
  }
  try {
    out.reportDestinations = validateReportDestinations(
      overrides.reportDestinations ?? fromFile.reportDestinations,
      (out.sites as SiteConfig[]).map((s) => s.id),
    );
    out.reportDelivery = validateReportDelivery(overrides.reportDelivery ?? fromFile.reportDelivery);
  } catch (err) {
    if (err instanceof DeliveryConfigError) throw new ConfigError(err.key, err.message);
    throw err;
  }
  const config = out as unknown as ConferConfig;
  config.dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(config.dataDir);
  return config;
}
