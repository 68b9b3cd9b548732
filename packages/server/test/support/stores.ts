import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrateToLatest, openStore, type Store } from '../../src/store/database.ts';

/** The PostgreSQL server tests create their databases on; CI runs a local one with trust auth. */
export const TEST_POSTGRES_URL =
  process.env.CONFER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const required = process.env.CONFER_REQUIRE_INTEGRATION === '1';

let postgresReachable: Promise<boolean> | undefined;
export function isPostgresReachable(): Promise<boolean> {
  postgresReachable ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      return false;
    }
  })();
  return postgresReachable;
}

export interface StoreCase {
  name: 'sqlite' | 'postgres';
  /** Why the case is skipped here, or undefined when it runs. */
  skip: string | undefined;
  open(): Promise<{
    store: Store;
    databaseUrl: string | undefined;
    dataDir: string;
    cleanup(): Promise<void>;
  }>;
}

/** SQLite always; PostgreSQL when reachable, and required (failing, not skipped) under CONFER_REQUIRE_INTEGRATION=1. */
export async function storeCases(): Promise<StoreCase[]> {
  const pgUp = await isPostgresReachable();
  return [
    {
      name: 'sqlite',
      skip: undefined,
      async open() {
        const dataDir = await mkdtemp(join(tmpdir(), 'confer-test-'));
        const store = await openStore({ sqlitePath: join(dataDir, 'confer.sqlite') });
        await migrateToLatest(store);
        return {
          store,
          databaseUrl: undefined,
          dataDir,
          async cleanup() {
            await store.close();
            await rm(dataDir, { recursive: true, force: true });
          },
        };
      },
    },
    {
      name: 'postgres',
      skip: pgUp || required ? undefined : `PostgreSQL not reachable at ${TEST_POSTGRES_URL}`,
      async open() {
        const dataDir = await mkdtemp(join(tmpdir(), 'confer-test-'));
        const dbName = `confer_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
        const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
        await admin.connect();
        await admin.query(`create database ${dbName}`);
        await admin.end();
        const url = new URL(TEST_POSTGRES_URL);
        url.pathname = `/${dbName}`;
        const databaseUrl = url.toString();
        const store = await openStore({ databaseUrl, sqlitePath: '' });
        await migrateToLatest(store);
        return {
          store,
          databaseUrl,
          dataDir,
          async cleanup() {
            await store.close();
            const a = new pg.Client({ connectionString: TEST_POSTGRES_URL });
            await a.connect();
            await a.query(`drop database if exists ${dbName} with (force)`);
            await a.end();
            await rm(dataDir, { recursive: true, force: true });
          },
        };
      },
    },
  ];
}
