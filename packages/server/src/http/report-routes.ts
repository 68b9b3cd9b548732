import { SignedReportKind } from '@confer/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ReportError } from '../reporting/report-error.ts';
import type { ReportService } from '../reporting/report-service.ts';
import { originOf, requireActor } from './authenticate.ts';
import { problemSchema } from './problem-schema.ts';

const problem = problemSchema;
const refusals = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem, 422: problem };
const caseIdParams = {
  type: 'object',
  properties: { id: { type: 'string', description: 'case id, e.g. C-1A2B3C4D5E6F' } },
  required: ['id'],
} as const;
const templateIdParams = {
  type: 'object',
  properties: { id: { type: 'string', maxLength: 64 } },
  required: ['id'],
} as const;

const text = (max: number) => ({ type: 'string', maxLength: max }) as const;
/** A draft or a version's content; the service checks the rest (categories, required sections). */
const contentSchema = {
  type: 'object',
  properties: {
    templateId: text(64),
    title: text(300),
    sections: {
      type: 'array',
      maxItems: 60,
      items: {
        type: 'object',
        properties: {
          id: text(64),
          title: text(300),
          text: text(20_000),
          choiceIds: { type: 'array', maxItems: 100, items: text(64) },
          required: { type: 'boolean' },
        },
        required: ['id', 'title', 'text'],
        additionalProperties: false,
      },
    },
    impression: text(20_000),
    measurements: {
      type: 'array',
      maxItems: 200,
      items: {
        type: 'object',
        properties: {
          label: text(200),
          value: { type: 'number' },
          unit: text(40),
          where: text(200),
          slotId: text(64),
        },
        required: ['label', 'value', 'unit'],
        additionalProperties: false,
      },
    },
    criticalFindings: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        properties: {
          category: { type: 'string', enum: ['critical', 'urgent', 'unexpected-significant'] },
          finding: text(2000),
        },
        required: ['category', 'finding'],
        additionalProperties: false,
      },
    },
    addendum: text(20_000),
  },
  required: ['title', 'sections', 'impression', 'measurements', 'criticalFindings'],
  additionalProperties: false,
} as const;

/** A template document; validated in full by the service, which names each problem's JSON path. */
const templateBody = {
  type: 'object',
  description: 'A report template: id, name, title, match, sections, impression (see docs/reporting.md)',
  additionalProperties: true,
} as const;

function versionRef(v: string, name: string): number | 'draft' {
  if (v === 'draft') return 'draft';
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new ReportError(
      400,
      'CONFER_ERR_BAD_REQUEST',
      `${name} must be a version number (1, 2, ...) or "draft"`,
    );
  return n;
}

/**
 * The reporting API: templates, the case's report (drafts, signing, versions, diffs). Handlers only
 * translate HTTP; access checks, audit and decisions live in the report service.
 */
export function reportRoutes(deps: { reports: ReportService }) {
  return async function register(app: FastifyInstance): Promise<void> {
    const { reports } = deps;
    const origin = (r: FastifyRequest) => originOf(r, 'api');

    app.get(
      '/api/report-templates',
      {
        schema: { tags: ['reports'], summary: 'Report templates', response: { 401: problem, 403: problem } },
      },
      async (request) => ({ templates: await reports.listTemplates(requireActor(request)) }),
    );
    app.get<{ Params: { id: string } }>(
      '/api/report-templates/:id',
      {
        schema: {
          tags: ['reports'],
          summary: 'One report template',
          params: templateIdParams,
          response: refusals,
        },
      },
      async (request) => reports.getTemplate(requireActor(request), request.params.id),
    );
    app.post<{ Body: unknown }>(
      '/api/report-templates',
      {
        schema: {
          tags: ['reports'],
          summary: 'Create a report template (report:manage); 422 lists every problem with its JSON path',
          body: templateBody,
          response: refusals,
        },
      },
      async (request, reply) => {
        const saved = await reports.saveTemplate(
          requireActor(request),
          request.body,
          'create',
          origin(request),
        );
        return reply.code(201).send(saved);
      },
    );
    app.put<{ Params: { id: string }; Body: Record<string, unknown> }>(
      '/api/report-templates/:id',
      {
        schema: {
          tags: ['reports'],
          summary: 'Replace a report template (report:manage)',
          params: templateIdParams,
          body: templateBody,
          response: refusals,
        },
      },
      async (request) => {
        const body = request.body ?? {};
        if (body.id !== undefined && body.id !== request.params.id)
          throw new ReportError(
            400,
            'CONFER_ERR_BAD_REQUEST',
            `the body's id "${String(body.id)}" differs from the path's "${request.params.id}"; ids cannot be changed`,
          );
        return reports.saveTemplate(
          requireActor(request),
          { ...body, id: request.params.id },
          'replace',
          origin(request),
        );
      },
    );
    app.delete<{ Params: { id: string } }>(
      '/api/report-templates/:id',
      {
        schema: {
          tags: ['reports'],
          summary: 'Delete a report template (signed reports keep their text)',
          params: templateIdParams,
          response: refusals,
        },
      },
      async (request, reply) => {
        await reports.deleteTemplate(requireActor(request), request.params.id, origin(request));
        return reply.code(204).send();
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/cases/:id/report',
      {
        schema: {
          tags: ['reports'],
          summary:
            "The case's report: status, revision, draft (readers, coordinators) and the signed versions the caller may read",
          params: caseIdParams,
          response: refusals,
        },
      },
      async (request) => ({
        report: await reports.get(requireActor(request), request.params.id, origin(request)),
      }),
    );
    app.get<{ Params: { id: string } }>(
      '/api/cases/:id/report/template',
      {
        schema: {
          tags: ['reports'],
          summary: 'The template chosen for the case (most specific match), why, and the draft it starts',
          params: caseIdParams,
          response: refusals,
        },
      },
      async (request) => reports.templateFor(requireActor(request), request.params.id, origin(request)),
    );
    app.put<{ Params: { id: string }; Body: { expectedRevision: number; content: never } }>(
      '/api/cases/:id/report/draft',
      {
        schema: {
          tags: ['reports'],
          summary:
            'Autosave the draft; 409 CONFER_ERR_REPORT_STALE with savedBy/savedAt when the revision is old',
          params: caseIdParams,
          body: {
            type: 'object',
            properties: { expectedRevision: { type: 'integer', minimum: 0 }, content: contentSchema },
            required: ['expectedRevision', 'content'],
            additionalProperties: false,
          },
          response: refusals,
        },
      },
      async (request) => ({
        report: await reports.saveDraft(
          requireActor(request),
          request.params.id,
          request.body,
          origin(request),
        ),
      }),
    );
    app.post<{
      Params: { id: string };
      Body: { kind: SignedReportKind; password: string; expectedRevision: number; content?: never };
    }>(
      '/api/cases/:id/report/sign',
      {
        schema: {
          tags: ['reports'],
          summary:
            "Sign the draft (or the content sent) preliminary, final or as an addendum; needs the signer's password (401 CONFER_ERR_REPORT_REAUTH_FAILED)",
          params: caseIdParams,
          body: {
            type: 'object',
            properties: {
              kind: { type: 'string', enum: Object.values(SignedReportKind) },
              password: { type: 'string', minLength: 1, maxLength: 1024 },
              expectedRevision: { type: 'integer', minimum: 0 },
              content: contentSchema,
            },
            required: ['kind', 'password', 'expectedRevision'],
            additionalProperties: false,
          },
          response: refusals,
        },
      },
      async (request) =>
        reports.sign(requireActor(request), request.params.id, request.body, origin(request)),
    );
    app.get<{ Params: { id: string } }>(
      '/api/cases/:id/report/versions',
      {
        schema: {
          tags: ['reports'],
          summary: 'The signed versions the caller may read, oldest first',
          params: caseIdParams,
          response: refusals,
        },
      },
      async (request) => {
        const r = await reports.get(requireActor(request), request.params.id, origin(request));
        return { status: r.status, versions: r.versions };
      },
    );
    app.get<{ Params: { id: string }; Querystring: { from: string; to: string } }>(
      '/api/cases/:id/report/diff',
      {
        schema: {
          tags: ['reports'],
          summary: 'Two versions compared word by word (version numbers, or "draft")',
          params: caseIdParams,
          querystring: {
            type: 'object',
            properties: { from: { type: 'string' }, to: { type: 'string' } },
            required: ['from', 'to'],
            additionalProperties: false,
          },
          response: refusals,
        },
      },
      async (request) =>
        reports.diff(
          requireActor(request),
          request.params.id,
          versionRef(request.query.from, 'from'),
          versionRef(request.query.to, 'to'),
          origin(request),
        ),
    );
  };
}
