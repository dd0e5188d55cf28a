import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IngestService } from '../../src/ingest/ingest.service';
import { loadFixture } from '../aggregates/fixture';
import { factCounts, startTestGateway, TestGateway } from '../support/harness';

/**
 * Published versus computed on the aggregate fixture (test/aggregates/fixture.ts), every number
 * by hand. Hà Nội (01), June 2025: 500 dossiers received, 400 online (online dossier rate
 * 400/500 = 0.8); 450 on time, 50 late (on-time rate 450/500 = 0.9). April and May have no
 * filings, so the second quarter is June's: 0.8 too. On 30 June 2021 (MAPPED_TO_DECREE43) Hà Nội
 * has P1 at level 4 and P3 at level 1: a level-4 share of 1/2.
 */
let gw: TestGateway;
let key: string;
beforeAll(async () => {
  gw = await startTestGateway();
  await loadFixture(gw.db);
  key = await gw.createKey({ name: 'hanoi-lgsp', unitCodes: ['01'] });
});
afterAll(() => gw?.stop());

const INGEST = `mutation($batch: IngestBatchInput!) { ingest(batch: $batch) {
  rowsWritten publishedIndicators { inserted updated corrected outranked } run { id } } }`;

const PVC = `query($u: String!, $p: PeriodRange, $a: LocalDate, $l: LevelView, $t: Float, $i: Indicator) {
  publishedVsComputed(unitCode: $u, period: $p, asOf: $a, levels: $l, tolerancePoints: $t, indicator: $i) {
    unit { code } from to asOf tolerancePoints
    comparisons {
      indicator period { grain label start end } published document { number date title url } source { code }
      computed numerator denominator differencePoints beyondTolerance
    }
    counts { figures withinTolerance beyondTolerance withoutComputed }
    sources { code }
  } }`;

const doc = { documentNumber: '45/BC-UBND', documentDate: '2025-07-05', documentTitle: 'Báo cáo tháng 6/2025', documentUrl: 'https://hanoi.example.invalid/bc/45' };
const FIGURES = [
  { unit: '01', indicator: 'online_dossier_rate', period: '2025-06', value: 0.81, ...doc },
  { unit: '01', indicator: 'on_time_rate', period: '2025-06', value: 0.9, ...doc },
  { unit: '01', indicator: 'online_dossier_rate', period: '2025-Q2', value: 0.7975, ...doc },
  { unit: '01', indicator: 'level4_share', date: '2021-06-30', value: 0.55, documentNumber: '7/BC-UBND', documentDate: '2021-07-10' },
];

interface Comparison {
  indicator: string; period: { grain: string; label: string; start: string; end: string }; published: number;
  document: { number: string }; source: { code: string }; computed: number | null; numerator: number; denominator: number;
  differencePoints: number | null; beyondTolerance: boolean | null;
}

async function pvc(vars: Record<string, unknown>) {
  const res = await gw.gql(PVC, vars);
  expect(res.errors).toBeUndefined();
  return res.data.publishedVsComputed as { comparisons: Comparison[]; counts: Record<string, number>; tolerancePoints: number; sources: { code: string }[] };
}

describe('published indicators', () => {
  it('a pushed figure is reconciled with its detail, the difference exact', async () => {
    const pushed = await gw.gql(INGEST, { batch: { publishedIndicators: FIGURES } }, key);
    expect(pushed.errors).toBeUndefined();
    expect(pushed.data.ingest.publishedIndicators).toEqual({ inserted: 4, updated: 0, corrected: 0, outranked: 0 });

    const r = await pvc({ u: '01', p: { from: '2025-04', to: '2025-06' } });
    // Default tolerance: PUBLISHED_TOLERANCE_POINTS, 0.1 point.
    expect(r.tolerancePoints).toBe(0.1);
    expect(r.comparisons.map((c) => [c.indicator, c.period.label, c.published, c.computed, c.numerator, c.denominator, c.differencePoints, c.beyondTolerance])).toEqual([
      // Ordered by indicator, period start, coarser grain first: the quarter before its June.
      ['ONLINE_DOSSIER_RATE', '2025-Q2', 0.7975, 0.8, 400, 500, -0.25, true], // 79.75 − 80 = −0.25 point
      ['ONLINE_DOSSIER_RATE', '2025-06', 0.81, 0.8, 400, 500, 1, true], // 81 − 80 = 1 point
      ['ON_TIME_RATE', '2025-06', 0.9, 0.9, 450, 500, 0, false],
    ]);
    expect(r.comparisons[0].period).toEqual({ grain: 'QUARTER', label: '2025-Q2', start: '2025-04-01', end: '2025-06-30' });
    expect(r.comparisons[1].document).toEqual({ number: '45/BC-UBND', date: '2025-07-05', title: 'Báo cáo tháng 6/2025', url: 'https://hanoi.example.invalid/bc/45' });
    expect(r.comparisons[1].source.code).toBe('push:hanoi-lgsp');
    expect(r.counts).toEqual({ figures: 3, withinTolerance: 1, beyondTolerance: 2, withoutComputed: 0 });
    expect(r.sources.map((s) => s.code)).toEqual(['fixture']);

    // A stock figure, on its date, over the levels asked: 0.55 published, 1/2 computed, +5 points.
    const stock = await pvc({ u: '01', a: '2021-06-30', l: 'MAPPED_TO_DECREE43' });
    expect(stock.comparisons.map((c) => [c.indicator, c.period.grain, c.period.label, c.computed, c.numerator, c.denominator, c.differencePoints])).toEqual([
      ['LEVEL4_SHARE', 'DATE', '2021-06-30', 0.5, 1, 2, 5],
    ]);
  });

  it('flags a difference beyond the tolerance, not one exactly at it', async () => {
    // June's online dossier rate differs by exactly 1 point (0.81 · 500 − 400 = 5 dossiers of 500).
    const at = await pvc({ u: '01', p: { from: '2025-06', to: '2025-06' }, i: 'ONLINE_DOSSIER_RATE', t: 1 });
    expect(at.comparisons.map((c) => [c.differencePoints, c.beyondTolerance])).toEqual([[1, false]]);
    const below = await pvc({ u: '01', p: { from: '2025-06', to: '2025-06' }, i: 'ONLINE_DOSSIER_RATE', t: 0.9999 });
    expect(below.comparisons.map((c) => [c.differencePoints, c.beyondTolerance])).toEqual([[1, true]]);
    // The quarter's −0.25 point: within 0.25, beyond 0.2499 (the sign does not matter).
    const q = (t: number) => pvc({ u: '01', p: { from: '2025-04', to: '2025-06' }, i: 'ONLINE_DOSSIER_RATE', t })
      .then((r) => r.comparisons.find((c) => c.period.grain === 'QUARTER')!.beyondTolerance);
    expect(await q(0.25)).toBe(false);
    expect(await q(0.2499)).toBe(true);
  });

  it('the same figures pushed again change nothing; a new value of the same document is a correction', async () => {
    const again = await gw.gql(INGEST, { batch: { publishedIndicators: FIGURES } }, key);
    expect(again.errors).toBeUndefined();
    expect(again.data.ingest).toMatchObject({ rowsWritten: 0, publishedIndicators: { inserted: 0, updated: 0, corrected: 0, outranked: 0 } });
    const [{ n }] = await gw.db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM published_indicator`);
    expect(Number(n)).toBe(4);

    const fixed = await gw.gql(INGEST, { batch: { publishedIndicators: [{ ...FIGURES[0], value: 0.8 }] } }, key);
    expect(fixed.data.ingest.publishedIndicators).toEqual({ inserted: 0, updated: 1, corrected: 1, outranked: 0 });
    const [rev] = await gw.db.sql.query<{ fact_type: string; value: { value: string } }>(`SELECT fact_type, value FROM fact_revision WHERE fact_type = 'published_indicator'`);
    expect(rev.fact_type).toBe('published_indicator');
    expect(Number(rev.value.value)).toBe(0.81);
    const r = await pvc({ u: '01', p: { from: '2025-06', to: '2025-06' }, i: 'ONLINE_DOSSIER_RATE' });
    expect(r.comparisons.map((c) => [c.published, c.differencePoints, c.beyondTolerance])).toEqual([[0.8, 0, false]]);
    // Back to the published 0.81 for the tests below.
    await gw.gql(INGEST, { batch: { publishedIndicators: [FIGURES[0]] } }, key);
  });

  it('rejects bad records whole, each problem naming its field', async () => {
    const before = { counts: await factCounts(gw.db), published: await gw.db.sql.query(`SELECT count(*) AS n FROM published_indicator`) };
    // Each row its own document, so that none repeats another's key.
    const good = FIGURES[0];
    const res = await gw.gql(INGEST, {
      batch: {
        publishedIndicators: ([
          { ...good, indicator: 'plan_issued' },
          { ...good, period: undefined, date: '2025-06-30' },
          { ...good, value: 85 },
          { ...good, period: '2025-13' },
          { ...good, documentDate: '2025-05-31' },
          { ...good, documentUrl: 'ftp://hanoi/bc/45' },
          { ...good, documentNumber: '' },
          { ...good, unit: '99' },
          { ...good, period: '2025-Q2', value: 0.8, documentNumber: '46/BC-UBND' },
          { ...good, indicator: 'level4_share', period: undefined, date: '2025-02-30' },
        ] as Record<string, unknown>[]).map((r, i) => (r.documentNumber === '' ? r : { ...r, documentNumber: `${i}/BC-UBND` })),
      },
    }, key);
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(/nothing was written/);
    const fields = res.errors![0].extensions!.problems!.map((p) => p.field);
    expect(fields).toEqual([
      'publishedIndicators[0].indicator',
      'publishedIndicators[1].date', 'publishedIndicators[1].period',
      'publishedIndicators[2].value',
      'publishedIndicators[3].period',
      'publishedIndicators[4].documentDate',
      'publishedIndicators[5].documentUrl',
      'publishedIndicators[6].documentNumber',
      'publishedIndicators[9].date',
      'publishedIndicators[7].unit',
    ]);
    expect(await factCounts(gw.db)).toEqual(before.counts);
    expect(await gw.db.sql.query(`SELECT count(*) AS n FROM published_indicator`)).toEqual(before.published);

    // Outside the key's scope: FORBIDDEN, naming the row's unit.
    const outside = await gw.gql(INGEST, { batch: { publishedIndicators: [{ ...good, unit: '72', period: '2025-05' }] } }, key);
    expect(outside.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(outside.errors?.[0].extensions?.problems).toEqual([{ field: 'publishedIndicators[0].unit', reason: expect.stringMatching(/scope of key hanoi-lgsp/) }]);
  });

  it('publishedVsComputed names the field of a bad question', async () => {
    const problems = async (vars: Record<string, unknown>) => (await gw.gql(PVC, vars)).errors?.[0].extensions?.problems?.map((p) => p.field);
    expect(await problems({ u: '01' })).toEqual(['period']);
    expect(await problems({ u: '01', p: { from: '2025-07', to: '2025-06' } })).toEqual(['period']);
    // A stock figure in the window needs a level taxonomy to be computed.
    expect(await problems({ u: '01', p: { from: '2021-06', to: '2021-06' } })).toEqual(['levels']);
    expect(await problems({ u: 'XX', p: { to: '2025-06' } })).toEqual(['unitCode']);
  });

  it('targetCompliance judges the published values with valueSource PUBLISHED', async () => {
    // Old Long An (80) published 0.75 for June 2025 in a file import; Hà Nội 0.81 (its push).
    const [src] = await gw.db.sql.query<{ id: number }>(`INSERT INTO source (code, name, kind, precedence) VALUES ('mic-files', 'MIC reports', 'import', 50) RETURNING id`);
    await new IngestService(gw.db.sql).ingest({
      publishedIndicators: [{ unit: '80', indicator: 'online_dossier_rate', period: '2025-06', value: 0.75, documentNumber: '3/BC-BTTTT', documentDate: '2025-07-10' }],
    }, { sourceId: src.id, kind: 'import', maxRows: 100 });
    const Q = `query($s: ValueSource) { targetCompliance(indicator: ONLINE_DOSSIER_RATE, period: { from: "2025-06", to: "2025-06" }, valueSource: $s) {
      units { unit { code } value numerator denominator rank } counts { units withData }
      summary { ratioOfSums { value } unitRates { unitsWithValue meanOfUnitRates median } } sources { code } } }`;
    const published = await gw.gql(Q, { s: 'PUBLISHED' });
    expect(published.errors).toBeUndefined();
    const tc = published.data.targetCompliance;
    expect(tc.units.filter((u: { value: number | null }) => u.value !== null)).toEqual([
      { unit: { code: '01' }, value: 0.81, numerator: 810000, denominator: 1000000, rank: 1 },
      { unit: { code: '80' }, value: 0.75, numerator: 750000, denominator: 1000000, rank: 2 },
    ]);
    expect(tc.counts).toEqual({ units: 63, withData: 2 });
    // A published rate has no parts: no ratio of sums; the unit rates are the published values.
    expect(tc.summary).toEqual({ ratioOfSums: { value: null }, unitRates: { unitsWithValue: 2, meanOfUnitRates: 0.78, median: 0.78 } });
    expect(tc.sources.map((s: { code: string }) => s.code).sort()).toEqual(['mic-files', 'push:hanoi-lgsp']);

    // COMPUTED (the default) is the detail: Hà Nội 400/500, old Long An 150/200 (+ its commune's 5/10 = 155/210).
    const computed = await gw.gql(Q, {});
    const values = computed.data.targetCompliance.units.filter((u: { value: number | null }) => u.value !== null).map((u: { unit: { code: string }; numerator: number; denominator: number }) => [u.unit.code, u.numerator, u.denominator]);
    expect(values).toEqual(expect.arrayContaining([['01', 400, 500]]));

    const bad = await gw.gql(`{ targetCompliance(indicator: ONLINE_DOSSIER_RATE, period: { from: "2025-05", to: "2025-06" }, valueSource: PUBLISHED) { asOf } }`);
    expect(bad.errors?.[0].extensions?.problems).toEqual([{ field: 'period', reason: expect.stringMatching(/a month, a quarter or a year/) }]);
  });

  it('judges a published level share without a level taxonomy: the document counted it', async () => {
    // Hà Nội's 0.55 level-4 share on 2021-06-30 (FIGURES, pushed above) is judged as published.
    const Q = `query($s: ValueSource, $l: LevelView) { targetCompliance(indicator: LEVEL4_SHARE, asOf: "2021-06-30", valueSource: $s, levels: $l) {
      levels units { unit { code } value } } }`;
    const published = await gw.gql(Q, { s: 'PUBLISHED' });
    expect(published.errors).toBeUndefined();
    expect(published.data.targetCompliance.levels).toBeNull();
    expect(published.data.targetCompliance.units.filter((u: { value: number | null }) => u.value !== null)).toEqual([{ unit: { code: '01' }, value: 0.55 }]);
    // Given anyway, it changes nothing and the answer says none was used.
    const withLevels = await gw.gql(Q, { s: 'PUBLISHED', l: 'DECREE42' });
    expect(withLevels.data.targetCompliance).toEqual(published.data.targetCompliance);
    // Computed from detail, the taxonomy is still required, naming the field.
    const computed = await gw.gql(Q, {});
    expect(computed.errors?.[0].extensions?.problems).toEqual([{ field: 'levels', reason: expect.stringMatching(/reads service levels/) }]);
  });

  it('npm run import reads published indicators from CSV', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-published-'));
    const file = path.join(dir, 'published.csv');
    fs.writeFileSync(file, 'unit,indicator,period,date,value,documentNumber,documentDate,documentTitle,documentUrl\n'
      + '01,on_time_rate,2025-Q2,,0.8912,12/BC-BTTTT,2025-07-15,Quý II/2025,https://mic.example.invalid/12\n');
    // Asynchronously (not spawnSync): the gateway under test runs in this process and must keep serving.
    const res = await promisify(execFile)(process.execPath, [path.join(__dirname, '../../dist/src/ingest/import.cli.js'), file, '--source', 'mic-csv'],
      { env: { ...process.env, DATABASE_URL: gw.db.url, LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 60_000 });
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/published indicators: 1 new/);
    const r = await pvc({ u: '01', p: { from: '2025-04', to: '2025-06' }, i: 'ON_TIME_RATE' });
    // Q2: 450 on time of 500 resolved = 0.9; published 0.8912: −0.88 point.
    expect(r.comparisons.map((c) => [c.period.label, c.published, c.computed, c.differencePoints, c.source.code])).toEqual([
      ['2025-Q2', 0.8912, 0.9, -0.88, 'mic-csv'],
      ['2025-06', 0.9, 0.9, 0, 'push:hanoi-lgsp'],
    ]);
  });
});
