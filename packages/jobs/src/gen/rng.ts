/**
 * Seeded randomness for the data generators (`mr gen`): the same seed gives the same bytes on every
 * machine and Node version, which Math.random cannot. sfc32 (Chris Doty-Humphrey's Small Fast
 * Counting generator, 128-bit state) passes PractRand and costs a few integer ops per draw.
 */

/** A uniform draw in [0, 1) with 32 bits of randomness. */
export type Rng = () => number;

/** murmur3's 32-bit finaliser over `h` mixed with `x`: a cheap, well-spread hash step. */
export function mix32(h: number, x: number): number {
  h = Math.imul(h ^ x, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hashes whole numbers (each up to 2^53) into 32 bits. */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) h = mix32(mix32(h, p >>> 0), Math.floor(p / 2 ** 32) >>> 0);
  return h;
}

/** An independent stream per distinct `parts` (e.g. seed, file index, purpose). */
export function rngFor(...parts: number[]): Rng {
  const h = hash32(...parts);
  let a = mix32(h, 1);
  let b = mix32(h, 2);
  let c = mix32(h, 3);
  let d = 1;
  const next: Rng = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next(); // sfc32's recommended warm-up
  return next;
}

/** A whole number in [lo, hi]. */
export const intIn = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

export function pick<T>(r: Rng, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}

/** `n` lowercase hex digits. */
export function hexDigits(r: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(r() * 16)];
  return s;
}

/** Pareto(1, alpha): heavy-tailed, >= 1, capped at `max`. */
export const pareto = (r: Rng, alpha: number, max: number): number => Math.min(max, (1 - r()) ** (-1 / alpha));

/**
 * Weighted choice by inverse CDF over cumulative weights (binary search, O(log n)); with weights
 * 1/rank^s it is a Zipf distribution: a few items drawn most of the time.
 */
export class WeightedChoice {
  private readonly cum: Float64Array;

  constructor(weights: ArrayLike<number>) {
    this.cum = new Float64Array(weights.length);
    let sum = 0;
    for (let i = 0; i < weights.length; i++) this.cum[i] = sum += weights[i]!;
  }

  static zipf(n: number, s: number): WeightedChoice {
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) w[i] = 1 / (i + 1) ** s;
    return new WeightedChoice(w);
  }

  /** An index in [0, n). */
  index(r: Rng): number {
    const cum = this.cum;
    const u = r() * cum[cum.length - 1]!;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
