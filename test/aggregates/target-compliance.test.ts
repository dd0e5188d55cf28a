import { parse as parseCsv } from 'csv-parse/sync';
import { startTestGateway, TestGateway } from '../support/harness';
import { loadFixture } from './fixture';

/**
 * targetCompliance on the fixture (test/aggregates/fixture.ts), every number by hand. Level-4
 * shares on 30 June 2021 (MAPPED_TO_DECREE43), from the KPI tests: old 72 Tây Ninh P1 4, P2 2, P3 4
 * (2 of 3; eligible P1, P2: 1 of 2), 01 Hà Nội P1 4, P3 1 (1 of 2; eligible P1: 1 of 1), old 80
 * Long An P1 4, P2 3 (1 of 2; eligible 1 of 2). No other of the 63 provinces of that day has a service.
 */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await loadFixture(gw.db);
});
afterAll(() => gw?.stop());

const TC = `query($target: String, $i: Indicator, $p: PeriodRange, $a: LocalDate, $t: UnitKind, $v: UnitView, $l: LevelView, $y: Int) {
  targetCompliance(target: $target, indicator: $i, period: $p, asOf: $a, tier: $t, unitView: $v, levels: $l, planYear: $y) {
    indicator tier unitView levels from to asOf
    primaryTarget { code }
    targets { target { code } inForce met missed withoutData }
    units {
      unit { code validFrom validTo } value numerator denominator rank status gapPoints includesPartialMerges
      judgments { target { code } status value numerator denominator gapPoints }
    }
    counts { units withData withoutData met missed notInForce }
    summary {
      ratioOfSums { value numerator denominator }
      unitRates { unitsWithValue unitsWithoutValue meanOfUnitRates median lowerQuartile upperQuartile min { value units { code } } max { value units { code } } }
    }
    sources { code }
  } }`;

interface Judgment { target: { code: string }; status: string; value: number | null; numerator: number | null; denominator: number | null; gapPoints: number | null }
interface UnitOut {
  unit: { code: string; validFrom: string | null; validTo: string | null };
  value: number | null; numerator: number | null; denominator: number | null; rank: number | null; status: string; gapPoints: number | null;
  includesPartialMerges: boolean; judgments: Judgment[];
}
interface Out {
  indicator: string; tier: string; unitView: string; levels: string | null; from: string | null; to: string | null; asOf: string;
  primaryTarget: { code: string } | null;
  targets: { target: { code: string }; inForce: boolean; met: number; missed: number; withoutData: number }[];
  units: UnitOut[];
  counts: { units: number; withData: number; withoutData: number; met: number; missed: number; notInForce: number };
  summary: {
    ratioOfSums: { value: number | null; numerator: number; denominator: number };
    unitRates: {
      unitsWithValue: number; unitsWithoutValue: number; meanOfUnitRates: number | null; median: number | null; lowerQuartile: number | null; upperQuartile: number | null;
      min: { value: number; units: { code: string }[] } | null; max: { value: number; units: { code: string }[] } | null;
    };
  };
  sources: { code: string }[];
}

async function tc(vars: Record<string, unknown>): Promise<Out> {
  const res = await gw.gql<{ targetCompliance: Out }>(TC, vars);
  expect(res.errors).toBeUndefined();
  return res.data!.targetCompliance;
}

const brief = (u: UnitOut) => [u.unit.code, u.value, u.numerator, u.denominator, u.rank, u.status, u.gapPoints];

describe('targetCompliance', () => {
  it('every province on 30 June 2021 against the 2021 target on eligible services: met, missed, no data; ranks with a tie', async () => {
    const r = await tc({ i: 'LEVEL4_SHARE', a: '2021-06-30', l: 'MAPPED_TO_DECREE43' });
    expect([r.indicator, r.tier, r.unitView, r.levels, r.from, r.to, r.asOf]).toEqual(['LEVEL4_SHARE', 'PROVINCE', 'AS_REPORTED', 'MAPPED_TO_DECREE43', null, null, '2021-06-30']);
    // Resolution 17 ended on 2020-12-31: the 2021 target is the first in force.
    expect(r.primaryTarget).toEqual({ code: 'CV1145-2021-LEVEL4-ELIGIBLE' });
    // 72 ranks first (2/3); 01 and 80 share rank 2 (1/2), by code. Status is on eligible services: 01 1 of 1 (met);
    // 72 and 80 1 of 2, 50 points short of 100%.
    expect(r.units.slice(0, 3).map(brief)).toEqual([
      ['72', 2 / 3, 2, 3, 1, 'MISSED', 50],
      ['01', 0.5, 1, 2, 2, 'MET', 0],
      ['80', 0.5, 1, 2, 2, 'MISSED', 50],
    ]);
    // The 60 other provinces of that day, without a service, are listed after, by code, without rank or gap.
    expect(r.units).toHaveLength(63);
    expect(r.units[3]).toMatchObject({ unit: { code: '02' }, value: null, numerator: null, denominator: null, rank: null, status: 'NO_DATA', gapPoints: null });
    expect(r.units.slice(3).map((u) => u.unit.code)).toEqual([...r.units.slice(3).map((u) => u.unit.code)].sort());
    expect(r.units.slice(3).every((u) => u.status === 'NO_DATA' && u.judgments.every((j) => j.status === 'NO_DATA'))).toBe(true);
    expect(r.units.map((u) => u.unit.code)).toEqual(expect.arrayContaining(['04', '11']));
    // One judgment per target, Resolution 17 first (by deadline): not in force, never judged, its value the unit's.
    expect(r.units[0].judgments).toEqual([
      { target: { code: 'NQ17-2020-LEVEL4' }, status: 'NOT_IN_FORCE', value: 2 / 3, numerator: 2, denominator: 3, gapPoints: null },
      { target: { code: 'CV1145-2021-LEVEL4-ELIGIBLE' }, status: 'MISSED', value: 0.5, numerator: 1, denominator: 2, gapPoints: 50 },
    ]);
    expect(r.counts).toEqual({ units: 63, withData: 3, withoutData: 60, met: 1, missed: 2, notInForce: 0 });
    expect(r.targets).toEqual([
      { target: { code: 'NQ17-2020-LEVEL4' }, inForce: false, met: 0, missed: 0, withoutData: 60 },
      { target: { code: 'CV1145-2021-LEVEL4-ELIGIBLE' }, inForce: true, met: 1, missed: 2, withoutData: 60 },
    ]);
    // Ratio of sums (2 + 1 + 1) / (3 + 2 + 2) = 4/7; mean of unit rates (2/3 + 1/2 + 1/2) / 3 = 5/9. Sorted 1/2, 1/2, 2/3:
    // median 1/2; quartiles at positions 0.5 and 1.5: 1/2 and 1/2 + (2/3 - 1/2) / 2 = 7/12.
    const s = r.summary;
    expect(s.ratioOfSums).toEqual({ value: 4 / 7, numerator: 4, denominator: 7 });
    expect(s.unitRates.meanOfUnitRates).toBeCloseTo(5 / 9, 12);
    expect([s.unitRates.unitsWithValue, s.unitRates.unitsWithoutValue, s.unitRates.median, s.unitRates.lowerQuartile]).toEqual([3, 60, 0.5, 0.5]);
    expect(s.unitRates.upperQuartile).toBeCloseTo(7 / 12, 12);
    expect(s.unitRates.min).toEqual({ value: 0.5, units: [{ code: '01' }, { code: '80' }] });
    expect(s.unitRates.max).toEqual({ value: 2 / 3, units: [{ code: '72' }] });
    expect(r.sources).toEqual([{ code: 'fixture' }]);
  });

  it('a target by code: Resolution 17 on its deadline, every province with data meets 30%', async () => {
    // 31 Dec 2020: 72 P1 3, P2 2, P3 4 (1 of 3); 01 P1 4, P3 1 (1 of 2); 80 P1 4, P2 3 (1 of 2). 1/3 is at least 30%.
    const r = await tc({ target: 'NQ17-2020-LEVEL4', a: '2020-12-31', l: 'MAPPED_TO_DECREE43' });
    expect(r.primaryTarget).toEqual({ code: 'NQ17-2020-LEVEL4' });
    expect(r.targets).toEqual([{ target: { code: 'NQ17-2020-LEVEL4' }, inForce: true, met: 3, missed: 0, withoutData: 60 }]);
    expect(r.units.slice(0, 3).map(brief)).toEqual([['01', 0.5, 1, 2, 1, 'MET', 0], ['80', 0.5, 1, 2, 1, 'MET', 0], ['72', 1 / 3, 1, 3, 3, 'MET', 0]]);
    expect(r.counts).toEqual({ units: 63, withData: 3, withoutData: 60, met: 3, missed: 0, notInForce: 0 });
    // The same target the day after its deadline: listed, not in force; units with data are NOT_IN_FORCE, never missed.
    const after = await tc({ target: 'NQ17-2020-LEVEL4', a: '2021-01-01', l: 'MAPPED_TO_DECREE43' });
    expect(after.targets).toEqual([{ target: { code: 'NQ17-2020-LEVEL4' }, inForce: false, met: 0, missed: 0, withoutData: 60 }]);
    expect(after.counts).toEqual({ units: 63, withData: 3, withoutData: 60, met: 0, missed: 0, notInForce: 3 });
    expect(after.units.slice(0, 3).map((u) => [u.unit.code, u.status, u.gapPoints])).toEqual([['01', 'NOT_IN_FORCE', null], ['80', 'NOT_IN_FORCE', null], ['72', 'NOT_IN_FORCE', null]]);
  });

  it('a flow over a period, as reported and in today\'s units across the merger; no target: NOT_IN_FORCE, no primary target', async () => {
    // On-time rate, May-August 2025 as reported: old 72 (70 + 40 + 60) / (90 + 50 + 80) = 170/220; old 80 with its commune 27766
    // (150 + 8) / (180 + 10) = 158/190 (0.8316); 01 (450 + 90) / (500 + 100) = 540/600; new 80 July 250/300 (0.8333; August's
    // 40 dossiers unresolved).
    const r = await tc({ i: 'ON_TIME_RATE', p: { from: '2025-05', to: '2025-08' } });
    expect([r.from, r.to, r.asOf, r.levels, r.primaryTarget, r.targets]).toEqual(['2025-05', '2025-08', '2025-08-31', null, null, []]);
    expect(r.units.slice(0, 4).map((u) => [u.unit.code, u.unit.validFrom, u.numerator, u.denominator, u.rank, u.status])).toEqual([
      ['01', null, 540, 600, 1, 'NOT_IN_FORCE'],
      ['80', '2025-07-01', 250, 300, 2, 'NOT_IN_FORCE'],
      ['80', null, 158, 190, 3, 'NOT_IN_FORCE'],
      ['72', null, 170, 220, 4, 'NOT_IN_FORCE'],
    ]);
    // Every province valid at some time of the period: 63 before the reform and the new ones after, 86 in all.
    expect(r.counts).toEqual({ units: 86, withData: 4, withoutData: 82, met: 0, missed: 0, notInForce: 4 });
    expect(r.summary.ratioOfSums).toEqual({ value: 1118 / 1310, numerator: 1118, denominator: 1310 });
    // Today's units: new 80 holds old 72's and old 80's figures and its own: 578/710; 34 provinces open today.
    const cur = await tc({ i: 'ON_TIME_RATE', p: { from: '2025-05', to: '2025-08' }, v: 'CURRENT_UNITS' });
    expect(cur.units.slice(0, 2).map((u) => [u.unit.code, u.unit.validFrom, u.numerator, u.denominator, u.rank, u.includesPartialMerges])).toEqual([
      ['01', null, 540, 600, 1, false], ['80', '2025-07-01', 578, 710, 2, false],
    ]);
    expect(cur.counts).toEqual({ units: 34, withData: 2, withoutData: 32, met: 0, missed: 0, notInForce: 2 });
    // The ratio of sums is the same figures either way; the mean of unit rates is not (2 units instead of 4).
    expect(cur.summary.ratioOfSums).toEqual(r.summary.ratioOfSums);
    expect(cur.summary.unitRates.meanOfUnitRates).toBeCloseTo((0.9 + 578 / 710) / 2, 12);
    expect(r.summary.unitRates.meanOfUnitRates).toBeCloseTo((0.9 + 158 / 190 + 250 / 300 + 170 / 220) / 4, 12);
  });

  it('plan issuance on the 2021 deadline: 1 for Hà Nội, 0 for every other province; 11 issued after the date', async () => {
    const r = await tc({ i: 'PLAN_ISSUED', a: '2021-09-10' });
    expect(r.primaryTarget).toEqual({ code: 'PLAN-2021' });
    expect(r.units.slice(0, 3).map(brief)).toEqual([['01', 1, 1, 1, 1, 'MET', 0], ['02', 0, 0, 1, 2, 'MISSED', 100], ['04', 0, 0, 1, 2, 'MISSED', 100]]);
    expect(r.counts).toEqual({ units: 63, withData: 63, withoutData: 0, met: 1, missed: 62, notInForce: 0 });
    expect(r.targets).toEqual([{ target: { code: 'PLAN-2021' }, inForce: true, met: 1, missed: 62, withoutData: 0 }]);
    // 1 of 63 either way, since each unit's denominator is 1; the median and quartiles are 0.
    const u = r.summary.unitRates;
    expect(r.summary.ratioOfSums).toEqual({ value: 1 / 63, numerator: 1, denominator: 63 });
    expect([u.unitsWithValue, u.unitsWithoutValue, u.median, u.lowerQuartile, u.upperQuartile, u.max]).toEqual([63, 0, 0, 0, 0, { value: 1, units: [{ code: '01' }] }]);
    expect(u.meanOfUnitRates).toBeCloseTo(1 / 63, 12);
    expect(u.min!.units).toHaveLength(62);
    // Asked by code on a date of another year, the target's own plan year (2021) is read: the 2021 plans as of 1 March 2022.
    const byCode = await tc({ target: 'PLAN-2021', a: '2022-03-01' });
    expect([byCode.counts, byCode.targets[0].inForce]).toEqual([{ units: 63, withData: 63, withoutData: 0, met: 0, missed: 0, notInForce: 63 }, false]);
    expect(byCode.units.slice(0, 3).map((x) => [x.unit.code, x.value, x.rank])).toEqual([['01', 1, 1], ['11', 1, 1], ['02', 0, 3]]);
  });

  it('bad input is BAD_USER_INPUT naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ a: '2021-06-30', l: 'MAPPED_TO_DECREE43' }, 'indicator'],
      [{ target: 'NQ17-2020-LEVEL4', i: 'ON_TIME_RATE', p: { to: '2020-12' } }, 'indicator'],
      [{ target: 'NOPE', a: '2021-06-30' }, 'target'],
      [{ i: 'LEVEL4_SHARE', a: '2021-06-30', l: 'MAPPED_TO_DECREE43', t: 'COMMUNE' }, 'tier'],
      [{ target: 'PLAN-2021', i: 'LEVEL4_SHARE', a: '2021-09-10' }, 'indicator'],
      [{ i: 'ON_TIME_RATE', p: { from: '2025-05' } }, 'period.to'],
      [{ i: 'ON_TIME_RATE', p: { to: '2025-05' }, a: '2025-05-31' }, 'asOf'],
      [{ i: 'ON_TIME_RATE', p: { from: '2025-06', to: '2025-05' } }, 'period'],
      [{ i: 'LEVEL4_SHARE', a: '2021-06-30' }, 'levels'],
      [{ i: 'LEVEL4_SHARE', a: '2021-06-30', l: 'MAPPED_TO_DECREE43', y: 2021 }, 'planYear'],
      [{ i: 'PLAN_ISSUED', a: '2021-09-10', v: 'CURRENT_UNITS' }, 'unitView'],
    ];
    for (const [vars, field] of cases) {
      const res = await gw.gql(TC, vars);
      expect([JSON.stringify(vars), res.errors?.[0].extensions?.code]).toEqual([JSON.stringify(vars), 'BAD_USER_INPUT']);
      expect([JSON.stringify(vars), res.errors?.[0].extensions?.problems?.map((p) => p.field)]).toEqual([JSON.stringify(vars), expect.arrayContaining([field])]);
    }
  });

  it('the saved view /export/target-compliance.csv: one row per province, the same numbers, its parameters checked', async () => {
    const base = gw.app.url.replace(/\/graphql$/, '');
    const res = await fetch(`${base}/export/target-compliance.csv?indicator=level4_share&asOf=2021-06-30&tier=province&levels=mapped_to_decree43`);
    expect(res.status).toBe(200);
    const [header, ...rows] = parseCsv(Buffer.from(await res.arrayBuffer()).subarray(3).toString('utf8')) as string[][];
    expect(header).toEqual(['rank', 'unit.code', 'unit.name', 'unit.validFrom', 'unit.validTo', 'status', 'value', 'numerator', 'denominator', 'gapPoints']);
    expect(rows).toHaveLength(63);
    const pick = (r: string[]) => [r[0], r[1], r[5], Number(r[6]), r[7], r[8], r[9]];
    expect(rows.slice(0, 3).map(pick)).toEqual([
      ['1', '72', 'MISSED', 2 / 3, '2', '3', '50'], ['2', '01', 'MET', 0.5, '1', '2', '0'], ['2', '80', 'MISSED', 0.5, '1', '2', '50'],
    ]);
    expect(rows[3].slice(0, 2).concat(rows[3].slice(5))).toEqual(['', '02', 'NO_DATA', '', '', '', '']);
    const refused: [string, RegExp][] = [
      ['indicatr=level4_share', /^indicatr: unknown parameter of view "target-compliance"/],
      ['indicator=level4_share&asOf=2021-06-30', /levels/],
      ['indicator=level4_share&asOf=2021-06-30&levels=mapped_to_decree43&tier=commune', /tier/],
      ['indicator=level_9&asOf=2021-06-30', /\$indicator/],
    ];
    for (const [query, message] of refused) {
      const bad = await fetch(`${base}/export/target-compliance.csv?${query}`);
      const body = (await bad.json()) as { errors: { message: string; extensions?: { problems?: { field: string }[] } }[] };
      expect([query, bad.status]).toEqual([query, 400]);
      expect(`${body.errors[0].message} ${JSON.stringify(body.errors[0].extensions?.problems ?? [])}`).toMatch(message);
    }
  });
});
