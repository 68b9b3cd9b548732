import type { Clock } from '@confer/core';
import type { BlobStore } from '../store/blob-store.ts';
import type { Store } from '../store/database.ts';
import { AuditLog } from './audit-log.ts';
import { ArchiveIngestService, type IngestLimits } from './ingest-service.ts';
import { ArchiveQueryService } from './query-service.ts';
import { ArchiveRetrieveService } from './retrieve-service.ts';
import { StudyCompletionMonitor } from './study-completion.ts';

/**
 * The archive's services over one store and blob store, wired the one way the composition root and the
 * tests both use, so a test exercises the same assembly that runs in production.
 */
export function createArchiveServices(deps: {
  store: Store;
  blobs: BlobStore;
  clock: Clock;
  limits?: IngestLimits;
  studyQuietPeriodMs?: number;
}) {
  const { store, blobs, clock } = deps;
  const audit = new AuditLog(store.db, store.dialect, clock);
  const ingest = new ArchiveIngestService({
    db: store.db,
    dialect: store.dialect,
    blobs,
    audit,
    clock,
    ...(deps.limits ? { limits: deps.limits } : {}),
  });
  return {
    audit,
    ingest,
    query: new ArchiveQueryService({ db: store.db, audit }),
    retrieve: new ArchiveRetrieveService({ db: store.db, blobs, audit, clock }),
    monitor: new StudyCompletionMonitor({
      db: store.db,
      clock,
      quietPeriodMs: deps.studyQuietPeriodMs ?? 90_000,
    }),
  };
}
