import type { AnnotationView } from './annotation-service.ts';

export type AnnotationMessage =
  | { type: 'annotation'; caseId: string; annotation: AnnotationView }
  | { type: 'deleted'; caseId: string; id: string };

/**
 * Changes to a case's annotations, pushed to the viewers open on that case on this node. Other nodes'
 * viewers pick changes up when they reload the list (on focus and on reconnection).
 */
export class AnnotationEvents {
  private readonly listeners = new Map<string, Set<(m: AnnotationMessage) => void>>();

  /** Calls `fn` for every change to the case's annotations; returns the function that stops it. */
  subscribe(caseId: string, fn: (m: AnnotationMessage) => void): () => void {
    let set = this.listeners.get(caseId);
    if (!set) {
      set = new Set();
      this.listeners.set(caseId, set);
    }
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.listeners.delete(caseId);
    };
  }

  publish(message: AnnotationMessage): void {
    for (const fn of this.listeners.get(message.caseId) ?? []) {
      try {
        fn(message);
      } catch {
        // One broken listener (a closed socket) must not stop the others.
      }
    }
  }
}
