import { type Clock, readersOnShiftAt } from '@confer/core';
import type { Logger } from 'pino';
import type { Actor, RequestOrigin } from '../archive/ports.ts';
import { Rng } from '../synthetic/index.ts';
import type { RoutingConfigStore } from '../worklist/routing-config-store.ts';
import { WorklistError, type WorklistService } from '../worklist/worklist-service.ts';

export interface SimulatedReadersOptions {
  worklist: WorklistService;
  routing: RoutingConfigStore;
  clock: Clock;
  /** Readers left to people trying the demo: never simulated. */
  humanUsernames: string[];
  /** How long a simulated read takes, in minutes. */
  readMinutes?: { min: number; max: number };
  /** Chance per step that an idle simulated reader on shift takes the next case. */
  pickChance?: number;
  seed?: string;
  logger?: Logger;
  /** How a read ends; the default marks the case final. The demo writes and signs a report. */
  finalize?: (actor: Actor, caseId: string, origin: RequestOrigin) => Promise<void>;
}

const ORIGIN: RequestOrigin = { protocol: 'api', remoteAddress: 'demo' };

/**
 * The demo's other readers: on-shift readers (except those left to people) take the next case from their
 * own worklist now and then, keep their claim alive while "reading", and finalize after a few minutes. They
 * go through the same worklist service as people, so their claims, heartbeats and reads are routed, leased,
 * timed and audited like anyone's. They read a little slower than studies arrive at peak, so the demo shows
 * queues building and SLAs slipping.
 */
export class SimulatedReaders {
  private readonly o: Required<Omit<SimulatedReadersOptions, 'logger' | 'finalize'>> &
    Pick<SimulatedReadersOptions, 'logger' | 'finalize'>;
  private readonly rng: Rng;
  /** caseId -> when the simulated read ends (epoch ms). */
  private readonly reading = new Map<string, { username: string; until: number }>();

  constructor(options: SimulatedReadersOptions) {
    this.o = {
      readMinutes: { min: 2, max: 9 },
      pickChance: 0.35,
      seed: 'confer-demo-readers',
      ...options,
    };
    this.rng = new Rng(this.o.seed);
  }

  private actor(username: string): Actor {
    return {
      kind: 'user',
      id: `demo:${username}`,
      name: username,
      username,
      roles: ['radiologist'],
      siteId: null,
    };
  }

  /** One step: finish reads that are due, renew leases of the others, let idle readers take a case. */
  async step(): Promise<{ claimed: number; finalized: number }> {
    const live = this.o.routing.current();
    if (!live) return { claimed: 0, finalized: 0 };
    const now = this.o.clock.now().getTime();
    let finalized = 0;
    for (const [caseId, r] of [...this.reading]) {
      try {
        if (now >= r.until) {
          if (this.o.finalize) await this.o.finalize(this.actor(r.username), caseId, ORIGIN);
          else await this.o.worklist.finish(this.actor(r.username), caseId, ORIGIN, 'finalize');
          this.reading.delete(caseId);
          finalized++;
        } else {
          await this.o.worklist.heartbeat(this.actor(r.username), caseId);
        }
      } catch (err) {
        // Reassigned by a coordinator, or taken back after an outage: the simulated reader lets it go.
        if (!(err instanceof WorklistError)) throw err;
        this.reading.delete(caseId);
      }
    }
    const busy = new Set([...this.reading.values()].map((r) => r.username));
    const onShift = readersOnShiftAt(live.config, now);
    let claimed = 0;
    for (const reader of live.config.readers) {
      const username = reader.username;
      if (!username || this.o.humanUsernames.includes(username) || busy.has(username)) continue;
      if (!onShift.has(reader.id) || !this.rng.chance(this.o.pickChance)) continue;
      try {
        const c = await this.o.worklist.next(this.actor(username), ORIGIN);
        const minutes = this.rng.range(this.o.readMinutes.min, this.o.readMinutes.max);
        this.reading.set(c.id, { username, until: now + minutes * 60_000 });
        claimed++;
      } catch (err) {
        if (!(err instanceof WorklistError)) throw err;
      }
    }
    if (claimed || finalized) this.o.logger?.debug({ claimed, finalized }, 'simulated readers');
    return { claimed, finalized };
  }
}
