import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from './prng.ts';
import { DEFAULT_SITES } from './sites.ts';
import { planStudy } from './study.ts';

// dcmtk's own parsers judge the generator's output. dciodvfy (dicom3tools) checks IODs as well when it
// is installed; Debian does not package it, so it usually is not.
const requireIntegration = process.env.CONFER_REQUIRE_INTEGRATION === '1';

function has(tool: string): boolean {
  return spawnSync(tool, ['--version'], { encoding: 'utf8' }).error === undefined;
}
const dcmtk = has('dcmdump');
const dciodvfy = spawnSync('dciodvfy', [], { encoding: 'utf8' }).error === undefined;
const skip = dcmtk ? false : 'dcmtk is not installed (apt-get install dcmtk)';

test('dcmtk is present when integration tests are required', { skip: !requireIntegration }, () => {
  assert.ok(dcmtk, 'CONFER_REQUIRE_INTEGRATION=1 but dcmdump is not on PATH: apt-get install dcmtk');
});

function run(tool: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

/** Lines dcmtk logs at warning level or worse ("W: ...", "E: ...", "F: ..."). */
function complaints(out: string): string[] {
  return out.split('\n').filter((l) => /^[WEF]: /.test(l));
}

const cases = [
  { protocol: 'ct-chest', series: [1, 2, 3] },
  { protocol: 'mr-brain', series: [2, 3, 4] },
  { protocol: 'cr-chest-2v', series: [1, 2] },
  { protocol: 'us-abdomen', series: [1] },
];

for (const { protocol, series } of cases) {
  test(`dcmtk reads a full-size ${protocol} study without complaint`, { skip }, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'confer-dcmtk-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const study = planStudy(
      {
        site: DEFAULT_SITES[4]!,
        studyDateTime: new Date('2026-04-01T03:15:00Z'),
        protocol,
        slices: 2,
        usFrames: 6,
        report: true,
      },
      new Rng(`dcmtk-${protocol}`),
    );
    const checked = new Set<number>();
    for (const instance of study.instances()) {
      // One file per series is enough: the rest differ only in position and pixels.
      if (checked.has(instance.seriesNumber)) continue;
      checked.add(instance.seriesNumber);
      const file = join(dir, `${instance.seriesNumber}.dcm`);
      writeFileSync(file, instance.part10);
      const ftest = run('dcmftest', [file]);
      assert.match(ftest.out, /^yes:/m, ftest.out);
      const dump = run('dcmdump', ['-ll', 'warn', '+E', file]);
      assert.equal(dump.status, 0, dump.out);
      assert.deepEqual(complaints(dump.out), [], `dcmdump ${protocol} series ${instance.seriesNumber}`);
      if (instance.modality === 'SR') {
        const sr = run('dsrdump', ['-ll', 'warn', file]);
        assert.equal(sr.status, 0, sr.out);
        // dcmsr's value checker knows no UTF-8 and says so; that is dcmtk's limit, not a fault in the file.
        const known = /VR checker does not support this Specific Character Set: ISO_IR 192/;
        assert.deepEqual(
          complaints(sr.out).filter((l) => !known.test(l)),
          [],
          'dsrdump accepts the report',
        );
        assert.match(sr.out, /Basic Text SR Document/);
        continue;
      }
      // Rendering proves the pixel module and the pixel data length agree, for every frame.
      const frames = instance.modality === 'US' ? ['--all-frames'] : [];
      const image = run('dcm2pnm', ['-ll', 'warn', '+Wm', ...frames, file, join(dir, 'out')]);
      assert.equal(image.status, 0, image.out);
      assert.deepEqual(complaints(image.out), [], `dcm2pnm ${protocol} series ${instance.seriesNumber}`);
      if (dciodvfy) {
        const iod = run('dciodvfy', [file]);
        assert.deepEqual(
          iod.out.split('\n').filter((l) => l.startsWith('Error')),
          [],
          `dciodvfy ${protocol} series ${instance.seriesNumber}`,
        );
      }
    }
    assert.deepEqual(
      [...checked].sort((a, b) => a - b),
      [...series, 999],
    );
  });
}
