import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { ManualClock, type SignedReport } from '@confer/core';
import pino from 'pino';
import {
  type ListenerAnswer,
  type MllpListener,
  startMllpListener,
} from '../../test/support/mllp-listener.ts';
import { signedReportFixture } from '../../test/support/signed-report.ts';
import { storeCases } from '../../test/support/stores.ts';
import { AuditLog } from '../archive/audit-log.ts';
import { parseMessage } from '../hl7/message.ts';
import type { Store } from '../store/database.ts';
import { listenForOtherNodes } from '../store/listen.ts';
import {
  defaultReportDelivery,
  type ReportDeliverySettings,
  type ReportDestinationConfig,
} from './delivery-config.ts';
import { DELIVERY_CHANNEL, type DeliveryFailure, ReportDeliveryService } from './delivery-service.ts';

const coordinator = { kind: 'user' as const, id: '1', name: 'cora', roles: ['coordinator'], siteId: null };
const origin = { protocol: 'api' as const, remoteAddress: '127.0.0.1' };

const settings: ReportDeliverySettings = {
  ...defaultReportDelivery,
  maxAttempts: 3,
  retryDelaysMs: [60_000, 300_000],
  connectTimeoutMs: 2_000,
  ackTimeoutMs: 300,
  leaseMs: 60_000,
};

function hl7(port: number, extra: Partial<ReportDestinationConfig> = {}): ReportDestinationConfig {
  return {
    id: 'main-ris',
    type: 'hl7-mllp',
    host: '127.0.0.1',
    port,
    receivingApplication: 'RIS',
    receivingFacility: 'NORTHVALE',
    ...extra,
  } as ReportDestinationConfig;
}

interface Bed {
  store: Store;
  clock: ManualClock;
  failures: DeliveryFailure[];
  service(
    destinations: ReportDestinationConfig[],
    nodeId?: string,
    kickAfterCommit?: boolean,
  ): ReportDeliveryService;
  /** PostgreSQL: LISTEN as main.ts does, so a commit's NOTIFY kicks the service; nothing on SQLite. */
  listen(svc: ReportDeliveryService): Promise<void>;
  enqueue(svc: ReportDeliveryService, report: SignedReport): Promise<void>;
  deliveries(): Promise<
    {
      id: number;
      state: string;
      attempts: number;
      message_control_id: string;
      next_attempt_at: number;
      last_ack_code: string | null;
      last_error: string | null;
      report_version: number;
      destination_id: string;
    }[]
  >;
  attempts(): Promise<
    {
      delivery_fk: number;
      attempt: number;
      outcome: string;
      ack_code: string | null;
      error: string | null;
      node: string;
    }[]
  >;
}

for (const sc of await storeCases()) {
  describe(`report delivery outbox and sender (${sc.name})`, { skip: sc.skip }, () => {
    const withBed = async (fn: (bed: Bed) => Promise<void>) => {
      const env = await sc.open();
      const clock = new ManualClock('2026-03-10T14:20:00Z');
      const audit = new AuditLog(env.store.db, env.store.dialect, clock);
      const services: ReportDeliveryService[] = [];
      const failures: DeliveryFailure[] = [];
      const stops: (() => Promise<void>)[] = [];
      const bed: Bed = {
        store: env.store,
        clock,
        failures,
        service(destinations, nodeId = 'node-a', kickAfterCommit = false) {
          const svc = new ReportDeliveryService({
            db: env.store.db,
            clock,
            audit,
            destinations,
            settings,
            nodeId,
            kickAfterCommit,
            notifyOtherNodes: env.store.dialect === 'postgres',
            announceFailure: async (f) => {
              failures.push(f);
            },
          });
          services.push(svc);
          return svc;
        },
        async listen(svc) {
          if (!env.databaseUrl) return;
          stops.push(
            await listenForOtherNodes(
              env.databaseUrl,
              { [DELIVERY_CHANNEL]: () => svc.kick() },
              pino({ level: 'silent' }),
            ),
          );
        },
        async enqueue(svc, report) {
          await env.store.db.transaction().execute((trx) => svc.enqueue(trx, report));
        },
        async deliveries() {
          const rows = await env.store.db.selectFrom('report_deliveries').selectAll().orderBy('id').execute();
          return rows.map((r) => ({ ...r, id: Number(r.id), next_attempt_at: Number(r.next_attempt_at) }));
        },
        async attempts() {
          const rows = await env.store.db
            .selectFrom('report_delivery_attempts')
            .selectAll()
            .orderBy('id')
            .execute();
          return rows.map((r) => ({ ...r, delivery_fk: Number(r.delivery_fk) }));
        },
      };
      try {
        await fn(bed);
      } finally {
        for (const stop of stops) await stop();
        for (const s of services) await s.close();
        await env.cleanup();
      }
    };
    const withListener = async (
      answer: ListenerAnswer | ((m: string, i: number) => ListenerAnswer),
      fn: (l: MllpListener) => Promise<void>,
    ) => {
      const l = await startMllpListener(answer);
      try {
        await fn(l);
      } finally {
        await l.close();
      }
    };

    test('enqueue stores the report and one delivery per destination in the caller’s transaction; a rollback leaves nothing', async () => {
      await withBed(async (bed) => {
        const svc = bed.service([
          hl7(1, { id: 'ris-a' }),
          hl7(2, { id: 'ris-finals', kinds: ['final', 'addendum'] }),
          hl7(3, { id: 'other-site', sites: ['brightwater'] }),
        ]);
        await assert.rejects(
          bed.store.db.transaction().execute(async (trx) => {
            await svc.enqueue(trx, signedReportFixture());
            throw new Error('signing failed after enqueue');
          }),
          /signing failed/,
        );
        assert.equal((await bed.deliveries()).length, 0);
        assert.equal((await bed.store.db.selectFrom('report_outputs').selectAll().execute()).length, 0);

        await bed.store.db
          .transaction()
          .execute((trx) => svc.enqueue(trx, signedReportFixture({ kind: 'preliminary' })));
        await bed.store.db
          .transaction()
          .execute((trx) => svc.enqueue(trx, signedReportFixture({ version: 2 })));
        // The same version again (a retried sign request) queues nothing more.
        await bed.store.db
          .transaction()
          .execute((trx) => svc.enqueue(trx, signedReportFixture({ version: 2 })));
        await svc.close();
        const rows = await bed.deliveries();
        assert.deepEqual(
          rows.map((r) => [r.report_version, r.destination_id, r.state]),
          [
            [1, 'ris-a', 'pending'],
            [2, 'ris-a', 'pending'],
            [2, 'ris-finals', 'pending'],
          ],
        );
        assert.equal(new Set(rows.map((r) => r.message_control_id)).size, 3);
        for (const r of rows) assert.match(r.message_control_id, /^CF[0-9A-F]{16}$/);
        const outputs = await bed.store.db
          .selectFrom('report_outputs')
          .selectAll()
          .orderBy('version')
          .execute();
        assert.equal(outputs.length, 2);
        assert.equal(
          (JSON.parse(outputs[1]!.report_json) as SignedReport).impression,
          signedReportFixture().impression,
        );
      });
    });

    test('sends the ORU^R01, waits for AA, records the attempt and the control id it carried', async () => {
      await withBed(async (bed) => {
        await withListener('AA', async (l) => {
          const svc = bed.service([hl7(l.port)]);
          await bed.enqueue(svc, signedReportFixture());
          await svc.sendDue();
          const [d] = await bed.deliveries();
          assert.equal(d!.state, 'delivered');
          assert.equal(d!.attempts, 1);
          assert.equal(d!.last_ack_code, 'AA');
          assert.equal(l.received.length, 1);
          const msg = parseMessage(l.received[0]!);
          assert.equal(msg.segment('MSH')!.get(10), d!.message_control_id);
          assert.equal(msg.segment('MSH')!.get(5), 'RIS');
          assert.equal(msg.segment('OBR')!.get(25), 'F');
          const attempts = await bed.attempts();
          assert.deepEqual(
            attempts.map((a) => [a.attempt, a.outcome, a.ack_code, a.node]),
            [[1, 'accepted', 'AA', 'node-a']],
          );
          const audit = await bed.store.db
            .selectFrom('audit_events')
            .selectAll()
            .where('action', '=', 'report-send')
            .execute();
          assert.equal(audit.length, 1);
          assert.equal(audit[0]!.outcome, 'success');
          assert.equal(audit[0]!.protocol, 'hl7');
          assert.equal(audit[0]!.remote_address, `127.0.0.1:${l.port}`);
          assert.equal(audit[0]!.study_uid, signedReportFixture().studyUid);
          // Nothing due: another pass sends nothing.
          assert.equal(await svc.sendDue(), 0);
        });
      });
    });

    test('a committed enqueue is sent at once, without waiting for the clockwork', async () => {
      await withBed(async (bed) => {
        await withListener('AA', async (l) => {
          const svc = bed.service([hl7(l.port)], 'node-a', true);
          await bed.listen(svc);
          await bed.enqueue(svc, signedReportFixture());
          await l.waitFor(1);
          await svc.idle();
          const [d] = await bed.deliveries();
          assert.equal(d!.state, 'delivered');
        });
      });
    });

    test('AE is an error with the receiver’s text; the retry after the backoff succeeds (ManualClock)', async () => {
      await withBed(async (bed) => {
        await withListener('AE', async (l) => {
          const svc = bed.service([hl7(l.port)]);
          await bed.enqueue(svc, signedReportFixture());
          await svc.sendDue();
          let [d] = await bed.deliveries();
          assert.equal(d!.state, 'pending');
          assert.equal(d!.last_ack_code, 'AE');
          assert.match(
            d!.last_error!,
            /^AE: Unknown patient & order; Order ACC not on file: Unknown key identifier/,
          );
          assert.equal(d!.next_attempt_at, bed.clock.now().getTime() + 60_000);
          // Not due yet.
          bed.clock.advance(59_000);
          assert.equal(await svc.sendDue(), 0);
          l.answer('AA');
          bed.clock.advance(1_000);
          assert.equal(await svc.sendDue(), 1);
          [d] = await bed.deliveries();
          assert.equal(d!.state, 'delivered');
          assert.equal(d!.attempts, 2);
          // Both attempts carried the same control id: it is the same message.
          const ids = l.received.map((m) => parseMessage(m).segment('MSH')!.get(10));
          assert.deepEqual(ids, [d!.message_control_id, d!.message_control_id]);
          assert.deepEqual(
            (await bed.attempts()).map((a) => [a.attempt, a.outcome, a.ack_code]),
            [
              [1, 'rejected', 'AE'],
              [2, 'accepted', 'AA'],
            ],
          );
        });
      });
    });

    test('gives up after maxAttempts of closed connections, announces it, and the retry command sends again', async () => {
      await withBed(async (bed) => {
        await withListener('close', async (l) => {
          const svc = bed.service([hl7(l.port)]);
          await bed.enqueue(svc, signedReportFixture());
          await svc.sendDue();
          bed.clock.advance(60_000);
          await svc.sendDue();
          bed.clock.advance(300_000);
          await svc.sendDue();
          const [d] = await bed.deliveries();
          assert.equal(d!.state, 'failed');
          assert.equal(d!.attempts, 3);
          assert.match(d!.last_error!, /closed the connection before acknowledging/);
          assert.equal(l.received.length, 3);
          assert.equal(bed.failures.length, 1);
          assert.deepEqual(
            { ...bed.failures[0], error: undefined },
            {
              deliveryId: d!.id,
              reportId: 'R-TEST0001',
              reportVersion: 1,
              caseId: 'C-TEST0001',
              destinationId: 'main-ris',
              attempts: 3,
              error: undefined,
            },
          );
          // Failed stays failed: the clockwork does not touch it again.
          bed.clock.advance(3_600_000);
          assert.equal(await svc.sendDue(), 0);

          const failed = await svc.list(coordinator, { state: 'failed' }, origin);
          assert.deepEqual(
            failed.map((f) => [f.id, f.state, f.attempts]),
            [[d!.id, 'failed', 3]],
          );
          await assert.rejects(
            svc.list({ ...coordinator, roles: ['radiologist'] }, {}, origin),
            (e: Error & { code?: string }) => e.code === 'CONFER_ERR_FORBIDDEN',
          );

          l.answer('AA');
          const retried = await svc.retry(coordinator, d!.id, origin);
          assert.equal(retried.state, 'pending');
          await svc.idle();
          await svc.sendDue();
          const [after] = await bed.deliveries();
          assert.equal(after!.state, 'delivered');
          await assert.rejects(
            svc.retry(coordinator, d!.id, origin),
            (e: Error & { code?: string }) => e.code === 'CONFER_ERR_DELIVERY_NOT_RETRYABLE',
          );
          const view = (await svc.forReport('R-TEST0001'))[0]!;
          assert.deepEqual(
            view.attemptLog!.map((a) => a.outcome),
            ['error', 'error', 'error', 'accepted'],
          );
        });
      });
    });

    test('no answer within ackTimeoutMs, an ACK for another message, and a refused connection are errors', async () => {
      await withBed(async (bed) => {
        await withListener(
          (_m, i) => (i === 0 ? 'silent' : 'wrong-id'),
          async (l) => {
            const closed = await startMllpListener('AA');
            const deadPort = closed.port;
            await closed.close();
            const svc = bed.service([hl7(l.port), hl7(deadPort, { id: 'dead-ris' })]);
            await bed.enqueue(svc, signedReportFixture());
            await svc.sendDue();
            bed.clock.advance(60_000);
            await svc.sendDue();
            const errors = (await bed.attempts()).map((a) => a.error);
            assert.equal(errors.length, 4);
            assert.ok(
              errors.some((e) => /no acknowledgment from 127\.0\.0\.1:\d+ within 300 ms/.test(e ?? '')),
              errors.join('\n'),
            );
            assert.ok(
              errors.some((e) => /the acknowledgment is for message CF[0-9A-F]+X, not CF/.test(e ?? '')),
              errors.join('\n'),
            );
            assert.ok(
              errors.some((e) => /cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED/.test(e ?? '')),
              errors.join('\n'),
            );
            assert.ok((await bed.deliveries()).every((d) => d.state === 'pending' && d.attempts === 2));
          },
        );
      });
    });

    test('an unreachable receiver costs one attempt per round, not one per waiting report', async () => {
      await withBed(async (bed) => {
        const closed = await startMllpListener('AA');
        const port = closed.port;
        await closed.close();
        const svc = bed.service([hl7(port)]);
        for (let i = 1; i <= 4; i++)
          await bed.enqueue(svc, signedReportFixture({ reportId: `R-DOWN${i}`, caseId: `C-${i}` }));
        assert.equal(await svc.sendDue(), 1);
        assert.deepEqual(
          (await bed.deliveries()).map((d) => d.attempts),
          [1, 0, 0, 0],
        );
        // The next round (the next tick) tries the next one in line; the first waits for its backoff.
        assert.equal(await svc.sendDue(), 1);
        assert.deepEqual(
          (await bed.deliveries()).map((d) => d.attempts),
          [1, 1, 0, 0],
        );
        // Back up: the next round empties the queue.
        await withListener('AA', async (l) => {
          const svc2 = bed.service([hl7(l.port)], 'node-a2');
          bed.clock.advance(60_000);
          assert.equal(await svc2.sendDue(), 4);
        });
      });
    });

    test('a final does not overtake its preliminary at a destination', async () => {
      await withBed(async (bed) => {
        await withListener(
          (m) => (parseMessage(m).segment('OBR')!.get(25) === 'P' ? 'AR' : 'AA'),
          async (l) => {
            const svc = bed.service([hl7(l.port)]);
            await bed.enqueue(svc, signedReportFixture({ kind: 'preliminary' }));
            await bed.enqueue(svc, signedReportFixture({ version: 2 }));
            await svc.sendDue();
            // The preliminary was refused and waits for its retry; the final waits behind it.
            assert.deepEqual(
              l.received.map((m) => parseMessage(m).segment('OBR')!.get(25)),
              ['P'],
            );
            for (let i = 0; i < 2; i++) {
              bed.clock.advance(300_000);
              await svc.sendDue();
            }
            const rows = await bed.deliveries();
            assert.deepEqual(
              rows.map((r) => [r.report_version, r.state]),
              [
                [1, 'failed'],
                [2, 'delivered'],
              ],
            );
            assert.deepEqual(
              l.received.map((m) => parseMessage(m).segment('OBR')!.get(25)),
              ['P', 'P', 'P', 'F'],
            );
          },
        );
      });
    });

    test('two nodes on one database send each delivery once', async () => {
      await withBed(async (bed) => {
        await withListener('AA', async (l) => {
          const a = bed.service([hl7(l.port)], 'node-a');
          const b = bed.service([hl7(l.port)], 'node-b');
          for (let i = 1; i <= 6; i++)
            await bed.enqueue(a, signedReportFixture({ reportId: `R-TWO${i}`, caseId: `C-${i}` }));
          await Promise.all([a.sendDue(), b.sendDue(), a.sendDue(), b.sendDue()]);
          const rows = await bed.deliveries();
          assert.ok(rows.every((r) => r.state === 'delivered' && r.attempts === 1));
          assert.equal(l.received.length, 6);
          const ids = l.received.map((m) => parseMessage(m).segment('MSH')!.get(10));
          assert.equal(new Set(ids).size, 6);
          assert.equal((await bed.attempts()).length, 6);
        });
      });
    });

    test('a delivery held by a node that died is taken over when its lease runs out', async () => {
      await withBed(async (bed) => {
        await withListener('AA', async (l) => {
          const svc = bed.service([hl7(l.port)], 'node-b');
          await bed.enqueue(svc, signedReportFixture());
          const now = bed.clock.now().getTime();
          await bed.store.db
            .updateTable('report_deliveries')
            .set({ state: 'sending', lease_owner: 'node-a', lease_expires_at: now + 60_000, attempts: 1 })
            .execute();
          assert.equal(await svc.sendDue(), 0);
          bed.clock.advance(60_000);
          assert.equal(await svc.sendDue(), 1);
          const [d] = await bed.deliveries();
          assert.equal(d!.state, 'delivered');
          assert.equal(d!.attempts, 2);
          assert.deepEqual(
            (await bed.attempts()).map((a) => [a.attempt, a.outcome, a.node]),
            [
              [1, 'error', 'node-b'],
              [2, 'accepted', 'node-b'],
            ],
          );
        });
      });
    });

    test('a FHIR destination gets the DiagnosticReport by conditional update; a 422 is a refusal with its OperationOutcome', async () => {
      await withBed(async (bed) => {
        const requests: {
          method: string;
          url: string;
          headers: IncomingMessage['headers'];
          body: Record<string, unknown>;
        }[] = [];
        let status = 422;
        const server = createServer((req, res) => {
          let data = '';
          req.on('data', (c) => {
            data += c;
          });
          req.on('end', () => {
            requests.push({
              method: req.method!,
              url: req.url!,
              headers: req.headers,
              body: JSON.parse(data),
            });
            res.writeHead(status, { 'content-type': 'application/fhir+json' });
            res.end(
              status === 422
                ? JSON.stringify({
                    resourceType: 'OperationOutcome',
                    issue: [{ severity: 'error', code: 'processing', diagnostics: 'Unknown subject' }],
                  })
                : JSON.stringify({ ...JSON.parse(data), id: '77' }),
            );
          });
        });
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
        try {
          const port = (server.address() as AddressInfo).port;
          const svc = bed.service([
            {
              id: 'fhir-ehr',
              type: 'fhir',
              baseUrl: `http://127.0.0.1:${port}/fhir`,
              bearerToken: 'secret-token',
            },
          ]);
          await bed.enqueue(svc, signedReportFixture());
          await svc.sendDue();
          let [d] = await bed.deliveries();
          assert.equal(d!.state, 'pending');
          assert.equal(d!.last_ack_code, '422');
          assert.equal(d!.last_error, 'HTTP 422: Unknown subject');
          status = 201;
          bed.clock.advance(60_000);
          await svc.sendDue();
          [d] = await bed.deliveries();
          assert.equal(d!.state, 'delivered');
          assert.equal(d!.last_ack_code, '201');
          const r = requests[1]!;
          assert.equal(r.method, 'PUT');
          assert.equal(
            decodeURIComponent(r.url),
            '/fhir/DiagnosticReport?identifier=urn:confer:report|R-TEST0001',
          );
          assert.equal(r.headers.authorization, 'Bearer secret-token');
          assert.equal(r.headers['content-type'], 'application/fhir+json');
          assert.equal(r.body.resourceType, 'DiagnosticReport');
          assert.equal(r.body.status, 'final');
          assert.equal(r.body.conclusion, signedReportFixture().impression);
          const forms = r.body.presentedForm as { contentType: string; data: string }[];
          assert.equal(forms[0]!.contentType, 'application/pdf');
          assert.equal(Buffer.from(forms[0]!.data, 'base64').subarray(0, 5).toString(), '%PDF-');
          const audit = await bed.store.db
            .selectFrom('audit_events')
            .selectAll()
            .where('action', '=', 'report-send')
            .execute();
          assert.deepEqual(
            audit.map((a) => [a.protocol, a.outcome]),
            [
              ['fhir', 'failure'],
              ['fhir', 'success'],
            ],
          );
        } finally {
          await new Promise<void>((r) => server.close(() => r()));
        }
      });
    });
  });
}
