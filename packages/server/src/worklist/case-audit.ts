import type { Selectable } from 'kysely';
import type { Actor, AuditOutcome, AuditSink, RequestOrigin } from '../archive/ports.ts';
import type { CasesTable } from '../store/schema.ts';

/**
 * Records one access to or change of a case in the audit log: the case's study and patient (so the audit
 * trail of a patient finds it), the case id first in the detail, and the detail cut to the column's 500
 * characters. Discussion and consult services audit through it so their rows read alike.
 */
export async function recordCaseAudit(
  audit: AuditSink,
  actor: Actor,
  origin: RequestOrigin,
  action: string,
  row: Selectable<CasesTable>,
  outcome: AuditOutcome,
  detail: string | null,
): Promise<void> {
  await audit.record({
    action,
    actor,
    origin,
    outcome,
    studyUid: row.study_uid,
    patientId: row.patient_id,
    detail: `${row.id}${detail ? `: ${detail}` : ''}`.slice(0, 500),
  });
}
