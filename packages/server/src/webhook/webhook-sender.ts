import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed webhook delivery: an HTTP POST of a JSON body to a configured URL. The receiver checks
 * `X-Confer-Signature: sha256=<hex>`, the HMAC-SHA256 with the shared secret of `<timestamp>.<body>`, where
 * the timestamp (Unix seconds) is sent in `X-Confer-Timestamp`; signing the timestamp lets a receiver refuse
 * replays older than a few minutes.
 */

export interface WebhookTarget {
  url: string;
  secret: string;
  timeoutMs?: number;
}

export const SIGNATURE_HEADER = 'x-confer-signature';
export const TIMESTAMP_HEADER = 'x-confer-timestamp';
export const DELIVERY_HEADER = 'x-confer-delivery';

/** The signature header's value for a body sent at `timestamp` (Unix seconds). */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Checks a received signature in constant time; receivers (and tests) use it. */
export function verifyWebhookSignature(
  secret: string,
  timestamp: number,
  body: string,
  signature: string,
): boolean {
  const expected = Buffer.from(webhookSignature(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** A delivery the receiver did not accept: the HTTP status when there was one. */
export class WebhookError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'WebhookError';
    this.status = status;
  }
}

/** Posts `payload`; resolves on a 2xx answer, rejects with a WebhookError otherwise. */
export async function postWebhook(
  target: WebhookTarget,
  deliveryId: string,
  payload: unknown,
  now: Date = new Date(),
): Promise<void> {
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(now.getTime() / 1000);
  let res: Response;
  try {
    res = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: webhookSignature(target.secret, timestamp, body),
        [TIMESTAMP_HEADER]: String(timestamp),
        [DELIVERY_HEADER]: deliveryId,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(target.timeoutMs ?? 10_000),
    });
  } catch (err) {
    throw new WebhookError(`webhook ${new URL(target.url).host} unreachable: ${(err as Error).message}`);
  }
  // The body is read so the connection can be reused, and dropped: receivers echo nothing we need.
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status > 299)
    throw new WebhookError(`webhook ${new URL(target.url).host} answered ${res.status}`, res.status);
}
