import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '@confer/core';
import pino from 'pino';
import type { ConferConfig } from '../config/config.ts';
import { SimulatedReaders } from '../demo/simulated-readers.ts';
import { DemoStreamer } from '../demo/streamer.ts';
import { CONFER_VERSION, startConfer } from '../main.ts';
import { type DemoRis, startDemoRis } from '../reporting/delivery-demo-ris.ts';
import { simulatedReportFinaliser } from '../reporting/simulated-report.ts';
import { DEFAULT_SITES } from '../synthetic/index.ts';
import {
  DEMO_HUMAN_READER,
  DEMO_PASSWORD,
  demoCriticalConfig,
  demoSites,
  seedDemoBoards,
  seedDemoStudies,
  seedDemoWorklist,
} from './demo.ts';

const webRoot = join(import.meta.dirname, '../../../web/dist');

/** `confer serve`: start, print where everything is, stop cleanly on SIGINT/SIGTERM. */
export async function serve(config: ConferConfig): Promise<void> {
  const logger = pino({ level: config.logLevel });
  if (config.demo && config.sites.length === 0) config.sites = demoSites();
  // The demo's clinicians and ladder, unless the configuration names its own.
  if (config.demo && config.critical.ladder.length === 0 && !config.critical.defaultClinician)
    config.critical = demoCriticalConfig(config.sites);
  // The demo sends signed reports over HL7 to a stand-in RIS it runs itself, unless destinations are configured.
  let demoRis: DemoRis | undefined;
  if (config.demo && config.reportDestinations.length === 0) {
    demoRis = await startDemoRis(config.bindAddress, logger.child({ component: 'demo-ris' }));
    config.reportDestinations = [demoRis.destination];
  }
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
  let streamer: DemoStreamer | undefined;
  let simulation: NodeJS.Timeout | undefined;
  let demoBoard: Awaited<ReturnType<typeof seedDemoBoards>> | undefined;
  if (config.demo) {
    const seeded = await seedDemoWorklist(confer, systemClock);
    demoBoard = await seedDemoBoards(confer, systemClock);
    lines.splice(
      -1,
      0,
      `  Demo       sites ${config.sites.map((s) => `${s.name} (AE ${s.aeTitles.join(', ')})`).join('; ')}`,
      `             routing: the demo network${seeded.routingVersion ? ' (routing version 1, just created)' : ''}; worklist at ${confer.httpUrl}/worklist`,
      `             sign in as "${DEMO_HUMAN_READER}" (a reader left to you) or "coordinator", password "${DEMO_PASSWORD}"; the other dr.* readers read on their own`,
      '             critical results go to "dr.clinician", then "dr.backup", "dr.emergency", "dr.chief" (same password); see #/critical',
      '             peer review samples 20 % of finalised cases (#/peer-review); a tumour board meets tomorrow 08:00 London (#/boards)',
      demoRis
        ? `             signed reports go over HL7 (ORU^R01) to a demo RIS on port ${demoRis.destination.port}, which refuses every 8th once; see #/report-deliveries`
        : `             signed reports go to ${config.reportDestinations.map((d) => d.id).join(', ') || 'no destination'} (#/report-deliveries)`,
      config.demoStudiesPerHour > 0
        ? `             ${config.demoStudiesPerHour} synthetic studies/hour arrive over DICOM (CONFER_DEMO_STUDIES_PER_HOUR; 0 stops them)`
        : '             no studies are streamed (CONFER_DEMO_STUDIES_PER_HOUR=0)',
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
    if (config.demoStudiesPerHour > 0) {
      streamer = new DemoStreamer({
        host: config.bindAddress,
        port: confer.dicomPort,
        calledAe: config.aeTitle,
        sites: DEFAULT_SITES,
        studiesPerHour: config.demoStudiesPerHour,
        burst: { everyMinutes: 45, studies: 4 },
        seed: `confer-demo-${Date.now()}`,
        size: 'small',
        logger: logger.child({ component: 'demo-streamer' }),
      });
      streamer.start();
    }
    const readers = new SimulatedReaders({
      worklist: confer.worklist,
      routing: confer.routing,
      clock: systemClock,
      humanUsernames: [DEMO_HUMAN_READER],
      logger: logger.child({ component: 'demo-readers' }),
      // They write short template-based reports and sign them final, as a person would.
      finalize: simulatedReportFinaliser({
        reports: confer.reports,
        access: confer.access,
        password: DEMO_PASSWORD,
        worklist: confer.worklist,
      }),
    });
    let stepping = false;
    simulation = setInterval(() => {
      if (stepping) return;
      stepping = true;
      void demoBoard
        ?.fill()
        .catch((err: Error) => logger.warn({ err: err.message }, 'demo board: adding cases failed'));
      readers
        .step()
        .catch((err: Error) => logger.warn({ err: err.message }, 'simulated readers failed; will retry'))
        .finally(() => {
          stepping = false;
        });
    }, 10_000);
    simulation.unref();
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'stopping: finishing stores in flight');
    if (simulation) clearInterval(simulation);
    (streamer ? streamer.stop() : Promise.resolve())
      .then(() => confer.close({ graceMs: 30_000 }))
      .then(() => demoRis?.close())
      .then(() => process.exit(0))
      .catch((err: Error) => {
        logger.error({ err: err.message }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
