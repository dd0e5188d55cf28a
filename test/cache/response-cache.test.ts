import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { connect, Database } from '../../src/db/database';
import { queryCounter } from '../../src/db/query-counter';
import { RunningApp, startApp } from '../../src/server/app';
import { createLogger } from '../../src/server/logger';
import { createSchema } from '../../src/server/schema';
import { staticPolicyOf } from '../../src/cache/cache-hints';
import { getOperationAST, parse } from 'graphql';
import { startTestGateway, TestGateway } from '../support/harness';

/**
 * The response cache and HTTP caching (issue 11, item 3), over real HTTP and PostgreSQL: what is
 * served from memory, when the data version moves, what is never cached, and the switch.
 */
const batch = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/batch.json'), 'utf8')) as { filings: Record<string, unknown>[] };

const FIGURE = `query Figure($unit: String!) { filingStats(filter: { unitCode: $unit, from: "2021-06", to: "2021-06" }) { nodes { received procedure { code } } } }`;
const INGEST = `mutation Ingest($batch: IngestBatchInput!) { ingest(batch: $batch) { rowsWritten run { status } } }`;

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } | null;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

function post(url: string, query: string, variables?: Record<string, unknown>, key?: string, headers: Record<string, string> = {}): Promise<Answer> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  }).then(answer);
}

function get(url: string, params: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Answer> {
  const search = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  return fetch(`${url}?${search}`, { headers: { accept: 'application/json', ...headers } }).then(answer);
}

const received = (a: Answer) => (a.body?.data?.filingStats.nodes as { received: number; procedure: { code: string } }[]).find((n) => n.procedure.code === '1.001193')?.received;
const versionOf = async (db: Database) => (await db.sql.query<{ v: string }>('SELECT sum(n)::text AS v FROM data_version'))[0].v;

let gw: TestGateway;
let key: string;
beforeAll(async () => {
  gw = await startTestGateway();
  key = await gw.createKey({ name: 'tay-ninh-lgsp', unitCodes: ['72', '80'], catalogue: true });
  const pushed = await post(gw.app.url, INGEST, { batch }, key);
  expect(pushed.body?.errors).toBeUndefined();
});
afterAll(() => gw?.stop());

describe('response cache', () => {
  it('serves a repeated read from memory: x-cache HIT, and no SQL statement', async () => {
    const first = await post(gw.app.url, FIGURE, { unit: '74' });
    expect(first.headers.get('x-cache')).toBe('MISS');
    queryCounter.reset(true);
    // The same bytes: the front cache's answer as sent, before Apollo.
    const again = await post(gw.app.url, FIGURE, { unit: '74' });
    expect(again.headers.get('x-cache')).toBe('HIT');
    expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(again.body).toEqual(first.body);
    expect(queryCounter.statements).toEqual([]);
    // The same operation in other bytes (by GET): each answer is stored once, by the front cache
    // under the bytes that asked for it (Apollo's layer keeps only what does not pass the front: the exports).
    const byGet = await get(gw.app.url, { query: FIGURE, variables: { unit: '74' } });
    expect(byGet.headers.get('x-cache')).toBe('MISS');
    expect(byGet.body).toEqual(first.body);
    queryCounter.reset(true);
    const byGetAgain = await get(gw.app.url, { query: FIGURE, variables: { unit: '74' } });
    expect(byGetAgain.headers.get('x-cache')).toBe('HIT');
    expect(byGetAgain.body).toEqual(first.body);
    expect(queryCounter.statements).toEqual([]);
    // Other variables, another entry.
    expect((await post(gw.app.url, FIGURE, { unit: '75' })).headers.get('x-cache')).toBe('MISS');
  });

  it('keeps the exports\' answers in Apollo\'s layer (they do not pass the front cache): a repeated export runs no SQL', async () => {
    const exportUrl = `${gw.app.url.replace(/\/graphql$/, '')}/export.json?query=${encodeURIComponent(FIGURE)}&variables=${encodeURIComponent(JSON.stringify({ unit: '77' }))}`;
    const first = await fetch(exportUrl);
    expect(first.status).toBe(200);
    const body = await first.text();
    queryCounter.reset(true);
    const again = await fetch(exportUrl);
    expect(await again.text()).toBe(body);
    expect(queryCounter.statements).toEqual([]);
    // The same operation through /graphql, a document Apollo has answered before (here for unit
    // 79): the compiled reads' lane runs it (it does not read Apollo's layer: src/server/compiled-reads.ts).
    expect((await post(gw.app.url, FIGURE, { unit: '79' })).body?.errors).toBeUndefined();
    queryCounter.reset(true);
    const graphql = await post(gw.app.url, FIGURE, { unit: '77' });
    expect(graphql.headers.get('x-cache')).toBe('MISS');
    expect(graphql.body?.errors).toBeUndefined();
    // The export's rows (none for this unit in June 2021) are the answer's nodes.
    expect(graphql.body?.data?.filingStats.nodes).toEqual(JSON.parse(body));
    expect(queryCounter.statements.length).toBeGreaterThan(0);
  });

  it('runs identical reads that miss at the same time once: one MISS, the others share its answer', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(gw.app.url, FIGURE, { unit: '95' })));
    const marks = answers.map((a) => a.headers.get('x-cache')).sort();
    expect(marks.filter((m) => m === 'MISS')).toHaveLength(1);
    expect(marks.every((m) => m === 'MISS' || m === 'COALESCED' || m === 'HIT')).toBe(true);
    // (Exactly one MISS: without coalescing, every request that arrived before the first answer was stored would have run.)
    for (const a of answers) expect(a.body).toEqual(answers[0].body);
  });

  it('an ingest commit bumps the version, and the next read returns the new figure, never the cached one', async () => {
    const before = await post(gw.app.url, FIGURE, { unit: '72' });
    expect(received(before)).toBe(120);
    expect((await post(gw.app.url, FIGURE, { unit: '72' })).headers.get('x-cache')).toBe('HIT');
    const v0 = BigInt(await versionOf(gw.db));
    const pushed = await post(gw.app.url, INGEST, { batch: { filings: [{ ...batch.filings[0], received: 125, receivedOnline: 85 }] } }, key);
    expect(pushed.body?.data?.ingest).toEqual({ rowsWritten: 1, run: { status: 'SUCCEEDED' } });
    expect(BigInt(await versionOf(gw.db))).toBeGreaterThan(v0);
    const after = await post(gw.app.url, FIGURE, { unit: '72' });
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect(received(after)).toBe(125);
  });

  it('a rejected ingest writes nothing and leaves the version, and the cached answers, as they were', async () => {
    await post(gw.app.url, FIGURE, { unit: '72' });
    const v0 = await versionOf(gw.db);
    const rejected = await post(gw.app.url, INGEST, { batch: { filings: [{ ...batch.filings[0], unit: '99', received: 1 }] } }, key);
    expect(rejected.body?.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await versionOf(gw.db)).toBe(v0);
    const again = await post(gw.app.url, FIGURE, { unit: '72' });
    expect(again.headers.get('x-cache')).toBe('HIT');
    expect(received(again)).toBe(125);
  });

  it('two gateways on one database agree on the version: a push through one is seen by the other', async () => {
    const db2 = await connect(gw.db.url, 2);
    let app2: RunningApp | undefined;
    try {
      const config = loadConfig({}, { port: 0, host: '127.0.0.1', databaseUrl: gw.db.url, logLevel: 'silent' });
      app2 = await startApp({ config, db: db2, schema: await createSchema(), logger: createLogger('silent') });
      const url2 = app2.url;
      for (const url of [gw.app.url, url2]) await post(url, FIGURE, { unit: '72' });
      const one = await get(gw.app.url, { query: FIGURE, variables: { unit: '72' } });
      const two = await get(url2, { query: FIGURE, variables: { unit: '72' } });
      expect(two.headers.get('etag')).toBe(one.headers.get('etag'));
      const pushed = await post(url2, INGEST, { batch: { filings: [{ ...batch.filings[0], received: 130, receivedOnline: 85 }] } }, key);
      expect(pushed.body?.data?.ingest.rowsWritten).toBe(1);
      // The push's answer names the version holding it; sent back to the other process, that process
      // serves nothing older, whether or not it has heard the commit's notification yet.
      const written = pushed.headers.get('x-data-version');
      expect(written).toBe(await versionOf(gw.db));
      expect(BigInt(written!)).toBeGreaterThan(BigInt(one.headers.get('x-data-version')!));
      const seen = await post(gw.app.url, FIGURE, { unit: '72' }, undefined, { 'x-data-version': written! });
      expect(seen.headers.get('x-cache')).toBe('MISS');
      expect(received(seen)).toBe(130);
      const oneAfter = await get(gw.app.url, { query: FIGURE, variables: { unit: '72' } });
      const twoAfter = await get(url2, { query: FIGURE, variables: { unit: '72' } });
      expect(oneAfter.headers.get('etag')).not.toBe(one.headers.get('etag'));
      expect(twoAfter.headers.get('etag')).toBe(oneAfter.headers.get('etag'));
    } finally {
      await app2?.close();
      await db2.close();
    }
  });

  it('never serves nor stores what depends on the API key, a mutation, an error, or the list of runs', async () => {
    // Key holders: not from the cache (their answers may show what others do not see), no public headers.
    await post(gw.app.url, FIGURE, { unit: '72' });
    const withKey = await get(gw.app.url, { query: FIGURE, variables: { unit: '72' } }, { authorization: `Bearer ${key}` });
    expect(withKey.headers.get('x-cache')).toBeNull();
    expect(withKey.headers.get('cache-control')).toBe('no-store');
    expect(withKey.headers.get('etag')).toBeNull();
    // A mutation: no-store, never a hit.
    const mutation = await post(gw.app.url, INGEST, { batch: { filings: [] } }, key);
    expect(mutation.headers.get('cache-control')).toBe('no-store');
    expect(mutation.headers.get('x-cache')).toBeNull();
    // An error: not stored, no ETag.
    const failing = `{ unit(code: "01", at: "2021-01-01") { code } aggregate(query: { measures: [DOSSIERS_RECEIVED], period: { from: "2021-06", to: "2021-01" } }) { rows { count } } }`;
    for (let i = 0; i < 2; i++) {
      const res = await get(gw.app.url, { query: failing });
      expect(res.body?.errors?.length).toBeGreaterThan(0);
      expect(res.headers.get('x-cache')).not.toBe('HIT');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('etag')).toBeNull();
    }
    // Runs are recorded outside the data transaction (a rejection does not bump the version): never cached.
    const runs = `{ ingestRuns(last: 5) { status } }`;
    for (let i = 0; i < 2; i++) {
      const res = await get(gw.app.url, { query: runs });
      expect(res.body?.errors).toBeUndefined();
      expect(res.headers.get('x-cache')).toBe('MISS');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('reads the cache policy from the document: an uncached field anywhere (a fragment, a nested list, an entity) keeps the answer out; meta fields alone are not kept', async () => {
    const schema = await createSchema();
    const policyOf = (query: string) => {
      const document = parse(query);
      return staticPolicyOf(schema, document, getOperationAST(document)!);
    };
    expect(policyOf('{ sources { code name } }')).toBe('default');
    expect(policyOf('{ sources { code nextSyncAt } }')).toBe('uncached');
    expect(policyOf('query { ...R } fragment R on Query { ingestRuns(last: 1) { status } }')).toBe('uncached');
    expect(policyOf('{ _entities(representations: []) { ... on Source { runs(last: 1) { status } } } }')).toBe('uncached');
    expect(policyOf('{ __typename }')).toBe('none');
    // Over HTTP, GET twice each: the uncached ones run every time and say no-store; the plain one is a HIT with a public max-age.
    const twice = async (query: string) => [await get(gw.app.url, { query }), await get(gw.app.url, { query })];
    for (const query of ['{ sources { code nextSyncAt } }', 'query { ...R } fragment R on Query { ingestRuns(last: 1) { status } }', '{ __typename }']) {
      const answers = await twice(query);
      for (const res of answers) {
        expect(res.body?.errors).toBeUndefined();
        expect(res.headers.get('x-cache')).toBe('MISS');
        expect(res.headers.get('cache-control')).toBe('no-store');
      }
    }
    const [first, second] = await twice('{ sources { code name } }');
    expect([first.headers.get('x-cache'), second.headers.get('x-cache')]).toEqual(['MISS', 'HIT']);
    expect(second.headers.get('cache-control')).toBe('public, max-age=60');
    expect(second.body).toEqual(first.body);
  });

  it('is bounded in bytes: with room for one answer, a second evicts the first', async () => {
    // 1,200 bytes for the front cache (three quarters of 1,600): one unit answer fits (about 900 with its headers and key), two do not.
    const small = await startTestGateway({ responseCacheMaxBytes: 1600 });
    try {
      const q = (code: string) => `{ unit(code: "${code}", at: "2021-01-01") { code name kind validFrom parent { code name } } }`;
      expect((await post(small.app.url, q('01'))).headers.get('x-cache')).toBe('MISS');
      expect((await post(small.app.url, q('01'))).headers.get('x-cache')).toBe('HIT');
      expect((await post(small.app.url, q('02'))).headers.get('x-cache')).toBe('MISS');
      expect((await post(small.app.url, q('02'))).headers.get('x-cache')).toBe('HIT');
      expect((await post(small.app.url, q('01'))).headers.get('x-cache')).toBe('MISS');
      // An answer larger than the whole cache is not kept at all.
      const big = `{ units(filter: { kind: PROVINCE, validAt: "2021-01-01" }, first: 63) { nodes { code name } } }`;
      expect((await post(small.app.url, big)).body?.data.units.nodes).toHaveLength(63);
      expect((await post(small.app.url, big)).headers.get('x-cache')).toBe('MISS');
    } finally {
      await small.stop();
    }
  });
});

describe('HTTP caching', () => {
  it('GET: Cache-Control public with max-age, an ETag of version and query, 304 on If-None-Match without running anything', async () => {
    const first = await get(gw.app.url, { query: FIGURE, variables: { unit: '72' } });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=60');
    expect(first.headers.get('vary')).toBe('Accept, Authorization');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(new RegExp(`^"v${await versionOf(gw.db)}-[A-Za-z0-9_-]{22}"$`));
    queryCounter.reset(true);
    const revalidated = await get(gw.app.url, { query: FIGURE, variables: { unit: '72' } }, { 'if-none-match': etag });
    expect(revalidated.status).toBe(304);
    expect(revalidated.body).toBeNull();
    expect(revalidated.headers.get('etag')).toBe(etag);
    expect(revalidated.headers.get('cache-control')).toBe('public, max-age=60');
    expect(queryCounter.statements).toEqual([]);
    // Other variables or another media type: another ETag, a full answer.
    const other = await get(gw.app.url, { query: FIGURE, variables: { unit: '74' } }, { 'if-none-match': etag });
    expect(other.status).toBe(200);
    const graphqlJson = await get(gw.app.url, { query: FIGURE, variables: { unit: '72' } }, { 'if-none-match': etag, accept: 'application/graphql-response+json' });
    expect(graphqlJson.status).toBe(200);
    expect(graphqlJson.headers.get('etag')).not.toBe(etag);
    // After a write, the old ETag no longer matches: the new figure comes back.
    await post(gw.app.url, INGEST, { batch: { filings: [{ ...batch.filings[0], received: 140, receivedOnline: 85 }] } }, key);
    const changed = await get(gw.app.url, { query: FIGURE, variables: { unit: '72' } }, { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(received(changed)).toBe(140);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('POST reads stay no-store (cached on the server all the same)', async () => {
    const res = await post(gw.app.url, FIGURE, { unit: '72' });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('etag')).toBeNull();
  });

  it('automatic persisted queries by GET: the hash alone once registered, one ETag for both forms, 304', async () => {
    const query = `{ sectors { code name } }`;
    const sha256Hash = crypto.createHash('sha256').update(query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    const unknown = await get(gw.app.url, { extensions });
    expect(unknown.body?.errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(unknown.headers.get('cache-control')).toBe('no-store');
    const registered = await get(gw.app.url, { query, extensions });
    expect(registered.status).toBe(200);
    const byHash = await get(gw.app.url, { extensions });
    expect(byHash.body).toEqual(registered.body);
    expect(byHash.headers.get('cache-control')).toBe('public, max-age=60');
    expect(byHash.headers.get('etag')).toBe(registered.headers.get('etag'));
    const revalidated = await get(gw.app.url, { extensions }, { 'if-none-match': byHash.headers.get('etag')! });
    expect(revalidated.status).toBe(304);
  });
});

describe('RESPONSE_CACHE=off', () => {
  it('turns it all off: no cache, no ETag, no 304, no-store as before', async () => {
    const config = loadConfig({ RESPONSE_CACHE: 'off' });
    expect(config.responseCache).toBe(false);
    const off = await startTestGateway({ responseCache: false });
    try {
      const first = await get(off.app.url, { query: FIGURE, variables: { unit: '72' } });
      const etag = (await get(gw.app.url, { query: FIGURE, variables: { unit: '72' } })).headers.get('etag')!;
      for (const res of [first, await get(off.app.url, { query: FIGURE, variables: { unit: '72' } }, { 'if-none-match': etag })]) {
        expect(res.status).toBe(200);
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(res.headers.get('etag')).toBeNull();
        expect(res.headers.get('x-cache')).toBeNull();
      }
    } finally {
      await off.stop();
    }
  });

  it('lists every invalid cache setting at once', () => {
    expect(() => loadConfig({ RESPONSE_CACHE: 'maybe', RESPONSE_CACHE_MAX_BYTES: '10', RESPONSE_CACHE_MAX_AGE_SECONDS: '0', HTTP_CACHE_MAX_AGE_SECONDS: 'x', PERSISTED_QUERIES_MAX_BYTES: '1' }))
      .toThrow(/RESPONSE_CACHE must be true or false[\s\S]*HTTP_CACHE_MAX_AGE_SECONDS must be an integer[\s\S]*responseCacheMaxAgeSeconds[\s\S]*responseCacheMaxBytes[\s\S]*persistedQueriesMaxBytes/);
  });
});
