import type { Reader } from '../routing/model.ts';

/**
 * Which finalised cases are re-read, and by whom. Everything here is a pure function of the settings, the
 * case and a seed, so a sample can be replayed and explained: the same seed and case always give the same
 * answer, whatever node or restart computes it.
 */

/** How peer review samples finalised cases. */
export interface PeerReviewSettings {
  /** Off: no case is sampled (scores already assigned can still be given). */
  enabled: boolean;
  /** Fraction of finalised cases sampled, 0 to 1 (0.05 = 5 %). */
  rate: number;
  /** Rates per modality (e.g. { "MR": 0.1 }); a case takes the highest rate among its modalities. */
  byModality: Record<string, number>;
  /** Rates per original reader id; they override the modality and overall rates (a new starter at 0.25). */
  byReader: Record<string, number>;
  /** Makes sampling deterministic and replayable: change it to draw a different sample. */
  seed: string;
  /** Days a reviewer has to score a sampled case. */
  targetDays: number;
  /**
   * Hide the original reader from the reviewer and the reviewer from the original reader. Quality leads
   * (peer-review:manage) always see both.
   */
  anonymise: boolean;
}

export const DEFAULT_PEER_REVIEW_SETTINGS: PeerReviewSettings = {
  enabled: true,
  rate: 0.05,
  byModality: {},
  byReader: {},
  seed: 'confer-peer-review',
  targetDays: 14,
  anonymise: true,
};

/** What sampling looks at: the finalised case and who finalised it. */
export interface SampledCaseFacts {
  caseId: string;
  modalities: readonly string[];
  originalReaderId: string;
}

export type RateSource = 'reader' | 'modality' | 'overall';

/** The rate that applies to a case, and which setting gave it (shown with the sample). */
export function rateFor(
  settings: PeerReviewSettings,
  facts: Pick<SampledCaseFacts, 'modalities' | 'originalReaderId'>,
): { rate: number; source: RateSource } {
  const byReader = settings.byReader[facts.originalReaderId];
  if (byReader !== undefined) return { rate: clampRate(byReader), source: 'reader' };
  let best: number | undefined;
  const byModality = new Map(Object.entries(settings.byModality).map(([m, r]) => [m.toUpperCase(), r]));
  for (const m of facts.modalities) {
    const r = byModality.get(m.toUpperCase());
    if (r !== undefined) best = best === undefined ? r : Math.max(best, r);
  }
  if (best !== undefined) return { rate: clampRate(best), source: 'modality' };
  return { rate: clampRate(settings.rate), source: 'overall' };
}

function clampRate(r: number): number {
  return Number.isFinite(r) ? Math.min(1, Math.max(0, r)) : 0;
}

/**
 * A number in [0, 1) from the seed and a key: FNV-1a over the UTF-16 code units, then a murmur3 finaliser
 * so neighbouring keys ("C-1", "C-2") spread across the whole range.
 */
export function seededUnit(seed: string, key: string): number {
  let h = 0x811c9dc5;
  const text = `${seed}\u0000${key}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}

export interface SampleDecision {
  sampled: boolean;
  rate: number;
  source: RateSource;
  /** The case's draw in [0, 1); sampled when below the rate. */
  draw: number;
}

/** Whether a finalised case is sampled for peer review. */
export function sampleCase(settings: PeerReviewSettings, facts: SampledCaseFacts): SampleDecision {
  const { rate, source } = rateFor(settings, facts);
  const draw = seededUnit(settings.seed, facts.caseId);
  return { sampled: settings.enabled && draw < rate, rate, source, draw };
}

/**
 * Whether a reader may review this case: someone else than the original reader, in the directory with a
 * user to sign in as, active, and qualified for every modality of the case (as routing's competency stage).
 */
export function qualifiedReviewer(reader: Reader, facts: Omit<SampledCaseFacts, 'caseId'>): boolean {
  if (reader.id === facts.originalReaderId) return false;
  if (!reader.username || reader.active === false) return false;
  const reads = new Set(reader.modalities.map((m) => m.toUpperCase()));
  return facts.modalities.every((m) => reads.has(m.toUpperCase()));
}

export type ReviewerChoice =
  | { ok: true; reviewerId: string; candidates: number }
  | { ok: false; reason: string };

/**
 * Picks the reviewer among qualified readers: a peer sharing a subspecialty with the original reader first,
 * then the fewest reviews still open (so the work spreads), then the seeded draw (so ties are fair and
 * replayable, not always the first in the directory).
 */
export function chooseReviewer(
  readers: readonly Reader[],
  facts: SampledCaseFacts,
  options: { seed: string; openReviews: ReadonlyMap<string, number> },
): ReviewerChoice {
  const original = readers.find((r) => r.id === facts.originalReaderId);
  const subs = new Set(original?.subspecialties ?? []);
  const candidates = readers.filter((r) => qualifiedReviewer(r, facts));
  if (candidates.length === 0)
    return {
      ok: false,
      reason: `no reader other than ${facts.originalReaderId} is qualified for ${facts.modalities.join('/') || 'this case'}`,
    };
  const ranked = candidates
    .map((r) => ({
      r,
      peer: r.subspecialties.some((s) => subs.has(s)) ? 0 : 1,
      load: options.openReviews.get(r.id) ?? 0,
      draw: seededUnit(options.seed, `${facts.caseId}\u0000${r.id}`),
    }))
    .sort((a, b) => a.peer - b.peer || a.load - b.load || a.draw - b.draw || (a.r.id < b.r.id ? -1 : 1));
  return { ok: true, reviewerId: ranked[0]!.r.id, candidates: candidates.length };
}

/** Problems with a settings document, each with its path; empty when valid. */
export function validatePeerReviewSettings(input: unknown): { path: string; message: string }[] {
  const errors: { path: string; message: string }[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return [{ path: '', message: 'must be an object' }];
  const s = input as Record<string, unknown>;
  const rate = (path: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1)
      errors.push({ path, message: 'must be a number from 0 to 1 (0.05 = 5 %)' });
  };
  if (typeof s.enabled !== 'boolean') errors.push({ path: 'enabled', message: 'must be true or false' });
  rate('rate', s.rate);
  for (const key of ['byModality', 'byReader'] as const) {
    const m = s[key];
    if (typeof m !== 'object' || m === null || Array.isArray(m)) {
      errors.push({ path: key, message: 'must be an object of rates' });
      continue;
    }
    for (const [k, v] of Object.entries(m)) rate(`${key}.${k}`, v);
  }
  if (typeof s.seed !== 'string' || s.seed.length === 0 || s.seed.length > 200)
    errors.push({ path: 'seed', message: 'must be a string of 1 to 200 characters' });
  if (
    typeof s.targetDays !== 'number' ||
    !Number.isInteger(s.targetDays) ||
    s.targetDays < 1 ||
    s.targetDays > 365
  )
    errors.push({ path: 'targetDays', message: 'must be a whole number of days from 1 to 365' });
  if (typeof s.anonymise !== 'boolean') errors.push({ path: 'anonymise', message: 'must be true or false' });
  return errors;
}
