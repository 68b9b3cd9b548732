import { type FormEvent, type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import { abilitiesOf, type User } from '../api-client.ts';
import { useApi } from '../api-context.ts';
import { type AppLocation, AppRoute, hrefFor, navigate } from '../app-route.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { RoutingSectionView } from '../components/routing-section-view.tsx';
import { formatInstant } from '../format-instant.ts';
import { type Problem, toProblem } from '../problem.ts';
import {
  isRoutingSection,
  parseSectionJson,
  pathInSection,
  type RoutingSection,
  routingSectionLabels,
  routingSections,
  sectionSource,
} from '../routing-sections.ts';
import { RequestStatus, useRequest } from '../use-request.ts';
import type { RoutingConfigDocument } from '../worklist-model.ts';

interface RoutingPageProps {
  user: User;
  location: AppLocation;
}

/**
 * Routing for coordinators: the live version and its history, each section as a readable table, and an
 * editor per section that saves a new version (validated by the server, every error shown with its path).
 */
export function RoutingPage({ user, location }: RoutingPageProps) {
  if (!abilitiesOf(user).routing) {
    return (
      <>
        <div className="page-heading">
          <h1 tabIndex={-1}>Routing</h1>
        </div>
        <p className="notice notice-info">
          Routing rules, shifts and rosters are managed by coordinators and administrators.
        </p>
      </>
    );
  }
  return <RoutingManager location={location} />;
}

function RoutingManager({ location }: { location: AppLocation }) {
  const api = useApi();
  const live = useRequest('routing-config', (signal) => api.routingConfig(signal));
  const versions = useRequest('routing-versions', (signal) => api.routingVersions(signal));
  const requested = location.params.get('section');
  const section: RoutingSection = isRoutingSection(requested) ? requested : 'rules';
  const [viewing, setViewing] = useState<{ version: number; config: RoutingConfigDocument } | null>(null);
  const [viewProblem, setViewProblem] = useState<Problem | null>(null);
  const [reloadState, setReloadState] = useState<{
    busy: boolean;
    text: string | null;
    problem: Problem | null;
  }>({
    busy: false,
    text: null,
    problem: null,
  });

  const setSection = (next: RoutingSection) =>
    navigate(hrefFor(AppRoute.Routing, new URLSearchParams({ section: next })), { replace: true });

  function refresh() {
    live.reload();
    versions.reload();
  }

  async function view(version: number) {
    setViewProblem(null);
    try {
      setViewing({ version, config: await api.routingVersion(version) });
    } catch (error) {
      setViewProblem(toProblem(error));
    }
  }

  async function reloadFromFile() {
    setReloadState({ busy: true, text: null, problem: null });
    try {
      const saved = await api.reloadRouting();
      setReloadState({
        busy: false,
        text: `Loaded the routing file as version ${saved.version}.${saved.warnings.length > 0 ? ` ${saved.warnings.length} warning(s).` : ''}`,
        problem: null,
      });
      setViewing(null);
      refresh();
    } catch (error) {
      setReloadState({ busy: false, text: null, problem: toProblem(error) });
    }
  }

  const liveData = live.state.data;
  const shown = viewing && viewing.version !== liveData?.version ? viewing : null;
  const config = shown?.config ?? liveData?.config ?? null;

  return (
    <>
      <div className="page-heading page-heading-row">
        <div>
          <h1 tabIndex={-1}>Routing</h1>
          <p className="muted">
            Rules, shifts, rosters and SLAs. Every save is a new version and goes live at once.
          </p>
        </div>
        <div className="heading-actions">
          <button
            type="button"
            className="button button-secondary"
            onClick={reloadFromFile}
            disabled={reloadState.busy}
          >
            {reloadState.busy ? 'Reloading…' : 'Reload from file'}
          </button>
        </div>
      </div>
      <div role="status">
        {reloadState.text && <p className="notice notice-success">{reloadState.text}</p>}
      </div>
      {reloadState.problem && <ValidationProblem problem={reloadState.problem} section={null} />}

      {live.state.status === RequestStatus.Failure && (
        <ErrorNotice problem={live.state.problem} onRetry={live.reload} />
      )}
      {liveData && (
        <section className="panel live-version" aria-labelledby="live-version-heading">
          <h2 id="live-version-heading">
            {liveData.version === 0 ? 'No routing configuration yet' : `Live: version ${liveData.version}`}
          </h2>
          {liveData.version > 0 && (
            <p>
              Saved by <strong>{liveData.createdBy ?? 'unknown'}</strong>
              {liveData.createdAt && <> on {formatInstant(liveData.createdAt)}</>}
              {liveData.comment && <> — “{liveData.comment}”</>}
            </p>
          )}
          {liveData.version === 0 && (
            <p className="muted">
              Confer routes nothing until a configuration is saved: PUT the whole document to
              /api/routing/config, or set a routing file and reload it.
            </p>
          )}
          {liveData.warnings.length > 0 && (
            <div className="notice notice-warning">
              <p className="notice-title">Warnings</p>
              <ul>
                {liveData.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            </div>
          )}
        </section>
      )}

      {shown && (
        <div className="notice notice-info viewing-banner" role="status">
          Viewing version {shown.version}, which is not live.{' '}
          <button
            type="button"
            className="button button-secondary button-small"
            onClick={() => setViewing(null)}
          >
            Back to the live version
          </button>
        </div>
      )}
      {viewProblem && <ErrorNotice problem={viewProblem} />}

      {config && (
        <SectionTabs
          section={section}
          onSelect={setSection}
          config={config}
          baseVersion={shown?.version ?? null}
          onSaved={() => {
            setViewing(null);
            refresh();
          }}
        />
      )}

      <section className="panel" aria-labelledby="history-heading">
        <h2 id="history-heading">Version history</h2>
        {versions.state.status === RequestStatus.Failure && (
          <ErrorNotice problem={versions.state.problem} onRetry={versions.reload} />
        )}
        {versions.state.data && versions.state.data.length === 0 && (
          <p className="muted">No versions saved yet.</p>
        )}
        {versions.state.data && versions.state.data.length > 0 && (
          <table className="data-table compact">
            <thead>
              <tr>
                <th scope="col" className="numeric">
                  Version
                </th>
                <th scope="col">Saved</th>
                <th scope="col">By</th>
                <th scope="col">Comment</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {versions.state.data.map((v) => (
                <tr key={v.version} className={v.live ? 'is-live' : undefined}>
                  <td className="numeric">
                    {v.version} {v.live && <span className="badge badge-good">live</span>}
                  </td>
                  <td className="nowrap">{formatInstant(v.createdAt)}</td>
                  <td>{v.createdBy}</td>
                  <td>{v.comment ?? <span className="muted">—</span>}</td>
                  <td>
                    {!v.live && (
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        onClick={() => view(v.version)}
                      >
                        View<span className="visually-hidden"> version {v.version}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

interface SectionTabsProps {
  section: RoutingSection;
  onSelect: (section: RoutingSection) => void;
  config: RoutingConfigDocument;
  /** The old version being viewed, or null for the live one. */
  baseVersion: number | null;
  onSaved: () => void;
}

/** The sections as ARIA tabs: arrow keys move between them, as in any tab list. */
function SectionTabs({ section, onSelect, config, baseVersion, onSaved }: SectionTabsProps) {
  const id = useId();
  const tabRefs = useRef(new Map<RoutingSection, HTMLButtonElement>());
  // Editing belongs to one section of one version: switching either leaves the editor.
  const editKey = `${section}:${baseVersion ?? 'live'}`;
  const [editingKey, setEditingKey] = useState<string | null>(null);
  const editing = editingKey === editKey;
  const setEditing = (on: boolean) => setEditingKey(on ? editKey : null);

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const index = routingSections.indexOf(section);
    let next: number | null = null;
    if (event.key === 'ArrowRight') next = (index + 1) % routingSections.length;
    else if (event.key === 'ArrowLeft') next = (index - 1 + routingSections.length) % routingSections.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = routingSections.length - 1;
    if (next === null) return;
    event.preventDefault();
    const target = routingSections[next]!;
    onSelect(target);
    tabRefs.current.get(target)?.focus();
  }

  return (
    <section className="panel" aria-label="Routing sections">
      <div role="tablist" aria-label="Sections" className="tabs" onKeyDown={onKeyDown} tabIndex={-1}>
        {routingSections.map((s) => (
          <button
            key={s}
            ref={(el) => {
              if (el) tabRefs.current.set(s, el);
            }}
            type="button"
            role="tab"
            id={`${id}-tab-${s}`}
            aria-selected={s === section}
            aria-controls={`${id}-panel`}
            tabIndex={s === section ? 0 : -1}
            className="tab"
            onClick={() => onSelect(s)}
          >
            {routingSectionLabels[s]}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${section}`} className="tab-panel">
        <div className="tab-panel-actions">
          {!editing && (
            <button type="button" className="button button-secondary" onClick={() => setEditing(true)}>
              Edit {routingSectionLabels[section].toLowerCase()} as JSON
              {baseVersion !== null && <> (starting from version {baseVersion})</>}
            </button>
          )}
        </div>
        {editing ? (
          <SectionEditor
            key={editKey}
            section={section}
            initial={config[section]}
            baseVersion={baseVersion}
            onCancel={() => setEditing(false)}
            onSaved={() => {
              setEditing(false);
              onSaved();
            }}
          />
        ) : (
          <RoutingSectionView section={section} config={config} />
        )}
      </div>
    </section>
  );
}

interface SectionEditorProps {
  section: RoutingSection;
  initial: unknown;
  baseVersion: number | null;
  onCancel: () => void;
  onSaved: () => void;
}

/** A section as JSON in a textarea; saving makes a new live version, or lists why the server refused it. */
function SectionEditor({ section, initial, baseVersion, onCancel, onSaved }: SectionEditorProps) {
  const api = useApi();
  const id = useId();
  const [source, setSource] = useState(() => sectionSource(initial));
  const [comment, setComment] = useState(
    baseVersion === null ? '' : `restore ${section} from version ${baseVersion}`,
  );
  const [saving, setSaving] = useState(false);
  const [syntax, setSyntax] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const textareaRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    textareaRef.current?.focus();
  }, []);

  async function save(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    setSaved(null);
    const parsed = parseSectionJson(source);
    if (!parsed.ok) {
      setSyntax(parsed.message);
      return;
    }
    setSyntax(null);
    setSaving(true);
    try {
      const result = await api.saveRoutingSection(section, parsed.value, comment);
      setSaved(`Saved as version ${result.version}; it is live now.`);
      onSaved();
    } catch (error) {
      setProblem(toProblem(error));
    } finally {
      setSaving(false);
    }
  }

  const errorId = `${id}-errors`;
  const invalid = syntax !== null || problem !== null;
  return (
    <form className="section-editor" onSubmit={save} noValidate>
      <div className="field">
        <label htmlFor={`${id}-json`}>{routingSectionLabels[section]} (JSON)</label>
        <textarea
          id={`${id}-json`}
          ref={textareaRef}
          className="json-editor"
          value={source}
          spellCheck={false}
          rows={Math.min(30, Math.max(8, source.split('\n').length + 1))}
          onChange={(e) => setSource(e.target.value)}
          aria-invalid={invalid || undefined}
          aria-describedby={invalid ? errorId : undefined}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-comment`}>
          Comment <span className="muted">(shown in the version history)</span>
        </label>
        <input
          id={`${id}-comment`}
          value={comment}
          maxLength={200}
          onChange={(e) => setComment(e.target.value)}
        />
      </div>
      <div id={errorId}>
        {syntax && (
          <p className="field-error" role="alert">
            {syntax}
          </p>
        )}
        {problem && <ValidationProblem problem={problem} section={section} />}
      </div>
      <div role="status">{saved && <p className="notice notice-success">{saved}</p>}</div>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={saving}>
          {saving ? 'Saving…' : 'Save as new version'}
        </button>
        <button type="button" className="button button-secondary" onClick={onCancel} disabled={saving}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** A refused save: the problem, then every validation error with its path, this section's first. */
function ValidationProblem({ problem, section }: { problem: Problem; section: RoutingSection | null }) {
  const errors = problem.errors ?? [];
  const ordered =
    section === null
      ? errors
      : [
          ...errors.filter((e) => pathInSection(e.path, section)),
          ...errors.filter((e) => !pathInSection(e.path, section)),
        ];
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">
        {errors.length > 0
          ? `The configuration was not saved: ${errors.length} ${errors.length === 1 ? 'problem' : 'problems'}`
          : problem.title}
      </p>
      {errors.length === 0 && problem.detail && <p>{problem.detail}</p>}
      {errors.length > 0 && (
        <ul className="validation-errors">
          {ordered.map((e, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: two errors may share a path and a message.
            <li key={index}>
              <code className="error-path">{e.path || '(document)'}</code> {e.message}
            </li>
          ))}
        </ul>
      )}
      {problem.code && (
        <p className="notice-meta">
          Error code <code>{problem.code}</code>
        </p>
      )}
    </div>
  );
}
