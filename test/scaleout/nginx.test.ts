import fs from 'node:fs';
import path from 'node:path';
import { ApiKeyService } from '../../src/auth/api-key.service';
import { Database } from '../../src/db/database';
import { NginxFront, startNginx } from '../../bench/nginx-front';
import { GatewayProcess, waitFor } from '../resilience/gateway-process';
import { createTestDatabase } from '../support/harness';

/**
 * deploy/nginx.conf in front of two gateway processes on one database (issue 12, item 4), with
 * Debian's nginx on loopback (.ci/run installs it): GET reads are kept for the gateway's max-age
 * and revalidated with its ETag, what the gateway marks no-store is never kept, key holders
 * bypass the cache, and a stopped process leaves the other one serving.
 */
jest.setTimeout(600_000);

let db: Database;
const gateways: GatewayProcess[] = [];
let nginx: NginxFront;

beforeAll(async () => {
  db = await createTestDatabase();
  const env = {
    DATABASE_URL: db.url,
    SYNC_ON_START: 'false',
    SYNC_SCHEDULES: 'false',
    GATEWAY_ROLE: 'api',
    // Behind nginx the gateway sees one client (nginx): nginx limits per client instead (deploy/nginx.conf).
    RATE_LIMIT_MAX: '0',
    // Short, so that the test sees nginx revalidate an expired entry.
    HTTP_CACHE_MAX_AGE_SECONDS: '1',
  };
  // One after the other: both would apply the (already applied) migrations and register the sources.
  // (A bound, not a measure: a start takes seconds, but minutes on a machine shared by many.)
  gateways.push(await GatewayProcess.start(env, { timeoutMs: 240_000 }));
  gateways.push(await GatewayProcess.start(env, { timeoutMs: 240_000 }));
  nginx = await startNginx(gateways.map((g) => g.port));
});

afterAll(async () => {
  await nginx?.stop();
  for (const g of gateways) await g.stop();
  await db?.close();
});

const QUERY = '{ unit(code: "46", at: "2024-06-30") { code name kind } }';
const url = (origin: string, query = QUERY) => `${origin}/graphql?query=${encodeURIComponent(query)}`;

async function get(target: string, headers: Record<string, string> = {}) {
  const res = await fetch(target, { headers: { accept: 'application/json', ...headers } });
  return { status: res.status, body: await res.text(), etag: res.headers.get('etag'), cacheControl: res.headers.get('cache-control'), nginx: res.headers.get('x-cache-status') };
}

describe('nginx (deploy/nginx.conf) in front of two gateway processes', () => {
  it('keeps a GET read for its max-age: the same bytes and ETag as the gateway, then from its cache', async () => {
    const direct = await get(url(`http://127.0.0.1:${gateways[0].port}`));
    expect(direct.status).toBe(200);
    expect(direct.cacheControl).toBe('public, max-age=1');
    expect(JSON.parse(direct.body).data.unit).toEqual({ code: '46', name: 'Tỉnh Thừa Thiên Huế', kind: 'PROVINCE' });
    const first = await get(url(nginx.origin));
    expect(first).toMatchObject({ status: 200, body: direct.body, etag: direct.etag, cacheControl: 'public, max-age=1' });
    expect(['MISS', 'HIT']).toContain(first.nginx); // HIT only if this machine took a second between the two
    // Within max-age, nginx answers by itself; a client's If-None-Match gets a 304 from it.
    const again = await waitFor('a HIT', async () => {
      const r = await get(url(nginx.origin));
      return r.nginx === 'HIT' ? r : undefined;
    }, 10_000);
    expect(again).toMatchObject({ status: 200, body: direct.body, etag: direct.etag });
    const conditional = await get(url(nginx.origin), { 'if-none-match': direct.etag! });
    expect(conditional.status).toBe(304);
  });

  it('revalidates an expired entry with the ETag (the gateway answers 304), and fetches anew after a write', async () => {
    const cached = await get(url(nginx.origin));
    // Past max-age: the next request goes to a gateway with If-None-Match; unchanged data, 304, REVALIDATED.
    const revalidated = await waitFor('nginx to revalidate', async () => {
      const r = await get(url(nginx.origin));
      return r.nginx === 'REVALIDATED' ? r : undefined;
    }, 15_000, 200);
    expect(revalidated).toMatchObject({ status: 200, body: cached.body, etag: cached.etag });
    // A write moves the data version: the next fetch of an expired entry brings the new ETag.
    await db.sql.query(`UPDATE target SET description = description WHERE false`);
    const fetched = await waitFor('nginx to fetch the new answer', async () => {
      const r = await get(url(nginx.origin));
      return r.nginx === 'EXPIRED' || r.nginx === 'MISS' ? r : undefined;
    }, 15_000, 200);
    expect(fetched.status).toBe(200);
    expect(fetched.etag).not.toBe(cached.etag);
    expect(JSON.parse(fetched.body)).toEqual(JSON.parse(cached.body));
  });

  it('never keeps what the gateway marks no-store: POST, errors, key holders (who bypass it)', async () => {
    for (let i = 0; i < 2; i++) {
      const post = await fetch(`${nginx.origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY }) });
      expect(post.status).toBe(200);
      expect(post.headers.get('cache-control')).toBe('no-store');
      expect(post.headers.get('x-cache-status')).toBeNull(); // not a cacheable method: the cache is not consulted
      const error = await get(url(nginx.origin, '{ unit(code: "46") { nope } }'));
      // (200 with the errors: the answer to Accept: application/json, as the GraphQL over HTTP spec says.)
      expect(JSON.parse(error.body).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(error.cacheControl).toBe('no-store');
      expect(error.nginx).toBe('MISS');
    }
    const { key } = await new ApiKeyService(db.sql).create({ name: `nginx-test-${process.pid}`, unitCodes: ['46'] });
    const asHolder = await get(url(nginx.origin), { authorization: `Bearer ${key}` });
    expect(asHolder).toMatchObject({ status: 200, nginx: 'BYPASS', cacheControl: 'no-store' });
  });

  it('balances over both processes and keeps serving when one stops', async () => {
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${nginx.origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY }) });
      expect(r.status).toBe(200);
    }
    const log = fs.readFileSync(path.join(nginx.dir, 'access.log'), 'utf8');
    for (const g of gateways) expect(log).toContain(`upstream=127.0.0.1:${g.port}`);
    await gateways[0].stop();
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${nginx.origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY }) });
      expect(r.status).toBe(200);
    }
  });
});
