/**
 * The geometry of an image stack, from its DICOM JSON metadata: the order of its slices, where each one
 * lies along the stack's normal, and how a slice of one stack maps to a slice of another (synchronised
 * scrolling of a current study and its prior). Pure, so it is tested without a browser.
 */

export type Vec3 = readonly [number, number, number];

/** One displayable image: an instance, or one frame of a multi-frame instance. */
export interface StackSlice {
  sopInstanceUid: string;
  sopClassUid: string;
  /** 1-based frame number within the instance. */
  frameNumber: number;
  numberOfFrames: number;
  instanceNumber: number | null;
  /** Position of the slice along the stack's normal in mm, when the header says where it is. */
  position: number | null;
  /** The instance's metadata (DICOM JSON), for the image loader. */
  metadata: Record<string, DicomJsonElement>;
}

export interface DicomJsonElement {
  vr: string;
  Value?: unknown[];
  BulkDataURI?: string;
  InlineBinary?: string;
}

export interface StackGeometry {
  slices: StackSlice[];
  /** The normal of the image plane (row x column direction cosines), when every slice shares it. */
  normal: Vec3 | null;
  frameOfReferenceUid: string | null;
}

const values = (ds: Record<string, DicomJsonElement>, tag: string): unknown[] => ds[tag]?.Value ?? [];
const first = (ds: Record<string, DicomJsonElement>, tag: string): unknown => values(ds, tag)[0];
const str = (ds: Record<string, DicomJsonElement>, tag: string): string | null => {
  const v = first(ds, tag);
  return v === undefined || v === null ? null : String(v);
};
const num = (ds: Record<string, DicomJsonElement>, tag: string): number | null => {
  const v = Number(first(ds, tag));
  return first(ds, tag) === undefined || !Number.isFinite(v) ? null : v;
};
function vec(ds: Record<string, DicomJsonElement>, tag: string, n: number): number[] | null {
  const v = values(ds, tag).map(Number);
  return v.length === n && v.every(Number.isFinite) ? v : null;
}

export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
export function dot(a: readonly number[], b: readonly number[]): number {
  return a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
}

/** Image Orientation (Patient)'s normal, also from the per-frame or shared functional groups. */
function orientationOf(ds: Record<string, DicomJsonElement>): number[] | null {
  const direct = vec(ds, '00200037', 6);
  if (direct) return direct;
  const shared = first(ds, '52009229') as Record<string, DicomJsonElement> | undefined;
  const plane = shared
    ? (first(shared, '00209116') as Record<string, DicomJsonElement> | undefined)
    : undefined;
  return plane ? vec(plane, '00200037', 6) : null;
}

function positionOf(ds: Record<string, DicomJsonElement>, frame: number): number[] | null {
  const perFrame = values(ds, '52009230')[frame - 1] as Record<string, DicomJsonElement> | undefined;
  const plane = perFrame
    ? (first(perFrame, '00209113') as Record<string, DicomJsonElement> | undefined)
    : undefined;
  return (plane ? vec(plane, '00200032', 3) : null) ?? vec(ds, '00200032', 3);
}

/**
 * The slices of a series in reading order: by position along the normal when every image says where it is
 * and they share one orientation (in the direction in which instance numbers rise), else by instance
 * number; each frame of a
 * multi-frame instance is a slice of its own. Objects without pixels (SR, presentation states) are left out.
 */
export function buildStack(instances: Record<string, DicomJsonElement>[]): StackGeometry {
  const images = instances.filter((ds) => ds['7FE00010'] !== undefined || num(ds, '00280010') !== null);
  const orientations = images.map(orientationOf);
  const o0 = orientations[0];
  const shared = o0 && orientations.every((o) => o?.every((v, i) => Math.abs(v - o0[i]!) < 1e-3)) ? o0 : null;
  const normal = shared
    ? cross([shared[0]!, shared[1]!, shared[2]!], [shared[3]!, shared[4]!, shared[5]!])
    : null;
  const slices: StackSlice[] = [];
  for (const ds of images) {
    const frames = Math.max(1, num(ds, '00280008') ?? 1);
    for (let f = 1; f <= frames; f++) {
      const p = normal ? positionOf(ds, f) : null;
      slices.push({
        sopInstanceUid: str(ds, '00080018') ?? '',
        sopClassUid: str(ds, '00080016') ?? '',
        frameNumber: f,
        numberOfFrames: frames,
        instanceNumber: num(ds, '00200013'),
        position: p && normal ? dot(p, normal) : null,
        metadata: ds,
      });
    }
  }
  const byPosition = slices.length > 1 && slices.every((s) => s.position !== null);
  slices.sort((a, b) => {
    if (byPosition && a.position !== b.position) return a.position! - b.position!;
    const ia = a.instanceNumber ?? Number.MAX_SAFE_INTEGER;
    const ib = b.instanceNumber ?? Number.MAX_SAFE_INTEGER;
    return ia - ib || a.frameNumber - b.frameNumber;
  });
  // Position order has two directions; take the one in which instance numbers rise, so "Im 7" on the
  // overlay is the modality's image 7 in the usual acquisition order.
  const firstN = slices[0]?.instanceNumber;
  const lastN = slices[slices.length - 1]?.instanceNumber;
  if (byPosition && firstN != null && lastN != null && firstN > lastN) slices.reverse();
  const fors = new Set(images.map((ds) => str(ds, '00200052')));
  return {
    slices,
    normal: byPosition ? normal : null,
    frameOfReferenceUid: fors.size === 1 ? ([...fors][0] ?? null) : null,
  };
}

export const SyncMode = { Position: 'position', Index: 'index' } as const;
export type SyncMode = (typeof SyncMode)[keyof typeof SyncMode];

const isAxial = (n: Vec3 | null): boolean => n !== null && Math.abs(n[2]) > 0.95;

function range(g: StackGeometry): [number, number] {
  const ps = g.slices.map((s) => s.position!);
  return [Math.min(...ps), Math.max(...ps)];
}

/**
 * How two stacks scroll together: by slice position when both are axial with positions and either share a
 * frame of reference or overlap along z by at least half of the shorter one (a prior on the same scanner
 * usually does); otherwise by relative index (first to first, last to last).
 */
export function syncModeOf(a: StackGeometry, b: StackGeometry): SyncMode {
  if (!isAxial(a.normal) || !isAxial(b.normal)) return SyncMode.Index;
  if (Math.abs(dot(a.normal!, b.normal!)) < 0.99) return SyncMode.Index;
  if (a.frameOfReferenceUid && a.frameOfReferenceUid === b.frameOfReferenceUid) return SyncMode.Position;
  const [a0, a1] = range(a);
  const [b0, b1] = range(b);
  const overlap = Math.min(a1, b1) - Math.max(a0, b0);
  const shorter = Math.min(a1 - a0, b1 - b0);
  return shorter > 0 && overlap >= shorter / 2 ? SyncMode.Position : SyncMode.Index;
}

/** The slice of `to` that goes with slice `index` of `from`. */
export function mapSliceIndex(mode: SyncMode, from: StackGeometry, to: StackGeometry, index: number): number {
  const n = to.slices.length;
  if (n === 0) return 0;
  const i = Math.min(Math.max(0, index), from.slices.length - 1);
  if (mode === SyncMode.Position) {
    // Positions are along each stack's own normal; parallel normals may point opposite ways.
    const sign = dot(from.normal!, to.normal!) < 0 ? -1 : 1;
    const target = from.slices[i]!.position! * sign;
    let best = 0;
    let bestDistance = Number.POSITIVE_INFINITY;
    to.slices.forEach((s, j) => {
      const d = Math.abs(s.position! - target);
      if (d < bestDistance) {
        best = j;
        bestDistance = d;
      }
    });
    return best;
  }
  if (from.slices.length <= 1) return 0;
  return Math.round((i * (n - 1)) / (from.slices.length - 1));
}
