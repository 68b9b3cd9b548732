import { readFile } from 'node:fs/promises';
import { validateRoutingConfig } from '@confer/core';
import { RoutingConfigError, type RoutingConfigStore, type RoutingVersion } from './routing-config-store.ts';

/**
 * Loads a routing config file as a new version when its content differs from the live version, so a
 * restart with an unchanged file does not pile up versions. Throws RoutingConfigError (every problem, with
 * its JSON path) when the file is invalid: Confer then refuses to start rather than route with stale rules.
 */
export async function loadRoutingFile(
  routing: RoutingConfigStore,
  file: string,
): Promise<RoutingVersion | undefined> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new RoutingConfigError([
      { path: file, message: `cannot read it as JSON: ${(err as Error).message}` },
    ]);
  }
  const result = validateRoutingConfig(doc);
  if (!result.ok)
    throw new RoutingConfigError(result.errors.map((e) => ({ ...e, path: `${file}: ${e.path}` })));
  const live = routing.current();
  if (live && JSON.stringify(live.config) === JSON.stringify(result.config)) return undefined;
  return routing.save(doc, 'config-file', `loaded from ${file}`);
}
