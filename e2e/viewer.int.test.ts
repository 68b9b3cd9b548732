// The image viewer end to end in Debian's Chromium: a reader opens a case with a prior, the image renders,
// scrolling and window presets work, a length measurement is saved and appears live in a second reader's
// viewer, the prior opens side by side and scrolls in sync; then one study per compressed transfer syntax
// Confer stores renders. Screenshots land in test-artifacts/. Every wait is on a page condition.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEFAULT_SITES, generatePatient, planStudy, Rng } from '../packages/server/src/synthetic/index.ts';
import { caseIdFor } from '../packages/server/src/worklist/worklist-service.ts';
import { browserSkip, integrationRequired, launchChromium } from './support/browser.ts';
import { startBrowserConfer } from './support/confer.ts';
import { artifacts } from './support/screenshots.ts';
import { signIn } from './support/sign-in.ts';
import { storeFromModality } from './support/studies.ts';

const fixtures = join(import.meta.dirname, '../packages/server/test/fixtures/pydicom');
const dcmtk = spawnSync('dcmodify', ['--version'], { encoding: 'utf8' }).status === 0;
const skip =
  browserSkip ??
  (!integrationRequired && !dcmtk ? 'dcmtk is not installed (apt-get install dcmtk)' : undefined);

const HUB = DEFAULT_SITES.find((s) => s.id === 'northvale-hub')!;
const everyDay = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Two readers on a round-the-clock shift; every case waits on the shared worklist. */
function routingConfig() {
  const reader = (id: string, name: string, username: string) => ({
    id,
    name,
    username,
    subspecialties: ['neuro'],
    modalities: ['CT', 'MR', 'CR', 'US', 'OT', 'SC'],
    licences: [{ jurisdiction: HUB.jurisdiction, validFrom: '2020-01-01' }],
    privileges: [{ siteId: HUB.id, validFrom: '2020-01-01' }],
    maxConcurrent: 10,
  });
  return {
    sites: [
      { id: HUB.id, name: HUB.name, timeZone: HUB.timeZone, jurisdiction: HUB.jurisdiction, kind: 'hub' },
    ],
    partners: [],
    readers: [reader('r-ada', 'Dr Ada Quill', 'ada'), reader('r-ben', 'Dr Ben Marsh', 'ben')],
    shifts: [
      {
        id: 'always',
        name: 'Round the clock',
        timeZone: HUB.timeZone,
        days: everyDay,
        start: '00:00',
        end: '00:00',
        covers: {},
      },
    ],
    rosters: [
      { readerId: 'r-ada', shiftId: 'always', from: '2020-01-01' },
      { readerId: 'r-ben', shiftId: 'always', from: '2020-01-01' },
    ],
    pools: [],
    rules: [
      {
        id: 'shared',
        name: 'Everything on the shared worklist',
        when: {},
        then: { target: { kind: 'covering-shifts', scope: 'any' }, strategy: 'pool' },
      },
    ],
    sla: {
      classes: [
        {
          id: 'routine',
          name: 'Routine',
          targets: [{ from: 'available', to: 'final', minutes: 1440 }],
          escalation: [],
        },
      ],
      byPriority: { stat: 'routine', urgent: 'routine', routine: 'routine' },
    },
  };
}

const passwords = { ada: 'ada-password-e2e', ben: 'ben-password-e2e' } as const;

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(artifacts, name) });
}

const canvasOf = (viewportId: string, studyUid?: string) =>
  `${studyUid ? `[data-study-uid="${studyUid}"] ` : ''}[data-viewport-id="${viewportId}"] canvas`;

/** The bits of the DOM the pixel check uses (this file is compiled without the DOM's types). */
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    drawImage(c: PageCanvas, x: number, y: number): void;
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  } | null;
}
interface PageDocument {
  querySelector(selector: string): PageCanvas | null;
  createElement(tag: 'canvas'): PageCanvas;
}

/** Waits until a pane's canvas shows an image: many distinct pixel values, not a blank or uniform fill. */
async function waitForImage(page: Page, viewportId: string, studyUid?: string) {
  await page.waitForFunction(
    (selector) => {
      const doc = (globalThis as unknown as { document: PageDocument }).document;
      const c = doc.querySelector(selector);
      if (!c || c.width === 0 || c.height === 0) return false;
      const copy = doc.createElement('canvas');
      copy.width = c.width;
      copy.height = c.height;
      const ctx = copy.getContext('2d');
      if (!ctx) return false;
      ctx.drawImage(c, 0, 0);
      const data = ctx.getImageData(0, 0, copy.width, copy.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < data.length; i += 20) {
        seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
        if (seen.size > 12) return true;
      }
      return false;
    },
    canvasOf(viewportId, studyUid),
    { timeout: 30_000 },
  );
}

async function imageIndex(page: Page, viewportId: string): Promise<number> {
  return Number(await page.locator(`[data-viewport-id="${viewportId}"]`).getAttribute('data-image-index'));
}

async function waitForIndex(page: Page, viewportId: string, index: number) {
  await page.locator(`[data-viewport-id="${viewportId}"][data-image-index="${index}"]`).waitFor();
}

/** Waits until a pane has left image `index`. */
async function waitForIndexChange(page: Page, viewportId: string, index: number) {
  await page.locator(`[data-viewport-id="${viewportId}"]:not([data-image-index="${index}"])`).waitFor();
}

/** Gives a fixture new UIDs (the pydicom MR files share theirs) so each is a study of its own. */
function freshCopy(dir: string, source: string, name: string): string {
  const out = join(dir, name);
  copyFileSync(source, out);
  execFileSync('dcmodify', ['-nb', '-gst', '-gse', '-gin', '-m', '(0010,0020)=E2E-SYNTAX', out]);
  return out;
}

test('a reader measures on a case with a prior; a colleague sees it live; compressed studies render', {
  skip,
}, async () => {
  const work = mkdtempSync(join(tmpdir(), 'confer-e2e-syntaxes-'));
  mkdirSync(artifacts, { recursive: true });
  const bed = await startBrowserConfer('viewer');
  const { confer } = bed;
  let browser: Browser | undefined;
  const errors: string[] = [];
  let failurePage: Page | undefined;
  try {
    await confer.access.createUser({ username: 'ada', password: passwords.ada, roles: ['radiologist'] });
    await confer.access.createUser({ username: 'ben', password: passwords.ben, roles: ['radiologist'] });
    await confer.routing.save(routingConfig() as never, 'e2e');

    // One patient, a CT head now and one a year ago on the same scanner.
    const now = new Date();
    const patient = generatePatient(new Rng('e2e-viewer-patient'), HUB, now);
    const plan = (when: Date, seed: string) =>
      planStudy(
        { site: HUB, studyDateTime: when, protocol: 'ct-head', small: true, slices: 12, patient },
        new Rng(seed),
      );
    const prior = plan(new Date(now.getTime() - 365 * 86_400_000), 'e2e-viewer-prior');
    const current = plan(now, 'e2e-viewer-current');
    for (const s of [prior, current])
      for (const i of s.instances()) await storeFromModality(confer, HUB, i.part10);
    await confer.tick();
    const caseId = caseIdFor(current.studyUid);
    assert.ok(await confer.worklist.row(caseId), 'the current study is a case');

    browser = await launchChromium({ webgl: true, extraArgs: ['--disable-component-update'] });
    const viewport = { width: 1440, height: 900 };
    const ada = await (await browser.newContext({ viewport })).newPage();
    const ben = await (await browser.newContext({ viewport })).newPage();
    failurePage = ada;
    for (const p of [ada, ben]) {
      p.on('pageerror', (e) => errors.push(e.stack ?? e.message));
      p.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
    }

    // Ada opens the case, then the viewer from it.
    await signIn(ada, confer.httpUrl, 'ada', passwords.ada);
    await ada.goto(`${confer.httpUrl}/#/cases/${caseId}`);
    await ada.getByRole('link', { name: 'Open viewer' }).click();
    await ada.getByTestId('viewer').waitFor();
    await waitForImage(ada, 'confer-main');
    await shot(ada, 'viewer-opened.png');

    // Scrolling by key moves to the next image.
    const before = await imageIndex(ada, 'confer-main');
    await ada.locator(canvasOf('confer-main')).hover();
    await ada.keyboard.press('ArrowDown');
    await waitForIndex(ada, 'confer-main', before + 1);
    // The mouse wheel scrolls too.
    await ada.mouse.wheel(0, 120);
    await waitForIndexChange(ada, 'confer-main', before + 1);

    // A window preset: the overlay shows the brain window.
    await ada.getByRole('button', { name: 'Brain', exact: true }).click();
    await ada.getByText('W 80 L 40').waitFor();

    // Ben has the same case open before Ada measures.
    await signIn(ben, confer.httpUrl, 'ben', passwords.ben);
    await ben.goto(`${confer.httpUrl}/#/cases/${caseId}/viewer`);
    await waitForImage(ben, 'confer-main');
    await ben.getByText('None yet.').waitFor();

    // Ada draws a length across the image.
    await ada.getByRole('button', { name: 'Length', exact: true }).click();
    const box = (await ada.locator(canvasOf('confer-main')).boundingBox())!;
    const x0 = box.x + box.width * 0.35;
    const y0 = box.y + box.height * 0.5;
    await ada.mouse.move(x0, y0);
    await ada.mouse.down();
    await ada.mouse.move(x0 + box.width * 0.1, y0 + 5, { steps: 5 });
    await ada.mouse.move(x0 + box.width * 0.2, y0 + 10, { steps: 5 });
    await ada.mouse.up();
    await ada.getByText(/^Saved: Length \d+(\.\d)? mm/).waitFor();
    const saved = await fetch(`${confer.httpUrl}/api/cases/${caseId}/annotations`, {
      headers: {
        authorization: `Bearer ${(await confer.access.createToken({ name: 'e2e', username: 'ada' })).token}`,
      },
    });
    const { annotations } = (await saved.json()) as {
      annotations: { id: string; tool: string; where: string }[];
    };
    assert.equal(annotations.length, 1);
    assert.equal(annotations[0]!.tool, 'length');
    await shot(ada, 'viewer-measured.png');

    // Ben's viewer shows it without a reload.
    await ben.locator(`[data-annotation-id="${annotations[0]!.id}"]`).waitFor();
    assert.match((await ben.getByTestId('annotations').textContent()) ?? '', /Length \d+(\.\d)? mm/);
    await shot(ben, 'viewer-second-reader.png');

    // The deep link opens the viewer on the annotation's image.
    await ben.goto(`${confer.httpUrl}/#/cases/${caseId}/viewer?annotation=${annotations[0]!.id}`);
    await ben.locator(`[data-annotation-id="${annotations[0]!.id}"].is-selected`).waitFor();

    // The prior opens side by side and scrolls with the current study.
    await ada.getByTestId('priors').getByRole('button', { name: 'Compare' }).click();
    await waitForImage(ada, 'confer-prior');
    await ada.getByText(/Sync scroll/).waitFor();
    await ada.locator(canvasOf('confer-main')).click({ position: { x: 5, y: 5 } });
    await ada.getByRole('button', { name: 'W/L', exact: true }).click();
    const mainAt = await imageIndex(ada, 'confer-main');
    const priorAt = await imageIndex(ada, 'confer-prior');
    await ada.keyboard.press(mainAt > 0 ? 'ArrowUp' : 'ArrowDown');
    await waitForIndexChange(ada, 'confer-prior', priorAt);
    await shot(ada, 'viewer-prior-synced.png');
    // Sync off: the prior stays where it is.
    await ada.getByLabel(/Sync scroll/).uncheck();
    // Back to the image (keys typed into a form control belong to the control).
    await ada.locator(canvasOf('confer-main')).click({ position: { x: 5, y: 5 } });
    const held = await imageIndex(ada, 'confer-prior');
    const mainNow = await imageIndex(ada, 'confer-main');
    await ada.keyboard.press(mainNow > 1 ? 'ArrowUp' : 'ArrowDown');
    await waitForIndexChange(ada, 'confer-main', mainNow);
    assert.equal(await imageIndex(ada, 'confer-prior'), held);

    // A region: the server's area next to the viewer's mean in HU.
    await ada.getByRole('button', { name: 'Ellipse', exact: true }).click();
    const split = (await ada.locator(canvasOf('confer-main')).boundingBox())!;
    const cx = split.x + split.width * 0.45;
    const cy = split.y + split.height * 0.55;
    await ada.mouse.move(cx, cy);
    await ada.mouse.down();
    await ada.mouse.move(cx + 20, cy + 15, { steps: 4 });
    await ada.mouse.move(cx + 40, cy + 30, { steps: 4 });
    await ada.mouse.up();
    await ada.getByText(/^Saved: Area \d+(\.\d)? mm²/).waitFor();
    await ada
      .getByTestId('annotations')
      .getByText(/mean -?\d+(\.\d+)? HU/)
      .waitFor();
    // The saved mean is the one the image shows (the author's viewer restates it if the first figure was
    // taken before the last handle move).
    await ada
      .locator('[data-viewport-id="confer-main"] svg text')
      .filter({ hasText: 'Mean' })
      .first()
      .waitFor();
    const drawn = /Mean: (-?\d+(?:\.\d+)?) HU/.exec(
      (await ada.locator('[data-viewport-id="confer-main"] svg').textContent()) ?? '',
    );
    assert.ok(drawn, 'a mean on the image');
    const shown = Number(drawn[1]).toFixed(1).replace('.', '\\.');
    await ada
      .getByTestId('annotations')
      .getByText(new RegExp(`mean ${shown} HU`))
      .waitFor();

    // Export as DICOM SR: the length and the region go in.
    await ada.getByRole('button', { name: 'Export SR' }).click();
    await ada.getByText('Exported 2 measurements as a DICOM SR series.').waitFor();
    await ada.getByRole('button', { name: 'Download SR' }).waitFor();
    await shot(ada, 'viewer-sr-exported.png');

    // One study per compressed transfer syntax, opened as a bare study.
    const rle = join(work, 'sc-rgb.dcm');
    execFileSync('dcmdrle', [join(fixtures, 'SC_rgb_rle_2frame.dcm'), rle]);
    const compress = (option: string, source: string, name: string) => {
      execFileSync('dcmcjpeg', [option, source, join(work, name)]);
      return join(work, name);
    };
    const syntaxes: [string, string][] = [
      ['jpeg-baseline', compress('+eb', rle, 'baseline.dcm')],
      ['jpeg-extended', join(fixtures, 'JPEG-lossy.dcm')],
      ['jpeg-lossless', compress('+e1', join(fixtures, 'MR_small.dcm'), 'lossless.dcm')],
      ['jpeg-2000', join(fixtures, 'JPEG2000.dcm')],
      ['rle', join(fixtures, 'MR_small_RLE.dcm')],
      ['jpeg-ls', join(fixtures, 'MR_small_jpeg_ls_lossless.dcm')],
      ['rle-rgb-multiframe', join(fixtures, 'SC_rgb_rle_2frame.dcm')],
    ];
    for (const [name, source] of syntaxes) {
      const file = freshCopy(work, source, `${name}.dcm`);
      await storeFromModality(confer, HUB, readFileSync(file));
      const study = execFileSync('dcmdump', ['-q', '+P', '0020,000d', file], { encoding: 'utf8' });
      const uid = /\[([0-9.]+)\]/.exec(study)![1]!;
      await ada.goto(`${confer.httpUrl}/#/viewer?study=${uid}`);
      await waitForImage(ada, 'confer-main', uid);
      await shot(ada, `viewer-syntax-${name}.png`);
    }
    // Synthetic ultrasound (a multi-frame clip) and a radiograph, as the demo makes them.
    for (const protocol of ['cr-chest-ap', 'us-abdomen']) {
      const study = planStudy(
        { site: HUB, studyDateTime: now, protocol, small: true },
        new Rng(`e2e-viewer-${protocol}`),
      );
      for (const i of study.instances()) await storeFromModality(confer, HUB, i.part10);
      await ada.goto(`${confer.httpUrl}/#/viewer?study=${study.studyUid}`);
      await waitForImage(ada, 'confer-main', study.studyUid);
      await shot(ada, `viewer-synthetic-${protocol}.png`);
    }

    // The ultrasound clip, opened last, is multi-frame: cine steps through its frames.
    const frameAt = await imageIndex(ada, 'confer-main');
    await ada.getByRole('button', { name: 'Play' }).click();
    await waitForIndexChange(ada, 'confer-main', frameAt);
    await ada.getByRole('button', { name: 'Stop' }).click();
    assert.deepEqual(
      // The sign-in page asks who is signed in before anyone is: that 401 is expected.
      errors.filter((e) => !/favicon|status of 401/.test(e)),
      [],
      'no page errors or console errors',
    );
  } catch (error) {
    // What the page showed and said when it failed, for whoever reads the CI log.
    await failurePage?.screenshot({ path: join(artifacts, 'viewer-failure.png') }).catch(() => {});
    console.error('page errors:', errors);
    throw error;
  } finally {
    await browser?.close();
    await bed.close({ graceMs: 2_000 });
    rmSync(work, { recursive: true, force: true });
  }
});
