import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ManualClock } from '@confer/core';
import { archiveServices } from '../../test/support/archive.ts';
import { storeCases } from '../../test/support/stores.ts';
import { type Actor, Protocol } from './ports.ts';
import { StudyCompletionMonitor } from './study-completion.ts';

const fixtures = join(import.meta.dirname, '../../test/fixtures/pydicom');
const ae: Actor = { kind: 'ae', id: 'CT1', name: 'CT1', roles: ['modality'], siteId: 'north' };
const origin = { protocol: Protocol.Dimse, remoteAddress: '127.0.0.1', callingAe: 'CT1' };

for (const c of await storeCases()) {
  describe(`study:complete on ${c.name}`, { skip: c.skip }, () => {
    test('announced once after the quiet period, again after new images, and never lost by a restart', async () => {
      const env = await c.open();
      try {
        const clock = new ManualClock('2026-05-01T10:00:00Z');
        const { ingest } = await archiveServices(env, { clock });
        const store = (name: string) =>
          ingest.store({
            body: createReadStream(join(fixtures, name)),
            framing: 'part10',
            actor: ae,
            origin,
          });
        assert.ok((await store('CT_small.dcm')).ok);

        const monitor = new StudyCompletionMonitor({ db: env.store.db, clock, quietPeriodMs: 60_000 });
        const heard: string[] = [];
        const unsubscribe = monitor.subscribe((e) => heard.push(e.studyUid));
        clock.advance(59_999);
        assert.deepEqual(await monitor.tick(), [], 'not before the quiet period has passed');

        // A restart: a new monitor over the same database, with nothing in memory.
        const restarted = new StudyCompletionMonitor({ db: env.store.db, clock, quietPeriodMs: 60_000 });
        clock.advance(1);
        const [event] = await restarted.tick();
        assert.ok(event);
        assert.equal(event.siteId, 'north');
        assert.deepEqual(event.modalities, ['CT']);
        assert.equal(event.numInstances, 1);
        assert.deepEqual(await monitor.tick(), [], 'announced exactly once');
        assert.deepEqual(heard, [], 'listeners hear only their own node');
        unsubscribe();

        // More images reopen the study; it is announced again after the next quiet period.
        assert.ok((await store('CT_small.dcm')).ok, 'a duplicate does not reopen it');
        clock.advance(120_000);
        assert.deepEqual(await monitor.tick(), []);
        const log = await monitor.readSince(0);
        assert.equal(log.length, 1);
        assert.equal(log[0]?.studyUid, event.studyUid);
        assert.deepEqual(await monitor.readSince(log[0]!.eventId), []);
      } finally {
        await env.cleanup();
      }
    });
  });
}
