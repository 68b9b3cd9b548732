import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { archiveServices } from '../../test/support/archive.ts';
import { storeCases } from '../../test/support/stores.ts';
import { encodeDataset } from '../dicom/dataset-writer.ts';
import { buildPart10Header } from '../dicom/part10.ts';
import { Tag } from '../dicom/tags.ts';
import { TransferSyntax } from '../dicom/transfer-syntax.ts';
import type { BlobStore, BlobWriter, FileBlobStore } from '../store/blob-store.ts';
import { type Actor, Protocol, StoreFailure } from './ports.ts';

const fixtures = join(import.meta.dirname, '../../test/fixtures/pydicom');
const tech: Actor = { kind: 'user', id: '1', name: 'tech', roles: ['technologist'], siteId: null };
const origin = { protocol: Protocol.Dicomweb, remoteAddress: '127.0.0.1' };

/** A blob store whose disk fills up after `bytesLeft` bytes, as a real one does (ENOSPC from write). */
class FillingBlobStore implements BlobStore {
  private readonly inner: FileBlobStore;
  bytesLeft: number;
  constructor(inner: FileBlobStore, bytesLeft: number) {
    this.inner = inner;
    this.bytesLeft = bytesLeft;
  }
  async begin(): Promise<BlobWriter> {
    const w = await this.inner.begin();
    return {
      write: async (chunk) => {
        if (chunk.byteLength > this.bytesLeft) {
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        }
        this.bytesLeft -= chunk.byteLength;
        await w.write(chunk);
      },
      get bytesWritten() {
        return w.bytesWritten;
      },
      commit: (key) => w.commit(key),
      abort: () => w.abort(),
    };
  }
  read(key: string, range?: { start: number; end?: number }) {
    return this.inner.read(key, range);
  }
  size(key: string) {
    return this.inner.size(key);
  }
  remove(key: string) {
    return this.inner.remove(key);
  }
}

/** A large CT-like instance produced chunk by chunk, never whole in memory. */
function* largeInstance(pixelBytes: number, chunkBytes: number): Generator<Uint8Array> {
  const sop = '2.25.1234567890123456789';
  yield buildPart10Header({
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    sopInstanceUid: sop,
    transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian,
  });
  const header = encodeDataset(
    {
      [Tag.SOPClassUID]: { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
      [Tag.SOPInstanceUID]: { vr: 'UI', Value: [sop] },
      [Tag.StudyInstanceUID]: { vr: 'UI', Value: ['2.25.1'] },
      [Tag.SeriesInstanceUID]: { vr: 'UI', Value: ['2.25.2'] },
      [Tag.PatientID]: { vr: 'LO', Value: ['SYN-LARGE'] },
      [Tag.Modality]: { vr: 'CS', Value: ['CT'] },
    },
    TransferSyntax.ExplicitVRLittleEndian,
  );
  yield header;
  const pixelHeader = Buffer.alloc(12);
  pixelHeader.writeUInt16LE(0x7fe0, 0);
  pixelHeader.writeUInt16LE(0x0010, 2);
  pixelHeader.write('OW', 4, 'latin1');
  pixelHeader.writeUInt32LE(pixelBytes, 8);
  yield pixelHeader;
  // A fresh buffer per chunk, as a socket delivers them: anything that kept chunks would grow with the object.
  for (let sent = 0; sent < pixelBytes; sent += chunkBytes)
    yield Buffer.alloc(Math.min(chunkBytes, pixelBytes - sent), 0x11);
}

for (const c of await storeCases()) {
  describe(`ingest under failure on ${c.name}`, { skip: c.skip }, () => {
    test('a full disk is a clear out-of-resources failure; nothing half-stored; the next store works', async () => {
      const env = await c.open();
      try {
        let blobs!: FillingBlobStore;
        const { ingest } = await archiveServices(env, {
          blobs: (files) => {
            blobs = new FillingBlobStore(files, 10_000);
            return blobs;
          },
        });
        const ct = await readFile(join(fixtures, 'CT_small.dcm'));
        const full = await ingest.store({
          body: [ct.subarray(0, 8000), ct.subarray(8000)],
          framing: 'part10',
          actor: tech,
          origin,
        });
        assert.equal(full.ok, false);
        assert.equal(!full.ok && full.failure, StoreFailure.OutOfResources);
        assert.match(!full.ok ? full.reason : '', /out of storage \(ENOSPC\)/);
        assert.deepEqual(await env.store.db.selectFrom('instances').select('id').execute(), []);
        assert.deepEqual(await readdir(join(env.dataDir, 'blobs', '.incoming')), []);
        blobs.bytesLeft = Number.MAX_SAFE_INTEGER;
        assert.ok(
          (await ingest.store({ body: [ct], framing: 'part10', actor: tech, origin })).ok,
          'space freed: stores again',
        );
      } finally {
        await env.cleanup();
      }
    });

    test('a database that goes away gives storage-unavailable, not a crash, and no orphan file', async () => {
      const env = await c.open();
      try {
        const { ingest } = await archiveServices(env);
        if (env.databaseUrl) {
          // Cut every connection of this database, then refuse new ones, as an outage would.
          const admin = new pg.Client({ connectionString: env.databaseUrl.replace(/\/[^/]+$/, '/postgres') });
          await admin.connect();
          const name = new URL(env.databaseUrl).pathname.slice(1);
          await admin.query(`alter database ${name} with allow_connections false`);
          await admin.query(
            'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
            [name],
          );
          await admin.query(`alter database ${name} with allow_connections true`).catch(() => {});
          await admin.query(`alter database ${name} with allow_connections false`);
          await admin.end();
        } else {
          await env.store.close();
        }
        const out = await ingest.store({
          body: [await readFile(join(fixtures, 'CT_small.dcm'))],
          framing: 'part10',
          actor: tech,
          origin,
        });
        assert.equal(out.ok, false);
        assert.equal(!out.ok && out.failure, StoreFailure.StorageUnavailable);
        const left = (await readdir(join(env.dataDir, 'blobs'), { recursive: true })).filter(
          (p) => p.endsWith('.dcm') || p.endsWith('.part'),
        );
        assert.deepEqual(left, [], 'no file without its index row');
        if (env.databaseUrl) {
          const admin = new pg.Client({ connectionString: env.databaseUrl.replace(/\/[^/]+$/, '/postgres') });
          await admin.connect();
          await admin.query(
            `alter database ${new URL(env.databaseUrl).pathname.slice(1)} with allow_connections true`,
          );
          await admin.end();
        }
      } finally {
        await env.cleanup().catch(() => {});
      }
    });

    test('a 256 MiB instance streams to disk with memory bounded by the header limit, not its size', async () => {
      const env = await c.open();
      try {
        const { ingest } = await archiveServices(env, {
          limits: { maxInstanceBytes: 1024 ** 3, maxHeaderBytes: 1024 * 1024 },
        });
        const pixelBytes = 256 * 1024 * 1024;
        globalThis.gc?.();
        const before = process.memoryUsage();
        let peak = 0;
        const body = (function* () {
          for (const chunk of largeInstance(pixelBytes, 256 * 1024)) {
            const m = process.memoryUsage();
            peak = Math.max(peak, m.rss - before.rss);
            yield chunk;
          }
        })();
        const out = await ingest.store({ body, framing: 'part10', actor: tech, origin });
        assert.ok(out.ok, out.ok ? '' : out.reason);
        assert.ok(out.sizeBytes > pixelBytes);
        assert.ok(
          peak < 96 * 1024 * 1024,
          `resident memory grew by ${(peak / 1048576).toFixed(0)} MiB for a 256 MiB object`,
        );
        const row = await env.store.db.selectFrom('instances').selectAll().executeTakeFirstOrThrow();
        assert.equal(Number(row.size_bytes), out.sizeBytes);
        assert.ok(Number(row.pixel_data_offset) > 0);
      } finally {
        await env.cleanup();
      }
    });
  });
}
