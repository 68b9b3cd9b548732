import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_PEER_REVIEW_SETTINGS, ManualClock, sampleCase } from '@confer/core';
import { storeCases } from '../../test/support/stores.ts';
import { bearer, HUB, startWorklistBed, type WorklistBed } from '../../test/support/worklist.ts';
import type { PeerReviewView } from './peer-review-service.ts';

const DAY = 86_400_000;

async function call(
  bed: WorklistBed,
  token: string,
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  payload?: object,
) {
  const r = await bed.confer.app.inject({
    method,
    url,
    headers: bearer(token),
    ...(payload !== undefined ? { payload } : {}),
  });
  return { status: r.statusCode, body: r.json() as Record<string, unknown>, text: r.body };
}

/** A reader claims and finalises a new case; returns its id. */
async function finalisedCase(bed: WorklistBed, readerToken: string): Promise<string> {
  const caseId = await bed.newCase({ site: HUB });
  for (const step of ['claim', 'final']) {
    const r = await call(bed, readerToken, 'POST', `/api/cases/${caseId}/${step}`);
    assert.equal(r.status, 200, `${step}: ${r.text}`);
  }
  return caseId;
}

/** A report's content, signed final through the reporting API (a person signs, with their password). */
const REPORT = {
  title: 'Chest radiograph',
  sections: [{ id: 'findings', title: 'Findings', text: 'Lungs clear. No pneumothorax.', required: true }],
  impression: 'Normal chest radiograph.',
  measurements: [],
  criticalFindings: [],
};

/** A reader claims a new case and signs its report final (which finalises the case); returns its id. */
async function signedCase(bed: WorklistBed, username: string): Promise<string> {
  await bed.token(username, ['radiologist']);
  const login = await bed.confer.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username, password: `${username}-password-1` },
  });
  const cookie = String(login.headers['set-cookie']).split(';')[0]!;
  const caseId = await bed.newCase({ site: HUB });
  const claim = await bed.confer.app.inject({
    method: 'POST',
    url: `/api/cases/${caseId}/claim`,
    headers: { cookie },
  });
  assert.equal(claim.statusCode, 200, claim.body);
  const signed = await bed.confer.app.inject({
    method: 'POST',
    url: `/api/cases/${caseId}/report/sign`,
    headers: { cookie },
    payload: { kind: 'final', password: `${username}-password-1`, expectedRevision: 0, content: REPORT },
  });
  assert.equal(signed.statusCode, 200, signed.body);
  assert.equal((await bed.confer.worklist.row(caseId))!.state, 'final');
  return caseId;
}

/** The kinds and titles of a user's in-app notifications, newest first. */
async function notices(
  bed: WorklistBed,
  token: string,
): Promise<{ kind: string; title: string; body: string | null; link: string | null }[]> {
  const r = await call(bed, token, 'GET', '/api/notifications');
  assert.equal(r.status, 200, r.text);
  return r.body.items as { kind: string; title: string; body: string | null; link: string | null }[];
}

async function people(bed: WorklistBed) {
  return {
    ada: await bed.token('ada', ['radiologist']),
    ben: await bed.token('ben', ['radiologist']),
    cy: await bed.token('cy', ['radiologist']),
    lead: await bed.token('quinn', ['coordinator']),
    referrer: await bed.token('rita', ['referrer']),
  };
}

for (const sc of await storeCases()) {
  test(`peer review on ${sc.name}: seeded sampling at the rate, a score 3b, the discrepancy workflow, anonymity, summaries`, {
    skip: sc.skip,
  }, async () => {
    const env = await sc.open();
    const bed = await startWorklistBed(env);
    try {
      const p = await people(bed);
      const settings = {
        ...DEFAULT_PEER_REVIEW_SETTINGS,
        rate: 0.5,
        seed: 'int-test',
        anonymise: true,
        targetDays: 7,
      };
      const saved = await call(bed, p.lead, 'PUT', '/api/peer-review/settings', settings);
      assert.equal(saved.status, 200, saved.text);
      // Invalid settings are refused with every problem named.
      const bad = await call(bed, p.lead, 'PUT', '/api/peer-review/settings', { rate: 2 });
      assert.equal(bad.status, 400, bad.text);
      const badSeed = await call(bed, p.lead, 'PUT', '/api/peer-review/settings', { seed: '' });
      assert.equal(badSeed.status, 400);

      // Ada finalises twelve cases; the sample is exactly the one the seeded rule picks.
      const cases: string[] = [];
      for (let i = 0; i < 12; i++) cases.push(await finalisedCase(bed, p.ada));
      await bed.confer.tick();
      const expected = cases.filter(
        (caseId) => sampleCase(settings, { caseId, modalities: ['CR'], originalReaderId: 'r-ada' }).sampled,
      );
      assert.ok(expected.length > 0 && expected.length < cases.length, `sample of ${expected.length}`);
      const all = await call(bed, p.lead, 'GET', '/api/peer-review/reviews');
      assert.equal(all.status, 200, all.text);
      const reviews = all.body.reviews as PeerReviewView[];
      assert.deepEqual(reviews.map((r) => r.caseId).sort(), [...expected].sort());
      for (const r of reviews) {
        assert.notEqual(r.reviewer?.id, 'r-ada', 'never the original reader');
        assert.equal(r.originalReader?.id, 'r-ada');
        assert.equal(r.dueAt, new Date(bed.clock.now().getTime() + 7 * DAY).toISOString());
        assert.equal(r.sample?.source, 'overall');
      }
      // A second tick samples nothing again (the cursor moved on).
      await bed.confer.tick();
      assert.equal(
        ((await call(bed, p.lead, 'GET', '/api/peer-review/reviews')).body.reviews as unknown[]).length,
        reviews.length,
      );

      // The reviewer sees their queue without the original reader's name anywhere in the answer.
      const review = reviews[0]!;
      const reviewerName = review.reviewer!.id === 'r-ben' ? 'ben' : 'cy';
      const reviewerToken = reviewerName === 'ben' ? p.ben : p.cy;
      // Each reviewer was told in the app of each review assigned to them.
      const assigned = (await notices(bed, reviewerToken)).filter((n) => n.kind === 'peer-review:assigned');
      assert.equal(assigned.length, reviews.filter((r) => r.reviewer?.id === review.reviewer?.id).length);
      assert.ok(assigned.some((n) => n.link === `#/peer-review?review=${review.id}`));
      const mine = await call(bed, reviewerToken, 'GET', '/api/peer-review/mine');
      assert.equal(mine.status, 200, mine.text);
      assert.ok((mine.body.reviews as PeerReviewView[]).some((r) => r.id === review.id));
      assert.doesNotMatch(mine.text, /r-ada|Ada Quill|"ada"/);
      const detail = await call(bed, reviewerToken, 'GET', `/api/peer-review/reviews/${review.id}`);
      assert.equal(detail.status, 200, detail.text);
      assert.doesNotMatch(detail.text, /r-ada|Ada Quill|"ada"/);
      const d = detail.body.review as { originalReader: unknown; anonymised: boolean; series: unknown[] };
      assert.equal(d.originalReader, null);
      assert.equal(d.anonymised, true);
      assert.ok(d.series.length > 0);
      // Someone else's review is refused, and the refusal audited.
      const other = reviewerName === 'ben' ? p.cy : p.ben;
      const refused = await call(bed, other, 'GET', `/api/peer-review/reviews/${review.id}`);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, 'CONFER_ERR_PEER_REVIEW_NOT_YOURS');
      const wrongScorer = await call(bed, other, 'POST', `/api/peer-review/reviews/${review.id}/score`, {
        score: 1,
      });
      assert.equal(wrongScorer.status, 403);

      // Score validation: a discrepancy needs a significance and a comment.
      const noSig = await call(bed, reviewerToken, 'POST', `/api/peer-review/reviews/${review.id}/score`, {
        score: 3,
        comment: 'x',
      });
      assert.equal(noSig.status, 400);
      assert.equal(noSig.body.code, 'CONFER_ERR_PEER_REVIEW_SCORE_INVALID');
      const scored = await call(bed, reviewerToken, 'POST', `/api/peer-review/reviews/${review.id}/score`, {
        score: 3,
        significance: 'b',
        comment: 'Right apical pneumothorax not mentioned.',
      });
      assert.equal(scored.status, 200, scored.text);
      const s = scored.body.review as PeerReviewView;
      assert.equal(s.scoreCode, '3b');
      assert.equal(s.discrepancy?.state, 'awaiting-response');
      const again = await call(bed, reviewerToken, 'POST', `/api/peer-review/reviews/${review.id}/score`, {
        score: 1,
      });
      assert.equal(again.status, 409);

      // The original reader is told at once, without the reviewer's name.
      const told = (await notices(bed, p.ada)).find((n) => n.kind === 'peer-review:discrepancy');
      assert.ok(told, 'the original reader is notified of the discrepancy');
      assert.match(told.title, /\(3b\)/);
      assert.doesNotMatch(`${told.title} ${told.body}`, /Ben|Cy|r-ben|r-cy/);
      // The original reader sees the discrepancy, not who scored it, and answers.
      const disc = await call(bed, p.ada, 'GET', '/api/peer-review/discrepancies/mine');
      assert.equal(disc.status, 200, disc.text);
      const dr = (disc.body.reviews as PeerReviewView[]).find((r) => r.id === review.id)!;
      assert.equal(dr.reviewer, null);
      assert.equal(dr.comment, 'Right apical pneumothorax not mentioned.');
      assert.doesNotMatch(disc.text, new RegExp(`r-${reviewerName}|"${reviewerName}"|Ben Marsh|Cy Fenn`));
      const noWhy = await call(bed, p.ada, 'POST', `/api/peer-review/reviews/${review.id}/respond`, {
        response: 'disagree',
      });
      assert.equal(noWhy.status, 400);
      const notHers = await call(
        bed,
        reviewerToken,
        'POST',
        `/api/peer-review/reviews/${review.id}/respond`,
        {
          response: 'agree',
        },
      );
      assert.equal(notHers.status, 403);
      const answered = await call(bed, p.ada, 'POST', `/api/peer-review/reviews/${review.id}/respond`, {
        response: 'disagree',
        comment: 'Skin fold, not a pneumothorax.',
      });
      assert.equal(answered.status, 200, answered.text);
      assert.equal((answered.body.review as PeerReviewView).discrepancy?.state, 'responded');

      assert.ok(
        (await notices(bed, p.lead)).some(
          (n) => n.kind === 'peer-review:response' && /disagrees/.test(n.title),
        ),
        'quality leads are told of the answer',
      );
      // Only a quality lead escalates and closes.
      assert.equal(
        (await call(bed, p.ada, 'POST', `/api/peer-review/reviews/${review.id}/close`, {})).status,
        403,
      );
      const esc = await call(bed, p.lead, 'POST', `/api/peer-review/reviews/${review.id}/escalate`, {
        note: 'For the committee on Thursday',
      });
      assert.equal(esc.status, 200, esc.text);
      assert.equal((esc.body.review as PeerReviewView).discrepancy?.state, 'escalated');
      const closed = await call(bed, p.lead, 'POST', `/api/peer-review/reviews/${review.id}/close`, {
        note: 'Committee: discrepancy upheld, teaching case',
      });
      assert.equal(closed.status, 200);
      const c = closed.body.review as PeerReviewView;
      assert.equal(c.discrepancy?.state, 'closed');
      assert.equal(c.reviewer?.id, review.reviewer!.id, 'the lead sees both names');
      assert.equal(c.originalReader?.id, 'r-ada');
      assert.ok((await notices(bed, p.ada)).some((n) => n.kind === 'peer-review:closed'));
      const closedAgain = await call(bed, p.lead, 'POST', `/api/peer-review/reviews/${review.id}/close`, {});
      assert.equal(closedAgain.status, 409);
      assert.equal(closedAgain.body.code, 'CONFER_ERR_DISCREPANCY_STATE');

      // A second review scored 1 by its reviewer.
      const second = reviews[1];
      if (second) {
        const t = second.reviewer!.id === 'r-ben' ? p.ben : p.cy;
        const one = await call(bed, t, 'POST', `/api/peer-review/reviews/${second.id}/score`, { score: 1 });
        assert.equal(one.status, 200, one.text);
        assert.equal((one.body.review as PeerReviewView).discrepancy, null);
      }

      // Summaries: per reader and per modality for the lead, and Ada's own.
      const sum = await call(bed, p.lead, 'GET', '/api/peer-review/summary');
      assert.equal(sum.status, 200, sum.text);
      const overall = sum.body.overall as {
        scored: number;
        discrepancies: number;
        byScore: Record<string, number>;
      };
      const scoredCount = second ? 2 : 1;
      assert.equal(overall.scored, scoredCount);
      assert.equal(overall.byScore['3b'], 1);
      assert.equal(overall.discrepancies, 1);
      const byReader = sum.body.byReader as {
        readerId: string;
        name: string;
        summary: { discrepancyRate: number };
      }[];
      assert.deepEqual(
        byReader.map((r) => r.readerId),
        ['r-ada'],
      );
      assert.equal(byReader[0]!.summary.discrepancyRate, 1 / scoredCount);
      assert.deepEqual(
        (sum.body.byModality as { modality: string }[]).map((m) => m.modality),
        ['CR'],
      );
      // A date range that ends before any score counts nothing.
      const before = await call(
        bed,
        p.lead,
        'GET',
        `/api/peer-review/summary?to=${encodeURIComponent(new Date(bed.clock.now().getTime() - DAY).toISOString())}`,
      );
      assert.equal((before.body.overall as { scored: number }).scored, 0);
      const badRange = await call(bed, p.lead, 'GET', '/api/peer-review/summary?from=yesterday');
      assert.equal(badRange.status, 400);
      const own = await call(bed, p.ada, 'GET', '/api/peer-review/summary/mine');
      assert.equal(own.status, 200, own.text);
      assert.equal((own.body.summary as { scored: number }).scored, scoredCount);
      assert.equal((await call(bed, p.ada, 'GET', '/api/peer-review/summary')).status, 403);

      // Every change and access is in the audit trail.
      const actions = (
        await bed.confer.store.db.selectFrom('audit_events').select(['action', 'outcome']).execute()
      ).map((a) => `${a.action}:${a.outcome}`);
      for (const a of [
        'peer-review-settings:success',
        'peer-review-sample:success',
        'peer-review-view:success',
        'peer-review-view:denied',
        'peer-review-score:success',
        'peer-review-respond:success',
        'peer-review-escalate:success',
        'peer-review-close:success',
        'peer-review-summary:success',
      ])
        assert.ok(actions.includes(a), `audit has ${a}`);
    } finally {
      await bed.close();
      await env.cleanup();
    }
  });
}

const sqlite = (await storeCases()).find((c) => c.name === 'sqlite')!;

test('with anonymisation off, the reviewer and the original reader see each other; per-reader rate 1 samples every case', async () => {
  const env = await sqlite.open();
  const bed = await startWorklistBed(env);
  try {
    const p = await people(bed);
    const r = await call(bed, p.lead, 'PUT', '/api/peer-review/settings', {
      ...DEFAULT_PEER_REVIEW_SETTINGS,
      rate: 0,
      byReader: { 'r-ben': 1 },
      anonymise: false,
    });
    assert.equal(r.status, 200, r.text);
    const benCases = [await finalisedCase(bed, p.ben), await finalisedCase(bed, p.ben)];
    await finalisedCase(bed, p.ada);
    await bed.confer.tick();
    const all = (await call(bed, p.lead, 'GET', '/api/peer-review/reviews')).body.reviews as PeerReviewView[];
    assert.deepEqual(all.map((x) => x.caseId).sort(), [...benCases].sort());
    assert.ok(all.every((x) => x.sample?.source === 'reader'));
    const reviewer = all[0]!.reviewer!.id === 'r-ada' ? p.ada : p.cy;
    const mine = await call(bed, reviewer, 'GET', '/api/peer-review/mine');
    const seen = (mine.body.reviews as PeerReviewView[]).find((x) => x.id === all[0]!.id)!;
    assert.deepEqual(seen.originalReader, { id: 'r-ben', name: 'Dr Ben Marsh' });
    assert.equal(seen.anonymised, false);
  } finally {
    await bed.close();
    await env.cleanup();
  }
});

test('every peer review route: anonymous 401, a referrer 403, the right role 2xx', async () => {
  const env = await sqlite.open();
  const bed = await startWorklistBed(env);
  try {
    const p = await people(bed);
    const routes: { method: 'GET' | 'PUT'; url: string; payload?: object; ok: string }[] = [
      { method: 'GET', url: '/api/peer-review/settings', ok: p.lead },
      { method: 'PUT', url: '/api/peer-review/settings', payload: { rate: 0.1 }, ok: p.lead },
      { method: 'GET', url: '/api/peer-review/mine', ok: p.ben },
      { method: 'GET', url: '/api/peer-review/discrepancies/mine', ok: p.ben },
      { method: 'GET', url: '/api/peer-review/summary/mine', ok: p.ben },
      { method: 'GET', url: '/api/peer-review/summary', ok: p.lead },
      { method: 'GET', url: '/api/peer-review/reviews', ok: p.lead },
    ];
    for (const route of routes) {
      const base = {
        method: route.method,
        url: route.url,
        ...(route.payload ? { payload: route.payload } : {}),
      };
      const anon = await bed.confer.app.inject(base);
      assert.equal(anon.statusCode, 401, `${route.url} anonymous`);
      const ref = await bed.confer.app.inject({ ...base, headers: bearer(p.referrer) });
      assert.equal(ref.statusCode, 403, `${route.url} referrer`);
      assert.match(ref.headers['content-type'] ?? '', /problem\+json/);
      const ok = await bed.confer.app.inject({ ...base, headers: bearer(route.ok) });
      assert.ok(ok.statusCode < 300, `${route.url}: ${ok.statusCode} ${ok.body}`);
    }
    // A radiologist who is not in the routing directory is told how to fix it.
    const stranger = await bed.token('stan', ['radiologist']);
    const s = await call(bed, stranger, 'GET', '/api/peer-review/mine');
    assert.equal(s.status, 403);
    assert.equal(s.body.code, 'CONFER_ERR_NOT_A_READER');
    const missing = await call(bed, p.lead, 'GET', '/api/peer-review/reviews/PR-NOPE');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'CONFER_ERR_PEER_REVIEW_NOT_FOUND');
    const spec = (await bed.confer.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
      paths: Record<string, unknown>;
    };
    assert.ok(spec.paths['/api/peer-review/reviews/{id}/score']);
  } finally {
    await bed.close();
    await env.cleanup();
  }
});

test('the reviewer reads the signed report without its signature when anonymised', async () => {
  const env = await sqlite.open();
  const bed = await startWorklistBed(env);
  try {
    const p = await people(bed);
    await call(bed, p.lead, 'PUT', '/api/peer-review/settings', { ...DEFAULT_PEER_REVIEW_SETTINGS, rate: 1 });
    const caseId = await signedCase(bed, 'ada');
    await bed.confer.tick();
    const [review] = (await call(bed, p.lead, 'GET', '/api/peer-review/reviews')).body
      .reviews as PeerReviewView[];
    assert.equal(review?.caseId, caseId);
    const token = review!.reviewer!.id === 'r-ben' ? p.ben : p.cy;
    const detail = await call(bed, token, 'GET', `/api/peer-review/reviews/${review!.id}`);
    assert.equal(detail.status, 200, detail.text);
    const report = (detail.body.review as { report: Record<string, unknown> | null }).report;
    assert.equal(report?.status, 'final');
    assert.match(String(report?.text), /Lungs clear\. No pneumothorax\./);
    assert.equal(report?.impression, 'Normal chest radiograph.');
    assert.equal(report?.authorName, undefined);
    assert.doesNotMatch(detail.text, /Ada Quill|r-ada/);
    // The quality lead sees who signed it.
    const lead = await call(bed, p.lead, 'GET', `/api/peer-review/reviews/${review!.id}`);
    assert.equal((lead.body.review as { report: { authorName: string } }).report.authorName, 'Dr Ada Quill');
  } finally {
    await bed.close();
    await env.cleanup();
  }
});

const pg = (await storeCases()).find((c) => c.name === 'postgres')!;

test('two nodes sampling the same finalisations at once write one review per case, and notify once', {
  skip: pg.skip,
}, async () => {
  const env = await pg.open();
  const clock = new ManualClock('2026-03-10T14:00:00Z');
  const a = await startWorklistBed(env, { clock, node: 'node-a' });
  const b = await startWorklistBed(env, { clock, node: 'node-b' });
  try {
    const p = await people(a);
    await call(a, p.lead, 'PUT', '/api/peer-review/settings', { ...DEFAULT_PEER_REVIEW_SETTINGS, rate: 1 });
    // Six cases finalised with no tick in between, so both nodes find all six at once.
    const uids: string[] = [];
    for (let i = 0; i < 6; i++) uids.push(await a.storeStudy({ site: HUB }));
    await a.confer.tick();
    const cases = (await a.confer.store.db.selectFrom('cases').select('id').execute()).map((c) => c.id);
    assert.equal(cases.length, uids.length);
    for (const caseId of cases)
      for (const step of ['claim', 'final'])
        assert.equal((await call(a, p.ada, 'POST', `/api/cases/${caseId}/${step}`)).status, 200);
    const made = await Promise.all([
      a.confer.peerReview.sampleFinalised(),
      b.confer.peerReview.sampleFinalised(),
    ]);
    assert.equal(made[0] + made[1], cases.length, 'each case sampled by exactly one node');
    const rows = await a.confer.store.db.selectFrom('peer_reviews').select('case_id').execute();
    assert.deepEqual(rows.map((r) => r.case_id).sort(), [...cases].sort());
    const told = await a.confer.store.db
      .selectFrom('notifications')
      .select('case_id')
      .where('kind', '=', 'peer-review:assigned')
      .execute();
    assert.equal(told.length, cases.length);
  } finally {
    await a.close();
    await b.close();
    await env.cleanup();
  }
});
