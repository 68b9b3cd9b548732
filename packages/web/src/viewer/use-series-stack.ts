import { useEffect, useState } from 'react';
import { type Problem, toProblem } from '../problem.ts';
import { registerSlices } from './cornerstone-runtime.ts';
import { buildStack, type StackGeometry } from './stack-geometry.ts';
import { viewerApi } from './viewer-api.ts';

export interface SeriesStack {
  studyUid: string;
  seriesUid: string;
  geometry: StackGeometry;
  imageIds: string[];
}

const cache = new Map<string, Promise<SeriesStack>>();

/** A series' images in reading order, its metadata handed to the loader; fetched once per page. */
export function loadSeriesStack(studyUid: string, seriesUid: string): Promise<SeriesStack> {
  const key = `${studyUid}/${seriesUid}`;
  let p = cache.get(key);
  if (!p) {
    p = viewerApi.seriesMetadata(studyUid, seriesUid).then((instances) => {
      const geometry = buildStack(instances);
      return {
        studyUid,
        seriesUid,
        geometry,
        imageIds: registerSlices(studyUid, seriesUid, geometry.slices),
      };
    });
    // A failed load is tried again next time rather than remembered.
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

export type StackState =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'ready'; stack: SeriesStack }
  | { status: 'failed'; problem: Problem };

export function useSeriesStack(studyUid: string | null, seriesUid: string | null): StackState {
  const [state, setState] = useState<StackState>({ status: 'idle' });
  useEffect(() => {
    if (!studyUid || !seriesUid) {
      setState({ status: 'idle' });
      return;
    }
    let live = true;
    setState({ status: 'loading' });
    loadSeriesStack(studyUid, seriesUid).then(
      (stack) => live && setState({ status: 'ready', stack }),
      (error: unknown) => live && setState({ status: 'failed', problem: toProblem(error) }),
    );
    return () => {
      live = false;
    };
  }, [studyUid, seriesUid]);
  return state;
}
