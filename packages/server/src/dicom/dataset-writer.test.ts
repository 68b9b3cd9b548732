import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readDataset } from './dataset-reader.ts';
import { encodeDataset } from './dataset-writer.ts';
import { TransferSyntax } from './transfer-syntax.ts';

test('AT values (tags as hex digits) round-trip in every native transfer syntax', () => {
  for (const ts of [
    TransferSyntax.ImplicitVRLittleEndian,
    TransferSyntax.ExplicitVRLittleEndian,
    TransferSyntax.ExplicitVRBigEndian,
  ]) {
    const bytes = encodeDataset({ '00000901': { vr: 'AT', Value: ['0020000D', '7FE00010'] } }, ts);
    assert.deepEqual(readDataset(bytes, ts).dataset['00000901']?.Value, ['0020000D', '7FE00010'], ts);
  }
});
