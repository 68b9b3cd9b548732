import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type DicomJsonDataset, firstNumber, firstString } from '../../src/dicom/dicom-json.ts';
import { Tag } from '../../src/dicom/tags.ts';
import { Rng } from '../../src/synthetic/prng.ts';
import { DEFAULT_SITES } from '../../src/synthetic/sites.ts';
import { planStudy } from '../../src/synthetic/study.ts';
import { isOrthancInstalled, OrthancPeerError, startOrthanc } from './orthanc.ts';

const requireIntegration = process.env.CONFER_REQUIRE_INTEGRATION === '1';
const haveStorescu = spawnSync('storescu', ['--version']).error === undefined;
const missing = !isOrthancInstalled()
  ? 'Orthanc or its DICOMweb plugin is not installed (apt-get install orthanc orthanc-dicomweb)'
  : !haveStorescu
    ? 'storescu is not installed (apt-get install dcmtk)'
    : undefined;

test('Orthanc and storescu are present when integration tests are required', {
  skip: !requireIntegration,
}, () => {
  assert.equal(missing, undefined, `CONFER_REQUIRE_INTEGRATION=1 but ${missing}`);
});

test('a private Orthanc takes two instances over C-STORE and lists them over QIDO-RS', {
  skip: missing ?? false,
}, async (t) => {
  const peer = await startOrthanc({ aeTitle: 'CONFER_PEER' });
  const work = mkdtempSync(join(tmpdir(), 'confer-orthanc-test-'));
  t.after(async () => {
    await peer.stop();
    rmSync(work, { recursive: true, force: true });
  });

  // Localizer plus one axial slice: two instances of one study, tiny so the test is about the protocol.
  const study = planStudy(
    {
      site: DEFAULT_SITES[1]!,
      studyDateTime: new Date('2026-05-04T09:20:00Z'),
      protocol: 'ct-head',
      slices: 1,
      tiny: true,
    },
    new Rng('orthanc-peer'),
  );
  const files: string[] = [];
  const sopInstanceUids: string[] = [];
  for (const instance of study.instances()) {
    const file = join(work, `${instance.sopInstanceUid}.dcm`);
    writeFileSync(file, instance.part10);
    files.push(file);
    sopInstanceUids.push(instance.sopInstanceUid);
  }
  assert.equal(files.length, 2);

  const store = spawnSync(
    'storescu',
    ['-aet', 'CONFER_TEST', '-aec', peer.aeTitle, peer.dicomHost, String(peer.dicomPort), ...files],
    { encoding: 'utf8', env: { ...process.env, TCP_NODELAY: '1' }, timeout: 30_000 },
  );
  assert.equal(store.status, 0, `storescu failed:\n${store.stdout}${store.stderr}\n${peer.log()}`);

  const qido = async (path: string): Promise<DicomJsonDataset[]> => {
    const res = await fetch(`${peer.dicomwebUrl}${path}`, {
      headers: { accept: 'application/dicom+json' },
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 200, `${path}: ${res.status} ${await res.clone().text()}`);
    return (await res.json()) as DicomJsonDataset[];
  };

  const studies = await qido(`/studies?StudyInstanceUID=${study.studyUid}&includefield=all`);
  assert.equal(studies.length, 1);
  const found = studies[0]!;
  assert.equal(firstString(found, Tag.StudyInstanceUID), study.studyUid);
  assert.equal(firstString(found, Tag.AccessionNumber), study.accessionNumber);
  assert.equal(firstString(found, Tag.PatientID), study.patient.patientId);
  assert.equal(firstNumber(found, Tag.NumberOfStudyRelatedInstances), 2);
  assert.deepEqual(found[Tag.ModalitiesInStudy]?.Value, ['CT']);

  const instances = await qido(`/studies/${study.studyUid}/instances`);
  assert.deepEqual(
    instances.map((i) => firstString(i, Tag.SOPInstanceUID)).sort(),
    [...sopInstanceUids].sort(),
  );

  const directory = peer.directory;
  await peer.stop();
  assert.equal(existsSync(directory), false, 'stop() removes the temp directory');
  await assert.rejects(
    fetch(`${peer.httpUrl}/system`, { signal: AbortSignal.timeout(2000) }),
    'Orthanc is gone',
  );
});

test('with a fixed user, Orthanc answers only with credentials', { skip: missing ?? false }, async (t) => {
  const peer = await startOrthanc({ user: { username: 'confer', password: 'synthetic-only' } });
  t.after(() => peer.stop());
  const anonymous = await fetch(`${peer.httpUrl}/system`);
  await anonymous.body?.cancel();
  assert.equal(anonymous.status, 401);
  const authorised = await fetch(`${peer.dicomwebUrl}/studies`, {
    headers: { authorization: peer.authorization!, accept: 'application/dicom+json' },
  });
  assert.equal(authorised.status, 200);
  assert.deepEqual(await authorised.json(), []);
});

test('a missing Orthanc is reported with what to install', {
  skip: missing === undefined ? 'Orthanc is installed' : false,
}, async () => {
  await assert.rejects(startOrthanc(), (err: unknown) => {
    assert.ok(err instanceof OrthancPeerError);
    assert.equal(err.code, 'CONFER_ERR_ORTHANC_MISSING');
    return true;
  });
});
