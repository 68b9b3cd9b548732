import {
  contentFromTemplate,
  insertMeasurement,
  type ReportContent,
  type ReportTemplate,
  type TemplateSection,
  toggleChoice,
} from '@confer/core';
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { categoryLabels } from '../critical/critical-model.ts';
import { ProblemError, toProblem } from '../problem.ts';
import {
  type CaseAnnotation,
  type ReportView,
  type SignedReportKind,
  saveDraft,
  signReport,
  type TemplateChoiceForCase,
} from './report-api.ts';
import {
  insertableMeasurements,
  type SaveState,
  saveStateText,
  signKinds,
  signLabels,
} from './report-model.ts';
import { SignDialog } from './sign-dialog.tsx';

/** How long typing may pause before the draft is saved. */
const AUTOSAVE_MS = 1200;

type CriticalCategory = keyof typeof categoryLabels;

interface ReportEditorProps {
  caseId: string;
  report: ReportView;
  /** The content to start from: the saved draft, or the suggested template's. */
  initial: ReportContent;
  templates: ReportTemplate[];
  /** The template Confer chose, with why (only before anything is saved). */
  suggestion: TemplateChoiceForCase | null;
  annotations: CaseAnnotation[];
  onSigned: (report: ReportView) => void;
  onSaved?: () => void;
}

/**
 * Writing the report: template sections with their pick-lists, the impression, measurements from the
 * viewer, critical findings; saved as the reader types; signed with the reader's password. After the final
 * report the signed text is fixed and the editor writes an addendum.
 */
export function ReportEditor({
  caseId,
  report,
  initial,
  templates,
  suggestion,
  annotations,
  onSigned,
  onSaved,
}: ReportEditorProps) {
  const [content, setContent] = useState<ReportContent>(initial);
  const [save, setSave] = useState<SaveState>({ kind: 'saved', at: report.draft?.savedAt ?? null });
  const [signing, setSigning] = useState<SignedReportKind | null>(null);
  const [signBusy, setSignBusy] = useState(false);
  const [signProblem, setSignProblem] = useState<string | null>(null);
  const contentRef = useRef(content);
  const revisionRef = useRef(report.revision);
  const savingRef = useRef<Promise<void> | null>(null);
  // A ref, so a parent re-rendering with a new callback does not restart the autosave timer.
  const onSavedRef = useRef(onSaved);
  onSavedRef.current = onSaved;
  const addendumMode = report.status === 'final' || report.status === 'addended';
  const template = templates.find((t) => t.id === content.templateId);
  const ids = { template: useId(), impression: useId(), addendum: useId() };

  const edit = useCallback((next: ReportContent) => {
    contentRef.current = next;
    setContent(next);
    setSave({ kind: 'unsaved' });
  }, []);

  const flush = useCallback(async () => {
    if (savingRef.current) await savingRef.current;
    const sent = contentRef.current;
    setSave({ kind: 'saving' });
    const run = (async () => {
      try {
        const saved = await saveDraft(caseId, revisionRef.current, sent);
        revisionRef.current = saved.revision;
        onSavedRef.current?.();
        setSave(
          contentRef.current === sent
            ? { kind: 'saved', at: saved.draft?.savedAt ?? null }
            : { kind: 'unsaved' },
        );
      } catch (error) {
        const p = toProblem(error);
        if (p.code === 'CONFER_ERR_REPORT_STALE') {
          const by = p.extensions?.savedBy as { name?: string } | undefined;
          setSave({
            kind: 'conflict',
            savedBy: by?.name ?? null,
            savedAt: typeof p.extensions?.savedAt === 'string' ? p.extensions.savedAt : null,
          });
        } else setSave({ kind: 'failed', message: p.detail ?? p.title });
      }
    })();
    savingRef.current = run;
    await run;
    savingRef.current = null;
  }, [caseId]);

  useEffect(() => {
    if (save.kind !== 'unsaved') return;
    const timer = setTimeout(() => void flush(), AUTOSAVE_MS);
    return () => clearTimeout(timer);
  }, [save, flush]);

  // Leaving the page (another case, another tab of the app) saves what was typed in the last second; closing
  // the browser tab with unsaved text asks first.
  const unsavedRef = useRef(false);
  unsavedRef.current = save.kind === 'unsaved';
  useEffect(() => {
    const warn = (event: BeforeUnloadEvent) => {
      if (unsavedRef.current) event.preventDefault();
    };
    window.addEventListener('beforeunload', warn);
    return () => {
      window.removeEventListener('beforeunload', warn);
      if (unsavedRef.current) void saveDraft(caseId, revisionRef.current, contentRef.current).catch(() => {});
    };
  }, [caseId]);

  async function sign(password: string) {
    if (!signing) return;
    setSignBusy(true);
    setSignProblem(null);
    try {
      if (savingRef.current) await savingRef.current;
      const signed = await signReport(caseId, {
        kind: signing,
        password,
        expectedRevision: revisionRef.current,
        content: contentRef.current,
      });
      setSigning(null);
      // The signature carried the text: nothing is left to save when this stage's editor goes away.
      unsavedRef.current = false;
      setSave({ kind: 'saved', at: signed.draft?.savedAt ?? null });
      onSigned(signed);
    } catch (error) {
      const p = error instanceof ProblemError ? error.problem : toProblem(error);
      const missing = Array.isArray(p.extensions?.missing)
        ? ` (${(p.extensions.missing as string[]).join(', ')})`
        : '';
      setSignProblem(`${p.detail ?? p.title}${missing}`);
    } finally {
      setSignBusy(false);
    }
  }

  function setSection(id: string, change: Partial<ReportContent['sections'][number]>) {
    edit({
      ...contentRef.current,
      sections: contentRef.current.sections.map((s) => (s.id === id ? { ...s, ...change } : s)),
    });
  }

  const conflict = save.kind === 'conflict';
  return (
    <div className="report-editor">
      <div className="report-toolbar">
        {!addendumMode && (
          <div className="field field-inline">
            <label htmlFor={ids.template}>Template</label>
            <select
              id={ids.template}
              value={content.templateId ?? ''}
              onChange={(e) => {
                const t = templates.find((x) => x.id === e.target.value);
                if (t) edit(contentFromTemplate(t));
              }}
            >
              {content.templateId === undefined && <option value="">Free text</option>}
              {templates.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <p className={`save-state save-${save.kind}`} role="status" aria-live="polite">
          {saveStateText(save)}
        </p>
      </div>
      {suggestion?.template && !addendumMode && (
        <p className="muted template-why">Suggested: {suggestion.summary}.</p>
      )}
      {conflict && (
        <div className="notice notice-error" role="alert">
          <p className="notice-title">This report was changed elsewhere</p>
          <p>Reload the page to see the newer version; your last changes here were not saved.</p>
        </div>
      )}

      {addendumMode ? (
        <div className="field">
          <label htmlFor={ids.addendum}>Addendum</label>
          <textarea
            id={ids.addendum}
            rows={4}
            value={content.addendum ?? ''}
            onChange={(e) => edit({ ...contentRef.current, addendum: e.target.value })}
            placeholder="What this addendum adds to the final report"
          />
        </div>
      ) : (
        <>
          {content.sections.map((s) => (
            <SectionEditor
              key={s.id}
              section={s}
              templateSection={template?.sections.find((t) => t.id === s.id)}
              onChange={(change) => setSection(s.id, change)}
            />
          ))}
          <div className="field report-section">
            <label htmlFor={ids.impression}>
              Impression <span className="required-mark">(required)</span>
            </label>
            <textarea
              id={ids.impression}
              rows={3}
              value={content.impression}
              placeholder={template?.impression.hint ?? ''}
              onChange={(e) => edit({ ...contentRef.current, impression: e.target.value })}
            />
          </div>
          <MeasurementInserter
            annotations={annotations}
            sections={content.sections}
            preferred={template?.sections.find((t) => t.kind === 'measurements')?.id}
            onInsert={(sectionId, m) => edit(insertMeasurement(contentRef.current, sectionId, m))}
          />
        </>
      )}

      <CriticalFindings
        findings={content.criticalFindings}
        locked={addendumMode ? (report.versions.at(-1)?.content.criticalFindings.length ?? 0) : 0}
        onChange={(criticalFindings) => edit({ ...contentRef.current, criticalFindings })}
      />

      <div className="form-actions report-actions">
        {signKinds(report.status).map((kind, i) => (
          <button
            key={kind}
            type="button"
            className={`button ${i === 0 ? 'button-primary' : 'button-secondary'}`}
            disabled={save.kind === 'saving' || conflict}
            onClick={() => {
              setSignProblem(null);
              setSigning(kind);
            }}
          >
            {signLabels[kind]}…
          </button>
        ))}
      </div>
      <SignDialog
        kind={signing}
        busy={signBusy}
        problem={signProblem}
        onConfirm={sign}
        onCancel={() => setSigning(null)}
      />
    </div>
  );
}

function SectionEditor({
  section,
  templateSection,
  onChange,
}: {
  section: ReportContent['sections'][number];
  templateSection: TemplateSection | undefined;
  onChange: (change: Partial<ReportContent['sections'][number]>) => void;
}) {
  const id = useId();
  const picks = templateSection?.choices ?? [];
  const chosen = section.choiceIds ?? [];
  return (
    <div className="field report-section">
      <label htmlFor={id}>
        {section.title} {section.required && <span className="required-mark">(required)</span>}
      </label>
      {picks.length > 0 && templateSection && (
        <fieldset className="choice-list">
          <legend className="visually-hidden">
            {section.title}: {templateSection.kind === 'single' ? 'pick one' : 'pick any'}
          </legend>
          {picks.map((c) => (
            <button
              key={c.id}
              type="button"
              className="button button-chip"
              aria-pressed={chosen.includes(c.id)}
              title={c.phrase}
              onClick={() =>
                onChange(toggleChoice(templateSection, { text: section.text, choiceIds: chosen }, c.id))
              }
            >
              {c.label}
            </button>
          ))}
        </fieldset>
      )}
      {templateSection?.slots && (
        <p className="muted slot-hint">
          Slots: {templateSection.slots.map((s) => `${s.label} (${s.unit})`).join(', ')}
        </p>
      )}
      <textarea
        id={id}
        rows={Math.min(8, Math.max(2, section.text.split('\n').length + 1))}
        value={section.text}
        placeholder={templateSection?.hint ?? ''}
        onChange={(e) => onChange({ text: e.target.value })}
      />
    </div>
  );
}

function MeasurementInserter({
  annotations,
  sections,
  preferred,
  onInsert,
}: {
  annotations: CaseAnnotation[];
  sections: ReportContent['sections'];
  preferred: string | undefined;
  onInsert: (sectionId: string, m: ReturnType<typeof insertableMeasurements>[number]['measurement']) => void;
}) {
  const items = insertableMeasurements(annotations);
  const [key, setKey] = useState('');
  const [target, setTarget] = useState(preferred ?? sections[0]?.id ?? '');
  const ids = { m: useId(), s: useId() };
  if (items.length === 0)
    return (
      <p className="muted">No measurements from the viewer yet; measure in the viewer to insert them here.</p>
    );
  const picked = items.find((i) => i.key === key) ?? items[0]!;
  return (
    <fieldset className="measurement-inserter">
      <legend>Insert measurement</legend>
      <div className="field field-inline">
        <label htmlFor={ids.m}>Measurement</label>
        <select id={ids.m} value={picked.key} onChange={(e) => setKey(e.target.value)}>
          {items.map((i) => (
            <option key={i.key} value={i.key}>
              {i.text}
            </option>
          ))}
        </select>
      </div>
      <div className="field field-inline">
        <label htmlFor={ids.s}>into</label>
        <select id={ids.s} value={target} onChange={(e) => setTarget(e.target.value)}>
          {sections.map((s) => (
            <option key={s.id} value={s.id}>
              {s.title}
            </option>
          ))}
        </select>
      </div>
      <button
        type="button"
        className="button button-secondary"
        onClick={() => onInsert(target, picked.measurement)}
      >
        Insert measurement
      </button>
    </fieldset>
  );
}

function CriticalFindings({
  findings,
  locked,
  onChange,
}: {
  findings: ReportContent['criticalFindings'];
  /** How many leading findings are already signed and cannot be removed. */
  locked: number;
  onChange: (f: ReportContent['criticalFindings']) => void;
}) {
  const [category, setCategory] = useState<CriticalCategory>('critical');
  const [finding, setFinding] = useState('');
  const ids = { c: useId(), f: useId() };
  return (
    <fieldset className="critical-findings">
      <legend>Critical findings</legend>
      {findings.length === 0 ? (
        <p className="muted">
          None flagged. A critical finding is communicated to the responsible clinician when you sign.
        </p>
      ) : (
        <ul className="finding-list">
          {findings.map((f, i) => (
            <li key={`${f.category}:${f.finding}`}>
              <span className={`badge badge-critical-${f.category}`}>
                {categoryLabels[f.category as CriticalCategory] ?? f.category}
              </span>{' '}
              {f.finding}
              {i >= locked && (
                <button
                  type="button"
                  className="button button-quiet button-small"
                  onClick={() => onChange(findings.filter((_, j) => j !== i))}
                >
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="finding-form">
        <div className="field field-inline">
          <label htmlFor={ids.c}>Category</label>
          <select
            id={ids.c}
            value={category}
            onChange={(e) => setCategory(e.target.value as CriticalCategory)}
          >
            {Object.entries(categoryLabels).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-inline finding-text">
          <label htmlFor={ids.f}>Finding</label>
          <input id={ids.f} value={finding} maxLength={2000} onChange={(e) => setFinding(e.target.value)} />
        </div>
        <button
          type="button"
          className="button button-secondary"
          disabled={finding.trim() === ''}
          onClick={() => {
            onChange([...findings, { category, finding: finding.trim() }]);
            setFinding('');
          }}
        >
          Flag finding
        </button>
      </div>
    </fieldset>
  );
}
