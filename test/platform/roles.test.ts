import fs from 'node:fs';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { ApiKeyService } from '../../src/auth/api-key.service';
import { Sql } from '../../src/db/sql';
import { DOCUMENTED_FILES, documentedQueries } from '../docs/documented-answers';
import { GatewayProcess } from '../resilience/gateway-process';
import { clientOf, createDatabase } from './shared-database';

/**
 * GATEWAY_ROLE (issue 12): two api processes and two workers, compiled (dist/src/main.js), as
 * child processes on loopback ports, all four started at once on one database of the test run's
 * PostgreSQL. The workers share the start-up sync (each source synced once, not once per worker)
 * and the job queue; the api processes sync nothing, start no simulator, and queue an on-demand
 * sync for a worker; both answer every documented query identically.
 *
 * Schedules are off (SYNC_SCHEDULES=false): a cron run (the feeds every 30 minutes) landing
 * between two queries would change the data under them; the queue runs as usual. Start-up (the
 * default world's first sync, by one worker) took 200-340 s with the machine's load at 25-34
 * on 2 cores; the limits leave room for that, and nothing is timed.
 */
const ROOT = path.join(__dirname, '../..');
const registry = JSON.parse(fs.readFileSync(path.join(ROOT, 'config/sources.json'), 'utf8')) as { sources: { code: string }[] };
const CODES = registry.sources.map((s) => s.code).sort();

let url: string;
let db: Client;
let api: GatewayProcess[] = [];
let workers: GatewayProcess[] = [];

/** Runs of kind sync by source code (every source of the registry listed, 0 included). */
async function syncRuns(): Promise<Record<string, number>> {
  const { rows } = await db.query<{ code: string; n: number }>(
    `SELECT s.code, count(r.id)::int AS n FROM source s LEFT JOIN ingest_run r ON r.source_id = s.id AND r.kind = 'sync'
     WHERE s.code = ANY($1) GROUP BY s.code ORDER BY s.code`,
    [CODES],
  );
  return Object.fromEntries(rows.map((r) => [r.code, r.n]));
}

beforeAll(async () => {
  url = await createDatabase('template');
  db = await clientOf(url);
  // Small pools: four processes share the test run's server with the other suites.
  const common = { DATABASE_URL: url, SYNC_SCHEDULES: 'false', RATE_LIMIT_MAX: '0', DB_POOL_SIZE: '4', SYNC_CONCURRENCY: '2', SIMULATOR_URL: '', SOURCES_FILE: '' };
  // Started together: workers wait for each other's start-up sync, api processes are ready at once.
  const started = await GatewayProcess.startAll(['api', 'api', 'worker', 'worker'].map((GATEWAY_ROLE) => ({ ...common, GATEWAY_ROLE })), { timeoutMs: 600_000 });
  api = started.slice(0, 2);
  workers = started.slice(2);
}, 700_000);

afterAll(async () => {
  await Promise.all([...api, ...workers].map((p) => p.stop()));
  await db?.end();
}, 60_000);

it('syncs every source once at start, by the workers only', async () => {
  expect(await syncRuns()).toEqual(Object.fromEntries(CODES.map((c) => [c, 1])));
  const { rows } = await db.query<{ status: string; n: number }>(`SELECT status::text, count(*)::int AS n FROM ingest_run WHERE kind = 'sync' GROUP BY status`);
  expect(rows).toEqual([{ status: 'succeeded', n: CODES.length }]);
  // One worker synced, the other waited for it and skipped every source.
  const skipped = workers.filter((w) => /"msg":"start-up sync: the sources another worker synced meanwhile are skipped"/.test(w.logs));
  expect(skipped).toHaveLength(1);
  expect(skipped[0].logs).toMatch(/"left":0/);
  for (const a of api) {
    expect(a.logs).toMatch(/sync job queue connected \(sending only/);
    expect(a.logs).not.toMatch(/"msg":"sync started"|portal simulator started|"msg":"sync scheduler started"|first sync/);
  }
});

it('a worker serves /health only (and /metrics), no GraphQL', async () => {
  for (const w of workers) {
    expect((await w.health()).status).toBe(200);
    const res = await fetch(`http://127.0.0.1:${w.port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { errors: { message: string }[] }).errors[0].message).toMatch(/sync worker/);
  }
});

it('both api processes answer every documented query (README, docs) identically', async () => {
  const queries = DOCUMENTED_FILES.flatMap((file) => documentedQueries(fs.readFileSync(path.join(ROOT, file), 'utf8')).map((q) => ({ ...q, at: `${file}:${q.line}` })))
    .filter((q) => !/^\s*mutation\b/.test(q.query));
  expect(queries.length).toBeGreaterThan(10);
  let rows = 0;
  for (const q of queries) {
    const [a, b] = await Promise.all(api.map((p) => p.gql(q.query)));
    expect({ at: q.at, status: a.status, errors: a.body?.errors }).toEqual({ at: q.at, status: 200, errors: undefined });
    expect({ at: q.at, body: b.body }).toEqual({ at: q.at, body: a.body });
    rows += JSON.stringify(a.body.data).length;
  }
  // Real answers, not two empty ones.
  expect(rows).toBeGreaterThan(10_000);
});

it('an on-demand sync asked of an api process is run by a worker, through the queue', async () => {
  const pool = new Pool({ connectionString: url, max: 1 });
  const key = (await new ApiKeyService(new Sql(pool)).create({ name: 'roles-test', unitCodes: ['*'] })).key;
  await pool.end();
  const code = CODES.find((c) => c !== 'dvcqg')!;
  const res = await api[0].gql(`mutation { syncSource(code: "${code}") { state jobId run { id } } }`, key);
  expect(res.body.errors).toBeUndefined();
  const { state, jobId, run } = res.body.data.syncSource;
  expect(state).toBe('SUCCEEDED');
  expect(jobId).toEqual(expect.any(String));
  const [row] = (await db.query<{ job: string; trigger: string }>(`SELECT detail->>'job' AS job, detail->>'trigger' AS trigger FROM ingest_run WHERE id = $1`, [run.id])).rows;
  expect(row).toEqual({ job: jobId, trigger: 'api' });
  // One run more for that source, none for the others; a worker ran it, no api process did.
  expect(await syncRuns()).toEqual(Object.fromEntries(CODES.map((c) => [c, c === code ? 2 : 1])));
  expect(workers.filter((w) => /"trigger":"api"/.test(w.logs))).toHaveLength(1);
  for (const a of api) expect(a.logs).not.toMatch(/"msg":"sync started"/);
});
