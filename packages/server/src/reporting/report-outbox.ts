import type { SignedReport } from '@confer/core';
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';

/**
 * The port between signing and delivery. The reporting service calls `enqueue` inside the transaction that
 * stores the signed version, so a report is never signed without its deliveries queued, and never queued
 * without being signed. The delivery side (HL7 v2 ORU over MLLP, FHIR DiagnosticReport, PDF) sends from the
 * queue after the commit, waits for each destination's acknowledgement, and retries.
 */
export interface ReportOutbox {
  enqueue(trx: Transaction<Database>, report: SignedReport): Promise<void>;
}
