/**
 * Between Cornerstone's annotations (world coordinates, tool names, cached statistics) and Confer's
 * (image coordinates, four tools, server-computed values). Pure: the coordinate transforms come in.
 */

import type { AnnotationTool } from '@confer/core';
import type { NewAnnotation } from './viewer-api.ts';

/** Confer's tool for each Cornerstone tool name, and back. */
export const CORNERSTONE_TOOL: Record<AnnotationTool, string> = {
  length: 'Length',
  angle: 'Angle',
  ellipse: 'EllipticalROI',
  rectangle: 'RectangleROI',
};

export function conferToolOf(toolName: string): AnnotationTool | undefined {
  for (const [tool, name] of Object.entries(CORNERSTONE_TOOL))
    if (name === toolName) return tool as AnnotationTool;
  return undefined;
}

export type Point3 = [number, number, number];

/** The parts of a Cornerstone annotation the bridge reads. */
export interface CornerstoneAnnotationLike {
  annotationUID?: string;
  metadata: { toolName: string; referencedImageId?: string };
  data: {
    label?: string;
    handles: { points: Point3[] };
    cachedStats?: Record<string, Record<string, unknown> | undefined>;
  };
}

export interface ImageRef {
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
  frameNumber: number;
}

/**
 * What to POST for an annotation just drawn, or undefined for a tool Confer does not save. Pixel statistics
 * are taken from Cornerstone's cached stats (the server cannot decode pixels); lengths and areas the server
 * computes itself.
 */
export function toNewAnnotation(
  a: CornerstoneAnnotationLike,
  image: ImageRef,
  worldToImage: (p: Point3) => [number, number],
): NewAnnotation | undefined {
  const tool = conferToolOf(a.metadata.toolName);
  if (!tool) return undefined;
  const points = a.data.handles.points.map((p) => {
    const [x, y] = worldToImage(p);
    return [Math.round(x * 100) / 100, Math.round(y * 100) / 100] as [number, number];
  });
  const out: NewAnnotation = { ...image, tool, points };
  if (a.data.label) out.label = a.data.label;
  if (tool === 'ellipse' || tool === 'rectangle') {
    // Stats are kept per render target; the one for the image drawn on is `imageId:<id>`.
    const all = a.data.cachedStats ?? {};
    const ref = a.metadata.referencedImageId;
    const stats = (ref ? all[`imageId:${ref}`] : undefined) ?? Object.values(all)[0];
    if (stats) {
      const s: NonNullable<NewAnnotation['statistics']> = {};
      for (const k of ['mean', 'stdDev', 'min', 'max'] as const) {
        const v = stats[k];
        if (typeof v === 'number' && Number.isFinite(v)) s[k] = v;
      }
      const unit = stats.modalityUnit;
      if (typeof unit === 'string') s.unit = unit === 'HU' ? 'HU' : '';
      if (Object.keys(s).length) out.statistics = s;
    }
  }
  return out;
}

/** The Cornerstone handle points of a saved annotation. */
export function toWorldPoints(
  points: readonly (readonly [number, number])[],
  imageToWorld: (p: [number, number]) => Point3,
): Point3[] {
  return points.map(([x, y]) => imageToWorld([x, y]));
}

/**
 * Whether the viewer's statistics of a region differ from the saved ones as the server rounds them (to the
 * hundredth): then the saved figures are stale and the author's viewer stores the ones on screen.
 */
export function statisticsDiffer(
  saved: readonly { name: string; value: number }[],
  stats: NewAnnotation['statistics'] | undefined,
): boolean {
  if (!stats) return false;
  for (const k of ['mean', 'stdDev', 'min', 'max'] as const) {
    const v = stats[k];
    if (v === undefined) continue;
    const s = saved.find((m) => m.name === k);
    if (!s || Math.abs(Math.round(v * 100) / 100 - s.value) > 0.001) return true;
  }
  return false;
}

/** Two geometries are the same drawing when every point is within a hundredth of a pixel. */
export function samePoints(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): boolean {
  return (
    a.length === b.length &&
    a.every((p, i) => Math.abs(p[0]! - b[i]![0]!) < 0.01 && Math.abs(p[1]! - b[i]![1]!) < 0.01)
  );
}
