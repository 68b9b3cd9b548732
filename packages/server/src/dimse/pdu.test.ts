import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AbortReason, DimseErrorCode, DimseProtocolError } from './errors.ts';
import {
  type AAssociateAc,
  type AAssociateRq,
  AbortSource,
  DICOM_APPLICATION_CONTEXT_NAME,
  decodePdu,
  encodePdu,
  type Pdu,
  PduReader,
  type PduReaderHandler,
  PduType,
  PresentationContextResult,
  RejectResult,
  RejectSource,
  ServiceUserRejectReason,
} from './pdu.ts';

const rq: AAssociateRq = {
  type: PduType.AAssociateRq,
  protocolVersion: 1,
  calledAeTitle: 'CONFER',
  callingAeTitle: 'MODALITY1',
  applicationContextName: DICOM_APPLICATION_CONTEXT_NAME,
  presentationContexts: [
    { id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] },
    {
      id: 3,
      abstractSyntax: '1.2.840.10008.5.1.4.1.1.2',
      transferSyntaxes: ['1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2'],
    },
  ],
  userInformation: {
    maxLengthBytes: 16384,
    implementationClassUid: '1.2.3.4',
    implementationVersionName: 'TEST_1',
    asyncOperationsWindow: { maxOperationsInvoked: 4, maxOperationsPerformed: 2 },
    roleSelections: [{ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', scuRole: true, scpRole: false }],
    otherItems: [{ type: 0x58, value: new Uint8Array([1, 0, 0, 4, 0x75, 0x73, 0x65, 0x72, 0, 0]) }],
  },
};

const ac: AAssociateAc = {
  ...rq,
  type: PduType.AAssociateAc,
  presentationContexts: [
    { id: 1, result: PresentationContextResult.Acceptance, transferSyntax: '1.2.840.10008.1.2' },
    {
      id: 3,
      result: PresentationContextResult.TransferSyntaxesNotSupported,
      transferSyntax: '1.2.840.10008.1.2',
    },
  ],
};

function expectProtocolError(fn: () => unknown, code: string, pattern: RegExp): DimseProtocolError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof DimseProtocolError, `expected DimseProtocolError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.match(caught.message, pattern);
  return caught;
}

test('every PDU type round-trips through encodePdu and decodePdu', () => {
  const pdus: Pdu[] = [
    rq,
    ac,
    {
      type: PduType.AAssociateRj,
      result: RejectResult.RejectedPermanent,
      source: RejectSource.ServiceUser,
      reason: ServiceUserRejectReason.CallingAeTitleNotRecognized,
    },
    {
      type: PduType.PDataTf,
      pdvs: [
        { presentationContextId: 3, isCommand: true, isLast: true, data: new Uint8Array([1, 2, 3, 4]) },
        { presentationContextId: 3, isCommand: false, isLast: false, data: new Uint8Array([5, 6]) },
      ],
    },
    { type: PduType.AReleaseRq },
    { type: PduType.AReleaseRp },
    { type: PduType.AAbort, source: AbortSource.ServiceProvider, reason: AbortReason.UnexpectedPdu },
  ];
  for (const pdu of pdus) {
    const decoded = decodePdu(encodePdu(pdu));
    // Compare views as plain arrays: decoding returns subarrays of the encoded buffer.
    assert.deepEqual(plain(decoded), plain(pdu));
  }
});

/** Byte views as plain arrays, so a subarray of a Buffer compares equal to a Uint8Array. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return [...value];
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

test('the A-ASSOCIATE-RQ layout follows PS3.8 9.3.2 byte for byte', () => {
  const bytes = encodePdu(rq);
  assert.equal(bytes[0], 0x01);
  assert.equal(bytes.readUInt32BE(2), bytes.byteLength - 6);
  assert.equal(bytes.readUInt16BE(6), 1, 'protocol version');
  assert.equal(bytes.subarray(10, 26).toString('latin1'), 'CONFER          ', 'called AE, space padded');
  assert.equal(bytes.subarray(26, 42).toString('latin1'), 'MODALITY1       ');
  assert.ok(
    bytes.subarray(42, 74).every((b) => b === 0),
    '32 reserved bytes',
  );
  assert.equal(bytes[74], 0x10, 'application context item first');
  assert.equal(bytes.readUInt16BE(76), DICOM_APPLICATION_CONTEXT_NAME.length);
});

test('AE titles lose their padding and UIDs their trailing NULs when decoded', () => {
  const bytes = encodePdu({ ...rq, calledAeTitle: ' CONFER', callingAeTitle: 'A' });
  const pcOffset = bytes.indexOf(Buffer.from('1.2.840.10008.1.1'));
  const padded = Buffer.concat([
    bytes.subarray(0, pcOffset - 4),
    Buffer.from([0x30, 0, 0, 18]),
    Buffer.from('1.2.840.10008.1.1\0'),
    bytes.subarray(pcOffset + 17),
  ]);
  padded.writeUInt32BE(padded.byteLength - 6, 2);
  padded.writeUInt16BE(padded.readUInt16BE(pcOffset - 10) + 1, pcOffset - 10);
  const decoded = decodePdu(padded) as AAssociateRq;
  assert.equal(decoded.calledAeTitle, 'CONFER');
  assert.equal(decoded.callingAeTitle, 'A');
  assert.equal(decoded.presentationContexts[0]!.abstractSyntax, '1.2.840.10008.1.1');
});

test('malformed PDUs give a clear protocol error with the A-ABORT reason to send', () => {
  const good = encodePdu(rq);
  expectProtocolError(
    () => decodePdu(good.subarray(0, 4)),
    DimseErrorCode.PduMalformed,
    /shorter than a PDU header/,
  );
  const unknown = expectProtocolError(
    () => decodePdu(Buffer.from([0x09, 0, 0, 0, 0, 0])),
    DimseErrorCode.PduUnknownType,
    /unknown PDU type 0x09/,
  );
  assert.equal(unknown.abortReason, AbortReason.UnrecognizedPdu);
  // The PDU length says more than there is.
  const lying = Buffer.from(good);
  lying.writeUInt32BE(good.byteLength, 2);
  expectProtocolError(() => decodePdu(lying), DimseErrorCode.PduMalformed, /length field says/);
  // An item length that runs past the end of the PDU.
  const item = Buffer.from(good);
  item.writeUInt16BE(0xfff0, 76);
  expectProtocolError(() => decodePdu(item), DimseErrorCode.PduMalformed, /item 0x10 says 65520 bytes/);
  // Short of the 68 fixed bytes.
  const short = Buffer.from([0x01, 0, 0, 0, 0, 10, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  expectProtocolError(() => decodePdu(short), DimseErrorCode.PduMalformed, /fewer than its 68 fixed bytes/);
  // A-RELEASE-RQ must have exactly 4 bytes.
  expectProtocolError(
    () => decodePdu(Buffer.from([0x05, 0, 0, 0, 0, 2, 0, 0])),
    DimseErrorCode.PduMalformed,
    /A-RELEASE-RQ has a 2-byte body/,
  );
  // A PDV item whose length runs past the P-DATA-TF.
  const pdata = encodePdu({
    type: PduType.PDataTf,
    pdvs: [{ presentationContextId: 1, isCommand: true, isLast: true, data: new Uint8Array(4) }],
  });
  pdata.writeUInt32BE(100, 6);
  expectProtocolError(() => decodePdu(pdata), DimseErrorCode.PduMalformed, /PDV item length 100/);
  // A presentation context without an abstract syntax.
  const noAbstract = encodePdu({
    ...rq,
    presentationContexts: [{ id: 1, abstractSyntax: '', transferSyntaxes: ['1.2.840.10008.1.2'] }],
  });
  const at = noAbstract.indexOf(Buffer.from([0x30, 0, 0, 0]));
  noAbstract[at] = 0x31;
  expectProtocolError(() => decodePdu(noAbstract), DimseErrorCode.PduMalformed, /0 abstract syntaxes/);
});

interface Recorded {
  pdus: Pdu[];
  pdvs: { id: number; isCommand: boolean; isLast: boolean; bytes: number[] }[];
}

function recorder(): { handler: PduReaderHandler; seen: Recorded } {
  const seen: Recorded = { pdus: [], pdvs: [] };
  const handler: PduReaderHandler = {
    onPdu: (pdu) => seen.pdus.push(pdu),
    onPdvStart: (pdv) =>
      seen.pdvs.push({
        id: pdv.presentationContextId,
        isCommand: pdv.isCommand,
        isLast: pdv.isLast,
        bytes: [],
      }),
    onPdvData: (chunk) => seen.pdvs.at(-1)!.bytes.push(...chunk),
    onPdvEnd: () => {},
  };
  return { handler, seen };
}

test('the streaming reader gives the same PDUs and PDVs whatever the chunking', () => {
  const stream = Buffer.concat([
    encodePdu(rq),
    encodePdu({
      type: PduType.PDataTf,
      pdvs: [
        { presentationContextId: 1, isCommand: true, isLast: true, data: new Uint8Array([1, 2, 3]) },
        { presentationContextId: 1, isCommand: false, isLast: false, data: new Uint8Array([4, 5, 6, 7]) },
      ],
    }),
    encodePdu({
      type: PduType.PDataTf,
      pdvs: [{ presentationContextId: 1, isCommand: false, isLast: true, data: new Uint8Array([]) }],
    }),
    encodePdu({ type: PduType.AReleaseRq }),
  ]);
  let reference: Recorded | undefined;
  for (const size of [1, 2, 5, 6, 7, 13, 64, stream.byteLength]) {
    const { handler, seen } = recorder();
    const reader = new PduReader(handler, { maxPDataLengthBytes: 1024, maxOtherPduLengthBytes: 4096 });
    for (let o = 0; o < stream.byteLength; o += size) reader.push(stream.subarray(o, o + size));
    assert.ok(reader.atPduBoundary);
    assert.equal(seen.pdus.length, 2, `chunk size ${size}`);
    assert.deepEqual(seen.pdvs, [
      { id: 1, isCommand: true, isLast: true, bytes: [1, 2, 3] },
      { id: 1, isCommand: false, isLast: false, bytes: [4, 5, 6, 7] },
      { id: 1, isCommand: false, isLast: true, bytes: [] },
    ]);
    reference ??= seen;
    assert.deepEqual(plain(seen.pdus), plain(reference.pdus));
  }
});

test('the streaming reader hands P-DATA on as views of the incoming chunk, without copying', () => {
  const data = new Uint8Array(1000).fill(7);
  const chunk = encodePdu({
    type: PduType.PDataTf,
    pdvs: [{ presentationContextId: 1, isCommand: false, isLast: true, data }],
  });
  const views: Uint8Array[] = [];
  const reader = new PduReader(
    { onPdu() {}, onPdvStart() {}, onPdvData: (v) => views.push(v), onPdvEnd() {} },
    { maxPDataLengthBytes: 2000, maxOtherPduLengthBytes: 2000 },
  );
  reader.push(chunk);
  assert.equal(views.length, 1);
  assert.equal(views[0]!.buffer, chunk.buffer);
});

test('a P-DATA-TF longer than we announced is refused before its body arrives', () => {
  const { handler } = recorder();
  const reader = new PduReader(handler, { maxPDataLengthBytes: 16384, maxOtherPduLengthBytes: 65536 });
  const header = Buffer.from([0x04, 0, 0, 0, 0, 0]);
  header.writeUInt32BE(16385, 2);
  const err = expectProtocolError(
    () => reader.push(header),
    DimseErrorCode.PduTooLong,
    /16385 bytes exceeds/,
  );
  assert.equal(err.abortReason, AbortReason.InvalidPduParameterValue);
});

test('the streaming reader refuses unknown types, stray bytes after a PDV and oversized associate PDUs', () => {
  const { handler } = recorder();
  const fresh = () => new PduReader(handler, { maxPDataLengthBytes: 1024, maxOtherPduLengthBytes: 1024 });
  expectProtocolError(
    () => fresh().push(Buffer.from('GET / HTTP/1.1\r\n')),
    DimseErrorCode.PduUnknownType,
    /0x47/,
  );
  // A P-DATA-TF of 9 bytes holding a 6-byte PDV (item length 2) and 3 stray bytes.
  expectProtocolError(
    () => fresh().push(Buffer.from([0x04, 0, 0, 0, 0, 9, 0, 0, 0, 2, 1, 3, 0, 0, 0])),
    DimseErrorCode.PduMalformed,
    /3 stray bytes/,
  );
  expectProtocolError(
    () => fresh().push(Buffer.from([0x01, 0, 0, 0, 0x10, 0])),
    DimseErrorCode.PduTooLong,
    /exceeds the 1024-byte bound/,
  );
});
