import 'reflect-metadata';
import { Client, createClient, ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { ApiKeyService, NewKey } from '../../src/auth/api-key.service';
import { GatewayConfig, loadConfig } from '../../src/config/config';
import { connect, Database } from '../../src/db/database';
import { RunningApp, startApp } from '../../src/server/app';
import { createLogger } from '../../src/server/logger';
import { createSchema } from '../../src/server/schema';
import { ServiceRegistry } from '../../src/server/service.registry';
import { waitFor } from '../resilience/gateway-process';

/**
 * A gateway "process" for the live tests: its own pool, ORM and LISTEN connection on the shared
 * test database, its own HTTP and WebSocket server on a loopback port, its own ServiceRegistry.
 * Two of them on one database behave as two gateway processes do (nothing is shared in memory
 * but the compiled schema, which holds no state).
 */
export interface LiveGateway {
  db: Database;
  app: RunningApp;
  services: ServiceRegistry;
  wsUrl: string;
  /** Sends an operation over real HTTP; `key` goes in Authorization. */
  gql(query: string, variables?: Record<string, unknown>, key?: string): Promise<{ status: number; data?: any; errors?: any[] }>;
  stop(): Promise<void>;
}

export async function startLiveGateway(url: string, overrides: Partial<GatewayConfig> = {}): Promise<LiveGateway> {
  const db = await connect(url, 4);
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', databaseUrl: url, logLevel: 'silent', statementTimeoutMs: 5000, rateLimitMax: 0, ...overrides });
  const services = new ServiceRegistry();
  const app = await startApp({ config, db, schema: await createSchema(), logger: createLogger('silent'), services });
  return {
    db,
    app,
    services,
    wsUrl: app.url.replace(/^http/, 'ws'),
    async gql(query, variables, key) {
      const res = await fetch(app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: unknown; errors?: unknown[] };
      return { status: res.status, data: body.data, errors: body.errors };
    },
    async stop() {
      await app.close();
      await db.close();
    },
  };
}

export async function createKey(db: Database, input: NewKey): Promise<string> {
  return (await new ApiKeyService(db.sql).create(input)).key;
}

/** A graphql-ws client over the `ws` package, as a Node integrator would use it. */
export function wsClient(url: string, opts: { key?: string; onClose?: (code: number, reason: string) => void } = {}): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: opts.key ? { Authorization: `Bearer ${opts.key}` } : undefined,
    retryAttempts: 0,
    lazy: true,
    on: { closed: (e) => opts.onClose?.((e as { code: number }).code, String((e as { reason: unknown }).reason)) },
  });
}

/** One subscription's events and errors as they arrive. */
export interface Listener<T> {
  events: T[];
  errors: unknown[];
  completed: boolean;
  /** Resolves once `n` events have arrived (fails naming what it waited for after `timeoutMs`). */
  count(n: number, timeoutMs?: number): Promise<T[]>;
  /** Resolves once the subscription has ended with an error. */
  failed(timeoutMs?: number): Promise<unknown[]>;
  stop(): void;
}

export function listen<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}): Listener<T> {
  const l: Listener<T> = {
    events: [],
    errors: [],
    completed: false,
    count: (n, timeoutMs = 20_000) => waitFor(`${n} event(s) (have ${l.events.length}: ${JSON.stringify(l.events)})`, () => (l.events.length >= n ? l.events : false), timeoutMs, 10),
    failed: (timeoutMs = 10_000) => waitFor('an error', () => (l.errors.length ? l.errors : false), timeoutMs, 10),
    stop: () => undefined,
  };
  l.stop = client.subscribe<T>({ query, variables }, {
    next: (r: ExecutionResult<T>) => {
      if (r.errors) l.errors.push(...r.errors);
      else if (r.data) l.events.push(r.data);
    },
    // A refused subscription ends with the list of its errors; a lost connection with its close event.
    error: (e) => (Array.isArray(e) ? l.errors.push(...e) : l.errors.push(e)),
    complete: () => (l.completed = true),
  });
  return l;
}

/** Waits until the gateway holds `n` subscriptions: from then on, no commit goes unheard by them. */
export function subscribed(gw: LiveGateway, n: number): Promise<true> {
  return waitFor(`${n} subscription(s) on ${gw.app.url}`, () => (gw.services.live?.size ?? 0) >= n || false, 20_000, 10);
}
