import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeAck, parseAck } from './ack.ts';

const ack = (msa: string, extra = '') =>
  `MSH|^~\\&|RIS|H|CONFER|X|20260310142001||ACK^R01|A1|P|2.5.1\r${msa}\r${extra}`;

test('AA and CA for the right control id are accepted', () => {
  assert.equal(judgeAck(ack('MSA|AA|CF123'), 'CF123').accepted, true);
  assert.equal(judgeAck(ack('MSA|CA|CF123'), 'CF123').accepted, true);
});

test('AE, AR, CE, CR are errors carrying MSA-3 and ERR text', () => {
  for (const code of ['AE', 'AR', 'CE', 'CR']) {
    const v = judgeAck(
      ack(
        `MSA|${code}|CF1|Unknown patient \\F\\ id`,
        'ERR||PID^1^3|204^Unknown key identifier^HL70357|E||||Patient PAT-0042 not found',
      ),
      'CF1',
    );
    assert.equal(v.accepted, false);
    if (v.accepted) continue;
    assert.equal(v.ack?.code, code);
    assert.match(
      v.error,
      new RegExp(`^${code}: Unknown patient \\| id; Patient PAT-0042 not found: Unknown key identifier`),
    );
  }
});

test('an ACK for another message is an error', () => {
  const v = judgeAck(ack('MSA|AA|CF999'), 'CF1');
  assert.equal(v.accepted, false);
  if (!v.accepted) assert.match(v.error, /for message CF999, not CF1/);
});

test('garbage, a missing MSA and unknown codes are errors, not crashes', () => {
  assert.equal(judgeAck('hello', 'CF1').accepted, false);
  assert.equal(judgeAck('MSH|^~\\&|RIS\r', 'CF1').accepted, false);
  const v = judgeAck(ack('MSA|ZZ|CF1'), 'CF1');
  assert.equal(v.accepted, false);
  if (!v.accepted) assert.match(v.error, /unknown acknowledgment code ZZ/);
});

test('an ACK with other delimiters and LF segment ends still parses', () => {
  const a = parseAck('MSH#*~\\&#RIS#H#CONFER#X#2026##ACK#A9#P#2.3\nMSA#AE#CF7#Bad * thing\n');
  assert.equal(a.code, 'AE');
  assert.equal(a.controlId, 'CF7');
  assert.equal(a.text, 'Bad * thing');
  assert.equal(a.ackControlId, 'A9');
});
