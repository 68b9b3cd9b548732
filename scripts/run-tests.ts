// Runs every *.test.ts under packages/ with Node's test runner.
// Integration tests (*.int.test.ts) need dcmtk, Orthanc and PostgreSQL; CI requires them
// (CONFER_REQUIRE_INTEGRATION=1), locally they skip with a reason when a peer is missing.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : [...find('packages', []), ...find('e2e', [])].sort();
const r = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    '--disable-warning=ExperimentalWarning',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
