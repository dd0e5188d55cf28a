/// <reference lib="dom" />
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { freePort } from '../../src/common/free-port';
import { AxeViolation, launchLoopbackBrowser, LoopbackBrowser } from '../../bench/browser/loopback-browser';
import { GatewayProcess, stopCluster, tempDir } from '../resilience/gateway-process';

/**
 * What the statistics page's browser tests share: the compiled gateway on the default world (the
 * bundled simulator at its default seed, first sync done, as `npm start` serves it) with headless
 * Chromium beside it (every request beyond loopback blocked), GraphQL over HTTP to check the page
 * against, the query a download link carries, and a real CSV download read back.
 */
export const DIST_WEB = path.join(__dirname, '..', '..', 'dist', 'web');

export interface DefaultWorld {
  base: string;
  /** DATA_DIR's parent and the embedded PostgreSQL's port (for an API key: createSyncKey(`${dir}/pg`, pgPort)). */
  dir: string;
  pgPort: number;
  browser: LoopbackBrowser;
  /** POST /graphql; any error fails the test. */
  gql<T>(query: string, variables?: Record<string, unknown>, key?: string): Promise<T>;
  /** Province codes in the unit catalogue on a date (the independent count of "every province"). */
  provincesOn(date: string): Promise<string[]>;
  /** The query and variables a download link of the page carries (`export.csv?query=&variables=`). */
  exportRequest(href: string): { query: string; variables: Record<string, unknown> };
  stop(): Promise<void>;
}

export async function startDefaultWorld(prefix: string): Promise<DefaultWorld> {
  if (!fs.existsSync(path.join(DIST_WEB, 'index.html'))) throw new Error('dist/web is not built: run `npm test` (its pretest builds it) or `node web/scripts/web-build.js`');
  const dir = tempDir(prefix);
  const pgPort = await freePort();
  // The default world whatever the shell says (as the docs test): schedules off, no rate limit for the page's bursts.
  const defaults = { DATABASE_URL: '', SIMULATOR_URL: '', SOURCES_FILE: '', SYNC_ON_START: '' };
  const env = { ...defaults, DATA_DIR: `${dir}/pg`, EMBEDDED_PG_PORT: String(pgPort), SYNC_SCHEDULES: 'off', RATE_LIMIT_MAX: '0' };
  let gateway: GatewayProcess | undefined;
  let browser: LoopbackBrowser | undefined;
  const stop = async () => {
    await browser?.close();
    await gateway?.stop();
    await stopCluster(`${dir}/pg`);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    gateway = await GatewayProcess.start(env, { timeoutMs: 240_000 });
    browser = await launchLoopbackBrowser();
  } catch (e) {
    await stop();
    throw e;
  }
  const base = `http://127.0.0.1:${gateway.port}`;
  const gql = async <T>(query: string, variables: Record<string, unknown> = {}, key?: string): Promise<T> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key) headers.authorization = `Bearer ${key}`;
    const res = await fetch(`${base}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: T; errors?: unknown[] };
    if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
    return body.data as T;
  };
  return {
    base, dir, pgPort, browser, gql, stop,
    provincesOn: async (date) => {
      const data = await gql<{ units: { nodes: { code: string }[] } }>(
        'query ($d: LocalDate) { units(filter: { kind: PROVINCE, validAt: $d }, first: 500) { nodes { code } } }', { d: date },
      );
      return data.units.nodes.map((n) => n.code).sort();
    },
    exportRequest: (href) => {
      const u = new URL(href, base);
      return { query: u.searchParams.get('query')!, variables: JSON.parse(u.searchParams.get('variables')!) as Record<string, unknown> };
    },
  };
}

export const seriousOrCritical = (vs: AxeViolation[]) => vs.filter((v) => v.impact === 'serious' || v.impact === 'critical');

/** A minimal RFC 4180 reader (quotes, doubled quotes, CRLF), enough for the export. */
export function parseCsv(csv: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i];
    if (quoted) {
      if (c === '"' && csv[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\n') row.push(cell.replace(/\r$/, '')), rows.push(row), (row = []), (cell = '');
    else cell += c;
  }
  if (cell !== '' || row.length) rows.push([...row, cell]);
  return rows;
}

/**
 * Clicks a download link and reads the file Chromium saved (a real download, through the
 * browser's download manager): its name, and its text with the BOM.
 */
export async function download(world: DefaultWorld, page: Page, selector: string): Promise<{ file: string; text: string }> {
  const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-downloads-'));
  const cdp = await world.browser.browser.target().createCDPSession();
  try {
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads, eventsEnabled: true });
    const done = new Promise<void>((resolve) => cdp.on('Browser.downloadProgress', (e: { state: string }) => e.state === 'completed' && resolve()));
    await page.click(selector);
    await done;
    const [file] = fs.readdirSync(downloads);
    return { file, text: fs.readFileSync(path.join(downloads, file), 'utf8') };
  } finally {
    await cdp.detach();
    fs.rmSync(downloads, { recursive: true, force: true });
  }
}

/** A CSV export's header and records (the BOM checked and dropped, blank lines left out). */
export function csvRecords(text: string): { header: string[]; records: string[][] } {
  if (text.charCodeAt(0) !== 0xfeff) throw new Error('the CSV has no byte order mark (Excel would misread Vietnamese)');
  const [header, ...records] = parseCsv(text.slice(1)).filter((r) => r.length > 1);
  return { header, records };
}

/**
 * The default world for a test file: started before its tests, stopped after them. The functions
 * are usable from the tests (not at the file's top level, where the world is not started yet).
 */
export function suiteWorld(prefix: string): Pick<DefaultWorld, 'gql' | 'provincesOn' | 'exportRequest'> & { readonly world: DefaultWorld } {
  let started: DefaultWorld | undefined;
  beforeAll(async () => {
    started = await startDefaultWorld(prefix);
  }, 300_000);
  afterAll(() => started?.stop(), 60_000);
  const world = () => {
    if (!started) throw new Error('the default world is not started (use it inside a test)');
    return started;
  };
  return {
    get world() {
      return world();
    },
    gql: <T>(query: string, variables?: Record<string, unknown>, key?: string) => world().gql<T>(query, variables, key),
    provincesOn: (date) => world().provincesOn(date),
    exportRequest: (href) => world().exportRequest(href),
  };
}
