import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor, RequestOrigin } from '../archive/ports.ts';
import type { AccessService } from '../auth/access-service.ts';
import { ErrorCode, ProblemError } from './errors.ts';

export const SESSION_COOKIE = 'confer_session';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | undefined;
  }
}

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** Resolves the caller from a Bearer API token or the session cookie; anonymous callers get undefined. */
export async function resolveActor(
  request: FastifyRequest,
  access: AccessService,
): Promise<Actor | undefined> {
  const auth = request.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (!m)
      throw new ProblemError(
        401,
        ErrorCode.Unauthenticated,
        'the Authorization header must be "Bearer <API token>"',
      );
    const actor = await access.actorForToken(m[1]!);
    if (!actor)
      throw new ProblemError(401, ErrorCode.Unauthenticated, 'the API token is unknown, expired or revoked');
    return actor;
  }
  const cookie = readCookie(request, SESSION_COOKIE);
  return cookie ? access.actorForSession(cookie) : undefined;
}

/** The signed-in actor, or a 401 problem: no anonymous access to patient data. */
export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) {
    throw new ProblemError(
      401,
      ErrorCode.Unauthenticated,
      'sign in, or send an API token as "Authorization: Bearer <token>"',
    );
  }
  return request.actor;
}

export function originOf(request: FastifyRequest, protocol: RequestOrigin['protocol']): RequestOrigin {
  return { protocol, remoteAddress: request.ip };
}

export function setSessionCookie(reply: FastifyReply, value: string, expiresAt: Date, secure: boolean): void {
  const attrs = [
    `${SESSION_COOKIE}=${encodeURIComponent(value)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Expires=${expiresAt.toUTCString()}`,
  ];
  if (secure) attrs.push('Secure');
  reply.header('set-cookie', attrs.join('; '));
}
