import { createContext, useContext } from 'react';
import type { ConferApi } from './api-client.ts';

/** The API client for the component tree; a context so tests and stories can hand in a fake. */
export const ApiContext = createContext<ConferApi | null>(null);

/** The API client from the nearest {@link ApiContext}. */
export function useApi(): ConferApi {
  const api = useContext(ApiContext);
  if (api === null) throw new Error('useApi() needs an <ApiContext value={api}> above it in the tree');
  return api;
}
