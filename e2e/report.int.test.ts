// Structured reporting end to end in Debian's Chromium: a reader opens a CT head case, picks the template,
// fills sections with pick-lists, inserts a viewer measurement, autosaves, signs final with her password
// (a wrong one first), adds an addendum and compares the two versions. Screenshots land in
// test-artifacts/. Every wait is on a page condition, never a fixed sleep.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { ConferHandle } from '../packages/server/src/main.ts';
import { STARTER_TEMPLATES } from '../packages/server/src/reporting/starter-templates.ts';
import { DEFAULT_SITES, planStudy, Rng, type SyntheticSite } from '../packages/server/src/synthetic/index.ts';
import { caseIdFor } from '../packages/server/src/worklist/worklist-service.ts';
import { launchChromium, browserSkip as skip } from './support/browser.ts';
import { startBrowserConfer } from './support/confer.ts';
import { oneReaderRouting } from './support/routing.ts';
import { shot } from './support/screenshots.ts';
import { signIn } from './support/sign-in.ts';
import { storeFromModality } from './support/studies.ts';

const HUB = DEFAULT_SITES.find((s) => s.id === 'northvale-hub')!;
const ADA_PASSWORD = 'ada-password-e2e';

async function storeStudy(confer: ConferHandle, site: SyntheticSite, protocol: string) {
  const study = planStudy(
    { site, studyDateTime: new Date(), protocol, tiny: true, slices: 2 },
    new Rng(`e2e-report-${process.pid}`),
  );
  for (const instance of study.instances()) await storeFromModality(confer, site, instance.part10);
  return { caseId: caseIdFor(study.studyUid), studyUid: study.studyUid };
}

test('a reader writes a templated report, signs it final with her password, adds an addendum and compares', {
  skip,
}, async () => {
  const bed = await startBrowserConfer('report');
  const { confer } = bed;
  let browser: Browser | undefined;
  try {
    await confer.access.createUser({ username: 'ada', password: ADA_PASSWORD, roles: ['radiologist'] });
    await confer.routing.save(oneReaderRouting('neuro') as never, 'e2e', 'report e2e');
    for (const t of STARTER_TEMPLATES) await confer.reports.templates.save(t, 'e2e', 'upsert');
    const { caseId, studyUid } = await storeStudy(confer, HUB, 'ct-head');
    await confer.tick();

    // A measurement from the viewer, saved through the viewer's API, for the editor to insert.
    const adaToken = (await confer.access.createToken({ name: 'viewer', username: 'ada' })).token;
    const image = await confer.store.db
      .selectFrom('instances')
      .innerJoin('series', 'series.id', 'instances.series_fk')
      .innerJoin('studies', 'studies.id', 'series.study_fk')
      .select(['series.series_uid', 'instances.sop_instance_uid'])
      .where('studies.study_uid', '=', studyUid)
      .where('series.modality', '=', 'CT')
      .orderBy('series.series_number', 'desc')
      .executeTakeFirstOrThrow();
    const annotation = await fetch(`${confer.httpUrl}/api/cases/${caseId}/annotations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adaToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        studyUid,
        seriesUid: image.series_uid,
        sopInstanceUid: image.sop_instance_uid,
        tool: 'length',
        label: 'Midline shift',
        points: [
          [10, 10],
          [14, 13],
        ],
      }),
    });
    const annotationsLanded = annotation.status === 201;
    if (!annotationsLanded)
      console.log(`no annotation saved (${annotation.status}); measurement insertion not exercised`);

    browser = await launchChromium();
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    await signIn(page, confer.httpUrl, 'ada', ADA_PASSWORD);
    await page.getByRole('heading', { name: 'My worklist' }).waitFor();
    await page.goto(`${confer.httpUrl}/#/cases/${caseId}`);
    await page.getByRole('button', { name: 'Claim', exact: true }).click();
    await page.getByText('You are reading this case').waitFor();

    const report = page.locator('section.report-panel');
    // Confer suggests the CT head template and says why; the reader picks it explicitly anyway.
    await report.getByText(/Suggested: "CT head": modality CT, body part HEAD/).waitFor();
    await report.getByLabel('Template').selectOption({ label: 'CT head' });
    await report.getByRole('button', { name: 'None', exact: true }).click();
    await report.getByRole('button', { name: 'Atrophy' }).click();
    assert.equal(await report.getByLabel(/^Haemorrhage/).inputValue(), 'No intracranial haemorrhage.');
    await report.getByLabel(/^Clinical information/).fill('Fall, on anticoagulants. Query bleed.');
    await report.getByLabel(/^Impression/).fill('No acute intracranial abnormality.');
    if (annotationsLanded) {
      await report.getByRole('button', { name: 'Insert measurement' }).click();
      assert.match(await report.getByLabel(/^Measurements/).inputValue(), /^Midline shift: [\d.]+ (mm|px)/);
    }
    await report.getByRole('status').filter({ hasText: 'All changes saved' }).waitFor();
    await shot(page, 'report-editor.png');

    // Signing asks for the password; a wrong one is refused and nothing is signed.
    await report.getByRole('button', { name: 'Sign final…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sign final' });
    await dialog.getByLabel('Your password').fill('not-my-password');
    await dialog.getByRole('button', { name: 'Sign final' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'the password is not right' }).waitFor();
    await dialog.getByLabel('Your password').fill(ADA_PASSWORD);
    await dialog.getByRole('button', { name: 'Sign final' }).click();
    await report.locator('.report-status').filter({ hasText: 'Final' }).waitFor();
    await report.getByText('Final report, v1').waitFor();
    assert.match(
      (await report.locator('.report-signed .report-text').textContent()) ?? '',
      /HAEMORRHAGE:\nNo intracranial haemorrhage\./,
    );

    // An addendum after the final report.
    await report.getByLabel('Addendum').fill('Reviewed with the prior CT of 2025: no change.');
    await report.getByRole('status').filter({ hasText: 'All changes saved' }).waitFor();
    await report.getByRole('button', { name: 'Sign addendum…' }).click();
    const addDialog = page.getByRole('dialog', { name: 'Sign addendum' });
    await addDialog.getByLabel('Your password').fill(ADA_PASSWORD);
    await addDialog.getByRole('button', { name: 'Sign addendum' }).click();
    await report.locator('.report-status').filter({ hasText: 'Final, addended' }).waitFor();

    // The history lists both versions and shows what the addendum changed.
    const history = report.locator('.report-versions');
    await history.getByRole('cell', { name: 'Addendum' }).waitFor();
    assert.equal(await history.locator('tbody tr').count(), 2);
    await report.getByRole('button', { name: 'Show changes' }).click();
    const added = report.locator('.report-diff ins.diff-added');
    await added.first().waitFor();
    assert.match(
      (await added.allTextContents()).join(''),
      /ADDENDUM \(Dr Ada Quill, .*\):\nReviewed with the prior CT of 2025: no change\./,
    );
    assert.equal(await report.locator('.report-diff del.diff-removed').count(), 0);
    await shot(page, 'report-history-diff.png');

    // A coordinator manages templates: a mistake is shown with its JSON path, the fix is saved.
    await confer.access.createUser({
      username: 'cora',
      password: 'cora-password-e2e',
      roles: ['coordinator'],
    });
    const cora = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    await signIn(cora, confer.httpUrl, 'cora', 'cora-password-e2e');
    await cora.getByRole('link', { name: 'Templates' }).click();
    await cora.getByRole('heading', { name: 'Report templates' }).waitFor();
    await cora
      .getByRole('cell', { name: /CT head/ })
      .first()
      .waitFor();
    await cora.getByRole('button', { name: 'New template' }).click();
    const json = cora.getByLabel(/^Template \(JSON/);
    const knee = {
      id: 'mr-knee',
      name: 'MR knee',
      title: 'MRI knee',
      match: { modalities: ['MR'], bodyParts: ['KNEE'] },
      sections: [{ id: 'menisci', title: 'Menisci', kind: 'multi' }],
      impression: {},
    };
    await json.fill(JSON.stringify(knee, null, 2));
    await cora.getByRole('button', { name: 'Create template' }).click();
    await cora.getByRole('alert').filter({ hasText: 'sections[0].choices' }).waitFor();
    await shot(cora, 'report-templates-error.png');
    knee.sections[0] = {
      ...knee.sections[0]!,
      choices: [{ id: 'intact', label: 'Intact', phrase: 'The menisci are intact.' }],
    } as (typeof knee.sections)[number];
    await json.fill(JSON.stringify(knee, null, 2));
    await cora.getByRole('button', { name: 'Create template' }).click();
    await cora.getByRole('cell', { name: /MR knee/ }).waitFor();
    assert.ok(await confer.reports.templates.get('mr-knee'));

    // The report's times are the case's handoffs.
    const detail = (await (
      await fetch(`${confer.httpUrl}/api/cases/${caseId}`, {
        headers: { authorization: `Bearer ${adaToken}` },
      })
    ).json()) as { case: { state: string }; timeline: { type: string }[] };
    assert.equal(detail.case.state, 'addended');
    assert.ok(detail.timeline.some((e) => e.type === 'case:finalized'));
  } finally {
    await browser?.close();
    await bed.close();
  }
});
