import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signedReportFixture } from '../../test/support/signed-report.ts';
import { judgeAck } from './ack.ts';
import { sendMllp } from './mllp-client.ts';
import { MllpServer } from './mllp-server.ts';
import { buildOruR01 } from './oru-r01.ts';

const oru = (controlId: string) =>
  buildOruR01(signedReportFixture(), {
    controlId,
    now: Date.parse('2026-03-10T14:20:00Z'),
    sendingFacility: 'CONFER',
    receivingApplication: 'RIS',
    receivingFacility: 'H',
    processingId: 'P',
  });

test('the MLLP server answers each message with an ACK for its control id; the client reads it', async () => {
  const seen: string[] = [];
  const server = new MllpServer({
    host: '127.0.0.1',
    port: 0,
    now: () => Date.parse('2026-03-10T14:20:01Z'),
    onMessage: (m) => {
      seen.push(m);
      if (seen.length === 2) return { code: 'AE', text: 'Order | not found' };
      if (seen.length === 3) throw new Error('handler broke');
      return { code: 'AA' };
    },
  });
  const port = await server.listen();
  try {
    const opts = { host: '127.0.0.1', port, connectTimeoutMs: 2000, ackTimeoutMs: 2000 };
    const first = await sendMllp(oru('CF1'), opts);
    assert.equal(judgeAck(first, 'CF1').accepted, true);
    assert.match(
      first,
      /^MSH\|\^~\\&\|RIS\|H\|CONFER\|CONFER\|20260310142001\+0000\|\|ACK\^R01\^ACK\|ACK1\|P\|2\.5\.1\rMSA\|AA\|CF1\r$/,
    );
    const second = judgeAck(await sendMllp(oru('CF2'), opts), 'CF2');
    assert.equal(second.accepted, false);
    if (!second.accepted) assert.equal(second.error, 'AE: Order | not found');
    const third = judgeAck(await sendMllp(oru('CF3'), opts), 'CF3');
    assert.equal(third.accepted, false);
    if (!third.accepted) assert.equal(third.error, 'AE: handler broke');
    assert.equal(seen.length, 3);
    assert.equal(seen[0], oru('CF1'));
  } finally {
    await server.close();
  }
});
