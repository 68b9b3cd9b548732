import { DiscrepancyState, RADPEER_SCORES } from '@confer/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PeerReviewService, SummaryQuery } from '../peer-review/peer-review-service.ts';
import { originOf, requireActor } from './authenticate.ts';
import { ErrorCode, ProblemError } from './errors.ts';

export interface PeerReviewRouteDeps {
  peerReview: PeerReviewService;
}

const problem = { $ref: 'problem#' } as const;
const refusals = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem } as const;
const idParams = {
  type: 'object',
  properties: { id: { type: 'string', description: 'peer review id, e.g. PR-1A2B3C4D5E' } },
  required: ['id'],
} as const;
const rangeQuery = {
  type: 'object',
  properties: {
    from: { type: 'string', format: 'date-time', description: 'scored at or after (ISO 8601)' },
    to: { type: 'string', format: 'date-time', description: 'scored before (ISO 8601)' },
  },
  additionalProperties: false,
} as const;
const noteBody = {
  type: 'object',
  properties: { note: { type: 'string', maxLength: 4000 } },
  additionalProperties: false,
} as const;

function range(q: { from?: string; to?: string }): SummaryQuery {
  const at = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const ms = Date.parse(v);
    if (Number.isNaN(ms))
      throw new ProblemError(
        400,
        ErrorCode.BadRequest,
        `${name} must be an ISO 8601 date-time, e.g. 2026-11-01T00:00:00Z`,
      );
    return ms;
  };
  const from = at(q.from, 'from');
  const to = at(q.to, 'to');
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

/**
 * The peer review API: sampling settings, the reviewer's queue and scores, discrepancies back to the original
 * reader, and summaries. Handlers translate HTTP only; access, anonymisation and audit are in the service.
 */
export function peerReviewRoutes(deps: PeerReviewRouteDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const { peerReview } = deps;

    app.get(
      '/api/peer-review/settings',
      {
        schema: {
          tags: ['peer-review'],
          summary: 'The live sampling settings (peer-review:manage)',
          response: refusals,
        },
      },
      async (request: FastifyRequest) => ({
        settings: await peerReview.readSettings(requireActor(request)),
      }),
    );

    app.put<{ Body: unknown }>(
      '/api/peer-review/settings',
      {
        schema: {
          tags: ['peer-review'],
          summary:
            'Save the sampling settings; they apply to cases finalised from now on (peer-review:manage)',
          body: {
            type: 'object',
            properties: {
              enabled: { type: 'boolean' },
              rate: { type: 'number', minimum: 0, maximum: 1 },
              byModality: {
                type: 'object',
                additionalProperties: { type: 'number', minimum: 0, maximum: 1 },
              },
              byReader: { type: 'object', additionalProperties: { type: 'number', minimum: 0, maximum: 1 } },
              seed: { type: 'string', minLength: 1, maxLength: 200 },
              targetDays: { type: 'integer', minimum: 1, maximum: 365 },
              anonymise: { type: 'boolean' },
            },
            additionalProperties: false,
          },
          response: { ...refusals, 422: problem },
        },
      },
      async (request: FastifyRequest<{ Body: unknown }>) => ({
        settings: await peerReview.saveSettings(
          requireActor(request),
          request.body,
          originOf(request, 'api'),
        ),
      }),
    );

    app.get(
      '/api/peer-review/mine',
      {
        schema: {
          tags: ['peer-review'],
          summary: 'Reviews assigned to the signed-in reader (the original reader is hidden when anonymised)',
          response: refusals,
        },
      },
      async (request: FastifyRequest) => ({
        reviews: await peerReview.myReviews(requireActor(request), originOf(request, 'api')),
      }),
    );

    app.get(
      '/api/peer-review/discrepancies/mine',
      {
        schema: {
          tags: ['peer-review'],
          summary:
            "Discrepancies found on the signed-in reader's own cases (the reviewer is hidden when anonymised)",
          response: refusals,
        },
      },
      async (request: FastifyRequest) => ({
        reviews: await peerReview.myDiscrepancies(requireActor(request), originOf(request, 'api')),
      }),
    );

    app.get<{ Querystring: { from?: string; to?: string } }>(
      '/api/peer-review/summary/mine',
      {
        schema: {
          tags: ['peer-review'],
          summary: "The signed-in reader's own scores: counts by score and discrepancy rate",
          querystring: rangeQuery,
          response: refusals,
        },
      },
      async (request: FastifyRequest<{ Querystring: { from?: string; to?: string } }>) =>
        peerReview.mySummary(requireActor(request), range(request.query), originOf(request, 'api')),
    );

    app.get<{ Querystring: { from?: string; to?: string } }>(
      '/api/peer-review/summary',
      {
        schema: {
          tags: ['peer-review'],
          summary: 'Counts by score and discrepancy rates per reader and per modality (peer-review:manage)',
          querystring: rangeQuery,
          response: refusals,
        },
      },
      async (request: FastifyRequest<{ Querystring: { from?: string; to?: string } }>) =>
        peerReview.summaries(requireActor(request), range(request.query), originOf(request, 'api')),
    );

    type ListQuery = { state?: string; discrepancy?: string; reader?: string; from?: string; to?: string };
    app.get<{ Querystring: ListQuery }>(
      '/api/peer-review/reviews',
      {
        schema: {
          tags: ['peer-review'],
          summary: 'Every review, with both names (peer-review:manage)',
          querystring: {
            type: 'object',
            properties: {
              state: { type: 'string', enum: ['assigned', 'scored'] },
              discrepancy: { type: 'string', enum: ['open', ...Object.values(DiscrepancyState)] },
              reader: { type: 'string', description: 'original reader id' },
              from: { type: 'string', format: 'date-time', description: 'sampled at or after' },
              to: { type: 'string', format: 'date-time', description: 'sampled before' },
            },
            additionalProperties: false,
          },
          response: refusals,
        },
      },
      async (request: FastifyRequest<{ Querystring: ListQuery }>) => {
        const q = request.query;
        return {
          reviews: await peerReview.list(
            requireActor(request),
            {
              ...(q.state ? { state: q.state } : {}),
              ...(q.discrepancy ? { discrepancy: q.discrepancy } : {}),
              ...(q.reader ? { readerId: q.reader } : {}),
              ...range(q),
            },
            originOf(request, 'api'),
          ),
        };
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/peer-review/reviews/:id',
      {
        schema: {
          tags: ['peer-review'],
          summary:
            'One review with the case, its series and report (reviewer, original reader, quality lead)',
          params: idParams,
          response: refusals,
        },
      },
      async (request: FastifyRequest<{ Params: { id: string } }>) => ({
        review: await peerReview.detail(requireActor(request), request.params.id, originOf(request, 'api')),
      }),
    );

    type ScoreBody = { score: number; significance?: 'a' | 'b' | null; comment?: string };
    app.post<{ Params: { id: string }; Body: ScoreBody }>(
      '/api/peer-review/reviews/:id/score',
      {
        schema: {
          tags: ['peer-review'],
          summary:
            'RADPEER score: 1 concur; 2-4 a discrepancy with significance a (unlikely) or b (likely clinically significant) and a comment',
          params: idParams,
          body: {
            type: 'object',
            properties: {
              score: { type: 'integer', enum: [...RADPEER_SCORES] },
              significance: { type: ['string', 'null'], enum: ['a', 'b', null] },
              comment: { type: 'string', maxLength: 4000 },
            },
            required: ['score'],
            additionalProperties: false,
          },
          response: refusals,
        },
      },
      async (request: FastifyRequest<{ Params: { id: string }; Body: ScoreBody }>) => ({
        review: await peerReview.score(
          requireActor(request),
          request.params.id,
          request.body,
          originOf(request, 'api'),
        ),
      }),
    );

    type RespondBody = { response: 'agree' | 'disagree'; comment?: string };
    app.post<{ Params: { id: string }; Body: RespondBody }>(
      '/api/peer-review/reviews/:id/respond',
      {
        schema: {
          tags: ['peer-review'],
          summary: 'The original reader answers a discrepancy: agree, or disagree with a comment',
          params: idParams,
          body: {
            type: 'object',
            properties: {
              response: { type: 'string', enum: ['agree', 'disagree'] },
              comment: { type: 'string', maxLength: 4000 },
            },
            required: ['response'],
            additionalProperties: false,
          },
          response: refusals,
        },
      },
      async (request: FastifyRequest<{ Params: { id: string }; Body: RespondBody }>) => ({
        review: await peerReview.respond(
          requireActor(request),
          request.params.id,
          request.body,
          originOf(request, 'api'),
        ),
      }),
    );

    for (const step of ['escalate', 'close'] as const) {
      app.post<{ Params: { id: string }; Body: { note?: string } | undefined }>(
        `/api/peer-review/reviews/:id/${step}`,
        {
          schema: {
            tags: ['peer-review'],
            summary:
              step === 'close'
                ? 'Close a discrepancy, with a note (peer-review:manage)'
                : 'Escalate a discrepancy to the quality committee (peer-review:manage)',
            params: idParams,
            body: noteBody,
            response: refusals,
          },
        },
        async (request: FastifyRequest<{ Params: { id: string }; Body: { note?: string } | undefined }>) => {
          const actor = requireActor(request);
          const note = request.body?.note ?? null;
          const origin = originOf(request, 'api');
          return {
            review:
              step === 'close'
                ? await peerReview.close(actor, request.params.id, note, origin)
                : await peerReview.escalate(actor, request.params.id, note, origin),
          };
        },
      );
    }
  };
}
