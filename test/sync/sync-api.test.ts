import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyService } from '../../src/auth/api-key.service';
import { createLogger } from '../../src/server/logger';
import { ServiceRegistry } from '../../src/server/service.registry';
import { parseRegistry, resolveSources } from '../../src/sources/source-registry.service';
import { SyncScheduler } from '../../src/sync/sync.scheduler';
import { entry, EntrySpec, serve, Served, sourceRow, syncWorld, SyncWorld } from './helpers';

const SPECS: EntrySpec[] = [
  { code: 'catalogue', kind: 'dvcqg' as never, options: { parts: ['catalogue'] }, schedule: '15 2 * * *' },
  { code: 'igate-95', kind: 'dossier_feed' as never, baseUrl: '${SIMULATOR_URL}/igate/95', units: ['95'] },
];

const SOURCES = `{ sources { code kind precedence schedule units status lastAttemptAt lastSuccessAt lastRows lastError nextSyncAt runs(last: 2) { status rowsRead } } }`;
const SYNC = `mutation ($code: String!) { syncSource(code: $code) { state error jobId source { code status lastRows } run { status rowsRead kind } } }`;

describe('sync over GraphQL, on the job queue, and from the command line', () => {
  let w: SyncWorld;
  let api: Served;
  let nationKey: string;
  let provinceKey: string;
  const schedulers: SyncScheduler[] = [];
  // What main.ts hands the server: the resolvers find the sync runtime here, per request.
  const services = new ServiceRegistry();

  beforeAll(async () => {
    w = await syncWorld(SPECS);
    api = await serve(w.db, services);
    const keys = new ApiKeyService(w.db.sql);
    nationKey = (await keys.create({ name: 'national-exchange', unitCodes: ['*'] })).key;
    provinceKey = (await keys.create({ name: 'ca-mau', unitCodes: ['96'] })).key;
  });
  afterAll(async () => {
    services.sync = undefined;
    for (const s of schedulers) await s.stop();
    await api?.close();
    await w?.stop();
  });

  it('lists the sources with their schedule, coverage and (not yet) health', async () => {
    const res = await api.gql(SOURCES);
    expect(res.errors).toBeUndefined();
    const byCode = Object.fromEntries(res.data.sources.map((s: { code: string }) => [s.code, s]));
    expect(byCode['igate-95']).toMatchObject({ kind: 'DOSSIER_FEED', precedence: 200, schedule: null, units: ['95'], status: null, lastSuccessAt: null, nextSyncAt: null, runs: [] });
    expect(byCode.catalogue).toMatchObject({ kind: 'DVCQG', schedule: '15 2 * * *', units: ['*'] });
    expect(new Date(byCode.catalogue.nextSyncAt).getTime()).toBeGreaterThan(Date.now());
    expect(byCode.reference).toMatchObject({ kind: 'REFERENCE', status: null, schedule: null });
  });

  it('syncSource needs a key scoped to the whole nation', async () => {
    services.sync = { sync: w.sync };
    expect((await api.gql(SYNC, { code: 'catalogue' })).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await api.gql(SYNC, { code: 'catalogue' }, provinceKey)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const unknown = await api.gql(SYNC, { code: 'nope' }, nationKey);
    expect(unknown.errors?.[0]).toMatchObject({ message: 'Unknown source nope', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('syncs on demand and shows the source healthy and fresh', async () => {
    const res = await api.gql(SYNC, { code: 'catalogue' }, nationKey);
    expect(res.errors).toBeUndefined();
    expect(res.data.syncSource).toMatchObject({ state: 'SUCCEEDED', error: null, jobId: null, source: { code: 'catalogue', status: 'HEALTHY', lastRows: w.sim.world.procedures.length }, run: { status: 'SUCCEEDED', kind: 'SYNC' } });
    const list = await api.gql(SOURCES);
    const cat = list.data.sources.find((s: { code: string }) => s.code === 'catalogue');
    expect(cat).toMatchObject({ status: 'HEALTHY', lastError: null, runs: [{ status: 'SUCCEEDED', rowsRead: w.sim.world.procedures.length }] });
    expect(new Date(cat.lastSuccessAt).getTime()).toBeGreaterThanOrEqual(new Date(cat.lastAttemptAt).getTime());
  });

  it('goes through the pg-boss queue when this process runs it; two processes never run one source at once', async () => {
    const log = createLogger('silent');
    for (let i = 0; i < 2; i++) {
      const s = new SyncScheduler(w.db.url, w.sync, log, { pollingIntervalSeconds: 0.5 });
      await s.start();
      schedulers.push(s);
    }
    services.sync = { sync: w.sync, scheduler: schedulers[0] };
    const res = await api.gql(SYNC, { code: 'igate-95' }, nationKey);
    expect(res.errors).toBeUndefined();
    expect(res.data.syncSource).toMatchObject({ state: 'SUCCEEDED', source: { status: 'HEALTHY' }, run: { rowsRead: w.sim.world.feed.total('95') } });
    expect(res.data.syncSource.jobId).toMatch(/^[0-9a-f-]{36}$/);

    // Both "processes" ask at once, several times: requests coalesce, and runs never overlap.
    w.sim.world.advance(1);
    const ids = await Promise.all([0, 1, 0, 1].map((i) => schedulers[i].enqueue('igate-95', 'test')));
    const states = await Promise.all(ids.map((id) => schedulers[0].waitFor('igate-95', id, 30_000)));
    expect(states.every((s) => s?.state === 'completed')).toBe(true);
    expect(new Set(ids).size).toBeLessThan(ids.length);
    const runs = await w.db.sql.query<{ started_at: Date; finished_at: Date }>(
      `SELECT r.started_at, r.finished_at FROM ingest_run r JOIN source s ON s.id = r.source_id WHERE s.code = 'igate-95' ORDER BY r.started_at`,
    );
    for (let i = 1; i < runs.length; i++) expect(runs[i].started_at.getTime()).toBeGreaterThanOrEqual(runs[i - 1].finished_at.getTime());
    expect((await sourceRow(w.db, 'igate-95')).status).toBe('healthy');
  });

  it('refuses a registry whose URLs do not resolve to http(s) URLs, naming the source', () => {
    const entries = parseRegistry({ sources: SPECS.map(entry) });
    expect(() => resolveSources(entries, {}, {})).toThrow('source catalogue: baseUrl needs ${SIMULATOR_URL}, which is not set');
    expect(() => resolveSources(entries, { SIMULATOR_URL: 'localhost:4100' }, {})).toThrow(/source catalogue: baseUrl resolves to "localhost:4100\/dvcqg\/api\/v1", not an http\(s\) URL/);
    expect(resolveSources(entries, { SIMULATOR_URL: 'http://127.0.0.1:4100/' }, {})[1].url).toBe('http://127.0.0.1:4100/igate/95');
  });

  it('npm run sync: plain progress lines when not on a terminal, exit 0 when every sync succeeded', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-sync-cli-'));
    const file = path.join(dir, 'sources.json');
    fs.writeFileSync(file, JSON.stringify({ sources: SPECS.map(entry) }));
    const run = (args: string[], simulatorUrl: string | null = w.sim.url) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: w.db.url, SOURCES_FILE: file, SIMULATOR_URL: simulatorUrl ?? undefined, LOG_LEVEL: 'silent' };
        if (simulatorUrl === null) delete env.SIMULATOR_URL;
        const child = spawn(process.execPath, [path.join(__dirname, '../../dist/src/sync/sync.cli.js'), ...args], {
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', (code) => resolve({ code, out }));
      });
    try {
      w.sim.world.advance(1);
      const ok = await run(['igate-95']);
      expect(ok.out).toMatch(/^igate-95: dossiers \d+\/\d+ dossiers$/m);
      expect(ok.out).toMatch(/^igate-95: succeeded \(run \d+\) in [\d.]+ s: read \d+, wrote \d+$/m);
      expect(ok.code).toBe(0);
      // Without SIMULATOR_URL, beside a running gateway: its simulator (found through the URLs it
      // applied to the registry) is used, and the URLs the gateway shows stay as they are.
      const before = (await sourceRow(w.db, 'igate-95')).base_url;
      const beside = await run(['igate-95'], null);
      expect(beside.out).toContain(`portal simulator of the running gateway at ${w.sim.url}`);
      expect(beside.code).toBe(0);
      expect((await sourceRow(w.db, 'igate-95')).base_url).toBe(before);
      const usage = await run(['nope']);
      expect(usage).toMatchObject({ code: 2, out: expect.stringContaining('unknown source(s): nope') });
      const list = await run(['--list']);
      expect(list.out).toContain('igate-95       dossier_feed  precedence 200  on demand');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
