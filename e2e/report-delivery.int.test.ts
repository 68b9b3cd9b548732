// Report delivery end to end in Debian's Chromium: a reader signs a final report, the test RIS refuses the
// ORU^R01 (AE), the coordinator finds the failed delivery with the RIS's reason and its attempts, sends it
// again once the RIS accepts, and the case page shows the signed versions with their PDF and where they went.
// Screenshots land in test-artifacts/. Every wait is on a page condition, never a fixed sleep.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReportContent } from '@confer/core';
import type { Browser } from 'playwright-core';
import { parseMessage } from '../packages/server/src/hl7/message.ts';
import type { ConferHandle } from '../packages/server/src/main.ts';
import { STARTER_TEMPLATES } from '../packages/server/src/reporting/starter-templates.ts';
import { DEFAULT_SITES, planStudy, Rng } from '../packages/server/src/synthetic/index.ts';
import { caseIdFor } from '../packages/server/src/worklist/worklist-service.ts';
import { startMllpListener } from '../packages/server/test/support/mllp-listener.ts';
import { launchChromium, browserSkip as skip } from './support/browser.ts';
import { startBrowserConfer } from './support/confer.ts';
import { oneReaderRouting } from './support/routing.ts';
import { shot } from './support/screenshots.ts';
import { signIn } from './support/sign-in.ts';
import { storeFromModality } from './support/studies.ts';

const HUB = DEFAULT_SITES.find((s) => s.id === 'northvale-hub')!;

/** Signs the case's report final as Ada through the API, with her session (signing needs a person). */
async function signFinal(confer: ConferHandle, caseId: string, password: string) {
  const login = await fetch(`${confer.httpUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'ada', password }),
  });
  const cookie = String(login.headers.get('set-cookie')).split(';')[0]!;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${confer.httpUrl}${path}`, {
      method,
      headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
    const json = (await res.json()) as Record<string, any>;
    assert.ok(res.ok, `${method} ${path}: ${JSON.stringify(json)}`);
    return json;
  };
  await call('POST', `/api/cases/${caseId}/claim`);
  const tpl = await call('GET', `/api/cases/${caseId}/report/template`);
  const draft = tpl.draft as ReportContent;
  const saved = await call('PUT', `/api/cases/${caseId}/report/draft`, {
    expectedRevision: 0,
    content: {
      ...draft,
      // Every section the template requires gets a sentence.
      sections: draft.sections.map((sec) => ({ ...sec, text: sec.text || 'Normal appearances.' })),
      impression: 'No acute intracranial abnormality.',
    },
  });
  return call('POST', `/api/cases/${caseId}/report/sign`, {
    kind: 'final',
    password,
    expectedRevision: saved.report.revision,
  });
}

test('a refused ORU shows up as a failed delivery with the RIS’s reason; the coordinator sends it again', {
  skip,
}, async () => {
  const ris = await startMllpListener('AE');
  const bed = await startBrowserConfer('delivery', {
    reportDestinations: [
      {
        id: 'northvale-ris',
        type: 'hl7-mllp',
        host: '127.0.0.1',
        port: ris.port,
        receivingApplication: 'RIS',
        receivingFacility: 'NORTHVALE',
      },
    ],
    // One attempt, so the refusal is final at once and the test needs no clock.
    reportDelivery: {
      maxAttempts: 1,
      retryDelaysMs: [60_000],
      leaseMs: 60_000,
      sendingFacility: 'CONFER',
      connectTimeoutMs: 5_000,
      ackTimeoutMs: 5_000,
    },
  });
  const { confer } = bed;
  let browser: Browser | undefined;
  try {
    await confer.access.createUser({ username: 'ada', password: 'ada-password-e2e', roles: ['radiologist'] });
    await confer.access.createUser({
      username: 'cora',
      password: 'cora-password-e2e',
      roles: ['coordinator'],
    });
    await confer.routing.save(oneReaderRouting('general') as never, 'e2e', 'delivery e2e');
    for (const t of STARTER_TEMPLATES) await confer.reports.templates.save(t, 'e2e', 'upsert');
    const study = planStudy(
      { site: HUB, studyDateTime: new Date(), protocol: 'ct-head', tiny: true, slices: 2 },
      new Rng(`e2e-delivery-${process.pid}`),
    );
    for (const instance of study.instances()) await storeFromModality(confer, HUB, instance.part10);
    await confer.tick();
    const caseId = caseIdFor(study.studyUid);
    const signed = await signFinal(confer, caseId, 'ada-password-e2e');
    const reportId = signed.signed.reportId as string;
    await ris.waitFor(1);
    await confer.deliveries.idle();

    browser = await launchChromium();
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    await signIn(page, confer.httpUrl, 'cora', 'cora-password-e2e');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Deliveries' }).click();
    await page.getByRole('heading', { name: 'Report deliveries' }).waitFor();

    const row = page.locator('.deliveries-table tbody tr').filter({ hasText: caseId });
    await row.getByText('Failed').waitFor();
    await row.getByText(/Unknown patient & order/).waitFor();
    await row.getByRole('button', { name: 'Attempts' }).click();
    await page.locator('.attempt-log li').filter({ hasText: 'rejected' }).waitFor();
    await shot(page, 'report-deliveries-failed.png');

    ris.answer('AA');
    await row.getByRole('button', { name: 'Send again' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Sending ${reportId} v1 to northvale-ris again.` })
      .waitFor();
    await ris.waitFor(2);
    await confer.deliveries.idle();
    assert.equal(parseMessage(ris.received[1]!).segment('OBR')!.get(25), 'F');
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByText('No failed delivery. Every signed report reached its destinations.').waitFor();
    await page.getByLabel('Show').selectOption('delivered');
    await page
      .locator('.deliveries-table tbody tr')
      .filter({ hasText: caseId })
      .getByText('Delivered')
      .waitFor();

    // The case page lists the signed version with its PDF and where it went.
    await page.locator('.deliveries-table').getByRole('link', { name: caseId }).click();
    const panel = page
      .locator('section')
      .filter({ has: page.getByRole('heading', { name: 'Signed reports' }) });
    await panel.getByText('northvale-ris').waitFor();
    await panel.getByText('Delivered', { exact: true }).waitFor();
    const pdfLink = panel.getByRole('link', { name: 'PDF of final version 1' });
    const href = await pdfLink.getAttribute('href');
    assert.equal(href, `/api/reports/${reportId}/pdf?version=1`);
    const pdf = await page.evaluate(async (url) => {
      const res = await fetch(url, { credentials: 'same-origin' });
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { type: res.headers.get('content-type'), head: String.fromCharCode(...bytes.slice(0, 5)) };
    }, href!);
    assert.deepEqual(pdf, { type: 'application/pdf', head: '%PDF-' });
    await shot(page, 'case-signed-reports.png');
  } finally {
    await browser?.close();
    await ris.close();
    await bed.close();
  }
});
