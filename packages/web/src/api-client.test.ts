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

test('case actions without a body send none; those with one send JSON', async () => {
  const summary = { id: 'C-1', state: 'in-read' };
  const { fetch, calls } = fakeFetch(() => Response.json({ case: summary }));
  const api = createConferApi({ fetch });
  assert.deepEqual(await api.caseAction('C-1', 'claim'), summary);
  assert.equal(calls[0]?.url, '/api/cases/C-1/claim');
  assert.equal(calls[0]?.init?.method, 'POST');
  assert.equal(calls[0]?.init?.body, undefined);
  assert.equal(new Headers(calls[0]?.init?.headers).get('Content-Type'), null);
  await api.caseAction('C-1', 'reassign', { readerId: null, reason: 'leave' });
  assert.equal(calls[1]?.init?.body, '{"readerId":null,"reason":"leave"}');
  assert.equal(new Headers(calls[1]?.init?.headers).get('Content-Type'), 'application/json');
});

test('a refused claim is a ProblemError carrying the owner', async () => {
  const body = {
    title: 'Case already claimed',
    status: 409,
    detail: 'Case C-1 is in read by r-2 since 10:02; ask a coordinator to reassign it',
    code: 'CONFER_ERR_CASE_ALREADY_CLAIMED',
    ownerId: 'r-2',
    since: 1719828120000,
  };
  const { fetch } = fakeFetch(
    () => new Response(JSON.stringify(body), { status: 409, headers: problemJson }),
  );
  await assert.rejects(createConferApi({ fetch }).caseAction('C-1', 'claim'), (error: unknown) => {
    assert.ok(error instanceof ProblemError);
    assert.equal(error.problem.code, 'CONFER_ERR_CASE_ALREADY_CLAIMED');
    assert.equal(error.problem.extensions?.ownerId, 'r-2');
    return true;
  });
});

test('the worklist, next case and a section save use the documented paths', async () => {
  const { fetch, calls } = fakeFetch((url) => {
    if (url.startsWith('/api/worklist?')) return Response.json({ cases: [], more: true });
    if (url === '/api/worklist/next') return Response.json({ case: { id: 'C-2' } });
    return Response.json({ version: 7, warnings: ['pool p is empty', 3] });
  });
  const api = createConferApi({ fetch });
  assert.deepEqual(await api.worklist(new URLSearchParams({ state: 'ready', limit: '200' })), {
    cases: [],
    more: true,
  });
  assert.equal(calls[0]?.url, '/api/worklist?state=ready&limit=200');
  assert.equal((await api.nextCase('priority,-slaDueAt')).id, 'C-2');
  assert.equal(calls[1]?.init?.body, '{"sort":"priority,-slaDueAt"}');
  assert.deepEqual(await api.saveRoutingSection('rules', [], ' tidy up '), {
    version: 7,
    warnings: ['pool p is empty'],
  });
  assert.equal(calls[2]?.url, '/api/routing/config/rules?comment=tidy%20up');
  assert.equal(calls[2]?.init?.method, 'PUT');
  assert.equal(calls[2]?.init?.body, '[]');
});
