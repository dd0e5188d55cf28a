import { queryCounter } from '../../src/db/query-counter';
import { IngestService } from '../../src/ingest/ingest.service';
import { ProvincesWithCommunesAndServicesDocument, UnitByCodeDocument, UnitsDocument } from '../generated/graphql';
import { startTestGateway, TestGateway } from '../support/harness';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

describe('reference units', () => {
  it('has 63 provinces and 10,047 communes before the reform, 34 and 3,321 after', async () => {
    const count = async (kind: 'PROVINCE' | 'COMMUNE', validAt: string) =>
      (await gw.gql(UnitsDocument, { filter: { kind, validAt }, first: 1 })).data!.units.totalCount;
    expect(await count('PROVINCE', '2025-06-30')).toBe(63);
    expect(await count('PROVINCE', '2025-07-01')).toBe(34);
    expect(await count('COMMUNE', '2025-06-30')).toBe(10047);
    expect(await count('COMMUNE', '2025-07-01')).toBe(3321);
  });

  it('finds names without accents: "Tay Ninh" finds Tây Ninh, old and new', async () => {
    const res = await gw.gql(UnitsDocument, { filter: { name: 'Tay Ninh', kind: 'PROVINCE' } });
    expect(res.data!.units.nodes.map((u) => [u.code, u.name, u.validFrom, u.validTo])).toEqual([
      ['72', 'Tỉnh Tây Ninh', null, '2025-06-30'],
      ['80', 'Tỉnh Tây Ninh', '2025-07-01', null],
    ]);
    const dj = await gw.gql(UnitsDocument, { filter: { name: 'dak lak', kind: 'PROVINCE', validAt: '2026-01-01' } });
    expect(dj.data!.units.nodes.map((u) => u.name)).toEqual(['Tỉnh Đắk Lắk']);
  });

  it('tells which unit held a reused code on a date, with its lineage', async () => {
    const before = await gw.gql(UnitByCodeDocument, { code: '80', at: '2025-06-30' });
    expect(before.data!.unit).toMatchObject({ name: 'Tỉnh Long An', validTo: '2025-06-30', parent: { code: 'VN' } });
    expect(before.data!.unit!.successors).toEqual([{ type: 'FULL', effectiveOn: '2025-07-01', unit: { code: '80', name: 'Tỉnh Tây Ninh', validFrom: '2025-07-01' } }]);
    const after = await gw.gql(UnitByCodeDocument, { code: '80', at: '2025-07-01' });
    expect(after.data!.unit!.predecessors).toEqual([
      { type: 'FULL', effectiveOn: '2025-07-01', unit: { code: '72', name: 'Tỉnh Tây Ninh', validTo: '2025-06-30' } },
      { type: 'FULL', effectiveOn: '2025-07-01', unit: { code: '80', name: 'Tỉnh Long An', validTo: '2025-06-30' } },
    ]);
    // Hà Nội continues across the reform: one unit, no lineage.
    const hanoi = await gw.gql(UnitByCodeDocument, { code: '01', at: '2020-01-01' });
    expect(hanoi.data!.unit).toMatchObject({ validFrom: null, validTo: null, predecessors: [], successors: [] });
  });

  it('pages with cursors and rejects a forged cursor or an oversized page', async () => {
    const first = await gw.gql(UnitsDocument, { filter: { kind: 'PROVINCE', validAt: '2020-01-01' }, first: 40 });
    const page = first.data!.units;
    expect(page.nodes).toHaveLength(40);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const second = await gw.gql(UnitsDocument, { filter: { kind: 'PROVINCE', validAt: '2020-01-01' }, first: 40, after: page.pageInfo.endCursor });
    expect(second.data!.units.nodes).toHaveLength(23);
    expect(second.data!.units.pageInfo.hasNextPage).toBe(false);
    expect(new Set([...page.nodes, ...second.data!.units.nodes].map((u) => u.code)).size).toBe(63);

    const forged = await gw.gql(UnitsDocument, { first: 5, after: 'not-a-cursor' });
    expect(forged.errors?.[0]).toMatchObject({ message: 'Invalid cursor', extensions: { code: 'BAD_USER_INPUT' } });
    const huge = await gw.gql(UnitsDocument, { first: 100000 });
    expect(huge.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(huge.errors)).toMatch(/first/);
  });

  it('lists the 63 old provinces with their communes and services in a fixed number of statements', async () => {
    // Give some provinces and communes services, so every level of the tree has rows to load.
    const [source] = await gw.db.sql.query<{ id: number }>(`INSERT INTO source (code, name, kind) VALUES ('fx', 'fixture', 'import') RETURNING id`);
    await new IngestService(gw.db.sql).ingest({
      sectors: [{ code: 'S', name: 'S' }],
      procedures: [{ code: 'P1', name: 'P1', sector: 'S', tier: 'province' }, { code: 'P2', name: 'P2', sector: 'S', tier: 'commune' }],
      services: ['01', '72', '80', '00004', '00001'].flatMap((unit) => [
        { unit, procedure: 'P1', taxonomy: 'decree43', level: '3', from: '2019-01-01' },
        { unit, procedure: 'P2', taxonomy: 'decree43', level: '4', from: '2020-01-01' },
      ]),
    }, { sourceId: source.id, kind: 'import', maxRows: 1000 });

    queryCounter.reset(true);
    const res = await gw.gql(ProvincesWithCommunesAndServicesDocument, { at: '2021-01-01' });
    const statements = queryCounter.total;
    expect(res.errors).toBeUndefined();
    const provinces = res.data!.units.nodes;
    expect(provinces).toHaveLength(63);
    expect(provinces.reduce((n, p) => n + p.children.length, 0)).toBe(10047 + 5);
    const hanoi = provinces.find((p) => p.code === '01')!;
    expect(hanoi.services.map((s) => [s.procedure.code, s.level?.level])).toEqual([['P1', '3'], ['P2', '4']]);
    expect(hanoi.children.find((c) => c.code === '00004')!.services).toHaveLength(2);
    // units (1) + children (1) + services of provinces and communes with their procedures (1 each)
    // + the levels in force (1 per level of the tree) + the names on that date of the units
    // renamed since (1: 46 was Thừa Thiên Huế): a fixed count, whatever the number of rows.
    // (The statements themselves are shown if the count is ever off.)
    expect({ statements, sql: queryCounter.statements.slice(0, 20).map((q) => q.slice(0, 160)) }).toMatchObject({ statements: 7 });
    console.log(`nested list of 63 provinces, ${10052} communes and their services: ${statements} SQL statements`);
  });
});
