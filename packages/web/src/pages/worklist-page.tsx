import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { abilitiesOf, type User } from '../api-client.ts';
import { useApi } from '../api-context.ts';
import {
  type AppLocation,
  AppRoute,
  caseHref,
  hrefFor,
  navigate,
  rememberWorklistHref,
} from '../app-route.ts';
import type { Caller } from '../case-actions.ts';
import { caseLabel } from '../case-display.ts';
import { CommandOutcomeNotice } from '../components/command-outcome.tsx';
import { ErrorNotice } from '../components/error-notice.tsx';
import { LiveIndicator } from '../components/live-indicator.tsx';
import { LiveRegion } from '../components/live-region.tsx';
import { ReasonDialog } from '../components/reason-dialog.tsx';
import { WorklistFilterBar } from '../components/worklist-filters.tsx';
import { type RowAction, WorklistTable } from '../components/worklist-table.tsx';
import { useLiveWorklist } from '../live-worklist.tsx';
import { type Problem, toProblem } from '../problem.ts';
import { zoneAbbreviation } from '../time-format.ts';
import { useCaseCommands } from '../use-case-commands.ts';
import { useDirectory } from '../use-directory.ts';
import { useLiveCases } from '../use-live-cases.ts';
import { useNow } from '../use-now.ts';
import { type CaseSummary, labelOf, priorityLabels } from '../worklist-model.ts';
import {
  activeFilterCount,
  effectiveSort,
  matchesView,
  parseView,
  type SortColumn,
  serverSort,
  toggleSort,
  viewToUrlParams,
  type WorklistFilters,
  type WorklistView,
} from '../worklist-view.ts';

interface WorklistPageProps {
  user: User;
  location: AppLocation;
  now: () => Date;
}

/** How long a case that arrived live stays highlighted. */
const freshForMs = 8000;

/**
 * The shared worklist: a reader's own cases (coordinators see every case), live, filtered and sorted as
 * the URL says, with claim, next case and the reader's finishing actions.
 */
export function WorklistPage({ user, location, now }: WorklistPageProps) {
  const api = useApi();
  const abilities = abilitiesOf(user);
  const directory = useDirectory();
  const live = useLiveWorklist();
  const nowMs = useNow(now);
  // The text search stays out of the URL (patient names); it lives as long as the page.
  const [text, setText] = useState('');
  const query = location.params.toString();
  const urlView = useMemo(() => parseView(new URLSearchParams(query)), [query]);
  const view = useMemo<WorklistView>(
    () => ({ ...urlView, filters: { ...urlView.filters, text } }),
    [urlView, text],
  );
  const you = directory.you;
  const caller = useMemo<Caller>(
    () => ({ readerId: you, canRead: abilities.read, canManage: abilities.manage }),
    [you, abilities.read, abilities.manage],
  );
  const { cases, loaded, loading, more, problem, reload, apply } = useLiveCases(view, you);
  const commands = useCaseCommands(apply);
  const [dialogCase, setDialogCase] = useState<CaseSummary | null>(null);
  const [nextBusy, setNextBusy] = useState(false);
  const [nextProblem, setNextProblem] = useState<Problem | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [freshIds, setFreshIds] = useState<ReadonlySet<string>>(new Set());

  useEffect(() => {
    rememberWorklistHref(hrefFor(AppRoute.Worklist, new URLSearchParams(query)));
  }, [query]);

  const setView = useCallback((next: WorklistView) => {
    setText(next.filters.text);
    navigate(hrefFor(AppRoute.Worklist, viewToUrlParams(next)), { replace: true });
  }, []);
  const setFilters = useCallback(
    (filters: WorklistFilters) => setView({ ...view, filters }),
    [setView, view],
  );
  const onSort = (column: SortColumn, additive: boolean) =>
    setView({ ...view, sort: toggleSort(view.sort, column, additive) });

  // Cases that arrive on the stream (not by loading) are highlighted and announced.
  const shown = useRef(new Set<string>());
  useEffect(() => {
    shown.current = new Set(cases.map((c) => c.id));
  }, [cases]);
  const viewRef = useRef({ view, you });
  useEffect(() => {
    viewRef.current = { view, you };
  });
  const { subscribe } = live;
  useEffect(() => {
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const unsubscribe = subscribe((message) => {
      if (message.type !== 'case') return;
      const c = message.summary;
      const { view: v, you: me } = viewRef.current;
      if (shown.current.has(c.id) || !matchesView(c, v.filters, me)) return;
      setFreshIds((ids) => new Set(ids).add(c.id));
      setAnnouncement(`New case: ${caseLabel(c)}, ${labelOf(priorityLabels, c.priority)}.`);
      const timer = setTimeout(() => {
        timers.delete(timer);
        setFreshIds((ids) => {
          const rest = new Set(ids);
          rest.delete(c.id);
          return rest;
        });
      }, freshForMs);
      timers.add(timer);
    });
    return () => {
      unsubscribe();
      for (const timer of timers) clearTimeout(timer);
    };
  }, [subscribe]);

  async function onAction(c: CaseSummary, action: RowAction) {
    if (action === 'unreadable') {
      setDialogCase(c);
      return;
    }
    const after = await commands.run(c, action);
    // Claiming is opening: the case page keeps the claim alive while the reader works.
    if (after && action === 'claim') navigate(caseHref(after.id));
  }

  async function nextCase() {
    setNextBusy(true);
    setNextProblem(null);
    try {
      const c = await api.nextCase(serverSort(effectiveSort(view.sort)));
      apply(c);
      navigate(caseHref(c.id));
    } catch (error) {
      setNextProblem(toProblem(error));
    } finally {
      setNextBusy(false);
    }
  }

  const zone = zoneAbbreviation(nowMs);
  const countText = !loaded
    ? loading
      ? 'Loading the worklist…'
      : ''
    : `${cases.length} ${cases.length === 1 ? 'case' : 'cases'}${more ? ' (more not shown)' : ''}`;
  const heading = abilities.manage ? 'Worklist (all cases)' : 'My worklist';

  return (
    <>
      <div className="page-heading page-heading-row">
        <div>
          <h1 tabIndex={-1}>{heading}</h1>
          <p className="results-status">{countText}</p>
        </div>
        <div className="heading-actions">
          <LiveIndicator status={live.status} />
          {abilities.read && (
            <button type="button" className="button button-primary" onClick={nextCase} disabled={nextBusy}>
              {nextBusy ? 'Finding…' : 'Next case'}
            </button>
          )}
          <button type="button" className="button button-secondary" onClick={reload} disabled={loading}>
            Refresh
          </button>
        </div>
      </div>

      <WorklistFilterBar
        filters={view.filters}
        sites={directory.sites}
        offerMine={abilities.read}
        offerExceptions={abilities.manage}
        onChange={setFilters}
      />

      {nextProblem && (
        <div className="notice notice-error" role="alert">
          <p className="notice-title">No next case</p>
          <p>{nextProblem.detail ?? nextProblem.title}</p>
          <button
            type="button"
            className="button button-secondary button-small"
            onClick={() => setNextProblem(null)}
          >
            Dismiss
          </button>
        </div>
      )}
      <CommandOutcomeNotice outcome={commands.outcome} onDismiss={commands.clear} />
      {problem && <ErrorNotice problem={problem} onRetry={reload} />}

      {loaded && cases.length === 0 && !problem && (
        <p className="notice notice-info">
          {activeFilterCount(view.filters) > 0
            ? 'No cases match these filters.'
            : abilities.manage
              ? 'There is no live work on the worklist.'
              : 'Nothing is waiting for you right now. New cases appear here as they are routed to you.'}
        </p>
      )}
      {cases.length > 0 && (
        <WorklistTable
          cases={cases}
          sort={view.sort}
          onSort={onSort}
          caller={caller}
          nowMs={nowMs}
          zone={zone}
          readerName={directory.readerName}
          siteName={directory.siteName}
          busyCaseId={commands.busyCaseId}
          freshIds={freshIds}
          onAction={onAction}
          busy={loading}
          caption={heading}
        />
      )}
      {more && (
        <p className="hint">
          Only the first {cases.length} cases are shown. Narrow the filters, or use Next case, which always
          takes the most urgent.
        </p>
      )}
      <LiveRegion message={announcement} />

      <ReasonDialog
        open={dialogCase !== null}
        title="Mark unreadable"
        description={
          dialogCase && (
            <p>
              {caseLabel(dialogCase)} goes to the coordinators&rsquo; unreadable queue. Say what is wrong, so
              they can fix it (e.g. motion artefact, missing series).
            </p>
          )
        }
        label="Reason"
        required
        confirmLabel="Mark unreadable"
        busy={dialogCase !== null && commands.busyCaseId === dialogCase.id}
        onCancel={() => setDialogCase(null)}
        onConfirm={async (reason) => {
          if (!dialogCase) return;
          await commands.run(dialogCase, 'unreadable', { reason });
          setDialogCase(null);
        }}
      />
    </>
  );
}
