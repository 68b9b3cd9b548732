import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '@confer/core';
import { storeCases } from '../../test/support/stores.ts';
import {
  bearer,
  HUB,
  startWorklistBed,
  testRoutingConfig,
  type WorklistBed,
} from '../../test/support/worklist.ts';
import { Rng } from '../synthetic/index.ts';

const READERS = 30;
const CASES = 40;
const CLAIMS = 400;

/** Thirty readers on the round-the-clock shift, all eligible for hub cases, so every claim is a real contest. */
function crowdConfig() {
  const base = testRoutingConfig();
  const template = base.readers[1]!;
  const readers = Array.from({ length: READERS }, (_, i) => ({
    ...template,
    id: `r-${String(i).padStart(2, '0')}`,
    name: `Dr Reader ${i}`,
    username: `reader${String(i).padStart(2, '0')}`,
    maxConcurrent: CASES,
  }));
  return {
    ...base,
    readers,
    pools: [],
    rules: base.rules.filter((r) => r.id === 'shared'),
    rosters: readers.map((r) => ({ readerId: r.id, shiftId: 'round-the-clock', from: '2020-01-01' })),
  };
}

const pgCase = (await storeCases()).find((c) => c.name === 'postgres')!;

describe('two Confer nodes on one PostgreSQL', { skip: pgCase.skip }, () => {
  test(`${CLAIMS} concurrent claims from ${READERS} readers over both nodes: no case claimed twice, none lost`, async () => {
    const env = await pgCase.open();
    const clock = new ManualClock('2026-03-10T14:00:00Z');
    let a: WorklistBed | undefined;
    let b: WorklistBed | undefined;
    try {
      a = await startWorklistBed(env, { routing: crowdConfig(), clock, node: 'node-a' });
      b = await startWorklistBed(env, { clock, node: 'node-b' });
      assert.equal(b.confer.routing.current()?.version, 1, 'node B runs the rules node A saved');

      for (let i = 0; i < CASES; i++) await a.storeStudy({ site: HUB, seed: `two-nodes-${i}` });
      await a.confer.tick();
      const cases = await a.confer.store.db.selectFrom('cases').select(['id', 'state']).execute();
      assert.equal(cases.length, CASES);
      assert.ok(cases.every((c) => c.state === 'ready'));

      const tokens: string[] = [];
      for (let i = 0; i < READERS; i++) {
        const username = `reader${String(i).padStart(2, '0')}`;
        tokens.push(await (i % 2 ? b : a).token(username, ['radiologist']));
      }
      const urls = [a.confer.httpUrl, b.confer.httpUrl];
      const seenOnB = new Set<string>();
      b.confer.bus.subscribe((m) => {
        if (m.type === 'case:changed' && m.summary.state === 'in-read') seenOnB.add(m.summary.id);
      });
      const rng = new Rng('claim-storm');
      const attempts = Array.from({ length: CLAIMS }, () => ({
        node: rng.int(0, 1),
        reader: rng.int(0, READERS - 1),
        caseId: cases[rng.int(0, CASES - 1)]!.id,
      }));
      const results = await Promise.all(
        attempts.map(async (t) => {
          const res = await fetch(`${urls[t.node]}/api/cases/${t.caseId}/claim`, {
            method: 'POST',
            headers: bearer(tokens[t.reader]!),
          });
          const body = (await res.json()) as { code?: string; case?: { ownerId: string } };
          return { ...t, status: res.status, body };
        }),
      );
      for (const r of results)
        assert.ok(
          r.status === 200 || (r.status === 409 && r.body.code === 'CONFER_ERR_CASE_ALREADY_CLAIMED'),
          `unexpected ${r.status} ${JSON.stringify(r.body)}`,
        );

      const winners = new Map<string, Set<string>>();
      for (const r of results.filter((x) => x.status === 200)) {
        const set = winners.get(r.caseId) ?? new Set<string>();
        set.add(`r-${String(r.reader).padStart(2, '0')}`);
        winners.set(r.caseId, set);
      }
      const attempted = new Set(attempts.map((t) => t.caseId));
      const rows = await a.confer.store.db.selectFrom('cases').selectAll().execute();
      for (const row of rows) {
        const w = winners.get(row.id);
        if (!attempted.has(row.id)) {
          assert.equal(row.state, 'ready', `${row.id} was never claimed and stays on the worklist`);
          continue;
        }
        assert.equal(
          w?.size,
          1,
          `${row.id} claimed by exactly one reader (got ${[...(w ?? [])].join(', ')})`,
        );
        assert.equal(row.state, 'in-read');
        assert.equal(row.owner_id, [...w!][0]);
        const claimedEvents = await a.confer.store.db
          .selectFrom('case_events')
          .select('id')
          .where('case_id', '=', row.id)
          .where('type', '=', 'case:claimed')
          .execute();
        assert.equal(claimedEvents.length, 1, `${row.id} has one claim in its timeline`);
      }
      // Node B's live streams learn of node A's claims at once: PostgreSQL notifies B on each commit, and B
      // reads the change from the shared event log (no tick needed).
      const nodeB = b;
      const claimedOnA = new Set(
        results.filter((r) => r.status === 200 && r.node === 0).map((r) => r.caseId),
      );
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`node B saw ${seenOnB.size} of ${claimedOnA.size}`)),
          10_000,
        );
        const check = () => {
          if ([...claimedOnA].every((id) => seenOnB.has(id))) {
            clearTimeout(timer);
            resolve();
          }
        };
        nodeB.confer.bus.subscribe(check);
        check();
      });

      // A routing change saved on node A is live on node B without a restart or a tick.
      const live = new Promise<number>((resolve) =>
        nodeB.confer.routing.subscribe((v) => resolve(v.version)),
      );
      await a.confer.routing.save({ ...crowdConfig(), workWeights: { CR: 2 } }, 'test', 'weights');
      assert.equal(await live, 2);
    } finally {
      await b?.close();
      await a?.close();
      await env.cleanup();
    }
  });
});
