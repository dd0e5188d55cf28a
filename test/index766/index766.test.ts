import { loadIndex766Weights } from '../../src/index766/index766.service';
import { startTestGateway, TestGateway } from '../support/harness';
import { loadIndexHandFixture } from './hand-fixture';

/**
 * The Decision 766 index on a hand-made example, every number by hand. June 2025; levels under
 * Decree 42 (MAPPED_TO_DECREE42), on 30 June 2025.
 *
 * Hà Nội (01) and Cao Bằng (04), identical: P1 full (integrated on DVCQG), P2 partial (not
 * integrated); June: 100 received, 60 online, 72 on time, 8 late, 40 with a fee, 30 paid online,
 * 90 synced to DVCQG, all on P1. Điện Biên (11): P1 partial (integrated); 50 received, 10 online,
 * 30 on time, 20 late, 10 with a fee, 2 paid online, 25 synced.
 *
 *   criterion (max)                          01 and 04                11
 *   dossiers synced to DVCQG (8)             90/100 · 8 = 7.2         25/50 · 8 = 4
 *   services integrated on DVCQG (6)         1/2 · 6 = 3              1/1 · 6 = 6
 *   resolved on time (20)                    72/80 · 20 = 18          30/50 · 20 = 12
 *   full-online services (4)                 1/2 · 4 = 2              0/1 · 4 = 0
 *   online services with online filings (4)  1/2 · 4 = 2              1/1 · 4 = 4
 *   online dossiers (8)                      60/100 · 8 = 4.8         10/50 · 8 = 1.6
 *   online payments (6)                      30/40 · 6 = 4.5          2/10 · 6 = 1.2
 *   total (of 56 computed points)            41.5, rank 1 (tied)      28.8, rank 3
 */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await loadIndexHandFixture(gw.db);
});
afterAll(() => gw?.stop());

const Q = `query($p: String!, $t: UnitKind) { index766(period: $p, tier: $t) {
  tier period { grain label start end } supportedMaxPoints weightsConfirmed
  notSupported { group criterion maxPoints reason }
  units { unit { code } total coveredMaxPoints rank published { total rank }
    groups { code maxPoints points coveredMaxPoints publishedPoints
      criteria { code maxPoints pointsConfirmed status reason rate numerator denominator points } } }
  sources { code } } }`;

interface Criterion { code: string; status: string; rate: number | null; numerator: number | null; denominator: number | null; points: number | null; reason: string | null }
interface Unit { unit: { code: string }; total: number; coveredMaxPoints: number; rank: number | null; groups: { code: string; points: number; coveredMaxPoints: number; criteria: Criterion[] }[] }

describe('index766', () => {
  it('scores each computable criterion by its rule, groups and totals them, and ranks with ties', async () => {
    const res = await gw.gql(Q, { p: '2025-06' });
    expect(res.errors).toBeUndefined();
    const r = res.data.index766;
    expect(r.period).toEqual({ grain: 'MONTH', label: '2025-06', start: '2025-06-01', end: '2025-06-30' });
    expect(r.supportedMaxPoints).toBe(56);
    expect(r.weightsConfirmed).toBe(false);
    expect(r.sources).toEqual([{ code: 'hand' }]);
    const units = r.units as Unit[];
    expect(units.slice(0, 3).map((u) => [u.unit.code, u.total, u.coveredMaxPoints, u.rank])).toEqual([['01', 41.5, 56, 1], ['04', 41.5, 56, 1], ['11', 28.8, 56, 3]]);
    // Provinces without figures: no computed criterion, no rank, listed last.
    expect(units.slice(3).every((u) => u.rank === null && u.total === 0 && u.coveredMaxPoints === 0)).toBe(true);
    // June 2025 is before the reform: the 63 provinces of the time.
    expect(units).toHaveLength(63);

    const hanoi = units[0];
    const crit = (u: Unit, code: string) => u.groups.flatMap((g) => g.criteria).find((c) => c.code === code)!;
    // The decision's rule for progress: the rate of dossiers resolved before or on time, up to 20 points.
    expect(crit(hanoi, 'resolved_on_time')).toMatchObject({ status: 'COMPUTED', rate: 0.9, numerator: 72, denominator: 80, points: 18 });
    expect(hanoi.groups.map((g) => [g.code, g.points, g.coveredMaxPoints])).toEqual([
      ['transparency', 10.2, 14], ['progress', 18, 20], ['digitisation', 0, 0], ['online_services', 13.3, 22], ['satisfaction', 0, 0],
    ]);
    expect(['dossiers_synced_national', 'services_integrated_national', 'full_online_services', 'online_services_with_filings', 'online_dossiers', 'online_payments']
      .map((c) => [c, crit(hanoi, c).numerator, crit(hanoi, c).denominator, crit(hanoi, c).points])).toEqual([
      ['dossiers_synced_national', 90, 100, 7.2], ['services_integrated_national', 1, 2, 3], ['full_online_services', 1, 2, 2],
      ['online_services_with_filings', 1, 2, 2], ['online_dossiers', 60, 100, 4.8], ['online_payments', 30, 40, 4.5],
    ]);
    const dienBien = units[2];
    expect(crit(dienBien, 'full_online_services')).toMatchObject({ status: 'COMPUTED', rate: 0, points: 0 });
    expect(crit(dienBien, 'online_payments')).toMatchObject({ numerator: 2, denominator: 10, points: 1.2 });
    // A province without figures: computable criteria are NO_DATA, not zero points.
    expect(crit(units[3], 'online_dossiers')).toMatchObject({ status: 'NO_DATA', points: null });
  });

  it('lists the criteria the data cannot support, with the reason, in every unit and once for the answer', async () => {
    const r = (await gw.gql(Q, { p: '2025-Q2' })).data.index766;
    const expected = ['procedures_published_on_time', 'dossiers_digitised', 'electronic_results', 'digitised_data_reused', 'feedback_on_time', 'feedback_satisfaction', 'procedure_satisfaction'];
    expect(r.notSupported.map((n: { criterion: string }) => n.criterion)).toEqual(expected);
    expect(r.notSupported.every((n: { reason: string }) => n.reason.length > 20)).toBe(true);
    expect(r.notSupported.reduce((s: number, n: { maxPoints: number }) => s + n.maxPoints, 0)).toBe(44);
    const hanoi = (r.units as Unit[]).find((u) => u.unit.code === '01')!;
    const unsupported = hanoi.groups.flatMap((g) => g.criteria).filter((c) => c.status === 'NOT_SUPPORTED');
    expect(unsupported.map((c) => c.code)).toEqual(expected);
    expect(unsupported.every((c) => c.points === null && c.rate === null && c.reason !== null)).toBe(true);
    // The quarter holds June's figures only (April and May have none): the same points.
    expect([hanoi.total, hanoi.rank]).toEqual([41.5, 1]);
  });

  it('names the field of a bad question', async () => {
    const fields = async (vars: Record<string, unknown>) => (await gw.gql(Q, vars)).errors?.[0].extensions?.problems?.map((p) => p.field);
    expect(await fields({ p: '2025-13' })).toEqual(['period']);
    expect(await fields({ p: 'June 2025' })).toEqual(['period']);
    expect(await fields({ p: '2022-05' })).toEqual(['period']); // before the decision
    expect(await fields({ p: '2099' })).toEqual(['period']);
    expect(await fields({ p: '2025-06', t: 'COMMUNE' })).toEqual(['tier']);
  });

  it('the weights are data: every group adds up to its maximum, the groups to 100', () => {
    const w = loadIndex766Weights();
    expect(w.groups.map((g) => [g.code, g.maxPoints])).toEqual([['transparency', 18], ['progress', 20], ['digitisation', 22], ['online_services', 22], ['satisfaction', 18]]);
    expect(w.decision).toMatchObject({ number: '766/QĐ-TTg', date: '2022-06-23' });
  });
});
