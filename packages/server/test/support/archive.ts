import { join } from 'node:path';
import { ManualClock } from '@confer/core';
import type { IngestLimits } from '../../src/archive/ingest-service.ts';
import { createArchiveServices } from '../../src/archive/services.ts';
import { type BlobStore, FileBlobStore } from '../../src/store/blob-store.ts';
import type { Store } from '../../src/store/database.ts';

/** The archive services over a test store, wired by the same factory as main.ts, with a manual clock. */
export async function archiveServices(
  env: { store: Store; dataDir: string },
  options: { clock?: ManualClock; limits?: IngestLimits; blobs?: (files: FileBlobStore) => BlobStore } = {},
) {
  const clock = options.clock ?? new ManualClock('2026-03-01T08:00:00Z');
  const files = new FileBlobStore(join(env.dataDir, 'blobs'));
  await files.init();
  const blobs = options.blobs ? options.blobs(files) : files;
  const services = createArchiveServices({
    store: env.store,
    blobs,
    clock,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  return { clock, files, blobs, ...services };
}
