// A private Orthanc (Debian's package) as a peer for integration tests and benchmarks: the same machine,
// its own temp directory, free ports, DICOMweb on, and gone again after stop().
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ORTHANC_BINARY = '/usr/sbin/Orthanc';
const LOOPBACK = '127.0.0.1';
const DICOMWEB_ROOT = '/dicom-web/';

export interface OrthancPeer {
  /** Base of Orthanc's REST API, e.g. http://127.0.0.1:41234 (no trailing slash). */
  httpUrl: string;
  /** Base of its DICOMweb API: `${httpUrl}/dicom-web` (no trailing slash). */
  dicomwebUrl: string;
  dicomHost: string;
  dicomPort: number;
  /** The called AE title its DICOM server answers to. */
  aeTitle: string;
  /** Basic credentials when started with a user, for `fetch`'s Authorization header; else undefined. */
  authorization: string | undefined;
  /** Temp directory holding the config, SQLite index and storage; removed by stop(). */
  directory: string;
  /** The last lines Orthanc logged, for failure messages. */
  log(): string;
  /** Kills Orthanc and removes its directory; resolves once both are gone. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOrthancOptions {
  aeTitle?: string;
  /** Turn on HTTP basic authentication with this one user; off by default. */
  user?: { username: string; password: string };
  /** Seconds without new instances before Orthanc calls a study stable (default 1; Orthanc's own is 60). */
  stableAgeSeconds?: number;
  /** How long to wait for /system to answer (default 30 s). */
  startTimeoutMs?: number;
  /** Keys merged last into the generated configuration, for a benchmark that needs another knob. */
  extraConfig?: Record<string, unknown>;
}

/** Thrown when Orthanc is missing or does not come up; the message says which and what to install. */
export class OrthancPeerError extends Error {
  readonly code: 'CONFER_ERR_ORTHANC_MISSING' | 'CONFER_ERR_ORTHANC_START';
  constructor(code: OrthancPeerError['code'], message: string) {
    super(message);
    this.name = 'OrthancPeerError';
    this.code = code;
  }
}

/** Where Debian's orthanc-dicomweb put the plugin: asked of dpkg first, then the usual paths. */
export function findDicomWebPlugin(): string | undefined {
  const listed = spawnSync('dpkg', ['-L', 'orthanc-dicomweb'], { encoding: 'utf8' });
  const fromDpkg =
    listed.status === 0
      ? listed.stdout
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => /libOrthancDicomWeb\.so(\.[0-9.]+)?$/.test(l))
          // Prefer the plugins folder's link, the name Orthanc's own docs use.
          .sort((a, b) => Number(b.includes('/plugins/')) - Number(a.includes('/plugins/')))
      : [];
  const candidates = [
    ...fromDpkg,
    '/usr/share/orthanc/plugins/libOrthancDicomWeb.so',
    '/usr/lib/orthanc/libOrthancDicomWeb.so',
  ];
  return candidates.find((p) => existsSync(p));
}

/** True when both the Orthanc binary and its DICOMweb plugin are installed. */
export function isOrthancInstalled(): boolean {
  return existsSync(ORTHANC_BINARY) && findDicomWebPlugin() !== undefined;
}

/**
 * Free loopback ports, found by binding port 0. All are held open until every one is chosen, so the
 * same port is never handed out twice; another process may still take one before Orthanc binds it,
 * which startOrthanc survives by retrying with fresh ports.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, LOOPBACK, () => resolve());
      });
    }
    return servers.map((s) => {
      const address = s.address();
      if (address === null || typeof address === 'string') throw new Error('no port from listen(0)');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

function configFor(
  directory: string,
  plugin: string,
  httpPort: number,
  dicomPort: number,
  aeTitle: string,
  options: StartOrthancOptions,
): Record<string, unknown> {
  return {
    Name: `confer-peer-${aeTitle}`,
    StorageDirectory: join(directory, 'storage'),
    IndexDirectory: join(directory, 'index'), // SQLite index beside the storage, removed with it
    StorageCompression: false,
    // Write-through like Confer's own store, so a benchmark compares like with like.
    SyncStorageArea: true,
    Plugins: [plugin],
    HttpServerEnabled: true,
    HttpPort: httpPort,
    // Orthanc 1.10 has no bind-address option: it listens on every interface. RemoteAccessAllowed=false
    // makes it refuse HTTP from anything but loopback; the DICOM port cannot be narrowed the same way.
    RemoteAccessAllowed: false,
    AuthenticationEnabled: options.user !== undefined,
    RegisteredUsers: options.user ? { [options.user.username]: options.user.password } : {},
    HttpDescribeErrors: true,
    TcpNoDelay: true,
    KeepAlive: true,
    DicomServerEnabled: true,
    DicomAet: aeTitle,
    DicomPort: dicomPort,
    DicomCheckCalledAet: false,
    DicomCheckModalityHost: false,
    DicomAlwaysAllowEcho: true,
    DicomAlwaysAllowStore: true,
    DicomAlwaysAllowFind: true,
    DicomModalities: {},
    OrthancPeers: {},
    StableAge: options.stableAgeSeconds ?? 1,
    SaveJobs: false,
    ExecuteLuaEnabled: false,
    LuaScripts: [],
    DicomWeb: {
      Enable: true,
      Root: DICOMWEB_ROOT,
      EnableWado: true,
      WadoRoot: '/wado',
      Ssl: false,
    },
    ...options.extraConfig,
  };
}

/** Polls `check` every `intervalMs` until it resolves true, the deadline passes, or `abort` says why to stop. */
async function poll(
  check: () => Promise<boolean>,
  deadline: number,
  intervalMs: number,
  abort: () => string | undefined,
): Promise<string | undefined> {
  const maxAttempts = Math.ceil((deadline - Date.now()) / intervalMs) + 1;
  for (let attempt = 0; attempt < maxAttempts && Date.now() < deadline; attempt++) {
    const reason = abort();
    if (reason) return reason;
    if (await check()) return undefined;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return abort() ?? 'timed out';
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Starts a private Orthanc with DICOMweb at /dicom-web/, DICOM and HTTP on free ports, and resolves once
 * its REST API and DICOM port both answer. Throws OrthancPeerError if it is not installed or does not
 * come up (after three tries with fresh ports, in case another process took one first).
 */
export async function startOrthanc(options: StartOrthancOptions = {}): Promise<OrthancPeer> {
  const plugin = findDicomWebPlugin();
  if (!existsSync(ORTHANC_BINARY) || !plugin) {
    throw new OrthancPeerError(
      'CONFER_ERR_ORTHANC_MISSING',
      `Orthanc with DICOMweb is not installed (need ${ORTHANC_BINARY} and the orthanc-dicomweb plugin): ` +
        'apt-get install orthanc orthanc-dicomweb',
    );
  }
  const failures: string[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    const result = await tryStart(plugin, options);
    if ('peer' in result) return result.peer;
    failures.push(`attempt ${attempt}: ${result.reason}`);
  }
  throw new OrthancPeerError('CONFER_ERR_ORTHANC_START', `Orthanc did not start.\n${failures.join('\n')}`);
}

async function tryStart(
  plugin: string,
  options: StartOrthancOptions,
): Promise<{ peer: OrthancPeer } | { reason: string }> {
  const aeTitle = options.aeTitle ?? 'ORTHANC_PEER';
  const directory = await mkdtemp(join(tmpdir(), 'confer-orthanc-'));
  const [httpPort, dicomPort] = (await freePorts(2)) as [number, number];
  const configPath = join(directory, 'orthanc.json');
  await writeFile(
    configPath,
    JSON.stringify(configFor(directory, plugin, httpPort, dicomPort, aeTitle, options), null, 2),
  );

  const logLines: string[] = [];
  const remember = (chunk: Buffer) => {
    logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (logLines.length > 400) logLines.splice(0, logLines.length - 400);
  };
  // dcmtk inside Orthanc reads TCP_NODELAY too: small PDUs must not wait for Nagle.
  const child: ChildProcess = spawn(ORTHANC_BINARY, ['--no-jobs', configPath], {
    cwd: directory,
    env: { ...process.env, TCP_NODELAY: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);
  let exited: string | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `Orthanc exited (${signal ?? `code ${code}`})`;
      resolve();
    });
    child.once('error', (err) => {
      exited = `Orthanc could not be spawned: ${err.message}`;
      resolve();
    });
  });
  // Never leave an Orthanc or its files behind if the test process ends without calling stop(). Only
  // synchronous work runs in an 'exit' listener, so this is best effort.
  const killOnExit = () => {
    child.kill('SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);

  const httpUrl = `http://${LOOPBACK}:${httpPort}`;
  const authorization = options.user
    ? `Basic ${Buffer.from(`${options.user.username}:${options.user.password}`).toString('base64')}`
    : undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    if (exited === undefined) {
      // SIGKILL, not SIGTERM: a graceful shutdown takes Orthanc 3 s (its HTTP and DICOM servers drain on
      // timers), and everything it could flush is deleted next anyway.
      child.kill('SIGKILL');
      await exitPromise;
    }
    await rm(directory, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  const headers: Record<string, string> = authorization ? { authorization } : {};
  const httpFailure = await poll(
    async () => {
      try {
        const res = await fetch(`${httpUrl}/system`, { headers, signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        return res.ok;
      } catch {
        return false;
      }
    },
    deadline,
    100,
    () => exited,
  );
  const dicomFailure =
    httpFailure ??
    (await poll(
      () => tcpOpen(LOOPBACK, dicomPort),
      deadline,
      100,
      () => exited,
    ));
  if (httpFailure || dicomFailure) {
    const reason = `${httpFailure ?? dicomFailure} (HTTP ${httpPort}, DICOM ${dicomPort})\n${logLines.slice(-30).join('\n')}`;
    await stop();
    return { reason };
  }
  return {
    peer: {
      httpUrl,
      dicomwebUrl: `${httpUrl}${DICOMWEB_ROOT.replace(/\/$/, '')}`,
      dicomHost: LOOPBACK,
      dicomPort,
      aeTitle,
      authorization,
      directory,
      log: () => logLines.join('\n'),
      stop,
    },
  };
}
