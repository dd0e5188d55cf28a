import v8 from 'node:v8';

/**
 * How far V8 lets its heap grow past what a full collection left alive, in percent, between
 * bulk loads: V8's own factor grows the heap up to 4x the live size when the process allocates
 * fast. bench:cache's gateway at 100 connections held 52-72 MB alive in a 190-250 MB heap,
 * 310-370 MB RSS; with 50, 251-254 MB RSS; with 25, 234-239 MB and no more gateway CPU per request
 * than with 50 (8.4 against 8.6 ms without the cache, 0.75 against 0.86 ms with it; one run each
 * at load 15: docs/caching.md, Memory).
 */
export const BASE_GROWING_PERCENT = 25;

/**
 * The same while a sync runs. A sync reads its pages into buffers outside the JS heap (about
 * 2 MB a page, 100 MB/s at national scale), and V8 counts such memory allocated since the last
 * full collection toward the old generation's limit: with a limit close to the live size, the
 * gateway ran a full mark every 100 ms or so, whose helper threads took 11% of the machine
 * (perf, national sync). Measured on the national sync (bench:sync, 6.3M dossiers, 2 December
 * 2026): V8's own factor 4.12 us of gateway CPU per dossier, peak RSS 241 MB; 200: 2.90 us,
 * 254 MB, over the 250 MB target. With the page buffers sized by Content-Length, three runs each:
 * 150: 2.59-3.07 us, 244-249 MB, too close to it; 100: 3.00-3.24 us, 217-224 MB, sync median
 * 0.60x COPY; 125: 2.76-4.08 us (the last on a slow spell of the machine), 239-243 MB, 0.63x.
 * On 8 provinces (1.4M dossiers): 37-71 full collections with V8's factor, 4-5 with 200.
 */
export const BULK_GROWING_PERCENT = 125;

/** Whether the command line already chose the factor (the flag is not allowed in NODE_OPTIONS). */
const setOnCommandLine = (execArgv: readonly string[]) =>
  execArgv.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'));

/**
 * The process's heap growth: BASE_GROWING_PERCENT, and BULK_GROWING_PERCENT while at least one
 * bulk load (a sync run) is under way. One per process, passed to whoever runs syncs.
 *
 * Unlike a cap (--max-old-space-size), the factor cannot stop a load that needs more: the heap
 * still follows what is alive, it is only collected sooner or later. V8 reads the flag at every
 * full collection, so a change takes effect at the next one. A factor given on the command line
 * (`node --heap-growing-percent=N dist/src/main.js`) is left alone.
 */
export class HeapPolicy {
  private bulkRuns = 0;
  private applied: number | null = null;

  /** `set` applies a percentage (V8's flag by default; null: leave V8's factor alone). */
  constructor(
    private readonly set: ((percent: number) => void) | null = (p) => v8.setFlagsFromString(`--heap-growing-percent=${p}`),
    readonly base = BASE_GROWING_PERCENT,
    readonly bulk = BULK_GROWING_PERCENT,
  ) {
    this.apply(base);
  }

  /** The policy of this process: inert when its command line set the flag. */
  static forProcess(execArgv: readonly string[] = process.execArgv): HeapPolicy {
    return new HeapPolicy(setOnCommandLine(execArgv) ? null : undefined);
  }

  /** The percentage last applied (null: V8's own, or the command line's). */
  get current(): number | null {
    return this.applied;
  }

  /** Runs `load` with the bulk factor; the base factor comes back once no bulk load runs. */
  async during<T>(load: () => Promise<T>): Promise<T> {
    if (this.bulkRuns++ === 0) this.apply(this.bulk);
    try {
      return await load();
    } finally {
      if (--this.bulkRuns === 0) this.apply(this.base);
    }
  }

  private apply(percent: number): void {
    if (!this.set) return;
    this.set(percent);
    this.applied = percent;
  }
}
