import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frameMessage, MllpDecoder, MllpFrameError } from './mllp.ts';

const MSG = 'MSH|^~\\&|CONFER|X|RIS|Y|20260310142000+0000||ACK|1|P|2.5.1\rMSA|AA|CF1\r';

test('a frame is VT, the UTF-8 message, FS CR', () => {
  const f = frameMessage('MSH|é\r');
  assert.equal(f[0], 0x0b);
  assert.deepEqual([...f.subarray(f.length - 2)], [0x1c, 0x0d]);
  assert.equal(f.subarray(1, f.length - 2).toString('utf8'), 'MSH|é\r');
});

test('a frame split at every possible byte boundary decodes to the same message', () => {
  const frame = frameMessage(MSG);
  for (let cut = 1; cut < frame.length; cut++) {
    const d = new MllpDecoder();
    const first = d.push(frame.subarray(0, cut));
    const second = d.push(frame.subarray(cut));
    assert.deepEqual([...first, ...second], [MSG], `split at ${cut}`);
  }
});

test('one byte at a time, a multi-byte character split across chunks survives', () => {
  const msg = 'MSH|^~\\&|Ærø 東京\r';
  const frame = frameMessage(msg);
  const d = new MllpDecoder();
  const out: string[] = [];
  for (const b of frame) out.push(...d.push(Uint8Array.of(b)));
  assert.deepEqual(out, [msg]);
  assert.equal(d.pendingBytes, 0);
});

test('two frames in one chunk, noise before a frame, FS without CR inside data', () => {
  const d = new MllpDecoder();
  const weird = 'MSH|a\x1cb\r';
  const chunk = Buffer.concat([Buffer.from('\r\n junk'), frameMessage(MSG), frameMessage(weird)]);
  assert.deepEqual(d.push(chunk), [MSG, weird]);
});

test('a frame that never ends is refused past the limit instead of growing without bound', () => {
  const d = new MllpDecoder({ maxFrameBytes: 64 });
  assert.deepEqual(d.push(Buffer.from([0x0b, ...Buffer.from('x'.repeat(40))])), []);
  assert.throws(() => d.push(Buffer.from('y'.repeat(40))), MllpFrameError);
});
