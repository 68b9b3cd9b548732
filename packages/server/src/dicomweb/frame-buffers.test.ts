import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameBufferPool } from './frame-buffers.ts';

test('memory comes back only once, from the pool, and is lent again for a frame of the same class', () => {
  const pool = new FrameBufferPool(1024 * 1024);
  const a = pool.take(524_400);
  assert.equal(a.length, 524_400);
  assert.equal(a.byteOffset, 0, 'at the start of memory of its own');
  assert.ok(pool.owns(a.subarray(100)));
  pool.give(a.subarray(100, 200));
  assert.equal(pool.idleBytes, 576 * 1024, 'capacity rounded up to 64 KiB');
  assert.ok(!pool.owns(a));
  pool.give(a);
  assert.equal(pool.idleBytes, 576 * 1024, 'a second give is ignored');
  const b = pool.take(530_000);
  assert.equal(b.buffer, a.buffer, 'the same class reuses the memory');
  assert.equal(pool.idleBytes, 0);
  // Buffers the pool did not lend are never taken in.
  pool.give(Buffer.alloc(600_000));
  pool.give(Buffer.from('small, from the shared pool'));
  assert.equal(pool.idleBytes, 0);
});

test('the pool keeps at most its budget, and nothing larger than 4 MiB', () => {
  const pool = new FrameBufferPool(1024 * 1024);
  const lent = Array.from({ length: 3 }, () => pool.take(512 * 1024));
  for (const b of lent) pool.give(b);
  assert.equal(pool.idleBytes, 1024 * 1024, 'the third did not fit the 1 MiB budget');
  const big = pool.take(5 * 1024 * 1024);
  pool.give(big);
  assert.equal(pool.idleBytes, 1024 * 1024);
  assert.notEqual(pool.take(5 * 1024 * 1024).buffer, big.buffer);
});
