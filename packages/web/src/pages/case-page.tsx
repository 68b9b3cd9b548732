import { useCallback, useEffect, useMemo, useState } from 'react';
import { abilitiesOf, type CaseActionName, type User } from '../api-client.ts';
import { useApi } from '../api-context.ts';
import { caseHref, navigate, viewerHref, worklistHref } from '../app-route.ts';
import { allowedActions, type Caller, CaseAction, claimBlocker } from '../case-actions.ts';
import { patientDisplayName, procedureText } from '../case-display.ts';
import { PriorityCell, SlaCell, StateBadge } from '../components/case-badges.tsx';
import { CaseBoardsPanel } from '../components/case-boards-panel.tsx';
import { CaseCollaboration } from '../components/case-collaboration.tsx';
import {
  AiResultsTable,
  HandoffStrip,
  RoutingExplanationPanel,
  SlaSpansTable,
  TimelineTable,
} from '../components/case-panels.tsx';
import { CommandOutcomeNotice } from '../components/command-outcome.tsx';
import { CoordinatorCaseActions } from '../components/coordinator-case-actions.tsx';
import { CriticalResultsPanel } from '../components/critical-results-panel.tsx';
import { ErrorNotice } from '../components/error-notice.tsx';
import { ReasonDialog } from '../components/reason-dialog.tsx';
import { SignedReportsPanel } from '../delivery/signed-reports-panel.tsx';
import { formatInstant } from '../format-instant.ts';
import { useLiveWorklist } from '../live-worklist.tsx';
import { type Problem, toProblem } from '../problem.ts';
import { ReportPanel } from '../report/report-panel.tsx';
import { useCaseCommands } from '../use-case-commands.ts';
import { useDirectory } from '../use-directory.ts';
import { firstBeatDelayMs, useHeartbeat } from '../use-heartbeat.ts';
import { useNow } from '../use-now.ts';
import { RequestStatus, useRequest } from '../use-request.ts';
import { type CaseDetail, CaseState } from '../worklist-model.ts';

interface CasePageProps {
  user: User;
  caseId: string;
  now: () => Date;
}

/**
 * One case: where it stands (priority, SLA, state, owner), everything that happened to it and how long
 * each handoff took, why routing sent it where it went, and what the viewer may do with it.
 */
export function CasePage({ user, caseId, now }: CasePageProps) {
  const api = useApi();
  const abilities = abilitiesOf(user);
  const directory = useDirectory();
  const live = useLiveWorklist();
  const nowMs = useNow(now);
  const { state, reload } = useRequest<CaseDetail>(caseId, (signal) => api.caseDetail(caseId, signal));
  const detail = state.data;
  const [leaseProblem, setLeaseProblem] = useState<Problem | null>(null);
  const [dialog, setDialog] = useState<'unreadable' | 'release' | null>(null);
  const [nextProblem, setNextProblem] = useState<Problem | null>(null);
  const commands = useCaseCommands(useCallback(() => reload(), [reload]));

  // Someone else's change to this case (a reassignment, an escalation) shows at once.
  const { subscribe } = live;
  useEffect(
    () =>
      subscribe((message) => {
        if (message.type === 'case' && message.summary.id === caseId) reload();
        if (message.type === 'removed' && message.id === caseId) reload();
      }),
    [subscribe, caseId, reload],
  );

  const caller = useMemo<Caller>(
    () => ({ readerId: directory.you, canRead: abilities.read, canManage: abilities.manage }),
    [directory.you, abilities.read, abilities.manage],
  );
  const summary = detail?.case;
  const reading =
    summary !== undefined &&
    summary.state === CaseState.InRead &&
    directory.you !== null &&
    summary.ownerId === directory.you;

  useEffect(() => {
    if (reading) setLeaseProblem(null);
  }, [reading]);
  useHeartbeat(
    caseId,
    reading && leaseProblem === null,
    firstBeatDelayMs(summary?.leaseExpiresAt ?? null, nowMs),
    (problem) => {
      setLeaseProblem(problem);
      reload();
    },
  );

  async function run(action: CaseActionName, body?: Record<string, unknown>) {
    if (!summary) return null;
    return commands.run(summary, action, body);
  }

  async function nextCase() {
    setNextProblem(null);
    try {
      const c = await api.nextCase('');
      navigate(caseHref(c.id));
    } catch (error) {
      setNextProblem(toProblem(error));
    }
  }

  if (!detail || !summary) {
    return (
      <>
        <BackLink />
        <div className="page-heading">
          <h1 tabIndex={-1}>Case {caseId}</h1>
        </div>
        {state.status === RequestStatus.Loading && <p role="status">Loading the case…</p>}
        {state.status === RequestStatus.Failure && <ErrorNotice problem={state.problem} onRetry={reload} />}
      </>
    );
  }

  const allowed = allowedActions(summary, caller, nowMs, detail.eligibleReaderIds);
  const blocker = claimBlocker(summary, caller, nowMs, directory.readerName);
  const busy = commands.busyCaseId === summary.id;
  const readerActions = [
    CaseAction.Claim,
    CaseAction.Preliminary,
    CaseAction.Final,
    CaseAction.Unreadable,
    CaseAction.Release,
  ].some((a) => allowed.has(a));
  const managerActions = [
    CaseAction.Reassign,
    CaseAction.Priority,
    CaseAction.Exception,
    CaseAction.Resolve,
  ].some((a) => allowed.has(a));
  const closed = summary.state === CaseState.Final || summary.state === CaseState.Addended;

  return (
    <>
      <BackLink />
      <div className="page-heading case-heading">
        <h1 tabIndex={-1}>
          {patientDisplayName(summary)} <span className="heading-sub">— {procedureText(summary)}</span>
        </h1>
        <dl className="facts facts-inline case-facts">
          <dt>Case</dt>
          <dd>
            <code>{summary.id}</code>
          </dd>
          <dt>Patient ID</dt>
          <dd>{summary.patientId ?? '—'}</dd>
          <dt>Accession</dt>
          <dd>{summary.accessionNumber ?? '—'}</dd>
          <dt>Site</dt>
          <dd>{directory.siteName(summary.siteId)}</dd>
          <dt>Modality</dt>
          <dd>{summary.modalities.join(', ') || '—'}</dd>
          <dt>Pathway</dt>
          <dd>{summary.pathway ?? '—'}</dd>
        </dl>
        <p>
          <a className="button button-primary" href={viewerHref(summary.id)}>
            Open viewer
          </a>
        </p>
        <div className="case-status">
          <div className="status-item">
            <span className="status-label">Priority</span>
            <PriorityCell summary={summary} />
          </div>
          <div className="status-item">
            <span className="status-label">SLA</span>
            <SlaCell summary={summary} nowMs={nowMs} />
          </div>
          <div className="status-item">
            <span className="status-label">State</span>
            <StateBadge summary={summary} />
          </div>
          <div className="status-item">
            <span className="status-label">Owner</span>
            <span>
              {summary.ownerId === null
                ? 'Nobody'
                : summary.ownerId === directory.you
                  ? 'You'
                  : directory.readerName(summary.ownerId)}
            </span>
          </div>
        </div>
      </div>

      {reading && (
        <p className="notice notice-info reading-banner">
          You are reading this case. Your claim is kept while this page is open
          {summary.leaseExpiresAt && <> (lease until {formatInstant(summary.leaseExpiresAt)})</>}.
        </p>
      )}
      {leaseProblem && (
        <div className="notice notice-error" role="alert">
          <p className="notice-title">Your claim on this case has ended</p>
          <p>{leaseProblem.detail ?? leaseProblem.title}</p>
        </div>
      )}
      <CommandOutcomeNotice outcome={commands.outcome} onDismiss={commands.clear} />

      {(readerActions || blocker || (abilities.read && closed)) && (
        <section className="panel action-bar" aria-label="Reading actions">
          {allowed.has(CaseAction.Claim) && (
            <button
              type="button"
              className="button button-primary"
              disabled={busy}
              onClick={() => run('claim')}
            >
              Claim
            </button>
          )}
          {allowed.has(CaseAction.Final) && (
            <button
              type="button"
              className="button button-primary"
              disabled={busy}
              onClick={() => run('final')}
            >
              Mark final
            </button>
          )}
          {allowed.has(CaseAction.Preliminary) && (
            <button
              type="button"
              className="button button-secondary"
              disabled={busy}
              onClick={() => run('preliminary')}
            >
              Mark preliminary
            </button>
          )}
          {allowed.has(CaseAction.Unreadable) && (
            <button
              type="button"
              className="button button-secondary"
              disabled={busy}
              onClick={() => setDialog('unreadable')}
            >
              Unreadable…
            </button>
          )}
          {allowed.has(CaseAction.Release) && (
            <button
              type="button"
              className="button button-secondary"
              disabled={busy}
              onClick={() => setDialog('release')}
            >
              Release…
            </button>
          )}
          {blocker && <p className="blocker">{blocker}. It cannot be claimed.</p>}
          {abilities.read && !reading && (
            <button type="button" className="button button-secondary push-right" onClick={nextCase}>
              Next case
            </button>
          )}
          {nextProblem && (
            <p className="field-error" role="alert">
              {nextProblem.detail ?? nextProblem.title}
            </p>
          )}
        </section>
      )}

      {managerActions && (
        <section className="panel" aria-labelledby="coordinator-actions-heading">
          <h2 id="coordinator-actions-heading">Coordinator actions</h2>
          <CoordinatorCaseActions
            summary={summary}
            allowed={allowed}
            readers={directory.readers}
            eligibleReaderIds={detail.eligibleReaderIds}
            busy={busy}
            run={run}
          />
        </section>
      )}

      <section className="panel" aria-labelledby="handoffs-heading">
        <h2 id="handoffs-heading">Handoffs</h2>
        <HandoffStrip events={detail.timeline} nowMs={nowMs} />
      </section>

      <ReportPanel
        caseId={caseId}
        user={user}
        caseState={summary.state}
        ownerId={summary.ownerId}
        onCaseChanged={reload}
      />

      <SignedReportsPanel caseId={caseId} reloadKey={summary.state} />

      <CriticalResultsPanel caseId={caseId} user={user} onFlagged={reload} />

      <div className="case-grid">
        <div className="case-column">
          <section className="panel" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">Timeline</h2>
            <TimelineTable events={detail.timeline} nameOf={directory.readerName} nowMs={nowMs} />
          </section>
          <section className="panel" aria-labelledby="sla-heading">
            <h2 id="sla-heading">SLA</h2>
            <SlaSpansTable spans={detail.sla} nowMs={nowMs} />
          </section>
        </div>
        <div className="case-column">
          <section className="panel" aria-labelledby="routing-heading">
            <h2 id="routing-heading">Routing explanation</h2>
            {detail.decision ? (
              <RoutingExplanationPanel decision={detail.decision} nameOf={directory.readerName} />
            ) : (
              <p className="muted">This case has not been routed yet.</p>
            )}
          </section>
          <section className="panel" aria-labelledby="ai-heading">
            <h2 id="ai-heading">AI results</h2>
            <AiResultsTable results={detail.aiResults} />
          </section>
          <CaseBoardsPanel user={user} caseId={summary.id} />
        </div>
      </div>

      <CaseCollaboration caseId={caseId} user={user} nowMs={nowMs} onCaseChanged={reload} />

      <ReasonDialog
        open={dialog === 'unreadable'}
        title="Mark unreadable"
        description={
          <p>
            The case goes to the coordinators&rsquo; unreadable queue. Say what is wrong so they can fix it.
          </p>
        }
        label="Reason"
        required
        confirmLabel="Mark unreadable"
        busy={busy}
        onCancel={() => setDialog(null)}
        onConfirm={async (reason) => {
          await run('unreadable', { reason });
          setDialog(null);
        }}
      />
      <ReasonDialog
        open={dialog === 'release'}
        title="Release the case"
        description={<p>The case goes back to the worklist for another reader.</p>}
        label="Reason"
        required={false}
        confirmLabel="Release"
        busy={busy}
        onCancel={() => setDialog(null)}
        onConfirm={async (reason) => {
          await run('release', reason ? { reason } : {});
          setDialog(null);
        }}
      />
    </>
  );
}

function BackLink() {
  return (
    <p className="back-link">
      <a href={worklistHref()}>← Worklist</a>
    </p>
  );
}
