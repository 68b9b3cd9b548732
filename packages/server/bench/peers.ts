// The two archives the benchmark compares, behind one small interface: Confer in a child process of its
// own (bench/confer-child.ts) and Debian's Orthanc (test/peers/orthanc.ts). Each start is a fresh, empty
// archive in its own temp directory; stop() removes it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startOrthanc } from '../test/peers/orthanc.ts';
import type { ChildMessage, ChildOptions, ParentMessage } from './confer-child.ts';

export const PeerName = { Confer: 'confer', Orthanc: 'orthanc' } as const;
export type PeerName = (typeof PeerName)[keyof typeof PeerName];

export interface BenchPeer {
  name: PeerName;
  dicomHost: string;
  dicomPort: number;
  /** The called AE title for dcmtk's -aec. */
  calledAe: string;
  /** Base of the DICOMweb service, no trailing slash. */
  dicomwebUrl: string;
  /** Authorization for every DICOMweb request. */
  headers: Record<string, string>;
  /** Instances the archive holds now: the check that every timed store really landed. */
  instanceCount(): Promise<number>;
  stop(): Promise<void>;
}

/** The calling AE title every dcmtk process uses; Confer maps it to its one site. */
export const BENCH_CALLING_AE = 'BENCH_SCU';
/**
 * Orthanc's maximum PDU length: its default is 16 KiB, Confer's 256 KiB. Orthanc (dcmtk) accepts at most
 * 128 KiB, which dcmtk's storescu also never exceeds when sending, so both see the same PDUs.
 */
export const ORTHANC_MAX_PDU_LENGTH_BYTES = 131_072;

const live = new Set<() => Promise<void>>();

/** Stops every peer still running (on error or interrupt). */
export async function stopAllPeers(): Promise<void> {
  await Promise.allSettled([...live].map((stop) => stop()));
}

export interface ConferPeerOptions {
  /** Temp directory under which the data dir is made. */
  root: string;
  /**
   * When set, Confer runs under `node --cpu-prof` and each of its threads (the main thread, the SQLite
   * thread) writes a CPU.<date>.<time>.<pid>.<thread id>.<n>.cpuprofile into this directory when it exits.
   */
  profileDir?: string;
}

const CHILD = join(import.meta.dirname, 'confer-child.ts');
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

export async function startConferPeer(options: ConferPeerOptions): Promise<BenchPeer> {
  const dataDir = await mkdtemp(join(options.root, 'confer-'));
  const childOptions: ChildOptions = {
    dataDir,
    aeTitle: 'CONFER',
    callingAeTitles: [BENCH_CALLING_AE],
    adminPassword: 'bench-admin-password',
  };
  const nodeArgs = options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, CHILD], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, CONFER_BENCH_CHILD: JSON.stringify(childOptions) },
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  type Waiter = { resolve: (m: ChildMessage) => void; reject: (err: Error) => void };
  const waiting = new Map<ChildMessage['type'], Waiter>();
  let failure: string | undefined;
  child.on('message', (m: ChildMessage) => {
    if (m.type === 'error') {
      failure = m.message;
      for (const w of waiting.values()) w.reject(new Error(`Confer failed: ${m.message}`));
      waiting.clear();
      return;
    }
    waiting.get(m.type)?.resolve(m);
    waiting.delete(m.type);
  });
  void exit.then(() => {
    for (const [type, w] of waiting) {
      if (type === 'stopped') w.resolve({ type: 'stopped' });
      else w.reject(new Error(`Confer exited: ${failure ?? `code ${child.exitCode}`}`));
    }
    waiting.clear();
  });
  const ask = <T extends ChildMessage['type']>(
    type: T,
    request: ParentMessage | undefined,
    timeoutMs: number,
  ): Promise<Extract<ChildMessage, { type: T }>> =>
    new Promise((resolve, reject) => {
      if (exited) {
        reject(new Error(`Confer exited: ${failure ?? `code ${child.exitCode}`}`));
        return;
      }
      const timer = setTimeout(() => {
        waiting.delete(type);
        reject(new Error(`Confer (child ${child.pid}) did not answer "${type}" in ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(type, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<ChildMessage, { type: T }>);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      if (request) child.send(request);
    });

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      live.delete(stop);
      if (!exited && child.connected) {
        await ask('stopped', { type: 'stop' }, STOP_TIMEOUT_MS).catch(() => {});
        // It exits by itself after saying so, writing its CPU profiles first when profiled.
        await Promise.race([exit, delay(STOP_TIMEOUT_MS, undefined, { ref: false })]);
      }
      if (!exited) child.kill('SIGKILL');
      await exit;
      await rm(dataDir, { recursive: true, force: true });
    })();
    return stopped;
  };
  live.add(stop);
  try {
    const ready = await ask('ready', undefined, START_TIMEOUT_MS);
    return {
      name: PeerName.Confer,
      dicomHost: '127.0.0.1',
      dicomPort: ready.dicomPort,
      calledAe: childOptions.aeTitle,
      dicomwebUrl: `${ready.httpUrl}/dicomweb`,
      headers: { authorization: `Bearer ${ready.token}` },
      instanceCount: async () => (await ask('count', { type: 'count' }, 30_000)).instances,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function startOrthancPeer(): Promise<BenchPeer> {
  const orthanc = await startOrthanc({
    // Authentication on, as Confer's bearer tokens are: both pay for checking every request.
    user: { username: 'bench', password: 'bench-password' },
    extraConfig: { MaximumPduLength: ORTHANC_MAX_PDU_LENGTH_BYTES },
  });
  const headers: Record<string, string> = orthanc.authorization
    ? { authorization: orthanc.authorization }
    : {};
  const stop = async () => {
    live.delete(stop);
    await orthanc.stop();
  };
  live.add(stop);
  return {
    name: PeerName.Orthanc,
    dicomHost: orthanc.dicomHost,
    dicomPort: orthanc.dicomPort,
    calledAe: orthanc.aeTitle,
    dicomwebUrl: orthanc.dicomwebUrl,
    headers,
    instanceCount: async () => {
      const r = await fetch(`${orthanc.httpUrl}/statistics`, { headers });
      if (!r.ok) throw new Error(`Orthanc /statistics: HTTP ${r.status}`);
      return Number(((await r.json()) as { CountInstances: number }).CountInstances);
    },
    stop,
  };
}

/** Orthanc's and its DICOMweb plugin's versions, for the report. */
export async function orthancVersion(peer: BenchPeer): Promise<string> {
  const base = peer.dicomwebUrl.replace(/\/dicom-web$/, '');
  try {
    const system = (await (await fetch(`${base}/system`, { headers: peer.headers })).json()) as {
      Version?: string;
    };
    const plugin = await (await fetch(`${base}/plugins/dicom-web`, { headers: peer.headers })).json();
    return `Orthanc ${system.Version ?? '?'}, DICOMweb plugin ${(plugin as { Version?: string }).Version ?? '?'}`;
  } catch {
    return 'Orthanc (version unknown)';
  }
}
