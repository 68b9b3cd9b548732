import { type Clock, DEFAULT_PEER_REVIEW_SETTINGS, Role, sessionLocalStart } from '@confer/core';
import type { Kysely } from 'kysely';
import type { Actor, RequestOrigin } from '../archive/ports.ts';
import type { PeerReviewService } from '../peer-review/peer-review-service.ts';
import type { Database } from '../store/schema.ts';
import type { BoardService } from './board-service.ts';

/** The demo's quality lead and MDT coordinator act as this (the demo coordinator user). */
const DEMO_LEAD: Actor = {
  kind: 'system',
  id: 'demo',
  name: 'demo',
  roles: [Role.Admin],
  siteId: null,
  username: 'coordinator',
};
const ORIGIN: RequestOrigin = { protocol: 'cli', remoteAddress: 'local' };
const DEMO_BOARD_TITLE = 'Thoracic oncology MDT';

/**
 * The demo's peer review settings (20 % of finalised cases, 30 % of CT, anonymised, 7 days to score) and one
 * board session tomorrow at 08:00 in London with the coordinator, a reader and a clinician as members.
 * Cases arrive after start (the demo streams studies), so `fill()` adds the first two to the session once
 * they exist; it is cheap to call on a timer and does nothing once the session has its cases.
 */
export async function seedDemoReviewAndBoard(
  deps: { db: Kysely<Database>; peerReview: PeerReviewService; boards: BoardService },
  clock: Clock,
  members: readonly string[],
): Promise<{ boardId: string | undefined; fill: () => Promise<number> }> {
  const { db, peerReview, boards } = deps;
  const settings = await peerReview.settings();
  if (!settings.savedAt)
    await peerReview.saveSettings(
      DEMO_LEAD,
      { ...DEFAULT_PEER_REVIEW_SETTINGS, rate: 0.2, byModality: { CT: 0.3 }, targetDays: 7, anonymise: true },
      ORIGIN,
    );
  let boardId = (
    await db
      .selectFrom('board_sessions')
      .select('id')
      .where('title', '=', DEMO_BOARD_TITLE)
      .executeTakeFirst()
  )?.id;
  if (!boardId) {
    const tomorrow = sessionLocalStart(clock.now().getTime() + 86_400_000, 'Europe/London').date;
    const known = await db
      .selectFrom('users')
      .select('username')
      .where('username', 'in', [...members])
      .execute();
    const created = await boards.create(
      DEMO_LEAD,
      {
        title: DEMO_BOARD_TITLE,
        date: tomorrow,
        time: '08:00',
        timeZone: 'Europe/London',
        durationMinutes: 90,
        specialties: ['oncology', 'thoracic surgery', 'radiology', 'pathology'],
        location: 'Northvale Hub, room 4 (and video)',
        members: known.map((k) => k.username),
      },
      ORIGIN,
    );
    boardId = created.id;
  }
  const id = boardId;
  let done = false;
  const questions = [
    'Nodule on this study: resectable, or biopsy first?',
    'Staging: is further imaging needed before treatment?',
  ];
  return {
    boardId: id,
    async fill() {
      if (done) return 0;
      const listed = await db
        .selectFrom('board_cases')
        .select('case_id')
        .where('session_id', '=', id)
        .execute();
      if (listed.length >= 2) {
        done = true;
        return 0;
      }
      const candidates = await db
        .selectFrom('cases')
        .select('id')
        .orderBy('created_at')
        .limit(2 + listed.length)
        .execute();
      let added = 0;
      for (const c of candidates) {
        if (listed.length + added >= 2) break;
        if (listed.some((l) => l.case_id === c.id)) continue;
        await boards.addCase(
          DEMO_LEAD,
          id,
          { caseId: c.id, question: questions[listed.length + added]! },
          ORIGIN,
        );
        added++;
      }
      return added;
    },
  };
}
