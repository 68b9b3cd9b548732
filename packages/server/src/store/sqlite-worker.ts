import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';

/**
 * Owns the embedded SQLite connection on its own thread. better-sqlite3 is synchronous: run on the main
 * thread, every commit's fsync (synchronous=FULL) would stall every socket. Here it stalls only this thread,
 * while the main thread keeps receiving, writing files and queueing the next group commit.
 */
export interface WorkerRequest {
  id: number;
  sql: string;
  parameters: readonly unknown[];
}

export type WorkerResponse =
  | { id: number; rows: unknown[]; numAffectedRows?: bigint; insertId?: bigint }
  | { id: number; error: { message: string; code?: string } };

const { path } = workerData as { path: string };
const db = new SqliteDatabase(path);
db.pragma('journal_mode = WAL');
// FULL: a commit is on disk when it returns; success is acknowledged only after it.
db.pragma('synchronous = FULL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
// PostgreSQL's LIKE is case sensitive; make SQLite's the same so both match wildcards identically.
db.pragma('case_sensitive_like = ON');
db.defaultSafeIntegers(false);

const statements = new Map<string, SqliteDatabase.Statement>();

function execute(req: WorkerRequest): WorkerResponse {
  let stmt = statements.get(req.sql);
  if (!stmt) {
    stmt = db.prepare(req.sql);
    if (statements.size > 500) statements.clear();
    statements.set(req.sql, stmt);
  }
  if (stmt.reader) return { id: req.id, rows: stmt.all(...(req.parameters as unknown[])) };
  const r = stmt.run(...(req.parameters as unknown[]));
  return { id: req.id, rows: [], numAffectedRows: BigInt(r.changes), insertId: BigInt(r.lastInsertRowid) };
}

parentPort!.on('message', (req: WorkerRequest | { close: true }) => {
  if ('close' in req) {
    db.close();
    parentPort!.postMessage({ closed: true });
    return;
  }
  let res: WorkerResponse;
  try {
    res = execute(req);
  } catch (err) {
    const e = err as { message: string; code?: string };
    res = { id: req.id, error: { message: e.message, ...(e.code ? { code: e.code } : {}) } };
  }
  parentPort!.postMessage(res);
});
