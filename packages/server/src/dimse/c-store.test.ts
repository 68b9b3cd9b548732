import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Actor, StoreFailure, type StoreInput, type StoreOutcome } from '../archive/ports.ts';
import { Service } from './association.ts';
import { performCStore, storeStatus } from './c-store.ts';
import { CommandField, Status } from './dimse-message.ts';

const actor: Actor = { kind: 'ae', id: 'MOD1', name: 'MOD1', roles: [], siteId: null };
const CT = '1.2.840.10008.5.1.4.1.1.2';

const failure = (f: StoreFailure): StoreOutcome => ({ ok: false, failure: f, reason: `because ${f}` });

test('store outcomes map to PS3.4 B.2.3 statuses with the reason as Error Comment', () => {
  const expected: [StoreFailure, number][] = [
    [StoreFailure.OutOfResources, 0xa700],
    [StoreFailure.TooLarge, 0xa700],
    [StoreFailure.StorageUnavailable, 0xa700],
    [StoreFailure.MissingAttribute, 0xa900],
    [StoreFailure.UidMismatch, 0xa900],
    [StoreFailure.StudyMismatch, 0xa900],
    [StoreFailure.CannotParse, 0xc000],
    [StoreFailure.UnsupportedTransferSyntax, 0xc000],
    [StoreFailure.Forbidden, 0x0124],
  ];
  for (const [f, status] of expected) {
    assert.deepEqual(storeStatus(failure(f)), { status, errorComment: `because ${f}` }, f);
  }
  const ok: StoreOutcome = {
    ok: true,
    duplicate: true,
    sopClassUid: CT,
    sopInstanceUid: '1.2',
    studyUid: '1',
    seriesUid: '1.1',
    transferSyntaxUid: '1.2.840.10008.1.2',
    sizeBytes: 10,
  };
  assert.deepEqual(storeStatus(ok), { status: Status.Success }, 'a duplicate is a success');
});

async function* chunks(...parts: number[][]) {
  for (const p of parts) yield new Uint8Array(p);
}

test('performCStore streams the body with the context transfer syntax and the command UIDs', async () => {
  const seen: StoreInput[] = [];
  const ingest = {
    async store(input: StoreInput): Promise<StoreOutcome> {
      seen.push(input);
      for await (const _ of input.body);
      return failure(StoreFailure.UidMismatch);
    },
  };
  const result = await performCStore(ingest, {
    command: {
      commandField: CommandField.CStoreRq,
      messageId: 1,
      affectedSopClassUid: CT,
      affectedSopInstanceUid: '1.2.3',
      hasDataSet: true,
      raw: {},
    },
    context: { id: 1, abstractSyntax: CT, transferSyntax: '1.2.840.10008.1.2.2', service: Service.Storage },
    body: chunks([1, 2], [3]),
    actor,
    origin: { protocol: 'dimse', remoteAddress: '127.0.0.1', callingAe: 'MOD1' },
  });
  assert.equal(result.status, 0xa900);
  assert.equal(seen[0]!.framing, 'dataset');
  assert.equal(seen[0]!.transferSyntaxUid, '1.2.840.10008.1.2.2');
  assert.equal(seen[0]!.sopInstanceUid, '1.2.3');
  assert.equal(seen[0]!.sopClassUid, CT);
});

test('a SOP class other than the context abstract syntax is refused before the ingest is called', async () => {
  let called = false;
  const result = await performCStore(
    {
      async store() {
        called = true;
        throw new Error('not reached');
      },
    },
    {
      command: {
        commandField: CommandField.CStoreRq,
        affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.4',
        affectedSopInstanceUid: '1.2.3',
        hasDataSet: true,
        raw: {},
      },
      context: { id: 1, abstractSyntax: CT, transferSyntax: '1.2.840.10008.1.2', service: Service.Storage },
      body: chunks(),
      actor,
      origin: { protocol: 'dimse', remoteAddress: '127.0.0.1' },
    },
  );
  assert.equal(result.status, Status.RefusedSopClassNotSupported);
  assert.equal(called, false);
});
