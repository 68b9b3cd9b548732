import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileBlobStore } from './blob-store.ts';

test('positional reads land in the target at its offset, and fall short only at the end of the object', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'confer-blob-'));
  try {
    const blobs = new FileBlobStore(dir);
    await blobs.init();
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    const writer = await blobs.begin();
    await writer.write(bytes);
    await writer.commit('a/b/c.dcm');
    const file = await blobs.openRandomAccess('a/b/c.dcm');
    try {
      const target = Buffer.alloc(110, 0xee);
      assert.equal(await file.readInto(300, target, 10, 100), 100);
      assert.ok(target.subarray(10).equals(bytes.subarray(300, 400)));
      assert.ok(
        target.subarray(0, 10).equals(Buffer.alloc(10, 0xee)),
        'bytes before the offset are untouched',
      );
      assert.equal(await file.readInto(950, target, 0, 100), 50);
      assert.ok(target.subarray(0, 50).equals(bytes.subarray(950)));
    } finally {
      await file.close();
    }
    await assert.rejects(blobs.openRandomAccess('a/b/missing.dcm'), /ENOENT/);
    await assert.rejects(blobs.openRandomAccess('../escape.dcm'), /invalid blob key/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
