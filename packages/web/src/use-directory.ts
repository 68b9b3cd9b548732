import { useCallback, useMemo } from 'react';
import type { Site } from './api-client.ts';
import { useApi } from './api-context.ts';
import { RequestStatus, useRequest } from './use-request.ts';
import type { DirectoryReader } from './worklist-model.ts';

export interface Directory {
  readers: DirectoryReader[];
  sites: Site[];
  /** The caller's reader id, or null when not a reader (or not loaded yet). */
  you: string | null;
  /** A reader's name for an id, or the id when unknown. */
  readerName: (id: string) => string;
  /** A site's name for an id, or the id when unknown. */
  siteName: (id: string | null) => string;
  /** The IANA zone of a site, when known. */
  siteZone: (id: string | null) => string | undefined;
  loaded: boolean;
  reload: () => void;
}

/** The reader directory and the sites, to show names instead of ids. Failures leave ids showing. */
export function useDirectory(): Directory {
  const api = useApi();
  const readers = useRequest('readers', (signal) => api.readers(signal));
  const sites = useRequest('sites', (signal) => api.sites(signal));
  const readerList = readers.state.data?.readers;
  const siteList = sites.state.data;
  const readerName = useMemo(() => {
    const byId = new Map((readerList ?? []).map((r) => [r.id, r.name]));
    return (id: string) => byId.get(id) ?? id;
  }, [readerList]);
  const siteById = useMemo(() => new Map((siteList ?? []).map((s) => [s.id, s])), [siteList]);
  const siteName = useCallback(
    (id: string | null) => (id === null ? '—' : (siteById.get(id)?.name ?? id)),
    [siteById],
  );
  const siteZone = useCallback(
    (id: string | null) => (id === null ? undefined : siteById.get(id)?.timeZone),
    [siteById],
  );
  const reloadReaders = readers.reload;
  const reloadSites = sites.reload;
  const reload = useCallback(() => {
    reloadReaders();
    reloadSites();
  }, [reloadReaders, reloadSites]);
  return {
    readers: readerList ?? [],
    sites: siteList ?? [],
    you: readers.state.data?.you ?? null,
    readerName,
    siteName,
    siteZone,
    loaded: readers.state.status !== RequestStatus.Loading && sites.state.status !== RequestStatus.Loading,
    reload,
  };
}
