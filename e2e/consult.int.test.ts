// Case discussion and consults end to end in Debian's Chromium: a reader posts a comment mentioning a
// colleague, whose bell shows it; the reader asks the neuro pool for a second opinion; routing gives it to
// the one eligible neuroradiologist, who finds it, opens the case (visible to them only through the
// consult), and answers; the requester sees the answer on the case, live. Screenshots land in
// test-artifacts/. Every wait is on a page condition, never a fixed sleep.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { loadConfig } from '../packages/server/src/config/config.ts';
import { type ConferHandle, startConfer } from '../packages/server/src/main.ts';
import { DEFAULT_SITES, planStudy, Rng, type SyntheticSite } from '../packages/server/src/synthetic/index.ts';
import { caseIdFor } from '../packages/server/src/worklist/worklist-service.ts';
import { collaborationRouting } from '../packages/server/test/support/collaboration.ts';

const chromiumPath = process.env.CONFER_CHROMIUM ?? '/usr/bin/chromium';
const webRoot = join(import.meta.dirname, '../packages/web/dist');
const artifacts = join(import.meta.dirname, '../test-artifacts');
const required = process.env.CONFER_REQUIRE_INTEGRATION === '1';
const skip = required
  ? undefined
  : !existsSync(chromiumPath)
    ? 'Chromium is not installed (apt-get install chromium)'
    : !existsSync(join(webRoot, 'index.html'))
      ? 'the web app is not built (npm run build)'
      : undefined;

const SPOKE = DEFAULT_SITES.find((s) => s.id === 'brightwater')!; // America/New_York, US-NY

const passwords = {
  admin: 'e2e-admin-password',
  ben: 'ben-password-e2e',
  dee: 'dee-password-e2e',
  olive: 'olive-password-e2e',
} as const;

async function storeStudy(confer: ConferHandle, site: SyntheticSite): Promise<string> {
  const study = planStudy(
    { site, studyDateTime: new Date(), protocol: 'cr-chest-ap', tiny: true, slices: 2 },
    new Rng(`e2e-consult-${process.pid}`),
  );
  for (const instance of study.instances()) {
    const out = await confer.ingest.store({
      body: [instance.part10],
      framing: 'part10',
      actor: { kind: 'ae', id: site.aeTitle, name: site.aeTitle, roles: ['modality'], siteId: site.id },
      origin: { protocol: 'cli', remoteAddress: 'e2e' },
    });
    if (!out.ok) throw new Error(`storing the study failed: ${out.reason}`);
  }
  return caseIdFor(study.studyUid);
}

async function signIn(page: Page, baseUrl: string, username: keyof typeof passwords) {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(passwords[username]);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function shot(page: Page, name: string) {
  await page.evaluate(() =>
    (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0),
  );
  await page.screenshot({ path: join(artifacts, name), fullPage: true });
}

test('a mention reaches a colleague’s bell; a second opinion is routed, answered and shown on the case', {
  skip,
}, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'confer-e2e-consult-'));
  mkdirSync(artifacts, { recursive: true });
  const confer = await startConfer(
    loadConfig(
      { CONFER_DATA_DIR: dataDir },
      {
        httpPort: 0,
        dicomPort: 0,
        logLevel: 'silent',
        adminPassword: passwords.admin,
        studyQuietPeriodMs: 0,
        sites: DEFAULT_SITES.map((s) => ({
          id: s.id,
          name: s.name,
          aeTitles: [s.aeTitle],
          timeZone: s.timeZone,
          jurisdiction: s.jurisdiction,
        })),
      },
    ),
    { completionTimer: false, webRoot },
  );
  let browser: Browser | undefined;
  try {
    for (const [username, roles, displayName] of [
      ['ben', ['radiologist'], 'Dr Ben Marsh'],
      ['dee', ['radiologist'], 'Dr Dee Okoro'],
      ['olive', ['coordinator'], 'Olive Grant'],
    ] as const)
      await confer.access.createUser({
        username,
        password: passwords[username],
        roles: [...roles],
        displayName,
      });
    // Ben reads New York cases; Dee is a neuroradiologist licensed in New York on an MR-only shift, so the
    // chest film is not on her worklist; Ada, the other neuro pool member, holds no New York licence.
    await confer.routing.save(collaborationRouting(), 'e2e');
    const caseId = await storeStudy(confer, SPOKE);
    await confer.tick();

    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    const viewport = { width: 1440, height: 1000 };
    const ben = await (await browser.newContext({ viewport })).newPage();
    const olive = await (await browser.newContext({ viewport })).newPage();
    const dee = await (await browser.newContext({ viewport })).newPage();

    await signIn(olive, confer.httpUrl, 'olive');
    await olive.getByRole('button', { name: 'Notifications: none unread' }).waitFor();
    await signIn(dee, confer.httpUrl, 'dee');
    await dee.getByRole('button', { name: 'Notifications: none unread' }).waitFor();

    // Ben opens the case and mentions Olive, picking her from the suggestions.
    await signIn(ben, confer.httpUrl, 'ben');
    await ben.getByRole('heading', { name: 'My worklist' }).waitFor();
    await ben.goto(`${confer.httpUrl}/#/cases/${caseId}`);
    const composer = ben.getByLabel('Add a comment');
    await composer.waitFor();
    await composer.pressSequentially('@ol');
    await ben.getByRole('option', { name: /@olive/ }).waitFor();
    await composer.press('Enter');
    assert.equal(await composer.inputValue(), '@olive ');
    await composer.pressSequentially('can we get a lateral? The apex is annotation:a-17');
    await ben.getByRole('button', { name: 'Post comment' }).click();
    const comment = ben.locator('.comment').filter({ hasText: 'can we get a lateral?' });
    await comment.locator('.mention', { hasText: '@olive' }).waitFor();
    assert.equal(
      await comment.getByRole('link', { name: 'annotation:a-17' }).getAttribute('href'),
      `#/cases/${caseId}/viewer?annotation=a-17`,
    );
    await shot(ben, 'consult-1-discussion.png');

    // Olive's bell counts it live; opening it lands on the case's discussion.
    await olive.getByRole('button', { name: 'Notifications: 1 unread' }).click();
    const item = olive.getByRole('button', { name: new RegExp(`ben mentioned you on case ${caseId}`) });
    await item.waitFor();
    await shot(olive, 'consult-2-bell.png');
    await item.click();
    await olive.locator('.comment').filter({ hasText: 'can we get a lateral?' }).waitFor();
    await olive.getByRole('button', { name: 'Notifications: none unread' }).waitFor();

    // Ben asks the neuro pool for a second opinion.
    await ben.getByRole('button', { name: /Request consult/ }).click();
    const dialog = ben.getByRole('dialog', { name: 'Request a consult or second opinion' });
    await dialog.getByLabel('Pool', { exact: true }).selectOption('neuro');
    await dialog.getByLabel('Urgency').selectOption('urgent');
    await dialog.getByLabel('Question').fill('Is the apical lucency a pneumothorax or a skin fold?');
    await shot(ben, 'consult-3-request.png');
    await dialog.getByRole('button', { name: 'Send request' }).click();
    const consult = ben.locator('.consult').filter({ hasText: 'apical lucency' });
    await consult.getByText('with Dr Dee Okoro').waitFor();
    await consult.getByText('Waiting for the consultant').waitFor();
    await consult.locator('summary').click();
    await consult.getByText(/Assigned to Dr Dee Okoro by rule "Consult: pool Neuroradiology"/).waitFor();

    // Dee is told, finds it under Consults, opens the case (hers to see while the consult is open).
    await dee.getByRole('button', { name: 'Notifications: 1 unread' }).waitFor();
    await dee.getByRole('link', { name: 'Consults' }).click();
    const incoming = dee.locator('.consult').filter({ hasText: 'apical lucency' });
    await incoming.waitFor();
    await shot(dee, 'consult-4-incoming.png');
    await incoming.getByRole('link', { name: `case ${caseId}` }).click();
    await dee.getByRole('heading', { name: 'Consults and second opinions' }).waitFor();
    const onCase = dee.locator('.consult').filter({ hasText: 'apical lucency' });
    await onCase.getByRole('button', { name: 'Accept' }).click();
    await onCase.getByText('Accepted', { exact: true }).waitFor();
    await onCase
      .getByLabel('Your answer')
      .fill('Skin fold: the line continues beyond the chest wall. No pneumothorax.');
    await onCase.getByRole('button', { name: 'Send answer' }).click();
    await onCase.locator('.consult-answer').waitFor();

    // Ben sees the answer on the case without reloading: in the consult and on the timeline.
    await consult.locator('.consult-answer', { hasText: 'No pneumothorax.' }).waitFor();
    await ben.getByText('Second opinion answered').waitFor();
    await ben.getByRole('button', { name: /Notifications: [1-9]\d* unread/ }).waitFor();
    await shot(ben, 'consult-5-answered.png');
  } finally {
    await browser?.close();
    await confer.close({ graceMs: 1000 });
    rmSync(dataDir, { recursive: true, force: true });
  }
});
