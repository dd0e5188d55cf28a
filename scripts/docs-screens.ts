// The page functions below run in the browser: DOM types for them (the project's lib is ES2022 only).
/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { launchLoopbackBrowser } from '../bench/browser/loopback-browser';
import { startGatewayChild } from '../bench/gateway-child.runner';

/**
 * `npm run docs:screens`: a PNG of each view of the explorer (the statistics page's table, map,
 * trend, drill-down, plans and Decision 766 index, and GraphiQL) into docs/screens/, for the
 * README. The compiled gateway runs on the default world (the bundled simulator, first sync
 * done) as a child process on loopback; headless Chromium (bench/browser) with every other
 * request blocked, 1280x800.
 *
 *   npm run docs:screens                         (every screen)
 *   npm run docs:screens -- stats-index766.png   (only the files named)
 */
const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'docs', 'screens');
const VIEWPORT = { width: 1280, height: 800 };

interface Screen {
  file: string;
  /** Path and query string on the gateway. */
  url: string;
  /** What shows the view is drawn (beyond the first-view mark). */
  ready: string;
  /** Scrolled to the top of the viewport before the shot (the drill-down sits below the table). */
  scrollTo?: string;
  /** Clicked before the shot (GraphiQL runs its first example), then `after` awaited. */
  click?: string;
  after?: string;
}

/** The views, each at a date or period where it says something (the 2021 target; the 2025 merger; the 2021 plans). */
const SCREENS: Screen[] = [
  { file: 'stats-table.png', url: '/?indicator=level4_share&asOf=2021-12-31&levels=mapped_to_decree43', ready: 'table[data-table=ranked] .dvc-spark svg' },
  { file: 'stats-map.png', url: '/?view=map&indicator=online_dossier_rate&period=2025&unitView=current_units', ready: '.dvc-map button', scrollTo: '.dvc-tabs' },
  { file: 'stats-trend.png', url: '/?view=trend&indicator=online_dossier_rate&period=2025&unitView=current_units&unit=80', ready: '.dvc-trend svg', scrollTo: '.dvc-tabs' },
  { file: 'stats-drill-down.png', url: '/?indicator=online_dossier_rate&period=2025&unitView=current_units&unit=96', ready: 'table[data-table=sectors] tbody tr', scrollTo: '.dvc-drill' },
  { file: 'stats-plans.png', url: '/?view=plans&asOf=2021-09-30&planYear=2021', ready: 'table[data-table=plans] tbody tr', scrollTo: '.dvc-tabs' },
  { file: 'stats-index766.png', url: '/?view=index766&period=2025-Q4', ready: '.dvc-index-chart svg[role=img]', scrollTo: '.dvc-tabs' },
  { file: 'stats-english.png', url: '/?indicator=online_dossier_rate&period=2025&lang=en', ready: 'table[data-table=ranked] .dvc-spark svg' },
  {
    file: 'graphiql.png', url: '/graphiql', ready: '.graphiql-container .graphiql-query-editor .monaco-editor',
    click: '.graphiql-execute-button', after: '.graphiql-response .view-lines',
  },
];

async function shoot(page: Page, origin: string, screen: Screen): Promise<void> {
  await page.goto(`${origin}${screen.url}`, { waitUntil: 'domcontentloaded' });
  if (!screen.url.startsWith('/graphiql')) {
    await page.waitForFunction(() => document.documentElement.dataset.firstView === 'complete', { timeout: 60_000 });
  }
  await page.waitForSelector(screen.ready, { timeout: 60_000 });
  // Charts and lazily loaded chunks settle; fonts are the system's.
  await page.waitForNetworkIdle({ idleTime: 500, timeout: 30_000 });
  if (screen.click) {
    await page.click(screen.click);
    await page.waitForFunction((s) => ((document.querySelector(s) as HTMLElement | null)?.innerText ?? '').includes('"data"'), { timeout: 60_000 }, screen.after!);
  }
  if (screen.scrollTo) await page.$eval(screen.scrollTo, (el) => el.scrollIntoView({ block: 'start' }));
  // Keyboard focus (the drill-down's heading takes it) is not part of the picture.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.screenshot({ path: path.join(OUT, screen.file), type: 'png' });
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((f) => !SCREENS.some((s) => s.file === f));
  if (unknown.length) throw new Error(`no screen ${unknown.join(', ')} (screens: ${SCREENS.map((s) => s.file).join(', ')})`);
  fs.mkdirSync(OUT, { recursive: true });
  process.stderr.write('docs:screens: starting the gateway on the default world (first sync included)…\n');
  const gateway = await startGatewayChild('screens', { SYNC_SCHEDULES: 'off', RATE_LIMIT_MAX: '0' });
  const browser = await launchLoopbackBrowser();
  try {
    const page = await browser.newPage();
    await page.setViewport(VIEWPORT);
    for (const screen of SCREENS.filter((s) => only.length === 0 || only.includes(s.file))) {
      await shoot(page, gateway.origin, screen);
      const kb = fs.statSync(path.join(OUT, screen.file)).size / 1024;
      process.stderr.write(`docs:screens: docs/screens/${screen.file} (${kb.toFixed(0)} KiB)\n`);
    }
    if (browser.blocked.length) throw new Error(`the pages asked for the outside world: ${browser.blocked.join(', ')}`);
    if (browser.errors.length) throw new Error(`the pages logged errors: ${browser.errors.join('; ')}`);
  } finally {
    await browser.close();
    await gateway.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`docs:screens: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
