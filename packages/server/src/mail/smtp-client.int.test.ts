import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSmtpSink } from '../../test/support/smtp-sink.ts';
import { SmtpError, sendMail } from './smtp-client.ts';

test('sendMail hands a plain-text message to an SMTP server, dot-stuffed, headers on one line each', async () => {
  const sink = await startSmtpSink();
  try {
    await sendMail(
      { host: '127.0.0.1', port: sink.port, from: 'confer@hospital.test' },
      {
        to: 'dr.clinician@hospital.test',
        subject: 'Critical result\r\nBcc: someone@else.test',
        text: 'First line\n.a line starting with a dot\nhttps://confer.test/#/ack/abc',
        headers: { 'X-Confer-Critical-Result': 'CR-1' },
      },
      new Date('2026-11-24T10:00:00Z'),
    );
    const [m] = await sink.waitFor(1);
    assert.equal(m!.from, 'confer@hospital.test');
    assert.deepEqual(m!.to, ['dr.clinician@hospital.test']);
    assert.equal(m!.headers.subject, 'Critical result Bcc: someone@else.test');
    assert.equal(m!.headers.bcc, undefined);
    assert.equal(m!.headers['x-confer-critical-result'], 'CR-1');
    assert.equal(m!.headers.date, 'Tue, 24 Nov 2026 10:00:00 +0000');
    assert.equal(m!.body, 'First line\r\n.a line starting with a dot\r\nhttps://confer.test/#/ack/abc');
  } finally {
    await sink.close();
  }
});

test('a refused recipient is an SmtpError with the reply code; nothing is recorded', async () => {
  const sink = await startSmtpSink({ refuseRcpt: true });
  try {
    await assert.rejects(
      sendMail(
        { host: '127.0.0.1', port: sink.port, from: 'confer@hospital.test' },
        { to: 'nobody@hospital.test', subject: 's', text: 't' },
      ),
      (err: unknown) =>
        err instanceof SmtpError && err.replyCode === 550 && /RCPT TO refused/.test(err.message),
    );
    assert.equal(sink.messages.length, 0);
  } finally {
    await sink.close();
  }
});

test('an unreachable server is an SmtpError, not a hang', async () => {
  const sink = await startSmtpSink();
  const port = sink.port;
  await sink.close();
  await assert.rejects(
    sendMail(
      { host: '127.0.0.1', port, from: 'confer@hospital.test', timeoutMs: 2000 },
      { to: 'a@b.test', subject: 's', text: 't' },
    ),
    /ECONNREFUSED|closed the connection/,
  );
});
