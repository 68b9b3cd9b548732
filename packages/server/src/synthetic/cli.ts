// Writes synthetic Part 10 studies for dcmtk, Orthanc, the demo and benchmarks:
//   node packages/server/src/synthetic/cli.ts --out DIR --studies N --modality CT|MR|CR|US|mixed --seed S
//        [--tiny | --small] [--slices N] [--frames N] [--protocol ID] [--from YYYY-MM-DD] [--span-days N]
//        [--reports P] [--implicit] [--manifest FILE]
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { TransferSyntax } from '../dicom/transfer-syntax.ts';
import { CohortModality, planCohort } from './cohort.ts';
import { ON_REQUEST_PROTOCOLS, PROTOCOLS } from './protocols.ts';
import { writeStudyToDir } from './write-study.ts';

const USAGE = `usage: node packages/server/src/synthetic/cli.ts --out DIR [--studies N] [--modality CT|MR|CR|US|mixed]
       [--seed S] [--tiny | --small] [--slices N] [--frames N]
       [--protocol ${[...PROTOCOLS, ...ON_REQUEST_PROTOCOLS].map((p) => p.id).join('|')}]
       [--from YYYY-MM-DD] [--span-days N] [--reports PROBABILITY] [--implicit] [--manifest FILE]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function positiveInt(name: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, not "${value}"`);
  return n;
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (err) {
    fail((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!v.out) fail('--out DIR is required');
  const modality = (v.modality ?? 'mixed') as CohortModality;
  if (!(Object.values(CohortModality) as string[]).includes(modality))
    fail(`--modality must be one of ${Object.values(CohortModality).join(', ')}, not "${v.modality}"`);
  const from = new Date(`${v.from ?? '2026-03-02'}T00:00:00Z`);
  if (Number.isNaN(from.getTime())) fail(`--from must be a date like 2026-03-02, not "${v.from}"`);
  const reports = v.reports === undefined ? 0 : Number(v.reports);
  if (!(reports >= 0 && reports <= 1))
    fail(`--reports must be a probability between 0 and 1, not "${v.reports}"`);

  const started = performance.now();
  const studies = planCohort({
    studies: positiveInt('studies', v.studies, 1)!,
    seed: v.seed ?? 'confer',
    modality,
    ...(v.protocol !== undefined ? { protocol: v.protocol } : {}),
    from,
    spanDays: positiveInt('span-days', v['span-days'], 28)!,
    reportProbability: reports,
    tiny: v.tiny ?? false,
    small: v.small ?? false,
    ...(v.slices !== undefined ? { slices: positiveInt('slices', v.slices)! } : {}),
    ...(v.frames !== undefined ? { usFrames: positiveInt('frames', v.frames)! } : {}),
    ...(v.implicit ? { transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian } : {}),
  });
  let files = 0;
  let bytes = 0;
  for (const study of studies) {
    const written = await writeStudyToDir(study, v.out);
    files += written.files.length;
    bytes += written.bytes;
  }
  const seconds = (performance.now() - started) / 1000;
  if (v.manifest) {
    const manifest = studies.map((s) => ({
      studyUid: s.studyUid,
      accessionNumber: s.accessionNumber,
      siteId: s.site.id,
      patientId: s.patient.patientId,
      issuerOfPatientId: s.patient.issuer,
      patientName: s.patient.name,
      studyDateTime: s.studyDateTime.toISOString(),
      studyDescription: s.studyDescription,
      modalitiesInStudy: s.modalitiesInStudy,
      instanceCount: s.instanceCount,
      findings: s.findings.map((f) => f.description),
    }));
    await writeFile(v.manifest, `${JSON.stringify(manifest, null, 2)}\n`);
  }
  process.stdout.write(
    `${studies.length} studies, ${files} files, ${(bytes / 1048576).toFixed(1)} MiB in ${seconds.toFixed(2)} s ` +
      `(${Math.round(files / seconds)} files/s, ${(bytes / 1048576 / seconds).toFixed(0)} MiB/s) -> ${v.out}\n`,
  );
}

function parse() {
  return parseArgs({
    options: {
      out: { type: 'string' },
      studies: { type: 'string' },
      modality: { type: 'string' },
      protocol: { type: 'string' },
      seed: { type: 'string' },
      tiny: { type: 'boolean' },
      small: { type: 'boolean' },
      slices: { type: 'string' },
      frames: { type: 'string' },
      from: { type: 'string' },
      'span-days': { type: 'string' },
      reports: { type: 'string' },
      implicit: { type: 'boolean' },
      manifest: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
}

await main();
