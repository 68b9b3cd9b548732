import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '@confer/core';
import type { Kysely } from 'kysely';
import { storeCases } from '../../test/support/stores.ts';
import type { Store } from '../store/database.ts';
import type { Database } from '../store/schema.ts';
import { AuditGroupCommit } from './audit-group-commit.ts';
import { AuditLog } from './audit-log.ts';
import { type AuditEvent, AuditOutcome } from './ports.ts';

const event = (i: number): AuditEvent => ({
  action: 'retrieve-frames',
  actor: { kind: 'token', id: '1', name: 'viewer/bench' },
  origin: { protocol: 'dicomweb', remoteAddress: '127.0.0.1' },
  outcome: AuditOutcome.Success,
  studyUid: '1.2.3',
  patientId: 'P-1',
  detail: `request ${i}`,
});

/** The store's database, counting transactions and failing the ones whose number is in `fail`. */
function counting(db: Kysely<Database>, fail: Set<number>) {
  const seen = { transactions: 0 };
  const proxy = Object.create(db) as Kysely<Database>;
  proxy.transaction = () => {
    const n = ++seen.transactions;
    const builder = db.transaction();
    if (!fail.has(n)) return builder;
    return Object.assign(Object.create(builder), {
      execute: () => Promise.reject(new Error(`disk gone (transaction ${n})`)),
    });
  };
  return { db: proxy, seen };
}

for (const c of await storeCases()) {
  describe(`audit group commit on ${c.name}`, { skip: c.skip }, () => {
    let env: Awaited<ReturnType<typeof c.open>>;
    let store: Store;
    before(async () => {
      env = await c.open();
      store = env.store;
    });
    after(async () => {
      await env?.cleanup();
    });

    test('records arriving during a commit share the next one, in order, each resolved once durable', async () => {
      const log = new AuditLog(store.db, store.dialect, new ManualClock('2026-03-02T08:00:00Z'));
      const { db, seen } = counting(store.db, new Set());
      const sink = new AuditGroupCommit(db, log);
      const before = (await log.verify()).rows;
      const settled: number[] = [];
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          sink.record(event(i)).then(() => {
            settled.push(i);
          }),
        ),
      );
      // The first commits alone at once; the other 19 arrived while it ran and went in together.
      assert.equal(seen.transactions, 2);
      assert.deepEqual(
        settled,
        Array.from({ length: 20 }, (_, i) => i),
      );
      const rows = await log.list({ limit: 20 });
      assert.deepEqual(
        rows.map((r) => r.detail).reverse(),
        Array.from({ length: 20 }, (_, i) => `request ${i}`),
      );
      const chain = await log.verify();
      assert.equal(chain.brokenAtId, null);
      assert.equal(chain.rows, before + 20);
    });

    test('a failed commit rejects every record of its batch and none of another', async () => {
      const log = new AuditLog(store.db, store.dialect, new ManualClock('2026-03-02T08:00:00Z'));
      const { db } = counting(store.db, new Set([2]));
      const sink = new AuditGroupCommit(db, log);
      const before = (await log.verify()).rows;
      const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => sink.record(event(i))));
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'rejected', 'rejected', 'rejected'],
      );
      assert.match(String((results[1] as PromiseRejectedResult).reason), /disk gone/);
      // The sink goes on after a failure.
      await sink.record(event(99));
      const chain = await log.verify();
      assert.equal(chain.brokenAtId, null);
      assert.equal(chain.rows, before + 2);
    });
  });
}
