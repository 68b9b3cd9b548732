import type { FastifyRequest } from 'fastify';
import { ErrorCode, ProblemError } from '../http/errors.ts';

/** Where DICOMweb is mounted; RetrieveURL and BulkDataURI values are built under it. */
export const DICOMWEB_PREFIX = '/dicomweb';

/**
 * The absolute base URI of the service as this client reached it (scheme, Host header, prefix), so
 * RetrieveURL and BulkDataURI values work for the caller whichever name or port it used.
 */
export function serviceBase(request: FastifyRequest): string {
  const host = request.host || 'localhost';
  return `${request.protocol}://${host}${DICOMWEB_PREFIX}`;
}

/** The WADO-RS URL of a study (also its RetrieveURL); seriesUrl and instanceUrl likewise. */
export function studyUrl(base: string, studyUid: string): string {
  return `${base}/studies/${studyUid}`;
}

export function seriesUrl(base: string, studyUid: string, seriesUid: string): string {
  return `${base}/studies/${studyUid}/series/${seriesUid}`;
}

export function instanceUrl(
  base: string,
  studyUid: string,
  seriesUid: string,
  sopInstanceUid: string,
): string {
  return `${base}/studies/${studyUid}/series/${seriesUid}/instances/${sopInstanceUid}`;
}

const UID = /^[0-9]+(\.[0-9]+)*$/;

/** A UID from the request path; PS3.5 9.1: digits and dots, at most 64 characters. Otherwise 400. */
export function pathUid(value: string | undefined, what: string): string {
  if (value === undefined || value.length > 64 || !UID.test(value)) {
    throw new ProblemError(
      400,
      ErrorCode.BadRequest,
      `"${String(value).slice(0, 80)}" is not a valid ${what}: UIDs are digits and dots, at most 64 characters (PS3.5 9.1)`,
    );
  }
  return value;
}
