// Bulk seeding for bench:routing: a million closed cases (and who could see them) written straight into the
// migrated schema, bypassing Confer, because going through the worklist would take hours. Only what the
// worklist's queries read is seeded; see HISTORY_NOTE for what is left out.
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { Rng } from '../src/synthetic/prng.ts';
import { caseIdFor } from '../src/worklist/worklist-service.ts';
import { historyStudy, type Network, priorityOf } from './routing-network.ts';

export const HISTORY_NOTE =
  'history = closed cases only (final 97%, cancelled 3%) with a compact snapshot and a shortened routing ' +
  'decision (~1 KB; live decisions store 5-45 KB), and case_visibility rows for their eligible readers; ' +
  'no study/series/instance rows, no timeline (case_events), timers, domain events or audit rows for them';

/** The columns written for a historical case, in order; the rest keep their defaults (null, 0, 'ok'). */
const COLUMNS = [
  ['id', 'text'],
  ['study_uid', 'text'],
  ['site_id', 'text'],
  ['state', 'text'],
  ['priority', 'text'],
  ['priority_rank', 'int'],
  ['pathway', 'text'],
  ['sla_class', 'text'],
  ['available_at', 'bigint'],
  ['modalities', 'text'],
  ['body_parts', 'text'],
  ['procedure_text', 'text'],
  ['accession_number', 'text'],
  ['patient_name', 'text'],
  ['patient_id', 'text'],
  ['weight', 'real'],
  ['decision_json', 'text'],
  ['snapshot_json', 'text'],
  ['version', 'int'],
  ['created_at', 'bigint'],
  ['updated_at', 'bigint'],
] as const;

const RANK = { stat: 0, urgent: 1, routine: 2 } as const;

export interface HistoryOptions {
  network: Network;
  seed: string;
  count: number;
  /** Average eligible readers per closed case (uniform from 1 to 2x-1). */
  visibilityPerCase: number;
  /** Closed cases span this many days before `beforeMs`. */
  spanDays: number;
  beforeMs: number;
}

export interface HistoryFigures {
  cases: number;
  visibilityRows: number;
  seconds: number;
  /** Mean bytes of snapshot_json + decision_json per row. */
  jsonBytesPerCase: number;
}

type Row = unknown[];

/** Generates the rows in batches: cases (positional, as COLUMNS) and visibility pairs. */
function* historyBatches(
  o: HistoryOptions,
  batch: number,
): Generator<{ cases: Row[]; visibility: [string, string][]; jsonBytes: number }> {
  const rng = new Rng(`${o.seed}/history`);
  const bySite = new Map<string, string[]>();
  for (const r of o.network.config.readers) {
    for (const p of r.privileges) {
      const list = bySite.get(p.siteId) ?? [];
      list.push(r.id);
      bySite.set(p.siteId, list);
    }
  }
  const weights = o.network.config.workWeights ?? {};
  const siteNames = new Map(o.network.config.sites.map((x) => [x.id, x.name]));
  const spanMs = o.spanDays * 86_400_000;
  let cases: Row[] = [];
  let visibility: [string, string][] = [];
  let jsonBytes = 0;
  for (let i = 0; i < o.count; i++) {
    const s = historyStudy(o.network, rng, i);
    const id = caseIdFor(s.studyUid);
    const available = Math.round(o.beforeMs - spanMs + (i / o.count) * spanMs - rng.range(0, 3_600_000));
    const priority = priorityOf(s);
    const stroke = s.procedure.includes('STROKE');
    const finalState = rng.chance(0.03) ? 'cancelled' : 'final';
    const privileged = bySite.get(s.siteId) ?? [];
    const k = Math.min(privileged.length, rng.int(1, 2 * o.visibilityPerCase - 1));
    const eligible: string[] = [];
    for (let tries = 0; eligible.length < k && tries < 4 * k; tries++) {
      const r = rng.pick(privileged);
      if (!eligible.includes(r)) eligible.push(r);
    }
    const owner = eligible[0] ?? null;
    const routed = available + rng.int(5_000, 120_000);
    const opened = routed + rng.int(60_000, 3_600_000);
    const closed = opened + rng.int(120_000, 2_400_000);
    const slaClass = stroke ? 'stroke' : priority;
    const snapshot = {
      id,
      state: finalState,
      priority: stroke ? 'stat' : priority,
      ...(stroke ? { pathway: 'stroke' } : {}),
      ownerId: null,
      stateSince: closed,
      leaseExpiresAt: null,
      eligibleReaderIds: eligible,
      broadened: false,
      exception: null,
      milestones:
        finalState === 'final'
          ? { acquired: available - 60_000, available, routed, opened, final: closed }
          : { acquired: available - 60_000, available, routed },
      priorityReasons: stroke ? ['raised by routing rules: Stroke protocol: stroke pathway, STAT'] : [],
      version: finalState === 'final' ? 6 : 4,
    };
    const decision = {
      caseId: id,
      at: routed,
      outcome: owner ? 'assigned' : 'unroutable',
      ruleId: `local-${s.siteId}`,
      priority: snapshot.priority,
      ...(stroke ? { pathway: 'stroke' } : {}),
      slaClass,
      eligibleReaderIds: eligible,
      ...(owner ? { assigneeId: owner } : {}),
      rules: [
        {
          ruleId: `local-${s.siteId}`,
          name: `${siteNames.get(s.siteId) ?? s.siteId}: local radiologist`,
          matched: true,
          why: [
            `site ${s.siteId} in [${s.siteId}]`,
            'study age 0 min <= 30 min',
            `target: readers on shifts covering the case at site ${s.siteId}; ${eligible.length} candidates, ${eligible.length} eligible`,
          ],
          eligibleCount: eligible.length,
        },
      ],
      candidates: eligible.map((r) => ({ readerId: r, eligible: true, loadRatio: 0.25 })),
      summary: owner
        ? `Assigned to ${owner} by rule "local-${s.siteId}" (balanced: 1 of 8 cases, lowest load of ${eligible.length} eligible)`
        : 'No eligible reader',
      rulesOmitted: 0,
    };
    const snapshotJson = JSON.stringify(snapshot);
    const decisionJson = JSON.stringify(decision);
    jsonBytes += snapshotJson.length + decisionJson.length;
    cases.push([
      id,
      s.studyUid,
      s.siteId,
      finalState,
      snapshot.priority,
      RANK[snapshot.priority],
      stroke ? 'stroke' : null,
      slaClass,
      available,
      s.modality,
      s.bodyPart,
      s.procedure,
      s.accessionNumber,
      s.patientName,
      s.patientId,
      weights[s.modality] ?? 1,
      decisionJson,
      snapshotJson,
      snapshot.version,
      available,
      closed,
    ]);
    for (const r of eligible) visibility.push([id, r]);
    if (cases.length >= batch) {
      yield { cases, visibility, jsonBytes };
      cases = [];
      visibility = [];
      jsonBytes = 0;
    }
  }
  if (cases.length > 0) yield { cases, visibility, jsonBytes };
}

/** Into a migrated SQLite file, with its own connection (Confer is not running yet). */
export function seedHistorySqlite(path: string, o: HistoryOptions, progress: (done: number) => void) {
  const t0 = performance.now();
  const db = new SqliteDatabase(path);
  try {
    db.pragma('journal_mode = WAL');
    // Seeding only: Confer's own connection runs with synchronous=FULL.
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -1000000');
    const insertCase = db.prepare(
      `insert or ignore into cases (${COLUMNS.map((c) => c[0]).join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`,
    );
    const insertVisibility = db.prepare(
      'insert or ignore into case_visibility (case_id, reader_id) values (?, ?)',
    );
    let cases = 0;
    let visibilityRows = 0;
    let jsonBytes = 0;
    const write = db.transaction((b: { cases: Row[]; visibility: [string, string][] }) => {
      for (const r of b.cases) cases += insertCase.run(...r).changes;
      for (const v of b.visibility) visibilityRows += insertVisibility.run(v[0], v[1]).changes;
    });
    for (const b of historyBatches(o, 20_000)) {
      write(b);
      jsonBytes += b.jsonBytes;
      progress(cases);
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    return {
      cases,
      visibilityRows,
      seconds: (performance.now() - t0) / 1000,
      jsonBytesPerCase: Math.round(jsonBytes / Math.max(1, cases)),
    } satisfies HistoryFigures;
  } finally {
    db.close();
  }
}

/**
 * Into a migrated PostgreSQL database: each batch is one INSERT ... SELECT FROM unnest(arrays), two in flight.
 * Then VACUUM ANALYZE, which autovacuum would have done long since on a database that grew to this size.
 */
export async function seedHistoryPostgres(
  url: string,
  o: HistoryOptions,
  progress: (done: number) => void,
): Promise<HistoryFigures> {
  const t0 = performance.now();
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => {});
  try {
    const casesSql = `insert into cases (${COLUMNS.map((c) => c[0]).join(', ')})
      select * from unnest(${COLUMNS.map((c, i) => `$${i + 1}::${c[1] === 'int' ? 'integer' : c[1]}[]`).join(', ')})
      on conflict do nothing`;
    const visibilitySql = `insert into case_visibility (case_id, reader_id)
      select * from unnest($1::text[], $2::text[]) on conflict do nothing`;
    let cases = 0;
    let visibilityRows = 0;
    let jsonBytes = 0;
    const inFlight = new Set<Promise<void>>();
    let failed: unknown;
    const send = async (b: { cases: Row[]; visibility: [string, string][] }) => {
      const client = await pool.connect();
      try {
        await client.query('set synchronous_commit = off');
        await client.query('begin');
        const columns = COLUMNS.map((_, c) => b.cases.map((r) => r[c]));
        const r1 = await client.query(casesSql, columns);
        const r2 = await client.query(visibilitySql, [
          b.visibility.map((v) => v[0]),
          b.visibility.map((v) => v[1]),
        ]);
        await client.query('commit');
        cases += r1.rowCount ?? 0;
        visibilityRows += r2.rowCount ?? 0;
        progress(cases);
      } finally {
        client.release();
      }
    };
    for (const b of historyBatches(o, 5_000)) {
      jsonBytes += b.jsonBytes;
      if (failed) break;
      const p: Promise<void> = send(b)
        .catch((err: unknown) => {
          failed ??= err;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= 2) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failed) throw failed;
    await pool.query('vacuum analyze cases');
    await pool.query('vacuum analyze case_visibility');
    return {
      cases,
      visibilityRows,
      seconds: (performance.now() - t0) / 1000,
      jsonBytesPerCase: Math.round(jsonBytes / Math.max(1, cases)),
    };
  } finally {
    await pool.end();
  }
}
