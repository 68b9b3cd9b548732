/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppRoute, caseHref, hrefFor, parseLocation } from './app-route.ts';

test('pages, cases and queries are read from the fragment', () => {
  assert.deepEqual(parseLocation('#/audit').route, AppRoute.Audit);
  const worklist = parseLocation('#/worklist?state=ready%2Cin-read&sort=-priority');
  assert.equal(worklist.route, AppRoute.Worklist);
  assert.equal(worklist.params.get('state'), 'ready,in-read');
  const c = parseLocation('#/cases/C-1A2B%2F3');
  assert.equal(c.route, AppRoute.Case);
  assert.equal(c.caseId, 'C-1A2B/3');
});

test('an empty, unknown or incomplete fragment names no page, so the landing page shows', () => {
  assert.equal(parseLocation('').route, null);
  assert.equal(parseLocation('#/').route, null);
  assert.equal(parseLocation('#/nowhere').route, null);
  assert.equal(parseLocation('#/cases').route, null);
  assert.equal(parseLocation('#/cases/%E0%A4%A').route, null);
});

test('links round-trip', () => {
  assert.equal(hrefFor(AppRoute.Routing), '#/routing');
  assert.equal(hrefFor(AppRoute.Worklist, new URLSearchParams({ mine: 'true' })), '#/worklist?mine=true');
  assert.equal(parseLocation(caseHref('C-9 9')).caseId, 'C-9 9');
});
