import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Clock, ManualClock } from '@confer/core';
import type { FastifyInstance } from 'fastify';
import type { ArchiveIngestService } from '../../src/archive/ingest-service.ts';
import { createArchiveServices } from '../../src/archive/services.ts';
import { AccessService } from '../../src/auth/access-service.ts';
import { type ConferConfig, loadConfig } from '../../src/config/config.ts';
import { registerDicomweb } from '../../src/dicomweb/index.ts';
import { type AppDeps, buildApp } from '../../src/http/app.ts';
import { FileBlobStore } from '../../src/store/blob-store.ts';
import { type StoreCase, storeCases } from './stores.ts';

/** A whole Confer HTTP app on real services, a temp data dir and the database of a store case. */
export interface TestApp {
  app: FastifyInstance;
  deps: AppDeps;
  ingest: ArchiveIngestService;
  blobs: FileBlobStore;
  dataDir: string;
  /** An API token of a technologist (may read and store). */
  token: string;
  /** `{ authorization: 'Bearer <token>' }` for inject() and fetch(). */
  auth: { authorization: string };
  /** A token for a new user with these roles, e.g. ['radiologist'] (reads, does not store). */
  tokenFor(roles: string[]): Promise<string>;
  /** Listens on 127.0.0.1 on a free port (port 0) and returns the base URL, e.g. http://127.0.0.1:41234. */
  listen(): Promise<string>;
  /** Closes the app (and its listener), the database, and removes the data dir. */
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Which database; SQLite when omitted. */
  storeCase?: StoreCase;
  clock?: Clock;
  /** Route groups; DICOMweb when omitted, [] for the bare API. */
  plugins?: AppDeps['plugins'];
  /** Config keys to override (data dir and database come from the store case). */
  config?: Partial<ConferConfig>;
}

let userCount = 0;

/**
 * Builds the app as main.ts does, without listening: tests call `app.inject()`, or `listen()` for clients
 * that need a socket. Always `await close()` (in a finally) so temp dirs and test databases go away.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const storeCase = options.storeCase ?? (await storeCases()).find((c) => c.name === 'sqlite')!;
  const env = await storeCase.open();
  let app: FastifyInstance | undefined;
  try {
    const clock = options.clock ?? new ManualClock('2026-03-02T08:00:00Z');
    const config: ConferConfig = {
      ...loadConfig({ CONFER_DATA_DIR: env.dataDir }),
      databaseUrl: env.databaseUrl,
      ...options.config,
    };
    const blobs = new FileBlobStore(join(env.dataDir, 'blobs'));
    await blobs.init();
    const { audit, ingest, query, retrieve } = createArchiveServices({
      store: env.store,
      blobs,
      clock,
      limits: { maxInstanceBytes: config.maxInstanceBytes, maxHeaderBytes: config.maxHeaderBytes },
    });
    const access = new AccessService({ db: env.store.db, clock, sessionTtlMs: config.sessionTtlMs });
    const deps: AppDeps = {
      config,
      clock,
      store: env.store,
      access,
      audit,
      ingest,
      query,
      retrieve,
      version: 'test',
      plugins: options.plugins ?? [registerDicomweb],
    };
    const built = await buildApp(deps);
    app = built;
    const tokenFor = async (roles: string[]) => {
      const username = `user${++userCount}-${roles.join('-')}`;
      await access.createUser({ username, password: 'test-password-123', roles });
      return (await access.createToken({ name: `${username} token`, username })).token;
    };
    const token = await tokenFor(['technologist']);
    return {
      app: built,
      deps,
      ingest,
      blobs,
      dataDir: env.dataDir,
      token,
      auth: { authorization: `Bearer ${token}` },
      tokenFor,
      async listen() {
        await built.listen({ port: 0, host: '127.0.0.1' });
        const address = built.server.address() as AddressInfo;
        return `http://127.0.0.1:${address.port}`;
      },
      async close() {
        await built.close();
        await ingest.drain();
        await env.cleanup();
      },
    };
  } catch (err) {
    await app?.close();
    await env.cleanup();
    throw err;
  }
}
