// A smoke test of bench:viewer's measuring function against an in-process Confer on SQLite: a few slices, no
// Orthanc, seconds. It keeps the benchmark from rotting; the benchmark itself is not part of npm test.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { planCohort } from '../src/synthetic/index.ts';
import { startTestApp, type TestApp } from '../test/support/app.ts';
import { FRAME_ACCEPT, loadSeries, multipartParts } from './viewer-client.ts';

const SLICES = 5;
const [study] = planCohort({
  studies: 1,
  seed: 'bench-viewer-smoke',
  protocol: 'ct-abdomen-pelvis',
  slices: SLICES,
  small: true,
  from: new Date('2026-03-02T00:00:00Z'),
  spanDays: 1,
});
const axial = study!.series.reduce((a, b) => (b.instanceCount > a.instanceCount ? b : a));
const files = [...study!.instances()].filter((i) => i.seriesUid === axial.seriesUid);

let t: TestApp;
let url: string;

before(async () => {
  t = await startTestApp();
  url = `${await t.listen()}/dicomweb`;
  const boundary = 'smoke-boundary';
  const body = Buffer.concat([
    ...files.flatMap((f) => [
      Buffer.from(`\r\n--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
      f.part10,
    ]),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const r = await fetch(`${url}/studies`, {
    method: 'POST',
    headers: {
      ...t.auth,
      'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
      accept: 'application/dicom+json',
    },
    body,
  });
  assert.equal(r.status, 200, await r.text());
});
after(async () => {
  await t?.close();
});

test('loadSeries times a series from Confer and receives every frame as stored', async () => {
  const load = await loadSeries(
    { dicomwebUrl: url, headers: t.auth },
    { studyUid: study!.studyUid, seriesUid: axial.seriesUid, connections: 2, checksum: true },
  );
  assert.equal(load.instances, SLICES);
  assert.equal(load.frames, SLICES);
  assert.deepEqual(load.transferSyntaxes, ['1.2.840.10008.1.2.1']);
  assert.ok(load.metadataMs > 0 && load.metadataMs <= load.firstImageMs);
  assert.ok(load.firstImageMs <= load.fullyLoadedMs);
  // The frames are the files' pixel data, in Instance Number order: the tail of each file (Pixel Data last).
  const sorted = [...files].sort((a, b) => a.instanceNumber - b.instanceNumber);
  const frameBytes = load.pixelBytes / SLICES;
  let crc = 0;
  for (const f of sorted) crc = crc32(f.part10.subarray(f.part10.length - frameBytes), crc);
  assert.equal(load.checksum, crc.toString(16).padStart(8, '0'));
  // Audited as a viewer's load is: the metadata request, and one record covering the series' frames.
  const audit = await t.deps.audit.list({ limit: 100, studyUid: study!.studyUid });
  assert.deepEqual(
    audit.map((e) => e.action).filter((a) => a.startsWith('retrieve')),
    ['retrieve-frames', 'retrieve-metadata'],
  );
});

test('loadSeries fails loudly on a refused request, and the frame Accept is what Cornerstone3D sends', async () => {
  await assert.rejects(
    loadSeries(
      { dicomwebUrl: url, headers: { authorization: 'Bearer not-a-token' } },
      { studyUid: study!.studyUid, seriesUid: axial.seriesUid },
    ),
    /HTTP 401/,
  );
  assert.equal(FRAME_ACCEPT, 'multipart/related; type=application/octet-stream; transfer-syntax=*');
});

test('multipartParts cuts parts as a viewer does, quoted boundary and all', () => {
  const body = Buffer.from(
    'preamble\r\n--"b"\r\nno\r\n--b\r\nContent-Type: x/y\r\n\r\nAB\r\n--b\r\n\r\nC\r\n--b--\r\n',
  );
  const parts = multipartParts(body, 'multipart/related; type="x/y"; boundary="b"');
  assert.deepEqual(
    parts.map((p) => [p.contentType, p.bytes.toString()]),
    [
      ['x/y', 'AB'],
      ['', 'C'],
    ],
  );
});
