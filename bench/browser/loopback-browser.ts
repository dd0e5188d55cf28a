// The page functions below run in the browser: DOM types for them (the project's lib is ES2022 only).
/// <reference lib="dom" />
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { Browser, Page } from 'puppeteer-core';

/**
 * Headless Chromium (Debian's `chromium` package; .ci/run installs it) driven by puppeteer-core,
 * for the explorer's tests, its bench and `npm run docs:screens` (hence in bench/, which the build
 * compiles): a fresh profile each time, nothing of Chromium's own calling home (no sync, component
 * updates, background networking), and every request that is not for loopback blocked by the
 * browser's network stack and recorded, so that a test can assert the page asked for nothing else.
 *
 * Blocked at the network level, not by puppeteer's request interception: interception pauses every
 * request until the test answers it, and a module worker's imports (GraphiQL's Monaco workers share
 * the page's chunks) were left hanging. Instead every request goes through a proxy that does not
 * exist, except loopback, which Chromium always sends direct (NO_PROXY_FLAGS), and no host name
 * but localhost resolves. Attempts are recorded from the pages' request events (puppeteer reports a
 * dedicated worker's requests as its page's), without pausing them.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions', '--metrics-recording-only',
  '--disable-dev-shm-usage', '--no-default-browser-check',
];

/**
 * Nothing but loopback reaches the network. Every other request goes to a proxy on loopback port 1
 * (tcpmux: a privileged port nothing listens on here) and fails there (ERR_PROXY_CONNECTION_FAILED),
 * whether it names a host or an address (http://10.1.2.3/ resolves nothing); loopback is exempt from
 * any proxy in Chromium. Host names other than localhost resolve to nothing, in case a request
 * escaped the proxy (a WebSocket, a prefetch).
 */
const NO_NETWORK_FLAGS = [
  '--proxy-server=http://127.0.0.1:1',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];

export interface LoopbackBrowser {
  browser: Browser;
  /** A page whose requests to anything but loopback fail and are listed in `blocked`. */
  newPage(): Promise<Page>;
  /** URLs the pages (and their workers) tried to reach beyond loopback. */
  blocked: string[];
  /** Uncaught errors and console errors of the pages (a CSP refusal is one). */
  errors: string[];
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether a URL stays on this machine: loopback, or no network at all (data:, blob:, about:). */
export function isLocal(url: string): boolean {
  const u = new URL(url);
  if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
  return LOOPBACK_HOSTS.has(u.hostname) || u.hostname.startsWith('127.');
}

export async function launchLoopbackBrowser(): Promise<LoopbackBrowser> {
  if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-chromium-'));
  const browser = await puppeteer.launch({ executablePath: CHROMIUM_PATH, args: [...FLAGS, ...NO_NETWORK_FLAGS, `--user-data-dir=${profile}`], headless: true, timeout: 60_000 });
  const blocked: string[] = [];
  const errors: string[] = [];
  return {
    browser,
    blocked,
    errors,
    async newPage() {
      const page = await browser.newPage();
      // Observed, not intercepted: the browser itself refuses them (NO_NETWORK_FLAGS).
      page.on('request', (req) => {
        if (!isLocal(req.url())) blocked.push(req.url());
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e instanceof Error ? e.message : String(e)}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      return page;
    },
    async close() {
      await browser.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; html: string; summary: string }[];
}

/** Runs axe-core (bundled from node_modules, injected into the page) and returns its violations. */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  const source = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    type Raw = Omit<AxeViolation, 'nodes'> & { nodes: { target: string[]; html: string; failureSummary: string }[] };
    return (result.violations as unknown as Raw[]).map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 200), summary: n.failureSummary })),
    }));
  });
}
