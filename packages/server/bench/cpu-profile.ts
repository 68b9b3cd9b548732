// Reads the .cpuprofile files `node --cpu-prof` writes and sums self time per function and per source
// file, optionally only inside the timed windows of a benchmark (start-up and warm-up left out).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The profiles one `node --cpu-prof --cpu-prof-dir DIR` process left, by thread (0 is the main thread). */
export async function profilesIn(dir: string): Promise<{ path: string; threadId: number }[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  // CPU.<yyyymmdd>.<hhmmss>.<pid>.<thread id>.<sequence>.cpuprofile
  return names
    .map((name) => ({ name, m: /^CPU\.\d+\.\d+\.\d+\.(\d+)\.\d+\.cpuprofile$/.exec(name) }))
    .filter((x) => x.m)
    .map((x) => ({ path: join(dir, x.name), threadId: Number(x.m![1]) }));
}

/** A span of the monotonic clock, in microseconds (`process.hrtime.bigint() / 1000n`). */
export interface WindowUs {
  startUs: number;
  endUs: number;
}

/** Now on the clock V8's profiler stamps samples with (CLOCK_MONOTONIC, as process.hrtime). */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export interface SelfTime {
  name: string;
  selfMs: number;
  /** Share of the busy (non-idle) time. */
  share: number;
}

export interface ProfileSummary {
  /** Sampled time in the windows, idle included. */
  totalMs: number;
  idleMs: number;
  /** True when no sample fell in the windows (clocks disagree) and the whole profile was used. */
  wholeProfile: boolean;
  functions: SelfTime[];
  files: SelfTime[];
}

const IDLE = '(idle)';

/** Where a function lives, shortened, and what it is grouped under: its package, or its own file. */
function placeOf(url: string): { file: string; group: string } {
  if (url === '') return { file: '', group: '' };
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    const scoped = rest[0]!.startsWith('@');
    const pkg = scoped ? `${rest[0]}/${rest[1]}` : rest[0]!;
    return { file: `${pkg}/${rest.slice(scoped ? 2 : 1).join('/')}`, group: `${pkg} (package)` };
  }
  const src = url.indexOf('/packages/');
  const file = src >= 0 ? url.slice(src + '/packages/'.length) : url.replace(/^file:\/\//, '');
  return { file, group: file };
}

/** Self time per function and per file over one or more profiles, inside `windows` when given. */
export async function summariseProfiles(
  profiles: { path: string; windows?: WindowUs[] }[],
  top = 20,
): Promise<ProfileSummary> {
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  let wholeProfile = false;
  for (const p of profiles) {
    const profile = JSON.parse(await readFile(p.path, 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const take = (windows: WindowUs[] | undefined) => {
      let t = profile.startTime;
      let taken = 0;
      for (let i = 0; i < profile.samples.length; i++) {
        t += profile.timeDeltas[i] ?? 0;
        // Each sample accounts for the time until the next one.
        const dt = profile.timeDeltas[i + 1] ?? 0;
        if (windows && !windows.some((w) => t >= w.startUs && t <= w.endUs)) continue;
        const node = nodes.get(profile.samples[i]!);
        if (!node) continue;
        taken++;
        totalUs += dt;
        const { functionName, url, lineNumber } = node.callFrame;
        if (functionName === IDLE) {
          idleUs += dt;
          continue;
        }
        const { file, group } = placeOf(url);
        const key = file
          ? `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`
          : functionName || '(anonymous)';
        byFunction.set(key, (byFunction.get(key) ?? 0) + dt);
        // Native and runtime frames ((garbage collector), (program)) have no file: they are their own group.
        const groupKey = group || functionName || '(anonymous)';
        byFile.set(groupKey, (byFile.get(groupKey) ?? 0) + dt);
      }
      return taken;
    };
    if (take(p.windows) === 0 && p.windows) {
      wholeProfile = true;
      take(undefined);
    }
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, share: us / busyUs }));
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    wholeProfile,
    functions: rank(byFunction),
    files: rank(byFile),
  };
}

/**
 * The lines a benchmark prints for one summarised profile: the top functions and packages by self time.
 * `window` names what was sampled when the profile is not of the whole process, e.g. 'the timed loads'.
 */
export function formatProfile(title: string, s: ProfileSummary, window: string): string[] {
  const busy = s.totalMs - s.idleMs;
  const row = (f: SelfTime) =>
    `    ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name}`;
  return [
    '',
    `Where Confer's CPU goes: ${title} (self time${s.wholeProfile ? ', whole process' : ` in ${window}`}; ` +
      `${(busy / 1000).toFixed(1)} s busy of ${(s.totalMs / 1000).toFixed(1)} s sampled)`,
    '  by function:',
    ...s.functions.slice(0, 15).map(row),
    '  by package or file:',
    ...s.files.slice(0, 10).map(row),
  ];
}
