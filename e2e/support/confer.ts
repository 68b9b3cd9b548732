// A real Confer for a browser test: its own data directory, ports 0, the synthetic sites, the built web
// app, and no completion timer (tests advance the worklist with tick()). Closing it removes the data.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConferConfig, loadConfig } from '../../packages/server/src/config/config.ts';
import { type ConferHandle, type StartOptions, startConfer } from '../../packages/server/src/main.ts';
import { DEFAULT_SITES } from '../../packages/server/src/synthetic/index.ts';
import { webRoot } from './browser.ts';

/** The admin password of every e2e Confer. */
export const E2E_ADMIN_PASSWORD = 'e2e-admin-password';

/** A running Confer and how to stop it. */
export interface BrowserConfer {
  confer: ConferHandle;
  dataDir: string;
  /** Stops Confer (by default one second's grace for open requests) and deletes its data directory. */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Starts Confer for a browser test. `name` labels the temporary data directory; `overrides` add to the
 * configuration (report destinations, critical results, ...); `options` add to the start options (a
 * ManualClock, ...).
 */
export async function startBrowserConfer(
  name: string,
  overrides: Partial<ConferConfig> = {},
  options: StartOptions = {},
): Promise<BrowserConfer> {
  const dataDir = mkdtempSync(join(tmpdir(), `confer-e2e-${name}-`));
  try {
    const confer = await startConfer(
      loadConfig(
        { CONFER_DATA_DIR: dataDir },
        {
          httpPort: 0,
          dicomPort: 0,
          logLevel: 'silent',
          adminPassword: E2E_ADMIN_PASSWORD,
          studyQuietPeriodMs: 0,
          sites: DEFAULT_SITES.map((s) => ({
            id: s.id,
            name: s.name,
            aeTitles: [s.aeTitle],
            timeZone: s.timeZone,
            jurisdiction: s.jurisdiction,
          })),
          ...overrides,
        },
      ),
      { completionTimer: false, webRoot, ...options },
    );
    return {
      confer,
      dataDir,
      async close({ graceMs = 1000 } = {}) {
        try {
          await confer.close({ graceMs });
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}
