import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coreVersion } from './index.ts';

test('core exposes its version', () => {
  assert.match(coreVersion, /^\d+\.\d+\.\d+$/);
});
