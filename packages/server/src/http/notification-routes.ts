import type { FastifyInstance } from 'fastify';
import type { Notification, NotificationService } from '../notifications/notification-service.ts';
import { requireActor } from './authenticate.ts';
import { openEventStream } from './sse.ts';

export interface NotificationRouteDeps {
  notifications: NotificationService;
  /** How often the live stream sends a keep-alive comment. */
  keepAliveMs?: number;
}

const problem = { $ref: 'problem#' } as const;

const notificationSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    kind: { type: 'string', description: "e.g. 'mention', 'consult', 'critical-result'" },
    title: { type: 'string' },
    body: { type: ['string', 'null'] },
    caseId: { type: ['string', 'null'] },
    link: { type: ['string', 'null'], description: "an app fragment such as '#/cases/C-1'" },
    createdAt: { type: 'string', format: 'date-time' },
    readAt: { type: ['string', 'null'], format: 'date-time' },
  },
  required: ['id', 'kind', 'title', 'body', 'caseId', 'link', 'createdAt', 'readAt'],
} as const;

/** The signed-in user's notifications: list, mark read, and a live stream. */
export function notificationRoutes(deps: NotificationRouteDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const { notifications } = deps;

    app.get<{ Querystring: { unread?: 'true' | 'false'; limit?: number; before?: number } }>(
      '/api/notifications',
      {
        schema: {
          tags: ['notifications'],
          summary: "The caller's notifications, newest first, and how many are unread",
          querystring: {
            type: 'object',
            properties: {
              unread: { type: 'string', enum: ['true', 'false'], description: 'only unread ones' },
              limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
              before: { type: 'integer', description: 'page on: notifications older than this id' },
            },
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: {
                items: { type: 'array', items: notificationSchema },
                unread: { type: 'integer' },
              },
              required: ['items', 'unread'],
            },
            401: problem,
            403: problem,
          },
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        reply.header('cache-control', 'no-store');
        return notifications.list(actor, {
          unreadOnly: request.query.unread === 'true',
          ...(request.query.limit !== undefined ? { limit: request.query.limit } : {}),
          ...(request.query.before !== undefined ? { beforeId: request.query.before } : {}),
        });
      },
    );

    app.post<{ Params: { id: number } }>(
      '/api/notifications/:id/read',
      {
        schema: {
          tags: ['notifications'],
          summary: 'Mark one of your notifications read',
          params: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
          response: { 200: notificationSchema, 401: problem, 403: problem, 404: problem },
        },
      },
      async (request) => notifications.markRead(requireActor(request), request.params.id),
    );

    app.post(
      '/api/notifications/read-all',
      {
        schema: {
          tags: ['notifications'],
          summary: 'Mark all your notifications read',
          response: {
            200: { type: 'object', properties: { marked: { type: 'integer' } }, required: ['marked'] },
            401: problem,
            403: problem,
          },
        },
      },
      async (request) => ({
        marked: await notifications.markAllRead(requireActor(request)),
      }),
    );

    app.get(
      '/api/notifications/stream',
      {
        schema: {
          tags: ['notifications'],
          summary:
            'Server-sent events: "ready" with the unread count, then "notification" for each new one addressed to you',
        },
      },
      async (request, reply) => {
        const actor = requireActor(request);
        const username = notifications.usernameOf(actor);
        const unread = await notifications.unreadCount(username);
        const stream = openEventStream(request, reply, { ready: { unread }, keepAliveMs: deps.keepAliveMs });
        const unsubscribe = notifications.subscribe(username, (n: Notification) => {
          stream.send('notification', n, String(n.id));
        });
        stream.onClose(unsubscribe);
      },
    );
  };
}
