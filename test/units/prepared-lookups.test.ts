import { GraphQLResolveInfo } from 'graphql';
import { Pool } from 'pg';
import { queryCounter } from '../../src/db/query-counter';
import { Database } from '../../src/db/database';
import { Sql } from '../../src/db/sql';
import { createProcedureLoaders } from '../../src/procedures/procedure.loader';
import { ProcedureReadService } from '../../src/procedures/procedure.service';
import { createUnitLoaders } from '../../src/units/unit.loader';
import { createTestDatabase } from '../support/harness';

/**
 * The unit loaders' fixed SQL runs as named prepared statements (src/db/sql.ts, Statement): each
 * connection parses it once, and the one-code lookup settles on a generic plan, so a `unit(code)`
 * request is no longer planned on every call. One connection (max 1) so that its session's
 * pg_prepared_statements holds every call.
 */
let db: Database;
let pool: Pool;
let sql: Sql;
beforeAll(async () => {
  db = await createTestDatabase();
  pool = new Pool({ connectionString: db.url, max: 1 });
  sql = new Sql(pool);
});
afterAll(async () => {
  await pool?.end();
  await db?.close();
});

const LONG_AN = { code: '80', name: 'Tỉnh Long An', kind: 'province', validFrom: null, validTo: '2025-06-30' };
const TAY_NINH = { code: '80', name: 'Tỉnh Tây Ninh', kind: 'province', validFrom: '2025-07-01', validTo: null };

describe('unit lookups as prepared statements', () => {
  it('answers a reused code by date, seven requests on one connection: planned five times, then generic', async () => {
    const seen = [];
    for (let i = 0; i < 7; i++) {
      // A fresh set of loaders per request, as the context builds them.
      const loaders = createUnitLoaders(sql);
      const at = i % 2 === 0 ? '2025-06-30' : '2025-07-01';
      const unit = await loaders.unitByCode.load(`80|${at}`);
      // The parent came in the same statement and was primed: no second statement.
      const parent = await loaders.unitById.load(unit!.parent!.id);
      seen.push({ code: unit!.code, name: unit!.name, kind: unit!.kind, validFrom: unit!.validFrom, validTo: unit!.validTo, parent: parent!.code });
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => ({ ...(i % 2 === 0 ? LONG_AN : TAY_NINH), parent: 'VN' })));
    const plans = await sql.query<{ generic_plans: string; custom_plans: string }>(
      `SELECT generic_plans::text, custom_plans::text FROM pg_prepared_statements WHERE statement LIKE '%WHERE u.code = $1 AND%'`,
    );
    // PostgreSQL plans a prepared statement for its values five times, then compares the generic
    // plan's cost with theirs: calls 6 and 7 ran the generic plan, planned once.
    expect(plans).toEqual([{ generic_plans: '2', custom_plans: '5' }]);
  });

  it('answers several codes of one date in one statement (the ANY form), each code its own unit', async () => {
    const loaders = createUnitLoaders(sql);
    const [longAn, tayNinhOld, none] = await Promise.all(['80|2025-06-30', '72|2025-06-30', '99999|2025-06-30'].map((k) => loaders.unitByCode.load(k)));
    expect([longAn!.name, tayNinhOld!.name, tayNinhOld!.validTo, none]).toEqual(['Tỉnh Long An', 'Tỉnh Tây Ninh', '2025-06-30', null]);
    const many = await sql.query<{ calls: string }>(`SELECT (generic_plans + custom_plans)::text AS calls FROM pg_prepared_statements WHERE statement LIKE '%WHERE u.code = ANY($1::text[])%'`);
    expect(many).toEqual([{ calls: '1' }]);
  });

  it('reads one sector by id with the one-id statement (planned once), two with the ANY form', async () => {
    // Sectors come with a sync; two written here, under the reference data's run.
    const [a, b] = await db.sql.query<{ id: number; code: string; name: string }>(
      `INSERT INTO sector (source_id, run_id, code, name)
       SELECT r.source_id, r.id, v.code, v.name FROM (SELECT source_id, id FROM ingest_run ORDER BY id LIMIT 1) r,
         (VALUES ('T01', 'Lĩnh vực một'), ('T02', 'Lĩnh vực hai')) v(code, name)
       ORDER BY v.code RETURNING id, code, name`,
    );
    expect([a.code, b.code]).toEqual(['T01', 'T02']);
    for (let i = 0; i < 7; i++) {
      const sector = await createProcedureLoaders(sql).sectorById.load(a.id);
      expect([sector!.id, sector!.code, sector!.name]).toEqual([a.id, a.code, a.name]);
    }
    const two = createProcedureLoaders(sql).sectorById;
    expect((await Promise.all([two.load(b.id), two.load(a.id)])).map((s) => s!.code)).toEqual([b.code, a.code]);
    const plans = await sql.query<{ form: string; generic_plans: string; custom_plans: string }>(
      `SELECT CASE WHEN statement LIKE '%= ANY($1::int[])' THEN 'many' ELSE 'one' END AS form, generic_plans::text, custom_plans::text
       FROM pg_prepared_statements WHERE statement LIKE '%FROM sector s WHERE s.id%' ORDER BY 1`,
    );
    // Seven single-id calls: five custom plans, then the generic one twice; the two-id batch once, planned for its values.
    expect(plans).toEqual([{ form: 'many', generic_plans: '0', custom_plans: '1' }, { form: 'one', generic_plans: '2', custom_plans: '5' }]);
  });

  it('pages procedures by code through one prepared statement with their sectors (primed: no sector lookup), planned five times, then generic', async () => {
    const [sector] = await db.sql.query<{ id: number }>(
      `INSERT INTO sector (source_id, run_id, code, name) SELECT source_id, id, 'T10', 'Lĩnh vực mười' FROM ingest_run ORDER BY id LIMIT 1 RETURNING id`,
    );
    await db.sql.query(
      `INSERT INTO procedure (source_id, run_id, code, name, sector_id, tier)
       SELECT r.source_id, r.id, v.code, v.name, $1, 'province' FROM (SELECT source_id, id FROM ingest_run ORDER BY id LIMIT 1) r,
         (VALUES ('8.000001', 'Thủ tục một'), ('8.000002', 'Thủ tục hai')) v(code, name)`,
      [sector.id],
    );
    const info = { fieldNodes: [] } as unknown as GraphQLResolveInfo;
    const seen = [];
    for (let i = 0; i < 7; i++) {
      const loaders = createProcedureLoaders(sql);
      queryCounter.reset();
      const page = await new ProcedureReadService(sql, loaders).list({ code: i % 2 === 0 ? '8.000001' : '8.000002' }, { first: 1 }, info);
      const sectorOf = await loaders.sectorById.load(page.nodes[0].sector.id);
      seen.push([page.nodes.map((p) => p.name), sectorOf!.name, queryCounter.total]);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => [[i % 2 === 0 ? 'Thủ tục một' : 'Thủ tục hai'], 'Lĩnh vực mười', 1]));
    const plans = await sql.query<{ generic_plans: string; custom_plans: string }>(
      `SELECT generic_plans::text, custom_plans::text FROM pg_prepared_statements WHERE statement LIKE '%FROM procedure p JOIN sector s ON s.id = p.sector_id WHERE (p.code = $1)%'`,
    );
    expect(plans).toEqual([{ generic_plans: '2', custom_plans: '5' }]);
  });

  it('has the units\' statistics from the reference load (a copy of the template), so a page of communes is read in code order', async () => {
    // ANALYZE ran after the load: reltuples is -1 on a table never analyzed, and the template's statistics come with each copy.
    const [units] = await sql.query<{ reltuples: number; n: number; kinds: string }>(
      `SELECT c.reltuples::int AS reltuples, (SELECT count(*)::int FROM unit) AS n,
         (SELECT array_to_string(most_common_vals::text::text[], ',') FROM pg_stats WHERE tablename = 'unit' AND attname = 'kind') AS kinds
       FROM pg_class c WHERE c.relname = 'unit'`,
    );
    expect(units.reltuples).toBe(units.n);
    expect(units.kinds.split(',')).toContain('commune');
    // With them, a page after a cursor walks the code index instead of sorting every commune.
    const plan = await sql.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT u.id FROM unit u WHERE u.kind = 'commune' AND (u.code, u.id) > ('05000'::text, 1) ORDER BY u.code, u.id LIMIT 51`,
    );
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Scan using unit_code_valid_from_unique/);
  });

  it('asks one unit\'s name on a date with the one-id statement (planned once), two with the ANY form', async () => {
    const [huế] = await sql.query<{ id: number }>(`SELECT id FROM unit WHERE code = '46'`);
    const names = [];
    for (let i = 0; i < 7; i++) names.push(await createUnitLoaders(sql).unitNameAt.load(`${huế.id}|${i % 2 === 0 ? '2024-12-31' : '2025-01-01'}`));
    expect(names).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => (i % 2 === 0 ? 'Tỉnh Thừa Thiên Huế' : 'Thành phố Huế')));
    const [vn] = await sql.query<{ id: number }>(`SELECT id FROM unit WHERE code = 'VN'`);
    const both = createUnitLoaders(sql).unitNameAt;
    expect(await Promise.all([both.load(`${huế.id}|2024-06-01`), both.load(`${vn.id}|2024-06-01`)])).toEqual(['Tỉnh Thừa Thiên Huế', 'Việt Nam']);
    const plans = await sql.query<{ form: string; generic_plans: string; custom_plans: string }>(
      `SELECT CASE WHEN statement LIKE '%= ANY($2::int[])' THEN 'many' ELSE 'one' END AS form, generic_plans::text, custom_plans::text
       FROM pg_prepared_statements WHERE statement LIKE 'SELECT id, unit_name_at(id, $1::date)%' ORDER BY 1`,
    );
    expect(plans).toEqual([{ form: 'many', generic_plans: '0', custom_plans: '1' }, { form: 'one', generic_plans: '2', custom_plans: '5' }]);
  });
});
