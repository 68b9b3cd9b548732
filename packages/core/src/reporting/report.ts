import { type CaseState, CaseState as States } from '../case/model.ts';
import { CriticalCategory } from '../critical/model.ts';
import { missingRequired, type ReportContent } from './report-content.ts';
import { SignedReportKind } from './signed-report.ts';

/**
 * A report is a decider like the case: `decideReport(report, command, now)` says what happens (events) or
 * why not (a refusal with a stable code and what to do); `evolveReport` folds events. A report has one
 * working draft and a list of signed versions: preliminary, final, then addenda. A signed version is never
 * changed; the draft after a final report holds the next addendum's text.
 */

export const ReportStatus = {
  /** Nothing written yet. */
  None: 'none',
  Draft: 'draft',
  Preliminary: 'preliminary',
  Final: 'final',
  Addended: 'addended',
} as const;
export type ReportStatus = (typeof ReportStatus)[keyof typeof ReportStatus];

export interface ReportAuthor {
  userId: string;
  readerId?: string;
  name: string;
}

export interface ReportVersion {
  /** 1, 2, ... in signing order. */
  version: number;
  kind: SignedReportKind;
  content: ReportContent;
  author: ReportAuthor;
  signedAt: number;
}

export interface ReportDraft {
  content: ReportContent;
  savedBy: ReportAuthor;
  savedAt: number;
}

export interface ReportSnapshot {
  id: string;
  caseId: string;
  status: ReportStatus;
  /** Goes up by one with every accepted command: a writer sends the revision it read (optimistic locking). */
  revision: number;
  draft: ReportDraft | null;
  versions: ReportVersion[];
  /** The case as it is now (the server reads it with the report): who owns it decides who may write. */
  case: { state: CaseState; ownerId: string | null };
}

export type ReportCommand =
  | { type: 'save-draft'; by: ReportAuthor; expectedRevision: number; content: ReportContent }
  | {
      type: 'sign';
      kind: SignedReportKind;
      by: ReportAuthor;
      expectedRevision: number;
      /** Saved and signed in one step; otherwise the stored draft is signed. */
      content?: ReportContent;
    };

export const ReportEventType = {
  DraftSaved: 'report:draft-saved',
  Signed: 'report:signed',
} as const;
export type ReportEventType = (typeof ReportEventType)[keyof typeof ReportEventType];

export type ReportEvent =
  | { type: typeof ReportEventType.DraftSaved; at: number; by: ReportAuthor; content: ReportContent }
  | {
      type: typeof ReportEventType.Signed;
      at: number;
      by: ReportAuthor;
      kind: SignedReportKind;
      version: number;
      content: ReportContent;
    };

export const ReportErrorCode = {
  NotOwner: 'CONFER_ERR_REPORT_NOT_OWNER',
  Stale: 'CONFER_ERR_REPORT_STALE',
  InvalidTransition: 'CONFER_ERR_REPORT_INVALID_TRANSITION',
  Incomplete: 'CONFER_ERR_REPORT_INCOMPLETE',
  Invalid: 'CONFER_ERR_REPORT_INVALID',
} as const;
export type ReportErrorCode = (typeof ReportErrorCode)[keyof typeof ReportErrorCode];

export type ReportRefusal = {
  ok: false;
  code: ReportErrorCode;
  message: string;
  /** For a stale write: who saved last and when. */
  savedBy?: ReportAuthor;
  savedAt?: number;
  /** For an incomplete report: the sections to fill. */
  missing?: string[];
};
export type ReportDecision = { ok: true; events: ReportEvent[] } | ReportRefusal;

/** A case's report before anything is written. */
export function newReport(
  id: string,
  caseId: string,
  caseState: { state: CaseState; ownerId: string | null },
): ReportSnapshot {
  return {
    id,
    caseId,
    status: ReportStatus.None,
    revision: 0,
    draft: null,
    versions: [],
    case: { ...caseState },
  };
}

const CATEGORIES: readonly string[] = Object.values(CriticalCategory);
const MAX_FINDINGS = 20;
const MAX_CHARS = 100_000;

function refuse(code: ReportErrorCode, message: string, extra: Partial<ReportRefusal> = {}): ReportRefusal {
  return { ok: false, code, message, ...extra };
}

/** The final version (the first signed final), when there is one. */
export function finalVersion(r: ReportSnapshot): ReportVersion | undefined {
  return r.versions.find((v) => v.kind === SignedReportKind.Final);
}

/** The last signed version, when there is one. */
export function latestVersion(r: ReportSnapshot): ReportVersion | undefined {
  return r.versions[r.versions.length - 1];
}

function afterFinal(r: ReportSnapshot): boolean {
  return r.status === ReportStatus.Final || r.status === ReportStatus.Addended;
}

/** Why this author may not write now, or undefined when they may. */
function writeRefusal(r: ReportSnapshot, by: ReportAuthor): ReportRefusal | undefined {
  if (afterFinal(r)) {
    const fin = finalVersion(r)!;
    if (by.readerId === undefined || fin.author.readerId !== by.readerId)
      return refuse(
        ReportErrorCode.NotOwner,
        `The report on case ${r.caseId} was signed final by ${fin.author.name}; only they can add an addendum`,
      );
    return undefined;
  }
  const owned = r.case.state === States.InRead || r.case.state === States.Preliminary;
  if (by.readerId === undefined)
    return refuse(
      ReportErrorCode.NotOwner,
      `${by.name} is not a reader in the routing directory; only the reader who has case ${r.caseId} may write its report`,
    );
  if (!owned || r.case.ownerId !== by.readerId) {
    const held =
      r.case.ownerId === null
        ? `case ${r.caseId} is ${r.case.state}`
        : r.case.ownerId === by.readerId
          ? `case ${r.caseId} is ${r.case.state}, not in read`
          : `case ${r.caseId} is ${r.case.state === States.Preliminary ? 'awaiting the final report of' : r.case.state === States.InRead ? 'in read by' : 'assigned to'} ${r.case.ownerId}`;
    return refuse(
      ReportErrorCode.NotOwner,
      `Cannot write the report: ${held}; claim the case (or ask a coordinator to assign it to you) first`,
    );
  }
  return undefined;
}

function contentRefusal(c: ReportContent): ReportRefusal | undefined {
  if (JSON.stringify(c).length > MAX_CHARS)
    return refuse(ReportErrorCode.Invalid, `The report is longer than ${MAX_CHARS} characters; shorten it`);
  if (c.criticalFindings.length > MAX_FINDINGS)
    return refuse(ReportErrorCode.Invalid, `At most ${MAX_FINDINGS} critical findings per report`);
  for (const [i, f] of c.criticalFindings.entries()) {
    if (!CATEGORIES.includes(f.category))
      return refuse(
        ReportErrorCode.Invalid,
        `Critical finding ${i + 1} has category "${f.category}"; use one of ${CATEGORIES.join(', ')}`,
      );
    if (f.finding.trim() === '')
      return refuse(ReportErrorCode.Invalid, `Critical finding ${i + 1} says nothing; describe the finding`);
  }
  for (const [i, m] of c.measurements.entries())
    if (!Number.isFinite(m.value) || m.label.trim() === '')
      return refuse(ReportErrorCode.Invalid, `Measurement ${i + 1} needs a label and a finite value`);
  return undefined;
}

/**
 * After a final report only the addendum text (and new critical findings) may change: the signed text
 * stays as it was signed, whatever a client sends.
 */
function addendumContent(r: ReportSnapshot, sent: ReportContent): ReportContent {
  const base = latestVersion(r)!.content;
  const known = new Set(base.criticalFindings.map((f) => `${f.category}\u0000${f.finding}`));
  const added = sent.criticalFindings.filter((f) => !known.has(`${f.category}\u0000${f.finding}`));
  const { addendum: _previous, ...rest } = base;
  return {
    ...rest,
    criticalFindings: [...base.criticalFindings, ...added],
    ...(sent.addendum !== undefined ? { addendum: sent.addendum } : {}),
  };
}

/**
 * Checks a command against the report at `now`. Only the reader who owns the case (in read, or holding its
 * preliminary report) writes and signs it; after the final report only its signer adds addenda. A write
 * must name the revision it was based on, so an autosave from a stale tab cannot overwrite newer text.
 */
export function decideReport(r: ReportSnapshot, command: ReportCommand, now: number): ReportDecision {
  if (command.expectedRevision !== r.revision) {
    const who = r.draft
      ? `${r.draft.savedBy.name} at ${new Date(r.draft.savedAt).toISOString()}`
      : 'someone else';
    return refuse(
      ReportErrorCode.Stale,
      `The report changed since you opened it (revision ${r.revision}, saved by ${who}); reload it and apply your changes again`,
      r.draft ? { savedBy: r.draft.savedBy, savedAt: r.draft.savedAt } : {},
    );
  }
  const denied = writeRefusal(r, command.by);
  if (denied) return denied;
  const sent = command.type === 'save-draft' ? command.content : (command.content ?? r.draft?.content);
  if (command.type === 'save-draft') {
    const bad = contentRefusal(command.content);
    if (bad) return bad;
    const content = afterFinal(r) ? addendumContent(r, command.content) : command.content;
    return { ok: true, events: [{ type: ReportEventType.DraftSaved, at: now, by: command.by, content }] };
  }
  // Signing.
  const kind = command.kind;
  const next = r.versions.length + 1;
  if (kind === SignedReportKind.Addendum) {
    if (!afterFinal(r))
      return refuse(
        ReportErrorCode.InvalidTransition,
        `Cannot sign an addendum to case ${r.caseId}: its report is ${r.status}; an addendum follows a final report, so sign final instead`,
      );
    if (!sent)
      return refuse(ReportErrorCode.Incomplete, 'Write the addendum text first', { missing: ['Addendum'] });
    const content = addendumContent(r, sent);
    if ((content.addendum ?? '').trim() === '')
      return refuse(ReportErrorCode.Incomplete, 'The addendum is empty; write what it adds, then sign', {
        missing: ['Addendum'],
      });
    const bad = contentRefusal(content);
    if (bad) return bad;
    return {
      ok: true,
      events: [{ type: ReportEventType.Signed, at: now, by: command.by, kind, version: next, content }],
    };
  }
  if (afterFinal(r))
    return refuse(
      ReportErrorCode.InvalidTransition,
      `The report on case ${r.caseId} is already ${r.status}; add an addendum to change it`,
    );
  if (kind === SignedReportKind.Preliminary && r.status === ReportStatus.Preliminary)
    return refuse(
      ReportErrorCode.InvalidTransition,
      `A preliminary report on case ${r.caseId} is already signed; sign the final report next`,
    );
  if (!sent)
    return refuse(ReportErrorCode.Incomplete, 'The report is empty; write it first', {
      missing: ['Impression'],
    });
  const bad = contentRefusal(sent);
  if (bad) return bad;
  const missing = missingRequired(sent);
  if (missing.length > 0)
    return refuse(ReportErrorCode.Incomplete, `Fill in ${missing.join(', ')} before signing`, { missing });
  const { addendum: _none, ...content } = sent;
  return {
    ok: true,
    events: [{ type: ReportEventType.Signed, at: now, by: command.by, kind, version: next, content }],
  };
}

/** Applies one event; the revision goes up by one. */
export function evolveReport(r: ReportSnapshot, e: ReportEvent): ReportSnapshot {
  const next: ReportSnapshot = { ...r, versions: [...r.versions], revision: r.revision + 1 };
  switch (e.type) {
    case ReportEventType.DraftSaved:
      next.draft = { content: e.content, savedBy: e.by, savedAt: e.at };
      if (r.status === ReportStatus.None) next.status = ReportStatus.Draft;
      break;
    case ReportEventType.Signed:
      next.versions.push({
        version: e.version,
        kind: e.kind,
        content: e.content,
        author: e.by,
        signedAt: e.at,
      });
      next.status =
        e.kind === SignedReportKind.Preliminary
          ? ReportStatus.Preliminary
          : e.kind === SignedReportKind.Final
            ? ReportStatus.Final
            : ReportStatus.Addended;
      // After signing, the draft is the signed text (what the next edit or addendum starts from).
      next.draft = {
        content: e.kind === SignedReportKind.Addendum ? { ...e.content, addendum: '' } : e.content,
        savedBy: e.by,
        savedAt: e.at,
      };
      break;
  }
  return next;
}

/** decideReport, then the events folded: the new snapshot, or the refusal. */
export function applyReportCommand(
  r: ReportSnapshot,
  command: ReportCommand,
  now: number,
): { ok: true; snapshot: ReportSnapshot; events: ReportEvent[] } | ReportRefusal {
  const d = decideReport(r, command, now);
  if (!d.ok) return d;
  return { ok: true, snapshot: d.events.reduce(evolveReport, r), events: d.events };
}

/** Addenda signed up to and including `version`, oldest first, as SignedReport and the text render take them. */
export function addendaUpTo(
  r: ReportSnapshot,
  version: number,
): { text: string; author: ReportAuthor; signedAt: number }[] {
  return r.versions
    .filter((v) => v.kind === SignedReportKind.Addendum && v.version <= version)
    .map((v) => ({ text: v.content.addendum ?? '', author: v.author, signedAt: v.signedAt }));
}

/** Who may read which versions: readers and coordinators all of them, referrers only signed final ones. */
export function versionsVisibleTo(r: ReportSnapshot, scope: 'all' | 'final-only'): ReportVersion[] {
  if (scope === 'all') return r.versions;
  return r.versions.filter((v) => v.kind !== SignedReportKind.Preliminary);
}
