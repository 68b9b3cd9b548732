import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrationProvider } from './migrations.ts';
import type { Database } from './schema.ts';
import { SqliteWorkerDialect } from './sqlite-worker-dialect.ts';

export const Dialect = { Sqlite: 'sqlite', Postgres: 'postgres' } as const;
export type Dialect = (typeof Dialect)[keyof typeof Dialect];

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** A description safe to print (no password). */
  describe: string;
  close(): Promise<void>;
}

// PostgreSQL returns int8 as a string by default; our int8 columns are epoch milliseconds and sizes,
// well inside Number.MAX_SAFE_INTEGER.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * Opens the store: `databaseUrl` absent = the embedded SQLite file, `postgres://` = PostgreSQL.
 * SQLite runs on its own thread in WAL mode with synchronous=FULL, so a committed transaction is on disk
 * when commit returns, and its fsync never stalls the event loop.
 */
export async function openStore(options: {
  databaseUrl?: string | undefined;
  sqlitePath: string;
}): Promise<Store> {
  const url = options.databaseUrl;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
    // An idle client losing its connection must not crash the process; the next query reports the error.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const u = new URL(url);
    return {
      db,
      dialect: Dialect.Postgres,
      describe: `postgres://${u.host}${u.pathname}`,
      close: () => db.destroy(),
    };
  }
  if (url)
    throw new Error(`CONFER_DATABASE_URL must start with postgres:// (got "${url.split(':')[0]}:...")`);
  mkdirSync(dirname(options.sqlitePath), { recursive: true });
  const db = new Kysely<Database>({ dialect: new SqliteWorkerDialect(options.sqlitePath) });
  // Open now, so a bad path or a locked file is reported at start, not at the first request.
  await sql`select 1`.execute(db);
  return { db, dialect: Dialect.Sqlite, describe: `sqlite:${options.sqlitePath}`, close: () => db.destroy() };
}

/** Runs pending migrations; returns the names applied. Throws with the failing migration's name. */
export async function migrateToLatest(store: Store): Promise<string[]> {
  const migrator = new Migrator({ db: store.db, provider: migrationProvider(store.dialect) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    throw new Error(
      `migration ${failed?.migrationName ?? '(unknown)'} failed: ${(error as Error).message ?? String(error)}`,
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
