import assert from 'node:assert/strict';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readDataset } from '../dicom/dataset-reader.ts';
import { readPart10Header } from '../dicom/part10.ts';
import { encodingOf } from '../dicom/transfer-syntax.ts';
import {
  enclose,
  type FrameSource,
  isNative,
  parseFrameList,
  pixelGeometry,
  type RangeReader,
  readEncapsulatedFrames,
  readNativeFrames,
} from './frames.ts';

const fixtures = join(import.meta.dirname, '../../test/fixtures/pydicom');

/** What the ingest service records for a file: offsets, syntax, geometry; and a range reader on it. */
function open(name: string) {
  const path = join(fixtures, name);
  const bytes = readFileSync(path);
  const h = readPart10Header(bytes);
  const enc = encodingOf(h.transferSyntaxUid)!;
  const r = readDataset(bytes.subarray(h.datasetOffset), h.transferSyntaxUid, { stopAtPixelData: true });
  const pixelDataOffset = r.stoppedAtPixelData && !enc.deflated ? h.datasetOffset + r.endOffset : -1;
  if (pixelDataOffset >= 0)
    r.dataset['7FE00010'] = {
      vr: enc.explicitVr ? bytes.toString('latin1', pixelDataOffset + 4, pixelDataOffset + 6) : 'OW',
    };
  const source: FrameSource = {
    datasetOffset: h.datasetOffset,
    pixelDataOffset,
    transferSyntaxUid: h.transferSyntaxUid,
    sizeBytes: statSync(path).size,
  };
  const geometry = pixelGeometry(r.dataset)!;
  const read = (range: { start: number; end?: number }) => createReadStream(path, range);
  const frames = (list: number[]) =>
    isNative(source.transferSyntaxUid)
      ? readNativeFrames(read, source, geometry, list)
      : readEncapsulatedFrames(read, source, geometry, list);
  return { bytes, source, geometry, frames, explicit: enc.explicitVr };
}

describe('frames', () => {
  test('a native frame is the pixel data bytes at its offset', async () => {
    const ct = open('CT_small.dcm');
    const [frame] = await ct.frames([1]);
    const valueStart = ct.source.pixelDataOffset + 12;
    assert.equal(frame!.length, 128 * 128 * 2);
    assert.ok(frame!.equals(ct.bytes.subarray(valueStart, valueStart + frame!.length)));
  });

  test('multi-frame implicit VR: each frame at its own offset, in the order asked', async () => {
    const dose = open('rtdose.dcm');
    assert.equal(dose.geometry.numberOfFrames, 15);
    const frameBytes = 10 * 10 * 4;
    const valueStart = dose.source.pixelDataOffset + 8;
    const got = await dose.frames([15, 2, 2]);
    const expect = (f: number) =>
      dose.bytes.subarray(valueStart + (f - 1) * frameBytes, valueStart + f * frameBytes);
    assert.ok(got[0]!.equals(expect(15)));
    assert.ok(got[1]!.equals(expect(2)));
    assert.ok(got[2]!.equals(expect(2)));
    await assert.rejects(dose.frames([16]), /frame 16 does not exist/);
  });

  test('big endian, implicit and deflated copies of one image give the same little endian frame', async () => {
    const [explicit] = await open('MR_small.dcm').frames([1]);
    const [big] = await open('MR_small_bigendian.dcm').frames([1]);
    const [implicit] = await open('MR_small_implicit.dcm').frames([1]);
    assert.equal(explicit!.length, 64 * 64 * 2);
    assert.ok(big!.equals(explicit!), 'PS3.18 8.7.3.3.2: octet-stream frames are little endian');
    assert.ok(implicit!.equals(explicit!));
    const dfl = open('image_dfl.dcm');
    const [deflated] = await dfl.frames([1]);
    assert.equal(deflated!.length, 512 * 512);
  });

  test('single-bit frames: frame 1 of a segmentation', async () => {
    const seg = open('liver_1frame.dcm');
    const [frame] = await seg.frames([1]);
    assert.equal(frame!.length, (512 * 512) / 8);
  });

  test('encapsulated frames are the fragments of each frame, with their codec signature', async () => {
    const [jpeg] = await open('JPEG-lossy.dcm').frames([1]);
    assert.deepEqual([...jpeg!.subarray(0, 2)], [0xff, 0xd8], 'JPEG starts with SOI');
    const [j2k] = await open('JPEG2000.dcm').frames([1]);
    assert.deepEqual([...j2k!.subarray(0, 2)], [0xff, 0x4f], 'J2K codestream starts with SOC');
    const rle = open('SC_rgb_rle_2frame.dcm');
    const [second, first] = await rle.frames([2, 1]);
    // PS3.5 G.3.1: an RLE frame starts with its header, the number of segments (3 for RGB).
    assert.equal(first!.readUInt32LE(0), 3);
    assert.equal(second!.readUInt32LE(0), 3);
    assert.ok(!first!.equals(second!));
    await assert.rejects(rle.frames([3]), /frame 3 does not exist/);
  });

  /** A positional reader over the fixture's bytes that refuses to stream, and the reads it served. */
  function positional(file: ReturnType<typeof open>) {
    const reads: { position: number; length: number }[] = [];
    const read: RangeReader = Object.assign(
      (range: { start: number; end?: number }) => {
        throw new Error(`streamed from ${range.start}: a positional reader was offered`);
      },
      {
        readInto: async (position: number, target: Buffer, offset: number, length: number) => {
          reads.push({ position, length });
          return file.bytes.copy(target, offset, position, Math.min(file.bytes.length, position + length));
        },
      },
    );
    return { read, reads };
  }

  test('with a positional reader, every syntax gives the frames the streamed path gives', async () => {
    for (const name of [
      'CT_small.dcm',
      'rtdose.dcm',
      'MR_small_bigendian.dcm',
      'MR_small_implicit.dcm',
      'image_dfl.dcm',
      'liver_1frame.dcm',
      'JPEG2000.dcm',
      'JPEG-lossy.dcm',
      'SC_rgb_rle_2frame.dcm',
      'MR_small_RLE.dcm',
      'MR_small_jpeg_ls_lossless.dcm',
    ]) {
      const file = open(name);
      for (const wanted of [[1], [file.geometry.numberOfFrames, 1]]) {
        const streamed = await file.frames(wanted);
        const { read } = positional(file);
        const got = isNative(file.source.transferSyntaxUid)
          ? await readNativeFrames(read, file.source, file.geometry, wanted)
          : await readEncapsulatedFrames(read, file.source, file.geometry, wanted);
        assert.equal(got.length, wanted.length, name);
        for (const [i, frame] of got.entries()) {
          assert.ok(frame.equals(streamed[i]!), `${name} frame ${wanted[i]}`);
        }
      }
    }
  });

  test('one native frame: its element header and bytes in one read, straight into the target given', async () => {
    const ct = open('CT_small.dcm');
    const { read, reads } = positional(ct);
    let target: Buffer | undefined;
    const [frame] = await readNativeFrames(read, ct.source, ct.geometry, [1], (_i, length, lead) => {
      target = Buffer.alloc(lead + length);
      return target;
    });
    assert.deepEqual(reads, [{ position: ct.source.pixelDataOffset, length: 12 + 128 * 128 * 2 }]);
    assert.equal(frame!.buffer, target!.buffer);
    assert.equal(frame!.byteOffset, target!.byteOffset + 12, 'the header takes the lead bytes');
    const valueStart = ct.source.pixelDataOffset + 12;
    assert.ok(frame!.equals(ct.bytes.subarray(valueStart, valueStart + frame!.length)));
    // Several frames: the header once, then each frame with lead 0.
    const dose = open('rtdose.dcm');
    const d = positional(dose);
    const leads: number[] = [];
    await readNativeFrames(d.read, dose.source, dose.geometry, [3, 1], (_i, length, lead) => {
      leads.push(lead);
      return Buffer.alloc(lead + length);
    });
    assert.deepEqual(leads, [0, 0]);
    assert.deepEqual(
      d.reads.map((r) => r.length),
      [8, 400, 400],
    );
  });

  test('a compressed frame read with room is framed in place; any other buffer is left alone', async () => {
    const rle = open('MR_small_RLE.dcm');
    const head = Buffer.from('--b\r\nContent-Type: x\r\n\r\n');
    const tail = Buffer.from('\r\n--b--\r\n');
    const [frame] = await readEncapsulatedFrames(positional(rle).read, rle.source, rle.geometry, [1], {
      before: head.length,
      after: tail.length,
    });
    const [streamed] = await rle.frames([1]);
    assert.ok(frame!.equals(streamed!));
    const body = enclose(frame!, head, tail);
    assert.ok(body, 'a view of a chunk read with room');
    assert.equal(body!.buffer, frame!.buffer, 'written in place, not copied');
    assert.ok(body!.equals(Buffer.concat([head, streamed!, tail])));
    // Without room, or for memory that is not such a chunk (a slice of the shared pool), nothing is written.
    const [plain] = await readEncapsulatedFrames(positional(rle).read, rle.source, rle.geometry, [1]);
    assert.equal(enclose(plain!, head, tail), undefined);
    const pooled = Buffer.from('small');
    assert.equal(enclose(pooled.subarray(1), Buffer.from('h'), Buffer.from('t')), undefined);
  });

  test('a damaged file is reported as such on the positional path too', async () => {
    const ct = open('CT_small.dcm');
    // CT_small.dcm has elements after Pixel Data: cut into the frame itself.
    const cut = { ...ct, bytes: ct.bytes.subarray(0, ct.source.pixelDataOffset + 12 + 1000) };
    await assert.rejects(
      readNativeFrames(positional(cut).read, ct.source, ct.geometry, [1]),
      /ends inside frame 1/,
    );
    const moved = { ...ct.source, pixelDataOffset: ct.source.pixelDataOffset - 2 };
    await assert.rejects(
      readNativeFrames(positional(ct).read, moved, ct.geometry, [1]),
      /expected Pixel Data/,
    );
    const rle = open('MR_small_RLE.dcm');
    const open2 = { ...rle, bytes: rle.bytes.subarray(0, rle.source.pixelDataOffset + 200) };
    await assert.rejects(
      readEncapsulatedFrames(positional(open2).read, rle.source, rle.geometry, [1]),
      /not closed|ends inside/,
    );
  });

  test('frame lists', () => {
    assert.deepEqual(parseFrameList('1,3,2'), [1, 3, 2]);
    assert.equal(parseFrameList('0'), undefined);
    assert.equal(parseFrameList('1,,2'), undefined);
    assert.equal(parseFrameList('a'), undefined);
  });
});
