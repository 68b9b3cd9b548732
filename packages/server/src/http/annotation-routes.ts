import type { FastifyInstance } from 'fastify';
import type { AnnotationMessage } from '../annotations/annotation-events.ts';
import {
  AnnotationError,
  type AnnotationInput,
  type AnnotationService,
  type AnnotationUpdate,
} from '../annotations/annotation-service.ts';
import type { SrExportService } from '../annotations/sr-export-service.ts';
import { originOf, requireActor } from './authenticate.ts';
import { type ErrorCode, ProblemError } from './errors.ts';
import { openEventStream } from './sse.ts';

export interface AnnotationRouteDeps {
  annotations: AnnotationService;
  srExport?: SrExportService;
  /** How often the live stream sends a keep-alive comment. */
  keepAliveMs?: number;
}

const problem = { $ref: 'problem#' } as const;
const caseParams = {
  type: 'object',
  properties: { id: { type: 'string', description: 'case id, e.g. C-1A2B3C4D5E6F', maxLength: 64 } },
  required: ['id'],
} as const;
const annotationParams = {
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 64 },
    annotationId: { type: 'string', description: 'e.g. A-1A2B3C4D5E6F', maxLength: 64 },
  },
  required: ['id', 'annotationId'],
} as const;
const uid = { type: 'string', pattern: '^[0-9.]{1,64}$' } as const;
const point = {
  type: 'array',
  items: { type: 'number' },
  minItems: 2,
  maxItems: 2,
  description:
    '[column, row] in image pixels; the top-left corner of the first pixel is [0, 0], its centre [0.5, 0.5]',
} as const;
const points = { type: 'array', items: point, minItems: 2, maxItems: 4 } as const;
const statistics = {
  type: 'object',
  description: 'pixel statistics of a region (ellipse, rectangle), computed by the viewer',
  properties: {
    mean: { type: 'number' },
    stdDev: { type: 'number' },
    min: { type: 'number' },
    max: { type: 'number' },
    unit: { type: 'string', maxLength: 16, description: 'HU for CT, empty for raw pixel values' },
  },
  additionalProperties: false,
} as const;
const measurement = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'length, angle, area, mean, stdDev, min, max' },
    value: { type: 'number' },
    unit: { type: 'string', description: 'mm, px, deg, mm2, px2, HU or empty' },
    text: { type: 'string', description: 'as a report writes it, e.g. "12.3 mm"' },
  },
} as const;
const annotationSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    caseId: { type: 'string' },
    studyUid: { type: 'string' },
    seriesUid: { type: 'string' },
    sopInstanceUid: { type: 'string' },
    frameNumber: { type: 'integer' },
    seriesNumber: { type: ['integer', 'null'] },
    instanceNumber: { type: ['integer', 'null'] },
    where: { type: 'string', description: 'e.g. "series 3, image 41"' },
    tool: { type: 'string', enum: ['length', 'angle', 'ellipse', 'rectangle'] },
    label: { type: 'string' },
    points: { type: 'array', items: point },
    measurements: { type: 'array', items: measurement },
    summary: { type: 'string', description: 'e.g. "Length 12.3 mm"' },
    author: {
      type: 'object',
      properties: { username: { type: 'string' }, name: { type: 'string' } },
    },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    updatedBy: { type: 'string' },
    version: { type: 'integer' },
    link: { type: 'string', description: 'web app fragment opening the viewer on this annotation' },
  },
} as const;

/** Domain refusals become problem+json with the service's own code. */
async function translated<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof AnnotationError)
      throw new ProblemError(err.status, err.code as unknown as ErrorCode, err.message, err.extra);
    throw err;
  }
}

/**
 * Viewer annotations per case, their live stream and the DICOM SR export. Handlers only translate HTTP;
 * access checks and audit live in the annotation service.
 */
export function annotationRoutes(deps: AnnotationRouteDeps) {
  return async function register(app: FastifyInstance): Promise<void> {
    const { annotations } = deps;

    app.get<{ Params: { id: string } }>(
      '/api/cases/:id/annotations',
      {
        schema: {
          tags: ['annotations'],
          summary: "The case's annotations and measurements, oldest first",
          params: caseParams,
          response: {
            200: {
              type: 'object',
              properties: { annotations: { type: 'array', items: annotationSchema } },
            },
            401: problem,
            403: problem,
            404: problem,
          },
        },
      },
      async (request) =>
        translated(async () => ({
          annotations: await annotations.list(
            requireActor(request),
            request.params.id,
            originOf(request, 'api'),
          ),
        })),
    );

    app.post<{ Params: { id: string }; Body: AnnotationInput }>(
      '/api/cases/:id/annotations',
      {
        schema: {
          tags: ['annotations'],
          summary: 'Save an annotation drawn on an image of the case (needs annotation:write)',
          params: caseParams,
          body: {
            type: 'object',
            properties: {
              studyUid: uid,
              seriesUid: uid,
              sopInstanceUid: uid,
              frameNumber: { type: 'integer', minimum: 1 },
              tool: { type: 'string', enum: ['length', 'angle', 'ellipse', 'rectangle'] },
              label: { type: 'string', maxLength: 200 },
              points,
              statistics,
            },
            required: ['studyUid', 'seriesUid', 'sopInstanceUid', 'tool', 'points'],
            additionalProperties: false,
          },
          response: {
            201: { type: 'object', properties: { annotation: annotationSchema } },
            400: problem,
            401: problem,
            403: problem,
            404: problem,
            422: problem,
          },
        },
      },
      async (request, reply) =>
        translated(async () => {
          const annotation = await annotations.create(
            requireActor(request),
            request.params.id,
            request.body,
            originOf(request, 'api'),
          );
          return reply.code(201).send({ annotation });
        }),
    );

    app.put<{ Params: { id: string; annotationId: string }; Body: AnnotationUpdate }>(
      '/api/cases/:id/annotations/:annotationId',
      {
        schema: {
          tags: ['annotations'],
          summary: 'Change the label or geometry of one of your annotations; name the version you edited',
          params: annotationParams,
          body: {
            type: 'object',
            properties: {
              version: { type: 'integer', minimum: 1 },
              label: { type: 'string', maxLength: 200 },
              points,
              statistics,
            },
            required: ['version'],
            additionalProperties: false,
          },
          response: {
            200: { type: 'object', properties: { annotation: annotationSchema } },
            400: problem,
            401: problem,
            403: problem,
            404: problem,
            409: problem,
          },
        },
      },
      async (request) =>
        translated(async () => ({
          annotation: await annotations.update(
            requireActor(request),
            request.params.id,
            request.params.annotationId,
            request.body,
            originOf(request, 'api'),
          ),
        })),
    );

    app.delete<{ Params: { id: string; annotationId: string }; Querystring: { version?: number } }>(
      '/api/cases/:id/annotations/:annotationId',
      {
        schema: {
          tags: ['annotations'],
          summary: 'Delete one of your annotations (give ?version= to refuse if it changed meanwhile)',
          params: annotationParams,
          querystring: {
            type: 'object',
            properties: { version: { type: 'integer', minimum: 1 } },
            additionalProperties: false,
          },
          response: { 204: { type: 'null' }, 401: problem, 403: problem, 404: problem, 409: problem },
        },
      },
      async (request, reply) =>
        translated(async () => {
          await annotations.remove(
            requireActor(request),
            request.params.id,
            request.params.annotationId,
            request.query.version,
            originOf(request, 'api'),
          );
          return reply.code(204).send();
        }),
    );

    app.get<{ Params: { id: string } }>(
      '/api/cases/:id/annotations/stream',
      {
        schema: {
          tags: ['annotations'],
          summary:
            'Server-sent events: "annotation" (created or changed, the whole annotation), "deleted" ({id})',
          params: caseParams,
        },
      },
      async (request, reply) =>
        translated(async () => {
          const actor = requireActor(request);
          const caseId = request.params.id;
          await annotations.openStream(actor, caseId, originOf(request, 'api'));
          const stream = openEventStream(request, reply, {
            ready: { caseId },
            keepAliveMs: deps.keepAliveMs,
          });
          const unsubscribe = annotations.events.subscribe(caseId, (m: AnnotationMessage) => {
            if (m.type === 'annotation') stream.send('annotation', m.annotation);
            else stream.send('deleted', { id: m.id });
          });
          stream.onClose(unsubscribe);
        }),
    );

    const srExport = deps.srExport;
    if (srExport) {
      app.post<{ Params: { id: string } }>(
        '/api/cases/:id/annotations/sr',
        {
          schema: {
            tags: ['annotations'],
            summary:
              "Export the case's annotations as a DICOM SR Measurement Report (TID 1500), stored as a new series of the study",
            params: caseParams,
            response: {
              201: {
                type: 'object',
                properties: {
                  studyUid: { type: 'string' },
                  seriesUid: { type: 'string' },
                  sopInstanceUid: { type: 'string' },
                  sopClassUid: { type: 'string' },
                  retrieveUrl: { type: 'string', description: 'WADO-RS URL of the SR instance' },
                  exported: { type: 'array', items: { type: 'string' }, description: 'annotation ids' },
                  notMapped: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        id: { type: 'string' },
                        tool: { type: 'string' },
                        reason: { type: 'string' },
                      },
                    },
                  },
                },
              },
              400: problem,
              401: problem,
              403: problem,
              404: problem,
              409: problem,
            },
          },
        },
        async (request, reply) =>
          translated(async () => {
            const out = await srExport.export(
              requireActor(request),
              request.params.id,
              originOf(request, 'api'),
            );
            return reply.code(201).send(out);
          }),
      );
    }
  };
}
