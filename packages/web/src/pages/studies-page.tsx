import { useId, useMemo, useState } from 'react';
import { useApi } from '../api-context.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { StudiesTable } from '../components/studies-table.tsx';
import { StudyFilterForm } from '../components/study-filter-form.tsx';
import { emptyStudyFilters, type StudyFilters } from '../qido-query.ts';
import { SortDirection, type StudySort, StudySortKey, sortStudies, toStudyRow } from '../study-rows.ts';
import { RequestStatus, useRequest } from '../use-request.ts';

const pageSizes = [25, 50, 100] as const;

interface StudiesPageProps {
  now: () => Date;
}

/** Search the archive's studies (QIDO-RS) and open one to see its series. */
export function StudiesPage({ now }: StudiesPageProps) {
  const api = useApi();
  const [filters, setFilters] = useState<StudyFilters>(emptyStudyFilters);
  const [pageSize, setPageSize] = useState<number>(50);
  const [offset, setOffset] = useState(0);
  const [sort, setSort] = useState<StudySort>({
    key: StudySortKey.StudyDate,
    direction: SortDirection.Descending,
  });
  const [expandedUid, setExpandedUid] = useState<string | null>(null);
  const pageSizeId = useId();

  const { state, reload } = useRequest(JSON.stringify({ filters, pageSize, offset }), (signal) =>
    api.searchStudies(filters, { pageSize, offset }, signal),
  );
  const rows = useMemo(
    () => (state.data ? sortStudies(state.data.datasets.map(toStudyRow), sort) : []),
    [state.data, sort],
  );
  const loading = state.status === RequestStatus.Loading;
  const hasMore = state.data?.hasMore ?? false;

  function search(next: StudyFilters) {
    setFilters(next);
    setOffset(0);
    setExpandedUid(null);
    // The same filters again means "refresh": the key would not change, so ask explicitly.
    if (JSON.stringify(next) === JSON.stringify(filters) && offset === 0) reload();
  }

  function goTo(nextOffset: number) {
    setOffset(Math.max(0, nextOffset));
    setExpandedUid(null);
  }

  let status: string;
  if (loading) status = 'Searching…';
  else if (state.status === RequestStatus.Failure) status = 'The search failed.';
  else if (rows.length === 0) status = offset === 0 ? 'No studies match these filters.' : 'No more studies.';
  else status = `Showing studies ${offset + 1}–${offset + rows.length}${hasMore ? '' : ' (last page)'}.`;

  return (
    <>
      <div className="page-heading">
        <h1 tabIndex={-1}>Studies</h1>
      </div>
      <StudyFilterForm initial={filters} onSearch={search} now={now} />

      <div className="results-bar">
        <p className="results-status" role="status">
          {status}
        </p>
        <p className="hint">Sorting applies to the studies on this page.</p>
      </div>

      {state.status === RequestStatus.Failure && <ErrorNotice problem={state.problem} onRetry={reload} />}
      {rows.length > 0 && (
        <StudiesTable
          rows={rows}
          sort={sort}
          onSort={setSort}
          expandedUid={expandedUid}
          onToggle={(uid) => setExpandedUid((current) => (current === uid ? null : uid))}
          busy={loading}
        />
      )}

      <nav className="pager" aria-label="Result pages">
        <button
          type="button"
          className="button button-secondary"
          onClick={() => goTo(offset - pageSize)}
          disabled={loading || offset === 0}
        >
          ← Previous
        </button>
        <button
          type="button"
          className="button button-secondary"
          onClick={() => goTo(offset + pageSize)}
          disabled={loading || !hasMore}
        >
          Next →
        </button>
        <div className="field field-inline">
          <label htmlFor={pageSizeId}>Studies per page</label>
          <select
            id={pageSizeId}
            value={pageSize}
            onChange={(e) => {
              setPageSize(Number(e.target.value));
              goTo(0);
            }}
          >
            {pageSizes.map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </div>
      </nav>
    </>
  );
}
