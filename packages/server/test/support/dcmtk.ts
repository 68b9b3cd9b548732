import { execFile, spawnSync } from 'node:child_process';

const required = process.env.CONFER_REQUIRE_INTEGRATION === '1';

/** Why dcmtk tests skip here, or undefined when dcmtk is installed (or required, so that they fail). */
export function dcmtkSkipReason(): string | undefined {
  if (required) return undefined;
  const r = spawnSync('storescu', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'dcmtk is not installed (apt-get install dcmtk)';
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a dcmtk tool with Nagle off (Debian's dcmtk leaves it on: ~40 ms per message otherwise). */
export function runDcmtk(tool: string, args: string[], timeoutMs = 60_000): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(
      tool,
      args,
      { env: { ...process.env, TCP_NODELAY: '1' }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
