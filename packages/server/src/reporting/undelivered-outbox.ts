import type { Logger } from 'pino';
import type { ReportOutbox } from './report-outbox.ts';

/**
 * The outbox used while no delivery is wired in: the signed version and its SignedReport stay in
 * report_versions (nothing is lost, a later delivery can read them from there), and nothing is sent.
 */
export function undeliveredOutbox(log?: Logger): ReportOutbox {
  return {
    async enqueue(_trx, report) {
      log?.info(
        { reportId: report.reportId, version: report.version },
        'report signed; no delivery is configured',
      );
    },
  };
}
