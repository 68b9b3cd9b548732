import type { Actor } from '../archive/ports.ts';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../dicom/part10.ts';
import { isKnownTransferSyntax, TransferSyntax } from '../dicom/transfer-syntax.ts';
import { AbortReason, DimseErrorCode, DimseProtocolError } from './errors.ts';
import {
  type AAssociateAc,
  type AAssociateRq,
  AcseRejectReason,
  DICOM_APPLICATION_CONTEXT_NAME,
  PduType,
  type PresentationContextAnswer,
  PresentationContextResult,
  PresentationRejectReason,
  RejectResult,
  RejectSource,
  type RoleSelection,
  ServiceUserRejectReason,
} from './pdu.ts';

/** SOP classes Confer serves other than storage (PS3.4 A.4, C.6). */
export const SopClass = {
  Verification: '1.2.840.10008.1.1',
  PatientRootQueryRetrieveInformationModelFind: '1.2.840.10008.5.1.4.1.2.1.1',
  StudyRootQueryRetrieveInformationModelFind: '1.2.840.10008.5.1.4.1.2.2.1',
} as const;

/** What an accepted presentation context is for. */
export const Service = { Verification: 'verification', Find: 'find', Storage: 'storage' } as const;
export type Service = (typeof Service)[keyof typeof Service];

export const QueryModel = { PatientRoot: 'patient-root', StudyRoot: 'study-root' } as const;
export type QueryModel = (typeof QueryModel)[keyof typeof QueryModel];

/** A presentation context as accepted: what it carries, in which transfer syntax, for which service. */
export interface AcceptedContext {
  id: number;
  abstractSyntax: string;
  transferSyntax: string;
  service: Service;
  /** Set for Find contexts. */
  queryModel?: QueryModel;
}

const STORAGE_PREFIX = '1.2.840.10008.5.1.4.1.1.';

/**
 * Storage SOP classes outside 1.2.840.10008.5.1.4.1.1 (PS3.4 B.5): RT delivery instructions, hanging
 * protocols, color palettes, implant templates. Their siblings are not storage: ...34.6.x is UPS, ...34.8 and
 * .9 are machine verification, ...38.2-4, 39.2-4, 43.2-4 etc. are query/retrieve models.
 */
const STORAGE_ELSEWHERE = new Set([
  '1.2.840.10008.5.1.4.34.1',
  '1.2.840.10008.5.1.4.34.7',
  '1.2.840.10008.5.1.4.34.10',
  '1.2.840.10008.5.1.4.38.1',
  '1.2.840.10008.5.1.4.39.1',
  '1.2.840.10008.5.1.4.43.1',
  '1.2.840.10008.5.1.4.44.1',
  '1.2.840.10008.5.1.4.45.1',
]);

/** Under 5.1.4.1.1 but not storage: protocol approval and inventory query/retrieve, inventory creation. */
const NOT_STORAGE_UNDER_PREFIX = new Set([
  '1.2.840.10008.5.1.4.1.1.200.4',
  '1.2.840.10008.5.1.4.1.1.200.5',
  '1.2.840.10008.5.1.4.1.1.200.6',
  '1.2.840.10008.5.1.4.1.1.201.2',
  '1.2.840.10008.5.1.4.1.1.201.3',
  '1.2.840.10008.5.1.4.1.1.201.4',
  '1.2.840.10008.5.1.4.1.1.201.5',
  '1.2.840.10008.5.1.4.1.1.201.6',
]);

/**
 * Standard services that are certainly not storage, so `acceptUnknownSopClasses` never takes them for it:
 * accepting e.g. C-MOVE or UPS here would tell the peer we support a service we would then refuse.
 */
const NOT_STORAGE_PREFIXES = [
  '1.2.840.10008.1.', // verification, storage commitment, procedural event logging...
  '1.2.840.10008.3.1.', // detached management, MPPS
  '1.2.840.10008.5.1.1.', // print management
  '1.2.840.10008.5.1.4.1.2.', // query/retrieve information models
  '1.2.840.10008.5.1.4.31', // modality worklist
  '1.2.840.10008.5.1.4.32', // general purpose worklist (retired)
  '1.2.840.10008.5.1.4.33', // instance availability notification
  '1.2.840.10008.5.1.4.34.', // UPS, machine verification (storage members are listed above)
  '1.2.840.10008.5.1.4.37.', // relevant patient information query
  '1.2.840.10008.5.1.4.38.',
  '1.2.840.10008.5.1.4.39.',
  '1.2.840.10008.5.1.4.41',
  '1.2.840.10008.5.1.4.42',
  '1.2.840.10008.5.1.4.43.',
  '1.2.840.10008.5.1.4.44.',
  '1.2.840.10008.5.1.4.45.',
];

/** True for the storage SOP classes of PS3.4 Annex B (and a few classes defined elsewhere). */
export function isStorageSopClass(uid: string): boolean {
  if (uid.startsWith(STORAGE_PREFIX)) return !NOT_STORAGE_UNDER_PREFIX.has(uid);
  return STORAGE_ELSEWHERE.has(uid);
}

/** What Confer would do with an abstract syntax, or null when it does not serve it. */
export function serviceFor(
  abstractSyntax: string,
  acceptUnknownSopClasses: boolean,
): { service: Service; queryModel?: QueryModel } | null {
  switch (abstractSyntax) {
    case SopClass.Verification:
      return { service: Service.Verification };
    case SopClass.PatientRootQueryRetrieveInformationModelFind:
      return { service: Service.Find, queryModel: QueryModel.PatientRoot };
    case SopClass.StudyRootQueryRetrieveInformationModelFind:
      return { service: Service.Find, queryModel: QueryModel.StudyRoot };
  }
  if (isStorageSopClass(abstractSyntax)) return { service: Service.Storage };
  if (
    acceptUnknownSopClasses &&
    /^[0-9]+(\.[0-9]+)*$/.test(abstractSyntax) &&
    !NOT_STORAGE_PREFIXES.some((p) => abstractSyntax.startsWith(p)) &&
    !NOT_STORAGE_UNDER_PREFIX.has(abstractSyntax)
  ) {
    return { service: Service.Storage };
  }
  return null;
}

/** C-FIND identifiers are encoded by us in the context's syntax, so only the three native ones will do. */
const NATIVE_SYNTAXES = new Set<string>([
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ExplicitVRBigEndian,
]);

/**
 * Chooses the first proposed transfer syntax Confer accepts. The proposer lists syntaxes in its order of
 * preference (PS3.8 9.3.2.2), and taking its own encoding is what keeps the original bytes of an instance.
 */
export function chooseTransferSyntax(service: Service, proposed: readonly string[]): string | undefined {
  if (service === Service.Find) return proposed.find((ts) => NATIVE_SYNTAXES.has(ts));
  return proposed.find((ts) => isKnownTransferSyntax(ts));
}

export interface PresentationNegotiation {
  answers: PresentationContextAnswer[];
  accepted: Map<number, AcceptedContext>;
}

/**
 * Answers every proposed presentation context (PS3.8 9.3.3.2): accepted with one transfer syntax, or refused
 * with result 3 (abstract syntax not supported) or 4 (no transfer syntax supported).
 */
export function negotiatePresentationContexts(
  rq: Pick<AAssociateRq, 'presentationContexts'>,
  acceptUnknownSopClasses: boolean,
): PresentationNegotiation {
  const answers: PresentationContextAnswer[] = [];
  const accepted = new Map<number, AcceptedContext>();
  for (const pc of rq.presentationContexts) {
    const what = serviceFor(pc.abstractSyntax, acceptUnknownSopClasses);
    // Rejected contexts still carry a transfer syntax sub-item; PS3.8 9.3.3.2 says it is not tested.
    const refused = (result: PresentationContextResult): PresentationContextAnswer => ({
      id: pc.id,
      result,
      transferSyntax: TransferSyntax.ImplicitVRLittleEndian,
    });
    if (!what) {
      answers.push(refused(PresentationContextResult.AbstractSyntaxNotSupported));
      continue;
    }
    const ts = chooseTransferSyntax(what.service, pc.transferSyntaxes);
    if (!ts) {
      answers.push(refused(PresentationContextResult.TransferSyntaxesNotSupported));
      continue;
    }
    answers.push({ id: pc.id, result: PresentationContextResult.Acceptance, transferSyntax: ts });
    accepted.set(pc.id, { id: pc.id, abstractSyntax: pc.abstractSyntax, transferSyntax: ts, ...what });
  }
  return { answers, accepted };
}

/**
 * Answers SCP/SCU role selection (PS3.7 D.3.3.4) for the accepted SOP classes: the requestor may be an SCU
 * as it asked, never an SCP, since Confer only ever performs the SCP side here.
 */
export function negotiateRoles(
  proposed: readonly RoleSelection[],
  accepted: ReadonlyMap<number, AcceptedContext>,
): RoleSelection[] {
  const classes = new Set([...accepted.values()].map((c) => c.abstractSyntax));
  return proposed
    .filter((r) => classes.has(r.sopClassUid))
    .map((r) => ({ sopClassUid: r.sopClassUid, scuRole: r.scuRole, scpRole: false }));
}

/** What decides an association: ours to configure, the same for every request. */
export interface AssociationPolicy {
  /** Our AE title: the called AE title must equal it. */
  aeTitle: string;
  /** Announced in our A-ASSOCIATE-AC: the longest P-DATA-TF variable field we accept. */
  maxPduLengthBytes: number;
  acceptUnknownSopClasses: boolean;
  /** Maps the calling AE to an actor; null refuses the association. */
  resolveCallingAe(
    callingAe: string,
    remoteAddress: string,
  ): { actor: Actor } | null | Promise<{ actor: Actor } | null>;
}

/** What decides an association: this request's circumstances. */
export interface AssociationRequestContext {
  remoteAddress: string;
  /** Takes an association slot; false when `maxAssociations` are already in use (or the server is closing). */
  reserveSlot(): boolean;
  /** True when the server is shutting down: the peer should try again later. */
  closing: boolean;
}

/** Accept with an A-ASSOCIATE-AC, or reject with the A-ASSOCIATE-RJ fields (PS3.8 9.3.4). */
export type AssociationDecision =
  | {
      kind: 'accept';
      ac: AAssociateAc;
      actor: Actor;
      contexts: Map<number, AcceptedContext>;
      /** The peer's maximum P-DATA-TF variable field; 0 means no limit (PS3.8 D.1). */
      peerMaxPduLengthBytes: number;
    }
  | {
      kind: 'reject';
      result: RejectResult;
      source: RejectSource;
      reason: number;
      /** For the log and the audit trail. */
      why: string;
      /** Worth an audit event: the peer was refused for who it is or claims to be calling. */
      audit: boolean;
    };

const aeEquals = (a: string, b: string) => a.trim() === b.trim();

/**
 * PS3.8 9.3.2.2: presentation context IDs are odd integers from 1 to 255, and each names one context; an
 * answer to a duplicate or even ID would be ambiguous, so such a request is aborted.
 */
export function validatePresentationContextIds(rq: Pick<AAssociateRq, 'presentationContexts'>): void {
  const seen = new Set<number>();
  for (const pc of rq.presentationContexts) {
    if (pc.id % 2 === 0 || seen.has(pc.id)) {
      throw new DimseProtocolError(
        DimseErrorCode.PduInvalidParameter,
        `presentation context ID ${pc.id} is ${pc.id % 2 === 0 ? 'even' : 'proposed twice'} (PS3.8 9.3.2.2)`,
        AbortReason.InvalidPduParameterValue,
      );
    }
    seen.add(pc.id);
  }
}

/**
 * Decides an A-ASSOCIATE-RQ: presentation context IDs (a bad one throws DimseProtocolError), protocol version, application context, called AE, calling AE (asynchronously,
 * through the policy), the association limit, then the presentation contexts.
 */
export async function decideAssociation(
  rq: AAssociateRq,
  policy: AssociationPolicy,
  request: AssociationRequestContext,
): Promise<AssociationDecision> {
  validatePresentationContextIds(rq);
  const reject = (
    result: RejectResult,
    source: RejectSource,
    reason: number,
    why: string,
    audit = false,
  ): AssociationDecision => ({ kind: 'reject', result, source, reason, why, audit });
  // PS3.8 9.3.2: bit 0 of the protocol version identifies version 1; other bits are for versions to come.
  if ((rq.protocolVersion & 1) === 0) {
    return reject(
      RejectResult.RejectedPermanent,
      RejectSource.ServiceProviderAcse,
      AcseRejectReason.ProtocolVersionNotSupported,
      `protocol version 0x${rq.protocolVersion.toString(16)} is not supported`,
    );
  }
  if (rq.applicationContextName !== DICOM_APPLICATION_CONTEXT_NAME) {
    return reject(
      RejectResult.RejectedPermanent,
      RejectSource.ServiceUser,
      ServiceUserRejectReason.ApplicationContextNameNotSupported,
      `application context ${rq.applicationContextName} is not DICOM's`,
    );
  }
  if (!aeEquals(rq.calledAeTitle, policy.aeTitle)) {
    return reject(
      RejectResult.RejectedPermanent,
      RejectSource.ServiceUser,
      ServiceUserRejectReason.CalledAeTitleNotRecognized,
      `called AE title "${rq.calledAeTitle}" is not ours ("${policy.aeTitle}")`,
      true,
    );
  }
  if (request.closing) {
    return reject(
      RejectResult.RejectedTransient,
      RejectSource.ServiceProviderPresentation,
      PresentationRejectReason.TemporaryCongestion,
      'the server is shutting down',
    );
  }
  const resolved = await policy.resolveCallingAe(rq.callingAeTitle, request.remoteAddress);
  if (!resolved) {
    return reject(
      RejectResult.RejectedPermanent,
      RejectSource.ServiceUser,
      ServiceUserRejectReason.CallingAeTitleNotRecognized,
      `calling AE title "${rq.callingAeTitle}" is not recognized`,
      true,
    );
  }
  if (!request.reserveSlot()) {
    return reject(
      RejectResult.RejectedTransient,
      RejectSource.ServiceProviderPresentation,
      PresentationRejectReason.LocalLimitExceeded,
      'the maximum number of associations is in use',
    );
  }
  const { answers, accepted } = negotiatePresentationContexts(rq, policy.acceptUnknownSopClasses);
  const u = rq.userInformation;
  const ac: AAssociateAc = {
    type: PduType.AAssociateAc,
    protocolVersion: 1,
    // PS3.8 9.3.3: both AE fields echo the request's and are not tested by the requestor.
    calledAeTitle: rq.calledAeTitle,
    callingAeTitle: rq.callingAeTitle,
    applicationContextName: DICOM_APPLICATION_CONTEXT_NAME,
    presentationContexts: answers,
    userInformation: {
      maxLengthBytes: policy.maxPduLengthBytes,
      implementationClassUid: IMPLEMENTATION_CLASS_UID,
      implementationVersionName: IMPLEMENTATION_VERSION_NAME,
      // PS3.7 D.3.3.3: operations are performed one at a time; saying so explicitly when asked.
      ...(u.asyncOperationsWindow
        ? { asyncOperationsWindow: { maxOperationsInvoked: 1, maxOperationsPerformed: 1 } }
        : {}),
      roleSelections: negotiateRoles(u.roleSelections, accepted),
      otherItems: [],
    },
  };
  return {
    kind: 'accept',
    ac,
    actor: resolved.actor,
    contexts: accepted,
    peerMaxPduLengthBytes: u.maxLengthBytes ?? 0,
  };
}
