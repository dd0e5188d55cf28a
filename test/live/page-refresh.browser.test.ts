/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import { launchLoopbackBrowser, LoopbackBrowser } from '../../bench/browser/loopback-browser';
import { createTestDatabase } from '../support/harness';
import { createKey, LiveGateway, startLiveGateway, subscribed } from './live-harness';

/**
 * The statistics page (web/src/stats) refreshes itself from `figuresChanged`: in a real browser
 * (Debian's Chromium, headless, every request beyond loopback blocked, the page's own
 * Content-Security-Policy in force), a push made through another gateway process on the same
 * database shows up in the ranked table without a reload.
 */
jest.setTimeout(180_000);

const DIST_WEB = path.join(__dirname, '..', '..', 'dist', 'web');
const INGEST = `mutation Ingest($batch: IngestBatchInput!) { ingest(batch: $batch) { rowsWritten } }`;

let A: LiveGateway;
let B: LiveGateway;
let browser: LoopbackBrowser;
let key: string;

beforeAll(async () => {
  if (!fs.existsSync(path.join(DIST_WEB, 'index.html'))) throw new Error('dist/web is not built: run `node web/scripts/web-build.js`');
  const db = await createTestDatabase();
  await db.close();
  A = await startLiveGateway(db.url);
  B = await startLiveGateway(db.url);
  key = await createKey(B.db, { name: 'tay-ninh-lgsp', unitCodes: ['72', '80'], catalogue: true });
  const catalogue = await B.gql(INGEST, {
    batch: { sectors: [{ code: 'HOTICH', name: 'Hộ tịch' }], procedures: [{ code: '1.001193', name: 'Đăng ký khai sinh', sector: 'HOTICH', tier: 'commune', eligibleFullOnline: true, essential: true }] },
  }, key);
  expect(catalogue.errors).toBeUndefined();
  browser = await launchLoopbackBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await A?.stop();
  await B?.stop();
});

it('shows a pushed figure without a reload', async () => {
  const page = await browser.newPage();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content.Security.Policy|Refused to connect/i.test(m.text())) violations.push(m.text());
  });
  await page.goto(`${A.app.url.replace(/\/graphql$/, '')}/?indicator=online_dossier_rate&period=2021`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.documentElement.dataset.firstView === 'complete', { timeout: 60_000 });
  const cell = () => page.$eval('tr[data-unit="72"] [data-value]', (td) => td.getAttribute('data-value'));
  expect(await cell()).toBe('');
  // The page's subscription has reached gateway A: from here no commit goes unheard.
  await subscribed(A, 1);

  // Through B: 50 of 200 dossiers online in June 2021 in Tây Ninh (72 as reported then): 25%.
  const pushed = await B.gql(INGEST, { batch: { filings: [{ unit: '72', procedure: '1.001193', month: '2021-06', received: 200, receivedOnline: 50 }] } }, key);
  expect(pushed.data.ingest.rowsWritten).toBe(1);
  await page.waitForFunction(() => document.querySelector('tr[data-unit="72"] [data-value]')?.getAttribute('data-value') === '0.25', { timeout: 30_000 });
  expect(await page.$eval('.dvc-stats', (d) => d.getAttribute('data-live-generation'))).toBe('1');
  expect(await page.$eval('tr[data-unit="72"] [data-numerator]', (td) => td.getAttribute('data-numerator'))).toBe('50');
  expect(violations).toEqual([]);
  await page.close();
});
