import type { Site, SystemInfo } from '../api-client.ts';
import { useApi } from '../api-context.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { RequestStatus, useRequest } from '../use-request.ts';

/**
 * Where to send images: the facts an integration engineer configures a modality or a router with,
 * and the sites whose calling AE titles the server accepts.
 */
export function SystemPage() {
  const api = useApi();
  const system = useRequest('system', (signal) => api.system(signal));
  const sites = useRequest('sites', (signal) => api.sites(signal));

  return (
    <>
      <div className="page-heading">
        <h1 tabIndex={-1}>System</h1>
      </div>
      <div className="panels">
        <section className="panel" aria-labelledby="send-images-heading">
          <h2 id="send-images-heading">Send images to Confer</h2>
          {system.state.status === RequestStatus.Loading && <p className="muted">Loading…</p>}
          {system.state.status === RequestStatus.Failure && (
            <ErrorNotice problem={system.state.problem} onRetry={system.reload} />
          )}
          {system.state.status === RequestStatus.Success && <ConnectionDetails system={system.state.data} />}
        </section>
        <section className="panel" aria-labelledby="sites-heading">
          <h2 id="sites-heading">Sending sites</h2>
          <p className="muted">
            Each calling AE title belongs to one site: set a sending device&rsquo;s own AE title to one listed
            for its site, so Confer knows where its studies come from.
          </p>
          {sites.state.status === RequestStatus.Loading && <p className="muted">Loading…</p>}
          {sites.state.status === RequestStatus.Failure && (
            <ErrorNotice problem={sites.state.problem} onRetry={sites.reload} />
          )}
          {sites.state.status === RequestStatus.Success && <SitesTable sites={sites.state.data} />}
        </section>
      </div>
    </>
  );
}

function ConnectionDetails({ system }: { system: SystemInfo }) {
  // The page's own host is the best guess at the server's address; a site that publishes DICOM on
  // another name (a load balancer, a VPN address) will say so in its own runbook.
  const host = window.location.hostname;
  const dicomwebUrl = new URL(system.dicomwebBase, window.location.origin).href.replace(/\/$/, '');
  return (
    <>
      <h3>DICOM (DIMSE)</h3>
      <dl className="facts">
        <dt>Called AE title</dt>
        <dd>
          <code className="copyable">{system.aeTitle}</code>
        </dd>
        <dt>Host</dt>
        <dd>
          <code className="copyable">{host}</code>
        </dd>
        <dt>Port</dt>
        <dd>
          <code className="copyable">{system.dicomPort}</code>
        </dd>
      </dl>
      <p className="hint">Test the association, then send a folder, with dcmtk:</p>
      <pre className="command">
        <code>
          {`echoscu -aet YOUR_AE -aec ${system.aeTitle} ${host} ${system.dicomPort}\n`}
          {`storescu +sd +r -aet YOUR_AE -aec ${system.aeTitle} ${host} ${system.dicomPort} ./study/`}
        </code>
      </pre>
      <h3>DICOMweb</h3>
      <dl className="facts">
        <dt>Base URL</dt>
        <dd>
          <code className="copyable">{dicomwebUrl}</code>
        </dd>
        <dt>Store (STOW-RS)</dt>
        <dd>
          <code className="copyable">POST {dicomwebUrl}/studies</code>
        </dd>
        <dt>Search (QIDO-RS)</dt>
        <dd>
          <code className="copyable">GET {dicomwebUrl}/studies</code>
        </dd>
      </dl>
      <h3>Server</h3>
      <dl className="facts">
        <dt>Version</dt>
        <dd>{system.version || '—'}</dd>
        <dt>Database</dt>
        <dd>
          {system.database === 'postgres'
            ? 'PostgreSQL'
            : system.database === 'sqlite'
              ? 'SQLite'
              : system.database}
        </dd>
      </dl>
    </>
  );
}

function SitesTable({ sites }: { sites: Site[] }) {
  if (sites.length === 0) {
    return <p className="notice notice-info">No sites are configured yet.</p>;
  }
  return (
    <table className="data-table">
      <thead>
        <tr>
          <th scope="col">Site</th>
          <th scope="col">Calling AE titles</th>
          <th scope="col">Time zone</th>
        </tr>
      </thead>
      <tbody>
        {sites.map((site) => (
          <tr key={site.id}>
            <td>{site.name}</td>
            <td>
              {site.aeTitles.length === 0 ? (
                <span className="muted">None</span>
              ) : (
                site.aeTitles.map((ae) => (
                  <code key={ae} className="badge badge-code">
                    {ae}
                  </code>
                ))
              )}
            </td>
            <td>{site.timeZone}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
