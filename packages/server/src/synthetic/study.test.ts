import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { readDataset } from '../dicom/dataset-reader.ts';
import { allStrings, type DicomJsonDataset, firstNumber, firstString } from '../dicom/dicom-json.ts';
import { resolveTag } from '../dicom/dictionary.ts';
import { readPart10Header } from '../dicom/part10.ts';
import { Tag } from '../dicom/tags.ts';
import { TransferSyntax } from '../dicom/transfer-syntax.ts';
import { planCohort } from './cohort.ts';
import { patientAge } from './local-time.ts';
import { Rng } from './prng.ts';
import { ON_REQUEST_PROTOCOLS, PROTOCOLS, protocolsFor, SopClass } from './protocols.ts';
import { DEFAULT_SITES } from './sites.ts';
import {
  generateStudy,
  ProcedurePriority,
  planStudy,
  type StudySpec,
  type SyntheticInstance,
} from './study.ts';

const at = new Date('2026-03-10T14:30:00Z');
const site = DEFAULT_SITES[2]!; // Brightwater, America/New_York: EDT from 8 March 2026

function t(keyword: string): string {
  const tag = resolveTag(keyword);
  assert.ok(tag, keyword);
  return tag;
}

function read(instance: SyntheticInstance): { dataset: DicomJsonDataset; pixelBytes: number } {
  const header = readPart10Header(instance.part10);
  assert.equal(header.transferSyntaxUid, instance.transferSyntaxUid);
  assert.equal(header.sopClassUid, instance.sopClassUid);
  assert.equal(header.sopInstanceUid, instance.sopInstanceUid);
  const body = instance.part10.subarray(header.datasetOffset);
  const { dataset } = readDataset(body, header.transferSyntaxUid, { inlineBinaryMaxBytes: 0 });
  const head = readDataset(body, header.transferSyntaxUid, { stopAtPixelData: true });
  return { dataset, pixelBytes: head.stoppedAtPixelData ? body.byteLength - head.endOffset - 12 : 0 };
}

function digest(spec: StudySpec, seed: string | number): string {
  const h = createHash('sha256');
  for (const i of generateStudy(spec, new Rng(seed))) h.update(i.part10);
  return h.digest('hex');
}

test('the same seed gives the same bytes; another seed gives other bytes', () => {
  const spec: StudySpec = { site, studyDateTime: at, protocol: 'ct-chest', slices: 3, report: true };
  assert.equal(digest(spec, 'alpha'), digest(spec, 'alpha'));
  assert.notEqual(digest(spec, 'alpha'), digest(spec, 'beta'));
  const tiny = { ...spec, tiny: true, protocol: 'us-abdomen' };
  assert.equal(digest(tiny, 7), digest(tiny, 7));
});

test('instance k is the same whether or not the instances before it were generated', () => {
  const spec: StudySpec = { site, studyDateTime: at, protocol: 'mr-brain', slices: 4, tiny: true };
  const all = [...generateStudy(spec, new Rng('k'))];
  const again = generateStudy(spec, new Rng('k'));
  // Pull only the first, then compare a late instance: laziness must not change what it contains.
  again.next();
  const late = [...again].at(-1)!;
  assert.deepEqual(late.part10, all.at(-1)!.part10);
  assert.equal(new Set(all.map((i) => i.sopInstanceUid)).size, all.length, 'UIDs are unique');
});

test('the caller Rng advances by a fixed amount per study, whatever the study', () => {
  const a = new Rng('fixed');
  const b = new Rng('fixed');
  planStudy({ site, studyDateTime: at, protocol: 'ct-head', slices: 200 }, a);
  planStudy({ site, studyDateTime: at, protocol: 'cr-chest-ap', report: true }, b);
  assert.equal(a.u32(), b.u32());
});

for (const protocol of PROTOCOLS) {
  test(`${protocol.id}: every file reads back with the attributes of its plan`, () => {
    const study = planStudy(
      { site, studyDateTime: at, protocol: protocol.id, slices: 3, tiny: true, report: true },
      new Rng(`readback-${protocol.id}`),
    );
    assert.deepEqual(study.modalitiesInStudy, [protocol.modality, 'SR']);
    const instances = [...study.instances()];
    assert.equal(instances.length, study.instanceCount);
    assert.deepEqual(
      [...new Set(instances.map((i) => i.seriesUid))],
      study.series.map((s) => s.seriesUid),
    );
    for (const instance of instances) {
      const { dataset: ds, pixelBytes } = read(instance);
      assert.ok(instance.part10.byteLength < 8192, `tiny files stay small (${instance.part10.byteLength})`);
      assert.equal(firstString(ds, Tag.SOPClassUID), instance.sopClassUid);
      assert.equal(firstString(ds, Tag.SOPInstanceUID), instance.sopInstanceUid);
      assert.equal(firstString(ds, Tag.StudyInstanceUID), study.studyUid);
      assert.equal(firstString(ds, Tag.SeriesInstanceUID), instance.seriesUid);
      assert.equal(firstString(ds, Tag.Modality), instance.modality);
      assert.equal(firstNumber(ds, Tag.SeriesNumber), instance.seriesNumber);
      assert.equal(firstNumber(ds, Tag.InstanceNumber), instance.instanceNumber);
      assert.equal(firstString(ds, Tag.AccessionNumber), study.accessionNumber);
      assert.equal(firstString(ds, Tag.StudyDescription), protocol.studyDescription);
      assert.equal(firstString(ds, Tag.InstitutionName), site.institutionName);
      assert.equal(firstString(ds, Tag.PatientID), study.patient.patientId);
      assert.equal(firstString(ds, Tag.IssuerOfPatientID), site.patientIdIssuer);
      assert.deepEqual(ds[Tag.PatientName]?.Value?.[0], study.patient.name);
      assert.equal(firstString(ds, Tag.StudyDate), '20260310');
      assert.equal(firstString(ds, Tag.StudyTime), '103000'); // 14:30 UTC is 10:30 EDT
      assert.equal(firstString(ds, Tag.TimezoneOffsetFromUTC), '-0400');
      assert.equal(firstString(ds, Tag.PatientAge), patientAge(study.patient.birthDate, '20260310'));
      assert.match(instance.sopInstanceUid, /^2\.25\.[1-9][0-9]{0,38}$/);
      assert.ok(firstString(ds, Tag.ReferringPhysicianName));
      if (instance.modality === 'SR') {
        assert.equal(instance.sopClassUid, SopClass.BasicTextSR);
        const evidence = ds[t('CurrentRequestedProcedureEvidenceSequence')]!.Value![0] as DicomJsonDataset;
        const referenced = (evidence[t('ReferencedSeriesSequence')]!.Value as DicomJsonDataset[]).flatMap(
          (s) =>
            (s[t('ReferencedSOPSequence')]!.Value as DicomJsonDataset[]).map((r) =>
              firstString(r, t('ReferencedSOPInstanceUID')),
            ),
        );
        assert.deepEqual(
          referenced,
          instances.filter((i) => i.modality !== 'SR').map((i) => i.sopInstanceUid),
          'the report cites every image of the study',
        );
        continue;
      }
      assert.equal(firstString(ds, Tag.BodyPartExamined), protocol.bodyPartExamined);
      assert.ok(firstString(ds, Tag.StationName)?.startsWith(site.idPrefix));
      const rows = firstNumber(ds, Tag.Rows)!;
      const columns = firstNumber(ds, Tag.Columns)!;
      const frames = firstNumber(ds, Tag.NumberOfFrames) ?? 1;
      const samples = firstNumber(ds, Tag.SamplesPerPixel)!;
      const bytesPerSample = firstNumber(ds, Tag.BitsAllocated)! / 8;
      assert.equal(rows, 8);
      if (instance.modality === 'US') {
        // PS3.3 C.7.6.6: frames step by Frame Time, named by its tag.
        assert.deepEqual(ds[t('FrameIncrementPointer')]?.Value, ['00181063']);
        assert.equal(firstNumber(ds, t('FrameTime')), 33.33);
        assert.equal(frames, 2);
      }
      assert.equal(pixelBytes, rows * columns * frames * samples * bytesPerSample);
    }
  });
}

test('a CT series steps through the body: positions, slice locations, rescale and windows agree', () => {
  const study = planStudy(
    { site, studyDateTime: at, protocol: 'ct-abdomen-pelvis', slices: 5 },
    new Rng('ct-geometry'),
  );
  const axial = [...study.instances()].filter((i) => i.seriesNumber === 2);
  assert.equal(axial.length, 5);
  const zs: number[] = [];
  const frames = new Set<string>();
  for (const instance of axial) {
    assert.ok(instance.part10.byteLength > 512 * 1024, 'a full-size slice is over 512 KiB');
    const { dataset: ds } = read(instance);
    assert.equal(firstNumber(ds, Tag.Rows), 512);
    assert.equal(firstNumber(ds, Tag.PixelRepresentation), 1);
    assert.equal(firstNumber(ds, t('RescaleIntercept')), -1024);
    assert.equal(firstNumber(ds, t('RescaleSlope')), 1);
    assert.equal(firstString(ds, t('RescaleType')), 'HU');
    assert.deepEqual(ds[t('WindowCenter')]?.Value, [40, 60]);
    const position = ds[t('ImagePositionPatient')]!.Value as number[];
    assert.equal(position[2], firstNumber(ds, t('SliceLocation')));
    frames.add(firstString(ds, t('FrameOfReferenceUID'))!);
    zs.push(position[2]!);
  }
  assert.equal(frames.size, 1, 'one frame of reference');
  const steps = zs.slice(1).map((z, i) => Math.round((zs[i]! - z) * 100) / 100);
  assert.ok(
    steps.every((s) => Math.abs(s - steps[0]!) <= 0.011 && s > 0),
    `equal steps head to foot: ${steps}`,
  );
  // Pixel values mean something: air in the corner, soft tissue mid-body (centre of the field).
  const mid = axial[2]!.part10;
  const pixels = new Int16Array(
    mid.buffer.slice(mid.byteOffset + mid.byteLength - 512 * 512 * 2, mid.byteOffset + mid.byteLength),
  );
  const hu = (r: number, c: number) => pixels[r * 512 + c]! - 1024;
  assert.ok(Math.abs(hu(5, 5) + 1000) < 80, `corner is air: ${hu(5, 5)}`);
  assert.ok(hu(200, 256) > -200 && hu(200, 256) < 300, `body centre is soft tissue or fat: ${hu(200, 256)}`);
});

test('names, sexes and character set: ISO_IR 192 carries accents and ideographs intact', () => {
  const seen = new Set<string>();
  const sexes = new Set<string>();
  for (let i = 0; i < 60; i++) {
    const study = planStudy(
      { site, studyDateTime: at, protocol: 'cr-chest-ap', tiny: true },
      new Rng(`n${i}`),
    );
    const first = study.instances().next().value!;
    const { dataset: ds } = read(first);
    assert.equal(firstString(ds, Tag.SpecificCharacterSet), 'ISO_IR 192');
    assert.deepEqual(ds[Tag.PatientName]?.Value?.[0], study.patient.name);
    seen.add(study.patient.name.Alphabetic!);
    sexes.add(study.patient.sex);
  }
  assert.ok(seen.size > 40, `names vary (${seen.size} of 60)`);
  assert.deepEqual([...sexes].sort(), ['F', 'M']);
});

test('implicit VR little endian is available; other syntaxes are refused with the reason', () => {
  const [first] = generateStudy(
    {
      site,
      studyDateTime: at,
      protocol: 'ct-head',
      slices: 1,
      tiny: true,
      transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian,
    },
    new Rng('implicit'),
  );
  const { dataset } = read(first!);
  assert.equal(firstString(dataset, Tag.Modality), 'CT');
  assert.deepEqual(allStrings(dataset, Tag.ImageType), ['ORIGINAL', 'PRIMARY', 'LOCALIZER']);
  assert.throws(
    () =>
      planStudy(
        { site, studyDateTime: at, protocol: 'ct-head', transferSyntaxUid: TransferSyntax.JPEGBaseline8Bit },
        new Rng('x'),
      ),
    /explicit or implicit VR little endian/,
  );
});

test('studies made without priority, pathway or small are byte for byte what they were', () => {
  // Digests of outputs from before those options existed. Change them only with a generator change that
  // is meant to alter every synthetic study (seeded demo and benchmark data with it).
  const golden: Record<string, string> = {
    'ct-head-tiny': '823cb37cf0295bbe',
    'ct-head': '38ccf973730f457e',
    'mr-brain-tiny': 'ac0df5c217de19c6',
    'cr-chest-ap': '62e4e5bcacff83ec',
    'us-abdomen-tiny': '968d3565d1815864',
  };
  for (const [key, digest] of Object.entries(golden)) {
    const id = key.replace(/-tiny$/, '');
    const spec: StudySpec = {
      site: DEFAULT_SITES[1]!,
      studyDateTime: at,
      protocol: id,
      slices: 2,
      usFrames: 2,
      tiny: key.endsWith('-tiny'),
      report: true,
    };
    const h = createHash('sha256');
    for (const i of generateStudy(spec, new Rng(`golden-${id}`))) h.update(i.part10);
    assert.equal(h.digest('hex').slice(0, 16), digest, key);
  }
  const h = createHash('sha256');
  const cohort = planCohort({
    studies: 12,
    seed: 'golden',
    from: new Date('2026-03-02T00:00:00Z'),
    tiny: true,
    slices: 2,
  });
  for (const s of cohort) for (const i of s.instances()) h.update(i.part10);
  assert.equal(h.digest('hex').slice(0, 16), '4f96372d0450bccb', 'cohort');
});

test('a priority is written as Requested Procedure Priority; none is written without one', () => {
  const rng = () => new Rng('priority');
  const spec: StudySpec = { site, studyDateTime: at, protocol: 'cr-chest-ap', tiny: true };
  const stat = planStudy({ ...spec, priority: ProcedurePriority.Stat }, rng());
  assert.equal(stat.priority, 'STAT');
  const { dataset } = read(stat.instances().next().value!);
  assert.equal(firstString(dataset, t('RequestedProcedurePriority')), 'STAT');
  const plain = planStudy(spec, rng());
  assert.equal(plain.priority, undefined);
  assert.equal(read(plain.instances().next().value!).dataset[t('RequestedProcedurePriority')], undefined);
  assert.equal(plain.studyUid, stat.studyUid, 'the priority changes nothing else');
});

test('a stroke pathway names the protocol in the study and requested procedure descriptions', () => {
  const spec: StudySpec = { site, studyDateTime: at, protocol: 'ct-head', tiny: true, slices: 2 };
  const stroke = planStudy({ ...spec, pathway: 'stroke', priority: ProcedurePriority.Stat }, new Rng('s'));
  const plain = planStudy(spec, new Rng('s'));
  assert.equal(stroke.studyDescription, 'CT HEAD STROKE PROTOCOL');
  assert.equal(stroke.pathway, 'stroke');
  assert.equal(stroke.studyUid, plain.studyUid);
  assert.notEqual(stroke.reasonForStudy, plain.reasonForStudy);
  for (const instance of stroke.instances()) {
    const { dataset } = read(instance);
    assert.equal(firstString(dataset, Tag.StudyDescription), 'CT HEAD STROKE PROTOCOL');
    const request = dataset[t('RequestAttributesSequence')]!.Value![0] as DicomJsonDataset;
    assert.equal(firstString(request, t('RequestedProcedureDescription')), 'CT HEAD STROKE PROTOCOL');
    assert.equal(firstString(request, t('ReasonForTheRequestedProcedure')), stroke.reasonForStudy);
    assert.equal(firstString(dataset, t('ProtocolName')), 'CT HEAD STROKE PROTOCOL');
  }
  assert.throws(
    () => planStudy({ ...spec, protocol: 'cr-chest-ap', pathway: 'stroke' }, new Rng('s')),
    /protocol "cr-chest-ap" has no "stroke" pathway/,
  );
});

test('small studies are demo-sized: CT 256x256 and 20 slices, MR 128, CR 512, US 320x240', () => {
  const dims = (protocol: string) => {
    const study = planStudy({ site, studyDateTime: at, protocol, small: true }, new Rng(`small-${protocol}`));
    assert.equal(study.small, true);
    const first = [...study.instances()].filter((i) => i.modality !== 'SR');
    const { dataset, pixelBytes } = read(first.at(-1)!);
    return {
      count: study.series.map((s) => s.instanceCount),
      rows: firstNumber(dataset, Tag.Rows),
      columns: firstNumber(dataset, Tag.Columns),
      frames: firstNumber(dataset, Tag.NumberOfFrames) ?? 1,
      pixelBytes,
    };
  };
  const ct = dims('ct-chest');
  assert.deepEqual(ct.count, [1, 20, 20]);
  assert.equal(ct.rows, 256);
  assert.equal(ct.pixelBytes, 256 * 256 * 2);
  assert.equal(dims('mr-brain').rows, 128);
  assert.equal(dims('cr-chest-2v').rows, 512);
  const us = dims('us-abdomen');
  assert.deepEqual([us.rows, us.columns, us.frames], [240, 320, 12]);
  const pinned = planStudy(
    { site, studyDateTime: at, protocol: 'ct-head', small: true, slices: 6 },
    new Rng('p'),
  );
  assert.deepEqual(
    pinned.series.map((s) => s.instanceCount),
    [1, 6],
    'slices, when given, win',
  );
  const tiny = planStudy(
    { site, studyDateTime: at, protocol: 'ct-head', small: true, tiny: true },
    new Rng('p'),
  );
  assert.equal(tiny.small, false, 'tiny wins');
});

test('an MR knee is made on request only, and reads back as a knee', () => {
  assert.ok(!PROTOCOLS.some((p) => p.id === 'mr-knee'), 'never drawn at random');
  assert.deepEqual(
    protocolsFor('MR').map((p) => p.id),
    ['mr-brain'],
  );
  const knee = ON_REQUEST_PROTOCOLS.find((p) => p.id === 'mr-knee')!;
  const study = planStudy({ site, studyDateTime: at, protocol: 'mr-knee', small: true }, new Rng('knee'));
  assert.equal(study.studyDescription, knee.studyDescription);
  assert.equal(study.instanceCount, 40);
  const { dataset } = read(study.instances().next().value!);
  assert.equal(firstString(dataset, Tag.BodyPartExamined), 'KNEE');
  assert.equal(firstString(dataset, Tag.Modality), 'MR');
  const position = dataset[t('ImagePositionPatient')]!.Value as number[];
  assert.ok(position[0]! < -150, `the field of view sits on the right limb (${position[0]})`);
});
