import { endianness } from 'node:os';
import { rasterize, type Shape, type Sphere, shapesAt, TISSUE_COUNT, Tissue } from './phantom.ts';
import { Rng } from './prng.ts';

/**
 * Pixel renderers for each modality. All of them are deterministic in their inputs; the per-pixel noise
 * comes from a 32-bit xorshift seeded by the caller's Rng and a fixed table of Gaussian (or Rayleigh)
 * samples, because Box-Muller per pixel would cost more than everything else put together.
 */

const NOISE_TABLE_SIZE = 1 << 16;

/** N(0, 1) scaled by 256, so `(table[i] * sd) >> 8` is a sample with standard deviation `sd`. */
const GAUSSIAN_Q8 = (() => {
  const rng = new Rng('confer-synthetic-gaussian-table');
  const t = new Int32Array(NOISE_TABLE_SIZE);
  for (let i = 0; i < t.length; i++) t[i] = Math.round(rng.normal(0, 256));
  return t;
})();

/** Rayleigh(sigma = 1) samples scaled by 256: fully developed ultrasound speckle. */
const RAYLEIGH_Q8 = (() => {
  const rng = new Rng('confer-synthetic-rayleigh-table');
  const t = new Int32Array(NOISE_TABLE_SIZE);
  for (let i = 0; i < t.length; i++) t[i] = Math.round(256 * Math.sqrt(-2 * Math.log(1 - rng.float())) * 0.8);
  return t;
})();

function noiseSeed(rng: Rng): number {
  return rng.u32() | 1; // xorshift32 must not start at zero
}

const HOST_IS_LITTLE_ENDIAN = endianness() === 'LE';

/** Pixel data bytes in little endian, the byte order of every transfer syntax this generator writes. */
export function littleEndianBytes(pixels: Int16Array | Uint16Array): Uint8Array {
  const bytes = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  if (HOST_IS_LITTLE_ENDIAN) return bytes;
  const swapped = new Uint8Array(bytes.byteLength);
  for (let i = 0; i < bytes.byteLength; i += 2) {
    swapped[i] = bytes[i + 1]!;
    swapped[i + 1] = bytes[i]!;
  }
  return swapped;
}

/** Where a square image sits in the patient: its top-left pixel centre and spacing (axial, LPS). */
export interface AxialGeometry {
  size: number;
  pixelSpacingMm: number;
  /** x, y of the top-left pixel centre */
  originXMm: number;
  originYMm: number;
}

/** A field of view centred on (centreX, centreY), `fovMm` wide, sampled at `size` pixels. */
export function axialGeometry(size: number, fovMm: number, centreXMm = 0, centreYMm = 0): AxialGeometry {
  const pixelSpacingMm = fovMm / size;
  return {
    size,
    pixelSpacingMm,
    originXMm: centreXMm - fovMm / 2 + pixelSpacingMm / 2,
    originYMm: centreYMm - fovMm / 2 + pixelSpacingMm / 2,
  };
}

/** Hounsfield units per tissue, without and with iodinated contrast (portal venous phase). */
const HU_PLAIN: Record<Tissue, number> = {
  [Tissue.Air]: -1000,
  [Tissue.Fat]: -100,
  [Tissue.Muscle]: 45,
  [Tissue.Lung]: -860,
  [Tissue.CorticalBone]: 1250,
  [Tissue.CancellousBone]: 280,
  [Tissue.Blood]: 42,
  [Tissue.Liver]: 58,
  [Tissue.Spleen]: 48,
  [Tissue.Kidney]: 32,
  [Tissue.Fluid]: 6,
  [Tissue.Gas]: -960,
  [Tissue.Csf]: 8,
  [Tissue.GreyMatter]: 40,
  [Tissue.WhiteMatter]: 27,
  [Tissue.Lesion]: 30,
  [Tissue.Table]: 180,
};
const HU_CONTRAST: Record<Tissue, number> = {
  ...HU_PLAIN,
  [Tissue.Blood]: 190,
  [Tissue.Liver]: 115,
  [Tissue.Spleen]: 125,
  [Tissue.Kidney]: 170,
  [Tissue.Muscle]: 55,
  [Tissue.Lesion]: 45,
};

function lut(table: Record<Tissue, number>): Int32Array {
  const out = new Int32Array(256);
  for (let t = 0; t < TISSUE_COUNT; t++) out[t] = table[t as Tissue];
  return out;
}
const LUT_PLAIN = lut(HU_PLAIN);
const LUT_CONTRAST = lut(HU_CONTRAST);

export interface CtSliceOptions {
  geometry: AxialGeometry;
  zMm: number;
  contrast: boolean;
  /** Image noise, HU standard deviation: about 10 for a soft-tissue kernel, 25 or more for a sharp one. */
  noiseSdHu: number;
  /** Stored value = HU - intercept (slope 1). */
  rescaleIntercept: number;
  spheres?: readonly Sphere[];
  rng: Rng;
}

/** Scratch label buffers by size, reused across calls: one slice's labels are dead once it is rendered. */
const labelScratch = new Map<number, Uint8Array>();
function scratch(length: number): Uint8Array {
  let s = labelScratch.get(length);
  if (!s) {
    s = new Uint8Array(length);
    labelScratch.set(length, s);
  }
  return s;
}

/** One axial CT slice: signed 16-bit stored values, row-major, rows = columns = geometry.size. */
export function renderCtSlice(o: CtSliceOptions): Int16Array {
  const { size, pixelSpacingMm: d, originXMm, originYMm } = o.geometry;
  const n = size * size;
  const labels = scratch(n);
  rasterize(shapesAt(o.zMm, o.spheres), labels, size, size, originXMm, originYMm, d, d);
  const table = o.contrast ? LUT_CONTRAST : LUT_PLAIN;
  const out = new Int16Array(n);
  const offset = -o.rescaleIntercept;
  const sd = Math.round(o.noiseSdHu);
  let s = noiseSeed(o.rng);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const v = table[labels[i]!]! + offset + ((GAUSSIAN_Q8[s >>> 16]! * sd) >> 8);
    out[i] = v < -32768 ? -32768 : Math.min(v, 32767);
  }
  return out;
}

/** Linear attenuation per mm at about 60 keV, relative to water = 0.02. */
const MU_PER_MM: Record<Tissue, number> = {
  [Tissue.Air]: 0,
  [Tissue.Fat]: 0.017,
  [Tissue.Muscle]: 0.021,
  [Tissue.Lung]: 0.005,
  [Tissue.CorticalBone]: 0.06,
  [Tissue.CancellousBone]: 0.03,
  [Tissue.Blood]: 0.021,
  [Tissue.Liver]: 0.022,
  [Tissue.Spleen]: 0.022,
  [Tissue.Kidney]: 0.021,
  [Tissue.Fluid]: 0.02,
  [Tissue.Gas]: 0,
  [Tissue.Csf]: 0.02,
  [Tissue.GreyMatter]: 0.021,
  [Tissue.WhiteMatter]: 0.0205,
  [Tissue.Lesion]: 0.022,
  [Tissue.Table]: 0.008,
};
const MU_LUT = (() => {
  const t = new Float32Array(256);
  for (let i = 0; i < TISSUE_COUNT; i++) t[i] = MU_PER_MM[i as Tissue];
  return t;
})();

export const ProjectionView = { AP: 'AP', PA: 'PA', Lateral: 'LATERAL' } as const;
export type ProjectionView = (typeof ProjectionView)[keyof typeof ProjectionView];

export interface ProjectionOptions {
  rows: number;
  columns: number;
  /** z of the first (top) row and of the last row; rows run superior to inferior. */
  zTopMm: number;
  zBottomMm: number;
  /** Lateral extent imaged: x for AP/PA, y for a lateral. */
  widthMm: number;
  /** Centre of that extent. */
  centreMm: number;
  view: ProjectionView;
  /** Maximum stored value (4095 for 12 bits). */
  maxValue: number;
  noiseSd: number;
  spheres?: readonly Sphere[];
  rng: Rng;
}

/**
 * A projection radiograph (CR, DX, CT localizer): attenuation integrated through the phantom on a coarse
 * grid, then bilinearly upsampled, so a 2048x2048 image costs about what 512 axial phantom sections do.
 * MONOCHROME2, denser = brighter, as a processed radiograph is displayed.
 */
export function renderProjection(o: ProjectionOptions): Uint16Array {
  const coarseRows = Math.max(2, Math.min(o.rows, 384));
  const coarseCols = Math.max(2, Math.min(o.columns, 256));
  const depthSamples = 112;
  const depthMm = 440;
  const stepMm = depthMm / depthSamples;
  const coarse = new Float32Array(coarseRows * coarseCols);
  const lateral = o.view === ProjectionView.Lateral;
  const colSpacing = o.widthMm / coarseCols;
  const start = o.centreMm - o.widthMm / 2 + colSpacing / 2;
  const labels = new Uint8Array(depthSamples * coarseCols);
  for (let r = 0; r < coarseRows; r++) {
    const z = o.zTopMm + ((o.zBottomMm - o.zTopMm) * r) / (coarseRows - 1);
    const shapes: Shape[] = shapesAt(z, o.spheres).filter((s) => s.tissue !== Tissue.Table);
    if (lateral) {
      // Rows of `labels` are x (the ray), columns are y (the image's width).
      const transposed = shapes.map((s) => ({ ...s, cx: s.cy, cy: s.cx, a: s.b, b: s.a }));
      rasterize(transposed, labels, depthSamples, coarseCols, start, -depthMm / 2, colSpacing, stepMm);
    } else {
      rasterize(shapes, labels, depthSamples, coarseCols, start, -depthMm / 2 + 40, colSpacing, stepMm);
    }
    const row = r * coarseCols;
    for (let k = 0; k < depthSamples; k++) {
      const base = k * coarseCols;
      for (let c = 0; c < coarseCols; c++) coarse[row + c]! += MU_LUT[labels[base + c]!]! * stepMm;
    }
  }
  const out = new Uint16Array(o.rows * o.columns);
  const scale = o.maxValue / 9; // a thick abdomen integrates to about 8
  const sd = Math.round(o.noiseSd);
  let s = noiseSeed(o.rng);
  for (let r = 0; r < o.rows; r++) {
    const fy = o.rows === 1 ? 0 : (r * (coarseRows - 1)) / (o.rows - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, coarseRows - 1);
    const ty = fy - y0;
    for (let c = 0; c < o.columns; c++) {
      const fx = o.columns === 1 ? 0 : (c * (coarseCols - 1)) / (o.columns - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, coarseCols - 1);
      const tx = fx - x0;
      const top = coarse[y0 * coarseCols + x0]! * (1 - tx) + coarse[y0 * coarseCols + x1]! * tx;
      const bottom = coarse[y1 * coarseCols + x0]! * (1 - tx) + coarse[y1 * coarseCols + x1]! * tx;
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const v =
        Math.round(80 + scale * (top * (1 - ty) + bottom * ty)) + ((GAUSSIAN_Q8[s >>> 16]! * sd) >> 8);
      out[r * o.columns + c] = v < 0 ? 0 : Math.min(v, o.maxValue);
    }
  }
  return out;
}

export const MrWeighting = { T1: 'T1', T2: 'T2', Flair: 'FLAIR' } as const;
export type MrWeighting = (typeof MrWeighting)[keyof typeof MrWeighting];

/** Signal per tissue and weighting, on a 12-bit scale. Bone and air give no signal in any of them. */
const MR_SIGNAL: Record<MrWeighting, Partial<Record<Tissue, number>>> = {
  T1: {
    [Tissue.Fat]: 1900,
    [Tissue.Muscle]: 700,
    [Tissue.CancellousBone]: 1500, // fatty marrow
    [Tissue.Blood]: 300,
    [Tissue.Fluid]: 250,
    [Tissue.Csf]: 220,
    [Tissue.GreyMatter]: 900,
    [Tissue.WhiteMatter]: 1250,
    [Tissue.Lesion]: 700,
    [Tissue.Liver]: 1000,
  },
  T2: {
    [Tissue.Fat]: 1300,
    [Tissue.Muscle]: 450,
    [Tissue.CancellousBone]: 900,
    [Tissue.Blood]: 150, // flow void
    [Tissue.Fluid]: 2600,
    [Tissue.Csf]: 2800,
    [Tissue.GreyMatter]: 1250,
    [Tissue.WhiteMatter]: 850,
    [Tissue.Lesion]: 2100,
    [Tissue.Liver]: 600,
  },
  FLAIR: {
    [Tissue.Fat]: 1200,
    [Tissue.Muscle]: 500,
    [Tissue.CancellousBone]: 800,
    [Tissue.Blood]: 150,
    [Tissue.Fluid]: 300,
    [Tissue.Csf]: 120, // nulled by the inversion pulse
    [Tissue.GreyMatter]: 1200,
    [Tissue.WhiteMatter]: 950,
    [Tissue.Lesion]: 2300,
    [Tissue.Liver]: 700,
  },
};
const MR_LUTS: Record<MrWeighting, Float32Array> = (() => {
  const out = {} as Record<MrWeighting, Float32Array>;
  for (const w of Object.values(MrWeighting)) {
    const t = new Float32Array(256);
    for (const [k, v] of Object.entries(MR_SIGNAL[w])) t[Number(k)] = v;
    out[w] = t;
  }
  return out;
})();

export interface MrSliceOptions {
  geometry: AxialGeometry;
  zMm: number;
  weighting: MrWeighting;
  noiseSd: number;
  spheres?: readonly Sphere[];
  rng: Rng;
}

/**
 * One axial MR slice: unsigned 12-bit values in 16 bits. Magnitude images have Rician noise (the modulus
 * of signal plus complex Gaussian noise), so the background is a dim haze, not zero; a head coil's
 * sensitivity falls off front to back.
 */
export function renderMrSlice(o: MrSliceOptions): Uint16Array {
  const { size, pixelSpacingMm: d, originXMm, originYMm } = o.geometry;
  const n = size * size;
  const labels = scratch(n);
  rasterize(shapesAt(o.zMm, o.spheres), labels, size, size, originXMm, originYMm, d, d);
  const table = MR_LUTS[o.weighting];
  const out = new Uint16Array(n);
  const sd = o.noiseSd / 256;
  let s = noiseSeed(o.rng);
  for (let r = 0; r < size; r++) {
    const bias = 1.12 - (0.24 * r) / size;
    for (let c = 0; c < size; c++) {
      const i = r * size + c;
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const re = table[labels[i]!]! * bias + GAUSSIAN_Q8[s >>> 16]! * sd;
      const im = GAUSSIAN_Q8[s & 0xffff]! * sd;
      const v = Math.round(Math.sqrt(re * re + im * im));
      out[i] = Math.min(v, 4095);
    }
  }
  return out;
}

export interface UltrasoundOptions {
  rows: number;
  columns: number;
  frames: number;
  /** RGB with a colour Doppler box over the vessel, or MONOCHROME2 B-mode. */
  colour: boolean;
  /** Heart beats over the clip: the vessel pulses and the Doppler colour cycles with them. */
  cycles: number;
  rng: Rng;
}

/**
 * A curvilinear abdominal B-mode cine: a fan-shaped sector of speckled liver, a bright diaphragm arc, and
 * a pulsating anechoic vessel. The sector geometry is computed once per clip, then each frame costs one
 * pass. Returns frames back to back, 8 bits per sample, RGB interleaved (PlanarConfiguration 0) when colour.
 */
export function renderUltrasound(o: UltrasoundOptions): Uint8Array {
  const { rows, columns, frames } = o;
  const n = rows * columns;
  const apexX = columns / 2;
  const apexY = rows * 0.06;
  const rMin = rows * 0.08;
  const rMax = rows * 0.92;
  const halfAngle = (36 * Math.PI) / 180;
  // Per pixel: depth as a fraction of the sector (or -1 outside it), and lateral position.
  const depth = new Float32Array(n);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      const dx = x - apexX;
      const dy = y - apexY;
      const r = Math.sqrt(dx * dx + dy * dy);
      const angle = Math.atan2(dx, dy);
      depth[y * columns + x] =
        r >= rMin && r <= rMax && Math.abs(angle) <= halfAngle ? (r - rMin) / (rMax - rMin) : -1;
    }
  }
  const channels = o.colour ? 3 : 1;
  const out = new Uint8Array(n * channels * frames);
  let s = noiseSeed(o.rng);
  const vesselX = columns * (0.42 + 0.16 * o.rng.float());
  const vesselY = rows * (0.4 + 0.15 * o.rng.float());
  const box = { x0: columns * 0.3, x1: columns * 0.7, y0: rows * 0.25, y1: rows * 0.7 };
  for (let f = 0; f < frames; f++) {
    const phase = Math.sin((2 * Math.PI * o.cycles * f) / Math.max(frames, 1));
    const va = columns * (0.07 + 0.012 * phase);
    const vb = rows * (0.05 + 0.01 * phase);
    const base = f * n * channels;
    let previous = 0;
    for (let y = 0; y < rows; y++) {
      const vy = (y - vesselY) / vb;
      for (let x = 0; x < columns; x++) {
        const i = y * columns + x;
        const dpt = depth[i]!;
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        // A two-tap average gives speckle its lateral correlation (beam width exceeds pixel pitch).
        const sample = RAYLEIGH_Q8[s >>> 16]!;
        const speckle = (sample + previous) >> 1;
        previous = sample;
        let grey = 0;
        let inVessel = false;
        if (dpt >= 0) {
          const vx = (x - vesselX) / va;
          inVessel = vx * vx + vy * vy < 1;
          // Liver parenchyma, the diaphragm as a bright curved band near the bottom, the vessel anechoic
          // but for a little noise; time-gain compensation leaves a gentle fall-off with depth.
          let echo = inVessel ? 0.06 : 0.42 * (1 - 0.35 * dpt);
          const dd = dpt - 0.83;
          if (dd > -0.012 && dd < 0.012) echo = 0.95;
          else if (dd >= 0.012) echo *= 0.5;
          const v = (echo * speckle) >> 0;
          grey = Math.min(v, 255);
        }
        if (channels === 1) out[base + i] = grey;
        else {
          const p = base + i * 3;
          if (inVessel && x > box.x0 && x < box.x1 && y > box.y0 && y < box.y1) {
            // Doppler: red towards the probe in systole, blue away in diastole.
            const v = Math.round(120 + 120 * Math.abs(phase));
            out[p] = phase >= 0 ? v : 20;
            out[p + 1] = 20;
            out[p + 2] = phase >= 0 ? 20 : v;
          } else {
            const onBox =
              (Math.abs(x - box.x0) < 1 || Math.abs(x - box.x1) < 1) && y > box.y0 && y < box.y1
                ? true
                : (Math.abs(y - box.y0) < 1 || Math.abs(y - box.y1) < 1) && x > box.x0 && x < box.x1;
            out[p] = onBox ? 200 : grey;
            out[p + 1] = onBox ? 200 : grey;
            out[p + 2] = onBox ? 200 : grey;
          }
        }
      }
    }
  }
  return out;
}
