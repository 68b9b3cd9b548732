import { Fragment } from 'react';
import { formatDicomDate, formatDicomTime } from '../dicom-json.ts';
import { SortDirection, type StudyRow, type StudySort, StudySortKey } from '../study-rows.ts';
import { SeriesPanel } from './series-panel.tsx';

interface StudiesTableProps {
  rows: StudyRow[];
  sort: StudySort;
  onSort: (sort: StudySort) => void;
  expandedUid: string | null;
  onToggle: (studyUid: string) => void;
  busy: boolean;
}

interface Column {
  key: StudySortKey;
  label: string;
  numeric?: boolean;
}

const columns: Column[] = [
  { key: StudySortKey.PatientName, label: 'Patient name' },
  { key: StudySortKey.PatientId, label: 'Patient ID' },
  { key: StudySortKey.StudyDate, label: 'Study date' },
  { key: StudySortKey.Modalities, label: 'Modalities' },
  { key: StudySortKey.Description, label: 'Description' },
  { key: StudySortKey.AccessionNumber, label: 'Accession' },
  { key: StudySortKey.SeriesCount, label: 'Series', numeric: true },
  { key: StudySortKey.InstanceCount, label: 'Instances', numeric: true },
  { key: StudySortKey.Institution, label: 'Sending site' },
];

// Newest first and biggest first are what people look for; names and IDs read best A to Z.
const firstDirection: Partial<Record<StudySortKey, SortDirection>> = {
  [StudySortKey.StudyDate]: SortDirection.Descending,
  [StudySortKey.SeriesCount]: SortDirection.Descending,
  [StudySortKey.InstanceCount]: SortDirection.Descending,
};

/**
 * The studies of one result page. Each patient name is a button that opens the study's series in a
 * row beneath it, so the keyboard path is Tab to a name, Enter to open.
 */
export function StudiesTable({ rows, sort, onSort, expandedUid, onToggle, busy }: StudiesTableProps) {
  function sortBy(key: StudySortKey) {
    if (key === sort.key) {
      const direction =
        sort.direction === SortDirection.Ascending ? SortDirection.Descending : SortDirection.Ascending;
      onSort({ key, direction });
    } else {
      onSort({ key, direction: firstDirection[key] ?? SortDirection.Ascending });
    }
  }

  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable so keyboard users can scroll it sideways (WCAG 2.1.1).
    <section className="table-scroll" aria-label="Studies" tabIndex={0}>
      <table className="data-table studies-table" aria-busy={busy}>
        <caption className="visually-hidden">
          Studies, sorted by {columns.find((c) => c.key === sort.key)?.label.toLowerCase()} {sort.direction}
        </caption>
        <thead>
          <tr>
            {columns.map((column) => {
              const active = column.key === sort.key;
              return (
                <th
                  key={column.key}
                  scope="col"
                  className={column.numeric ? 'numeric' : undefined}
                  aria-sort={active ? sort.direction : undefined}
                >
                  <button type="button" className="sort-button" onClick={() => sortBy(column.key)}>
                    {column.label}
                    <span className="sort-indicator" aria-hidden="true">
                      {active ? (sort.direction === SortDirection.Ascending ? '▲' : '▼') : '↕'}
                    </span>
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((study, index) => {
            const expanded = study.studyUid !== '' && study.studyUid === expandedUid;
            const seriesRowId = `study-series-${index}`;
            const label = [study.patientName || 'Unnamed patient', formatDicomDate(study.studyDate)]
              .filter(Boolean)
              .join(', ');
            return (
              <Fragment key={study.studyUid || index}>
                <tr className={expanded ? 'is-expanded' : undefined}>
                  <td>
                    <button
                      type="button"
                      className="study-toggle"
                      aria-expanded={expanded}
                      aria-controls={expanded ? seriesRowId : undefined}
                      disabled={study.studyUid === ''}
                      onClick={() => onToggle(study.studyUid)}
                    >
                      <span className="chevron" aria-hidden="true">
                        {expanded ? '▾' : '▸'}
                      </span>
                      {study.patientName || <span className="muted">Unnamed patient</span>}
                    </button>
                  </td>
                  <td>{study.patientId}</td>
                  <td className="nowrap">
                    {formatDicomDate(study.studyDate)}
                    {study.studyTime && <span className="muted"> {formatDicomTime(study.studyTime)}</span>}
                  </td>
                  <td>
                    {study.modalities.map((modality) => (
                      <span key={modality} className="badge">
                        {modality}
                      </span>
                    ))}
                  </td>
                  <td>{study.description}</td>
                  <td>{study.accessionNumber}</td>
                  <td className="numeric">{study.seriesCount ?? '—'}</td>
                  <td className="numeric">{study.instanceCount ?? '—'}</td>
                  <td>{study.institution}</td>
                </tr>
                {expanded && (
                  <tr className="series-row" id={seriesRowId}>
                    <td colSpan={columns.length}>
                      <SeriesPanel studyUid={study.studyUid} studyLabel={label} />
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
