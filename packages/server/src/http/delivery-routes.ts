import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { operationOutcome } from '../fhir/diagnostic-report.ts';
import { DeliveryError, DeliveryErrorCode } from '../reporting/delivery-errors.ts';
import type { DiagnosticReportSearch, ReportReader } from '../reporting/delivery-report-reader.ts';
import type { ReportDeliveryService } from '../reporting/delivery-service.ts';
import { originOf, requireActor } from './authenticate.ts';
import { ProblemError, problemBody } from './errors.ts';
import { problemSchema } from './problem-schema.ts';

export interface DeliveryRouteDeps {
  deliveries: ReportDeliveryService;
  reader: ReportReader;
}

const TITLES: Record<string, string> = {
  [DeliveryErrorCode.NotFound]: 'Report not found',
  [DeliveryErrorCode.NotRetryable]: 'Delivery cannot be retried',
  [DeliveryErrorCode.Busy]: 'Delivery busy',
};

const problems = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema } as const;

const attemptSchema = {
  type: 'object',
  properties: {
    attempt: { type: 'integer' },
    startedAt: { type: 'string' },
    finishedAt: { type: 'string' },
    outcome: { type: 'string', enum: ['accepted', 'rejected', 'error'] },
    ackCode: {
      type: ['string', 'null'],
      description: 'MSA-1 (AA, AE, AR, CA, CE, CR) or the FHIR server HTTP status',
    },
    error: { type: ['string', 'null'] },
    node: { type: 'string' },
  },
} as const;
const deliverySchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    reportId: { type: 'string' },
    reportVersion: { type: 'integer' },
    kind: { type: 'string' },
    caseId: { type: 'string' },
    destinationId: { type: 'string' },
    destinationType: { type: 'string', enum: ['hl7-mllp', 'fhir'] },
    state: { type: 'string', enum: ['pending', 'sending', 'delivered', 'failed'] },
    messageControlId: { type: 'string', description: 'MSH-10 of the ORU^R01 (kept across retries)' },
    attempts: { type: 'integer' },
    nextAttemptAt: { type: ['string', 'null'] },
    lastAckCode: { type: ['string', 'null'] },
    lastError: { type: ['string', 'null'] },
    deliveredAt: { type: ['string', 'null'] },
    failedAt: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    attemptLog: { type: 'array', items: attemptSchema },
  },
} as const;

/** `system|value` or `value` (FHIR token search, 3.1.1.4.6). */
function token(v: string | undefined): { system?: string; value: string } | undefined {
  if (!v) return undefined;
  const bar = v.indexOf('|');
  if (bar < 0) return { value: v };
  const system = v.slice(0, bar);
  const value = v.slice(bar + 1);
  if (!value) throw new DeliveryError(400, DeliveryErrorCode.BadRequest, `"${v}" has no value after the "|"`);
  return system ? { system, value } : { value };
}

/** A reference (`Type/id`) or a bare id. */
function referenceId(v: string | undefined, type: string): string | undefined {
  if (!v) return undefined;
  return v.startsWith(`${type}/`) ? v.slice(type.length + 1) : v;
}

function isFhir(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/fhir/');
}

/**
 * Report outputs: the PDF, the FHIR R4 DiagnosticReport read and search, and the delivery log with its retry
 * command. Handlers translate HTTP only; access and audit are in ReportReader and ReportDeliveryService.
 * FHIR paths answer errors as OperationOutcome, the rest as problem+json.
 */
export function deliveryRoutes(deps: DeliveryRouteDeps) {
  return async function register(root: FastifyInstance): Promise<void> {
    // An encapsulated scope, so its error handler sees this group's errors only; others go up to the app's.
    await root.register(async (app) => {
      app.setErrorHandler((error: FastifyError, request, reply) => {
        let status: number | undefined;
        let code: string | undefined;
        let extra: Record<string, unknown> = {};
        if (error instanceof DeliveryError) {
          status = error.status;
          code = error.code;
          extra = error.extra;
        } else if (error instanceof ProblemError) {
          status = error.status;
          code = error.code;
        } else if (error.validation) {
          status = 400;
          code = DeliveryErrorCode.BadRequest;
        }
        if (status === undefined || code === undefined) throw error;
        if (isFhir(request)) {
          const issue =
            status === 404
              ? 'not-found'
              : status === 403
                ? 'forbidden'
                : status === 401
                  ? 'login'
                  : 'invalid';
          return reply
            .code(status)
            .type('application/fhir+json')
            .send(operationOutcome(issue, error.message, code));
        }
        const body = problemBody(status, code, error.message, extra);
        return reply
          .code(status)
          .type('application/problem+json')
          .send({ ...body, title: TITLES[code] ?? body.title });
      });

      app.get<{ Params: { reportId: string }; Querystring: { version?: number } }>(
        '/api/reports/:reportId/pdf',
        {
          schema: {
            tags: ['reports'],
            summary: 'The PDF of a signed report version (the newest you may read when no version is given)',
            params: { type: 'object', properties: { reportId: { type: 'string' } }, required: ['reportId'] },
            querystring: {
              type: 'object',
              properties: { version: { type: 'integer', minimum: 1 } },
              additionalProperties: false,
            },
            response: {
              200: { type: 'string', format: 'binary', description: 'application/pdf' },
              ...problems,
            },
          },
        },
        async (
          request: FastifyRequest<{ Params: { reportId: string }; Querystring: { version?: number } }>,
          reply: FastifyReply,
        ) => {
          const actor = requireActor(request);
          const { pdf, report } = await deps.reader.pdf(
            actor,
            request.params.reportId,
            request.query.version,
            originOf(request, 'api'),
          );
          const name = `report-${report.reportId.replace(/[^A-Za-z0-9._-]/g, '_')}-v${report.version}.pdf`;
          return reply
            .type('application/pdf')
            .header('content-disposition', `inline; filename="${name}"`)
            .send(pdf);
        },
      );

      app.get<{ Params: { reportId: string } }>(
        '/api/reports/:reportId/deliveries',
        {
          schema: {
            tags: ['reports'],
            summary: "A report's deliveries to HL7 and FHIR destinations, each with its attempts",
            params: { type: 'object', properties: { reportId: { type: 'string' } }, required: ['reportId'] },
            response: {
              200: { type: 'object', properties: { deliveries: { type: 'array', items: deliverySchema } } },
              ...problems,
            },
          },
        },
        async (request) => {
          const actor = requireActor(request);
          return {
            deliveries: await deps.reader.deliveriesOf(
              actor,
              request.params.reportId,
              originOf(request, 'api'),
            ),
          };
        },
      );

      app.get<{ Params: { id: string } }>(
        '/api/cases/:id/signed-reports',
        {
          schema: {
            tags: ['reports'],
            summary:
              "The case's signed report versions you may read, newest first, with PDF links and delivery states",
            params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
            response: {
              200: {
                type: 'object',
                properties: {
                  versions: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        reportId: { type: 'string' },
                        version: { type: 'integer' },
                        kind: { type: 'string', enum: ['preliminary', 'final', 'addendum'] },
                        signedAt: { type: 'string' },
                        signedBy: { type: 'string' },
                        title: { type: 'string' },
                        pdfUrl: { type: 'string' },
                        deliveries: {
                          type: 'array',
                          items: {
                            type: 'object',
                            properties: {
                              id: { type: 'integer' },
                              destinationId: { type: 'string' },
                              destinationType: { type: 'string' },
                              state: { type: 'string' },
                              attempts: { type: 'integer' },
                              lastAckCode: { type: ['string', 'null'] },
                              lastError: { type: ['string', 'null'] },
                            },
                          },
                        },
                      },
                    },
                  },
                },
              },
              ...problems,
            },
          },
        },
        async (request) => {
          const actor = requireActor(request);
          return {
            versions: await deps.reader.signedVersionsOfCase(
              actor,
              request.params.id,
              originOf(request, 'api'),
            ),
          };
        },
      );

      app.get<{ Querystring: { state?: string; destination?: string; limit?: number } }>(
        '/api/report-deliveries',
        {
          schema: {
            tags: ['reports'],
            summary:
              'Report deliveries, newest first (report:manage); state=failed lists what needs attention',
            querystring: {
              type: 'object',
              properties: {
                state: { type: 'string', enum: ['pending', 'sending', 'delivered', 'failed'] },
                destination: { type: 'string' },
                limit: { type: 'integer', minimum: 1, maximum: 1000 },
              },
              additionalProperties: false,
            },
            response: {
              200: { type: 'object', properties: { deliveries: { type: 'array', items: deliverySchema } } },
              ...problems,
            },
          },
        },
        async (request) => {
          const actor = requireActor(request);
          const q = request.query;
          return {
            deliveries: await deps.deliveries.list(
              actor,
              {
                ...(q.state ? { state: q.state } : {}),
                ...(q.destination ? { destinationId: q.destination } : {}),
                ...(q.limit ? { limit: q.limit } : {}),
              },
              originOf(request, 'api'),
            ),
          };
        },
      );

      app.post<{ Params: { id: number } }>(
        '/api/report-deliveries/:id/retry',
        {
          schema: {
            tags: ['reports'],
            summary:
              'Send a failed (or waiting) delivery again now, with a fresh set of attempts (report:manage)',
            params: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
            response: {
              200: { type: 'object', properties: { delivery: deliverySchema } },
              409: problemSchema,
              ...problems,
            },
          },
        },
        async (request) => {
          const actor = requireActor(request);
          return {
            delivery: await deps.deliveries.retry(actor, request.params.id, originOf(request, 'api')),
          };
        },
      );

      app.get<{ Params: { id: string } }>(
        '/api/fhir/DiagnosticReport/:id',
        {
          schema: {
            tags: ['fhir'],
            summary:
              'A signed report as a FHIR R4 DiagnosticReport (its newest version you may read), PDF in presentedForm',
            params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
            response: { 200: { type: 'object', additionalProperties: true } },
          },
        },
        async (request, reply) => {
          const actor = requireActor(request);
          const resource = await deps.reader.diagnosticReport(
            actor,
            request.params.id,
            originOf(request, 'api'),
          );
          return reply.type('application/fhir+json').send(resource);
        },
      );

      app.get<{ Querystring: Record<string, string | undefined> }>(
        '/api/fhir/DiagnosticReport',
        {
          schema: {
            tags: ['fhir'],
            summary:
              'Search DiagnosticReports; returns a searchset Bundle. Give at least one of identifier, based-on, patient, study',
            querystring: {
              type: 'object',
              properties: {
                identifier: {
                  type: 'string',
                  description:
                    '[system|]value: urn:confer:report|<report id> or urn:confer:accession|<accession>',
                },
                'based-on': { type: 'string', description: 'ServiceRequest/<accession number>' },
                'based-on:identifier': { type: 'string', description: '[system|]<accession number>' },
                patient: { type: 'string', description: 'Patient/<patient id> or the patient id' },
                'patient:identifier': {
                  type: 'string',
                  description: '[urn:confer:patient[:<issuer>]|]<patient id>',
                },
                study: {
                  type: 'string',
                  description: 'Study Instance UID (urn:oid: prefix allowed) or ImagingStudy/<uid>',
                },
                status: { type: 'string', enum: ['preliminary', 'final', 'appended', 'amended'] },
                _count: { type: 'integer', minimum: 1, maximum: 200 },
              },
            },
            response: { 200: { type: 'object', additionalProperties: true } },
          },
        },
        async (request, reply) => {
          const actor = requireActor(request);
          const q = request.query;
          const basedOn =
            referenceId(q['based-on'], 'ServiceRequest') ?? token(q['based-on:identifier'])?.value;
          const patientRef = referenceId(q.patient, 'Patient');
          const patient = patientRef ? { value: patientRef } : token(q['patient:identifier']);
          const studyRef = referenceId(q.study, 'ImagingStudy');
          const study = studyRef?.startsWith('urn:oid:') ? studyRef.slice('urn:oid:'.length) : studyRef;
          const identifier = token(q.identifier);
          if (!identifier && !basedOn && !patient && !study)
            throw new DeliveryError(
              400,
              DeliveryErrorCode.BadRequest,
              'give at least one of identifier, based-on, based-on:identifier, patient, patient:identifier or study',
            );
          const search: DiagnosticReportSearch = {
            ...(identifier ? { identifier } : {}),
            ...(basedOn ? { basedOn } : {}),
            ...(patient ? { patient } : {}),
            ...(study ? { study } : {}),
            ...(q.status ? { status: q.status } : {}),
            count: Number(q._count ?? 50),
          };
          const resources = await deps.reader.searchDiagnosticReports(
            actor,
            search,
            originOf(request, 'api'),
          );
          const base = `${request.protocol}://${request.host}/api/fhir`;
          return reply.type('application/fhir+json').send({
            resourceType: 'Bundle',
            type: 'searchset',
            total: resources.length,
            link: [
              {
                relation: 'self',
                url: `${base}/DiagnosticReport${request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : ''}`,
              },
            ],
            entry: resources.map((resource) => ({
              fullUrl: `${base}/DiagnosticReport/${resource.id as string}`,
              resource,
              search: { mode: 'match' },
            })),
          });
        },
      );
    });
  };
}
