/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProblemError, problemFromResponse } from './problem.ts';

test('a problem+json body is shown as the server wrote it', () => {
  const body = JSON.stringify({
    type: 'https://confer.dev/problems/invalid-credentials',
    title: 'Sign-in failed',
    status: 401,
    detail: 'The username or password is wrong.',
    code: 'CONFER_ERR_AUTH_INVALID_CREDENTIALS',
  });
  assert.deepEqual(problemFromResponse(401, 'application/problem+json; charset=utf-8', body), {
    type: 'https://confer.dev/problems/invalid-credentials',
    title: 'Sign-in failed',
    status: 401,
    detail: 'The username or password is wrong.',
    code: 'CONFER_ERR_AUTH_INVALID_CREDENTIALS',
  });
});

test('a partial JSON body is completed from the status', () => {
  const problem = problemFromResponse(403, 'application/json', '{"code":"CONFER_ERR_FORBIDDEN"}');
  assert.equal(problem.title, 'Not allowed');
  assert.equal(problem.status, 403);
  assert.equal(problem.code, 'CONFER_ERR_FORBIDDEN');
  assert.match(problem.detail ?? '', /permission/);
});

test('an HTML error page from a proxy becomes a plain description of the status', () => {
  const problem = problemFromResponse(502, 'text/html', '<html>Bad Gateway</html>');
  assert.equal(problem.title, 'Server error');
  assert.equal(problem.status, 502);
  assert.equal(problem.code, undefined);
});

test('a body that claims to be JSON but is not does not throw', () => {
  const problem = problemFromResponse(500, 'application/problem+json', '{oops');
  assert.equal(problem.title, 'Server error');
});

test('ProblemError carries the problem and its status', () => {
  const error = new ProblemError({
    type: 'about:blank',
    title: 'Not found',
    status: 404,
    detail: 'No such study.',
  });
  assert.equal(error.status, 404);
  assert.equal(error.message, 'Not found: No such study.');
  assert.ok(error instanceof Error);
});

test('validation errors and extension members are kept for the screen to show', () => {
  const body = JSON.stringify({
    title: 'Invalid routing configuration',
    status: 422,
    detail: 'the routing configuration is invalid',
    code: 'CONFER_ERR_ROUTING_CONFIG_INVALID',
    errors: [{ path: 'rules[0].then.target', message: 'unknown pool p-9' }, { nonsense: true }, 'x'],
    ownerId: 'r-2',
    since: '2024-07-01T10:00:00.000Z',
  });
  const problem = problemFromResponse(422, 'application/problem+json', body);
  assert.deepEqual(problem.errors, [{ path: 'rules[0].then.target', message: 'unknown pool p-9' }]);
  assert.deepEqual(problem.extensions, { ownerId: 'r-2', since: '2024-07-01T10:00:00.000Z' });
});
