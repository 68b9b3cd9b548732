// The viewer's requests: DICOMweb (QIDO-RS, WADO-RS metadata) and the annotations API, on the same origin
// with the session cookie. Kept beside the viewer so the worklist bundle does not carry them.

import type { ImagePoint, MeasuredValue } from '@confer/core';
import { networkProblem, ProblemError, problemFromResponse } from '../problem.ts';
import type { DicomJsonElement } from './stack-geometry.ts';

export type DicomJson = Record<string, DicomJsonElement>;

export interface SavedAnnotation {
  id: string;
  caseId: string;
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
  frameNumber: number;
  seriesNumber: number | null;
  instanceNumber: number | null;
  where: string;
  tool: 'length' | 'angle' | 'ellipse' | 'rectangle';
  label: string;
  points: ImagePoint[];
  measurements: (MeasuredValue & { text: string })[];
  summary: string;
  author: { username: string; name: string };
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
  version: number;
  link: string;
}

export interface NewAnnotation {
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
  frameNumber: number;
  tool: SavedAnnotation['tool'];
  label?: string;
  points: [number, number][];
  statistics?: { mean?: number; stdDev?: number; min?: number; max?: number; unit?: string };
}

export interface SrExportResult {
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
  retrieveUrl: string;
  exported: string[];
  notMapped: { id: string; tool: string; reason: string }[];
}

async function request(path: string, init: RequestInit & { accept: string }): Promise<Response> {
  const { accept, ...rest } = init;
  let response: Response;
  try {
    response = await fetch(path, {
      ...rest,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: `${accept}, application/problem+json`, ...rest.headers },
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ProblemError(networkProblem());
  }
  if (!response.ok)
    throw new ProblemError(
      problemFromResponse(response.status, response.headers.get('Content-Type'), await response.text()),
    );
  return response;
}

async function dicomJson(path: string, signal?: AbortSignal): Promise<DicomJson[]> {
  const r = await request(path, { accept: 'application/dicom+json', signal: signal ?? null });
  if (r.status === 204) return [];
  const text = await r.text();
  return text.trim() ? (JSON.parse(text) as DicomJson[]) : [];
}

async function json<T>(path: string, init: RequestInit = {}): Promise<T> {
  const r = await request(path, {
    ...init,
    accept: 'application/json',
    headers: init.body ? { 'Content-Type': 'application/json' } : {},
  });
  if (r.status === 204) return undefined as T;
  return (await r.json()) as T;
}

const enc = encodeURIComponent;

export const viewerApi = {
  studies: (params: URLSearchParams, signal?: AbortSignal) =>
    dicomJson(`/dicomweb/studies?${params}`, signal),
  series: (studyUid: string, signal?: AbortSignal) =>
    dicomJson(`/dicomweb/studies/${enc(studyUid)}/series?includefield=SeriesDescription`, signal),
  seriesMetadata: (studyUid: string, seriesUid: string, signal?: AbortSignal) =>
    dicomJson(`/dicomweb/studies/${enc(studyUid)}/series/${enc(seriesUid)}/metadata`, signal),
  caseDetail: (caseId: string, signal?: AbortSignal) =>
    json<{ case: { id: string; studyUid: string; patientId: string | null; patientName: string | null } }>(
      `/api/cases/${enc(caseId)}`,
      signal ? { signal } : {},
    ),
  annotations: async (caseId: string, signal?: AbortSignal) =>
    (
      await json<{ annotations: SavedAnnotation[] }>(
        `/api/cases/${enc(caseId)}/annotations`,
        signal ? { signal } : {},
      )
    ).annotations,
  createAnnotation: async (caseId: string, body: NewAnnotation) =>
    (
      await json<{ annotation: SavedAnnotation }>(`/api/cases/${enc(caseId)}/annotations`, {
        method: 'POST',
        body: JSON.stringify(body),
      })
    ).annotation,
  updateAnnotation: async (
    caseId: string,
    id: string,
    body: {
      version: number;
      label?: string;
      points?: [number, number][];
      statistics?: NewAnnotation['statistics'];
    },
  ) =>
    (
      await json<{ annotation: SavedAnnotation }>(`/api/cases/${enc(caseId)}/annotations/${enc(id)}`, {
        method: 'PUT',
        body: JSON.stringify(body),
      })
    ).annotation,
  deleteAnnotation: (caseId: string, id: string, version: number) =>
    json<void>(`/api/cases/${enc(caseId)}/annotations/${enc(id)}?version=${version}`, { method: 'DELETE' }),
  exportSr: (caseId: string) =>
    json<SrExportResult>(`/api/cases/${enc(caseId)}/annotations/sr`, { method: 'POST' }),
  /** The stored SR as a Part 10 file, for download. */
  instanceFile: async (retrieveUrl: string): Promise<Blob> =>
    (await request(retrieveUrl, { accept: 'application/dicom' })).blob(),
  annotationStreamUrl: (caseId: string) => `/api/cases/${enc(caseId)}/annotations/stream`,
};

/** The first value of an attribute in DICOM JSON, as a string. */
export function dicomString(ds: DicomJson | undefined, tag: string): string {
  const v = ds?.[tag]?.Value?.[0];
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return String((v as { Alphabetic?: string }).Alphabetic ?? '');
  return String(v);
}
