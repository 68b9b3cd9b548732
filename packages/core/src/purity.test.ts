import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [p] : [];
  });
}

test('the core is pure: no node:* imports, no packages, no clock of its own', () => {
  const offenders: string[] = [];
  for (const file of sources(import.meta.dirname)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from\s+'([^']+)'/g)) {
      if (!m[1]!.startsWith('.')) offenders.push(`${file}: imports ${m[1]}`);
    }
    if (/new Date\(\)|Date\.now\(\)/.test(text) && !file.endsWith('clock.ts'))
      offenders.push(`${file}: reads the clock`);
  }
  assert.deepEqual(offenders, []);
});
