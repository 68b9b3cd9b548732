import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { postWebhook, verifyWebhookSignature, WebhookError } from './webhook-sender.ts';

async function receiver(status: number) {
  const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return { url: `http://127.0.0.1:${port}/hooks/critical`, received, close: () => server.close() };
}

test('postWebhook sends JSON signed with HMAC-SHA256 over the timestamp and body', async () => {
  const r = await receiver(204);
  try {
    const secret = 'a-shared-secret-of-some-length';
    await postWebhook(
      { url: r.url, secret },
      'CR-1/2',
      { kind: 'critical-result', id: 'CR-1' },
      new Date('2026-11-24T10:00:00Z'),
    );
    const [got] = r.received;
    assert.equal(got!.headers['content-type'], 'application/json');
    assert.equal(got!.headers['x-confer-delivery'], 'CR-1/2');
    assert.equal(got!.headers['x-confer-timestamp'], String(Date.parse('2026-11-24T10:00:00Z') / 1000));
    assert.deepEqual(JSON.parse(got!.body), { kind: 'critical-result', id: 'CR-1' });
    const ts = Number(got!.headers['x-confer-timestamp']);
    assert.ok(verifyWebhookSignature(secret, ts, got!.body, String(got!.headers['x-confer-signature'])));
    assert.equal(
      verifyWebhookSignature(
        'another-secret-entirely',
        ts,
        got!.body,
        String(got!.headers['x-confer-signature']),
      ),
      false,
    );
    assert.equal(
      verifyWebhookSignature(secret, ts + 1, got!.body, String(got!.headers['x-confer-signature'])),
      false,
    );
  } finally {
    r.close();
  }
});

test('a non-2xx answer is a WebhookError with the status', async () => {
  const r = await receiver(503);
  try {
    await assert.rejects(
      postWebhook({ url: r.url, secret: 'a-shared-secret-of-some-length' }, 'CR-1/3', {}),
      (e: unknown) => e instanceof WebhookError && e.status === 503,
    );
  } finally {
    r.close();
  }
});
