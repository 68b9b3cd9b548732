import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '@confer/core';
import type { Kysely } from 'kysely';
import { startTestApp, type TestApp } from '../../test/support/app.ts';
import { storeCases } from '../../test/support/stores.ts';
import type { Database } from '../store/schema.ts';
import { planCohort } from '../synthetic/index.ts';
import type { Actor } from './ports.ts';
import { ArchiveRetrieveService, RetrieveAction } from './retrieve-service.ts';

const [study] = planCohort({
  studies: 1,
  seed: 'retrieve-recent-rows',
  protocol: 'ct-abdomen-pelvis',
  slices: 3,
  tiny: true,
  from: new Date('2026-03-02T00:00:00Z'),
  spanDays: 1,
});
const axial = study!.series.reduce((a, b) => (b.instanceCount > a.instanceCount ? b : a));
const files = [...study!.instances()].filter((i) => i.seriesUid === axial.seriesUid);
const viewer: Actor = { kind: 'token', id: '9', name: 'viewer/test', roles: ['radiologist'], siteId: null };
const origin = { protocol: 'dicomweb', remoteAddress: '127.0.0.1' } as const;

/** The database, counting the queries run outside transactions (the instance lookups). */
function counting(db: Kysely<Database>) {
  const seen = { queries: 0 };
  // A Proxy, not Object.create: Kysely's methods read private fields of their own instance.
  const proxy = new Proxy(db, {
    get(target, key) {
      if (key === 'executeQuery') {
        return (q: Parameters<Kysely<Database>['executeQuery']>[0]) => {
          seen.queries++;
          return target.executeQuery(q);
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db: proxy, seen };
}

for (const c of await storeCases()) {
  describe(`retrieve service on ${c.name}`, { skip: c.skip }, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ storeCase: c });
      const boundary = 'rs-boundary';
      const r = await t.app.inject({
        method: 'POST',
        url: '/dicomweb/studies',
        headers: {
          ...t.auth,
          'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
        },
        payload: Buffer.concat([
          ...files.flatMap((f) => [
            Buffer.from(`\r\n--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
            f.part10,
          ]),
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]),
      });
      assert.equal(r.statusCode, 200, r.body);
    });
    after(async () => {
      await t?.close();
    });

    test("a series' rows serve its frame lookups for 60 s, for that study and series only", async () => {
      const clock = new ManualClock('2026-03-02T09:00:00Z');
      const { db, seen } = counting(t.deps.store.db);
      const retrieve = new ArchiveRetrieveService({ db, blobs: t.blobs, audit: t.deps.audit, clock });
      const base = { studyUid: study!.studyUid, actor: viewer, origin };
      const frame = (sop: string, seriesUid = axial.seriesUid) =>
        retrieve.find({ ...base, seriesUid, sopInstanceUid: sop, action: RetrieveAction.Frames });
      const sop = files[1]!.sopInstanceUid;

      const fromDb = await frame(sop);
      assert.equal(seen.queries, 1);
      const series = await retrieve.find({
        ...base,
        seriesUid: axial.seriesUid,
        action: RetrieveAction.Metadata,
      });
      assert.equal(series.length, 3);
      assert.equal(seen.queries, 2);
      for (const f of files) {
        const [row] = await frame(f.sopInstanceUid);
        assert.equal(row?.sopInstanceUid, f.sopInstanceUid);
      }
      assert.equal(seen.queries, 2, 'the frame lookups after the series read no rows');
      assert.deepEqual(await frame(sop), fromDb);

      // Another series in the path finds nothing, from the database.
      assert.deepEqual(await frame(sop, `${axial.seriesUid}.9`), []);
      assert.equal(seen.queries, 3);
      clock.advance(60_000);
      assert.deepEqual(await frame(sop), fromDb);
      assert.equal(seen.queries, 4, 'after 60 s the rows are read again');
    });

    test('a caller without archive:read is refused even when the rows are at hand', async () => {
      const clock = new ManualClock('2026-03-02T09:00:00Z');
      const retrieve = new ArchiveRetrieveService({
        db: t.deps.store.db,
        blobs: t.blobs,
        audit: t.deps.audit,
        clock,
      });
      const base = { studyUid: study!.studyUid, seriesUid: axial.seriesUid, origin };
      await retrieve.find({ ...base, actor: viewer, action: RetrieveAction.Metadata });
      await assert.rejects(
        retrieve.find({
          ...base,
          sopInstanceUid: files[0]!.sopInstanceUid,
          actor: { ...viewer, id: '10', roles: [] },
          action: RetrieveAction.Frames,
        }),
        /may not retrieve/,
      );
    });
  });
}
