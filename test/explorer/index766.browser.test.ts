/// <reference lib="dom" />
import type { Page } from 'puppeteer-core';
import { indexScores } from '../../src/simulator/index766-scores';
import { agencyCounts } from '../../src/simulator/published-report';
import { monthIndex } from '../../src/simulator/calendar.util';
import { resolvePeriod, Period } from '../../src/simulator/statistics.aggregator';
import { SimulatedWorld } from '../../src/simulator/world.model';
import { runAxe } from '../../bench/browser/loopback-browser';
import { createSyncKey } from '../resilience/gateway-process';
import { csvRecords, download, seriousOrCritical, suiteWorld } from './stats-page.harness';

/**
 * The statistics page's Decision 766 view (web/src/stats/index766-view.tsx) in a real browser
 * (Debian's Chromium, headless, every request beyond loopback blocked) against the compiled
 * gateway on the default world (the bundled simulator at its default seed, first sync done, as
 * `npm start` serves it). Every figure on the page is checked against the GraphQL answer to the
 * query the page ran (carried by its download link), one province's progress group against the
 * decision's rule worked out from the simulator's own dossier counts, the CSV against the table,
 * and the live refresh against a published score pushed while the page is open.
 */
jest.setTimeout(300_000);

const suite = suiteWorld('dvc-index766-');
const { gql, provincesOn, exportRequest } = suite;

async function openPage(search: string): Promise<Page> {
  const page = await suite.world.browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await page.setBypassCSP(true); // axe-core is injected as a script, for the test only
  await page.goto(`${suite.world.base}/${search}`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => document.documentElement.dataset.firstView === 'complete', { timeout: 60_000 });
  await page.waitForSelector('table[data-table=index766] tbody tr', { timeout: 60_000 });
  return page;
}

const csvHref = (page: Page) => page.$eval('[data-view] a[data-export=csv]', (a) => a.getAttribute('href')!);

/** One row of the table as raw figures (data attributes: the numbers as the API gave them), '' where there is none. */
interface ShownRow {
  code: string;
  rank: string;
  groups: { computed: string; points: string; published: string }[];
  total: string;
  publishedTotal: string;
  difference: string;
  publishedRank: string;
}

function shownRows(page: Page): Promise<ShownRow[]> {
  return page.$$eval('table[data-table=index766] tbody tr', (trs) => trs.map((tr) => {
    const attr = (sel: string, name: string) => tr.querySelector(sel)!.getAttribute(name)!;
    const computed = Array.from(tr.querySelectorAll('td[data-computed]'));
    const published = Array.from(tr.querySelectorAll('td[data-published]'));
    return {
      code: tr.getAttribute('data-unit')!,
      rank: attr('[data-rank]', 'data-rank'),
      groups: computed.map((td, i) => ({ computed: td.getAttribute('data-computed')!, points: td.getAttribute('data-points') ?? '', published: published[i].getAttribute('data-published')! })),
      total: attr('[data-total]', 'data-total'),
      publishedTotal: attr('[data-published-total]', 'data-published-total'),
      difference: attr('[data-difference-total]', 'data-difference-total'),
      publishedRank: attr('[data-published-rank]', 'data-published-rank'),
    };
  }));
}

interface Group { code: string; points: number; coveredMaxPoints: number; fullyComputed: boolean; publishedPoints: number | null; differencePoints: number | null; maxPoints: number }
interface Unit { rank: number | null; unit: { code: string; name: string }; total: number; coveredMaxPoints: number; published: { total: number; rank: number | null; differencePoints: number } | null; groups: Group[] }
interface Answer { index766: { units: Unit[]; supportedMaxPoints: number; notSupported: { criterion: string }[] } }

const s = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));

/** What the table should show for the API's units, in the API's order. */
function expectedRows(units: Unit[]): ShownRow[] {
  return units.map((u) => ({
    code: u.unit.code,
    rank: s(u.rank),
    groups: u.groups.map((g) => ({
      computed: g.coveredMaxPoints === 0 ? 'none' : g.fullyComputed ? 'full' : 'partial',
      points: g.coveredMaxPoints === 0 ? '' : String(g.points),
      published: s(g.publishedPoints),
    })),
    total: u.coveredMaxPoints === 0 ? '' : String(u.total),
    publishedTotal: s(u.published?.total),
    difference: s(u.published?.differencePoints),
    publishedRank: s(u.published?.rank),
  }));
}

describe('the Decision 766 view of the statistics page', () => {
  it('shows every province of November 2025 with the figures of the GraphQL answer, one checked by hand against the simulator', async () => {
    const page = await openPage('?view=index766&period=2025-11');
    const { query, variables } = exportRequest(await csvHref(page));
    expect(variables).toEqual({ tier: 'PROVINCE', period: '2025-11' });
    const answer = await gql<Answer>(query, variables);
    const rows = await shownRows(page);
    expect(rows).toEqual(expectedRows(answer.index766.units));
    // Every province of the catalogue at the month's end: the 34 of the reform.
    expect(rows.map((r) => r.code).sort()).toEqual(await provincesOn('2025-11-30'));
    expect(rows).toHaveLength(34);

    // Groups the data cannot compute are said so, never shown as 0: digitisation and satisfaction
    // everywhere; transparency only in part (its "published on time" criterion is not computable).
    const groupCodes = answer.index766.units[0].groups.map((g) => g.code);
    expect(groupCodes).toEqual(['transparency', 'progress', 'digitisation', 'online_services', 'satisfaction']);
    for (const r of rows) {
      expect(r.groups[groupCodes.indexOf('digitisation')].computed).toBe('none');
      expect(r.groups[groupCodes.indexOf('satisfaction')].computed).toBe('none');
      expect(r.groups[groupCodes.indexOf('transparency')].computed).toBe('partial');
    }
    expect(await page.$eval('table[data-table=index766] tbody tr td[data-computed=none]', (td) => td.textContent)).toBe('không tính được');
    expect(await page.$$eval('table[data-table=index766-not-supported] tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-criterion'))))
      .toEqual(answer.index766.notSupported.map((c) => c.criterion));

    // By hand, from the simulator's own world (seed 42, the default): Tây Ninh (80) in November 2025,
    // progress = dossiers resolved on time / resolved × 20 points, to the hundredth.
    const world = new SimulatedWorld(42, 'small');
    const period = resolvePeriod('month', 2025, null, 11) as Period;
    const portal = indexScores(world, period, 'province')!.find((x) => x.agency.code === '80')!;
    const counts = agencyCounts(world, monthIndex(2025, 11)).get(portal.agency.key)!;
    const progressByHand = Math.round((counts.onTime / (counts.onTime + counts.overdue)) * 20 * 100) / 100;
    expect(counts.onTime + counts.overdue).toBeGreaterThan(100);
    const tayNinh = rows.find((r) => r.code === '80')!;
    const progress = tayNinh.groups[groupCodes.indexOf('progress')];
    expect(progress).toMatchObject({ computed: 'full', points: String(progressByHand) });
    // Beside it, the portal's own figures for it, as the simulator scored them (a misstatement on record included).
    expect(progress.published).toBe(String(Math.round((progressByHand + (portal.misstated?.group === 'progress' ? portal.misstated.by : 0)) * 100) / 100));
    expect([tayNinh.publishedTotal, tayNinh.publishedRank]).toEqual([String(portal.total), String(portal.rank)]);
    // The difference in points is published − computed, to the hundredth.
    expect(Number(tayNinh.difference)).toBe(Math.round((portal.total - Number(tayNinh.total)) * 100) / 100);
    // The computed ranks are competition ranks of the computed totals (ties share, the next skips).
    for (const r of rows) expect(Number(r.rank)).toBe(1 + rows.filter((o) => Number(o.total) > Number(r.total)).length);

    // The chart: one bar segment per group with computed points, one diamond per published total, an image with a name.
    await page.waitForSelector('.dvc-index-chart svg[role=img]', { timeout: 60_000 });
    const segments = answer.index766.units.reduce((n, u) => n + u.groups.filter((g) => g.coveredMaxPoints > 0 && g.points > 0).length, 0);
    expect(await page.$$eval('.dvc-index-chart svg[role=img] rect', (rs) => rs.length)).toBe(segments);
    expect(await page.$eval('.dvc-index-chart svg[role=img]', (svg) => svg.getAttribute('aria-label'))).toMatch(/Tháng 11\/2025/);

    expect(seriousOrCritical(await runAxe(page))).toEqual([]);
    await page.close();
  });

  it('sorts from the keyboard, keeps tier and period in the URL, and a link (or Back) reproduces the view', async () => {
    const page = await openPage('?view=index766&period=2025-11');
    // Tab to the sort button of the published total, Enter: the highest published total first.
    const sortButton = 'table[data-table=index766] th[data-sort=published] button';
    await page.focus('table[data-table=index766] thead tr:first-child th:first-child button');
    let guard = 0;
    while (!(await page.$eval(sortButton, (b) => b === document.activeElement)) && guard++ < 40) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForFunction((sel) => document.querySelector(sel)!.closest('th')!.getAttribute('aria-sort') === 'descending', {}, sortButton);
    const published = (await shownRows(page)).map((r) => r.publishedTotal).filter((v) => v !== '').map(Number);
    expect(published.length).toBeGreaterThan(30);
    expect(published).toEqual([...published].sort((a, b) => b - a));
    await page.keyboard.press('Enter');
    await page.waitForFunction((sel) => document.querySelector(sel)!.closest('th')!.getAttribute('aria-sort') === 'ascending', {}, sortButton);

    // The ministries, then the fourth quarter: each choice goes to the URL.
    await page.click('input[name=tier][value=MINISTRY]');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('tier') === 'ministry');
    await page.select('.dvc-period select', 'quarter');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('period') === '2025-Q4');
    expect(await page.evaluate(() => location.search)).toBe('?view=index766&period=2025-Q4&tier=ministry');
    await page.waitForFunction(() => document.querySelector('h2#dvc-view-h')?.textContent?.includes('Quý 4/2025') === true);
    const { query, variables } = exportRequest(await csvHref(page));
    expect(variables).toEqual({ tier: 'MINISTRY', period: '2025-Q4' });
    const answer = await gql<Answer>(query, variables);
    await page.waitForFunction((n) => document.querySelectorAll('table[data-table=index766] tbody tr').length === n, {}, answer.index766.units.length);
    const ministries = await shownRows(page);
    expect(ministries).toEqual(expectedRows(answer.index766.units));
    expect(ministries.some((r) => r.publishedTotal !== '')).toBe(true);
    expect(seriousOrCritical(await runAxe(page))).toEqual([]);

    // The same URL in a fresh page shows the same table.
    const again = await openPage('?view=index766&period=2025-Q4&tier=ministry');
    expect(await shownRows(again)).toEqual(ministries);
    await again.close();

    // Back: the provinces of November again.
    await page.goBack();
    await page.goBack();
    await page.waitForFunction(() => location.search === '?view=index766&period=2025-11');
    await page.waitForFunction(() => document.querySelectorAll('table[data-table=index766] tbody tr').length === 34);
    await page.close();
  });

  it('downloads the view as CSV (a real download) whose rows are the table\'s', async () => {
    const page = await openPage('?view=index766&period=2025');
    const { file, text } = await download(suite.world, page, '[data-view] a[data-export=csv]');
    expect(file).toMatch(/^Index766-\d{4}-\d{2}-\d{2}\.csv$/);
    const { header, records } = csvRecords(text);
    const cell = (r: string[], name: string) => {
      const i = header.indexOf(name);
      if (i < 0) throw new Error(`no column ${name} in ${header.join(',')}`);
      return r[i];
    };
    const fromCsv: ShownRow[] = records.map((r) => ({
      code: cell(r, 'unit.code'),
      rank: cell(r, 'rank'),
      groups: [0, 1, 2, 3, 4].map((i) => {
        const covered = Number(cell(r, `groups.${i}.coveredMaxPoints`));
        return {
          computed: covered === 0 ? 'none' : cell(r, `groups.${i}.fullyComputed`) === 'true' ? 'full' : 'partial',
          points: covered === 0 ? '' : cell(r, `groups.${i}.points`),
          published: cell(r, `groups.${i}.publishedPoints`),
        };
      }),
      total: Number(cell(r, 'coveredMaxPoints')) === 0 ? '' : cell(r, 'total'),
      publishedTotal: cell(r, 'published.total'),
      difference: cell(r, 'published.differencePoints'),
      publishedRank: cell(r, 'published.rank'),
    }));
    const table = await shownRows(page);
    expect(fromCsv).toEqual(table);
    // And both are the API's answer to the query the link carries: the year 2025 as reported, the
    // old provinces (to 30 June) and the new (from 1 July), each row saying which.
    const { query, variables } = exportRequest(await csvHref(page));
    const answer = await gql<Answer>(query, variables);
    expect(table).toEqual(expectedRows(answer.index766.units));
    expect(table.length).toBeGreaterThan(34);
    const notes = await page.$$eval('table[data-table=index766] tbody th .dvc-code', (els) => els.map((e) => e.textContent));
    expect(notes).toContain('(01)');
    // The reform kept 11 provinces as they were (34 = 11 + 23 new): every other row has a note.
    expect(notes.filter((n) => n!.includes('đến 30/6/2025')).length + notes.filter((n) => n!.includes('từ 1/7/2025')).length).toBe(table.length - 11);
    await page.close();
  });

  it('refreshes from figuresChanged: a published score pushed while the page is open shows up without a reload', async () => {
    // June 2024: before the portal's scores were synced (index766From 2025-01), so Hà Nội has none yet.
    const page = await openPage('?view=index766&period=2024-06');
    const hanoi = () => page.$eval('table[data-table=index766] tr[data-unit="01"] [data-published-total]', (td) => td.getAttribute('data-published-total'));
    expect(await hanoi()).toBe('');
    const key = await createSyncKey(`${suite.world.dir}/pg`, suite.world.pgPort);
    const push = `mutation Push($batch: IngestBatchInput!) { ingest(batch: $batch) { publishedIndexScores { inserted updated } } }`;
    // The page subscribes once its script runs; a push made before the gateway holds the subscription
    // would go unheard, so each round pushes a new value and waits for it: the page must show the last.
    let shown = '';
    let points = 70;
    const generationBefore = Number(await page.$eval('.dvc-stats', (d) => d.getAttribute('data-live-generation')));
    for (let round = 0; round < 6 && shown !== String(points); round++) {
      points = 70 + round + 0.25;
      await gql(push, { batch: { publishedIndexScores: [{ unit: '01', period: '2024-06', component: 'total', points, rank: 7 }] } }, key);
      shown = await page.waitForFunction((p) => document.querySelector('tr[data-unit="01"] [data-published-total]')?.getAttribute('data-published-total') === p, { timeout: 10_000 }, String(points))
        .then(() => String(points), () => '');
    }
    expect(shown).toBe(String(points));
    expect(Number(await page.$eval('.dvc-stats', (d) => d.getAttribute('data-live-generation')))).toBeGreaterThan(generationBefore);
    const row = (await shownRows(page)).find((r) => r.code === '01')!;
    expect(row.publishedRank).toBe('7');
    // Published − computed, exact to the hundredth.
    expect(Number(row.difference)).toBe((Math.round(points * 100) - Math.round(Number(row.total) * 100)) / 100);
    await page.close();
  });

  it('reads in English, accessible', async () => {
    const page = await openPage('?view=index766&period=2025-Q4&lang=en');
    expect(await page.$eval('h2#dvc-view-h', (h) => h.textContent)).toBe('Service index of Decision 766/QĐ-TTg, Q4 2025');
    expect(await page.$eval('table[data-table=index766] tbody tr td[data-computed=none]', (td) => td.textContent)).toBe('not computed');
    await page.waitForSelector('.dvc-index-chart svg[role=img]', { timeout: 60_000 });
    expect(seriousOrCritical(await runAxe(page))).toEqual([]);
    await page.close();
  });

  it('asked nothing of the outside world and logged no error', () => {
    expect(suite.world.browser.blocked).toEqual([]);
    expect(suite.world.browser.errors).toEqual([]);
  });
});
