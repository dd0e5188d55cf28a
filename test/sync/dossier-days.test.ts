import { factCounts } from '../support/harness';
import type { DossierRecord } from '../../src/simulator/dossier.generator';
import { factDigest, feedDossiers, sourceId, sourceRow, syncWorld, SyncWorld } from './helpers';

/**
 * The dossier store's days (Migration20261218000000_dossier_days): received_on, due_on and
 * resolved_on, Asia/Ho_Chi_Minh calendar days read from the feed's local timestamps, stored by
 * the first load's direct COPY and by the staged upsert alike, corrected with their dossier, and
 * filled for rows stored before the migration by the re-read the migration asks for.
 */
describe('dossier days', () => {
  let w: SyncWorld;
  beforeAll(async () => {
    w = await syncWorld([
      { code: 'catalogue', kind: 'dvcqg' as never, options: { parts: ['catalogue'] } },
      { code: 'igate-80', kind: 'dossier_feed' as never, baseUrl: '${SIMULATOR_URL}/igate/80', units: ['80'], options: { pageSize: 500 } },
      { code: 'igate-72', kind: 'dossier_feed' as never, baseUrl: '${SIMULATOR_URL}/igate/72', units: ['72'], options: { pageSize: 500 } },
    ]);
    expect((await w.sync.sync('catalogue')).status).toBe('succeeded');
  });
  afterAll(() => w?.stop());

  type Days = { received_on: string | null; due_on: string | null; resolved_on: string | null };
  /** A source's stored days by dossier number, as yyyy-mm-dd text. */
  const storedDays = async (code: string): Promise<Map<string, Days>> => {
    const rows = await w.db.sql.query<Days & { code: string }>(
      `SELECT code, to_char(received_on, 'YYYY-MM-DD') AS received_on, to_char(due_on, 'YYYY-MM-DD') AS due_on, to_char(resolved_on, 'YYYY-MM-DD') AS resolved_on
       FROM dossier WHERE source_id = $1`,
      [await sourceId(w.db, code)],
    );
    return new Map(rows.map(({ code: c, ...days }) => [c, days]));
  };
  /** What the feed's record says, read with string slicing (the connector reads digits). */
  const day = (t: string | null) => (t === null ? null : `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}`);
  const feedDays = (d: DossierRecord): Days => ({ received_on: day(d.NgayTiepNhan), due_on: day(d.NgayHenTra), resolved_on: d.TrangThaiHoSo === 4 ? day(d.NgayTra) : null });
  const byCode = async (province: string) => new Map((await feedDossiers(w.sim, province)).map((d) => [d.MaHoSo, d]));

  it('stores each dossier\'s receipt, due and resolution days, local days as the feed gives them (first load: direct COPY)', async () => {
    const outcome = await w.sync.sync('igate-80');
    expect(outcome.status).toBe('succeeded');
    const stored = await storedDays('igate-80');
    const feed = await byCode('80');
    // Chosen by hand from the simulator's feed (default seed), the feed's values quoted:
    // - resolved late: NgayTiepNhan 20180110130516, NgayHenTra 20180113170000, NgayTra 20180115164116 (5 days);
    expect(feed.get('80-1801-0061-00001')).toMatchObject({ NgayTiepNhan: '20180110130516', NgayHenTra: '20180113170000', NgayTra: '20180115164116', TrangThaiHoSo: 4 });
    expect(stored.get('80-1801-0061-00001')).toEqual({ received_on: '2018-01-10', due_on: '2018-01-13', resolved_on: '2018-01-15' });
    // - received online at 06:03 local (23:03 UTC the day before): the local day, 25 February, not the UTC one;
    expect(feed.get('80-2102-0024-00000')).toMatchObject({ NgayTiepNhan: '20210225060305', NgayHenTra: '20210225170000', NgayTra: '20210225063318', TrangThaiHoSo: 4 });
    expect(stored.get('80-2102-0024-00000')).toEqual({ received_on: '2021-02-25', due_on: '2021-02-25', resolved_on: '2021-02-25' });
    // - resolved on time in the month after its receipt month (received January, resolved on its due day in February);
    expect(feed.get('80-1801-0025-00004')).toMatchObject({ NgayTiepNhan: '20180109075033', NgayHenTra: '20180205170000', NgayTra: '20180205074026', TrangThaiHoSo: 4 });
    expect(stored.get('80-1801-0025-00004')).toEqual({ received_on: '2018-01-09', due_on: '2018-02-05', resolved_on: '2018-02-05' });
    // - in progress (TrangThaiHoSo 2, NgayTra null), due next year.
    expect(feed.get('80-2511-0015-00010')).toMatchObject({ NgayTiepNhan: '20251102073725', NgayHenTra: '20260115170000', NgayTra: null, TrangThaiHoSo: 2 });
    expect(stored.get('80-2511-0015-00010')).toEqual({ received_on: '2025-11-02', due_on: '2026-01-15', resolved_on: null });

    // Every other dossier of the feed too: exactly one stored row each, with the feed's days.
    expect(stored.size).toBe(feed.size);
    const wrong = [...feed.values()].filter((d) => JSON.stringify(stored.get(d.MaHoSo)) !== JSON.stringify(feedDays(d)));
    expect(wrong).toEqual([]);
    const [counts] = await w.db.sql.query<{ open: string; no_received: string }>(
      `SELECT count(*) FILTER (WHERE resolved_on IS NULL) AS open, count(*) FILTER (WHERE received_on IS NULL) AS no_received FROM dossier WHERE source_id = $1`,
      [await sourceId(w.db, 'igate-80')],
    );
    expect(counts).toEqual({ open: String([...feed.values()].filter((d) => d.TrangThaiHoSo !== 4).length), no_received: '0' });
  });

  it('a correction that moves NgayTra moves resolved_on; a reopened dossier loses it (staged upsert)', async () => {
    // On time (returned 20180205074026, due 20180205170000): the 'overdue' correction returns it a day
    // after the due instant, 20180206170000, so resolved_on moves from 5 to 6 February.
    const late = w.sim.world.correctDossier('80-1801-0025-00004', 'overdue');
    expect(late.record).toMatchObject({ NgayTra: '20180206170000', NgayHenTra: '20180205170000', TrangThaiHoSo: 4 });
    // Resolved late on 15 January 2018: sent back for documents, open again.
    const reopened = w.sim.world.correctDossier('80-1801-0061-00001', 'reopened');
    expect(reopened.record).toMatchObject({ NgayTra: null, TrangThaiHoSo: 3 });
    const before = await storedDays('igate-80');

    const outcome = await w.sync.sync('igate-80');
    expect(outcome).toMatchObject({ status: 'succeeded', rowsRead: 2 });
    const after = await storedDays('igate-80');
    expect(after.get('80-1801-0025-00004')).toEqual({ received_on: '2018-01-09', due_on: '2018-02-05', resolved_on: '2018-02-06' });
    expect(after.get('80-1801-0061-00001')).toEqual({ received_on: '2018-01-10', due_on: '2018-01-13', resolved_on: null });
    // Nothing else moved.
    const changed = [...after].filter(([code, d]) => JSON.stringify(before.get(code)) !== JSON.stringify(d)).map(([code]) => code).sort();
    expect(changed).toEqual(['80-1801-0025-00004', '80-1801-0061-00001']);
    const [run] = await w.db.sql.query<{ detail: { staged: number; firstLoad: boolean } }>('SELECT detail FROM ingest_run WHERE id = $1', [outcome.runId]);
    expect(run.detail).toMatchObject({ staged: 2, firstLoad: false });
  });

  it('refuses a dossier whose NgayHenTra is no timestamp, naming the field, and writes nothing (first load)', async () => {
    const counts = await factCounts(w.db);
    const state = (await sourceRow(w.db, 'igate-72')).sync_state;
    w.sim.faults.clear();
    // On pages 2 and 4: month 13 (fourteen digits, but no calendar day), then a number where text belongs.
    w.sim.faults.add([
      { kind: 'bad-value', pathPrefix: '/igate/72/api/dossiers', skip: 1, field: 'NgayHenTra', value: '20241345170000' },
      { kind: 'bad-value', pathPrefix: '/igate/72/api/dossiers', skip: 3, field: 'NgayHenTra', value: 20241201170000 },
    ]);
    const outcome = await w.sync.sync('igate-72');
    expect(outcome.status).toBe('rejected');
    expect(outcome.error).toMatch(
      /^rejected, nothing written: 2 problem\(s\): dossier [^:]+: NgayHenTra must be yyyyMMddHHmmss, got "20241345170000"; dossier [^:]+: NgayHenTra must be yyyyMMddHHmmss, got 20241201170000$/,
    );
    expect(w.sim.faults.list()).toEqual([]);
    expect(await factCounts(w.db)).toEqual(counts);
    const [{ n }] = await w.db.sql.query<{ n: string }>('SELECT count(*) AS n FROM dossier WHERE source_id = $1', [await sourceId(w.db, 'igate-72')]);
    expect(n).toBe('0');
    expect((await sourceRow(w.db, 'igate-72')).sync_state).toEqual(state);
  });

  it('refuses a bad NgayHenTra on an incremental run too (staged path): nothing written, the position kept', async () => {
    w.sim.world.advance(1);
    const counts = await factCounts(w.db);
    const digest = await factDigest(w.db);
    const days = await storedDays('igate-80');
    const state = (await sourceRow(w.db, 'igate-80')).sync_state;
    w.sim.faults.clear();
    // 30 February 2026.
    w.sim.faults.add({ kind: 'bad-value', pathPrefix: '/igate/80/api/dossiers', field: 'NgayHenTra', value: '20260230170000' });
    const outcome = await w.sync.sync('igate-80');
    expect(outcome.status).toBe('rejected');
    expect(outcome.error).toMatch(/^rejected, nothing written: 1 problem\(s\): dossier [^:]+: NgayHenTra must be yyyyMMddHHmmss, got "20260230170000"$/);
    expect(w.sim.faults.list()).toEqual([]);
    expect(await factCounts(w.db)).toEqual(counts);
    expect(await factDigest(w.db)).toBe(digest);
    expect(await storedDays('igate-80')).toEqual(days);
    expect((await sourceRow(w.db, 'igate-80')).sync_state).toEqual(state);
    // Served properly, the same month goes in.
    expect((await w.sync.sync('igate-80')).status).toBe('succeeded');
    const feed = await byCode('80');
    const stored = await storedDays('igate-80');
    expect(stored.size).toBe(feed.size);
    expect([...feed.values()].filter((d) => JSON.stringify(stored.get(d.MaHoSo)) !== JSON.stringify(feedDays(d)))).toEqual([]);
  });

  it('rows stored before the migration get their days from the re-read it asks for, statistics unchanged', async () => {
    // Not a dossier feed: its saved state is left alone (set by hand here, the catalogue keeping none of its own).
    await w.db.sql.query(`UPDATE source SET sync_state = '{"probe": 1}' WHERE code = 'catalogue'`);
    expect((await sourceRow(w.db, 'igate-80')).sync_state).not.toEqual({});
    const migrator = w.db.orm.getMigrator();
    const name = 'Migration20261218000000_dossier_days';
    // Back to before the migration (the columns dropped), then the migration itself, as an upgrade runs it.
    await migrator.down({ migrations: [name] });
    await migrator.up({ migrations: [name] });
    const stored = await storedDays('igate-80');
    expect(new Set([...stored.values()].map((d) => JSON.stringify(d)))).toEqual(new Set([JSON.stringify({ received_on: null, due_on: null, resolved_on: null })]));
    // The dossier feeds start again from the beginning; the catalogue keeps its position.
    expect((await sourceRow(w.db, 'igate-80')).sync_state).toEqual({});
    expect((await sourceRow(w.db, 'catalogue')).sync_state).toEqual({ probe: 1 });
    const counts = await factCounts(w.db);
    const digest = await factDigest(w.db);

    const feed = await byCode('80');
    const outcome = await w.sync.sync('igate-80');
    expect(outcome).toMatchObject({ status: 'succeeded', rowsRead: feed.size, rowsWritten: 0 });
    const after = await storedDays('igate-80');
    expect(after.size).toBe(feed.size);
    expect([...feed.values()].filter((d) => JSON.stringify(after.get(d.MaHoSo)) !== JSON.stringify(feedDays(d)))).toEqual([]);
    // The monthly statistics were already right: not one fact rewritten.
    expect(await factCounts(w.db)).toEqual(counts);
    expect(await factDigest(w.db)).toBe(digest);
  });
});
