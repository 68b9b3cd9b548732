import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '@confer/core';
import { archiveServices } from '../../test/support/archive.ts';
import { storeCases } from '../../test/support/stores.ts';
import { AuditLog } from '../archive/audit-log.ts';
import { AccessService } from '../auth/access-service.ts';
import { loadConfig } from '../config/config.ts';
import { buildApp } from './app.ts';

for (const c of await storeCases()) {
  describe(`sign-in, sessions, tokens and the audit API on ${c.name}`, { skip: c.skip }, () => {
    test('passwords, cookies, tokens, roles and problem+json errors', async () => {
      const env = await c.open();
      try {
        const clock = new ManualClock('2026-06-01T09:00:00Z');
        const { audit, ingest, query, retrieve } = await archiveServices(env, { clock });
        const access = new AccessService({ db: env.store.db, clock, sessionTtlMs: 3600_000 });
        const app = await buildApp({
          config: loadConfig({ CONFER_DATA_DIR: env.dataDir }),
          clock,
          store: env.store,
          access,
          audit,
          ingest,
          query,
          retrieve,
          version: 'test',
        });
        await access.createUser({ username: 'admin', password: 'correct horse battery', roles: ['admin'] });
        await access.createUser({ username: 'dr.lee', password: 'radiology-rocks', roles: ['radiologist'] });

        const missing = await app.inject({ method: 'GET', url: '/api/no-such-thing' });
        assert.equal(missing.statusCode, 404);
        assert.equal(missing.json().code, 'CONFER_ERR_NOT_FOUND', 'unknown API paths are problem+json too');

        const anonymous = await app.inject({ method: 'GET', url: '/api/auth/me' });
        assert.equal(anonymous.statusCode, 401);
        assert.match(anonymous.headers['content-type'] ?? '', /application\/problem\+json/);
        assert.equal(anonymous.json().code, 'CONFER_ERR_UNAUTHENTICATED');

        const wrong = await app.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: 'admin', password: 'nope-nope-nope' },
        });
        assert.equal(wrong.statusCode, 401);
        assert.equal(wrong.json().code, 'CONFER_ERR_INVALID_CREDENTIALS');
        const unknown = await app.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: 'ghost', password: 'nope-nope-nope' },
        });
        assert.equal(
          unknown.json().detail,
          wrong.json().detail,
          'an unknown user and a wrong password look the same',
        );

        const login = await app.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: 'dr.lee', password: 'radiology-rocks' },
        });
        assert.equal(login.statusCode, 200);
        const setCookie = String(login.headers['set-cookie']);
        assert.match(setCookie, /HttpOnly/);
        assert.match(setCookie, /SameSite=Strict/);
        const cookie = setCookie.split(';')[0]!;
        const me = await app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } });
        assert.equal(me.statusCode, 200);
        assert.deepEqual(me.json().user.roles, ['radiologist']);
        assert.equal(me.headers['cache-control'], 'no-store');

        const forbidden = await app.inject({ method: 'GET', url: '/api/audit', headers: { cookie } });
        assert.equal(forbidden.statusCode, 403);
        assert.equal(forbidden.json().code, 'CONFER_ERR_FORBIDDEN');

        clock.advance(3600_001);
        assert.equal(
          (await app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } })).statusCode,
          401,
          'sessions expire',
        );

        const { id, token } = await access.createToken({ name: 'script', username: 'admin' });
        const bearer = { authorization: `Bearer ${token}` };
        const events = await app.inject({ method: 'GET', url: '/api/audit', headers: bearer });
        assert.equal(events.statusCode, 200);
        const actions = events
          .json()
          .events.map((e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`);
        assert.ok(actions.includes('sign-in:failure') && actions.includes('sign-in:success'));
        const verify = await app.inject({ method: 'GET', url: '/api/audit/verify', headers: bearer });
        assert.equal(verify.json().brokenAtId, null);

        await access.revokeToken(id);
        const revoked = await app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer });
        assert.equal(revoked.statusCode, 401);
        assert.match(revoked.json().detail, /revoked/);
        const malformed = await app.inject({
          method: 'GET',
          url: '/api/auth/me',
          headers: { authorization: 'Basic abc' },
        });
        assert.equal(malformed.statusCode, 401);

        await access.setDisabled('dr.lee', true);
        const again = await app.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { username: 'dr.lee', password: 'radiology-rocks' },
        });
        assert.equal(again.statusCode, 401, 'disabled users cannot sign in');
        await app.close();
      } finally {
        await env.cleanup();
      }
    });

    test('the audit chain detects an edited row', async () => {
      const env = await c.open();
      try {
        const audit = new AuditLog(env.store.db, env.store.dialect, new ManualClock());
        const base = {
          actor: { kind: 'user' as const, id: '1', name: 'u' },
          origin: { protocol: 'api' as const, remoteAddress: '::1' },
        };
        for (const action of ['a', 'b', 'c']) await audit.record({ ...base, action, outcome: 'success' });
        assert.deepEqual(await audit.verify(), { rows: 3, brokenAtId: null });
        const second = (await audit.list({ limit: 3 }))[1]!;
        await env.store.db
          .updateTable('audit_events')
          .set({ actor_name: 'someone else' })
          .where('id', '=', second.id)
          .execute();
        assert.deepEqual(await audit.verify(), { rows: 1, brokenAtId: second.id });
      } finally {
        await env.cleanup();
      }
    });
  });
}
