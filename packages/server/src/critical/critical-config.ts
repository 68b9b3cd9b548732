import { CriticalCategory } from '@confer/core';

/**
 * The `critical` section of Confer's configuration: category deadlines, the escalation ladder, who the
 * recipients are, and how to reach them (in the app always; a webhook and e-mail when configured).
 */

/** One rung after the responsible clinician: who is told, and how long they have before the next rung. */
export interface LadderStepConfig {
  name: string;
  /** Minutes this rung waits for an acknowledgement before the next rung (or overdue). */
  afterMinutes: number;
  /** The backup clinician of the result's site (or the global backup). */
  backup?: boolean;
  usernames?: string[];
  /** Names of `groups` (a department, the supervisors). */
  groups?: string[];
}

export interface CriticalConfig {
  /** The responsible clinician's time to acknowledge, per ACR category. */
  deadlineMinutes: Record<CriticalCategory, number>;
  /** The rungs after the responsible clinician, for every category without its own. */
  ladder: LadderStepConfig[];
  ladderByCategory: Partial<Record<CriticalCategory, LadderStepConfig[]>>;
  /** Named groups of usernames, e.g. "ed-department", "radiology-supervisors". */
  groups: Record<string, string[]>;
  /** Used when the case names no clinician Confer knows and its site has no default. */
  defaultClinician: string | undefined;
  backupClinician: string | undefined;
  sites: Record<string, { defaultClinician?: string; backupClinician?: string }>;
  /** Referring physician names as the modality sends them (e.g. "Lee^Anna") mapped to Confer usernames. */
  referrers: Record<string, string>;
  /** How to reach people outside the app. */
  contacts: Record<string, { email?: string }>;
  webhook: { url: string; secret: string; timeoutMs: number } | undefined;
  smtp: { host: string; port: number; from: string; timeoutMs: number } | undefined;
  /** The address clinicians open links at, e.g. https://confer.example.org (links are unavailable without it). */
  publicBaseUrl: string | undefined;
  linkTtlMinutes: number;
  /** The finding's text in e-mails; off by default (an e-mail never carries patient names or IDs either way). */
  emailIncludesFinding: boolean;
  maxDeliveryAttempts: number;
  retryDelayMs: number;
}

export const defaultCriticalConfig: CriticalConfig = {
  deadlineMinutes: { critical: 60, urgent: 6 * 60, 'unexpected-significant': 3 * 24 * 60 },
  ladder: [],
  ladderByCategory: {},
  groups: {},
  defaultClinician: undefined,
  backupClinician: undefined,
  sites: {},
  referrers: {},
  contacts: {},
  webhook: undefined,
  smtp: undefined,
  publicBaseUrl: undefined,
  linkTtlMinutes: 24 * 60,
  emailIncludesFinding: false,
  maxDeliveryAttempts: 3,
  retryDelayMs: 60_000,
};

/** A problem in the `critical` section: the key's full path and what is expected. */
export class CriticalConfigProblem extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(`${key}: ${message}`);
    this.name = 'CriticalConfigProblem';
    this.key = key;
  }
}

const CATEGORIES = Object.values(CriticalCategory);
const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(key: string, message: string): never {
  throw new CriticalConfigProblem(key, message);
}

function object(raw: unknown, key: string): Obj {
  if (!isObj(raw)) fail(key, 'expected an object');
  return raw;
}

function known(o: Obj, key: string, keys: readonly string[]): void {
  for (const k of Object.keys(o))
    if (!keys.includes(k))
      fail(`${key}.${k}`, `is not a setting Confer knows; expected one of ${keys.join(', ')}`);
}

function positive(raw: unknown, key: string, min = 1): number {
  const n = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min)
    fail(key, `expected a whole number of at least ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

function username(raw: unknown, key: string): string {
  if (typeof raw !== 'string' || !USERNAME.test(raw))
    fail(key, `expected a username, got ${JSON.stringify(raw)}`);
  return raw;
}

function usernames(raw: unknown, key: string): string[] {
  if (!Array.isArray(raw)) fail(key, 'expected a list of usernames');
  return raw.map((u, i) => username(u, `${key}[${i}]`));
}

function httpUrl(raw: unknown, key: string): string {
  const s = typeof raw === 'string' ? raw.trim() : '';
  let ok = false;
  try {
    const u = new URL(s);
    ok = u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    ok = false;
  }
  if (!ok) fail(key, `expected an http:// or https:// URL, got ${JSON.stringify(raw)}`);
  return s.replace(/\/+$/, '');
}

function ladder(raw: unknown, key: string, groups: Record<string, string[]>): LadderStepConfig[] {
  if (!Array.isArray(raw))
    fail(key, 'expected a list of rungs, e.g. [{ "name": "Backup", "afterMinutes": 15, "backup": true }]');
  return raw.map((r, i) => {
    const k = `${key}[${i}]`;
    const o = object(r, k);
    known(o, k, ['name', 'afterMinutes', 'backup', 'usernames', 'groups']);
    if (typeof o.name !== 'string' || o.name.trim() === '') fail(`${k}.name`, 'expected a non-empty name');
    const step: LadderStepConfig = {
      name: o.name,
      afterMinutes: positive(o.afterMinutes, `${k}.afterMinutes`),
    };
    if (o.backup !== undefined) {
      if (typeof o.backup !== 'boolean') fail(`${k}.backup`, 'expected true or false');
      step.backup = o.backup;
    }
    if (o.usernames !== undefined) step.usernames = usernames(o.usernames, `${k}.usernames`);
    if (o.groups !== undefined) {
      if (!Array.isArray(o.groups)) fail(`${k}.groups`, 'expected a list of group names');
      step.groups = o.groups.map((g, j) => {
        if (typeof g !== 'string' || !Object.hasOwn(groups, g))
          fail(
            `${k}.groups[${j}]`,
            `no group ${JSON.stringify(g)} in critical.groups (known: ${Object.keys(groups).join(', ') || 'none'})`,
          );
        return g;
      });
    }
    if (!step.backup && !step.usernames?.length && !step.groups?.length)
      fail(k, 'a rung needs recipients: "backup": true, "usernames" or "groups"');
    return step;
  });
}

/**
 * Validates the `critical` section (from the config file) with environment overrides for what differs per
 * deployment or is secret: CONFER_PUBLIC_BASE_URL, CONFER_CRITICAL_WEBHOOK_URL, CONFER_CRITICAL_WEBHOOK_SECRET,
 * CONFER_SMTP_HOST, CONFER_SMTP_PORT, CONFER_SMTP_FROM.
 *
 * @throws CriticalConfigProblem naming the first bad key, e.g. `critical.ladder[1].afterMinutes`.
 */
export function validateCriticalConfig(
  raw: unknown,
  env: Record<string, string | undefined> = {},
): CriticalConfig {
  const o = raw === undefined ? {} : object(raw, 'critical');
  known(o, 'critical', [
    'deadlineMinutes',
    'ladder',
    'ladderByCategory',
    'groups',
    'defaultClinician',
    'backupClinician',
    'sites',
    'referrers',
    'contacts',
    'webhook',
    'smtp',
    'publicBaseUrl',
    'linkTtlMinutes',
    'emailIncludesFinding',
    'maxDeliveryAttempts',
    'retryDelayMs',
  ]);
  const out: CriticalConfig = structuredClone(defaultCriticalConfig);
  if (o.deadlineMinutes !== undefined) {
    const d = object(o.deadlineMinutes, 'critical.deadlineMinutes');
    known(d, 'critical.deadlineMinutes', CATEGORIES);
    for (const c of CATEGORIES)
      if (d[c] !== undefined) out.deadlineMinutes[c] = positive(d[c], `critical.deadlineMinutes.${c}`);
  }
  if (o.groups !== undefined) {
    const g = object(o.groups, 'critical.groups');
    for (const [name, members] of Object.entries(g))
      out.groups[name] = usernames(members, `critical.groups.${name}`);
  }
  if (o.ladder !== undefined) out.ladder = ladder(o.ladder, 'critical.ladder', out.groups);
  if (o.ladderByCategory !== undefined) {
    const l = object(o.ladderByCategory, 'critical.ladderByCategory');
    known(l, 'critical.ladderByCategory', CATEGORIES);
    for (const c of CATEGORIES)
      if (l[c] !== undefined)
        out.ladderByCategory[c] = ladder(l[c], `critical.ladderByCategory.${c}`, out.groups);
  }
  if (o.defaultClinician !== undefined)
    out.defaultClinician = username(o.defaultClinician, 'critical.defaultClinician');
  if (o.backupClinician !== undefined)
    out.backupClinician = username(o.backupClinician, 'critical.backupClinician');
  if (o.sites !== undefined) {
    const s = object(o.sites, 'critical.sites');
    for (const [site, v] of Object.entries(s)) {
      const k = `critical.sites.${site}`;
      const so = object(v, k);
      known(so, k, ['defaultClinician', 'backupClinician']);
      out.sites[site] = {
        ...(so.defaultClinician === undefined
          ? {}
          : { defaultClinician: username(so.defaultClinician, `${k}.defaultClinician`) }),
        ...(so.backupClinician === undefined
          ? {}
          : { backupClinician: username(so.backupClinician, `${k}.backupClinician`) }),
      };
    }
  }
  if (o.referrers !== undefined) {
    const r = object(o.referrers, 'critical.referrers');
    for (const [name, u] of Object.entries(r))
      out.referrers[name] = username(u, `critical.referrers.${name}`);
  }
  if (o.contacts !== undefined) {
    const c = object(o.contacts, 'critical.contacts');
    for (const [user, v] of Object.entries(c)) {
      const k = `critical.contacts.${user}`;
      username(user, k);
      const co = object(v, k);
      known(co, k, ['email']);
      if (co.email !== undefined) {
        if (typeof co.email !== 'string' || !/^[^\s@<>]+@[^\s@<>]+$/.test(co.email))
          fail(`${k}.email`, `expected an e-mail address, got ${JSON.stringify(co.email)}`);
        out.contacts[user] = { email: co.email };
      } else out.contacts[user] = {};
    }
  }
  const webhookRaw = o.webhook === undefined ? {} : object(o.webhook, 'critical.webhook');
  known(webhookRaw, 'critical.webhook', ['url', 'secret', 'timeoutMs']);
  const webhookUrl = env.CONFER_CRITICAL_WEBHOOK_URL || webhookRaw.url;
  if (webhookUrl !== undefined && webhookUrl !== '') {
    const urlKey = env.CONFER_CRITICAL_WEBHOOK_URL ? 'CONFER_CRITICAL_WEBHOOK_URL' : 'critical.webhook.url';
    const secret = env.CONFER_CRITICAL_WEBHOOK_SECRET || webhookRaw.secret;
    if (typeof secret !== 'string' || secret.length < 16)
      fail(
        env.CONFER_CRITICAL_WEBHOOK_SECRET ? 'CONFER_CRITICAL_WEBHOOK_SECRET' : 'critical.webhook.secret',
        'expected a shared secret of at least 16 characters to sign webhook requests with',
      );
    out.webhook = {
      url: httpUrl(webhookUrl, urlKey),
      secret,
      timeoutMs:
        webhookRaw.timeoutMs === undefined
          ? 10_000
          : positive(webhookRaw.timeoutMs, 'critical.webhook.timeoutMs', 100),
    };
  }
  const smtpRaw = o.smtp === undefined ? {} : object(o.smtp, 'critical.smtp');
  known(smtpRaw, 'critical.smtp', ['host', 'port', 'from', 'timeoutMs']);
  const host = env.CONFER_SMTP_HOST || smtpRaw.host;
  if (host !== undefined && host !== '') {
    if (typeof host !== 'string') fail('critical.smtp.host', 'expected a host name');
    const portKey = env.CONFER_SMTP_PORT ? 'CONFER_SMTP_PORT' : 'critical.smtp.port';
    const port = positive(env.CONFER_SMTP_PORT || (smtpRaw.port ?? 25), portKey);
    if (port > 65535) fail(portKey, `expected a TCP port number up to 65535, got ${port}`);
    const from = env.CONFER_SMTP_FROM || smtpRaw.from;
    if (typeof from !== 'string' || !/^[^\s@<>]+@[^\s@<>]+$/.test(from))
      fail(
        env.CONFER_SMTP_FROM ? 'CONFER_SMTP_FROM' : 'critical.smtp.from',
        'expected the sender address, e.g. confer@hospital.example',
      );
    out.smtp = {
      host,
      port,
      from,
      timeoutMs:
        smtpRaw.timeoutMs === undefined
          ? 10_000
          : positive(smtpRaw.timeoutMs, 'critical.smtp.timeoutMs', 100),
    };
  }
  const base = env.CONFER_PUBLIC_BASE_URL || o.publicBaseUrl;
  if (base !== undefined && base !== '')
    out.publicBaseUrl = httpUrl(
      base,
      env.CONFER_PUBLIC_BASE_URL ? 'CONFER_PUBLIC_BASE_URL' : 'critical.publicBaseUrl',
    );
  if (o.linkTtlMinutes !== undefined)
    out.linkTtlMinutes = positive(o.linkTtlMinutes, 'critical.linkTtlMinutes');
  if (o.emailIncludesFinding !== undefined) {
    if (typeof o.emailIncludesFinding !== 'boolean')
      fail('critical.emailIncludesFinding', 'expected true or false');
    out.emailIncludesFinding = o.emailIncludesFinding;
  }
  if (o.maxDeliveryAttempts !== undefined)
    out.maxDeliveryAttempts = positive(o.maxDeliveryAttempts, 'critical.maxDeliveryAttempts');
  if (o.retryDelayMs !== undefined) out.retryDelayMs = positive(o.retryDelayMs, 'critical.retryDelayMs', 100);
  if ((out.webhook || out.smtp) && !out.publicBaseUrl)
    fail(
      'critical.publicBaseUrl',
      'a webhook or SMTP server is configured, so acknowledgement links need the address clinicians reach Confer at (or set CONFER_PUBLIC_BASE_URL)',
    );
  return out;
}

/** The rungs configured for a category. */
export function ladderFor(config: CriticalConfig, category: CriticalCategory): LadderStepConfig[] {
  return config.ladderByCategory[category] ?? config.ladder;
}
