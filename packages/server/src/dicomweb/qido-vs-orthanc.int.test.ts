/**
 * The same fixtures stored into Confer and into Orthanc (both by STOW-RS), then the same QIDO-RS queries
 * asked of both: the matched UIDs must be the same sets, and the PS3.18 Table 10.6.3-3/-4/-5 default
 * attributes they both return must have the same values.
 *
 * Deliberate differences (not compared, or compared around):
 * - Confer adds Instance Availability (0008,0056) ONLINE, "shall be present if known" (PS3.18 Table
 *   10.6.3-3); Orthanc 1.10 / DICOMweb 1.7 leaves it out.
 * - Orthanc adds Specific Character Set (0008,0005) "ISO_IR 100". DICOM JSON is UTF-8 (PS3.18 F.2), so
 *   Confer sends none.
 * - Orthanc answers Study's Series and Study Series' Instances with the patient and study attributes too;
 *   Confer returns what PS3.18 10.6.3.3 lists for the resource (plus the Study/Series Instance UIDs).
 * - RetrieveURL: each names its own base; the paths after the base are compared.
 * - Range matching on a date the study lacks: Orthanc's StudyDate=-20031231 also returns a study without
 *   a Study Date (it compares the empty string); Confer does not (PS3.4 C.2.2.2.5 ranges match values).
 *   That query is asked with both bounds here, where the two agree.
 * - Not compared here, but different: an unknown keyword is 400 in Confer and ignored by Orthanc; a
 *   series attribute at /studies (e.g. Modality) matches nothing in Orthanc and is ignored with a
 *   Warning: 299 header in Confer.
 * - rtstruct.dcm (no Part 10 preamble) is stored by Orthanc but refused by Confer; it and the truncated
 *   files are left out. The MR_small variants share one SOP Instance UID: both keep one copy.

 * image_dfl.dcm and test-SR.dcm both have an empty Patient ID: each study keeps its own patient record,
 * as in Orthanc, so their names are compared too.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isOrthancInstalled, type OrthancPeer, startOrthanc } from '../../test/peers/orthanc.ts';
import { startTestApp, type TestApp } from '../../test/support/app.ts';
import { readDataset } from '../dicom/dataset-reader.ts';
import type { DicomJsonDataset, DicomJsonElement } from '../dicom/dicom-json.ts';
import { readPart10Header } from '../dicom/part10.ts';
import { Tag } from '../dicom/tags.ts';

const required = process.env.CONFER_REQUIRE_INTEGRATION === '1';
const skip =
  isOrthancInstalled() || required ? undefined : 'Orthanc with its DICOMweb plugin is not installed';

const fixtures = join(import.meta.dirname, '../../test/fixtures/pydicom');
const names = readdirSync(fixtures).filter(
  (n) => n.endsWith('.dcm') && !n.includes('truncated') && n !== 'rtstruct.dcm',
);
const files = names.map((n) => readFileSync(join(fixtures, n)));
const uidOf = (name: string, tag: string): string => {
  const bytes = files[names.indexOf(name)]!;
  const h = readPart10Header(bytes);
  const v = readDataset(bytes.subarray(h.datasetOffset), h.transferSyntaxUid, { stopAtPixelData: true })
    .dataset[tag]?.Value?.[0];
  return String(v);
};

const BOUNDARY = 'qido-vs-orthanc';
const STOW_TYPE = `multipart/related; type="application/dicom"; boundary=${BOUNDARY}`;
const stowBody = Buffer.concat([
  ...files.flatMap((f) => [Buffer.from(`\r\n--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`), f]),
  Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
]);

type Level = 'study' | 'series' | 'instance';
const KEY: Record<Level, string> = {
  study: Tag.StudyInstanceUID,
  series: Tag.SeriesInstanceUID,
  instance: Tag.SOPInstanceUID,
};

/** PS3.18 Table 10.6.3-3/-4/-5 defaults both servers return, less the deliberate differences above. */
const STUDY = [
  '00080020',
  '00080030',
  '00080050',
  '00080061',
  '00080090',
  '00080201',
  '00100010',
  '00100020',
  '00100030',
  '00100040',
  '0020000D',
  '00200010',
  '00201206',
  '00201208',
];
const SERIES = [
  '00080060',
  '00080201',
  '0008103E',
  '0020000E',
  '00200011',
  '00201209',
  '00400244',
  '00400245',
];
const INSTANCE = [
  '00080016',
  '00080018',
  '00080201',
  '00200013',
  '00280010',
  '00280011',
  '00280100',
  '00280008',
];

interface Query {
  path: string;
  level: Level;
  /** The attributes compared: the defaults of the resource. */
  compare: string[];
}

function normalise(el: DicomJsonElement | undefined, tag: string): unknown {
  if (!el) return undefined;
  let values = (el.Value ?? []).map((v) => (typeof v === 'string' ? v.trim() : v));
  // Modalities in Study is a set; the two servers list it in different orders.
  if (tag === Tag.ModalitiesInStudy) values = [...values].sort();
  return values.length === 0 ? { vr: el.vr } : { vr: el.vr, Value: values };
}

describe('QIDO-RS: Confer answers as Orthanc does', { skip }, () => {
  let orthanc: OrthancPeer;
  let confer: TestApp;
  let conferBase: string;

  before(async () => {
    // When one fails (Orthanc missing under CONFER_REQUIRE_INTEGRATION=1), the other must still be kept so
    // after() closes it: an unclosed store keeps its worker thread, and the test file, alive forever.
    const [peer, app] = await Promise.allSettled([startOrthanc(), startTestApp()]);
    if (peer.status === 'fulfilled') orthanc = peer.value;
    if (app.status === 'fulfilled') confer = app.value;
    if (peer.status === 'rejected') throw peer.reason;
    if (app.status === 'rejected') throw app.reason;
    conferBase = `${await confer.listen()}/dicomweb`;
    const o = await fetch(`${orthanc.dicomwebUrl}/studies`, {
      method: 'POST',
      headers: { 'content-type': STOW_TYPE, accept: 'application/dicom+json' },
      body: stowBody,
    });
    assert.equal(o.status, 200, `Orthanc STOW-RS: ${await o.text()}`);
    const c = await fetch(`${conferBase}/studies`, {
      method: 'POST',
      headers: { ...confer.auth, 'content-type': STOW_TYPE },
      body: stowBody,
    });
    assert.equal(c.status, 200, `Confer STOW-RS: ${await c.text()}`);
  });
  after(async () => {
    await Promise.all([orthanc?.stop(), confer?.close()]);
  });

  const nmStudy = uidOf('JPEG-lossy.dcm', Tag.StudyInstanceUID);
  const nmSeries = uidOf('JPEG-lossy.dcm', Tag.SeriesInstanceUID);
  const ctStudy = uidOf('CT_small.dcm', Tag.StudyInstanceUID);
  const doseStudy = uidOf('rtdose.dcm', Tag.StudyInstanceUID);
  const queries: Query[] = [
    { path: '/studies', level: 'study', compare: STUDY },
    { path: '/studies?PatientName=CompressedSamples*', level: 'study', compare: STUDY },
    { path: '/studies?PatientName=compressed*', level: 'study', compare: STUDY },
    { path: '/studies?PatientID=1CT1', level: 'study', compare: STUDY },
    { path: '/studies?StudyDate=20030101-20031231', level: 'study', compare: STUDY },
    { path: '/studies?StudyDate=20040826', level: 'study', compare: STUDY },
    { path: '/studies?AccessionNumber=03086212', level: 'study', compare: STUDY },
    { path: '/studies?ModalitiesInStudy=NM', level: 'study', compare: STUDY },
    { path: `/studies?StudyInstanceUID=${ctStudy},${doseStudy}`, level: 'study', compare: STUDY },
    {
      path: '/studies?PatientID=1CT1&includefield=StudyDescription',
      level: 'study',
      compare: [...STUDY, '00081030'],
    },
    { path: `/studies/${nmStudy}/series`, level: 'series', compare: SERIES },
    { path: '/series?Modality=MR', level: 'series', compare: [...STUDY, ...SERIES] },
    { path: `/studies/${nmStudy}/series/${nmSeries}/instances`, level: 'instance', compare: INSTANCE },
    { path: `/studies/${nmStudy}/instances`, level: 'instance', compare: [...SERIES, ...INSTANCE] },
    {
      path: `/instances?SOPClassUID=${uidOf('rtdose.dcm', Tag.SOPClassUID)}`,
      level: 'instance',
      compare: [...STUDY, ...SERIES, ...INSTANCE],
    },
    { path: '/studies?PatientID=nobody', level: 'study', compare: STUDY },
  ];

  for (const q of queries) {
    test(q.path, async () => {
      const [o, c] = await Promise.all([
        fetch(`${orthanc.dicomwebUrl}${q.path}`, { headers: { accept: 'application/dicom+json' } }),
        fetch(`${conferBase}${q.path}`, { headers: { ...confer.auth, accept: 'application/dicom+json' } }),
      ]);
      assert.equal(c.status, o.status);
      const fromOrthanc = (await o.json()) as DicomJsonDataset[];
      const fromConfer = (await c.json()) as DicomJsonDataset[];
      const key = (ds: DicomJsonDataset) => String(ds[KEY[q.level]]?.Value?.[0]);
      const byKey = new Map(fromOrthanc.map((ds) => [key(ds), ds]));
      assert.deepEqual(fromConfer.map(key).sort(), [...byKey.keys()].sort(), 'the same matches');
      for (const mine of fromConfer) {
        const theirs = byKey.get(key(mine))!;
        for (const tag of q.compare) {
          const what = `${key(mine)} ${tag}`;
          assert.deepEqual(normalise(mine[tag], tag), normalise(theirs[tag], tag), what);
        }
        const path = (ds: DicomJsonDataset, base: string) =>
          String(ds['00081190']?.Value?.[0]).slice(base.length);
        assert.equal(path(mine, conferBase), path(theirs, orthanc.dicomwebUrl), 'RetrieveURL below the base');
      }
    });
  }
});
