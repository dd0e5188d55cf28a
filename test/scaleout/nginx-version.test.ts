import { Database } from '../../src/db/database';
import { NginxFront, startNginx } from '../../bench/nginx-front';
import { GatewayProcess } from '../resilience/gateway-process';
import { createTestDatabase } from '../support/harness';

/**
 * deploy/nginx.conf never answers a client from an entry older than a data version the client
 * sent (X-Data-Version, or the version in an ETag it revalidates): that version leads nginx's cache
 * key, so such a request fills an entry of its own from the gateway. Real nginx on loopback in
 * front of a real gateway process, with a max-age long enough that the entry kept before a write
 * is still fresh when the write lands (the case that served the old answer).
 */
jest.setTimeout(600_000);

let db: Database;
let gateway: GatewayProcess;
let nginx: NginxFront;

beforeAll(async () => {
  db = await createTestDatabase();
  gateway = await GatewayProcess.start({
    DATABASE_URL: db.url,
    SYNC_ON_START: 'false',
    SYNC_SCHEDULES: 'false',
    GATEWAY_ROLE: 'api',
    RATE_LIMIT_MAX: '0',
    HTTP_CACHE_MAX_AGE_SECONDS: '600',
  }, { timeoutMs: 240_000 });
  nginx = await startNginx([gateway.port]);
});

afterAll(async () => {
  await nginx?.stop();
  await gateway?.stop();
  await db?.close();
});

const QUERY = '{ unit(code: "46", at: "2024-06-30") { code name } }';
const url = (origin: string) => `${origin}/graphql?query=${encodeURIComponent(QUERY)}`;

async function get(origin: string, headers: Record<string, string> = {}) {
  const res = await fetch(url(origin), { headers: { accept: 'application/json', ...headers } });
  return { status: res.status, body: await res.text(), etag: res.headers.get('etag'), version: res.headers.get('x-data-version'), nginx: res.headers.get('x-cache-status') };
}

/** The gateway's own version, read as a client would see it: its answer's X-Data-Version. */
async function gatewayVersion(): Promise<bigint> {
  return BigInt((await get(`http://127.0.0.1:${gateway.port}`)).version!);
}

it('answers a client that sent a version from an entry of that version or later, never from the older one', async () => {
  const v1 = await gatewayVersion();
  const first = await get(nginx.origin);
  expect(first).toMatchObject({ status: 200, nginx: 'MISS', version: String(v1) });
  expect(first.etag).toMatch(new RegExp(`^"v${v1}-`));
  expect(await get(nginx.origin)).toMatchObject({ status: 200, nginx: 'HIT', etag: first.etag });

  // A write: the gateway's version moves by one (the trigger bumps it once per committed transaction).
  await db.sql.query(`UPDATE sector SET name = name WHERE code = 'none'`);
  const v2 = v1 + 1n;
  for (let i = 0; i < 100 && (await gatewayVersion()) !== v2; i++) await new Promise((r) => setTimeout(r, 50));
  expect(await gatewayVersion()).toBe(v2);
  // A client that saw nothing may still get the entry kept before the write, within its max-age (documented).
  expect(await get(nginx.origin)).toMatchObject({ nginx: 'HIT', etag: first.etag, version: String(v1) });

  // A client that has seen v2 (the answer to its own write, or another process's) is not given v1.
  const seen = await get(nginx.origin, { 'x-data-version': String(v2) });
  expect(seen).toMatchObject({ status: 200, nginx: 'MISS', version: String(v2) });
  expect(seen.etag).toMatch(new RegExp(`^"v${v2}-`));
  expect(JSON.parse(seen.body)).toEqual(JSON.parse(first.body));
  // Its entry serves the next such request.
  expect(await get(nginx.origin, { 'x-data-version': String(v2) })).toMatchObject({ nginx: 'HIT', etag: seen.etag, version: String(v2) });

  // The same when the version comes in the ETag a client revalidates: the ETag of v2 is current, 304.
  expect(await get(nginx.origin, { 'if-none-match': seen.etag! })).toMatchObject({ status: 304, nginx: 'HIT' });
  // The old ETag (v1) is not answered 304 from the entry kept before the write: its own entry, v1 or later, comes from the gateway (v2).
  expect(await get(nginx.origin, { 'if-none-match': first.etag! })).toMatchObject({ status: 200, nginx: 'MISS', etag: seen.etag, version: String(v2) });

  // A version nginx has no entry for yet goes to the gateway (which reads the version anew), and comes back at least as new.
  const ahead = await get(nginx.origin, { 'x-data-version': String(v2 + 5n) });
  expect(ahead).toMatchObject({ status: 200, nginx: 'MISS', version: String(v2) });
  // Not a number: ignored, as the gateway ignores it (the plain entry).
  expect(await get(nginx.origin, { 'x-data-version': 'v2; drop' })).toMatchObject({ nginx: 'HIT', etag: first.etag });
});
