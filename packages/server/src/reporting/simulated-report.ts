import { type ReportContent, type ReportTemplate, TemplateSectionKind, toggleChoice } from '@confer/core';
import type { Actor, RequestOrigin } from '../archive/ports.ts';
import type { AccessService } from '../auth/access-service.ts';
import type { WorklistService } from '../worklist/worklist-service.ts';
import { ReportError } from './report-error.ts';
import type { ReportService } from './report-service.ts';

/**
 * A short report from the case's template, as a demo's simulated reader writes it: the first choice of
 * every pick-list, "Unremarkable." in empty required sections, a one-line impression.
 */
export function simulatedContent(template: ReportTemplate | undefined, draft: ReportContent): ReportContent {
  const sections = draft.sections.map((s) => {
    const t = template?.sections.find((x) => x.id === s.id);
    const first = t?.choices?.[0];
    if (t && first && (t.kind === TemplateSectionKind.Single || t.kind === TemplateSectionKind.Multi)) {
      const picked = toggleChoice(t, { text: s.text, choiceIds: s.choiceIds ?? [] }, first.id);
      return { ...s, ...picked };
    }
    return s.required && s.text.trim() === '' ? { ...s, text: 'Unremarkable.' } : s;
  });
  return { ...draft, sections, impression: 'No acute abnormality. (Simulated demo report.)' };
}

/**
 * How a demo's simulated reader ends a read: a template-based report signed final through the same
 * reporting service as people (password re-authentication included: demo users share the demo password),
 * which moves the case to final. The actor carries the user's real id, as a session would.
 */
export function simulatedReportFinaliser(deps: {
  reports: ReportService;
  access: AccessService;
  password: string;
  /** When the report cannot be signed (say, templates were edited into something unfillable): just finalize. */
  worklist: WorklistService;
}): (actor: Actor, caseId: string, origin: RequestOrigin) => Promise<void> {
  return async (actor, caseId, origin) => {
    const user = await deps.access.getUser(actor.username ?? actor.name);
    const person: Actor = { ...actor, kind: 'user', id: String(user.id) };
    try {
      await sign(person, caseId, origin);
    } catch (err) {
      if (!(err instanceof ReportError)) throw err;
      await deps.worklist.finish(actor, caseId, origin, 'finalize');
    }
  };

  async function sign(person: Actor, caseId: string, origin: RequestOrigin): Promise<void> {
    const current = await deps.reports.get(person, caseId, origin);
    const choice = await deps.reports.templateFor(person, caseId, origin);
    await deps.reports.sign(
      person,
      caseId,
      {
        kind: 'final',
        password: deps.password,
        expectedRevision: current.revision,
        content: simulatedContent(choice.template, current.draft?.content ?? choice.draft),
      },
      origin,
    );
  }
}
