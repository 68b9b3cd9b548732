import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from './prng.ts';

test('a seed fixes the sequence; strings and numbers both seed', () => {
  const a = new Rng('seed');
  const b = new Rng('seed');
  const xs = Array.from({ length: 100 }, () => a.u32());
  assert.deepEqual(
    xs,
    Array.from({ length: 100 }, () => b.u32()),
  );
  assert.notDeepEqual(
    xs.slice(0, 5),
    Array.from(
      { length: 5 },
      (
        (c) => () =>
          c.u32()
      )(new Rng('seeD')),
    ),
  );
  assert.deepEqual(
    Array.from(
      { length: 3 },
      (
        (c) => () =>
          c.u32()
      )(new Rng(42)),
    ),
    Array.from(
      { length: 3 },
      (
        (c) => () =>
          c.u32()
      )(new Rng('42')),
    ),
  );
  // Pinned: a change to the generator silently changes every synthetic study, so it must fail here first.
  const pinned = new Rng('confer');
  assert.deepEqual([pinned.u32(), pinned.u32(), pinned.u32()], [964814196, 77719947, 365867773]);
  assert.equal(new Rng('confer').uid(), '2.25.76440455918190209810676454692755153121');
});

test('derive gives an independent stream and leaves the parent where it was', () => {
  const parent = new Rng('p');
  const before = new Rng('p');
  const child = parent.derive('series', 3);
  assert.equal(parent.u32(), before.u32());
  assert.equal(child.u32(), new Rng('p').derive('series', 3).u32());
  assert.notEqual(new Rng('p').derive(1, 2).u32(), new Rng('p').derive(1, 3).u32());
});

test('uid() makes UUID-derived UIDs (PS3.5 B.2) that are unique and well formed', () => {
  const rng = new Rng('uids');
  const uids = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    const uid = rng.uid();
    assert.match(uid, /^2\.25\.[1-9][0-9]*$/);
    assert.ok(uid.length <= 64);
    const n = BigInt(uid.slice(5));
    assert.equal((n >> 76n) & 0xfn, 4n, 'UUID version 4');
    assert.equal((n >> 62n) & 0x3n, 2n, 'RFC 4122 variant');
    uids.add(uid);
  }
  assert.equal(uids.size, 10_000);
});

test('int, pick and weighted stay in range and reach every outcome', () => {
  const rng = new Rng('ranges');
  const ints = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const v = rng.int(3, 7);
    assert.ok(v >= 3 && v <= 7);
    ints.add(v);
  }
  assert.equal(ints.size, 5);
  const counts = { a: 0, b: 0 };
  for (let i = 0; i < 4000; i++)
    counts[
      rng.weighted([
        ['a', 3],
        ['b', 1],
      ] as const)
    ]++;
  assert.ok(counts.a > 2700 && counts.a < 3300, JSON.stringify(counts));
  assert.throws(() => rng.pick([]), /empty/);
  assert.match(rng.digits(12), /^[0-9]{12}$/);
});
