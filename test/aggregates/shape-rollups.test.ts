import { buildAggregateQuery } from '../../src/aggregates/aggregate-query.builder';
import { AggregateInput } from '../../src/aggregates/aggregate.inputs';
import { toSpec } from '../../src/aggregates/aggregate.service';
import { rebuildRollups, refreshRollups } from '../../src/aggregates/rollup.service';
import { IngestService } from '../../src/ingest/ingest.service';
import { startTestGateway, TestGateway } from '../support/harness';
import { AGGREGATE, AggregateOut, loadFixture, m, vnd } from './fixture';

/**
 * The rollups for issue 11's shapes (filing_rollup_procedure: national, by procedure;
 * filing_rollup_nation_sector: national, by sector, summed from it; filing_rollup_unit: by
 * reporting unit, for every tier): each answers its shapes exactly as the base tables do, and
 * follows the facts after an ingest.
 */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await loadFixture(gw.db);
});
afterAll(() => gw?.stop());

const MAY_AUG = { from: '2025-05', to: '2025-08' };
const FLOWS = ['DOSSIERS_RECEIVED', 'DOSSIERS_IN_PERSON', 'ONLINE_DOSSIER_RATE', 'ON_TIME_RATE', 'ONLINE_PAYMENT_RATE', 'DOSSIERS_SYNCED'];

/** Both engines' answers; they must agree but for answeredFromRollups, which must say the rollup answered. */
async function both(q: Record<string, unknown>, table: string): Promise<AggregateOut> {
  const [a, b] = await Promise.all([true, false].map((preferRollups) => gw.gql<{ aggregate: AggregateOut }>(AGGREGATE, { q: { ...q, preferRollups } })));
  expect(a.errors).toBeUndefined();
  expect(b.errors).toBeUndefined();
  expect({ q, table, fromRollups: a.data!.aggregate.answeredFromRollups }).toEqual({ q, table, fromRollups: true });
  expect(b.data!.aggregate.answeredFromRollups).toBe(false);
  expect({ ...a.data!.aggregate, answeredFromRollups: null }).toEqual({ ...b.data!.aggregate, answeredFromRollups: null });
  return a.data!.aggregate;
}

const received = (a: AggregateOut) => a.rows.map((r) => [r.dimensions.procedure?.code ?? r.dimensions.unit?.code ?? null, m(r, 'DOSSIERS_RECEIVED')!.value]);

const PROCEDURE_SHAPES: Record<string, unknown>[] = [
  { measures: FLOWS, groupBy: ['PROCEDURE'], period: MAY_AUG },
  { measures: FLOWS, groupBy: ['PROCEDURE', 'PERIOD'], periodGrain: 'QUARTER', period: { from: '2025-04', to: '2025-09' }, unitView: 'CURRENT_UNITS' },
  { measures: FLOWS, groupBy: ['PROCEDURE', 'UNIT_KIND'], period: MAY_AUG, unitView: 'CURRENT_UNITS' },
  { measures: FLOWS, groupBy: ['PROCEDURE', 'SECTOR', 'ESSENTIAL', 'ELIGIBLE'], period: MAY_AUG, filter: { unitKinds: ['PROVINCE'] } },
  { measures: ['DOSSIERS_RECEIVED'], groupBy: ['PROCEDURE'], filter: { procedureCodes: ['P1', 'P3'], eligible: true } },
  { measures: ['DOSSIERS_RECEIVED', 'ON_TIME_RATE'], groupBy: ['PROCEDURE'], having: [{ measure: 'ON_TIME_RATE', op: 'GT', value: 0.85 }], orderBy: [{ measure: 'ON_TIME_RATE', direction: 'DESC' }] },
];

const NATION_SECTOR_SHAPES: Record<string, unknown>[] = [
  { measures: FLOWS, groupBy: ['SECTOR', 'PERIOD'], periodGrain: 'MONTH', period: MAY_AUG },
  { measures: FLOWS, groupBy: ['SECTOR', 'ESSENTIAL', 'ELIGIBLE', 'UNIT_KIND'], period: MAY_AUG, unitView: 'CURRENT_UNITS' },
  { measures: FLOWS, groupBy: ['PERIOD'], periodGrain: 'QUARTER', period: { from: '2025-04', to: '2025-09' }, filter: { sectorCodes: ['HT'], essential: false } },
];

const UNIT_SHAPES: Record<string, unknown>[] = [
  { measures: FLOWS, groupBy: ['UNIT'], unitTier: 'COMMUNE', period: MAY_AUG },
  { measures: FLOWS, groupBy: ['UNIT', 'UNIT_KIND'], unitTier: 'COMMUNE', period: MAY_AUG, unitView: 'CURRENT_UNITS' },
  { measures: FLOWS, groupBy: ['UNIT', 'PROVINCE', 'PERIOD'], unitTier: 'COMMUNE', period: MAY_AUG, filter: { provinceCodes: ['80'], unitsAt: '2025-06-30' } },
  { measures: FLOWS, groupBy: ['UNIT'], unitTier: 'COMMUNE', period: MAY_AUG, filter: { unitCodes: ['27757'] }, unitView: 'CURRENT_UNITS' },
  { measures: FLOWS, groupBy: ['UNIT'], unitTier: 'DISTRICT', period: MAY_AUG },
  { measures: FLOWS, groupBy: ['UNIT'], unitTier: 'COMMUNE', includeEmptyUnits: true, filter: { provinceCodes: ['80'], unitsAt: '2025-06-30' }, period: { from: '2025-06', to: '2025-06' }, limit: 5000 },
];

describe('rollups for group by procedure and units below the top tier', () => {
  it('group by procedure reads the national procedure rollup, with the base tables\' answer (hand-checked)', async () => {
    for (const q of PROCEDURE_SHAPES) await both(q, 'filing_rollup_procedure');
    // May-August: P1 100+80+200+300+500 = 1180; P2 50+10+100 = 160; P3 40.
    const r = await both({ measures: ['DOSSIERS_RECEIVED', 'ON_TIME_RATE'], groupBy: ['PROCEDURE'], period: MAY_AUG }, 'filing_rollup_procedure');
    expect(received(r)).toEqual([['P1', 1180], ['P2', 160], ['P3', 40]]);
    // P2 on time 40+8+90 = 138 of 50+10+100 = 160.
    expect(m(r.rows[1], 'ON_TIME_RATE')).toEqual({ measure: 'ON_TIME_RATE', value: 138 / 160, numerator: 138, denominator: 160 });
    expect(r.sources.map((s) => s.code)).toEqual(['fixture']);
  });

  it('sector × month for the nation reads the national sector rollup (hand-checked)', async () => {
    for (const q of NATION_SECTOR_SHAPES) await both(q, 'filing_rollup_nation_sector');
    const r = await both({ measures: ['DOSSIERS_RECEIVED'], groupBy: ['SECTOR', 'PERIOD'], periodGrain: 'MONTH', period: { from: '2025-06', to: '2025-07' } }, 'filing_rollup_nation_sector');
    // June: HT 80+200+10+500 = 790 (P1, P2 at the commune), DD none; July: HT 300+100 = 400.
    expect(r.rows.map((x) => [x.dimensions.sector!.code, x.dimensions.period!.label, m(x, 'DOSSIERS_RECEIVED')!.value])).toEqual([
      ['HT', '2025-06', 790], ['HT', '2025-07', 400],
    ]);
  });

  it('the commune tier reads the unit rollup, partial merges flagged as on the base tables (hand-checked)', async () => {
    for (const q of UNIT_SHAPES) await both(q, 'filing_rollup_unit');
    const r = await both({ measures: ['DOSSIERS_RECEIVED'], groupBy: ['UNIT'], unitTier: 'COMMUNE', period: MAY_AUG, unitView: 'CURRENT_UNITS' }, 'filing_rollup_unit');
    // 27766's 10 go wholly to 27757 (flagged); everything filed above the tier is one row without a unit.
    expect(r.rows.map((x) => [x.dimensions.unit?.code ?? null, m(x, 'DOSSIERS_RECEIVED')!.value, x.includesPartialMerges])).toEqual([['27757', 10, true], [null, 1370, false]]);
  });

  it('a refresh after an ingest updates both, as a rebuild would', async () => {
    const [src] = await gw.db.sql.query<{ id: number }>(`INSERT INTO source (code, name, kind, precedence) VALUES ('shape-push', 'Push', 'push', 60) RETURNING id`);
    await new IngestService(gw.db.sql).ingest({
      filings: [
        { unit: '27766', procedure: 'P2', month: '2025-06', received: 30, receivedOnline: 20, resolvedOnTime: 25, resolvedLate: 5 },
        { unit: '27757', procedure: 'P3', month: '2025-08', received: 7, receivedOnline: 7, resolvedOnTime: 7 },
      ],
    }, { sourceId: src.id, kind: 'push', maxRows: 1000 });
    // The ingest refreshed in its transaction: nothing left stale, and the rollups answer with the new figures.
    expect(await gw.db.sql.query('SELECT * FROM rollup_dirty')).toEqual([]);
    const byProcedure = await both({ measures: ['DOSSIERS_RECEIVED'], groupBy: ['PROCEDURE'], period: MAY_AUG }, 'filing_rollup_procedure');
    // P2: 50 + 30 (the corrected commune row, was 10) + 100 = 180; P3: 40 + 7 = 47.
    expect(received(byProcedure)).toEqual([['P1', 1180], ['P2', 180], ['P3', 47]]);
    expect(byProcedure.sources.map((s) => s.code)).toEqual(['fixture', 'shape-push']);
    const communes = await both({ measures: ['DOSSIERS_RECEIVED'], groupBy: ['UNIT'], unitTier: 'COMMUNE', period: MAY_AUG }, 'filing_rollup_unit');
    expect(received(communes)).toEqual([['27757', 7], ['27766', 30], [null, 1370]]);

    // A writer outside the ingest core: base tables answer until a refresh of what the triggers listed.
    await gw.db.sql.query(`UPDATE filing_stat SET received = 9, received_online = 9, resolved_on_time = 9 WHERE received = 7 AND month = '2025-08-01'`);
    const stale = await gw.gql<{ aggregate: AggregateOut }>(AGGREGATE, { q: { measures: ['DOSSIERS_RECEIVED'], groupBy: ['PROCEDURE'], period: MAY_AUG } });
    expect(stale.data!.aggregate.answeredFromRollups).toBe(false);
    expect(received(stale.data!.aggregate)).toEqual([['P1', 1180], ['P2', 180], ['P3', 49]]);
    await refreshRollups(gw.db.sql);
    expect(received(await both({ measures: ['DOSSIERS_RECEIVED'], groupBy: ['PROCEDURE'], period: MAY_AUG }, 'filing_rollup_procedure')))
      .toEqual([['P1', 1180], ['P2', 180], ['P3', 49]]);

    expect(received(await both({ measures: ['DOSSIERS_RECEIVED'], groupBy: ['SECTOR'], period: MAY_AUG }, 'filing_rollup_nation_sector'))
      .map(([, v]) => v)).toEqual([49, 1180 + 180]);

    const snapshot = async () => Promise.all(['filing_rollup_procedure', 'filing_rollup_procedure_year', 'filing_rollup_nation_sector', 'filing_rollup_unit'].map((t) =>
      gw.db.sql.query<{ t: string }>(`SELECT x::text AS t FROM ${t} x ORDER BY 1`)));
    const incremental = await snapshot();
    await rebuildRollups(gw.db.sql);
    expect(await snapshot()).toEqual(incremental);
  });
});

/**
 * Services with online filings read service_stock_rollup_online_filings (service counts by the
 * last month with an online dossier), with the base tables' answer. Hand-checked from the fixture
 * (test/aggregates/fixture.ts; the ingests above touched communes only, which have no levels).
 */
describe('rollup for services with online filings', () => {
  const SWF = 'SERVICES_WITH_ONLINE_FILINGS';
  const JUN_JUL = { from: '2025-06', to: '2025-07' };
  const swf = (a: AggregateOut) => a.rows.map((r) => [r.dimensions.unit?.code ?? null, r.dimensions.period?.label ?? null, vnd(r, SWF)]);

  it('answers as the base tables do, by unit, month, level, kind and filters', async () => {
    const shapes: Record<string, unknown>[] = [
      { measures: [SWF], groupBy: ['UNIT'], unitTier: 'PROVINCE', period: JUN_JUL, levels: 'MAPPED_TO_DECREE42' },
      { measures: [SWF, 'LEVEL4_SHARE', 'ONLINE_DOSSIER_RATE'], groupBy: ['UNIT'], unitTier: 'PROVINCE', period: JUN_JUL, levels: 'MAPPED_TO_DECREE42', unitView: 'CURRENT_UNITS' },
      { measures: [SWF], groupBy: ['UNIT', 'PERIOD'], periodGrain: 'MONTH', unitTier: 'PROVINCE', period: { from: '2025-05', to: '2025-08' }, levels: 'MAPPED_TO_DECREE42' },
      { measures: [SWF], groupBy: ['LEVEL', 'ELIGIBLE'], period: JUN_JUL, levels: 'DECREE43' },
      { measures: [SWF], groupBy: ['UNIT_KIND'], period: { from: '2025-04', to: '2025-06' }, levels: 'MAPPED_TO_DECREE43', filter: { provinceCodes: ['72', '80'], unitsAt: '2025-06-30' } },
      { measures: [SWF], groupBy: ['PERIOD'], periodGrain: 'QUARTER', period: { from: '2025-01', to: '2025-09' }, levels: 'DECREE42', filter: { eligible: true } },
      { measures: [SWF], groupBy: [], period: { from: '2025-07' }, levels: 'MAPPED_TO_DECREE42', filter: { levels: ['full'] } },
    ];
    for (const q of shapes) await both(q, 'service_stock_rollup_online_filings');
  });

  it('counts the online services with an online dossier in the window (hand-checked)', async () => {
    // On 2025-07-31: new 80 has P1 full and P2 partial online, and an online dossier for P1 in July (its June ones
    // were old 80's); Hà Nội P1 (June) and P2 (July) both; Điện Biên's ten online services none.
    const r = await both({ measures: [SWF], groupBy: ['UNIT'], unitTier: 'PROVINCE', period: JUN_JUL, levels: 'MAPPED_TO_DECREE42' }, 'service_stock_rollup_online_filings');
    expect(swf(r)).toEqual([['01', null, [1, 2, 2]], ['11', null, [0, 0, 10]], ['80', null, [0.5, 1, 2]]]);
    // By month, each month's own window: in June old 72 (P1 level 4, P3 level 4 not eligible: partial) and old 80
    // (P1, P2 partial) have P1 filed online; Hà Nội P1; in July new 80 P1 and Hà Nội P2.
    const byMonth = await both({ measures: [SWF], groupBy: ['UNIT', 'PERIOD'], periodGrain: 'MONTH', unitTier: 'PROVINCE', period: JUN_JUL, levels: 'MAPPED_TO_DECREE42' }, 'service_stock_rollup_online_filings');
    expect(swf(byMonth)).toEqual([
      ['01', '2025-06', [0.5, 1, 2]], ['01', '2025-07', [0.5, 1, 2]], ['11', '2025-06', [0, 0, 10]], ['11', '2025-07', [0, 0, 10]],
      ['72', '2025-06', [0.5, 1, 2]], ['80', '2025-06', [0.5, 1, 2]], ['80', '2025-07', [0.5, 1, 2]],
    ]);
  });

  it('leaves a last quarter cut short by period.to to the base tables', async () => {
    const q = { measures: [SWF], groupBy: ['PERIOD'], periodGrain: 'QUARTER', period: { from: '2025-04', to: '2025-08' }, levels: 'MAPPED_TO_DECREE42', preferRollups: true };
    const res = await gw.gql<{ aggregate: AggregateOut }>(AGGREGATE, { q });
    expect(res.errors).toBeUndefined();
    expect(res.data!.aggregate.answeredFromRollups).toBe(false);
  });

  it('follows an ingest of filings: the refresh in its transaction updates it', async () => {
    const [src] = await gw.db.sql.query<{ id: number }>(`INSERT INTO source (code, name, kind, precedence) VALUES ('online-push', 'Push', 'push', 60) RETURNING id`);
    await new IngestService(gw.db.sql).ingest({
      filings: [{ unit: '11', procedure: 'Q01', month: '2025-07', received: 5, receivedOnline: 5 }],
    }, { sourceId: src.id, kind: 'push', maxRows: 1000 });
    expect(await gw.db.sql.query('SELECT * FROM rollup_dirty')).toEqual([]);
    const r = await both({ measures: [SWF], groupBy: ['UNIT'], unitTier: 'PROVINCE', period: JUN_JUL, levels: 'MAPPED_TO_DECREE42' }, 'service_stock_rollup_online_filings');
    // Điện Biên: Q01 now has an online dossier in July, 1 of 10.
    expect(swf(r)).toEqual([['01', null, [1, 2, 2]], ['11', null, [0.1, 1, 10]], ['80', null, [0.5, 1, 2]]]);
    const snapshot = () => gw.db.sql.query<{ t: string }>('SELECT x::text AS t FROM service_stock_rollup_online_filings x ORDER BY 1');
    const incremental = await snapshot();
    await rebuildRollups(gw.db.sql);
    expect(await snapshot()).toEqual(incremental);
  });
});

/**
 * Level shares for the nation read service_stock_rollup_nation_sector (summed from
 * service_stock_rollup_sector over top-level units), with the base tables' answer. Hand-checked
 * from the fixture (test/aggregates/fixture.ts).
 */
describe('national stock rollup by sector', () => {
  const LEVELS = { measures: ['LEVEL4_SHARE', 'LEVEL34_SHARE'], groupBy: ['SECTOR'], asOf: '2024-12-31', levels: 'MAPPED_TO_DECREE42' };
  const shares = (a: AggregateOut) => a.rows.map((r) => [r.dimensions.sector!.code, vnd(r, 'LEVEL4_SHARE'), vnd(r, 'LEVEL34_SHARE')]);

  it('answers as the base tables do, by sector, level, kind, month and filters', async () => {
    const shapes: Record<string, unknown>[] = [
      LEVELS,
      { measures: ['SERVICES', 'SERVICES_ONLINE', 'DVCQG_INTEGRATION'], groupBy: ['SECTOR', 'PERIOD'], periodGrain: 'QUARTER', period: { from: '2025-01', to: '2025-12' }, levels: 'MAPPED_TO_DECREE42', unitView: 'CURRENT_UNITS' },
      { measures: ['SERVICES'], groupBy: ['LEVEL', 'ESSENTIAL', 'UNIT_KIND'], asOf: '2025-08-01', levels: 'DECREE43' },
      { measures: ['LEVEL4_SHARE'], groupBy: ['ELIGIBLE'], asOf: '2025-08-01', levels: 'DECREE42', filter: { sectorCodes: ['DD'], unitKinds: ['PROVINCE'] } },
      { measures: ['SERVICES'], groupBy: ['SECTOR'], asOf: '2023-06-30', levels: 'MAPPED_TO_DECREE43', filter: { levels: ['3', '4'], essential: false } },
    ];
    for (const q of shapes) await both(q, 'service_stock_rollup_nation_sector');
  });

  it('gives each sector its shares (hand-checked)', async () => {
    // 31 December 2024. HT: 72 P1 level 4 (full), 72 P2 level 2 (info), old 80 P1 level 4 (full), old 80 P2 partial,
    // Hà Nội P1 full and P2 partial: 3 full, 5 online of 6. DD: 72 P3 level 4 though not eligible (partial), Hà Nội
    // P3 level 1 (info), Điện Biên's 3 full and 7 partial: 3 full, 11 online of 12.
    const r = await both(LEVELS, 'service_stock_rollup_nation_sector');
    expect(shares(r)).toEqual([['DD', [0.25, 3, 12], [11 / 12, 11, 12]], ['HT', [0.5, 3, 6], [5 / 6, 5, 6]]]);
  });

  it('follows an ingest of service levels', async () => {
    const [src] = await gw.db.sql.query<{ id: number }>(`INSERT INTO source (code, name, kind, precedence) VALUES ('level-push', 'Push', 'push', 60) RETURNING id`);
    await new IngestService(gw.db.sql).ingest({
      services: [{ unit: '04', procedure: 'P1', taxonomy: 'decree42', level: 'full', from: '2024-06-01', integratedNational: true }],
    }, { sourceId: src.id, kind: 'push', maxRows: 1000 });
    expect(await gw.db.sql.query('SELECT * FROM rollup_dirty')).toEqual([]);
    // Cao Bằng's P1, full from June 2024: HT 4 full, 6 online of 7.
    expect(shares(await both(LEVELS, 'service_stock_rollup_nation_sector'))).toEqual([['DD', [0.25, 3, 12], [11 / 12, 11, 12]], ['HT', [4 / 7, 4, 7], [6 / 7, 6, 7]]]);
    const snapshot = () => gw.db.sql.query<{ t: string }>('SELECT x::text AS t FROM service_stock_rollup_nation_sector x ORDER BY 1');
    const incremental = await snapshot();
    await rebuildRollups(gw.db.sql);
    expect(await snapshot()).toEqual(incremental);
  });
});

/** Group by procedure over whole years reads filing_rollup_procedure_year; other periods the monthly rollup. */
describe('yearly procedure rollup', () => {
  const flowRollup = (q: Record<string, unknown>) =>
    buildAggregateQuery(toSpec({ unitTier: 'province', periodGrain: 'month', unitView: 'as_reported', preferRollups: true, limit: 100, ...q } as AggregateInput)).flowRollup;

  it('is chosen for whole years only', () => {
    const year = { measures: ['dossiers_received'], groupBy: ['procedure'], period: { from: '2025-01', to: '2025-12' } };
    expect(flowRollup(year)).toBe('filing_rollup_procedure_year');
    expect(flowRollup({ ...year, groupBy: ['procedure', 'period'], periodGrain: 'year', period: { from: '2024-01', to: '2025-12' } })).toBe('filing_rollup_procedure_year');
    expect(flowRollup({ ...year, groupBy: ['procedure', 'period'], periodGrain: 'quarter' })).toBe('filing_rollup_procedure');
    expect(flowRollup({ ...year, period: { from: '2025-02', to: '2025-12' } })).toBe('filing_rollup_procedure');
    expect(flowRollup({ ...year, period: { from: '2025-01', to: '2025-11' } })).toBe('filing_rollup_procedure');
    expect(flowRollup({ ...year, period: undefined })).toBe('filing_rollup_procedure');
  });

  it('answers as the base tables do, coverage included (hand-checked)', async () => {
    for (const q of [
      { measures: FLOWS, groupBy: ['PROCEDURE', 'UNIT_KIND'], period: { from: '2025-01', to: '2025-12' }, unitView: 'CURRENT_UNITS' },
      { measures: FLOWS, groupBy: ['PROCEDURE', 'PERIOD'], periodGrain: 'YEAR', period: { from: '2024-01', to: '2025-12' }, filter: { eligible: true } },
    ]) await both(q, 'filing_rollup_procedure_year');
    const r = await both({ measures: ['DOSSIERS_RECEIVED'], groupBy: ['PROCEDURE'], period: { from: '2025-01', to: '2025-12' } }, 'filing_rollup_procedure_year');
    // After the ingests above: P1 100+80+200+300+500; P2 50 + 30 (the commune's, corrected) + 100; P3 40 + 9; Q01 5 (July).
    expect(received(r)).toEqual([['P1', 1180], ['P2', 180], ['P3', 49], ['Q01', 5]]);
    expect([r.coverage.firstMonthWithData, r.coverage.lastMonthWithData]).toEqual(['2025-05', '2025-08']);
  });
});
