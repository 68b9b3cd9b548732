import { DicomParseError, readDataset } from '../dicom/dataset-reader.ts';
import { encodeDataset, type WritableDataset } from '../dicom/dataset-writer.ts';
import type { DicomJsonDataset } from '../dicom/dicom-json.ts';
import { TransferSyntax } from '../dicom/transfer-syntax.ts';
import { AbortReason, DimseAbortedError, DimseErrorCode, DimseProtocolError } from './errors.ts';
import { PDU_HEADER_BYTES, PDV_HEADER_BYTES, PduType, type PdvStart } from './pdu.ts';

/**
 * DIMSE messages (PS3.7 6.3, 9, E): command sets, the assembly of command and data fragments from PDVs, the
 * streaming data set of a C-STORE, and the fragmentation of outgoing messages into P-DATA-TF PDUs.
 */

/** Command Field (0000,0100) values (PS3.7 E.1). */
export const CommandField = {
  CStoreRq: 0x0001,
  CStoreRsp: 0x8001,
  CGetRq: 0x0010,
  CGetRsp: 0x8010,
  CFindRq: 0x0020,
  CFindRsp: 0x8020,
  CMoveRq: 0x0021,
  CMoveRsp: 0x8021,
  CEchoRq: 0x0030,
  CEchoRsp: 0x8030,
  NEventReportRq: 0x0100,
  NEventReportRsp: 0x8100,
  NGetRq: 0x0110,
  NGetRsp: 0x8110,
  NSetRq: 0x0120,
  NSetRsp: 0x8120,
  NActionRq: 0x0130,
  NActionRsp: 0x8130,
  NCreateRq: 0x0140,
  NCreateRsp: 0x8140,
  NDeleteRq: 0x0150,
  NDeleteRsp: 0x8150,
  CCancelRq: 0x0fff,
} as const;

/** Bit 15 of the Command Field marks a response (PS3.7 E.1). */
export const RESPONSE_BIT = 0x8000;

/**
 * Status (0000,0900) values used by Confer (PS3.7 C, PS3.4 B.2.3 for C-STORE, C.4.1.1.4 for C-FIND).
 * Several names share a value where the standard names the same code differently per service.
 */
export const Status = {
  Success: 0x0000,
  /** C-FIND: a match follows, optional keys supported like required ones. */
  Pending: 0xff00,
  /** C-FIND: a match follows, but one or more optional keys were not supported. */
  PendingWarningOptionalKeysNotSupported: 0xff01,
  /** C-FIND: matching terminated by C-CANCEL. */
  Cancel: 0xfe00,
  RefusedOutOfResources: 0xa700,
  /** C-STORE: Error: Data Set does not match SOP Class. */
  ErrorDataSetDoesNotMatchSopClass: 0xa900,
  /** C-FIND: Failed: Identifier does not match SOP Class. */
  IdentifierDoesNotMatchSopClass: 0xa900,
  /** C-STORE: Error: Cannot understand (0xCxxx). */
  ErrorCannotUnderstand: 0xc000,
  /** C-FIND: Failed: Unable to process (0xCxxx). */
  UnableToProcess: 0xc000,
  /**
   * Confer's code in the 0xCxxx range for "we failed while processing" (a handler threw), so a peer's log
   * tells our fault from its own; the Error Comment says what happened.
   */
  UnableToProcessInternalError: 0xc001,
  ProcessingFailure: 0x0110,
  RefusedSopClassNotSupported: 0x0122,
  RefusedNotAuthorized: 0x0124,
  UnrecognizedOperation: 0x0211,
} as const;

/** The status of a response and, for a failure, the reason a person reads in the peer's log. */
export interface DimseResult {
  status: number;
  errorComment?: string;
  /** (0000,0901) Offending Element, 8 hex digits each. */
  offendingElements?: string[];
}

/** (0000,0800): 0x0101 means no data set follows; any other value means one does (PS3.7 E.1). */
export const CommandDataSetType = { Null: 0x0101, Present: 0x0102 } as const;

/** (0000,0700) Priority of a request (PS3.7 E.1). */
export const Priority = { Medium: 0x0000, High: 0x0001, Low: 0x0002 } as const;

/** Command set elements, group 0000 (PS3.7 E.1), as DICOM JSON keys. */
export const CommandTag = {
  CommandGroupLength: '00000000',
  AffectedSOPClassUID: '00000002',
  CommandField: '00000100',
  MessageID: '00000110',
  MessageIDBeingRespondedTo: '00000120',
  MoveDestination: '00000600',
  Priority: '00000700',
  CommandDataSetType: '00000800',
  Status: '00000900',
  OffendingElement: '00000901',
  ErrorComment: '00000902',
  AffectedSOPInstanceUID: '00001000',
  MoveOriginatorApplicationEntityTitle: '00001030',
  MoveOriginatorMessageID: '00001031',
} as const;

/** The fields of a command set Confer reads or writes. */
export interface CommandFields {
  commandField: number;
  messageId?: number;
  messageIdBeingRespondedTo?: number;
  affectedSopClassUid?: string;
  affectedSopInstanceUid?: string;
  priority?: number;
  hasDataSet: boolean;
  status?: number;
  /** (0000,0902) LO: passed through errorComment() when encoded. */
  errorComment?: string;
  /** (0000,0901) AT: the keys at fault, as 8 hex digits. */
  offendingElements?: string[];
  moveOriginatorAeTitle?: string;
  moveOriginatorMessageId?: number;
}

export interface DimseCommand extends CommandFields {
  /** The whole command set as read, for fields this module does not name. */
  raw: DicomJsonDataset;
}

/**
 * An Error Comment is LO (PS3.5 6.2): at most 64 characters of the default repertoire (command sets have no
 * Specific Character Set), no backslash (it would split the value) and no control characters.
 */
export function errorComment(text: string): string {
  const clean = text
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/\\/g, '/')
    .trim();
  return clean.length <= 64 ? clean : `${clean.slice(0, 61)}...`;
}

/**
 * Encodes a command set. PS3.7 6.3.1: always implicit VR little endian, whatever the presentation context's
 * transfer syntax, and led by the Command Group Length (0000,0000).
 */
export function encodeCommand(c: CommandFields): Buffer {
  const ds: WritableDataset = {
    [CommandTag.CommandField]: { vr: 'US', Value: [c.commandField] },
    [CommandTag.CommandDataSetType]: {
      vr: 'US',
      Value: [c.hasDataSet ? CommandDataSetType.Present : CommandDataSetType.Null],
    },
  };
  if (c.affectedSopClassUid)
    ds[CommandTag.AffectedSOPClassUID] = { vr: 'UI', Value: [c.affectedSopClassUid] };
  if (c.messageId !== undefined) ds[CommandTag.MessageID] = { vr: 'US', Value: [c.messageId] };
  if (c.messageIdBeingRespondedTo !== undefined) {
    ds[CommandTag.MessageIDBeingRespondedTo] = { vr: 'US', Value: [c.messageIdBeingRespondedTo] };
  }
  if (c.priority !== undefined) ds[CommandTag.Priority] = { vr: 'US', Value: [c.priority] };
  if (c.status !== undefined) ds[CommandTag.Status] = { vr: 'US', Value: [c.status] };
  if (c.offendingElements?.length) {
    ds[CommandTag.OffendingElement] = { vr: 'AT', Value: c.offendingElements };
  }
  if (c.errorComment) ds[CommandTag.ErrorComment] = { vr: 'LO', Value: [errorComment(c.errorComment)] };
  if (c.affectedSopInstanceUid) {
    ds[CommandTag.AffectedSOPInstanceUID] = { vr: 'UI', Value: [c.affectedSopInstanceUid] };
  }
  if (c.moveOriginatorAeTitle) {
    ds[CommandTag.MoveOriginatorApplicationEntityTitle] = { vr: 'AE', Value: [c.moveOriginatorAeTitle] };
  }
  if (c.moveOriginatorMessageId !== undefined) {
    ds[CommandTag.MoveOriginatorMessageID] = { vr: 'US', Value: [c.moveOriginatorMessageId] };
  }
  const body = encodeDataset(ds, TransferSyntax.ImplicitVRLittleEndian);
  const length = encodeDataset(
    { [CommandTag.CommandGroupLength]: { vr: 'UL', Value: [body.byteLength] } },
    TransferSyntax.ImplicitVRLittleEndian,
  );
  return Buffer.concat([length, body], length.byteLength + body.byteLength);
}

function num(ds: DicomJsonDataset, tag: string): number | undefined {
  const v = ds[tag]?.Value?.[0];
  return typeof v === 'number' ? v : undefined;
}

function str(ds: DicomJsonDataset, tag: string): string | undefined {
  const v = ds[tag]?.Value?.[0];
  return typeof v === 'string' ? v : undefined;
}

/** Reads a command set; a command that cannot be read is a protocol error, since it cannot be answered. */
export function decodeCommand(bytes: Uint8Array): DimseCommand {
  let raw: DicomJsonDataset;
  try {
    raw = readDataset(bytes, TransferSyntax.ImplicitVRLittleEndian).dataset;
  } catch (err) {
    if (!(err instanceof DicomParseError)) throw err;
    throw new DimseProtocolError(
      DimseErrorCode.MessageMalformed,
      `command set cannot be read: ${err.message}`,
      AbortReason.InvalidPduParameterValue,
    );
  }
  const commandField = num(raw, CommandTag.CommandField);
  const dataSetType = num(raw, CommandTag.CommandDataSetType);
  if (commandField === undefined || dataSetType === undefined) {
    throw new DimseProtocolError(
      DimseErrorCode.MessageMalformed,
      'command set lacks Command Field (0000,0100) or Command Data Set Type (0000,0800)',
      AbortReason.InvalidPduParameterValue,
    );
  }
  const c: DimseCommand = { commandField, hasDataSet: dataSetType !== CommandDataSetType.Null, raw };
  const fields: Partial<CommandFields> = {
    messageId: num(raw, CommandTag.MessageID),
    messageIdBeingRespondedTo: num(raw, CommandTag.MessageIDBeingRespondedTo),
    affectedSopClassUid: str(raw, CommandTag.AffectedSOPClassUID),
    affectedSopInstanceUid: str(raw, CommandTag.AffectedSOPInstanceUID),
    priority: num(raw, CommandTag.Priority),
    status: num(raw, CommandTag.Status),
    errorComment: str(raw, CommandTag.ErrorComment),
    moveOriginatorAeTitle: str(raw, CommandTag.MoveOriginatorApplicationEntityTitle),
    moveOriginatorMessageId: num(raw, CommandTag.MoveOriginatorMessageID),
  };
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined) (c as unknown as Record<string, unknown>)[k] = v;
  }
  const offending = raw[CommandTag.OffendingElement]?.Value;
  if (offending?.length) c.offendingElements = offending.map(String);
  return c;
}

// ---------------------------------------------------------------------------------------------------------
// Incoming: fragments to messages

/** Receives the messages a MessageAssembler puts together. */
export interface MessageHandler {
  /** A command set is complete. When `command.hasDataSet`, its data fragments follow, then onDataEnd. */
  onCommand(presentationContextId: number, command: DimseCommand): void;
  /** A piece of the data set, a view into the socket's bytes: never modify it. */
  onDataFragment(chunk: Uint8Array): void;
  onDataEnd(): void;
}

/** Command sets are small; this bounds what a peer can make us hold before the command is read. */
const MAX_COMMAND_BYTES = 64 * 1024;

/**
 * Assembles PDVs into messages (PS3.8 E.2, PS3.7 6.3). A message is its command fragments, the last one
 * flagged, then, when the command says so, its data fragments on the same presentation context. Anything
 * else (data where a command is due, a command inside a data set, a context switch) is a protocol error.
 */
export class MessageAssembler {
  private readonly handler: MessageHandler;
  private readonly isAccepted: (presentationContextId: number) => boolean;
  private expectingData = false;
  private contextId = -1;
  private current: PdvStart | null = null;
  private commandChunks: Uint8Array[] = [];
  private commandBytes = 0;

  constructor(handler: MessageHandler, isAccepted: (presentationContextId: number) => boolean) {
    this.handler = handler;
    this.isAccepted = isAccepted;
  }

  /** True between messages. */
  get idle(): boolean {
    return !this.expectingData && this.current === null && this.commandChunks.length === 0;
  }

  onPdvStart(pdv: PdvStart): void {
    const error = (message: string) =>
      new DimseProtocolError(DimseErrorCode.MessageMalformed, message, AbortReason.UnexpectedPduParameter);
    if (!this.isAccepted(pdv.presentationContextId)) {
      throw new DimseProtocolError(
        DimseErrorCode.PduInvalidParameter,
        `PDV on presentation context ${pdv.presentationContextId}, which was not accepted`,
        AbortReason.InvalidPduParameterValue,
      );
    }
    const started = this.expectingData || this.commandChunks.length > 0;
    if (started && pdv.presentationContextId !== this.contextId) {
      throw error(
        `PDV on presentation context ${pdv.presentationContextId} inside a message on context ${this.contextId}`,
      );
    }
    if (this.expectingData && pdv.isCommand) {
      throw error('command fragment before the previous message data set was complete');
    }
    if (!this.expectingData && !pdv.isCommand) {
      throw error('data fragment where a command was due');
    }
    this.contextId = pdv.presentationContextId;
    this.current = pdv;
  }

  onPdvData(chunk: Uint8Array): void {
    if (this.current?.isCommand) {
      this.commandBytes += chunk.byteLength;
      if (this.commandBytes > MAX_COMMAND_BYTES) {
        throw new DimseProtocolError(
          DimseErrorCode.MessageMalformed,
          `command set is over ${MAX_COMMAND_BYTES} bytes`,
          AbortReason.InvalidPduParameterValue,
        );
      }
      this.commandChunks.push(chunk);
    } else this.handler.onDataFragment(chunk);
  }

  onPdvEnd(): void {
    const pdv = this.current!;
    this.current = null;
    if (!pdv.isLast) return;
    if (pdv.isCommand) {
      const bytes =
        this.commandChunks.length === 1
          ? this.commandChunks[0]!
          : Buffer.concat(this.commandChunks, this.commandBytes);
      this.commandChunks = [];
      this.commandBytes = 0;
      const command = decodeCommand(bytes);
      this.expectingData = command.hasDataSet;
      this.handler.onCommand(pdv.presentationContextId, command);
    } else {
      this.expectingData = false;
      this.handler.onDataEnd();
    }
  }
}

/** Flow control of the transport under a DataSetStream: the socket's pause and resume. */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

/**
 * A C-STORE data set as it arrives: an AsyncIterable over the fragments, consumed once. When more than
 * `highWaterMarkBytes` are queued the transport is paused, and resumed when the consumer has caught up, so a
 * slow consumer never makes us hold more than that plus one socket chunk.
 */
export class DataSetStream implements AsyncIterable<Uint8Array> {
  private readonly flow: FlowControl;
  private readonly highWaterMarkBytes: number;
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private ended = false;
  private failure: Error | null = null;
  private discarding = false;
  private paused = false;
  private iterating = false;
  private waiter: { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: Error) => void } | null =
    null;
  /** Bytes received so far, kept or not. */
  receivedBytes = 0;

  constructor(flow: FlowControl, highWaterMarkBytes: number) {
    this.flow = flow;
    this.highWaterMarkBytes = highWaterMarkBytes;
  }

  /** True once the last fragment has arrived. */
  get complete(): boolean {
    return this.ended;
  }

  push(chunk: Uint8Array): void {
    this.receivedBytes += chunk.byteLength;
    if (this.discarding || this.failure) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve({ value: chunk, done: false });
      return;
    }
    this.queue.push(chunk);
    this.queuedBytes += chunk.byteLength;
    if (!this.paused && this.queuedBytes > this.highWaterMarkBytes) {
      this.paused = true;
      this.flow.pause();
    }
  }

  end(): void {
    this.ended = true;
    if (this.waiter && this.queue.length === 0) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve({ value: undefined, done: true });
    }
  }

  /** The association ended before the data set did: the consumer's next read throws. */
  fail(error: Error): void {
    if (this.ended || this.failure) return;
    this.failure = error;
    this.queue = [];
    this.queuedBytes = 0;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.reject(error);
    }
    this.unpause();
  }

  /** The consumer is done with the data set: drop what is queued and what still arrives. */
  discard(): void {
    this.discarding = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.unpause();
  }

  private unpause(): void {
    if (this.paused) {
      this.paused = false;
      this.flow.resume();
    }
  }

  private next(): Promise<IteratorResult<Uint8Array>> {
    if (this.failure) return Promise.reject(this.failure);
    const chunk = this.queue.shift();
    if (chunk) {
      this.queuedBytes -= chunk.byteLength;
      // Resume at half the mark rather than just under it, so the socket does not flap per chunk.
      if (this.paused && this.queuedBytes <= this.highWaterMarkBytes / 2) this.unpause();
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.ended || this.discarding) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.iterating) throw new Error('a C-STORE data set can be read only once');
    this.iterating = true;
    return {
      next: () => this.next(),
      return: () => {
        this.discard();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

/** The error a DataSetStream's consumer sees when the association ends mid data set. */
export function abortedError(why: string): DimseAbortedError {
  return new DimseAbortedError(`the association ended before the data set was complete: ${why}`);
}

// ---------------------------------------------------------------------------------------------------------
// Outgoing: messages to P-DATA-TF PDUs

/** Fragment size when the peer states no maximum (PS3.8 D.1: 0 means unlimited). */
const UNLIMITED_FRAGMENT_BYTES = 1024 * 1024;

/**
 * Encodes a message as P-DATA-TF PDUs in one buffer, so it goes out in one write: the command, then the
 * data set, each cut to the peer's maximum length with one PDV per PDU. Command and data travel in separate
 * PDVs (PS3.8 E.2) and, as most implementations expect, in separate PDUs.
 */
export function encodeMessage(
  presentationContextId: number,
  command: Uint8Array,
  dataset: Uint8Array | undefined,
  peerMaxPduLengthBytes: number,
): Buffer {
  // A peer announcing less than a PDV header would receive nothing at all; send at least 2 bytes per PDV.
  const fragment =
    peerMaxPduLengthBytes === 0
      ? UNLIMITED_FRAGMENT_BYTES
      : Math.max(2, peerMaxPduLengthBytes - PDV_HEADER_BYTES);
  const pdus = (n: number) => Math.max(1, Math.ceil(n / fragment));
  const overhead = PDU_HEADER_BYTES + PDV_HEADER_BYTES;
  const total =
    command.byteLength +
    pdus(command.byteLength) * overhead +
    (dataset ? dataset.byteLength + pdus(dataset.byteLength) * overhead : 0);
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  const put = (bytes: Uint8Array, isCommand: boolean) => {
    let offset = 0;
    do {
      const n = Math.min(fragment, bytes.byteLength - offset);
      const last = offset + n === bytes.byteLength;
      out[o] = PduType.PDataTf;
      out[o + 1] = 0;
      out.writeUInt32BE(n + PDV_HEADER_BYTES, o + 2);
      out.writeUInt32BE(n + 2, o + 6);
      out[o + 10] = presentationContextId;
      out[o + 11] = (isCommand ? 0x01 : 0) | (last ? 0x02 : 0);
      out.set(bytes.subarray(offset, offset + n), o + 12);
      o += overhead + n;
      offset += n;
    } while (offset < bytes.byteLength);
  };
  put(command, true);
  if (dataset) put(dataset, false);
  return out;
}
