import type { Clock, ConsultPolicy } from '@confer/core';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditSink } from '../archive/ports.ts';
import { ConsultService } from '../consult/consult-service.ts';
import { consultRoutes } from '../http/consult-routes.ts';
import { discussionRoutes } from '../http/discussion-routes.ts';
import type { Database } from '../store/schema.ts';
import type { RoutingConfigStore } from '../worklist/routing-config-store.ts';
import type { WorklistService } from '../worklist/worklist-service.ts';
import { CaseAccess } from './case-access.ts';
import { DiscussionBus } from './discussion-bus.ts';
import { DiscussionFeed } from './discussion-feed.ts';
import { DiscussionService } from './discussion-service.ts';
import type { Notifier } from './notifier.ts';

export interface Collaboration {
  access: CaseAccess;
  discussion: DiscussionService;
  consults: ConsultService;
  bus: DiscussionBus;
  feed: DiscussionFeed;
  /**
   * The clockwork's turn: consult timers and re-routing, then other nodes' discussion and consult changes
   * published to this node's case pages.
   */
  tick(): Promise<void>;
  /** Route groups for buildApp's plugins. */
  routes: ReturnType<typeof discussionRoutes>[];
}

/** Case discussion and consults, wired to the worklist (visibility, routing) and the notifications. */
export function createCollaboration(deps: {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditSink;
  worklist: WorklistService;
  routing: RoutingConfigStore;
  policy: ConsultPolicy;
  notifier?: Notifier;
  logger?: Logger;
}): Collaboration {
  const access = new CaseAccess({ db: deps.db, worklist: deps.worklist });
  const bus = new DiscussionBus();
  const notifier = deps.notifier ? { notifier: deps.notifier } : {};
  const discussion = new DiscussionService({
    db: deps.db,
    clock: deps.clock,
    audit: deps.audit,
    access,
    bus,
    ...notifier,
  });
  const consults = new ConsultService({
    db: deps.db,
    clock: deps.clock,
    audit: deps.audit,
    access,
    worklist: deps.worklist,
    routing: deps.routing,
    bus,
    policy: deps.policy,
    ...notifier,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const feed = new DiscussionFeed({ db: deps.db, bus, readComment: (id) => discussion.commentView(id) });
  discussion.attachFeed(feed);
  consults.attachFeed(feed);
  return {
    access,
    discussion,
    consults,
    bus,
    feed,
    async tick() {
      await consults.tick();
      await feed.poll();
    },
    routes: [discussionRoutes({ discussion }), consultRoutes({ consults })],
  };
}
