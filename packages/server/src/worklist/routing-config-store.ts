import {
  type Clock,
  type CompiledRouting,
  compileRouting,
  type RoutingConfig,
  validateRoutingConfig,
} from '@confer/core';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../store/schema.ts';

export interface RoutingVersion {
  version: number;
  config: RoutingConfig;
  compiled: CompiledRouting;
  /** The same directory with one rule that reaches every eligible reader on shift anywhere (broadening). */
  broadening: CompiledRouting;
  createdAt: number;
  createdBy: string;
  comment: string | null;
  warnings: string[];
}

export interface RoutingVersionInfo {
  version: number;
  createdAt: string;
  createdBy: string;
  comment: string | null;
  live: boolean;
}

export class RoutingConfigError extends Error {
  readonly errors: { path: string; message: string }[];
  constructor(errors: { path: string; message: string }[]) {
    super(
      `the routing configuration is invalid: ${errors
        .slice(0, 5)
        .map((e) => `${e.path}: ${e.message}`)
        .join('; ')}${errors.length > 5 ? ` (and ${errors.length - 5} more)` : ''}`,
    );
    this.name = 'RoutingConfigError';
    this.errors = errors;
  }
}

const BROADEN_RULE_ID = 'confer:broaden';
/** PostgreSQL channel on which nodes tell each other a new routing version is live. */
export const ROUTING_CHANNEL = 'confer_routing';

/**
 * Versioned routing configuration (directory, shifts, rosters, pools, rules, SLAs). Every save is a new
 * version and goes live at once, without a restart; the highest version is live. Nodes sharing a database
 * pick up each other's saves through `refresh()`, which the worklist's timer calls.
 */
export class RoutingConfigStore {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private live: RoutingVersion | undefined;
  private readonly listeners = new Set<(v: RoutingVersion) => void>();

  private readonly notify: boolean;

  constructor(deps: { db: Kysely<Database>; clock: Clock; notifyOtherNodes?: boolean }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.notify = deps.notifyOtherNodes ?? false;
  }

  /** The live version, or undefined before any configuration was saved. */
  current(): RoutingVersion | undefined {
    return this.live;
  }

  /** Called with each new live version (saved here or found by refresh). */
  subscribe(listener: (v: RoutingVersion) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Loads the highest stored version if it is newer than the live one; returns whether it changed. */
  async refresh(): Promise<boolean> {
    const row = await this.db
      .selectFrom('routing_configs')
      .selectAll()
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row || (this.live && this.live.version >= Number(row.version))) return false;
    const result = validateRoutingConfig(JSON.parse(row.document_json));
    // A stored version was valid when saved; if validation has since become stricter, keep it live but say so.
    if (!result.ok) throw new RoutingConfigError(result.errors);
    this.activate({
      version: Number(row.version),
      config: result.config,
      createdAt: Number(row.created_at),
      createdBy: row.created_by,
      comment: row.comment,
      warnings: result.warnings,
    });
    return true;
  }

  /**
   * Validates and stores a new version, which goes live at once. Throws RoutingConfigError with every
   * problem (JSON path and what is expected) and stores nothing when the document is invalid.
   */
  async save(document: unknown, by: string, comment?: string): Promise<RoutingVersion> {
    const result = validateRoutingConfig(document);
    if (!result.ok) throw new RoutingConfigError(result.errors);
    const now = this.clock.now().getTime();
    const version = await this.db.transaction().execute(async (trx) => {
      const top = await trx
        .selectFrom('routing_configs')
        .select((eb) => eb.fn.max('version').as('v'))
        .executeTakeFirst();
      const next = Number(top?.v ?? 0) + 1;
      await trx
        .insertInto('routing_configs')
        .values({
          version: next,
          document_json: JSON.stringify(result.config),
          created_at: now,
          created_by: by,
          comment: comment ?? null,
        })
        .execute();
      if (this.notify) await sql`select pg_notify(${ROUTING_CHANNEL}, ${String(next)})`.execute(trx);
      return next;
    });
    this.activate({
      version,
      config: result.config,
      createdAt: now,
      createdBy: by,
      comment: comment ?? null,
      warnings: result.warnings,
    });
    return this.live!;
  }

  async history(limit = 50): Promise<RoutingVersionInfo[]> {
    const rows = await this.db
      .selectFrom('routing_configs')
      .select(['version', 'created_at', 'created_by', 'comment'])
      .orderBy('version', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      version: Number(r.version),
      createdAt: new Date(Number(r.created_at)).toISOString(),
      createdBy: r.created_by,
      comment: r.comment,
      live: this.live?.version === Number(r.version),
    }));
  }

  async get(version: number): Promise<RoutingConfig | undefined> {
    const row = await this.db
      .selectFrom('routing_configs')
      .select('document_json')
      .where('version', '=', version)
      .executeTakeFirst();
    return row ? (JSON.parse(row.document_json) as RoutingConfig) : undefined;
  }

  private activate(v: Omit<RoutingVersion, 'compiled' | 'broadening'>): void {
    const compiled = compileRouting(v.config);
    const broadening = compileRouting({
      ...v.config,
      rules: [
        {
          id: BROADEN_RULE_ID,
          name: 'Broadened to everyone eligible on shift',
          enabled: true,
          kind: 'route',
          when: {},
          then: { target: { kind: 'anyone-on-shift' }, strategy: 'pool' },
        },
      ],
    });
    this.live = { ...v, compiled, broadening };
    for (const l of this.listeners) l(this.live);
  }
}
