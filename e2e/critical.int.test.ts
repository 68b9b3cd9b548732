// Closed-loop critical results end to end in Debian's Chromium: a reader flags a critical result on the case
// page, the responsible clinician's browser shows it, the server's clock passes the deadline and the
// coordinators' dashboard shows the escalation to the backup clinician, who acknowledges through the link in
// their e-mail (received by an SMTP listener in this test); the case timeline then shows the communication and
// the acknowledgement. Screenshots land in test-artifacts/. Every wait is on a page condition, never a sleep.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '@confer/core';
import type { Browser } from 'playwright-core';
import { validateCriticalConfig } from '../packages/server/src/critical/critical-config.ts';
import { DEFAULT_SITES, planStudy, Rng } from '../packages/server/src/synthetic/index.ts';
import { caseIdFor } from '../packages/server/src/worklist/worklist-service.ts';
import { startSmtpSink } from '../packages/server/test/support/smtp-sink.ts';
import { testRoutingConfig } from '../packages/server/test/support/worklist.ts';
import { launchChromium, browserSkip as skip } from './support/browser.ts';
import { startBrowserConfer } from './support/confer.ts';
import { shot } from './support/screenshots.ts';
import { signIn } from './support/sign-in.ts';
import { storeFromModality } from './support/studies.ts';

const HUB = DEFAULT_SITES.find((s) => s.id === 'northvale-hub')!;
const MIN = 60_000;
const FINDING = 'Tension pneumothorax on the right with mediastinal shift';

const users = {
  ada: { password: 'ada-password-e2e', roles: ['radiologist'] },
  cora: { password: 'cora-password-e2e', roles: ['coordinator'] },
  'dr.clinician': { password: 'clinician-password-e2e', roles: ['referrer'] },
  'dr.backup': { password: 'backup-password-e2e', roles: ['referrer'] },
} as const;

test('a critical result: flagged, notified, escalated to the backup, acknowledged by link, on the timeline', {
  skip,
}, async () => {
  const smtp = await startSmtpSink();
  const clock = new ManualClock(new Date());
  const bed = await startBrowserConfer(
    'critical',
    {
      critical: validateCriticalConfig({
        deadlineMinutes: { critical: 30 },
        ladder: [
          { name: 'Backup clinician', afterMinutes: 15, backup: true },
          { name: 'Clinical supervisor', afterMinutes: 15, usernames: ['cora'] },
        ],
        sites: { [HUB.id]: { defaultClinician: 'dr.clinician', backupClinician: 'dr.backup' } },
        contacts: {
          'dr.clinician': { email: 'clinician@hospital.test' },
          'dr.backup': { email: 'backup@hospital.test' },
        },
        smtp: { host: '127.0.0.1', port: smtp.port, from: 'confer@hospital.test' },
        publicBaseUrl: 'https://confer.hospital.test',
      }),
    },
    { clock },
  );
  const { confer } = bed;
  let browser: Browser | undefined;
  try {
    for (const [username, u] of Object.entries(users))
      await confer.access.createUser({ username, password: u.password, roles: [...u.roles] });
    await confer.routing.save(testRoutingConfig(), 'e2e', 'e2e network');
    const study = planStudy(
      { site: HUB, studyDateTime: clock.now(), protocol: 'cr-chest-ap', tiny: true, slices: 2 },
      new Rng(`e2e-critical-${process.pid}`),
    );
    for (const instance of study.instances()) await storeFromModality(confer, HUB, instance.part10);
    await confer.tick();
    const caseId = caseIdFor(study.studyUid);

    browser = await launchChromium();
    const viewport = { width: 1440, height: 900 };
    const ada = await (await browser.newContext({ viewport })).newPage();
    const clinician = await (await browser.newContext({ viewport })).newPage();
    const cora = await (await browser.newContext({ viewport })).newPage();
    const backup = await (await browser.newContext({ viewport })).newPage();

    // The clinician is signed in elsewhere in the app, with nothing pending.
    await signIn(clinician, confer.httpUrl, 'dr.clinician', users['dr.clinician'].password);
    await clinician.getByRole('heading', { level: 1 }).first().waitFor();
    assert.equal(await clinician.locator('.critical-banner').count(), 0);

    // Ada flags a critical result from the case page.
    await signIn(ada, confer.httpUrl, 'ada', users.ada.password);
    await ada.goto(`${confer.httpUrl}/#/cases/${caseId}`);
    await ada.getByRole('button', { name: 'Flag critical result' }).click();
    await ada.getByLabel('Category').selectOption('critical');
    await ada.getByLabel('Finding').fill(FINDING);
    await ada.getByRole('button', { name: 'Flag and notify' }).click();
    const panel = ada.getByRole('region', { name: 'Critical results' });
    await panel.getByRole('link', { name: FINDING }).waitFor();
    await panel.getByText('Responsible clinician (rung 1 of 3)').waitFor();
    await shot(ada, 'critical-flagged-case.png');

    // The clinician's browser shows it, with one-click acknowledgement; an e-mail with a link went out too.
    const banner = clinician.locator('.critical-banner');
    await banner.getByText('A critical result needs your acknowledgement').waitFor();
    await banner.getByRole('link', { name: FINDING }).waitFor();
    await banner.getByRole('button', { name: 'Acknowledge' }).waitFor();
    await shot(clinician, 'critical-clinician-notified.png');
    assert.deepEqual(
      smtp.messages.map((m) => m.to[0]),
      ['clinician@hospital.test'],
    );

    // Nobody acknowledges: past the deadline the backup clinician is told, and the dashboard shows it.
    clock.advance(30 * MIN + 5_000);
    await confer.tick();
    await signIn(cora, confer.httpUrl, 'cora', users.cora.password);
    await cora.goto(`${confer.httpUrl}/#/critical`);
    await cora.getByRole('heading', { name: 'Critical results' }).waitFor();
    const row = cora.locator('.critical-table tbody tr').filter({ hasText: FINDING });
    await row.getByText('Backup clinician (rung 2 of 3)').waitFor();
    await row.getByText('dr.backup', { exact: true }).waitFor();
    await row.getByText(/left$/).waitFor();
    await row.getByText(/to dr\.backup/).waitFor();
    await shot(cora, 'critical-dashboard-escalated.png');

    // The backup opens the link from their e-mail (no sign-in) and acknowledges.
    const mail = await smtp.waitFor(2);
    assert.deepEqual(mail[1]!.to, ['backup@hospital.test']);
    const link = /https:\/\/confer\.hospital\.test\/(#\/ack\/[A-Za-z0-9_-]+)/.exec(mail[1]!.body);
    assert.ok(link, mail[1]!.body);
    assert.equal(mail[1]!.body.includes(FINDING), false, 'the e-mail does not carry the finding');
    await backup.goto(`${confer.httpUrl}/${link[1]}`);
    await backup.getByText(FINDING).waitFor();
    await shot(backup, 'critical-ack-link.png');
    await backup.getByRole('button', { name: 'Acknowledge' }).click();
    await backup.getByText(/Acknowledged by dr\.backup by link/).waitFor();
    await shot(backup, 'critical-ack-link-done.png');

    // The dashboard empties; the clinician's banner goes; the case shows the loop closed.
    await row.waitFor({ state: 'detached' });
    await banner.waitFor({ state: 'detached' });
    await ada.reload();
    await ada.getByRole('cell', { name: 'Critical result communicated' }).waitFor();
    await ada.getByRole('cell', { name: 'Critical result acknowledged' }).waitFor();
    const handoffs = ada.getByRole('list', { name: 'Handoffs' });
    await handoffs.getByText('Communicated').waitFor();
    await handoffs.getByText('Acknowledged').waitFor();
    await ada
      .getByRole('region', { name: 'Critical results' })
      .getByText(/acknowledged by dr\.backup by link/)
      .waitFor();
    await shot(ada, 'critical-case-timeline.png');
  } finally {
    await browser?.close();
    await smtp.close();
    await bed.close();
  }
});
