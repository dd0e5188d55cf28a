import { FILING_TABLE, freshProbeOrder, freshProbeSql, PLAN_TABLE, SERVICE_LEVEL_TABLE } from '../../src/ingest/fact-upsert';
import { factCounts } from '../support/harness';
import { factDigest, feedTruth, provinceFilings, sourceId, sourceRow, syncWorld, SyncWorld } from './helpers';

/**
 * A feed's first load COPYs its counted monthly statistics straight into filing_stat
 * (copyFreshFacts). A COPY that fails leaves nothing: no fact, no dossier, no cursor.
 */
describe('first load: counted statistics copied straight into filing_stat', () => {
  let w: SyncWorld;
  beforeAll(async () => {
    w = await syncWorld([
      { code: 'catalogue', kind: 'dvcqg' as never, options: { parts: ['catalogue'] } },
      { code: 'igate-72', kind: 'dossier_feed' as never, baseUrl: '${SIMULATOR_URL}/igate/72', units: ['72'], options: { pageSize: 400 } },
    ]);
    expect((await w.sync.sync('catalogue')).status).toBe('succeeded');
  });
  afterAll(() => w?.stop());

  it('a COPY that fails part-way writes nothing; the next run loads it all', async () => {
    const sid = await sourceId(w.db, 'igate-72');
    // A unit of the province without its unit_map row: its top-level unit is unknown, so its fact row fails on NOT NULL.
    const [victim] = await w.db.sql.query<{ unit_id: number }>(
      `SELECT m.unit_id FROM unit_map m JOIN unit u ON u.id = m.unit_id WHERE u.code = '72' ORDER BY m.unit_id LIMIT 1`,
    );
    const before = { counts: await factCounts(w.db), digest: await factDigest(w.db) };
    await w.db.sql.query('DELETE FROM unit_map WHERE unit_id = $1', [victim.unit_id]);
    const failed = await w.sync.sync('igate-72');
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/l1_id/);
    expect(await factCounts(w.db)).toEqual(before.counts);
    expect(await factDigest(w.db)).toBe(before.digest);
    expect(Number((await w.db.sql.query<{ n: string }>('SELECT count(*) AS n FROM dossier WHERE source_id = $1', [sid]))[0].n)).toBe(0);
    expect((await sourceRow(w.db, 'igate-72')).sync_state).toEqual({});
    expect(await w.db.sql.query(`SELECT 1 FROM filing_stat WHERE source_id = $1`, [sid])).toEqual([]);

    await w.db.sql.query('SELECT refresh_unit_map()');
    const ok = await w.sync.sync('igate-72');
    expect(ok.status).toBe('succeeded');
    const truth = await feedTruth(w.sim, '72');
    expect(await provinceFilings(w.db, '72')).toEqual(truth);
    const [run] = await w.db.sql.query<{ detail: Record<string, unknown> }>('SELECT detail FROM ingest_run WHERE id = $1', [ok.runId]);
    expect(run.detail).toMatchObject({ firstLoad: true, factsCopied: true, groupsRecomputed: truth.size });
    // Each fact row is the run's, with its province as the top-level unit.
    const [rows] = await w.db.sql.query<{ n: string; runs: number[]; l1s: string[] }>(
      `SELECT count(*) AS n, array_agg(DISTINCT f.run_id) AS runs, array_agg(DISTINCT l1.code) AS l1s FROM filing_stat f JOIN unit l1 ON l1.id = f.l1_id WHERE f.source_id = $1`,
      [sid],
    );
    expect(rows).toEqual({ n: String(truth.size), runs: [ok.runId], l1s: ['72'] });
  });

  it("the fresh probe reads each fact table's key index, even without statistics and priced for disks", async () => {
    // The planner's view of a new database filled by its first sync: no statistics on the fact
    // tables (rolled back after), and disk prices. Unordered, the LIMIT 1 probe is a sequential
    // scan, which reads the whole table for a group with no fact; ordered by the key, only the index.
    const planOf = async (sql: string, groups: number[]): Promise<string> =>
      w.db.sql.withClient(async (c) => {
        await c.query('BEGIN');
        try {
          await c.query(`DELETE FROM pg_statistic WHERE starelid IN ('filing_stat'::regclass, 'plan'::regclass, 'service_level'::regclass)`);
          // relallvisible too: autovacuum may have marked the pages all-visible (one CI run), which
          // makes an index-only scan cheap; a table just loaded has none.
          await c.query(`UPDATE pg_class SET reltuples = -1, relpages = 0, relallvisible = 0 WHERE oid IN ('filing_stat'::regclass, 'plan'::regclass, 'service_level'::regclass)`);
          await c.query('SET LOCAL random_page_cost = 40');
          const rows = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, [groups]);
          return rows.map((r) => r['QUERY PLAN']).join('\n');
        } finally {
          await c.query('ROLLBACK');
        }
      });
    const groups = 'unnest($1::int[]) d(g)';
    const ids = Array.from({ length: 300 }, (_, i) => 1_000_000 + i);
    expect(Number((await w.db.sql.query<{ n: string }>('SELECT count(*) AS n FROM filing_stat'))[0].n)).toBeGreaterThan(1000);
    // Vacuumed here, whatever autovacuum did meanwhile: the same table every run (planOf then hides what the vacuum recorded).
    await w.db.sql.query('VACUUM ANALYZE filing_stat');
    // The trap it avoids, shown on filing_stat: the same probe without the order.
    const unordered = `SELECT NOT EXISTS (SELECT 1 FROM ${groups} CROSS JOIN LATERAL (SELECT 1 FROM filing_stat f WHERE f.unit_id = d.g LIMIT 1) hit) AS fresh`;
    expect(await planOf(unordered, ids)).toMatch(/Seq Scan on filing_stat/);
    const plan = await planOf(freshProbeSql(FILING_TABLE, groups), ids);
    expect(plan).not.toMatch(/Seq Scan|Sort/);
    expect(plan).toMatch(/Index (Only )?Scan using filing_stat_pkey on filing_stat f/);
    // Every fact table's probe order is the prefix of one of its indexes (plan and service_level are
    // too small here for the planner to care, so their indexes are read from the catalogue).
    for (const spec of [FILING_TABLE, PLAN_TABLE, SERVICE_LEVEL_TABLE]) {
      const indexes = await w.db.sql.query<{ cols: string[] }>(
        `SELECT array_agg(a.attname::text ORDER BY k.n) AS cols FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, n)
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum WHERE i.indrelid = $1::regclass GROUP BY i.indexrelid`,
        [spec.table],
      );
      const order = freshProbeOrder(spec);
      expect(indexes.some((ix) => order.every((c, n) => ix.cols[n] === c))).toBe(true);
    }
    // And it answers: none of these groups has facts; a unit of the province has.
    const [{ fresh }] = await w.db.sql.query<{ fresh: boolean }>(freshProbeSql(FILING_TABLE, groups), [ids]);
    expect(fresh).toBe(true);
    const [{ unit_id }] = await w.db.sql.query<{ unit_id: number }>('SELECT unit_id FROM filing_stat LIMIT 1');
    const [{ fresh: none }] = await w.db.sql.query<{ fresh: boolean }>(freshProbeSql(FILING_TABLE, groups), [[...ids, unit_id]]);
    expect(none).toBe(false);
  });
});
