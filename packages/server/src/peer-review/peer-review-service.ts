import { createHash } from 'node:crypto';
import {
  type Clock,
  can,
  chooseReviewer,
  DEFAULT_PEER_REVIEW_SETTINGS,
  type DiscrepancyAction,
  DiscrepancyState,
  isDiscrepancy,
  type PeerReviewScoreInput,
  type PeerReviewSettings,
  type PeerReviewSummary,
  Permission,
  type Reader,
  ReaderResponse,
  sampleCase,
  scoreCode,
  stepDiscrepancy,
  summariseBy,
  summariseScores,
  validatePeerReviewSettings,
  validateScore,
} from '@confer/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { AuditLog } from '../archive/audit-log.ts';
import type { Actor, AuditEvent, RequestOrigin } from '../archive/ports.ts';
import type { AccessService } from '../auth/access-service.ts';
import type { Database } from '../store/schema.ts';
import type { PeerReviewsTable } from '../store/tables/peer-review-boards.ts';
import type { RoutingConfigStore } from '../worklist/routing-config-store.ts';
import { type CaseMaterial, type CaseReportView, DomainError, type Notifier } from './ports.ts';

export const PeerReviewErrorCode = {
  Forbidden: 'CONFER_ERR_FORBIDDEN',
  NotAReader: 'CONFER_ERR_NOT_A_READER',
  NotFound: 'CONFER_ERR_PEER_REVIEW_NOT_FOUND',
  NotYourReview: 'CONFER_ERR_PEER_REVIEW_NOT_YOURS',
  AlreadyScored: 'CONFER_ERR_PEER_REVIEW_ALREADY_SCORED',
  InvalidScore: 'CONFER_ERR_PEER_REVIEW_SCORE_INVALID',
  InvalidSettings: 'CONFER_ERR_PEER_REVIEW_SETTINGS_INVALID',
  DiscrepancyState: 'CONFER_ERR_DISCREPANCY_STATE',
  BadRequest: 'CONFER_ERR_BAD_REQUEST',
} as const;
const C = PeerReviewErrorCode;

const SYSTEM_ACTOR = { kind: 'system', id: 'confer', name: 'peer review sampling' } as const;
const CLOCKWORK: RequestOrigin = { protocol: 'api', remoteAddress: 'clockwork' };
const CURSOR = 'finalized';
/** Confer reading a report on a reviewer's behalf (the reviewer's own access is checked and audited here). */
const REPORT_READER: Actor = {
  kind: 'system',
  id: 'confer',
  name: 'peer review',
  roles: ['admin'],
  siteId: null,
};
const DAY_MS = 86_400_000;
/** How many event ids behind the cursor sampling looks again, for finalisations that committed late. */
const LOOKBACK_EVENTS = 200;

export interface PeerReviewDeps {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditLog;
  routing: RoutingConfigStore;
  access: AccessService;
  notifier?: Notifier;
  material?: CaseMaterial;
  logger?: Logger;
}

/** A person as a review shows them; null where anonymisation hides them from the viewer. */
export interface PersonRef {
  id: string;
  name: string;
}

/** A review as the API shows it, with names hidden per the viewer and the anonymisation setting. */
export interface PeerReviewView {
  id: string;
  caseId: string;
  studyUid: string;
  modalities: string[];
  procedure: string | null;
  accessionNumber: string | null;
  state: string;
  finalizedAt: string;
  sampledAt: string;
  dueAt: string;
  overdue: boolean;
  /** Null when hidden from this viewer. */
  originalReader: PersonRef | null;
  reviewer: PersonRef | null;
  /** Whether a name was hidden from this viewer. */
  anonymised: boolean;
  score: number | null;
  significance: string | null;
  scoreCode: string | null;
  comment: string | null;
  scoredAt: string | null;
  discrepancy: {
    state: string;
    response: string | null;
    readerComment: string | null;
    respondedAt: string | null;
    escalatedAt: string | null;
    closedAt: string | null;
    leadNote: string | null;
  } | null;
  /** How the case came to be sampled (quality leads only). */
  sample?: { rate: number; source: string; draw: number };
}

/** A review with what the reviewer reads: the case, its series and the signed report. */
export interface PeerReviewDetail extends PeerReviewView {
  patientName: string | null;
  patientId: string | null;
  series: { seriesUid: string; modality: string | null; description: string | null; instances: number }[];
  report: CaseReportView | null;
}

export interface SummaryQuery {
  from?: number;
  to?: number;
}

type ReviewRow = Selectable<PeerReviewsTable>;
type Viewer = { readerId: string | undefined; manager: boolean };

/**
 * Peer review: samples finalised cases at the configured rates, assigns each to a qualified reader other
 * than the one who reported it, takes RADPEER scores, runs the discrepancy workflow back to the original
 * reader, and summarises scores per reader and modality. Access is checked here, and every access to a
 * case and every change is audited in the transaction that makes it.
 */
export class PeerReviewService {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private readonly audit: AuditLog;
  private readonly routing: RoutingConfigStore;
  private readonly access: AccessService;
  private readonly notifier: Notifier | undefined;
  private readonly material: CaseMaterial | undefined;
  private readonly log: Logger | undefined;
  private sampling: Promise<number> | undefined;
  /** Cases this node has already decided (sampled or not), so the look-back does not decide them twice. */
  private readonly decided = new Set<string>();

  constructor(deps: PeerReviewDeps) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.routing = deps.routing;
    this.access = deps.access;
    this.notifier = deps.notifier;
    this.material = deps.material;
    this.log = deps.logger;
  }

  // ---------------------------------------------------------------- settings

  /** The live sampling settings (the defaults until a quality lead saves some). */
  async settings(): Promise<PeerReviewSettings & { savedAt: string | null; savedBy: string | null }> {
    const row = await this.db
      .selectFrom('peer_review_settings')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row) return { ...DEFAULT_PEER_REVIEW_SETTINGS, savedAt: null, savedBy: null };
    return {
      ...DEFAULT_PEER_REVIEW_SETTINGS,
      ...(JSON.parse(row.settings_json) as PeerReviewSettings),
      savedAt: new Date(Number(row.saved_at)).toISOString(),
      savedBy: row.saved_by,
    };
  }

  async readSettings(actor: Actor): Promise<Awaited<ReturnType<PeerReviewService['settings']>>> {
    this.requireManager(actor);
    return this.settings();
  }

  /** Saves new settings (a quality lead); they apply to cases finalised from now on. */
  async saveSettings(actor: Actor, input: unknown, origin: RequestOrigin): Promise<PeerReviewSettings> {
    this.requireManager(actor);
    const merged = { ...DEFAULT_PEER_REVIEW_SETTINGS, ...(isRecord(input) ? input : {}) };
    const errors = isRecord(input)
      ? validatePeerReviewSettings(merged)
      : [{ path: '', message: 'must be an object' }];
    if (errors.length > 0)
      throw new DomainError(
        422,
        C.InvalidSettings,
        'Invalid peer review settings',
        `the peer review settings are invalid: ${errors.map((e) => `${e.path || '(document)'}: ${e.message}`).join('; ')}`,
        { errors },
      );
    const settings: PeerReviewSettings = {
      enabled: merged.enabled,
      rate: merged.rate,
      byModality: Object.fromEntries(Object.entries(merged.byModality).map(([m, r]) => [m.toUpperCase(), r])),
      byReader: merged.byReader,
      seed: merged.seed,
      targetDays: merged.targetDays,
      anonymise: merged.anonymise,
    };
    await this.write(async (trx) => {
      await trx
        .insertInto('peer_review_settings')
        .values({
          settings_json: JSON.stringify(settings),
          saved_at: this.now(),
          saved_by: actor.username ?? actor.name,
        })
        .execute();
      await this.audit.append(trx, [
        {
          action: 'peer-review-settings',
          actor,
          origin,
          outcome: 'success',
          detail: `rate ${settings.rate}, ${Object.keys(settings.byModality).length} modality and ${Object.keys(settings.byReader).length} reader rates, anonymise ${settings.anonymise}`,
        },
      ]);
    });
    return settings;
  }

  // ---------------------------------------------------------------- sampling

  /**
   * Reads cases finalised since the cursor and samples them; called by the clockwork on every tick. Runs
   * once at a time per node; two nodes sampling the same finalisation write one review (unique case id).
   * Returns how many reviews it created.
   */
  sampleFinalised(limit = 500): Promise<number> {
    this.sampling ??= this.sampleOnce(limit).finally(() => {
      this.sampling = undefined;
    });
    return this.sampling;
  }

  private async sampleOnce(limit: number): Promise<number> {
    const cursor = await this.db
      .selectFrom('peer_review_cursor')
      .select('last_event_id')
      .where('name', '=', CURSOR)
      .executeTakeFirst();
    const cursorAt = Number(cursor?.last_event_id ?? 0);
    // On PostgreSQL ids can commit out of order: look back a little, and skip cases already decided.
    const after = Math.max(0, cursorAt - LOOKBACK_EVENTS);
    const events = await this.db
      .selectFrom('case_events')
      .select(['id', 'case_id', 'at', 'actor'])
      .where('type', '=', 'case:finalized')
      .where('id', '>', after)
      .orderBy('id')
      .limit(limit)
      .execute();
    if (events.length === 0) return 0;
    const fresh = events.filter((e) => !this.decided.has(e.case_id));
    const reviewed = new Set(
      fresh.length === 0
        ? []
        : (
            await this.db
              .selectFrom('peer_reviews')
              .select('case_id')
              .where(
                'case_id',
                'in',
                fresh.map((e) => e.case_id),
              )
              .execute()
          ).map((r) => r.case_id),
    );
    const settings = await this.settings();
    const readers = this.routing.current()?.config.readers ?? [];
    let created = 0;
    let last = cursorAt;
    for (const e of events) {
      if (e.actor && !this.decided.has(e.case_id) && !reviewed.has(e.case_id)) {
        try {
          if (await this.sampleOne(settings, readers, e.case_id, e.actor, Number(e.at))) created++;
        } catch (err) {
          // Stop here and try this case again on the next tick (the database may be briefly away).
          this.log?.warn(
            { caseId: e.case_id, err: (err as Error).message },
            'peer review sampling failed; will retry',
          );
          break;
        }
      }
      this.decide(e.case_id);
      last = Math.max(last, Number(e.id));
    }
    if (last > cursorAt)
      await this.db
        .insertInto('peer_review_cursor')
        .values({ name: CURSOR, last_event_id: last })
        .onConflict((oc) => oc.column('name').doUpdateSet({ last_event_id: last }))
        .execute();
    return created;
  }

  private decide(caseId: string): void {
    if (this.decided.size >= 20_000) this.decided.clear();
    this.decided.add(caseId);
  }

  private async sampleOne(
    settings: PeerReviewSettings,
    readers: readonly Reader[],
    caseId: string,
    originalReaderId: string,
    finalizedAt: number,
  ): Promise<boolean> {
    const row = await this.db
      .selectFrom('cases')
      .select(['id', 'study_uid', 'modalities', 'patient_id'])
      .where('id', '=', caseId)
      .executeTakeFirst();
    if (!row) return false;
    const modalities = row.modalities.split('\\').filter(Boolean);
    const facts = { caseId, modalities, originalReaderId };
    const decision = sampleCase(settings, facts);
    if (!decision.sampled) return false;
    const open = await this.db
      .selectFrom('peer_reviews')
      .select(['reviewer_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('state', '=', 'assigned')
      .groupBy('reviewer_id')
      .execute();
    const choice = chooseReviewer(readers, facts, {
      seed: settings.seed,
      openReviews: new Map(open.map((o) => [o.reviewer_id, Number(o.n)])),
    });
    if (!choice.ok) {
      await this.audit.record({
        action: 'peer-review-sample',
        actor: SYSTEM_ACTOR,
        origin: CLOCKWORK,
        outcome: 'failure',
        studyUid: row.study_uid,
        patientId: row.patient_id,
        detail: `${caseId} sampled (rate ${decision.rate}) but not assigned: ${choice.reason}`,
      });
      return false;
    }
    const now = this.now();
    const id = reviewIdFor(caseId);
    const reviewer = readers.find((r) => r.id === choice.reviewerId)!;
    return this.write(async (trx) => {
      const inserted = await trx
        .insertInto('peer_reviews')
        .values({
          id,
          case_id: caseId,
          study_uid: row.study_uid,
          modalities: row.modalities,
          original_reader_id: originalReaderId,
          reviewer_id: choice.reviewerId,
          state: 'assigned',
          finalized_at: finalizedAt,
          sampled_at: now,
          due_at: now + settings.targetDays * DAY_MS,
          sample_rate: decision.rate,
          sample_source: decision.source,
          sample_draw: decision.draw,
        })
        .onConflict((oc) => oc.column('case_id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) return false;
      await this.audit.append(trx, [
        {
          action: 'peer-review-sample',
          actor: SYSTEM_ACTOR,
          origin: CLOCKWORK,
          outcome: 'success',
          studyUid: row.study_uid,
          patientId: row.patient_id,
          detail: `${id} for ${caseId}: ${decision.source} rate ${decision.rate}, draw ${decision.draw.toFixed(4)}, reviewer ${choice.reviewerId}`,
        },
      ]);
      if (reviewer.username)
        await this.notifier?.notify(
          {
            usernames: [reviewer.username],
            kind: 'peer-review:assigned',
            title: `Peer review assigned: ${modalities.join('/') || 'case'} due in ${settings.targetDays} days`,
            body: 'A finalised case was sampled for peer review. Score it RADPEER-style.',
            caseId,
            link: `#/peer-review?review=${encodeURIComponent(id)}`,
          },
          trx,
        );
      return true;
    });
  }

  // ---------------------------------------------------------------- the reviewer

  /** Reviews assigned to the signed-in reader, newest first. */
  async myReviews(actor: Actor, origin: RequestOrigin): Promise<PeerReviewView[]> {
    const readerId = this.requireScorer(actor);
    const rows = await this.db
      .selectFrom('peer_reviews')
      .selectAll()
      .where('reviewer_id', '=', readerId)
      .orderBy('sampled_at', 'desc')
      .limit(500)
      .execute();
    await this.audit.record({
      action: 'peer-review-list',
      actor,
      origin,
      outcome: 'success',
      detail: 'assigned to me',
    });
    return this.views(rows, { readerId, manager: false });
  }

  /** One review with the case, its series and report, for its reviewer or a quality lead. */
  async detail(actor: Actor, id: string, origin: RequestOrigin): Promise<PeerReviewDetail> {
    const row = await this.reviewRow(id);
    const viewer = this.viewerOf(actor);
    const allowed =
      viewer.manager ||
      (can(actor.roles, Permission.PeerReviewScore) &&
        (row.reviewer_id === viewer.readerId || row.original_reader_id === viewer.readerId));
    const caseRow = await this.db
      .selectFrom('cases')
      .select(['procedure_text', 'accession_number', 'patient_name', 'patient_id'])
      .where('id', '=', row.case_id)
      .executeTakeFirst();
    const event: AuditEvent = {
      action: 'peer-review-view',
      actor,
      origin,
      outcome: allowed ? 'success' : 'denied',
      studyUid: row.study_uid,
      patientId: caseRow?.patient_id ?? null,
      detail: `${row.id} (${row.case_id})`,
    };
    await this.audit.record(event);
    if (!allowed)
      throw new DomainError(
        403,
        C.NotYourReview,
        'Not your review',
        'this review is assigned to another reader; only its reviewer, the original reader and quality leads may open it',
      );
    const [view] = await this.views([row], viewer);
    const series = await this.db
      .selectFrom('series')
      .innerJoin('studies', 'studies.id', 'series.study_fk')
      .select(['series.series_uid', 'series.modality', 'series.description', 'series.num_instances'])
      .where('studies.study_uid', '=', row.study_uid)
      .orderBy('series.series_number')
      .execute();
    // Read by Confer for the reviewer, who may not have the case on a worklist; the view above is audited.
    let report =
      (await this.material?.report?.(REPORT_READER, row.case_id, origin).catch(() => null)) ?? null;
    // The report's signature names the original reader: hidden from the reviewer like the rest.
    if (report && view!.originalReader === null) {
      const { authorName: _hidden, ...rest } = report;
      const name = this.reader(row.original_reader_id)?.name;
      report = name ? { ...rest, text: rest.text.split(name).join('[the original reader]') } : rest;
    }
    return {
      ...view!,
      procedure: caseRow?.procedure_text ?? null,
      accessionNumber: caseRow?.accession_number ?? null,
      patientName: caseRow?.patient_name ?? null,
      patientId: caseRow?.patient_id ?? null,
      series: series.map((s) => ({
        seriesUid: s.series_uid,
        modality: s.modality,
        description: s.description,
        instances: Number(s.num_instances),
      })),
      report,
    };
  }

  /** The reviewer's RADPEER score; a discrepancy goes back to the original reader at once. */
  async score(
    actor: Actor,
    id: string,
    input: PeerReviewScoreInput,
    origin: RequestOrigin,
  ): Promise<PeerReviewView> {
    const readerId = this.requireScorer(actor);
    const row = await this.reviewRow(id);
    if (row.reviewer_id !== readerId)
      throw new DomainError(
        403,
        C.NotYourReview,
        'Not your review',
        'only the assigned reviewer may score this case',
      );
    if (row.state !== 'assigned')
      throw new DomainError(
        409,
        C.AlreadyScored,
        'Already scored',
        `this review was scored ${scoreCode(row.score ?? 0, row.significance)} on ${iso(row.scored_at)}; ask a quality lead if it must change`,
      );
    const v = validateScore(input);
    if (!v.ok) throw new DomainError(400, C.InvalidScore, 'Invalid score', v.message);
    const { score, significance, comment } = v.value;
    const discrepancy = isDiscrepancy(score, significance);
    const now = this.now();
    const settings = await this.settings();
    const updated = await this.write(async (trx) => {
      const out = await trx
        .updateTable('peer_reviews')
        .set({
          state: 'scored',
          score,
          significance,
          comment,
          scored_at: now,
          discrepancy_state: discrepancy ? DiscrepancyState.AwaitingResponse : null,
        })
        .where('id', '=', id)
        .where('state', '=', 'assigned')
        .returningAll()
        .executeTakeFirst();
      if (!out) return undefined;
      await this.audit.append(trx, [
        {
          action: 'peer-review-score',
          actor,
          origin,
          outcome: 'success',
          studyUid: row.study_uid,
          detail: `${id}: ${scoreCode(score, significance)}${discrepancy ? ', discrepancy sent to the original reader' : ''}`,
        },
      ]);
      if (discrepancy) {
        const original = this.reader(row.original_reader_id);
        const by = settings.anonymise
          ? 'a peer reviewer'
          : (this.reader(row.reviewer_id)?.name ?? 'a peer reviewer');
        if (original?.username)
          await this.notifier?.notify(
            {
              usernames: [original.username],
              kind: 'peer-review:discrepancy',
              title: `Peer review discrepancy (${scoreCode(score, significance)}) on one of your cases`,
              body: `Scored by ${by}. Read the comment and respond: agree or disagree.`,
              caseId: row.case_id,
              link: `#/peer-review?discrepancy=${encodeURIComponent(id)}`,
            },
            trx,
          );
      }
      return out;
    });
    if (!updated)
      throw new DomainError(409, C.AlreadyScored, 'Already scored', 'this review was scored meanwhile');
    const [view] = await this.views([updated], { readerId, manager: false });
    return view!;
  }

  // ---------------------------------------------------------------- the original reader

  /** Discrepancies found on the signed-in reader's own cases. */
  async myDiscrepancies(actor: Actor, origin: RequestOrigin): Promise<PeerReviewView[]> {
    const readerId = this.requireScorer(actor);
    const rows = await this.db
      .selectFrom('peer_reviews')
      .selectAll()
      .where('original_reader_id', '=', readerId)
      .where('discrepancy_state', 'is not', null)
      .orderBy('scored_at', 'desc')
      .limit(500)
      .execute();
    await this.audit.record({
      action: 'peer-review-list',
      actor,
      origin,
      outcome: 'success',
      detail: 'discrepancies on my cases',
    });
    return this.views(rows, { readerId, manager: false });
  }

  /** The original reader answers a discrepancy: agree, or disagree and say why. Quality leads are told. */
  async respond(
    actor: Actor,
    id: string,
    input: { response: string; comment?: string | null },
    origin: RequestOrigin,
  ): Promise<PeerReviewView> {
    const readerId = this.requireScorer(actor);
    const row = await this.reviewRow(id);
    if (row.original_reader_id !== readerId)
      throw new DomainError(
        403,
        C.NotYourReview,
        'Not your case',
        'only the reader who reported the case may answer its discrepancy',
      );
    if (input.response !== ReaderResponse.Agree && input.response !== ReaderResponse.Disagree)
      throw new DomainError(400, C.BadRequest, 'Bad request', 'response must be "agree" or "disagree"');
    const comment = input.comment?.trim() ? input.comment.trim().slice(0, 4000) : null;
    if (input.response === ReaderResponse.Disagree && !comment)
      throw new DomainError(
        400,
        C.BadRequest,
        'Bad request',
        'say why you disagree in the comment, for the quality lead',
      );
    const leads = await this.leadUsernames();
    const updated = await this.step(
      actor,
      row,
      origin,
      { type: 'respond', response: input.response, comment },
      {
        reader_response: input.response,
        reader_comment: comment,
        responded_at: this.now(),
      },
      async (trx) => {
        if (leads.length > 0)
          await this.notifier?.notify(
            {
              usernames: leads,
              kind: 'peer-review:response',
              title: `Discrepancy ${row.id}: the original reader ${input.response === 'agree' ? 'agrees' : 'disagrees'}`,
              body: 'Close it, or escalate it to the quality committee.',
              caseId: row.case_id,
              link: `#/peer-review?discrepancy=${encodeURIComponent(row.id)}`,
            },
            trx,
          );
      },
    );
    const [view] = await this.views([updated], { readerId, manager: false });
    return view!;
  }

  // ---------------------------------------------------------------- quality leads

  /** Every review, filtered (quality leads). */
  async list(
    actor: Actor,
    query: { state?: string; discrepancy?: string; readerId?: string; from?: number; to?: number },
    origin: RequestOrigin,
  ): Promise<PeerReviewView[]> {
    this.requireManager(actor);
    let q = this.db.selectFrom('peer_reviews').selectAll().orderBy('sampled_at', 'desc').limit(1000);
    if (query.state) q = q.where('state', '=', query.state);
    if (query.discrepancy === 'open')
      q = q.where('discrepancy_state', 'in', [
        DiscrepancyState.AwaitingResponse,
        DiscrepancyState.Responded,
        DiscrepancyState.Escalated,
      ]);
    else if (query.discrepancy) q = q.where('discrepancy_state', '=', query.discrepancy);
    if (query.readerId) q = q.where('original_reader_id', '=', query.readerId);
    if (query.from !== undefined) q = q.where('sampled_at', '>=', query.from);
    if (query.to !== undefined) q = q.where('sampled_at', '<', query.to);
    const rows = await q.execute();
    await this.audit.record({
      action: 'peer-review-list',
      actor,
      origin,
      outcome: 'success',
      detail: 'all reviews',
    });
    return this.views(rows, { readerId: this.readerIdOf(actor), manager: true });
  }

  /** A quality lead escalates a discrepancy to the quality committee. */
  async escalate(
    actor: Actor,
    id: string,
    note: string | null,
    origin: RequestOrigin,
  ): Promise<PeerReviewView> {
    this.requireManager(actor);
    const row = await this.reviewRow(id);
    const updated = await this.step(
      actor,
      row,
      origin,
      { type: 'escalate', note },
      {
        escalated_at: this.now(),
        escalated_by: actor.username ?? actor.name,
        lead_note: joinNotes(row.lead_note, note),
      },
    );
    const [view] = await this.views([updated], { readerId: this.readerIdOf(actor), manager: true });
    return view!;
  }

  /** A quality lead closes a discrepancy; the original reader is told. */
  async close(actor: Actor, id: string, note: string | null, origin: RequestOrigin): Promise<PeerReviewView> {
    this.requireManager(actor);
    const row = await this.reviewRow(id);
    const original = this.reader(row.original_reader_id);
    const updated = await this.step(
      actor,
      row,
      origin,
      { type: 'close', note },
      {
        closed_at: this.now(),
        closed_by: actor.username ?? actor.name,
        lead_note: joinNotes(row.lead_note, note),
      },
      async (trx) => {
        if (original?.username)
          await this.notifier?.notify(
            {
              usernames: [original.username],
              kind: 'peer-review:closed',
              title: `Discrepancy ${row.id} closed by the quality lead`,
              ...(note ? { body: note } : {}),
              caseId: row.case_id,
              link: `#/peer-review?discrepancy=${encodeURIComponent(row.id)}`,
            },
            trx,
          );
      },
    );
    const [view] = await this.views([updated], { readerId: this.readerIdOf(actor), manager: true });
    return view!;
  }

  /**
   * Counts by score and discrepancy rates per original reader and per modality, over reviews scored in the
   * range (quality leads).
   */
  async summaries(
    actor: Actor,
    range: SummaryQuery,
    origin: RequestOrigin,
  ): Promise<{
    from: string | null;
    to: string | null;
    overall: PeerReviewSummary;
    byReader: { readerId: string; name: string; summary: PeerReviewSummary }[];
    byModality: { modality: string; summary: PeerReviewSummary }[];
    open: { assigned: number; overdue: number; discrepanciesOpen: number };
  }> {
    this.requireManager(actor);
    const rows = await this.scoredIn(range);
    const now = this.now();
    const pending = await this.db
      .selectFrom('peer_reviews')
      .select(['state', 'due_at', 'discrepancy_state'])
      .where((eb) =>
        eb.or([
          eb('state', '=', 'assigned'),
          eb('discrepancy_state', 'in', ['awaiting-response', 'responded', 'escalated']),
        ]),
      )
      .execute();
    await this.audit.record({
      action: 'peer-review-summary',
      actor,
      origin,
      outcome: 'success',
      detail: rangeText(range),
    });
    return {
      from: range.from === undefined ? null : iso(range.from),
      to: range.to === undefined ? null : iso(range.to),
      overall: summariseScores(rows),
      byReader: summariseBy(rows, (r) => [r.original_reader_id]).map((g) => ({
        readerId: g.key,
        name: this.reader(g.key)?.name ?? g.key,
        summary: g.summary,
      })),
      byModality: summariseBy(rows, (r) => r.modalities.split('\\').filter(Boolean)).map((g) => ({
        modality: g.key,
        summary: g.summary,
      })),
      open: {
        assigned: pending.filter((p) => p.state === 'assigned').length,
        overdue: pending.filter((p) => p.state === 'assigned' && Number(p.due_at) < now).length,
        discrepanciesOpen: pending.filter((p) => p.discrepancy_state !== null).length,
      },
    };
  }

  /** The signed-in reader's own summary: how their cases were scored. */
  async mySummary(
    actor: Actor,
    range: SummaryQuery,
    origin: RequestOrigin,
  ): Promise<{
    readerId: string;
    summary: PeerReviewSummary;
    byModality: { modality: string; summary: PeerReviewSummary }[];
  }> {
    const readerId = this.requireScorer(actor);
    const rows = (await this.scoredIn(range)).filter((r) => r.original_reader_id === readerId);
    await this.audit.record({
      action: 'peer-review-summary',
      actor,
      origin,
      outcome: 'success',
      detail: `mine, ${rangeText(range)}`,
    });
    return {
      readerId,
      summary: summariseScores(rows),
      byModality: summariseBy(rows, (r) => r.modalities.split('\\').filter(Boolean)).map((g) => ({
        modality: g.key,
        summary: g.summary,
      })),
    };
  }

  // ---------------------------------------------------------------- helpers

  private async scoredIn(range: SummaryQuery) {
    let q = this.db
      .selectFrom('peer_reviews')
      .select(['original_reader_id', 'modalities', 'score', 'significance'])
      .where('state', '=', 'scored');
    if (range.from !== undefined) q = q.where('scored_at', '>=', range.from);
    if (range.to !== undefined) q = q.where('scored_at', '<', range.to);
    return (await q.execute()).map((r) => ({ ...r, score: r.score === null ? null : Number(r.score) }));
  }

  /** Applies one discrepancy step with a conditional update on the state read, audited in its transaction. */
  private async step(
    actor: Actor,
    row: ReviewRow,
    origin: RequestOrigin,
    action: DiscrepancyAction,
    set: Partial<Omit<ReviewRow, 'id'>>,
    effects?: (trx: Transaction<Database>) => Promise<void>,
  ): Promise<ReviewRow> {
    if (!row.discrepancy_state)
      throw new DomainError(
        409,
        C.DiscrepancyState,
        'No discrepancy',
        row.state === 'assigned' ? 'this review is not scored yet' : 'this review found no discrepancy',
      );
    const from = row.discrepancy_state as DiscrepancyState;
    const next = stepDiscrepancy(from, action);
    if (!next.ok)
      throw new DomainError(409, C.DiscrepancyState, 'Not possible now', next.message, { state: from });
    const out = await this.write(async (trx) => {
      const updated = await trx
        .updateTable('peer_reviews')
        .set({ ...set, discrepancy_state: next.state })
        .where('id', '=', row.id)
        .where('discrepancy_state', '=', from)
        .returningAll()
        .executeTakeFirst();
      if (!updated) return undefined;
      await this.audit.append(trx, [
        {
          action: `peer-review-${action.type}`,
          actor,
          origin,
          outcome: 'success',
          studyUid: row.study_uid,
          detail: `${row.id}: ${from} -> ${next.state}`,
        },
      ]);
      await effects?.(trx);
      return updated;
    });
    if (!out)
      throw new DomainError(
        409,
        C.DiscrepancyState,
        'Changed meanwhile',
        'the discrepancy changed meanwhile; reload it',
      );
    return out;
  }

  private async reviewRow(id: string): Promise<ReviewRow> {
    const row = await this.db.selectFrom('peer_reviews').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new DomainError(404, C.NotFound, 'Peer review not found', `no peer review ${id}`);
    return row;
  }

  private async views(rows: ReviewRow[], viewer: Viewer): Promise<PeerReviewView[]> {
    if (rows.length === 0) return [];
    const { anonymise } = await this.settings();
    const cases = await this.db
      .selectFrom('cases')
      .select(['id', 'procedure_text', 'accession_number'])
      .where(
        'id',
        'in',
        rows.map((r) => r.case_id),
      )
      .execute();
    const byCase = new Map(cases.map((c) => [c.id, c]));
    const now = this.now();
    return rows.map((r) => {
      // A quality lead sees both names; otherwise the other party is hidden when anonymisation is on.
      const hideOriginal = anonymise && !viewer.manager && viewer.readerId !== r.original_reader_id;
      const hideReviewer = anonymise && !viewer.manager && viewer.readerId !== r.reviewer_id;
      const c = byCase.get(r.case_id);
      const score = r.score === null ? null : Number(r.score);
      return {
        id: r.id,
        caseId: r.case_id,
        studyUid: r.study_uid,
        modalities: r.modalities.split('\\').filter(Boolean),
        procedure: c?.procedure_text ?? null,
        accessionNumber: c?.accession_number ?? null,
        state: r.state,
        finalizedAt: iso(r.finalized_at)!,
        sampledAt: iso(r.sampled_at)!,
        dueAt: iso(r.due_at)!,
        overdue: r.state === 'assigned' && Number(r.due_at) < now,
        originalReader: hideOriginal ? null : this.person(r.original_reader_id),
        reviewer: hideReviewer ? null : this.person(r.reviewer_id),
        anonymised: hideOriginal || hideReviewer,
        score,
        significance: r.significance,
        scoreCode: score === null ? null : scoreCode(score, r.significance),
        comment: r.comment,
        scoredAt: iso(r.scored_at),
        discrepancy: r.discrepancy_state
          ? {
              state: r.discrepancy_state,
              response: r.reader_response,
              readerComment: r.reader_comment,
              respondedAt: iso(r.responded_at),
              escalatedAt: iso(r.escalated_at),
              closedAt: iso(r.closed_at),
              leadNote: viewer.manager || viewer.readerId === r.original_reader_id ? r.lead_note : null,
            }
          : null,
        ...(viewer.manager
          ? { sample: { rate: Number(r.sample_rate), source: r.sample_source, draw: Number(r.sample_draw) } }
          : {}),
      };
    });
  }

  private person(readerId: string): PersonRef {
    return { id: readerId, name: this.reader(readerId)?.name ?? readerId };
  }

  private reader(readerId: string): Reader | undefined {
    return this.routing.current()?.config.readers.find((r) => r.id === readerId);
  }

  private readerIdOf(actor: Actor): string | undefined {
    const username = actor.username ?? (actor.kind === 'user' ? actor.name : undefined);
    if (!username) return undefined;
    return this.routing.current()?.config.readers.find((r) => r.username === username)?.id;
  }

  private viewerOf(actor: Actor): Viewer {
    return { readerId: this.readerIdOf(actor), manager: can(actor.roles, Permission.PeerReviewManage) };
  }

  private requireScorer(actor: Actor): string {
    if (!can(actor.roles, Permission.PeerReviewScore))
      throw new DomainError(403, C.Forbidden, 'Not allowed', 'peer review needs the radiologist role');
    const id = this.readerIdOf(actor);
    if (!id)
      throw new DomainError(
        403,
        C.NotAReader,
        'Not a reader',
        `user ${actor.username ?? actor.name} is not a reader in the routing directory; ask an administrator to add them with "username": "${actor.username ?? actor.name}"`,
      );
    return id;
  }

  private requireManager(actor: Actor): void {
    if (!can(actor.roles, Permission.PeerReviewManage))
      throw new DomainError(
        403,
        C.Forbidden,
        'Not allowed',
        'this needs peer-review:manage (the coordinator or admin role, for quality leads)',
      );
  }

  /** Users who may close discrepancies: told when an original reader answers. */
  private async leadUsernames(): Promise<string[]> {
    const users = await this.access.listUsers();
    return users
      .filter((u) => !u.disabled && can(u.roles, Permission.PeerReviewManage))
      .map((u) => u.username);
  }

  /**
   * Runs a change in one transaction (its audit rows and notifications inside), then pushes the
   * notifications it stored to open browsers: only after the commit, so nobody is told of a change that
   * rolled back.
   */
  private async write<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    const out = await this.db.transaction().execute(fn);
    await this.notifier?.flush?.().catch(() => {});
    return out;
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}

/** The review id is derived from the case, so two nodes sampling one finalisation name the same review. */
export function reviewIdFor(caseId: string): string {
  return `PR-${createHash('sha256').update(caseId).digest('hex').slice(0, 10).toUpperCase()}`;
}

function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString();
}

function rangeText(range: SummaryQuery): string {
  return `${range.from === undefined ? 'any' : iso(range.from)} to ${range.to === undefined ? 'now' : iso(range.to)}`;
}

function joinNotes(before: string | null, note: string | null): string | null {
  const n = note?.trim() ? note.trim().slice(0, 4000) : null;
  if (!n) return before;
  return before ? `${before}\n\n${n}` : n;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
