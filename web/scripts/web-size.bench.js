#!/usr/bin/env node
'use strict';
/**
 * npm run bench:web: how heavy the explorer is, gzipped, two ways.
 *
 * 1. On disk: every file of dist/web and its .gz (what the build wrote; asset-sizes.json).
 * 2. In a browser: what each page actually fetches (gzip on the wire), and when it is ready by the
 *    browser's own clock (performance.now() from navigation start): headless Chromium
 *    (CHROMIUM_PATH, default /usr/bin/chromium) loads `/` (GraphiQL, until its query editor shows)
 *    and `/#/stats` (the statistics page, until its heading shows), each in a fresh profile, from
 *    the gateway's own static handler (src/explorer/explorer.router.ts) on a loopback port, with
 *    every other request blocked. No database: GraphiQL's schema request fails, which changes no
 *    asset it loads (the GraphQL worker starts once a schema arrives, so it is counted from disk).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'dist', 'web');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const KiB = (n) => `${(n / 1024).toFixed(0)} KiB`;

function diskSizes() {
  const { files, workers } = JSON.parse(fs.readFileSync(path.join(OUT, 'asset-sizes.json'), 'utf8'));
  const sum = (pred) => Object.entries(files).filter(([f]) => pred(f)).reduce((s, [, v]) => s + v.gzipBytes, 0);
  return {
    all: sum((f) => !f.endsWith('.json') && !f.endsWith('.LEGAL.txt')),
    workers: Object.fromEntries(Object.entries(workers).map(([k, f]) => [k, files[f].gzipBytes])),
  };
}

/** Serves dist/web with the gateway's own handler on a loopback port. */
async function startStatic() {
  const express = require('express');
  const { explorerRouter, loadExplorerFiles } = require(path.join(ROOT, 'dist', 'src', 'explorer', 'explorer.router.js'));
  const app = express();
  app.use(explorerRouter({ enabled: true, explorer: loadExplorerFiles(OUT) }));
  app.use((_req, res) => res.status(404).json({ errors: [{ message: 'not found' }] }));
  const server = http.createServer(app);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${server.address().port}` };
}

/** Loads one page in a fresh browser; returns bytes fetched (as sent: gzip) and the ready time. */
async function measurePage(puppeteer, url, readySelector) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-bench-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`],
  });
  try {
    const page = await browser.newPage();
    await page.setRequestInterception(true);
    const blocked = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.protocol === 'data:' || u.hostname === '127.0.0.1') r.continue();
      else {
        blocked.push(r.url());
        r.abort('blockedbyclient');
      }
    });
    let bytes = 0;
    let files = 0;
    page.on('response', (r) => {
      if (!r.url().startsWith('http')) return;
      bytes += Number(r.headers()['content-length'] || 0);
      files += 1;
    });
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector(readySelector, { timeout: 60_000 });
    const readyMs = await page.evaluate(() => performance.now());
    // Whatever the page fetches right after showing (workers, lazy chunks) counts too.
    await page.waitForNetworkIdle({ idleTime: 1000, timeout: 60_000 }).catch(() => undefined);
    return { bytes, files, readyMs, blocked };
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

async function main() {
  const disk = diskSizes();
  console.log(`dist/web, gzipped: ${KiB(disk.all)} in all (every chunk, worker and lazy part; prettier's plugins load only to prettify)`);
  console.log(`  Monaco workers: editor ${KiB(disk.workers.editor)}, json ${KiB(disk.workers.json)}, graphql ${KiB(disk.workers.graphql)}`);
  if (!fs.existsSync(CHROMIUM)) {
    console.log(`no Chromium at ${CHROMIUM}: browser figures skipped`);
    return;
  }
  const puppeteer = require('puppeteer-core');
  const { server, base } = await startStatic();
  try {
    for (const [label, url, selector] of [
      ['statistics page (/#/stats)', `${base}/#/stats`, '.dvc-stats h1'],
      ['GraphiQL (/)', `${base}/`, '.graphiql-query-editor .monaco-editor'],
    ]) {
      const m = await measurePage(puppeteer, url, selector);
      console.log(`${label}: ${KiB(m.bytes)} gzipped in ${m.files} files, ready ${m.readyMs.toFixed(0)} ms after navigation${m.blocked.length ? `; BLOCKED ${m.blocked.join(' ')}` : ''}`);
    }
  } finally {
    server.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
