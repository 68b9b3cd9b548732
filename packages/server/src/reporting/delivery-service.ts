import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Clock, can, Permission, type SignedReport } from '@confer/core';
import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { AuditLog } from '../archive/audit-log.ts';
import { type Actor, AuditOutcome, Protocol, type RequestOrigin } from '../archive/ports.ts';
import type { Database } from '../store/schema.ts';
import type { ReportDeliveriesTable } from '../store/tables/report-delivery.ts';
import type { ReportDeliverySettings, ReportDestinationConfig } from './delivery-config.ts';
import { DeliveryError, DeliveryErrorCode } from './delivery-errors.ts';
import { destinationAddress, type SendOutcome, sendToDestination } from './delivery-transports.ts';
import type { ReportOutbox } from './report-outbox.ts';
import { renderReportPdf } from './report-pdf.ts';
import { siteLayout } from './report-pdf-site.ts';

/** PostgreSQL channel: a committed enqueue wakes every node's sender at once. */
export const DELIVERY_CHANNEL = 'confer_report_delivery';

export const DeliveryState = {
  Pending: 'pending',
  Sending: 'sending',
  Delivered: 'delivered',
  Failed: 'failed',
} as const;
export type DeliveryState = (typeof DeliveryState)[keyof typeof DeliveryState];

/** A delivery that gave up, as announced to coordinators. */
export interface DeliveryFailure {
  deliveryId: number;
  reportId: string;
  reportVersion: number;
  caseId: string;
  destinationId: string;
  attempts: number;
  error: string;
}

export interface ReportDeliveryDeps {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditLog;
  destinations: readonly ReportDestinationConfig[];
  settings: ReportDeliverySettings;
  /** Names this node in leases and attempts; host, pid and a random suffix when absent. */
  nodeId?: string;
  logger?: Logger;
  /** PostgreSQL: NOTIFY other nodes (and this one) when an enqueue commits. */
  notifyOtherNodes?: boolean;
  /** Tells coordinators that a delivery failed for good (the in-app notification service). */
  announceFailure?: (failure: DeliveryFailure) => Promise<void>;
  /** Send right after an enqueue commits (default); tests that drive passes themselves turn it off. */
  kickAfterCommit?: boolean;
}

/** A delivery as the API shows it. */
export interface DeliveryView {
  id: number;
  reportId: string;
  reportVersion: number;
  kind: string;
  caseId: string;
  destinationId: string;
  destinationType: string;
  state: string;
  messageControlId: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastAckCode: string | null;
  lastError: string | null;
  deliveredAt: string | null;
  failedAt: string | null;
  createdAt: string;
  attemptLog?: {
    attempt: number;
    startedAt: string;
    finishedAt: string;
    outcome: string;
    ackCode: string | null;
    error: string | null;
    node: string;
  }[];
}

const SYSTEM_ACTOR = { kind: 'system', id: 'confer', name: 'Confer report delivery' } as const;
const BATCH = 25;

type DeliveryRow = Selectable<ReportDeliveriesTable>;

function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString();
}

/** MSH-10 is at most 20 characters (v2.5.1 2.A.74 ST); 'CF' and 16 hex digits are unique enough to never repeat. */
function newControlId(): string {
  return `CF${randomBytes(8).toString('hex').toUpperCase()}`;
}

/**
 * The report outbox and its sender. `enqueue` stores the signed version and one delivery per matching
 * destination inside the signing transaction. `sendDue` (the clockwork, and a kick after each commit) claims
 * due deliveries with a conditional update, so several nodes on one PostgreSQL never send one twice; sends
 * each and waits for its acknowledgment; records the attempt; and retries with backoff until the last
 * attempt, when the delivery is marked failed and coordinators are told.
 */
export class ReportDeliveryService implements ReportOutbox {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private readonly audit: AuditLog;
  private readonly destinations: Map<string, ReportDestinationConfig>;
  private readonly settings: ReportDeliverySettings;
  private readonly nodeId: string;
  private readonly log: Logger | undefined;
  private readonly notifyChannel: string | undefined;
  private readonly announceFailure: ReportDeliveryDeps['announceFailure'];
  private readonly kickAfterCommit: boolean;
  private scheduled: Promise<void> | undefined;
  private running: Promise<number> | undefined;
  private again = false;
  private closed = false;

  constructor(deps: ReportDeliveryDeps) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.destinations = new Map(deps.destinations.map((d) => [d.id, d]));
    this.settings = deps.settings;
    // Host and pid, and a few random characters: two Confer instances in one process are two nodes too.
    this.nodeId = deps.nodeId ?? `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
    this.log = deps.logger;
    this.notifyChannel = deps.notifyOtherNodes ? DELIVERY_CHANNEL : undefined;
    this.announceFailure = deps.announceFailure;
    this.kickAfterCommit = deps.kickAfterCommit ?? true;
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  /** The destinations a report goes to: by site and kind, as configured. */
  destinationsFor(report: Pick<SignedReport, 'siteId' | 'kind'>): ReportDestinationConfig[] {
    return [...this.destinations.values()].filter(
      (d) =>
        (!d.sites || (report.siteId !== undefined && d.sites.includes(report.siteId))) &&
        (!d.kinds || d.kinds.includes(report.kind)),
    );
  }

  async enqueue(trx: Transaction<Database>, report: SignedReport): Promise<void> {
    const now = this.now();
    const existing = await trx
      .selectFrom('report_outputs')
      .select('id')
      .where('report_id', '=', report.reportId)
      .where('version', '=', report.version)
      .executeTakeFirst();
    // Signing the same version twice (a retried request) queues nothing new.
    if (existing) return;
    const output = await trx
      .insertInto('report_outputs')
      .values({
        report_id: report.reportId,
        version: report.version,
        kind: report.kind,
        case_id: report.caseId,
        study_uid: report.studyUid,
        accession_number: report.accessionNumber ?? null,
        patient_id: report.patient.id ?? null,
        site_id: report.siteId ?? null,
        signed_at: report.signedAt,
        report_json: JSON.stringify(report),
        created_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const targets = this.destinationsFor(report);
    if (targets.length > 0) {
      await trx
        .insertInto('report_deliveries')
        .values(
          targets.map((d) => ({
            output_fk: Number(output.id),
            report_id: report.reportId,
            report_version: report.version,
            destination_id: d.id,
            destination_type: d.type,
            state: DeliveryState.Pending,
            message_control_id: newControlId(),
            attempts: 0,
            next_attempt_at: now,
            lease_owner: null,
            lease_expires_at: null,
            last_ack_code: null,
            last_error: null,
            delivered_at: null,
            failed_at: null,
            version: 1,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
      // NOTIFY is delivered on commit only: exactly the "after commit" kick, on every node.
      if (this.notifyChannel)
        await sql`select pg_notify(${this.notifyChannel}, ${report.reportId})`.execute(trx);
    }
    // The send must not look before the signing transaction commits. SQLite has one connection, so this
    // pass queues behind the transaction until it lets go. On PostgreSQL the NOTIFY above is the kick: it is
    // delivered on commit, to every node (this pass, on another connection, may well find nothing yet). A lock
    // taken here and awaited after the commit would work too, but would tie concurrent signing transactions
    // (which take the audit lock as well) into possible deadlocks.
    if (targets.length > 0 && this.kickAfterCommit && !this.scheduled)
      this.scheduled = new Promise<void>((resolve) =>
        setImmediate(() => {
          this.scheduled = undefined;
          this.kick();
          resolve();
        }),
      );
  }

  /** Starts a send pass unless one is running (then that pass runs once more). Never throws. */
  kick(): void {
    if (this.closed) return;
    void this.sendDue().catch((err: Error) =>
      this.log?.warn({ err: err.message }, 'report delivery pass failed; the clockwork retries'),
    );
  }

  /**
   * Sends every due delivery this node can claim; resolves with how many attempts it made. Concurrent calls
   * share the running pass, which then goes round once more so nothing enqueued meanwhile waits for a tick.
   */
  sendDue(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let total = 0;
      // Destinations that failed at the transport level (unreachable, no ACK) in this round: the rest of their
      // queue waits for the next tick instead of each delivery spending an attempt on the same outage.
      const unreachable = new Set<string>();
      try {
        do {
          this.again = false;
          for (;;) {
            const n = await this.pass(unreachable);
            total += n;
            if (n === 0) break;
          }
        } while (this.again && !this.closed);
      } finally {
        this.running = undefined;
      }
      return total;
    })();
    return this.running;
  }

  /** Waits for a running pass (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.scheduled || this.running) {
      await this.scheduled;
      await this.running?.catch(() => {});
    }
  }

  /** Stops starting passes; lets the current one finish. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  private async pass(unreachable: Set<string>): Promise<number> {
    const now = this.now();
    const due = await this.db
      .selectFrom('report_deliveries as d')
      .select(['d.id', 'd.version', 'd.destination_id'])
      .where((eb) =>
        eb.or([
          eb.and([eb('d.state', '=', DeliveryState.Pending), eb('d.next_attempt_at', '<=', now)]),
          eb.and([eb('d.state', '=', DeliveryState.Sending), eb('d.lease_expires_at', '<=', now)]),
        ]),
      )
      // Versions of one report reach a destination in order: a final never overtakes its preliminary.
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('report_deliveries as e')
              .select('e.id')
              .whereRef('e.report_id', '=', 'd.report_id')
              .whereRef('e.destination_id', '=', 'd.destination_id')
              .whereRef('e.id', '<', 'd.id')
              .where('e.state', 'in', [DeliveryState.Pending, DeliveryState.Sending]),
          ),
        ),
      )
      .orderBy('d.id')
      .limit(BATCH)
      .execute();
    // One connection per message, one message at a time per destination; destinations in parallel. Each
    // delivery is claimed just before it is sent, so its lease covers its own wait for the ACK and not the
    // queue in front of it (a slow receiver must not let another node take over deliveries not yet sent).
    const byDestination = new Map<string, { id: number; version: number }[]>();
    for (const c of due) {
      if (unreachable.has(c.destination_id)) continue;
      const list = byDestination.get(c.destination_id) ?? [];
      list.push({ id: Number(c.id), version: Number(c.version) });
      byDestination.set(c.destination_id, list);
    }
    let attempted = 0;
    await Promise.all(
      [...byDestination.entries()].map(async ([destinationId, candidates]) => {
        for (const c of candidates) {
          const got = await this.claim(c.id, c.version, this.now());
          if (!got) continue;
          if (got.tookOver) await this.recordLostAttempt(got.row);
          const outcome = await this.attempt(got.row);
          attempted++;
          if (outcome === 'error') {
            unreachable.add(destinationId);
            break;
          }
        }
      }),
    );
    return attempted;
  }

  private async claim(id: number, version: number, now: number) {
    const before = await this.db
      .selectFrom('report_deliveries')
      .select(['state', 'destination_id'])
      .where('id', '=', id)
      .executeTakeFirst();
    const dest = before ? this.destinations.get(before.destination_id) : undefined;
    const timeouts =
      dest?.type === 'hl7-mllp'
        ? (dest.connectTimeoutMs ?? this.settings.connectTimeoutMs) +
          (dest.ackTimeoutMs ?? this.settings.ackTimeoutMs)
        : (dest?.timeoutMs ?? this.settings.connectTimeoutMs + this.settings.ackTimeoutMs);
    // The lease outlives the longest wait for an ACK, so no other node resends while this one still listens.
    const leaseMs = Math.max(this.settings.leaseMs, timeouts + 5_000);
    const row = await this.db
      .updateTable('report_deliveries')
      .set({
        state: DeliveryState.Sending,
        lease_owner: this.nodeId,
        lease_expires_at: now + leaseMs,
        attempts: sql<number>`attempts + 1`,
        version: sql<number>`version + 1`,
        updated_at: now,
      })
      .where('id', '=', id)
      .where('version', '=', version)
      .returningAll()
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      row: { ...row, id: Number(row.id) } as DeliveryRow,
      tookOver: before?.state === DeliveryState.Sending,
    };
  }

  /** A node that claimed a delivery and stopped before recording its outcome: its attempt is lost. */
  private async recordLostAttempt(row: DeliveryRow): Promise<void> {
    const now = this.now();
    await this.db
      .insertInto('report_delivery_attempts')
      .values({
        delivery_fk: row.id,
        attempt: row.attempts - 1,
        started_at: now,
        finished_at: now,
        outcome: 'error',
        ack_code: null,
        error: 'the node sending it stopped before recording an acknowledgment; sent again (same control id)',
        node: this.nodeId,
      })
      .execute();
  }

  private async attempt(row: DeliveryRow): Promise<SendOutcome['outcome']> {
    const startedAt = this.now();
    const output = await this.db
      .selectFrom('report_outputs')
      .selectAll()
      .where('id', '=', row.output_fk)
      .executeTakeFirst();
    const destination = this.destinations.get(row.destination_id);
    let result: SendOutcome;
    let report: SignedReport | undefined;
    if (!output)
      result = { outcome: 'rejected', ackCode: null, error: 'the signed report is missing from the outbox' };
    else if (!destination)
      result = {
        outcome: 'rejected',
        ackCode: null,
        error: `destination "${row.destination_id}" is no longer configured (reportDestinations)`,
      };
    else {
      report = JSON.parse(output.report_json) as SignedReport;
      const corrected = report.kind === 'final' && (await this.hasEarlierFinal(report));
      const layout = await siteLayout(this.db, report.siteId);
      try {
        result = await sendToDestination({
          report,
          destination,
          controlId: row.message_control_id,
          corrected,
          now: startedAt,
          settings: this.settings,
          pdf: () => renderReportPdf(report!, layout),
        });
      } catch (err) {
        result = { outcome: 'error', ackCode: null, error: `could not send: ${(err as Error).message}` };
      }
    }
    await this.finish(row, result, startedAt, output ?? undefined, destination);
    return result.outcome;
  }

  private async hasEarlierFinal(report: SignedReport): Promise<boolean> {
    const r = await this.db
      .selectFrom('report_outputs')
      .select('id')
      .where('report_id', '=', report.reportId)
      .where('version', '<', report.version)
      .where('kind', '=', 'final')
      .limit(1)
      .executeTakeFirst();
    return Boolean(r);
  }

  private retryDelay(attempts: number): number {
    const delays = this.settings.retryDelaysMs;
    return delays[Math.min(attempts - 1, delays.length - 1)] ?? 60_000;
  }

  private async finish(
    row: DeliveryRow,
    result: SendOutcome,
    startedAt: number,
    output: Selectable<Database['report_outputs']> | undefined,
    destination: ReportDestinationConfig | undefined,
  ): Promise<void> {
    const now = this.now();
    const accepted = result.outcome === 'accepted';
    // A missing destination or report cannot get better by waiting.
    const hopeless = !destination || !output;
    const giveUp = !accepted && (hopeless || row.attempts >= this.settings.maxAttempts);
    const state = accepted ? DeliveryState.Delivered : giveUp ? DeliveryState.Failed : DeliveryState.Pending;
    const error = result.outcome === 'accepted' ? null : result.error;
    const owned = await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('report_delivery_attempts')
        .values({
          delivery_fk: row.id,
          attempt: row.attempts,
          started_at: startedAt,
          finished_at: now,
          outcome: result.outcome,
          ack_code: result.ackCode,
          error,
          node: this.nodeId,
        })
        .execute();
      const updated = await trx
        .updateTable('report_deliveries')
        .set({
          state,
          lease_owner: null,
          lease_expires_at: null,
          last_ack_code: result.ackCode,
          last_error: error,
          next_attempt_at:
            state === DeliveryState.Pending ? now + this.retryDelay(row.attempts) : row.next_attempt_at,
          delivered_at: accepted ? now : null,
          failed_at: giveUp ? now : null,
          version: sql<number>`version + 1`,
          updated_at: now,
        })
        .where('id', '=', row.id)
        .where('version', '=', row.version)
        .where('lease_owner', '=', this.nodeId)
        .returning('id')
        .executeTakeFirst();
      await this.audit.append(trx, [
        {
          action: 'report-send',
          actor: SYSTEM_ACTOR,
          origin: {
            protocol: row.destination_type === 'fhir' ? Protocol.Fhir : Protocol.Hl7,
            remoteAddress: destination ? destinationAddress(destination) : row.destination_id,
          },
          outcome: accepted ? AuditOutcome.Success : AuditOutcome.Failure,
          studyUid: output?.study_uid ?? null,
          patientId: output?.patient_id ?? null,
          detail: `report ${row.report_id} v${row.report_version} to ${row.destination_id}, attempt ${row.attempts}, control id ${row.message_control_id}: ${
            accepted ? `accepted (${result.ackCode})` : error
          }${giveUp ? '; gave up' : ''}`,
        },
      ]);
      return Boolean(updated);
    });
    if (!owned) {
      // Our lease ran out and another node took the delivery over; its outcome stands, ours is only logged.
      this.log?.warn({ deliveryId: row.id }, 'report delivery lease lost before the outcome was recorded');
      return;
    }
    if (!accepted)
      this.log?.warn(
        {
          deliveryId: row.id,
          destination: row.destination_id,
          attempt: row.attempts,
          ackCode: result.ackCode,
          giveUp,
        },
        'report delivery attempt failed',
      );
    if (giveUp && this.announceFailure && output) {
      await this.announceFailure({
        deliveryId: row.id,
        reportId: row.report_id,
        reportVersion: row.report_version,
        caseId: output.case_id,
        destinationId: row.destination_id,
        attempts: row.attempts,
        error: error ?? 'failed',
      }).catch((err: Error) =>
        this.log?.warn({ err: err.message }, 'could not announce a failed report delivery'),
      );
    }
  }

  // --- The operator's view: lists and the retry command (report:manage). ---

  private requireManage(actor: Actor): void {
    if (!can(actor.roles, Permission.ReportManage))
      throw new DeliveryError(
        403,
        DeliveryErrorCode.Forbidden,
        'seeing and retrying report deliveries needs the report:manage permission (coordinators, admins)',
      );
  }

  /** Deliveries across reports, newest first, optionally by state and destination. */
  async list(
    actor: Actor,
    filter: { state?: string; destinationId?: string; limit?: number },
    origin: RequestOrigin,
  ): Promise<DeliveryView[]> {
    this.requireManage(actor);
    let q = this.db
      .selectFrom('report_deliveries as d')
      .innerJoin('report_outputs as o', 'o.id', 'd.output_fk')
      .selectAll('d')
      .select(['o.kind', 'o.case_id'])
      .orderBy('d.id', 'desc')
      .limit(Math.min(filter.limit ?? 100, 1000));
    if (filter.state) q = q.where('d.state', '=', filter.state);
    if (filter.destinationId) q = q.where('d.destination_id', '=', filter.destinationId);
    const rows = await q.execute();
    await this.audit.record({
      action: 'report-deliveries-list',
      actor,
      origin,
      outcome: AuditOutcome.Success,
      detail: `state=${filter.state ?? 'any'} destination=${filter.destinationId ?? 'any'}: ${rows.length} rows`,
    });
    return rows.map((r) => toView(r));
  }

  /** Every delivery of one report, with each attempt. Access is decided by the caller (see ReportReader). */
  async forReport(reportId: string): Promise<DeliveryView[]> {
    const rows = await this.db
      .selectFrom('report_deliveries as d')
      .innerJoin('report_outputs as o', 'o.id', 'd.output_fk')
      .selectAll('d')
      .select(['o.kind', 'o.case_id'])
      .where('d.report_id', '=', reportId)
      .orderBy('d.id')
      .execute();
    if (rows.length === 0) return [];
    const attempts = await this.db
      .selectFrom('report_delivery_attempts')
      .selectAll()
      .where(
        'delivery_fk',
        'in',
        rows.map((r) => Number(r.id)),
      )
      .orderBy('id')
      .execute();
    return rows.map((r) =>
      toView(
        r,
        attempts.filter((a) => Number(a.delivery_fk) === Number(r.id)),
      ),
    );
  }

  /**
   * Sends a failed (or waiting) delivery again now, with a fresh set of attempts. The same control id is
   * kept: it is the same message, and a receiver that did store it can tell.
   */
  async retry(actor: Actor, id: number, origin: RequestOrigin): Promise<DeliveryView> {
    this.requireManage(actor);
    const now = this.now();
    const row = await this.db
      .selectFrom('report_deliveries')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new DeliveryError(404, DeliveryErrorCode.NotFound, `no report delivery ${id}`);
    if (row.state !== DeliveryState.Failed && row.state !== DeliveryState.Pending)
      throw new DeliveryError(
        409,
        DeliveryErrorCode.NotRetryable,
        `delivery ${id} is ${row.state}; only failed or waiting deliveries can be retried`,
        { state: row.state },
      );
    if (!this.destinations.has(row.destination_id))
      throw new DeliveryError(
        409,
        DeliveryErrorCode.NotRetryable,
        `destination "${row.destination_id}" is no longer configured; add it back to reportDestinations first`,
      );
    const output = await this.db
      .selectFrom('report_outputs')
      .select(['study_uid', 'patient_id'])
      .where('id', '=', row.output_fk)
      .executeTakeFirst();
    const updated = await this.db.transaction().execute(async (trx) => {
      const u = await trx
        .updateTable('report_deliveries')
        .set({
          state: DeliveryState.Pending,
          attempts: 0,
          next_attempt_at: now,
          failed_at: null,
          version: sql<number>`version + 1`,
          updated_at: now,
        })
        .where('id', '=', id)
        .where('version', '=', row.version)
        .returning('id')
        .executeTakeFirst();
      if (u)
        await this.audit.append(trx, [
          {
            action: 'report-delivery-retry',
            actor,
            origin,
            outcome: AuditOutcome.Success,
            studyUid: output?.study_uid ?? null,
            patientId: output?.patient_id ?? null,
            detail: `delivery ${id} of report ${row.report_id} v${row.report_version} to ${row.destination_id}`,
          },
        ]);
      return u;
    });
    if (!updated)
      throw new DeliveryError(
        409,
        DeliveryErrorCode.Busy,
        `delivery ${id} changed meanwhile; look again and retry`,
      );
    // The view is read before the kick, so it shows the command's own outcome.
    const view = (await this.forReport(row.report_id)).find((v) => v.id === id)!;
    this.kick();
    return view;
  }
}

function toView(
  r: Selectable<Database['report_deliveries']> & { kind: string; case_id: string },
  attempts?: Selectable<Database['report_delivery_attempts']>[],
): DeliveryView {
  return {
    id: Number(r.id),
    reportId: r.report_id,
    reportVersion: r.report_version,
    kind: r.kind,
    caseId: r.case_id,
    destinationId: r.destination_id,
    destinationType: r.destination_type,
    state: r.state,
    messageControlId: r.message_control_id,
    attempts: r.attempts,
    nextAttemptAt: r.state === DeliveryState.Pending ? iso(r.next_attempt_at) : null,
    lastAckCode: r.last_ack_code,
    lastError: r.last_error,
    deliveredAt: iso(r.delivered_at),
    failedAt: iso(r.failed_at),
    createdAt: iso(r.created_at)!,
    ...(attempts
      ? {
          attemptLog: attempts.map((a) => ({
            attempt: a.attempt,
            startedAt: iso(a.started_at)!,
            finishedAt: iso(a.finished_at)!,
            outcome: a.outcome,
            ackCode: a.ack_code,
            error: a.error,
            node: a.node,
          })),
        }
      : {}),
  };
}
