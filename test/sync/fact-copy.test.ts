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
});
