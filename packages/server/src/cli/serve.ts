import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '@confer/core';
import pino from 'pino';
import type { ConferConfig } from '../config/config.ts';
import { CONFER_VERSION, startConfer } from '../main.ts';
import { demoSites, seedDemoStudies } from './demo.ts';

const webRoot = join(import.meta.dirname, '../../../web/dist');

/** `confer serve`: start, print where everything is, stop cleanly on SIGINT/SIGTERM. */
export async function serve(config: ConferConfig): Promise<void> {
  const logger = pino({ level: config.logLevel });
  if (config.demo && config.sites.length === 0) config.sites = demoSites();
  const confer = await startConfer(config, { logger, ...(existsSync(webRoot) ? { webRoot } : {}) });
  const store = config.databaseUrl ? confer.store.describe : `embedded SQLite in ${config.dataDir}`;
  const lines = [
    '',
    `Confer ${CONFER_VERSION} is running on ${store}`,
    `  Web app    ${confer.httpUrl}/`,
    `  DICOMweb   ${confer.httpUrl}/dicomweb   (send "Authorization: Bearer <token>"; make one with: npm run confer -- token create NAME --user admin)`,
    `  DICOM      AE title ${config.aeTitle} on ${config.bindAddress}:${confer.dicomPort}`,
    confer.generatedAdminPassword
      ? `  Sign in    as "admin" with password ${confer.generatedAdminPassword} (shown once; also in ${join(config.dataDir, 'initial-admin-password.txt')})`
      : config.adminPassword
        ? '  Sign in    as "admin" with the password in CONFER_ADMIN_PASSWORD'
        : `  Sign in    as "admin" (first password in ${join(config.dataDir, 'initial-admin-password.txt')}; change it with: npm run confer -- user passwd admin)`,
    '',
  ];
  if (config.sites.length === 0) {
    lines.splice(
      -1,
      0,
      '  No sites are configured: every calling AE title is refused. See docs/configuration.md.',
    );
  }
  if (config.demo) {
    lines.splice(
      -1,
      0,
      `  Demo       sites ${config.sites.map((s) => `${s.name} (AE ${s.aeTitles.join(', ')})`).join('; ')}`,
      '             real deployments: run "npm run confer -- serve" without --demo',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (config.demo) {
    seedDemoStudies(confer, systemClock)
      .then((r) => {
        if (r.studies > 0)
          process.stdout.write(`Demo: stored ${r.studies} synthetic studies (${r.instances} instances).\n`);
      })
      .catch((err: Error) => logger.error({ err: err.message }, 'demo seeding failed'));
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'stopping: finishing stores in flight');
    confer
      .close({ graceMs: 30_000 })
      .then(() => process.exit(0))
      .catch((err: Error) => {
        logger.error({ err: err.message }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
