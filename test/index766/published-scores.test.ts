import { EntityManager } from '@mikro-orm/postgresql';
import { Index766Service } from '../../src/index766/index766.service';
import { Index766Unit } from '../../src/index766/index766.types';
import { competitionRanks, indexScores, IndexScore, IndexTier } from '../../src/simulator/index766-scores';
import { agencyCounts } from '../../src/simulator/published-report';
import { monthFirstIso, monthIndex } from '../../src/simulator/calendar.util';
import { resolvePeriod, Period } from '../../src/simulator/statistics.aggregator';
import { SCALES } from '../../src/simulator/simulator.types';
import { UnitKind } from '../../src/units/unit.entity';
import { syncWorld, SyncWorld } from '../sync/helpers';

/**
 * The national portal's own Decision 766 scores, served by the simulator (POST reporting/index766)
 * and synced by the DVCQG connector (part index766) beside the detail it scores (catalogue,
 * levels, filings) from October 2025: three months, the fourth quarter and the year 2025, for the
 * provinces (the feed provinces' world) and the ministries.
 */
let w: SyncWorld;
let firstRun: number;
const PERIODS: [string, Period][] = [
  ['2025-10', resolvePeriod('month', 2025, null, 10) as Period],
  ['2025-11', resolvePeriod('month', 2025, null, 11) as Period],
  ['2025-12', resolvePeriod('month', 2025, null, 12) as Period],
  ['2025-Q4', resolvePeriod('quarter', 2025, 4, null) as Period],
  ['2025', resolvePeriod('year', 2025, null, null) as Period],
];
const TIERS: IndexTier[] = ['province', 'ministry'];

beforeAll(async () => {
  w = await syncWorld(
    [{ code: 'dvcqg', kind: 'dvcqg' as never, options: { from: '2025-10', index766From: '2025-10', parts: ['catalogue', 'levels', 'filings', 'index766'] } }],
    { scale: { ...SCALES.small, name: 'feed-provinces', oldProvinces: SCALES.small.feedProvinces } },
  );
  const outcome = await w.sync.sync('dvcqg');
  expect(outcome.error).toBeUndefined();
  expect(outcome.status).toBe('succeeded');
  firstRun = outcome.runId!;
}, 300_000);
afterAll(() => w?.stop());

interface Row { unit: string; valid_from: string | null; grain: string; start: string; component: string; points: number; rank: number | null; source: string; run_id: number }
const rows = () => w.db.sql.query<Row>(
  `SELECT u.code AS unit, to_char(u.valid_from, 'YYYY-MM-DD') AS valid_from, s.period_grain AS grain, to_char(s.period_start, 'YYYY-MM-DD') AS start,
          s.component, s.points::float AS points, s.rank, src.code AS source, s.run_id
   FROM published_index_score s JOIN unit u ON u.id = s.unit_id JOIN source src ON src.id = s.source_id
   ORDER BY s.period_grain, s.period_start, u.code, u.valid_from, s.component`,
);
const served = (label: string, tier: IndexTier): readonly IndexScore[] => indexScores(w.sim.world, PERIODS.find(([l]) => l === label)![1], tier)!;
const startOf = (label: string) => PERIODS.find(([l]) => l === label)![1];
const isoStart = (label: string) => monthFirstIso(startOf(label).fromMonth);
const stored = (all: Row[], unit: string, label: string, component: string) =>
  all.filter((r) => r.unit === unit && r.start === isoStart(label) && r.grain === startOf(label).timeType && r.component === component);

describe('the portal\'s Decision 766 scores, synced from the simulator', () => {
  it('stores the simulator\'s own numbers (units and groups picked by hand), with provenance', async () => {
    const all = await rows();
    // Every agency of every period: five groups and the total each.
    const expected = PERIODS.reduce((n, [label]) => n + TIERS.reduce((k, t) => k + served(label, t).length * 6, 0), 0);
    expect(all).toHaveLength(expected);
    expect(new Set(all.map((r) => `${r.source}/${r.run_id}`))).toEqual(new Set([`dvcqg/${firstRun}`]));

    // Tây Ninh (80), November 2025: the new province (from 2025-07-01), its progress, satisfaction and total.
    const tayNinh = served('2025-11', 'province').find((s) => s.agency.code === '80')!;
    const group = (s: IndexScore, code: string) => s.groups.find((g) => g.code === code)!.points;
    for (const c of ['progress', 'satisfaction']) expect(stored(all, '80', '2025-11', c).map((r) => [r.valid_from, r.points, r.rank])).toEqual([['2025-07-01', group(tayNinh, c), null]]);
    expect(stored(all, '80', '2025-11', 'total').map((r) => [r.points, r.rank])).toEqual([[tayNinh.total, tayNinh.rank]]);
    // Its progress is the decision's rule on the world's own counts: on time / resolved × 20 (plus any misstatement).
    const c = agencyCounts(w.sim.world, monthIndex(2025, 11)).get(tayNinh.agency.key)!;
    const byHand = Math.round((c.onTime / (c.onTime + c.overdue)) * 20 * 100) / 100 + (tayNinh.misstated?.group === 'progress' ? tayNinh.misstated.by : 0);
    expect(group(tayNinh, 'progress')).toBeCloseTo(byHand, 10);

    // Bộ Tài chính (BTC), the fourth quarter: every group, the total and the rank.
    const btc = served('2025-Q4', 'ministry').find((s) => s.agency.code === 'BTC')!;
    for (const g of btc.groups) expect(stored(all, 'BTC', '2025-Q4', g.code).map((r) => r.points)).toEqual([g.points]);
    expect(stored(all, 'BTC', '2025-Q4', 'total').map((r) => [r.points, r.rank])).toEqual([[btc.total, btc.rank]]);
    // Cà Mau (96), the year 2025: scored over the new province's months (July to December).
    const caMau = served('2025', 'province').find((s) => s.agency.code === '96')!;
    expect([caMau.fromMonth, caMau.toMonth]).toEqual([monthIndex(2025, 7), monthIndex(2025, 12)]);
    expect(stored(all, '96', '2025', 'total').map((r) => [r.valid_from, r.points, r.rank])).toEqual([['2025-07-01', caMau.total, caMau.rank]]);
    // The groups add up to the total, as the portal prints them.
    expect(Math.round(caMau.groups.reduce((s, g) => s + g.points, 0) * 100) / 100).toBe(caMau.total);
  });

  it('serves the scores paged, behind the token, refusing a bad question', async () => {
    const url = `${w.sim.url}/dvcqg/api/v1/reporting/index766`;
    const post = async (body: Record<string, unknown>, token = 'sim-dvcqg-token') => {
      const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { success: boolean; data: { evaluated: boolean; totalPages: number; totalRecords: number; items: { agencyCode: string; rank: number; rankedAmong: number }[] }; error?: { code: string } } };
    };
    const q4 = { timeType: 'quarter', year: 2025, quarter: 4, agencyType: 'province' };
    const pages = [await post({ ...q4, pageSize: 4, currentPage: 1 }), await post({ ...q4, pageSize: 4, currentPage: 2 })];
    const provinces = served('2025-Q4', 'province');
    expect(pages[0].body.data).toMatchObject({ evaluated: true, totalRecords: provinces.length, totalPages: Math.ceil(provinces.length / 4) });
    expect(pages.flatMap((p) => p.body.data.items.map((i) => [i.agencyCode, i.rank, i.rankedAmong])))
      .toEqual(provinces.slice(0, 8).map((s) => [s.agency.code, s.rank, provinces.length]));
    // Both tiers when agencyType is omitted, ministries first.
    const both = await post({ timeType: 'month', year: 2025, month: 11, pageSize: 5000 });
    expect(both.body.data.totalRecords).toBe(served('2025-11', 'province').length + served('2025-11', 'ministry').length);
    expect(both.body.data.items[0].agencyCode).toBe(served('2025-11', 'ministry')[0].agency.code);
    // Not evaluated: before July 2022, or not ended by the clock (2025-12).
    for (const body of [{ timeType: 'month', year: 2022, month: 6 }, { timeType: 'year', year: 2022 }, { timeType: 'month', year: 2026, month: 1 }]) {
      expect((await post(body)).body.data).toMatchObject({ evaluated: false, totalRecords: 0, items: [] });
    }
    expect((await post(q4, 'wrong')).status).toBe(401);
    for (const bad of [{ ...q4, agencyType: 'commune' }, { ...q4, quarter: 5 }, { ...q4, pageSize: 0 }]) {
      expect(await post(bad)).toMatchObject({ status: 400, body: { success: false, error: { code: 'BAD_REQUEST' } } });
    }
  });

  it('ranks by total with ties sharing a rank', async () => {
    // By hand: 91.25 first, the two 80.5 share second, 70 is fourth.
    expect(competitionRanks([80.5, 91.25, 80.5, 70])).toEqual([2, 1, 2, 4]);
    // Every stored rank is 1 + the agencies of its tier and period with a higher total.
    const totals = (await rows()).filter((r) => r.component === 'total');
    const tierOf = new Map(w.sim.world.units.map((u) => [u.code, u.kind]));
    for (const r of totals) {
      const peers = totals.filter((o) => o.grain === r.grain && o.start === r.start && tierOf.get(o.unit) === tierOf.get(r.unit));
      expect([r.unit, r.start, r.rank]).toEqual([r.unit, r.start, 1 + peers.filter((o) => o.points > r.points).length]);
    }
  });

  it('index766 shows each published score beside the computed one, the difference exact', async () => {
    const service = new Index766Service(w.db.sql, w.db.orm.em.fork() as EntityManager, 30_000);
    let compared = 0;
    let misstated = 0;
    for (const label of ['2025-10', '2025-11', '2025-12']) {
      for (const tier of TIERS) {
        const answer = await service.index({ tier: tier === 'province' ? UnitKind.PROVINCE : UnitKind.MINISTRY, period: label });
        for (const s of served(label, tier)) {
          const u = answer.units.find((x: Index766Unit) => x.unit.code === s.agency.code && x.published !== null)!;
          expect(u.published).toMatchObject({ total: s.total, rank: s.rank });
          expect(u.published!.source.code).toBe('dvcqg');
          // The computed rank stands beside the portal's.
          expect(u.rank === null || Number.isInteger(u.rank)).toBe(true);
          for (const g of u.groups) {
            const portal = s.groups.find((x) => x.code === g.code)!.points;
            expect(g.publishedPoints).toBe(portal);
            expect(g.differencePoints).toBe(Math.round((portal - g.points) * 100) / 100);
          }
          // Progress and online services are computed in full from the synced filings and levels: the only difference is the portal's misstatement.
          for (const code of ['progress', 'online_services']) {
            const g = u.groups.find((x) => x.code === code)!;
            expect(g.fullyComputed).toBe(true);
            expect([s.agency.code, label, code, g.differencePoints]).toEqual([s.agency.code, label, code, s.misstated?.group === code ? s.misstated.by : 0]);
          }
          expect(u.published!.differencePoints).toBe(Math.round((s.total - u.total) * 100) / 100);
          if (s.misstated) misstated++;
          compared++;
        }
      }
    }
    expect(compared).toBe(['2025-10', '2025-11', '2025-12'].reduce((n, l) => n + served(l, 'province').length + served(l, 'ministry').length, 0));
    expect(misstated).toBeGreaterThan(0);
  }, 120_000);

  it('a second sync writes nothing, through the portal\'s faults', async () => {
    const before = await rows();
    // A 503, then a page served twice (the answer names another period): each retried.
    const path = '/dvcqg/api/v1/reporting/index766';
    w.sim.faults.add([{ kind: 'status', status: 503, pathPrefix: path, skip: 2 }, { kind: 'repeat-page', pathPrefix: path, skip: 6 }]);
    const again = await w.sync.sync('dvcqg', { full: true });
    expect(again).toMatchObject({ status: 'succeeded', rowsWritten: 0 });
    expect(w.sim.faults.hits().map((h) => h.kind)).toEqual(['status', 'repeat-page']);
    expect(await rows()).toEqual(before);
  }, 300_000);

  it('a re-scored period is a correction: the old score is kept in fact_revision', async () => {
    const before = await rows();
    // A month later, dossiers of November and December still open are resolved: the portal re-scores them.
    w.sim.world.advance(1);
    const outcome = await w.sync.sync('dvcqg');
    expect(outcome.status).toBe('succeeded');
    const after = await rows();
    const key = (r: Row) => `${r.unit}|${r.valid_from}|${r.grain}|${r.start}|${r.component}`;
    const old = new Map(before.map((r) => [key(r), r]));
    const changed = after.filter((r) => old.has(key(r)) && (old.get(key(r))!.points !== r.points || old.get(key(r))!.rank !== r.rank));
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((r) => r.run_id === outcome.runId)).toBe(true);
    const revisions = await w.db.sql.query<{ unit: string; valid_from: string | null; grain: string; start: string; component: string; points: number; rank: number | null }>(
      `SELECT u.code AS unit, to_char(u.valid_from, 'YYYY-MM-DD') AS valid_from, r.fact_key->>'periodGrain' AS grain, r.fact_key->>'periodStart' AS start,
              r.fact_key->>'component' AS component, (r.value->>'points')::float AS points, (r.value->>'rank')::int AS rank
       FROM fact_revision r JOIN unit u ON u.id = (r.fact_key->>'unitId')::int
       WHERE r.fact_type = 'published_index_score' AND r.reason = 'corrected' AND r.run_id = $1`,
      [outcome.runId],
    );
    // One revision per changed score, holding exactly what was stored before.
    expect(revisions.map((r) => `${key(r as Row)}=${r.points}/${r.rank}`).sort())
      .toEqual(changed.map((r) => `${key(r)}=${old.get(key(r))!.points}/${old.get(key(r))!.rank}`).sort());
    // And the current rows are the simulator's new numbers; January 2026 is new.
    const tayNinh = indexScores(w.sim.world, PERIODS[2][1], 'province')!.find((s) => s.agency.code === '80')!;
    expect(stored(after, '80', '2025-12', 'total').map((r) => [r.points, r.rank])).toEqual([[tayNinh.total, tayNinh.rank]]);
    expect(after.some((r) => r.start === '2026-01-01' && r.grain === 'month')).toBe(true);
  }, 300_000);
});
