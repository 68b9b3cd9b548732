import { can, Permission } from '@confer/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Actor } from '../archive/ports.ts';
import type { CasesTable, Database } from '../store/schema.ts';
import type { WorklistService } from '../worklist/worklist-service.ts';
import { CollaborationError, CollaborationErrorCode } from './collaboration-error.ts';

export const GrantReason = { Shared: 'shared', Consult: 'consult' } as const;
export type GrantReason = (typeof GrantReason)[keyof typeof GrantReason];

/** A user as the mention and sharing checks see them. */
export interface KnownUser {
  username: string;
  displayName: string | null;
  roles: string[];
  siteId: string | null;
  disabled: boolean;
}

/**
 * Who may see a case, for discussion and consults. It is the worklist's answer (coordinators: every case;
 * readers: cases routed, assigned or broadened to them, and ones they handled) widened by access grants:
 * a colleague the discussion was shared with by a mention, and a consultant while the consult is theirs.
 * The grants are registered with the worklist, so the case page (GET /api/cases/:id) agrees.
 */
export class CaseAccess {
  private readonly db: Kysely<Database>;
  private readonly worklist: WorklistService;

  constructor(deps: { db: Kysely<Database>; worklist: WorklistService }) {
    this.db = deps.db;
    this.worklist = deps.worklist;
    this.worklist.allowViewers((actor, caseId) => this.hasGrant(usernameOf(actor), caseId));
  }

  /** The case row, or a 404 refusal. */
  async caseRow(caseId: string): Promise<Selectable<CasesTable>> {
    const row = await this.worklist.row(caseId);
    if (!row) throw new CollaborationError(404, CollaborationErrorCode.CaseNotFound, `no case ${caseId}`);
    return row;
  }

  async canSee(actor: Actor, row: Selectable<CasesTable>): Promise<boolean> {
    return this.worklist.canSee(actor, row);
  }

  /** Whether the actor may read and post in the case's discussion: case:discuss and sight of the case. */
  async canDiscuss(actor: Actor, row: Selectable<CasesTable>): Promise<boolean> {
    return can(actor.roles, Permission.CaseDiscuss) && (await this.canSee(actor, row));
  }

  async hasGrant(username: string | undefined, caseId: string): Promise<boolean> {
    if (!username) return false;
    const g = await this.db
      .selectFrom('case_access_grants')
      .select('id')
      .where('case_id', '=', caseId)
      .where('username', '=', username)
      .where('revoked_at', 'is', null)
      .limit(1)
      .executeTakeFirst();
    return Boolean(g);
  }

  async grant(
    trx: Transaction<Database>,
    g: { caseId: string; username: string; reason: GrantReason; by: string; at: number; consultId?: string },
  ): Promise<void> {
    await trx
      .insertInto('case_access_grants')
      .values({
        case_id: g.caseId,
        username: g.username,
        reason: g.reason,
        consult_id: g.consultId ?? null,
        granted_by: g.by,
        granted_at: g.at,
        revoked_at: null,
      })
      .execute();
  }

  /** Ends the access a consult gave (declined, cancelled, taken away at expiry). */
  async revokeConsult(trx: Transaction<Database>, consultId: string, at: number): Promise<void> {
    await trx
      .updateTable('case_access_grants')
      .set({ revoked_at: at })
      .where('consult_id', '=', consultId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /** Users by name, matched case-insensitively; the map is keyed by the lower-cased name asked for. */
  async usersNamed(names: readonly string[]): Promise<Map<string, KnownUser>> {
    const out = new Map<string, KnownUser>();
    if (names.length === 0) return out;
    const rows = await this.db
      .selectFrom('users')
      .select(['username', 'display_name', 'roles', 'site_id', 'disabled'])
      .where(
        (eb) => eb.fn('lower', ['username']),
        'in',
        names.map((n) => n.toLowerCase()),
      )
      .execute();
    for (const r of rows) out.set(r.username.toLowerCase(), toKnownUser(r));
    return out;
  }

  /** Every enabled user who may take part in discussions (for autocomplete: then filtered by sight). */
  async discussants(): Promise<KnownUser[]> {
    const rows = await this.db
      .selectFrom('users')
      .select(['username', 'display_name', 'roles', 'site_id', 'disabled'])
      .where('disabled', '=', 0)
      .orderBy('username')
      .limit(2000)
      .execute();
    return rows.map(toKnownUser).filter((u) => can(u.roles, Permission.CaseDiscuss));
  }

  /** Whether this user (not the caller) may see the case: the same rules, asked on their behalf. */
  async userCanSee(user: KnownUser, row: Selectable<CasesTable>): Promise<boolean> {
    if (user.disabled) return false;
    return this.canSee(actorFor(user), row);
  }

  /**
   * Of these users, the ones the worklist's own rules and this case's grants certainly let see the case,
   * found with three queries in all (no per-user check): coordinators, readers it is routed, assigned or
   * broadened to or who handled it, and people it was shared with or whose consult it is. Other features'
   * viewer checks (e.g. boards) are not asked; `userCanSee` asks everything, one user at a time.
   */
  async certainViewers(users: readonly KnownUser[], row: Selectable<CasesTable>): Promise<Set<string>> {
    const [visible, actors, grants] = await Promise.all([
      this.db.selectFrom('case_visibility').select('reader_id').where('case_id', '=', row.id).execute(),
      this.db.selectFrom('case_events').select('actor').distinct().where('case_id', '=', row.id).execute(),
      this.db
        .selectFrom('case_access_grants')
        .select('username')
        .where('case_id', '=', row.id)
        .where('revoked_at', 'is', null)
        .execute(),
    ]);
    const readers = new Set<string>([
      ...visible.map((v) => v.reader_id),
      ...actors.map((a) => a.actor ?? ''),
    ]);
    if (row.owner_id) readers.add(row.owner_id);
    const granted = new Set(grants.map((g) => g.username));
    const out = new Set<string>();
    for (const u of users) {
      if (u.disabled) continue;
      if (can(u.roles, Permission.WorklistReadAll) || granted.has(u.username)) out.add(u.username);
      else if (can(u.roles, Permission.WorklistRead)) {
        const readerId = this.worklist.readerIdOf(actorFor(u));
        if (readerId && readers.has(readerId)) out.add(u.username);
      }
    }
    return out;
  }

  /** Users with a role that includes this permission (e.g. coordinators for escalations). */
  async usersWith(permission: Permission): Promise<string[]> {
    const rows = await this.db
      .selectFrom('users')
      .select(['username', 'roles'])
      .where('disabled', '=', 0)
      .execute();
    return rows.filter((r) => can(JSON.parse(r.roles) as string[], permission)).map((r) => r.username);
  }
}

/** The user name behind an actor (a session or an API token), if any. */
export function usernameOf(actor: Actor): string | undefined {
  return actor.username ?? (actor.kind === 'user' ? actor.name : undefined);
}

function toKnownUser(r: {
  username: string;
  display_name: string | null;
  roles: string;
  site_id: string | null;
  disabled: number;
}): KnownUser {
  return {
    username: r.username,
    displayName: r.display_name,
    roles: JSON.parse(r.roles) as string[],
    siteId: r.site_id,
    disabled: Boolean(r.disabled),
  };
}

function actorFor(user: KnownUser): Actor {
  return {
    kind: 'user',
    id: user.username,
    name: user.username,
    roles: user.roles,
    siteId: user.siteId,
    username: user.username,
  };
}
