// Chromium for the end-to-end tests: where it is, whether a test can run, and how it is launched.
// Every e2e file shares the same skip rule, so a missing browser or an unbuilt web app reads the same
// everywhere, and CONFER_REQUIRE_INTEGRATION=1 turns a skip into a failure (CI must not pass by skipping).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** The Chromium binary the tests drive (Debian's by default). */
export const chromiumPath = process.env.CONFER_CHROMIUM ?? '/usr/bin/chromium';

/** The built web app that Confer serves to the browser. */
export const webRoot = join(import.meta.dirname, '../../packages/web/dist');

/** Whether a missing browser or web app must fail the run instead of skipping it. */
export const integrationRequired = process.env.CONFER_REQUIRE_INTEGRATION === '1';

/**
 * The reason a browser test cannot run here, or `undefined` when it can (or must: under
 * CONFER_REQUIRE_INTEGRATION=1 nothing is skipped, so a missing piece fails the test instead).
 */
export const browserSkip: string | undefined = integrationRequired
  ? undefined
  : !existsSync(chromiumPath)
    ? 'Chromium is not installed (apt-get install chromium)'
    : !existsSync(join(webRoot, 'index.html'))
      ? 'the web app is not built (npm run build)'
      : undefined;

/** The flags every test passes; `--disable-gpu` is added unless the page draws with WebGL. */
const BASE_ARGS = ['--no-sandbox', '--disable-background-networking', '--no-first-run'];

/**
 * Launches headless Chromium. `webgl: true` leaves the GPU (software rendering headless) for pages that
 * draw with WebGL, such as the viewer; `extraArgs` are appended for tests that need more.
 */
export function launchChromium(options: { webgl?: boolean; extraArgs?: string[] } = {}): Promise<Browser> {
  const args = options.webgl
    ? [...BASE_ARGS, ...(options.extraArgs ?? [])]
    : ['--no-sandbox', '--disable-gpu', ...BASE_ARGS.slice(1), ...(options.extraArgs ?? [])];
  return chromium.launch({ executablePath: chromiumPath, args });
}
