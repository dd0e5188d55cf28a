import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import { Rng } from '../../src/simulator/prng';
import { memoryOf } from '../gateway-child.runner';
import { LatencyRecorder } from './latency.recorder';
import { pickKind, ReadKind } from './read-mix.definition';

/** What autocannon keeps per connection between a request and its answer. */
interface MixContext {
  kind?: string;
  start?: number;
}

/**
 * The autocannon request of the read mix (bench:load, bench/cache.bench.ts): POST /graphql, each
 * request a weighted draw from `mix`, timed into `recorder`; `onAnswer` also sees the latency,
 * when the request was sent and the answer's headers.
 */
export function mixRequest(
  rng: Rng,
  mix: readonly ReadKind[],
  recorder: LatencyRecorder,
  onAnswer?: (ms: number, sentAt: number, headers: Record<string, string | string[]>, kind: string) => void,
): autocannon.Request {
  return {
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    // Called just before each request is written (the client's previous one answered): a weighted draw.
    setupRequest: (req, context: MixContext) => {
      const kind = pickKind(rng, mix);
      context.kind = kind.name;
      context.start = performance.now();
      recorder.sent(kind.name);
      return { ...req, body: kind.body(rng) };
    },
    onResponse: (status, body, context: MixContext, headers) => {
      if (!context.kind || context.start === undefined) return;
      const ms = performance.now() - context.start;
      recorder.answered(context.kind, ms, status, body);
      onAnswer?.(ms, context.start, (headers ?? {}) as Record<string, string | string[]>, context.kind);
    },
  };
}

/** Peak of VmRSS sampled every 200 ms until stop() (VmHWM would also count start-up, which syncs the world). */
export function sampleRss(pid: number): { stop(): number } {
  let peak = 0;
  const tick = () => {
    const m = memoryOf(pid);
    if (m && m.current > peak) peak = m.current;
  };
  tick();
  const timer = setInterval(tick, 200);
  return { stop: () => (clearInterval(timer), tick(), peak) };
}

/** A plain-text table, the first column left-aligned, the others right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}
