import { AbortReason, DimseErrorCode, DimseProtocolError } from './errors.ts';

/**
 * The DICOM upper layer protocol data units (PS3.8 9.3): encoding, decoding, and a streaming reader that
 * hands P-DATA-TF fragments on as they arrive instead of buffering whole PDUs.
 * All multi-byte fields of PDUs are big endian (PS3.8 9.3.1), unlike the DIMSE messages they carry.
 */

export const PduType = {
  AAssociateRq: 0x01,
  AAssociateAc: 0x02,
  AAssociateRj: 0x03,
  PDataTf: 0x04,
  AReleaseRq: 0x05,
  AReleaseRp: 0x06,
  AAbort: 0x07,
} as const;
export type PduType = (typeof PduType)[keyof typeof PduType];

/** Item and sub-item types of A-ASSOCIATE PDUs (PS3.8 9.3.2, 9.3.3 and Annex D; PS3.7 D.3.3). */
export const ItemType = {
  ApplicationContext: 0x10,
  PresentationContextRq: 0x20,
  PresentationContextAc: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaximumLength: 0x51,
  ImplementationClassUid: 0x52,
  AsynchronousOperationsWindow: 0x53,
  ScpScuRoleSelection: 0x54,
  ImplementationVersionName: 0x55,
  SopClassExtendedNegotiation: 0x56,
  SopClassCommonExtendedNegotiation: 0x57,
  UserIdentityRq: 0x58,
  UserIdentityAc: 0x59,
} as const;

/** The only application context name DICOM defines (PS3.7 A.2.1). */
export const DICOM_APPLICATION_CONTEXT_NAME = '1.2.840.10008.3.1.1.1';

/** Presentation context Result/Reason of the A-ASSOCIATE-AC (PS3.8 9.3.3.2, Table 9-18). */
export const PresentationContextResult = {
  Acceptance: 0,
  UserRejection: 1,
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;
export type PresentationContextResult =
  (typeof PresentationContextResult)[keyof typeof PresentationContextResult];

/** A-ASSOCIATE-RJ Result (PS3.8 9.3.4, Table 9-21). */
export const RejectResult = { RejectedPermanent: 1, RejectedTransient: 2 } as const;
export type RejectResult = (typeof RejectResult)[keyof typeof RejectResult];

/** A-ASSOCIATE-RJ Source. Each source has its own reason values, below. */
export const RejectSource = {
  ServiceUser: 1,
  ServiceProviderAcse: 2,
  ServiceProviderPresentation: 3,
} as const;
export type RejectSource = (typeof RejectSource)[keyof typeof RejectSource];

/** Reasons when Source is 1, the DICOM UL service-user. */
export const ServiceUserRejectReason = {
  NoReasonGiven: 1,
  ApplicationContextNameNotSupported: 2,
  CallingAeTitleNotRecognized: 3,
  CalledAeTitleNotRecognized: 7,
} as const;
/** Reasons when Source is 2, the ACSE related function of the service provider. */
export const AcseRejectReason = { NoReasonGiven: 1, ProtocolVersionNotSupported: 2 } as const;
/** Reasons when Source is 3, the presentation related function of the service provider. */
export const PresentationRejectReason = { TemporaryCongestion: 1, LocalLimitExceeded: 2 } as const;

/** A-ABORT Source (PS3.8 9.3.8). The reason is only significant when the provider aborts. */
export const AbortSource = { ServiceUser: 0, ServiceProvider: 2 } as const;
export type AbortSource = (typeof AbortSource)[keyof typeof AbortSource];

export interface PresentationContextProposal {
  /** Odd, 1 to 255 (PS3.8 9.3.2.2). */
  id: number;
  abstractSyntax: string;
  /** In the proposer's order of preference. */
  transferSyntaxes: string[];
}

export interface PresentationContextAnswer {
  id: number;
  result: PresentationContextResult;
  /** Only significant when accepted (PS3.8 9.3.3.2: not tested otherwise). */
  transferSyntax: string;
}

/** SCP/SCU Role Selection sub-item (PS3.7 D.3.3.4): the requestor's roles for one SOP class. */
export interface RoleSelection {
  sopClassUid: string;
  scuRole: boolean;
  scpRole: boolean;
}

export interface UserInformation {
  /** Maximum length of a P-DATA-TF PDU's variable field the sender can receive; 0 means no limit (PS3.8 D.1). */
  maxLengthBytes?: number;
  implementationClassUid?: string;
  implementationVersionName?: string;
  /** PS3.7 D.3.3.3. Absent means (1, 1): one operation at a time. */
  asyncOperationsWindow?: { maxOperationsInvoked: number; maxOperationsPerformed: number };
  roleSelections: RoleSelection[];
  /** Sub-items this layer does not interpret (extended negotiation, user identity), kept as they came. */
  otherItems: { type: number; value: Uint8Array }[];
}

interface AssociateFields {
  /** Bit 0 set for version 1 (PS3.8 9.3.2); the only version there is. */
  protocolVersion: number;
  calledAeTitle: string;
  callingAeTitle: string;
  applicationContextName: string;
  userInformation: UserInformation;
}

export interface AAssociateRq extends AssociateFields {
  type: typeof PduType.AAssociateRq;
  presentationContexts: PresentationContextProposal[];
}

export interface AAssociateAc extends AssociateFields {
  type: typeof PduType.AAssociateAc;
  presentationContexts: PresentationContextAnswer[];
}

export interface AAssociateRj {
  type: typeof PduType.AAssociateRj;
  result: RejectResult;
  source: RejectSource;
  reason: number;
}

/** One presentation data value: a fragment of a command or data set (PS3.8 9.3.5.1, E.2). */
export interface Pdv {
  presentationContextId: number;
  isCommand: boolean;
  isLast: boolean;
  data: Uint8Array;
}

export interface PDataTf {
  type: typeof PduType.PDataTf;
  pdvs: Pdv[];
}

export interface AReleaseRq {
  type: typeof PduType.AReleaseRq;
}
export interface AReleaseRp {
  type: typeof PduType.AReleaseRp;
}
export interface AAbort {
  type: typeof PduType.AAbort;
  source: AbortSource;
  reason: number;
}

export type Pdu = AAssociateRq | AAssociateAc | AAssociateRj | PDataTf | AReleaseRq | AReleaseRp | AAbort;

/** PDU header: type, reserved, 4-byte length of what follows (PS3.8 9.3.1). */
export const PDU_HEADER_BYTES = 6;
/** PDV item header inside a P-DATA-TF: 4-byte item length, context ID, message control header. */
export const PDV_HEADER_BYTES = 6;

/** Message control header bits (PS3.8 E.2). */
const MCH_COMMAND = 0x01;
const MCH_LAST = 0x02;

function malformed(message: string): DimseProtocolError {
  return new DimseProtocolError(DimseErrorCode.PduMalformed, message, AbortReason.InvalidPduParameterValue);
}

// ---------------------------------------------------------------------------------------------------------
// Encoding

/** AE titles are 16 bytes, space padded; leading and trailing spaces are not significant (PS3.8 9.3.2). */
function aeField(title: string): Buffer {
  const b = Buffer.alloc(16, 0x20);
  b.write(title.slice(0, 16), 0, 'latin1');
  return b;
}

function item(type: number, value: Uint8Array): Buffer {
  if (value.byteLength > 0xffff) throw new RangeError(`item 0x${type.toString(16)} is over 65535 bytes`);
  const b = Buffer.alloc(4 + value.byteLength);
  b[0] = type;
  b.writeUInt16BE(value.byteLength, 2);
  b.set(value, 4);
  return b;
}

/** UIDs in items are not padded (PS3.8 9.3.2.2.1). */
function uidItem(type: number, uid: string): Buffer {
  return item(type, Buffer.from(uid, 'latin1'));
}

function userInformationItem(u: UserInformation): Buffer {
  const subs: Buffer[] = [];
  if (u.maxLengthBytes !== undefined) {
    const v = Buffer.alloc(4);
    v.writeUInt32BE(u.maxLengthBytes);
    subs.push(item(ItemType.MaximumLength, v));
  }
  if (u.implementationClassUid) subs.push(uidItem(ItemType.ImplementationClassUid, u.implementationClassUid));
  if (u.asyncOperationsWindow) {
    const v = Buffer.alloc(4);
    v.writeUInt16BE(u.asyncOperationsWindow.maxOperationsInvoked, 0);
    v.writeUInt16BE(u.asyncOperationsWindow.maxOperationsPerformed, 2);
    subs.push(item(ItemType.AsynchronousOperationsWindow, v));
  }
  for (const r of u.roleSelections) {
    const uid = Buffer.from(r.sopClassUid, 'latin1');
    const v = Buffer.alloc(2 + uid.byteLength + 2);
    v.writeUInt16BE(uid.byteLength, 0);
    v.set(uid, 2);
    v[2 + uid.byteLength] = r.scuRole ? 1 : 0;
    v[3 + uid.byteLength] = r.scpRole ? 1 : 0;
    subs.push(item(ItemType.ScpScuRoleSelection, v));
  }
  if (u.implementationVersionName) {
    subs.push(item(ItemType.ImplementationVersionName, Buffer.from(u.implementationVersionName, 'latin1')));
  }
  for (const o of u.otherItems) subs.push(item(o.type, o.value));
  return item(ItemType.UserInformation, Buffer.concat(subs));
}

function withHeader(type: PduType, body: Uint8Array[]): Buffer {
  const length = body.reduce((n, b) => n + b.byteLength, 0);
  const out = Buffer.allocUnsafe(PDU_HEADER_BYTES + length);
  out[0] = type;
  out[1] = 0;
  out.writeUInt32BE(length, 2);
  let o = PDU_HEADER_BYTES;
  for (const b of body) {
    out.set(b, o);
    o += b.byteLength;
  }
  return out;
}

function associateBody(p: AAssociateRq | AAssociateAc): Uint8Array[] {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(p.protocolVersion, 0);
  aeField(p.calledAeTitle).copy(fixed, 4);
  aeField(p.callingAeTitle).copy(fixed, 20);
  const parts: Uint8Array[] = [fixed, uidItem(ItemType.ApplicationContext, p.applicationContextName)];
  if (p.type === PduType.AAssociateRq) {
    for (const pc of p.presentationContexts) {
      const head = Buffer.from([pc.id, 0, 0, 0]);
      const subs = [
        uidItem(ItemType.AbstractSyntax, pc.abstractSyntax),
        ...pc.transferSyntaxes.map((ts) => uidItem(ItemType.TransferSyntax, ts)),
      ];
      parts.push(item(ItemType.PresentationContextRq, Buffer.concat([head, ...subs])));
    }
  } else {
    for (const pc of p.presentationContexts) {
      const head = Buffer.from([pc.id, 0, pc.result, 0]);
      parts.push(
        item(
          ItemType.PresentationContextAc,
          Buffer.concat([head, uidItem(ItemType.TransferSyntax, pc.transferSyntax)]),
        ),
      );
    }
  }
  parts.push(userInformationItem(p.userInformation));
  return parts;
}

/** Encodes any PDU. P-DATA-TF PDVs are copied once into the result. */
export function encodePdu(pdu: Pdu): Buffer {
  switch (pdu.type) {
    case PduType.AAssociateRq:
    case PduType.AAssociateAc:
      return withHeader(pdu.type, associateBody(pdu));
    case PduType.AAssociateRj:
      return withHeader(pdu.type, [Buffer.from([0, pdu.result, pdu.source, pdu.reason])]);
    case PduType.PDataTf: {
      const parts: Uint8Array[] = [];
      for (const pdv of pdu.pdvs) {
        const h = Buffer.allocUnsafe(PDV_HEADER_BYTES);
        h.writeUInt32BE(pdv.data.byteLength + 2, 0);
        h[4] = pdv.presentationContextId;
        h[5] = (pdv.isCommand ? MCH_COMMAND : 0) | (pdv.isLast ? MCH_LAST : 0);
        parts.push(h, pdv.data);
      }
      return withHeader(pdu.type, parts);
    }
    case PduType.AReleaseRq:
    case PduType.AReleaseRp:
      return withHeader(pdu.type, [Buffer.alloc(4)]);
    case PduType.AAbort:
      return withHeader(pdu.type, [Buffer.from([0, 0, pdu.source, pdu.reason])]);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

function trimAe(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength)
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
}

/** Some peers pad UIDs with NUL or space although PS3.8 9.3.2.2.1 says not to; tolerate it. */
function uidOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength)
    .toString('latin1')
    .replace(/[\0 ]+$/, '');
}

interface RawItem {
  type: number;
  value: Uint8Array;
}

/** Splits a run of items (type, reserved, 2-byte length, value), checking every length against `where`. */
function items(bytes: Uint8Array, where: string): RawItem[] {
  const out: RawItem[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  while (o < bytes.byteLength) {
    if (o + 4 > bytes.byteLength) {
      throw malformed(
        `${where}: ${bytes.byteLength - o} stray bytes where an item header (4 bytes) should be`,
      );
    }
    const type = bytes[o]!;
    const length = view.getUint16(o + 2);
    if (o + 4 + length > bytes.byteLength) {
      throw malformed(
        `${where}: item 0x${type.toString(16)} says ${length} bytes but only ${bytes.byteLength - o - 4} remain`,
      );
    }
    out.push({ type, value: bytes.subarray(o + 4, o + 4 + length) });
    o += 4 + length;
  }
  return out;
}

function decodeUserInformation(value: Uint8Array): UserInformation {
  const u: UserInformation = { roleSelections: [], otherItems: [] };
  for (const sub of items(value, 'user information item')) {
    const v = sub.value;
    const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
    switch (sub.type) {
      case ItemType.MaximumLength:
        if (v.byteLength !== 4) throw malformed(`maximum length sub-item has ${v.byteLength} bytes, not 4`);
        u.maxLengthBytes = view.getUint32(0);
        break;
      case ItemType.ImplementationClassUid:
        u.implementationClassUid = uidOf(v);
        break;
      case ItemType.ImplementationVersionName:
        u.implementationVersionName = trimAe(v);
        break;
      case ItemType.AsynchronousOperationsWindow:
        if (v.byteLength !== 4) throw malformed(`asynchronous operations window has ${v.byteLength} bytes`);
        u.asyncOperationsWindow = {
          maxOperationsInvoked: view.getUint16(0),
          maxOperationsPerformed: view.getUint16(2),
        };
        break;
      case ItemType.ScpScuRoleSelection: {
        if (v.byteLength < 2) throw malformed('role selection sub-item is shorter than its UID length');
        const n = view.getUint16(0);
        if (2 + n + 2 !== v.byteLength) {
          throw malformed(`role selection sub-item: UID length ${n} does not fit its ${v.byteLength} bytes`);
        }
        u.roleSelections.push({
          sopClassUid: uidOf(v.subarray(2, 2 + n)),
          scuRole: v[2 + n] === 1,
          scpRole: v[3 + n] === 1,
        });
        break;
      }
      default:
        // PS3.7 D.3.3: sub-items an implementation does not support are ignored, not refused.
        u.otherItems.push({ type: sub.type, value: v });
    }
  }
  return u;
}

function decodeAssociate(type: 0x01 | 0x02, body: Uint8Array): AAssociateRq | AAssociateAc {
  const name = type === PduType.AAssociateRq ? 'A-ASSOCIATE-RQ' : 'A-ASSOCIATE-AC';
  if (body.byteLength < 68) {
    throw malformed(`${name} has ${body.byteLength} bytes, fewer than its 68 fixed bytes (PS3.8 9.3.2)`);
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let applicationContextName: string | undefined;
  let userInformation: UserInformation | undefined;
  const proposals: PresentationContextProposal[] = [];
  const answers: PresentationContextAnswer[] = [];
  for (const it of items(body.subarray(68), name)) {
    switch (it.type) {
      case ItemType.ApplicationContext:
        applicationContextName = uidOf(it.value);
        break;
      case ItemType.PresentationContextRq:
      case ItemType.PresentationContextAc: {
        if (it.type !== (type === PduType.AAssociateRq ? 0x20 : 0x21)) {
          throw malformed(`${name} holds a presentation context item of type 0x${it.type.toString(16)}`);
        }
        if (it.value.byteLength < 4) throw malformed(`${name}: presentation context item is too short`);
        const id = it.value[0]!;
        const subs = items(it.value.subarray(4), `presentation context ${id}`);
        const transferSyntaxes = subs
          .filter((s) => s.type === ItemType.TransferSyntax)
          .map((s) => uidOf(s.value));
        if (it.type === ItemType.PresentationContextRq) {
          const abstract = subs.filter((s) => s.type === ItemType.AbstractSyntax);
          if (abstract.length !== 1) {
            throw malformed(`presentation context ${id} has ${abstract.length} abstract syntaxes, not one`);
          }
          proposals.push({ id, abstractSyntax: uidOf(abstract[0]!.value), transferSyntaxes });
        } else {
          answers.push({
            id,
            result: it.value[2]! as PresentationContextResult,
            transferSyntax: transferSyntaxes[0] ?? '',
          });
        }
        break;
      }
      case ItemType.UserInformation:
        userInformation = decodeUserInformation(it.value);
        break;
      default:
      // Unknown items are skipped, like unknown user information sub-items.
    }
  }
  if (applicationContextName === undefined) throw malformed(`${name} has no application context item`);
  const fields = {
    protocolVersion: view.getUint16(0),
    calledAeTitle: trimAe(body.subarray(4, 20)),
    callingAeTitle: trimAe(body.subarray(20, 36)),
    applicationContextName,
    // PS3.8 9.3.2: the user information item is mandatory; a missing one reads as "no limits stated".
    userInformation: userInformation ?? { roleSelections: [], otherItems: [] },
  };
  return type === PduType.AAssociateRq
    ? { type, ...fields, presentationContexts: proposals }
    : { type, ...fields, presentationContexts: answers };
}

function decodePDataTf(body: Uint8Array): PDataTf {
  const pdvs: Pdv[] = [];
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let o = 0;
  if (body.byteLength === 0) throw malformed('P-DATA-TF holds no presentation data value (PS3.8 9.3.5)');
  while (o < body.byteLength) {
    if (o + PDV_HEADER_BYTES > body.byteLength) throw malformed('P-DATA-TF ends inside a PDV item header');
    const length = view.getUint32(o);
    if (length < 2 || o + 4 + length > body.byteLength) {
      throw malformed(`PDV item length ${length} does not fit the ${body.byteLength - o - 4} bytes left`);
    }
    const mch = body[o + 5]!;
    pdvs.push({
      presentationContextId: body[o + 4]!,
      isCommand: (mch & MCH_COMMAND) !== 0,
      isLast: (mch & MCH_LAST) !== 0,
      data: body.subarray(o + PDV_HEADER_BYTES, o + 4 + length),
    });
    o += 4 + length;
  }
  return { type: PduType.PDataTf, pdvs };
}

function fixedFour(name: string, body: Uint8Array): Uint8Array {
  if (body.byteLength !== 4) throw malformed(`${name} has a ${body.byteLength}-byte body; PS3.8 9.3 says 4`);
  return body;
}

/** Decodes a PDU's variable field (everything after the 6-byte header) given its type. */
export function decodePduBody(type: number, body: Uint8Array): Pdu {
  switch (type) {
    case PduType.AAssociateRq:
    case PduType.AAssociateAc:
      return decodeAssociate(type, body);
    case PduType.AAssociateRj: {
      const b = fixedFour('A-ASSOCIATE-RJ', body);
      return { type, result: b[1]! as RejectResult, source: b[2]! as RejectSource, reason: b[3]! };
    }
    case PduType.PDataTf:
      return decodePDataTf(body);
    case PduType.AReleaseRq:
    case PduType.AReleaseRp:
      fixedFour(type === PduType.AReleaseRq ? 'A-RELEASE-RQ' : 'A-RELEASE-RP', body);
      return { type };
    case PduType.AAbort: {
      const b = fixedFour('A-ABORT', body);
      return { type, source: b[2]! as AbortSource, reason: b[3]! };
    }
    default:
      throw unknownType(type);
  }
}

function unknownType(type: number): DimseProtocolError {
  return new DimseProtocolError(
    DimseErrorCode.PduUnknownType,
    `unknown PDU type 0x${type.toString(16).padStart(2, '0')} (PS3.8 9.3 defines 0x01 to 0x07)`,
    AbortReason.UnrecognizedPdu,
  );
}

/** Decodes exactly one complete PDU; the length field must account for every byte. */
export function decodePdu(bytes: Uint8Array): Pdu {
  if (bytes.byteLength < PDU_HEADER_BYTES) {
    throw malformed(`${bytes.byteLength} bytes are shorter than a PDU header (6 bytes)`);
  }
  const type = bytes[0]!;
  if (type < PduType.AAssociateRq || type > PduType.AAbort) throw unknownType(type);
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(2);
  if (length !== bytes.byteLength - PDU_HEADER_BYTES) {
    throw malformed(
      `PDU length field says ${length} bytes but ${bytes.byteLength - PDU_HEADER_BYTES} follow`,
    );
  }
  return decodePduBody(type, bytes.subarray(PDU_HEADER_BYTES));
}

// ---------------------------------------------------------------------------------------------------------
// Streaming

export interface PdvStart {
  presentationContextId: number;
  isCommand: boolean;
  isLast: boolean;
  /** Bytes of the fragment that follow in onPdvData calls. */
  lengthBytes: number;
}

/** What a PduReader reports, synchronously and in wire order. A handler may throw DimseProtocolError. */
export interface PduReaderHandler {
  /** Every PDU but P-DATA-TF, decoded whole. */
  onPdu(pdu: Exclude<Pdu, PDataTf>): void;
  /** A P-DATA-TF PDV begins; its bytes follow as one or more onPdvData calls, then onPdvEnd. */
  onPdvStart(pdv: PdvStart): void;
  /** A piece of the current PDV: a view into the socket's chunk, never copied. */
  onPdvData(chunk: Uint8Array): void;
  onPdvEnd(): void;
}

export interface PduReaderOptions {
  /** The maximum length Confer announced: a longer P-DATA-TF is a protocol error (PS3.8 D.1). */
  maxPDataLengthBytes: number;
  /** Bound on every other PDU, A-ASSOCIATE-RQ included, which are held whole while they arrive. */
  maxOtherPduLengthBytes: number;
}

const State = { Header: 0, Body: 1, PdvHeader: 2, PdvData: 3 } as const;
type State = (typeof State)[keyof typeof State];

/**
 * Parses PDUs from a byte stream. P-DATA-TF fragments are passed on as views of the incoming chunks as they
 * arrive, so memory never holds more than one socket chunk of a data set; other PDUs are collected until
 * complete (bounded by `maxOtherPduLengthBytes`). Throws DimseProtocolError from `push` on a violation,
 * after which the reader is unusable.
 */
export class PduReader {
  private readonly handler: PduReaderHandler;
  private readonly options: PduReaderOptions;
  private state: State = State.Header;
  private readonly scratch = Buffer.alloc(PDU_HEADER_BYTES);
  private scratchFill = 0;
  private pduType = 0;
  private bodyChunks: Uint8Array[] = [];
  private bodyLength = 0;
  private remaining = 0;
  /** Bytes of the current P-DATA-TF not yet consumed, PDV headers included. */
  private pduRemaining = 0;
  private stopped = false;

  constructor(handler: PduReaderHandler, options: PduReaderOptions) {
    this.handler = handler;
    this.options = options;
  }

  /** Stops parsing at once, even in the middle of a chunk (after an abort). */
  stop(): void {
    this.stopped = true;
  }

  /** True between PDUs: nothing partial is pending. */
  get atPduBoundary(): boolean {
    return this.state === State.Header && this.scratchFill === 0;
  }

  push(chunk: Uint8Array): void {
    let o = 0;
    const n = chunk.byteLength;
    while (o < n && !this.stopped) {
      switch (this.state) {
        case State.Header:
        case State.PdvHeader: {
          const take = Math.min(PDU_HEADER_BYTES - this.scratchFill, n - o);
          if (take === PDU_HEADER_BYTES) {
            o = this.header(chunk, o);
            break;
          }
          this.scratch.set(chunk.subarray(o, o + take), this.scratchFill);
          this.scratchFill += take;
          o += take;
          if (this.scratchFill === PDU_HEADER_BYTES) {
            this.scratchFill = 0;
            this.header(this.scratch, 0);
          }
          break;
        }
        case State.Body: {
          const take = Math.min(this.remaining, n - o);
          this.bodyChunks.push(chunk.subarray(o, o + take));
          this.remaining -= take;
          o += take;
          if (this.remaining === 0) this.finishBody();
          break;
        }
        case State.PdvData: {
          const take = Math.min(this.remaining, n - o);
          this.remaining -= take;
          this.handler.onPdvData(chunk.subarray(o, o + take));
          o += take;
          if (this.remaining === 0) this.endPdv();
          break;
        }
      }
    }
  }

  /** Reads a 6-byte PDU or PDV header at `o` of `b`; returns the offset after it. */
  private header(b: Uint8Array, o: number): number {
    if (this.state === State.PdvHeader) {
      // A PDV item: 4-byte length, then context ID and message control header (PS3.8 9.3.5.1).
      const itemLength = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
      if (itemLength < 2 || itemLength + 4 > this.pduRemaining) {
        throw malformed(`PDV item length ${itemLength} does not fit the ${this.pduRemaining - 4} bytes left`);
      }
      this.pduRemaining -= 4 + itemLength;
      this.remaining = itemLength - 2;
      const mch = b[o + 5]!;
      this.state = State.PdvData;
      this.handler.onPdvStart({
        presentationContextId: b[o + 4]!,
        isCommand: (mch & MCH_COMMAND) !== 0,
        isLast: (mch & MCH_LAST) !== 0,
        lengthBytes: this.remaining,
      });
      if (this.remaining === 0) this.endPdv();
      return o + PDU_HEADER_BYTES;
    }
    const type = b[o]!;
    if (type < PduType.AAssociateRq || type > PduType.AAbort) throw unknownType(type);
    const length = ((b[o + 2]! << 24) | (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!) >>> 0;
    if (type === PduType.PDataTf) {
      if (length > this.options.maxPDataLengthBytes) {
        throw new DimseProtocolError(
          DimseErrorCode.PduTooLong,
          `P-DATA-TF of ${length} bytes exceeds the maximum length ${this.options.maxPDataLengthBytes} we announced (PS3.8 D.1)`,
          AbortReason.InvalidPduParameterValue,
        );
      }
      if (length < PDV_HEADER_BYTES) throw malformed(`P-DATA-TF of ${length} bytes cannot hold a PDV`);
      this.pduRemaining = length;
      this.state = State.PdvHeader;
      return o + PDU_HEADER_BYTES;
    }
    if (length > this.options.maxOtherPduLengthBytes) {
      throw new DimseProtocolError(
        DimseErrorCode.PduTooLong,
        `PDU type 0x0${type} of ${length} bytes exceeds the ${this.options.maxOtherPduLengthBytes}-byte bound`,
        AbortReason.InvalidPduParameterValue,
      );
    }
    this.pduType = type;
    this.bodyLength = length;
    this.remaining = length;
    this.bodyChunks = [];
    this.state = State.Body;
    if (length === 0) this.finishBody();
    return o + PDU_HEADER_BYTES;
  }

  private finishBody(): void {
    const chunks = this.bodyChunks;
    this.bodyChunks = [];
    this.state = State.Header;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.bodyLength);
    this.handler.onPdu(decodePduBody(this.pduType, body) as Exclude<Pdu, PDataTf>);
  }

  private endPdv(): void {
    if (this.pduRemaining === 0) this.state = State.Header;
    else if (this.pduRemaining < PDV_HEADER_BYTES) {
      throw malformed(`P-DATA-TF ends with ${this.pduRemaining} stray bytes after its last PDV`);
    } else this.state = State.PdvHeader;
    this.handler.onPdvEnd();
  }
}
