import { Comparison } from '../../src/plans/target.entity';
import { assess, inForceOn } from '../../src/aggregates/kpi.service';
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
    targets { target { code threshold comparison eligibleOnly } value numerator denominator met gapPoints }
    targetsNotInForce { code }
    trend { period { label end } value numerator denominator }
    sources { code }
  } }`;

async function kpi(vars: Record<string, unknown>) {
  const res = await gw.gql(KPI, vars);
  expect(res.errors).toBeUndefined();
  return res.data.kpi;
}

describe('kpi', () => {
  it('after every target of an indicator has ended, none is judged: they are listed as not in force', async () => {
    const k = await kpi({ i: 'LEVEL4_SHARE', u: '11', a: '2025-07-31', l: 'MAPPED_TO_DECREE42', n: 3, g: 'QUARTER' });
    // Điện Biên: 3 full of 10 services = 0.3.
    expect([k.value, k.numerator, k.denominator]).toEqual([0.3, 3, 10]);
    // Resolution 17 ended on 2020-12-31 and the 2021 target on 2021-12-31: neither applies in 2025.
    expect(k.targets).toEqual([]);
    expect(k.targetsNotInForce).toEqual([{ code: 'NQ17-2020-LEVEL4' }, { code: 'CV1145-2021-LEVEL4-ELIGIBLE' }]);
    // Peers on 31 July 2025: 01 (1/3), new 80 (1/3), 11 (0.3): 01 and 80 share rank 1, 11 is third.
    expect([k.rank, k.peerCount]).toEqual([3, 3]);
    expect(k.trend).toEqual([
      { period: { label: '2025-Q1', end: '2025-03-31' }, value: 0.3, numerator: 3, denominator: 10 },
      { period: { label: '2025-Q2', end: '2025-06-30' }, value: 0.3, numerator: 3, denominator: 10 },
      { period: { label: '2025-Q3', end: '2025-09-30' }, value: 0.3, numerator: 3, denominator: 10 },
    ]);
    expect(k.sources).toEqual([{ code: 'fixture' }]);
  });

  it('a province on 2020-02-29: Resolution 17 applies, the 2021 target is not in force and not judged', async () => {
    const k = await kpi({ i: 'LEVEL4_SHARE', u: '72', a: '2020-02-29', l: 'MAPPED_TO_DECREE43', n: 0 });
    // Old Tây Ninh on 29 Feb 2020: P1 level 3, P2 level 2, P3 level 4 (from 1 Jan 2020): 1 of 3.
    expect([k.unit.code, k.value, k.numerator, k.denominator]).toEqual(['72', 1 / 3, 1, 3]);
    // Resolution 17 is in force from 7 March 2019 to 31 December 2020: 1/3 is already at least 30%.
    expect(k.targets).toEqual([
      { target: { code: 'NQ17-2020-LEVEL4', threshold: 0.3, comparison: 'AT_LEAST', eligibleOnly: false }, value: 1 / 3, numerator: 1, denominator: 3, met: true, gapPoints: 0 },
    ]);
    // The 2021 target (100% of eligible services during 2021) was judged "not met" on 0 of 2 eligible: now only listed.
    expect(k.targetsNotInForce).toEqual([{ code: 'CV1145-2021-LEVEL4-ELIGIBLE' }]);
    // Peers on that date: old 80 (P1 4, P2 3) and 01 (P1 4, P3 1) at 1/2 share rank 1; 72 is third.
    expect([k.rank, k.peerCount]).toEqual([3, 3]);
  });

  it('inside 2021 the 2021 target is judged on eligible services, met or missed; Resolution 17 has ended', async () => {
    // Hà Nội on 30 June 2021: P1 level 4, P3 level 1 (not eligible): 1 of 2 overall, 1 of 1 eligible.
    const hn = await kpi({ i: 'LEVEL4_SHARE', u: '01', a: '2021-06-30', l: 'MAPPED_TO_DECREE43', n: 0 });
    expect([hn.value, hn.numerator, hn.denominator]).toEqual([0.5, 1, 2]);
    expect(hn.targets).toEqual([
      { target: { code: 'CV1145-2021-LEVEL4-ELIGIBLE', threshold: 1, comparison: 'AT_LEAST', eligibleOnly: true }, value: 1, numerator: 1, denominator: 1, met: true, gapPoints: 0 },
    ]);
    expect(hn.targetsNotInForce).toEqual([{ code: 'NQ17-2020-LEVEL4' }]);
    // Old Tây Ninh: P1 level 4 from 1 June 2021, P2 level 2, P3 level 4 (not eligible): 2 of 3; eligible P1, P2: 1 of 2, 50 points short.
    const tn = await kpi({ i: 'LEVEL4_SHARE', u: '72', a: '2021-06-30', l: 'MAPPED_TO_DECREE43', n: 0 });
    expect([tn.value, tn.numerator, tn.denominator]).toEqual([2 / 3, 2, 3]);
    expect(tn.targets.map((t: { target: { code: string }; value: number; numerator: number; denominator: number; met: boolean; gapPoints: number }) =>
      [t.target.code, t.value, t.numerator, t.denominator, t.met, t.gapPoints])).toEqual([['CV1145-2021-LEVEL4-ELIGIBLE', 0.5, 1, 2, false, 50]]);
    // The deadline itself is in force; the next day is not.
    const lastDay = await kpi({ i: 'LEVEL4_SHARE', u: '72', a: '2021-12-31', l: 'MAPPED_TO_DECREE43', n: 0 });
    expect(lastDay.targets.map((t: { target: { code: string }; met: boolean }) => [t.target.code, t.met])).toEqual([['CV1145-2021-LEVEL4-ELIGIBLE', false]]);
    const after = await kpi({ i: 'LEVEL4_SHARE', u: '72', a: '2022-01-01', l: 'MAPPED_TO_DECREE43', n: 0 });
    expect([after.targets, after.targetsNotInForce]).toEqual([[], [{ code: 'NQ17-2020-LEVEL4' }, { code: 'CV1145-2021-LEVEL4-ELIGIBLE' }]]);
  });

  it("the nation is judged against Resolution 17's 30%, set for the country as a whole", async () => {
    const k = await kpi({ i: 'LEVEL4_SHARE', u: 'VN', a: '2020-12-31', l: 'MAPPED_TO_DECREE42', n: 0 });
    // Units existing on 31 Dec 2020: 72 (P1 partial, P2 info, P3 level 4 but not eligible: partial),
    // old 80 (P1 full, P2 partial), 01 (P1 full, P3 info): 2 full of 7 services.
    expect([k.unit.code, k.value, k.numerator, k.denominator, k.rank, k.peerCount]).toEqual(['VN', 2 / 7, 2, 7, 1, 1]);
    // 2/7 = 28.571...%: short of 30% by 10/7 points (1.428571429 once rounded to 9 decimals).
    expect(k.targets).toEqual([
      { target: { code: 'NQ17-2020-LEVEL4', threshold: 0.3, comparison: 'AT_LEAST', eligibleOnly: false }, value: 2 / 7, numerator: 2, denominator: 7, met: false, gapPoints: 1.428571429 },
    ]);
    // The 2021 target was set for ministries and provinces, not the nation: not in its scope at all.
    expect(k.targetsNotInForce).toEqual([]);
    const later = await kpi({ i: 'LEVEL4_SHARE', u: 'VN', a: '2021-06-30', l: 'MAPPED_TO_DECREE42', n: 0 });
    expect([later.targets, later.targetsNotInForce]).toEqual([[], [{ code: 'NQ17-2020-LEVEL4' }]]);
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

  it('a unit with no data: null value, zero counts, unranked, targets in force undecided', async () => {
    const k = await kpi({ i: 'LEVEL4_SHARE', u: '04', a: '2020-12-31', l: 'MAPPED_TO_DECREE42', n: 2 });
    // Peers with a value on 31 Dec 2020: 72 (0 of 3), old 80 and 01 (1 of 2 each).
    expect([k.value, k.numerator, k.denominator, k.rank, k.peerCount]).toEqual([null, 0, 0, null, 3]);
    expect(k.targets.map((t: { target: { code: string }; met: boolean | null; gapPoints: number | null }) => [t.target.code, t.met, t.gapPoints]))
      .toEqual([['NQ17-2020-LEVEL4', null, null]]);
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

  it('a target is in force from its period start through its deadline, both included', () => {
    const nq17 = { periodStart: '2019-03-07', deadline: '2020-12-31' };
    expect(['2019-03-06', '2019-03-07', '2020-12-31', '2021-01-01'].map((d) => inForceOn(nq17, d))).toEqual([false, true, true, false]);
    // Without a period start: every date up to the deadline.
    expect(['1990-01-01', '2021-09-10', '2021-09-11'].map((d) => inForceOn({ periodStart: undefined, deadline: '2021-09-10' }, d))).toEqual([true, true, false]);
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
    // Its plan of 20 September was not known on the 15th: no document, no issue date, as of then.
    expect(overdue.units.find((u: { unit: { code: string } }) => u.unit.code === '11')).toMatchObject({ documentNumber: null, issuedOn: null });
  });

  it('later: issued late, and ministries in the default scope', async () => {
    const c = await pc({ y: 2021, a: '2021-10-05' });
    // 63 provinces + 22 ministries existing in 2021; 01 on time, 11 late, 04 overdue by 4 days.
    expect(c.kinds).toEqual(['PROVINCE', 'MINISTRY']);
    expect(c.counts).toEqual({ units: 85, issued: 2, issuedOnTime: 1, issuedLate: 1, overdue: 83, pending: 0 });
    const late = await pc({ y: 2021, a: '2021-10-05', s: ['ISSUED_LATE'] });
    expect(late.units.map((u: { unit: { code: string } }) => u.unit.code)).toEqual(['11']);
  });

  it('plan issuance as a KPI, judged on the deadline and not after it', async () => {
    // On the deadline (10 September 2021): Hà Nội issued on 1 August, Điện Biên not yet (20 September).
    const onTime = await kpi({ i: 'PLAN_ISSUED', u: '01', a: '2021-09-10', n: 0 });
    expect(onTime.targets.map((t: { target: { code: string }; met: boolean; gapPoints: number }) => [t.target.code, t.met, t.gapPoints])).toEqual([['PLAN-2021', true, 0]]);
    const notYet = await kpi({ i: 'PLAN_ISSUED', u: '11', a: '2021-09-10', n: 0 });
    expect([notYet.value, notYet.numerator, notYet.denominator]).toEqual([0, 0, 1]);
    expect(notYet.targets.map((t: { target: { code: string }; met: boolean; gapPoints: number }) => [t.target.code, t.met, t.gapPoints])).toEqual([['PLAN-2021', false, 100]]);
    // Later the plan is there, issued late: the value counts it, the ended target no longer judges it.
    const k = await kpi({ i: 'PLAN_ISSUED', u: '11', a: '2021-10-05', n: 0 });
    expect([k.value, k.numerator, k.denominator]).toEqual([1, 1, 1]);
    expect([k.targets, k.targetsNotInForce]).toEqual([[], [{ code: 'PLAN-2021' }]]);
    const nation = await kpi({ i: 'PLAN_ISSUED', u: 'VN', a: '2021-10-05', n: 0 });
    expect([nation.numerator, nation.denominator]).toEqual([2, 85]);
  });
});
