import { useEffect } from 'react';
import { ErrorNotice } from '../components/error-notice.tsx';
import { formatInstant } from '../format-instant.ts';
import { RequestStatus, useRequest } from '../use-request.ts';
import { deliveryApi, deliveryStateLabel, type SignedVersion, signedKindLabel } from './delivery-api.ts';
import './delivery.css';

/** While a delivery is on its way the panel looks again this often, so "Waiting" turns into the outcome. */
const REFRESH_MS = 5_000;

/**
 * The case's signed report versions with their PDFs and where each was delivered (HL7 to the RIS, FHIR).
 * `reloadKey` changes when the case changes (a new signature), so the list follows at once.
 */
export function SignedReportsPanel({ caseId, reloadKey }: { caseId: string; reloadKey: string }) {
  const { state, reload } = useRequest(`${caseId}:${reloadKey}`, (signal) =>
    deliveryApi.signedVersions(caseId, signal),
  );
  const versions = state.data?.versions;
  const inFlight = versions?.some((v) =>
    v.deliveries.some((d) => d.state === 'pending' || d.state === 'sending'),
  );
  useEffect(() => {
    if (!inFlight) return;
    const timer = setTimeout(reload, REFRESH_MS);
    return () => clearTimeout(timer);
  }, [inFlight, reload]);

  // Someone without report:read has nothing to see here, and needs no error about it.
  if (state.status === RequestStatus.Failure && state.problem.status === 403) return null;
  if (state.status === RequestStatus.Failure)
    return (
      <section className="panel" aria-labelledby="signed-reports-heading">
        <h2 id="signed-reports-heading">Signed reports</h2>
        <ErrorNotice problem={state.problem} onRetry={reload} />
      </section>
    );
  // Nothing signed (or nothing this user may read): the report panel already says so.
  if (!versions || versions.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="signed-reports-heading">
      <h2 id="signed-reports-heading">Signed reports</h2>
      <div className="table-scroll">
        <table className="data-table signed-reports-table">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Signed</th>
              <th scope="col">PDF</th>
              <th scope="col">Delivered to</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <VersionRow key={`${v.reportId}:${v.version}`} version={v} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function VersionRow({ version: v }: { version: SignedVersion }) {
  return (
    <tr>
      <th scope="row">
        {signedKindLabel[v.kind]} v{v.version}
      </th>
      <td>
        {formatInstant(v.signedAt)}
        <span className="muted"> by {v.signedBy}</span>
      </td>
      <td>
        <a
          href={v.pdfUrl}
          target="_blank"
          rel="noopener"
          aria-label={`PDF of ${signedKindLabel[v.kind].toLowerCase()} version ${v.version}`}
        >
          PDF
        </a>
      </td>
      <td>
        {v.deliveries.length === 0 ? (
          <span className="muted">No destination configured</span>
        ) : (
          <ul className="delivery-list">
            {v.deliveries.map((d) => (
              <li key={d.id}>
                <span className="delivery-destination">{d.destinationId}</span>{' '}
                <span className={`badge ${deliveryStateLabel[d.state].badge}`}>
                  {deliveryStateLabel[d.state].text}
                </span>
                {d.lastAckCode && <span className="muted"> ({d.lastAckCode})</span>}
                {d.state === 'failed' && d.lastError && (
                  <span className="delivery-error"> {d.lastError}</span>
                )}
              </li>
            ))}
          </ul>
        )}
      </td>
    </tr>
  );
}
