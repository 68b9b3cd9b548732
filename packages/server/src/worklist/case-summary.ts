import type { Selectable } from 'kysely';
import type { CasesTable } from '../store/schema.ts';

/** One worklist row as the API and the live stream send it. */
export interface CaseSummary {
  id: string;
  studyUid: string;
  siteId: string | null;
  state: string;
  priority: string;
  pathway: string | null;
  ownerId: string | null;
  leaseExpiresAt: string | null;
  broadened: boolean;
  exception: { queue: string; reason: string } | null;
  slaClass: string | null;
  slaState: string;
  slaDueAt: string | null;
  availableAt: string | null;
  modalities: string[];
  bodyParts: string[];
  procedure: string | null;
  accessionNumber: string | null;
  patientName: string | null;
  patientId: string | null;
  aiFlags: string[];
  priorityReasons: string[];
  version: number;
  updatedAt: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());
const list = (v: string): string[] => v.split('\\').filter(Boolean);

export function toCaseSummary(row: Selectable<CasesTable>): CaseSummary {
  return {
    id: row.id,
    studyUid: row.study_uid,
    siteId: row.site_id,
    state: row.state,
    priority: row.priority,
    pathway: row.pathway,
    ownerId: row.owner_id,
    leaseExpiresAt: iso(row.lease_expires_at),
    broadened: Boolean(row.broadened),
    exception: row.exception_queue
      ? { queue: row.exception_queue, reason: row.exception_reason ?? '' }
      : null,
    slaClass: row.sla_class,
    slaState: row.sla_state,
    slaDueAt: iso(row.sla_due_at),
    availableAt: iso(row.available_at),
    modalities: list(row.modalities),
    bodyParts: list(row.body_parts),
    procedure: row.procedure_text,
    accessionNumber: row.accession_number,
    patientName: row.patient_name,
    patientId: row.patient_id,
    aiFlags: JSON.parse(row.ai_flags) as string[],
    priorityReasons: JSON.parse(row.priority_reasons) as string[],
    version: Number(row.version),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}
