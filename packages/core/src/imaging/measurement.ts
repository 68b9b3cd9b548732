/**
 * Viewer measurements: what a drawn shape measures, computed from its points in image coordinates and the
 * image's pixel spacing. The browser shows these numbers while drawing and the server recomputes them before
 * it stores an annotation, so a saved length never depends on what a client claimed.
 *
 * Image coordinates are (column, row) in pixels with the top-left corner of the first pixel at (0, 0) and
 * its centre at (0.5, 0.5): DICOM's convention for spatial coordinates (PS3.3 C.18.6.1.1), which is also
 * Cornerstone's, so points go into an SR export unchanged.
 */

export const AnnotationTool = {
  Length: 'length',
  Angle: 'angle',
  Ellipse: 'ellipse',
  Rectangle: 'rectangle',
} as const;
export type AnnotationTool = (typeof AnnotationTool)[keyof typeof AnnotationTool];

/** How many points each tool's geometry holds, in the order its handles are stored. */
export const TOOL_POINT_COUNT: Record<AnnotationTool, number> = {
  // the two ends
  length: 2,
  // first arm's end, the vertex, second arm's end
  angle: 3,
  // the ends of one axis, then the ends of the other (Cornerstone's bottom, top, left, right)
  ellipse: 4,
  // four corners in any order; the measured rectangle is their bounding box
  rectangle: 4,
};

export type ImagePoint = readonly [number, number];

/** Row spacing (between rows, i.e. along y) and column spacing (along x) in mm, as Pixel Spacing (0028,0030) orders them. */
export type PixelSpacing = readonly [number, number];

export interface MeasuredValue {
  /** What was measured: length, angle, area, mean, stdDev, min, max. */
  name: string;
  value: number;
  /** mm, deg, mm2, px, px2, HU, or '' for unitless pixel values. */
  unit: string;
}

export function isAnnotationTool(v: string): v is AnnotationTool {
  return Object.hasOwn(TOOL_POINT_COUNT, v);
}

/** A reason the geometry cannot be measured, or undefined when it can. */
export function geometryProblem(tool: AnnotationTool, points: readonly ImagePoint[]): string | undefined {
  const want = TOOL_POINT_COUNT[tool];
  if (points.length !== want) return `a ${tool} needs ${want} points, got ${points.length}`;
  for (const p of points) {
    if (!Array.isArray(p) || p.length !== 2 || !Number.isFinite(p[0]) || !Number.isFinite(p[1]))
      return 'every point must be [column, row] with finite numbers';
  }
  return undefined;
}

/** Spacing given only when both values are positive; otherwise measurements are in pixels. */
export function usableSpacing(spacing: readonly number[] | undefined | null): PixelSpacing | undefined {
  if (!spacing || spacing.length < 2) return undefined;
  const [row, col] = spacing as [number, number];
  return Number.isFinite(row) && Number.isFinite(col) && row > 0 && col > 0 ? [row, col] : undefined;
}

function distance(a: ImagePoint, b: ImagePoint, spacing: PixelSpacing | undefined): number {
  const dx = (b[0] - a[0]) * (spacing ? spacing[1] : 1);
  const dy = (b[1] - a[1]) * (spacing ? spacing[0] : 1);
  return Math.hypot(dx, dy);
}

/** The angle at the vertex in degrees, measured in patient space (spacing may differ per axis). */
function angleAt(
  a: ImagePoint,
  vertex: ImagePoint,
  b: ImagePoint,
  spacing: PixelSpacing | undefined,
): number {
  const sx = spacing ? spacing[1] : 1;
  const sy = spacing ? spacing[0] : 1;
  const ux = (a[0] - vertex[0]) * sx;
  const uy = (a[1] - vertex[1]) * sy;
  const vx = (b[0] - vertex[0]) * sx;
  const vy = (b[1] - vertex[1]) * sy;
  const nu = Math.hypot(ux, uy);
  const nv = Math.hypot(vx, vy);
  if (nu === 0 || nv === 0) return 0;
  const cos = Math.min(1, Math.max(-1, (ux * vx + uy * vy) / (nu * nv)));
  return (Math.acos(cos) * 180) / Math.PI;
}

const round = (v: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/**
 * The geometric measurements of a shape: length, angle or area, rounded to what a reader can use (0.01 mm,
 * 0.1 degree, 0.01 mm2). Pixel statistics (mean, standard deviation) need the pixels and come from the viewer.
 */
export function measureGeometry(
  tool: AnnotationTool,
  points: readonly ImagePoint[],
  spacing: PixelSpacing | undefined,
): MeasuredValue[] {
  const problem = geometryProblem(tool, points);
  if (problem) throw new RangeError(problem);
  const lengthUnit = spacing ? 'mm' : 'px';
  const areaUnit = spacing ? 'mm2' : 'px2';
  switch (tool) {
    case 'length':
      return [
        { name: 'length', value: round(distance(points[0]!, points[1]!, spacing), 2), unit: lengthUnit },
      ];
    case 'angle':
      return [
        { name: 'angle', value: round(angleAt(points[0]!, points[1]!, points[2]!, spacing), 1), unit: 'deg' },
      ];
    case 'ellipse': {
      const axis1 = distance(points[0]!, points[1]!, spacing);
      const axis2 = distance(points[2]!, points[3]!, spacing);
      return [{ name: 'area', value: round((Math.PI * axis1 * axis2) / 4, 2), unit: areaUnit }];
    }
    case 'rectangle': {
      const xs = points.map((p) => p[0]);
      const ys = points.map((p) => p[1]);
      const w = (Math.max(...xs) - Math.min(...xs)) * (spacing ? spacing[1] : 1);
      const h = (Math.max(...ys) - Math.min(...ys)) * (spacing ? spacing[0] : 1);
      return [{ name: 'area', value: round(w * h, 2), unit: areaUnit }];
    }
  }
}

/** How a unit is written for a reader: mm², px², °. */
export function displayUnit(unit: string): string {
  if (unit === 'mm2') return 'mm²';
  if (unit === 'px2') return 'px²';
  if (unit === 'deg') return '°';
  return unit;
}

/** "12.3 mm", "45.0°", "152.3 mm²", "37.2 HU": one measured value as a report or label shows it. */
export function formatMeasuredValue(m: MeasuredValue): string {
  const u = displayUnit(m.unit);
  if (m.unit === 'deg') return `${m.value.toFixed(1)}${u}`;
  return u ? `${m.value.toFixed(1)} ${u}` : m.value.toFixed(1);
}
