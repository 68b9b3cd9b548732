import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { AuditLog } from './audit-log.ts';
import type { AuditEvent, AuditSink } from './ports.ts';

interface Waiting {
  event: AuditEvent;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Most events one transaction appends; a bigger backlog is split so no commit grows without bound. */
const MAX_BATCH = 256;

/**
 * Group commit for audit records on a busy read path. A viewer asks for hundreds of frames a second and
 * every request is an access to patient data that must be audited before its bytes go out. One transaction
 * per request (begin, read the chain's last hash, insert, commit with its fsync) holds the database's one
 * writer for each of them in turn; here, the events that arrive while a commit runs wait for the next one
 * and go in together. The guarantee is unchanged: `record` resolves only once its own row is durable, in
 * the hash chain, in arrival order; a failed commit rejects every event of that batch, so none of their
 * requests is answered. A lone request meets no delay: with nothing running, its commit starts at once.
 */
export class AuditGroupCommit implements AuditSink {
  private readonly db: Kysely<Database>;
  private readonly audit: AuditLog;
  private queue: Waiting[] = [];
  private running = false;

  constructor(db: Kysely<Database>, audit: AuditLog) {
    this.db = db;
    this.audit = audit;
  }

  /** Appends `event` to the audit trail; resolves once it is committed. */
  record(event: AuditEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          await this.db.transaction().execute((trx) =>
            this.audit.append(
              trx,
              batch.map((w) => w.event),
            ),
          );
          for (const w of batch) w.resolve();
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
