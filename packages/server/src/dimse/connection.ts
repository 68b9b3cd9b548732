import type { Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  type Actor,
  ActorKind,
  AuditOutcome,
  type AuditSink,
  type IngestService,
  Protocol,
  type QueryService,
  type RequestOrigin,
} from '../archive/ports.ts';
import { DicomParseError, readDataset } from '../dicom/dataset-reader.ts';
import { encodeDataset, type WritableDataset } from '../dicom/dataset-writer.ts';
import {
  type AcceptedContext,
  type AssociationDecision,
  type AssociationPolicy,
  decideAssociation,
  QueryModel,
  Service,
} from './association.ts';
import { performCFind } from './c-find.ts';
import { performCStore } from './c-store.ts';
import {
  abortedError,
  CommandField,
  type CommandFields,
  DataSetStream,
  type DimseCommand,
  type DimseResult,
  encodeCommand,
  encodeMessage,
  type FlowControl,
  MessageAssembler,
  RESPONSE_BIT,
  Status,
} from './dimse-message.ts';
import { AbortReason, DimseErrorCode, DimseProtocolError } from './errors.ts';
import {
  type AAssociateRq,
  AbortSource,
  encodePdu,
  type Pdu,
  PduReader,
  PduType,
  type PdvStart,
  PresentationRejectReason,
  RejectResult,
  RejectSource,
  ServiceUserRejectReason,
} from './pdu.ts';

/** pino-compatible; never given patient names or IDs. */
export interface DimseLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ConnectionSettings {
  aeTitle: string;
  maxPduLengthBytes: number;
  associationTimeoutMs: number;
  idleTimeoutMs: number;
  acceptUnknownSopClasses: boolean;
  dataHighWaterMarkBytes: number;
  resolveCallingAe: AssociationPolicy['resolveCallingAe'];
  ingest: IngestService;
  query: QueryService;
  audit: AuditSink;
  logger: DimseLogger;
}

/** What a connection needs from its server. */
export interface ConnectionHost {
  /** Takes one of the `maxAssociations` slots; false when none is free or the server is closing. */
  reserveSlot(): boolean;
  releaseSlot(): void;
  readonly closing: boolean;
}

/** Non-P-DATA PDUs (A-ASSOCIATE-RQ above all) are held whole; this bounds them when our PDU limit is small. */
const MIN_ASSOCIATE_PDU_BOUND_BYTES = 256 * 1024;
/** A C-FIND identifier is held whole to be parsed; larger ones are refused. */
const MAX_IDENTIFIER_BYTES = 1024 * 1024;
/** On shutdown, how long a peer that just got its last response has to send A-RELEASE-RQ. */
const RELEASE_WAIT_ON_SHUTDOWN_MS = 500;
/** After A-ABORT, A-ASSOCIATE-RJ or A-RELEASE-RP, the longest we wait for the peer to close the transport. */
const END_LINGER_MAX_MS = 2_000;
/** Pending C-FIND responses between two turns of the event loop, so a C-CANCEL can be read. */
const PENDING_PER_TURN = 8;

const ConnState = {
  /** Sta2: transport open, waiting for A-ASSOCIATE-RQ under the ARTIM timer. */
  AwaitingRq: 'awaiting-rq',
  /** The request is being decided (the calling AE resolver may be asynchronous). */
  Negotiating: 'negotiating',
  /** Sta6. */
  Established: 'established',
  /** Released, rejected or aborted: waiting for the transport to close; incoming bytes are ignored. */
  Ended: 'ended',
} as const;
type ConnState = (typeof ConnState)[keyof typeof ConnState];

const OpKind = {
  Echo: 'echo',
  Store: 'store',
  Find: 'find',
  /** A known operation on a context of another SOP class. */
  WrongContext: 'wrong-context',
  Unsupported: 'unsupported',
  /** A C-CANCEL carrying a data set: nothing to do but drop it. */
  Discard: 'discard',
} as const;
type OpKind = (typeof OpKind)[keyof typeof OpKind];

const PDU_NAMES: Record<number, string> = {
  [PduType.AAssociateRq]: 'A-ASSOCIATE-RQ',
  [PduType.AAssociateAc]: 'A-ASSOCIATE-AC',
  [PduType.AAssociateRj]: 'A-ASSOCIATE-RJ',
  [PduType.PDataTf]: 'P-DATA-TF',
  [PduType.AReleaseRq]: 'A-RELEASE-RQ',
  [PduType.AReleaseRp]: 'A-RELEASE-RP',
  [PduType.AAbort]: 'A-ABORT',
};

const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** One DIMSE operation, from its request command to its (last) response. */
class Operation {
  readonly command: DimseCommand;
  readonly context: AcceptedContext;
  readonly kind: OpKind;
  /** The data set of a C-STORE, streamed. */
  readonly stream: DataSetStream | null;
  /** Resolves once the request's data set has fully arrived (at once when it has none), or on abort. */
  readonly received: Promise<void>;
  private resolveReceived!: () => void;
  private chunks: Uint8Array[] = [];
  private bytes = 0;
  overflow = false;
  cancelled = false;
  aborted = false;
  pendingSent = 0;

  constructor(command: DimseCommand, context: AcceptedContext, kind: OpKind, stream: DataSetStream | null) {
    this.command = command;
    this.context = context;
    this.kind = kind;
    this.stream = stream;
    this.received = new Promise((resolve) => {
      this.resolveReceived = resolve;
    });
    if (!command.hasDataSet) this.resolveReceived();
  }

  data(chunk: Uint8Array): void {
    if (this.stream) this.stream.push(chunk);
    else if (this.kind === OpKind.Find && !this.overflow) {
      this.bytes += chunk.byteLength;
      if (this.bytes > MAX_IDENTIFIER_BYTES) {
        this.overflow = true;
        this.chunks = [];
      } else this.chunks.push(chunk);
    }
  }

  dataEnd(): void {
    this.stream?.end();
    this.resolveReceived();
  }

  identifier(): Uint8Array {
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes);
  }

  abort(error: Error): void {
    this.aborted = true;
    this.stream?.fail(error);
    this.resolveReceived();
  }
}

/**
 * One TCP connection and the association on it: the upper layer state machine (PS3.8 9.2, reduced to the
 * acceptor's side), message assembly, and the serial execution of DIMSE operations.
 */
export class Connection {
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private readonly socket: Socket;
  private readonly settings: ConnectionSettings;
  private readonly host: ConnectionHost;
  private readonly remoteAddress: string;
  private readonly reader: PduReader;
  private state: ConnState = ConnState.AwaitingRq;
  private assembler: MessageAssembler | null = null;
  private contexts = new Map<number, AcceptedContext>();
  private actor: Actor | null = null;
  private origin: RequestOrigin;
  private peerMaxPduLengthBytes = 0;
  /** The operation whose data set is arriving. */
  private receiving: Operation | null = null;
  /** Operations not yet answered. */
  private readonly ops = new Set<Operation>();
  /** Operations run one after the other (we negotiate an asynchronous operations window of 1). */
  private chain: Promise<void> = Promise.resolve();
  private releaseRequested = false;
  private slotReserved = false;
  private flowPaused = false;
  private shuttingDown = false;
  private shutdownDeadline = 0;
  private artimTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private releaseWaitTimer: NodeJS.Timeout | null = null;
  private endTimer: NodeJS.Timeout | null = null;

  private readonly flow: FlowControl = {
    pause: () => {
      this.flowPaused = true;
      this.socket.pause();
      this.updateIdle();
    },
    resume: () => {
      this.flowPaused = false;
      this.socket.resume();
      this.updateIdle();
    },
  };

  constructor(socket: Socket, settings: ConnectionSettings, host: ConnectionHost) {
    this.socket = socket;
    this.settings = settings;
    this.host = host;
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    this.origin = { protocol: Protocol.Dimse, remoteAddress: this.remoteAddress };
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    // Responses are small and awaited by the peer: Nagle's algorithm would hold each one back.
    socket.setNoDelay(true);
    this.reader = new PduReader(
      {
        onPdu: (pdu) => this.onPdu(pdu),
        onPdvStart: (pdv) => this.onPdvStart(pdv),
        onPdvData: (chunk) => this.assembler!.onPdvData(chunk),
        onPdvEnd: () => this.assembler!.onPdvEnd(),
      },
      {
        maxPDataLengthBytes: settings.maxPduLengthBytes,
        maxOtherPduLengthBytes: Math.max(settings.maxPduLengthBytes, MIN_ASSOCIATE_PDU_BOUND_BYTES),
      },
    );
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onPeerEnd());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.settings.logger.info(
        { remoteAddress: this.remoteAddress, code: err.code, err: err.message },
        'DIMSE connection error',
      );
    });
    socket.on('close', () => this.onClose());
    // PS3.8 9.1.5: the ARTIM timer bounds the wait for A-ASSOCIATE-RQ.
    this.artimTimer = setTimeout(() => this.onArtimExpired(), settings.associationTimeoutMs);
  }

  /** Resolves when every operation begun on this connection has settled. */
  get settled(): Promise<void> {
    return this.chain;
  }

  // -------------------------------------------------------------------------------------------------------
  // Incoming bytes and PDUs

  private onData(chunk: Buffer): void {
    // After an abort, keep reading until the peer closes: closing with unread bytes sends a TCP RST, which
    // can destroy our A-ABORT before the peer reads it.
    if (this.state === ConnState.Ended) return;
    this.idleTimer?.refresh();
    try {
      this.reader.push(chunk);
    } catch (err) {
      this.fail(err);
    }
  }

  private unexpected(what: string): DimseProtocolError {
    return new DimseProtocolError(
      DimseErrorCode.PduUnexpected,
      `${what} is not expected in state ${this.state} (PS3.8 9.2)`,
      AbortReason.UnexpectedPdu,
    );
  }

  private onPdu(pdu: Exclude<Pdu, { type: typeof PduType.PDataTf }>): void {
    if (pdu.type === PduType.AAbort) {
      this.settings.logger.info(
        { ...this.logContext(), source: pdu.source, reason: pdu.reason },
        'peer aborted the association',
      );
      this.end('the peer sent A-ABORT');
      this.socket.destroy();
      return;
    }
    switch (this.state) {
      case ConnState.AwaitingRq:
        if (pdu.type !== PduType.AAssociateRq) throw this.unexpected(PDU_NAMES[pdu.type]!);
        this.clearTimer('artimTimer');
        this.state = ConnState.Negotiating;
        this.negotiate(pdu).catch((err: unknown) => this.fail(err));
        return;
      case ConnState.Established:
        if (pdu.type !== PduType.AReleaseRq) throw this.unexpected(PDU_NAMES[pdu.type]!);
        if (!this.assembler!.idle) throw this.unexpected('A-RELEASE-RQ in the middle of a DIMSE message');
        this.releaseRequested = true;
        this.maybeRelease();
        return;
      default:
        throw this.unexpected(PDU_NAMES[pdu.type]!);
    }
  }

  private onPdvStart(pdv: PdvStart): void {
    if (this.state !== ConnState.Established) throw this.unexpected('P-DATA-TF');
    if (this.releaseRequested) throw this.unexpected('P-DATA-TF after A-RELEASE-RQ');
    this.assembler!.onPdvStart(pdv);
  }

  private fail(err: unknown): void {
    if (err instanceof DimseProtocolError) {
      this.settings.logger.warn(
        { ...this.logContext(), code: err.code, err: err.message },
        'DICOM protocol violation; aborting the association',
      );
      this.abort(AbortSource.ServiceProvider, err.abortReason, err.message);
      return;
    }
    this.settings.logger.error(
      { ...this.logContext(), err: messageOf(err) },
      'unexpected failure in the DIMSE connection; aborting the association',
    );
    this.abort(AbortSource.ServiceProvider, AbortReason.ReasonNotSpecified, messageOf(err));
  }

  // -------------------------------------------------------------------------------------------------------
  // Association establishment

  private async negotiate(rq: AAssociateRq): Promise<void> {
    const s = this.settings;
    this.origin = { ...this.origin, callingAe: rq.callingAeTitle, calledAe: rq.calledAeTitle };
    let decision: AssociationDecision;
    try {
      decision = await decideAssociation(
        rq,
        {
          aeTitle: s.aeTitle,
          maxPduLengthBytes: s.maxPduLengthBytes,
          acceptUnknownSopClasses: s.acceptUnknownSopClasses,
          resolveCallingAe: s.resolveCallingAe,
        },
        {
          remoteAddress: this.remoteAddress,
          closing: this.host.closing,
          reserveSlot: () => {
            if (this.state !== ConnState.Negotiating || !this.host.reserveSlot()) return false;
            this.slotReserved = true;
            return true;
          },
        },
      );
    } catch (err) {
      if (err instanceof DimseProtocolError) {
        this.fail(err);
        return;
      }
      // The resolver failed (its store is down, say): refuse for now; the peer may try again.
      s.logger.error({ ...this.logContext(), err: messageOf(err) }, 'calling AE resolution failed');
      decision = {
        kind: 'reject',
        result: RejectResult.RejectedTransient,
        source: RejectSource.ServiceUser,
        reason: ServiceUserRejectReason.NoReasonGiven,
        why: 'calling AE resolution failed',
        audit: false,
      };
    }
    if (this.state !== ConnState.Negotiating) return;
    if (decision.kind === 'accept' && this.host.closing) {
      decision = {
        kind: 'reject',
        result: RejectResult.RejectedTransient,
        source: RejectSource.ServiceProviderPresentation,
        reason: PresentationRejectReason.TemporaryCongestion,
        why: 'the server is shutting down',
        audit: false,
      };
    }
    if (decision.kind === 'reject') {
      this.write(
        encodePdu({
          type: PduType.AAssociateRj,
          result: decision.result,
          source: decision.source,
          reason: decision.reason,
        }),
      );
      s.logger.warn(
        { ...this.logContext(), result: decision.result, source: decision.source, reason: decision.reason },
        `association rejected: ${decision.why}`,
      );
      if (decision.audit) {
        this.recordAudit({
          action: 'association-rejected',
          actor: { kind: ActorKind.Ae, id: rq.callingAeTitle, name: rq.callingAeTitle },
          origin: this.origin,
          outcome: AuditOutcome.Denied,
          detail: decision.why,
        });
      }
      this.end('association rejected');
      return;
    }
    this.state = ConnState.Established;
    this.contexts = decision.contexts;
    this.actor = decision.actor;
    this.peerMaxPduLengthBytes = decision.peerMaxPduLengthBytes;
    this.assembler = new MessageAssembler(
      {
        onCommand: (id, command) => this.onCommand(id, command),
        onDataFragment: (chunk) => this.receiving?.data(chunk),
        onDataEnd: () => {
          this.receiving?.dataEnd();
          this.receiving = null;
          this.updateIdle();
        },
      },
      (id) => this.contexts.has(id),
    );
    this.write(encodePdu(decision.ac));
    s.logger.info(
      {
        ...this.logContext(),
        proposedContexts: rq.presentationContexts.length,
        acceptedContexts: this.contexts.size,
        peerMaxPduLengthBytes: this.peerMaxPduLengthBytes,
        implementationVersionName: rq.userInformation.implementationVersionName,
      },
      'association accepted',
    );
    this.updateIdle();
  }

  // -------------------------------------------------------------------------------------------------------
  // DIMSE operations

  private onCommand(contextId: number, command: DimseCommand): void {
    const context = this.contexts.get(contextId)!;
    if (command.commandField === CommandField.CCancelRq) {
      // PS3.7 9.3.2.3: C-CANCEL names the operation by its Message ID; it has no response of its own.
      this.settings.logger.info(
        { ...this.logContext(), messageId: command.messageIdBeingRespondedTo },
        'C-CANCEL received',
      );
      for (const op of this.ops) {
        if (op.command.messageId === command.messageIdBeingRespondedTo) op.cancelled = true;
      }
      if (command.hasDataSet) this.receiving = new Operation(command, context, OpKind.Discard, null);
      return;
    }
    if ((command.commandField & RESPONSE_BIT) !== 0) {
      throw new DimseProtocolError(
        DimseErrorCode.MessageMalformed,
        `response ${hex4(command.commandField)} received, but Confer sent no request`,
        AbortReason.UnexpectedPduParameter,
      );
    }
    if (this.shuttingDown) {
      // Work already begun finishes on shutdown; new work does not start.
      this.abort(AbortSource.ServiceUser, AbortReason.ReasonNotSpecified, 'the server is shutting down');
      return;
    }
    const kind = this.kindOf(command.commandField, context);
    const stream =
      kind === OpKind.Store && command.hasDataSet
        ? new DataSetStream(this.flow, this.settings.dataHighWaterMarkBytes)
        : null;
    const op = new Operation(command, context, kind, stream);
    this.ops.add(op);
    if (command.hasDataSet) this.receiving = op;
    this.updateIdle();
    this.chain = this.chain.then(() => this.run(op)).catch((err: unknown) => this.fail(err));
  }

  private kindOf(commandField: number, context: AcceptedContext): OpKind {
    switch (commandField) {
      case CommandField.CEchoRq:
        return OpKind.Echo;
      case CommandField.CStoreRq:
        return context.service === Service.Storage ? OpKind.Store : OpKind.WrongContext;
      case CommandField.CFindRq:
        return context.service === Service.Find ? OpKind.Find : OpKind.WrongContext;
      default:
        return OpKind.Unsupported;
    }
  }

  /** Runs one operation to its response; never rejects. */
  private async run(op: Operation): Promise<void> {
    try {
      if (op.aborted) return;
      let result: DimseResult;
      try {
        result = await this.perform(op);
      } catch (err) {
        if (op.aborted) return;
        this.settings.logger.error(
          {
            ...this.logContext(),
            commandField: hex4(op.command.commandField),
            messageId: op.command.messageId,
            sopInstanceUid: op.command.affectedSopInstanceUid,
            err: messageOf(err),
          },
          'DIMSE operation failed',
        );
        result = {
          status: Status.UnableToProcessInternalError,
          errorComment: `Confer failed: ${messageOf(err)}`,
        };
      }
      // Whatever the handler left unread is dropped, keeping the association in step with the peer.
      op.stream?.discard();
      await op.received;
      if (op.aborted || this.state !== ConnState.Established) return;
      if (op.kind === OpKind.Store && result.status !== Status.Success) {
        this.settings.logger.warn(
          {
            ...this.logContext(),
            status: hex4(result.status),
            sopInstanceUid: op.command.affectedSopInstanceUid,
            errorComment: result.errorComment,
          },
          'C-STORE refused',
        );
      }
      this.respond(op, result);
    } catch (err) {
      this.fail(err);
    } finally {
      this.ops.delete(op);
      this.afterOperation();
    }
  }

  private async perform(op: Operation): Promise<DimseResult> {
    const { command, context } = op;
    switch (op.kind) {
      case OpKind.Echo:
        return { status: Status.Success };
      case OpKind.Store:
        if (!op.stream) {
          return {
            status: Status.ErrorCannotUnderstand,
            errorComment: 'C-STORE-RQ says no data set follows',
          };
        }
        return performCStore(this.settings.ingest, {
          command,
          context,
          body: op.stream,
          actor: this.actor!,
          origin: this.origin,
        });
      case OpKind.Find: {
        await op.received;
        if (op.aborted) return { status: Status.Success };
        if (!command.hasDataSet) {
          return {
            status: Status.IdentifierDoesNotMatchSopClass,
            errorComment: 'C-FIND-RQ has no identifier',
          };
        }
        if (op.overflow) {
          return {
            status: Status.UnableToProcess,
            errorComment: `identifier is over ${MAX_IDENTIFIER_BYTES} bytes`,
          };
        }
        let identifier: ReturnType<typeof readDataset>['dataset'];
        try {
          identifier = readDataset(op.identifier(), context.transferSyntax).dataset;
        } catch (err) {
          if (!(err instanceof DicomParseError)) throw err;
          return {
            status: Status.IdentifierDoesNotMatchSopClass,
            errorComment: `identifier cannot be read: ${err.message}`,
          };
        }
        return performCFind(this.settings.query, {
          identifier,
          model: context.queryModel ?? QueryModel.StudyRoot,
          aeTitle: this.settings.aeTitle,
          actor: this.actor!,
          origin: this.origin,
          sendPending: (ds, status) => this.sendPending(op, ds, status),
          cancelled: () => op.cancelled,
        });
      }
      case OpKind.WrongContext:
        return {
          status: Status.RefusedSopClassNotSupported,
          errorComment: `${hex4(command.commandField)} is not served on the context for ${context.abstractSyntax}`,
        };
      default:
        return {
          status: Status.UnrecognizedOperation,
          errorComment: `command ${hex4(command.commandField)} is not supported`,
        };
    }
  }

  private async sendPending(op: Operation, identifier: WritableDataset, status: number): Promise<void> {
    if (op.aborted || this.state !== ConnState.Established) throw abortedError('association ended');
    const command = encodeCommand({
      commandField: CommandField.CFindRsp,
      messageIdBeingRespondedTo: op.command.messageId ?? 0,
      ...(op.command.affectedSopClassUid ? { affectedSopClassUid: op.command.affectedSopClassUid } : {}),
      status,
      hasDataSet: true,
    });
    const dataset = encodeDataset(identifier, op.context.transferSyntax);
    const flushed = this.write(encodeMessage(op.context.id, command, dataset, this.peerMaxPduLengthBytes));
    op.pendingSent++;
    if (!flushed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.socket.off('drain', done);
          this.socket.off('close', done);
          resolve();
        };
        this.socket.on('drain', done);
        this.socket.on('close', done);
      });
    } else if (op.pendingSent % PENDING_PER_TURN === 0) {
      await nextTurn();
    }
  }

  private respond(op: Operation, result: DimseResult): void {
    const c = op.command;
    const fields: CommandFields = {
      commandField: c.commandField | RESPONSE_BIT,
      messageIdBeingRespondedTo: c.messageId ?? 0,
      status: result.status,
      hasDataSet: false,
    };
    if (c.affectedSopClassUid) fields.affectedSopClassUid = c.affectedSopClassUid;
    if (op.kind === OpKind.Store && c.affectedSopInstanceUid) {
      fields.affectedSopInstanceUid = c.affectedSopInstanceUid;
    }
    if (result.errorComment) fields.errorComment = result.errorComment;
    if (result.offendingElements) fields.offendingElements = result.offendingElements;
    this.write(encodeMessage(op.context.id, encodeCommand(fields), undefined, this.peerMaxPduLengthBytes));
  }

  private afterOperation(): void {
    if (this.state !== ConnState.Established) return;
    this.updateIdle();
    if (this.releaseRequested) this.maybeRelease();
    else if (this.shuttingDown && this.ops.size === 0 && !this.releaseWaitTimer) {
      const ms = Math.max(0, Math.min(RELEASE_WAIT_ON_SHUTDOWN_MS, this.shutdownDeadline - Date.now()));
      this.releaseWaitTimer = setTimeout(
        () =>
          this.abort(AbortSource.ServiceUser, AbortReason.ReasonNotSpecified, 'the server is shutting down'),
        ms,
      );
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Ending

  /** PS3.8 7.2: the release is answered once every operation in progress has been answered. */
  private maybeRelease(): void {
    if (this.state !== ConnState.Established || this.ops.size > 0) return;
    this.write(encodePdu({ type: PduType.AReleaseRp }));
    this.settings.logger.info(this.logContext(), 'association released');
    this.end('association released');
  }

  /** Sends A-ABORT and ends the association at once. */
  private abort(source: AbortSource, reason: AbortReason, why: string): void {
    if (this.state === ConnState.Ended) return;
    this.write(encodePdu({ type: PduType.AAbort, source, reason }));
    this.end(why);
  }

  /** Ends the association: operations in flight fail, the transport is half-closed and left to the peer. */
  private end(why: string): void {
    if (this.state === ConnState.Ended) return;
    this.state = ConnState.Ended;
    this.reader.stop();
    this.clearTimers();
    this.abortOperations(why);
    if (this.flowPaused) {
      this.flowPaused = false;
      this.socket.resume();
    }
    this.socket.end();
    // PS3.8 Sta13: the peer closes the transport, under the ARTIM timer. A well-behaved peer does so at once;
    // the cap keeps a misbehaving one (still sending garbage, say) from holding the socket for long.
    this.endTimer = setTimeout(
      () => this.socket.destroy(),
      Math.min(this.settings.associationTimeoutMs, END_LINGER_MAX_MS),
    );
    this.endTimer.unref();
  }

  private abortOperations(why: string): void {
    const error = abortedError(why);
    for (const op of this.ops) op.abort(error);
    this.receiving?.abort(error);
    this.receiving = null;
  }

  private onPeerEnd(): void {
    if (this.state === ConnState.Ended) return;
    if (this.state === ConnState.Established) {
      this.settings.logger.info(
        this.logContext(),
        'peer closed the connection without releasing the association',
      );
    }
    this.end('the peer closed the connection');
  }

  private onClose(): void {
    this.state = ConnState.Ended;
    this.reader.stop();
    this.clearTimers();
    this.clearTimer('endTimer');
    this.abortOperations('connection closed');
    if (this.slotReserved) {
      this.slotReserved = false;
      this.host.releaseSlot();
    }
    this.resolveClosed();
  }

  private onArtimExpired(): void {
    this.artimTimer = null;
    if (this.state !== ConnState.AwaitingRq) return;
    this.settings.logger.warn(
      { remoteAddress: this.remoteAddress, associationTimeoutMs: this.settings.associationTimeoutMs },
      'no A-ASSOCIATE-RQ in time; closing the connection',
    );
    // PS3.8 9.2 (Sta2, ARTIM expired): close the transport; there is no association to abort.
    this.state = ConnState.Ended;
    this.socket.destroy();
  }

  private onIdle(): void {
    this.idleTimer = null;
    this.settings.logger.info(
      { ...this.logContext(), idleTimeoutMs: this.settings.idleTimeoutMs },
      'association idle for too long; aborting',
    );
    this.abort(AbortSource.ServiceProvider, AbortReason.ReasonNotSpecified, 'idle timeout');
  }

  /**
   * The idle timer runs while we wait for the peer: not while the peer waits for our response, and not while
   * we hold the socket paused because a consumer is behind.
   */
  private updateIdle(): void {
    const waitingOnUs = this.ops.size > 0 && this.receiving === null && (this.assembler?.idle ?? true);
    const run =
      this.state === ConnState.Established &&
      !this.flowPaused &&
      !waitingOnUs &&
      this.settings.idleTimeoutMs > 0;
    if (run) {
      if (this.idleTimer) this.idleTimer.refresh();
      else this.idleTimer = setTimeout(() => this.onIdle(), this.settings.idleTimeoutMs);
    } else this.clearTimer('idleTimer');
  }

  private clearTimer(name: 'artimTimer' | 'idleTimer' | 'releaseWaitTimer' | 'endTimer'): void {
    const t = this[name];
    if (t) clearTimeout(t);
    this[name] = null;
  }

  private clearTimers(): void {
    this.clearTimer('artimTimer');
    this.clearTimer('idleTimer');
    this.clearTimer('releaseWaitTimer');
  }

  // -------------------------------------------------------------------------------------------------------
  // Server shutdown

  /** Stops new work. Operations in flight finish (until `deadline`); an idle association is aborted now. */
  shutdown(deadline: number): void {
    this.shuttingDown = true;
    this.shutdownDeadline = deadline;
    if (this.state === ConnState.AwaitingRq) {
      this.state = ConnState.Ended;
      this.clearTimers();
      this.socket.destroy();
    } else if (this.state === ConnState.Established && this.ops.size === 0 && this.assembler!.idle) {
      this.abort(AbortSource.ServiceUser, AbortReason.ReasonNotSpecified, 'the server is shutting down');
    }
  }

  /** The grace period is over: abort whatever remains. */
  abortNow(): void {
    this.abort(AbortSource.ServiceUser, AbortReason.ReasonNotSpecified, 'shutdown grace period over');
  }

  destroy(): void {
    this.socket.destroy();
  }

  // -------------------------------------------------------------------------------------------------------

  private write(bytes: Uint8Array): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    return this.socket.write(bytes);
  }

  private recordAudit(event: Parameters<AuditSink['record']>[0]): void {
    try {
      this.settings.audit.record(event).catch((err: unknown) => {
        this.settings.logger.error({ err: messageOf(err), action: event.action }, 'audit record failed');
      });
    } catch (err) {
      this.settings.logger.error({ err: messageOf(err), action: event.action }, 'audit record failed');
    }
  }

  private logContext(): Record<string, unknown> {
    return {
      remoteAddress: this.remoteAddress,
      callingAe: this.origin.callingAe,
      calledAe: this.origin.calledAe,
    };
  }
}
