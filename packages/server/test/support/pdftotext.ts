import { spawnSync } from 'node:child_process';

const required = process.env.CONFER_REQUIRE_INTEGRATION === '1';
const found = spawnSync('pdftotext', ['-v'], { encoding: 'utf8' });

/** Why PDF text checks are skipped here (poppler-utils missing), or undefined when they run. */
export const pdftotextSkip: string | undefined =
  found.error && !required ? 'pdftotext (Debian poppler-utils) is not installed' : undefined;

/** The text of a PDF as poppler reads it, pages separated by form feeds. */
export function pdfToText(pdf: Buffer, options: { layout?: boolean } = {}): string {
  const r = spawnSync('pdftotext', [...(options.layout ? ['-layout'] : []), '-enc', 'UTF-8', '-', '-'], {
    input: pdf,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`pdftotext failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** Page count as pdfinfo reports it. */
export function pdfPages(pdf: Buffer): number {
  const r = spawnSync('pdfinfo', ['-'], { input: pdf, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pdfinfo failed: ${r.stderr}`);
  return Number(/^Pages:\s+(\d+)/m.exec(r.stdout)?.[1]);
}
