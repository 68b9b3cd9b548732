import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readPart10Header } from '../dicom/part10.ts';

const cli = join(import.meta.dirname, 'cli.ts');

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

test('the CLI writes tiny Part 10 files, the same for the same seed', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'confer-synthetic-cli-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const run = (out: string) =>
    spawnSync(
      process.execPath,
      [cli, '--out', out, '--studies', '3', '--modality', 'mixed', '--seed', 's1', '--tiny', '--slices', '2'],
      { encoding: 'utf8' },
    );
  const first = run(join(root, 'a'));
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /^3 studies, \d+ files/);
  const second = run(join(root, 'b'));
  assert.equal(second.status, 0, second.stderr);
  const a = files(join(root, 'a')).sort();
  const b = files(join(root, 'b')).sort();
  assert.ok(a.length >= 3);
  assert.deepEqual(
    a.map((f) => f.slice(root.length + 2)),
    b.map((f) => f.slice(root.length + 2)),
  );
  for (let i = 0; i < a.length; i++) {
    const bytes = readFileSync(a[i]!);
    assert.deepEqual(bytes, readFileSync(b[i]!));
    assert.equal(`${readPart10Header(bytes).sopInstanceUid}.dcm`, a[i]!.split('/').at(-1));
  }
});

test('the CLI explains bad arguments', () => {
  const r = spawnSync(process.execPath, [cli, '--out', '/tmp/x', '--modality', 'PET'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--modality must be one of CT, MR, CR, US, mixed/);
  const missing = spawnSync(process.execPath, [cli], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--out DIR is required/);
});
