/**
 * Per-kind outcome of the load bench: latencies (ms, kept whole: a 60 s run holds well under a
 * million samples, a few MB, so no histogram is needed for exact percentiles), GraphQL errors in
 * 200 answers, non-2xx statuses, and requests that never got an answer (timeouts, resets).
 */
export interface KindStats {
  sent: number;
  answered: number;
  /** 2xx with `errors` in the body, or a body that is not JSON. */
  graphqlErrors: number;
  non2xx: number;
  latencies: number[];
  /** A few error messages, to say what failed. */
  examples: string[];
}

export class LatencyRecorder {
  private readonly byKind = new Map<string, KindStats>();

  constructor(kinds: readonly string[]) {
    for (const k of kinds) this.byKind.set(k, { sent: 0, answered: 0, graphqlErrors: 0, non2xx: 0, latencies: [], examples: [] });
  }

  sent(kind: string): void {
    this.stats(kind).sent++;
  }

  answered(kind: string, ms: number, status: number, body: string): void {
    const s = this.stats(kind);
    s.answered++;
    s.latencies.push(ms);
    if (status < 200 || status >= 300) {
      s.non2xx++;
      this.example(s, `HTTP ${status}: ${body.slice(0, 200)}`);
      return;
    }
    // Cheap test first: a GraphQL error answer always has "errors" at the top level.
    if (body.includes('"errors"')) {
      try {
        const parsed = JSON.parse(body) as { errors?: { message?: string; extensions?: { code?: string } }[] };
        if (parsed.errors?.length) {
          s.graphqlErrors++;
          this.example(s, `${parsed.errors[0].extensions?.code ?? '?'}: ${String(parsed.errors[0].message).slice(0, 200)}`);
        }
      } catch {
        s.graphqlErrors++;
        this.example(s, `not JSON: ${body.slice(0, 200)}`);
      }
    }
  }

  kinds(): [string, KindStats][] {
    return [...this.byKind.entries()];
  }

  all(): number[] {
    return [...this.byKind.values()].flatMap((s) => s.latencies);
  }

  private stats(kind: string): KindStats {
    const s = this.byKind.get(kind);
    if (!s) throw new Error(`unknown kind ${kind}`);
    return s;
  }

  private example(s: KindStats, text: string): void {
    if (s.examples.length < 3) s.examples.push(text);
  }
}

/** Nearest-rank percentile of unsorted samples (sorts a copy). */
export function percentiles(samples: number[], ps: number[]): number[] {
  if (samples.length === 0) return ps.map(() => NaN);
  const sorted = Float64Array.from(samples).sort();
  return ps.map((p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]);
}
