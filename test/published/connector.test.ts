import { EntityManager } from '@mikro-orm/postgresql';
import { monthIndex } from '../../src/simulator/calendar.util';
import { monthlyReport } from '../../src/simulator/published-report';
import { SCALES } from '../../src/simulator/simulator.types';
import { PublishedService } from '../../src/published/published.service';
import { UnitView } from '../../src/aggregates/dimensions';
import { syncWorld, SyncWorld } from '../sync/helpers';

/**
 * The national portal's monthly reports, synced by the DVCQG connector (part `published`) with
 * the detail they summarise (part `filings`), then reconciled: every stated rate the simulator
 * derived from its counts is within the tolerance (rounding to 0.01 point), every rate it
 * misreported on purpose is beyond it, and the computed side has exactly the simulator's counts.
 */
let w: SyncWorld;
beforeAll(async () => {
  w = await syncWorld(
    [{ code: 'dvcqg', kind: 'dvcqg' as never, options: { from: '2025-10', parts: ['catalogue', 'filings', 'published'] } }],
    { scale: { ...SCALES.small, name: 'feed-provinces', oldProvinces: SCALES.small.feedProvinces } },
  );
});
afterAll(() => w?.stop());

describe('published figures from the national portal', () => {
  it('syncs the monthly reports and reconciles each with the detail', async () => {
    const outcome = await w.sync.sync('dvcqg');
    expect(outcome.error).toBeUndefined();
    expect(outcome.status).toBe('succeeded');
    const world = w.sim.world;
    const months = [monthIndex(2025, 10), monthIndex(2025, 11), monthIndex(2025, 12)];
    const reports = months.map((m) => monthlyReport(world, m)!);
    const items = reports.flatMap((r) => r.items.map((i) => ({ ...i, report: r })));
    const [{ n }] = await w.db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM published_indicator`);
    expect(Number(n)).toBe(items.length);
    expect(items.some((i) => i.misreported)).toBe(true);

    const service = new PublishedService(w.db.sql, w.db.orm.em.fork() as EntityManager, 10_000);
    const agencies = [...new Set(items.map((i) => i.agency.code))];
    let checked = 0;
    for (const code of agencies) {
      const answer = await service.publishedVsComputed({ unitCode: code, period: { from: '2025-10', to: '2025-12' }, unitView: UnitView.AS_REPORTED }, 0.1);
      const mine = items.filter((i) => i.agency.code === code);
      expect(answer.comparisons).toHaveLength(mine.length);
      for (const c of answer.comparisons) {
        const item = mine.find((i) => i.indicator === c.indicator.toLowerCase() && i.report.document.number === c.document.number)!;
        expect({ code, indicator: c.indicator, label: c.period.label, published: c.published, numerator: c.numerator, denominator: c.denominator, beyond: c.beyondTolerance })
          .toEqual({ code, indicator: c.indicator, label: c.period.label, published: item.value, numerator: item.numerator, denominator: item.denominator, beyond: item.misreported });
        expect(c.document).toEqual(item.report.document);
        // Rounding to four decimals moves a rate by at most 0.005 point; a misreport by 1 to 4 points.
        if (item.misreported) expect(Math.abs(c.differencePoints!)).toBeGreaterThanOrEqual(0.995);
        else expect(Math.abs(c.differencePoints!)).toBeLessThanOrEqual(0.005);
        checked++;
      }
    }
    expect(checked).toBe(items.length);
  });

  it('a second sync writes nothing', async () => {
    const again = await w.sync.sync('dvcqg', { full: true });
    expect(again).toMatchObject({ status: 'succeeded', rowsWritten: 0 });
  });
});
