import { type FormEvent, useId, useState } from 'react';
import { Modality, modalityLabels } from '../modalities.ts';
import {
  DatePreset,
  datePresetRange,
  emptyStudyFilters,
  type StudyFilters,
  studyFiltersProblem,
} from '../qido-query.ts';

interface StudyFilterFormProps {
  /** The filters of the search on screen, which the form starts from. */
  initial: StudyFilters;
  onSearch: (filters: StudyFilters) => void;
  /** Injected so date presets are computed from one clock. */
  now: () => Date;
}

const presets: { preset: DatePreset; label: string }[] = [
  { preset: DatePreset.Today, label: 'Today' },
  { preset: DatePreset.Last7Days, label: 'Last 7 days' },
  { preset: DatePreset.Last30Days, label: 'Last 30 days' },
  { preset: DatePreset.AnyDate, label: 'Any date' },
];

/**
 * The study search form. Typing changes nothing until Search (or Enter), because each search is a
 * query against the archive, not a local filter; the date presets search at once since they are a
 * choice, not typing.
 */
export function StudyFilterForm({ initial, onSearch, now }: StudyFilterFormProps) {
  const [draft, setDraft] = useState<StudyFilters>(initial);
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();
  const problemId = `${id}-problem`;

  function update(field: keyof StudyFilters, value: string) {
    setDraft((current) => ({ ...current, [field]: value }));
  }

  function submit(filters: StudyFilters) {
    const reason = studyFiltersProblem(filters);
    setProblem(reason ?? null);
    if (reason === undefined) onSearch(filters);
  }

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    submit(draft);
  }

  function applyPreset(preset: DatePreset) {
    const next = { ...draft, ...datePresetRange(preset, now()) };
    setDraft(next);
    submit(next);
  }

  function clear() {
    setDraft(emptyStudyFilters);
    submit(emptyStudyFilters);
  }

  const dateInvalid = problem !== null;
  return (
    // noValidate: the date inputs carry min/max to guide the picker, but a reversed range should get our
    // message, which says what is wrong, not the browser's generic bubble that blocks the submit.
    <form className="filters" onSubmit={handleSubmit} aria-label="Study search" noValidate>
      <div className="filter-grid">
        <div className="field">
          <label htmlFor={`${id}-name`}>Patient name</label>
          <input
            id={`${id}-name`}
            value={draft.patientName}
            onChange={(e) => update('patientName', e.target.value)}
            aria-describedby={`${id}-name-hint`}
            autoComplete="off"
            spellCheck={false}
          />
          <span className="hint" id={`${id}-name-hint`}>
            Family name first; matches the start, e.g. “Doe, J”
          </span>
        </div>
        <div className="field">
          <label htmlFor={`${id}-pid`}>Patient ID</label>
          <input
            id={`${id}-pid`}
            value={draft.patientId}
            onChange={(e) => update('patientId', e.target.value)}
            aria-describedby={`${id}-pid-hint`}
            autoComplete="off"
            spellCheck={false}
          />
          <span className="hint" id={`${id}-pid-hint`}>
            Exact match; * stands for any characters
          </span>
        </div>
        <div className="field">
          <label htmlFor={`${id}-acc`}>Accession number</label>
          <input
            id={`${id}-acc`}
            value={draft.accessionNumber}
            onChange={(e) => update('accessionNumber', e.target.value)}
            aria-describedby={`${id}-acc-hint`}
            autoComplete="off"
            spellCheck={false}
          />
          <span className="hint" id={`${id}-acc-hint`}>
            Exact match; * stands for any characters
          </span>
        </div>
        <div className="field">
          <label htmlFor={`${id}-mod`}>Modality</label>
          <select
            id={`${id}-mod`}
            value={draft.modality}
            onChange={(e) => update('modality', e.target.value)}
          >
            <option value="">Any modality</option>
            {Object.values(Modality).map((code) => (
              <option key={code} value={code}>
                {code} – {modalityLabels[code]}
              </option>
            ))}
          </select>
        </div>
        <fieldset className="field date-range">
          <legend>Study date</legend>
          <div className="date-inputs">
            <label htmlFor={`${id}-from`} className="visually-hidden">
              From
            </label>
            <input
              id={`${id}-from`}
              type="date"
              value={draft.dateFrom}
              max={draft.dateTo || undefined}
              onChange={(e) => update('dateFrom', e.target.value)}
              aria-invalid={dateInvalid || undefined}
              aria-describedby={dateInvalid ? problemId : undefined}
            />
            <span aria-hidden="true">to</span>
            <label htmlFor={`${id}-to`} className="visually-hidden">
              To
            </label>
            <input
              id={`${id}-to`}
              type="date"
              value={draft.dateTo}
              min={draft.dateFrom || undefined}
              onChange={(e) => update('dateTo', e.target.value)}
              aria-invalid={dateInvalid || undefined}
              aria-describedby={dateInvalid ? problemId : undefined}
            />
          </div>
          <div className="presets">
            {presets.map(({ preset, label }) => (
              <button
                key={preset}
                type="button"
                className="button button-chip"
                onClick={() => applyPreset(preset)}
              >
                {label}
              </button>
            ))}
          </div>
        </fieldset>
      </div>
      {problem && (
        <p className="field-error" id={problemId} role="alert">
          {problem}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button button-primary">
          Search
        </button>
        <button type="button" className="button button-secondary" onClick={clear}>
          Clear
        </button>
      </div>
    </form>
  );
}
