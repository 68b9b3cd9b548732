import type { CaseSummary } from './case-summary.ts';

/** A change to one case, as live streams see it. */
export interface CaseChange {
  type: 'case:changed';
  summary: CaseSummary;
  /** Readers who could see the case before this change (so their worklists can drop it). */
  visibleBefore: string[];
  /** Readers who may see it now (eligible, or its owner). */
  visibleNow: string[];
  /** The event types this change consisted of, e.g. ['case:claimed']. */
  events: string[];
}

/** A message for coordinators (SLA escalation to a supervisor, exception raised). */
export interface CoordinatorNotice {
  type: 'notice';
  caseId: string;
  kind: string;
  message: string;
  at: string;
}

export type WorklistMessage = CaseChange | CoordinatorNotice;

/**
 * In-process fan-out of worklist changes to live streams on this node. Changes made on other nodes reach
 * it through the durable event log (see WorklistService.pollRemoteChanges).
 */
export class WorklistBus {
  private readonly listeners = new Set<(m: WorklistMessage) => void>();

  /** Returns the function that unsubscribes. */
  subscribe(listener: (m: WorklistMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(message: WorklistMessage): void {
    for (const l of this.listeners) {
      try {
        l(message);
      } catch {
        // One broken stream must not stop the others.
      }
    }
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }
}
