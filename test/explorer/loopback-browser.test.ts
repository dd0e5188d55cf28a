/// <reference lib="dom" />
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchLoopbackBrowser, LoopbackBrowser } from '../../bench/browser/loopback-browser';

/**
 * The test browser itself (bench/browser/loopback-browser.ts): requests beyond loopback fail in
 * Chromium's network stack (a dead proxy, no name resolution) and are listed in `blocked`, from the
 * page and from its module worker alike; loopback, a module worker's imports included, loads.
 * A page served by a bare HTTP server on 127.0.0.1, without a Content-Security-Policy (which would
 * refuse the requests before the network saw them).
 */
jest.setTimeout(60_000);

const PAGE = `<!doctype html><title>loopback</title><script type="module">
const attempt = (url) => fetch(url).then((r) => 'loaded ' + r.status, (e) => 'failed ' + e.name);
const worker = new Worker('./worker.js', { type: 'module' });
const fromWorker = new Promise((resolve) => { worker.onmessage = (e) => resolve(e.data); });
window.results = Promise.all([attempt('http://example.com/'), attempt('http://10.1.2.3/'), attempt('./data.json'), fromWorker])
  .then(([example, address, loopback, worker]) => ({ example, address, loopback, worker }));
</script>`;
const WORKER = `import { label } from './dep.js';
const outside = await fetch('http://example.com/from-worker').then((r) => 'loaded ' + r.status, (e) => 'failed ' + e.name);
postMessage({ label, outside });`;
const FILES: Record<string, [string, string]> = {
  '/': ['text/html', PAGE],
  '/worker.js': ['text/javascript', WORKER],
  '/dep.js': ['text/javascript', "export const label = 'imported over loopback';"],
  '/data.json': ['application/json', '{"ok":true}'],
};

let server: http.Server;
let base: string;
let browser: LoopbackBrowser;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const file = FILES[req.url ?? ''];
    res.writeHead(file ? 200 : 404, { 'content-type': file ? file[0] : 'text/plain' }).end(file ? file[1] : 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchLoopbackBrowser();
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('the loopback browser', () => {
  it('refuses every request beyond loopback, from the page and its module worker, lists each in `blocked`, and loads loopback', async () => {
    const page = await browser.newPage();
    const failures: { url: string; error: string }[] = [];
    page.on('requestfailed', (r) => failures.push({ url: r.url(), error: r.failure()?.errorText ?? '' }));
    await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
    const results = await page.evaluate(() => (window as unknown as { results: Promise<unknown> }).results);
    expect(results).toEqual({
      example: 'failed TypeError',
      address: 'failed TypeError',
      loopback: 'loaded 200',
      worker: { label: 'imported over loopback', outside: 'failed TypeError' },
    });
    // A request is listed when the browser reports it (CDP), which for the worker's can come after
    // the page has its answer (one CI run, under load): waited for, up to 5 s.
    const expected = ['http://10.1.2.3/', 'http://example.com/', 'http://example.com/from-worker'];
    for (const deadline = Date.now() + 5000; browser.blocked.length < expected.length && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
    expect([...browser.blocked].sort()).toEqual(expected);
    // Refused by the browser at once (the dead proxy), not timed out nor answered.
    expect(failures.filter((f) => !f.url.startsWith(base)).map((f) => f.error)).toEqual(expect.arrayContaining(['net::ERR_PROXY_CONNECTION_FAILED']));
    for (const f of failures) expect(f.error).toMatch(/ERR_PROXY_CONNECTION_FAILED|ERR_NAME_NOT_RESOLVED/);
    await page.close();
  });
});
