import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '@confer/core';
import type { Kysely } from 'kysely';
import { storeCases } from '../../test/support/stores.ts';
import type { Database } from '../store/schema.ts';
import { AuditGroupCommit } from './audit-group-commit.ts';
import { AuditLog } from './audit-log.ts';
import { FRAME_AUDIT_WINDOW_MS, FrameAccessAudit } from './frame-access-audit.ts';
import { type AuditEvent, AuditOutcome } from './ports.ts';

const frames = (actorId: string, sop: string): AuditEvent => ({
  action: 'retrieve-frames',
  actor: { kind: 'token', id: actorId, name: `viewer-${actorId}` },
  origin: { protocol: 'dicomweb', remoteAddress: '10.0.0.7' },
  outcome: AuditOutcome.Success,
  studyUid: '1.2.3',
  patientId: 'P-1',
  detail: `instance ${sop}: 1 instance(s)`,
});

/** The database with its transactions failing while `failing.on` is set. */
function failable(db: Kysely<Database>) {
  const failing = { on: false };
  const proxy = Object.create(db) as Kysely<Database>;
  proxy.transaction = () => {
    const builder = db.transaction();
    if (!failing.on) return builder;
    return Object.assign(Object.create(builder), {
      execute: () => Promise.reject(new Error('disk gone')),
    });
  };
  return { db: proxy, failing };
}

for (const c of await storeCases()) {
  describe(`frame access audit on ${c.name}`, { skip: c.skip }, () => {
    let env: Awaited<ReturnType<typeof c.open>>;
    before(async () => {
      env = await c.open();
    });
    after(async () => {
      await env?.cleanup();
    });

    const setup = () => {
      const clock = new ManualClock('2026-03-02T08:00:00Z');
      const log = new AuditLog(env.store.db, env.store.dialect, clock);
      const { db, failing } = failable(env.store.db);
      const audit = new FrameAccessAudit({ sink: new AuditGroupCommit(db, log), clock });
      const rows = async () =>
        (await log.list({ limit: 1000 })).filter((r) => r.action === 'retrieve-frames');
      return { clock, log, audit, failing, rows };
    };

    test("a series' frames in one window share one durable record; the next record counts what it covered", async () => {
      const { clock, log, audit, rows } = setup();
      const before = (await rows()).length;
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => audit.record(frames('1', `1.2.3.4.${i}`), '1.2.3.4')),
      );
      let written = (await rows()).slice(0, (await rows()).length - before);
      assert.equal(written.length, 1);
      assert.match(written[0]!.detail!, /^instance 1\.2\.3\.4\.0: 1 instance\(s\); this record covers/);
      assert.equal(written[0]!.actor, 'viewer-1');
      assert.equal(written[0]!.patientId, 'P-1');

      // Other callers and other series are not covered by it.
      await audit.record(frames('2', '1.2.3.4.0'), '1.2.3.4');
      await audit.record(frames('1', '1.2.3.5.0'), '1.2.3.5');
      assert.equal((await rows()).length - before, 3);

      // Inside the window: still covered; after it: a new record, saying the last one covered 9 + 1 more.
      clock.advance(FRAME_AUDIT_WINDOW_MS - 1);
      await audit.record(frames('1', '1.2.3.4.7'), '1.2.3.4');
      assert.equal((await rows()).length - before, 3);
      clock.advance(1);
      await audit.record(frames('1', '1.2.3.4.8'), '1.2.3.4');
      written = await rows();
      assert.equal(written.length - before, 4);
      assert.match(
        written[0]!.detail!,
        /the previous record \(from 2026-03-02T08:00:00\.000Z\) covered 10 further request/,
      );
      assert.equal((await log.verify()).brokenAtId, null);
    });

    test('no request is answered before its record is durable: a failed record fails its whole window', async () => {
      const { audit, failing, rows } = setup();
      const before = (await rows()).length;
      failing.on = true;
      const results = await Promise.allSettled(
        Array.from({ length: 4 }, (_, i) => audit.record(frames('3', `1.2.9.${i}`), '1.2.9')),
      );
      assert.deepEqual(
        results.map((r) => r.status),
        ['rejected', 'rejected', 'rejected', 'rejected'],
      );
      assert.equal((await rows()).length, before);
      // The window closed with its failure: the next request writes a record again.
      failing.on = false;
      await audit.record(frames('3', '1.2.9.0'), '1.2.9');
      assert.equal((await rows()).length, before + 1);
    });
  });
}
