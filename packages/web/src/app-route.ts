import { useMemo, useSyncExternalStore } from 'react';

/**
 * The app's pages. Routing lives in the URL fragment so the server only ever has to serve index.html
 * at '/', and so nothing typed into a filter (patient names, IDs) is put in a URL where it would reach
 * server logs; the worklist keeps only its structured filters and sort in the fragment's query.
 */
export const AppRoute = {
  Worklist: 'worklist',
  Case: 'cases',
  Coordinator: 'coordinator',
  Routing: 'routing',
  Studies: 'studies',
  Audit: 'audit',
  System: 'system',
  Consults: 'consults',
  /** Critical results: the dashboard or one's own, and `#/critical/<id>` for one result. */
  Critical: 'critical',
  /** Report templates (list for readers, editor for report managers). */
  ReportTemplates: 'report-templates',
  PeerReview: 'peer-review',
  Boards: 'boards',
  /** Where signed reports went (HL7, FHIR), failures first, with the retry command. */
  ReportDeliveries: 'report-deliveries',
  /** The image viewer: `#/cases/<id>/viewer` for a case, `#/viewer?study=<uid>` for a bare study. */
  Viewer: 'viewer',
} as const;

export type AppRoute = (typeof AppRoute)[keyof typeof AppRoute];

const routes = new Set<string>(Object.values(AppRoute));

/** Where the fragment points: the page, the case for `#/cases/<id>`, and the query after `?`. */
export interface AppLocation {
  /** Null for an empty or unknown fragment: the app then shows the user's landing page. */
  route: AppRoute | null;
  caseId: string | null;
  params: URLSearchParams;
}

/** Reads a fragment such as `#/worklist?state=ready` or `#/cases/C-1A2B`. */
export function parseLocation(hash: string): AppLocation {
  const fragment = hash.replace(/^#\/?/, '');
  const queryAt = fragment.indexOf('?');
  const path = queryAt < 0 ? fragment : fragment.slice(0, queryAt);
  const params = new URLSearchParams(queryAt < 0 ? '' : fragment.slice(queryAt + 1));
  const [name = '', id = '', sub = ''] = path.split('/');
  if (!routes.has(name)) return { route: null, caseId: null, params };
  if (name === AppRoute.Case) {
    let caseId: string | null = null;
    try {
      caseId = id === '' ? null : decodeURIComponent(id);
    } catch {
      caseId = null;
    }
    if (caseId !== null && sub === AppRoute.Viewer) return { route: AppRoute.Viewer, caseId, params };
    return caseId === null ? { route: null, caseId: null, params } : { route: AppRoute.Case, caseId, params };
  }
  return { route: name as AppRoute, caseId: null, params };
}

/** The link for a page, for `<a href>`, with an optional query. */
export function hrefFor(route: Exclude<AppRoute, typeof AppRoute.Case>, params?: URLSearchParams): string {
  const query = params?.toString() ?? '';
  return `#/${route}${query === '' ? '' : `?${query}`}`;
}

/** The viewer on a study outside any case (measurements are not saved there). */
export function studyViewerHref(studyUid: string): string {
  return `#/${AppRoute.Viewer}?study=${encodeURIComponent(studyUid)}`;
}

/** The viewer on a case's study, optionally opened on one annotation. */
export function viewerHref(caseId: string, annotationId?: string): string {
  const query = annotationId ? `?annotation=${encodeURIComponent(annotationId)}` : '';
  return `#/${AppRoute.Case}/${encodeURIComponent(caseId)}/${AppRoute.Viewer}${query}`;
}

/** The link for a case's page. */
export function caseHref(caseId: string): string {
  return `#/${AppRoute.Case}/${encodeURIComponent(caseId)}`;
}

let lastWorklistHref: string = hrefFor(AppRoute.Worklist);

/** Remembers the worklist view last shown, so "back to the worklist" returns to the same filters. */
export function rememberWorklistHref(href: string): void {
  if (parseLocation(href).route === AppRoute.Worklist) lastWorklistHref = href;
}

/** The worklist link with the filters last used in this tab. */
export function worklistHref(): string {
  return lastWorklistHref;
}

const replacedEvent = 'confer:location-replaced';

/**
 * Goes to a link. `replace` swaps the current history entry instead (a filter change should not make
 * Back step through every checkbox), and tells the app, since replaceState fires no hashchange.
 */
export function navigate(href: string, options: { replace?: boolean } = {}): void {
  if (options.replace) {
    if (window.location.hash === href) return;
    window.history.replaceState(window.history.state, '', href);
    window.dispatchEvent(new Event(replacedEvent));
  } else {
    window.location.hash = href;
  }
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  window.addEventListener(replacedEvent, onChange);
  return () => {
    window.removeEventListener('hashchange', onChange);
    window.removeEventListener(replacedEvent, onChange);
  };
}

/** The current location, re-rendering on back, forward, link clicks and replaced entries. */
export function useAppLocation(): AppLocation {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return useMemo(() => parseLocation(hash), [hash]);
}
