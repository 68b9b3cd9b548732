import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { startTestApp, type TestApp } from '../../test/support/app.ts';
import { installFetchXhr } from '../../test/support/fetch-xhr.ts';
import { storeCases } from '../../test/support/stores.ts';
import { readDataset } from '../dicom/dataset-reader.ts';
import { type DicomJsonDataset, firstString } from '../dicom/dicom-json.ts';
import { readPart10Header } from '../dicom/part10.ts';
import { Tag } from '../dicom/tags.ts';
import { encodingOf } from '../dicom/transfer-syntax.ts';
import { parseMediaType } from './media-type.ts';
import { boundaryOf, MultipartReader } from './multipart-related.ts';

const fixtures = join(import.meta.dirname, '../../test/fixtures/pydicom');
const fixtureNames = readdirSync(fixtures).filter((n) => n.endsWith('.dcm'));

type Ids = { studyInstanceUID: string; seriesInstanceUID: string; sopInstanceUID: string };
/**
 * The slice of dicomweb-client's DICOMwebClient used here. Its published types come from JSDoc and mark
 * every option required (mediaTypes, request...), which the code does not need.
 */
interface DicomwebClient {
  storeInstances(o: { datasets: ArrayBuffer[] }): Promise<unknown>;
  searchForStudies(o: { queryParams: Record<string, string> }): Promise<DicomJsonDataset[]>;
  searchForSeries(o: { studyInstanceUID: string }): Promise<DicomJsonDataset[]>;
  searchForInstances(o: Omit<Ids, 'sopInstanceUID'>): Promise<DicomJsonDataset[]>;
  retrieveInstance(o: Ids): Promise<ArrayBuffer>;
  retrieveSeriesMetadata(o: Omit<Ids, 'sopInstanceUID'>): Promise<DicomJsonDataset[]>;
  retrieveInstanceFrames(o: Ids & { frameNumbers: number[] }): Promise<ArrayBuffer[]>;
}
// The package is a UMD bundle: require() gives its exports in Node.
const { DICOMwebClient } = (
  createRequire(import.meta.url)('dicomweb-client') as {
    api: {
      DICOMwebClient: new (o: {
        url: string;
        headers: Record<string, string>;
        verbose: boolean;
      }) => DicomwebClient;
    };
  }
).api;

interface Fixture {
  name: string;
  bytes: Buffer;
  /** Undefined for files Confer refuses (no Part 10 header, truncated). */
  ds: DicomJsonDataset | undefined;
  ts: string | undefined;
  /** The Pixel Data value as stored (native syntaxes only). */
  pixels: Buffer | undefined;
}

function load(name: string): Fixture {
  const bytes = readFileSync(join(fixtures, name));
  try {
    const h = readPart10Header(bytes);
    const r = readDataset(bytes.subarray(h.datasetOffset), h.transferSyntaxUid, { stopAtPixelData: true });
    const enc = encodingOf(h.transferSyntaxUid)!;
    let pixels: Buffer | undefined;
    if (r.stoppedAtPixelData && !enc.deflated) {
      const at = h.datasetOffset + r.endOffset;
      const length = enc.explicitVr ? bytes.readUInt32LE(at + 8) : bytes.readUInt32LE(at + 4);
      const start = at + (enc.explicitVr ? 12 : 8);
      if (length !== 0xffffffff) pixels = bytes.subarray(start, start + length);
    }
    return { name, bytes, ds: r.dataset, ts: h.transferSyntaxUid, pixels };
  } catch {
    return { name, bytes, ds: undefined, ts: undefined, pixels: undefined };
  }
}

const F = Object.fromEntries(fixtureNames.map((n) => [n, load(n)])) as Record<string, Fixture>;
const uid = (f: string, tag: string) => firstString(F[f]!.ds!, tag)!;
const study = (f: string) => uid(f, Tag.StudyInstanceUID);
const series = (f: string) => uid(f, Tag.SeriesInstanceUID);
const sop = (f: string) => uid(f, Tag.SOPInstanceUID);

function multipart(parts: { type?: string; bytes: Buffer }[], boundary = 'confer-test-boundary'): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(
      Buffer.from(`\r\n--${boundary}\r\nContent-Type: ${p.type ?? 'application/dicom'}\r\n\r\n`),
      p.bytes,
    );
  }
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

const STOW_TYPE = 'multipart/related; type="application/dicom"; boundary=confer-test-boundary';

/** Parts of a multipart response, read with Confer's own reader. */
async function parts(body: Buffer, contentType: string): Promise<{ type: string; bytes: Buffer }[]> {
  const ct = parseMediaType(contentType)!;
  assert.equal(ct.type, 'multipart/related');
  const source = (async function* () {
    yield body;
  })();
  const reader = new MultipartReader(source, boundaryOf(ct)!, { maxHeaderBytes: 4096, maxBodyBytes: 1e9 });
  const out: { type: string; bytes: Buffer }[] = [];
  for (let p = await reader.nextPart(); p; p = await reader.nextPart()) {
    const chunks: Buffer[] = [];
    for await (const c of p.body) chunks.push(Buffer.from(c));
    out.push({ type: p.headers['content-type'] ?? '', bytes: Buffer.concat(chunks) });
  }
  return out;
}

const seq = (ds: DicomJsonDataset, tag: string) => (ds[tag]?.Value ?? []) as DicomJsonDataset[];
const str = (ds: DicomJsonDataset, tag: string) => firstString(ds, tag);
const uids = (rows: DicomJsonDataset[], tag: string) => rows.map((r) => str(r, tag)).sort();

for (const c of await storeCases()) {
  describe(`DICOMweb on ${c.name}`, { skip: c.skip }, () => {
    let t: TestApp;
    const get = (url: string, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'GET', url, headers: { ...t.auth, ...headers } });
    const search = async (url: string) => {
      const r = await get(url, { accept: 'application/dicom+json' });
      assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
      assert.equal(r.headers['content-type'], 'application/dicom+json');
      return r.json() as DicomJsonDataset[];
    };

    before(async () => {
      t = await startTestApp({ storeCase: c });
    });
    after(async () => {
      await t?.close();
    });

    test('no token: 401 before the body is read; a reader may not store: 403', async () => {
      for (const [method, url] of [
        ['POST', '/dicomweb/studies'],
        ['GET', '/dicomweb/studies'],
        ['GET', `/dicomweb/studies/${study('CT_small.dcm')}/metadata`],
      ] as const) {
        const r = await t.app.inject({
          method,
          url,
          headers: { 'content-type': STOW_TYPE },
          ...(method === 'POST' ? { payload: multipart([{ bytes: F['CT_small.dcm']!.bytes }]) } : {}),
        });
        assert.equal(r.statusCode, 401, url);
        assert.equal(r.json().code, 'CONFER_ERR_UNAUTHENTICATED');
      }
      const reader = await t.tokenFor(['radiologist']);
      const r = await t.app.inject({
        method: 'POST',
        url: '/dicomweb/studies',
        headers: { authorization: `Bearer ${reader}`, 'content-type': STOW_TYPE },
        payload: multipart([{ bytes: F['CT_small.dcm']!.bytes }]),
      });
      assert.equal(r.statusCode, 403);
      assert.equal(r.json().code, 'CONFER_ERR_FORBIDDEN');
    });

    test('STOW-RS: 415 for anything but multipart/related application/dicom, with what to send', async () => {
      for (const type of [
        'application/dicom+json',
        'multipart/related; type="application/dicom+xml"; boundary=x',
        'application/dicom',
      ]) {
        const r = await t.app.inject({
          method: 'POST',
          url: '/dicomweb/studies',
          headers: { ...t.auth, 'content-type': type },
          payload: '[]',
        });
        assert.equal(r.statusCode, 415, type);
        assert.match(r.headers['content-type'] ?? '', /application\/problem\+json/);
        assert.match(r.json().detail, /not supported yet/);
      }
      const noBoundary = await t.app.inject({
        method: 'POST',
        url: '/dicomweb/studies',
        headers: { ...t.auth, 'content-type': 'multipart/related; type="application/dicom"' },
        payload: 'x',
      });
      assert.equal(noBoundary.statusCode, 400);
      assert.match(noBoundary.json().detail, /boundary/);
    });

    test('STOW-RS: a body cut off inside a part fails that part and stores nothing of it', async () => {
      const full = multipart([
        { bytes: F['waveform_ecg.dcm']!.bytes },
        { bytes: F['SC_rgb_rle_2frame.dcm']!.bytes },
      ]);
      // The second part loses its end and the close delimiter: the client went away mid-instance.
      const cut = full.subarray(0, full.length - 1500);
      const r = await t.app.inject({
        method: 'POST',
        url: '/dicomweb/studies',
        headers: { ...t.auth, 'content-type': STOW_TYPE },
        payload: cut,
      });
      assert.equal(r.statusCode, 202, r.body);
      const body = r.json() as DicomJsonDataset;
      assert.deepEqual(uids(seq(body, '00081199'), '00081155'), [sop('waveform_ecg.dcm')]);
      const failures = [...seq(body, '00081198'), ...seq(body, '0008119A')];
      assert.equal(failures.length, 1);
      assert.equal(failures[0]!['00081197']!.Value![0], 0x0110);
      assert.match(String(failures[0]!['00000902']!.Value![0]), /part 2: .*cut off/);
      assert.deepEqual(
        await search(`/dicomweb/instances?SOPInstanceUID=${sop('SC_rgb_rle_2frame.dcm')}`),
        [],
      );
      const incoming = await readdir(join(t.dataDir, 'blobs', '.incoming'));
      assert.deepEqual(incoming, [], 'no partial file is left behind');
    });

    test('STOW-RS of every fixture in one request: 202, the truncated and unreadable ones failed with reasons', async () => {
      const r = await t.app.inject({
        method: 'POST',
        url: '/dicomweb/studies',
        headers: { ...t.auth, 'content-type': STOW_TYPE, accept: 'application/dicom+json' },
        payload: multipart(fixtureNames.map((n) => ({ bytes: F[n]!.bytes }))),
      });
      assert.equal(r.statusCode, 202, r.body);
      assert.equal(r.headers['content-type'], 'application/dicom+json');
      const body = r.json() as DicomJsonDataset;
      assert.deepEqual(body['00081190'], { vr: 'UR' }, 'several studies: the study RetrieveURL is empty');
      const referenced = seq(body, '00081199');
      const readable = fixtureNames.filter((n) => F[n]!.ds && !n.includes('truncated'));
      assert.equal(referenced.length, readable.length);
      for (const item of referenced) {
        assert.match(
          String(item['00081190']!.Value![0]),
          /^http:\/\/localhost(:80)?\/dicomweb\/studies\/[\d.]+\/series\/[\d.]+\/instances\/[\d.]+$/,
        );
      }
      // MR_truncated.dcm: its header was read, so it is named; the pixel data ends short.
      const failed = seq(body, '00081198');
      assert.equal(failed.length, 1);
      assert.equal(str(failed[0]!, '00081155'), sop('MR_truncated.dcm'));
      assert.equal(failed[0]!['00081197']!.Value![0], 0xc000);
      assert.match(String(failed[0]!['00000902']!.Value![0]), /truncated/);
      // rtplan_truncated.dcm and rtstruct.dcm (no Part 10 header) cannot be tied to a SOP instance.
      const other = seq(body, '0008119A');
      assert.equal(other.length, 2);
      assert.ok(other.every((o) => o['00081197']!.Value![0] === 0xc000));
      assert.ok(other.some((o) => /DICM/.test(String(o['00000902']!.Value![0]))));
    });

    test('STOW-RS to a study URL: the same study is stored (200), another one is refused (409, A900)', async () => {
      const ct = F['CT_small.dcm']!;
      const same = await t.app.inject({
        method: 'POST',
        url: `/dicomweb/studies/${study('CT_small.dcm')}`,
        headers: { ...t.auth, 'content-type': STOW_TYPE },
        payload: multipart([{ bytes: ct.bytes }]),
      });
      assert.equal(same.statusCode, 200, same.body);
      assert.match(
        String(same.json()['00081190'].Value[0]),
        new RegExp(`/dicomweb/studies/${study('CT_small.dcm')}$`),
      );
      const wrong = await t.app.inject({
        method: 'POST',
        url: '/dicomweb/studies/1.2.3.4.5',
        headers: { ...t.auth, 'content-type': STOW_TYPE },
        payload: multipart([{ bytes: ct.bytes }]),
      });
      assert.equal(wrong.statusCode, 409, wrong.body);
      const [item] = seq(wrong.json(), '00081198');
      assert.equal(item!['00081197']!.Value![0], 0xa900);
      assert.equal(str(item!, '00081155'), sop('CT_small.dcm'));
      assert.match(String(item!['00000902']!.Value![0]), /not to 1\.2\.3\.4\.5/);
    });

    test('STOW-RS: a gzip-compressed body is stored (PS3.18 8.4.3 Content-Encoding)', async () => {
      const r = await t.app.inject({
        method: 'POST',
        url: `/dicomweb/studies/${study('test-SR.dcm')}`,
        headers: { ...t.auth, 'content-type': STOW_TYPE, 'content-encoding': 'gzip' },
        payload: gzipSync(multipart([{ bytes: F['test-SR.dcm']!.bytes }])),
      });
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(uids(seq(r.json(), '00081199'), '00081155'), [sop('test-SR.dcm')]);
      const br = await t.app.inject({
        method: 'POST',
        url: '/dicomweb/studies',
        headers: { ...t.auth, 'content-type': STOW_TYPE, 'content-encoding': 'br' },
        payload: 'x',
      });
      assert.equal(br.statusCode, 415);
    });

    test('STOW-RS: non-DICOM parts fail alone', async () => {
      const r = await t.app.inject({
        method: 'POST',
        url: '/dicomweb/studies',
        headers: { ...t.auth, 'content-type': STOW_TYPE },
        payload: multipart([
          { type: 'text/plain', bytes: Buffer.from('hello') },
          { bytes: Buffer.from('this is not DICOM at all, just text that is long enough '.repeat(10)) },
          { bytes: F['CT_small.dcm']!.bytes },
        ]),
      });
      assert.equal(r.statusCode, 202, r.body);
      const other = seq(r.json(), '0008119A');
      assert.equal(other.length, 2);
      assert.match(String(other[0]!['00000902']!.Value![0]), /part 1 has Content-Type "text\/plain"/);
      assert.match(String(other[1]!['00000902']!.Value![0]), /part 2: .*DICM/);
      assert.equal(seq(r.json(), '00081199').length, 1);
    });

    test('QIDO-RS studies: wildcard, date range, UID list, ModalitiesInStudy, includefield, fuzzy', async () => {
      const compressed = ['CT_small.dcm', 'JPEG-lossy.dcm', 'MR_small.dcm'].map(study).sort();
      assert.deepEqual(
        uids(await search('/dicomweb/studies?PatientName=CompressedSamples*'), '0020000D'),
        compressed,
      );
      assert.deepEqual(uids(await search('/dicomweb/studies?00100010=Compressed*'), '0020000D'), compressed);
      assert.deepEqual(uids(await search('/dicomweb/studies?PatientID=1CT1'), '0020000D'), [
        study('CT_small.dcm'),
      ]);
      assert.deepEqual(
        uids(await search('/dicomweb/studies?StudyDate=20040101-20041231'), '0020000D'),
        compressed,
      );
      assert.deepEqual(
        uids(await search('/dicomweb/studies?StudyDate=-20031231'), '0020000D'),
        ['liver_1frame.dcm', 'rtdose.dcm', 'rtplan.dcm'].map(study).sort(),
      );
      const pair = ['CT_small.dcm', 'rtdose.dcm'].map(study).sort();
      assert.deepEqual(
        uids(await search(`/dicomweb/studies?StudyInstanceUID=${pair.join(',')}`), '0020000D'),
        pair,
      );
      assert.deepEqual(
        uids(await search(`/dicomweb/studies?StudyInstanceUID=${pair.join('%5C')}`), '0020000D'),
        pair,
      );
      assert.deepEqual(uids(await search('/dicomweb/studies?ModalitiesInStudy=NM'), '0020000D'), [
        study('JPEG-lossy.dcm'),
      ]);
      assert.deepEqual(
        uids(await search('/dicomweb/studies?ModalitiesInStudy=CT,MR'), '0020000D'),
        ['CT_small.dcm', 'MR_small.dcm'].map(study).sort(),
      );
      assert.deepEqual(
        uids(await search('/dicomweb/studies?PatientName=lestrade&fuzzymatching=true'), '0020000D'),
        [study('SC_rgb_rle_2frame.dcm')],
      );

      const [ct] = await search('/dicomweb/studies?PatientID=1CT1&includefield=SOPClassesInStudy');
      // PS3.18 Table 10.6.3-3 defaults, plus what includefield asked for.
      for (const tag of [
        '00080020',
        '00080030',
        '00080050',
        '00080056',
        '00080061',
        '00080090',
        '00081190',
        '00100010',
        '00100020',
        '00100030',
        '00100040',
        '0020000D',
        '00200010',
        '00201206',
        '00201208',
      ]) {
        assert.ok(ct![tag], `default attribute ${tag}`);
      }
      assert.deepEqual(ct!['00080062'], { vr: 'UI', Value: [uid('CT_small.dcm', Tag.SOPClassUID)] });
      assert.deepEqual(ct!['00080056'], { vr: 'CS', Value: ['ONLINE'] });
      assert.deepEqual(ct!['00080061'], { vr: 'CS', Value: ['CT'] });
      assert.deepEqual(ct!['00201208'], { vr: 'IS', Value: [1] });
      assert.equal(
        ct!['00081190']!.Value![0],
        `http://localhost:80/dicomweb/studies/${study('CT_small.dcm')}`,
      );
      assert.deepEqual(Object.keys(ct!), Object.keys(ct!).sort(), 'attributes in tag order');
      const [nm] = await search(`/dicomweb/studies?StudyInstanceUID=${study('JPEG-lossy.dcm')}`);
      assert.deepEqual(nm!['00201208'], { vr: 'IS', Value: [2] });
    });

    test('QIDO-RS: limit and offset page through every study; bad keys are 400, unmatched keys warn', async () => {
      const all = await search('/dicomweb/studies');
      const readableStudies = new Set(
        fixtureNames.filter((n) => F[n]!.ds && !n.includes('truncated')).map(study),
      );
      assert.equal(all.length, readableStudies.size);
      const seen: string[] = [];
      for (let offset = 0; offset < all.length; offset += 4) {
        const r = await get(`/dicomweb/studies?limit=4&offset=${offset}`);
        const page = r.json() as DicomJsonDataset[];
        assert.ok(page.length <= 4);
        const more = offset + 4 < all.length;
        assert.equal(
          /additional results/.test(String(r.headers.warning ?? '')),
          more,
          `warning at offset ${offset}`,
        );
        seen.push(...page.map((p) => str(p, Tag.StudyInstanceUID)!));
      }
      assert.deepEqual(
        seen,
        all.map((s) => str(s, Tag.StudyInstanceUID)),
        'pages are stable and complete',
      );
      assert.deepEqual(await search('/dicomweb/studies?PatientID=nobody'), []);

      const unknown = await get('/dicomweb/studies?PateintName=Doe');
      assert.equal(unknown.statusCode, 400);
      assert.equal(unknown.json().attribute, 'PateintName');
      assert.match(unknown.json().detail, /PateintName/);
      const wrongCase = await get('/dicomweb/studies?patientname=Doe');
      assert.match(wrongCase.json().detail, /did you mean PatientName/);
      assert.equal((await get('/dicomweb/studies?limit=-1')).statusCode, 400);
      assert.equal((await get('/dicomweb/studies?StudyDate=yesterday')).statusCode, 400);
      assert.equal((await get('/dicomweb/studies?PatientID=1&PatientID=2')).statusCode, 400);

      const warned = await get('/dicomweb/studies?PatientID=1CT1&Modality=CT');
      assert.equal(warned.statusCode, 200);
      assert.match(
        String(warned.headers.warning),
        /^299 localhost:80 "The following attributes are not supported for matching: \(0008,0060\) Modality"/,
      );
      assert.equal((warned.json() as unknown[]).length, 1);

      const xml = await get('/dicomweb/studies', {
        accept: 'multipart/related; type="application/dicom+xml"',
      });
      assert.equal(xml.statusCode, 406);
      assert.equal(xml.json().code, 'CONFER_ERR_NOT_ACCEPTABLE');
      assert.equal(
        (await get('/dicomweb/studies', { accept: 'application/json' })).headers['content-type'],
        'application/json',
      );
    });

    test('QIDO-RS series and instances, in a study, a series, and archive-wide', async () => {
      const nmStudy = study('JPEG-lossy.dcm');
      const nmSeries = series('JPEG-lossy.dcm');
      const [s] = await search(`/dicomweb/studies/${nmStudy}/series`);
      assert.equal(str(s!, Tag.SeriesInstanceUID), nmSeries);
      assert.equal(str(s!, Tag.Modality), 'NM');
      assert.deepEqual(s!['00201209'], { vr: 'IS', Value: [2] });
      assert.equal(
        s!['00081190']!.Value![0],
        `http://localhost:80/dicomweb/studies/${nmStudy}/series/${nmSeries}`,
      );
      assert.deepEqual(uids(await search('/dicomweb/series?Modality=MR'), '0020000E'), [
        series('MR_small.dcm'),
      ]);
      const allSeries = await search('/dicomweb/series?PatientID=1CT1');
      assert.equal(allSeries.length, 1);
      assert.ok(allSeries[0]!['00080020'], 'All Series carries the study attributes (PS3.18 10.6.3.3.2)');

      const nmInstances = [sop('JPEG-lossy.dcm'), sop('JPEG2000.dcm')].sort();
      assert.deepEqual(
        uids(await search(`/dicomweb/studies/${nmStudy}/series/${nmSeries}/instances`), '00080018'),
        nmInstances,
      );
      assert.deepEqual(uids(await search(`/dicomweb/studies/${nmStudy}/instances`), '00080018'), nmInstances);
      const [one] = await search(
        `/dicomweb/studies/${nmStudy}/instances?InstanceNumber=3&includefield=00080008`,
      );
      assert.equal(str(one!, Tag.SOPInstanceUID), sop('JPEG2000.dcm'));
      for (const tag of [
        '00080016',
        '00080018',
        '00080056',
        '00081190',
        '00200013',
        '00280010',
        '00280011',
        '00280100',
      ]) {
        assert.ok(one![tag], `default attribute ${tag}`);
      }
      assert.deepEqual(one!['00080008'], F['JPEG2000.dcm']!.ds!['00080008']);
      assert.equal(one!['7FE00010'], undefined);
      const ct = await search(
        `/dicomweb/instances?SOPClassUID=${uid('CT_small.dcm', Tag.SOPClassUID)}&includefield=all`,
      );
      assert.deepEqual(uids(ct, '00080018'), [sop('CT_small.dcm')]);
      assert.equal(ct[0]!['7FE00010'], undefined, 'no pixel data in search results');
      assert.ok(ct[0]!['00180050'], 'includefield=all returns the instance attributes');
      const mismatch = await get(`/dicomweb/studies/${nmStudy}/series?StudyInstanceUID=1.2.3`);
      assert.equal(mismatch.statusCode, 400);
    });

    test('WADO-RS retrieves the stored files byte for byte', async () => {
      const accept = 'multipart/related; type="application/dicom"; transfer-syntax=*';
      const r = await get(`/dicomweb/studies/${study('JPEG-lossy.dcm')}`, { accept });
      assert.equal(r.statusCode, 200);
      assert.match(
        String(r.headers['content-type']),
        /^multipart\/related; type="application\/dicom"; boundary=/,
      );
      assert.equal(Number(r.headers['content-length']), r.rawPayload.length);
      const got = await parts(r.rawPayload, String(r.headers['content-type']));
      assert.equal(got.length, 2);
      const expected = [F['JPEG-lossy.dcm']!, F['JPEG2000.dcm']!];
      for (const f of expected) {
        const part = got.find((p) => p.bytes.equals(f.bytes));
        assert.ok(part, `${f.name} comes back unchanged`);
        assert.equal(part!.type, `application/dicom; transfer-syntax=${f.ts}`);
      }
      const ctPath = `/dicomweb/studies/${study('CT_small.dcm')}/series/${series('CT_small.dcm')}/instances/${sop('CT_small.dcm')}`;
      const single = await get(ctPath, { accept: 'application/dicom' });
      assert.equal(single.statusCode, 200);
      assert.ok(single.rawPayload.equals(F['CT_small.dcm']!.bytes));
      // The MR copies share one SOP Instance UID: whichever was kept comes back as it was sent.
      const mr = await get(`/dicomweb/studies/${study('MR_small.dcm')}/series/${series('MR_small.dcm')}`);
      const [mrPart] = await parts(mr.rawPayload, String(mr.headers['content-type']));
      const kept = fixtureNames.filter((n) => n.startsWith('MR_small')).map((n) => F[n]!);
      assert.ok(kept.some((f) => f.bytes.equals(mrPart!.bytes) && mrPart!.type.endsWith(f.ts!)));

      const j2k = `/dicomweb/studies/${study('JPEG2000.dcm')}/series/${series('JPEG2000.dcm')}/instances/${sop('JPEG2000.dcm')}`;
      const transcode = await get(j2k, {
        accept: 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1',
      });
      assert.equal(transcode.statusCode, 406);
      assert.match(transcode.json().detail, /does not transcode/);
      assert.equal((await get(j2k, { accept: 'application/dicom+xml' })).statusCode, 406);
      const missing = await get('/dicomweb/studies/1.2.3.4.5.6');
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().code, 'CONFER_ERR_NOT_FOUND');
      assert.equal((await get('/dicomweb/studies/not-a-uid')).statusCode, 400);
      assert.equal((await get(`${ctPath}/rendered`)).statusCode, 404);
    });

    test('WADO-RS metadata at study, series and instance level, with a Pixel Data BulkDataURI', async () => {
      const nm = `/dicomweb/studies/${study('JPEG-lossy.dcm')}`;
      const studyMeta = (await get(`${nm}/metadata`)).json() as DicomJsonDataset[];
      const seriesMeta = (
        await get(`${nm}/series/${series('JPEG-lossy.dcm')}/metadata`)
      ).json() as DicomJsonDataset[];
      assert.equal(studyMeta.length, 2);
      assert.deepEqual(seriesMeta, studyMeta);
      for (const m of seriesMeta) {
        const name = str(m, Tag.SOPInstanceUID) === sop('JPEG2000.dcm') ? 'JPEG2000.dcm' : 'JPEG-lossy.dcm';
        const uri = String(m['7FE00010']!.BulkDataURI);
        assert.equal(
          uri,
          `http://localhost:80${nm}/series/${series(name)}/instances/${sop(name)}/bulkdata/7FE00010`,
        );
        const { '7FE00010': _, ...rest } = m;
        const { '7FE00010': __, ...expected } = F[name]!.ds!;
        assert.deepEqual(rest, expected, `${name} metadata is its data set`);
      }
      const ctMeta = await get(
        `/dicomweb/studies/${study('CT_small.dcm')}/series/${series('CT_small.dcm')}/instances/${sop('CT_small.dcm')}/metadata`,
      );
      assert.equal(ctMeta.headers['content-type'], 'application/dicom+json');
      const [ct] = ctMeta.json() as DicomJsonDataset[];
      assert.equal(str(ct!, Tag.PatientName), 'CompressedSamples^CT1');
      assert.equal((await get(`${nm}/series/1.2.3/metadata`)).statusCode, 404);
    });

    test('WADO-RS frames: native bytes at their offset, compressed frames as image/* or with transfer-syntax=*', async () => {
      const path = (f: string) => `/dicomweb/studies/${study(f)}/series/${series(f)}/instances/${sop(f)}`;
      const ct = await get(`${path('CT_small.dcm')}/frames/1`, {
        accept: 'multipart/related; type="application/octet-stream"',
      });
      assert.equal(ct.statusCode, 200, ct.body);
      const [frame] = await parts(ct.rawPayload, String(ct.headers['content-type']));
      assert.equal(frame!.type, 'application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1');
      assert.ok(frame!.bytes.equals(F['CT_small.dcm']!.pixels!), 'the frame is the pixel data in the file');

      const dose = F['rtdose.dcm']!;
      const multi = await get(`${path('rtdose.dcm')}/frames/2,15`);
      const frames = await parts(multi.rawPayload, String(multi.headers['content-type']));
      assert.equal(frames.length, 2);
      assert.ok(frames[0]!.bytes.equals(dose.pixels!.subarray(400, 800)));
      assert.ok(frames[1]!.bytes.equals(dose.pixels!.subarray(14 * 400, 15 * 400)));
      const bulk = await get(`${path('rtdose.dcm')}/bulkdata/7FE00010`);
      const [all] = await parts(bulk.rawPayload, String(bulk.headers['content-type']));
      assert.ok(all!.bytes.equals(dose.pixels!), 'bulk data is the whole Pixel Data value');

      const jpeg = path('JPEG-lossy.dcm');
      const asJpeg = await get(`${jpeg}/frames/1`, { accept: 'multipart/related; type="image/jpeg"' });
      assert.equal(asJpeg.statusCode, 200, asJpeg.body);
      const [jf] = await parts(asJpeg.rawPayload, String(asJpeg.headers['content-type']));
      assert.equal(jf!.type, 'image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.51');
      assert.deepEqual([...jf!.bytes.subarray(0, 2)], [0xff, 0xd8]);
      const anySyntax = await get(`${jpeg}/frames/1`, {
        accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=*',
      });
      const [af] = await parts(anySyntax.rawPayload, String(anySyntax.headers['content-type']));
      assert.equal(af!.type, 'application/octet-stream; transfer-syntax=1.2.840.10008.1.2.4.51');
      assert.ok(af!.bytes.equals(jf!.bytes));
      // One compressed frame is framed in place around its fragment; several are copied: the same bytes.
      const rle = path('SC_rgb_rle_2frame.dcm');
      const rleAccept = { accept: 'multipart/related; type=application/octet-stream; transfer-syntax=*' };
      const pair = await get(`${rle}/frames/1,2`, rleAccept);
      const both = await parts(pair.rawPayload, String(pair.headers['content-type']));
      for (const n of [1, 2]) {
        const one = await get(`${rle}/frames/${n}`, rleAccept);
        assert.equal(one.statusCode, 200, one.body);
        const got = await parts(one.rawPayload, String(one.headers['content-type']));
        assert.equal(got.length, 1);
        assert.equal(got[0]!.type, 'application/octet-stream; transfer-syntax=1.2.840.10008.1.2.5');
        assert.ok(got[0]!.bytes.equals(both[n - 1]!.bytes), `RLE frame ${n}`);
        assert.equal(got[0]!.bytes.readUInt32LE(0), 3, 'an RGB RLE frame has 3 segments');
      }
      const mrRle = path('MR_small_RLE.dcm');
      const oneFrame = await get(`${mrRle}/frames/1`, rleAccept);
      const [single] = await parts(oneFrame.rawPayload, String(oneFrame.headers['content-type']));
      const bulkData = await get(`${mrRle}/bulkdata/7FE00010`, rleAccept);
      const [asBulk] = await parts(bulkData.rawPayload, String(bulkData.headers['content-type']));
      assert.ok(single!.bytes.equals(asBulk!.bytes));

      // Single frames are built in reused memory: many at once, each must still be its own frame.
      const expected = [
        { url: `${path('CT_small.dcm')}/frames/1`, bytes: F['CT_small.dcm']!.pixels! },
        { url: `${rle}/frames/1`, bytes: both[0]!.bytes },
        { url: `${rle}/frames/2`, bytes: both[1]!.bytes },
        { url: `${mrRle}/frames/1`, bytes: single!.bytes },
      ];
      const answers = await Promise.all(
        Array.from({ length: 24 }, async (_, i) => {
          const e = expected[i % expected.length]!;
          const r = await get(e.url, rleAccept);
          const [p] = await parts(r.rawPayload, String(r.headers['content-type']));
          return p!.bytes.equals(e.bytes);
        }),
      );
      assert.ok(answers.every(Boolean), 'every concurrent frame answer holds its own frame');

      const decode = await get(`${jpeg}/frames/1`, {
        accept: 'multipart/related; type="application/octet-stream"',
      });
      assert.equal(decode.statusCode, 406);
      assert.match(decode.json().detail, /does not transcode/);

      assert.equal((await get(`${path('CT_small.dcm')}/frames/2`)).statusCode, 404);
      assert.equal((await get(`${path('CT_small.dcm')}/frames/x`)).statusCode, 400);
      assert.equal((await get(`${path('test-SR.dcm')}/frames/1`)).statusCode, 404);
    });

    test('dicomweb-client stores, searches and retrieves against a listening Confer', async () => {
      const base = await t.listen();
      const uninstall = installFetchXhr();
      try {
        const client = new DICOMwebClient({
          url: `${base}/dicomweb`,
          headers: t.auth,
          verbose: false,
        });
        const liver = F['liver_1frame.dcm']!;
        const stored = await client.storeInstances({
          datasets: [new Uint8Array(liver.bytes).buffer],
        });
        assert.ok(stored !== undefined);
        const studies = (await client.searchForStudies({
          queryParams: { PatientID: '99000' },
        })) as DicomJsonDataset[];
        assert.deepEqual(uids(studies, '0020000D'), [study('liver_1frame.dcm')]);
        assert.equal(
          studies[0]!['00081190']!.Value![0],
          `${base}/dicomweb/studies/${study('liver_1frame.dcm')}`,
        );
        const seriesList = (await client.searchForSeries({
          studyInstanceUID: study('liver_1frame.dcm'),
        })) as DicomJsonDataset[];
        assert.deepEqual(uids(seriesList, '0020000E'), [series('liver_1frame.dcm')]);
        const ids = {
          studyInstanceUID: study('liver_1frame.dcm'),
          seriesInstanceUID: series('liver_1frame.dcm'),
          sopInstanceUID: sop('liver_1frame.dcm'),
        };
        const instances = await client.searchForInstances({
          studyInstanceUID: ids.studyInstanceUID,
          seriesInstanceUID: ids.seriesInstanceUID,
        });
        assert.deepEqual(uids(instances, '00080018'), [ids.sopInstanceUID]);
        const file = await client.retrieveInstance(ids);
        assert.ok(Buffer.from(file).equals(liver.bytes), 'retrieveInstance gives the stored bytes');
        const metadata = await client.retrieveSeriesMetadata(ids);
        assert.match(String(metadata[0]!['7FE00010']!.BulkDataURI), /\/bulkdata\/7FE00010$/);
        const [frame] = await client.retrieveInstanceFrames({ ...ids, frameNumbers: [1] });
        assert.ok(Buffer.from(frame!).equals(liver.pixels!.subarray(0, (512 * 512) / 8)));
      } finally {
        uninstall();
      }
    });
  });
}
