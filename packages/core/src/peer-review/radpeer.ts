/**
 * RADPEER-style scoring of a re-read: the reviewer says how far the original interpretation is from their
 * own, and, for a discrepancy, whether it is likely to matter to the patient.
 */

export const RadpeerScore = {
  /** Concur with the interpretation. */
  Concur: 1,
  /** Discrepancy in interpretation: not ordinarily expected to be made (an understandable miss). */
  NotOrdinarilyExpected: 2,
  /** Discrepancy in interpretation: should be made most of the time. */
  ShouldBeMadeMostOfTheTime: 3,
  /** Discrepancy in interpretation: should be made almost every time (a misinterpretation). */
  ShouldBeMadeAlmostEveryTime: 4,
} as const;
export type RadpeerScore = (typeof RadpeerScore)[keyof typeof RadpeerScore];

/** Clinical significance of a discrepancy (scores 2 to 4 only). */
export const ClinicalSignificance = {
  /** Unlikely to be clinically significant. */
  Unlikely: 'a',
  /** Likely to be clinically significant. */
  Likely: 'b',
} as const;
export type ClinicalSignificance = (typeof ClinicalSignificance)[keyof typeof ClinicalSignificance];

export const RADPEER_SCORES: readonly RadpeerScore[] = [1, 2, 3, 4];

/** What each score means, as a reviewer reads it on the form. */
export const RADPEER_LABELS: Record<RadpeerScore, string> = {
  1: 'Concur with interpretation',
  2: 'Discrepancy: diagnosis not ordinarily expected to be made',
  3: 'Discrepancy: diagnosis should be made most of the time',
  4: 'Discrepancy: diagnosis should be made almost every time',
};

export const SIGNIFICANCE_LABELS: Record<ClinicalSignificance, string> = {
  a: 'Unlikely to be clinically significant',
  b: 'Likely to be clinically significant',
};

/** A score as a reviewer submits it. */
export interface PeerReviewScoreInput {
  score: number;
  /** Required for scores 2 to 4, absent for 1. */
  significance?: string | null;
  comment?: string | null;
}

export interface ValidScore {
  score: RadpeerScore;
  significance: ClinicalSignificance | null;
  comment: string | null;
}

export type ScoreValidation = { ok: true; value: ValidScore } | { ok: false; message: string };

/** Longest comment kept with a score. */
export const MAX_SCORE_COMMENT_LENGTH = 4000;

/**
 * Checks a submitted score: 1 to 4; a or b for a discrepancy (2 to 4) and none for 1; and a comment for a
 * discrepancy, since the original reader is asked to answer it and needs to know what was seen.
 */
export function validateScore(input: PeerReviewScoreInput): ScoreValidation {
  const score = input.score;
  if (!Number.isInteger(score) || !RADPEER_SCORES.includes(score as RadpeerScore))
    return { ok: false, message: `score must be 1, 2, 3 or 4, not ${JSON.stringify(score)}` };
  const sig = input.significance ?? null;
  const comment = input.comment?.trim() ? input.comment.trim() : null;
  if (comment && comment.length > MAX_SCORE_COMMENT_LENGTH)
    return { ok: false, message: `the comment is longer than ${MAX_SCORE_COMMENT_LENGTH} characters` };
  if (score === RadpeerScore.Concur) {
    if (sig !== null)
      return { ok: false, message: 'score 1 (concur) takes no clinical significance; leave it out' };
    return { ok: true, value: { score: 1, significance: null, comment } };
  }
  if (sig !== ClinicalSignificance.Unlikely && sig !== ClinicalSignificance.Likely)
    return {
      ok: false,
      message: `score ${score} needs a clinical significance: "a" (unlikely) or "b" (likely clinically significant)`,
    };
  if (!comment)
    return {
      ok: false,
      message: `score ${score} is a discrepancy: say what was seen in the comment, for the original reader`,
    };
  return { ok: true, value: { score: score as RadpeerScore, significance: sig, comment } };
}

/**
 * Whether a score opens the discrepancy workflow (the original reader is told and may answer): any score of
 * 2 or more, and any score marked likely clinically significant.
 */
export function isDiscrepancy(score: number, significance: string | null | undefined): boolean {
  return score >= 2 || significance === ClinicalSignificance.Likely;
}

/** The score as it is written in reports and summaries: "1", "2a", "3b". */
export function scoreCode(score: number, significance: string | null | undefined): string {
  return `${score}${significance ?? ''}`;
}

/** Every score code, in the order summaries list them. */
export const SCORE_CODES = ['1', '2a', '2b', '3a', '3b', '4a', '4b'] as const;
export type ScoreCode = (typeof SCORE_CODES)[number];
