import fs from 'node:fs';
import path from 'node:path';
import { ApiKeyService } from '../../src/auth/api-key.service';
import { rawRequest } from '../server/raw-http';
import { lineWhere, logged, ObservedGateway, post, Sample, startObservedGateway, valueOf } from './helpers';

/**
 * /metrics and the access log (issue 12, item 1) over real HTTP against the real app and
 * PostgreSQL: counters after known requests (exact values, as differences between two scrapes),
 * the access log line of each request, request ids, and what never reaches a log.
 */
const batch = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/batch.json'), 'utf8')) as Record<string, unknown[]>;
const BATCH_ROWS = Object.values(batch).reduce((n, rows) => n + rows.length, 0);
const UNITS = 'query ObsUnits { units(first: 2) { totalCount nodes { code } } }';
const INGEST = 'mutation ObsPush($batch: IngestBatchInput!) { ingest(batch: $batch) { rowsWritten } }';

const op = (operation: string, type: string, outcome: string) => ({ operation, type, outcome });
/** What changed between two scrapes, for one sample. */
const delta = (before: Sample[], after: Sample[], name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);

let gw: ObservedGateway;
let key: string;
beforeAll(async () => {
  gw = await startObservedGateway({ rateLimitMax: 10_000 });
  key = (await new ApiKeyService(gw.db.sql).create({ name: 'obs-lgsp', unitCodes: ['72', '80'], catalogue: true })).key;
});
afterAll(() => gw?.stop());

describe('/metrics', () => {
  it('counts three queries named ObsUnits as 3, with one miss and two hits of the response cache', async () => {
    const before = await gw.metrics();
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await logged(gw, (id) => post(gw.app.url, { query: UNITS }, { 'x-request-id': id })));
    expect(answers.map((a) => a.res.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => a.line.cache)).toEqual(['miss', 'front_hit', 'front_hit']);
    const after = await gw.metrics();
    expect(delta(before, after, 'dvc_gateway_graphql_operations_total', op('ObsUnits', 'query', 'ok'))).toBe(3);
    expect(delta(before, after, 'dvc_gateway_graphql_operation_duration_seconds_count', op('ObsUnits', 'query', 'ok'))).toBe(3);
    expect(delta(before, after, 'dvc_gateway_response_cache_requests_total', { result: 'miss' })).toBe(1);
    expect(delta(before, after, 'dvc_gateway_response_cache_requests_total', { result: 'front_hit' })).toBe(2);
    expect(delta(before, after, 'dvc_gateway_http_requests_total', { route: '/graphql', status: '200' })).toBe(3);
  });

  it('counts an If-None-Match revalidation as not_modified, and an anonymous query as (anonymous)', async () => {
    const before = await gw.metrics();
    const url = `${gw.app.url}?query=${encodeURIComponent('{ units(first: 1) { totalCount } }')}`;
    const first = await logged(gw, (id) => fetch(url, { headers: { accept: 'application/json', 'x-request-id': id } }));
    const etag = first.res.headers.get('etag')!;
    expect(etag).toBeTruthy();
    const again = await logged(gw, (id) => fetch(url, { headers: { accept: 'application/json', 'if-none-match': etag, 'x-request-id': id } }));
    expect(again.res.status).toBe(304);
    expect(again.line).toMatchObject({ status: 304, cache: 'not_modified' });
    const after = await gw.metrics();
    expect(delta(before, after, 'dvc_gateway_response_cache_requests_total', { result: 'not_modified' })).toBe(1);
    // The 304 is answered before Apollo: the type is unknown, the outcome ok.
    expect(delta(before, after, 'dvc_gateway_graphql_operations_total', op('(anonymous)', 'query', 'ok'))).toBe(1);
    expect(delta(before, after, 'dvc_gateway_graphql_operations_total', op('(anonymous)', 'unknown', 'ok'))).toBe(1);
  });

  it('counts errors by code: a rejected key, a validation error, a bad input', async () => {
    const before = await gw.metrics();
    const badKey = await logged(gw, (id) => post(gw.app.url, { query: UNITS, operationName: 'ObsUnits' }, { authorization: 'Bearer dvc_000000000000_notakeynotakeynotakeynotakeynotakeynotakey1', 'x-request-id': id }));
    expect(badKey.res.status).toBe(401);
    const invalid = await logged(gw, (id) => post(gw.app.url, { query: 'query ObsBroken { noSuchField }' }, { 'x-request-id': id }));
    expect(invalid.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const badInput = await logged(gw, (id) => post(gw.app.url, { query: 'query ObsBadInput { units(first: -1) { totalCount } }' }, { 'x-request-id': id }));
    expect(badInput.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const after = await gw.metrics();
    expect(delta(before, after, 'dvc_gateway_errors_total', { code: 'UNAUTHENTICATED' })).toBe(1);
    expect(delta(before, after, 'dvc_gateway_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(delta(before, after, 'dvc_gateway_errors_total', { code: 'BAD_USER_INPUT' })).toBe(1);
    // Refused before its body was read: no name, type unknown.
    expect(delta(before, after, 'dvc_gateway_graphql_operations_total', op('(anonymous)', 'unknown', 'error'))).toBe(1);
    // Names first seen on a failed operation wait for a success before they get a label of their own.
    expect(delta(before, after, 'dvc_gateway_graphql_operations_total', op('(other)', 'query', 'error'))).toBe(2);
    expect(badKey.line).toMatchObject({ status: 401, key: '(invalid)', errors: ['UNAUTHENTICATED'] });
  });

  it('counts ingest rows accepted and rejected, and the rollup refresh of the run', async () => {
    const before = await gw.metrics();
    const pushed = await logged(gw, (id) => post(gw.app.url, { query: INGEST, variables: { batch } }, { authorization: `Bearer ${key}`, 'x-request-id': id }));
    expect(pushed.body.errors).toBeUndefined();
    const bad = { filings: [{ ...(batch.filings[0] as object), procedure: '9.999999' }, batch.filings[1]] };
    const refused = await logged(gw, (id) => post(gw.app.url, { query: INGEST, variables: { batch: bad } }, { authorization: `Bearer ${key}`, 'x-request-id': id }));
    expect(refused.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const after = await gw.metrics();
    expect(delta(before, after, 'dvc_gateway_ingest_rows_total', { kind: 'push', outcome: 'accepted' })).toBe(BATCH_ROWS);
    expect(delta(before, after, 'dvc_gateway_ingest_batches_total', { kind: 'push', outcome: 'accepted' })).toBe(1);
    expect(delta(before, after, 'dvc_gateway_ingest_rows_total', { kind: 'push', outcome: 'rejected' })).toBe(2);
    expect(delta(before, after, 'dvc_gateway_ingest_batches_total', { kind: 'push', outcome: 'rejected' })).toBe(1);
    expect(delta(before, after, 'dvc_gateway_rollup_refresh_seconds_count', { mode: 'run' })).toBe(1);
    expect(delta(before, after, 'dvc_gateway_graphql_operations_total', op('ObsPush', 'mutation', 'ok'))).toBe(1);
    expect(delta(before, after, 'dvc_gateway_graphql_operations_total', op('ObsPush', 'mutation', 'error'))).toBe(1);
    expect(pushed.line).toMatchObject({ operation: 'ObsPush', type: 'mutation', status: 200, key: 'obs-lgsp' });
  });

  it('reports the database pool and the process', async () => {
    const m = await gw.metrics();
    // The test database's pool holds 4 connections (support/harness.ts createTestDatabase).
    expect(valueOf(m, 'dvc_gateway_db_pool_connections', { pool: 'primary', state: 'max' })).toBe(4);
    const open = valueOf(m, 'dvc_gateway_db_pool_connections', { pool: 'primary', state: 'open' });
    expect(open).toBeGreaterThan(0);
    expect(valueOf(m, 'dvc_gateway_db_pool_connections', { pool: 'primary', state: 'idle' }) + valueOf(m, 'dvc_gateway_db_pool_connections', { pool: 'primary', state: 'busy' })).toBe(open);
    expect(valueOf(m, 'dvc_gateway_db_pool_waiting_requests', { pool: 'primary' })).toBe(0);
    expect(valueOf(m, 'dvc_gateway_db_pool_acquire_seconds_count', { pool: 'primary' })).toBeGreaterThan(0);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(m.some((s) => s.name === name)).toBe(true);
    }
  });

  it('is served to loopback clients only, and not through a proxy', async () => {
    const proxied = await fetch(`${gw.base}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(proxied.status).toBe(403);
    expect((await proxied.json()).errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await fetch(`${gw.base}/metrics`, { headers: { forwarded: 'for=203.0.113.9' } })).status).toBe(403);
  });
});

describe('access log', () => {
  it('writes one line per request with the request id it echoes, the operation, status, duration, bytes and key name', async () => {
    const { res, line } = await logged(gw, (id) => post(gw.app.url, { query: UNITS }, { 'x-request-id': id, authorization: `Bearer ${key}` }));
    expect(res.headers.get('x-request-id')).toBe(line.requestId);
    expect(line).toMatchObject({ msg: 'request', level: 30, method: 'POST', path: '/graphql', operation: 'ObsUnits', type: 'query', status: 200, key: 'obs-lgsp' });
    expect(line.bytes).toBe(Number(res.headers.get('content-length')));
    expect(typeof line.ms).toBe('number');
    // A key holder's answer is never cached: no cache outcome.
    expect(line.cache).toBeUndefined();
    expect(gw.lines.filter((l) => l.requestId === line.requestId)).toHaveLength(1);
  });

  it('generates a request id when none is sent, and replaces one that is not sane', async () => {
    const none = await fetch(`${gw.base}/health`);
    const generated = none.headers.get('x-request-id')!;
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    await lineWhere(gw, (l) => l.requestId === generated && l.path === '/health');
    for (const evil of ['evil id"; DROP TABLE', '<script>alert(1)</script>', 'x'.repeat(129), '']) {
      const res = await rawRequest(`${gw.base}/health`, { method: 'GET', headers: { 'x-request-id': evil } });
      const id = res.headers['x-request-id'] as string;
      expect(id).not.toBe(evil);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const line = await lineWhere(gw, (l) => l.requestId === id);
      expect(line.path).toBe('/health');
    }
    expect(gw.logText()).not.toContain('<script>');
    expect(gw.logText()).not.toContain('DROP TABLE');
    // Kept as sent when sane (a proxy's id: letters, digits, ._:/+=-).
    const kept = await fetch(`${gw.base}/health`, { headers: { 'x-request-id': 'nginx-3f2a:01/ab+c=' } });
    expect(kept.headers.get('x-request-id')).toBe('nginx-3f2a:01/ab+c=');
  });

  it('logs an internal error once, with the request id, and tells the client nothing more', async () => {
    await gw.db.sql.query('ALTER TABLE sector RENAME TO sector_gone');
    let failed;
    try {
      failed = await logged(gw, (id) => post(gw.app.url, { query: 'query ObsSectors { sectors { code } }' }, { 'x-request-id': id }));
    } finally {
      await gw.db.sql.query('ALTER TABLE sector_gone RENAME TO sector');
    }
    expect(failed.body.errors[0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(failed.line).toMatchObject({ status: 200, errors: ['INTERNAL_SERVER_ERROR'] });
    const errors = gw.lines.filter((l) => l.requestId === failed.line.requestId && l.msg === 'request failed');
    expect(errors).toHaveLength(1);
    expect(errors[0].level).toBe(50);
    expect(errors[0].err.message).toMatch(/sector/);
  });

  it('never writes a secret, a variable, the query or SQL', async () => {
    const secret = 'dvc_0123456789ab_SECRETSECRETSECRETSECRETSECRETSECRETSECRET123';
    await logged(gw, (id) => post(gw.app.url, { query: 'query ObsSecret($code: String!) { unit(code: $code) { name } }', variables: { code: 'VARIABLE-VALUE-74' } }, { authorization: `Bearer ${secret}`, 'x-request-id': id }));
    await logged(gw, (id) => post(gw.app.url, { query: 'query ObsSecret($code: String!) { unit(code: $code) { name } }', variables: { code: 'VARIABLE-VALUE-74' } }, { 'x-request-id': id }));
    const text = gw.logText();
    expect(text).not.toContain(key);
    expect(text).not.toContain(key.slice(17));
    expect(text).not.toContain('SECRETSECRET');
    expect(text).not.toContain('VARIABLE-VALUE');
    expect(text).not.toContain('unit(code');
    expect(text).not.toMatch(/SELECT|INSERT/);
  });
});

describe('label bounds, the token and the rate limit (a second app on the same database, its own registry)', () => {
  let small: ObservedGateway;
  const token = 'metrics-token-0123456789';
  beforeAll(async () => {
    small = await startObservedGateway({ metricsMaxOperations: 2, rateLimitMax: 6, metricsToken: token, responseCache: false }, gw.db);
  });
  afterAll(() => small?.stop());

  it('gives the first 2 operation names a label each, then "(other)"; strips nothing else into labels; 429s counted', async () => {
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${small.base}/metrics`)).status).toBe(403);
    expect((await fetch(`${small.base}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(403);
    const before = await small.metrics(auth);
    const names = ['First', 'Second', 'Third', 'Fourth', 'Fifth'];
    for (const n of names) {
      const { res } = await logged(small, (id) => post(small.app.url, { query: `query ${n} { units(first: 1) { totalCount } }` }, { 'x-request-id': id }));
      expect(res.status).toBe(200);
    }
    // A name that is no GraphQL name (sent as operationName, with a control character): never a label.
    const odd = await logged(small, (id) => post(small.app.url, { query: 'query A { units(first: 1) { totalCount } }', operationName: 'A\u0007<b>' }, { 'x-request-id': id }));
    expect(odd.body.errors[0].extensions.code).toBe('OPERATION_RESOLUTION_FAILURE');
    // The 6 requests of the window are used: the next two are refused.
    for (let i = 0; i < 2; i++) {
      const { res, line } = await logged(small, (id) => post(small.app.url, { query: 'query First { units(first: 1) { totalCount } }' }, { 'x-request-id': id }));
      expect(res.status).toBe(429);
      expect(line.errors).toEqual(['RATE_LIMITED']);
    }
    const after = await small.metrics(auth);
    expect(delta(before, after, 'dvc_gateway_graphql_operations_total', op('First', 'query', 'ok'))).toBe(1);
    expect(delta(before, after, 'dvc_gateway_graphql_operations_total', op('Second', 'query', 'ok'))).toBe(1);
    expect(delta(before, after, 'dvc_gateway_graphql_operations_total', op('(other)', 'query', 'ok'))).toBe(3);
    expect(delta(before, after, 'dvc_gateway_graphql_operations_total', op('(invalid)', 'unknown', 'error'))).toBe(1);
    // Refused before the body is read: no name yet.
    expect(delta(before, after, 'dvc_gateway_graphql_operations_total', op('(anonymous)', 'unknown', 'error'))).toBe(2);
    expect(delta(before, after, 'dvc_gateway_rate_limited_requests_total')).toBe(2);
    expect(delta(before, after, 'dvc_gateway_errors_total', { code: 'RATE_LIMITED' })).toBe(2);
    expect(after.some((s) => s.labels.operation === 'Third')).toBe(false);
    // The first app's registry did not see any of it.
    const first = await gw.metrics();
    expect(first.some((s) => s.labels.operation === 'Second')).toBe(false);
    // The log keeps the name as sent, without its control character.
    expect(odd.line.operation).toBe('A<b>');
  });
});
