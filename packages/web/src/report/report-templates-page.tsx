import { type FormEvent, useId, useState } from 'react';
import { abilitiesOf, type User } from '../api-client.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { formatInstant } from '../format-instant.ts';
import { type Problem, toProblem } from '../problem.ts';
import { RequestStatus, useRequest } from '../use-request.ts';
import {
  deleteTemplate,
  listTemplates,
  type ReportTemplate,
  type StoredTemplate,
  saveTemplate,
} from './report-api.ts';
import './report.css';

const NEW_TEMPLATE: ReportTemplate = {
  id: 'new-template',
  name: 'New template',
  title: 'Imaging report',
  match: { modalities: ['CT'] },
  sections: [
    { id: 'technique', title: 'Technique', kind: 'text' },
    { id: 'findings', title: 'Findings', kind: 'text', required: true },
  ],
  impression: {},
};

/** "CT; HEAD or BRAIN" */
function matchText(t: ReportTemplate): string {
  const m = t.match;
  const parts = [m.modalities, m.bodyParts, m.specialties, m.procedures]
    .filter((x): x is string[] => Array.isArray(x) && x.length > 0)
    .map((x) => x.join(' or '));
  return parts.length > 0 ? parts.join('; ') : 'any case (fallback)';
}

/**
 * Report templates for people with report:manage: every template with what it matches, and a JSON editor
 * that the server validates (each problem shown with its path). Readers see the list only.
 */
export function ReportTemplatesPage({ user }: { user: User }) {
  const manage = abilitiesOf(user).manage;
  const { state, reload } = useRequest('templates', (signal) => listTemplates(signal));
  const [editing, setEditing] = useState<{ mode: 'create' | 'replace'; template: ReportTemplate } | null>(
    null,
  );
  const templates = state.data ?? [];
  return (
    <>
      <div className="page-heading">
        <h1 tabIndex={-1}>Report templates</h1>
        {manage && !editing && (
          <button
            type="button"
            className="button button-primary"
            onClick={() => setEditing({ mode: 'create', template: NEW_TEMPLATE })}
          >
            New template
          </button>
        )}
      </div>
      <p className="muted">
        The most specific template whose criteria all match a case is offered to its reader; a template with
        no criteria is the fallback.
      </p>
      {state.status === RequestStatus.Failure && <ErrorNotice problem={state.problem} onRetry={reload} />}
      {state.status === RequestStatus.Loading && !state.data && <p role="status">Loading the templates…</p>}
      {editing && (
        <section className="panel template-editor-panel" aria-labelledby="template-editor-heading">
          <h2 id="template-editor-heading">
            {editing.mode === 'create' ? 'New template' : `Edit "${editing.template.name}"`}
          </h2>
          <TemplateEditor
            key={`${editing.mode}:${editing.template.id}`}
            mode={editing.mode}
            template={editing.template}
            onDone={() => {
              setEditing(null);
              reload();
            }}
          />
        </section>
      )}
      {templates.length > 0 && (
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Template</th>
                <th scope="col">Matches</th>
                <th scope="col">Sections</th>
                <th scope="col">Active</th>
                <th scope="col">Changed</th>
                {manage && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {templates.map((t) => (
                <TemplateRow
                  key={t.template.id}
                  stored={t}
                  manage={manage}
                  onEdit={setEditing}
                  onDeleted={reload}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {state.status === RequestStatus.Success && templates.length === 0 && (
        <p className="notice notice-info">
          No templates yet: readers write free-form reports until one is added.
        </p>
      )}
    </>
  );
}

function TemplateRow({
  stored,
  manage,
  onEdit,
  onDeleted,
}: {
  stored: StoredTemplate;
  manage: boolean;
  onEdit: (e: { mode: 'replace'; template: ReportTemplate }) => void;
  onDeleted: () => void;
}) {
  const t = stored.template;
  const [problem, setProblem] = useState<Problem | null>(null);
  return (
    <tr>
      <td>
        <strong>{t.name}</strong>
        <div className="muted">
          <code>{t.id}</code> · {t.title}
        </div>
        {problem && <ErrorNotice problem={problem} />}
      </td>
      <td>{matchText(t)}</td>
      <td>
        {t.sections.map((s) => s.title).join(', ')}
        {', Impression'}
      </td>
      <td>{t.active === false ? 'No' : 'Yes'}</td>
      <td>
        r{stored.revision}, {stored.updatedBy}
        <div className="muted">{formatInstant(stored.updatedAt)}</div>
      </td>
      {manage && (
        <td>
          <button
            type="button"
            className="button button-secondary button-small"
            onClick={() => onEdit({ mode: 'replace', template: t })}
          >
            Edit
          </button>{' '}
          <button
            type="button"
            className="button button-quiet button-small"
            onClick={async () => {
              if (!window.confirm(`Delete the template "${t.name}"? Signed reports keep their text.`)) return;
              try {
                await deleteTemplate(t.id);
                onDeleted();
              } catch (error) {
                setProblem(toProblem(error));
              }
            }}
          >
            Delete
          </button>
        </td>
      )}
    </tr>
  );
}

function TemplateEditor({
  mode,
  template,
  onDone,
}: {
  mode: 'create' | 'replace';
  template: ReportTemplate;
  onDone: () => void;
}) {
  const [source, setSource] = useState(JSON.stringify(template, null, 2));
  const [syntax, setSyntax] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [saving, setSaving] = useState(false);
  const id = useId();

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSyntax(null);
    setProblem(null);
    let doc: unknown;
    try {
      doc = JSON.parse(source);
    } catch (error) {
      setSyntax(`Not valid JSON: ${(error as Error).message}`);
      return;
    }
    setSaving(true);
    try {
      await saveTemplate(doc, mode, template.id);
      onDone();
    } catch (error) {
      setProblem(toProblem(error));
    } finally {
      setSaving(false);
    }
  }

  const errors = problem?.errors ?? [];
  return (
    <form className="section-editor" onSubmit={save} noValidate>
      <div className="field">
        <label htmlFor={id}>Template (JSON; see docs/reporting.md)</label>
        <textarea
          id={id}
          className="json-editor"
          value={source}
          spellCheck={false}
          rows={Math.min(30, Math.max(10, source.split('\n').length + 1))}
          onChange={(e) => setSource(e.target.value)}
          aria-invalid={syntax !== null || problem !== null || undefined}
        />
      </div>
      {syntax && (
        <p className="field-error" role="alert">
          {syntax}
        </p>
      )}
      {problem &&
        (errors.length > 0 ? (
          <div className="notice notice-error" role="alert">
            <p className="notice-title">
              The template was not saved: {errors.length} {errors.length === 1 ? 'problem' : 'problems'}
            </p>
            <ul className="validation-errors">
              {errors.map((e) => (
                <li key={`${e.path}:${e.message}`}>
                  <code className="error-path">{e.path || '(document)'}</code> {e.message}
                </li>
              ))}
            </ul>
          </div>
        ) : (
          <ErrorNotice problem={problem} />
        ))}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={saving}>
          {saving ? 'Saving…' : mode === 'create' ? 'Create template' : 'Save template'}
        </button>
        <button type="button" className="button button-secondary" onClick={onDone} disabled={saving}>
          Cancel
        </button>
      </div>
    </form>
  );
}
