import { join } from 'node:path';
import { ManualClock } from '@confer/core';
import { AuditLog } from '../../src/archive/audit-log.ts';
import { ArchiveIngestService, type IngestLimits } from '../../src/archive/ingest-service.ts';
import { ArchiveQueryService } from '../../src/archive/query-service.ts';
import { ArchiveRetrieveService } from '../../src/archive/retrieve-service.ts';
import { type BlobStore, FileBlobStore } from '../../src/store/blob-store.ts';
import type { Store } from '../../src/store/database.ts';

/** The archive services over a test store, as the composition root wires them, with a manual clock. */
export async function archiveServices(
  env: { store: Store; dataDir: string },
  options: { clock?: ManualClock; limits?: IngestLimits; blobs?: (files: FileBlobStore) => BlobStore } = {},
) {
  const clock = options.clock ?? new ManualClock('2026-03-01T08:00:00Z');
  const files = new FileBlobStore(join(env.dataDir, 'blobs'));
  await files.init();
  const blobs = options.blobs ? options.blobs(files) : files;
  const audit = new AuditLog(env.store.db, env.store.dialect, clock);
  const ingest = new ArchiveIngestService({
    db: env.store.db,
    dialect: env.store.dialect,
    blobs,
    audit,
    clock,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const query = new ArchiveQueryService({ db: env.store.db, audit });
  const retrieve = new ArchiveRetrieveService({ db: env.store.db, blobs, audit });
  return { clock, files, blobs, audit, ingest, query, retrieve };
}
