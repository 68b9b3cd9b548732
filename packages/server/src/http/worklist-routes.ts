import { readFile } from 'node:fs/promises';
import { type Clock, can, ExceptionQueue, Permission, Priority, readersOnShiftAt } from '@confer/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../archive/ports.ts';
import type { CaseSummary } from '../worklist/case-summary.ts';
import { RoutingConfigError, type RoutingConfigStore } from '../worklist/routing-config-store.ts';
import type { WorklistBus, WorklistMessage } from '../worklist/worklist-bus.ts';
import {
  SORT_COLUMNS,
  type SortColumn,
  WorklistError,
  type WorklistQuery,
  type WorklistService,
} from '../worklist/worklist-service.ts';
import { originOf, requireActor } from './authenticate.ts';
import { ErrorCode, ProblemError } from './errors.ts';
import { parseFhirObservation } from './fhir-observation.ts';
import { problemSchema } from './problem-schema.ts';
import { openEventStream } from './sse.ts';

export interface WorklistRouteDeps {
  worklist: WorklistService;
  routing: RoutingConfigStore;
  bus: WorklistBus;
  clock: Clock;
  /** The routing config file `POST /api/routing/reload` reads; absent = reload is unavailable. */
  routingFile?: string;
  /** How often a live stream sends a keep-alive comment. */
  keepAliveMs?: number;
}

const SECTIONS = [
  'sites',
  'partners',
  'readers',
  'shifts',
  'rosters',
  'pools',
  'rules',
  'sla',
  'workWeights',
] as const;
type Section = (typeof SECTIONS)[number];

const csv = { type: 'string', description: 'comma-separated values' } as const;
const caseIdParams = {
  type: 'object',
  properties: { id: { type: 'string', description: 'case id, e.g. C-1A2B3C4D5E6F' } },
  required: ['id'],
} as const;
const problem = { $ref: 'problem#' } as const;

function list(v: string | undefined): string[] | undefined {
  const out = v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return out?.length ? out : undefined;
}

/** `sort=priority,-availableAt`: columns in order, a leading '-' for descending. */
export function parseSort(v: string | undefined): WorklistQuery['sort'] {
  const parts = list(v);
  if (!parts) return undefined;
  return parts.map((p) => {
    const desc = p.startsWith('-');
    const column = (desc ? p.slice(1) : p) as SortColumn;
    if (!Object.hasOwn(SORT_COLUMNS, column))
      throw new ProblemError(
        400,
        ErrorCode.BadRequest,
        `cannot sort by "${column}"; sortable columns: ${Object.keys(SORT_COLUMNS).join(', ')}`,
      );
    return { column, direction: desc ? ('desc' as const) : ('asc' as const) };
  });
}

/**
 * The worklist API: cases, claims, queues, routing configuration, AI results and the live stream.
 * Handlers only translate HTTP; access checks, audit and decisions live in the worklist service.
 */
export function worklistRoutes(deps: WorklistRouteDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const { worklist, routing, bus } = deps;

    app.addSchema({ $id: 'problem', ...problemSchema });

    app.get<{
      Querystring: Record<string, string | undefined>;
    }>(
      '/api/worklist',
      {
        schema: {
          tags: ['worklist'],
          summary: "The caller's worklist (coordinators see every case), filtered and sorted",
          querystring: {
            type: 'object',
            properties: {
              state: csv,
              priority: csv,
              site: csv,
              modality: csv,
              sla: { ...csv, description: 'ok, at-risk, breached' },
              exception: { ...csv, description: 'exception queues' },
              pathway: { type: 'string' },
              owner: { type: 'string', description: 'reader id' },
              mine: { type: 'string', enum: ['true', 'false'] },
              q: { type: 'string', description: 'accession, patient name or ID, procedure' },
              sort: {
                type: 'string',
                description: `e.g. priority,-availableAt; columns: ${Object.keys(SORT_COLUMNS).join(', ')}`,
              },
              limit: { type: 'string' },
              offset: { type: 'string' },
            },
            additionalProperties: false,
          },
          response: { 400: problem, 401: problem, 403: problem },
        },
      },
      async (request) => {
        const actor = requireActor(request);
        const q = request.query;
        const query: WorklistQuery = {
          ...(list(q.state) ? { states: list(q.state)! } : {}),
          ...(list(q.priority) ? { priorities: list(q.priority)! } : {}),
          ...(list(q.site) ? { siteIds: list(q.site)! } : {}),
          ...(list(q.modality) ? { modalities: list(q.modality)! } : {}),
          ...(list(q.sla) ? { slaStates: list(q.sla)! } : {}),
          ...(list(q.exception) ? { exceptionQueues: list(q.exception)! } : {}),
          ...(q.pathway ? { pathway: q.pathway } : {}),
          ...(q.owner ? { ownerId: q.owner } : {}),
          ...(q.mine === 'true' ? { mine: true } : {}),
          ...(q.q ? { text: q.q } : {}),
          ...(parseSort(q.sort) ? { sort: parseSort(q.sort)! } : {}),
          ...(q.limit ? { limit: Number(q.limit) || 100 } : {}),
          ...(q.offset ? { offset: Number(q.offset) || 0 } : {}),
        };
        return worklist.list(actor, query, originOf(request, 'api'));
      },
    );

    app.post<{ Body: { sort?: string } | undefined }>(
      '/api/worklist/next',
      {
        schema: {
          tags: ['worklist'],
          summary: "Claim the next case in the reader's own sort order",
          body: {
            type: 'object',
            properties: { sort: { type: 'string', description: 'as for GET /api/worklist' } },
            additionalProperties: false,
          },
        },
      },
      async (request) => {
        const actor = requireActor(request);
        return { case: await worklist.next(actor, originOf(request, 'api'), parseSort(request.body?.sort)) };
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/cases/:id',
      {
        schema: {
          tags: ['cases'],
          summary: 'A case with its handoff timeline, routing explanation, SLA spans and AI results',
          params: caseIdParams,
          response: { 403: problem, 404: problem },
        },
      },
      async (request) => worklist.detail(requireActor(request), request.params.id, originOf(request, 'api')),
    );

    const action = <B>(
      path: string,
      summary: string,
      body: object | undefined,
      run: (actor: Actor, id: string, body: B, request: FastifyRequest) => Promise<CaseSummary>,
    ) =>
      app.post<{ Params: { id: string }; Body: B }>(
        `/api/cases/:id/${path}`,
        {
          schema: {
            tags: ['cases'],
            summary,
            params: caseIdParams,
            ...(body ? { body } : {}),
            response: { 400: problem, 403: problem, 404: problem, 409: problem },
          },
        },
        async (request) => ({
          case: await run(requireActor(request), request.params.id, request.body as B, request),
        }),
      );

    action('claim', 'Claim the case with a lease (renew it with heartbeat)', undefined, (a, id, _b, r) =>
      worklist.claim(a, id, originOf(r, 'api')),
    );
    action('heartbeat', "Renew the claim's lease", undefined, (a, id) => worklist.heartbeat(a, id));
    const reasonBody = {
      type: 'object',
      properties: { reason: { type: 'string', maxLength: 500 } },
      additionalProperties: false,
    };
    action<{ reason?: string } | undefined>(
      'release',
      'Give the case back to the worklist',
      reasonBody,
      (a, id, b, r) => worklist.release(a, id, originOf(r, 'api'), b?.reason),
    );
    action('preliminary', 'Mark the read preliminary', undefined, (a, id, _b, r) =>
      worklist.finish(a, id, originOf(r, 'api'), 'preliminary'),
    );
    action('final', 'Mark the read final', undefined, (a, id, _b, r) =>
      worklist.finish(a, id, originOf(r, 'api'), 'finalize'),
    );
    action<{ reason: string }>(
      'unreadable',
      'Send the case to the unreadable exception queue, with the reason',
      { ...reasonBody, required: ['reason'] },
      (a, id, b, r) => worklist.markUnreadable(a, id, originOf(r, 'api'), b.reason),
    );
    action<{ readerId: string | null; reason?: string }>(
      'reassign',
      'Assign the case to another reader, or null to put it back on the shared worklist (coordinator)',
      {
        type: 'object',
        properties: {
          readerId: { type: ['string', 'null'] },
          reason: { type: 'string', maxLength: 500 },
        },
        required: ['readerId'],
        additionalProperties: false,
      },
      (a, id, b, r) => worklist.reassign(a, id, originOf(r, 'api'), b.readerId, b.reason),
    );
    action<{ queue: ExceptionQueue; reason: string }>(
      'exception',
      'Send the case to an exception queue (coordinator)',
      {
        type: 'object',
        properties: {
          queue: { type: 'string', enum: Object.values(ExceptionQueue) },
          reason: { type: 'string', minLength: 1, maxLength: 500 },
        },
        required: ['queue', 'reason'],
        additionalProperties: false,
      },
      (a, id, b, r) => worklist.raiseException(a, id, originOf(r, 'api'), b.queue, b.reason),
    );
    action<{ note?: string } | undefined>(
      'resolve',
      'Take the case out of its exception queue and route it again (coordinator)',
      {
        type: 'object',
        properties: { note: { type: 'string', maxLength: 500 } },
        additionalProperties: false,
      },
      (a, id, b, r) => worklist.resolveException(a, id, originOf(r, 'api'), b?.note),
    );
    action<{ priority: Priority; reason: string }>(
      'priority',
      'Change the priority, with a reason (coordinator)',
      {
        type: 'object',
        properties: {
          priority: { type: 'string', enum: Object.values(Priority) },
          reason: { type: 'string', minLength: 1, maxLength: 500 },
        },
        required: ['priority', 'reason'],
        additionalProperties: false,
      },
      (a, id, b, r) => worklist.reprioritise(a, id, originOf(r, 'api'), b.priority, b.reason),
    );

    app.get(
      '/api/queues',
      {
        schema: {
          tags: ['worklist'],
          summary: 'Coordinator overview: queues, exceptions, breaches, reader load',
        },
      },
      async (request) => worklist.queues(requireActor(request)),
    );

    app.get(
      '/api/readers',
      { schema: { tags: ['routing'], summary: 'Readers in the live directory, and who is on shift now' } },
      async (request) => {
        const actor = requireActor(request);
        if (!can(actor.roles, Permission.WorklistRead) && !can(actor.roles, Permission.RoutingManage))
          throw new ProblemError(403, ErrorCode.Forbidden, 'the reader directory needs a worklist role');
        const live = routing.current();
        if (!live) return { readers: [] };
        const onShift = readersOnShiftAt(live.config, deps.clock.now().getTime());
        return {
          readers: live.config.readers.map((r) => ({
            id: r.id,
            name: r.name,
            username: r.username ?? null,
            subspecialties: r.subspecialties,
            modalities: r.modalities,
            timeZone: r.timeZone ?? null,
            onShift: (onShift.get(r.id) ?? []).map((s) => ({ id: s.id, name: s.name })),
          })),
          you: worklist.readerIdOf(actor) ?? null,
        };
      },
    );

    // ------------------------------------------------------------ routing configuration

    const requireRoutingManager = (request: FastifyRequest): Actor => {
      const actor = requireActor(request);
      if (!can(actor.roles, Permission.RoutingManage))
        throw new ProblemError(
          403,
          ErrorCode.Forbidden,
          'changing routing needs the coordinator or admin role',
        );
      return actor;
    };
    const saveOrProblem = async (doc: unknown, actor: Actor, comment?: string) => {
      try {
        const v = await routing.save(doc, actor.name, comment);
        return { version: v.version, warnings: v.warnings };
      } catch (err) {
        if (err instanceof RoutingConfigError)
          throw new ProblemError(422, ErrorCode.InvalidRoutingConfig, err.message, { errors: err.errors });
        throw err;
      }
    };

    app.get(
      '/api/routing/config',
      { schema: { tags: ['routing'], summary: 'The live routing configuration and its version' } },
      async (request) => {
        const actor = requireActor(request);
        if (!can(actor.roles, Permission.RoutingManage) && !can(actor.roles, Permission.WorklistReadAll))
          throw new ProblemError(
            403,
            ErrorCode.Forbidden,
            'reading routing needs the coordinator or admin role',
          );
        const live = routing.current();
        return live
          ? {
              version: live.version,
              createdAt: new Date(live.createdAt).toISOString(),
              createdBy: live.createdBy,
              comment: live.comment,
              warnings: live.warnings,
              /** Whether POST /api/routing/reload has a file to load. */
              routingFile: Boolean(deps.routingFile),
              config: live.config,
            }
          : { version: 0, routingFile: Boolean(deps.routingFile), config: null };
      },
    );

    app.put<{ Body: unknown; Querystring: { comment?: string } }>(
      '/api/routing/config',
      {
        schema: {
          tags: ['routing'],
          summary: 'Save a new version of the whole routing configuration; it goes live at once',
          querystring: { type: 'object', properties: { comment: { type: 'string' } } },
          response: { 422: problem },
        },
      },
      async (request) => saveOrProblem(request.body, requireRoutingManager(request), request.query.comment),
    );

    app.put<{ Params: { section: string }; Body: unknown; Querystring: { comment?: string } }>(
      '/api/routing/config/:section',
      {
        schema: {
          tags: ['routing'],
          summary:
            'Replace one section (rules, shifts, rosters, readers, pools, sla, sites, partners, workWeights) as a new version',
          params: {
            type: 'object',
            properties: { section: { type: 'string', enum: [...SECTIONS] } },
            required: ['section'],
          },
          querystring: { type: 'object', properties: { comment: { type: 'string' } } },
          response: { 422: problem },
        },
      },
      async (request) => {
        const actor = requireRoutingManager(request);
        const live = routing.current();
        if (!live)
          throw new ProblemError(
            409,
            ErrorCode.Conflict,
            'no routing configuration yet: PUT the whole document first',
          );
        const section = request.params.section as Section;
        return saveOrProblem(
          { ...live.config, [section]: request.body },
          actor,
          request.query.comment ?? `${section} changed`,
        );
      },
    );

    app.post(
      '/api/routing/reload',
      { schema: { tags: ['routing'], summary: 'Load the routing config file again as a new version' } },
      async (request) => {
        const actor = requireRoutingManager(request);
        if (!deps.routingFile)
          throw new ProblemError(
            409,
            ErrorCode.Conflict,
            'no routing file is configured (set CONFER_ROUTING_FILE or routingFile)',
          );
        let doc: unknown;
        try {
          doc = JSON.parse(await readFile(deps.routingFile, 'utf8'));
        } catch (err) {
          throw new ProblemError(
            422,
            ErrorCode.InvalidRoutingConfig,
            `cannot read ${deps.routingFile}: ${(err as Error).message}`,
          );
        }
        return saveOrProblem(doc, actor, `reloaded from ${deps.routingFile}`);
      },
    );

    app.get(
      '/api/routing/versions',
      { schema: { tags: ['routing'], summary: 'Every saved version, newest first' } },
      async (request) => {
        requireRoutingManager(request);
        return { versions: await routing.history() };
      },
    );

    app.get<{ Params: { version: string } }>(
      '/api/routing/versions/:version',
      { schema: { tags: ['routing'], summary: 'One saved version' } },
      async (request) => {
        requireRoutingManager(request);
        const config = await routing.get(Number(request.params.version));
        if (!config)
          throw new ProblemError(404, ErrorCode.NotFound, `no routing version ${request.params.version}`);
        return { version: Number(request.params.version), config };
      },
    );

    // ------------------------------------------------------------ AI triage

    app.post<{
      Body: {
        studyInstanceUid: string;
        source: string;
        finding: string;
        confidence?: number;
        suspectedCritical?: boolean;
        flags?: string[];
      };
    }>(
      '/api/ai-results',
      {
        schema: {
          tags: ['ai'],
          summary: 'An AI result for a study; a suspected critical finding makes the case STAT at once',
          body: {
            type: 'object',
            properties: {
              studyInstanceUid: { type: 'string', pattern: '^[0-9.]{1,64}$' },
              source: { type: 'string', minLength: 1, maxLength: 200 },
              finding: { type: 'string', minLength: 1, maxLength: 500 },
              confidence: { type: 'number', minimum: 0, maximum: 1 },
              suspectedCritical: { type: 'boolean' },
              flags: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 20 },
            },
            required: ['studyInstanceUid', 'source', 'finding'],
            additionalProperties: false,
          },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const out = await worklist.addAiResult(
          requireActor(request),
          {
            studyUid: b.studyInstanceUid,
            source: b.source,
            finding: b.finding,
            confidence: b.confidence ?? null,
            suspectedCritical: b.suspectedCritical ?? false,
            flags: b.flags ?? [],
            payload: b,
          },
          originOf(request, 'api'),
        );
        return reply.code(out.caseId ? 200 : 202).send(out);
      },
    );

    app.post<{ Body: unknown }>(
      '/api/fhir/Observation',
      {
        schema: {
          tags: ['ai'],
          summary:
            'An AI result as a FHIR R4 Observation (derivedFrom/partOf an ImagingStudy identified by urn:oid:<Study Instance UID>)',
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        const parsed = parseFhirObservation(request.body);
        if (!parsed.ok) {
          return reply
            .code(400)
            .type('application/fhir+json')
            .send({
              resourceType: 'OperationOutcome',
              issue: [
                { severity: 'error', code: 'invalid', diagnostics: parsed.error, expression: [parsed.path] },
              ],
            });
        }
        const out = await worklist.addAiResult(
          actor,
          { ...parsed.value, payload: request.body },
          originOf(request, 'api'),
        );
        return reply
          .code(201)
          .type('application/fhir+json')
          .send({
            resourceType: 'OperationOutcome',
            issue: [
              {
                severity: 'information',
                code: 'informational',
                diagnostics: out.caseId
                  ? `applied to case ${out.caseId}: ${out.applied}`
                  : 'kept until the study is complete',
              },
            ],
          });
      },
    );

    // ------------------------------------------------------------ live stream

    app.get(
      '/api/worklist/stream',
      {
        schema: {
          tags: ['worklist'],
          summary:
            'Server-sent events: "case" (a visible case changed), "removed" (no longer yours), "notice" (coordinators)',
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        const all = can(actor.roles, Permission.WorklistReadAll);
        const readerId = worklist.readerIdOf(actor);
        if (!all && !(can(actor.roles, Permission.WorklistRead) && readerId))
          throw new ProblemError(403, ErrorCode.Forbidden, 'the live worklist needs a reader or coordinator');
        await openStream(request, reply, actor, all, readerId);
      },
    );

    async function openStream(
      request: FastifyRequest,
      reply: FastifyReply,
      actor: Actor,
      all: boolean,
      readerId: string | undefined,
    ) {
      await worklist.auditStream(actor, originOf(request, 'api'));
      const stream = openEventStream(request, reply, {
        ready: { readerId: readerId ?? null, all },
        keepAliveMs: deps.keepAliveMs,
      });
      const send = (event: string, data: unknown) => stream.send(event, data);
      const unsubscribe = bus.subscribe((m: WorklistMessage) => {
        if (m.type === 'notice') {
          if (all) send('notice', m);
          return;
        }
        if (all || (readerId && m.visibleNow.includes(readerId))) send('case', m.summary);
        else if (readerId && (m.visibleBefore.includes(readerId) || m.events.includes('remote')))
          send('removed', { id: m.summary.id });
      });
      stream.onClose(unsubscribe);
    }
  };
}

export { WorklistError };
