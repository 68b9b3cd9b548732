// Screenshots from the end-to-end tests land in test-artifacts/ at the repository root, named by the test.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/** Where the e2e screenshots are written. */
export const artifacts = join(import.meta.dirname, '../../test-artifacts');

/** Saves a full-page screenshot of `page` as test-artifacts/`name`, scrolled to the top first. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  // A full-page shot taken mid-scroll leaves sticky headers halfway down the picture.
  await page.evaluate(() =>
    (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0),
  );
  await page.screenshot({ path: join(artifacts, name), fullPage: true });
}
