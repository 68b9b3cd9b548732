import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Reader } from '../routing/model.ts';
import {
  chooseReviewer,
  DEFAULT_PEER_REVIEW_SETTINGS,
  type PeerReviewSettings,
  qualifiedReviewer,
  rateFor,
  sampleCase,
  seededUnit,
  validatePeerReviewSettings,
} from './sampling.ts';

const settings = (over: Partial<PeerReviewSettings> = {}): PeerReviewSettings => ({
  ...DEFAULT_PEER_REVIEW_SETTINGS,
  seed: 'test-seed',
  ...over,
});

function reader(id: string, over: Partial<Reader> = {}): Reader {
  return {
    id,
    name: `Dr ${id}`,
    username: id,
    subspecialties: ['general'],
    modalities: ['CT', 'MR', 'CR'],
    licences: [],
    privileges: [],
    maxConcurrent: 4,
    ...over,
  };
}

test('the draw is deterministic for a seed and case, and differs with the seed', () => {
  assert.equal(seededUnit('s', 'C-1'), seededUnit('s', 'C-1'));
  assert.notEqual(seededUnit('s', 'C-1'), seededUnit('t', 'C-1'));
  const a = sampleCase(settings(), { caseId: 'C-42', modalities: ['CT'], originalReaderId: 'r-a' });
  const b = sampleCase(settings(), { caseId: 'C-42', modalities: ['CT'], originalReaderId: 'r-a' });
  assert.deepEqual(a, b);
});

test('the sampled fraction follows the rate', () => {
  for (const rate of [0, 0.05, 0.2, 0.5, 1]) {
    let sampled = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++)
      if (
        sampleCase(settings({ rate }), { caseId: `C-${i}`, modalities: ['CT'], originalReaderId: 'r-a' })
          .sampled
      )
        sampled++;
    // 20,000 draws: the binomial standard deviation is at most 0.0036; allow four of them.
    assert.ok(Math.abs(sampled / n - rate) < 0.015, `rate ${rate}: sampled ${sampled / n}`);
  }
});

test('draws are spread evenly over [0, 1)', () => {
  const buckets = new Array(10).fill(0) as number[];
  for (let i = 0; i < 10_000; i++) {
    const u = seededUnit('even', `C-${i}`);
    assert.ok(u >= 0 && u < 1);
    buckets[Math.floor(u * 10)]!++;
  }
  for (const b of buckets) assert.ok(b > 900 && b < 1100, `bucket ${b}`);
});

test('a reader rate overrides a modality rate, which overrides the overall rate', () => {
  const s = settings({ rate: 0.05, byModality: { mr: 0.2, CT: 0.1 }, byReader: { 'r-new': 0.5 } });
  assert.deepEqual(rateFor(s, { modalities: ['CR'], originalReaderId: 'r-a' }), {
    rate: 0.05,
    source: 'overall',
  });
  assert.deepEqual(rateFor(s, { modalities: ['CT', 'MR'], originalReaderId: 'r-a' }), {
    rate: 0.2,
    source: 'modality',
  });
  assert.deepEqual(rateFor(s, { modalities: ['MR'], originalReaderId: 'r-new' }), {
    rate: 0.5,
    source: 'reader',
  });
});

test('disabled sampling samples nothing, even at rate 1', () => {
  const d = sampleCase(settings({ enabled: false, rate: 1 }), {
    caseId: 'C-1',
    modalities: ['CT'],
    originalReaderId: 'r-a',
  });
  assert.equal(d.sampled, false);
});

test('the reviewer is never the original reader, and is qualified for every modality', () => {
  const readers = [reader('r-a'), reader('r-b', { modalities: ['CR'] }), reader('r-c'), reader('r-d')];
  for (let i = 0; i < 500; i++) {
    const facts = { caseId: `C-${i}`, modalities: ['CT'], originalReaderId: 'r-a' };
    const c = chooseReviewer(readers, facts, { seed: 'x', openReviews: new Map() });
    assert.ok(c.ok);
    assert.notEqual(c.reviewerId, 'r-a');
    assert.notEqual(c.reviewerId, 'r-b');
  }
  assert.equal(qualifiedReviewer(reader('r-a'), { modalities: ['ct'], originalReaderId: 'r-b' }), true);
  assert.equal(
    qualifiedReviewer(reader('r-a', { active: false }), { modalities: ['CT'], originalReaderId: 'r-b' }),
    false,
  );
  const { username: _, ...noUser } = reader('r-e');
  assert.equal(qualifiedReviewer(noUser, { modalities: ['CT'], originalReaderId: 'r-b' }), false);
});

test('with nobody else qualified, no reviewer is chosen and the reason says why', () => {
  const c = chooseReviewer(
    [reader('r-a'), reader('r-b', { modalities: ['CR'] })],
    {
      caseId: 'C-1',
      modalities: ['MR'],
      originalReaderId: 'r-a',
    },
    { seed: 'x', openReviews: new Map() },
  );
  assert.equal(c.ok, false);
  assert.match(!c.ok ? c.reason : '', /no reader other than r-a is qualified for MR/);
});

test('a subspecialty peer is preferred, then the reviewer with fewest open reviews, ties by the seeded draw', () => {
  const readers = [
    reader('r-a', { subspecialties: ['neuro'] }),
    reader('r-b', { subspecialties: ['general'] }),
    reader('r-c', { subspecialties: ['neuro'] }),
    reader('r-d', { subspecialties: ['neuro'] }),
  ];
  const facts = { caseId: 'C-9', modalities: ['MR'], originalReaderId: 'r-a' };
  const pick = (open: [string, number][]) => {
    const c = chooseReviewer(readers, facts, { seed: 's', openReviews: new Map(open) });
    return c.ok ? c.reviewerId : null;
  };
  assert.equal(
    pick([
      ['r-c', 0],
      ['r-d', 3],
    ]),
    'r-c',
  );
  assert.equal(
    pick([
      ['r-c', 5],
      ['r-d', 3],
    ]),
    'r-d',
  );
  // Equal loads: the same seed always picks the same one of the two peers.
  const first = pick([]);
  assert.ok(first === 'r-c' || first === 'r-d');
  assert.equal(pick([]), first);
  // Over many cases, ties go both ways.
  const chosen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const c = chooseReviewer(readers, { ...facts, caseId: `C-${i}` }, { seed: 's', openReviews: new Map() });
    if (c.ok) chosen.add(c.reviewerId);
  }
  assert.deepEqual([...chosen].sort(), ['r-c', 'r-d']);
});

test('settings validation names every bad field', () => {
  assert.deepEqual(validatePeerReviewSettings(DEFAULT_PEER_REVIEW_SETTINGS), []);
  const errors = validatePeerReviewSettings({
    enabled: 'yes',
    rate: 5,
    byModality: { CT: -1 },
    byReader: [],
    seed: '',
    targetDays: 0.5,
    anonymise: true,
  });
  assert.deepEqual(
    errors.map((e) => e.path),
    ['enabled', 'rate', 'byModality.CT', 'byReader', 'seed', 'targetDays'],
  );
});
