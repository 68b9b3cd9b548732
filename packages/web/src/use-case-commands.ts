import { useCallback, useState } from 'react';
import type { CaseActionName } from './api-client.ts';
import { useApi } from './api-context.ts';
import { caseLabel } from './case-display.ts';
import { type Problem, toProblem } from './problem.ts';
import type { CaseSummary } from './worklist-model.ts';

export type CommandOutcome =
  | { kind: 'done'; caseId: string; text: string }
  | { kind: 'failed'; caseId: string; what: string; problem: Problem };

const pastTense: Record<CaseActionName, string> = {
  claim: 'Claimed',
  heartbeat: 'Renewed the claim on',
  release: 'Released',
  preliminary: 'Marked preliminary:',
  final: 'Marked final:',
  unreadable: 'Sent to the unreadable queue:',
  reassign: 'Reassigned',
  exception: 'Sent to an exception queue:',
  resolve: 'Resolved the exception on',
  priority: 'Changed the priority of',
};

const verbs: Record<CaseActionName, string> = {
  claim: 'claim',
  heartbeat: 'renew the claim on',
  release: 'release',
  preliminary: 'mark preliminary',
  final: 'mark final',
  unreadable: 'mark unreadable',
  reassign: 'reassign',
  exception: 'send to an exception queue',
  resolve: 'resolve the exception on',
  priority: 'change the priority of',
};

export interface CaseCommands {
  /** The case an action is running on, so its buttons can show it and not be pressed twice. */
  busyCaseId: string | null;
  outcome: CommandOutcome | null;
  /** Runs an action; answers the case afterwards, or null when refused (the outcome says why). */
  run(c: CaseSummary, action: CaseActionName, body?: Record<string, unknown>): Promise<CaseSummary | null>;
  clear(): void;
}

/**
 * Runs case actions for a page and keeps the last outcome to show: what was done, or the server's reason
 * for refusing (e.g. "Case C-1 is in read by r-2 since 10:02 ...").
 */
export function useCaseCommands(onApplied?: (summary: CaseSummary) => void): CaseCommands {
  const api = useApi();
  const [busyCaseId, setBusyCaseId] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<CommandOutcome | null>(null);

  const run = useCallback(
    async (c: CaseSummary, action: CaseActionName, body?: Record<string, unknown>) => {
      setBusyCaseId(c.id);
      setOutcome(null);
      try {
        const summary = await api.caseAction(c.id, action, body);
        onApplied?.(summary);
        setOutcome({ kind: 'done', caseId: c.id, text: `${pastTense[action]} ${caseLabel(summary)}.` });
        return summary;
      } catch (error) {
        setOutcome({
          kind: 'failed',
          caseId: c.id,
          what: `Could not ${verbs[action]} ${caseLabel(c)}`,
          problem: toProblem(error),
        });
        return null;
      } finally {
        setBusyCaseId(null);
      }
    },
    [api, onApplied],
  );
  const clear = useCallback(() => setOutcome(null), []);
  return { busyCaseId, outcome, run, clear };
}
