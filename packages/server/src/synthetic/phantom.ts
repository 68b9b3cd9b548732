/**
 * A whole-body anatomical phantom made of axis-aligned ellipses, one cross-section per table position.
 * Every modality renders the same tissue labels: CT maps them to Hounsfield units, MR to signal per
 * sequence, projection radiography integrates attenuation along a ray. Ellipses keep rasterisation to
 * one square root per shape per row, which is what lets a 512x512 CT slice render in about a millisecond.
 *
 * Coordinates are DICOM patient coordinates (LPS, millimetres): +x to the patient's left, +y posterior,
 * +z superior. z runs from 0 at the upper thighs to about 1090 at the vertex.
 */
export const Tissue = {
  Air: 0,
  Fat: 1,
  Muscle: 2,
  Lung: 3,
  CorticalBone: 4,
  CancellousBone: 5,
  Blood: 6,
  Liver: 7,
  Spleen: 8,
  Kidney: 9,
  Fluid: 10,
  Gas: 11,
  Csf: 12,
  GreyMatter: 13,
  WhiteMatter: 14,
  Lesion: 15,
  Table: 16,
} as const;
export type Tissue = (typeof Tissue)[keyof typeof Tissue];
export const TISSUE_COUNT = 17;

export interface Shape {
  cx: number;
  cy: number;
  /** half-width along x, mm */
  a: number;
  /** half-height along y, mm */
  b: number;
  tissue: Tissue;
  /** A rectangle instead of an ellipse (the patient table). */
  rect?: boolean;
}

/** A spherical focus (tumour, nodule, demyelinating plaque) placed per study, cut by each slice. */
export interface Sphere {
  x: number;
  y: number;
  z: number;
  radiusMm: number;
}

/** Landmarks along z, mm. */
export const Anatomy = {
  PelvisBottomMm: 0,
  AbdomenBottomMm: 250,
  ChestBottomMm: 460,
  NeckBottomMm: 760,
  HeadBottomMm: 860,
  VertexMm: 1090,
  /** The table's top surface is at this y; the patient lies on it. */
  TableTopMm: 150,
} as const;

/** Body outline half-axes (a, b) at z, piecewise linear between measured-looking stations. */
const OUTLINE: readonly (readonly [number, number, number])[] = [
  [0, 175, 112],
  [120, 178, 115],
  [250, 165, 112],
  [460, 158, 108],
  [560, 166, 110],
  [700, 170, 106],
  [742, 190, 96],
  [768, 70, 64],
  [860, 66, 66],
];

function outlineAt(z: number): [number, number] {
  if (z <= OUTLINE[0]![0]) return [OUTLINE[0]![1], OUTLINE[0]![2]];
  for (let i = 1; i < OUTLINE.length; i++) {
    const [z1, a1, b1] = OUTLINE[i]!;
    if (z <= z1) {
      const [z0, a0, b0] = OUTLINE[i - 1]!;
      const t = (z - z0) / (z1 - z0);
      return [a0 + t * (a1 - a0), b0 + t * (b1 - b0)];
    }
  }
  const last = OUTLINE[OUTLINE.length - 1]!;
  return [last[1], last[2]];
}

/** 0 outside [z0, z1], rising to 1 mid-way: how much of an organ a slice cuts. */
function bump(z: number, z0: number, z1: number): number {
  if (z <= z0 || z >= z1) return 0;
  return Math.sqrt(Math.sin((Math.PI * (z - z0)) / (z1 - z0)));
}

/** Integer hash to [0, 1): vessel and bowel positions depend on the z cell only, so they run as tubes. */
function hash01(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

function ring(out: Shape[], cx: number, cy: number, a: number, b: number, wall: number, inner: Tissue): void {
  out.push({ cx, cy, a, b, tissue: Tissue.CorticalBone });
  if (a > wall && b > wall) out.push({ cx, cy, a: a - wall, b: b - wall, tissue: inner });
}

function addSpine(out: Shape[], z: number, posteriorY: number, scale: number): void {
  const bodyY = posteriorY - 45 * scale;
  const disc = z % 30 < 6;
  ring(out, 0, bodyY, 16 * scale, 15 * scale, 3, disc ? Tissue.Muscle : Tissue.CancellousBone);
  ring(out, 0, posteriorY - 14 * scale, 17 * scale, 6 * scale, 2.5, Tissue.CancellousBone);
  out.push({ cx: 0, cy: posteriorY - 24 * scale, a: 7 * scale, b: 7 * scale, tissue: Tissue.Csf });
}

function addSpheres(out: Shape[], z: number, spheres: readonly Sphere[]): void {
  for (const s of spheres) {
    const dz = z - s.z;
    if (Math.abs(dz) >= s.radiusMm) continue;
    const r = Math.sqrt(s.radiusMm * s.radiusMm - dz * dz);
    out.push({ cx: s.x, cy: s.y, a: r, b: r, tissue: Tissue.Lesion });
  }
}

function trunkShapes(z: number, out: Shape[]): void {
  const [a, b] = outlineAt(z);
  const cy = Anatomy.TableTopMm - b - 1;
  const posterior = cy + b;
  out.push({ cx: 0, cy, a, b, tissue: Tissue.Fat });
  out.push({ cx: 0, cy, a: a - 12, b: b - 10, tissue: Tissue.Muscle });
  const neck = z >= 760;

  if (neck) {
    out.push({ cx: 0, cy: cy - 22, a: 9, b: 8, tissue: Tissue.Gas });
    for (const s of [-1, 1]) {
      out.push({ cx: 24 * s, cy: cy - 8, a: 5, b: 5, tissue: Tissue.Blood });
      out.push({ cx: 34 * s, cy: cy - 4, a: 7, b: 5, tissue: Tissue.Blood });
    }
    addSpine(out, z, posterior - 8, 0.7);
    return;
  }

  // Abdomen and pelvis, drawn first so the lung bases and heart cut into the liver dome above them.
  const cavity = bump(z, 60, 470);
  if (cavity > 0) {
    // Intra-abdominal fat behind a muscular wall that thickens posteriorly (the back muscles).
    out.push({ cx: 0, cy: cy - 10, a: (a - 28) * cavity, b: (b - 38) * cavity, tissue: Tissue.Fat });
    const psoas = bump(z, 120, 340);
    if (psoas > 0)
      for (const s of [-1, 1])
        out.push({ cx: 42 * s, cy: posterior - 55, a: 20 * psoas, b: 17 * psoas, tissue: Tissue.Muscle });
  }
  const liver = bump(z, 320, 485);
  if (liver > 0) out.push({ cx: -52, cy: cy - 4, a: 88 * liver, b: 78 * liver, tissue: Tissue.Liver });
  const spleen = bump(z, 360, 470);
  if (spleen > 0) out.push({ cx: 88, cy: cy + 30, a: 30 * spleen, b: 48 * spleen, tissue: Tissue.Spleen });
  const stomach = bump(z, 370, 465);
  if (stomach > 0) {
    out.push({ cx: 48, cy: cy - 25, a: 42 * stomach, b: 32 * stomach, tissue: Tissue.Fluid });
    out.push({ cx: 48, cy: cy - 48 * stomach, a: 22 * stomach, b: 8 * stomach, tissue: Tissue.Gas });
  }
  if (z > 110 && z < 380) {
    // Bowel loops: fluid with gas, positions fixed per 25 mm of z so loops continue across slices.
    const cell = Math.floor(z / 25);
    const along = Math.sin((Math.PI * (z - cell * 25)) / 25); // each loop is a capsule, round at both ends
    for (let i = 0; i < 9; i++) {
      const u = hash01(cell, i);
      const v = hash01(cell, i + 100);
      const r = (11 + 10 * hash01(cell, i + 200)) * Math.sqrt(along);
      if (r < 2) continue;
      const bx = (u * 2 - 1) * (a - 55);
      const by = cy - 20 + (v * 2 - 1) * (b - 60);
      out.push({ cx: bx, cy: by, a: r, b: r * 0.85, tissue: Tissue.Fluid });
      if (hash01(cell, i + 300) < 0.5)
        out.push({ cx: bx, cy: by - r * 0.4, a: r * 0.5, b: r * 0.35, tissue: Tissue.Gas });
    }
  }
  const kidney = bump(z, 280, 395);
  if (kidney > 0)
    for (const s of [-1, 1]) {
      out.push({ cx: 70 * s, cy: cy + 42, a: 25 * kidney, b: 36 * kidney, tissue: Tissue.Kidney });
      out.push({ cx: 62 * s, cy: cy + 42, a: 7 * kidney, b: 10 * kidney, tissue: Tissue.Fluid });
    }
  if (z > 220 && z < 650) {
    out.push({ cx: 18, cy: posterior - 72, a: 12, b: 12, tissue: Tissue.Blood }); // aorta
    if (z < 480) out.push({ cx: -22, cy: posterior - 70, a: 14, b: 10, tissue: Tissue.Blood }); // IVC
  }
  const bladder = bump(z, 35, 145);
  if (bladder > 0) out.push({ cx: 0, cy: cy - 40, a: 52 * bladder, b: 42 * bladder, tissue: Tissue.Fluid });
  if (z < 150) {
    out.push({ cx: 0, cy: posterior - 55, a: 15, b: 13, tissue: Tissue.Fluid }); // rectum
    out.push({ cx: 0, cy: posterior - 58, a: 7, b: 5, tissue: Tissue.Gas });
  }
  const ilium = bump(z, 140, 265);
  // Plates of bone whose size changes with z are filled, not ringed: a fixed-width cortical ring that
  // grows and shrinks slice by slice projects as concentric circles on a radiograph.
  if (ilium > 0)
    for (const s of [-1, 1])
      out.push({
        cx: (80 + 25 * ilium) * s,
        cy: cy + 30,
        a: 40 * ilium,
        b: 12 * ilium,
        tissue: Tissue.CancellousBone,
      });
  const sacrum = bump(z, 110, 255);
  if (sacrum > 0)
    out.push({ cx: 0, cy: posterior - 38, a: 40 * sacrum, b: 16 * sacrum, tissue: Tissue.CancellousBone });
  if (z < 115) {
    const head = z > 40 ? bump(z, 35, 115) : 0;
    for (const s of [-1, 1]) {
      if (head > 0.4) ring(out, 95 * s, cy + 8, 25 * head, 25 * head, 4, Tissue.CancellousBone);
      else ring(out, 102 * s, cy + 6, 14, 14, 5, Tissue.CancellousBone);
    }
  }

  // Chest.
  const lung = bump(z, 455, 748);
  if (lung > 0) {
    for (const s of [-1, 1]) {
      out.push({ cx: 72 * s, cy: cy - 4, a: 64 * lung, b: 86 * lung, tissue: Tissue.Lung });
      // Pulmonary vessels: tubes that wander smoothly with z and thin out towards the periphery.
      for (let i = 0; i < 10; i++) {
        const u = hash01(i, s > 0 ? 1 : 2);
        const v = hash01(i, s > 0 ? 3 : 4);
        const phase = 6.283 * hash01(i, 5);
        const r = (1.2 + 3 * (1 - u)) * lung;
        out.push({
          cx: s * (28 + 75 * u * lung + 8 * Math.sin(z / 37 + phase)),
          cy: cy - 4 + ((v * 2 - 1) * 62 + 10 * Math.cos(z / 29 + phase)) * lung,
          a: r,
          b: r,
          tissue: Tissue.Blood,
        });
      }
    }
  }
  const heart = bump(z, 470, 615);
  if (heart > 0) {
    out.push({ cx: 22, cy: cy - 28, a: 58 * heart, b: 50 * heart, tissue: Tissue.Muscle });
    out.push({ cx: 20, cy: cy - 30, a: 44 * heart, b: 36 * heart, tissue: Tissue.Blood });
  }
  if (z > 575 && z < 660) {
    out.push({ cx: 4, cy: cy - 24, a: 15, b: 15, tissue: Tissue.Blood }); // ascending aorta, arch
    out.push({ cx: -16, cy: cy - 22, a: 11, b: 11, tissue: Tissue.Blood }); // SVC
  }
  if (z > 650 && z < 760) out.push({ cx: 0, cy: cy - 30, a: 9, b: 8, tissue: Tissue.Gas }); // trachea
  // Ribs slope down from the spine to the front: rib k leaves the spine at height zk and is `drop` mm
  // lower at its anterior end, so a slice cuts each one where the slope reaches z. Continuous in z, they
  // project as the familiar curved bands.
  for (let k = 0; k < 11; k++) {
    const zk = 742 - 25 * k;
    const drop = 75;
    const d = zk - z;
    if (d < 0 || d > drop * 0.9) continue;
    const sinT = 1 - (2 * d) / drop; // +1 posterior, -1 anterior
    const cosT = Math.sqrt(Math.max(0, 1 - sinT * sinT));
    if (cosT < 0.15) continue; // no rib over the spine
    for (const s of [-1, 1])
      ring(out, s * (a - 19) * cosT, cy + (b - 15) * sinT, 7, 4.5, 1.8, Tissue.CancellousBone);
  }
  if (z > 560 && z < 705) ring(out, 0, cy - b + 20, 15, 6, 2, Tissue.CancellousBone); // sternum
  const scapula = bump(z, 600, 748);
  if (scapula > 0)
    for (const s of [-1, 1])
      out.push({ cx: 105 * s, cy: posterior - 30, a: 40 * scapula, b: 2.5, tissue: Tissue.CancellousBone });
  addSpine(out, z, posterior - 6, 1);
}

function headShapes(z: number, out: Shape[]): void {
  const h = bump(z, 830, 1095);
  const a = Math.max(58, 74 * h);
  const b = Math.max(62, 94 * h);
  const cy = Anatomy.TableTopMm - b - 28; // the head rests in a cradle above the table
  out.push({ cx: 0, cy, a, b, tissue: Tissue.Muscle }); // scalp
  if (z < 905) {
    // Skull base and face: bone, sinuses and orbits rather than brain.
    ring(out, 0, cy, a - 4, b - 4, 5, Tissue.Muscle);
    out.push({ cx: 0, cy: cy - b + 38, a: 16, b: 12, tissue: Tissue.Gas }); // nasal cavity, sinuses
    if (z > 878)
      for (const s of [-1, 1]) {
        out.push({ cx: 32 * s, cy: cy - b + 30, a: 18, b: 16, tissue: Tissue.Fat });
        out.push({ cx: 32 * s, cy: cy - b + 26, a: 11, b: 11, tissue: Tissue.Fluid });
      }
    out.push({ cx: 0, cy: cy + 25, a: 40, b: 35, tissue: Tissue.Csf });
    out.push({ cx: 0, cy: cy + 25, a: 36, b: 31, tissue: Tissue.GreyMatter }); // cerebellum, brainstem
    out.push({ cx: 0, cy: cy + 5, a: 10, b: 10, tissue: Tissue.WhiteMatter });
    return;
  }
  ring(out, 0, cy, a - 5, b - 5, 3, Tissue.CancellousBone); // outer table and diploe
  out.push({ cx: 0, cy, a: a - 10, b: b - 10, tissue: Tissue.CorticalBone }); // inner table
  out.push({ cx: 0, cy, a: a - 12, b: b - 12, tissue: Tissue.Csf });
  out.push({ cx: 0, cy, a: a - 14, b: b - 14, tissue: Tissue.GreyMatter });
  if (a > 24 && b > 24) out.push({ cx: 0, cy, a: a - 19, b: b - 20, tissue: Tissue.WhiteMatter });
  // Sylvian fissures and the interhemispheric fissure: CSF clefts.
  if (z < 990 && a > 50)
    for (const s of [-1, 1]) out.push({ cx: (a - 28) * s, cy: cy - 8, a: 10, b: 2.5, tissue: Tissue.Csf });
  out.push({ cx: 0, cy, a: 1.5, b: b - 14, tissue: Tissue.Csf });
  const ventricles = bump(z, 950, 1020);
  if (ventricles > 0)
    for (const s of [-1, 1])
      out.push({ cx: 10 * s, cy: cy - 4, a: 6 * ventricles, b: 28 * ventricles, tissue: Tissue.Csf });
  if (z > 930 && z < 955) out.push({ cx: 0, cy: cy - 2, a: 3, b: 12, tissue: Tissue.Csf }); // third ventricle
}

/** The cross-section at z, painter's order (later shapes cover earlier ones), table included. */
export function shapesAt(zMm: number, spheres: readonly Sphere[] = []): Shape[] {
  const out: Shape[] = [];
  if (zMm >= Anatomy.HeadBottomMm) headShapes(zMm, out);
  else if (zMm >= 0) trunkShapes(zMm, out);
  addSpheres(out, zMm, spheres);
  out.push({ cx: 0, cy: Anatomy.TableTopMm + 8, a: 240, b: 7, tissue: Tissue.Table, rect: true });
  return out;
}

/**
 * Fills `labels` (rows x cols, row-major) with the tissue at each pixel centre. Pixel (r, c) sits at
 * x = x0Mm + c * dxMm, y = y0Mm + r * dyMm. Work per row is one square root per shape plus the spans.
 */
export function rasterize(
  shapes: readonly Shape[],
  labels: Uint8Array,
  rows: number,
  cols: number,
  x0Mm: number,
  y0Mm: number,
  dxMm: number,
  dyMm: number,
): void {
  labels.fill(Tissue.Air, 0, rows * cols);
  for (let r = 0; r < rows; r++) {
    const y = y0Mm + r * dyMm;
    const rowStart = r * cols;
    for (const s of shapes) {
      const dy = (y - s.cy) / s.b;
      if (dy <= -1 || dy >= 1) continue;
      const half = s.rect ? s.a : s.a * Math.sqrt(1 - dy * dy);
      let c0 = Math.ceil((s.cx - half - x0Mm) / dxMm);
      let c1 = Math.floor((s.cx + half - x0Mm) / dxMm);
      if (c0 < 0) c0 = 0;
      if (c1 > cols - 1) c1 = cols - 1;
      if (c1 >= c0) labels.fill(s.tissue, rowStart + c0, rowStart + c1 + 1);
    }
  }
}
