// An MDT / tumour board end to end in Debian's Chromium: a coordinator creates a session, adds a case to it
// from the case page with the question for the board, orders the list, runs presentation mode (images,
// report, discussion in one view, next/previous) and records the outcome, which lands on the case's
// timeline; a referrer who is a member follows the same presentation read-only. Screenshots land in
// test-artifacts/. Every wait is on a page condition, never a fixed sleep.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { ConferHandle } from '../packages/server/src/main.ts';
import { DEFAULT_SITES, planStudy, Rng } from '../packages/server/src/synthetic/index.ts';
import { caseIdFor } from '../packages/server/src/worklist/worklist-service.ts';
import { testRoutingConfig } from '../packages/server/test/support/worklist.ts';
import { launchChromium, browserSkip as skip } from './support/browser.ts';
import { startBrowserConfer } from './support/confer.ts';
import { shot } from './support/screenshots.ts';
import { e2ePassword, signIn } from './support/sign-in.ts';
import { storeFromModality } from './support/studies.ts';

const HUB = DEFAULT_SITES.find((s) => s.id === 'northvale-hub')!;
let seed = 0;

async function storeCase(confer: ConferHandle, protocol: string): Promise<string> {
  const study = planStudy(
    { site: HUB, studyDateTime: new Date(), protocol, tiny: true, slices: 2 },
    new Rng(`e2e-board-${process.pid}-${seed++}`),
  );
  for (const instance of study.instances()) await storeFromModality(confer, HUB, instance.part10);
  return caseIdFor(study.studyUid);
}

test('a coordinator creates a board, adds a case from the case page, presents it and records the outcome', {
  skip,
}, async () => {
  const bed = await startBrowserConfer('board');
  const { confer } = bed;
  let browser: Browser | undefined;
  try {
    await confer.access.createUser({
      username: 'cora',
      password: e2ePassword('cora'),
      roles: ['coordinator'],
      displayName: 'Cora Mills (MDT coordinator)',
    });
    await confer.access.createUser({ username: 'ada', password: e2ePassword('ada'), roles: ['radiologist'] });
    await confer.access.createUser({
      username: 'rita',
      password: e2ePassword('rita'),
      roles: ['referrer'],
      displayName: 'Dr Rita Okoye (oncology)',
    });
    const admin = (await confer.access.createToken({ name: 'e2e', username: 'admin' })).token;
    const put = await fetch(`${confer.httpUrl}/api/routing/config`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(testRoutingConfig()),
    });
    assert.equal(put.status, 200, await put.text());
    const chest = await storeCase(confer, 'cr-chest-ap');
    const head = await storeCase(confer, 'ct-head');
    const spine = await storeCase(confer, 'mr-knee');
    await confer.tick();

    browser = await launchChromium({ webgl: true });
    const viewport = { width: 1440, height: 900 };
    const cora = await (await browser.newContext({ viewport, timezoneId: 'Europe/London' })).newPage();
    await signIn(cora, confer.httpUrl, 'cora');

    // A new session for tomorrow morning in London, with members.
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await cora.getByRole('link', { name: 'Boards' }).click();
    await cora.getByRole('heading', { name: 'Boards', level: 1 }).waitFor();
    await cora.getByRole('button', { name: 'New session' }).click();
    const form = cora.getByRole('form', { name: 'Create session' });
    await form.getByLabel('Title').fill('Thoracic oncology MDT');
    await form.getByLabel('Date').fill(tomorrow);
    await form.getByLabel('Start time').fill('08:30');
    await form.getByLabel('Time zone').fill('Europe/London');
    await form.getByLabel('Duration (minutes)').fill('90');
    await form.getByLabel('Location').fill('Room 4 and video');
    await form.getByLabel(/Specialties/).fill('oncology, thoracic surgery, radiology');
    await form.getByLabel(/Members/).fill('cora, ada, rita');
    await form.getByRole('button', { name: 'Create session' }).click();
    await cora.getByRole('heading', { name: 'Thoracic oncology MDT', level: 1 }).waitFor();
    const sessionId = decodeURIComponent(new URL(cora.url()).hash.split('/')[2] ?? '');
    assert.match(sessionId, /^B-/);
    await cora.getByText('Dr Rita Okoye (oncology)').waitFor();

    // "Add to board" from the case pages, each with its question.
    for (const [caseId, question] of [
      [chest, 'Right upper lobe nodule: resectable, or biopsy first?'],
      [head, 'Staging: any brain metastases?'],
    ] as const) {
      await cora.goto(`${confer.httpUrl}/#/cases/${caseId}`);
      const add = cora.getByRole('form', { name: 'Add to board' });
      await add.getByLabel('Add to board session').selectOption(sessionId);
      await add.getByLabel('Question for the board').fill(question);
      await add.getByRole('button', { name: 'Add to board' }).click();
      await add.getByText('Added to Thoracic oncology MDT.').waitFor();
    }
    await cora.getByRole('link', { name: 'Thoracic oncology MDT' }).first().waitFor();
    await shot(cora, 'board-case-page-add.png');

    // The case list, reordered: the head CT first.
    await cora.goto(`${confer.httpUrl}/#/boards/${sessionId}`);
    const rows = cora.locator('table.board-cases tbody tr');
    await rows.nth(1).waitFor();
    assert.equal(await rows.nth(0).getAttribute('data-case-id'), chest);
    await cora.getByRole('button', { name: `Move ${head} up` }).click();
    await cora.locator(`table.board-cases tbody tr:first-child[data-case-id="${head}"]`).waitFor();
    // A case picked from the worklist on the session page, then taken off the list again.
    await cora.getByRole('button', { name: 'Search' }).click();
    const pick = cora.locator(`tr[data-pick-case-id="${spine}"]`);
    await pick.getByLabel(`Question for ${spine}`).fill('Cord compression?');
    await pick.getByRole('button', { name: 'Add' }).click();
    await cora.locator(`table.board-cases tr[data-case-id="${spine}"]`).waitFor();
    await pick.getByText('On the list').waitFor();
    await cora.getByRole('button', { name: `Remove ${spine}` }).click();
    await cora.locator(`table.board-cases tr[data-case-id="${spine}"]`).waitFor({ state: 'detached' });
    await shot(cora, 'board-session.png');

    // Presentation mode: the head CT, then next to the chest film; images, report and discussion in one view.
    await cora.getByRole('link', { name: 'Start presentation' }).click();
    await cora.getByText('Case 1 of 2').waitFor();
    await cora.getByText('Staging: any brain metastases?').waitFor();
    await cora.getByRole('heading', { name: 'Images' }).waitFor();
    // The viewer itself, inside the presentation: the study's first image on screen.
    await cora.locator('.board-images').getByTestId('viewer').waitFor();
    await cora
      .locator('.board-images [data-viewport-id="confer-main"][data-image-index]')
      .waitFor({ timeout: 30_000 });
    await cora.getByRole('heading', { name: 'Report' }).waitFor();
    await cora.getByRole('heading', { name: 'Discussion' }).waitFor();
    await cora.getByRole('button', { name: 'Next →' }).click();
    await cora.getByText('Case 2 of 2').waitFor();
    await cora.getByText('Right upper lobe nodule: resectable, or biopsy first?').waitFor();
    assert.equal(await cora.getByRole('button', { name: 'Next →' }).isDisabled(), true);

    // The outcome, with who was present.
    const outcome = cora.getByRole('form', { name: 'Board outcome' });
    await outcome.getByLabel('Outcome').selectOption('surgery');
    await outcome.getByLabel('Recommendation').fill('Right upper lobectomy after PET-CT staging.');
    await outcome.getByLabel('Cora Mills (MDT coordinator)').uncheck();
    await outcome.getByRole('button', { name: 'Record outcome' }).click();
    await outcome.getByText('Outcome recorded; it is on the case’s timeline.').waitFor();
    await shot(cora, 'board-presentation.png');
    await cora.keyboard.press('ArrowLeft');
    await cora.getByText('Case 1 of 2').waitFor();

    // The outcome is on the case's timeline.
    await cora.goto(`${confer.httpUrl}/#/cases/${chest}`);
    await cora.getByText('Board outcome').first().waitFor();
    await cora.getByText(/surgery — Right upper lobectomy after PET-CT staging\./).waitFor();

    // Rita, an oncologist and member, follows the presentation read-only, and may open the case itself.
    const rita = await (await browser.newContext({ viewport })).newPage();
    await signIn(rita, confer.httpUrl, 'rita');
    await rita.getByRole('link', { name: 'Boards' }).click();
    await rita.getByRole('link', { name: 'Thoracic oncology MDT' }).click();
    await rita.getByRole('link', { name: 'Start presentation' }).click();
    await rita.getByText('Case 1 of 2').waitFor();
    await rita.getByRole('button', { name: 'Next →' }).click();
    await rita.getByText('Right upper lobectomy after PET-CT staging.').waitFor();
    assert.equal(await rita.getByRole('form', { name: 'Board outcome' }).count(), 0, 'members do not edit');
    await shot(rita, 'board-presentation-member.png');

    const audit = await confer.store.db
      .selectFrom('audit_events')
      .select(['action', 'actor_name', 'detail'])
      .where('action', '=', 'board-case-view')
      .execute();
    assert.ok(audit.some((a) => a.actor_name === 'rita' && a.detail?.includes(sessionId)));
  } finally {
    await browser?.close();
    await bed.close();
  }
});
