import { BoardOutcomeCategory, type BoardSessionInput } from '@confer/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BoardService, BoardSessionChanges } from '../boards/board-service.ts';
import { originOf, requireActor } from './authenticate.ts';

export interface BoardRouteDeps {
  boards: BoardService;
}

const problem = { $ref: 'problem#' } as const;
const refusals = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem } as const;
const sessionParams = {
  type: 'object',
  properties: { id: { type: 'string', description: 'board session id, e.g. B-1A2B3C4D5E' } },
  required: ['id'],
} as const;
const sessionCaseParams = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    caseId: { type: 'string', description: 'case id, e.g. C-1A2B3C4D5E6F' },
  },
  required: ['id', 'caseId'],
} as const;
const sessionFields = {
  title: { type: 'string', minLength: 1, maxLength: 200 },
  date: { type: 'string', description: 'local date in timeZone, YYYY-MM-DD' },
  time: { type: 'string', description: 'local start time in timeZone, HH:MM' },
  timeZone: { type: 'string', description: 'IANA zone of the meeting, e.g. Europe/London' },
  durationMinutes: { type: 'integer', minimum: 5, maximum: 720 },
  specialties: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 60 }, maxItems: 30 },
  location: { type: ['string', 'null'], maxLength: 200 },
  members: {
    type: 'array',
    items: { type: 'string', minLength: 1, maxLength: 100 },
    maxItems: 200,
    description: 'user names',
  },
} as const;

type Id = { Params: { id: string } };
type IdCase = { Params: { id: string; caseId: string } };

/**
 * The MDT / tumour board API: sessions, members, the case list, presentation and outcomes. Handlers translate
 * HTTP only; access (board:manage, board:attend membership), timeline entries and audit are in the service.
 */
export function boardRoutes(deps: BoardRouteDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const { boards } = deps;

    app.get<{ Querystring: { past?: string } }>(
      '/api/boards',
      {
        schema: {
          tags: ['boards'],
          summary:
            'Board sessions: every one for board:manage, your own for members; upcoming unless past=true',
          querystring: {
            type: 'object',
            properties: { past: { type: 'string', enum: ['true', 'false'] } },
            additionalProperties: false,
          },
          response: refusals,
        },
      },
      async (request: FastifyRequest<{ Querystring: { past?: string } }>) => ({
        sessions: await boards.list(
          requireActor(request),
          { past: request.query.past === 'true' },
          originOf(request, 'api'),
        ),
      }),
    );

    app.post<{ Body: BoardSessionInput & { members?: string[] } }>(
      '/api/boards',
      {
        schema: {
          tags: ['boards'],
          summary: 'Create a session at a local date and time in its zone, with members (board:manage)',
          body: {
            type: 'object',
            properties: sessionFields,
            required: ['title', 'date', 'time', 'timeZone', 'durationMinutes'],
            additionalProperties: false,
          },
          response: refusals,
        },
      },
      async (request: FastifyRequest<{ Body: BoardSessionInput & { members?: string[] } }>) => {
        const b = request.body;
        return {
          session: await boards.create(
            requireActor(request),
            { ...b, specialties: b.specialties ?? [], members: b.members ?? [] },
            originOf(request, 'api'),
          ),
        };
      },
    );

    app.get<Id>(
      '/api/boards/:id',
      {
        schema: {
          tags: ['boards'],
          summary: 'A session with members and its case list (board:manage, or a member)',
          params: sessionParams,
          response: refusals,
        },
      },
      async (request: FastifyRequest<Id>) => ({
        session: await boards.detail(requireActor(request), request.params.id, originOf(request, 'api')),
      }),
    );

    app.patch<Id & { Body: BoardSessionChanges }>(
      '/api/boards/:id',
      {
        schema: {
          tags: ['boards'],
          summary: 'Change a session: any of its fields, members replaced as a whole (board:manage)',
          params: sessionParams,
          body: { type: 'object', properties: sessionFields, additionalProperties: false },
          response: refusals,
        },
      },
      async (request: FastifyRequest<Id & { Body: BoardSessionChanges }>) => ({
        session: await boards.update(
          requireActor(request),
          request.params.id,
          request.body,
          originOf(request, 'api'),
        ),
      }),
    );

    app.post<Id>(
      '/api/boards/:id/cancel',
      {
        schema: {
          tags: ['boards'],
          summary: 'Cancel a session; members are told (board:manage)',
          params: sessionParams,
          response: refusals,
        },
      },
      async (request: FastifyRequest<Id>) => ({
        session: await boards.cancel(requireActor(request), request.params.id, originOf(request, 'api')),
      }),
    );

    app.post<Id & { Body: { caseId: string; question: string } }>(
      '/api/boards/:id/cases',
      {
        schema: {
          tags: ['boards'],
          summary: 'Add a case to the list with the question for the board; members are told (board:manage)',
          params: sessionParams,
          body: {
            type: 'object',
            properties: {
              caseId: { type: 'string', minLength: 1, maxLength: 64 },
              question: { type: 'string', minLength: 1, maxLength: 2000 },
            },
            required: ['caseId', 'question'],
            additionalProperties: false,
          },
          response: refusals,
        },
      },
      async (request: FastifyRequest<Id & { Body: { caseId: string; question: string } }>) => ({
        session: await boards.addCase(
          requireActor(request),
          request.params.id,
          request.body,
          originOf(request, 'api'),
        ),
      }),
    );

    app.put<Id & { Body: { caseIds: string[] } }>(
      '/api/boards/:id/cases/order',
      {
        schema: {
          tags: ['boards'],
          summary: 'Put the case list in a new order, naming every case once (board:manage)',
          params: sessionParams,
          body: {
            type: 'object',
            properties: { caseIds: { type: 'array', items: { type: 'string' }, maxItems: 500 } },
            required: ['caseIds'],
            additionalProperties: false,
          },
          response: refusals,
        },
      },
      async (request: FastifyRequest<Id & { Body: { caseIds: string[] } }>) => ({
        session: await boards.reorder(
          requireActor(request),
          request.params.id,
          request.body.caseIds,
          originOf(request, 'api'),
        ),
      }),
    );

    app.delete<IdCase>(
      '/api/boards/:id/cases/:caseId',
      {
        schema: {
          tags: ['boards'],
          summary: 'Take a case off the list (board:manage)',
          params: sessionCaseParams,
          response: refusals,
        },
      },
      async (request: FastifyRequest<IdCase>) => ({
        session: await boards.removeCase(
          requireActor(request),
          request.params.id,
          request.params.caseId,
          originOf(request, 'api'),
        ),
      }),
    );

    app.get<IdCase>(
      '/api/boards/:id/cases/:caseId/present',
      {
        schema: {
          tags: ['boards'],
          summary:
            'A case as the board sees it: the case, series, report and discussion, with next/previous (members: audited as board access)',
          params: sessionCaseParams,
          response: refusals,
        },
      },
      async (request: FastifyRequest<IdCase>) =>
        boards.present(
          requireActor(request),
          request.params.id,
          request.params.caseId,
          originOf(request, 'api'),
        ),
    );

    type OutcomeBody = { category: string; recommendation: string; attendees?: string[] };
    app.put<IdCase & { Body: OutcomeBody }>(
      '/api/boards/:id/cases/:caseId/outcome',
      {
        schema: {
          tags: ['boards'],
          summary: "Record the board's outcome for a case; it goes on the case's timeline (board:manage)",
          params: sessionCaseParams,
          body: {
            type: 'object',
            properties: {
              category: { type: 'string', enum: Object.values(BoardOutcomeCategory) },
              recommendation: { type: 'string', minLength: 1, maxLength: 4000 },
              attendees: {
                type: 'array',
                items: { type: 'string' },
                maxItems: 200,
                description: 'user names present',
              },
            },
            required: ['category', 'recommendation'],
            additionalProperties: false,
          },
          response: refusals,
        },
      },
      async (request: FastifyRequest<IdCase & { Body: OutcomeBody }>) => ({
        entry: await boards.recordOutcome(
          requireActor(request),
          request.params.id,
          request.params.caseId,
          { ...request.body, attendees: request.body.attendees ?? [] },
          originOf(request, 'api'),
        ),
      }),
    );

    app.get<Id>(
      '/api/cases/:id/boards',
      {
        schema: {
          tags: ['boards'],
          summary: 'Board sessions a case is listed on',
          params: {
            type: 'object',
            properties: { id: { type: 'string', description: 'case id' } },
            required: ['id'],
          },
          response: refusals,
        },
      },
      async (request: FastifyRequest<Id>) => ({
        sessions: await boards.sessionsForCase(requireActor(request), request.params.id),
      }),
    );
  };
}
