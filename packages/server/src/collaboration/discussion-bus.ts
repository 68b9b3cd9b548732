import type { CommentView } from './discussion-service.ts';

/** A change in one case's discussion (a comment posted, edited or deleted) or in one of its consults. */
export type DiscussionMessage =
  | { type: 'comment'; caseId: string; comment: CommentView }
  | { type: 'consult'; caseId: string; consultId: string; state: string; event: string };

/**
 * In-process fan-out of discussion changes to the case pages open on this node, keyed by case, so a
 * stream only hears its own case. Viewers on other nodes see new comments when they next load the thread.
 */
export class DiscussionBus {
  private readonly byCase = new Map<string, Set<(m: DiscussionMessage) => void>>();

  /** Returns the function that unsubscribes. */
  subscribe(caseId: string, listener: (m: DiscussionMessage) => void): () => void {
    let set = this.byCase.get(caseId);
    if (!set) {
      set = new Set();
      this.byCase.set(caseId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.byCase.delete(caseId);
    };
  }

  publish(message: DiscussionMessage): void {
    for (const l of this.byCase.get(message.caseId) ?? []) {
      try {
        l(message);
      } catch {
        // One broken stream must not stop the others.
      }
    }
  }
}
