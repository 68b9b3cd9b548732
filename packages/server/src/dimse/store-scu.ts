import { readFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, readPart10Header } from '../dicom/part10.ts';
import {
  CommandField,
  type DimseCommand,
  encodeCommand,
  encodeMessage,
  MessageAssembler,
  Priority,
} from './dimse-message.ts';
import { AbortReason, DimseErrorCode, DimseProtocolError } from './errors.ts';
import {
  type AAssociateAc,
  AbortSource,
  AcseRejectReason,
  DICOM_APPLICATION_CONTEXT_NAME,
  encodePdu,
  type Pdu,
  PduReader,
  PduType,
  PresentationContextResult,
  PresentationRejectReason,
  RejectResult,
  RejectSource,
  ServiceUserRejectReason,
} from './pdu.ts';

/**
 * A C-STORE service class user (PS3.4 B.2, PS3.8 9): opens one association, sends instances one at a
 * time and releases it. It reuses the SCP's PDU and DIMSE codecs, so both sides of Confer speak through
 * the same encoders.
 */

/** Stable codes of StoreScuError; each message says what went wrong and what the peer said. */
export const StoreScuErrorCode = {
  /** The TCP connection could not be made (refused, unreachable, name not resolved). */
  ConnectFailed: 'CONFER_ERR_SCU_CONNECT_FAILED',
  /** The peer answered A-ASSOCIATE-RJ; `rejection` holds its result, source and reason. */
  AssociationRejected: 'CONFER_ERR_SCU_ASSOCIATION_REJECTED',
  /** The peer sent A-ABORT, or we aborted after a protocol error from the peer. */
  Aborted: 'CONFER_ERR_SCU_ABORTED',
  /** No answer within `timeoutMs`; the association was aborted. */
  Timeout: 'CONFER_ERR_SCU_TIMEOUT',
  /** The transport closed without a release or abort. */
  ConnectionClosed: 'CONFER_ERR_SCU_CONNECTION_CLOSED',
  /** No accepted presentation context carries this SOP class in this transfer syntax. */
  NoPresentationContext: 'CONFER_ERR_SCU_NO_PRESENTATION_CONTEXT',
  /** The peer broke PS3.8/PS3.7 (an unexpected PDU, a response to another message...). */
  ProtocolError: 'CONFER_ERR_SCU_PROTOCOL',
  /** The association was already released or aborted by this side. */
  Closed: 'CONFER_ERR_SCU_CLOSED',
} as const;
export type StoreScuErrorCode = (typeof StoreScuErrorCode)[keyof typeof StoreScuErrorCode];

/** Why a C-STORE SCU operation failed; `code` is stable, the message is for people. */
export class StoreScuError extends Error {
  readonly code: StoreScuErrorCode;
  /** Set for AssociationRejected: the A-ASSOCIATE-RJ fields (PS3.8 9.3.4). */
  readonly rejection?: { result: number; source: number; reason: number };
  /** Set when the peer aborted: the A-ABORT fields (PS3.8 9.3.8). */
  readonly abort?: { source: number; reason: number };
  constructor(
    code: StoreScuErrorCode,
    message: string,
    details: {
      rejection?: { result: number; source: number; reason: number };
      abort?: { source: number; reason: number };
    } = {},
  ) {
    super(message);
    this.name = 'StoreScuError';
    this.code = code;
    if (details.rejection) this.rejection = details.rejection;
    if (details.abort) this.abort = details.abort;
  }
}

/** One presentation context to propose: a SOP class and the transfer syntaxes we can send it in. */
export interface ContextProposal {
  abstractSyntax: string;
  /** In our order of preference; the data sets must already be encoded in whichever the peer picks. */
  transferSyntaxes: string[];
}

/** A presentation context the peer accepted (PS3.8 9.3.3.2). */
export interface ScuAcceptedContext {
  id: number;
  abstractSyntax: string;
  transferSyntax: string;
}

export interface StoreScuOptions {
  host: string;
  port: number;
  /** Our AE title: the peer maps it to a site (Confer refuses titles it does not know). */
  callingAe: string;
  /** The peer's AE title. */
  calledAe: string;
  /** At most 128 (odd IDs 1 to 255, PS3.8 9.3.2.2). */
  contexts: ContextProposal[];
  /** Bound on connecting and associating, on each response and on the release. Default 30 000. */
  timeoutMs?: number;
  /** Longest P-DATA-TF variable field we accept (we only ever receive small responses). Default 262 144. */
  maxPduLengthBytes?: number;
}

/** One instance for C-STORE: its identity and its data set, encoded in `transferSyntaxUid`. */
export interface InstanceToStore {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** The data set alone: no preamble, no file meta group (PS3.7 9.3.1.1). */
  dataset: Uint8Array;
  /** (0000,0700): default medium. */
  priority?: number;
}

/** The C-STORE-RSP as received. */
export interface StoreResult {
  status: number;
  errorComment?: string;
  /** (0000,0901), as 8 hex digits each. */
  offendingElements?: string[];
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_PDU_BYTES = 262_144;
/** A-ASSOCIATE-AC, A-ABORT and friends are small; this bounds what a broken peer can make us hold. */
const MAX_OTHER_PDU_BYTES = 1024 * 1024;
/** After an abort, how long the peer has to read it and close before the socket is cut. */
const ABORT_LINGER_MS = 1_000;

const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;

function rejectSourceName(source: number): string {
  switch (source) {
    case RejectSource.ServiceUser:
      return 'the called AE (service user)';
    case RejectSource.ServiceProviderAcse:
      return 'the service provider (ACSE)';
    case RejectSource.ServiceProviderPresentation:
      return 'the service provider (presentation)';
    default:
      return `an unknown source ${source}`;
  }
}

function rejectReasonName(source: number, reason: number): string {
  if (source === RejectSource.ServiceUser) {
    switch (reason) {
      case ServiceUserRejectReason.NoReasonGiven:
        return 'no reason given';
      case ServiceUserRejectReason.ApplicationContextNameNotSupported:
        return 'application context name not supported';
      case ServiceUserRejectReason.CallingAeTitleNotRecognized:
        return 'calling AE title not recognized';
      case ServiceUserRejectReason.CalledAeTitleNotRecognized:
        return 'called AE title not recognized';
    }
  } else if (source === RejectSource.ServiceProviderAcse) {
    switch (reason) {
      case AcseRejectReason.NoReasonGiven:
        return 'no reason given';
      case AcseRejectReason.ProtocolVersionNotSupported:
        return 'protocol version not supported';
    }
  } else if (source === RejectSource.ServiceProviderPresentation) {
    switch (reason) {
      case PresentationRejectReason.TemporaryCongestion:
        return 'temporary congestion';
      case PresentationRejectReason.LocalLimitExceeded:
        return 'local limit exceeded';
    }
  }
  return `reason ${reason}`;
}

/**
 * Puts an A-ASSOCIATE-RJ into words (PS3.8 9.3.4, Table 9-21): the reasons are numbered per source, so
 * the number alone means nothing to the person reading the log.
 */
export function describeRejection(result: number, source: number, reason: number): string {
  const kind =
    result === RejectResult.RejectedPermanent
      ? 'permanently'
      : result === RejectResult.RejectedTransient
        ? 'transiently (try again later)'
        : `with result ${result}`;
  return `association rejected ${kind} by ${rejectSourceName(source)}: ${rejectReasonName(source, reason)} (PS3.8 9.3.4: result ${result}, source ${source}, reason ${reason})`;
}

function contextResultName(result: number): string {
  switch (result) {
    case PresentationContextResult.UserRejection:
      return 'rejected by the user';
    case PresentationContextResult.NoReason:
      return 'rejected, no reason given';
    case PresentationContextResult.AbstractSyntaxNotSupported:
      return 'abstract syntax not supported';
    case PresentationContextResult.TransferSyntaxesNotSupported:
      return 'transfer syntaxes not supported';
    default:
      return `result ${result}`;
  }
}

/**
 * How a C-STORE status reads (PS3.4 B.2.3, PS3.7 C): warnings (0001, Bxxx, 0107, 0116) mean the instance
 * was stored, perhaps coerced; everything else but 0000 means it was not.
 */
export function storeStatusKind(status: number): 'success' | 'warning' | 'failure' {
  if (status === 0x0000) return 'success';
  if (status === 0x0001 || status === 0x0107 || status === 0x0116 || (status & 0xf000) === 0xb000) {
    return 'warning';
  }
  return 'failure';
}

function checkAeTitle(name: string, value: string): string {
  const trimmed = typeof value === 'string' ? value.trim() : '';
  if (trimmed === '' || trimmed.length > 16 || /[\\\x00-\x1f]/.test(trimmed)) {
    throw new RangeError(`${name} "${value}" is not an AE title (1 to 16 characters, no backslash)`);
  }
  return trimmed;
}

const State = {
  Associating: 'associating',
  Established: 'established',
  Releasing: 'releasing',
  Closed: 'closed',
} as const;
type State = (typeof State)[keyof typeof State];

type Waiter<T> = { resolve(value: T): void; reject(error: Error): void; timer: NodeJS.Timeout };

interface Proposal extends ContextProposal {
  id: number;
}

/**
 * An association on which to send C-STORE requests. Make one with `StoreScu.connect`; send with `store`,
 * one operation at a time (calls queue); end with `release` (or `abort`).
 */
export class StoreScu {
  private readonly socket: Socket;
  private readonly reader: PduReader;
  private readonly assembler: MessageAssembler;
  private readonly timeoutMs: number;
  private readonly where: string;
  private readonly proposals: Proposal[];
  private accepted: ScuAcceptedContext[] = [];
  private refused: { abstractSyntax: string; reason: string }[] = [];
  private peerMaxPdu = 0;
  private readonly contextIds = new Set<number>();
  private state: State = State.Associating;
  private connected = false;
  private closedError: StoreScuError | null = null;
  private associateWaiter: Waiter<void> | null = null;
  private response: Waiter<DimseCommand> | null = null;
  private releaseWaiter: Waiter<void> | null = null;
  private nextMessageId = 1;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(options: StoreScuOptions, proposals: Proposal[]) {
    const callingAe = checkAeTitle('callingAe', options.callingAe);
    const calledAe = checkAeTitle('calledAe', options.calledAe);
    const maxPduLengthBytes = options.maxPduLengthBytes ?? DEFAULT_MAX_PDU_BYTES;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.where = `${calledAe}@${options.host}:${options.port}`;
    this.proposals = proposals;
    this.assembler = new MessageAssembler(
      {
        onCommand: (_id, command) => this.onResponse(command),
        // C-STORE-RSP carries no data set (PS3.7 9.3.1.2); whatever a peer sends anyway is dropped.
        onDataFragment: () => {},
        onDataEnd: () => {},
      },
      (id) => this.contextIds.has(id),
    );
    this.reader = new PduReader(
      {
        onPdu: (pdu) => this.onPdu(pdu),
        onPdvStart: (pdv) => {
          if (this.state !== State.Established && this.state !== State.Releasing) {
            throw unexpected(`P-DATA-TF in state ${this.state}`);
          }
          this.assembler.onPdvStart(pdv);
        },
        onPdvData: (chunk) => this.assembler.onPdvData(chunk),
        onPdvEnd: () => this.assembler.onPdvEnd(),
      },
      { maxPDataLengthBytes: maxPduLengthBytes, maxOtherPduLengthBytes: MAX_OTHER_PDU_BYTES },
    );
    this.socket = netConnect({ host: options.host, port: options.port });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err: NodeJS.ErrnoException) => {
      const error = this.connected
        ? new StoreScuError(
            StoreScuErrorCode.ConnectionClosed,
            `${this.where}: the connection failed: ${err.code ?? err.message}`,
          )
        : new StoreScuError(
            StoreScuErrorCode.ConnectFailed,
            `cannot connect to ${this.where}: ${err.code ?? err.message}`,
          );
      this.failAssociation(error, 'destroy');
    });
    this.socket.on('close', () => {
      const what =
        this.state === State.Associating
          ? 'closed the connection without answering A-ASSOCIATE-RQ'
          : 'closed the connection without a release or abort';
      this.failAssociation(
        new StoreScuError(StoreScuErrorCode.ConnectionClosed, `${this.where} ${what}`),
        'none',
      );
    });
    this.socket.once('connect', () => {
      this.connected = true;
      this.socket.write(
        encodePdu({
          type: PduType.AAssociateRq,
          protocolVersion: 1,
          calledAeTitle: calledAe,
          callingAeTitle: callingAe,
          applicationContextName: DICOM_APPLICATION_CONTEXT_NAME,
          presentationContexts: proposals,
          userInformation: {
            maxLengthBytes: maxPduLengthBytes,
            implementationClassUid: IMPLEMENTATION_CLASS_UID,
            implementationVersionName: IMPLEMENTATION_VERSION_NAME,
            roleSelections: [],
            otherItems: [],
          },
        }),
      );
    });
  }

  /**
   * Connects, proposes `options.contexts` and waits for the answer. Rejects with a StoreScuError:
   * AssociationRejected (its message names the reason), ConnectFailed, Timeout, Aborted, ConnectionClosed,
   * or NoPresentationContext when the peer accepted none of the contexts (after releasing the association).
   * Throws RangeError at once for a bad AE title or context list.
   */
  static async connect(options: StoreScuOptions): Promise<StoreScu> {
    if (options.contexts.length === 0 || options.contexts.length > 128) {
      throw new RangeError(`propose 1 to 128 presentation contexts, not ${options.contexts.length}`);
    }
    const proposals = options.contexts.map((c, i) => {
      if (c.transferSyntaxes.length === 0) {
        throw new RangeError(`presentation context for ${c.abstractSyntax} proposes no transfer syntax`);
      }
      return { id: 2 * i + 1, abstractSyntax: c.abstractSyntax, transferSyntaxes: [...c.transferSyntaxes] };
    });
    const scu = new StoreScu(options, proposals);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new StoreScuError(
          StoreScuErrorCode.Timeout,
          scu.connected
            ? `no answer to A-ASSOCIATE-RQ from ${scu.where} within ${scu.timeoutMs} ms; association aborted`
            : `could not connect to ${scu.where} within ${scu.timeoutMs} ms`,
        );
        scu.failAssociation(error, scu.connected ? 'abort' : 'destroy');
      }, scu.timeoutMs);
      scu.associateWaiter = { resolve, reject, timer };
    });
    if (scu.accepted.length === 0) {
      const why = scu.refused.map((r) => `${r.abstractSyntax}: ${r.reason}`).join('; ');
      await scu.release().catch(() => {});
      throw noContextError(`${scu.where} accepted no presentation context (${why})`);
    }
    return scu;
  }

  /** The presentation contexts the peer accepted, in proposal order. */
  get acceptedContexts(): readonly ScuAcceptedContext[] {
    return this.accepted;
  }

  /** Proposals the peer refused, with its reason in words. */
  get refusedContexts(): readonly { abstractSyntax: string; reason: string }[] {
    return this.refused;
  }

  /** The peer's maximum P-DATA-TF variable field (0: no limit); our messages are cut to it. */
  get peerMaxPduLengthBytes(): number {
    return this.peerMaxPdu;
  }

  /** True until released, aborted or closed. */
  get isOpen(): boolean {
    return this.state === State.Established;
  }

  /** The accepted context carrying `sopClassUid` in `transferSyntaxUid`, if any. */
  contextFor(sopClassUid: string, transferSyntaxUid: string): ScuAcceptedContext | undefined {
    return this.accepted.find(
      (c) => c.abstractSyntax === sopClassUid && c.transferSyntax === transferSyntaxUid,
    );
  }

  /**
   * Sends one C-STORE-RQ and resolves to the peer's response, whatever its status: check it with
   * `storeStatusKind`. Rejects (StoreScuError) when no accepted context fits the instance (the association
   * stays usable), or when the association fails: timeout, abort, closed transport, protocol error.
   */
  store(instance: InstanceToStore): Promise<StoreResult> {
    const run = () => this.storeNow(instance);
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => {});
    return result;
  }

  private async storeNow(instance: InstanceToStore): Promise<StoreResult> {
    if (this.state !== State.Established) throw this.notOpen();
    const context = this.contextFor(instance.sopClassUid, instance.transferSyntaxUid);
    if (!context) {
      throw noContextError(
        `no accepted presentation context for SOP class ${instance.sopClassUid} in transfer syntax ` +
          `${instance.transferSyntaxUid} (accepted: ${
            this.accepted.map((c) => `${c.abstractSyntax} in ${c.transferSyntax}`).join(', ') || 'none'
          })`,
      );
    }
    const messageId = this.nextMessageId;
    // Message IDs are US: wrap before 65536, skipping 0 to keep them recognisable in logs.
    this.nextMessageId = messageId >= 0xffff ? 1 : messageId + 1;
    const command = encodeCommand({
      commandField: CommandField.CStoreRq,
      messageId,
      affectedSopClassUid: instance.sopClassUid,
      affectedSopInstanceUid: instance.sopInstanceUid,
      priority: instance.priority ?? Priority.Medium,
      hasDataSet: true,
    });
    const answer = new Promise<DimseCommand>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.failAssociation(
            new StoreScuError(
              StoreScuErrorCode.Timeout,
              `no C-STORE-RSP for ${instance.sopInstanceUid} within ${this.timeoutMs} ms; association aborted`,
            ),
            'abort',
          ),
        this.timeoutMs,
      );
      this.response = { resolve, reject, timer };
    });
    // encodeMessage cuts command and data set to the peer's maximum PDU length (PS3.8 D.1).
    this.socket.write(encodeMessage(context.id, command, instance.dataset, this.peerMaxPdu));
    const rsp = await answer;
    if (rsp.commandField !== CommandField.CStoreRsp || rsp.messageIdBeingRespondedTo !== messageId) {
      const error = protocolError(
        `expected C-STORE-RSP to message ${messageId}, got command ${hex4(rsp.commandField)} ` +
          `responding to ${rsp.messageIdBeingRespondedTo ?? '(none)'}`,
      );
      this.failAssociation(error, 'abort-provider', AbortReason.UnexpectedPduParameter);
      throw error;
    }
    if (rsp.status === undefined) {
      const error = protocolError('C-STORE-RSP without a Status (0000,0900)');
      this.failAssociation(error, 'abort-provider', AbortReason.InvalidPduParameterValue);
      throw error;
    }
    const out: StoreResult = { status: rsp.status };
    if (rsp.errorComment) out.errorComment = rsp.errorComment;
    if (rsp.offendingElements) out.offendingElements = rsp.offendingElements;
    return out;
  }

  /**
   * Releases the association once queued stores are done (PS3.8 7.2): A-RELEASE-RQ, wait for A-RELEASE-RP,
   * close. Resolves at once when already closed; rejects with Timeout when the peer does not answer.
   */
  async release(): Promise<void> {
    await this.queue;
    if (this.state !== State.Established) return;
    this.state = State.Releasing;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new StoreScuError(
          StoreScuErrorCode.Timeout,
          `no A-RELEASE-RP from ${this.where} within ${this.timeoutMs} ms; association aborted`,
        );
        this.failAssociation(error, 'abort');
      }, this.timeoutMs);
      this.releaseWaiter = { resolve, reject, timer };
    });
    this.socket.write(encodePdu({ type: PduType.AReleaseRq }));
    await done;
  }

  /** Aborts the association at once (A-ABORT, source service user); queued and pending stores fail. */
  abort(): void {
    this.failAssociation(
      new StoreScuError(StoreScuErrorCode.Closed, 'the association was aborted by this side'),
      this.connected ? 'abort' : 'destroy',
    );
  }

  private onData(chunk: Buffer): void {
    if (this.state === State.Closed) return;
    try {
      this.reader.push(chunk);
    } catch (err) {
      const reason = err instanceof DimseProtocolError ? err.abortReason : AbortReason.ReasonNotSpecified;
      this.failAssociation(
        protocolError(`${this.where}: ${(err as Error).message}`),
        'abort-provider',
        reason,
      );
    }
  }

  private onPdu(pdu: Exclude<Pdu, { type: typeof PduType.PDataTf }>): void {
    if (pdu.type === PduType.AAbort) {
      this.failAssociation(abortedByPeer(this.where, pdu), 'destroy');
      return;
    }
    switch (this.state) {
      case State.Associating:
        if (pdu.type === PduType.AAssociateRj) {
          this.failAssociation(
            new StoreScuError(
              StoreScuErrorCode.AssociationRejected,
              `${this.where}: ${describeRejection(pdu.result, pdu.source, pdu.reason)}`,
              { rejection: { result: pdu.result, source: pdu.source, reason: pdu.reason } },
            ),
            'end',
          );
          return;
        }
        if (pdu.type !== PduType.AAssociateAc)
          throw unexpected(`PDU type 0x0${pdu.type} in reply to A-ASSOCIATE-RQ`);
        this.onAccepted(pdu);
        return;
      case State.Established:
        if (pdu.type === PduType.AReleaseRq && this.response === null) {
          // Either side may release (PS3.8 7.2); with nothing outstanding, agree.
          this.socket.write(encodePdu({ type: PduType.AReleaseRp }));
          this.failAssociation(
            new StoreScuError(StoreScuErrorCode.Closed, `${this.where} released the association`),
            'end',
          );
          return;
        }
        break;
      case State.Releasing:
        if (pdu.type === PduType.AReleaseRp) {
          const waiter = this.releaseWaiter;
          this.releaseWaiter = null;
          // PS3.8 9.2 (AR-3): on A-RELEASE-RP the requestor closes the transport.
          this.failAssociation(
            new StoreScuError(StoreScuErrorCode.Closed, 'the association was released'),
            'end',
          );
          if (waiter) {
            clearTimeout(waiter.timer);
            waiter.resolve();
          }
          return;
        }
        if (pdu.type === PduType.AReleaseRq) {
          // A release collision (PS3.8 9.2, Sta9 then AR-9): the requestor answers first and keeps waiting.
          this.socket.write(encodePdu({ type: PduType.AReleaseRp }));
          return;
        }
        break;
    }
    throw unexpected(`PDU type 0x0${pdu.type} in state ${this.state}`);
  }

  private onAccepted(ac: AAssociateAc): void {
    for (const p of this.proposals) {
      const answer = ac.presentationContexts.find((a) => a.id === p.id);
      if (answer?.result !== PresentationContextResult.Acceptance) {
        this.refused.push({
          abstractSyntax: p.abstractSyntax,
          reason: answer ? contextResultName(answer.result) : 'not answered',
        });
      } else if (!p.transferSyntaxes.includes(answer.transferSyntax)) {
        // PS3.8 9.3.3.2: the syntax must be one we proposed; data sets in any other we cannot send.
        this.refused.push({
          abstractSyntax: p.abstractSyntax,
          reason: `accepted in transfer syntax ${answer.transferSyntax}, which was not proposed`,
        });
      } else {
        this.accepted.push({
          id: p.id,
          abstractSyntax: p.abstractSyntax,
          transferSyntax: answer.transferSyntax,
        });
        this.contextIds.add(p.id);
      }
    }
    this.peerMaxPdu = ac.userInformation.maxLengthBytes ?? 0;
    this.state = State.Established;
    const waiter = this.associateWaiter;
    this.associateWaiter = null;
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve();
    }
  }

  private onResponse(command: DimseCommand): void {
    const waiter = this.response;
    if (!waiter) {
      throw new DimseProtocolError(
        DimseErrorCode.MessageMalformed,
        `command ${hex4(command.commandField)} arrived with no request outstanding`,
        AbortReason.UnexpectedPduParameter,
      );
    }
    this.response = null;
    clearTimeout(waiter.timer);
    waiter.resolve(command);
  }

  private notOpen(): StoreScuError {
    return this.closedError ?? new StoreScuError(StoreScuErrorCode.Closed, 'the association is not open');
  }

  /**
   * Ends the association with `error`: whatever waits (association, response, release) rejects with it,
   * and so do later calls. `how` says what goes on the wire: an A-ABORT as user or provider, a plain
   * half-close, or nothing but closing the socket.
   */
  private failAssociation(
    error: StoreScuError,
    how: 'abort' | 'abort-provider' | 'end' | 'destroy' | 'none',
    reason: number = AbortReason.ReasonNotSpecified,
  ): void {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    this.closedError = error;
    this.reader.stop();
    if (how === 'abort') {
      endWith(this.socket, encodePdu({ type: PduType.AAbort, source: AbortSource.ServiceUser, reason: 0 }));
    } else if (how === 'abort-provider') {
      endWith(this.socket, encodePdu({ type: PduType.AAbort, source: AbortSource.ServiceProvider, reason }));
    } else if (how === 'end') endWith(this.socket);
    else if (how === 'destroy') this.socket.destroy();
    const waiters = [this.associateWaiter, this.response, this.releaseWaiter];
    this.associateWaiter = null;
    this.response = null;
    this.releaseWaiter = null;
    for (const waiter of waiters) {
      if (!waiter) continue;
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }
}

function unexpected(what: string): DimseProtocolError {
  return new DimseProtocolError(
    DimseErrorCode.PduUnexpected,
    `${what} (PS3.8 9.2)`,
    AbortReason.UnexpectedPdu,
  );
}

function protocolError(message: string): StoreScuError {
  return new StoreScuError(StoreScuErrorCode.ProtocolError, `${message}; association aborted`);
}

function noContextError(message: string): StoreScuError {
  return new StoreScuError(StoreScuErrorCode.NoPresentationContext, message);
}

function abortedByPeer(where: string, pdu: { source: number; reason: number }): StoreScuError {
  const by = pdu.source === AbortSource.ServiceProvider ? 'service provider' : 'service user';
  return new StoreScuError(
    StoreScuErrorCode.Aborted,
    `${where} aborted the association (A-ABORT from the ${by}, reason ${pdu.reason}; PS3.8 9.3.8)`,
    { abort: { source: pdu.source, reason: pdu.reason } },
  );
}

/** Half-closes after `last`, and cuts the socket if the peer does not close its side soon. */
function endWith(socket: Socket, last?: Uint8Array): void {
  if (socket.destroyed) return;
  if (last) socket.end(last);
  else socket.end();
  const timer = setTimeout(() => socket.destroy(), ABORT_LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------------------
// Sending a batch

/** What an instance needs negotiated: its SOP class in its transfer syntax. */
export interface InstanceKind {
  sopClassUid: string;
  transferSyntaxUid: string;
}

/**
 * One presentation context per distinct SOP class and transfer syntax, each proposing only that syntax:
 * the peer accepts one syntax per context (PS3.8 9.3.3.2), so a class whose instances come in two
 * syntaxes needs two contexts, and nothing is ever sent in a syntax it was not encoded in.
 */
export function contextsFor(kinds: Iterable<InstanceKind>): ContextProposal[] {
  const seen = new Set<string>();
  const out: ContextProposal[] = [];
  for (const k of kinds) {
    const key = `${k.sopClassUid}|${k.transferSyntaxUid}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ abstractSyntax: k.sopClassUid, transferSyntaxes: [k.transferSyntaxUid] });
  }
  return out;
}

/** Splits a Part 10 file into what C-STORE sends: the data set after the file meta group, and its identity. */
export function part10Instance(bytes: Uint8Array): InstanceToStore {
  const header = readPart10Header(bytes);
  if (!header.sopClassUid || !header.sopInstanceUid) {
    throw new RangeError(
      'the file meta group lacks Media Storage SOP Class or Instance UID (0002,0002/0003)',
    );
  }
  return {
    sopClassUid: header.sopClassUid,
    sopInstanceUid: header.sopInstanceUid,
    transferSyntaxUid: header.transferSyntaxUid,
    dataset: bytes.subarray(header.datasetOffset),
  };
}

/** Options of storeInstances: StoreScuOptions whose contexts may be left to be derived from the instances. */
export interface StoreInstancesOptions extends Omit<StoreScuOptions, 'contexts'> {
  /** Give these when `instances` is lazy (a generator), so it need not be read twice; else derived. */
  contexts?: ContextProposal[];
}

/** What a batch achieved, instance by instance for the failures. */
export interface StoreBatchResult {
  /** Stores attempted, including those that could not be sent for want of a context. */
  attempted: number;
  succeeded: number;
  /** Stored with a warning status (coerced, elements discarded...). */
  warnings: number;
  failed: { sopInstanceUid: string; sopClassUid: string; status?: number; errorComment?: string }[];
}

/**
 * Sends every instance over one association and releases it. A refused instance (failure status, or no
 * accepted context for its class and syntax) is recorded and the rest go on; an association failure
 * (rejection, abort, timeout) rejects with its StoreScuError, after what was stored so far was stored.
 */
export async function storeInstances(
  options: StoreInstancesOptions,
  instances: Iterable<InstanceToStore> | AsyncIterable<InstanceToStore>,
): Promise<StoreBatchResult> {
  let source = instances;
  let contexts = options.contexts;
  if (!contexts) {
    const all: InstanceToStore[] = [];
    for await (const i of instances) all.push(i);
    source = all;
    contexts = contextsFor(all);
  }
  const result: StoreBatchResult = { attempted: 0, succeeded: 0, warnings: 0, failed: [] };
  if (contexts.length === 0) return result;
  const scu = await StoreScu.connect({ ...options, contexts });
  try {
    for await (const instance of source) {
      result.attempted++;
      const failed = { sopInstanceUid: instance.sopInstanceUid, sopClassUid: instance.sopClassUid };
      try {
        const r = await scu.store(instance);
        const kind = storeStatusKind(r.status);
        if (kind === 'success') result.succeeded++;
        else if (kind === 'warning') result.warnings++;
        else {
          result.failed.push({
            ...failed,
            status: r.status,
            ...(r.errorComment ? { errorComment: r.errorComment } : {}),
          });
        }
      } catch (err) {
        if (!(err instanceof StoreScuError) || err.code !== StoreScuErrorCode.NoPresentationContext)
          throw err;
        result.failed.push({ ...failed, errorComment: err.message });
      }
    }
    await scu.release();
  } catch (err) {
    scu.abort();
    throw err;
  }
  return result;
}

/**
 * Sends Part 10 files (paths or bytes) over one association, as storeInstances does. Paths are read twice,
 * once for the file meta group to negotiate contexts and once to send, so memory holds one file at a time.
 */
export async function storePart10Files(
  options: Omit<StoreScuOptions, 'contexts'>,
  files: readonly (string | Uint8Array)[],
): Promise<StoreBatchResult> {
  const load = (f: string | Uint8Array) => (typeof f === 'string' ? readFile(f) : Promise.resolve(f));
  const kinds: InstanceKind[] = [];
  for (const f of files) {
    const { sopClassUid, transferSyntaxUid } = part10Instance(await load(f));
    kinds.push({ sopClassUid, transferSyntaxUid });
  }
  async function* instances(): AsyncGenerator<InstanceToStore> {
    for (const f of files) yield part10Instance(await load(f));
  }
  return storeInstances({ ...options, contexts: contextsFor(kinds) }, instances());
}
