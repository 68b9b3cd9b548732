import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CommandField,
  DataSetStream,
  type DimseCommand,
  decodeCommand,
  encodeCommand,
  encodeMessage,
  errorComment,
  MessageAssembler,
  Status,
} from './dimse-message.ts';
import { DimseErrorCode, DimseProtocolError } from './errors.ts';
import { decodePdu, type PDataTf, PduType } from './pdu.ts';

test('a command set round-trips, led by its group length, in implicit VR little endian', () => {
  const bytes = encodeCommand({
    commandField: CommandField.CStoreRsp,
    messageIdBeingRespondedTo: 7,
    affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    affectedSopInstanceUid: '1.2.3.4.5',
    status: Status.ErrorDataSetDoesNotMatchSopClass,
    errorComment: 'SOP Instance UID differs',
    offendingElements: ['00080018'],
    hasDataSet: false,
  });
  // (0000,0000) UL, implicit VR: tag, 4-byte length 4, value = the bytes after it.
  assert.deepEqual([...bytes.subarray(0, 8)], [0, 0, 0, 0, 4, 0, 0, 0]);
  assert.equal(bytes.readUInt32LE(8), bytes.byteLength - 12);
  const c = decodeCommand(bytes);
  assert.equal(c.commandField, CommandField.CStoreRsp);
  assert.equal(c.messageIdBeingRespondedTo, 7);
  assert.equal(c.status, 0xa900);
  assert.equal(c.errorComment, 'SOP Instance UID differs');
  assert.deepEqual(c.offendingElements, ['00080018']);
  assert.equal(c.affectedSopInstanceUid, '1.2.3.4.5');
  assert.equal(c.hasDataSet, false);
});

test('an Error Comment is cut to 64 characters of the default repertoire', () => {
  const long = `Données\\invalides: ${'x'.repeat(100)}`;
  const c = errorComment(long);
  assert.equal(c.length, 64);
  assert.match(c, /^Donn\?es\/invalides: x+\.\.\.$/);
  assert.equal(errorComment('short'), 'short');
});

test('a command without Command Field is a protocol error', () => {
  assert.throws(
    () => decodeCommand(Buffer.from([0, 0, 0x10, 0, 2, 0, 0, 0, 1, 0])),
    (err: unknown) => err instanceof DimseProtocolError && err.code === DimseErrorCode.MessageMalformed,
  );
});

test('outgoing messages are cut to the peer maximum, command and data in separate PDUs', () => {
  const command = new Uint8Array(30).fill(1);
  const dataset = new Uint8Array(25).fill(2);
  const out = encodeMessage(5, command, dataset, 16); // 10 bytes of fragment per PDU
  const pdus: PDataTf[] = [];
  for (let o = 0; o < out.byteLength; ) {
    const length = out.readUInt32BE(o + 2);
    assert.ok(length <= 16, 'no PDU over the peer maximum');
    pdus.push(decodePdu(out.subarray(o, o + 6 + length)) as PDataTf);
    o += 6 + length;
  }
  const pdvs = pdus.flatMap((p) => p.pdvs);
  assert.deepEqual(
    pdvs.map((p) => [p.presentationContextId, p.isCommand, p.isLast, p.data.byteLength]),
    [
      [5, true, false, 10],
      [5, true, false, 10],
      [5, true, true, 10],
      [5, false, false, 10],
      [5, false, false, 10],
      [5, false, true, 5],
    ],
  );
  assert.equal(pdus[0]!.type, PduType.PDataTf);
  // A peer with no limit (0) gets the message whole.
  assert.equal(decodePdu(encodeMessage(1, command, undefined, 0)).type, PduType.PDataTf);
});

function assembler(accepted = [1, 3]) {
  const events: (string | DimseCommand)[] = [];
  const a = new MessageAssembler(
    {
      onCommand: (id, c) => events.push(`command@${id}`, c),
      onDataFragment: (chunk) => events.push(`data:${chunk.byteLength}`),
      onDataEnd: () => events.push('end'),
    },
    (id) => accepted.includes(id),
  );
  const pdv = (id: number, isCommand: boolean, isLast: boolean, bytes: Uint8Array) => {
    a.onPdvStart({ presentationContextId: id, isCommand, isLast, lengthBytes: bytes.byteLength });
    a.onPdvData(bytes);
    a.onPdvEnd();
  };
  return { a, events, pdv };
}

test('command fragments are joined, then data fragments are passed on as they come', () => {
  const { a, events, pdv } = assembler();
  const cmd = encodeCommand({
    commandField: CommandField.CStoreRq,
    messageId: 1,
    affectedSopClassUid: '1.2',
    affectedSopInstanceUid: '1.2.3',
    priority: 0,
    hasDataSet: true,
  });
  pdv(3, true, false, cmd.subarray(0, 10));
  pdv(3, true, true, cmd.subarray(10));
  assert.equal(a.idle, false);
  pdv(3, false, false, new Uint8Array(100));
  pdv(3, false, true, new Uint8Array(50));
  assert.equal(a.idle, true);
  assert.equal(events[0], 'command@3');
  assert.equal((events[1] as DimseCommand).affectedSopInstanceUid, '1.2.3');
  assert.deepEqual(events.slice(2), ['data:100', 'data:50', 'end']);
});

test('fragments out of order are protocol errors', () => {
  const cmd = encodeCommand({ commandField: CommandField.CEchoRq, messageId: 1, hasDataSet: false });
  const isProtocolError = (err: unknown) => err instanceof DimseProtocolError;
  // Data where a command is due.
  assert.throws(
    () => assembler().pdv(1, false, true, new Uint8Array(2)),
    /data fragment where a command was due/,
  );
  // A context that was not accepted.
  assert.throws(() => assembler().pdv(5, true, true, cmd), /context 5, which was not accepted/);
  // A command fragment on another context in the middle of a command.
  const s = assembler();
  s.pdv(1, true, false, cmd.subarray(0, 4));
  assert.throws(() => s.pdv(3, true, true, cmd.subarray(4)), isProtocolError);
  // A new command before the data set ended.
  const d = assembler();
  d.pdv(
    1,
    true,
    true,
    encodeCommand({
      commandField: CommandField.CStoreRq,
      messageId: 1,
      affectedSopClassUid: '1.2',
      hasDataSet: true,
    }),
  );
  assert.throws(() => d.pdv(1, true, true, cmd), /before the previous message data set was complete/);
});

const flow = () => {
  const calls: string[] = [];
  return { calls, control: { pause: () => calls.push('pause'), resume: () => calls.push('resume') } };
};

test('a data set stream pauses the transport above its mark and resumes when the consumer catches up', async () => {
  const { calls, control } = flow();
  const s = new DataSetStream(control, 100);
  s.push(new Uint8Array(60));
  assert.deepEqual(calls, []);
  s.push(new Uint8Array(60));
  assert.deepEqual(calls, ['pause']);
  s.push(new Uint8Array(60));
  const it = s[Symbol.asyncIterator]();
  assert.equal(((await it.next()).value as Uint8Array).byteLength, 60);
  assert.deepEqual(calls, ['pause'], '120 bytes still queued: above half the mark');
  await it.next();
  assert.deepEqual(calls, ['pause'], '60 bytes queued: still above half the mark');
  await it.next();
  assert.deepEqual(calls, ['pause', 'resume']);
  s.end();
  assert.equal((await it.next()).done, true);
  assert.equal(s.receivedBytes, 180);
});

test('a waiting consumer gets chunks as they arrive, and an abort as an error', async () => {
  const { control } = flow();
  const s = new DataSetStream(control, 100);
  const got: number[] = [];
  const consumer = (async () => {
    for await (const chunk of s) got.push(chunk.byteLength);
  })();
  s.push(new Uint8Array(3));
  await new Promise((r) => setImmediate(r));
  s.push(new Uint8Array(4));
  await new Promise((r) => setImmediate(r));
  s.fail(new Error('aborted by peer'));
  await assert.rejects(consumer, /aborted by peer/);
  assert.deepEqual(got, [3, 4]);
});

test('a consumer that stops early lets the rest be dropped and the transport resume', async () => {
  const { calls, control } = flow();
  const s = new DataSetStream(control, 10);
  s.push(new Uint8Array(20));
  for await (const _ of s) break;
  assert.deepEqual(calls, ['pause', 'resume']);
  s.push(new Uint8Array(20));
  assert.deepEqual(calls, ['pause', 'resume'], 'dropped, no new pause');
  assert.throws(() => s[Symbol.asyncIterator](), /only once/);
});
