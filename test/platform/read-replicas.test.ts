import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { ApiKeyService } from '../../src/auth/api-key.service';
import { loadConfig } from '../../src/config/config';
import { connect, Database } from '../../src/db/database';
import { loadReferenceData } from '../../src/reference/reference-data.service';
import { RunningApp, startApp } from '../../src/server/app';
import { createLogger } from '../../src/server/logger';
import { createSchema } from '../../src/server/schema';
import { waitFor } from '../resilience/gateway-process';
import { startStreamingPair, StreamingPair } from './streaming-replica';

/**
 * DATABASE_REPLICA_URLS (issue 12) against a REAL streaming replica on loopback
 * (streaming-replica.ts: a wal_level=replica primary and a base backup of it, from the project's
 * own PostgreSQL binaries). Two gateways over real HTTP: `routed` (the primary and the replica)
 * and `direct` (the primary only), to compare answers with.
 *
 * Which server answered is shown twice: by the router's own count of requests per server, and
 * by the data: while the replica's replay is paused, a push on the primary (a correction of one
 * filing row) is visible on the primary only.
 */
const DATABASE = 'dvc_gateway';
const batch = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/batch.json'), 'utf8')) as { filings: Record<string, unknown>[] };

/** Dossiers received in Tây Ninh's former province 72, June 2021: examples/batch.json has 120 + 40. */
const RECEIVED_72 = `{ aggregate(query: { measures: [DOSSIERS_RECEIVED], groupBy: [UNIT], unitTier: PROVINCE, filter: { unitCodes: ["72"], unitsAt: "2021-06-30" }, period: { from: "2021-06", to: "2021-06" } }) {
  rows { dimensions { unit { code } } value(measure: DOSSIERS_RECEIVED) { value } } } }`;
/** Reads of every kind: an aggregate, a list, lookups. */
const READS = [
  RECEIVED_72,
  '{ units(filter: { kind: PROVINCE }, first: 5) { totalCount nodes { code name kind validFrom } } }',
  '{ unit(code: "72") { code name kind parent { code } successors { type unit { code } } } }',
  '{ filingStats(filter: { unitCode: "80" }, first: 10) { totalCount nodes { month received receivedOnline unit { code } procedure { code } } } }',
  '{ procedures(first: 5) { totalCount nodes { code name } } }',
];
const INGEST = 'mutation($batch: IngestBatchInput!) { ingest(batch: $batch) { rowsWritten run { status } } }';

let pair: StreamingPair;
let routedDb: Database;
let directDb: Database;
let routed: RunningApp;
let direct: RunningApp;
let key: string;
let replica: Client;

interface Answer {
  status: number;
  version: string | null;
  etag: string | null;
  body: any;
}

async function post(app: RunningApp, query: string, opts: { variables?: unknown; key?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const res = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}), ...opts.headers },
    body: JSON.stringify({ query, variables: opts.variables }),
  });
  return { status: res.status, version: res.headers.get('x-data-version'), etag: res.headers.get('etag'), body: await res.json() };
}

async function get(app: RunningApp, query: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${app.url}?query=${encodeURIComponent(query)}`, { headers });
  return { status: res.status, version: res.headers.get('x-data-version'), etag: res.headers.get('etag'), body: res.status === 304 ? null : await res.json() };
}

const received = (a: Answer): number => a.body.data.aggregate.rows[0].value.value;
const served = () => routedDb.reads!.stats().served;
const versionOf = async (c: Client): Promise<string> => (await c.query<{ v: string }>('SELECT sum(n)::text AS v FROM data_version')).rows[0].v;

beforeAll(async () => {
  pair = await startStreamingPair(DATABASE, async (url) => {
    // The gateway's schema and reference data on the primary, before the base backup.
    const db = await connect(url, 2);
    try {
      await loadReferenceData(db.sql);
    } finally {
      await db.close();
    }
  });
  const primaryUrl = pair.primary.url(DATABASE);
  routedDb = await connect(primaryUrl, 4, undefined, { replicaUrls: [pair.replica.url(DATABASE)] });
  directDb = await connect(primaryUrl, 4);
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', databaseUrl: primaryUrl, logLevel: 'silent', rateLimitMax: 0 });
  const schema = await createSchema();
  routed = await startApp({ config, db: routedDb, schema, logger: createLogger('silent') });
  direct = await startApp({ config, db: directDb, schema, logger: createLogger('silent') });
  key = (await new ApiKeyService(routedDb.sql).create({ name: 'replica-test', unitCodes: ['72', '80'], catalogue: true })).key;
  replica = await pair.replica.client(DATABASE);
}, 180_000);

afterAll(async () => {
  await replica?.end();
  for (const app of [routed, direct]) await app?.close();
  for (const db of [routedDb, directDb]) await db?.close();
  await pair?.stop();
}, 60_000);

it('a push goes to the primary, then the replica answers every read as the primary does', async () => {
  const push = await post(routed, INGEST, { variables: { batch }, key });
  expect(push.body.errors).toBeUndefined();
  expect(push.body.data.ingest.run.status).toBe('SUCCEEDED');
  // The mutation's answer carries the primary's version after its commit.
  const primary = await pair.primary.client(DATABASE);
  const v = await versionOf(primary).finally(() => primary.end());
  expect(push.version).toBe(v);
  await waitFor('the replica to replay the push', async () => (await versionOf(replica)) === v, 30_000, 50);

  const before = served();
  for (const q of READS) {
    const [a, b] = [await post(routed, q, { headers: { 'x-data-version': push.version! } }), await post(direct, q)];
    expect(a.body.errors).toBeUndefined();
    expect(a.body).toEqual(b.body);
    expect(a.version).toBe(v);
  }
  expect(received(await post(routed, RECEIVED_72))).toBe(160);
  // Every read was the replica's.
  expect(served()['replica 1'] - (before['replica 1'] ?? 0)).toBe(READS.length + 1);
  expect(served().primary ?? 0).toBe(before.primary ?? 0);
});

it('a replica behind the version a client has seen is not used for it, and is again once it catches up', async () => {
  const v1 = await versionOf(replica);
  await replica.query('SELECT pg_wal_replay_pause()');
  await waitFor('replay to pause', async () => (await replica.query<{ s: string }>('SELECT pg_get_wal_replay_pause_state() AS s')).rows[0].s === 'paused', 10_000, 50);

  // A correction pushed on the primary: 120 -> 150 dossiers for one procedure, so 160 -> 190 in all.
  const correction = { ...batch.filings[0], received: 150 };
  const push = await post(routed, INGEST, { variables: { batch: { filings: [correction] } }, key });
  expect(push.body.data.ingest.run.status).toBe('SUCCEEDED');
  const v2 = push.version!;
  expect(BigInt(v2)).toBeGreaterThan(BigInt(v1));
  // The lag: the replica still has v1, and the WAL it has not replayed.
  const primary = await pair.primary.client(DATABASE);
  const lag = (await primary.query<{ bytes: string }>(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::text AS bytes FROM pg_stat_replication WHERE application_name = 'replica1'`)).rows[0];
  await primary.end();
  expect(await versionOf(replica)).toBe(v1);
  expect(Number(lag.bytes)).toBeGreaterThan(0);
  process.stdout.write(`replica lag created: data version ${v1} on the replica against ${v2} on the primary, ${lag.bytes} bytes of WAL not replayed\n`);

  let before = served();
  // A client that has seen nothing: the lagging replica may answer it (version v1, the old figure).
  const fresh = await post(routed, RECEIVED_72);
  expect({ version: fresh.version, received: received(fresh) }).toEqual({ version: v1, received: 160 });
  // The client that pushed (it saw v2): the primary answers, with the correction.
  const writer = await post(routed, RECEIVED_72, { headers: { 'x-data-version': v2 } });
  expect({ version: writer.version, received: received(writer) }).toEqual({ version: v2, received: 190 });
  // A browser that got a v2 ETag revalidates with If-None-Match: the primary (not the replica at v1) says 304.
  const page = await get(routed, RECEIVED_72, { 'x-data-version': v2 });
  expect(page.etag).toMatch(new RegExp(`^"v${v2}-`));
  const revalidated = await get(routed, RECEIVED_72, { 'if-none-match': page.etag! });
  expect(revalidated.status).toBe(304);
  expect(served()).toEqual({ 'replica 1': (before['replica 1'] ?? 0) + 1, primary: (before.primary ?? 0) + 3 });
  expect(routedDb.reads!.stats().behind['replica 1']).toBeGreaterThanOrEqual(3);
  process.stdout.write(`while paused: no X-Data-Version -> replica 1 (v${v1}, 160 dossiers); X-Data-Version ${v2} -> primary (190); If-None-Match "v${v2}-…" -> primary (304)\n`);

  // Replay resumed: once the replica has v2, the same client is served by it again.
  await replica.query('SELECT pg_wal_replay_resume()');
  await waitFor('the replica to catch up', async () => (await versionOf(replica)) === v2, 30_000, 50);
  before = served();
  const again = await post(routed, RECEIVED_72, { headers: { 'x-data-version': v2 } });
  expect({ version: again.version, received: received(again) }).toEqual({ version: v2, received: 190 });
  expect(served()).toEqual({ ...before, 'replica 1': before['replica 1'] + 1 });
  process.stdout.write(`after pg_wal_replay_resume(): X-Data-Version ${v2} -> replica 1 again (190)\n`);
});

it('a made-up version above the primary\'s does not send every request to the primary', async () => {
  const before = served();
  const a = await post(routed, RECEIVED_72, { headers: { 'x-data-version': '999999999999' } });
  expect(received(a)).toBe(190);
  expect(served()['replica 1']).toBe(before['replica 1'] + 1);
});
