import { rebuildRollups, refreshRollups, ROLLUPS } from '../../src/aggregates/rollup.service';
import { IngestService } from '../../src/ingest/ingest.service';
import { startTestGateway, TestGateway } from '../support/harness';
import { AGGREGATE, AggregateOut, loadFixture } from './fixture';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await loadFixture(gw.db);
});
afterAll(() => gw?.stop());

const snapshot = async () => {
  const out: Record<string, string[]> = {};
  for (const r of ROLLUPS) out[r.table] = (await gw.db.sql.query<{ t: string }>(`SELECT x::text AS t FROM ${r.table} x ORDER BY 1`)).map((x) => x.t);
  return out;
};

describe('rollups', () => {
  const Q = { measures: ['DOSSIERS_RECEIVED', 'LEVEL4_SHARE'], groupBy: ['UNIT'], period: { from: '2025-06', to: '2025-09' }, levels: 'MAPPED_TO_DECREE42' };
  const both = async () => {
    const [a, b] = await Promise.all([true, false].map((preferRollups) => gw.gql<{ aggregate: AggregateOut }>(AGGREGATE, { q: { ...Q, preferRollups } })));
    expect({ ...a.data!.aggregate, answeredFromRollups: null }).toEqual({ ...b.data!.aggregate, answeredFromRollups: null });
    return a.data!.aggregate;
  };

  it('stays exact while facts change: base tables answer until a refresh, which equals a full rebuild', async () => {
    const [src] = await gw.db.sql.query<{ id: number }>(`INSERT INTO source (code, name, kind, precedence) VALUES ('push-test', 'Push', 'push', 60) RETURNING id`);
    const batch = {
      services: [{ unit: '11', procedure: 'Q04', taxonomy: 'decree42', level: 'full', from: '2025-09-01', integratedNational: true }],
      filings: [
        { unit: '01', procedure: 'P1', month: '2025-09', received: 70, receivedOnline: 60, resolvedOnTime: 50, resolvedLate: 5 },
        // A correction of old 72's June figures by a higher-precedence source.
        { unit: '72', procedure: 'P1', month: '2025-06', received: 90, receivedOnline: 50, resolvedOnTime: 70, resolvedLate: 20, withFee: 40, paidOnline: 40, syncedNational: 60 },
      ],
    };
    expect((await both()).answeredFromRollups).toBe(true);
    // The ingest core refreshes the rollups in its own transaction: nothing is left dirty.
    await new IngestService(gw.db.sql).ingest(batch, { sourceId: src.id, kind: 'push', maxRows: 1000 });
    expect(await gw.db.sql.query('SELECT * FROM rollup_dirty')).toEqual([]);
    const after = await both();
    expect(after.answeredFromRollups).toBe(true);
    // 72 in June: 90 (corrected) instead of 80; Điện Biên on 30 September: 4 full of 10.
    expect(after.rows.find((x) => x.dimensions.unit!.code === '72')!.measures[0].value).toBe(90);
    expect(after.rows.find((x) => x.dimensions.unit!.code === '11')!.measures[1]).toMatchObject({ numerator: 4, denominator: 10 });
    expect(after.sources.map((s) => s.code)).toEqual(['fixture', 'push-test']);
    expect(after.coverage.lastMonthWithData).toBe('2025-09');

    // A writer outside the ingest core (here raw SQL): the triggers list what changed, and the
    // base tables answer until a refresh.
    await gw.db.sql.query(`UPDATE filing_stat SET received = 95 WHERE received = 90 AND month = '2025-06-01'`);
    const [dirty] = await gw.db.sql.query<{ n: string }>('SELECT count(*) AS n FROM rollup_dirty');
    expect(Number(dirty.n)).toBeGreaterThan(0);
    const stale = await both();
    expect(stale.answeredFromRollups).toBe(false);
    expect(stale.rows.find((x) => x.dimensions.unit!.code === '72')!.measures[0].value).toBe(95);

    // Refreshing what the triggers listed empties the list; rollups answer the same.
    const result = await refreshRollups(gw.db.sql);
    expect(result.filingRows).toBeGreaterThan(0);
    const fresh = await both();
    expect(fresh.answeredFromRollups).toBe(true);
    expect({ ...fresh, answeredFromRollups: null }).toEqual({ ...stale, answeredFromRollups: null });
    const incremental = await snapshot();
    await rebuildRollups(gw.db.sql);
    expect(await snapshot()).toEqual(incremental);
  });

  it('an explicit refresh of months and units covers what it names', async () => {
    const [src] = await gw.db.sql.query<{ id: number }>(`SELECT id FROM source WHERE code = 'push-test'`);
    await new IngestService(gw.db.sql).ingest({
      filings: [{ unit: '01', procedure: 'P2', month: '2025-09', received: 12, receivedOnline: 12 }],
    }, { sourceId: src.id, kind: 'push', maxRows: 1000 });
    const [hn] = await gw.db.sql.query<{ id: number }>(`SELECT id FROM unit WHERE code = '01'`);
    await refreshRollups(gw.db.sql, { months: ['2025-09'], unitIds: [hn.id], services: false });
    expect(await gw.db.sql.query('SELECT * FROM rollup_dirty')).toEqual([]);
    expect((await both()).answeredFromRollups).toBe(true);
    const incremental = await snapshot();
    await rebuildRollups(gw.db.sql);
    expect(await snapshot()).toEqual(incremental);
  });

  it('rollups and base tables agree on every shape the rollups cover', async () => {
    const shapes: Record<string, unknown>[] = [];
    const dimsList = [[], ['UNIT'], ['PROVINCE', 'PERIOD'], ['UNIT_KIND'], ['SECTOR', 'ESSENTIAL'], ['ELIGIBLE', 'UNIT'], ['LEVEL', 'PROVINCE']];
    for (const groupBy of dimsList) {
      for (const unitView of ['AS_REPORTED', 'CURRENT_UNITS']) {
        for (const unitTier of ['PROVINCE', 'NATION', 'MINISTRY']) {
          const flows = groupBy.includes('LEVEL') ? [] : ['DOSSIERS_RECEIVED', 'ONLINE_DOSSIER_RATE', 'ON_TIME_RATE', 'ONLINE_PAYMENT_RATE', 'DOSSIERS_SYNCED'];
          shapes.push({
            measures: [...flows, 'LEVEL4_SHARE', 'LEVEL34_SHARE', 'DVCQG_INTEGRATION'], groupBy, unitView, unitTier, levels: 'MAPPED_TO_DECREE42',
            period: { from: '2025-04', to: '2025-09' }, periodGrain: 'QUARTER',
          });
        }
      }
    }
    shapes.push(
      { measures: ['SERVICES', 'LEVEL4_SHARE'], groupBy: ['UNIT'], asOf: '2024-06-30', levels: 'DECREE43' },
      { measures: ['SERVICES', 'LEVEL4_SHARE'], groupBy: ['LEVEL'], asOf: '2025-07-15', levels: 'MAPPED_TO_DECREE43', unitView: 'CURRENT_UNITS', filter: { eligible: true } },
      { measures: ['DOSSIERS_RECEIVED'], groupBy: ['SECTOR'], filter: { provinceCodes: ['80'], sectorCodes: ['HT'] }, unitView: 'CURRENT_UNITS' },
      { measures: ['DOSSIERS_RECEIVED', 'SERVICES'], groupBy: ['UNIT'], filter: { unitCodes: ['80'], unitsAt: '2025-06-30', unitKinds: ['PROVINCE'] }, levels: 'DECREE42' },
      { measures: ['ON_TIME_RATE'], groupBy: ['UNIT'], having: [{ measure: 'ON_TIME_RATE', op: 'GT', value: 0.8 }], orderBy: [{ measure: 'ON_TIME_RATE', direction: 'DESC' }] },
    );
    for (const q of shapes) {
      const [a, b] = await Promise.all([true, false].map((preferRollups) => gw.gql<{ aggregate: AggregateOut }>(AGGREGATE, { q: { ...q, preferRollups } })));
      expect(a.errors).toBeUndefined();
      expect(b.errors).toBeUndefined();
      expect(a.data!.aggregate.answeredFromRollups).toBe(true);
      expect({ ...a.data!.aggregate, answeredFromRollups: null }).toEqual({ ...b.data!.aggregate, answeredFromRollups: null });
    }
  });

  it('falls back to base tables for what the rollups do not cover', async () => {
    for (const q of [
      // PROCEDURE alone and the commune tier have rollups (test/aggregates/shape-rollups.test.ts); these combinations do not.
      { measures: ['DOSSIERS_RECEIVED'], groupBy: ['PROCEDURE', 'PROVINCE'] },
      { measures: ['DOSSIERS_RECEIVED'], groupBy: ['UNIT', 'SECTOR'], unitTier: 'COMMUNE' },
      { measures: ['DOSSIERS_RECEIVED'], groupBy: ['LEVEL'], levels: 'DECREE42' },
      // Services with online filings have a rollup by top-level unit (shape-rollups.test.ts), not by sector.
      { measures: ['SERVICES_WITH_ONLINE_FILINGS'], groupBy: ['SECTOR'], period: { from: '2025-06', to: '2025-06' }, levels: 'DECREE42' },
    ]) {
      const res = await gw.gql<{ aggregate: AggregateOut }>(AGGREGATE, { q });
      expect(res.errors).toBeUndefined();
      expect(res.data!.aggregate.answeredFromRollups).toBe(false);
    }
  });
});
