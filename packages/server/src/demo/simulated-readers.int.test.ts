import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storeCases } from '../../test/support/stores.ts';
import { HUB, startWorklistBed } from '../../test/support/worklist.ts';
import { SimulatedReaders } from './simulated-readers.ts';

test('simulated readers take cases through the worklist, keep their leases alive and finalize; people are left alone', async () => {
  const sqlite = (await storeCases()).find((c) => c.name === 'sqlite')!;
  const env = await sqlite.open();
  const bed = await startWorklistBed(env);
  try {
    const ids = [
      await bed.newCase({ site: HUB }),
      await bed.newCase({ site: HUB }),
      await bed.newCase({ site: HUB }),
    ];
    const sim = new SimulatedReaders({
      worklist: bed.confer.worklist,
      routing: bed.confer.routing,
      clock: bed.clock,
      humanUsernames: ['ada'],
      readMinutes: { min: 3, max: 3 },
      pickChance: 1,
    });
    assert.deepEqual(await sim.step(), { claimed: 2, finalized: 0 });
    const rows = await Promise.all(ids.map((id) => bed.confer.worklist.row(id)));
    const owners = rows
      .map((r) => r!.owner_id)
      .filter(Boolean)
      .sort();
    assert.deepEqual(owners, ['r-ben', 'r-cy'], 'Ada is left to a person');
    // 100 s on they renew their 2-minute leases; 200 s on, past the 3-minute read, they finalize.
    bed.clock.advance(100_000);
    assert.deepEqual(await sim.step(), { claimed: 0, finalized: 0 });
    bed.clock.advance(100_000);
    await bed.confer.tick();
    const done = await sim.step();
    assert.equal(done.finalized, 2);
    const states = (await Promise.all(ids.map((id) => bed.confer.worklist.row(id))))
      .map((r) => r!.state)
      .sort();
    assert.equal(states.filter((s) => s === 'final').length, 2);
    const audit = await bed.confer.store.db
      .selectFrom('audit_events')
      .select('action')
      .where('actor_name', '=', 'ben')
      .execute();
    assert.ok(
      audit.some((a) => a.action === 'case-finalize'),
      "simulated reads are audited like anyone's",
    );
  } finally {
    await bed.close();
    await env.cleanup();
  }
});
