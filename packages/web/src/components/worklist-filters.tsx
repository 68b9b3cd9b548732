import { useEffect, useId, useState } from 'react';
import type { Site } from '../api-client.ts';
import {
  caseStateLabels,
  exceptionQueueLabels,
  exceptionQueues,
  filterableStates,
  labelOf,
  priorities,
  priorityLabels,
  slaStateLabels,
  slaStates,
} from '../worklist-model.ts';
import { activeFilterCount, toggleValue, type WorklistFilters } from '../worklist-view.ts';

/** Modalities offered as filters: what a reading room sees most. */
const modalityChoices = ['CT', 'MR', 'CR', 'DX', 'US', 'MG', 'NM', 'PT', 'XA'] as const;

interface WorklistFiltersProps {
  filters: WorklistFilters;
  sites: Site[];
  /** Offer "mine only": the caller is a reader. */
  offerMine: boolean;
  /** Offer the exception queues: the caller is a coordinator. */
  offerExceptions: boolean;
  onChange: (filters: WorklistFilters) => void;
}

interface ChipGroupProps {
  legend: string;
  values: readonly string[];
  selected: readonly string[];
  label: (value: string) => string;
  onToggle: (value: string) => void;
  tone?: (value: string) => string;
}

/** A group of checkboxes drawn as chips: each filter value is its own labelled control. */
function ChipGroup({ legend, values, selected, label, onToggle, tone }: ChipGroupProps) {
  return (
    <fieldset className="chip-group">
      <legend>{legend}</legend>
      <div className="chips">
        {values.map((value) => (
          <label key={value} className={`chip ${tone ? tone(value) : ''}`}>
            <input type="checkbox" checked={selected.includes(value)} onChange={() => onToggle(value)} />
            <span>{label(value)}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/**
 * The worklist's filters. Choices apply at once (the list is live anyway); the text search waits for a
 * pause in typing so each keystroke does not ask the server.
 */
export function WorklistFilterBar({
  filters,
  sites,
  offerMine,
  offerExceptions,
  onChange,
}: WorklistFiltersProps) {
  const searchId = useId();
  const hintId = useId();
  const [text, setText] = useState(filters.text);

  useEffect(() => {
    setText(filters.text);
  }, [filters.text]);

  useEffect(() => {
    if (text === filters.text) return;
    const timer = setTimeout(() => onChange({ ...filters, text }), 300);
    return () => clearTimeout(timer);
  }, [text, filters, onChange]);

  const set = (patch: Partial<WorklistFilters>) => onChange({ ...filters, ...patch });
  const count = activeFilterCount(filters);

  return (
    <section className="filters worklist-filters" aria-label="Worklist filters">
      <div className="filter-row">
        <div className="field field-search">
          <label htmlFor={searchId}>Search</label>
          <input
            id={searchId}
            type="search"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') set({ text });
            }}
            aria-describedby={hintId}
            autoComplete="off"
            spellCheck={false}
          />
          <span className="hint" id={hintId}>
            Patient name or ID, accession, procedure
          </span>
        </div>
        {offerMine && (
          <label className="chip chip-toggle">
            <input type="checkbox" checked={filters.mine} onChange={(e) => set({ mine: e.target.checked })} />
            <span>Mine only</span>
          </label>
        )}
        <button
          type="button"
          className="button button-secondary button-small"
          onClick={() => {
            setText('');
            onChange({
              ...filters,
              states: [],
              priorities: [],
              modalities: [],
              sites: [],
              sla: [],
              exceptions: [],
              mine: false,
              text: '',
            });
          }}
          disabled={count === 0}
        >
          Clear filters{count > 0 ? ` (${count})` : ''}
        </button>
      </div>
      <div className="filter-groups">
        <ChipGroup
          legend="State"
          values={filterableStates}
          selected={filters.states}
          label={(v) => labelOf(caseStateLabels, v)}
          onToggle={(v) => set({ states: toggleValue(filters.states, v) })}
        />
        <ChipGroup
          legend="Priority"
          values={priorities}
          selected={filters.priorities}
          label={(v) => labelOf(priorityLabels, v)}
          onToggle={(v) => set({ priorities: toggleValue(filters.priorities, v) })}
          tone={(v) => `chip-priority-${v}`}
        />
        <ChipGroup
          legend="SLA"
          values={slaStates}
          selected={filters.sla}
          label={(v) => labelOf(slaStateLabels, v)}
          onToggle={(v) => set({ sla: toggleValue(filters.sla, v) })}
          tone={(v) => `chip-sla-${v}`}
        />
        <ChipGroup
          legend="Modality"
          values={modalityChoices}
          selected={filters.modalities}
          label={(v) => v}
          onToggle={(v) => set({ modalities: toggleValue(filters.modalities, v) })}
        />
        {(offerExceptions || filters.exceptions.length > 0) && (
          <ChipGroup
            legend="Exception queue"
            values={exceptionQueues}
            selected={filters.exceptions}
            label={(v) => labelOf(exceptionQueueLabels, v)}
            onToggle={(v) => set({ exceptions: toggleValue(filters.exceptions, v) })}
          />
        )}
        {sites.length > 0 && (
          <ChipGroup
            legend="Site"
            values={sites.map((s) => s.id)}
            selected={filters.sites}
            label={(v) => sites.find((s) => s.id === v)?.name ?? v}
            onToggle={(v) => set({ sites: toggleValue(filters.sites, v) })}
          />
        )}
      </div>
    </section>
  );
}
