// npm run bench:ingest [-- --profile[=DIR]]
//
// The same synthetic studies sent to Confer and (when installed) to Orthanc in one run: C-STORE with dcmtk's
// storescu over 1 and 4 associations, STOW-RS in batches, then QIDO-RS and series-metadata latency on the
// data STOW-RS stored. Prints a table and, last, one line of JSON with every figure. A benchmark, not a
// test: see docs/benchmarks.md for what is measured and how to read it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CohortModality, planCohort, type SyntheticStudy } from '../src/synthetic/index.ts';
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
  BENCH_CALLING_AE,
  type BenchPeer,
  orthancVersion,
  PeerName,
  startConferPeer,
  startOrthancPeer,
  stopAllPeers,
} from './peers.ts';
import { median, percentile, round } from './stats.ts';

// ---------------------------------------------------------------------------------------------------------
// Settings

const USAGE = `usage: npm run bench:ingest [-- --profile[=DIR]] [--skip-orthanc]

Environment (defaults in brackets):
  BENCH_CT_INSTANCES [400]      CT slices (512x512, ~514 KB each) for C-STORE and STOW-RS
  BENCH_CT_SLICES [99]          slices per CT axial series (one localizer per study besides)
  BENCH_TINY_INSTANCES [2000]   tiny instances (8x8 pixels, ~2 KB each; a mixed CT/MR/CR/US cohort)
  BENCH_RUNS [3]                runs of each C-STORE and STOW-RS leg, each on fresh archives; medians reported
  BENCH_ASSOCIATIONS [4]        concurrent associations (storescu processes) of the parallel legs
  BENCH_STOW_BATCH [50]         instances per STOW-RS request
  BENCH_QIDO_REPEATS [20]       rounds of the QIDO-RS query mix
  BENCH_METADATA_REPEATS [20]   series metadata requests
  BENCH_WARMUP [1]              0: no untimed warm-up store into each fresh archive`;

function intFromEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`${name} must be an integer of at least ${min}, not "${raw}"\n${USAGE}\n`);
    process.exit(2);
  }
  return n;
}

const args = parseArgs({
  options: {
    profile: { type: 'string' },
    'skip-orthanc': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
  // `--profile` alone (no directory) is allowed: parseArgs wants a value, so it is rewritten below.
  args: process.argv.slice(2).map((a) => (a === '--profile' ? '--profile=' : a)),
});
if (args.values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const settings = {
  ctInstances: intFromEnv('BENCH_CT_INSTANCES', 400),
  ctSlices: intFromEnv('BENCH_CT_SLICES', 99),
  tinyInstances: intFromEnv('BENCH_TINY_INSTANCES', 2000),
  runs: intFromEnv('BENCH_RUNS', 3),
  associations: intFromEnv('BENCH_ASSOCIATIONS', 4),
  stowBatch: intFromEnv('BENCH_STOW_BATCH', 50),
  qidoRepeats: intFromEnv('BENCH_QIDO_REPEATS', 20),
  metadataRepeats: intFromEnv('BENCH_METADATA_REPEATS', 20),
  warmup: intFromEnv('BENCH_WARMUP', 1, 0) > 0,
};

const TARGETS = {
  cstoreCtParallel: 1.5,
  cstoreTinyParallel: 1.2,
  stow: 1.5,
  qidoP95: 0.3,
  metadataP50: 0.2,
} as const;

const DCMTK_TIMEOUT_MS = 10 * 60_000;
const QIDO_WARMUP_ROUNDS = 3;
const METADATA_WARMUP = 3;

const log = (line: string) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------------------
// Cleanup: temp dirs, archives and dcmtk processes go away on success, error and interrupt

const dcmtkProcesses = new Set<ChildProcess>();
let root: string | undefined;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const p of dcmtkProcesses) p.kill('SIGKILL');
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
// Data: generated once, before anything is timed

interface DataSet {
  name: string;
  files: string[];
  bytes: number;
  studies: SyntheticStudy[];
}

/** Writes instances of `studies` as flat, short-named files until `limit` are written. */
async function writeDataSet(
  name: string,
  dir: string,
  studies: SyntheticStudy[],
  limit: number,
): Promise<DataSet> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const used: SyntheticStudy[] = [];
  let bytes = 0;
  for (const study of studies) {
    if (files.length >= limit) break;
    used.push(study);
    for (const instance of study.instances()) {
      if (files.length >= limit) break;
      const file = join(dir, `${String(files.length).padStart(6, '0')}.dcm`);
      await writeFile(file, instance.part10);
      files.push(file);
      bytes += instance.part10.byteLength;
    }
  }
  return { name, files, bytes, studies: used };
}

async function generateData(dir: string): Promise<{ ct: DataSet; tiny: DataSet; warm: DataSet }> {
  const from = new Date('2026-03-02T00:00:00Z');
  const perCtStudy = settings.ctSlices + 1; // ct-abdomen-pelvis: a localizer and one axial series
  const ct = await writeDataSet(
    'ct',
    join(dir, 'ct'),
    planCohort({
      studies: Math.ceil(settings.ctInstances / perCtStudy),
      seed: 'bench-ingest-ct',
      protocol: 'ct-abdomen-pelvis',
      slices: settings.ctSlices,
      from,
      spanDays: 28,
    }),
    settings.ctInstances,
  );
  // A mixed department's cohort in tiny mode: many studies, patients and dates for QIDO-RS to search. Just
  // enough studies are planned (planning makes no pixels), so that they spread over the whole period.
  const planTiny = (studies: number) =>
    planCohort({
      studies,
      seed: 'bench-ingest-tiny',
      modality: CohortModality.Mixed,
      tiny: true,
      slices: 24,
      from,
      spanDays: 28,
    });
  let tinyStudies = planTiny(Math.ceil(settings.tinyInstances / 20) + 1);
  while (tinyStudies.reduce((n, st) => n + st.instanceCount, 0) < settings.tinyInstances) {
    tinyStudies = planTiny(Math.ceil(tinyStudies.length * 1.25) + 1);
  }
  const tiny = await writeDataSet('tiny', join(dir, 'tiny'), tinyStudies, settings.tinyInstances);
  // The warm-up: other UIDs, a few full-size CT slices and a few tiny instances of each kind.
  const warmCt = planCohort({
    studies: 1,
    seed: 'bench-ingest-warm-ct',
    protocol: 'ct-head',
    slices: 7,
    from,
  });
  const warmTiny = planCohort({
    studies: 6,
    seed: 'bench-ingest-warm',
    modality: CohortModality.Mixed,
    tiny: true,
    slices: 6,
    from,
  });
  const warmDir = join(dir, 'warm');
  const warmA = await writeDataSet('warm', warmDir, warmCt, 8);
  const warmB = await writeDataSet('warm', join(warmDir, 'tiny'), warmTiny, 40);
  const warm = {
    name: 'warm',
    files: [...warmA.files, ...warmB.files],
    bytes: warmA.bytes + warmB.bytes,
    studies: [...warmA.studies, ...warmB.studies],
  };
  return { ct, tiny, warm };
}

// ---------------------------------------------------------------------------------------------------------
// C-STORE with dcmtk

/** One storescu over one association; rejects with its output when it fails. */
function storescu(peer: BenchPeer, files: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // -R: propose only the contexts the files need (each file's own transfer syntax: nothing converted).
    const child = spawn(
      'storescu',
      [
        '-R',
        '-aet',
        BENCH_CALLING_AE,
        '-aec',
        peer.calledAe,
        peer.dicomHost,
        String(peer.dicomPort),
        ...files,
      ],
      // Debian's dcmtk leaves Nagle on unless told: ~40 ms per small message otherwise.
      { env: { ...process.env, TCP_NODELAY: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    dcmtkProcesses.add(child);
    let output = '';
    const keep = (b: Buffer) => {
      output = (output + b.toString('utf8')).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), DCMTK_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      dcmtkProcesses.delete(child);
      reject(new Error(`storescu could not start (${err.message}): apt-get install dcmtk`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      dcmtkProcesses.delete(child);
      if (code === 0 && !/\bE: /.test(output)) resolve();
      else reject(new Error(`storescu to ${peer.name} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

/** Splits `files` into `n` runs of consecutive files (a sender sends whole series, not every nth slice). */
function split<T>(files: readonly T[], n: number): T[][] {
  const size = Math.ceil(files.length / n);
  return Array.from({ length: n }, (_, i) => files.slice(i * size, (i + 1) * size)).filter((p) => p.length);
}

async function cstore(peer: BenchPeer, files: string[], associations: number): Promise<void> {
  await Promise.all(split(files, associations).map((part) => storescu(peer, part)));
}

// ---------------------------------------------------------------------------------------------------------
// STOW-RS

const BOUNDARY = 'confer-bench-3f9d2c';
const STOW_CONTENT_TYPE = `multipart/related; type="application/dicom"; boundary=${BOUNDARY}`;

async function stowBodies(files: string[], batch: number): Promise<Buffer[]> {
  const bodies: Buffer[] = [];
  for (let i = 0; i < files.length; i += batch) {
    const parts: Buffer[] = [];
    for (const f of files.slice(i, i + batch)) {
      parts.push(
        Buffer.from(`\r\n--${BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n`),
        await readFile(f),
      );
    }
    parts.push(Buffer.from(`\r\n--${BOUNDARY}--\r\n`));
    bodies.push(Buffer.concat(parts));
  }
  return bodies;
}

async function stow(peer: BenchPeer, bodies: Buffer[]): Promise<void> {
  for (const body of bodies) {
    const r = await fetch(`${peer.dicomwebUrl}/studies`, {
      method: 'POST',
      headers: { ...peer.headers, 'content-type': STOW_CONTENT_TYPE, accept: 'application/dicom+json' },
      body,
    });
    const text = await r.text();
    if (r.status !== 200)
      throw new Error(`STOW-RS to ${peer.name}: HTTP ${r.status}\n${text.slice(0, 1000)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Runs on fresh archives

interface PeerPair {
  confer: BenchPeer;
  orthanc: BenchPeer | undefined;
}

const useOrthanc = !args.values['skip-orthanc'] && isOrthancInstalled();
const profileDir = args.values.profile === undefined ? undefined : args.values.profile;
/** Each profiled Confer process: its leg, the directory its threads' profiles go to, its timed windows. */
const profiled = new Map<string, { leg: string; dir: string; windows: WindowUs[] }>();
let resolvedProfileDir: string | undefined;

const profileKey = (leg: string, run: number) => `${leg}-run${run}`;

async function startPair(leg: string, run: number): Promise<PeerPair> {
  let profileDir: string | undefined;
  if (resolvedProfileDir) {
    profileDir = join(resolvedProfileDir, profileKey(leg, run));
    await mkdir(profileDir, { recursive: true });
    profiled.set(profileKey(leg, run), { leg, dir: profileDir, windows: [] });
  }
  const [confer, orthanc] = await Promise.all([
    startConferPeer({ root: root!, ...(profileDir ? { profileDir } : {}) }),
    useOrthanc ? startOrthancPeer() : Promise.resolve(undefined),
  ]);
  return { confer, orthanc };
}

async function stopPair(pair: PeerPair): Promise<void> {
  await Promise.all([pair.confer.stop(), pair.orthanc?.stop()]);
}

/** Alternates which archive goes first, so neither always meets a colder or warmer machine. */
function inOrder(pair: PeerPair, run: number): BenchPeer[] {
  const both = [pair.confer, ...(pair.orthanc ? [pair.orthanc] : [])];
  return run % 2 === 0 ? both : both.reverse();
}

/** Times `work` on `peer` and checks afterwards that exactly `expected` more instances are stored. */
async function timed(
  peer: BenchPeer,
  expected: number,
  work: () => Promise<void>,
  profile: string | undefined,
): Promise<number> {
  const before = await peer.instanceCount();
  // Flush what earlier runs and the warm-up left dirty in the page cache, so its write-back does not land
  // in this measurement (it made runs differ by 3x on a small VM).
  spawnSync('sync');
  const startUs = monotonicUs();
  const t0 = performance.now();
  await work();
  const seconds = (performance.now() - t0) / 1000;
  const endUs = monotonicUs();
  if (peer.name === PeerName.Confer && profile) profiled.get(profile)?.windows.push({ startUs, endUs });
  const after = await peer.instanceCount();
  if (after - before !== expected) {
    throw new Error(`${peer.name} stored ${after - before} instances, not ${expected}`);
  }
  return expected / seconds;
}

interface Figure {
  confer: number;
  orthanc: number | null;
  ratio: number | null;
  target: string | null;
  met: boolean | null;
  runs: { confer: number[]; orthanc: number[] };
}

function figure(
  conferRuns: number[],
  orthancRuns: number[],
  target?: { kind: '>=' | '<='; ratio: number },
): Figure {
  const confer = median(conferRuns);
  const orthanc = orthancRuns.length ? median(orthancRuns) : null;
  const ratio = orthanc ? confer / orthanc : null;
  const met =
    target && ratio !== null ? (target.kind === '>=' ? ratio >= target.ratio : ratio <= target.ratio) : null;
  return {
    confer: round(confer),
    orthanc: orthanc === null ? null : round(orthanc),
    ratio: ratio === null ? null : round(ratio),
    target: target ? `${target.kind} ${target.ratio}x` : null,
    met,
    runs: { confer: conferRuns.map(round), orthanc: orthancRuns.map(round) },
  };
}

async function cstoreLeg(
  data: DataSet,
  warm: DataSet,
  associations: number,
  target: number | undefined,
): Promise<Figure> {
  const leg = `cstore-${data.name}-${associations}assoc`;
  const rates: Record<PeerName, number[]> = { confer: [], orthanc: [] };
  for (let run = 0; run < settings.runs; run++) {
    const pair = await startPair(leg, run + 1);
    try {
      for (const peer of inOrder(pair, run)) {
        if (settings.warmup) await cstore(peer, warm.files, 1);
        const rate = await timed(
          peer,
          data.files.length,
          () => cstore(peer, data.files, associations),
          profileKey(leg, run + 1),
        );
        rates[peer.name].push(rate);
        log(`  ${leg} run ${run + 1}: ${peer.name} ${rate.toFixed(1)} instances/s`);
      }
    } finally {
      await stopPair(pair);
    }
  }
  return figure(rates.confer, rates.orthanc, target ? { kind: '>=', ratio: target } : undefined);
}

/** STOW-RS runs; the archives of the last run are returned still running, for the queries. */
async function stowLeg(
  ct: DataSet,
  tiny: DataSet,
  warm: DataSet,
): Promise<{ ct: Figure; tiny: Figure; pair: PeerPair }> {
  const [ctBodies, tinyBodies, warmBodies] = await Promise.all([
    stowBodies(ct.files, settings.stowBatch),
    stowBodies(tiny.files, settings.stowBatch),
    stowBodies(warm.files, warm.files.length),
  ]);
  const rates = {
    ct: { confer: [] as number[], orthanc: [] as number[] },
    tiny: { confer: [] as number[], orthanc: [] as number[] },
  };
  let pair: PeerPair | undefined;
  for (let run = 0; run < settings.runs; run++) {
    pair = await startPair('stow', run + 1);
    const last = run === settings.runs - 1;
    try {
      for (const peer of inOrder(pair, run)) {
        if (settings.warmup) await stow(peer, warmBodies);
        const key = profileKey('stow', run + 1);
        const ctRate = await timed(peer, ct.files.length, () => stow(peer, ctBodies), key);
        const tinyRate = await timed(peer, tiny.files.length, () => stow(peer, tinyBodies), key);
        rates.ct[peer.name].push(ctRate);
        rates.tiny[peer.name].push(tinyRate);
        log(
          `  stow run ${run + 1}: ${peer.name} CT ${ctRate.toFixed(1)}, tiny ${tinyRate.toFixed(1)} instances/s`,
        );
      }
    } catch (err) {
      await stopPair(pair);
      throw err;
    }
    if (!last) await stopPair(pair);
  }
  const target = { kind: '>=' as const, ratio: TARGETS.stow };
  return {
    ct: figure(rates.ct.confer, rates.ct.orthanc, target),
    tiny: figure(rates.tiny.confer, rates.tiny.orthanc, target),
    pair: pair!,
  };
}

// ---------------------------------------------------------------------------------------------------------
// QIDO-RS and series metadata

interface Query {
  label: string;
  path: string;
}

function dateRange(from: string, days: number): string {
  const d = new Date(`${from.slice(0, 4)}-${from.slice(4, 6)}-${from.slice(6, 8)}T00:00:00Z`);
  const to = new Date(d.getTime() + days * 86_400_000);
  return `${from}-${to.toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/** About ten study-level queries a worklist or viewer asks, built from the studies stored. */
function queryMix(ct: DataSet, tiny: DataSet): Query[] {
  const studies = [...tiny.studies, ...ct.studies];
  // Names matched by wildcard are plain ASCII ones: Orthanc 1.10 and Confer disagree on names with
  // accents or ideographic groups, and both archives must find the same studies to compare fairly.
  const plain = studies.filter(
    (s) => !s.patient.name.Ideographic && /^[A-Za-z^ -]+$/.test(s.patient.name.Alphabetic ?? ''),
  );
  const from = plain.length ? plain : studies;
  const pick = (i: number) => from[Math.floor((i * from.length) / 7) % from.length]!;
  const a = pick(1);
  const b = pick(3);
  const c = pick(5);
  const family = (s: SyntheticStudy) => (s.patient.name.Alphabetic ?? '').split('^')[0]!;
  const prefix = family(a).slice(0, 3);
  const dates = studies.map((s) => s.studyDate).sort();
  const mid = dates[Math.floor(dates.length / 2)]!;
  const ctStudy = ct.studies[0]!;
  const q = (label: string, path: string): Query => ({ label, path });
  return [
    q('PatientName=<3 letters>*', `/studies?PatientName=${encodeURIComponent(`${prefix}*`)}`),
    q(
      'PatientName=*<4 letters>*',
      `/studies?PatientName=${encodeURIComponent(`*${family(b).slice(1, 5)}*`)}`,
    ),
    q('PatientID=<id>', `/studies?PatientID=${encodeURIComponent(c.patient.patientId)}`),
    q('StudyDate=<7 days>', `/studies?StudyDate=${dateRange(mid, 6)}`),
    q('StudyDate=<day>&ModalitiesInStudy=CR', `/studies?StudyDate=${mid}&ModalitiesInStudy=CR`),
    q('ModalitiesInStudy=CT', '/studies?ModalitiesInStudy=CT'),
    q('ModalitiesInStudy=MR&limit=25', '/studies?ModalitiesInStudy=MR&limit=25'),
    q('AccessionNumber=<acc>', `/studies?AccessionNumber=${encodeURIComponent(b.accessionNumber)}`),
    q(
      'PatientID=<id>&includefield=StudyDescription',
      `/studies?PatientID=${encodeURIComponent(a.patient.patientId)}&includefield=00081030`,
    ),
    q('/studies/<CT study>/series', `/studies/${ctStudy.studyUid}/series`),
  ];
}

async function get(peer: BenchPeer, path: string, accept: string): Promise<{ ms: number; body: string }> {
  const t0 = performance.now();
  const r = await fetch(`${peer.dicomwebUrl}${path}`, { headers: { ...peer.headers, accept } });
  const body = await r.text();
  const ms = performance.now() - t0;
  if (r.status !== 200 && r.status !== 204) {
    throw new Error(`${peer.name} GET ${path}: HTTP ${r.status}\n${body.slice(0, 500)}`);
  }
  return { ms, body };
}

interface LatencyResult {
  p50: Figure;
  p95: Figure;
  perQuery: { label: string; results: Record<string, number>; p50Ms: Record<string, number> }[];
}

function latencyFigures(
  times: Record<PeerName, number[]>,
  p95Target: number | undefined,
  p50Target: number | undefined,
) {
  const pct = (p: number, t?: number) =>
    figure(
      [percentile(times.confer, p)],
      times.orthanc.length ? [percentile(times.orthanc, p)] : [],
      t === undefined ? undefined : { kind: '<=', ratio: t },
    );
  return { p50: pct(50, p50Target), p95: pct(95, p95Target) };
}

async function qido(pair: PeerPair, queries: Query[]): Promise<LatencyResult> {
  const peers = inOrder(pair, 0);
  const accept = 'application/dicom+json';
  const results: Record<string, Record<string, number>> = {};
  for (const query of queries) {
    results[query.label] = {};
    for (const peer of peers) {
      for (let i = 0; i < QIDO_WARMUP_ROUNDS; i++) {
        const { body } = await get(peer, query.path, accept);
        results[query.label]![peer.name] = body === '' ? 0 : (JSON.parse(body) as unknown[]).length;
      }
    }
  }
  const times: Record<PeerName, number[]> = { confer: [], orthanc: [] };
  const perQuery = new Map<string, Record<PeerName, number[]>>(
    queries.map((q) => [q.label, { confer: [], orthanc: [] }]),
  );
  for (let round = 0; round < settings.qidoRepeats; round++) {
    for (const query of queries) {
      for (const peer of inOrder(pair, round)) {
        const { ms } = await get(peer, query.path, accept);
        times[peer.name].push(ms);
        perQuery.get(query.label)![peer.name].push(ms);
      }
    }
  }
  return {
    ...latencyFigures(times, TARGETS.qidoP95, undefined),
    perQuery: queries.map((q) => {
      const t = perQuery.get(q.label)!;
      const p50Ms: Record<string, number> = { confer: round(median(t.confer)) };
      if (t.orthanc.length) p50Ms.orthanc = round(median(t.orthanc));
      return { label: q.label, results: results[q.label]!, p50Ms };
    }),
  };
}

async function seriesMetadata(
  pair: PeerPair,
  ct: DataSet,
): Promise<{ p50: Figure; p95: Figure; instances: number }> {
  const study = ct.studies[0]!;
  const series = study.series.find(
    (s) => s.instanceCount === Math.max(...study.series.map((x) => x.instanceCount)),
  )!;
  const path = `/studies/${study.studyUid}/series/${series.seriesUid}/metadata`;
  const accept = 'application/dicom+json';
  const peers = inOrder(pair, 0);
  let instances = 0;
  for (const peer of peers) {
    for (let i = 0; i < METADATA_WARMUP; i++) {
      const { body } = await get(peer, path, accept);
      const n = (JSON.parse(body) as unknown[]).length;
      if (peer.name === PeerName.Confer) instances = n;
      if (n !== series.instanceCount) {
        log(`  note: ${peer.name} returned metadata of ${n} instances, ${series.instanceCount} were stored`);
      }
    }
  }
  const times: Record<PeerName, number[]> = { confer: [], orthanc: [] };
  for (let i = 0; i < settings.metadataRepeats; i++) {
    for (const peer of inOrder(pair, i)) times[peer.name].push((await get(peer, path, accept)).ms);
  }
  return { ...latencyFigures(times, undefined, TARGETS.metadataP50), instances };
}

// ---------------------------------------------------------------------------------------------------------
// Report

function machine() {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return {
    cores: availableParallelism(),
    cpu,
    memoryGiB: round(totalmem() / 1024 ** 3),
    os: `${platform()} ${release()}`,
    node: process.version,
    dcmtk:
      (spawnSync('storescu', ['--version'], { encoding: 'utf8' }).stdout ?? '').match(/v[\d.]+/)?.[0] ?? null,
  };
}

function fmt(n: number | null, unit = ''): string {
  if (n === null || !Number.isFinite(n)) return '-';
  return `${n}${unit}`;
}

function row(label: string, f: Figure, unit: string): string {
  const verdict = f.met === null ? '' : f.met ? 'met' : 'MISSED';
  return [
    label.padEnd(44),
    fmt(f.confer, unit).padStart(11),
    fmt(f.orthanc, unit).padStart(11),
    fmt(f.ratio, 'x').padStart(10),
    (f.target ?? '').padStart(9),
    verdict.padStart(7),
  ].join('  ');
}

function printProfile(title: string, s: ProfileSummary): void {
  process.stdout.write(`${formatProfile(title, s, 'the timed windows').join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  root = await mkdtemp(join(tmpdir(), 'confer-bench-'));
  if (profileDir !== undefined) {
    resolvedProfileDir = profileDir || (await mkdtemp(join(tmpdir(), 'confer-bench-profiles-')));
    await mkdir(resolvedProfileDir, { recursive: true });
  }
  const m = machine();
  log(`Confer ingest benchmark on ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}`);
  if (!useOrthanc) {
    log(
      args.values['skip-orthanc']
        ? 'Orthanc skipped (--skip-orthanc): Confer alone, ratios are null.'
        : 'Orthanc with its DICOMweb plugin is not installed (apt-get install orthanc orthanc-dicomweb): ' +
            'Confer alone, ratios are null.',
    );
  }
  if (resolvedProfileDir)
    log(`Profiling Confer with --cpu-prof into ${resolvedProfileDir} (figures perturbed)`);

  log('Generating data ...');
  const t0 = performance.now();
  const { ct, tiny, warm } = await generateData(join(root, 'data'));
  log(
    `  ${ct.files.length} CT slices (${(ct.bytes / 1048576).toFixed(0)} MiB), ${tiny.files.length} tiny ` +
      `(${(tiny.bytes / 1048576).toFixed(1)} MiB, ${tiny.studies.length} studies), in ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  let version: string | null = null;
  const n = settings.associations;
  log('C-STORE (storescu) ...');
  const cstoreCt1 = await cstoreLeg(ct, warm, 1, undefined);
  const cstoreCtN = await cstoreLeg(ct, warm, n, TARGETS.cstoreCtParallel);
  const cstoreTiny1 = await cstoreLeg(tiny, warm, 1, undefined);
  const cstoreTinyN = await cstoreLeg(tiny, warm, n, TARGETS.cstoreTinyParallel);

  log(`STOW-RS (${settings.stowBatch} instances per request) ...`);
  const stowResult = await stowLeg(ct, tiny, warm);
  const pair = stowResult.pair;
  let qidoResult: LatencyResult;
  let metadataResult: Awaited<ReturnType<typeof seriesMetadata>>;
  try {
    if (pair.orthanc) version = await orthancVersion(pair.orthanc);
    log('QIDO-RS and series metadata ...');
    qidoResult = await qido(pair, queryMix(ct, tiny));
    metadataResult = await seriesMetadata(pair, ct);
  } finally {
    await stopPair(pair);
  }

  const profiles: { title: string; summary: ProfileSummary }[] = [];
  if (resolvedProfileDir) {
    // Per leg, the main thread (DIMSE, HTTP, parsing, files) apart from the other threads (SQLite).
    type Profiles = { path: string; windows: WindowUs[] }[];
    const legs = new Map<string, { main: Profiles; other: Profiles }>();
    for (const p of profiled.values()) {
      const entry = legs.get(p.leg) ?? { main: [], other: [] };
      for (const f of await profilesIn(p.dir)) {
        (f.threadId === 0 ? entry.main : entry.other).push({ path: f.path, windows: p.windows });
      }
      legs.set(p.leg, entry);
    }
    for (const [leg, { main, other }] of legs) {
      if (main.length)
        profiles.push({ title: `${leg}, main thread`, summary: await summariseProfiles(main, 25) });
      if (other.length) {
        profiles.push({
          title: `${leg}, worker threads (SQLite)`,
          summary: await summariseProfiles(other, 25),
        });
      }
    }
  }

  // The table
  const ctKiB = Math.round(ct.bytes / ct.files.length / 1024);
  const tinyKiB = (tiny.bytes / tiny.files.length / 1024).toFixed(1);
  const out: string[] = [];
  out.push(
    '',
    `Confer ingest benchmark: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, dcmtk ${m.dcmtk ?? '?'}`,
    `Peer: ${version ?? 'none (Orthanc not installed or skipped; ratios are null)'}`,
    `Data: ${ct.files.length} CT slices of ${ctKiB} KiB (${ct.studies.length} studies), ${tiny.files.length} tiny ` +
      `instances of ${tinyKiB} KiB (${tiny.studies.length} studies); throughput is the median of ${settings.runs} ` +
      'runs, each into fresh, warmed-up archives',
    '',
    [
      ''.padEnd(44),
      'Confer'.padStart(11),
      'Orthanc'.padStart(11),
      'ratio'.padStart(10),
      'target'.padStart(9),
      ''.padStart(7),
    ].join('  '),
    row(`C-STORE CT ${ctKiB} KiB, 1 association (inst/s)`, cstoreCt1, ''),
    row(`C-STORE CT ${ctKiB} KiB, ${n} associations (inst/s)`, cstoreCtN, ''),
    row(`C-STORE tiny ${tinyKiB} KiB, 1 association (inst/s)`, cstoreTiny1, ''),
    row(`C-STORE tiny ${tinyKiB} KiB, ${n} associations (inst/s)`, cstoreTinyN, ''),
    row(`STOW-RS CT, ${settings.stowBatch}/request (inst/s)`, stowResult.ct, ''),
    row(`STOW-RS tiny, ${settings.stowBatch}/request (inst/s)`, stowResult.tiny, ''),
    row(`QIDO-RS mix of ${qidoResult.perQuery.length}, p50 (ms)`, qidoResult.p50, ''),
    row(`QIDO-RS mix of ${qidoResult.perQuery.length}, p95 (ms)`, qidoResult.p95, ''),
    row(`Series metadata, ${metadataResult.instances} CT inst., p50 (ms)`, metadataResult.p50, ''),
    row(`Series metadata, ${metadataResult.instances} CT inst., p95 (ms)`, metadataResult.p95, ''),
    '',
    'ratio = Confer / Orthanc: higher is better for instances/s, lower is better for latency.',
    '',
    `QIDO-RS queries (${settings.qidoRepeats} rounds after ${QIDO_WARMUP_ROUNDS} warm-up; results Confer/Orthanc; p50 ms):`,
  );
  for (const q of qidoResult.perQuery) {
    const res = `${q.results.confer ?? '-'}/${q.results.orthanc ?? '-'}`;
    const differ =
      q.results.orthanc !== undefined && q.results.orthanc !== q.results.confer ? ' (differ)' : '';
    out.push(
      `  ${q.label.padEnd(46)} ${`${res}${differ}`.padStart(16)}  ${fmt(q.p50Ms.confer ?? null).padStart(8)}  ${fmt(q.p50Ms.orthanc ?? null).padStart(8)}`,
    );
  }
  out.push('', 'Runs (Confer | Orthanc, instances/s):');
  const runsOf = (label: string, f: Figure) =>
    out.push(`  ${label.padEnd(30)} ${f.runs.confer.join(', ')} | ${f.runs.orthanc.join(', ') || '-'}`);
  runsOf('C-STORE CT, 1 association', cstoreCt1);
  runsOf(`C-STORE CT, ${n} associations`, cstoreCtN);
  runsOf('C-STORE tiny, 1 association', cstoreTiny1);
  runsOf(`C-STORE tiny, ${n} associations`, cstoreTinyN);
  runsOf('STOW-RS CT', stowResult.ct);
  runsOf('STOW-RS tiny', stowResult.tiny);
  process.stdout.write(`${out.join('\n')}\n`);
  for (const p of profiles) printProfile(p.title, p.summary);
  if (resolvedProfileDir)
    process.stdout.write(`\nProfiles (open in Chrome DevTools): ${resolvedProfileDir}\n`);

  const seconds = (performance.now() - started) / 1000;
  const json = {
    bench: 'ingest',
    machine: m,
    peer: version,
    config: {
      ...settings,
      ctBytes: ct.bytes,
      tinyBytes: tiny.bytes,
      ctFiles: ct.files.length,
      tinyFiles: tiny.files.length,
    },
    cstore: {
      ct: { associations1: cstoreCt1, [`associations${n}`]: cstoreCtN },
      tiny: { associations1: cstoreTiny1, [`associations${n}`]: cstoreTinyN },
    },
    stow: { ct: stowResult.ct, tiny: stowResult.tiny },
    qidoMs: { p50: qidoResult.p50, p95: qidoResult.p95, queries: qidoResult.perQuery },
    seriesMetadataMs: {
      instances: metadataResult.instances,
      p50: metadataResult.p50,
      p95: metadataResult.p95,
    },
    profile: resolvedProfileDir
      ? {
          dir: resolvedProfileDir,
          legs: profiles.map((p) => ({
            leg: p.title,
            busyMs: round(p.summary.totalMs - p.summary.idleMs),
            top: p.summary.functions.slice(0, 10).map((f) => ({ fn: f.name, share: round(f.share) })),
          })),
        }
      : null,
    durationS: round(seconds),
  };
  log(`done in ${seconds.toFixed(0)} s`);
  process.stdout.write(`\n${JSON.stringify(json)}\n`);
}

try {
  await main();
} catch (err) {
  log(`bench:ingest failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
