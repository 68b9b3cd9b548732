import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { Actor, AuditSink, IngestService, QueryService } from '../archive/ports.ts';
import { Connection, type ConnectionSettings, type DimseLogger } from './connection.ts';
import { DimseErrorCode } from './errors.ts';

export type { DimseLogger } from './connection.ts';

/** DimseServer's options; only aeTitle, resolveCallingAe and the three ports are required. */
export interface DimseServerOptions {
  /** Our AE title: 1 to 16 characters, no backslash. The called AE title of every request must equal it. */
  aeTitle: string;
  /** The only interface bound; default '127.0.0.1'. */
  host?: string;
  /** Default 11112; 0 picks a free port (tests). */
  port?: number;
  /** Associations at once; more are rejected (transient, local limit exceeded). Default 32. */
  maxAssociations?: number;
  /** ARTIM: how long a new connection has to send A-ASSOCIATE-RQ (PS3.8 9.1.5). Default 30 000. */
  associationTimeoutMs?: number;
  /** An association from which no PDU arrives for this long, while we wait for it, is aborted. Default 60 000. */
  idleTimeoutMs?: number;
  /** Announced maximum P-DATA-TF length; bounds what we hold of an incoming PDU. Default 262 144. */
  maxPduLengthBytes?: number;
  /** Accept abstract syntaxes we do not recognise (private or newer SOP classes) as storage. Default false. */
  acceptUnknownSopClasses?: boolean;
  /** Data set bytes queued for a slow ingest before the socket is paused. Default 1 MiB. */
  dataHighWaterMarkBytes?: number;
  /** Maps a calling AE title (and where it calls from) to an actor; null refuses the association. */
  resolveCallingAe(
    callingAe: string,
    remoteAddress: string,
  ): { actor: Actor } | null | Promise<{ actor: Actor } | null>;
  ingest: IngestService;
  query: QueryService;
  audit: AuditSink;
  logger?: DimseLogger;
}

/** A DimseServer option is out of range. */
export class DimseConfigError extends Error {
  readonly code = 'CONFER_ERR_DIMSE_INVALID_OPTION';
  constructor(message: string) {
    super(message);
    this.name = 'DimseConfigError';
  }
}

const silentLogger: DimseLogger = { info() {}, warn() {}, error() {} };

/** When close() is not given a grace period. */
const DEFAULT_GRACE_MS = 10_000;
/** After the grace period, how long aborted peers get to read the A-ABORT and close before we cut them off. */
const ABORT_LINGER_MS = 250;
/** After the sockets are gone, how long close() waits for operations still running (an ingest finishing). */
const SETTLE_WAIT_MS = 2_000;

function positiveInteger(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new DimseConfigError(`${name} must be an integer of at least ${min}, not ${value}`);
  }
  return value;
}

/**
 * Confer's DICOM upper layer and DIMSE service provider: C-ECHO, C-STORE (streamed to the ingest service)
 * and C-FIND (Patient and Study Root) over associations it accepts.
 */
export class DimseServer {
  private readonly settings: ConnectionSettings;
  private readonly host: string;
  private readonly port: number;
  private readonly maxAssociations: number;
  private server: Server | null = null;
  /** Connections whose socket is open. */
  private readonly connections = new Set<Connection>();
  /** Connections whose socket is open or whose operations are still running. */
  private readonly unsettled = new Set<Connection>();
  private associations = 0;
  private closing = false;
  private closePromise: Promise<void> | null = null;

  constructor(options: DimseServerOptions) {
    const ae = options.aeTitle;
    if (typeof ae !== 'string' || ae.trim() === '' || ae.length > 16 || /[\\\x00-\x1f]/.test(ae)) {
      throw new DimseConfigError(`aeTitle "${ae}" is not an AE title (1 to 16 characters, no backslash)`);
    }
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 11112;
    if (!Number.isInteger(this.port) || this.port < 0 || this.port > 65535) {
      throw new DimseConfigError(`port ${this.port} is not a TCP port`);
    }
    this.maxAssociations = positiveInteger('maxAssociations', options.maxAssociations ?? 32, 1);
    this.settings = {
      aeTitle: ae.trim(),
      // PS3.8 D.1 puts no floor on it, but under a few KB every message needs many PDUs.
      maxPduLengthBytes: positiveInteger('maxPduLengthBytes', options.maxPduLengthBytes ?? 262_144, 4096),
      associationTimeoutMs: positiveInteger(
        'associationTimeoutMs',
        options.associationTimeoutMs ?? 30_000,
        1,
      ),
      idleTimeoutMs: positiveInteger('idleTimeoutMs', options.idleTimeoutMs ?? 60_000, 1),
      acceptUnknownSopClasses: options.acceptUnknownSopClasses ?? false,
      dataHighWaterMarkBytes: positiveInteger(
        'dataHighWaterMarkBytes',
        options.dataHighWaterMarkBytes ?? 1024 * 1024,
        1,
      ),
      resolveCallingAe: options.resolveCallingAe,
      ingest: options.ingest,
      query: options.query,
      audit: options.audit,
      logger: options.logger ?? silentLogger,
    };
  }

  /** Associations established (or being established past the AE checks) right now. */
  get activeAssociations(): number {
    return this.associations;
  }

  /** Binds to `host` only and resolves to the bound port. */
  async listen(): Promise<number> {
    if (this.server) throw new Error('DimseServer is already listening');
    if (this.closing) throw new Error('DimseServer is closed');
    const server = createServer({ noDelay: true }, (socket) => this.onConnection(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.host, port: this.port }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: unknown) => {
      this.server = null;
      throw err;
    });
    server.on('error', (err) => this.settings.logger.error({ err: err.message }, 'DIMSE listener error'));
    const port = (server.address() as AddressInfo).port;
    this.settings.logger.info(
      { aeTitle: this.settings.aeTitle, host: this.host, port, maxAssociations: this.maxAssociations },
      'DIMSE server listening',
    );
    return port;
  }

  private onConnection(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const self = this;
    const connection = new Connection(socket, this.settings, {
      reserveSlot: () => {
        if (this.closing || this.associations >= this.maxAssociations) return false;
        this.associations++;
        return true;
      },
      releaseSlot: () => {
        this.associations--;
      },
      get closing() {
        return self.closing;
      },
    });
    this.connections.add(connection);
    this.unsettled.add(connection);
    void connection.closed.then(() => {
      this.connections.delete(connection);
      return connection.settled.then(() => this.unsettled.delete(connection));
    });
  }

  /**
   * Stops accepting connections and lets operations in flight finish, so a C-STORE being received is stored
   * and answered; then releases or aborts every association. After `graceMs` whatever remains is aborted.
   * Resolves once every connection is closed and every operation has settled.
   */
  close(options: { graceMs?: number } = {}): Promise<void> {
    this.closePromise ??= this.shutdown(options.graceMs ?? DEFAULT_GRACE_MS);
    return this.closePromise;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    const server = this.server;
    const listenerClosed = new Promise<void>((resolve) => {
      if (!server) resolve();
      else server.close(() => resolve());
    });
    const deadline = Date.now() + graceMs;
    for (const c of this.connections) c.shutdown(deadline);
    const allClosed = () => Promise.all([...this.connections].map((c) => c.closed));
    const graceOver = new AbortController();
    const closedInTime = await Promise.race([
      allClosed().then(() => true),
      delay(graceMs, false, { signal: graceOver.signal }).catch(() => false),
    ]);
    graceOver.abort();
    if (!closedInTime) {
      for (const c of this.connections) c.abortNow();
      const lingerOver = new AbortController();
      await Promise.race([
        allClosed(),
        delay(ABORT_LINGER_MS, undefined, { signal: lingerOver.signal }).catch(() => {}),
      ]);
      lingerOver.abort();
      for (const c of this.connections) c.destroy();
      await allClosed();
    }
    const settled = Promise.all([...this.unsettled].map((c) => c.settled));
    const settleOver = new AbortController();
    const inTime = await Promise.race([
      settled.then(() => true),
      delay(SETTLE_WAIT_MS, false, { signal: settleOver.signal }).catch(() => false),
    ]);
    settleOver.abort();
    if (!inTime) {
      this.settings.logger.warn(
        { code: DimseErrorCode.AssociationAborted },
        'DIMSE operations still running',
      );
    }
    await listenerClosed;
    this.settings.logger.info({ aeTitle: this.settings.aeTitle }, 'DIMSE server closed');
  }
}
