import { Comparison } from '../../src/plans/target.entity';
import { assess } from '../../src/aggregates/kpi.service';
import { startTestGateway, TestGateway } from '../support/harness';
import { loadFixture } from './fixture';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await loadFixture(gw.db);
});
afterAll(() => gw?.stop());

const KPI = `query($i: Indicator!, $u: String!, $p: PeriodRange, $a: LocalDate, $l: LevelView, $v: UnitView, $n: Int, $g: PeriodGrain, $at: LocalDate) {
  kpi(indicator: $i, unitCode: $u, period: $p, asOf: $a, levels: $l, unitView: $v, trendPeriods: $n, trendGrain: $g, unitAt: $at) {
    indicator unit { code name validFrom } value numerator denominator from to asOf levels unitView rank peerCount includesPartialMerges
    targets { target { code threshold comparison eligibleOnly } value numerator denominator met gapPoints deadlinePassed }
    trend { period { label end } value numerator denominator }
    sources { code }
  } }`;

async function kpi(vars: Record<string, unknown>) {
  const res = await gw.gql(KPI, vars);
  expect(res.errors).toBeUndefined();
  return res.data.kpi;
}

describe('kpi', () => {
  it('a value exactly at the threshold meets an at_least target; eligible-only targets are judged on eligible services', async () => {
    const k = await kpi({ i: 'LEVEL4_SHARE', u: '11', a: '2025-07-31', l: 'MAPPED_TO_DECREE42', n: 3, g: 'QUARTER' });
    // Điện Biên: 3 full of 10 services = 0.3, exactly Resolution 17's 30%.
    expect([k.value, k.numerator, k.denominator]).toEqual([0.3, 3, 10]);
    expect(k.targets).toEqual([
      { target: { code: 'NQ17-2020-LEVEL4', threshold: 0.3, comparison: 'AT_LEAST', eligibleOnly: false }, value: 0.3, numerator: 3, denominator: 10, met: true, gapPoints: 0, deadlinePassed: true },
      // 100% of eligible services by 2021: all 10 are eligible, 3 full → 70 points short.
      { target: { code: 'CV1145-2021-LEVEL4-ELIGIBLE', threshold: 1, comparison: 'AT_LEAST', eligibleOnly: true }, value: 0.3, numerator: 3, denominator: 10, met: false, gapPoints: 70, deadlinePassed: true },
    ]);
    // Peers on 31 July 2025: 01 (1/3), new 80 (1/3), 11 (0.3): 01 and 80 share rank 1, 11 is third.
    expect([k.rank, k.peerCount]).toEqual([3, 3]);
    expect(k.trend).toEqual([
      { period: { label: '2025-Q1', end: '2025-03-31' }, value: 0.3, numerator: 3, denominator: 10 },
      { period: { label: '2025-Q2', end: '2025-06-30' }, value: 0.3, numerator: 3, denominator: 10 },
      { period: { label: '2025-Q3', end: '2025-09-30' }, value: 0.3, numerator: 3, denominator: 10 },
    ]);
    expect(k.sources).toEqual([{ code: 'fixture' }]);
    const hn = await kpi({ i: 'LEVEL4_SHARE', u: '01', a: '2025-07-31', l: 'MAPPED_TO_DECREE42', n: 0 });
    // Hà Nội: 1 of 3 overall; eligible only (P3 is not eligible): 1 of 2.
    expect([hn.value, hn.rank, hn.trend]).toEqual([1 / 3, 1, []]);
    expect(hn.targets.map((t: { target: { code: string }; value: number; met: boolean; gapPoints: number }) => [t.target.code, t.value, t.met, t.gapPoints]))
      .toEqual([['NQ17-2020-LEVEL4', 1 / 3, true, 0], ['CV1145-2021-LEVEL4-ELIGIBLE', 0.5, false, 50]]);
  });

  it('a flow indicator across the merger, in current units, with its monthly trend', async () => {
    const k = await kpi({ i: 'ON_TIME_RATE', u: '80', p: { from: '2025-05', to: '2025-08' }, v: 'CURRENT_UNITS', n: 4 });
    // New 80 with old 72 and old 80: 578 on time of 710 resolved (see aggregate.test.ts).
    expect(k.unit).toEqual({ code: '80', name: 'Tỉnh Tây Ninh', validFrom: '2025-07-01' });
    expect([k.value, k.numerator, k.denominator, k.from, k.to, k.asOf]).toEqual([578 / 710, 578, 710, '2025-05', '2025-08', '2025-08-31']);
    // Hà Nội 540/600 = 0.9 is first.
    expect([k.rank, k.peerCount]).toEqual([2, 2]);
    // No on-time target exists: targets are rows, none for this indicator.
    expect(k.targets).toEqual([]);
    // May: 72's 70+40 of 90+50; June: 72's 60 + old 80's 150 + commune's 8 = 218 of 80+180+10 = 270; July 250/300; August nothing resolved.
    expect(k.trend.map((p: { period: { label: string }; value: number | null; numerator: number; denominator: number }) => [p.period.label, p.numerator, p.denominator, p.value])).toEqual([
      ['2025-05', 110, 140, 110 / 140], ['2025-06', 218, 270, 218 / 270], ['2025-07', 250, 300, 250 / 300], ['2025-08', 0, 0, null],
    ]);
    // As reported, code 80 on 31 August 2025 is the new Tây Ninh alone: 250/300.
    const asReported = await kpi({ i: 'ON_TIME_RATE', u: '80', p: { from: '2025-05', to: '2025-08' }, n: 0 });
    expect([asReported.numerator, asReported.denominator]).toEqual([250, 300]);
    // ... and old Long An when the code is read before the reform: 150+8 of 180+10.
    const longAn = await kpi({ i: 'ON_TIME_RATE', u: '80', at: '2025-06-30', p: { from: '2025-05', to: '2025-08' }, n: 0 });
    expect([longAn.unit.name, longAn.numerator, longAn.denominator]).toEqual(['Tỉnh Long An', 158, 190]);
  });

  it('a unit with no data: null value, zero counts, unranked, targets undecided', async () => {
    const k = await kpi({ i: 'LEVEL4_SHARE', u: '04', a: '2025-07-31', l: 'MAPPED_TO_DECREE42', n: 2 });
    expect([k.value, k.numerator, k.denominator, k.rank, k.peerCount]).toEqual([null, 0, 0, null, 3]);
    expect(k.targets.map((t: { met: boolean | null; gapPoints: number | null }) => [t.met, t.gapPoints])).toEqual([[null, null], [null, null]]);
    expect(k.trend.map((p: { value: number | null }) => p.value)).toEqual([null, null]);
  });

  it('the nation', async () => {
    const k = await kpi({ i: 'ONLINE_DOSSIER_RATE', u: 'VN', p: { from: '2025-05', to: '2025-08' }, n: 0 });
    expect([k.unit.code, k.value, k.numerator, k.denominator, k.rank, k.peerCount]).toEqual(['VN', 925 / 1380, 925, 1380, 1, 1]);
  });

  it('refuses an as-of date on a flow indicator, and a closed unit in current units', async () => {
    const flow = await gw.gql(KPI, { i: 'ON_TIME_RATE', u: '01', a: '2025-06-30' });
    expect(flow.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(flow.errors![0].extensions!.problems![0].field).toBe('asOf');
    expect(flow.errors![0].message).toMatch(/period, not asOf/);
    const closed = await gw.gql(KPI, { i: 'ON_TIME_RATE', u: '72', at: '2025-06-01', p: { to: '2025-06' }, v: 'CURRENT_UNITS' });
    expect(closed.errors![0].extensions!.problems![0]).toEqual({ field: 'unitCode', reason: '72 closed on 2025-06-30: with CURRENT_UNITS ask for its successor' });
    const unknown = await gw.gql(KPI, { i: 'ON_TIME_RATE', u: '72', p: { to: '2025-08' } });
    expect(unknown.errors![0].extensions!.problems![0].reason).toMatch(/no unit with code 72 on 2025-08-31/);
  });

  it('judges thresholds in exact arithmetic', () => {
    expect(assess(3, 10, 0.3, Comparison.AT_LEAST)).toEqual({ met: true, gapPoints: 0 });
    expect(assess(29, 100, 0.3, Comparison.AT_LEAST)).toEqual({ met: false, gapPoints: 1 });
    expect(assess(7, 10, 0.7, Comparison.AT_MOST)).toEqual({ met: true, gapPoints: 0 });
    expect(assess(71, 100, 0.7, Comparison.AT_MOST)).toEqual({ met: false, gapPoints: 1 });
    expect(assess(0, 0, 0.3, Comparison.AT_LEAST)).toEqual({ met: null, gapPoints: null });
  });
});

describe('plan compliance', () => {
  const PC = `query($y: Int!, $a: LocalDate, $k: [UnitKind!], $s: [PlanStatus!]) { planCompliance(year: $y, asOf: $a, kinds: $k, status: $s) {
    year asOf kinds counts { units issued issuedOnTime issuedLate overdue pending }
    units { unit { code } status deadline daysOverdue documentNumber issuedOn } } }`;
  const pc = async (vars: Record<string, unknown>) => {
    const res = await gw.gql(PC, vars);
    expect(res.errors).toBeUndefined();
    return res.data.planCompliance;
  };

  it('on the deadline nobody is overdue yet', async () => {
    const c = await pc({ y: 2021, a: '2021-09-10', k: ['PROVINCE'] });
    // 63 provinces in 2021; Hà Nội issued on 1 August; the 2021 deadline is 10 September (target PLAN-2021).
    expect(c.counts).toEqual({ units: 63, issued: 1, issuedOnTime: 1, issuedLate: 0, overdue: 0, pending: 62 });
  });

  it('after the deadline: overdue list with days late; a plan row\'s own due date prevails', async () => {
    const c = await pc({ y: 2021, a: '2021-09-15', k: ['PROVINCE'], s: ['ISSUED', 'PENDING'] });
    // 11 issues only on 20 September: overdue on the 15th; 04's plan row is due 1 October: pending.
    expect(c.counts).toEqual({ units: 63, issued: 1, issuedOnTime: 1, issuedLate: 0, overdue: 61, pending: 1 });
    expect(c.units).toEqual([
      { unit: { code: '01' }, status: 'ISSUED', deadline: '2021-09-10', daysOverdue: null, documentNumber: '12/KH-UBND', issuedOn: '2021-08-01' },
      { unit: { code: '04' }, status: 'PENDING', deadline: '2021-10-01', daysOverdue: null, documentNumber: null, issuedOn: null },
    ]);
    const overdue = await pc({ y: 2021, a: '2021-09-15', k: ['PROVINCE'], s: ['OVERDUE'] });
    expect(overdue.units).toHaveLength(61);
    expect(overdue.units.find((u: { unit: { code: string } }) => u.unit.code === '11')).toMatchObject({ status: 'OVERDUE', daysOverdue: 5, deadline: '2021-09-10' });
  });

  it('later: issued late, and ministries in the default scope', async () => {
    const c = await pc({ y: 2021, a: '2021-10-05' });
    // 63 provinces + 22 ministries existing in 2021; 01 on time, 11 late, 04 overdue by 4 days.
    expect(c.kinds).toEqual(['PROVINCE', 'MINISTRY']);
    expect(c.counts).toEqual({ units: 85, issued: 2, issuedOnTime: 1, issuedLate: 1, overdue: 83, pending: 0 });
    const late = await pc({ y: 2021, a: '2021-10-05', s: ['ISSUED_LATE'] });
    expect(late.units.map((u: { unit: { code: string } }) => u.unit.code)).toEqual(['11']);
  });

  it('plan issuance as a KPI', async () => {
    const k = await kpi({ i: 'PLAN_ISSUED', u: '11', a: '2021-10-05', n: 0 });
    expect([k.value, k.numerator, k.denominator]).toEqual([1, 1, 1]);
    expect(k.targets.map((t: { target: { code: string }; met: boolean }) => [t.target.code, t.met])).toEqual([['PLAN-2021', true]]);
    const nation = await kpi({ i: 'PLAN_ISSUED', u: 'VN', a: '2021-10-05', n: 0 });
    expect([nation.numerator, nation.denominator]).toEqual([2, 85]);
  });
});
