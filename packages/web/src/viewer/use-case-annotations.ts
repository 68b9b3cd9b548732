import { useCallback, useEffect, useState } from 'react';
import { type Problem, toProblem } from '../problem.ts';
import { type SavedAnnotation, viewerApi } from './viewer-api.ts';

export interface CaseAnnotations {
  annotations: SavedAnnotation[];
  problem: Problem | null;
  /** Puts a saved or changed annotation in the list (a newer version wins). */
  upsert(a: SavedAnnotation): void;
  removeLocal(id: string): void;
  reload(): void;
}

/** Keeps the list in the order the server gives (the order they were drawn). */
export function mergeAnnotation(list: readonly SavedAnnotation[], a: SavedAnnotation): SavedAnnotation[] {
  const i = list.findIndex((x) => x.id === a.id);
  if (i < 0) return [...list, a];
  if (list[i]!.version > a.version) return [...list];
  const out = [...list];
  out[i] = a;
  return out;
}

/**
 * The case's annotations, kept current: loaded once, then changed by the case's annotation stream (other
 * readers' drawings appear without a reload), and loaded again on reconnection and when the window regains
 * focus (a change made through another node reaches this one then).
 */
export function useCaseAnnotations(caseId: string | null): CaseAnnotations {
  const [annotations, setAnnotations] = useState<SavedAnnotation[]>([]);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [attempt, setAttempt] = useState(0);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: attempt is the reload trigger
  useEffect(() => {
    if (!caseId) return;
    const controller = new AbortController();
    viewerApi.annotations(caseId, controller.signal).then(
      (list) => {
        setAnnotations(list);
        setProblem(null);
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setProblem(toProblem(error));
      },
    );
    return () => controller.abort();
  }, [caseId, attempt]);

  useEffect(() => {
    if (!caseId) return;
    const source = new EventSource(viewerApi.annotationStreamUrl(caseId));
    let opened = false;
    source.addEventListener('ready', () => {
      // The first "ready" follows the initial load; later ones follow a reconnection, which may have missed changes.
      if (opened) reload();
      opened = true;
    });
    source.addEventListener('annotation', (e) => {
      const a = JSON.parse((e as MessageEvent<string>).data) as SavedAnnotation;
      setAnnotations((list) => mergeAnnotation(list, a));
    });
    source.addEventListener('deleted', (e) => {
      const { id } = JSON.parse((e as MessageEvent<string>).data) as { id: string };
      setAnnotations((list) => list.filter((x) => x.id !== id));
    });
    const onFocus = () => reload();
    window.addEventListener('focus', onFocus);
    return () => {
      source.close();
      window.removeEventListener('focus', onFocus);
    };
  }, [caseId, reload]);

  return {
    annotations,
    problem,
    upsert: useCallback((a: SavedAnnotation) => setAnnotations((list) => mergeAnnotation(list, a)), []),
    removeLocal: useCallback((id: string) => setAnnotations((list) => list.filter((x) => x.id !== id)), []),
    reload,
  };
}
