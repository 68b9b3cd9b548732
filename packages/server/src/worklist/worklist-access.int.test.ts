import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { storeCases } from '../../test/support/stores.ts';
import { bearer, HUB, startWorklistBed, testRoutingConfig } from '../../test/support/worklist.ts';
import { loadConfig } from '../config/config.ts';
import { startConfer } from '../main.ts';

const sqlite = (await storeCases()).find((c) => c.name === 'sqlite')!;

test('every worklist route checks the role: anonymous 401, a referrer 403, the right role 2xx', async () => {
  const env = await sqlite.open();
  const bed = await startWorklistBed(env);
  try {
    const { app } = bed.confer;
    const caseId = await bed.newCase({ site: HUB });
    const study = (await bed.confer.worklist.row(caseId))!.study_uid;
    const referrer = await bed.token('rita', ['referrer']);
    const routes: {
      method: 'GET' | 'POST' | 'PUT';
      url: string;
      payload?: unknown;
      allowed: [string, string[]];
    }[] = [
      { method: 'GET', url: '/api/worklist', allowed: ['ben', ['radiologist']] },
      { method: 'GET', url: '/api/worklist/stream', allowed: ['', []] },
      { method: 'POST', url: '/api/worklist/next', payload: {}, allowed: ['ben', ['radiologist']] },
      { method: 'GET', url: `/api/cases/${caseId}`, allowed: ['ben', ['radiologist']] },
      { method: 'POST', url: `/api/cases/${caseId}/claim`, allowed: ['ben', ['radiologist']] },
      {
        method: 'POST',
        url: `/api/cases/${caseId}/reassign`,
        payload: { readerId: null },
        allowed: ['olive', ['coordinator']],
      },
      {
        method: 'POST',
        url: `/api/cases/${caseId}/priority`,
        payload: { priority: 'urgent', reason: 'asked' },
        allowed: ['olive', ['coordinator']],
      },
      { method: 'GET', url: '/api/queues', allowed: ['olive', ['coordinator']] },
      { method: 'GET', url: '/api/readers', allowed: ['ben', ['radiologist']] },
      { method: 'GET', url: '/api/routing/config', allowed: ['olive', ['coordinator']] },
      { method: 'GET', url: '/api/routing/versions', allowed: ['olive', ['coordinator']] },
      {
        method: 'PUT',
        url: '/api/routing/config',
        payload: testRoutingConfig(),
        allowed: ['olive', ['coordinator']],
      },
      {
        method: 'POST',
        url: '/api/ai-results',
        payload: { studyInstanceUid: study, source: 'x', finding: 'nothing acute' },
        allowed: ['ai', ['integration']],
      },
    ];
    for (const r of routes) {
      const base = {
        method: r.method,
        url: r.url,
        ...(r.payload !== undefined ? { payload: r.payload as object } : {}),
      };
      const anon = await app.inject(base);
      assert.equal(anon.statusCode, 401, `${r.method} ${r.url} anonymous`);
      const ref = await app.inject({ ...base, headers: bearer(referrer) });
      assert.equal(ref.statusCode, 403, `${r.method} ${r.url} as referrer: ${ref.body}`);
      assert.match(ref.headers['content-type'] ?? '', /problem\+json/);
      if (!r.allowed[0]) continue;
      const ok = await app.inject({ ...base, headers: bearer(await bed.token(r.allowed[0], r.allowed[1])) });
      assert.ok(ok.statusCode < 300, `${r.method} ${r.url} as ${r.allowed[0]}: ${ok.statusCode} ${ok.body}`);
    }
  } finally {
    await bed.close();
    await env.cleanup();
  }
});

test('the OpenAPI document describes the worklist, case, routing and AI routes', async () => {
  const env = await sqlite.open();
  const bed = await startWorklistBed(env);
  try {
    const res = await bed.confer.app.inject({ url: '/api/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.openapi, '3.1.0');
    for (const p of [
      '/api/worklist',
      '/api/worklist/next',
      '/api/worklist/stream',
      '/api/cases/{id}',
      '/api/cases/{id}/claim',
      '/api/cases/{id}/reassign',
      '/api/queues',
      '/api/routing/config',
      '/api/routing/config/{section}',
      '/api/ai-results',
      '/api/fhir/Observation',
    ])
      assert.ok(doc.paths[p], `${p} documented`);
    assert.ok(doc.paths['/api/cases/{id}/reassign'].post.requestBody, 'request bodies are described');
    assert.ok(doc.components.securitySchemes.apiToken);
  } finally {
    await bed.close();
    await env.cleanup();
  }
});

test('a routing file is loaded at start, only when it changed; an invalid one stops the start with its problems', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'confer-routing-file-'));
  try {
    const file = join(dir, 'routing.json');
    await writeFile(file, JSON.stringify(testRoutingConfig()));
    const config = loadConfig(
      { CONFER_DATA_DIR: join(dir, 'data') },
      {
        httpPort: 0,
        dicomPort: 0,
        logLevel: 'silent',
        adminPassword: 'first-admin-password',
        routingFile: file,
      },
    );
    let confer = await startConfer(config, { completionTimer: false });
    assert.equal(confer.routing.current()?.version, 1);
    await confer.close();
    confer = await startConfer(config, { completionTimer: false });
    assert.equal(confer.routing.current()?.version, 1, 'an unchanged file adds no version');
    await confer.close();

    const broken = testRoutingConfig();
    broken.rosters.push({ readerId: 'r-nobody', shiftId: 'round-the-clock', from: '2026-01-01' });
    await writeFile(file, JSON.stringify(broken));
    await assert.rejects(startConfer(config, { completionTimer: false }), (err: Error) => {
      assert.match(err.message, /rosters\[3\]\.readerId/);
      assert.match(err.message, /routing\.json/);
      return true;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
