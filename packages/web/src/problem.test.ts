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
