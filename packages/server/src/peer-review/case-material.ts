import type { Actor, RequestOrigin } from '../archive/ports.ts';
import type { DiscussionService } from '../collaboration/discussion-service.ts';
import type { ReportService } from '../reporting/report-service.ts';
import type { CaseDiscussionEntry, CaseMaterial, CaseReportView } from './ports.ts';

/**
 * The report and discussion of a case as boards and peer review show them, read through the reporting and
 * collaboration services as the viewer (so their access checks and audit apply). A viewer who may not read
 * one gets null for it, shown as "not available".
 */
export function caseMaterialFrom(deps: {
  reports?: Pick<ReportService, 'get'>;
  discussion?: Pick<DiscussionService, 'list'>;
}): CaseMaterial {
  const material: CaseMaterial = {};
  const { reports, discussion } = deps;
  if (reports)
    material.report = async (
      viewer: Actor,
      caseId: string,
      origin: RequestOrigin,
    ): Promise<CaseReportView | null> => {
      const view = await reports.get(viewer, caseId, origin);
      const latest = view.versions[view.versions.length - 1];
      if (!latest) return null;
      // The text is rebuilt from the content, so it carries no signature line (peer review may hide it).
      const c = latest.content;
      const sections = c.sections
        .filter((s) => s.text.trim())
        .map((s) => `${s.title}\n${s.text.trim()}`)
        .join('\n\n');
      return {
        status: view.status,
        title: c.title,
        text: c.addendum ? `${sections}\n\nAddendum\n${c.addendum}` : sections,
        ...(c.impression ? { impression: c.impression } : {}),
        signedAt: latest.signedAt,
        authorName: latest.author.name,
      };
    };
  if (discussion)
    material.discussion = async (
      viewer: Actor,
      caseId: string,
      origin: RequestOrigin,
    ): Promise<CaseDiscussionEntry[] | null> => {
      const page = await discussion.list(viewer, caseId, { limit: 100 }, origin);
      return page.comments
        .filter((m) => m.body !== null)
        .map((m) => ({ at: m.createdAt, author: m.authorName ?? m.author, text: m.body ?? '' }));
    };
  return material;
}
