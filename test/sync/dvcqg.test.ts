import { levelTaxonomy, levelText, SCALES } from '../../src/simulator/simulator.types';
import { createLogger } from '../../src/server/logger';
import { parseRegistry, resolveSources } from '../../src/sources/source-registry.service';
import { SyncService } from '../../src/sync/sync.service';
import { factCounts } from '../support/harness';
import { entry, factDigest, sourceRow, syncWorld, SyncWorld } from './helpers';

const month = (i: number) => `${2018 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;

describe('DVCQG connector (national portal reporting API)', () => {
  let w: SyncWorld;
  beforeAll(async () => {
    w = await syncWorld(
      [
        { code: 'dvcqg', kind: 'dvcqg' as never },
        // The recent months only, for the fault cases: quicker, and a separate cursor.
        { code: 'dvcqg-recent', kind: 'dvcqg' as never, precedence: 300, options: { from: '2025-09', parts: ['levels', 'filings'] } },
      ],
      // The feed provinces and the ministries rather than the whole default world: every kind of
      // unit but the provinces the reform left untouched, and the suite takes 23 s instead of 61 s
      // (38 s before the simulator covered the nation; measured together, under the same load).
      { scale: { ...SCALES.small, name: 'feed-provinces', oldProvinces: SCALES.small.feedProvinces } },
    );
  });
  afterAll(() => w?.stop());

  it('maps the catalogue, every level change, monthly filings and plans', async () => {
    const outcome = await w.sync.sync('dvcqg');
    expect(outcome).toMatchObject({ status: 'succeeded' });
    const world = w.sim.world;
    const counts = await factCounts(w.db);
    expect(counts).toMatchObject({ sector: world.sectors.length, procedure: world.procedures.length, service: world.services.length, fact_revision: 0 });
    expect(counts.plan).toBe(world.plans().length);

    // Every dossier received up to the clock is counted once, in the month and unit that received it.
    const [{ received }] = await w.db.sql.query<{ received: string }>('SELECT sum(received) AS received FROM filing_stat');
    expect(Number(received)).toBe(world.countDossiers());

    // Level histories: each simulated level change is a row dated its first day, in its own taxonomy.
    const rows = await w.db.sql.query<{ unit: string; valid_from: string | null; procedure: string; levels: string[] }>(
      `SELECT u.code AS unit, to_char(u.valid_from, 'YYYY-MM-DD') AS valid_from, p.code AS procedure,
              array_agg(to_char(l.valid_from, 'YYYY-MM') || ' ' || l.taxonomy || ' ' || l.level ORDER BY l.valid_from) AS levels
       FROM service s JOIN unit u ON u.id = s.unit_id JOIN procedure p ON p.id = s.procedure_id JOIN service_level l ON l.service_id = s.id
       GROUP BY 1, 2, 3`,
    );
    const byService = new Map(rows.map((r) => [`${r.unit}|${r.valid_from ?? ''}|${r.procedure}`, r.levels]));
    let compared = 0;
    for (const svc of world.services) {
      const expected: string[] = [];
      for (let k = 0; k < svc.levels.length && svc.levels[k] <= world.endMonth; k += 2) expected.push(`${month(svc.levels[k])} ${levelTaxonomy(svc.levels[k + 1])} ${levelText(svc.levels[k + 1])}`);
      // Rows where only the DVCQG integration changed repeat the level: drop them to compare levels.
      const got = (byService.get(`${svc.unit.code}|${svc.unit.validFrom ?? ''}|${svc.procedure.code}`) ?? []).filter((l, i, all) => i === 0 || l.slice(8) !== all[i - 1].slice(8));
      expect(got).toEqual(expected);
      compared++;
    }
    expect(compared).toBe(world.services.length);
    const status = await sourceRow(w.db, 'dvcqg');
    expect(status).toMatchObject({ status: 'healthy', last_error: null, consecutive_failures: 0, sync_state: { levelsThrough: '2025-12', filingsThrough: '2025-12' } });
  });

  it('re-running changes nothing: same counts, same values', async () => {
    const before = { counts: await factCounts(w.db), digest: await factDigest(w.db) };
    const again = await w.sync.sync('dvcqg');
    expect(again).toMatchObject({ status: 'succeeded', rowsWritten: 0 });
    expect(await factCounts(w.db)).toEqual(before.counts);
    expect(await factDigest(w.db)).toBe(before.digest);
    const full = await w.sync.sync('dvcqg', { full: true });
    expect(full).toMatchObject({ status: 'succeeded', rowsWritten: 0 });
    expect(await factDigest(w.db)).toBe(before.digest);
  });

  it('rides out transient faults: time-outs, 5xx, malformed JSON, a page served twice', async () => {
    const before = await factDigest(w.db);
    const path = '/dvcqg/api/v1/reporting/evaluation/';
    // Each fault hits one request (the (skip+1)th matching one); the retry that follows gets through.
    w.sim.faults.clear();
    w.sim.faults.add([
      { kind: 'timeout', hangMs: 3000, pathPrefix: path, skip: 1 },
      { kind: 'status', status: 503, pathPrefix: path, skip: 3 },
      { kind: 'status', status: 502, pathPrefix: path, skip: 5 },
      { kind: 'malformed-json', pathPrefix: path, skip: 7 },
      { kind: 'repeat-page', pathPrefix: path, skip: 9 },
      { kind: 'reset', pathPrefix: path, skip: 11 },
    ]);
    const outcome = await w.sync.sync('dvcqg-recent', { full: true });
    expect(outcome.error).toBeUndefined();
    expect(outcome).toMatchObject({ status: 'succeeded', rowsWritten: 0 });
    expect(w.sim.faults.hits().map((h) => h.kind).sort()).toEqual(['malformed-json', 'repeat-page', 'reset', 'status', 'status', 'timeout']);
    const [run] = await w.db.sql.query<{ detail: { http: { retries: number; faults: string[] } } }>('SELECT detail FROM ingest_run WHERE id = $1', [outcome.runId]);
    expect(run.detail.http.retries).toBe(6);
    expect(run.detail.http.faults.join('\n')).toMatch(/no complete answer within 1500 ms[\s\S]*HTTP 503[\s\S]*HTTP 502[\s\S]*malformed JSON[\s\S]*served twice/);
    expect(await factDigest(w.db)).toBe(before);
  });

  it('a run that fails part-way writes nothing: the source keeps its data and says why', async () => {
    // Facts a partial run would write back before failing (September) and after (December).
    await w.db.sql.query(`DELETE FROM filing_stat WHERE month IN ('2025-09-01', '2025-12-01')`);
    await w.db.sql.query(`DELETE FROM service_level WHERE valid_from = '2025-10-01'`);
    const counts = await factCounts(w.db);
    const digest = await factDigest(w.db);
    const goodState = (await sourceRow(w.db, 'dvcqg-recent')).sync_state;
    // Levels succeed, then the December filings keep answering 503.
    w.sim.faults.clear();
    w.sim.faults.add({ kind: 'status', status: 503, pathPrefix: '/dvcqg/api/v1/reporting/evaluation/dossier-processing', skip: 3, times: 100 });
    for (const expected of ['degraded', 'degraded', 'failing']) {
      const outcome = await w.sync.sync('dvcqg-recent', { full: true });
      expect(outcome.status).toBe('failed');
      expect(await factCounts(w.db)).toEqual(counts);
      expect(await factDigest(w.db)).toBe(digest);
      const s = await sourceRow(w.db, 'dvcqg-recent');
      expect(s.status).toBe(expected);
      expect(s.last_error).toMatch(/^failed, nothing written: dossier-processing 2025-\d\d page 1: HTTP 503: .*HTTP_503.* \(gave up after 3 attempts\)$/);
      expect(s.sync_state).toEqual(goodState);
    }
    const [run] = await w.db.sql.query<{ status: string; error: string; finished_at: Date | null }>(`SELECT status, error, finished_at FROM ingest_run ORDER BY id DESC LIMIT 1`);
    expect(run).toMatchObject({ status: 'failed', error: expect.stringContaining('HTTP 503') });
    expect(run.finished_at).not.toBeNull();

    w.sim.faults.clear();
    const ok = await w.sync.sync('dvcqg-recent', { full: true });
    expect(ok).toMatchObject({ status: 'succeeded' });
    expect(ok.rowsWritten).toBeGreaterThan(0);
    expect(await sourceRow(w.db, 'dvcqg-recent')).toMatchObject({ status: 'healthy', last_error: null, consecutive_failures: 0 });
  });

  it('needs its credential: a wrong token fails the run with the portal\'s answer', async () => {
    const sources = resolveSources(parseRegistry({ sources: [entry({ code: 'dvcqg-recent', kind: 'dvcqg' as never, options: { from: '2025-12' } })] }), { SIMULATOR_URL: w.sim.url }, {});
    const wrong = new SyncService(w.db.sql, sources, createLogger('silent'), { DVCQG_TOKEN: 'not-the-token' });
    const outcome = await wrong.sync('dvcqg-recent');
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/catalogue page 1: HTTP 401: .*UNAUTHORIZED/);
  });
});
