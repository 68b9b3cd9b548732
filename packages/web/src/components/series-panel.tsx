import { useMemo } from 'react';
import { useApi } from '../api-context.ts';
import { studyViewerHref } from '../app-route.ts';
import { sortSeries, toSeriesRow } from '../study-rows.ts';
import { RequestStatus, useRequest } from '../use-request.ts';
import { ErrorNotice } from './error-notice.tsx';

interface SeriesPanelProps {
  studyUid: string;
  /** Names the study in the panel's label, e.g. "Doe, Jane, 2024-01-15". */
  studyLabel: string;
}

/** The series of one study, loaded when the study is opened. */
export function SeriesPanel({ studyUid, studyLabel }: SeriesPanelProps) {
  const api = useApi();
  const { state, reload } = useRequest(studyUid, (signal) => api.studySeries(studyUid, signal));
  const rows = useMemo(() => (state.data ? sortSeries(state.data.map(toSeriesRow)) : []), [state.data]);

  return (
    <section className="series-panel" aria-label={`Series of ${studyLabel}`}>
      {state.status === RequestStatus.Loading && (
        <p className="muted" role="status">
          Loading series…
        </p>
      )}
      {state.status === RequestStatus.Failure && <ErrorNotice problem={state.problem} onRetry={reload} />}
      {state.status === RequestStatus.Success && rows.length === 0 && (
        <p className="muted" role="status">
          This study has no series yet. Images may still be arriving.
        </p>
      )}
      {state.status === RequestStatus.Success && rows.length > 0 && (
        <p>
          <a className="button button-secondary" href={studyViewerHref(studyUid)}>
            Open in viewer
          </a>
        </p>
      )}
      {state.status === RequestStatus.Success && rows.length > 0 && (
        <table className="data-table series-table">
          <caption className="visually-hidden">Series of {studyLabel}</caption>
          <thead>
            <tr>
              <th scope="col" className="numeric">
                Number
              </th>
              <th scope="col">Modality</th>
              <th scope="col">Description</th>
              <th scope="col">Body part</th>
              <th scope="col" className="numeric">
                Instances
              </th>
              <th scope="col">Series UID</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((series, index) => (
              <tr key={series.seriesUid || index}>
                <td className="numeric">{series.seriesNumber ?? '—'}</td>
                <td>{series.modality || '—'}</td>
                <td>{series.description || <span className="muted">No description</span>}</td>
                <td>{series.bodyPart || '—'}</td>
                <td className="numeric">{series.instanceCount ?? '—'}</td>
                <td>
                  <code className="uid">{series.seriesUid}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
