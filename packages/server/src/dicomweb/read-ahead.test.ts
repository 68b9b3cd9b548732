import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ByteBudget, PartQueue } from './read-ahead.ts';

const bytes = (n: number, fill = 1) => Buffer.alloc(n, fill);

describe('read-ahead window', () => {
  test('a reader gets everything queued in one piece, up to the largest write', async () => {
    const budget = new ByteBudget(1000);
    const q = new PartQueue(budget, 250);
    for (let i = 0; i < 5; i++) await q.push(bytes(100, i));
    q.end();
    const got: Buffer[] = [];
    for await (const c of q) got.push(Buffer.from(c));
    assert.deepEqual(
      got.map((g) => g.length),
      [200, 200, 100],
    );
    assert.deepEqual([...Buffer.concat(got)], [...Buffer.concat([0, 1, 2, 3, 4].map((i) => bytes(100, i)))]);
    assert.equal(budget.usedBytes, 0, 'everything read is released');
  });

  test('the writer waits while the window is full, and goes on as the reader drains it', async () => {
    const budget = new ByteBudget(300);
    const q = new PartQueue(budget, 100);
    const pushes = (async () => {
      for (let i = 0; i < 10; i++) await q.push(bytes(100));
      q.end();
    })();
    let pushed = false;
    void pushes.then(() => {
      pushed = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(pushed, false);
    assert.ok(budget.usedBytes <= 300, `at most the window is held (${budget.usedBytes})`);
    let total = 0;
    for await (const c of q) total += c.byteLength;
    await pushes;
    assert.equal(total, 1000);
  });

  test('a window is shared: one part that is not read holds the others back until abandoned', async () => {
    const budget = new ByteBudget(200);
    const first = new PartQueue(budget, 100);
    await first.push(bytes(200));
    const second = new PartQueue(budget, 100);
    let queued = false;
    const push = second.push(bytes(50)).then(() => {
      queued = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(queued, false);
    first.abandon();
    await push;
    assert.equal(budget.usedBytes, 50);
    await first.push(bytes(10));
    assert.equal(budget.usedBytes, 50, 'an abandoned queue takes nothing more');
  });

  test('a failure reaches the reader after what was queued before it', async () => {
    const q = new PartQueue(new ByteBudget(1000), 1000);
    await q.push(bytes(10));
    q.fail(new Error('cut off'));
    const got: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const c of q) got.push(c.byteLength);
      })(),
      /cut off/,
    );
    assert.deepEqual(got, [10]);
  });
});
