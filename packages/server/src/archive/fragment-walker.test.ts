import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FragmentWalker } from './fragment-walker.ts';

function item(length: number): Buffer {
  const b = Buffer.alloc(8 + length, 0xab);
  b.writeUInt16LE(0xfffe, 0);
  b.writeUInt16LE(0xe000, 2);
  b.writeUInt32LE(length, 4);
  return b;
}
const delimiter = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);

test('finds the delimiter however the bytes are split, and not when the object is cut short', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.integer({ min: 0, max: 40 }).map((n) => n * 2),
        { maxLength: 6 },
      ),
      fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 8 }),
      fc.boolean(),
      (lengths, cuts, truncate) => {
        const prefix = Buffer.alloc(10, 1);
        const whole = Buffer.concat([prefix, item(0), ...lengths.map(item), delimiter, Buffer.alloc(6, 7)]);
        const bytes = truncate ? whole.subarray(0, whole.byteLength - 10) : whole;
        const walker = new FragmentWalker(prefix.byteLength);
        let offset = 0;
        let k = 0;
        while (offset < bytes.byteLength) {
          const size = cuts[k++ % cuts.length]!;
          walker.feed(bytes.subarray(offset, offset + size), offset);
          offset += size;
        }
        assert.equal(walker.error, undefined);
        assert.equal(walker.done, !truncate);
      },
    ),
  );
});

test('something other than an item inside the fragments is an error', () => {
  const walker = new FragmentWalker(0);
  walker.feed(Buffer.from([0x10, 0x00, 0x10, 0x00, 2, 0, 0, 0]), 0);
  assert.match(walker.error ?? '', /other than a fragment item/);
});
