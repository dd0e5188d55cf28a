import { BASE_GROWING_PERCENT, BULK_GROWING_PERCENT, HeapPolicy } from '../../src/server/heap-policy';
import { createLogger } from '../../src/server/logger';
import { SyncService } from '../../src/sync/sync.service';
import { factCounts } from '../support/harness';
import { factDigest, feedTruth, provinceFilings, sourceId, sourceRow, syncWorld, SyncWorld } from './helpers';

describe('dossier feed connector (iGate style)', () => {
  let w: SyncWorld;
  beforeAll(async () => {
    w = await syncWorld([
      // The procedure catalogue comes from the national portal; the feeds only name procedures.
      { code: 'catalogue', kind: 'dvcqg' as never, options: { parts: ['catalogue'] } },
      // Small pages, so faults land in the middle of a run.
      { code: 'igate-80', kind: 'dossier_feed' as never, baseUrl: '${SIMULATOR_URL}/igate/80', units: ['80'], options: { pageSize: 100 } },
      { code: 'igate-72', kind: 'dossier_feed' as never, baseUrl: '${SIMULATOR_URL}/igate/72', units: ['72'], options: { pageSize: 150 } },
      // Misconfigured: reads province 80's feed but may only write province 72.
      { code: 'igate-wrong', kind: 'dossier_feed' as never, baseUrl: '${SIMULATOR_URL}/igate/80', units: ['72'] },
    ]);
    expect((await w.sync.sync('catalogue')).status).toBe('succeeded');
  });
  afterAll(() => w?.stop());

  const dossierCount = async (code: string) =>
    Number((await w.db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM dossier WHERE source_id = $1`, [await sourceId(w.db, code)]))[0].n);

  it('aggregates every dossier into the monthly statistics of its unit (read at its receipt date), procedure and month', async () => {
    const outcome = await w.sync.sync('igate-80');
    expect(outcome).toMatchObject({ status: 'succeeded', rowsRead: w.sim.world.feed.total('80') });
    expect(await dossierCount('igate-80')).toBe(w.sim.world.feed.total('80'));
    const truth = await feedTruth(w.sim, '80');
    expect(await provinceFilings(w.db, '80')).toEqual(truth);
    // A first load counts the monthly statistics as the dossiers stream: no GROUP BY over the partition.
    const [first] = await w.db.sql.query<{ detail: Record<string, unknown> }>('SELECT detail FROM ingest_run WHERE id = $1', [outcome.runId]);
    expect(first.detail).toMatchObject({ firstLoad: true, countedWhileStreaming: true, groupsRecomputed: truth.size, factsCopied: true });
    // Every page was decoded from its bytes (FeedPageDecoder), none needed JSON.parse.
    expect(first.detail.decodedPages).toBe(first.detail.pages);
    // Code 80 is old Long An until June 2025 and the new Tây Ninh from July.
    const names = await w.db.sql.query<{ month: string; name: string }>(
      `SELECT DISTINCT to_char(f.month, 'YYYY-MM') AS month, u.name FROM filing_stat f JOIN unit u ON u.id = f.unit_id
       WHERE u.code = '80' AND f.month IN ('2025-06-01', '2025-07-01') ORDER BY 1`,
    );
    expect(names).toEqual([{ month: '2025-06', name: 'Tỉnh Long An' }, { month: '2025-07', name: 'Tỉnh Tây Ninh' }]);
    expect((await sourceRow(w.db, 'igate-80')).sync_state).toEqual({ modifiedFrom: expect.stringMatching(/^\d{14}$/), afterId: expect.any(String) });
    // The aggregate rollups were brought up to date in the same transaction.
    expect(await w.db.sql.query('SELECT * FROM rollup_dirty')).toEqual([]);
    const [rollup] = await w.db.sql.query<{ n: string }>('SELECT sum(received) AS n FROM filing_rollup_l1');
    expect(Number(rollup.n)).toBe(w.sim.world.feed.total('80'));
  });

  it('re-syncing reads from the saved position and changes nothing', async () => {
    const before = { counts: await factCounts(w.db), digest: await factDigest(w.db) };
    const again = await w.sync.sync('igate-80');
    expect(again).toMatchObject({ status: 'succeeded', rowsRead: 0, rowsWritten: 0 });
    expect(await factCounts(w.db)).toEqual(before.counts);
    expect(await factDigest(w.db)).toBe(before.digest);
  });

  it('after a month passes, adds only the new and newly resolved dossiers', async () => {
    const before = await dossierCount('igate-80');
    w.sim.world.advance(1);
    const outcome = await w.sync.sync('igate-80');
    expect(outcome.status).toBe('succeeded');
    const added = w.sim.world.feed.total('80') - before;
    expect(added).toBeGreaterThan(0);
    // New dossiers plus those resolved since: each read once.
    expect(outcome.rowsRead).toBeGreaterThan(added);
    expect(await dossierCount('igate-80')).toBe(w.sim.world.feed.total('80'));
    expect(await provinceFilings(w.db, '80')).toEqual(await feedTruth(w.sim, '80'));
  });

  it('a corrected dossier (same MaHoSo, later NgayCapNhat) corrects exactly its month', async () => {
    const sid = await sourceId(w.db, 'igate-80');
    const [d] = await w.db.sql.query<{ code: string; month: string }>(
      `SELECT code, to_char(month, 'YYYY-MM-DD') AS month FROM dossier WHERE source_id = $1 AND flags & 12 <> 0 AND flags & 3 = 1 ORDER BY code LIMIT 1`,
      [sid],
    );
    const snapshot = async () => new Map((await w.db.sql.query<{ k: string; v: string }>(`SELECT concat_ws('|', month, unit_id, procedure_id) AS k, concat_ws(',', received, received_online, run_id) AS v FROM filing_stat`)).map((r) => [r.k, r.v]));
    const before = await snapshot();
    const revisions = (await factCounts(w.db)).fact_revision;
    w.sim.world.correctDossier(d.code, 'channel'); // recorded in person, in fact filed online
    const outcome = await w.sync.sync('igate-80');
    expect(outcome).toMatchObject({ status: 'succeeded', rowsRead: 1, rowsWritten: 1 });
    const after = await snapshot();
    const changed = [...after].filter(([k, v]) => before.get(k) !== v);
    expect(changed).toHaveLength(1);
    expect(changed[0][0].startsWith(`${d.month}|`)).toBe(true);
    const [oldReceived, oldOnline] = before.get(changed[0][0])!.split(',').map(Number);
    expect(changed[0][1].split(',').slice(0, 2).map(Number)).toEqual([oldReceived, oldOnline + 1]);
    // The replaced figure is kept.
    const [rev] = await w.db.sql.query<{ reason: string; value: { receivedOnline: number }; count: string }>(
      `SELECT reason, value, (SELECT count(*) FROM fact_revision) AS count FROM fact_revision ORDER BY id DESC LIMIT 1`,
    );
    expect(rev).toMatchObject({ reason: 'corrected', value: { receivedOnline: oldOnline }, count: String(revisions + 1) });
    expect(await provinceFilings(w.db, '80')).toEqual(await feedTruth(w.sim, '80'));
  });

  it('rides out faults in one run: a page served twice, malformed JSON, 5xx, a reset, a time-out, an expired token, a dossier corrected mid-run', async () => {
    const path = '/igate/72/api/dossiers';
    w.sim.faults.clear();
    w.sim.faults.add([
      { kind: 'repeat-page', pathPrefix: path, skip: 2 },
      { kind: 'malformed-json', pathPrefix: path, skip: 5 },
      { kind: 'status', status: 503, pathPrefix: path, skip: 8 },
      { kind: 'reset', pathPrefix: path, skip: 11 },
      { kind: 'timeout', hangMs: 3000, pathPrefix: path, skip: 14 },
      { kind: 'unauthorized', pathPrefix: path, skip: 17 },
      { kind: 'correction', correctionKind: 'overdue', pathPrefix: path, skip: 19 },
      { kind: 'status', status: 502, pathPrefix: path, skip: 21 },
    ]);
    const outcome = await w.sync.sync('igate-72');
    expect(outcome.error).toBeUndefined();
    expect(outcome.status).toBe('succeeded');
    expect(w.sim.faults.list()).toEqual([]);
    expect(w.sim.world.correctionsOf('72').size).toBe(1);
    // One row per dossier in its latest version, statistics exactly as the feed now says (correction included).
    expect(await dossierCount('igate-72')).toBe(w.sim.world.feed.total('72'));
    expect(await provinceFilings(w.db, '72')).toEqual(await feedTruth(w.sim, '72'));
    const [run] = await w.db.sql.query<{ detail: { http: { retries: number; faults: string[] }; staged: number; countedWhileStreaming: boolean; factsCopied: boolean } }>('SELECT detail FROM ingest_run WHERE id = $1', [outcome.runId]);
    // Counted while streaming, the staged dossiers' groups (the repeated page, the correction) counted again from the partition.
    expect(run.detail.countedWhileStreaming).toBe(true);
    expect(run.detail.http.faults.join('\n')).toMatch(/served twice[\s\S]*malformed JSON[\s\S]*HTTP 503[\s\S]*fetch failed[\s\S]*within 1500 ms[\s\S]*HTTP 502/);
    expect(run.detail.staged).toBeGreaterThanOrEqual(1); // the corrected dossier went through the upsert
    // The counted groups went straight into filing_stat, the staged ones' groups recounted after.
    expect(run.detail.factsCopied).toBe(true);
  });

  it('a run that fails part-way writes nothing: data, dossiers and cursor stay as they were, and the source says why', async () => {
    w.sim.world.advance(1);
    const counts = await factCounts(w.db);
    const digest = await factDigest(w.db);
    const dossiers = await dossierCount('igate-80');
    const state = (await sourceRow(w.db, 'igate-80')).sync_state;
    w.sim.faults.clear();
    w.sim.faults.add({ kind: 'status', status: 503, pathPrefix: '/igate/80/api/dossiers', skip: 1, times: 50 });
    const outcome = await w.sync.sync('igate-80');
    expect(outcome.status).toBe('failed');
    expect(outcome.rowsRead).toBeGreaterThan(0); // pages were read, and staged, before the failure
    expect(await factCounts(w.db)).toEqual(counts);
    expect(await factDigest(w.db)).toBe(digest);
    expect(await dossierCount('igate-80')).toBe(dossiers);
    const s = await sourceRow(w.db, 'igate-80');
    expect(s).toMatchObject({ status: 'degraded', consecutive_failures: 1, sync_state: state });
    expect(s.last_error).toMatch(/^failed, nothing written: dossier page 2: HTTP 503: .*server_error.*gave up after 3 attempts/);

    w.sim.faults.clear();
    expect((await w.sync.sync('igate-80')).status).toBe('succeeded');
    expect(await sourceRow(w.db, 'igate-80')).toMatchObject({ status: 'healthy', last_error: null });
    expect(await provinceFilings(w.db, '80')).toEqual(await feedTruth(w.sim, '80'));
  });

  it('rejects a feed that reports units outside the source\'s coverage, writing nothing', async () => {
    const counts = await factCounts(w.db);
    const outcome = await w.sync.sync('igate-wrong');
    expect(outcome.status).toBe('rejected');
    // The first page's dossiers (5,000, the listing's cap reached): each says why, the unit being known and valid then.
    expect(outcome.error).toMatch(/^rejected, nothing written: 5000 problem\(s\): dossier 80-[^:]+: unit 80 is outside the units this source covers \(72\);/);
    expect(await factCounts(w.db)).toEqual(counts);
    expect(await dossierCount('igate-wrong')).toBe(0);
    const [run] = await w.db.sql.query<{ status: string; rows_rejected: number }>('SELECT status, rows_rejected FROM ingest_run WHERE id = $1', [outcome.runId]);
    expect(run.status).toBe('rejected');
    expect(run.rows_rejected).toBeGreaterThan(0);
  });

  it('never runs one source twice at once', async () => {
    const [a, b] = await Promise.all([w.sync.sync('igate-80'), w.sync.sync('igate-80')]);
    expect([a.status, b.status].sort()).toEqual(['busy', 'succeeded']);
    // Another gateway process (its own service, same database) is refused the same way.
    const other = new SyncService(w.db.sql, w.sources, createLogger('silent'), {}, { concurrency: 1 });
    const [c, d] = await Promise.all([w.sync.sync('igate-80'), other.sync('igate-80')]);
    expect([c.status, d.status].sort()).toEqual(['busy', 'succeeded']);
  });

  it('raises the heap growth while a run is under way, and lowers it once the run is over', async () => {
    const applied: number[] = [];
    const heap = new HeapPolicy((p) => applied.push(p));
    const seen = new Set<number | null>();
    const service = new SyncService(w.db.sql, w.sources, createLogger('silent'), {}, { concurrency: 1, heap });
    const outcome = await service.sync('igate-72', { full: true, onProgress: () => seen.add(heap.current) });
    expect(outcome.status).toBe('succeeded');
    expect([...seen]).toEqual([BULK_GROWING_PERCENT]);
    expect(applied).toEqual([BASE_GROWING_PERCENT, BULK_GROWING_PERCENT, BASE_GROWING_PERCENT]);
  });

  it('runs at most SYNC_CONCURRENCY syncs at once in a process; the others wait their turn', async () => {
    const one = new SyncService(w.db.sql, w.sources, createLogger('silent'), {}, { concurrency: 1 });
    const outcomes = await Promise.all([one.sync('igate-72', { full: true }), one.sync('igate-80', { full: true })]);
    expect(outcomes.map((o) => o.status)).toEqual(['succeeded', 'succeeded']);
    const runs = await w.db.sql.query<{ started: Date; finished: Date }>(
      'SELECT started_at AS started, finished_at AS finished FROM ingest_run WHERE id = ANY($1) ORDER BY started_at',
      [outcomes.map((o) => o.runId)],
    );
    expect(runs).toHaveLength(2);
    expect(runs[1].started.getTime()).toBeGreaterThanOrEqual(runs[0].finished.getTime());
  });
});
