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
  radiologist: [Permission.ArchiveRead, Permission.SystemRead, Permission.WorklistRead, Permission.CaseClaim],
  technologist: [Permission.ArchiveRead, Permission.ArchiveWrite, Permission.SystemRead],
  referrer: [Permission.ArchiveRead],
  coordinator: [
    Permission.ArchiveRead,
    Permission.SystemRead,
    Permission.WorklistRead,
    Permission.WorklistReadAll,
    Permission.WorklistManage,
    Permission.RoutingManage,
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
