import { type Clock, can, Permission } from '@confer/core';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AuditLog } from '../archive/audit-log.ts';
import { AuditOutcome, type IngestService, QueryError, type QueryService } from '../archive/ports.ts';
import type { RetrieveService } from '../archive/retrieve-service.ts';
import { type AccessService, AuthError } from '../auth/access-service.ts';
import type { ConferConfig } from '../config/config.ts';
import type { Store } from '../store/database.ts';
import {
  originOf,
  readCookie,
  requireActor,
  resolveActor,
  SESSION_COOKIE,
  setSessionCookie,
} from './authenticate.ts';
import { ErrorCode, isDomainError, ProblemError, problemBody } from './errors.ts';
import { serveWebFile } from './static-files.ts';

export interface AppDeps {
  config: ConferConfig;
  clock: Clock;
  store: Store;
  access: AccessService;
  audit: AuditLog;
  ingest: IngestService;
  query: QueryService;
  retrieve: RetrieveService;
  version: string;
  /** The built web app (packages/web/dist); omitted in API-only tests. */
  webRoot?: string;
  /** Extra route groups (DICOMweb) registered by the composition root. */
  plugins?: ((app: FastifyInstance, deps: AppDeps) => void | Promise<void>)[];
  logger?: boolean | object;
}

/** Builds the HTTP API; it never listens (tests call app.inject(), main.ts calls listen). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: 1024 * 1024,
    trustProxy: false,
  });
  app.decorateRequest('actor', undefined);
  // Route schemas are the API's documentation: the OpenAPI document is generated from them.
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Confer API',
        version: deps.version,
        description:
          'Worklist, cases, routing, AI triage and archive access. Authenticate with "Authorization: Bearer <API token>" or the session cookie from POST /api/auth/login. Errors are application/problem+json with a stable code.',
      },
      components: {
        securitySchemes: {
          apiToken: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: 'confer_session' },
        },
      },
      security: [{ apiToken: [] }, { session: [] }],
    },
  });

  app.setErrorHandler((error: Error, request, reply) => {
    let status = 500;
    let body: ReturnType<typeof problemBody>;
    if (isDomainError(error)) {
      status = error.status;
      body = problemBody(status, error.code, error.message, error.extra ?? {});
    } else if (error instanceof ProblemError) {
      status = error.status;
      body = problemBody(status, error.code, error.message, error.extra);
    } else if (error instanceof QueryError) {
      status =
        error.code === 'CONFER_ERR_FORBIDDEN'
          ? 403
          : error.code === 'CONFER_ERR_STORAGE_UNAVAILABLE'
            ? 503
            : 400;
      body = problemBody(status, error.code as ErrorCode, error.message, error.tag ? { tag: error.tag } : {});
    } else if (error instanceof AuthError) {
      status = error.code === 'CONFER_ERR_INVALID_CREDENTIALS' ? 401 : 400;
      body = problemBody(status, ErrorCode.BadRequest, error.message, { code: error.code });
    } else if (
      (error as { statusCode?: number }).statusCode === 413 ||
      (error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE'
    ) {
      status = 413;
      body = problemBody(413, ErrorCode.PayloadTooLarge, error.message);
    } else if (
      (error as { validation?: unknown }).validation ||
      (error as { statusCode?: number }).statusCode === 400
    ) {
      status = 400;
      body = problemBody(400, ErrorCode.BadRequest, error.message);
    } else if ((error as { statusCode?: number }).statusCode === 415) {
      status = 415;
      body = problemBody(415, ErrorCode.UnsupportedMediaType, error.message);
    } else {
      request.log.error({ err: error }, 'unhandled error');
      body = problemBody(
        500,
        ErrorCode.Internal,
        'Confer failed to handle the request; the error is in its log',
      );
    }
    return reply.code(status).type('application/problem+json').send(body);
  });

  app.addHook('onRequest', async (request) => {
    request.actor = await resolveActor(request, deps.access);
  });
  app.addHook('onSend', async (request, reply) => {
    // Patient data must not linger in shared or browser caches.
    if (request.url.startsWith('/api/') || request.url.startsWith('/dicomweb/'))
      reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });

  app.get('/healthz', async (_request, reply) => {
    try {
      await deps.store.db.selectFrom('sites').select('id').limit(1).execute();
      return { status: 'ok', database: deps.store.dialect };
    } catch (err) {
      return reply
        .code(503)
        .type('application/problem+json')
        .send(
          problemBody(503, ErrorCode.StorageUnavailable, `database unreachable: ${(err as Error).message}`),
        );
    }
  });

  app.post<{ Body: { username?: unknown; password?: unknown } }>(
    '/api/auth/login',
    async (request, reply) => {
      const { username, password } = request.body ?? {};
      if (typeof username !== 'string' || typeof password !== 'string') {
        throw new ProblemError(400, ErrorCode.BadRequest, 'send JSON {"username": "...", "password": "..."}');
      }
      const origin = originOf(request, 'api');
      try {
        const user = await deps.access.verifyPassword(username, password);
        const session = await deps.access.createSession(user.id, request.ip);
        setSessionCookie(reply, session.cookie, session.expiresAt, request.protocol === 'https');
        await deps.audit.record({
          action: 'sign-in',
          actor: { kind: 'user', id: String(user.id), name: user.username },
          origin,
          outcome: AuditOutcome.Success,
        });
        return { user: { username: user.username, displayName: user.displayName, roles: user.roles } };
      } catch (err) {
        if (!(err instanceof AuthError)) throw err;
        await deps.audit.record({
          action: 'sign-in',
          actor: { kind: 'user', id: '?', name: username.slice(0, 64) },
          origin,
          outcome: AuditOutcome.Failure,
        });
        throw new ProblemError(401, ErrorCode.InvalidCredentials, 'user name or password is wrong');
      }
    },
  );

  app.post('/api/auth/logout', async (request, reply) => {
    const cookie = readCookie(request, SESSION_COOKIE);
    if (cookie) await deps.access.endSession(cookie);
    setSessionCookie(reply, '', new Date(0), request.protocol === 'https');
    return reply.code(204).send();
  });

  app.get('/api/auth/me', async (request) => {
    const actor = requireActor(request);
    return { user: { username: actor.name, roles: actor.roles, kind: actor.kind, siteId: actor.siteId } };
  });

  app.get('/api/system', async (request) => {
    const actor = requireActor(request);
    if (!can(actor.roles, Permission.SystemRead) && !can(actor.roles, Permission.ArchiveRead)) {
      throw new ProblemError(
        403,
        ErrorCode.Forbidden,
        'your roles do not include reading system information',
      );
    }
    return {
      version: deps.version,
      aeTitle: deps.config.aeTitle,
      dicomPort: deps.config.dicomPort,
      dicomwebBase: '/dicomweb',
      database: deps.store.dialect,
    };
  });

  app.get('/api/sites', async (request) => {
    requireActor(request);
    const rows = await deps.store.db.selectFrom('sites').selectAll().orderBy('name').execute();
    return {
      sites: rows.map((r) => ({
        id: r.id,
        name: r.name,
        aeTitles: JSON.parse(r.ae_titles),
        timeZone: r.time_zone,
        jurisdiction: r.jurisdiction,
      })),
    };
  });

  app.get<{ Querystring: { limit?: string; before?: string; studyUid?: string } }>(
    '/api/audit',
    async (request) => {
      const actor = requireActor(request);
      if (!can(actor.roles, Permission.AuditRead)) {
        throw new ProblemError(
          403,
          ErrorCode.Forbidden,
          'reading the audit trail needs the admin or compliance role',
        );
      }
      const limit = Math.min(Number(request.query.limit ?? 100) || 100, 1000);
      const events = await deps.audit.list({
        limit,
        ...(request.query.before ? { beforeId: Number(request.query.before) } : {}),
        ...(request.query.studyUid ? { studyUid: request.query.studyUid } : {}),
      });
      await deps.audit.record({
        action: 'audit-read',
        actor: { kind: actor.kind, id: actor.id, name: actor.name },
        origin: originOf(request, 'api'),
        outcome: AuditOutcome.Success,
        studyUid: request.query.studyUid ?? null,
      });
      return { events };
    },
  );

  app.get('/api/audit/verify', async (request) => {
    const actor = requireActor(request);
    if (!can(actor.roles, Permission.AuditRead)) {
      throw new ProblemError(
        403,
        ErrorCode.Forbidden,
        'verifying the audit trail needs the admin or compliance role',
      );
    }
    return deps.audit.verify();
  });

  for (const plugin of deps.plugins ?? []) await plugin(app, deps);

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // Unknown API paths are problem+json 404s whether or not the web app is mounted; any other GET is the web app's.
  const webRoot = deps.webRoot;
  app.setNotFoundHandler((request, reply) => {
    const path = decodeURIComponent(request.url.split('?')[0] ?? '/');
    const api = path.startsWith('/api/') || path.startsWith('/dicomweb/') || path === '/healthz';
    if (webRoot && request.method === 'GET' && !api) return serveWebFile(webRoot, path, reply);
    return reply
      .code(404)
      .type('application/problem+json')
      .send(problemBody(404, ErrorCode.NotFound, `no route for ${request.method} ${path}`));
  });
  return app;
}
