// The browser's calls to the reporting API (templates, the case's report, drafts, signing, diffs) and to the
// viewer's annotations, whose measurements the editor inserts. Same origin, session cookie; failures come
// back as ProblemError like every other call.

import type { DiffOp, ReportContent, ReportTemplate, SignedReportKind } from '@confer/core';
import { requestJson } from '../json-request.ts';
import { networkProblem, ProblemError, problemFromResponse } from '../problem.ts';

export type { DiffOp, ReportContent, ReportTemplate, SignedReportKind };

export type ReportStatus = 'none' | 'draft' | 'preliminary' | 'final' | 'addended';

export interface ReportVersionView {
  version: number;
  kind: SignedReportKind;
  author: { name: string; readerId: string | null };
  signedAt: string;
  content: ReportContent;
  text: string;
}

export interface ReportView {
  id: string;
  caseId: string;
  status: ReportStatus;
  revision: number;
  draft: {
    content: ReportContent;
    savedBy: { name: string; readerId: string | null };
    savedAt: string;
  } | null;
  versions: ReportVersionView[];
  scope: 'all' | 'final-only';
  canWrite: boolean;
}

export interface TemplateChoiceForCase {
  template: ReportTemplate | undefined;
  summary: string;
  candidates: { templateId: string; name: string; matched: boolean; specificity: number; why: string[] }[];
  draft: ReportContent;
}

export interface StoredTemplate {
  template: ReportTemplate;
  revision: number;
  updatedAt: string;
  updatedBy: string;
}

export interface ReportDiff {
  from: number | 'draft';
  to: number | 'draft';
  ops: DiffOp[];
  added: number;
  removed: number;
}

/** A viewer annotation as GET /api/cases/:id/annotations sends it (only what the editor uses). */
export interface CaseAnnotation {
  id: string;
  label: string;
  where: string;
  summary?: string;
  measurements: { name: string; value: number; unit: string; text?: string }[];
}

/** The editor's requests: JSON over the session, no HTTP cache, failures as ProblemErrors (json-request.ts). */
function call<T>(
  path: string,
  init: { method?: 'GET' | 'POST' | 'PUT'; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  return requestJson<T>(init.method ?? 'GET', path, {
    ...(init.body === undefined ? {} : { body: init.body }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

const enc = encodeURIComponent;
const opts = (signal?: AbortSignal) => (signal ? { signal } : {});

export async function getReport(caseId: string, signal?: AbortSignal): Promise<ReportView> {
  return (await call<{ report: ReportView }>(`/api/cases/${enc(caseId)}/report`, opts(signal))).report;
}

export function templateForCase(caseId: string, signal?: AbortSignal): Promise<TemplateChoiceForCase> {
  return call(`/api/cases/${enc(caseId)}/report/template`, opts(signal));
}

export async function listTemplates(signal?: AbortSignal): Promise<StoredTemplate[]> {
  return (await call<{ templates: StoredTemplate[] }>('/api/report-templates', opts(signal))).templates;
}

export async function saveDraft(
  caseId: string,
  expectedRevision: number,
  content: ReportContent,
): Promise<ReportView> {
  return (
    await call<{ report: ReportView }>(`/api/cases/${enc(caseId)}/report/draft`, {
      method: 'PUT',
      body: { expectedRevision, content },
    })
  ).report;
}

export async function signReport(
  caseId: string,
  input: { kind: SignedReportKind; password: string; expectedRevision: number; content: ReportContent },
): Promise<ReportView> {
  return (
    await call<{ report: ReportView }>(`/api/cases/${enc(caseId)}/report/sign`, {
      method: 'POST',
      body: input,
    })
  ).report;
}

export function diffVersions(
  caseId: string,
  from: number | 'draft',
  to: number | 'draft',
  signal?: AbortSignal,
): Promise<ReportDiff> {
  const q = new URLSearchParams({ from: String(from), to: String(to) });
  return call(`/api/cases/${enc(caseId)}/report/diff?${q}`, opts(signal));
}

/** The viewer's annotations on the case; an empty list when the viewer's API is not there or not allowed. */
export async function caseAnnotations(caseId: string, signal?: AbortSignal): Promise<CaseAnnotation[]> {
  try {
    const body = await call<{ annotations?: CaseAnnotation[] }>(
      `/api/cases/${enc(caseId)}/annotations`,
      opts(signal),
    );
    return Array.isArray(body.annotations) ? body.annotations : [];
  } catch (error) {
    if (error instanceof ProblemError && (error.status === 404 || error.status === 403)) return [];
    throw error;
  }
}

/** Creates (`create`) or replaces a template; a 422 problem lists every error with its JSON path. */
export function saveTemplate(doc: unknown, mode: 'create' | 'replace', id?: string): Promise<StoredTemplate> {
  return mode === 'create'
    ? call('/api/report-templates', { method: 'POST', body: doc })
    : call(`/api/report-templates/${enc(id ?? '')}`, { method: 'PUT', body: doc });
}

export async function deleteTemplate(id: string): Promise<void> {
  const response = await fetch(`/api/report-templates/${enc(id)}`, {
    method: 'DELETE',
    credentials: 'same-origin',
    headers: { Accept: 'application/problem+json' },
  }).catch(() => {
    throw new ProblemError(networkProblem());
  });
  if (!response.ok)
    throw new ProblemError(
      problemFromResponse(response.status, response.headers.get('Content-Type'), await response.text()),
    );
}
