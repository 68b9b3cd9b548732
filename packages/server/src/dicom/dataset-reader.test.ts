import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DicomParseError, readDataset } from './dataset-reader.ts';
import { encodeDataset } from './dataset-writer.ts';
import { firstNumber, firstString } from './dicom-json.ts';
import { buildPart10Header, readPart10Header } from './part10.ts';
import { Tag } from './tags.ts';
import { TransferSyntax } from './transfer-syntax.ts';

const fixtures = join(import.meta.dirname, '../../test/fixtures/pydicom');
const load = (name: string) => new Uint8Array(readFileSync(join(fixtures, name)));

function readFile(name: string, stopAtPixelData = true) {
  const bytes = load(name);
  const header = readPart10Header(bytes);
  return {
    header,
    ...readDataset(bytes.subarray(header.datasetOffset), header.transferSyntaxUid, { stopAtPixelData }),
  };
}

test('every curated pydicom file but the truncated ones reads to its SOP Instance UID', () => {
  const names = readdirSync(fixtures).filter(
    (n) => n.endsWith('.dcm') && !n.includes('truncated') && n !== 'rtstruct.dcm',
  );
  assert.ok(names.length >= 15);
  for (const name of names) {
    const { header, dataset } = readFile(name, false);
    // The RT files' file meta names another instance than their data set does; the data set is authoritative.
    if (!name.startsWith('rt'))
      assert.equal(firstString(dataset, Tag.SOPInstanceUID), header.sopInstanceUid, name);
    assert.ok(firstString(dataset, Tag.StudyInstanceUID), `${name} has a study UID`);
  }
});

test('big endian, implicit and explicit little endian give the same MR attributes', () => {
  const le = readFile('MR_small.dcm').dataset;
  const be = readFile('MR_small_bigendian.dcm').dataset;
  const implicit = readFile('MR_small_implicit.dcm').dataset;
  for (const ds of [be, implicit]) {
    assert.equal(firstNumber(ds, Tag.Rows), firstNumber(le, Tag.Rows));
    assert.equal(firstNumber(ds, Tag.Columns), 64);
    assert.deepEqual(ds[Tag.PatientName], le[Tag.PatientName]);
    assert.equal(firstString(ds, Tag.StudyInstanceUID), firstString(le, Tag.StudyInstanceUID));
  }
});

test('a file with no preamble is not Part 10, and reads as a raw implicit VR data set', () => {
  const bytes = load('rtstruct.dcm');
  assert.throws(() => readPart10Header(bytes), /no "DICM" prefix/);
  const { dataset } = readDataset(bytes, TransferSyntax.ImplicitVRLittleEndian);
  assert.equal(firstString(dataset, Tag.Modality), 'RTSTRUCT');
});

test('deflated data sets inflate and read', () => {
  const { header, dataset } = readFile('image_dfl.dcm');
  assert.equal(header.transferSyntaxUid, TransferSyntax.DeflatedExplicitVRLittleEndian);
  assert.equal(firstString(dataset, Tag.Modality), 'OT');
  assert.equal(firstNumber(dataset, Tag.Rows), 512);
});

test('reading stops at pixel data and reports where', () => {
  const { header, endOffset, stoppedAtPixelData } = readFile('CT_small.dcm');
  assert.equal(stoppedAtPixelData, true);
  const bytes = load('CT_small.dcm');
  const at = header.datasetOffset + endOffset;
  assert.deepEqual([...bytes.subarray(at, at + 4)], [0xe0, 0x7f, 0x10, 0x00]);
});

test('a truncated file fails with truncated=true and names where', () => {
  for (const name of ['MR_truncated.dcm', 'rtplan_truncated.dcm']) {
    assert.throws(
      () => readFile(name, false),
      (err: unknown) => err instanceof DicomParseError && err.truncated && /truncated/.test(err.message),
      name,
    );
  }
});

test('an odd value length is rejected with the element named', () => {
  const ds = encodeDataset(
    { [Tag.PatientID]: { vr: 'LO', Value: ['AB'] } },
    TransferSyntax.ExplicitVRLittleEndian,
  );
  ds.writeUInt16LE(3, 6);
  const bytes = Buffer.concat([ds, Buffer.from([0x41])]);
  assert.throws(
    () => readDataset(bytes, TransferSyntax.ExplicitVRLittleEndian),
    /\(0010,0020\) has odd value length 3/,
  );
});

test('write then read round-trips strings, names, numbers, sequences and binary in every syntax', () => {
  const ds = {
    [Tag.SpecificCharacterSet]: { vr: 'CS', Value: ['ISO_IR 192'] },
    [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Müller^Anna', Ideographic: '' }] },
    [Tag.ModalitiesInStudy]: { vr: 'CS', Value: ['CT', 'PT'] },
    [Tag.Rows]: { vr: 'US', Value: [512] },
    [Tag.InstanceNumber]: { vr: 'IS', Value: [42] },
    '00280030': { vr: 'DS', Value: [0.48828125, 0.3333333333333333] },
    [Tag.OtherPatientIDsSequence]: {
      vr: 'SQ',
      Value: [
        { [Tag.PatientID]: { vr: 'LO', Value: ['X1'] } },
        { [Tag.PatientID]: { vr: 'LO', Value: ['X2'] } },
      ],
    },
    [Tag.PixelData]: { vr: 'OW', bytes: new Uint8Array([1, 2, 3, 4]) },
  };
  for (const ts of [
    TransferSyntax.ImplicitVRLittleEndian,
    TransferSyntax.ExplicitVRLittleEndian,
    TransferSyntax.ExplicitVRBigEndian,
  ]) {
    const back = readDataset(encodeDataset(ds, ts), ts, { inlineBinaryMaxBytes: 16 }).dataset;
    assert.deepEqual(back[Tag.PatientName]?.Value, [{ Alphabetic: 'Müller^Anna' }], ts);
    assert.deepEqual(back[Tag.ModalitiesInStudy]?.Value, ['CT', 'PT']);
    assert.deepEqual(back[Tag.Rows]?.Value, [512]);
    assert.deepEqual(back[Tag.InstanceNumber]?.Value, [42]);
    assert.equal((back['00280030']!.Value![1] as number).toFixed(10), '0.3333333333');
    assert.deepEqual(
      (back[Tag.OtherPatientIDsSequence]!.Value as Record<string, { Value: string[] }>[]).map(
        (i) => i[Tag.PatientID]?.Value[0],
      ),
      ['X1', 'X2'],
    );
    assert.equal(back[Tag.PixelData]?.InlineBinary, Buffer.from([1, 2, 3, 4]).toString('base64'));
  }
});

test('a built Part 10 header reads back', () => {
  const header = buildPart10Header({
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    sopInstanceUid: '1.2.3.4',
    transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian,
    sourceAeTitle: 'CT_SCANNER',
  });
  const parsed = readPart10Header(Buffer.concat([header, Buffer.alloc(8)]));
  assert.equal(parsed.sopInstanceUid, '1.2.3.4');
  assert.equal(parsed.transferSyntaxUid, TransferSyntax.ExplicitVRLittleEndian);
  assert.equal(parsed.datasetOffset, header.byteLength);
  assert.equal(firstString(parsed.meta, Tag.SourceApplicationEntityTitle), 'CT_SCANNER');
});
