/**
 * Window/level presets. A window is a centre and a width in the modality's output units (Hounsfield units
 * for CT); Cornerstone takes it as a VOI range [lower, upper].
 */

export interface WindowPreset {
  id: string;
  label: string;
  /** The key that applies it in the viewer (1-9). */
  key: string;
  center: number;
  width: number;
}

/** CT presets in HU, as reading rooms commonly set them. */
export const CT_PRESETS: readonly WindowPreset[] = [
  { id: 'brain', label: 'Brain', key: '1', center: 40, width: 80 },
  { id: 'subdural', label: 'Subdural', key: '2', center: 75, width: 215 },
  { id: 'lung', label: 'Lung', key: '3', center: -600, width: 1500 },
  { id: 'mediastinum', label: 'Mediastinum', key: '4', center: 50, width: 350 },
  { id: 'bone', label: 'Bone', key: '5', center: 400, width: 1800 },
  { id: 'abdomen', label: 'Abdomen', key: '6', center: 50, width: 400 },
  { id: 'liver', label: 'Liver', key: '7', center: 30, width: 150 },
];

export interface VoiRange {
  lower: number;
  upper: number;
}

/** The VOI range of a window (PS3.3 C.11.2.1.2 linear function, without the half-pixel nuance). */
export function voiRangeOf(center: number, width: number): VoiRange {
  const w = Math.max(1, width);
  return { lower: center - w / 2, upper: center + w / 2 };
}

/** The centre and width of a VOI range, for the overlay ("W 80 L 40"). */
export function windowOf(range: VoiRange): { center: number; width: number } {
  return { center: (range.lower + range.upper) / 2, width: range.upper - range.lower };
}

function numbers(v: unknown): number[] {
  if (Array.isArray(v)) return v.map(Number).filter((n) => Number.isFinite(n));
  if (typeof v === 'number' && Number.isFinite(v)) return [v];
  if (typeof v === 'string')
    return v
      .split('\\')
      .map(Number)
      .filter((n) => Number.isFinite(n));
  return [];
}

/**
 * The windows the image's header suggests, Window Center (0028,1050) and Width (0028,1051), with their
 * explanations (0028,1055) as labels: what MR, CR and DX images carry instead of fixed presets.
 */
export function headerPresets(center: unknown, width: unknown, explanation?: unknown): WindowPreset[] {
  const cs = numbers(center);
  const ws = numbers(width);
  const names = Array.isArray(explanation)
    ? explanation.map(String)
    : typeof explanation === 'string'
      ? explanation.split('\\')
      : [];
  const out: WindowPreset[] = [];
  for (let i = 0; i < Math.min(cs.length, ws.length); i++) {
    if (ws[i]! <= 0) continue;
    out.push({
      id: `header-${i + 1}`,
      label: names[i]?.trim() || (i === 0 ? 'Header' : `Header ${i + 1}`),
      key: String(i + 1),
      center: cs[i]!,
      width: ws[i]!,
    });
  }
  return out;
}

/** The presets to offer for a modality: the CT set for CT, the header's windows otherwise. */
export function presetsFor(modality: string | undefined, header: WindowPreset[]): WindowPreset[] {
  if (modality === 'CT') return [...CT_PRESETS];
  return header.slice(0, 9);
}
