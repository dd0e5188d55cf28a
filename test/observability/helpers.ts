import { Writable } from 'node:stream';
import { GatewayConfig, loadConfig } from '../../src/config/config';
import { Database } from '../../src/db/database';
import { RunningApp, startApp } from '../../src/server/app';
import { createLogger } from '../../src/server/logger';
import { createSchema } from '../../src/server/schema';
import { ServiceRegistry } from '../../src/server/service.registry';
import { createTestDatabase } from '../support/harness';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition to samples (enough of the format for prom-client's output). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the sample with exactly these labels (0 when there is none: a counter never incremented). */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const keys = Object.keys(labels);
  const found = samples.filter((s) => s.name === name && Object.keys(s.labels).length === keys.length && keys.every((k) => s.labels[k] === labels[k]));
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value ?? 0;
}

export interface ObservedGateway {
  db: Database;
  app: RunningApp;
  services: ServiceRegistry;
  /** The base URL (http://127.0.0.1:port). */
  base: string;
  /** Every log line written so far, parsed. */
  lines: Record<string, any>[];
  /** The raw text written to the log so far. */
  logText(): string;
  metrics(headers?: Record<string, string>): Promise<Sample[]>;
  stop(): Promise<void>;
}

/** The real HTTP app over a fresh database, its log written to memory at level info. */
export async function startObservedGateway(overrides: Partial<GatewayConfig> = {}, db?: Database): Promise<ObservedGateway> {
  const own = !db;
  const database = db ?? (await createTestDatabase());
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger('info', sink);
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', databaseUrl: database.url, statementTimeoutMs: 5000, ...overrides });
  const services = new ServiceRegistry();
  const app = await startApp({ config, db: database, schema: await createSchema(), logger, services });
  const base = app.url.replace(/\/graphql$/, '');
  return {
    db: database,
    app,
    services,
    base,
    get lines() {
      return chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, any>);
    },
    logText: () => chunks.join(''),
    async metrics(headers = {}) {
      const res = await fetch(`${base}/metrics`, { headers });
      if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${await res.text()}`);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return parseMetrics(await res.text());
    },
    async stop() {
      await app.close();
      if (own) await database.close();
    },
  };
}

export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/**
 * The log line matching `pred`, once written: a request's line (and its metrics, recorded just
 * before) is written when the response has been handed to the socket, which the client may read first.
 */
export async function lineWhere(gw: ObservedGateway, pred: (l: Record<string, any>) => boolean): Promise<Record<string, any>> {
  for (let i = 0; i < 500; i++) {
    const found = gw.lines.find(pred);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no such log line');
}

/** Sends a request with a fresh X-Request-Id and waits for its access log line. */
export async function logged(gw: ObservedGateway, send: (id: string) => Promise<Response>): Promise<{ res: Response; body: any; line: Record<string, any> }> {
  const id = `t-${Math.random().toString(36).slice(2)}`;
  const res = await send(id);
  const text = await res.text();
  const line = await lineWhere(gw, (l) => l.msg === 'request' && l.requestId === id);
  return { res, body: text ? JSON.parse(text) : null, line };
}
