// Peer review end to end in Debian's Chromium: a finalised case is sampled (rate 100 %, anonymised), its
// reviewer scores it 3b in the browser without ever seeing who reported it, the original reader sees the
// discrepancy without the reviewer's name and disagrees, and the quality lead sees it in the summaries and
// closes it. Screenshots land in test-artifacts/. Every wait is on a page condition, never a fixed sleep.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DEFAULT_SITES, planStudy, Rng } from '../packages/server/src/synthetic/index.ts';
import { caseIdFor } from '../packages/server/src/worklist/worklist-service.ts';
import { testRoutingConfig } from '../packages/server/test/support/worklist.ts';
import { launchChromium, browserSkip as skip } from './support/browser.ts';
import { startBrowserConfer } from './support/confer.ts';
import { shot } from './support/screenshots.ts';
import { e2ePassword, signIn } from './support/sign-in.ts';
import { storeFromModality } from './support/studies.ts';

const HUB = DEFAULT_SITES.find((s) => s.id === 'northvale-hub')!;

test('a reviewer scores a sampled case 3b; the original reader sees the discrepancy and responds', {
  skip,
}, async () => {
  const bed = await startBrowserConfer('peer-review');
  const { confer } = bed;
  let browser: Browser | undefined;
  try {
    for (const u of ['ada', 'ben', 'cy'])
      await confer.access.createUser({ username: u, password: e2ePassword(u), roles: ['radiologist'] });
    await confer.access.createUser({
      username: 'quinn',
      password: e2ePassword('quinn'),
      roles: ['coordinator'],
    });
    const admin = (await confer.access.createToken({ name: 'e2e', username: 'admin' })).token;
    const adaToken = (await confer.access.createToken({ name: 'e2e', username: 'ada' })).token;
    const api = async (token: string, method: string, path: string, body?: unknown) => {
      const r = await fetch(`${confer.httpUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await r.text();
      assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
      return JSON.parse(text) as Record<string, unknown>;
    };
    await api(admin, 'PUT', '/api/routing/config', testRoutingConfig());
    await api(admin, 'PUT', '/api/peer-review/settings', {
      enabled: true,
      rate: 1,
      byModality: {},
      byReader: {},
      seed: 'e2e',
      targetDays: 7,
      anonymise: true,
    });

    // Ada reads and finalises a chest film; the next tick samples it.
    const study = planStudy(
      { site: HUB, studyDateTime: new Date(), protocol: 'cr-chest-ap', tiny: true, slices: 2 },
      new Rng(`e2e-peer-review-${process.pid}`),
    );
    for (const instance of study.instances()) await storeFromModality(confer, HUB, instance.part10);
    await confer.tick();
    const caseId = caseIdFor(study.studyUid);
    await api(adaToken, 'POST', `/api/cases/${caseId}/claim`);
    await api(adaToken, 'POST', `/api/cases/${caseId}/final`);
    await confer.tick();
    const { reviews } = (await api(admin, 'GET', '/api/peer-review/reviews')) as {
      reviews: { id: string; caseId: string; reviewer: { id: string; name: string } }[];
    };
    assert.equal(reviews.length, 1);
    const review = reviews[0]!;
    assert.equal(review.caseId, caseId);
    const reviewer = review.reviewer.id === 'r-ben' ? 'ben' : 'cy';
    assert.ok(['r-ben', 'r-cy'].includes(review.reviewer.id), 'never the original reader');

    browser = await launchChromium();
    const viewport = { width: 1440, height: 900 };

    // The reviewer opens the review: the case, its series, the score form; Ada's name appears nowhere.
    const rev = await (await browser.newContext({ viewport })).newPage();
    await signIn(rev, confer.httpUrl, reviewer);
    await rev.getByRole('link', { name: 'Peer review' }).click();
    await rev.getByRole('heading', { name: 'Reviews assigned to me' }).waitFor();
    const row = rev.locator(`tr[data-review-id="${review.id}"]`);
    await row.getByRole('button', { name: 'Review' }).click();
    await rev.getByText('hidden (anonymised review)').waitFor();
    await rev.getByRole('table', { name: /Series of study/ }).waitFor();
    assert.doesNotMatch((await rev.locator('main').textContent()) ?? '', /Ada Quill|r-ada/);
    const form = rev.getByRole('form', { name: `Score review ${review.id}` });
    await form.getByLabel(/^3 — /).check();
    await form.getByLabel(/^b — /).check();
    await form.getByLabel(/Comment/).fill('Right apical pneumothorax not mentioned in the report.');
    await shot(rev, 'peer-review-reviewer-form.png');
    await form.getByRole('button', { name: 'Submit score' }).click();
    await row.locator('.badge', { hasText: '3b' }).waitFor();
    await shot(rev, 'peer-review-reviewer-scored.png');

    // Ada sees the discrepancy on her case, not who scored it, and disagrees with a reason.
    const ada = await (await browser.newContext({ viewport })).newPage();
    await signIn(ada, confer.httpUrl, 'ada');
    await ada.goto(`${confer.httpUrl}/#/peer-review`);
    const item = ada.locator(`li[data-review-id="${review.id}"]`);
    await item.getByText('Right apical pneumothorax not mentioned in the report.').waitFor();
    await item.getByText('Reviewer (anonymous):').waitFor();
    assert.doesNotMatch((await ada.locator('main').textContent()) ?? '', /Ben Marsh|Cy Fenn|r-ben|r-cy/);
    const respond = item.getByRole('form', { name: `Respond to discrepancy ${review.id}` });
    await respond.getByLabel('I disagree').check();
    await respond.getByLabel(/Comment/).fill('A skin fold, not a pneumothorax: see the lateral view.');
    await respond.getByRole('button', { name: 'Send response' }).click();
    await item.getByText('You disagreed:').waitFor();
    await item.getByText('Reader responded', { exact: false }).waitFor();
    await shot(ada, 'peer-review-original-reader.png');

    // The quality lead sees both names, the summaries, and closes the discrepancy.
    const lead = await (await browser.newContext({ viewport })).newPage();
    await signIn(lead, confer.httpUrl, 'quinn');
    await lead.goto(`${confer.httpUrl}/#/peer-review`);
    const open = lead.locator(`tr[data-review-id="${review.id}"]`);
    await open.getByText('Dr Ada Quill').waitFor();
    await lead.locator('tr[data-summary-key="r-ada"]').waitFor();
    await lead.locator('tr[data-summary-key="CR"]').waitFor();
    await shot(lead, 'peer-review-quality-lead.png');
    await open.getByLabel(`Note for ${review.id}`).fill('Discussed at the quality meeting.');
    await open.getByRole('button', { name: 'Close' }).click();
    await lead.getByText('No open discrepancies.').waitFor();
    const closed = (await api(admin, 'GET', `/api/peer-review/reviews/${review.id}`)) as {
      review: { discrepancy: { state: string; response: string } };
    };
    assert.equal(closed.review.discrepancy.state, 'closed');
    assert.equal(closed.review.discrepancy.response, 'disagree');
  } finally {
    await browser?.close();
    await bed.close();
  }
});
