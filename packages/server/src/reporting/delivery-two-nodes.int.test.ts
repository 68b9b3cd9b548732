import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '@confer/core';
import { startMllpListener } from '../../test/support/mllp-listener.ts';
import { signedReportFixture } from '../../test/support/signed-report.ts';
import { storeCases } from '../../test/support/stores.ts';
import { startWorklistBed, type WorklistBed } from '../../test/support/worklist.ts';
import { parseMessage } from '../hl7/message.ts';

const REPORTS = 24;
const pgCase = (await storeCases()).find((c) => c.name === 'postgres')!;

describe('report delivery on two Confer nodes sharing one PostgreSQL', { skip: pgCase.skip }, () => {
  test(`${REPORTS} reports signed on either node reach the RIS once each, woken by NOTIFY`, async () => {
    const env = await pgCase.open();
    const ris = await startMllpListener('AA');
    const clock = new ManualClock('2026-03-10T14:00:00Z');
    const config = {
      reportDestinations: [
        {
          id: 'main-ris',
          type: 'hl7-mllp' as const,
          host: '127.0.0.1',
          port: ris.port,
          receivingApplication: 'RIS',
          receivingFacility: 'H',
        },
      ],
    };
    let a: WorklistBed | undefined;
    let b: WorklistBed | undefined;
    try {
      a = await startWorklistBed(env, { clock, node: 'node-a', config });
      b = await startWorklistBed(env, { clock, node: 'node-b', config });
      const nodes = [a, b];
      // Enqueued as the signing service does, inside its transaction, alternating between the nodes.
      await Promise.all(
        Array.from({ length: REPORTS }, (_, i) => {
          const node = nodes[i % 2]!.confer;
          return node.store.db
            .transaction()
            .execute((trx) =>
              node.deliveries.enqueue(
                trx,
                signedReportFixture({ reportId: `R-TWO${i}`, caseId: `C-TWO${i}` }),
              ),
            );
        }),
      );
      // No tick: the commits' NOTIFY and the local kicks alone must get every report out.
      await ris.waitFor(REPORTS);
      await Promise.all(nodes.map((n) => n.confer.deliveries.idle()));
      // The clockwork on both nodes finds nothing left to send.
      await Promise.all(nodes.map((n) => n.confer.tick()));
      await Promise.all(nodes.map((n) => n.confer.deliveries.idle()));
      assert.equal(ris.received.length, REPORTS);
      const ids = ris.received.map((m) => parseMessage(m).segment('MSH')!.get(10));
      assert.equal(new Set(ids).size, REPORTS);
      const rows = await a.confer.store.db
        .selectFrom('report_deliveries')
        .select(['state', 'attempts'])
        .execute();
      assert.equal(rows.length, REPORTS);
      assert.ok(rows.every((r) => r.state === 'delivered' && r.attempts === 1));
      const attempts = await a.confer.store.db
        .selectFrom('report_delivery_attempts')
        .select('node')
        .execute();
      assert.equal(attempts.length, REPORTS);
    } finally {
      await a?.close();
      await b?.close();
      await ris.close();
      await env.cleanup();
    }
  });
});
