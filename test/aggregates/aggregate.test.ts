import { queryCounter } from '../../src/db/query-counter';
import { startTestGateway, TestGateway } from '../support/harness';
import { AGGREGATE, AggregateOut, loadFixture, m, RowOut, unitRow, vnd } from './fixture';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await loadFixture(gw.db);
});
afterAll(() => gw?.stop());

/** Runs an aggregate on both engines, checks they agree, and returns the rollup-preferring answer. */
async function agg(q: Record<string, unknown>): Promise<AggregateOut> {
  const [a, b] = await Promise.all([
    gw.gql<{ aggregate: AggregateOut }>(AGGREGATE, { q: { ...q, preferRollups: true } }),
    gw.gql<{ aggregate: AggregateOut }>(AGGREGATE, { q: { ...q, preferRollups: false } }),
  ]);
  expect(a.errors).toBeUndefined();
  expect(b.errors).toBeUndefined();
  const strip = (x: AggregateOut) => ({ ...x, answeredFromRollups: undefined });
  expect(strip(a.data!.aggregate)).toEqual(strip(b.data!.aggregate));
  expect(b.data!.aggregate.answeredFromRollups).toBe(false);
  return a.data!.aggregate;
}

const MAY_AUG = { from: '2025-05', to: '2025-08' };
const FLOWS = ['DOSSIERS_RECEIVED', 'DOSSIERS_ONLINE', 'DOSSIERS_IN_PERSON', 'DOSSIERS_POSTAL', 'DOSSIERS_RESOLVED', 'DOSSIERS_ON_TIME',
  'DOSSIERS_LATE', 'DOSSIERS_WITH_FEE', 'DOSSIERS_PAID_ONLINE', 'DOSSIERS_SYNCED', 'ONLINE_DOSSIER_RATE', 'ON_TIME_RATE', 'ONLINE_PAYMENT_RATE'];
const value = (row: RowOut | undefined, measure: string) => m(row, measure)?.value;

describe('flow measures (dossiers), by hand from the fixture', () => {
  it('national totals over May-August 2025', async () => {
    const r = await agg({ measures: FLOWS, period: MAY_AUG });
    expect(r.rows).toHaveLength(1);
    const row = r.rows[0];
    // received 100+50+80+200+10+300+40+500+100 = 1380; online 60+0+40+150+5+240+0+400+30 = 925;
    // postal 10+10+20+10 = 50; in person 1380-925-50 = 405.
    expect(value(row, 'DOSSIERS_RECEIVED')).toBe(1380);
    expect(value(row, 'DOSSIERS_ONLINE')).toBe(925);
    expect(value(row, 'DOSSIERS_POSTAL')).toBe(50);
    expect(value(row, 'DOSSIERS_IN_PERSON')).toBe(405);
    // on time 70+40+60+150+8+250+0+450+90 = 1118; late 20+10+20+30+2+50+0+50+10 = 192; resolved 1310.
    expect(value(row, 'DOSSIERS_ON_TIME')).toBe(1118);
    expect(value(row, 'DOSSIERS_LATE')).toBe(192);
    expect(value(row, 'DOSSIERS_RESOLVED')).toBe(1310);
    // with fee 50+40+100+200+300+20 = 710; paid online 30+40+80+150+300+5 = 605; synced 80+50+60+190+10+280+500+90 = 1260.
    expect(value(row, 'DOSSIERS_WITH_FEE')).toBe(710);
    expect(value(row, 'DOSSIERS_PAID_ONLINE')).toBe(605);
    expect(value(row, 'DOSSIERS_SYNCED')).toBe(1260);
    // Ratios of sums, with their numerator and denominator; counts carry no numerator/denominator.
    expect(vnd(row, 'ONLINE_DOSSIER_RATE')).toEqual([925 / 1380, 925, 1380]);
    expect(vnd(row, 'ON_TIME_RATE')).toEqual([1118 / 1310, 1118, 1310]);
    expect(vnd(row, 'ONLINE_PAYMENT_RATE')).toEqual([605 / 710, 605, 710]);
    expect(vnd(row, 'DOSSIERS_RECEIVED')).toEqual([1380, null, null]);
    expect(r.coverage).toMatchObject({ from: '2025-05', to: '2025-08', asOf: null, firstMonthWithData: '2025-05', lastMonthWithData: '2025-08' });
    expect(r.coverage.lastIngestAt).not.toBeNull();
    expect(r.sources).toEqual([{ code: 'fixture', kind: 'IMPORT' }]);
    expect(r.answeredFromRollups).toBe(true);
  });

  it('by province as reported: old 72, old 80 and new 80 stay apart', async () => {
    const r = await agg({ measures: ['DOSSIERS_RECEIVED', 'ONLINE_DOSSIER_RATE', 'ON_TIME_RATE', 'ONLINE_PAYMENT_RATE'], groupBy: ['UNIT'], period: MAY_AUG });
    expect(r.rows.map((x) => [x.dimensions.unit!.code, x.dimensions.unit!.validFrom])).toEqual([
      ['01', null], ['72', null], ['80', null], ['80', '2025-07-01'],
    ]);
    // Old 72 Tây Ninh: received 100+50+80 = 230, online 60+0+40 = 100; on time 70+40+60 = 170 of 170+50;
    // paid 30+0+40 = 70 of fee 50+0+40 = 90.
    const tn72 = unitRow(r.rows, '72');
    expect(tn72!.dimensions.unit!.name).toBe('Tỉnh Tây Ninh');
    expect(vnd(tn72, 'ONLINE_DOSSIER_RATE')).toEqual([100 / 230, 100, 230]);
    expect(vnd(tn72, 'ON_TIME_RATE')).toEqual([170 / 220, 170, 220]);
    expect(vnd(tn72, 'ONLINE_PAYMENT_RATE')).toEqual([70 / 90, 70, 90]);
    // Old 80 Long An, with its commune 27766: received 200+10 = 210, online 150+5 = 155.
    const la = unitRow(r.rows, '80');
    expect(la!.dimensions.unit!.name).toBe('Tỉnh Long An');
    expect(vnd(la, 'ONLINE_DOSSIER_RATE')).toEqual([155 / 210, 155, 210]);
    // New 80 Tây Ninh: 300+40 = 340 received, 240 online.
    const tn80 = unitRow(r.rows, '80', '2025-07-01');
    expect(tn80!.dimensions.unit!.name).toBe('Tỉnh Tây Ninh');
    expect(vnd(tn80, 'ONLINE_DOSSIER_RATE')).toEqual([240 / 340, 240, 340]);
    expect(r.rows.every((x) => !x.includesPartialMerges)).toBe(true);
  });

  it('in current units: old 72 and old 80 roll into new 80, nothing counted twice', async () => {
    const r = await agg({ measures: ['DOSSIERS_RECEIVED', 'ONLINE_DOSSIER_RATE', 'ON_TIME_RATE'], groupBy: ['UNIT'], period: MAY_AUG, unitView: 'CURRENT_UNITS' });
    expect(r.rows.map((x) => [x.dimensions.unit!.code, x.dimensions.unit!.validFrom])).toEqual([['01', null], ['80', '2025-07-01']]);
    const tn = unitRow(r.rows, '80', '2025-07-01');
    // 230 (old 72) + 210 (old 80) + 340 (new 80) = 780 received; online 100+155+240 = 495;
    // on time 170+158+250 = 578 of 220+190+300 = 710.
    expect(vnd(tn, 'ONLINE_DOSSIER_RATE')).toEqual([495 / 780, 495, 780]);
    expect(vnd(tn, 'ON_TIME_RATE')).toEqual([578 / 710, 578, 710]);
    // Both communes 27766 goes into lie in new 80: at province tier the partial merge changes nothing.
    expect(tn!.includesPartialMerges).toBe(false);
    expect(r.unitView).toBe('CURRENT_UNITS');
    // The national total is the same in either view.
    const total = await agg({ measures: ['DOSSIERS_RECEIVED'], period: MAY_AUG, unitView: 'CURRENT_UNITS' });
    expect(value(total.rows[0], 'DOSSIERS_RECEIVED')).toBe(1380);
  });

  it('a period straddling 1 July 2025, by month', async () => {
    const q = { measures: ['DOSSIERS_RECEIVED', 'DOSSIERS_ONLINE'], groupBy: ['UNIT', 'PERIOD'], period: MAY_AUG };
    const asReported = await agg(q);
    const cells = (r: AggregateOut) => r.rows.map((x) => `${x.dimensions.unit!.code}@${x.dimensions.unit!.validFrom ?? '-'} ${x.dimensions.period!.label}: ${value(x, 'DOSSIERS_RECEIVED')}/${value(x, 'DOSSIERS_ONLINE')}`);
    expect(cells(asReported)).toEqual([
      '01@- 2025-06: 500/400', '01@- 2025-07: 100/30',
      '72@- 2025-05: 150/60', '72@- 2025-06: 80/40',
      '80@- 2025-06: 210/155',
      '80@2025-07-01 2025-07: 300/240', '80@2025-07-01 2025-08: 40/0',
    ]);
    const current = await agg({ ...q, unitView: 'CURRENT_UNITS' });
    // June in new 80: old 72's 80 + old 80's 210 = 290 received, 40 + 155 = 195 online.
    expect(cells(current)).toEqual([
      '01@- 2025-06: 500/400', '01@- 2025-07: 100/30',
      '80@2025-07-01 2025-05: 150/60', '80@2025-07-01 2025-06: 290/195', '80@2025-07-01 2025-07: 300/240', '80@2025-07-01 2025-08: 40/0',
    ]);
    // By quarter: Q2 = May + June = 150 + 290 = 440; Q3 = 300 + 40 = 340.
    const quarters = await agg({ ...q, periodGrain: 'QUARTER', unitView: 'CURRENT_UNITS', filter: { unitCodes: ['80'] } });
    expect(quarters.rows.map((x) => [x.dimensions.period, value(x, 'DOSSIERS_RECEIVED')])).toEqual([
      [{ grain: 'QUARTER', label: '2025-Q2', start: '2025-04-01', end: '2025-06-30' }, 440],
      [{ grain: 'QUARTER', label: '2025-Q3', start: '2025-07-01', end: '2025-09-30' }, 340],
    ]);
  });

  it('zero denominators give null, not 0 or an error', async () => {
    // New 80 in August 2025: 40 received, none online, none resolved, none with a fee.
    const r = await agg({ measures: ['ONLINE_DOSSIER_RATE', 'ON_TIME_RATE', 'ONLINE_PAYMENT_RATE'], period: { from: '2025-08', to: '2025-08' } });
    expect(vnd(r.rows[0], 'ONLINE_DOSSIER_RATE')).toEqual([0, 0, 40]);
    expect(vnd(r.rows[0], 'ON_TIME_RATE')).toEqual([null, 0, 0]);
    expect(vnd(r.rows[0], 'ONLINE_PAYMENT_RATE')).toEqual([null, 0, 0]);
  });

  it('a unit with no data: no row when grouped, zeros and nulls as a total', async () => {
    const grouped = await agg({ measures: ['DOSSIERS_RECEIVED', 'ON_TIME_RATE'], groupBy: ['UNIT'], period: MAY_AUG, filter: { provinceCodes: ['04'] } });
    expect(grouped.rows).toEqual([]);
    expect(grouped.totalRows).toBe(0);
    expect(grouped.sources).toEqual([]);
    const total = await agg({ measures: ['DOSSIERS_RECEIVED', 'ON_TIME_RATE'], period: MAY_AUG, filter: { provinceCodes: ['04'] } });
    expect(vnd(total.rows[0], 'DOSSIERS_RECEIVED')).toEqual([0, null, null]);
    expect(vnd(total.rows[0], 'ON_TIME_RATE')).toEqual([null, 0, 0]);
    expect(total.coverage.firstMonthWithData).toBeNull();
  });

  it('drills a province down by sector and procedure', async () => {
    const bySector = await agg({ measures: ['DOSSIERS_RECEIVED', 'ONLINE_DOSSIER_RATE'], groupBy: ['SECTOR'], period: MAY_AUG, filter: { unitCodes: ['80'] }, unitView: 'CURRENT_UNITS' });
    // HT (P1, P2): 100+50+80+200+10+300 = 740 received, 60+40+150+5+240 = 495 online; DD (P3): 40, 0.
    expect(bySector.rows.map((x) => [x.dimensions.sector!.code, x.dimensions.sector!.name, vnd(x, 'ONLINE_DOSSIER_RATE')])).toEqual([
      ['DD', 'Đất đai', [0, 0, 40]], ['HT', 'Hộ tịch', [495 / 740, 495, 740]],
    ]);
    expect(bySector.answeredFromRollups).toBe(true);
    const byProcedure = await agg({ measures: ['DOSSIERS_RECEIVED'], groupBy: ['PROCEDURE', 'ESSENTIAL'], period: MAY_AUG, filter: { unitCodes: ['80'] }, unitView: 'CURRENT_UNITS' });
    // P1 (essential): 100+80+200+300 = 680; P2: 50+10 = 60; P3: 40.
    expect(byProcedure.rows.map((x) => [x.dimensions.procedure!.code, x.dimensions.essential, value(x, 'DOSSIERS_RECEIVED')])).toEqual([
      ['P1', true, 680], ['P2', false, 60], ['P3', false, 40],
    ]);
    expect(byProcedure.answeredFromRollups).toBe(false);
  });

  it('groups communes at the commune tier and flags partial merges there', async () => {
    const q = { measures: ['DOSSIERS_RECEIVED'], groupBy: ['UNIT', 'UNIT_KIND'], unitTier: 'COMMUNE', period: MAY_AUG, filter: { unitKinds: ['COMMUNE'] } };
    const asReported = await agg(q);
    expect(asReported.rows.map((x) => [x.dimensions.unit!.code, x.dimensions.unitKind, value(x, 'DOSSIERS_RECEIVED'), x.includesPartialMerges])).toEqual([
      ['27766', 'COMMUNE', 10, false],
    ]);
    // 27766 went partly into 27757 and partly into 27763: wholly to 27757 (neither keeps its code; lowest code), flagged.
    const current = await agg({ ...q, unitView: 'CURRENT_UNITS' });
    expect(current.rows.map((x) => [x.dimensions.unit!.code, value(x, 'DOSSIERS_RECEIVED'), x.includesPartialMerges])).toEqual([['27757', 10, true]]);
    // Figures filed above the tier land in a row without a unit.
    const all = await agg({ measures: ['DOSSIERS_RECEIVED'], groupBy: ['UNIT'], unitTier: 'COMMUNE', period: MAY_AUG });
    expect(all.rows.map((x) => [x.dimensions.unit?.code ?? null, value(x, 'DOSSIERS_RECEIVED')])).toEqual([['27766', 10], [null, 1370]]);
  });

  it('filters, having, ordering and the row limit', async () => {
    const r = await agg({
      measures: ['DOSSIERS_RECEIVED', 'ONLINE_DOSSIER_RATE'], groupBy: ['UNIT'], period: MAY_AUG,
      having: [{ measure: 'DOSSIERS_RECEIVED', op: 'GTE', value: 230 }], orderBy: [{ measure: 'ONLINE_DOSSIER_RATE', direction: 'DESC' }], limit: 2,
    });
    // Rates: 01 430/600 = .717, new 80 240/340 = .706, old 72 100/230 = .435 (old 80 has 210 < 230 received).
    expect(r.rows.map((x) => `${x.dimensions.unit!.code}@${x.dimensions.unit!.validFrom ?? '-'}`)).toEqual(['01@-', '80@2025-07-01']);
    expect(r.totalRows).toBe(3);
    expect(r.truncated).toBe(true);
    const essential = await agg({ measures: ['DOSSIERS_RECEIVED'], period: MAY_AUG, filter: { essential: true, sectorCodes: ['HT'] } });
    // P1 only: 100+80+200+300+500 = 1180.
    expect(value(essential.rows[0], 'DOSSIERS_RECEIVED')).toBe(1180);
    const byCode = await agg({ measures: ['DOSSIERS_RECEIVED'], period: MAY_AUG, filter: { procedureCodes: ['P2'], unitKinds: ['PROVINCE'] } });
    // P2 at provinces: 72's 50 and Hà Nội's 100 (the commune's 10 is left out).
    expect(value(byCode.rows[0], 'DOSSIERS_RECEIVED')).toBe(150);
    const oldLongAn = await agg({ measures: ['DOSSIERS_RECEIVED'], period: MAY_AUG, filter: { unitCodes: ['80'], unitsAt: '2025-06-30' } });
    expect(value(oldLongAn.rows[0], 'DOSSIERS_RECEIVED')).toBe(210);
  });
});

describe('stock measures (services), by hand from the fixture', () => {
  const STOCKS = ['SERVICES', 'SERVICES_ONLINE', 'SERVICES_FULL_ONLINE', 'SERVICES_INTEGRATED', 'LEVEL4_SHARE', 'LEVEL34_SHARE', 'DVCQG_INTEGRATION'];

  it('level shares and integration by province on 30 June 2025 (mapped to Decree 42)', async () => {
    const r = await agg({ measures: STOCKS, groupBy: ['UNIT'], asOf: '2025-06-30', levels: 'MAPPED_TO_DECREE42' });
    expect(r.coverage.asOf).toBe('2025-06-30');
    expect(r.levels).toBe('MAPPED_TO_DECREE42');
    // Old 72: P1 level 4 → full, P2 level 2 → info, P3 level 4 but not eligible → partial: 3 services, 2 online, 1 full;
    // integrated: P1 yes, P3 no → 1 of 2 online.
    const tn72 = unitRow(r.rows, '72');
    expect(vnd(tn72, 'LEVEL4_SHARE')).toEqual([1 / 3, 1, 3]);
    expect(vnd(tn72, 'LEVEL34_SHARE')).toEqual([2 / 3, 2, 3]);
    expect(vnd(tn72, 'DVCQG_INTEGRATION')).toEqual([1 / 2, 1, 2]);
    // Old 80: P1 level 4 (integrated), P2 partial since 2023 → 2 services, both online, 1 full, 1 integrated.
    const la = unitRow(r.rows, '80');
    expect(vnd(la, 'LEVEL4_SHARE')).toEqual([1 / 2, 1, 2]);
    expect(vnd(la, 'LEVEL34_SHARE')).toEqual([1, 2, 2]);
    // Hà Nội: P1 full, P2 partial (both integrated), P3 level 1 → info.
    expect(vnd(unitRow(r.rows, '01'), 'DVCQG_INTEGRATION')).toEqual([1, 2, 2]);
    // Điện Biên: 3 full and 7 partial of 10.
    expect(vnd(unitRow(r.rows, '11'), 'LEVEL4_SHARE')).toEqual([0.3, 3, 10]);
    // New 80 does not exist yet.
    expect(unitRow(r.rows, '80', '2025-07-01')).toBeUndefined();
    expect(r.answeredFromRollups).toBe(true);
  });

  it('national counts under each taxonomy view', async () => {
    const at = async (levels: string) => (await agg({ measures: ['SERVICES', 'LEVEL4_SHARE', 'LEVEL34_SHARE'], asOf: '2025-06-30', levels })).rows[0];
    // Mapped to Decree 42: 18 services; full: 72 P1, 80 P1, 01 P1, 11 ×3 = 6; online 2+2+2+10 = 16.
    expect(vnd(await at('MAPPED_TO_DECREE42'), 'LEVEL4_SHARE')).toEqual([6 / 18, 6, 18]);
    expect(vnd(await at('MAPPED_TO_DECREE42'), 'LEVEL34_SHARE')).toEqual([16 / 18, 16, 18]);
    // Mapped to Decree 43: 72's P3 stays level 4 (the eligibility rule only maps 43 → 42): 7 of 18.
    expect(vnd(await at('MAPPED_TO_DECREE43'), 'LEVEL4_SHARE')).toEqual([7 / 18, 7, 18]);
    // As reported under Decree 43: 72 P1 (4), P2 (2), P3 (4), 80 P1 (4), 01 P3 (1) = 5 services, 3 at level 4.
    expect(vnd(await at('DECREE43'), 'LEVEL4_SHARE')).toEqual([3 / 5, 3, 5]);
    // As reported under Decree 42: 80 P2, 01 P1 and P2, 11 ×10 = 13 services, 4 full.
    expect(vnd(await at('DECREE42'), 'LEVEL4_SHARE')).toEqual([4 / 13, 4, 13]);
  });

  it('service counts by level, as reported and mapped', async () => {
    const levels = async (view: string) => Object.fromEntries((await agg({ measures: ['SERVICES'], groupBy: ['LEVEL'], asOf: '2025-06-30', levels: view })).rows
      .map((x) => [x.dimensions.level, value(x, 'SERVICES')]));
    // info: 72 P2, 01 P3; partial: 72 P3, 80 P2, 01 P2, 11 ×7; full: 72 P1, 80 P1, 01 P1, 11 ×3.
    expect(await levels('MAPPED_TO_DECREE42')).toEqual({ info: 2, partial: 10, full: 6 });
    expect(await levels('MAPPED_TO_DECREE43')).toEqual({ 1: 1, 2: 1, 3: 9, 4: 7 });
    expect(await levels('DECREE43')).toEqual({ 1: 1, 2: 1, 4: 3 });
    const onlyFull = await agg({ measures: ['SERVICES'], asOf: '2025-06-30', levels: 'MAPPED_TO_DECREE42', filter: { levels: ['full'] } });
    expect(value(onlyFull.rows[0], 'SERVICES')).toBe(6);
  });

  it('eligible services only, and current units', async () => {
    // Without the two P3 services (not eligible): 16 services, 6 full.
    const eligible = await agg({ measures: ['LEVEL4_SHARE'], asOf: '2025-06-30', levels: 'MAPPED_TO_DECREE42', filter: { eligible: true } });
    expect(vnd(eligible.rows[0], 'LEVEL4_SHARE')).toEqual([6 / 16, 6, 16]);
    // On 30 June 2025 in today's units, new 80 holds old 72's 3 services and old 80's 2: 2 full, 4 online, 2 integrated.
    const cur = await agg({ measures: ['LEVEL4_SHARE', 'DVCQG_INTEGRATION'], groupBy: ['PROVINCE'], asOf: '2025-06-30', levels: 'MAPPED_TO_DECREE42', unitView: 'CURRENT_UNITS' });
    const tn = cur.rows.find((x) => x.dimensions.province!.code === '80');
    expect(tn!.dimensions.province!.validFrom).toBe('2025-07-01');
    expect(vnd(tn, 'LEVEL4_SHARE')).toEqual([2 / 5, 2, 5]);
    expect(vnd(tn, 'DVCQG_INTEGRATION')).toEqual([2 / 4, 2, 4]);
    // On 31 July 2025, new 80's own services: P1 full (integrated), P2 partial (not), P3 info.
    const july = await agg({ measures: ['LEVEL4_SHARE', 'DVCQG_INTEGRATION'], groupBy: ['UNIT'], asOf: '2025-07-31', levels: 'MAPPED_TO_DECREE42' });
    expect(july.rows.map((x) => x.dimensions.unit!.code)).toEqual(['01', '11', '80']);
    expect(vnd(unitRow(july.rows, '80', '2025-07-01'), 'DVCQG_INTEGRATION')).toEqual([1 / 2, 1, 2]);
  });

  it('stocks by period are taken on the last day of each period', async () => {
    const r = await agg({ measures: ['LEVEL4_SHARE', 'DOSSIERS_RECEIVED'], groupBy: ['PERIOD'], periodGrain: 'QUARTER', period: { from: '2025-04', to: '2025-09' }, levels: 'MAPPED_TO_DECREE42' });
    // Q2 (30 June): 6 of 18, 150+80+210+500 = 940 received in April-June;
    // Q3 (30 September): new 80 1 of 3, 01 1 of 3, 11 3 of 10 = 5 of 16; 300+40+100 = 440 received.
    expect(r.rows.map((x) => [x.dimensions.period!.label, vnd(x, 'LEVEL4_SHARE'), value(x, 'DOSSIERS_RECEIVED')])).toEqual([
      ['2025-Q2', [6 / 18, 6, 18], 940], ['2025-Q3', [5 / 16, 5, 16], 440],
    ]);
    expect(r.coverage.asOf).toBeNull();
  });

  it('services with online filings over a period', async () => {
    // June 2025, services online on 30 June: 72 P1 (filed online in June) and P3 (not); old 80 P1 (yes) and P2
    // (its dossiers were filed at commune 27766, another unit); 01 P1 (yes), P2 (July only); 11: 10, none → 3 of 16.
    const june = await agg({ measures: ['SERVICES_WITH_ONLINE_FILINGS'], groupBy: ['UNIT'], period: { from: '2025-06', to: '2025-06' }, levels: 'MAPPED_TO_DECREE42' });
    expect(june.rows.map((x) => [x.dimensions.unit!.code, vnd(x, 'SERVICES_WITH_ONLINE_FILINGS')])).toEqual([
      ['01', [1 / 2, 1, 2]], ['11', [0, 0, 10]], ['72', [1 / 2, 1, 2]], ['80', [1 / 2, 1, 2]],
    ]);
    // From service_stock_rollup_online_filings (test/aggregates/shape-rollups.test.ts compares it with the base tables).
    expect(june.answeredFromRollups).toBe(true);
    // By month, June and July: July (31 July): new 80 P1 yes, P2 no; 01 P1 no, P2 yes; 11 none → 2 of 14.
    const months = await agg({ measures: ['SERVICES_WITH_ONLINE_FILINGS'], groupBy: ['PERIOD'], period: { from: '2025-06', to: '2025-07' }, levels: 'MAPPED_TO_DECREE42' });
    expect(months.rows.map((x) => [x.dimensions.period!.label, vnd(x, 'SERVICES_WITH_ONLINE_FILINGS')])).toEqual([
      ['2025-06', [3 / 16, 3, 16]], ['2025-07', [2 / 14, 2, 14]],
    ]);
  });

  it('dossiers by the level of their service', async () => {
    // Level at the end of each month, mapped to Decree 42: P1 full everywhere; 72 P2 info; 80 P3 info (August);
    // 01 P2 partial; the commune's P2 has no service of its own (null).
    const r = await agg({ measures: ['DOSSIERS_RECEIVED'], groupBy: ['LEVEL'], period: MAY_AUG, levels: 'MAPPED_TO_DECREE42' });
    expect(r.rows.map((x) => [x.dimensions.level, value(x, 'DOSSIERS_RECEIVED')])).toEqual([
      ['full', 100 + 80 + 200 + 300 + 500], ['info', 50 + 40], ['partial', 100], [null, 10],
    ]);
  });
});

describe('execution', () => {
  it('costs exactly one SQL statement per aggregate (besides the read-only transaction and its timeout)', async () => {
    const query = `query($q: AggregateInput!) { aggregate(query: $q) { totalRows coverage { asOf lastIngestAt } sources { code name }
      rows { dimensions { unit { code name } sector { code } period { label } } measures { measure value } r: value(measure: ON_TIME_RATE) { value } } } }`;
    for (const entry of [
      { measures: ['ON_TIME_RATE', 'LEVEL4_SHARE'], groupBy: ['UNIT', 'SECTOR', 'PERIOD'], period: MAY_AUG, levels: 'MAPPED_TO_DECREE42', plan: 'force_generic_plan' },
      { measures: ['ON_TIME_RATE', 'SERVICES_WITH_ONLINE_FILINGS'], groupBy: ['UNIT', 'LEVEL'], period: MAY_AUG, levels: 'DECREE43', preferRollups: false,
        filter: { unitCodes: ['80'] }, unitView: 'CURRENT_UNITS', plan: 'force_custom_plan' },
    ]) {
      const { plan, ...q } = entry;
      queryCounter.reset(true);
      const res = await gw.gql(query, { q });
      expect(res.errors).toBeUndefined();
      // The statement, wrapped in its read-only transaction (BEGIN + SET LOCAL statement_timeout and
      // plan_cache_mode in one round trip, COMMIT): a generic plan when rollups answer every stream,
      // custom plans on the base tables.
      expect(queryCounter.statements).toHaveLength(3);
      expect(queryCounter.statements[0]).toMatch(new RegExp(`^BEGIN READ ONLY; SET LOCAL statement_timeout = \\d+; SET LOCAL plan_cache_mode = ${plan}$`));
      expect(queryCounter.statements[1]).toMatch(/^WITH /);
      expect(queryCounter.statements[2]).toBe('COMMIT');
    }
  });

  it('value(measure:) gives typed columns through aliases', async () => {
    const res = await gw.gql(`{ aggregate(query: { measures: [ONLINE_DOSSIER_RATE, DOSSIERS_RECEIVED], period: { from: "2025-05", to: "2025-08" } }) {
      rows { rate: value(measure: ONLINE_DOSSIER_RATE) { value numerator denominator } received: value(measure: DOSSIERS_RECEIVED) { value } missing: value(measure: ON_TIME_RATE) { value } } } }`);
    expect(res.data.aggregate.rows).toEqual([{ rate: { value: 925 / 1380, numerator: 925, denominator: 1380 }, received: { value: 1380 }, missing: null }]);
  });
});
