import { freeFormContent, type ReportContent } from '@confer/core';
import { useState } from 'react';
import type { User } from '../api-client.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { formatInstant } from '../format-instant.ts';
import { RequestStatus, useRequest } from '../use-request.ts';
import {
  type CaseAnnotation,
  caseAnnotations,
  getReport,
  listTemplates,
  type ReportTemplate,
  type ReportView,
  type TemplateChoiceForCase,
  templateForCase,
} from './report-api.ts';
import { ReportEditor } from './report-editor.tsx';
import { ReportHistory } from './report-history.tsx';
import { kindLabels, statusLabels } from './report-model.ts';
import './report.css';

interface Loaded {
  report: ReportView;
  templates: ReportTemplate[];
  suggestion: TemplateChoiceForCase | null;
  annotations: CaseAnnotation[];
}

async function load(caseId: string, signal: AbortSignal): Promise<Loaded> {
  const report = await getReport(caseId, signal);
  if (!report.canWrite) return { report, templates: [], suggestion: null, annotations: [] };
  const [templates, suggestion, annotations] = await Promise.all([
    listTemplates(signal).then((ts) => ts.map((t) => t.template).filter((t) => t.active !== false)),
    // The suggestion is only needed before the first save; afterwards the draft names its template.
    report.draft ? Promise.resolve(null) : templateForCase(caseId, signal),
    caseAnnotations(caseId, signal).catch(() => []),
  ]);
  return { report, templates, suggestion, annotations };
}

/**
 * The case's report on the case page: the editor for the reader who has the case (or who signed its final
 * report, for addenda), the signed text for everyone else who may read it, and the version history.
 */
export function ReportPanel({
  caseId,
  caseState,
  ownerId,
  onCaseChanged,
}: {
  caseId: string;
  user: User;
  /** The case's state and owner: when they change (claimed, signed), who may write changes too. */
  caseState: string;
  ownerId: string | null;
  onCaseChanged: () => void;
}) {
  const { state, reload } = useRequest(`${caseId}:${caseState}:${ownerId ?? ''}`, (signal) =>
    load(caseId, signal),
  );
  const data = state.data;
  // The editor saves without reloading the panel; the badge still says a draft now exists.
  const [drafted, setDrafted] = useState(false);
  if (state.status === RequestStatus.Failure) {
    // Someone who may not read the report (or not yet: a referrer before the final report) sees why.
    return (
      <section className="panel report-panel" aria-labelledby="report-heading">
        <h2 id="report-heading">Report</h2>
        <ErrorNotice problem={state.problem} onRetry={reload} />
      </section>
    );
  }
  if (!data) {
    return (
      <section className="panel report-panel" aria-labelledby="report-heading">
        <h2 id="report-heading">Report</h2>
        <p role="status">Loading the report…</p>
      </section>
    );
  }
  const { report } = data;
  const latest = report.versions.at(-1);
  const status = report.status === 'none' && drafted ? 'draft' : report.status;
  const initial: ReportContent =
    report.draft?.content ?? data.suggestion?.draft ?? freeFormContent('Imaging report');
  return (
    <section className="panel report-panel" aria-labelledby="report-heading">
      <div className="panel-heading-row">
        <h2 id="report-heading">Report</h2>
        <span className={`badge report-status report-status-${status}`}>{statusLabels[status]}</span>
      </div>
      {report.canWrite ? (
        <ReportEditor
          // A signature starts a new stage (final after preliminary, the next addendum): start it afresh.
          key={`${report.status}:${report.versions.length}`}
          caseId={caseId}
          report={report}
          initial={initial}
          templates={data.templates}
          suggestion={data.suggestion}
          annotations={data.annotations}
          onSaved={() => setDrafted(true)}
          onSigned={() => {
            reload();
            onCaseChanged();
          }}
        />
      ) : latest ? null : (
        <p className="muted">
          {report.draft
            ? `Being written by ${report.draft.savedBy.name} (last saved ${formatInstant(report.draft.savedAt)}).`
            : 'No report has been written yet.'}
        </p>
      )}
      {latest && (
        <div className="report-signed">
          <h3>
            {kindLabels[latest.kind]} report, v{latest.version}
          </h3>
          <p className="muted">
            Signed by {latest.author.name} on {formatInstant(latest.signedAt)}
          </p>
          <div className="report-text">{latest.text}</div>
        </div>
      )}
      {/* Keyed on the versions so the comparison defaults to the two newest after each signature. */}
      <ReportHistory key={report.versions.length} caseId={caseId} report={report} />
    </section>
  );
}
