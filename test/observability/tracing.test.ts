import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { Database } from '../../src/db/database';
import { GatewayProcess, tempDir } from '../resilience/gateway-process';
import { createTestDatabase } from '../support/harness';

/**
 * Tracing (OTEL_EXPORTER_OTLP_ENDPOINT) from the compiled gateway (dist/src/main.js, a child
 * process, as `npm start` runs it: the exporter's dynamic imports need a real Node, not jest's VM)
 * to a real OTLP/HTTP receiver on loopback: a node:http server accepting POST /v1/traces (JSON,
 * as the exporter sends it). The spans' names, kinds and parent links are checked, and that no
 * statement carries a value the client sent.
 */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: { stringValue?: string; intValue?: number | string } }[];
  status?: { code?: number; message?: string };
}
type ExportRequest = { resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };

const SERVER = 2;
const CLIENT = 3;

let receiver: http.Server;
const bodies: string[] = [];
const requests: string[] = [];
let db: Database;
let dir: string;
let gateway: GatewayProcess | undefined;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      bodies.push(Buffer.concat(parts).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  db = await createTestDatabase();
  dir = tempDir('dvc-trace-');
  // One source that is never synced (no first sync, no schedules): the gateway starts without the simulator.
  const sources = path.join(dir, 'sources.json');
  fs.writeFileSync(sources, JSON.stringify({ sources: [{ code: 'quiet', kind: 'stats_export', name: 'never synced', baseUrl: 'http://127.0.0.1:9/export/72', credentials: {}, schedule: null, precedence: 150, units: ['72'] }] }));
  gateway = await GatewayProcess.start({
    DATABASE_URL: db.url, SOURCES_FILE: sources, SYNC_ON_START: 'off', SYNC_SCHEDULES: 'off',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`, OTEL_SERVICE_NAME: 'dvc-gateway-test',
  });
}, 120_000);
afterAll(async () => {
  await gateway?.stop();
  await db?.close();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes?.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue !== undefined ? Number(v.intValue) : undefined);
};

it('sends a span per request, per operation under it, and per SQL statement under that, without values', async () => {
  const url = `http://127.0.0.1:${gateway!.port}`;
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'query TracedUnit($code: String!) { unit(code: $code) { code name } }', variables: { code: '79' } }),
  });
  const body = await res.json();
  expect(body.errors).toBeUndefined();
  expect(body.data.unit.code).toBe('79');
  expect((await fetch(`${url}/health`)).status).toBe(200);
  // Stopping the gateway (SIGTERM, as an orchestrator does) sends the spans still batched.
  expect(await gateway!.stop()).toEqual({ code: 0, signal: null });
  expect(requests.length).toBeGreaterThan(0);
  expect(requests.every((r) => r === 'POST /v1/traces application/json')).toBe(true);
  const spans = bodies.flatMap((b) => (JSON.parse(b) as ExportRequest).resourceSpans).flatMap((r) => {
    expect(r.resource.attributes?.find((a) => a.key === 'service.name')?.value.stringValue).toBe('dvc-gateway-test');
    return r.scopeSpans.flatMap((s) => s.spans);
  });

  const request = spans.find((s) => s.name === 'POST /graphql')!;
  expect(request).toBeDefined();
  expect(request.kind).toBe(SERVER);
  expect(request.parentSpanId ?? '').toBe('');
  expect(attr(request, 'http.response.status_code')).toBe(200);
  expect(attr(request, 'http.route')).toBe('/graphql');

  const operation = spans.find((s) => s.name === 'query TracedUnit')!;
  expect(operation).toBeDefined();
  expect(operation.traceId).toBe(request.traceId);
  expect(operation.parentSpanId).toBe(request.spanId);
  expect(attr(operation, 'graphql.operation.name')).toBe('TracedUnit');
  expect(attr(operation, 'graphql.operation.type')).toBe('query');

  const statements = spans.filter((s) => s.traceId === request.traceId && s.kind === CLIENT);
  // The resolver's statements hang under the operation; any before Apollo (the API key's lookup, a data version read) under the request.
  const underOperation = statements.filter((s) => s.parentSpanId === operation.spanId);
  expect(underOperation.length).toBeGreaterThan(0);
  expect(statements.every((s) => s.parentSpanId === operation.spanId || s.parentSpanId === request.spanId)).toBe(true);
  for (const s of statements) {
    expect(attr(s, 'db.system.name')).toBe('postgresql');
    expect(s.name).toBe(attr(s, 'db.operation.name'));
    expect(String(attr(s, 'db.query.text'))).not.toMatch(/'79'|\b79\b/);
  }
  expect(underOperation.some((s) => s.name === 'SELECT' && /\$1/.test(String(attr(s, 'db.query.text'))))).toBe(true);

  const health = spans.find((s) => s.name === 'GET /health')!;
  expect(health).toBeDefined();
  expect(health.traceId).not.toBe(request.traceId);
  // Every span of the request's trace is one of these three kinds.
  expect(spans.filter((s) => s.traceId === request.traceId).length).toBe(2 + statements.length);
});
