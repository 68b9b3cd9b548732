// A small JSON request helper for feature pages (peer review, boards) that talk to their own API: same
// origin, session cookie, no HTTP cache, and every failure as a ProblemError, like the main API client.

import { networkProblem, ProblemError, problemFromResponse, unexpectedResponseProblem } from './problem.ts';

export type JsonMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Sends a request and reads the JSON answer; a 4xx/5xx becomes a {@link ProblemError}. */
export async function requestJson<T>(
  method: JsonMethod,
  path: string,
  options: { body?: unknown; signal?: AbortSignal; fetch?: typeof globalThis.fetch } = {},
): Promise<T> {
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  let response: Response;
  try {
    response = await fetchFn(path, {
      method,
      credentials: 'same-origin',
      // Answers carry patient data: keep them out of the browser's HTTP cache on shared workstations.
      cache: 'no-store',
      signal: options.signal ?? null,
      headers: {
        Accept: 'application/json, application/problem+json',
        ...(options.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ProblemError(networkProblem());
  }
  const text = await response.text();
  if (!response.ok)
    throw new ProblemError(problemFromResponse(response.status, response.headers.get('Content-Type'), text));
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ProblemError(unexpectedResponseProblem(response.status, `${method} ${path}`));
  }
}
