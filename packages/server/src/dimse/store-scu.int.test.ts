// The C-STORE SCU against Confer's own DimseServer (over the real archive services), against dcmtk's storescp, and
// against a scripted fake SCP for what a well-behaved peer never does (abort, silence, tiny PDUs).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dcmtkSkipReason } from '../../test/support/dcmtk.ts';
import { startDimseArchive } from '../../test/support/dimse-archive.ts';
import { TransferSyntax } from '../dicom/transfer-syntax.ts';
import { Rng } from '../synthetic/prng.ts';
import { DEFAULT_SITES } from '../synthetic/sites.ts';
import { planStudy, type SyntheticStudy } from '../synthetic/study.ts';
import {
  CommandField,
  type DimseCommand,
  decodeCommand,
  encodeCommand,
  encodeMessage,
  Status,
} from './dimse-message.ts';
import {
  type AAssociateRq,
  AbortSource,
  DICOM_APPLICATION_CONTEXT_NAME,
  decodePdu,
  encodePdu,
  type Pdu,
  PduType,
  PresentationContextResult,
  RejectSource,
  ServiceUserRejectReason,
} from './pdu.ts';
import {
  contextsFor,
  type InstanceToStore,
  part10Instance,
  StoreScu,
  StoreScuError,
  StoreScuErrorCode,
  storeInstances,
  storePart10Files,
  storeStatusKind,
} from './store-scu.ts';

const site = DEFAULT_SITES[3]!; // Red Mesa
const at = new Date('2026-03-10T14:30:00Z');
const sites = [{ id: site.id, aeTitles: [site.aeTitle] }];

function study(
  protocol: string,
  seed: string,
  extra: { tiny?: boolean; slices?: number; report?: boolean } = {},
) {
  return planStudy({ site, studyDateTime: at, protocol, tiny: true, slices: 2, ...extra }, new Rng(seed));
}

function instancesOf(s: SyntheticStudy): InstanceToStore[] {
  return [...s.instances()].map((i) => part10Instance(i.part10));
}

function rejectsWith(code: string, pattern?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof StoreScuError, `a StoreScuError, not ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

describe("against Confer's own DIMSE server", () => {
  test('a study sent over one association is stored, cut to the server maximum PDU length', async () => {
    // 4096 is the smallest maximum Confer announces; it aborts any longer P-DATA-TF, so this proves the cut.
    const t = await startDimseArchive({ sites, maxPduLengthBytes: 4096 });
    try {
      const s = study('ct-head', 'scu-ct', { tiny: false, report: true });
      const instances = instancesOf(s);
      const assoc = await StoreScu.connect({
        host: '127.0.0.1',
        port: t.port,
        callingAe: site.aeTitle,
        calledAe: t.aeTitle,
        contexts: contextsFor(instances),
        timeoutMs: 10_000,
      });
      assert.equal(assoc.peerMaxPduLengthBytes, 4096);
      assert.equal(assoc.acceptedContexts.length, 2, 'CT image and Basic Text SR');
      for (const i of instances) {
        const r = await assoc.store(i);
        assert.equal(storeStatusKind(r.status), 'success', `${r.status}: ${r.errorComment}`);
      }
      await assoc.release();
      assert.equal(assoc.isOpen, false);
      await assert.rejects(assoc.store(instances[0]!), rejectsWith(StoreScuErrorCode.Closed));
      assert.deepEqual((await t.storedInstanceUids()).sort(), instances.map((i) => i.sopInstanceUid).sort());
    } finally {
      await t.close();
    }
  });

  test('storeInstances derives the contexts, reports a refused instance and stores the rest', async () => {
    const t = await startDimseArchive({ sites });
    try {
      const good = [
        ...instancesOf(study('cr-chest-2v', 'scu-cr')),
        ...instancesOf(study('us-abdomen', 'scu-us')),
      ];
      const bad: InstanceToStore = {
        ...good[0]!,
        sopInstanceUid: '1.2.826.0.1.3680043.2.1125.99.7',
        dataset: Buffer.from('not a data set at all'),
      };
      const result = await storeInstances(
        { host: '127.0.0.1', port: t.port, callingAe: site.aeTitle, calledAe: t.aeTitle },
        [...good, bad],
      );
      assert.equal(result.attempted, good.length + 1);
      assert.equal(result.succeeded, good.length);
      assert.equal(result.failed.length, 1);
      assert.equal(result.failed[0]!.sopInstanceUid, bad.sopInstanceUid);
      assert.equal(storeStatusKind(result.failed[0]!.status!), 'failure');
      assert.ok(result.failed[0]!.errorComment, 'Confer says why');
      assert.equal((await t.storedInstanceUids()).length, good.length);
    } finally {
      await t.close();
    }
  });

  test('Part 10 files as bytes go through storePart10Files', async () => {
    const t = await startDimseArchive({ sites });
    try {
      const files = [...study('mr-brain', 'scu-mr').instances()].map((i) => i.part10);
      const result = await storePart10Files(
        { host: '127.0.0.1', port: t.port, callingAe: site.aeTitle, calledAe: t.aeTitle },
        files,
      );
      assert.equal(result.succeeded, files.length);
      assert.equal((await t.storedInstanceUids()).length, files.length);
    } finally {
      await t.close();
    }
  });

  test('an unknown calling AE title is rejected with an error that names the reason', async () => {
    const t = await startDimseArchive({ sites });
    try {
      await assert.rejects(
        StoreScu.connect({
          host: '127.0.0.1',
          port: t.port,
          callingAe: 'STRANGER',
          calledAe: t.aeTitle,
          contexts: contextsFor(instancesOf(study('cr-chest-ap', 'scu-rj'))),
        }),
        (err: unknown) => {
          rejectsWith(StoreScuErrorCode.AssociationRejected, /calling AE title not recognized/)(err);
          assert.deepEqual((err as StoreScuError).rejection, {
            result: 1,
            source: RejectSource.ServiceUser,
            reason: ServiceUserRejectReason.CallingAeTitleNotRecognized,
          });
          assert.match((err as Error).message, /permanently/);
          return true;
        },
      );
      await assert.rejects(
        StoreScu.connect({
          host: '127.0.0.1',
          port: t.port,
          callingAe: site.aeTitle,
          calledAe: 'SOMEONE_ELSE',
          contexts: contextsFor(instancesOf(study('cr-chest-ap', 'scu-rj'))),
        }),
        rejectsWith(StoreScuErrorCode.AssociationRejected, /called AE title not recognized/),
      );
    } finally {
      await t.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// A scripted SCP

interface FakeStore {
  command: DimseCommand;
  data: Buffer;
}
type StoreAnswer = { status: number; errorComment?: string } | 'abort' | 'silence';

interface FakeScpOptions {
  /** Announced in the A-ASSOCIATE-AC. */
  maxLengthBytes?: number;
  /** Never answer the A-ASSOCIATE-RQ. */
  silentAssociation?: boolean;
  /** Accept nothing: every context gets result 3. */
  refuseAll?: boolean;
  answer?: (store: FakeStore) => StoreAnswer;
}

interface FakeScp {
  port: number;
  pdus: Pdu[];
  pDataLengths: number[];
  stores: FakeStore[];
  /** Resolves once a PDU of this type has arrived (at once if one already has). */
  received(type: number): Promise<void>;
  close(): Promise<void>;
}

/** Reads whole PDUs off each connection and answers as told; keeps what it saw for the test to check. */
async function fakeScp(options: FakeScpOptions = {}): Promise<FakeScp> {
  const waiting: { type: number; resolve: () => void }[] = [];
  const seen: FakeScp = {
    port: 0,
    pdus: [],
    pDataLengths: [],
    stores: [],
    received: (type) =>
      seen.pdus.some((p) => p.type === type)
        ? Promise.resolve()
        : new Promise((resolve) => waiting.push({ type, resolve })),
    close: async () => {},
  };
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    let command: Buffer[] = [];
    let data: Buffer[] = [];
    let pending: DimseCommand | null = null;
    let contextId = 0;
    const answer = (c: DimseCommand, bytes: Buffer) => {
      const store = { command: c, data: bytes };
      seen.stores.push(store);
      const a = options.answer?.(store) ?? { status: Status.Success };
      if (a === 'silence') return;
      if (a === 'abort') {
        socket.end(encodePdu({ type: PduType.AAbort, source: AbortSource.ServiceUser, reason: 0 }));
        return;
      }
      const rsp = encodeCommand({
        commandField: CommandField.CStoreRsp,
        messageIdBeingRespondedTo: c.messageId!,
        affectedSopClassUid: c.affectedSopClassUid!,
        affectedSopInstanceUid: c.affectedSopInstanceUid!,
        status: a.status,
        ...(a.errorComment ? { errorComment: a.errorComment } : {}),
        hasDataSet: false,
      });
      socket.write(encodeMessage(contextId, rsp, undefined, 0));
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.byteLength >= 6) {
        const length = buffered.readUInt32BE(2);
        if (buffered.byteLength < 6 + length) break;
        const pdu = decodePdu(buffered.subarray(0, 6 + length));
        buffered = buffered.subarray(6 + length);
        seen.pdus.push(pdu);
        for (const w of waiting.filter((x) => x.type === pdu.type)) w.resolve();
        switch (pdu.type) {
          case PduType.AAssociateRq:
            if (!options.silentAssociation) socket.write(encodePdu(acceptAll(pdu, options)));
            break;
          case PduType.PDataTf:
            seen.pDataLengths.push(length);
            for (const pdv of pdu.pdvs) {
              contextId = pdv.presentationContextId;
              (pdv.isCommand ? command : data).push(Buffer.from(pdv.data));
              if (!pdv.isLast) continue;
              if (pdv.isCommand) {
                pending = decodeCommand(Buffer.concat(command));
                command = [];
                if (!pending.hasDataSet) answer(pending, Buffer.alloc(0));
              } else {
                const bytes = Buffer.concat(data);
                data = [];
                answer(pending!, bytes);
              }
            }
            break;
          case PduType.AReleaseRq:
            socket.end(encodePdu({ type: PduType.AReleaseRp }));
            break;
          default:
        }
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  seen.port = (server.address() as AddressInfo).port;
  seen.close = async () => {
    for (const s of sockets) s.destroy();
    server.close();
    await once(server, 'close');
  };
  return seen;
}

function acceptAll(rq: AAssociateRq, options: FakeScpOptions): Pdu {
  return {
    type: PduType.AAssociateAc,
    protocolVersion: 1,
    calledAeTitle: rq.calledAeTitle,
    callingAeTitle: rq.callingAeTitle,
    applicationContextName: DICOM_APPLICATION_CONTEXT_NAME,
    presentationContexts: rq.presentationContexts.map((pc) => ({
      id: pc.id,
      result: options.refuseAll
        ? PresentationContextResult.AbstractSyntaxNotSupported
        : PresentationContextResult.Acceptance,
      transferSyntax: pc.transferSyntaxes[0]!,
    })),
    userInformation: {
      ...(options.maxLengthBytes !== undefined ? { maxLengthBytes: options.maxLengthBytes } : {}),
      roleSelections: [],
      otherItems: [],
    },
  };
}

const connectTo = (
  port: number,
  contexts = contextsFor(instancesOf(study('cr-chest-ap', 'fake'))),
  timeoutMs = 10_000,
) =>
  StoreScu.connect({ host: '127.0.0.1', port, callingAe: 'SCU_TEST', calledAe: 'FAKE', contexts, timeoutMs });

describe('against a scripted SCP', () => {
  test('every P-DATA-TF fits the announced maximum and the data set arrives whole', async () => {
    const scp = await fakeScp({
      maxLengthBytes: 1000,
      answer: () => ({ status: 0xb000, errorComment: 'coerced' }),
    });
    try {
      const instance = instancesOf(study('cr-chest-ap', 'fragments'))[0]!;
      const dataset = Buffer.alloc(25_000);
      for (let i = 0; i < dataset.byteLength; i++) dataset[i] = i % 251;
      const assoc = await connectTo(scp.port);
      const r = await assoc.store({ ...instance, dataset });
      assert.deepEqual(r, { status: 0xb000, errorComment: 'coerced' });
      assert.equal(storeStatusKind(r.status), 'warning');
      await assoc.release();
      assert.ok(scp.pDataLengths.length > 25, `${scp.pDataLengths.length} PDUs`);
      assert.ok(
        scp.pDataLengths.every((n) => n <= 1000),
        `largest ${Math.max(...scp.pDataLengths)}`,
      );
      assert.deepEqual(scp.stores[0]!.data, dataset);
      assert.equal(scp.stores[0]!.command.affectedSopInstanceUid, instance.sopInstanceUid);
      assert.equal(scp.pdus.at(-1)!.type, PduType.AReleaseRq);
    } finally {
      await scp.close();
    }
  });

  test('a failure status and its comment come back as they were sent', async () => {
    const scp = await fakeScp({
      answer: () => ({ status: Status.RefusedOutOfResources, errorComment: 'disk full' }),
    });
    try {
      const assoc = await connectTo(scp.port);
      const r = await assoc.store(instancesOf(study('cr-chest-ap', 'fake'))[0]!);
      assert.deepEqual(r, { status: Status.RefusedOutOfResources, errorComment: 'disk full' });
      assert.equal(storeStatusKind(r.status), 'failure');
      assert.ok(assoc.isOpen, 'a refused instance leaves the association usable');
      await assoc.release();
    } finally {
      await scp.close();
    }
  });

  test('an instance with no accepted context is refused locally and the association goes on', async () => {
    const scp = await fakeScp();
    try {
      const assoc = await connectTo(scp.port);
      const instance = instancesOf(study('cr-chest-ap', 'fake'))[0]!;
      await assert.rejects(
        assoc.store({ ...instance, transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian }),
        rejectsWith(StoreScuErrorCode.NoPresentationContext, /1\.2\.840\.10008\.1\.2 /),
      );
      assert.equal((await assoc.store(instance)).status, Status.Success);
      await assoc.release();
    } finally {
      await scp.close();
    }
  });

  test('a peer that accepts no context: NoPresentationContext, after a release', async () => {
    const scp = await fakeScp({ refuseAll: true });
    try {
      await assert.rejects(
        connectTo(scp.port),
        rejectsWith(StoreScuErrorCode.NoPresentationContext, /abstract syntax not supported/),
      );
      assert.equal(scp.pdus.at(-1)!.type, PduType.AReleaseRq);
    } finally {
      await scp.close();
    }
  });

  test('an A-ABORT from the peer fails the store in flight and every later one', async () => {
    const scp = await fakeScp({ answer: () => 'abort' });
    try {
      const assoc = await connectTo(scp.port);
      const instance = instancesOf(study('cr-chest-ap', 'fake'))[0]!;
      const first = assoc.store(instance);
      const queued = assoc.store(instance);
      await assert.rejects(first, (err: unknown) => {
        rejectsWith(StoreScuErrorCode.Aborted, /A-ABORT/)(err);
        assert.deepEqual((err as StoreScuError).abort, { source: 0, reason: 0 });
        return true;
      });
      await assert.rejects(queued, rejectsWith(StoreScuErrorCode.Aborted));
      await assoc.release();
      assert.equal(assoc.isOpen, false);
    } finally {
      await scp.close();
    }
  });

  test('a silent peer times out: at association, and on a response (then we abort)', async () => {
    const mute = await fakeScp({ silentAssociation: true });
    const slow = await fakeScp({ answer: () => 'silence' });
    try {
      await assert.rejects(
        connectTo(mute.port, undefined, 150),
        rejectsWith(StoreScuErrorCode.Timeout, /A-ASSOCIATE-RQ/),
      );
      const assoc = await connectTo(slow.port, undefined, 150);
      await assert.rejects(
        assoc.store(instancesOf(study('cr-chest-ap', 'fake'))[0]!),
        rejectsWith(StoreScuErrorCode.Timeout, /C-STORE-RSP/),
      );
      await slow.received(PduType.AAbort);
    } finally {
      await mute.close();
      await slow.close();
    }
  });

  test('nobody listening: ConnectFailed', async () => {
    const scp = await fakeScp();
    const port = scp.port;
    await scp.close();
    await assert.rejects(connectTo(port), rejectsWith(StoreScuErrorCode.ConnectFailed, /ECONNREFUSED/));
  });
});

// ---------------------------------------------------------------------------------------------------------
// dcmtk

const dcmtkSkip = dcmtkSkipReason();

describe("against dcmtk's storescp", { skip: dcmtkSkip }, () => {
  test('every instance of several modalities and both syntaxes lands as a file', async () => {
    const out = await mkdtemp(join(tmpdir(), 'confer-storescp-'));
    const children: ChildProcess[] = [];
    // storescp wants a fixed port; in inetd mode it serves one association on the socket it is handed,
    // so we listen on port 0 and start one storescp per connection.
    const server = createServer({ pauseOnConnect: true }, (socket) => {
      const child = spawn('storescp', ['--inetd', '-aet', 'STORESCP', '-od', out], {
        stdio: [socket, socket, 'ignore'],
      });
      children.push(child);
      child.on('exit', () => socket.destroy());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    try {
      const instances = [
        ...instancesOf(study('ct-chest', 'dcmtk-ct', { report: true })),
        ...instancesOf(study('mr-brain', 'dcmtk-mr')),
        ...instancesOf(study('cr-chest-2v', 'dcmtk-cr')),
        ...[
          ...planStudy(
            {
              site,
              studyDateTime: at,
              protocol: 'us-abdomen',
              tiny: true,
              transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian,
            },
            new Rng('dcmtk-us'),
          ).instances(),
        ].map((i) => part10Instance(i.part10)),
      ];
      const result = await storeInstances(
        { host: '127.0.0.1', port, callingAe: 'CONFER_SCU', calledAe: 'STORESCP', timeoutMs: 20_000 },
        instances,
      );
      assert.deepEqual(result.failed, []);
      assert.equal(result.succeeded, instances.length);
      await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
      assert.equal(children.length, 1, 'one association');
      assert.equal(children[0]!.exitCode, 0);
      const files = await readdir(out);
      assert.equal(files.length, instances.length, files.join(', '));
      for (const i of instances)
        assert.ok(
          files.some((f) => f.endsWith(i.sopInstanceUid)),
          i.sopInstanceUid,
        );
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill();
      server.close();
      await rm(out, { recursive: true, force: true });
    }
  });
});
