/**
 * A small seeded PRNG for synthetic data. Same seed, same sequence, on every platform and Node version:
 * only 32-bit integer arithmetic (Math.imul, >>>) is used, never Math.random or floating-point hashing.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's "small fast counting" generator from PractRand): four
 * 32-bit words of state, passes PractRand to terabytes, and is cheap enough to call per pixel.
 */
export class Rng {
  /** The label this generator was seeded from; `derive` hashes it with further keys. */
  readonly seed: string;
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string | number) {
    this.seed = String(seed);
    const h = hash128(this.seed);
    this.a = h[0];
    this.b = h[1];
    this.c = h[2];
    this.d = h[3];
    // sfc32's first outputs are correlated with the seed words; its author discards a dozen.
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1) with 32 bits of randomness. */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** An integer in [minInclusive, maxInclusive]. */
  int(minInclusive: number, maxInclusive: number): number {
    return minInclusive + Math.floor(this.float() * (maxInclusive - minInclusive + 1));
  }

  /** A float in [min, max). */
  range(min: number, max: number): number {
    return min + this.float() * (max - min);
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty list');
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** Picks by weight; weights need not sum to 1. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.float() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1]![0];
  }

  /** A normally distributed number (Box-Muller; one of the pair is discarded to keep the state simple). */
  normal(mean: number, sd: number): number {
    const u = 1 - this.float(); // (0, 1], so log(u) is finite
    const v = this.float();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** `count` decimal digits, leading zeros allowed. */
  digits(count: number): string {
    let s = '';
    for (let i = 0; i < count; i++) s += String(this.u32() % 10);
    return s;
  }

  /**
   * A new generator keyed by this one's seed and `keys`, without advancing this one. Instance k of a
   * series gets `study.derive(series, k)`, so it is the same whether or not instances 0..k-1 were made.
   */
  derive(...keys: (string | number)[]): Rng {
    return new Rng(`${this.seed}/${keys.join('/')}`);
  }

  /**
   * A UUID-derived UID (PS3.5 B.2): "2.25." and the UUID as one unsigned decimal integer. The UUID is a
   * version 4 one made from this generator, so the UIDs are unique in practice yet reproducible.
   */
  uid(): string {
    const w0 = this.u32();
    const w1 = ((this.u32() & 0xffff0fff) | 0x00004000) >>> 0; // version 4 in bits 48..51
    const w2 = ((this.u32() & 0x3fffffff) | 0x80000000) >>> 0; // RFC 4122 variant 10xx
    const w3 = this.u32();
    const n = (BigInt(w0) << 96n) | (BigInt(w1) << 64n) | (BigInt(w2) << 32n) | BigInt(w3);
    return `2.25.${n.toString(10)}`;
  }
}

/** cyrb128: a fast 128-bit string hash (public domain, bryc), used only to seed sfc32. */
function hash128(s: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < s.length; i++) {
    const k = s.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 | 0, h2 | 0, h3 | 0, h4 | 0];
}

/** A seeded generator. Strings and numbers both work: `createRng('demo')`, `createRng(42)`. */
export function createRng(seed: string | number): Rng {
  return new Rng(seed);
}
