import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseAccept, parseMediaType } from './media-type.ts';
import { boundaryOf, MultipartError, MultipartReader } from './multipart-related.ts';

const limits = { maxHeaderBytes: 16 * 1024, maxBodyBytes: 1024 * 1024 * 1024 };

async function* chunked(bytes: Buffer, sizes: number[]): AsyncIterable<Uint8Array> {
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const n = Math.max(1, sizes[i++ % sizes.length]!);
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

function encode(boundary: string, parts: { headers?: string; body: Buffer }[], opening = '\r\n'): Buffer {
  const chunks: Buffer[] = [Buffer.from(opening)];
  for (const [i, p] of parts.entries()) {
    chunks.push(
      Buffer.from(
        `${i === 0 ? '' : '\r\n'}--${boundary}\r\n${p.headers ?? 'Content-Type: application/dicom\r\n'}\r\n`,
      ),
    );
    chunks.push(p.body);
  }
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

async function readAll(reader: MultipartReader) {
  const out: { headers: Record<string, string>; body: Buffer }[] = [];
  for (let p = await reader.nextPart(); p; p = await reader.nextPart()) {
    const chunks: Buffer[] = [];
    for await (const c of p.body) chunks.push(Buffer.from(c));
    await p.finished;
    out.push({ headers: p.headers, body: Buffer.concat(chunks) });
  }
  return out;
}

describe('multipart/related reader', () => {
  test('splits parts exactly, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        async (bodies, sizes, leadingCrlf) => {
          const boundary = 'b-42';
          const parts = bodies.map((b) => ({ body: Buffer.from(b) }));
          const bytes = encode(boundary, parts, leadingCrlf ? '\r\n' : '');
          const got = await readAll(new MultipartReader(chunked(bytes, sizes), boundary, limits));
          assert.equal(got.length, parts.length);
          for (const [i, p] of parts.entries()) assert.ok(got[i]!.body.equals(p.body), `part ${i + 1}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('bytes that look almost like the boundary stay in the body; preamble and epilogue are ignored', async () => {
    const boundary = 'XyZ';
    const tricky = Buffer.from('\r\n--XY\r\n--Xy\r--XyZz is not it?');
    const bytes = Buffer.concat([
      Buffer.from('this is a preamble\r\n--XyZ\r\nContent-Type: application/dicom\r\n X-Folded: yes\r\n\r\n'),
      tricky,
      Buffer.from('\r\n--XyZ  \r\n\r\nsecond\r\n--XyZ--\r\nepilogue'),
    ]);
    const got = await readAll(new MultipartReader(chunked(bytes, [3]), boundary, limits));
    assert.equal(got.length, 2);
    assert.deepEqual(got[0]!.body, tricky.subarray(0, tricky.length - 0));
    assert.equal(got[0]!.headers['content-type'], 'application/dicom X-Folded: yes');
    assert.deepEqual(got[1]!.headers, {});
    assert.equal(got[1]!.body.toString(), 'second');
  });

  test('a consumer may stop early; the rest of the part is skipped', async () => {
    const big = randomBytes(200_000);
    const bytes = encode('bb', [{ body: big }, { body: Buffer.from('tail') }]);
    const reader = new MultipartReader(chunked(bytes, [4096]), 'bb', limits);
    const first = await reader.nextPart();
    for await (const _ of first!.body) break;
    const second = await reader.nextPart();
    const chunks: Buffer[] = [];
    for await (const c of second!.body) chunks.push(Buffer.from(c));
    assert.equal(Buffer.concat(chunks).toString(), 'tail');
    assert.equal(await reader.nextPart(), undefined);
  });

  test('a body cut off inside a part fails that part with a truncation error', async () => {
    const bytes = encode('bb', [{ body: Buffer.from('complete') }, { body: randomBytes(5000) }]);
    const cut = bytes.subarray(0, bytes.length - 2000);
    const reader = new MultipartReader(chunked(cut, [700]), 'bb', limits);
    const first = await reader.nextPart();
    for await (const _ of first!.body) {
    }
    const second = await reader.nextPart();
    await assert.rejects(
      (async () => {
        for await (const _ of second!.body) {
        }
      })(),
      (err: MultipartError) => err.kind === 'truncated' && /inside part 2/.test(err.message),
    );
    await assert.rejects(second!.finished, MultipartError);
  });

  test('no boundary at all, or a body over the limit, is refused', async () => {
    const none = new MultipartReader(chunked(Buffer.from('just some text'), [5]), 'bb', limits);
    await assert.rejects(none.nextPart(), (err: MultipartError) => err.kind === 'malformed');
    const bytes = encode('bb', [{ body: randomBytes(10_000) }]);
    const small = new MultipartReader(chunked(bytes, [1000]), 'bb', { ...limits, maxBodyBytes: 5000 });
    const part = await small.nextPart();
    await assert.rejects(
      (async () => {
        for await (const _ of part!.body) {
        }
      })(),
      (err: MultipartError) => err.kind === 'too-large',
    );
  });
});

describe('media types', () => {
  test('parses quoted parameters, boundaries and Accept q-values', () => {
    const ct = parseMediaType('Multipart/Related; type="application/dicom"; boundary="a b,c"');
    assert.equal(ct?.type, 'multipart/related');
    assert.equal(ct?.params.get('type'), 'application/dicom');
    assert.equal(boundaryOf(ct!), 'a b,c');
    assert.equal(boundaryOf(parseMediaType('multipart/related; boundary=abc ')!), 'abc');
    assert.equal(boundaryOf(parseMediaType('multipart/related')!), undefined);
    const accept = parseAccept(
      'application/dicom+xml;q=0.5, multipart/related; type="application/octet-stream"; transfer-syntax=*, image/jpeg;q=0',
    );
    assert.deepEqual(
      accept.map((a) => a.type),
      ['multipart/related', 'application/dicom+xml'],
    );
    assert.equal(accept[0]!.params.get('transfer-syntax'), '*');
    assert.deepEqual(
      parseAccept(undefined).map((a) => a.type),
      ['*/*'],
    );
  });
});
