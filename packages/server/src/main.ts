import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, Role, systemClock } from '@confer/core';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { AnnotationService } from './annotations/annotation-service.ts';
import { SrExportService } from './annotations/sr-export-service.ts';
import type { ArchiveIngestService } from './archive/ingest-service.ts';
import type { Actor } from './archive/ports.ts';
import { createArchiveServices } from './archive/services.ts';
import type { StudyCompletionMonitor } from './archive/study-completion.ts';
import { AccessService } from './auth/access-service.ts';
import { BoardService } from './boards/board-service.ts';
import { type Collaboration, createCollaboration } from './collaboration/collaboration.ts';
import type { ConferConfig, SiteConfig } from './config/config.ts';
import { CriticalResultService } from './critical/critical-service.ts';
import { registerDicomweb } from './dicomweb/index.ts';
import { DimseServer } from './dimse/server.ts';
import { annotationRoutes } from './http/annotation-routes.ts';
import { type AppDeps, buildApp } from './http/app.ts';
import { boardRoutes } from './http/board-routes.ts';
import { criticalRoutes } from './http/critical-routes.ts';
import { deliveryRoutes } from './http/delivery-routes.ts';
import { notificationRoutes } from './http/notification-routes.ts';
import { peerReviewRoutes } from './http/peer-review-routes.ts';
import { reportRoutes } from './http/report-routes.ts';
import { worklistRoutes } from './http/worklist-routes.ts';
import { NotificationService } from './notifications/notification-service.ts';
import { caseMaterialFrom } from './peer-review/case-material.ts';
import { PeerReviewService } from './peer-review/peer-review-service.ts';
import { flagCriticalFindings } from './reporting/critical-findings.ts';
import { announceDeliveryFailures } from './reporting/delivery-announcer.ts';
import { ReportReader } from './reporting/delivery-report-reader.ts';
import { DELIVERY_CHANNEL, ReportDeliveryService } from './reporting/delivery-service.ts';
import type { ReportOutbox } from './reporting/report-outbox.ts';
import { ReportService } from './reporting/report-service.ts';
import { FileBlobStore } from './store/blob-store.ts';
import { migrateToLatest, openStore, type Store } from './store/database.ts';
import { listenForOtherNodes } from './store/listen.ts';
import { ROUTING_CHANNEL, RoutingConfigStore } from './worklist/routing-config-store.ts';
import { loadRoutingFile } from './worklist/routing-file.ts';
import { WorklistBus } from './worklist/worklist-bus.ts';
import { WORKLIST_CHANNEL, WorklistService } from './worklist/worklist-service.ts';

export const CONFER_VERSION = '0.1.0';

export interface ConferHandle {
  config: ConferConfig;
  httpUrl: string;
  httpPort: number;
  dicomPort: number;
  store: Store;
  access: AccessService;
  ingest: ArchiveIngestService;
  monitor: StudyCompletionMonitor;
  worklist: WorklistService;
  routing: RoutingConfigStore;
  bus: WorklistBus;
  peerReview: PeerReviewService;
  /** Viewer annotations per case, and their DICOM SR export. */
  annotations: AnnotationService;
  srExport: SrExportService;
  boards: BoardService;
  /** Case discussions and consults. */
  collaboration: Collaboration;
  /** Critical results: flag, notify, escalate on stored timers, acknowledge (docs/critical-results.md). */
  critical: CriticalResultService;
  reports: ReportService;
  /** The report outbox (what signing enqueues into) and its HL7 v2 / FHIR sender. */
  deliveries: ReportDeliveryService;
  /** Signed reports as PDF and FHIR DiagnosticReport, with access checks and audit. */
  reportOutputs: ReportReader;
  /** In-app notifications for every feature (mentions, consults, critical results, reviews, boards). */
  notifications: NotificationService;
  /**
   * One turn of the clockwork: announce quiet studies, create and route their cases, expire leases, fire
   * SLA timers, re-route waiting cases, pick up other nodes' changes. The timer calls it; tests call it.
   */
  tick(): Promise<void>;
  app: FastifyInstance;
  /** The first admin's generated password, when Confer made one on this start. */
  generatedAdminPassword: string | undefined;
  /** Stops taking new work, lets in-flight stores finish, then closes everything. */
  close(options?: { graceMs?: number }): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  /** Route groups added to the HTTP app after DICOMweb. */
  plugins?: AppDeps['plugins'];
  webRoot?: string;
  /** Run the clockwork (study:complete, leases, SLA timers, re-routing) on a timer; off in tests, which call tick(). */
  completionTimer?: boolean;
  /** Where signed reports go for delivery (HL7, FHIR, PDF), inside the signing transaction. */
  reportOutbox?: ReportOutbox;
}

/** The one composition root: config -> adapters -> services -> listeners. */
export async function startConfer(config: ConferConfig, options: StartOptions = {}): Promise<ConferHandle> {
  const clock = options.clock ?? systemClock;
  const log = options.logger ?? pino({ level: config.logLevel });
  await mkdir(config.dataDir, { recursive: true });
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    sqlitePath: join(config.dataDir, 'confer.sqlite'),
  });
  const cleanup: (() => Promise<void>)[] = [() => store.close()];
  try {
    await migrateToLatest(store);
    await syncSites(store, config.sites, clock);
    const blobs = new FileBlobStore(join(config.dataDir, 'blobs'));
    await blobs.init();
    const { audit, ingest, query, retrieve, monitor } = createArchiveServices({
      store,
      blobs,
      clock,
      limits: { maxInstanceBytes: config.maxInstanceBytes, maxHeaderBytes: config.maxHeaderBytes },
      studyQuietPeriodMs: config.studyQuietPeriodMs,
    });
    const access = new AccessService({ db: store.db, clock, sessionTtlMs: config.sessionTtlMs });
    const generatedAdminPassword = await ensureAdmin(access, config);

    const postgres = store.dialect === 'postgres';
    const routing = new RoutingConfigStore({ db: store.db, clock, notifyOtherNodes: postgres });
    await routing.refresh();
    if (config.routingFile) {
      const loaded = await loadRoutingFile(routing, config.routingFile);
      if (loaded)
        log.info({ version: loaded.version, file: config.routingFile }, 'routing configuration loaded');
    }
    const bus = new WorklistBus();
    const notifications = new NotificationService({ db: store.db, clock });
    await notifications.start();
    const worklist = new WorklistService({
      db: store.db,
      clock,
      audit,
      routing,
      bus,
      leaseMs: config.claimLeaseMs,
      logger: log.child({ component: 'worklist' }),
      notifyOtherNodes: postgres,
    });
    const critical = new CriticalResultService({
      db: store.db,
      clock,
      audit,
      worklist,
      config: config.critical,
      notifier: notifications,
      logger: log.child({ component: 'critical' }),
    });
    const deliveries = new ReportDeliveryService({
      db: store.db,
      clock,
      audit,
      destinations: config.reportDestinations,
      settings: config.reportDelivery,
      logger: log.child({ component: 'report-delivery' }),
      notifyOtherNodes: postgres,
      announceFailure: announceDeliveryFailures(store.db, notifications),
    });
    cleanup.unshift(() => deliveries.close());
    const reportOutputs = new ReportReader({ db: store.db, audit, worklist, deliveries });
    // Studies completed while Confer was down (or before the worklist existed) become cases now.
    await worklist.catchUp();
    await worklist.pollRemoteChanges();
    let stopListening: (() => Promise<void>) | undefined;
    if (postgres && config.databaseUrl) {
      // Other nodes' changes reach this node's live streams at once; the tick's poll is the fallback.
      stopListening = await listenForOtherNodes(
        config.databaseUrl,
        {
          [WORKLIST_CHANNEL]: () => void worklist.pollRemoteChanges().catch(() => {}),
          [ROUTING_CHANNEL]: () => void routing.refresh().catch(() => {}),
          [DELIVERY_CHANNEL]: () => deliveries.kick(),
        },
        log,
      );
      cleanup.unshift(stopListening);
    }

    // Reports and discussions as boards and reviewers read them; the services are made further down.
    const material = caseMaterialFrom({
      reports: { get: (...a) => reports.get(...a) },
      discussion: { list: (...a) => collaboration.discussion.list(...a) },
    });
    const peerReview = new PeerReviewService({
      db: store.db,
      clock,
      audit,
      routing,
      access,
      material,
      notifier: notifications,
      logger: log.child({ component: 'peer-review' }),
    });
    const annotations = new AnnotationService({ db: store.db, clock, audit, worklist });
    const srExport = new SrExportService({ db: store.db, clock, audit, ingest, annotations });
    const boards = new BoardService({
      db: store.db,
      clock,
      audit,
      material,
      notifier: notifications,
      logger: log.child({ component: 'boards' }),
    });
    // Board members see their sessions' cases (case page, images, report, discussion), each view audited.
    boards.grantCaseAccess(worklist);
    const collaboration = createCollaboration({
      db: store.db,
      clock,
      audit,
      worklist,
      routing,
      policy: config.consults,
      notifier: notifications,
      logger: log.child({ component: 'consults' }),
    });
    const reports = new ReportService({
      db: store.db,
      clock,
      audit,
      access,
      worklist,
      routing,
      outbox: options.reportOutbox ?? deliveries,
      onCriticalFindings: flagCriticalFindings(critical),
      logger: log.child({ component: 'reports' }),
    });

    const app = await buildApp({
      config,
      clock,
      store,
      access,
      audit,
      ingest,
      query,
      retrieve,
      version: CONFER_VERSION,
      ...(options.webRoot ? { webRoot: options.webRoot } : {}),
      plugins: [
        registerDicomweb,
        worklistRoutes({
          worklist,
          routing,
          bus,
          clock,
          ...(config.routingFile ? { routingFile: config.routingFile } : {}),
        }),
        peerReviewRoutes({ peerReview }),
        annotationRoutes({ annotations, srExport }),
        boardRoutes({ boards }),
        ...collaboration.routes,
        criticalRoutes({ critical }),
        reportRoutes({ reports }),
        deliveryRoutes({ deliveries, reader: reportOutputs }),
        notificationRoutes({ notifications }),
        ...(options.plugins ?? []),
      ],
      logger: { level: config.logLevel === 'silent' ? 'silent' : 'warn' },
    });
    cleanup.unshift(() => app.close());

    const sitesByAe = new Map<string, SiteConfig>();
    for (const s of config.sites) for (const ae of s.aeTitles) sitesByAe.set(ae, s);
    const catchAll = config.sites.find((s) => s.acceptUnknownAe);
    const dimse = new DimseServer({
      aeTitle: config.aeTitle,
      host: config.bindAddress,
      port: config.dicomPort,
      maxAssociations: config.maxAssociations,
      associationTimeoutMs: config.associationTimeoutMs,
      idleTimeoutMs: config.dimseIdleTimeoutMs,
      maxPduLengthBytes: config.maxPduLengthBytes,
      acceptUnknownSopClasses: false,
      resolveCallingAe: (callingAe: string): { actor: Actor } | null => {
        const site = sitesByAe.get(callingAe) ?? catchAll;
        if (!site) return null;
        return {
          actor: { kind: 'ae', id: callingAe, name: callingAe, roles: [Role.Modality], siteId: site.id },
        };
      },
      ingest,
      query,
      audit,
      logger: log.child({ component: 'dimse' }),
    });
    const dicomPort = await dimse.listen();
    cleanup.unshift(() => dimse.close({ graceMs: 10_000 }));

    await app.listen({ host: config.bindAddress, port: config.httpPort });
    const address = app.server.address();
    const httpPort = typeof address === 'object' && address ? address.port : config.httpPort;
    const host = config.bindAddress.includes(':') ? `[${config.bindAddress}]` : config.bindAddress;

    const tick = async (): Promise<void> => {
      const events = await monitor.tick();
      for (const e of events) {
        log.info({ event: e.type, eventId: e.eventId, instances: e.numInstances }, 'study complete');
        await worklist.onStudyComplete(e);
      }
      await routing.refresh();
      await worklist.tick();
      await collaboration.tick();
      // Escalations that came due while Confer was down fire on the first tick after a start.
      await critical.tick();
      await worklist.pollRemoteChanges();
      await peerReview.sampleFinalised();
      await boards.tick();
      // Report deliveries wait for ACKs (seconds): the pass runs beside the clockwork, not inside it.
      deliveries.kick();
      // Notifications written inside other services' transactions, or on other nodes.
      await notifications.flush();
    };
    let timer: NodeJS.Timeout | undefined;
    if (options.completionTimer !== false) {
      const everyMs = Math.max(
        100,
        Math.min(config.worklistTickMs, Math.max(250, Math.floor(config.studyQuietPeriodMs / 4))),
      );
      let running = false;
      timer = setInterval(() => {
        if (running) return;
        running = true;
        tick()
          .catch((err: Error) => log.warn({ err: err.message }, 'worklist clockwork failed; will retry'))
          .finally(() => {
            running = false;
          });
      }, everyMs);
      timer.unref();
    }

    let closing: Promise<void> | undefined;
    return {
      config,
      httpUrl: `http://${host}:${httpPort}`,
      httpPort,
      dicomPort,
      store,
      access,
      ingest,
      monitor,
      worklist,
      routing,
      bus,
      peerReview,
      annotations,
      srExport,
      boards,
      collaboration,
      critical,
      reports,
      deliveries,
      reportOutputs,
      notifications,
      tick,
      app,
      generatedAdminPassword,
      close(opts = {}) {
        closing ??= (async () => {
          if (timer) clearInterval(timer);
          await dimse.close({ graceMs: opts.graceMs ?? 10_000 });
          await app.close();
          await stopListening?.();
          await deliveries.close();
          await ingest.drain();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    for (const c of cleanup) await c().catch(() => {});
    throw err;
  }
}

/** Sites come from configuration; the table mirrors them so queries and the web app can join on them. */
async function syncSites(store: Store, sites: SiteConfig[], clock: Clock): Promise<void> {
  const now = clock.now().getTime();
  await store.db.transaction().execute(async (trx) => {
    for (const s of sites) {
      const row = {
        id: s.id,
        name: s.name,
        ae_titles: JSON.stringify(s.aeTitles),
        time_zone: s.timeZone,
        jurisdiction: s.jurisdiction ?? null,
        accept_unknown_ae: s.acceptUnknownAe ? 1 : 0,
        updated_at: now,
      };
      await trx
        .insertInto('sites')
        .values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet({ ...row }))
        .execute();
    }
  });
}

/**
 * The first start creates the "admin" user: with CONFER_ADMIN_PASSWORD when set, otherwise with a generated
 * password that is returned (to be shown once) and written to <dataDir>/initial-admin-password.txt (0600).
 */
async function ensureAdmin(access: AccessService, config: ConferConfig): Promise<string | undefined> {
  if ((await access.userCount()) > 0) return undefined;
  const password = config.adminPassword ?? randomBytes(12).toString('base64url');
  await access.createUser({ username: 'admin', password, roles: [Role.Admin], displayName: 'Administrator' });
  if (config.adminPassword) return undefined;
  const file = join(config.dataDir, 'initial-admin-password.txt');
  if (!existsSync(file)) await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}
