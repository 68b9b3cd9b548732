// npm run bench:viewer [-- --quick] [--legs native,rle,jpegls] [--runs N] [--profile[=DIR]] [--skip-orthanc]
//
// A viewer opening a 500-slice CT series (512x512, 16-bit) through WADO-RS, from Confer and from Orthanc's
// DICOMweb plugin holding the same files: the time to the first image (series metadata, then the first
// slice's frame) and to the fully loaded series (every frame, six connections at a time), as a Cornerstone3D
// WADO-RS image loader fetches them. One leg per stored form: native, and compressed (RLE by default, by
// dcmtk's dcmcrle). Prints a table and, last, one line of JSON with every figure. See docs/benchmarks.md.
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { planCohort } from '../src/synthetic/index.ts';
import { isOrthancInstalled } from '../test/peers/orthanc.ts';
import {
  formatProfile,
  monotonicUs,
  type ProfileSummary,
  profilesIn,
  summariseProfiles,
  type WindowUs,
} from './cpu-profile.ts';
import {
  type BenchPeer,
  orthancVersion,
  PeerName,
  startConferPeer,
  startOrthancPeer,
  stopAllPeers,
} from './peers.ts';
import { median, round } from './stats.ts';
import { loadSeries, type SeriesLoad } from './viewer-client.ts';

// ---------------------------------------------------------------------------------------------------------
// Settings

/** The stored forms a leg can use, and the dcmtk tool that makes each from the native files. */
const LEGS = {
  native: { label: 'native (Explicit VR LE)', tool: undefined },
  rle: { label: 'RLE Lossless', tool: 'dcmcrle' },
  jpegls: { label: 'JPEG-LS Lossless', tool: 'dcmcjpls' },
} as const;
type LegName = keyof typeof LEGS;

const USAGE = `usage: npm run bench:viewer [-- options]

  --quick               a sanity run: 60 slices, 3 runs (about a minute)
  --slices N            slices in the CT series [500]
  --runs N              timed loads per archive and leg, order alternating [7]
  --connections N       concurrent connections for the frames, as a browser on HTTP/1.1 [6]
  --legs a,b            stored forms: native, rle, jpegls [native,rle]
  --skip-orthanc        Confer alone (ratios null)
  --profile[=DIR]       run Confer under --cpu-prof and print where its CPU goes in the timed loads`;

const args = parseArgs({
  options: {
    quick: { type: 'boolean' },
    slices: { type: 'string' },
    runs: { type: 'string' },
    connections: { type: 'string' },
    legs: { type: 'string' },
    profile: { type: 'string' },
    'skip-orthanc': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
  args: process.argv.slice(2).map((a) => (a === '--profile' ? '--profile=' : a)),
});
if (args.values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`--${name} must be a positive integer, not "${value}"\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
}

const quick = args.values.quick === true;
const legs = (args.values.legs ?? 'native,rle').split(',').map((s) => s.trim()) as LegName[];
for (const leg of legs) {
  if (!(leg in LEGS)) {
    process.stderr.write(`unknown leg "${leg}": use native, rle or jpegls\n${USAGE}\n`);
    process.exit(2);
  }
}
const settings = {
  slices: positiveInt('slices', args.values.slices, quick ? 60 : 500),
  runs: positiveInt('runs', args.values.runs, quick ? 3 : 7),
  connections: positiveInt('connections', args.values.connections, 6),
  legs,
  stowBatch: 50,
};

/** Confer's time over Orthanc's, at most. */
const TARGET_RATIO = 0.5;

const log = (line: string) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------------------
// Cleanup

let root: string | undefined;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await stopAllPeers();
    if (root) await rm(root, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`\n${signal}: stopping the archives and removing temp files`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------------------
// Data

interface Series {
  studyUid: string;
  seriesUid: string;
  files: string[];
  bytes: number;
}

/** The axial series of one synthetic abdomen CT (deterministic, fictional patient), one file per slice. */
async function writeSeries(dir: string, slices: number): Promise<Series> {
  await mkdir(dir, { recursive: true });
  const [study] = planCohort({
    studies: 1,
    seed: 'bench-viewer',
    protocol: 'ct-abdomen-pelvis',
    slices,
    from: new Date('2026-03-02T00:00:00Z'),
    spanDays: 1,
  });
  const axial = study!.series.reduce((a, b) => (b.instanceCount > a.instanceCount ? b : a));
  const files: string[] = [];
  let bytes = 0;
  for (const instance of study!.instances()) {
    if (instance.seriesUid !== axial.seriesUid) continue;
    const file = join(dir, `${String(files.length).padStart(4, '0')}.dcm`);
    await writeFile(file, instance.part10);
    files.push(file);
    bytes += instance.part10.byteLength;
  }
  return { studyUid: study!.studyUid, seriesUid: axial.seriesUid, files, bytes };
}

function run(tool: string, argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (b: Buffer) => {
      err = (err + b.toString('utf8')).slice(-2000);
    });
    child.once('error', (e) =>
      reject(new Error(`${tool} could not start (${e.message}): apt-get install dcmtk`)),
    );
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${tool} failed (${code}): ${err}`)),
    );
  });
}

/** The same series re-encoded by a dcmtk tool (lossless: the UIDs stay), two processes at a time. */
async function encodeSeries(native: Series, tool: string, dir: string): Promise<Series> {
  await mkdir(dir, { recursive: true });
  const files = native.files.map((_f, i) => join(dir, `${String(i).padStart(4, '0')}.dcm`));
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      await run(tool, [native.files[i]!, files[i]!]);
    }
  };
  await Promise.all([worker(), worker()]);
  let bytes = 0;
  for (const f of files) bytes += (await readFile(f)).byteLength;
  return { ...native, files, bytes };
}

// ---------------------------------------------------------------------------------------------------------
// Loading the archives (untimed)

const BOUNDARY = 'confer-bench-viewer-7c1e';

async function stow(peer: BenchPeer, files: string[]): Promise<void> {
  for (let i = 0; i < files.length; i += settings.stowBatch) {
    const parts: Buffer[] = [];
    for (const f of files.slice(i, i + settings.stowBatch)) {
      parts.push(
        Buffer.from(`\r\n--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`),
        await readFile(f),
      );
    }
    parts.push(Buffer.from(`\r\n--${BOUNDARY}--\r\n`));
    const r = await fetch(`${peer.dicomwebUrl}/studies`, {
      method: 'POST',
      headers: {
        ...peer.headers,
        'content-type': `multipart/related; type="application/dicom"; boundary=${BOUNDARY}`,
        accept: 'application/dicom+json',
      },
      body: Buffer.concat(parts),
    });
    const text = await r.text();
    if (r.status !== 200)
      throw new Error(`STOW-RS to ${peer.name}: HTTP ${r.status}\n${text.slice(0, 1000)}`);
  }
  const count = await peer.instanceCount();
  if (count !== files.length) throw new Error(`${peer.name} holds ${count} instances, not ${files.length}`);
}

// ---------------------------------------------------------------------------------------------------------
// Figures

interface Figure {
  confer: number;
  orthanc: number | null;
  ratio: number | null;
  target: string | null;
  met: boolean | null;
  min: { confer: number; orthanc: number | null };
  max: { confer: number; orthanc: number | null };
  runs: { confer: number[]; orthanc: number[] };
}

function figure(confer: number[], orthanc: number[], target: boolean): Figure {
  const c = median(confer);
  const o = orthanc.length ? median(orthanc) : null;
  const ratio = o ? c / o : null;
  const r = (xs: number[], f: (...v: number[]) => number) => (xs.length ? round(f(...xs)) : null);
  return {
    confer: round(c),
    orthanc: o === null ? null : round(o),
    ratio: ratio === null ? null : round(ratio),
    target: target ? `<= ${TARGET_RATIO}x` : null,
    met: target && ratio !== null ? ratio <= TARGET_RATIO : null,
    min: { confer: round(Math.min(...confer)), orthanc: r(orthanc, Math.min) },
    max: { confer: round(Math.max(...confer)), orthanc: r(orthanc, Math.max) },
    runs: { confer: confer.map(round), orthanc: orthanc.map(round) },
  };
}

interface LegResult {
  leg: LegName;
  label: string;
  instances: number;
  fileBytes: number;
  pixelBytes: number;
  transferSyntaxes: Record<string, string[]>;
  firstImageMs: Figure;
  fullyLoadedMs: Figure;
  metadataMs: Figure;
  /** The first load after loading the archive: server caches cold (the OS page cache is not). */
  firstLoad: Record<string, { firstImageMs: number; fullyLoadedMs: number }>;
}

// ---------------------------------------------------------------------------------------------------------
// One leg: fresh archives, the series stored in both, a discarded first load, then timed loads

const useOrthanc = !args.values['skip-orthanc'] && isOrthancInstalled();
const profileDirArg = args.values.profile;
let profileRoot: string | undefined;
const profiled: { leg: LegName; dir: string; windows: WindowUs[] }[] = [];

async function runLeg(leg: LegName, series: Series): Promise<{ result: LegResult; version: string | null }> {
  let profileDir: string | undefined;
  if (profileRoot) {
    profileDir = join(profileRoot, leg);
    await mkdir(profileDir, { recursive: true });
  }
  const windows: WindowUs[] = [];
  const [confer, orthanc] = await Promise.all([
    startConferPeer({ root: root!, ...(profileDir ? { profileDir } : {}) }),
    useOrthanc ? startOrthancPeer() : Promise.resolve(undefined),
  ]);
  try {
    const peers = orthanc ? [confer, orthanc] : [confer];
    log(`  storing ${series.files.length} instances in ${peers.map((p) => p.name).join(' and ')} ...`);
    for (const p of peers) await stow(p, series.files);
    // The stores' write-back must not land in a timed load.
    spawnSync('sync');
    const version = orthanc ? await orthancVersion(orthanc) : null;
    const load = (peer: BenchPeer, checksum: boolean) =>
      loadSeries(peer, {
        studyUid: series.studyUid,
        seriesUid: series.seriesUid,
        connections: settings.connections,
        checksum,
      });

    // The first load of each archive is discarded (reported apart) and checks that both send the same pixels.
    const firstLoads = new Map<string, SeriesLoad>();
    for (const p of peers) firstLoads.set(p.name, await load(p, true));
    const ref = firstLoads.get(PeerName.Confer)!;
    for (const [name, l] of firstLoads) {
      if (l.frames !== series.files.length)
        throw new Error(`${name} sent ${l.frames} frames, not ${series.files.length}`);
      if (l.checksum !== ref.checksum || l.pixelBytes !== ref.pixelBytes) {
        throw new Error(
          `${name} sent other pixels than Confer (${l.pixelBytes} bytes, CRC ${l.checksum}; Confer ` +
            `${ref.pixelBytes}, ${ref.checksum}): the comparison would not be fair`,
        );
      }
    }
    log(
      `  first loads (server caches cold): ${[...firstLoads]
        .map(([n, l]) => `${n} ${l.firstImageMs.toFixed(1)} / ${l.fullyLoadedMs.toFixed(0)} ms`)
        .join(', ')}`,
    );

    const times = {
      first: { confer: [] as number[], orthanc: [] as number[] },
      full: { confer: [] as number[], orthanc: [] as number[] },
      meta: { confer: [] as number[], orthanc: [] as number[] },
    };
    for (let i = 0; i < settings.runs; i++) {
      const order = i % 2 === 0 ? peers : [...peers].reverse();
      for (const p of order) {
        const startUs = monotonicUs();
        const l = await load(p, false);
        if (p.name === PeerName.Confer) windows.push({ startUs, endUs: monotonicUs() });
        times.first[p.name].push(l.firstImageMs);
        times.full[p.name].push(l.fullyLoadedMs);
        times.meta[p.name].push(l.metadataMs);
        log(
          `  ${leg} run ${i + 1}: ${p.name} first image ${l.firstImageMs.toFixed(1)} ms, fully loaded ` +
            `${l.fullyLoadedMs.toFixed(0)} ms (metadata ${l.metadataMs.toFixed(1)} ms)`,
        );
      }
    }
    if (profileDir) profiled.push({ leg, dir: profileDir, windows });
    return {
      version,
      result: {
        leg,
        label: LEGS[leg].label,
        instances: series.files.length,
        fileBytes: series.bytes,
        pixelBytes: ref.pixelBytes,
        transferSyntaxes: Object.fromEntries([...firstLoads].map(([n, l]) => [n, l.transferSyntaxes])),
        firstImageMs: figure(times.first.confer, times.first.orthanc, true),
        fullyLoadedMs: figure(times.full.confer, times.full.orthanc, true),
        metadataMs: figure(times.meta.confer, times.meta.orthanc, false),
        firstLoad: Object.fromEntries(
          [...firstLoads].map(([n, l]) => [
            n,
            { firstImageMs: round(l.firstImageMs), fullyLoadedMs: round(l.fullyLoadedMs) },
          ]),
        ),
      },
    };
  } finally {
    await Promise.all([confer.stop(), orthanc?.stop()]);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Report

function machine() {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    memoryGiB: round(totalmem() / 1024 ** 3),
    os: `${platform()} ${release()}`,
    node: process.version,
    /** 1-minute load average when the run started: the machine is shared, and figures depend on it. */
    loadAverage: round(loadavg()[0]!),
  };
}

const fmt = (n: number | null, unit = '') => (n === null || !Number.isFinite(n) ? '-' : `${n}${unit}`);

function row(label: string, f: Figure): string {
  const spread = (p: 'confer' | 'orthanc') =>
    f[p] === null ? '-' : `${f[p]} (${fmt(f.min[p])}-${fmt(f.max[p])})`;
  const verdict = f.met === null ? '' : f.met ? 'met' : 'MISSED';
  return [
    label.padEnd(38),
    spread('confer').padStart(22),
    spread('orthanc').padStart(22),
    fmt(f.ratio, 'x').padStart(8),
    (f.target ?? '').padStart(8),
    verdict.padStart(7),
  ].join('  ');
}

function printProfile(title: string, s: ProfileSummary): void {
  process.stdout.write(`${formatProfile(title, s, 'the timed loads').join('\n')}\n`);
}

async function main(): Promise<void> {
  const started = performance.now();
  root = await mkdtemp(join(tmpdir(), 'confer-bench-viewer-'));
  if (profileDirArg !== undefined) {
    profileRoot = profileDirArg || (await mkdtemp(join(tmpdir(), 'confer-bench-profiles-')));
    await mkdir(profileRoot, { recursive: true });
    log(`Profiling Confer with --cpu-prof into ${profileRoot} (figures perturbed)`);
  }
  const m = machine();
  log(`Confer viewer benchmark on ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}`);
  if (!useOrthanc)
    log('Orthanc skipped or not installed (apt-get install orthanc orthanc-dicomweb): Confer alone.');

  log(`Generating a ${settings.slices}-slice CT series ...`);
  const t0 = performance.now();
  const native = await writeSeries(join(root, 'native'), settings.slices);
  log(
    `  ${native.files.length} files, ${(native.bytes / 1048576).toFixed(0)} MiB, in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const results: LegResult[] = [];
  let version: string | null = null;
  for (const leg of settings.legs) {
    const tool = LEGS[leg].tool;
    let series = native;
    if (tool) {
      log(`Encoding with ${tool} ...`);
      series = await encodeSeries(native, tool, join(root, leg));
      log(`  ${(series.bytes / 1048576).toFixed(0)} MiB`);
    }
    log(`Leg ${leg}: ${LEGS[leg].label}`);
    const r = await runLeg(leg, series);
    version ??= r.version;
    results.push(r.result);
  }

  const profiles: { title: string; summary: ProfileSummary }[] = [];
  for (const p of profiled) {
    const files = await profilesIn(p.dir);
    const main = files.filter((f) => f.threadId === 0).map((f) => ({ path: f.path, windows: p.windows }));
    const other = files.filter((f) => f.threadId !== 0).map((f) => ({ path: f.path, windows: p.windows }));
    if (main.length)
      profiles.push({ title: `${p.leg}, main thread`, summary: await summariseProfiles(main, 25) });
    if (other.length)
      profiles.push({ title: `${p.leg}, SQLite thread`, summary: await summariseProfiles(other, 25) });
  }

  const out: string[] = [
    '',
    `Confer viewer benchmark: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; ` +
      `load average ${m.loadAverage} at the start, ${round(loadavg()[0]!)} at the end`,
    `Peer: ${version ?? 'none (Orthanc not installed or skipped; ratios are null)'}`,
    `Data: one synthetic CT series of ${settings.slices} slices, 512x512, 16-bit; ${settings.runs} timed loads ` +
      'per archive and leg, alternating which archive goes first, after one discarded load.',
    'A load: a new connection pool; GET .../series/{uid}/metadata (application/dicom+json); then frame 1 of the',
    'lowest Instance Number (.../instances/{uid}/frames/1, Accept: multipart/related; type=application/octet-stream;',
    `transfer-syntax=*) = time to first image; then every other frame, ${settings.connections} requests at a time on ` +
      'kept-alive connections = fully loaded.',
    'Times in ms: median (min-max); ratio = Confer / Orthanc medians, lower is better.',
    '',
    [
      ''.padEnd(38),
      'Confer'.padStart(22),
      'Orthanc'.padStart(22),
      'ratio'.padStart(8),
      'target'.padStart(8),
      ''.padStart(7),
    ].join('  '),
  ];
  for (const r of results) {
    out.push(
      row(`${r.leg}: time to first image`, r.firstImageMs),
      row(`${r.leg}: fully loaded (${r.instances})`, r.fullyLoadedMs),
      row(`${r.leg}: series metadata`, r.metadataMs),
    );
  }
  out.push('', 'First load after storing (server caches cold), first image / fully loaded, ms:');
  for (const r of results) {
    out.push(
      `  ${r.leg.padEnd(8)} ${Object.entries(r.firstLoad)
        .map(([n, l]) => `${n} ${l.firstImageMs} / ${l.fullyLoadedMs}`)
        .join(';  ')}`,
    );
  }
  out.push('', 'Frames as sent (transfer syntax per archive):');
  for (const r of results) {
    out.push(
      `  ${r.leg.padEnd(8)} ${(r.pixelBytes / 1048576).toFixed(1)} MiB of pixels; ${Object.entries(
        r.transferSyntaxes,
      )
        .map(([n, ts]) => `${n} ${ts.join(',')}`)
        .join('; ')}`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
  for (const p of profiles) printProfile(p.title, p.summary);

  const seconds = (performance.now() - started) / 1000;
  const targets = results.flatMap((r) => [r.firstImageMs.met, r.fullyLoadedMs.met]);
  const json = {
    bench: 'viewer',
    machine: m,
    peer: version,
    config: { ...settings, quick, targetRatio: TARGET_RATIO },
    legs: Object.fromEntries(results.map((r) => [r.leg, r])),
    allTargetsMet: targets.includes(null) ? null : targets.every(Boolean),
    profile: profileRoot ?? null,
    durationS: round(seconds),
  };
  log(`done in ${seconds.toFixed(0)} s`);
  process.stdout.write(`\n${JSON.stringify(json)}\n`);
}

try {
  await main();
} catch (err) {
  log(`bench:viewer failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
