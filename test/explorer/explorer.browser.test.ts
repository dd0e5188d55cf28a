/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { loadFixture } from '../aggregates/fixture';
import { startTestGateway, TestGateway } from '../support/harness';
import { AxeViolation, launchLoopbackBrowser, LoopbackBrowser, runAxe } from '../../bench/browser/loopback-browser';

/**
 * The explorer in a real browser (Debian's Chromium, headless), against the real gateway over
 * loopback, with every other request blocked: the built bundle (dist/web, made by `npm test`'s
 * pretest) must load, show GraphiQL with the documented queries, run one, and pass axe-core.
 */
jest.setTimeout(180_000);

const DIST_WEB = path.join(__dirname, '..', '..', 'dist', 'web');

/**
 * GraphiQL 5.4's own violation, not ours: each tab is an element with role="tab" holding its close
 * button, which axe reports as `nested-interactive` (serious). Only that rule on those elements is
 * let through; anything else serious or critical fails the test.
 */
const GRAPHIQL_OWN = (v: AxeViolation) => v.id === 'nested-interactive' && v.nodes.every((n) => /^<li [^>]*role="tab"[^>]* class="graphiql-tab( graphiql-tab-active)?"/.test(n.html));

const seriousOrCritical = (vs: AxeViolation[]) => vs.filter((v) => v.impact === 'serious' || v.impact === 'critical');

let gw: TestGateway;
let browser: LoopbackBrowser;
let base: string;
let documented: { name: string; audience: string }[];

beforeAll(async () => {
  if (!fs.existsSync(path.join(DIST_WEB, 'index.html'))) throw new Error('dist/web is not built: run `npm test` (its pretest builds it) or `npm run build`');
  documented = JSON.parse(fs.readFileSync(path.join(DIST_WEB, 'documented-queries.json'), 'utf8')) as { name: string; audience: string }[];
  gw = await startTestGateway();
  await loadFixture(gw.db);
  base = gw.app.url.replace(/\/graphql$/, '');
  browser = await launchLoopbackBrowser();
});
afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

/** A new tab on GraphiQL, once its query editor is there. */
async function openGraphiql(): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${base}/graphiql`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('.graphiql-query-editor .monaco-editor', { timeout: 60_000 });
  return page;
}

/** Closes a tab that asked nothing of the outside world and logged no error. */
async function closeClean(page: Page): Promise<void> {
  expect(browser.blocked).toEqual([]);
  expect(browser.errors).toEqual([]);
  await page.close();
}

/** The files a page's HTML names for `<link rel="modulepreload">`. */
const preloadsOf = (html: string) => [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]);

/** The text Monaco shows in the response pane (its visible lines). */
const responseText = (page: Page) => page.$eval('.graphiql-response', (el) => (el as HTMLElement).innerText);

describe('the explorer: GraphiQL at /graphiql, statistics at /', () => {
  it('shows GraphiQL with the documented queries, runs one from the UI, and asks nothing of the outside world', async () => {
    const page = await browser.newPage();
    // axe-core is injected as a script: allowed past the page's Content-Security-Policy, for the test only.
    await page.setBypassCSP(true);
    await page.goto(`${base}/graphiql`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('.graphiql-container .graphiql-query-editor .monaco-editor', { timeout: 60_000 });

    // Every documented query is offered, by name, for each kind of reader.
    expect(documented.length).toBeGreaterThanOrEqual(10);
    expect(new Set(documented.map((q) => q.audience))).toEqual(new Set(['start', 'dashboard', 'journalist', 'integrator', 'operator']));
    const offered = await page.$$eval('[data-query-name]', (els) => els.map((e) => e.getAttribute('data-query-name')));
    expect([...offered].sort()).toEqual(documented.map((q) => q.name).sort());
    expect(offered).toEqual(expect.arrayContaining(['SourceHealth', 'SyncSource']));
    // One tab per kind of reader (their first query), titled by the operation's name.
    const tabs = await page.$$eval('.graphiql-tab', (els) => els.map((e) => (e as HTMLElement).innerText.trim()));
    const firsts = ['start', 'dashboard', 'journalist', 'integrator', 'operator'].map((a) => documented.find((q) => q.audience === a)!.name);
    expect(tabs).toEqual(firsts);
    // The headers editor, where an API key goes, is open.
    await page.waitForFunction(() => (document.querySelector('.graphiql-editor-tool') as HTMLElement | null)?.innerText.includes('Authorization'), { timeout: 20_000 });

    // An example not open yet opens in a new tab, titled by its name.
    const other = documented.find((q) => !firsts.includes(q.name))!.name;
    await page.click(`[data-query-name="${other}"]`);
    // (A tab's text also holds its close button's hidden label.)
    await page.waitForFunction((name) => document.querySelector('.graphiql-tab-active')?.textContent?.includes(name), {}, other);
    expect(await page.$$eval('.graphiql-tab', (els) => els.length)).toBe(firsts.length + 1);

    // Run the operators' source health query, opened from the examples pane.
    await page.click('[data-query-name="SourceHealth"]');
    await page.waitForFunction(() => document.querySelector('.graphiql-tab-active')?.textContent?.includes('SourceHealth'));
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(() => (document.querySelector('.graphiql-response') as HTMLElement | null)?.innerText.includes('"fixture"'), { timeout: 30_000 });
    expect(await responseText(page)).toMatch(/"sources"/);

    // Completion from the schema (the GraphQL worker, bundled Monaco's suggest widget): a new tab, `{ sour` typed.
    await page.click('.graphiql-tab-add');
    await page.click('.graphiql-query-editor .monaco-editor .view-lines');
    await page.keyboard.type('{ sour');
    await page.waitForFunction(() => (document.querySelector('.graphiql-query-editor .suggest-widget') as HTMLElement | null)?.innerText.includes('sources'), { timeout: 30_000 });
    // Monaco's icon font (cut down to the icons the editor names, web/scripts/ttf-subset.js) is
    // accepted by the browser's font checker and drawn in the suggestion list.
    await page.waitForFunction(() => {
      let loaded = false;
      document.fonts.forEach((f) => {
        if (f.family.replace(/"/g, '') === 'codicon' && f.status === 'loaded') loaded = true;
      });
      return loaded;
    }, { timeout: 10_000 });
    // Accepted, the field shows its type on hover (monaco-graphql's hover, Monaco's hover widget).
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (document.querySelector('.graphiql-query-editor .view-lines') as HTMLElement | null)?.innerText.includes('sources'));
    // The word's box on screen, from the text node that holds it.
    const word = await page.evaluate(() => {
      const walker = document.createTreeWalker(document.querySelector('.graphiql-query-editor .view-lines')!, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const at = n.textContent!.indexOf('sources');
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(n, at + 1);
        range.setEnd(n, at + 6);
        const r = range.getBoundingClientRect();
        return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
      }
      return undefined;
    });
    await page.mouse.move(word!.x - 3, word!.y);
    await page.mouse.move(word!.x, word!.y, { steps: 3 });
    // (GraphiQL's editors draw their widgets outside the editor's box.)
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.monaco-hover')).some((h) => (h as HTMLElement).innerText.includes('Source')), { timeout: 20_000 });
    // Find (Ctrl+F) opens Monaco's find widget in the query editor.
    await page.click('.graphiql-query-editor .monaco-editor .view-lines');
    await page.keyboard.down('Control');
    await page.keyboard.press('KeyF');
    await page.keyboard.up('Control');
    await page.waitForSelector('.graphiql-query-editor .find-widget.visible', { timeout: 10_000 });
    // axe below judges the page, not Monaco's transient widgets: closed first (the hover goes with the mouse).
    await page.keyboard.press('Escape');
    await page.mouse.move(0, 0);
    await page.waitForFunction(() => !Array.from(document.querySelectorAll('.monaco-hover')).some((h) => (h as HTMLElement).offsetParent !== null && !h.closest('.hidden')));

    // Prettify: the query by prettier, the headers and variables (JSON with comments) by
    // jsonc-parser's formatter (web/src/graphiql/jsonc-format.ts): comments kept, one entry a line.
    await page.evaluate(() => {
      const monaco = (globalThis as unknown as { __MONACO: { editor: { getModels(): { uri: { path: string }; setValue(v: string): void }[] } } }).__MONACO;
      monaco.editor.getModels().find((m) => m.uri.path.endsWith('request-headers.json'))!.setValue('{"a":1, // c\n"b":[1,2],"o":{}}');
    });
    await page.click('button[aria-label^="Prettify"]');
    await page.waitForFunction(() => {
      const monaco = (globalThis as unknown as { __MONACO: { editor: { getModels(): { uri: { path: string }; getValue(): string }[] } } }).__MONACO;
      return monaco.editor.getModels().find((m) => m.uri.path.endsWith('request-headers.json'))!.getValue() === '{\n  "a": 1, // c\n  "b": [\n    1,\n    2\n  ],\n  "o": {}\n}\n';
    }, { timeout: 10_000 });

    const violations = await runAxe(page);
    expect(seriousOrCritical(violations).filter((v) => !GRAPHIQL_OWN(v))).toEqual([]);

    expect(browser.blocked).toEqual([]);
    expect(browser.errors).toEqual([]);
    await page.close();
  });

  it('opens the query of a link (`/graphiql?query=…&variables=…`) in a tab of its own, beside the tabs already open', async () => {
    const page = await openGraphiql();
    const tabTitles = () => page.$$eval('.graphiql-tab .graphiql-tab-button', (els) => els.map((e) => (e as HTMLElement).innerText.trim()));
    // The tabs of the first test, restored from the browser's storage.
    const before = await tabTitles();
    expect(before.length).toBeGreaterThanOrEqual(5);

    // As the statistics page's "Open in GraphiQL" sends it: both parameters URL-encoded, the variables pretty-printed.
    const query = 'query TypeFromLink($type: String!) {\n  __type(name: $type) { name kind }\n}';
    const variables = JSON.stringify({ type: 'Source' }, null, 2);
    const link = `${base}/graphiql?${new URLSearchParams({ query, variables }).toString()}`;
    const modelValue = (suffix: string) => page.evaluate((s) => {
      const monaco = (globalThis as unknown as { __MONACO: { editor: { getModels(): { uri: { path: string }; getValue(): string }[] } } }).__MONACO;
      return monaco.editor.getModels().find((m) => m.uri.path.endsWith(s))?.getValue();
    }, suffix);
    for (const visit of ['first', 'again'] as const) {
      await page.goto(link, { waitUntil: 'domcontentloaded' });
      await page.waitForFunction(() => document.querySelector('.graphiql-tab-active')?.textContent?.includes('TypeFromLink'), { timeout: 60_000 });
      // One tab more, named by the operation, the others as they were; opened again (a reload), the same tab.
      expect({ visit, tabs: await tabTitles() }).toEqual({ visit, tabs: [...before, 'TypeFromLink'] });
      await page.waitForFunction((q) => {
        const monaco = (globalThis as unknown as { __MONACO: { editor: { getModels(): { uri: { path: string }; getValue(): string }[] } } }).__MONACO;
        return monaco.editor.getModels().find((m) => m.uri.path.endsWith('operation.graphql'))?.getValue() === q;
      }, {}, query);
      expect(await modelValue('variables.json')).toBe(variables);
      // GraphiQL stores its tabs half a second after a change: the reload comes after that.
      await page.waitForFunction(() => Object.keys(localStorage).some((k) => k.endsWith('tabState') && localStorage.getItem(k)!.includes('TypeFromLink')));
    }
    // Run as it came: the variables go with it.
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(() => (document.querySelector('.graphiql-response') as HTMLElement | null)?.innerText.includes('"OBJECT"'), { timeout: 30_000 });
    expect(await responseText(page)).toMatch(/"Source"/);
    await closeClean(page);
  });

  it('searches the schema in the docs pane (up, down, Enter) and renders its descriptions as Markdown', async () => {
    const page = await openGraphiql();
    await page.click('button[aria-label="Show Documentation Explorer"]');
    // The search box: web/src/graphiql/combobox.tsx in @headlessui/react's place.
    const input = '.graphiql-doc-explorer-search [role="combobox"]';
    await page.waitForSelector(input, { timeout: 30_000 });
    // Replaces whatever the box holds (a choice may or may not have cleared it yet: under load, the
    // full suite once typed "Source" after a "Source" still there).
    const search = async (text: string) => {
      await page.click(input);
      await page.$eval(input, (el) => (el as HTMLInputElement).select());
      await page.keyboard.type(text);
      await page.waitForFunction((sel, t) => (document.querySelector(sel) as HTMLInputElement | null)?.value === t, {}, input, text);
    };
    await search('Source');
    // Results settle 200 ms after the last keystroke (GraphiQL's debounce): wait until two reads
    // 400 ms apart list the same options, so ArrowDown lands on a row of the final list.
    const options = () => page.$$eval('.graphiql-doc-explorer-search [role="option"]', (els) => els.map((e) => (e as HTMLElement).innerText).join('|'));
    for (let before = ''; ;) {
      const now = await options();
      if (now && now === before) break;
      before = now;
      await new Promise((r) => setTimeout(r, 400));
    }
    await page.keyboard.press('ArrowDown');
    const active = await page.$eval(input, (el) => el.getAttribute('aria-activedescendant'));
    expect(await page.$eval('[role="option"][data-headlessui-state="active"]', (el) => el.id)).toBe(active);
    // The option Enter chooses is the one active when the key goes down, read then (in the capture
    // phase, before the page handles it): GraphiQL's search updates its results 200 ms after the last
    // keystroke, so the active row may show another name than a moment before (CI once read "chosen"
    // from the list of "Sourc" and waited for a page that Enter never opened).
    await page.evaluate(() => window.addEventListener('keydown', (e) => {
      const active = document.querySelector('[role="option"][data-headlessui-state="active"]') as HTMLElement | null;
      if (e.key === 'Enter') (window as unknown as { chosen?: string }).chosen = active?.innerText.trim();
    }, { capture: true, once: true }));
    await page.keyboard.press('Enter');
    const chosen = (await page.evaluate(() => (window as unknown as { chosen?: string }).chosen)) ?? '';
    expect(chosen).not.toBe('');
    await page.waitForFunction((name) => (document.querySelector('.graphiql-doc-explorer-title') as HTMLElement | null)?.innerText.trim() === name, {}, chosen.split(/[\s:(]/)[0]);
    // Open the type Source from the search: its description (schema/schema.graphql) as a Markdown paragraph.
    // Back to the schema's root first: inside a type, the search looks at that type's fields only.
    while (await page.$('.graphiql-doc-explorer-back')) {
      const title = await page.$eval('.graphiql-doc-explorer-title', (el) => (el as HTMLElement).innerText);
      await page.click('.graphiql-doc-explorer-back');
      await page.waitForFunction((t) => (document.querySelector('.graphiql-doc-explorer-title') as HTMLElement | null)?.innerText !== t, {}, title);
    }
    await search('Source');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.graphiql-doc-explorer-search [role="option"]')).some((o) => (o as HTMLElement).innerText.trim() === 'Source'));
    await page.evaluate(() => (Array.from(document.querySelectorAll('.graphiql-doc-explorer-search [role="option"]')).find((o) => (o as HTMLElement).innerText.trim() === 'Source') as HTMLElement).click());
    await page.waitForFunction(() => (document.querySelector('.graphiql-doc-explorer-title') as HTMLElement | null)?.innerText.trim() === 'Source');
    const description = await page.$eval('.graphiql-doc-explorer .graphiql-markdown-description', (el) => el.innerHTML.trim());
    expect(description).toBe('<p>A data source: a portal, an integrator, a file import or the bundled reference data.</p>');
    // axe on the search box, ours; not on colours, GraphiQL's theme's (its docs pane's type and field
    // links, in the options too, have a contrast of 3.2 and 4.1, under axe's 4.5).
    await search('Sou');
    await page.waitForFunction(() => document.querySelectorAll('.graphiql-doc-explorer-search [role="option"]').length > 0);
    // The results settle (the search runs as the text changes).
    await new Promise((resolve) => setTimeout(resolve, 500));
    await page.keyboard.press('ArrowDown');
    await page.waitForSelector('[role="option"][data-headlessui-state="active"]');
    const inSearch = (v: AxeViolation) => v.nodes.some((n) => n.target.some((t) => t.includes('graphiql-doc-explorer-search')) || /role="(combobox|listbox|option)"/.test(n.html));
    expect(seriousOrCritical(await runAxe(page)).filter((v) => v.id !== 'color-contrast' && inSearch(v))).toEqual([]);
    await closeClean(page);
  });

  it('sends a browser opening /graphql to /graphiql, serves it as / (same headers), and its files compressed and cached', async () => {
    const page = await browser.newPage();
    const graphiqlLoaded: string[] = [];
    page.on('response', (r) => graphiqlLoaded.push(r.url()));
    const res = await page.goto(`${base}/graphql`, { waitUntil: 'domcontentloaded' });
    expect(res?.url()).toBe(`${base}/graphiql`);
    // This time under the page's own Content-Security-Policy: GraphiQL, Monaco and its workers start
    // without a refusal (Chromium reports one as a console error).
    await page.waitForSelector('.graphiql-query-editor .monaco-editor', { timeout: 60_000 });
    await page.waitForNetworkIdle({ idleTime: 500, timeout: 30_000 });
    expect(browser.errors).toEqual([]);
    await page.close();

    // The redirect itself: relative (a gateway behind a path prefix keeps its prefix), for browsers only.
    const redirect = await fetch(`${base}/graphql`, { redirect: 'manual', headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('./graphiql');
    const api = await fetch(`${base}/graphql?query=${encodeURIComponent('{ __typename }')}`, { redirect: 'manual', headers: { accept: 'application/json', 'apollo-require-preflight': 'true' } });
    expect(api.status).toBe(200);
    expect(await api.json()).toEqual({ data: { __typename: 'Query' } });
    // `/graphiql/` would look for its assets under /graphiql/assets/: sent to /graphiql, query kept.
    const slash = await fetch(`${base}/graphiql/?x=1`, { redirect: 'manual' });
    expect(slash.status).toBe(301);
    expect(slash.headers.get('location')).toBe('../graphiql?x=1');

    // `/` and `/graphiql` are the same page, never cached, under the same Content-Security-Policy.
    const pages = await Promise.all(['/', '/graphiql'].map((p) => fetch(`${base}${p}`, { headers: { 'accept-encoding': 'gzip' } })));
    for (const p of pages) {
      expect(p.status).toBe(200);
      expect(p.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(p.headers.get('cache-control')).toBe('no-cache');
      expect(p.headers.get('content-security-policy')).toMatch(/default-src 'self'.*worker-src 'self'.*connect-src 'self'/);
      expect(p.headers.get('content-encoding')).toBe('gzip');
    }
    const [indexHtml, graphiqlHtml] = await Promise.all(pages.map((p) => p.text()));
    // The same page, but for the chunks each path preloads (`<link rel="modulepreload">`, fetched
    // with the entry): each its own page's, all of them files that page loads.
    const withoutPreloads = (html: string) => html.replace(/\s*<link rel="modulepreload" href="[^"]+">/g, '');
    expect(withoutPreloads(graphiqlHtml)).toBe(withoutPreloads(indexHtml));
    const graphiqlPreloads = preloadsOf(graphiqlHtml);
    expect(graphiqlPreloads.length).toBeGreaterThan(3);
    expect(graphiqlPreloads.filter((f) => !graphiqlLoaded.includes(`${base}/${f}`))).toEqual([]);
    expect(preloadsOf(indexHtml)).not.toEqual(graphiqlPreloads);
    expect(indexHtml).toMatch(/<meta name="dvc-monaco-worker" content="assets\/monaco\.worker-[^"]+\.js">/);
    const asset = /src="(assets\/main-[^"]+\.js)"/.exec(indexHtml)![1];
    const js = await fetch(`${base}/${asset}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('content-encoding')).toBe('gzip');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('vary')).toBe('Accept-Encoding');
    // Without gzip: the same file, uncompressed.
    const plain = await fetch(`${base}/${asset}`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(fs.readFileSync(path.join(DIST_WEB, asset), 'utf8'));
    // Only built files: anything else under /assets is a JSON 404, and so is a path that climbs.
    for (const p of ['/assets/nope.js', '/assets/..%2F..%2Fpackage.json', '/assets/' + path.basename(asset) + '.gz']) {
      const r = await fetch(`${base}${p}`);
      expect({ p, status: r.status }).toEqual({ p, status: 404 });
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    }
  });

  // The statistics page itself is tested in test/explorer/stats.browser.test.ts; here only its
  // weight: `/` does not load GraphiQL, Monaco or their worker (npm run bench:web weighs both pages).
  it('serves the statistics page at / without GraphiQL, Monaco or their worker', async () => {
    const page = await browser.newPage();
    const loaded: string[] = [];
    page.on('response', (r) => loaded.push(r.url()));
    await page.goto(`${base}/`, { waitUntil: 'networkidle0' });
    expect(loaded.some((u) => /\/assets\/main-[^/]+\.js$/.test(u))).toBe(true);
    expect(loaded.filter((u) => /graphiql-|monaco\.worker/.test(u))).toEqual([]);
    // Its preloads (the statistics page's chunks): each one loaded by the page, none of GraphiQL's only.
    const preloads = preloadsOf(await (await fetch(`${base}/`)).text());
    expect(preloads.length).toBeGreaterThan(1);
    expect(preloads.filter((f) => !loaded.includes(`${base}/${f}`))).toEqual([]);
    expect(await page.evaluate(() => document.querySelector('.graphiql-container, .monaco-editor'))).toBeNull();
    expect(browser.blocked).toEqual([]);
    await page.close();
  });
});
