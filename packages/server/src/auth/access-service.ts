import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Clock, isRole, Role } from '@confer/core';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import type { Kysely, Selectable } from 'kysely';
import type { Actor } from '../archive/ports.ts';
import type { Database } from '../store/schema.ts';

export const AuthErrorCode = {
  InvalidCredentials: 'CONFER_ERR_INVALID_CREDENTIALS',
  UserExists: 'CONFER_ERR_USER_EXISTS',
  UserNotFound: 'CONFER_ERR_USER_NOT_FOUND',
  InvalidRole: 'CONFER_ERR_INVALID_ROLE',
  WeakPassword: 'CONFER_ERR_WEAK_PASSWORD',
  TokenNotFound: 'CONFER_ERR_TOKEN_NOT_FOUND',
} as const;

export class AuthError extends Error {
  readonly code: (typeof AuthErrorCode)[keyof typeof AuthErrorCode];
  constructor(code: AuthError['code'], message: string) {
    super(message);
    this.name = 'AuthError';
    this.code = code;
  }
}

export interface UserView {
  id: number;
  username: string;
  displayName: string | null;
  roles: string[];
  siteId: string | null;
  disabled: boolean;
}

const TOKEN_PREFIX = 'cft_';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
// A fixed argon2 hash to verify against when the user does not exist, so timing does not reveal user names.
let dummyHash: Promise<string> | undefined;

/** Local users (argon2id), browser sessions and API tokens for machine clients. */
export class AccessService {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private readonly sessionTtlMs: number;

  constructor(deps: { db: Kysely<Database>; clock: Clock; sessionTtlMs: number }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.sessionTtlMs = deps.sessionTtlMs;
  }

  async userCount(): Promise<number> {
    const r = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async createUser(input: {
    username: string;
    password: string;
    roles: string[];
    displayName?: string;
    siteId?: string | null;
  }): Promise<UserView> {
    if (!/^[a-zA-Z0-9._@-]{2,64}$/.test(input.username)) {
      throw new AuthError(
        AuthErrorCode.InvalidCredentials,
        'user names are 2-64 letters, digits, dots, dashes, @ or _',
      );
    }
    checkPassword(input.password);
    for (const r of input.roles) {
      if (!isRole(r))
        throw new AuthError(
          AuthErrorCode.InvalidRole,
          `unknown role "${r}"; roles are ${Object.values(Role).join(', ')}`,
        );
    }
    const exists = await this.db
      .selectFrom('users')
      .select('id')
      .where('username', '=', input.username)
      .executeTakeFirst();
    if (exists) throw new AuthError(AuthErrorCode.UserExists, `user "${input.username}" already exists`);
    const now = this.clock.now().getTime();
    await this.db
      .insertInto('users')
      .values({
        username: input.username,
        display_name: input.displayName ?? null,
        password_hash: await argonHash(input.password),
        roles: JSON.stringify(input.roles),
        site_id: input.siteId ?? null,
        disabled: 0,
        created_at: now,
        password_changed_at: now,
      })
      .execute();
    return this.getUser(input.username);
  }

  async getUser(username: string): Promise<UserView> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    if (!row) throw new AuthError(AuthErrorCode.UserNotFound, `no user "${username}"`);
    return toView(row);
  }

  async listUsers(): Promise<UserView[]> {
    return (await this.db.selectFrom('users').selectAll().orderBy('username').execute()).map(toView);
  }

  async setPassword(username: string, password: string): Promise<void> {
    checkPassword(password);
    const r = await this.db
      .updateTable('users')
      .set({ password_hash: await argonHash(password), password_changed_at: this.clock.now().getTime() })
      .where('username', '=', username)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0)
      throw new AuthError(AuthErrorCode.UserNotFound, `no user "${username}"`);
  }

  async setDisabled(username: string, disabled: boolean): Promise<void> {
    const r = await this.db
      .updateTable('users')
      .set({ disabled: disabled ? 1 : 0 })
      .where('username', '=', username)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0)
      throw new AuthError(AuthErrorCode.UserNotFound, `no user "${username}"`);
    if (disabled) {
      const user = await this.getUser(username);
      await this.db.deleteFrom('sessions').where('user_fk', '=', user.id).execute();
    }
  }

  /** Checks a password; the same error (and about the same time) for an unknown user and a wrong password. */
  async verifyPassword(username: string, password: string): Promise<UserView> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    if (!row || row.disabled) {
      dummyHash ??= argonHash('not-a-real-password-0');
      await argonVerify(await dummyHash, password).catch(() => false);
      throw new AuthError(AuthErrorCode.InvalidCredentials, 'user name or password is wrong');
    }
    if (!(await argonVerify(row.password_hash, password).catch(() => false))) {
      throw new AuthError(AuthErrorCode.InvalidCredentials, 'user name or password is wrong');
    }
    return toView(row);
  }

  /** Opens a browser session; returns the cookie value (only its hash is stored). */
  async createSession(
    userId: number,
    remoteAddress: string | null,
  ): Promise<{ cookie: string; expiresAt: Date }> {
    const cookie = randomBytes(32).toString('base64url');
    const now = this.clock.now().getTime();
    const expiresAt = now + this.sessionTtlMs;
    await this.db
      .insertInto('sessions')
      .values({
        id: sha256(cookie),
        user_fk: userId,
        created_at: now,
        expires_at: expiresAt,
        remote_address: remoteAddress,
      })
      .execute();
    return { cookie, expiresAt: new Date(expiresAt) };
  }

  async endSession(cookie: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id', '=', sha256(cookie)).execute();
  }

  async actorForSession(cookie: string): Promise<Actor | undefined> {
    const now = this.clock.now().getTime();
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_fk')
      .select([
        'users.id',
        'users.username',
        'users.roles',
        'users.site_id',
        'users.disabled',
        'sessions.expires_at',
      ])
      .where('sessions.id', '=', sha256(cookie))
      .executeTakeFirst();
    if (!row || row.disabled || Number(row.expires_at) <= now) return undefined;
    return {
      kind: 'user',
      id: String(row.id),
      name: row.username,
      roles: JSON.parse(row.roles),
      siteId: row.site_id,
      username: row.username,
    };
  }

  /** Issues an API token for a user; the secret is returned once and only its hash is kept. */
  async createToken(input: {
    name: string;
    username: string;
    expiresInDays?: number;
  }): Promise<{ id: number; token: string }> {
    const user = await this.getUser(input.username);
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const now = this.clock.now().getTime();
    const r = await this.db
      .insertInto('api_tokens')
      .values({
        name: input.name,
        user_fk: user.id,
        secret_hash: sha256(token),
        prefix: token.slice(0, 10),
        created_at: now,
        expires_at: input.expiresInDays ? now + input.expiresInDays * 86_400_000 : null,
        last_used_at: null,
        revoked_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: Number(r.id), token };
  }

  async listTokens() {
    const rows = await this.db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_fk')
      .select([
        'api_tokens.id',
        'api_tokens.name',
        'api_tokens.prefix',
        'api_tokens.created_at',
        'api_tokens.expires_at',
        'api_tokens.last_used_at',
        'api_tokens.revoked_at',
        'users.username',
      ])
      .orderBy('api_tokens.id')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      name: r.name,
      prefix: r.prefix,
      username: r.username,
      createdAt: new Date(Number(r.created_at)).toISOString(),
      expiresAt: r.expires_at === null ? null : new Date(Number(r.expires_at)).toISOString(),
      lastUsedAt: r.last_used_at === null ? null : new Date(Number(r.last_used_at)).toISOString(),
      revoked: r.revoked_at !== null,
    }));
  }

  async revokeToken(id: number): Promise<void> {
    const r = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: this.clock.now().getTime() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0)
      throw new AuthError(AuthErrorCode.TokenNotFound, `no active token with id ${id}`);
  }

  async actorForToken(token: string): Promise<Actor | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const h = sha256(token);
    const now = this.clock.now().getTime();
    const row = await this.db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_fk')
      .select([
        'api_tokens.id as token_id',
        'api_tokens.name',
        'api_tokens.secret_hash',
        'api_tokens.expires_at',
        'api_tokens.revoked_at',
        'api_tokens.last_used_at',
        'users.roles',
        'users.site_id',
        'users.disabled',
        'users.username',
      ])
      .where('api_tokens.secret_hash', '=', h)
      .executeTakeFirst();
    if (!row || !timingSafeEqual(Buffer.from(row.secret_hash), Buffer.from(h))) return undefined;
    if (
      row.revoked_at !== null ||
      row.disabled ||
      (row.expires_at !== null && Number(row.expires_at) <= now)
    ) {
      return undefined;
    }
    // Record use at most once a minute: a busy client must not turn every request into a write.
    if (row.last_used_at === null || now - Number(row.last_used_at) > 60_000) {
      await this.db
        .updateTable('api_tokens')
        .set({ last_used_at: now })
        .where('id', '=', row.token_id)
        .execute();
    }
    return {
      kind: 'token',
      id: String(row.token_id),
      name: `${row.username}/${row.name}`,
      roles: JSON.parse(row.roles),
      siteId: row.site_id,
      username: row.username,
    };
  }
}

function checkPassword(password: string): void {
  if (password.length < 10) {
    throw new AuthError(AuthErrorCode.WeakPassword, 'passwords need at least 10 characters');
  }
}

function toView(row: Selectable<Database['users']>): UserView {
  return {
    id: Number(row.id),
    username: row.username,
    displayName: row.display_name,
    roles: JSON.parse(row.roles),
    siteId: row.site_id,
    disabled: row.disabled === 1,
  };
}
