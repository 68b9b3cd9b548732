import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBoardPath, presentHref } from './boards-api.ts';

test('board paths: the list, a session, its presentation at a case', () => {
  assert.deepEqual(parseBoardPath('#/boards'), { view: 'list' });
  assert.deepEqual(parseBoardPath('#/boards/B-12'), { view: 'session', id: 'B-12' });
  assert.deepEqual(parseBoardPath('#/boards/B-12/present'), { view: 'present', id: 'B-12', caseId: null });
  assert.deepEqual(parseBoardPath(presentHref('B-12', 'C-AB')), {
    view: 'present',
    id: 'B-12',
    caseId: 'C-AB',
  });
  assert.deepEqual(parseBoardPath('#/boards/%E0%A4%A'), { view: 'list' });
});
