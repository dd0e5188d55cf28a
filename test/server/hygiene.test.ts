import pino from 'pino';
import { loadConfig } from '../../src/config/config';
import { ApiKeyService } from '../../src/auth/api-key.service';
import { Database } from '../../src/db/database';
import { RunningApp, startApp } from '../../src/server/app';
import { createSchema } from '../../src/server/schema';
import { createTestDatabase } from '../support/harness';
import { rawRequest, RawResponse, rawSocket } from './raw-http';

/** Sent in bodies that must never come back in a response or a log line. */
const SECRET = 'SECRET-BODY-MARKER-7f3a';
const QUERY_LIMIT = 4096;

let db: Database;
let app: RunningApp;
let key: string;
const logs: string[] = [];
const stderr: string[] = [];
let restoreStderr: () => void;

beforeAll(async () => {
  db = await createTestDatabase();
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', databaseUrl: db.url, logLevel: 'info', maxQueryBytes: QUERY_LIMIT, maxIngestBytes: 64 * 1024 });
  // The gateway's own logger, kept in memory: what a client can make it write.
  const logger = pino({ level: 'debug', base: { service: 'dvc-gateway' } }, { write: (line: string) => void logs.push(line) });
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    stderr.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  restoreStderr = () => (process.stderr.write = write);
  app = await startApp({ config, db, schema: await createSchema(), logger });
  key = (await new ApiKeyService(db.sql).create({ name: 'hygiene', unitCodes: ['72'] })).key;
});
afterAll(async () => {
  restoreStderr?.();
  await app?.close();
  await db?.close();
});

/** A JSON error in the GraphQL shape, with no HTML, stack, path or request body in it. */
function expectJsonError(res: RawResponse, status: number, code: string): string {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/(graphql-response\+)?json; charset=utf-8$/);
  const body = res.json();
  expect(body).toEqual({ errors: [{ message: expect.any(String), extensions: expect.objectContaining({ code }) }] });
  expect(res.text).not.toMatch(/<html|<pre|\bat \w|node_modules|\/work\/|\.ts\b|\.js\b/i);
  expect(res.text).not.toContain(SECRET);
  return body.errors[0].message;
}

const json = { 'content-type': 'application/json' };

describe('request hygiene', () => {
  it('answers malformed JSON with a 400 JSON error, never echoing or logging the body', async () => {
    const res = await rawRequest(app.url, { headers: json, body: `{"query": "{ __typename }", "x": "${SECRET}` });
    expect(expectJsonError(res, 400, 'BAD_REQUEST')).toBe('The request body is not valid JSON.');
    const bytes = await rawRequest(app.url, { headers: json, body: Buffer.concat([Buffer.from(`{"query":"${SECRET}`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]) });
    expect(expectJsonError(bytes, 400, 'BAD_REQUEST')).toBe('The request body is not valid UTF-8.');
  });

  it('refuses other media types, charsets and content encodings with 415 JSON', async () => {
    const body = JSON.stringify({ query: '{ __typename }' });
    expectJsonError(await rawRequest(app.url, { headers: { 'content-type': 'application/json; charset=latin1' }, body }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectJsonError(await rawRequest(app.url, { headers: { 'content-type': 'application/json; charset=utf-16le' }, body }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectJsonError(await rawRequest(app.url, { headers: { ...json, 'content-encoding': 'gzip' }, body }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectJsonError(await rawRequest(app.url, { headers: { 'content-type': 'text/plain' }, body }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectJsonError(await rawRequest(app.url, { body }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    // utf-8 spelled out, in any case, is fine.
    expect((await rawRequest(app.url, { headers: { 'content-type': 'application/json; charset=UTF-8' }, body })).status).toBe(200);
  });

  it('refuses an oversized body from its Content-Length, before reading it', async () => {
    // Only the headers are sent: the answer cannot have waited for the body.
    const res = await rawRequest(app.url, { headers: { ...json, 'content-length': String(QUERY_LIMIT + 1) }, headersOnly: true });
    expectJsonError(res, 413, 'PAYLOAD_TOO_LARGE');
    expect(res.headers.connection).toBe('close');
    // A key holder may send more, up to the ingest limit.
    const keyed = await rawRequest(app.url, { headers: { ...json, authorization: `Bearer ${key}`, 'content-length': String(64 * 1024 + 1) }, headersOnly: true });
    expect(expectJsonError(keyed, 413, 'PAYLOAD_TOO_LARGE')).toMatch(/larger than the 65536 bytes allowed/);
  });

  it('asks for the body of an Expect: 100-continue upload only once it passes every check', async () => {
    const refused = await rawRequest(app.url, { headers: { ...json, expect: '100-continue', 'content-length': String(QUERY_LIMIT + 1) }, headersOnly: true, awaitContinue: true });
    expectJsonError(refused, 413, 'PAYLOAD_TOO_LARGE');
    expect(refused.continued).toBe(false);
    const body = JSON.stringify({ query: '{ __typename }' });
    const accepted = await rawRequest(app.url, { headers: { ...json, expect: '100-continue', 'content-length': String(Buffer.byteLength(body)) }, body, awaitContinue: true });
    expect(accepted.continued).toBe(true);
    expect(accepted.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a chunked body as soon as it grows past the limit', async () => {
    // An endless body: only a limit enforced while reading can answer it.
    function* endless() {
      for (;;) yield Buffer.alloc(1024, 0x20);
    }
    const res = await rawRequest(app.url, { headers: json, chunks: endless() });
    expectJsonError(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('refuses an invalid key with 401 before reading its body', async () => {
    const res = await rawRequest(app.url, { headers: { ...json, authorization: `Bearer ${key.slice(0, -4)}AAAA`, 'content-length': '1000' }, headersOnly: true });
    expect(expectJsonError(res, 401, 'UNAUTHENTICATED')).toBe('Invalid API key: unknown or revoked API key');
  });

  it('lets a key holder send a large mutation, but nothing else, above the query limit', async () => {
    const pad = ' '.repeat(QUERY_LIMIT + 100);
    const mutation = `{"query": "mutation($b: IngestBatchInput!) { ingest(batch: $b) { rowsRead } }", "variables": {"b": {}}}${pad}`;
    const m = await rawRequest(app.url, { headers: { ...json, authorization: `Bearer ${key}` }, body: mutation });
    // Past every size check: the batch itself is refused, by the ingest rules.
    expect(m.json().errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const query = `{"query": "{ sectors { code } }"}${pad}`;
    const q = await rawRequest(app.url, { headers: { ...json, authorization: `Bearer ${key}` }, body: query });
    expect(expectJsonError(q, 413, 'PAYLOAD_TOO_LARGE')).toMatch(/only mutations may send more/);
    // Anonymous, the same body stops at the door.
    expectJsonError(await rawRequest(app.url, { headers: json, body: mutation }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers requests the HTTP parser refuses, and unknown paths, in JSON', async () => {
    const bad = await rawSocket(app.url, 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}');
    expect(bad).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(bad).toContain('content-type: application/json');
    expect(JSON.parse(bad.slice(bad.indexOf('\r\n\r\n') + 4)).errors[0].extensions.code).toBe('BAD_REQUEST');
    expectJsonError(await rawRequest(app.url, { method: 'GET', path: '/nowhere' }), 404, 'NOT_FOUND');
  });

  it('answers an unexpected failure outside GraphQL with a 500 JSON error and logs no stack', async () => {
    // The key lookup fails (not "unknown key": the table is gone), in the middleware before Apollo.
    await db.sql.query('ALTER TABLE api_key RENAME TO api_key_gone');
    try {
      const res = await rawRequest(app.url, { headers: { ...json, authorization: `Bearer ${key}` }, body: JSON.stringify({ query: `{ __typename } # ${SECRET}` }) });
      expect(expectJsonError(res, 500, 'INTERNAL_SERVER_ERROR')).toBe('Internal server error');
      expect(res.text).not.toMatch(/api_key|relation|select/i);
    } finally {
      await db.sql.query('ALTER TABLE api_key_gone RENAME TO api_key');
    }
    const line = logs.find((l) => l.includes('request failed outside GraphQL') && l.includes('"status":500'));
    expect(line).toBeDefined();
    expect(line).not.toMatch(/"stack"|\bat \w|\/work\/|api_key/);
  });

  it('wrote no request body, stack or path to the logs or stderr', () => {
    const all = [...logs, ...stderr].join('\n');
    expect(all).not.toContain(SECRET);
    expect(all).not.toMatch(/<html|node_modules|\/work\/main/);
  });
});

describe('GET and status codes', () => {
  it('runs plain GET queries without a CSRF preflight header, and refuses mutations on GET', async () => {
    const res = await fetch(`${app.url}?query=${encodeURIComponent('{ sectors { code } }')}`);
    expect(res.status).toBe(200);
    expect(Array.isArray(((await res.json()) as any).data.sectors)).toBe(true);
    const m = await fetch(`${app.url}?query=${encodeURIComponent('mutation { ingest(batch: {}) { rowsRead } }')}`, { headers: { accept: 'application/json' } });
    expect(m.status).toBe(405);
    expect(m.headers.get('allow')).toBe('POST');
  });

  it('answers document errors 200 under application/json and 400 under application/graphql-response+json', async () => {
    const post = (query: string, accept: string) => fetch(app.url, { method: 'POST', headers: { ...json, accept }, body: JSON.stringify({ query }) });
    for (const [query, code] of [['{', 'GRAPHQL_PARSE_FAILED'], ['{ nope }', 'GRAPHQL_VALIDATION_FAILED']]) {
      const legacy = await post(query, 'application/json');
      expect(legacy.status).toBe(200);
      expect(((await legacy.json()) as any).errors[0].extensions.code).toBe(code);
      const modern = await post(query, 'application/graphql-response+json');
      expect(modern.status).toBe(400);
      expect(modern.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    }
    // The gateway's own refusals keep their status whatever the client accepts.
    const costly = await post(`{ ${Array.from({ length: 31 }, (_, i) => `s${i}: sectors { code }`).join(' ')} }`, 'application/json');
    expect(costly.status).toBe(400);
  });
});
