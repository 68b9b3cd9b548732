import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { systemClock } from '@confer/core';
import type { Browser } from 'playwright-core';
import { seedDemoStudies } from '../packages/server/src/cli/demo.ts';
import { loadConfig } from '../packages/server/src/config/config.ts';
import { startConfer } from '../packages/server/src/main.ts';
import { DEFAULT_SITES } from '../packages/server/src/synthetic/index.ts';
import { launchChromium, browserSkip as skip, webRoot } from './support/browser.ts';
import { artifacts } from './support/screenshots.ts';

test('a person signs in, sees the demo studies, opens one, and signs out', { skip }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'confer-e2e-'));
  mkdirSync(artifacts, { recursive: true });
  const confer = await startConfer(
    loadConfig(
      { CONFER_DATA_DIR: dataDir },
      {
        httpPort: 0,
        dicomPort: 0,
        logLevel: 'silent',
        adminPassword: 'e2e-admin-password',
        sites: DEFAULT_SITES.map((s) => ({
          id: s.id,
          name: s.name,
          aeTitles: [s.aeTitle],
          timeZone: s.timeZone,
        })),
      },
    ),
    { completionTimer: false, webRoot },
  );
  let browser: Browser | undefined;
  try {
    const seeded = await seedDemoStudies(confer, systemClock, { studies: 5, slices: 4 });
    assert.equal(seeded.studies, 5);
    browser = await launchChromium({ extraArgs: ['--disable-component-update'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${confer.httpUrl}/`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('wrong-password-here');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(/wrong/i).first().waitFor();
    await page.screenshot({ path: join(artifacts, 'sign-in-refused.png') });

    await page.getByLabel('Password').fill('e2e-admin-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // An administrator lands on the worklist, like readers and coordinators; the studies are a click away.
    await page.getByRole('heading', { name: 'Worklist (all cases)' }).waitFor();
    await page.getByRole('link', { name: 'Studies' }).click();
    await page.getByRole('heading', { name: 'Studies' }).waitFor();
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    assert.ok((await rows.count()) >= 5, 'the five demo studies are listed');
    await page.screenshot({ path: join(artifacts, 'studies.png'), fullPage: true });

    const audit = await fetch(`${confer.httpUrl}/api/audit?limit=50`, {
      headers: { cookie: (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ') },
    });
    const events = (await audit.json()) as { events: { action: string; protocol: string }[] };
    assert.ok(
      events.events.some((e) => e.action === 'query' && e.protocol === 'dicomweb'),
      'the browser search is audited',
    );

    await page.getByRole('button', { name: /sign out/i }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  } finally {
    await browser?.close();
    await confer.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
