/**
 * Roles and what they allow. Permissions are checked where data is read or written (the archive services),
 * not in each HTTP handler, so every transport gets the same answer.
 */
export const Permission = {
  ArchiveRead: 'archive:read',
  ArchiveWrite: 'archive:write',
  AuditRead: 'audit:read',
  UsersManage: 'users:manage',
  SystemRead: 'system:read',
  /** See one's own worklist: cases routed, assigned or broadened to the reader. */
  WorklistRead: 'worklist:read',
  /** See every case, queue, exception and breach (coordinators, operations). */
  WorklistReadAll: 'worklist:read-all',
  /** Claim, release and finish cases as a reader. */
  CaseClaim: 'case:claim',
  /** Reassign cases, resolve exceptions, raise priority. */
  WorklistManage: 'worklist:manage',
  /** Change routing rules, shifts, rosters and SLAs. */
  RoutingManage: 'routing:manage',
  /** Post AI results for studies. */
  AiResultsWrite: 'ai-results:write',
  /** Read reports (final ones for referrers; every version for readers and coordinators). */
  ReportRead: 'report:read',
  /** Draft, sign and addend reports as a reader. */
  ReportWrite: 'report:write',
  /** Manage report templates and HL7/FHIR delivery destinations. */
  ReportManage: 'report:manage',
  /** Acknowledge a critical result addressed to oneself (the responsible clinician). */
  CriticalAcknowledge: 'critical:acknowledge',
  /** See every open critical result and its communications (dashboard), and acknowledge on someone's behalf. */
  CriticalManage: 'critical:manage',
  /** Read and post in a case's discussion, mention colleagues. */
  CaseDiscuss: 'case:discuss',
  /** Save viewer annotations and measurements on a case. */
  AnnotationWrite: 'annotation:write',
  /** Ask a named reader or a pool for a consult or second opinion, and answer one addressed to oneself. */
  ConsultRequest: 'consult:request',
  /** Score peer reviews assigned to oneself and answer discrepancies on one's own cases. */
  PeerReviewScore: 'peer-review:score',
  /** Configure peer review sampling, see every review and the summaries per reader and modality. */
  PeerReviewManage: 'peer-review:manage',
  /** Attend tumour boards / MDT meetings one is a member of. */
  BoardAttend: 'board:attend',
  /** Create board sessions, build their case lists, record outcomes. */
  BoardManage: 'board:manage',
} as const;
export type Permission = (typeof Permission)[keyof typeof Permission];

export const Role = {
  Admin: 'admin',
  Radiologist: 'radiologist',
  Technologist: 'technologist',
  Referrer: 'referrer',
  Coordinator: 'coordinator',
  Integration: 'integration',
  Compliance: 'compliance',
  Modality: 'modality',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

const grants: Record<Role, readonly Permission[]> = {
  admin: Object.values(Permission),
  radiologist: [
    Permission.ArchiveRead,
    Permission.SystemRead,
    Permission.WorklistRead,
    Permission.CaseClaim,
    Permission.ReportRead,
    Permission.ReportWrite,
    Permission.CaseDiscuss,
    Permission.AnnotationWrite,
    Permission.ConsultRequest,
    Permission.PeerReviewScore,
    Permission.BoardAttend,
  ],
  technologist: [Permission.ArchiveRead, Permission.ArchiveWrite, Permission.SystemRead],
  // The referring or responsible clinician: reads reports on their patients, acknowledges critical results,
  // discusses cases and attends boards.
  referrer: [
    Permission.ArchiveRead,
    Permission.ReportRead,
    Permission.CriticalAcknowledge,
    Permission.CaseDiscuss,
    Permission.BoardAttend,
  ],
  coordinator: [
    Permission.ArchiveRead,
    Permission.SystemRead,
    Permission.WorklistRead,
    Permission.WorklistReadAll,
    Permission.WorklistManage,
    Permission.RoutingManage,
    Permission.ReportRead,
    Permission.ReportManage,
    Permission.CriticalManage,
    Permission.CaseDiscuss,
    Permission.PeerReviewManage,
    Permission.BoardAttend,
    Permission.BoardManage,
  ],
  integration: [
    Permission.ArchiveRead,
    Permission.ArchiveWrite,
    Permission.SystemRead,
    Permission.AiResultsWrite,
  ],
  compliance: [Permission.AuditRead, Permission.SystemRead],
  // A calling AE title: stores and queries on behalf of its site.
  modality: [Permission.ArchiveRead, Permission.ArchiveWrite],
};

export function isRole(value: string): value is Role {
  return Object.hasOwn(grants, value);
}

export function permissionsOf(roles: readonly string[]): Set<Permission> {
  const out = new Set<Permission>();
  for (const role of roles) if (isRole(role)) for (const p of grants[role]) out.add(p);
  return out;
}

export function can(roles: readonly string[], permission: Permission): boolean {
  return permissionsOf(roles).has(permission);
}
