import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type DiffOp, diffStats, diffWords, tokenize } from './word-diff.ts';

const sides = (ops: DiffOp[]) => ({
  a: ops
    .filter((o) => o.kind !== 'added')
    .map((o) => o.text)
    .join(''),
  b: ops
    .filter((o) => o.kind !== 'removed')
    .map((o) => o.text)
    .join(''),
});
/** Tokens kept; counted per run, as runs hold whole tokens and joining them could merge whitespace. */
const sameTokens = (ops: DiffOp[]) =>
  ops.filter((o) => o.kind === 'same').reduce((n, o) => n + tokenize(o.text).length, 0);

/** Text made of a few words, so random pairs share plenty and the diff has work to do. */
const text = fc
  .array(
    fc.oneof(
      fc.constantFrom('no', 'acute', 'bleed', 'mass', 'the', 'left', '12', 'mm.'),
      fc.constantFrom(' ', '\n', '  '),
    ),
    {
      maxLength: 40,
    },
  )
  .map((parts) => parts.join(''));

test('a word changed in a sentence shows as one removal and one addition', () => {
  const ops = diffWords('No acute intracranial haemorrhage.', 'No subacute intracranial haemorrhage.');
  assert.deepEqual(ops, [
    { kind: 'same', text: 'No ' },
    { kind: 'removed', text: 'acute' },
    { kind: 'added', text: 'subacute' },
    { kind: 'same', text: ' intracranial haemorrhage.' },
  ]);
  assert.deepEqual(diffStats(ops), { added: 1, removed: 1 });
});

test('an appended addendum is one addition', () => {
  const ops = diffWords('IMPRESSION:\nNormal.', 'IMPRESSION:\nNormal.\n\nADDENDUM:\nDiscussed with Dr Lee.');
  assert.deepEqual(ops, [
    { kind: 'same', text: 'IMPRESSION:\nNormal.' },
    { kind: 'added', text: '\n\nADDENDUM:\nDiscussed with Dr Lee.' },
  ]);
});

test('identical and empty texts', () => {
  assert.deepEqual(diffWords('a b', 'a b'), [{ kind: 'same', text: 'a b' }]);
  assert.deepEqual(diffWords('', ''), []);
  assert.deepEqual(diffWords('', 'new'), [{ kind: 'added', text: 'new' }]);
  assert.deepEqual(diffWords('old', ''), [{ kind: 'removed', text: 'old' }]);
});

test('past the cell budget the changed middle is replaced wholesale, and both sides still rebuild', () => {
  const a = Array.from({ length: 300 }, (_, i) => `w${i}`).join(' ');
  const b = Array.from({ length: 300 }, (_, i) => `w${(i * 7) % 300}`).join(' ');
  const ops = diffWords(a, b, { maxCells: 1000 });
  assert.deepEqual(sides(ops), { a, b });
  assert.ok(ops.length <= 4);
});

test('property: the kept and removed runs rebuild the old text, the kept and added runs the new one', () => {
  fc.assert(
    fc.property(text, text, (a, b) => {
      const ops = diffWords(a, b);
      assert.deepEqual(sides(ops), { a, b });
      for (let i = 1; i < ops.length; i++) assert.notEqual(ops[i]!.kind, ops[i - 1]!.kind);
      for (const o of ops) assert.notEqual(o.text, '');
    }),
  );
});

test('property: the diff keeps a longest common subsequence (as long both ways, and as a brute-force LCS)', () => {
  const lcs = (x: string[], y: string[]): number => {
    const t = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
    for (let i = 1; i <= x.length; i++)
      for (let j = 1; j <= y.length; j++)
        t[i]![j] = x[i - 1] === y[j - 1] ? t[i - 1]![j - 1]! + 1 : Math.max(t[i - 1]![j]!, t[i]![j - 1]!);
    return t[x.length]![y.length]!;
  };
  fc.assert(
    fc.property(text, text, (a, b) => {
      const kept = sameTokens(diffWords(a, b));
      assert.equal(kept, sameTokens(diffWords(b, a)));
      assert.equal(kept, lcs(tokenize(a), tokenize(b)));
    }),
  );
});

test('property: a text against itself has no changes', () => {
  fc.assert(fc.property(text, (a) => diffWords(a, a).every((o) => o.kind === 'same')));
});
