/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createConferApi } from './api-client.ts';
import { ProblemError } from './problem.ts';
import { emptyStudyFilters } from './qido-query.ts';

interface Call {
  url: string;
  init: RequestInit | undefined;
}

/** A fetch that answers from a table of responses and records what was asked. */
function fakeFetch(answer: (url: string) => Response) {
  const calls: Call[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    calls.push({ url, init });
    return answer(url);
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

const problemJson = { 'Content-Type': 'application/problem+json' };

test('login posts JSON and returns the user', async () => {
  const { fetch, calls } = fakeFetch(() => Response.json({ user: { username: 'jane', roles: ['admin'] } }));
  const api = createConferApi({ fetch });
  assert.deepEqual(await api.login('jane', 'secret'), { username: 'jane', roles: ['admin'] });
  assert.equal(calls[0]?.url, '/api/auth/login');
  assert.equal(calls[0]?.init?.method, 'POST');
  assert.equal(calls[0]?.init?.body, '{"username":"jane","password":"secret"}');
});

test('a failed login is a ProblemError with the server words and does not expire the session', async () => {
  const body = {
    type: 'about:blank',
    title: 'Sign-in failed',
    status: 401,
    detail: 'Wrong password.',
    code: 'X',
  };
  const { fetch } = fakeFetch(
    () => new Response(JSON.stringify(body), { status: 401, headers: problemJson }),
  );
  const api = createConferApi({ fetch });
  let expired = 0;
  api.onSessionExpired(() => expired++);
  await assert.rejects(api.login('jane', 'nope'), (error: unknown) => {
    assert.ok(error instanceof ProblemError);
    assert.equal(error.problem.detail, 'Wrong password.');
    assert.equal(error.problem.code, 'X');
    return true;
  });
  assert.equal(expired, 0);
});

test('me answers null without a session', async () => {
  const { fetch } = fakeFetch(() => new Response('{}', { status: 401, headers: problemJson }));
  assert.equal(await createConferApi({ fetch }).me(), null);
});

test('a 401 from a data request tells the session listeners, until they unsubscribe', async () => {
  const { fetch } = fakeFetch(() => new Response('', { status: 401 }));
  const api = createConferApi({ fetch });
  let expired = 0;
  const unsubscribe = api.onSessionExpired(() => expired++);
  await assert.rejects(api.system(), ProblemError);
  assert.equal(expired, 1);
  unsubscribe();
  await assert.rejects(api.system(), ProblemError);
  assert.equal(expired, 1);
});

test('searchStudies asks for one extra row to learn whether there is a next page', async () => {
  const rows = [{}, {}, {}];
  const { fetch, calls } = fakeFetch(() => Response.json(rows));
  const page = await createConferApi({ fetch }).searchStudies(emptyStudyFilters, { pageSize: 2, offset: 4 });
  assert.equal(page.datasets.length, 2);
  assert.equal(page.hasMore, true);
  const url = new URL(calls[0]?.url ?? '', 'http://confer.test');
  assert.equal(url.pathname, '/dicomweb/studies');
  assert.equal(url.searchParams.get('limit'), '3');
  assert.equal(url.searchParams.get('offset'), '4');
  assert.match(String(new Headers(calls[0]?.init?.headers).get('Accept')), /application\/dicom\+json/);
});

test('an empty QIDO-RS result may be 204 No Content', async () => {
  const { fetch } = fakeFetch(() => new Response(null, { status: 204 }));
  const page = await createConferApi({ fetch }).searchStudies(emptyStudyFilters, { pageSize: 50, offset: 0 });
  assert.deepEqual(page, { datasets: [], hasMore: false });
});

test('studySeries escapes the UID into the path', async () => {
  const { fetch, calls } = fakeFetch(() => Response.json([]));
  await createConferApi({ fetch }).studySeries('1.2.3');
  assert.equal(calls[0]?.url, '/dicomweb/studies/1.2.3/series?includefield=all');
});

test('an unreachable server is a ProblemError that says so', async () => {
  const fetch = (async () => {
    throw new TypeError('fetch failed');
  }) as typeof globalThis.fetch;
  await assert.rejects(createConferApi({ fetch }).me(), (error: unknown) => {
    assert.ok(error instanceof ProblemError);
    assert.match(error.problem.title, /Cannot reach/);
    return true;
  });
});
