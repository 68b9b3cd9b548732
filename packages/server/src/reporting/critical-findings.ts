import type { CriticalCategory } from '@confer/core';
import type { CriticalResultService } from '../critical/critical-service.ts';
import type { CriticalFindingsHook } from './report-service.ts';

/**
 * Starts the critical-results loop for the findings a signature adds, inside the signing transaction: the
 * report is never signed without its results flagged (nor the reverse). What the critical service sends
 * (webhooks, e-mail) goes after the commit, through the returned callback.
 */
export function flagCriticalFindings(critical: CriticalResultService): CriticalFindingsHook {
  return async (trx, signed, findings, actor) => {
    const after: (() => Promise<void>)[] = [];
    for (const f of findings) {
      const flagged = await critical.flagInTransaction(trx, {
        caseId: signed.caseId,
        category: f.category as CriticalCategory,
        finding: f.finding,
        flaggedBy: actor.username ?? actor.name,
        reportId: signed.reportId,
      });
      after.push(flagged.afterCommit);
    }
    return async () => {
      for (const a of after) await a();
    };
  };
}
