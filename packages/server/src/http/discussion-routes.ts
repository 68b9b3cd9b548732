import type { FastifyInstance } from 'fastify';
import type { DiscussionMessage } from '../collaboration/discussion-bus.ts';
import { type DiscussionService, MAX_COMMENT_CHARS } from '../collaboration/discussion-service.ts';
import { originOf, requireActor } from './authenticate.ts';
import { openEventStream } from './sse.ts';

export interface DiscussionRouteDeps {
  discussion: DiscussionService;
  /** How often a live stream sends a keep-alive comment. */
  keepAliveMs?: number;
}

const problem = { $ref: 'problem#' } as const;
const caseParams = {
  type: 'object',
  properties: { id: { type: 'string', description: 'case id, e.g. C-1A2B3C4D5E6F' } },
  required: ['id'],
} as const;
const commentParams = {
  type: 'object',
  properties: { id: { type: 'string' }, commentId: { type: 'integer', minimum: 1 } },
  required: ['id', 'commentId'],
} as const;
const commentBody = {
  type: 'object',
  properties: {
    body: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_COMMENT_CHARS,
      description: 'plain text; @username mentions a colleague, annotation:<id> links a viewer annotation',
    },
    share: {
      type: 'array',
      items: { type: 'string', maxLength: 64 },
      maxItems: 20,
      description:
        'user names mentioned who cannot see the case yet: share the case with them (readers and coordinators only)',
    },
  },
  required: ['body'],
  additionalProperties: false,
} as const;
const comment = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    caseId: { type: 'string' },
    author: { type: 'string' },
    authorName: { type: ['string', 'null'] },
    body: { type: ['string', 'null'], description: 'null once deleted' },
    mentions: { type: 'array', items: { type: 'string' } },
    annotationIds: { type: 'array', items: { type: 'string' } },
    createdAt: { type: 'string', format: 'date-time' },
    editedAt: { type: ['string', 'null'], format: 'date-time' },
    deletedAt: { type: ['string', 'null'], format: 'date-time' },
    editableUntil: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'caseId', 'author', 'body', 'createdAt', 'editedAt', 'deletedAt', 'editableUntil'],
} as const;
const refusals = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem, 422: problem };

/**
 * A case's discussion thread: list, post, edit, delete, mention suggestions and a live stream. Handlers
 * only translate HTTP; access checks, audit and notifications live in the discussion service.
 */
export function discussionRoutes(deps: DiscussionRouteDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const { discussion } = deps;

    app.get<{ Params: { id: string }; Querystring: { limit?: number; before?: number } }>(
      '/api/cases/:id/discussion',
      {
        schema: {
          tags: ['discussion'],
          summary: "The case's discussion, newest last; page back with before=<first id>",
          params: caseParams,
          querystring: {
            type: 'object',
            properties: {
              limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
              before: { type: 'integer', minimum: 1, description: 'comments older than this id' },
            },
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: { comments: { type: 'array', items: comment }, more: { type: 'boolean' } },
              required: ['comments', 'more'],
            },
            ...refusals,
          },
        },
      },
      async (request) =>
        discussion.list(
          requireActor(request),
          request.params.id,
          {
            ...(request.query.limit ? { limit: request.query.limit } : {}),
            ...(request.query.before ? { before: request.query.before } : {}),
          },
          originOf(request, 'api'),
        ),
    );

    app.post<{ Params: { id: string }; Body: { body: string; share?: string[] } }>(
      '/api/cases/:id/discussion',
      {
        schema: {
          tags: ['discussion'],
          summary:
            'Post a comment; mentions notify; a mention of someone who cannot see the case is refused (422) unless listed in share',
          params: caseParams,
          body: commentBody,
          response: { 201: comment, ...refusals },
        },
      },
      async (request, reply) => {
        const out = await discussion.post(
          requireActor(request),
          request.params.id,
          request.body,
          originOf(request, 'api'),
        );
        return reply.code(201).send(out);
      },
    );

    app.patch<{ Params: { id: string; commentId: number }; Body: { body: string; share?: string[] } }>(
      '/api/cases/:id/discussion/:commentId',
      {
        schema: {
          tags: ['discussion'],
          summary: 'Edit your own comment within the edit window; the previous text is kept',
          params: commentParams,
          body: commentBody,
          response: { 200: comment, ...refusals },
        },
      },
      async (request) =>
        discussion.edit(
          requireActor(request),
          request.params.id,
          request.params.commentId,
          request.body,
          originOf(request, 'api'),
        ),
    );

    app.delete<{ Params: { id: string; commentId: number } }>(
      '/api/cases/:id/discussion/:commentId',
      {
        schema: {
          tags: ['discussion'],
          summary: 'Delete your own comment; the record keeps it, the thread shows it as deleted',
          params: commentParams,
          response: { 200: comment, ...refusals },
        },
      },
      async (request) =>
        discussion.remove(
          requireActor(request),
          request.params.id,
          request.params.commentId,
          originOf(request, 'api'),
        ),
    );

    app.get<{ Params: { id: string }; Querystring: { q?: string } }>(
      '/api/cases/:id/discussion/participants',
      {
        schema: {
          tags: ['discussion'],
          summary: 'People who can see the case and take part in its discussion (for @mention suggestions)',
          params: caseParams,
          querystring: {
            type: 'object',
            properties: { q: { type: 'string', maxLength: 64, description: 'name prefix' } },
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: {
                users: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { username: { type: 'string' }, displayName: { type: ['string', 'null'] } },
                    required: ['username', 'displayName'],
                  },
                },
              },
              required: ['users'],
            },
            ...refusals,
          },
        },
      },
      async (request) =>
        discussion.participants(
          requireActor(request),
          request.params.id,
          request.query.q ?? '',
          originOf(request, 'api'),
        ),
    );

    app.get<{ Params: { id: string } }>(
      '/api/cases/:id/discussion/stream',
      {
        schema: {
          tags: ['discussion'],
          summary:
            'Server-sent events for one case: "comment" (posted, edited or deleted) and "consult" (a consult of the case changed), "revoked" (your access ended; the stream closes)',
          params: caseParams,
          response: { 401: problem, 403: problem, 404: problem },
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        const caseId = request.params.id;
        const bus = await discussion.openStream(actor, caseId, originOf(request, 'api'));
        const stream = openEventStream(request, reply, { ready: { caseId }, keepAliveMs: deps.keepAliveMs });
        // Access can end while the page is open (a consult declined or taken away): it is asked again before
        // each change is sent, in order, and a stream that lost it is told so and closed.
        let queue = Promise.resolve();
        let open = true;
        const unsubscribe = bus.subscribe(caseId, (m: DiscussionMessage) => {
          queue = queue.then(async () => {
            if (!open) return;
            if (!(await discussion.stillAllowed(actor, caseId))) {
              open = false;
              stream.end('revoked', { caseId });
              return;
            }
            stream.send(m.type, m.type === 'comment' ? m.comment : m);
          });
        });
        stream.onClose(() => {
          open = false;
          unsubscribe();
        });
      },
    );
  };
}
