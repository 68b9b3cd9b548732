import type { DicomJsonDataset } from '../dicom/dicom-json.ts';

/**
 * The archive's application ports: what protocol adapters (DIMSE, DICOMweb, CLI) call. The services behind
 * them check access, audit every access to patient data and talk to the store, so adapters do neither.
 */

export const ActorKind = { User: 'user', Token: 'token', Ae: 'ae', System: 'system' } as const;
export type ActorKind = (typeof ActorKind)[keyof typeof ActorKind];

/** Who is acting: a signed-in user, an API token, a calling AE title, or Confer itself. */
export interface Actor {
  kind: ActorKind;
  /** Stable identifier: user id, token id, AE title, or 'confer'. */
  id: string;
  /** What a person reads in the audit log: user name, token name, AE title. */
  name: string;
  roles: readonly string[];
  /** The site the actor belongs to (a calling AE maps to one site); null when none. */
  siteId: string | null;
  /** The user behind a session or an API token: how the worklist finds the reader a user acts as. */
  username?: string;
}

export const Protocol = {
  Dimse: 'dimse',
  Dicomweb: 'dicomweb',
  Api: 'api',
  Cli: 'cli',
  /** Outbound HL7 v2 (report delivery over MLLP). */
  Hl7: 'hl7',
  /** Outbound FHIR REST (report delivery). */
  Fhir: 'fhir',
} as const;
export type Protocol = (typeof Protocol)[keyof typeof Protocol];

/** Where a request came from, for the audit trail. */
export interface RequestOrigin {
  protocol: Protocol;
  remoteAddress: string;
  callingAe?: string;
  calledAe?: string;
}

export const StoreFailure = {
  /** The bytes are not a readable DICOM data set (truncated, corrupt, odd lengths...). */
  CannotParse: 'cannot-parse',
  /** Over the configured maximum instance size. */
  TooLarge: 'too-large',
  /** SOP Class, SOP Instance, Study or Series Instance UID missing. */
  MissingAttribute: 'missing-attribute',
  /** The C-STORE command's SOP Class/Instance UID differs from the data set's. */
  UidMismatch: 'uid-mismatch',
  /** STOW-RS to /studies/{uid} with an instance of another study. */
  StudyMismatch: 'study-mismatch',
  /** Transfer syntax not accepted. */
  UnsupportedTransferSyntax: 'unsupported-transfer-syntax',
  /** Disk full or similar: try again later. */
  OutOfResources: 'out-of-resources',
  /** The database or blob store cannot be reached. */
  StorageUnavailable: 'storage-unavailable',
  /** The actor may not store here. */
  Forbidden: 'forbidden',
} as const;
export type StoreFailure = (typeof StoreFailure)[keyof typeof StoreFailure];

export interface StoreInput {
  /** The object's bytes as they arrive; consumed once. */
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /**
   * 'part10': preamble + "DICM" + file meta + data set (STOW-RS, files).
   * 'dataset': a bare data set in `transferSyntaxUid` (DIMSE C-STORE); Confer writes the file meta.
   */
  framing: 'part10' | 'dataset';
  /** Required with framing 'dataset': the presentation context's transfer syntax. */
  transferSyntaxUid?: string;
  /** From the C-STORE request, checked against the data set (PS3.4 B.2.3: mismatch is 0xA900). */
  sopClassUid?: string;
  sopInstanceUid?: string;
  /** STOW-RS to /studies/{StudyInstanceUID}: instances of another study are refused. */
  expectedStudyUid?: string;
  actor: Actor;
  origin: RequestOrigin;
}

export type StoreOutcome =
  | {
      ok: true;
      /** The same SOP instance was already stored; nothing changed (idempotent). */
      duplicate: boolean;
      sopClassUid: string;
      sopInstanceUid: string;
      studyUid: string;
      seriesUid: string;
      transferSyntaxUid: string;
      sizeBytes: number;
    }
  | {
      ok: false;
      failure: StoreFailure;
      /** A sentence for the peer's operator: what was wrong and where. */
      reason: string;
      sopClassUid?: string;
      sopInstanceUid?: string;
    };

export interface IngestService {
  /** Resolves only once the file and its index rows are durable, or with a failure; never half-stored. */
  store(input: StoreInput): Promise<StoreOutcome>;
}

export const QueryLevel = { Patient: 'PATIENT', Study: 'STUDY', Series: 'SERIES', Image: 'IMAGE' } as const;
export type QueryLevel = (typeof QueryLevel)[keyof typeof QueryLevel];

export interface QueryInput {
  level: QueryLevel;
  /**
   * Matching keys, tag (8 hex digits) -> the query value as DICOM writes it (PS3.4 C.2.2.2): '' is universal
   * matching, '*' and '?' wildcards, 'A-B' ranges for DA/TM/DT, backslash-separated UID lists. Keys for
   * higher levels (e.g. StudyInstanceUID at series level) restrict the hierarchy.
   */
  keys: Record<string, string>;
  /** Case-insensitive, prefix-per-name-component matching of person names (QIDO fuzzymatching=true). */
  fuzzyMatching?: boolean;
  limit?: number;
  offset?: number;
  actor: Actor;
  origin: RequestOrigin;
}

export interface QueryOutput {
  /** Each match holds every attribute Confer indexes at that level and above, in DICOM JSON. */
  matches: DicomJsonDataset[];
  /** More matches exist beyond limit/offset. */
  more: boolean;
  /** Matching keys Confer does not index at this level; they were not applied (QIDO warns about them). */
  ignoredKeys: string[];
}

export const QueryErrorCode = {
  /** A key Confer cannot match on at this level, or a malformed value. */
  InvalidKey: 'CONFER_ERR_QUERY_INVALID_KEY',
  Forbidden: 'CONFER_ERR_FORBIDDEN',
  StorageUnavailable: 'CONFER_ERR_STORAGE_UNAVAILABLE',
} as const;

export class QueryError extends Error {
  readonly code: (typeof QueryErrorCode)[keyof typeof QueryErrorCode];
  /** The offending tag, when there is one. */
  readonly tag: string | undefined;
  constructor(code: QueryError['code'], message: string, tag?: string) {
    super(message);
    this.name = 'QueryError';
    this.code = code;
    this.tag = tag;
  }
}

export interface QueryService {
  query(input: QueryInput): Promise<QueryOutput>;
}

export const AuditOutcome = { Success: 'success', Failure: 'failure', Denied: 'denied' } as const;
export type AuditOutcome = (typeof AuditOutcome)[keyof typeof AuditOutcome];

/** One access to patient data, or a security-relevant event (sign-in, rejected association). */
export interface AuditEvent {
  action: string;
  actor: Pick<Actor, 'kind' | 'id' | 'name'>;
  origin: RequestOrigin;
  outcome: AuditOutcome;
  studyUid?: string | null;
  patientId?: string | null;
  /** Free text, never patient identifiers beyond the IDs above. */
  detail?: string | null;
}

export interface AuditSink {
  record(event: AuditEvent): Promise<void>;
}
