import { useState } from 'react';
import type { User } from '../api-client.ts';
import { type CriticalResult, listCriticalResults } from '../critical/critical-api.ts';
import { categoryLabel } from '../critical/critical-model.ts';
import { usePolling } from '../critical/use-critical.ts';
import { AcknowledgeButton } from '../pages/critical-page.tsx';
import { useRequest } from '../use-request.ts';

/**
 * For clinicians: the critical results waiting for their acknowledgement, on every page, each with a
 * one-click Acknowledge. Checked every few seconds, so an escalation that reaches them shows by itself.
 */
export function CriticalBanner({ user }: { user: User }) {
  const shown = user.roles.includes('referrer');
  const { state, reload } = useRequest<CriticalResult[]>(shown ? user.username : null, (signal) =>
    listCriticalResults({ state: 'open', mine: true }, signal),
  );
  usePolling(reload);
  const [hidden, setHidden] = useState<string[]>([]);
  const pending = (state.data ?? []).filter((r) => !hidden.includes(r.id));
  if (!shown || pending.length === 0) return null;
  return (
    <section className="notice notice-warning critical-banner" aria-labelledby="critical-banner-title">
      <h2 id="critical-banner-title" className="notice-title">
        {pending.length === 1
          ? 'A critical result needs your acknowledgement'
          : `${pending.length} critical results need your acknowledgement`}
      </h2>
      <ul className="plain-list">
        {pending.map((r) => (
          <li key={r.id} data-result-id={r.id}>
            <strong>{categoryLabel(r.category)}</strong> on case {r.caseId}:{' '}
            <a href={`#/critical/${encodeURIComponent(r.id)}`}>{r.finding}</a>{' '}
            <AcknowledgeButton
              id={r.id}
              onDone={() => {
                setHidden((h) => [...h, r.id]);
                reload();
              }}
            />
          </li>
        ))}
      </ul>
    </section>
  );
}
