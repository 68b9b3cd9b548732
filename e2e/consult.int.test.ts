// Case discussion and consults end to end in Debian's Chromium: a reader posts a comment mentioning a
// colleague, whose bell shows it; the reader asks the neuro pool for a second opinion; routing gives it to
// the one eligible neuroradiologist, who finds it, opens the case (visible to them only through the
// consult), and answers; the requester sees the answer on the case, live. Screenshots land in
// test-artifacts/. Every wait is on a page condition, never a fixed sleep.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { ConferHandle } from '../packages/server/src/main.ts';
import { DEFAULT_SITES, planStudy, Rng, type SyntheticSite } from '../packages/server/src/synthetic/index.ts';
import { caseIdFor } from '../packages/server/src/worklist/worklist-service.ts';
import { collaborationRouting } from '../packages/server/test/support/collaboration.ts';
import { launchChromium, browserSkip as skip } from './support/browser.ts';
import { startBrowserConfer } from './support/confer.ts';
import { shot } from './support/screenshots.ts';
import { signIn } from './support/sign-in.ts';
import { storeFromModality } from './support/studies.ts';

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
  for (const instance of study.instances()) await storeFromModality(confer, site, instance.part10);
  return caseIdFor(study.studyUid);
}

test('a mention reaches a colleague’s bell; a second opinion is routed, answered and shown on the case', {
  skip,
}, async () => {
  const bed = await startBrowserConfer('consult');
  const { confer } = bed;
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

    browser = await launchChromium();
    const viewport = { width: 1440, height: 1000 };
    const ben = await (await browser.newContext({ viewport })).newPage();
    const olive = await (await browser.newContext({ viewport })).newPage();
    const dee = await (await browser.newContext({ viewport })).newPage();

    await signIn(olive, confer.httpUrl, 'olive', passwords.olive);
    await olive.getByRole('button', { name: 'Notifications: none unread' }).waitFor();
    await signIn(dee, confer.httpUrl, 'dee', passwords.dee);
    await dee.getByRole('button', { name: 'Notifications: none unread' }).waitFor();

    // Ben opens the case and mentions Olive, picking her from the suggestions.
    await signIn(ben, confer.httpUrl, 'ben', passwords.ben);
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
    await bed.close();
  }
});
