import type { ConsultKind, ConsultTarget, Priority } from '@confer/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ConsultService } from '../consult/consult-service.ts';
import { originOf, requireActor } from './authenticate.ts';

export interface ConsultRouteDeps {
  consults: ConsultService;
}

const problem = { $ref: 'problem#' } as const;
const refusals = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem, 422: problem };
/** Declining and cancelling take the same optional reason. */
const reasonBody = {
  type: 'object',
  properties: { reason: { type: 'string', maxLength: 500 } },
  additionalProperties: false,
} as const;
const consultParams = {
  type: 'object',
  properties: { id: { type: 'string', description: 'consult id, e.g. K-1A2B3C4D5E' } },
  required: ['id'],
} as const;
const consult = {
  type: 'object',
  description: 'a consult or second opinion; `decision` is its routing explanation',
  properties: {
    id: { type: 'string' },
    caseId: { type: 'string' },
    kind: { type: 'string', enum: ['consult', 'second-opinion'] },
    urgency: { type: 'string', enum: ['stat', 'urgent', 'routine'] },
    state: { type: 'string', enum: ['requested', 'unassigned', 'accepted', 'answered', 'cancelled'] },
    question: { type: 'string' },
    requestedBy: { type: 'string' },
    requestedAt: { type: 'string', format: 'date-time' },
    dueAt: { type: 'string', format: 'date-time' },
    expired: { type: 'boolean' },
  },
  required: ['id', 'caseId', 'kind', 'urgency', 'state', 'question', 'requestedBy', 'requestedAt', 'dueAt'],
  additionalProperties: true,
} as const;

async function emptyBodyAllowed(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

interface RequestBody {
  kind?: ConsultKind;
  target: { kind: 'reader' | 'pool'; id: string };
  urgency?: Priority;
  question: string;
}

/**
 * Consults and second opinions: ask (routed at once), list incoming and asked, accept, decline, answer,
 * cancel. Handlers only translate HTTP; access, routing, audit and notifications live in the service.
 */
export function consultRoutes(deps: ConsultRouteDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const { consults } = deps;

    app.post<{ Params: { id: string }; Body: RequestBody }>(
      '/api/cases/:id/consults',
      {
        schema: {
          tags: ['consults'],
          summary:
            'Ask a named reader or a pool for a consult or second opinion; routed at once by the case routing engine (422 with the explanation when nobody is eligible)',
          params: {
            type: 'object',
            properties: { id: { type: 'string', description: 'case id' } },
            required: ['id'],
          },
          body: {
            type: 'object',
            properties: {
              kind: { type: 'string', enum: ['consult', 'second-opinion'], default: 'consult' },
              target: {
                type: 'object',
                properties: {
                  kind: { type: 'string', enum: ['reader', 'pool'] },
                  id: { type: 'string', minLength: 1, maxLength: 128, description: 'reader id or pool id' },
                },
                required: ['kind', 'id'],
                additionalProperties: false,
              },
              urgency: { type: 'string', enum: ['stat', 'urgent', 'routine'], default: 'routine' },
              question: { type: 'string', minLength: 1, maxLength: 2000 },
            },
            required: ['target', 'question'],
            additionalProperties: false,
          },
          response: { 201: consult, ...refusals },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const target: ConsultTarget =
          b.target.kind === 'pool'
            ? { kind: 'pool', poolId: b.target.id }
            : { kind: 'reader', readerId: b.target.id };
        const out = await consults.request(
          requireActor(request),
          request.params.id,
          { kind: b.kind ?? 'consult', target, urgency: b.urgency ?? 'routine', question: b.question },
          originOf(request, 'api'),
        );
        return reply.code(201).send(out);
      },
    );

    app.get<{ Querystring: { mine?: string; requested?: string; caseId?: string; all?: string } }>(
      '/api/consults',
      {
        schema: {
          tags: ['consults'],
          summary:
            "Consults: mine=1 (open ones routed to you), requested=1 (asked by you), caseId (a case's); coordinators without a filter: every open one; all=1 includes closed ones",
          querystring: {
            type: 'object',
            properties: {
              mine: { type: 'string', enum: ['1', 'true', '0', 'false'] },
              requested: { type: 'string', enum: ['1', 'true', '0', 'false'] },
              caseId: { type: 'string' },
              all: { type: 'string', enum: ['1', 'true', '0', 'false'] },
            },
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: { consults: { type: 'array', items: consult } },
              required: ['consults'],
            },
            ...refusals,
          },
        },
      },
      async (request) => {
        const q = request.query;
        const yes = (v: string | undefined) => v === '1' || v === 'true';
        return consults.list(
          requireActor(request),
          {
            mine: yes(q.mine),
            requested: yes(q.requested),
            all: yes(q.all),
            ...(q.caseId ? { caseId: q.caseId } : {}),
          },
          originOf(request, 'api'),
        );
      },
    );

    app.get(
      '/api/consults/targets',
      {
        schema: {
          tags: ['consults'],
          summary: 'Whom a consult can be asked of: pools and readers of the live directory',
          response: { 401: problem, 403: problem },
        },
      },
      async (request) => consults.targets(requireActor(request)),
    );

    app.get<{ Params: { id: string } }>(
      '/api/consults/:id',
      {
        schema: {
          tags: ['consults'],
          summary: 'One consult with its routing explanation and answer',
          params: consultParams,
          response: { 200: consult, ...refusals },
        },
      },
      async (request) => consults.get(requireActor(request), request.params.id, originOf(request, 'api')),
    );

    app.post<{ Params: { id: string } }>(
      '/api/consults/:id/accept',
      {
        schema: {
          tags: ['consults'],
          summary: 'Accept a consult routed to you',
          params: consultParams,
          response: { 200: consult, ...refusals },
        },
      },
      async (request) => consults.accept(requireActor(request), request.params.id, originOf(request, 'api')),
    );

    app.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>(
      '/api/consults/:id/decline',
      {
        // The reason is optional: a bare POST (no body at all) is an empty one.
        preValidation: emptyBodyAllowed,
        schema: {
          tags: ['consults'],
          summary: 'Decline a consult routed to you; it is routed again without you',
          params: consultParams,
          body: reasonBody,
          response: { 200: consult, ...refusals },
        },
      },
      async (request) =>
        consults.decline(
          requireActor(request),
          request.params.id,
          request.body?.reason ?? '',
          originOf(request, 'api'),
        ),
    );

    app.post<{ Params: { id: string }; Body: { text: string } }>(
      '/api/consults/:id/answer',
      {
        schema: {
          tags: ['consults'],
          summary:
            "Answer a consult routed to you; the answer goes on the case's timeline and the requester is told",
          params: consultParams,
          body: {
            type: 'object',
            properties: { text: { type: 'string', minLength: 1, maxLength: 10_000 } },
            required: ['text'],
            additionalProperties: false,
          },
          response: { 200: consult, ...refusals },
        },
      },
      async (request) =>
        consults.answer(
          requireActor(request),
          request.params.id,
          request.body.text,
          originOf(request, 'api'),
        ),
    );

    app.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>(
      '/api/consults/:id/cancel',
      {
        // The reason is optional: a bare POST (no body at all) is an empty one.
        preValidation: emptyBodyAllowed,
        schema: {
          tags: ['consults'],
          summary: 'Cancel a consult (its requester or a coordinator)',
          params: consultParams,
          body: reasonBody,
          response: { 200: consult, ...refusals },
        },
      },
      async (request) =>
        consults.cancel(
          requireActor(request),
          request.params.id,
          request.body?.reason,
          originOf(request, 'api'),
        ),
    );
  };
}
