import { createLogger } from '../../src/server/logger';
import { applyRegistry, parseRegistry, resolveSources } from '../../src/sources/source-registry.service';
import { SyncService } from '../../src/sync/sync.service';
import { factCounts } from '../support/harness';
import { entry, EntrySpec, factDigest, serve, Served, sourceId, syncWorld, SyncWorld } from './helpers';

const SPECS: EntrySpec[] = [
  { code: 'dvcqg', kind: 'dvcqg' as never, options: { from: '2024-01', parts: ['catalogue', 'filings'] } },
  { code: 'igate-80', kind: 'dossier_feed' as never, baseUrl: '${SIMULATOR_URL}/igate/80', units: ['80'] },
  { code: 'export-80', kind: 'stats_export' as never, baseUrl: '${SIMULATOR_URL}/export/80', units: ['80'], options: { from: '2024-01' } },
];

const STAT = `query ($unitCode: String!, $procedureCode: String!, $month: YearMonth!) {
  filingStats(filter: { unitCode: $unitCode, procedureCode: $procedureCode, from: $month, to: $month }) {
    nodes { received receivedOnline syncedNational provenance { source { code } }
            revisions { reason value source { code precedence } recordedBy { id } valueRun { id } } }
  }
}`;

describe('conflicts: two sources report the same fact', () => {
  let w: SyncWorld;
  let api: Served;
  let fact: { unitCode: string; procedureCode: string; month: string };
  let before: { receivedOnline: number; received: number };

  beforeAll(async () => {
    w = await syncWorld(SPECS);
    api = await serve(w.db);
    for (const code of ['dvcqg', 'igate-80']) expect((await w.sync.sync(code)).status).toBe('succeeded');
  });
  afterAll(async () => {
    await api?.close();
    await w?.stop();
  });

  it('agreeing sources write nothing twice and record no conflict', async () => {
    // The feed's first load found the portal's facts for its units: no straight COPY, the staged apply compared them.
    const [first] = await w.db.sql.query<{ detail: { firstLoad: boolean; factsCopied: boolean } }>('SELECT detail FROM ingest_run WHERE source_id = $1 ORDER BY id LIMIT 1', [await sourceId(w.db, 'igate-80')]);
    expect(first.detail).toMatchObject({ firstLoad: true, factsCopied: false });
    expect(await factCounts(w.db)).toMatchObject({ fact_revision: 0 });
    // The export has the same figures, without the "synced to DVCQG" column: the portal's figure stays.
    const synced = async () => Number((await w.db.sql.query<{ n: string }>(`SELECT sum(synced_national) AS n FROM filing_stat WHERE month >= '2024-01-01'`))[0].n);
    const syncedBefore = await synced();
    expect(syncedBefore).toBeGreaterThan(0);
    expect(await w.sync.sync('export-80')).toMatchObject({ status: 'succeeded', rowsWritten: 0 });
    expect(await synced()).toBe(syncedBefore);
    expect(await factCounts(w.db)).toMatchObject({ fact_revision: 0 });
  });

  it('the national portal outranks the feed: the feed\'s corrected value is kept as an outranked revision', async () => {
    const sid = await sourceId(w.db, 'igate-80');
    const [d] = await w.db.sql.query<{ code: string; unit: string; procedure: string; month: string }>(
      `SELECT d.code, u.code AS unit, p.code AS procedure, to_char(d.month, 'YYYY-MM') AS month
       FROM dossier d JOIN unit u ON u.id = d.unit_id JOIN procedure p ON p.id = d.procedure_id
       WHERE d.source_id = $1 AND d.month >= '2024-01-01' AND d.flags & 12 <> 0 AND d.flags & 3 = 1 ORDER BY d.code LIMIT 1`,
      [sid],
    );
    fact = { unitCode: d.unit, procedureCode: d.procedure, month: d.month };
    const res0 = await api.gql(STAT, fact);
    before = res0.data.filingStats.nodes[0];
    expect(res0.data.filingStats.nodes[0]).toMatchObject({ provenance: { source: { code: 'dvcqg' } }, revisions: [] });

    w.sim.world.correctDossier(d.code, 'channel');
    const outcome = await w.sync.sync('igate-80');
    expect(outcome).toMatchObject({ status: 'succeeded', rowsRead: 1, rowsWritten: 0 });
    const res = await api.gql(STAT, fact);
    expect(res.errors).toBeUndefined();
    const node = res.data.filingStats.nodes[0];
    expect(node).toMatchObject({ received: before.received, receivedOnline: before.receivedOnline, provenance: { source: { code: 'dvcqg' } } });
    expect(node.revisions).toEqual([
      {
        reason: 'OUTRANKED',
        value: expect.objectContaining({ received: before.received, receivedOnline: before.receivedOnline + 1 }),
        source: { code: 'igate-80', precedence: 200 },
        recordedBy: { id: String(outcome.runId) },
        valueRun: { id: String(outcome.runId) },
      },
    ]);
    const list = await api.gql(`{ factRevisions(sourceCode: "igate-80", reason: OUTRANKED) { factType reason source { code } } }`);
    expect(list.data.factRevisions).toEqual([{ factType: 'FILING_STAT', reason: 'OUTRANKED', source: { code: 'igate-80' } }]);

    // Hearing the same losing value again records nothing new.
    const digest = await factDigest(w.db);
    expect(await w.sync.sync('igate-80', { full: true })).toMatchObject({ status: 'succeeded', rowsWritten: 0 });
    expect(await factDigest(w.db)).toBe(digest);
  });

  it('precedence is configuration: ranked above the portal, the feed\'s value wins and the portal\'s is kept', async () => {
    const specs = SPECS.map((s) => (s.code === 'igate-80' ? { ...s, precedence: 350 } : s));
    const sources = resolveSources(parseRegistry({ sources: specs.map(entry) }), { SIMULATOR_URL: w.sim.url }, {});
    await applyRegistry(w.db.sql, sources);
    const sync = new SyncService(w.db.sql, sources, createLogger('silent'), {});
    const outcome = await sync.sync('igate-80', { full: true });
    expect(outcome.status).toBe('succeeded');
    // Every figure the feed shares with the portal is now the feed's (identical values change owner, not value).
    expect(outcome.rowsWritten).toBeGreaterThan(1);
    const node = (await api.gql(STAT, fact)).data.filingStats.nodes[0];
    expect(node).toMatchObject({ receivedOnline: before.receivedOnline + 1, provenance: { source: { code: 'igate-80' } } });
    expect(node.revisions.map((r: { reason: string; source: { code: string }; value: { receivedOnline: number } }) => [r.reason, r.source.code, r.value.receivedOnline])).toEqual([
      ['OUTRANKED', 'igate-80', before.receivedOnline + 1],
      ['OUTRANKED', 'dvcqg', before.receivedOnline],
    ]);
    // The portal, synced again, now loses on that fact and on nothing else.
    const revisions = (await factCounts(w.db)).fact_revision;
    expect(await sync.sync('dvcqg', { full: true })).toMatchObject({ status: 'succeeded', rowsWritten: 0 });
    expect((await factCounts(w.db)).fact_revision).toBe(revisions);
  });
});
