import { isDiscrepancy, SCORE_CODES, type ScoreCode, scoreCode } from './radpeer.ts';

/** Counts of scored reviews for one reader, one modality or everyone. */
export interface PeerReviewSummary {
  /** Scored reviews counted. */
  scored: number;
  byScore: Record<ScoreCode, number>;
  /** Reviews that opened the discrepancy workflow. */
  discrepancies: number;
  /** discrepancies / scored; 0 when nothing was scored. */
  discrepancyRate: number;
  /** Discrepancies marked likely clinically significant (b). */
  significant: number;
}

/** Summarises scores; unscored reviews are not counted. */
export function summariseScores(
  scores: Iterable<{ score: number | null; significance: string | null }>,
): PeerReviewSummary {
  const byScore = Object.fromEntries(SCORE_CODES.map((c) => [c, 0])) as Record<ScoreCode, number>;
  let scored = 0;
  let discrepancies = 0;
  let significant = 0;
  for (const s of scores) {
    if (s.score === null) continue;
    scored++;
    const code = scoreCode(s.score, s.significance) as ScoreCode;
    if (Object.hasOwn(byScore, code)) byScore[code]++;
    if (isDiscrepancy(s.score, s.significance)) discrepancies++;
    if (s.significance === 'b') significant++;
  }
  return {
    scored,
    byScore,
    discrepancies,
    discrepancyRate: scored === 0 ? 0 : discrepancies / scored,
    significant,
  };
}

/** Summaries per key (reader id, modality), keys in order. */
export function summariseBy<T extends { score: number | null; significance: string | null }>(
  rows: Iterable<T>,
  keysOf: (row: T) => readonly string[],
): { key: string; summary: PeerReviewSummary }[] {
  const groups = new Map<string, T[]>();
  for (const r of rows)
    for (const k of new Set(keysOf(r))) {
      const g = groups.get(k);
      if (g) g.push(r);
      else groups.set(k, [r]);
    }
  return [...groups.keys()].sort().map((key) => ({ key, summary: summariseScores(groups.get(key)!) }));
}
