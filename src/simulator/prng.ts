/**
 * Seeded randomness. Every simulated fact is a pure function of (seed, keys...): a 32-bit hash of
 * the keys seeds a small PRNG (mulberry32) that draws the fact's attributes. Nothing here reads
 * Math.random or the clock, so the same seed gives the same bytes on every run.
 */

// Math functions bound once at module level: under jest every global lookup (Math) goes through
// the vm context's interceptor and costs ~100x more, which made the suite crawl.
const { PI, cos, exp, floor, imul, log, max, min, round, sqrt } = Math;

/** murmur3 finaliser: a good 32-bit avalanche. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function step(h: number, v: number): number {
  return mix32((h ^ imul(v | 0, 0x9e3779b1)) + 0x7f4a7c15);
}

export function hash2(a: number, b: number): number {
  return step(step(0x2545f491, a), b);
}

export function hash3(a: number, b: number, c: number): number {
  return step(step(step(0x2545f491, a), b), c);
}

export function hash4(a: number, b: number, c: number, d: number): number {
  return step(step(step(step(0x2545f491, a), b), c), d);
}

export function hashInts(...values: readonly number[]): number {
  let h = 0x2545f491;
  for (const v of values) h = step(h, v);
  return h;
}

/** FNV-1a over UTF-16 code units, for keys that are names or codes. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = imul(h, 0x01000193);
  }
  return mix32(h);
}

/** mulberry32: tiny, fast, good enough for simulation. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** Reseeds in place, so hot loops reuse one instance instead of allocating. */
  reset(seed: number): this {
    this.state = seed | 0;
    return this;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return floor(this.next() * n);
  }

  /** Integer in [min, max]. */
  between(min: number, max: number): number {
    return min + floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[floor(this.next() * items.length)];
  }

  /** Standard logistic variate (used for S-shaped adoption dates). */
  logistic(): number {
    const u = min(max(this.next(), 1e-9), 1 - 1e-9);
    return log(u / (1 - u));
  }

  /** Standard normal variate (Box-Muller). */
  normal(): number {
    const u = max(this.next(), 1e-12);
    return sqrt(-2 * log(u)) * cos(2 * PI * this.next());
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = floor(this.next() * (i + 1));
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

/** Poisson variate: exact inversion for small means, normal approximation above 40. */
export function poisson(lambda: number, rng: Rng): number {
  if (lambda <= 0) return 0;
  if (lambda > 40) {
    return max(0, round(lambda + sqrt(lambda) * rng.normal()));
  }
  const u = rng.next();
  let p = exp(-lambda);
  let cdf = p;
  let k = 0;
  while (u > cdf && k < 400) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}
