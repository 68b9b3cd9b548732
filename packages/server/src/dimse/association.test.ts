import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Actor } from '../archive/ports.ts';
import { TransferSyntax } from '../dicom/transfer-syntax.ts';
import {
  type AssociationPolicy,
  chooseTransferSyntax,
  decideAssociation,
  isStorageSopClass,
  negotiatePresentationContexts,
  QueryModel,
  Service,
  SopClass,
  serviceFor,
} from './association.ts';
import { DimseErrorCode, DimseProtocolError } from './errors.ts';
import {
  type AAssociateRq,
  AcseRejectReason,
  DICOM_APPLICATION_CONTEXT_NAME,
  PduType,
  PresentationContextResult,
  PresentationRejectReason,
  RejectResult,
  RejectSource,
  ServiceUserRejectReason,
} from './pdu.ts';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const actor: Actor = { kind: 'ae', id: 'MOD1', name: 'MOD1', roles: ['modality'], siteId: 'site-1' };

const policy: AssociationPolicy = {
  aeTitle: 'CONFER',
  maxPduLengthBytes: 65536,
  acceptUnknownSopClasses: false,
  resolveCallingAe: (ae) => (ae === 'MOD1' ? { actor } : null),
};

function request(overrides: Partial<AAssociateRq> = {}): AAssociateRq {
  return {
    type: PduType.AAssociateRq,
    protocolVersion: 1,
    calledAeTitle: 'CONFER',
    callingAeTitle: 'MOD1',
    applicationContextName: DICOM_APPLICATION_CONTEXT_NAME,
    presentationContexts: [
      { id: 1, abstractSyntax: SopClass.Verification, transferSyntaxes: ['1.2.840.10008.1.2'] },
    ],
    userInformation: { maxLengthBytes: 16384, roleSelections: [], otherItems: [] },
    ...overrides,
  };
}

const slots = (free: boolean) => ({ remoteAddress: '127.0.0.1', closing: false, reserveSlot: () => free });

test('storage, verification and the two FIND models are recognised; other services are not storage', () => {
  assert.deepEqual(serviceFor(SopClass.Verification, false), { service: Service.Verification });
  assert.deepEqual(serviceFor(SopClass.StudyRootQueryRetrieveInformationModelFind, false), {
    service: Service.Find,
    queryModel: QueryModel.StudyRoot,
  });
  assert.deepEqual(serviceFor(SopClass.PatientRootQueryRetrieveInformationModelFind, false), {
    service: Service.Find,
    queryModel: QueryModel.PatientRoot,
  });
  for (const uid of [
    CT,
    '1.2.840.10008.5.1.4.1.1.88.22',
    '1.2.840.10008.5.1.4.34.7',
    '1.2.840.10008.5.1.4.34.10',
    '1.2.840.10008.5.1.4.38.1',
    '1.2.840.10008.5.1.4.43.1',
    '1.2.840.10008.5.1.4.44.1',
    '1.2.840.10008.5.1.4.45.1',
  ]) {
    assert.ok(isStorageSopClass(uid), uid);
  }
  for (const uid of [
    '1.2.840.10008.5.1.4.1.2.2.2', // Study Root MOVE
    '1.2.840.10008.5.1.4.34.6.1', // UPS Push
    '1.2.840.10008.5.1.4.38.2', // Hanging Protocol FIND
    '1.2.840.10008.5.1.4.1.1.201.2', // Inventory FIND
    '1.2.840.10008.5.1.4.31', // Modality Worklist
  ]) {
    assert.equal(isStorageSopClass(uid), false, uid);
    assert.equal(serviceFor(uid, true), null, `${uid} is never storage, even with acceptUnknownSopClasses`);
  }
  assert.equal(serviceFor('1.2.3.4.5.6', false), null);
  assert.deepEqual(serviceFor('1.2.3.4.5.6', true), { service: Service.Storage });
});

test("the proposer's first acceptable transfer syntax wins; FIND needs a native one", () => {
  assert.equal(
    chooseTransferSyntax(Service.Storage, [
      '1.2.3.999',
      TransferSyntax.JPEGLosslessSV1,
      TransferSyntax.ExplicitVRLittleEndian,
    ]),
    TransferSyntax.JPEGLosslessSV1,
  );
  assert.equal(
    chooseTransferSyntax(Service.Storage, [
      TransferSyntax.ExplicitVRBigEndian,
      TransferSyntax.ImplicitVRLittleEndian,
    ]),
    TransferSyntax.ExplicitVRBigEndian,
  );
  assert.equal(
    chooseTransferSyntax(Service.Find, [
      TransferSyntax.DeflatedExplicitVRLittleEndian,
      TransferSyntax.ImplicitVRLittleEndian,
    ]),
    TransferSyntax.ImplicitVRLittleEndian,
  );
  assert.equal(chooseTransferSyntax(Service.Storage, ['1.2.3.999']), undefined);
});

test('presentation contexts are accepted, or refused with result 3 or 4', () => {
  const { answers, accepted } = negotiatePresentationContexts(
    {
      presentationContexts: [
        { id: 1, abstractSyntax: CT, transferSyntaxes: [TransferSyntax.ExplicitVRLittleEndian] },
        { id: 3, abstractSyntax: '1.2.840.10008.5.1.4.1.2.2.2', transferSyntaxes: ['1.2.840.10008.1.2'] },
        { id: 5, abstractSyntax: CT, transferSyntaxes: ['1.2.3.4.5'] },
        {
          id: 7,
          abstractSyntax: SopClass.StudyRootQueryRetrieveInformationModelFind,
          transferSyntaxes: ['1.2.840.10008.1.2'],
        },
      ],
    },
    false,
  );
  assert.deepEqual(
    answers.map((a) => [a.id, a.result]),
    [
      [1, PresentationContextResult.Acceptance],
      [3, PresentationContextResult.AbstractSyntaxNotSupported],
      [5, PresentationContextResult.TransferSyntaxesNotSupported],
      [7, PresentationContextResult.Acceptance],
    ],
  );
  assert.equal(answers[0]!.transferSyntax, TransferSyntax.ExplicitVRLittleEndian);
  assert.deepEqual([...accepted.keys()], [1, 7]);
  assert.equal(accepted.get(7)!.queryModel, QueryModel.StudyRoot);
});

test('an acceptable request gets an A-ASSOCIATE-AC with our limits and identity', async () => {
  const d = await decideAssociation(
    request({
      userInformation: {
        maxLengthBytes: 0,
        asyncOperationsWindow: { maxOperationsInvoked: 8, maxOperationsPerformed: 8 },
        roleSelections: [
          { sopClassUid: SopClass.Verification, scuRole: true, scpRole: true },
          { sopClassUid: CT, scuRole: true, scpRole: false },
        ],
        otherItems: [],
      },
    }),
    policy,
    slots(true),
  );
  assert.equal(d.kind, 'accept');
  if (d.kind !== 'accept') return;
  assert.equal(d.actor, actor);
  assert.equal(d.peerMaxPduLengthBytes, 0);
  assert.equal(d.ac.calledAeTitle, 'CONFER');
  assert.equal(d.ac.callingAeTitle, 'MOD1');
  assert.equal(d.ac.userInformation.maxLengthBytes, 65536);
  assert.ok(d.ac.userInformation.implementationClassUid);
  assert.deepEqual(d.ac.userInformation.asyncOperationsWindow, {
    maxOperationsInvoked: 1,
    maxOperationsPerformed: 1,
  });
  // Only the SOP classes of accepted contexts are answered, and the peer is never made an SCP.
  assert.deepEqual(d.ac.userInformation.roleSelections, [
    { sopClassUid: SopClass.Verification, scuRole: true, scpRole: false },
  ]);
});

test('requests are refused for the right reason, in PS3.8 9.3.4 terms', async () => {
  const cases: [AAssociateRq, AssociationPolicy, boolean, number, number, number, boolean][] = [
    [
      request({ callingAeTitle: 'STRANGER' }),
      policy,
      true,
      1,
      1,
      ServiceUserRejectReason.CallingAeTitleNotRecognized,
      true,
    ],
    [
      request({ calledAeTitle: 'OTHER' }),
      policy,
      true,
      1,
      1,
      ServiceUserRejectReason.CalledAeTitleNotRecognized,
      true,
    ],
    [
      request({ applicationContextName: '1.2.3' }),
      policy,
      true,
      1,
      1,
      ServiceUserRejectReason.ApplicationContextNameNotSupported,
      false,
    ],
    [
      request({ protocolVersion: 2 }),
      policy,
      true,
      1,
      2,
      AcseRejectReason.ProtocolVersionNotSupported,
      false,
    ],
    [request(), policy, false, 2, 3, PresentationRejectReason.LocalLimitExceeded, false],
  ];
  for (const [rq, p, free, result, source, reason, audit] of cases) {
    const d = await decideAssociation(rq, p, slots(free));
    assert.equal(d.kind, 'reject');
    if (d.kind !== 'reject') continue;
    assert.deepEqual([d.result, d.source, d.reason, d.audit], [result, source, reason, audit], d.why);
  }
  assert.equal(RejectResult.RejectedTransient, 2);
  assert.equal(RejectSource.ServiceProviderPresentation, 3);
});

test('called AE titles compare without their padding', async () => {
  const d = await decideAssociation(request({ calledAeTitle: '  CONFER ' }), policy, slots(true));
  assert.equal(d.kind, 'accept');
});

test('an asynchronous resolver is awaited, and the slot is only taken for a known AE', async () => {
  let taken = 0;
  const asyncPolicy: AssociationPolicy = {
    ...policy,
    resolveCallingAe: async (ae) => (ae === 'MOD1' ? { actor } : null),
  };
  const ctx = { remoteAddress: '10.0.0.1', closing: false, reserveSlot: () => ++taken > 0 };
  assert.equal((await decideAssociation(request({ callingAeTitle: 'X' }), asyncPolicy, ctx)).kind, 'reject');
  assert.equal(taken, 0);
  assert.equal((await decideAssociation(request(), asyncPolicy, ctx)).kind, 'accept');
  assert.equal(taken, 1);
});

test('even or repeated presentation context IDs are a protocol error', async () => {
  for (const ids of [[2], [1, 1]]) {
    const rq = request({
      presentationContexts: ids.map((id) => ({
        id,
        abstractSyntax: CT,
        transferSyntaxes: ['1.2.840.10008.1.2'],
      })),
    });
    await assert.rejects(
      decideAssociation(rq, policy, slots(true)),
      (err: unknown) => err instanceof DimseProtocolError && err.code === DimseErrorCode.PduInvalidParameter,
    );
  }
});
