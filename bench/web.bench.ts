import os from 'node:os';
import path from 'node:path';
import { launchLoopbackBrowser, LoopbackBrowser } from './browser/loopback-browser';
import { startGatewayChild } from './gateway-child.runner';
import { BUDGET_BYTES, kib, servedFiles, ServedFile, weightOf } from './web/asset-budget';
import { median, PageTiming, timePageLoad } from './web/page-timing';

/**
 * `npm run bench:web`: the explorer's weight and speed (issue 10: "the first view is complete
 * within 1 s of page load on the default world, measured with the browser's own timing; the
 * assets are at most 1 MB gzipped").
 *
 * 1. Weight: every file the gateway serves from dist/web, gzipped, against the 1 MB budget; and
 *    what each page actually loads (the statistics page at `/`, GraphiQL at `/graphiql` with its
 *    worker), weighed by the URLs the browser fetched.
 * 2. Speed: the real gateway (`node dist/src/main.js`, a child process) on the default world
 *    (SYNC_ON_START with the in-process simulator; healthy once the first sync is done), the
 *    loopback browser (Debian's Chromium, every non-loopback request blocked), each page loaded
 *    WEB_BENCH_RUNS times (default 5) in a fresh tab, with the cache cleared (a first visit) and
 *    kept (a return visit). Times are the browser's own (ms since navigation start): the
 *    statistics page's `dvc:first-view` mark, navigation timing's DOMContentLoaded and load, and
 *    GraphiQL's query editor appearing. Medians are printed; nothing is asserted (the machine may
 *    be shared: quote medians from an idle one).
 *
 * RATE_LIMIT_MAX=0: the runs come from one address in quick succession.
 */
const RUNS = Number(process.env.WEB_BENCH_RUNS ?? 5);
const TARGET_FIRST_VIEW_MS = 1000;
const DIST_WEB = path.resolve(__dirname, '..', '..', 'dist', 'web');

const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : `${Math.round(v)} ms`);

function printWeight(files: ServedFile[]): void {
  const total = files.reduce((s, f) => s + f.gzipBytes, 0);
  const raw = files.reduce((s, f) => s + f.bytes, 0);
  console.log(`assets served (index.html, graphiql.html, assets/*): ${files.length} files, ${kib(raw)} raw, ${kib(total)} gzipped; budget ≤ ${kib(BUDGET_BYTES)} (1 MB): ${total <= BUDGET_BYTES ? 'OK' : `OVER by ${kib(total - BUDGET_BYTES)}`}`);
  const largest = [...files].sort((a, b) => b.gzipBytes - a.gzipBytes).slice(0, 8);
  console.log(`largest (gzipped): ${largest.map((f) => `${path.basename(f.file)} ${kib(f.gzipBytes)}`).join(', ')}`);
}

/** Loads a page RUNS times cold, then RUNS times warm; returns the timings of each. */
async function timePage(browser: LoopbackBrowser, url: string, waitFor: 'first-view' | 'editor'): Promise<{ cold: PageTiming[]; warm: PageTiming[] }> {
  const cold: PageTiming[] = [];
  const warm: PageTiming[] = [];
  // A page that never sets its mark is waited for once (20 s), then only briefly: it is reported missing either way.
  let timeoutMs = 20_000;
  for (const [list, isCold] of [[cold, true], [warm, false]] as const) {
    // A warm run needs the cache filled: one untimed load first.
    if (!isCold) await timePageLoad(browser, { url, cold: false, waitFor, timeoutMs });
    for (let i = 0; i < RUNS; i++) {
      const t = await timePageLoad(browser, { url, cold: isCold, waitFor, timeoutMs });
      if ((waitFor === 'first-view' ? t.firstView : t.editorReady) === undefined) timeoutMs = 3000;
      list.push(t);
    }
  }
  return { cold, warm };
}

function printTimes(label: string, runs: PageTiming[], key: 'firstView' | 'editorReady', files: ServedFile[]): void {
  const values = runs.map((r) => r[key]).filter((v): v is number => v !== undefined);
  const weight = weightOf(files, runs[0].urls);
  const cached = median(runs.map((r) => r.fromCache));
  const main = values.length === 0
    ? `${key === 'firstView' ? "'dvc:first-view' mark missing (the page never set it)" : 'query editor never appeared'}`
    : `${key === 'firstView' ? 'first view' : 'query editor ready'} median ${ms(median(values))} (${values.map((v) => Math.round(v)).join(', ')})${values.length < runs.length ? `, missing in ${runs.length - values.length} runs` : ''}`;
  console.log(`  ${label}: ${main}; DOMContentLoaded ${ms(median(runs.map((r) => r.domContentLoaded)))}, load ${ms(median(runs.map((r) => r.load)))}; loaded ${weight.count} files, ${kib(weight.gzipBytes)} gzipped (${cached} from cache)`);
}

async function main(): Promise<void> {
  const files = servedFiles(DIST_WEB);
  printWeight(files);
  console.log('starting the gateway (default world: SYNC_ON_START=true, in-process simulator; RATE_LIMIT_MAX=0)');
  const gw = await startGatewayChild('web', { RATE_LIMIT_MAX: '0' });
  let browser: LoopbackBrowser | undefined;
  try {
    console.log(`gateway healthy (first sync done) in ${gw.startSeconds.toFixed(1)} s; ${RUNS} runs per page and cache state, ${os.cpus().length} CPUs shared by gateway, PostgreSQL and Chromium`);
    browser = await launchLoopbackBrowser();
    const stats = await timePage(browser, `${gw.origin}/`, 'first-view');
    console.log(`statistics page (${gw.origin}/), target: first view ≤ ${TARGET_FIRST_VIEW_MS} ms`);
    printTimes('cold cache', stats.cold, 'firstView', files);
    printTimes('warm cache', stats.warm, 'firstView', files);
    const graphiql = await timePage(browser, `${gw.origin}/graphiql`, 'editor');
    console.log(`GraphiQL (${gw.origin}/graphiql)`);
    printTimes('cold cache', graphiql.cold, 'editorReady', files);
    printTimes('warm cache', graphiql.warm, 'editorReady', files);
    const firstView = median(stats.cold.map((r) => r.firstView ?? NaN));
    const total = files.reduce((s, f) => s + f.gzipBytes, 0);
    console.log(`targets: assets ≤ 1 MB gzipped ${total <= BUDGET_BYTES ? 'OK' : 'FAIL'} (${kib(total)}); first view ≤ 1 s (cold, median) ${Number.isFinite(firstView) ? (firstView <= TARGET_FIRST_VIEW_MS ? 'OK' : 'FAIL') : 'not measured (mark missing)'} (${ms(firstView)})`);
    if (browser.blocked.length) console.log(`blocked non-loopback requests: ${browser.blocked.join(', ')}`);
    if (browser.errors.length) console.log(`page errors: ${browser.errors.slice(0, 5).join(' | ')}`);
  } finally {
    await browser?.close();
    await gw.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
