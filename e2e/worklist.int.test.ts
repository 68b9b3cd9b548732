// The shared worklist end to end in Debian's Chromium: readers see their cases live, claim, read and
// finalise; a second reader finds a claimed case taken; a coordinator watches the queues and reassigns;
// the routing page refuses a bad edit with every error's path and saves a good one. Screenshots land in
// test-artifacts/. Every wait is on a page condition, never a fixed sleep.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ConferHandle } from '../packages/server/src/main.ts';
import {
  DEFAULT_SITES,
  ProcedurePriority,
  planStudy,
  Rng,
  type SyntheticSite,
} from '../packages/server/src/synthetic/index.ts';
import { caseIdFor } from '../packages/server/src/worklist/worklist-service.ts';
import { launchChromium, browserSkip as skip } from './support/browser.ts';
import { startBrowserConfer } from './support/confer.ts';
import { shot } from './support/screenshots.ts';
import { signIn } from './support/sign-in.ts';
import { storeFromModality } from './support/studies.ts';

const HUB = DEFAULT_SITES.find((s) => s.id === 'northvale-hub')!; // Europe/London, GB-ENG
const SPOKE = DEFAULT_SITES.find((s) => s.id === 'brightwater')!; // America/New_York, US-NY

const everyDay = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const since = '2020-01-01';

/**
 * Two sites in different zones; three readers with sign-in names (Cy is licensed in England only, so the
 * New York spoke's cases exclude him at the credentials stage); a round-the-clock shift in each zone; two
 * rules: STAT CT goes to the neuro pool with Ada preferred, everything else waits on the shared worklist.
 */
function routingConfig() {
  const reader = (id: string, name: string, username: string, jurisdictions: string[], sites: string[]) => ({
    id,
    name,
    username,
    subspecialties: ['neuro', 'general'],
    modalities: ['CT', 'MR', 'CR', 'DX', 'US'],
    licences: jurisdictions.map((jurisdiction) => ({ jurisdiction, validFrom: since })),
    privileges: sites.map((siteId) => ({ siteId, validFrom: since })),
    maxConcurrent: 4,
  });
  return {
    sites: [
      { id: HUB.id, name: HUB.name, timeZone: HUB.timeZone, jurisdiction: HUB.jurisdiction, kind: 'hub' },
      {
        id: SPOKE.id,
        name: SPOKE.name,
        timeZone: SPOKE.timeZone,
        jurisdiction: SPOKE.jurisdiction,
        kind: 'spoke',
        hubId: HUB.id,
      },
    ],
    partners: [],
    readers: [
      reader('r-ada', 'Dr Ada Quill', 'ada', ['GB-ENG', 'US-NY'], [HUB.id, SPOKE.id]),
      reader('r-ben', 'Dr Ben Marsh', 'ben', ['GB-ENG', 'US-NY'], [HUB.id, SPOKE.id]),
      reader('r-cy', 'Dr Cy Fenn', 'cy', ['GB-ENG'], [HUB.id]),
    ],
    shifts: [
      {
        id: 'london-24',
        name: 'London, round the clock',
        timeZone: 'Europe/London',
        days: everyDay,
        start: '00:00',
        end: '00:00',
        covers: {},
      },
      {
        id: 'new-york-24',
        name: 'New York, round the clock',
        timeZone: 'America/New_York',
        days: everyDay,
        start: '00:00',
        end: '00:00',
        covers: {},
      },
    ],
    rosters: [
      { readerId: 'r-ada', shiftId: 'london-24', from: since },
      { readerId: 'r-cy', shiftId: 'london-24', from: since },
      { readerId: 'r-ben', shiftId: 'new-york-24', from: since },
    ],
    pools: [{ id: 'neuro', name: 'Neuroradiology', readerIds: ['r-ada', 'r-ben'] }],
    rules: [
      {
        id: 'stat-ct',
        name: 'STAT CT to the neuro pool',
        when: { modalities: ['CT'], priorities: ['stat'] },
        then: {
          target: { kind: 'pool', poolId: 'neuro' },
          strategy: 'preferred',
          preferredReaderIds: ['r-ada'],
        },
      },
      {
        id: 'shared',
        name: 'Everything else on the shared worklist',
        when: {},
        then: { target: { kind: 'covering-shifts', scope: 'any' }, strategy: 'pool' },
      },
    ],
    sla: {
      classes: [
        {
          id: 'stat',
          name: 'STAT',
          targets: [{ from: 'available', to: 'final', minutes: 60 }],
          escalation: [{ atFraction: 0.5, action: 'alert' }],
        },
        {
          id: 'routine',
          name: 'Routine',
          targets: [{ from: 'available', to: 'final', minutes: 1440 }],
          escalation: [{ atFraction: 0.75, action: 'alert' }],
        },
      ],
      byPriority: { stat: 'stat', urgent: 'stat', routine: 'routine' },
    },
  };
}

const passwords = {
  admin: 'e2e-admin-password',
  ada: 'ada-password-e2e',
  ben: 'ben-password-e2e',
  cora: 'cora-password-e2e',
} as const;

let seed = 0;

/** Stores a tiny synthetic study as the site's modality would; returns its UID and (once ticked) case id. */
async function storeStudy(
  confer: ConferHandle,
  site: SyntheticSite,
  protocol: string,
  priority?: ProcedurePriority,
): Promise<{ caseId: string; studyUid: string }> {
  const study = planStudy(
    { site, studyDateTime: new Date(), protocol, tiny: true, slices: 2, ...(priority ? { priority } : {}) },
    new Rng(`e2e-worklist-${process.pid}-${seed++}`),
  );
  for (const instance of study.instances()) await storeFromModality(confer, site, instance.part10);
  return { caseId: caseIdFor(study.studyUid), studyUid: study.studyUid };
}

/** A full-page screenshot from the top, so the sticky header sits where it belongs. */
/** The worklist row of a case. */
const row = (page: Page, caseId: string) => page.locator(`tr[data-case-id="${caseId}"]`);

test('readers work the live worklist, a coordinator reassigns, routing refuses a bad edit', {
  skip,
}, async () => {
  const bed = await startBrowserConfer('worklist');
  const { confer } = bed;
  let browser: Browser | undefined;
  try {
    await confer.access.createUser({ username: 'ada', password: passwords.ada, roles: ['radiologist'] });
    await confer.access.createUser({ username: 'ben', password: passwords.ben, roles: ['radiologist'] });
    await confer.access.createUser({ username: 'cora', password: passwords.cora, roles: ['coordinator'] });
    const { token } = await confer.access.createToken({ name: 'e2e', username: 'admin' });
    await confer.access.createUser({
      username: 'triage',
      password: 'triage-password-e2e',
      roles: ['integration'],
    });
    const aiToken = (await confer.access.createToken({ name: 'ai', username: 'triage' })).token;
    const put = await fetch(`${confer.httpUrl}/api/routing/config?comment=e2e%20network`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(routingConfig()),
    });
    assert.equal(put.status, 200, await put.clone().text());

    const statCt = (await storeStudy(confer, SPOKE, 'ct-head', ProcedurePriority.Stat)).caseId;
    const hubChest = (await storeStudy(confer, HUB, 'cr-chest-ap')).caseId;
    await confer.tick();
    const listed = await fetch(`${confer.httpUrl}/api/worklist`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const { cases } = (await listed.json()) as {
      cases: { id: string; state: string; ownerId: string | null }[];
    };
    assert.deepEqual(cases.map((c) => c.id).sort(), [statCt, hubChest].sort(), 'both studies became cases');
    assert.equal(
      cases.find((c) => c.id === statCt)?.ownerId,
      'r-ada',
      'STAT CT is assigned to the preferred reader',
    );

    browser = await launchChromium({ extraArgs: ['--disable-component-update'] });
    const viewport = { width: 1440, height: 900 };
    const ada = await (await browser.newContext({ viewport })).newPage();
    const ben = await (await browser.newContext({ viewport })).newPage();
    const cora = await (await browser.newContext({ viewport })).newPage();

    // Ada lands on her worklist: both cases, live.
    await signIn(ada, confer.httpUrl, 'ada', passwords.ada);
    await ada.getByRole('heading', { name: 'My worklist' }).waitFor();
    await row(ada, statCt).waitFor();
    await row(ada, hubChest).waitFor();
    await ada.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    assert.equal(
      await ada.getByRole('link', { name: 'Routing' }).count(),
      0,
      'readers do not see the routing page',
    );
    assert.match((await row(ada, statCt).textContent()) ?? '', /STAT/);
    assert.match((await row(ada, statCt).textContent()) ?? '', /left/, 'the SLA counts down');

    // A new case arrives while the page is open: the row appears without a reload.
    // A marker on the page's global object: a reload would clear it.
    await ada.evaluate(() => {
      (globalThis as { notReloaded?: boolean }).notReloaded = true;
    });
    const { caseId: spokeChest, studyUid: spokeChestUid } = await storeStudy(confer, SPOKE, 'cr-chest-ap');
    await confer.tick();
    await row(ada, spokeChest).waitFor();
    assert.equal(await ada.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded), true);
    // An AI result suspects a critical finding: the routine row turns STAT live, with the AI's reason.
    const triage = await fetch(`${confer.httpUrl}/api/ai-results`, {
      method: 'POST',
      headers: { authorization: `Bearer ${aiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        studyInstanceUid: spokeChestUid,
        source: 'ChestAI 2.1',
        finding: 'pneumothorax',
        confidence: 0.94,
        suspectedCritical: true,
      }),
    });
    assert.equal(triage.status, 200, await triage.clone().text());
    await row(ada, spokeChest).getByText('AI: suspected pneumothorax').waitFor();
    await row(ada, spokeChest).locator('.badge.priority-stat').waitFor();
    await row(ada, spokeChest).locator('details.reasons > summary').click();
    await row(ada, spokeChest)
      .getByText(/AI suspects pneumothorax \(confidence 0\.94\), from ChestAI 2\.1/)
      .waitFor();
    await shot(ada, 'worklist-reader.png');

    // Ben sees the shared cases; Ada's assigned STAT CT is not his to claim.
    await signIn(ben, confer.httpUrl, 'ben', passwords.ben);
    await ben.getByRole('heading', { name: 'My worklist' }).waitFor();
    await row(ben, hubChest)
      .getByRole('button', { name: /^Claim/ })
      .waitFor();
    await ben.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    // The server drops every connection (as a restart or a proxy would): the page says so, reconnects by
    // itself and reloads its rows.
    confer.app.server.closeAllConnections();
    await ben.getByRole('status').filter({ hasText: 'Reconnecting' }).waitFor();
    await ben.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await ada.getByRole('status').filter({ hasText: 'Live' }).waitFor();

    // Ada claims the hub chest film from her worklist; claiming opens the case.
    await row(ada, hubChest)
      .getByRole('button', { name: /^Claim/ })
      .click();
    await ada.getByText('You are reading this case').waitFor();
    // Ben's list updates live: the case is no longer claimable for him.
    await row(ben, hubChest)
      .getByRole('button', { name: /^Claim/ })
      .waitFor({ state: 'detached' });
    await shot(ben, 'worklist-second-reader.png');
    // And the server refuses him with the problem's own words.
    const refused = await ben.evaluate(async (id) => {
      const r = await fetch(`/api/cases/${id}/claim`, { method: 'POST' });
      return { status: r.status, body: (await r.json()) as { detail?: string; code?: string } };
    }, hubChest);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'CONFER_ERR_CASE_ALREADY_CLAIMED');
    assert.match(String(refused.body.detail), /Dr Ada Quill|r-ada/);

    // Ada opens her STAT CT: timeline, handoffs and the routing explanation with her chosen.
    await ada.goto(`${confer.httpUrl}/#/cases/${statCt}`);
    await ada.getByRole('heading', { name: 'Routing explanation' }).waitFor();
    const routing = ada.locator('section', {
      has: ada.getByRole('heading', { name: 'Routing explanation' }),
    });
    await routing.getByText('STAT CT to the neuro pool').first().waitFor();
    await routing.locator('.candidate.is-chosen', { hasText: 'Dr Ada Quill' }).waitFor();
    const timeline = ada.locator('section', { has: ada.getByRole('heading', { name: 'Timeline' }) });
    await timeline.getByText('Routed').first().waitFor();
    await timeline.getByText('Assigned').first().waitFor();
    await ada.getByRole('button', { name: 'Claim' }).click();
    await ada.getByText('You are reading this case').waitFor();
    await timeline.getByText('Claimed').first().waitFor();
    await shot(ada, 'case-in-read.png');
    await ada.getByRole('button', { name: 'Mark final' }).click();
    await ada.getByText(/Marked final/).waitFor();
    await timeline.locator('tr', { hasText: 'Final' }).first().waitFor();
    await ada.locator('.handoff.is-done', { hasText: 'Final' }).waitFor();
    await shot(ada, 'case-final.png');

    // The spoke's chest film explains why Cy could not take it: no licence for New York.
    await ada.goto(`${confer.httpUrl}/#/cases/${spokeChest}`);
    await ada.locator('.excluded-group', { hasText: 'Dr Cy Fenn' }).waitFor();

    // The coordinator sees the queues, then reassigns Ada's claimed chest film to Ben.
    await signIn(cora, confer.httpUrl, 'cora', passwords.cora);
    await cora.getByRole('heading', { name: 'Worklist (all cases)' }).waitFor();
    await cora.getByRole('link', { name: 'Coordinator' }).click();
    await cora.getByRole('heading', { name: 'Work by state and priority' }).waitFor();
    await cora.getByRole('heading', { name: 'Reader load' }).waitFor();
    await cora.locator('tr', { hasText: 'In read' }).first().waitFor();
    await shot(cora, 'coordinator.png');
    await cora.goto(`${confer.httpUrl}/#/cases/${hubChest}`);
    await cora.getByRole('heading', { name: 'Coordinator actions' }).waitFor();
    await cora.getByLabel('Reader', { exact: true }).selectOption('r-ben');
    await cora.getByRole('button', { name: 'Reassign' }).click();
    await cora
      .getByRole('status')
      .filter({ hasText: /^Reassigned/ })
      .waitFor();
    await cora.locator('.status-item', { hasText: 'Owner' }).getByText('Dr Ben Marsh').waitFor();
    // Ben's worklist shows it live, now his to claim.
    await row(ben, hubChest)
      .getByRole('button', { name: /^Claim/ })
      .waitFor();

    // Ben claims it and finds it unreadable: the dialog insists on a reason.
    await row(ben, hubChest)
      .getByRole('button', { name: /^Claim/ })
      .click();
    await ben.getByText('You are reading this case').waitFor();
    await ben.getByRole('button', { name: 'Unreadable…' }).click();
    const dialog = ben.getByRole('dialog', { name: 'Mark unreadable' });
    await dialog.getByRole('button', { name: 'Mark unreadable' }).click();
    await dialog.getByText('Reason is required.').waitFor();
    await dialog.getByLabel('Reason').fill('Motion artefact on every image');
    await dialog.getByRole('button', { name: 'Mark unreadable' }).click();
    await ben
      .getByRole('status')
      .filter({ hasText: /^Sent to the unreadable queue/ })
      .waitFor();
    // It lands in the coordinator's exception list, live.
    await cora.getByRole('link', { name: 'Coordinator' }).click();
    const exceptions = cora.locator('section', { has: cora.getByRole('heading', { name: /^Exceptions/ }) });
    await exceptions.locator(`tr[data-case-id="${hubChest}"]`, { hasText: 'Unreadable' }).waitFor();
    await shot(cora, 'coordinator-exceptions.png');

    // Routing: a bad edit is refused with the path of each problem; a good one becomes the live version.
    await cora.getByRole('link', { name: 'Routing' }).click();
    await cora.getByRole('heading', { name: 'Live: version 1' }).waitFor();
    await cora.getByRole('tab', { name: 'Rules' }).waitFor();
    await cora.getByText('Everything else on the shared worklist').waitFor();
    await cora.getByRole('button', { name: /Edit rules as JSON/ }).click();
    const rules = routingConfig().rules;
    const bad = [{ ...rules[0], when: { ...rules[0]!.when, priorities: ['asap'] } }, rules[1]];
    await cora.getByLabel('Rules (JSON)').fill(JSON.stringify(bad, null, 2));
    await cora.getByRole('button', { name: 'Save as new version' }).click();
    const refusal = cora.getByRole('alert').filter({ hasText: 'not saved' });
    await refusal.waitFor();
    assert.match((await refusal.textContent()) ?? '', /rules\[0\]\.when\.priorities/);
    await shot(cora, 'routing-invalid.png');
    const good = [rules[0], { ...rules[1], name: 'Everything else, shared by all readers' }];
    await cora.getByLabel('Rules (JSON)').fill(JSON.stringify(good, null, 2));
    await cora.getByLabel(/Comment/).fill('rename the shared rule');
    await cora.getByRole('button', { name: 'Save as new version' }).click();
    await cora.getByRole('heading', { name: 'Live: version 2' }).waitFor();
    await cora.getByText('Everything else, shared by all readers').waitFor();
    await cora.locator('tr', { hasText: 'rename the shared rule' }).waitFor();
    await shot(cora, 'routing-saved.png');
  } finally {
    await browser?.close();
    await bed.close({ graceMs: 2_000 });
  }
});
