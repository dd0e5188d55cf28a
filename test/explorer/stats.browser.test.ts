/// <reference lib="dom" />
import type { Page } from 'puppeteer-core';
import { runAxe } from '../../bench/browser/loopback-browser';
import { csvRecords, download, seriousOrCritical, suiteWorld } from './stats-page.harness';

/**
 * The statistics page (web/src/stats) in a real browser (Debian's Chromium, headless), against the
 * compiled gateway on the default world (the bundled simulator at its default seed, first sync
 * done, as `npm start` serves it), every request beyond loopback blocked. Each figure the page
 * shows is checked against the GraphQL answer to the same query, and the unit lists against the
 * unit catalogue itself (63 provinces before 1 July 2025, 34 today).
 */
jest.setTimeout(300_000);

const suite = suiteWorld('dvc-stats-');
const { gql, provincesOn, exportRequest } = suite;

/** Opens a URL of the page and waits for its first view (the mark the first-view bench waits on too). */
async function openPage(search: string): Promise<{ page: Page; firstViewMs: number }> {
  const page = await suite.world.browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  // axe-core is injected as a script: allowed past the page's Content-Security-Policy, for the test only.
  await page.setBypassCSP(true);
  await page.goto(`${suite.world.base}/${search}`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.documentElement.dataset.firstView === 'complete', { timeout: 60_000 });
  const firstViewMs = await page.evaluate(() => performance.getEntriesByName('dvc:first-view', 'mark').length === 1 ? performance.getEntriesByName('dvc:first-view')[0].startTime : -1);
  return { page, firstViewMs };
}

/** The ranked table's rows as the page shows them: code and the raw value, numerator, denominator. */
function tableRows(page: Page) {
  return page.$$eval('table[data-table=ranked] tbody tr', (trs) => trs.map((tr) => ({
    code: tr.getAttribute('data-unit')!,
    value: tr.querySelector('[data-value]')!.getAttribute('data-value'),
    numerator: tr.querySelector('[data-numerator]')!.getAttribute('data-numerator'),
    denominator: tr.querySelector('[data-denominator]')!.getAttribute('data-denominator'),
  })));
}

const text = (v: number | null) => (v === null ? '' : String(v));

interface Compliance {
  targetCompliance: { asOf: string; units: { unit: { code: string }; value: number | null; numerator: number | null; denominator: number | null; status: string }[]; counts: { met: number; missed: number } };
}

describe('the statistics page at /', () => {
  const firstViews: number[] = [];

  afterAll(() => {
    // The first-view times the page measured itself (performance.mark), for the report.
    process.stdout.write(`stats page first views (ms): ${firstViews.map((t) => t.toFixed(0)).join(', ')}\n`);
  });

  it('loads in Vietnamese and ranks every province of 2021 against the 100% target, figures equal to the GraphQL answer', async () => {
    const { page, firstViewMs } = await openPage('?indicator=level4_share&asOf=2021-12-31&levels=mapped_to_decree43');
    firstViews.push(firstViewMs);
    expect(firstViewMs).toBeGreaterThan(0);
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Thống kê dịch vụ công trực tuyến');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('vi');

    const rows = await tableRows(page);
    // Every province of the catalogue on that date: 63, by code.
    const provinces = await provincesOn('2021-12-31');
    expect(provinces).toHaveLength(63);
    expect(rows.map((r) => r.code).sort()).toEqual(provinces);

    // The same figures as the API's answer to the query the page ran (carried by its download link).
    const { query, variables } = exportRequest(await page.$eval('[data-view] a[data-export=csv]', (a) => a.getAttribute('href')!));
    expect(variables).toEqual({ indicator: 'LEVEL4_SHARE', asOf: '2021-12-31', levels: 'MAPPED_TO_DECREE43', tier: 'PROVINCE', unitView: 'AS_REPORTED' });
    const answer = await gql<Compliance>(query, variables);
    expect(rows).toEqual(answer.targetCompliance.units.map((u) => ({ code: u.unit.code, value: text(u.value), numerator: text(u.numerator), denominator: text(u.denominator) })));
    // Met and missed in words (not colour alone), as many as the API counts.
    const statuses = await page.$$eval('table[data-table=ranked] tbody tr td[data-primary] [data-status]', (els) => els.map((e) => e.getAttribute('data-status')));
    expect(statuses.filter((s) => s === 'MISSED')).toHaveLength(answer.targetCompliance.counts.missed);
    expect(statuses.filter((s) => s === 'MET')).toHaveLength(answer.targetCompliance.counts.met);
    expect(answer.targetCompliance.counts.missed).toBeGreaterThan(0);
    expect(await page.$eval('table[data-table=ranked] tbody tr', (tr) => (tr as HTMLElement).innerText)).toMatch(/Đạt|Không đạt/);

    // The freshness panel names the source that fed the view, healthy.
    await page.waitForSelector('[data-source=dvcqg][data-source-status=HEALTHY]');
    await page.waitForSelector('[data-last-month]');
    expect(await page.$eval('[data-last-month]', (e) => e.textContent)).toBe('2025-12');

    expect(seriousOrCritical(await runAxe(page))).toEqual([]);
    await page.close();
  });

  it("switches to today's units (every province open today) and back with the browser's back button", async () => {
    const { page, firstViewMs } = await openPage('?indicator=online_dossier_rate&period=2025');
    firstViews.push(firstViewMs);
    // As reported, 2025 spans the reform: the old provinces (to 30 June) and the new ones (from 1 July).
    const asReported = (await tableRows(page)).map((r) => r.code);
    await page.click('input[name=unitView][value=CURRENT_UNITS]');
    await page.waitForFunction(() => location.search.includes('unitView=current_units'));
    await page.waitForFunction(() => document.querySelector('table[data-table=ranked]') !== null);
    const today = await provincesOn(new Date().toISOString().slice(0, 10));
    expect(today).toHaveLength(34);
    const rows = await tableRows(page);
    expect(rows.map((r) => r.code).sort()).toEqual(today);
    const { query, variables } = exportRequest(await page.$eval('[data-view] a[data-export=csv]', (a) => a.getAttribute('href')!));
    expect(variables).toMatchObject({ unitView: 'CURRENT_UNITS', period: { from: '2025-01', to: '2025-12' } });
    const answer = await gql<Compliance>(query, variables);
    expect(rows).toEqual(answer.targetCompliance.units.map((u) => ({ code: u.unit.code, value: text(u.value), numerator: text(u.numerator), denominator: text(u.denominator) })));
    expect(seriousOrCritical(await runAxe(page))).toEqual([]);

    await page.goBack();
    await page.waitForFunction(() => !location.search.includes('unitView'));
    await page.waitForFunction((n) => document.querySelectorAll('table[data-table=ranked] tbody tr').length === n, {}, asReported.length);
    expect((await tableRows(page)).map((r) => r.code)).toEqual(asReported);
    await page.close();
  });

  it("opens a province's drill-down: its sectors, then a sector's procedures, as the API answers them", async () => {
    const { page, firstViewMs } = await openPage('?indicator=online_dossier_rate&period=2025&unitView=current_units');
    firstViews.push(firstViewMs);
    const code = await page.$eval('table[data-table=ranked] tbody tr', (tr) => tr.getAttribute('data-unit')!);
    await page.click(`table[data-table=ranked] tbody tr[data-unit="${code}"] th a`);
    await page.waitForFunction((c) => new URLSearchParams(location.search).get('unit') === c, {}, code);
    await page.waitForSelector('table[data-table=sectors] tbody tr');
    const sectorsHref = await page.$eval('.dvc-drill a[data-export=csv]', (a) => a.getAttribute('href')!);
    const drill = exportRequest(sectorsHref);
    expect(drill.variables).toMatchObject({ groupBy: ['SECTOR'], measure: 'ONLINE_DOSSIER_RATE' });
    type Agg = { aggregate: { rows: { dimensions: { sector: { code: string } | null; procedure: { code: string } | null }; value: { numerator: number | null; denominator: number | null } }[] } };
    const sectors = await gql<Agg>(drill.query, drill.variables);
    const shown = await page.$$eval('table[data-table=sectors] tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-code')));
    expect(shown).toEqual(sectors.aggregate.rows.map((r) => r.dimensions.sector!.code));
    expect(shown.length).toBeGreaterThan(3);
    // The sectors' dossiers add up to the province's row in the table.
    const province = (await tableRows(page)).find((r) => r.code === code)!;
    expect(sectors.aggregate.rows.reduce((s, r) => s + (r.value.denominator ?? 0), 0)).toBe(Number(province.denominator));
    expect(seriousOrCritical(await runAxe(page))).toEqual([]);

    await page.click(`table[data-table=sectors] tbody tr[data-code="${shown[0]}"] th a`);
    await page.waitForSelector('table[data-table=procedures] tbody tr');
    const procs = exportRequest(await page.$eval('.dvc-drill a[data-export=csv]', (a) => a.getAttribute('href')!));
    expect(procs.variables).toMatchObject({ groupBy: ['PROCEDURE'], sectorCodes: [shown[0]] });
    const answer = await gql<Agg>(procs.query, procs.variables);
    expect(await page.$$eval('table[data-table=procedures] tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-code')))).toEqual(answer.aggregate.rows.map((r) => r.dimensions.procedure!.code));
    expect(seriousOrCritical(await runAxe(page))).toEqual([]);
    await page.close();
  });

  it('downloads the view as CSV (a real download) with the numbers of the GraphQL answer', async () => {
    const { page } = await openPage('?indicator=level4_share&asOf=2021-12-31&levels=mapped_to_decree43');
    const { file, text: csv } = await download(suite.world, page, '[data-view] a[data-export=csv]');
    expect(file).toMatch(/^RankedTable-\d{4}-\d{2}-\d{2}\.csv$/);
    const { header, records } = csvRecords(csv);
    const col = (name: string) => header.indexOf(name);
    for (const name of ['unit.code', 'value', 'numerator', 'denominator', 'status', 'rank']) expect(col(name)).toBeGreaterThanOrEqual(0);

    const { query, variables } = exportRequest(await page.$eval('[data-view] a[data-export=csv]', (a) => a.getAttribute('href')!));
    const answer = await gql<Compliance>(query, variables);
    expect(records.map((r) => ({ code: r[col('unit.code')], value: r[col('value')], numerator: r[col('numerator')], denominator: r[col('denominator')], status: r[col('status')] })))
      .toEqual(answer.targetCompliance.units.map((u) => ({ code: u.unit.code, value: text(u.value), numerator: text(u.numerator), denominator: text(u.denominator), status: u.status })));
    expect(records).toHaveLength(63);
    await page.close();
  });

  it('shows the map, the trend and the plans views, each accessible, and switches to English', async () => {
    for (const search of ['?view=map&indicator=level4_share&asOf=2021-12-31&levels=mapped_to_decree43', '?view=trend&indicator=online_dossier_rate&period=2025&unit=01']) {
      const { page, firstViewMs } = await openPage(search);
      firstViews.push(firstViewMs);
      expect(seriousOrCritical(await runAxe(page))).toEqual([]);
      await page.close();
    }

    const { page } = await openPage('?view=plans&asOf=2021-09-30&planYear=2021');
    const plans = exportRequest(await page.$eval('[data-view] a[data-export=csv]', (a) => a.getAttribute('href')!));
    expect(plans.variables).toEqual({ year: 2021, asOf: '2021-09-30', kinds: ['PROVINCE'] });
    type Plans = { planCompliance: { units: { unit: { code: string }; status: string }[] } };
    const answer = await gql<Plans>(plans.query, plans.variables);
    const overdue = answer.planCompliance.units.filter((u) => u.status === 'OVERDUE').map((u) => u.unit.code).sort();
    expect(overdue.length).toBeGreaterThan(0);
    const shownOverdue = await page.$$eval('table[data-table=plans] tbody tr', (trs) => trs.filter((tr) => tr.querySelector('[data-status=OVERDUE]')).map((tr) => tr.getAttribute('data-unit')!));
    expect(shownOverdue.sort()).toEqual(overdue);
    expect(seriousOrCritical(await runAxe(page))).toEqual([]);

    await page.click('header nav a[lang=en]');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Online public services statistics');
    expect(await page.evaluate(() => [document.documentElement.lang, new URLSearchParams(location.search).get('lang')])).toEqual(['en', 'en']);
    expect(seriousOrCritical(await runAxe(page))).toEqual([]);
    await page.close();
  });

  it('asked nothing of the outside world and logged no error', () => {
    expect(suite.world.browser.blocked).toEqual([]);
    expect(suite.world.browser.errors).toEqual([]);
  });
});
