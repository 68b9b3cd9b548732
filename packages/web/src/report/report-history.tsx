import { type FormEvent, useId, useState } from 'react';
import { ErrorNotice } from '../components/error-notice.tsx';
import { formatInstant } from '../format-instant.ts';
import { type Problem, toProblem } from '../problem.ts';
import { diffVersions, type ReportDiff, type ReportView } from './report-api.ts';
import { kindLabels } from './report-model.ts';

type Ref = number | 'draft';

/** The signed versions, oldest first, and a word-level comparison of any two (or of the draft). */
export function ReportHistory({ caseId, report }: { caseId: string; report: ReportView }) {
  const versions = report.versions;
  const options: Ref[] = [
    ...versions.map((v) => v.version),
    ...(report.draft && report.canWrite ? ['draft' as const] : []),
  ];
  const last = versions.at(-1)?.version;
  const [from, setFrom] = useState<Ref>(versions.at(-2)?.version ?? last ?? 'draft');
  const [to, setTo] = useState<Ref>(last ?? 'draft');
  const [diff, setDiff] = useState<ReportDiff | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const fromId = useId();
  const toId = useId();

  if (versions.length === 0) return null;

  async function compare(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      setDiff(await diffVersions(caseId, from, to));
    } catch (error) {
      setProblem(toProblem(error));
    } finally {
      setBusy(false);
    }
  }

  const name = (r: Ref) => {
    if (r === 'draft') return 'Draft';
    const v = versions.find((x) => x.version === r);
    return v ? `v${v.version} ${kindLabels[v.kind]}` : `v${r}`;
  };
  const parse = (s: string): Ref => (s === 'draft' ? 'draft' : Number(s));

  return (
    <div className="report-history">
      <h3>Version history</h3>
      <table className="data-table report-versions">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Kind</th>
            <th scope="col">Signed by</th>
            <th scope="col">Signed</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version}>
              <td>v{v.version}</td>
              <td>{kindLabels[v.kind]}</td>
              <td>{v.author.name}</td>
              <td>
                <time dateTime={v.signedAt}>{formatInstant(v.signedAt)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {options.length > 1 && (
        <form className="report-compare" onSubmit={compare} aria-label="Compare versions">
          <div className="field field-inline">
            <label htmlFor={fromId}>Compare</label>
            <select id={fromId} value={String(from)} onChange={(e) => setFrom(parse(e.target.value))}>
              {options.map((o) => (
                <option key={String(o)} value={String(o)}>
                  {name(o)}
                </option>
              ))}
            </select>
          </div>
          <div className="field field-inline">
            <label htmlFor={toId}>with</label>
            <select id={toId} value={String(to)} onChange={(e) => setTo(parse(e.target.value))}>
              {options.map((o) => (
                <option key={String(o)} value={String(o)}>
                  {name(o)}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="button button-secondary" disabled={busy}>
            {busy ? 'Comparing…' : 'Show changes'}
          </button>
        </form>
      )}
      {problem && <ErrorNotice problem={problem} />}
      {diff && (
        <section className="report-diff" aria-label={`Changes from ${name(diff.from)} to ${name(diff.to)}`}>
          <p className="muted">
            {name(diff.from)} → {name(diff.to)}: {diff.added} word{diff.added === 1 ? '' : 's'} added,{' '}
            {diff.removed} removed
          </p>
          <div className="report-text diff-text">
            {diff.ops.map((op, i) =>
              op.kind === 'added' ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: the ops are a fixed list rendered once
                <ins key={i} className="diff-added">
                  {op.text}
                </ins>
              ) : op.kind === 'removed' ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: the ops are a fixed list rendered once
                <del key={i} className="diff-removed">
                  {op.text}
                </del>
              ) : (
                // biome-ignore lint/suspicious/noArrayIndexKey: the ops are a fixed list rendered once
                <span key={i}>{op.text}</span>
              ),
            )}
          </div>
        </section>
      )}
    </div>
  );
}
