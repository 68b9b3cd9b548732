import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '@confer/core';
import { signedReportFixture } from '../../test/support/signed-report.ts';
import { storeCases } from '../../test/support/stores.ts';
import { AuditLog } from '../archive/audit-log.ts';
import { defaultReportDelivery } from './delivery-config.ts';
import { startDemoRis } from './delivery-demo-ris.ts';
import { ReportDeliveryService } from './delivery-service.ts';

test('the demo RIS accepts reports, refuses every eighth once, and the retry gets it through', async () => {
  const sqlite = (await storeCases()).find((c) => c.name === 'sqlite')!;
  const env = await sqlite.open();
  const ris = await startDemoRis('127.0.0.1');
  const clock = new ManualClock('2026-03-10T14:20:00Z');
  const svc = new ReportDeliveryService({
    db: env.store.db,
    clock,
    audit: new AuditLog(env.store.db, env.store.dialect, clock),
    destinations: [ris.destination],
    settings: { ...defaultReportDelivery, retryDelaysMs: [30_000] },
    kickAfterCommit: false,
  });
  try {
    for (let i = 1; i <= 8; i++)
      await env.store.db
        .transaction()
        .execute((trx) => svc.enqueue(trx, signedReportFixture({ reportId: `R-DEMO${i}` })));
    await svc.sendDue();
    const states = async () =>
      (
        await env.store.db
          .selectFrom('report_deliveries')
          .select(['report_id', 'state'])
          .orderBy('id')
          .execute()
      ).map((r) => r.state);
    assert.deepEqual(await states(), [...Array(7).fill('delivered'), 'pending']);
    clock.advance(30_000);
    await svc.sendDue();
    assert.deepEqual(await states(), Array(8).fill('delivered'));
  } finally {
    await svc.close();
    await ris.close();
    await env.cleanup();
  }
});
