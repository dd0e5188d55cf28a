// The page functions below run in the browser: DOM types for them (the project's lib is ES2022 only).
/// <reference lib="dom" />
import type { Page } from 'puppeteer-core';
import type { LoopbackBrowser } from '../browser/loopback-browser';

/**
 * One page load in the loopback browser, timed by the browser's own clock (milliseconds since the
 * navigation started, performance.timeOrigin): navigation timing's DOMContentLoaded and load, the
 * statistics page's `dvc:first-view` mark (it sets it once its first view is rendered with data,
 * with `data-first-view="complete"` on <html>), and for GraphiQL the moment its query editor
 * (Monaco) is in the page, seen by a MutationObserver installed before any script of the page.
 */
export interface PageTiming {
  domContentLoaded: number;
  load: number;
  /** The statistics page's first view; undefined when the page never set the mark. */
  firstView?: number;
  /** GraphiQL's query editor in the page; undefined when it never appeared. */
  editorReady?: number;
  /** URLs the page and its workers fetched (to weigh them). */
  urls: string[];
  /** How many of the asset responses came from the browser's cache. */
  fromCache: number;
}

/** Set before the page's own scripts: records when GraphiQL's query editor first exists. */
function watchEditor(): void {
  const w = window as unknown as { __dvcEditorReady?: number };
  const seen = () => document.querySelector('.graphiql-query-editor .monaco-editor .view-lines') !== null;
  new MutationObserver((_m, observer) => {
    if (w.__dvcEditorReady === undefined && seen()) {
      w.__dvcEditorReady = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
}

export interface LoadOptions {
  url: string;
  /** Clear the browser's cache first (a first visit), else keep it (a return visit). */
  cold: boolean;
  /** What to wait for after `load`: the first-view mark, or GraphiQL's editor. */
  waitFor: 'first-view' | 'editor';
  /** How long to wait for it before reporting it missing. */
  timeoutMs: number;
}

export async function timePageLoad(browser: LoopbackBrowser, opts: LoadOptions): Promise<PageTiming> {
  const page: Page = await browser.newPage();
  try {
    const urls: string[] = [];
    let fromCache = 0;
    page.on('response', (r) => {
      urls.push(r.url());
      if (r.fromCache()) fromCache++;
    });
    if (opts.cold) {
      const cdp = await page.createCDPSession();
      await cdp.send('Network.clearBrowserCache');
      await cdp.detach();
    }
    await page.evaluateOnNewDocument(watchEditor);
    await page.goto(opts.url, { waitUntil: 'load', timeout: 60_000 });
    const done = opts.waitFor === 'first-view'
      ? page.waitForFunction(() => document.documentElement.dataset.firstView === 'complete', { timeout: opts.timeoutMs })
      : page.waitForFunction(() => (window as unknown as { __dvcEditorReady?: number }).__dvcEditorReady !== undefined, { timeout: opts.timeoutMs });
    await done.catch(() => undefined);
    const t = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      const mark = performance.getEntriesByName('dvc:first-view')[0];
      return {
        domContentLoaded: nav ? nav.domContentLoadedEventEnd : NaN,
        load: nav ? nav.loadEventEnd : NaN,
        firstView: mark ? mark.startTime : undefined,
        editorReady: (window as unknown as { __dvcEditorReady?: number }).__dvcEditorReady,
      };
    });
    return { ...t, urls, fromCache };
  } finally {
    await page.close();
  }
}

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
