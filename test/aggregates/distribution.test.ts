import { startTestGateway, TestGateway } from '../support/harness';
import { loadFixture } from './fixture';

/**
 * AggregateResult.distribution on the fixture (test/aggregates/fixture.ts), every statistic by hand:
 * the ratio of sums beside the mean, median, quartiles (percentile_cont: linear interpolation at
 * position p * (n - 1) of the sorted rates) and extremes of the units' own rates.
 */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await loadFixture(gw.db);
});
afterAll(() => gw?.stop());

const DIST = `query($q: AggregateInput!, $m: AggregateMeasure!) { aggregate(query: $q) {
  totalRows rows { dimensions { unit { code } } }
  distribution(measure: $m) {
    dimensions { unit { code } province { code } sector { code name } period { label } }
    ratioOfSums { value numerator denominator }
    unitRates {
      unitsWithValue unitsWithoutValue meanOfUnitRates median lowerQuartile upperQuartile
      min { value units { code name validFrom validTo } } max { value units { code name validFrom validTo } }
    }
  }
} }`;

interface Extreme { value: number; units: { code: string; name: string; validFrom: string | null; validTo: string | null }[] }
interface Group {
  dimensions: { unit: { code: string } | null; province: { code: string } | null; sector: { code: string; name: string } | null; period: { label: string } | null };
  ratioOfSums: { value: number | null; numerator: number; denominator: number };
  unitRates: {
    unitsWithValue: number; unitsWithoutValue: number; meanOfUnitRates: number | null; median: number | null; lowerQuartile: number | null; upperQuartile: number | null;
    min: Extreme | null; max: Extreme | null;
  };
}
interface Out { totalRows: number; rows: { dimensions: { unit: { code: string } | null } }[]; distribution: Group[] }

async function dist(q: Record<string, unknown>, m: string): Promise<Out> {
  const res = await gw.gql<{ aggregate: Out }>(DIST, { q, m });
  expect(res.errors).toBeUndefined();
  return res.data!.aggregate;
}

const MAY_AUG = { from: '2025-05', to: '2025-08' };

describe('AggregateResult.distribution', () => {
  it('per sector across provinces, over every row before the limit: ratio of sums vs mean vs median vs quartiles', async () => {
    const r = await dist({ measures: ['ON_TIME_RATE'], groupBy: ['UNIT', 'SECTOR'], period: MAY_AUG, limit: 1 }, 'ON_TIME_RATE');
    expect([r.totalRows, r.rows.length]).toEqual([5, 1]);
    // Sector DD (P3): only new 80's 40 dossiers of August, none resolved: no rate (0/0).
    // Sector HT (P1, P2), on time / resolved: old 72 (70 + 40 + 60) / (90 + 50 + 80) = 170/220; old 80 with its commune 27766
    // (150 + 8) / (180 + 10) = 158/190; new 80 250/300; 01 (450 + 90) / (500 + 100) = 540/600.
    const [dd, ht] = [r.distribution.find((g) => g.dimensions.sector?.code === 'DD')!, r.distribution.find((g) => g.dimensions.sector?.code === 'HT')!];
    expect(r.distribution).toHaveLength(2);
    expect(ht.dimensions).toEqual({ unit: null, province: null, sector: { code: 'HT', name: 'Hộ tịch' }, period: null });
    expect(dd.ratioOfSums).toEqual({ value: null, numerator: 0, denominator: 0 });
    expect(dd.unitRates).toEqual({
      unitsWithValue: 0, unitsWithoutValue: 1, meanOfUnitRates: null, median: null, lowerQuartile: null, upperQuartile: null, min: null, max: null,
    });
    // The ratio of sums: (170 + 158 + 250 + 540) / (220 + 190 + 300 + 600) = 1118/1310 = 0.8534, Hà Nội's 600 weighing most.
    expect(ht.ratioOfSums).toEqual({ value: 1118 / 1310, numerator: 1118, denominator: 1310 });
    // Sorted rates a = 0.7727 (72), b = 0.8316 (old 80), c = 0.8333 (new 80), d = 0.9 (01); each unit once.
    const [a, b, c, d] = [170 / 220, 158 / 190, 250 / 300, 540 / 600];
    const u = ht.unitRates;
    expect([u.unitsWithValue, u.unitsWithoutValue]).toEqual([4, 0]);
    expect(u.meanOfUnitRates).toBeCloseTo((a + b + c + d) / 4, 12); // 0.8344: not the ratio of sums
    expect(u.median).toBeCloseTo((b + c) / 2, 12); // positions 1 and 2 of 0..3
    expect(u.lowerQuartile).toBeCloseTo(a + 0.75 * (b - a), 12); // position 0.75
    expect(u.upperQuartile).toBeCloseTo(c + 0.25 * (d - c), 12); // position 2.25
    expect(u.min).toEqual({ value: a, units: [{ code: '72', name: 'Tỉnh Tây Ninh', validFrom: null, validTo: '2025-06-30' }] });
    expect(u.max).toEqual({ value: d, units: [{ code: '01', name: 'Thành phố Hà Nội', validFrom: null, validTo: null }] });
  });

  it('grouped by PROVINCE and PERIOD: one group per month; a tie at the minimum lists every unit holding it', async () => {
    // Online / received, June 2025: old 72 40/80 = 0.5; old 80 with its commune (150 + 5) / (200 + 10) = 155/210; 01 400/500 = 0.8.
    const r = await dist({ measures: ['ONLINE_DOSSIER_RATE'], groupBy: ['PROVINCE', 'PERIOD'], period: { from: '2025-06', to: '2025-06' } }, 'ONLINE_DOSSIER_RATE');
    expect(r.distribution.map((g) => g.dimensions)).toEqual([{ unit: null, province: null, sector: null, period: { label: '2025-06' } }]);
    const g = r.distribution[0];
    expect(g.ratioOfSums).toEqual({ value: 595 / 790, numerator: 595, denominator: 790 });
    expect(g.unitRates.median).toBeCloseTo(155 / 210, 12);
    expect(g.unitRates.meanOfUnitRates).toBeCloseTo((0.5 + 155 / 210 + 0.8) / 3, 12);
    // Level-4 shares on 30 June 2021 (see the targetCompliance test): 01 and old 80 share the minimum 1/2.
    const tie = await dist({ measures: ['LEVEL4_SHARE'], groupBy: ['UNIT'], asOf: '2021-06-30', levels: 'MAPPED_TO_DECREE43' }, 'LEVEL4_SHARE');
    expect(tie.distribution[0].unitRates.min!.units.map((x) => x.code)).toEqual(['01', '80']);
    expect(tie.distribution[0].unitRates.min!.value).toBe(0.5);
  });

  it('with includeEmptyUnits, units without data count as without a value, and match targetCompliance\'s summary', async () => {
    const q = { measures: ['LEVEL4_SHARE'], groupBy: ['UNIT'], asOf: '2021-06-30', levels: 'MAPPED_TO_DECREE43', includeEmptyUnits: true };
    const r = await dist(q, 'LEVEL4_SHARE');
    const tc = await gw.gql<{ targetCompliance: { summary: unknown } }>(`{ targetCompliance(indicator: LEVEL4_SHARE, asOf: "2021-06-30", levels: MAPPED_TO_DECREE43) {
      summary { ratioOfSums { value numerator denominator } unitRates { unitsWithValue unitsWithoutValue meanOfUnitRates median lowerQuartile upperQuartile
        min { value units { code name validFrom validTo } } max { value units { code name validFrom validTo } } } } } }`);
    expect(r.distribution).toHaveLength(1);
    expect([r.distribution[0].unitRates.unitsWithValue, r.distribution[0].unitRates.unitsWithoutValue]).toEqual([3, 60]);
    expect({ ratioOfSums: r.distribution[0].ratioOfSums, unitRates: r.distribution[0].unitRates }).toEqual(tc.data!.targetCompliance.summary);
    // In today's units on 31 July 2025 (Điện Biên 3/10, 01 1/3, new 80 1/3): 34 provinces, 31 without a value.
    const cur = await dist({ ...q, asOf: '2025-07-31', levels: 'MAPPED_TO_DECREE42', unitView: 'CURRENT_UNITS' }, 'LEVEL4_SHARE');
    const u = cur.distribution[0].unitRates;
    expect([u.unitsWithValue, u.unitsWithoutValue, u.min!.value, u.max!.value]).toEqual([3, 31, 0.3, 1 / 3]);
    expect(u.max!.units.map((x) => [x.code, x.validFrom])).toEqual([['01', null], ['80', '2025-07-01']]);
  });

  it('refuses a grouping without UNIT or PROVINCE, and a measure that is not a ratio among the measures, naming the field', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ measures: ['ON_TIME_RATE'], groupBy: ['SECTOR'], period: MAY_AUG }, 'ON_TIME_RATE', 'query.groupBy'],
      [{ measures: ['ON_TIME_RATE', 'DOSSIERS_RECEIVED'], groupBy: ['UNIT'], period: MAY_AUG }, 'DOSSIERS_RECEIVED', 'measure'],
      [{ measures: ['ON_TIME_RATE'], groupBy: ['UNIT'], period: MAY_AUG }, 'ONLINE_DOSSIER_RATE', 'measure'],
    ];
    for (const [q, m, field] of cases) {
      const res = await gw.gql(DIST, { q, m });
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].extensions?.problems?.map((p) => p.field)).toEqual([field]);
    }
  });
});
