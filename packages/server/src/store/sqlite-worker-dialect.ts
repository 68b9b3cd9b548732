import { Worker } from 'node:worker_threads';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import type { WorkerRequest, WorkerResponse } from './sqlite-worker.ts';

/** An error from the SQLite thread, with SQLite's code (e.g. SQLITE_CONSTRAINT_UNIQUE). */
export class SqliteWorkerError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.name = 'SqliteWorkerError';
    this.code = code;
  }
}

class WorkerConnection implements DatabaseConnection {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: QueryResult<unknown>) => void; reject: (e: Error) => void }
  >();
  private failure: Error | undefined;

  constructor(path: string) {
    this.worker = new Worker(new URL('./sqlite-worker.ts', import.meta.url), { workerData: { path } });
    this.worker.on('message', (msg: WorkerResponse | { closed: true }) => {
      if ('closed' in msg) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if ('error' in msg) p.reject(new SqliteWorkerError(msg.error.message, msg.error.code));
      else {
        const result: { rows: unknown[]; numAffectedRows?: bigint; insertId?: bigint } = { rows: msg.rows };
        if (msg.numAffectedRows !== undefined) result.numAffectedRows = msg.numAffectedRows;
        if (msg.insertId !== undefined) result.insertId = msg.insertId;
        p.resolve(result);
      }
    });
    const fail = (err: Error) => {
      this.failure = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (this.pending.size > 0 || code !== 0) fail(new Error(`the SQLite thread exited (code ${code})`));
    });
  }

  /** Resolves once the database is open (the first statement answers), or rejects with why it cannot be. */
  async ready(): Promise<void> {
    await this.executeQuery(CompiledQuery.raw('select 1'));
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const req: WorkerRequest = { id, sql: compiledQuery.sql, parameters: compiledQuery.parameters };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: QueryResult<unknown>) => void, reject });
      this.worker.postMessage(req);
    });
  }

  // biome-ignore lint/correctness/useYield: streaming is not offered by this driver
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('the embedded SQLite driver does not stream; page the query instead');
  }

  async close(): Promise<void> {
    if (this.failure) {
      await this.worker.terminate();
      return;
    }
    await new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve());
      this.worker.once('message', (m: { closed?: boolean }) => {
        if (m.closed) void this.worker.terminate();
      });
      this.worker.postMessage({ close: true });
    });
  }
}

/** One connection, as SQLite has one writer: callers queue for it, a transaction holds it to the end. */
class WorkerDriver implements Driver {
  private readonly path: string;
  private connection: WorkerConnection | undefined;
  private lock: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;

  constructor(path: string) {
    this.path = path;
  }

  async init(): Promise<void> {
    this.connection = new WorkerConnection(this.path);
    await this.connection.ready();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.lock;
    let release!: () => void;
    this.lock = new Promise<void>((r) => {
      release = r;
    });
    await previous;
    this.release = release;
    return this.connection!;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    const r = this.release;
    this.release = undefined;
    r?.();
  }

  async destroy(): Promise<void> {
    await this.connection?.close();
  }
}

/** Kysely's SQLite dialect, with the connection on a worker thread (see sqlite-worker.ts for why). */
export class SqliteWorkerDialect implements Dialect {
  private readonly path: string;
  constructor(path: string) {
    this.path = path;
  }
  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }
  createDriver(): Driver {
    return new WorkerDriver(this.path);
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
