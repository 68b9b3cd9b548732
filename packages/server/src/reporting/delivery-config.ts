import { SignedReportKind } from '@confer/core';

/**
 * Where signed reports go (confer.json `reportDestinations`) and how hard Confer tries (`reportDelivery`).
 * Validation throws an error naming the key; config.ts wraps it as a ConfigError.
 */

export const DestinationType = { Hl7Mllp: 'hl7-mllp', Fhir: 'fhir' } as const;
export type DestinationType = (typeof DestinationType)[keyof typeof DestinationType];

interface DestinationCommon {
  /** Stable name, stored with each delivery: lower-case letters, digits and dashes. */
  id: string;
  /** Only reports of cases at these sites; all sites when absent. */
  sites?: string[];
  /** Only these kinds of signed report; all kinds when absent. */
  kinds?: SignedReportKind[];
}

export interface Hl7DestinationConfig extends DestinationCommon {
  type: 'hl7-mllp';
  host: string;
  port: number;
  /** MSH-5 and MSH-6. */
  receivingApplication: string;
  receivingFacility: string;
  /** MSH-11: P production (default), T training, D debugging. */
  processingId?: 'P' | 'T' | 'D';
  connectTimeoutMs?: number;
  ackTimeoutMs?: number;
}

export interface FhirDestinationConfig extends DestinationCommon {
  type: 'fhir';
  /** The FHIR server's base, e.g. https://ris.example.org/fhir; Confer POSTs to <baseUrl>/DiagnosticReport. */
  baseUrl: string;
  /** Sent as "Authorization: Bearer <token>" when set. */
  bearerToken?: string;
  timeoutMs?: number;
}

export type ReportDestinationConfig = Hl7DestinationConfig | FhirDestinationConfig;

export interface ReportDeliverySettings {
  /** Attempts per delivery, the first included; after the last failure the delivery is marked failed. */
  maxAttempts: number;
  /** Wait before attempt 2, 3, ...; the last value repeats. */
  retryDelaysMs: number[];
  /** How long a node holds a claimed delivery before another node may take it over (a crash mid-send). */
  leaseMs: number;
  /** MSH-4. */
  sendingFacility: string;
  connectTimeoutMs: number;
  ackTimeoutMs: number;
}

export const defaultReportDelivery: ReportDeliverySettings = {
  maxAttempts: 8,
  retryDelaysMs: [30_000, 120_000, 600_000, 1_800_000, 3_600_000],
  leaseMs: 120_000,
  sendingFacility: 'CONFER',
  connectTimeoutMs: 10_000,
  ackTimeoutMs: 30_000,
};

/** A configuration error at `key`; config.ts turns it into its ConfigError. */
export class DeliveryConfigError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(message);
    this.name = 'DeliveryConfigError';
    this.key = key;
  }
}

type Obj = Record<string, unknown>;

function refuseUnknown(o: Obj, key: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k))
      throw new DeliveryConfigError(
        `${key}.${k}`,
        `is not a setting Confer knows; expected one of ${allowed.join(', ')}`,
      );
}

function int(
  o: Obj,
  key: string,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const v = o[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    throw new DeliveryConfigError(
      `${key}.${name}`,
      `expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`,
    );
  return v;
}

function text(
  o: Obj,
  key: string,
  name: string,
  required: boolean,
  pattern?: RegExp,
  hint?: string,
): string | undefined {
  const v = o[name];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v.trim() === '' || (pattern && !pattern.test(v)))
    throw new DeliveryConfigError(
      `${key}.${name}`,
      `expected ${hint ?? 'a non-empty string'}, got ${JSON.stringify(v)}`,
    );
  return v;
}

function stringList(o: Obj, key: string, name: string, allowed?: readonly string[]): string[] | undefined {
  const v = o[name];
  if (v === undefined) return undefined;
  if (
    !Array.isArray(v) ||
    v.length === 0 ||
    v.some((s) => typeof s !== 'string' || (allowed && !allowed.includes(s)))
  )
    throw new DeliveryConfigError(
      `${key}.${name}`,
      allowed ? `expected a non-empty list of ${allowed.join(', ')}` : 'expected a non-empty list of strings',
    );
  return v as string[];
}

// HL7 HD namespace ids travel in MSH-5/6: no delimiters.
const HD = /^[^|^~\\&\r\n]{1,180}$/;
const COMMON = ['id', 'type', 'sites', 'kinds'] as const;

/** Validates `reportDestinations`; `knownSites` (when given) are the ids a destination's `sites` may name. */
export function validateReportDestinations(
  raw: unknown,
  knownSites?: readonly string[],
): ReportDestinationConfig[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    throw new DeliveryConfigError('reportDestinations', 'expected a list of destinations');
  const seen = new Set<string>();
  return raw.map((d, i) => {
    const key = `reportDestinations[${i}]`;
    if (typeof d !== 'object' || d === null || Array.isArray(d))
      throw new DeliveryConfigError(key, 'expected an object');
    const o = d as Obj;
    const id = text(
      o,
      key,
      'id',
      true,
      /^[a-z0-9][a-z0-9-]{0,62}$/,
      'lower-case letters, digits and dashes, e.g. "main-ris"',
    )!;
    if (seen.has(id)) throw new DeliveryConfigError(`${key}.id`, `destination "${id}" is listed twice`);
    seen.add(id);
    const sites = stringList(o, key, 'sites');
    if (sites && knownSites)
      for (const s of sites)
        if (!knownSites.includes(s))
          throw new DeliveryConfigError(
            `${key}.sites`,
            `no site "${s}" is configured (sites: ${knownSites.join(', ') || 'none'})`,
          );
    const kinds = stringList(o, key, 'kinds', Object.values(SignedReportKind)) as
      | SignedReportKind[]
      | undefined;
    const common = { id, ...(sites ? { sites } : {}), ...(kinds ? { kinds } : {}) };
    if (o.type === DestinationType.Hl7Mllp) {
      refuseUnknown(o, key, [
        ...COMMON,
        'host',
        'port',
        'receivingApplication',
        'receivingFacility',
        'processingId',
        'connectTimeoutMs',
        'ackTimeoutMs',
      ]);
      const processingId = text(
        o,
        key,
        'processingId',
        false,
        /^[PTD]$/,
        '"P" (production), "T" (training) or "D" (debugging)',
      );
      const connectTimeoutMs = int(o, key, 'connectTimeoutMs', 100);
      const ackTimeoutMs = int(o, key, 'ackTimeoutMs', 100);
      const out: Hl7DestinationConfig = {
        ...common,
        type: 'hl7-mllp',
        host: text(o, key, 'host', true, /^[A-Za-z0-9.:[\]-]{1,253}$/, 'a host name or IP address')!,
        port:
          int(o, key, 'port', 1, 65535) ??
          fail(`${key}.port`, "expected the receiver's TCP port, from 1 to 65535"),
        receivingApplication: text(
          o,
          key,
          'receivingApplication',
          true,
          HD,
          'the receiving application (MSH-5), without |^~\\&',
        )!,
        receivingFacility: text(
          o,
          key,
          'receivingFacility',
          true,
          HD,
          'the receiving facility (MSH-6), without |^~\\&',
        )!,
        ...(processingId ? { processingId: processingId as 'P' | 'T' | 'D' } : {}),
        ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
        ...(ackTimeoutMs !== undefined ? { ackTimeoutMs } : {}),
      };
      return out;
    }
    if (o.type === DestinationType.Fhir) {
      refuseUnknown(o, key, [...COMMON, 'baseUrl', 'bearerToken', 'timeoutMs']);
      const baseUrl = text(
        o,
        key,
        'baseUrl',
        true,
        /^https?:\/\/\S+$/,
        'an http:// or https:// URL of a FHIR R4 server',
      )!;
      const bearerToken = text(o, key, 'bearerToken', false);
      const timeoutMs = int(o, key, 'timeoutMs', 100);
      const out: FhirDestinationConfig = {
        ...common,
        type: 'fhir',
        baseUrl: baseUrl.replace(/\/+$/, ''),
        ...(bearerToken ? { bearerToken } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      };
      return out;
    }
    throw new DeliveryConfigError(
      `${key}.type`,
      `expected "hl7-mllp" or "fhir", got ${JSON.stringify(o.type)}`,
    );
  });
}

function fail(key: string, message: string): never {
  throw new DeliveryConfigError(key, message);
}

/** Validates `reportDelivery` over the defaults. */
export function validateReportDelivery(raw: unknown): ReportDeliverySettings {
  if (raw === undefined) return { ...defaultReportDelivery };
  const key = 'reportDelivery';
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new DeliveryConfigError(key, 'expected an object');
  const o = raw as Obj;
  refuseUnknown(o, key, Object.keys(defaultReportDelivery));
  const delays = o.retryDelaysMs;
  if (
    delays !== undefined &&
    (!Array.isArray(delays) ||
      delays.length === 0 ||
      delays.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0))
  )
    throw new DeliveryConfigError(
      `${key}.retryDelaysMs`,
      'expected a non-empty list of milliseconds, e.g. [30000, 120000, 600000]',
    );
  const out: ReportDeliverySettings = {
    maxAttempts: int(o, key, 'maxAttempts', 1, 1000) ?? defaultReportDelivery.maxAttempts,
    retryDelaysMs: (delays as number[] | undefined) ?? defaultReportDelivery.retryDelaysMs,
    leaseMs: int(o, key, 'leaseMs', 1000) ?? defaultReportDelivery.leaseMs,
    sendingFacility:
      text(o, key, 'sendingFacility', false, HD, 'the sending facility (MSH-4), without |^~\\&') ??
      defaultReportDelivery.sendingFacility,
    connectTimeoutMs: int(o, key, 'connectTimeoutMs', 100) ?? defaultReportDelivery.connectTimeoutMs,
    ackTimeoutMs: int(o, key, 'ackTimeoutMs', 100) ?? defaultReportDelivery.ackTimeoutMs,
  };
  if (out.leaseMs <= out.connectTimeoutMs + out.ackTimeoutMs)
    throw new DeliveryConfigError(
      `${key}.leaseMs`,
      `must exceed connectTimeoutMs + ackTimeoutMs (${out.connectTimeoutMs + out.ackTimeoutMs} ms), or another node could resend a message still waiting for its ACK`,
    );
  return out;
}
