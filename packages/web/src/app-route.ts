import { useSyncExternalStore } from 'react';

/**
 * The app's pages. Routing lives in the URL fragment so the server only ever has to serve index.html
 * at '/', and so nothing typed into a filter (patient names, IDs) is put in a URL where it would reach
 * server logs or browser history.
 */
export const AppRoute = {
  Studies: 'studies',
  Audit: 'audit',
  System: 'system',
} as const;

export type AppRoute = (typeof AppRoute)[keyof typeof AppRoute];

const routes = new Set<string>(Object.values(AppRoute));

/** The route a fragment such as `#/audit` names; anything unknown is the studies page. */
export function routeFromHash(hash: string): AppRoute {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return routes.has(name) ? (name as AppRoute) : AppRoute.Studies;
}

/** The link for a route, for `<a href>`. */
export function hrefFor(route: AppRoute): string {
  return `#/${route}`;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

/** The current route, re-rendering on back, forward and link clicks. */
export function useAppRoute(): AppRoute {
  return useSyncExternalStore(subscribe, () => routeFromHash(window.location.hash));
}
