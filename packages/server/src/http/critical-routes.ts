import { CriticalCategory } from '@confer/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CriticalError, type CriticalResultService } from '../critical/critical-service.ts';
import { originOf, requireActor } from './authenticate.ts';
import { problemBody } from './errors.ts';

export interface CriticalRouteDeps {
  critical: CriticalResultService;
}

const problem = { $ref: 'problem#' } as const;
const errors = {
  400: problem,
  401: problem,
  403: problem,
  404: problem,
  409: problem,
  410: problem,
  422: problem,
};

const instant = { type: ['string', 'null'], format: 'date-time' } as const;
const communication = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    step: { type: 'integer' },
    channel: { type: 'string', enum: ['app', 'webhook', 'email', 'phone'] },
    recipient: { type: 'string' },
    sentBy: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
    deliveredAt: instant,
    openedAt: instant,
    acknowledgedAt: instant,
    error: { type: ['string', 'null'] },
  },
} as const;
const acknowledgement = {
  type: ['object', 'null'],
  properties: {
    at: { type: 'string', format: 'date-time' },
    by: { type: 'string' },
    method: { type: 'string', enum: ['app', 'link', 'phone'] },
    recordedBy: { type: 'string' },
    communicationId: { type: ['string', 'null'] },
    note: { type: ['string', 'null'] },
  },
} as const;
const resultView = {
  type: 'object',
  description: 'A critical result, its escalation and every communication',
  properties: {
    id: { type: 'string' },
    caseId: { type: 'string' },
    siteId: { type: ['string', 'null'] },
    category: { type: 'string', enum: Object.values(CriticalCategory) },
    finding: { type: 'string' },
    state: { type: 'string', enum: ['open', 'overdue', 'acknowledged'] },
    flaggedBy: { type: 'string' },
    flaggedAt: { type: 'string', format: 'date-time' },
    responsible: { type: 'string' },
    responsibleSource: { type: 'string', enum: ['given', 'case', 'site-default', 'default'] },
    dueAt: { type: 'string', format: 'date-time' },
    step: { type: 'integer' },
    stepName: { type: 'string' },
    stepDueAt: { type: 'string', format: 'date-time' },
    timeLeftMs: { type: ['number', 'null'] },
    currentRecipients: { type: 'array', items: { type: 'string' } },
    rungs: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          waitMinutes: { type: 'number' },
          recipients: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    acknowledgement,
    overdueAt: instant,
    communications: { type: 'array', items: communication },
    lastCommunication: { ...communication, type: ['object', 'null'] },
    reportId: { type: ['string', 'null'] },
    case: {
      type: ['object', 'null'],
      properties: {
        procedure: { type: ['string', 'null'] },
        modalities: { type: 'array', items: { type: 'string' } },
        priority: { type: ['string', 'null'] },
      },
    },
  },
} as const;
const linkView = {
  type: 'object',
  properties: {
    resultId: { type: 'string' },
    caseId: { type: 'string' },
    category: { type: 'string' },
    finding: { type: 'string' },
    flaggedBy: { type: 'string' },
    flaggedAt: { type: 'string', format: 'date-time' },
    recipient: { type: 'string' },
    state: { type: 'string' },
    expiresAt: { type: 'string', format: 'date-time' },
    acknowledgement,
  },
} as const;
const idParams = {
  type: 'object',
  properties: { id: { type: 'string', maxLength: 64 } },
  required: ['id'],
} as const;
const tokenParams = {
  type: 'object',
  properties: { token: { type: 'string', minLength: 20, maxLength: 128 } },
  required: ['token'],
} as const;

/** CriticalError becomes problem+json with its stable code; anything else goes to the app's handler. */
async function answer<T>(
  reply: FastifyReply,
  run: () => Promise<T>,
  status = 200,
): Promise<T | FastifyReply> {
  try {
    const out = await run();
    return reply.code(status).send(out);
  } catch (err) {
    if (!(err instanceof CriticalError)) throw err;
    return reply
      .code(err.status)
      .type('application/problem+json')
      .send(problemBody(err.status, err.code, err.message, err.extra));
  }
}

/**
 * The critical-results API: flag on a case, the dashboard, one's own pending acknowledgements, acknowledge
 * (in the app, on someone's behalf, or through a link). Access checks and audit live in the service.
 */
export function criticalRoutes(deps: CriticalRouteDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const { critical } = deps;

    app.post<{
      Params: { id: string };
      Body: { category: CriticalCategory; finding: string; responsible?: string };
    }>(
      '/api/cases/:id/critical-results',
      {
        schema: {
          tags: ['critical results'],
          summary: 'Flag a critical result on a case and notify the responsible clinician',
          description:
            'A reader who can see the case (or a coordinator). The responsible clinician is the one named, else the case referring clinician when Confer knows them, else the site default.',
          params: idParams,
          body: {
            type: 'object',
            properties: {
              category: { type: 'string', enum: Object.values(CriticalCategory) },
              finding: { type: 'string', minLength: 1, maxLength: 4000 },
              responsible: {
                type: 'string',
                maxLength: 64,
                description: 'username of the responsible clinician',
              },
            },
            required: ['category', 'finding'],
            additionalProperties: false,
          },
          response: { 201: resultView, ...errors },
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        const { category, finding, responsible } = request.body;
        return answer(
          reply,
          () =>
            critical.flag(
              actor,
              { caseId: request.params.id, category, finding, ...(responsible ? { responsible } : {}) },
              originOf(request, 'api'),
            ),
          201,
        );
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/cases/:id/critical-results',
      {
        schema: {
          tags: ['critical results'],
          summary: "A case's critical results with every communication",
          params: idParams,
          response: {
            200: { type: 'object', properties: { results: { type: 'array', items: resultView } } },
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        return answer(reply, async () => ({
          results: await critical.forCase(actor, request.params.id, originOf(request, 'api')),
        }));
      },
    );

    app.get<{
      Querystring: { state?: 'open' | 'acknowledged' | 'all'; mine?: 'true' | 'false'; limit?: number };
    }>(
      '/api/critical-results',
      {
        schema: {
          tags: ['critical results'],
          summary: 'Critical results by time left: every one for coordinators, one’s own for clinicians',
          querystring: {
            type: 'object',
            properties: {
              state: { type: 'string', enum: ['open', 'acknowledged', 'all'], default: 'open' },
              mine: { type: 'string', enum: ['true', 'false'], description: 'only results addressed to me' },
              limit: { type: 'integer', minimum: 1, maximum: 1000 },
            },
            additionalProperties: false,
          },
          response: {
            200: { type: 'object', properties: { results: { type: 'array', items: resultView } } },
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        const q = request.query;
        return answer(reply, async () => ({
          results: await critical.list(
            actor,
            {
              ...(q.state ? { state: q.state } : {}),
              mine: q.mine === 'true',
              ...(q.limit ? { limit: q.limit } : {}),
            },
            originOf(request, 'api'),
          ),
        }));
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/critical-results/:id',
      {
        schema: {
          tags: ['critical results'],
          summary: 'One critical result (a recipient opening it is recorded)',
          params: idParams,
          response: { 200: resultView, ...errors },
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        return answer(reply, () => critical.get(actor, request.params.id, originOf(request, 'api')));
      },
    );

    app.post<{ Params: { id: string }; Body: { note?: string } | undefined }>(
      '/api/critical-results/:id/acknowledge',
      {
        schema: {
          tags: ['critical results'],
          summary: 'Acknowledge a critical result addressed to me (method app)',
          params: idParams,
          body: {
            type: ['object', 'null'],
            properties: { note: { type: 'string', maxLength: 1000 } },
            additionalProperties: false,
          },
          response: { 200: resultView, ...errors },
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        return answer(reply, () =>
          critical.acknowledge(actor, request.params.id, originOf(request, 'api'), request.body?.note),
        );
      },
    );

    app.post<{ Params: { id: string }; Body: { clinician: string; note?: string } }>(
      '/api/critical-results/:id/acknowledge-on-behalf',
      {
        schema: {
          tags: ['critical results'],
          summary: 'Record a phone read-back on a clinician’s behalf (coordinators; method phone)',
          params: idParams,
          body: {
            type: 'object',
            properties: {
              clinician: {
                type: 'string',
                minLength: 1,
                maxLength: 64,
                description: 'username of the clinician',
              },
              note: { type: 'string', maxLength: 1000 },
            },
            required: ['clinician'],
            additionalProperties: false,
          },
          response: { 200: resultView, ...errors },
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        return answer(reply, () =>
          critical.acknowledgeOnBehalf(actor, request.params.id, request.body, originOf(request, 'api')),
        );
      },
    );

    app.get<{ Params: { token: string } }>(
      '/api/critical-links/:token',
      {
        schema: {
          tags: ['critical results'],
          summary:
            'Open an acknowledgement link: the finding, recorded as opened (no sign-in; the token is the key)',
          security: [],
          params: tokenParams,
          response: { 200: linkView, ...errors },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        return answer(reply, () => critical.openLink(request.params.token, originOf(request, 'api')));
      },
    );

    app.post<{ Params: { token: string } }>(
      '/api/critical-links/:token/acknowledge',
      {
        schema: {
          tags: ['critical results'],
          summary: 'Acknowledge through a link (method link); the link is used up',
          security: [],
          params: tokenParams,
          response: { 200: linkView, ...errors },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        return answer(reply, () => critical.acknowledgeLink(request.params.token, originOf(request, 'api')));
      },
    );
  };
}
