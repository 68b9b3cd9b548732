import type { SignedReport } from '@confer/core';
import { toDiagnosticReport } from '../fhir/diagnostic-report.ts';
import { judgeAck } from '../hl7/ack.ts';
import { MllpError, sendMllp } from '../hl7/mllp-client.ts';
import { buildOruR01 } from '../hl7/oru-r01.ts';
import type {
  FhirDestinationConfig,
  Hl7DestinationConfig,
  ReportDeliverySettings,
  ReportDestinationConfig,
} from './delivery-config.ts';

/** What one attempt came to: accepted, refused by the receiver, or a transport error. */
export type SendOutcome =
  | { outcome: 'accepted'; ackCode: string }
  | { outcome: 'rejected'; ackCode: string | null; error: string }
  | { outcome: 'error'; ackCode: string | null; error: string };

export interface SendInput {
  report: SignedReport;
  destination: ReportDestinationConfig;
  controlId: string;
  /** A final signed after an earlier final: a correction. */
  corrected: boolean;
  now: number;
  settings: ReportDeliverySettings;
  /** The PDF (FHIR presentedForm), rendered on demand. */
  pdf: () => Buffer;
}

/** Where the destination is, for the audit trail. */
export function destinationAddress(d: ReportDestinationConfig): string {
  return d.type === 'hl7-mllp' ? `${d.host}:${d.port}` : new URL(d.baseUrl).host;
}

/** Builds the ORU^R01, sends it over MLLP and judges the ACK. */
export async function sendHl7(
  input: SendInput & { destination: Hl7DestinationConfig },
): Promise<SendOutcome> {
  const d = input.destination;
  const message = buildOruR01(input.report, {
    controlId: input.controlId,
    now: input.now,
    sendingFacility: input.settings.sendingFacility,
    receivingApplication: d.receivingApplication,
    receivingFacility: d.receivingFacility,
    processingId: d.processingId ?? 'P',
    corrected: input.corrected,
  });
  let ack: string;
  try {
    ack = await sendMllp(message, {
      host: d.host,
      port: d.port,
      connectTimeoutMs: d.connectTimeoutMs ?? input.settings.connectTimeoutMs,
      ackTimeoutMs: d.ackTimeoutMs ?? input.settings.ackTimeoutMs,
    });
  } catch (err) {
    if (err instanceof MllpError) return { outcome: 'error', ackCode: null, error: err.message };
    throw err;
  }
  const verdict = judgeAck(ack, input.controlId);
  if (verdict.accepted) return { outcome: 'accepted', ackCode: verdict.ack.code };
  return { outcome: 'rejected', ackCode: verdict.ack?.code || null, error: verdict.error };
}

/** Text of an OperationOutcome's issues, or the start of whatever else the server said. */
function describeFhirError(body: string): string {
  try {
    const o = JSON.parse(body) as {
      resourceType?: string;
      issue?: { diagnostics?: string; details?: { text?: string }; code?: string }[];
    };
    if (o.resourceType === 'OperationOutcome' && Array.isArray(o.issue))
      return o.issue
        .map((i) => i.diagnostics ?? i.details?.text ?? i.code ?? '')
        .filter(Boolean)
        .join('; ');
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return body.slice(0, 300);
}

/**
 * Sends the DiagnosticReport as a conditional update, `PUT <baseUrl>/DiagnosticReport?identifier=...` on
 * Confer's report identifier (FHIR R4 3.1.0.4.3): the first version creates the resource, later versions
 * (final, addendum) update it, and a retry after a lost response changes nothing.
 */
export async function sendFhir(
  input: SendInput & { destination: FhirDestinationConfig },
): Promise<SendOutcome> {
  const d = input.destination;
  const resource = toDiagnosticReport({ report: input.report, pdf: input.pdf(), corrected: input.corrected });
  // The server assigns its own id on create; the identifier is what matches.
  delete resource.id;
  const url = `${d.baseUrl}/DiagnosticReport?identifier=${encodeURIComponent(`urn:confer:report|${input.report.reportId}`)}`;
  const timeoutMs = d.timeoutMs ?? input.settings.connectTimeoutMs + input.settings.ackTimeoutMs;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'PUT',
      headers: {
        'content-type': 'application/fhir+json',
        accept: 'application/fhir+json',
        'x-request-id': input.controlId,
        ...(d.bearerToken ? { authorization: `Bearer ${d.bearerToken}` } : {}),
      },
      body: JSON.stringify(resource),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error;
    const why =
      e.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : ((e.cause as Error | undefined)?.message ?? e.message);
    return { outcome: 'error', ackCode: null, error: `PUT ${d.baseUrl}/DiagnosticReport failed: ${why}` };
  }
  const body = await res.text().catch(() => '');
  if (res.ok) return { outcome: 'accepted', ackCode: String(res.status) };
  return {
    outcome: res.status >= 500 || res.status === 429 ? 'error' : 'rejected',
    ackCode: String(res.status),
    error: `HTTP ${res.status}${body ? `: ${describeFhirError(body)}` : ''}`,
  };
}

/** Sends one delivery by its destination's type. */
export function sendToDestination(input: SendInput): Promise<SendOutcome> {
  const d = input.destination;
  return d.type === 'hl7-mllp'
    ? sendHl7({ ...input, destination: d })
    : sendFhir({ ...input, destination: d });
}
