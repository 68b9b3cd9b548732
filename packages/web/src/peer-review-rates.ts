// Sampling rates as a quality lead edits them: one "key = percent" per line.

/** Rates as "CT = 10" lines (percent), for editing in a textarea. */
export function ratesToText(rates: Record<string, number>): string {
  return Object.entries(rates)
    .map(([k, v]) => `${k} = ${Math.round(v * 1000) / 10}`)
    .join('\n');
}

/** Reads "CT = 10" lines (percent) back; returns the rates or the first bad line. */
export function textToRates(
  text: string,
): { ok: true; rates: Record<string, number> } | { ok: false; line: string } {
  const rates: Record<string, number> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^([^=\s]+)\s*=\s*(\d+(?:\.\d+)?)\s*%?$/.exec(line);
    if (!m || Number(m[2]) > 100) return { ok: false, line };
    rates[m[1]!] = Number(m[2]) / 100;
  }
  return { ok: true, rates };
}
