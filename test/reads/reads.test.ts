import { GraphQLResolveInfo } from 'graphql';
import { paginate } from '../../src/common/paginate';
import { queryCounter } from '../../src/db/query-counter';
import { Unit, UnitKind } from '../../src/units/unit.entity';
import { validOnFilter } from '../../src/units/unit-validity';
import { startTestGateway, TestGateway } from '../support/harness';

/**
 * Unit reads in plain SQL (issue 11, item 1): a lookup by code and a page of units cost a fixed,
 * small number of statements, and answer as the MikroORM reads they replaced did, for a unit
 * renamed without a code change (46: Tỉnh Thừa Thiên Huế until 2024-12-31, Thành phố Huế since)
 * and a reused code (80: Long An until 2025-06-30, the new Tây Ninh since).
 */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

const UNIT = `query ($code: String!, $at: LocalDate) {
  unit(code: $code, at: $at) { id code name kind validFrom validTo parent { code name } }
}`;
const PAGE = `query ($at: LocalDate, $after: String) {
  units(filter: { kind: PROVINCE, validAt: $at }, first: 40, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id code name validFrom validTo }
  }
}`;

/** The answer of one operation and the SQL statements it sent. */
async function counted(query: string, variables: Record<string, unknown>) {
  queryCounter.reset(true);
  const res = await gw.gql(query, variables);
  expect(res.errors).toBeUndefined();
  return { data: res.data, statements: queryCounter.total, sql: queryCounter.statements.map((s) => s.slice(0, 120)) };
}

describe('unit by code', () => {
  it('reads a renamed unit as named on the date, its parent and that name in the same statement', async () => {
    const huế2021 = await counted(UNIT, { code: '46', at: '2021-06-01' });
    expect(huế2021.data.unit).toMatchObject({ code: '46', name: 'Tỉnh Thừa Thiên Huế', kind: 'PROVINCE', validFrom: null, validTo: null, parent: { code: 'VN', name: 'Việt Nam' } });
    // One statement: the unit, its parent, and the name of 46 on that date (it has former names).
    expect({ statements: huế2021.statements, sql: huế2021.sql }).toMatchObject({ statements: 1 });
    const huế2025 = await counted(UNIT, { code: '46', at: '2025-02-01' });
    expect([huế2025.data.unit.name, huế2025.statements]).toEqual(['Thành phố Huế', 1]);
    // Its name on another date than the lookup's is asked of unit_name_at (one more statement).
    const other = await counted(`{ unit(code: "46", at: "2025-02-01") { name nameAt(date: "2024-12-31") } }`, {});
    expect([other.data.unit, other.statements]).toEqual([{ name: 'Thành phố Huế', nameAt: 'Tỉnh Thừa Thiên Huế' }, 2]);
  });

  it('tells which unit held a reused code on a date, in one statement', async () => {
    const longAn = await counted(UNIT, { code: '80', at: '2024-01-01' });
    expect(longAn.data.unit).toMatchObject({ code: '80', name: 'Tỉnh Long An', validFrom: null, validTo: '2025-06-30', parent: { code: 'VN' } });
    expect({ statements: longAn.statements, sql: longAn.sql }).toMatchObject({ statements: 1 });
    const tayNinh = await counted(UNIT, { code: '80', at: '2025-08-01' });
    expect(tayNinh.data.unit).toMatchObject({ code: '80', name: 'Tỉnh Tây Ninh', validFrom: '2025-07-01', validTo: null });
    expect(Number(tayNinh.data.unit.id)).not.toBe(Number(longAn.data.unit.id));
    expect((await counted(UNIT, { code: 'no such code', at: '2024-01-01' })).data.unit).toBeNull();
  });
});

describe('units page', () => {
  /** The same page read through MikroORM's findByCursor (paginate, as the list read before), for its ids and cursor. */
  async function ormPage(at: string, after?: string) {
    const info = { fieldNodes: [] } as unknown as GraphQLResolveInfo;
    const em = gw.db.orm.em.fork();
    return paginate(em, Unit, { $and: [{ kind: UnitKind.PROVINCE }, validOnFilter(at)] }, { code: 'asc', id: 'asc' }, { first: 40, after }, info);
  }

  it('pages the 63 old provinces in a fixed number of statements, with the cursors and names of the ORM read', async () => {
    const first = await counted(PAGE, { at: '2021-01-01' });
    const page = first.data.units;
    // The page (1), its count (1) and the names on that date of the units renamed since (1: 46).
    expect({ statements: first.statements, sql: first.sql }).toMatchObject({ statements: 3 });
    expect(page.totalCount).toBe(63);
    expect(page.nodes.find((u: { code: string }) => u.code === '46').name).toBe('Tỉnh Thừa Thiên Huế');

    const orm = await ormPage('2021-01-01');
    expect(page.nodes.map((u: { id: string }) => Number(u.id))).toEqual(orm.nodes.map((u) => u.id));
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: orm.pageInfo.endCursor });

    const second = await counted(PAGE, { at: '2021-01-01', after: page.pageInfo.endCursor });
    const ormSecond = await ormPage('2021-01-01', page.pageInfo.endCursor);
    expect(second.data.units.nodes.map((u: { id: string }) => Number(u.id))).toEqual(ormSecond.nodes.map((u) => u.id));
    expect(second.data.units.pageInfo).toEqual({ hasNextPage: false, endCursor: ormSecond.pageInfo.endCursor });
    expect(second.statements).toBeLessThanOrEqual(3);
    expect(second.data.units.nodes.find((u: { code: string }) => u.code === '80')).toMatchObject({ name: 'Tỉnh Long An', validTo: '2025-06-30' });
  });

  it('names 80 as the new Tây Ninh on the new map, and 46 as Huế', async () => {
    const nodes = (await counted(PAGE, { at: '2025-08-01' })).data.units.nodes;
    expect(nodes).toHaveLength(34);
    expect(nodes.find((u: { code: string }) => u.code === '80')).toMatchObject({ name: 'Tỉnh Tây Ninh', validFrom: '2025-07-01' });
    expect(nodes.find((u: { code: string }) => u.code === '46').name).toBe('Thành phố Huế');
  });
});

describe('procedure by code', () => {
  const PROCEDURES = `query ($code: String, $first: Int) {
  procedures(filter: { code: $code }, first: $first) { nodes { id code name tier essential eligibleFullOnline sector { code name } } }
}`;

  /** Two sectors and three procedures, written here under the reference data's run (the catalogue comes with a sync). */
  beforeAll(async () => {
    await gw.db.sql.query(
      `WITH r AS (SELECT source_id, id FROM ingest_run ORDER BY id LIMIT 1),
         s AS (INSERT INTO sector (source_id, run_id, code, name) SELECT r.source_id, r.id, v.code, v.name FROM r, (VALUES ('P01', 'Hộ tịch'), ('P02', 'Đất đai')) v(code, name) RETURNING id, code, source_id, run_id)
       INSERT INTO procedure (source_id, run_id, code, name, sector_id, tier, essential)
       SELECT s.source_id, s.run_id, v.code, v.name, s.id, v.tier::procedure_tier, v.essential
       FROM s JOIN (VALUES ('9.000002', 'Đăng ký khai sinh', 'P01', 'commune', true), ('9.000001', 'Đăng ký kết hôn', 'P01', 'commune', false),
                           ('9.000003', 'Cấp giấy chứng nhận', 'P02', 'district', false)) v(code, name, sector, tier, essential) ON v.sector = s.code`,
    );
  });

  it('reads a procedure with its sector in one statement', async () => {
    const one = await counted(PROCEDURES, { code: '9.000003', first: 1 });
    expect(one.data.procedures.nodes).toEqual([
      { id: expect.any(String), code: '9.000003', name: 'Cấp giấy chứng nhận', tier: 'DISTRICT', essential: false, eligibleFullOnline: true, sector: { code: 'P02', name: 'Đất đai' } },
    ]);
    expect({ statements: one.statements, sql: one.sql }).toMatchObject({ statements: 1 });
    expect((await counted(PROCEDURES, { code: 'no such code', first: 1 })).data.procedures.nodes).toEqual([]);
  });

  it('pages procedures in code order, two sharing a sector, each with its own sector, in one statement', async () => {
    const page = await counted(`{ procedures(first: 500) { nodes { code sector { code name } } } }`, {});
    const ours = page.data.procedures.nodes.filter((p: { code: string }) => p.code.startsWith('9.'));
    expect(ours).toEqual([
      { code: '9.000001', sector: { code: 'P01', name: 'Hộ tịch' } },
      { code: '9.000002', sector: { code: 'P01', name: 'Hộ tịch' } },
      { code: '9.000003', sector: { code: 'P02', name: 'Đất đai' } },
    ]);
    expect(page.statements).toBe(1);
  });
});
