import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppRoute, parseLocation, studyViewerHref, viewerHref } from '../app-route.ts';

test("a case's viewer link names the case and, for a deep link, the annotation", () => {
  const href = viewerHref('C-1A2B', 'A-00FF');
  assert.equal(href, '#/cases/C-1A2B/viewer?annotation=A-00FF');
  const at = parseLocation(href);
  assert.equal(at.route, AppRoute.Viewer);
  assert.equal(at.caseId, 'C-1A2B');
  assert.equal(at.params.get('annotation'), 'A-00FF');
});

test('the case page is still the case page; a bare study opens the viewer without a case', () => {
  assert.equal(parseLocation('#/cases/C-1A2B').route, AppRoute.Case);
  assert.equal(studyViewerHref('1.2.3'), '#/viewer?study=1.2.3');
  const bare = parseLocation(studyViewerHref('1.2.3'));
  assert.equal(bare.route, AppRoute.Viewer);
  assert.equal(bare.caseId, null);
  assert.equal(bare.params.get('study'), '1.2.3');
});
