import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storeCases } from '../../test/support/stores.ts';
import { HUB, startWorklistBed } from '../../test/support/worklist.ts';
import { seedDemoReviewAndBoard } from './demo-seed.ts';

const sqlite = (await storeCases()).find((c) => c.name === 'sqlite')!;

test('the demo seeds sampling settings and an upcoming board, then fills it with two cases once they exist', async () => {
  const env = await sqlite.open();
  const bed = await startWorklistBed(env);
  try {
    await bed.token('coordinator', ['coordinator']);
    await bed.token('ada', ['radiologist']);
    const { confer } = bed;
    const deps = { db: confer.store.db, peerReview: confer.peerReview, boards: confer.boards };
    const seeded = await seedDemoReviewAndBoard(deps, bed.clock, ['coordinator', 'ada', 'not-a-user']);
    const settings = await confer.peerReview.settings();
    assert.equal(settings.rate, 0.2);
    assert.deepEqual(settings.byModality, { CT: 0.3 });
    assert.equal(settings.anonymise, true);
    const session = await confer.store.db
      .selectFrom('board_sessions')
      .selectAll()
      .where('id', '=', seeded.boardId!)
      .executeTakeFirstOrThrow();
    // 2026-03-10T14:00Z: tomorrow at 08:00 in London is 08:00Z (GMT).
    assert.equal(new Date(Number(session.starts_at)).toISOString(), '2026-03-11T08:00:00.000Z');
    const members = await confer.store.db.selectFrom('board_members').select('username').execute();
    assert.deepEqual(members.map((m) => m.username).sort(), ['ada', 'coordinator']);

    assert.equal(await seeded.fill(), 0, 'no cases yet');
    await bed.newCase({ site: HUB });
    assert.equal(await seeded.fill(), 1);
    await bed.newCase({ site: HUB });
    await bed.newCase({ site: HUB });
    assert.equal(await seeded.fill(), 1);
    assert.equal(await seeded.fill(), 0, 'two cases: done');
    // Seeding again (a restart) finds what is there and adds nothing.
    const again = await seedDemoReviewAndBoard(deps, bed.clock, ['coordinator']);
    assert.equal(again.boardId, seeded.boardId);
    assert.equal(await again.fill(), 0);
    assert.equal((await confer.store.db.selectFrom('board_cases').select('id').execute()).length, 2);
  } finally {
    await bed.close();
    await env.cleanup();
  }
});
