/**
 * Stable error codes of the DICOM upper layer and DIMSE adapter. A protocol error always ends the
 * association with an A-ABORT carrying `abortReason` (PS3.8 9.3.8), so the peer never waits for a timeout.
 */
export const DimseErrorCode = {
  /** A PDU or one of its items is shorter than its fields, or its lengths contradict each other. */
  PduMalformed: 'CONFER_ERR_DIMSE_PDU_MALFORMED',
  /** A PDU is longer than the maximum length Confer announced. */
  PduTooLong: 'CONFER_ERR_DIMSE_PDU_TOO_LONG',
  /** The PDU type byte is none of PS3.8 9.3's seven. */
  PduUnknownType: 'CONFER_ERR_DIMSE_PDU_UNKNOWN_TYPE',
  /** A valid PDU that the association's state does not allow (PS3.8 9.2, Table 9-10). */
  PduUnexpected: 'CONFER_ERR_DIMSE_PDU_UNEXPECTED',
  /** A PDU parameter has a value the standard forbids (even presentation context ID, unknown context...). */
  PduInvalidParameter: 'CONFER_ERR_DIMSE_PDU_INVALID_PARAMETER',
  /** Command or data fragments out of order, or a command set that cannot be read (PS3.7 6.3, PS3.8 E.2). */
  MessageMalformed: 'CONFER_ERR_DIMSE_MESSAGE_MALFORMED',
  /** The association ended (A-ABORT, closed socket, shutdown) before a data set was complete. */
  AssociationAborted: 'CONFER_ERR_DIMSE_ASSOCIATION_ABORTED',
} as const;
export type DimseErrorCode = (typeof DimseErrorCode)[keyof typeof DimseErrorCode];

/** A-ABORT reasons when the service provider aborts (PS3.8 9.3.8, Table 9-26). */
export const AbortReason = {
  ReasonNotSpecified: 0,
  UnrecognizedPdu: 1,
  UnexpectedPdu: 2,
  UnrecognizedPduParameter: 4,
  UnexpectedPduParameter: 5,
  InvalidPduParameterValue: 6,
} as const;
export type AbortReason = (typeof AbortReason)[keyof typeof AbortReason];

/** A violation of PS3.8/PS3.7 by the peer; the association is aborted with `abortReason`. */
export class DimseProtocolError extends Error {
  readonly code: DimseErrorCode;
  readonly abortReason: AbortReason;
  constructor(code: DimseErrorCode, message: string, abortReason: AbortReason) {
    super(message);
    this.name = 'DimseProtocolError';
    this.code = code;
    this.abortReason = abortReason;
  }
}

/** Thrown by a C-STORE body stream when the association ends before the data set is complete. */
export class DimseAbortedError extends Error {
  readonly code = DimseErrorCode.AssociationAborted;
  constructor(message: string) {
    super(message);
    this.name = 'DimseAbortedError';
  }
}
