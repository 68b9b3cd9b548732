// Confer in a process of its own for the benchmarks, so that the benchmark's own work (dcmtk processes,
// building STOW-RS bodies, reading responses) never shares Confer's event loop, as Orthanc's never does;
// and so that `node --cpu-prof` profiles Confer alone. Driven over IPC by bench/confer-process.ts.

import pino from 'pino';
import { loadConfig } from '../src/config/config.ts';
import { startConfer } from '../src/main.ts';

export interface ChildOptions {
  dataDir: string;
  aeTitle: string;
  callingAeTitles: string[];
  adminPassword: string;
}

export type ParentMessage = { type: 'count' } | { type: 'stop' };
export type ChildMessage =
  | { type: 'ready'; httpUrl: string; dicomPort: number; token: string }
  | { type: 'count'; instances: number }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

const send = (m: ChildMessage) => {
  if (process.connected) process.send?.(m);
};

async function main(): Promise<void> {
  if (!process.send) throw new Error('confer-child.ts is started by the benchmark over IPC');
  const options = JSON.parse(process.env.CONFER_BENCH_CHILD ?? '{}') as ChildOptions;
  // No process.env: a CONFER_* variable of the shell must not change what is measured.
  const config = loadConfig(
    {},
    {
      dataDir: options.dataDir,
      httpPort: 0,
      dicomPort: 0,
      aeTitle: options.aeTitle,
      logLevel: 'silent',
      adminPassword: options.adminPassword,
      sites: [{ id: 'bench', name: 'Benchmark', aeTitles: options.callingAeTitles, timeZone: 'UTC' }],
    },
  );
  const confer = await startConfer(config, { completionTimer: false, logger: pino({ level: 'silent' }) });
  const { token } = await confer.access.createToken({ name: 'bench', username: 'admin' });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= confer
      .close({ graceMs: 2000 })
      .then(() => {
        send({ type: 'stopped' });
        // A normal exit, so that --cpu-prof writes its profile.
        process.exit(0);
      })
      .catch((err: Error) => {
        send({ type: 'error', message: err.message });
        process.exit(1);
      });
    return stopping;
  };
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'stop') void stop();
    else if (m.type === 'count') {
      confer.store.db
        .selectFrom('instances')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
        .then((r) => send({ type: 'count', instances: Number(r.n) }))
        .catch((err: Error) => send({ type: 'error', message: err.message }));
    }
  });
  // The benchmark died without stopping us: do not linger.
  process.on('disconnect', () => void stop());
  send({ type: 'ready', httpUrl: confer.httpUrl, dicomPort: confer.dicomPort, token });
}

main().catch((err: Error) => {
  send({ type: 'error', message: err.stack ?? err.message });
  process.exit(1);
});
