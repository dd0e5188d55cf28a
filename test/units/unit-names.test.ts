import { IngestService } from '../../src/ingest/ingest.service';
import { refreshRollups } from '../../src/aggregates/rollup.service';
import { loadReferenceData } from '../../src/reference/reference-data.service';
import { startTestGateway, TestGateway } from '../support/harness';

/**
 * Names at a date (issue 9): Huế kept code 46 and stayed one unit when Thừa Thiên Huế province
 * became a centrally-run city on 1 January 2025 (Resolution 1314/NQ-UBTVQH15).
 */
const OLD = 'Tỉnh Thừa Thiên Huế';
const NEW = 'Thành phố Huế';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  const [source] = await gw.db.sql.query<{ id: number }>(`INSERT INTO source (code, name, kind) VALUES ('names', 'fixture', 'import') RETURNING id`);
  const filing = (month: string, received: number) => ({ unit: '46', procedure: 'P1', month, received, receivedOnline: 1, resolvedOnTime: 1 });
  await new IngestService(gw.db.sql).ingest({
    sectors: [{ code: 'S', name: 'S' }],
    procedures: [{ code: 'P1', name: 'P1', sector: 'S', tier: 'province' }],
    filings: [filing('2024-06', 10), filing('2025-03', 20)],
    plans: [{ unit: '46', year: 2021, documentNumber: '46/KH-UBND', title: 'Kế hoạch 2021', issuedOn: '2021-06-01' }],
  }, { sourceId: source.id, kind: 'import', maxRows: 1000 });
  await refreshRollups(gw.db.sql);
});
afterAll(() => gw?.stop());

async function gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await gw.gql<T>(query, variables);
  expect(res.errors).toBeUndefined();
  return res.data!;
}

describe('unit names at a date', () => {
  it('shows unit 46 as Thừa Thiên Huế in the 2021 plan list, and finds it by that name (the reported bug)', async () => {
    const compliance = await gql(`{ planCompliance(year: 2021, asOf: "2021-12-31", kinds: [PROVINCE]) { units { unit { code name } documentNumber } } }`);
    expect(compliance.planCompliance.units.find((u: any) => u.unit.code === '46')).toEqual({ unit: { code: '46', name: OLD }, documentNumber: '46/KH-UBND' });
    const plans = await gql(`{ plans(filter: { year: 2021 }) { nodes { documentNumber unit { code name } } } }`);
    expect(plans.plans.nodes).toEqual([{ documentNumber: '46/KH-UBND', unit: { code: '46', name: OLD } }]);

    for (const text of ['Thừa Thiên Huế', 'Thua Thien Hue']) {
      const found = await gql(`query($n: String!) { units(filter: { name: $n }) { nodes { code validFrom validTo names { name } } } }`, { n: text });
      expect(found.units.nodes).toEqual([{ code: '46', validFrom: null, validTo: null, names: [{ name: OLD }, { name: NEW }] }]);
    }
  });

  it('names the unit as on the date it is read for, with its full name history', async () => {
    const q = `query($at: LocalDate) { unit(code: "46", at: $at) { code name nameAt(date: "2020-01-01") names { name validFrom validTo } } }`;
    const before = await gql(q, { at: '2024-06-01' });
    const after = await gql(q, { at: '2025-02-01' });
    const names = [{ name: OLD, validFrom: null, validTo: '2024-12-31' }, { name: NEW, validFrom: '2025-01-01', validTo: null }];
    expect(before.unit).toEqual({ code: '46', name: OLD, nameAt: OLD, names });
    expect(after.unit).toEqual({ code: '46', name: NEW, nameAt: OLD, names });
    // Without a date: today's name. Lists for a date name every unit as on that date.
    expect((await gql(`{ unit(code: "46") { name } }`)).unit.name).toBe(NEW);
    const listed = await gql(`{ units(filter: { code: "46", validAt: "2024-12-31" }) { nodes { name parent { name } } } }`);
    expect(listed.units.nodes).toEqual([{ name: OLD, parent: { name: 'Việt Nam' } }]);
    // Filing statistics name their unit as in their month.
    const stats = await gql(`{ filingStats(filter: { unitCode: "46", from: "2024-01", to: "2025-12" }) { nodes { month unit { name } } } }`);
    expect(stats.filingStats.nodes).toEqual([{ month: '2024-06', unit: { name: OLD } }, { month: '2025-03', unit: { name: NEW } }]);
    // A unit never renamed has one name.
    expect((await gql(`{ unit(code: "01", at: "2020-01-01") { names { name validFrom validTo } } }`)).unit.names)
      .toEqual([{ name: 'Thành phố Hà Nội', validFrom: null, validTo: null }]);
  });

  it('labels aggregates by unit with the name in force at the end of the period (today\'s in CURRENT_UNITS)', async () => {
    const q = `query($q: AggregateInput!) { aggregate(query: $q) { rows { dimensions { unit { code name } province { code name } } } } }`;
    const label = async (extra: Record<string, unknown>) => {
      const byRollup = await gql(q, { q: { measures: ['DOSSIERS_RECEIVED'], groupBy: ['UNIT', 'PROVINCE'], filter: { unitCodes: ['46'] }, ...extra } });
      const byBase = await gql(q, { q: { measures: ['DOSSIERS_RECEIVED'], groupBy: ['UNIT', 'PROVINCE'], filter: { unitCodes: ['46'] }, preferRollups: false, ...extra } });
      expect(byRollup).toEqual(byBase);
      return byRollup.aggregate.rows.map((r: any) => [r.dimensions.unit.name, r.dimensions.province.name]);
    };
    expect(await label({ period: { from: '2024-01', to: '2024-12' } })).toEqual([[OLD, OLD]]);
    expect(await label({ period: { from: '2025-01', to: '2025-12' } })).toEqual([[NEW, NEW]]);
    expect(await label({ period: { from: '2024-01', to: '2024-12' }, unitView: 'CURRENT_UNITS' })).toEqual([[NEW, NEW]]);
  });

  it('names the unit of a KPI as on the date its code is read at', async () => {
    const q = `query($at: LocalDate!) { kpi(indicator: ONLINE_DOSSIER_RATE, unitCode: "46", period: { from: "2024-06", to: "2024-06" }, unitAt: $at) { unit { code name } value } }`;
    const old = await gql(q, { at: '2024-06-30' });
    expect(old.kpi).toEqual({ unit: { code: '46', name: OLD }, value: 0.1 }); // 1 online of 10 received
    expect((await gql(q, { at: '2025-03-31' })).kpi.unit).toEqual({ code: '46', name: NEW });
  });

  it('reaches a database loaded before the renames existed on its next start', async () => {
    // As an older loader left it: no former names, and its checksum in the last reference run.
    await gw.db.sql.query('DELETE FROM unit_name');
    await gw.db.sql.query(`UPDATE ingest_run SET detail = '{"checksum": "before-renames"}' WHERE kind = 'reference'`);
    expect((await loadReferenceData(gw.db.sql)).loaded).toBe(true);
    expect((await gql(`{ unit(code: "46", at: "2024-06-01") { name } }`)).unit.name).toBe(OLD);
    // The next start finds the same checksum and loads nothing.
    expect((await loadReferenceData(gw.db.sql)).loaded).toBe(false);
  });
});
