import 'reflect-metadata';
import crypto from 'node:crypto';
import { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { Client } from 'pg';
import { ApiKeyService, NewKey } from '../../src/auth/api-key.service';
import { GatewayConfig, loadConfig } from '../../src/config/config';
import { connect, Database } from '../../src/db/database';
import { startApp, RunningApp } from '../../src/server/app';
import { createLogger } from '../../src/server/logger';
import { createSchema } from '../../src/server/schema';

const templateUrl = () => {
  const url = process.env.DVC_TEST_TEMPLATE_URL;
  if (!url) throw new Error('DVC_TEST_TEMPLATE_URL is not set: run the tests through jest (globalSetup)');
  return url;
};

/** A fresh database cloned from the migrated template, with the reference data already in it. */
export async function createTestDatabase(): Promise<Database> {
  const name = `t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: templateUrl().replace(/\/[^/]+$/, '/postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE dvc_template`);
  } finally {
    await admin.end();
  }
  return connect(templateUrl().replace(/\/[^/]+$/, `/${name}`), 4);
}

export interface GqlResponse<T> {
  status: number;
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; problems?: { field: string; reason: string }[]; [k: string]: unknown } }[];
}

export interface TestGateway {
  db: Database;
  app: RunningApp;
  /** Sends a GraphQL operation over real HTTP; `key` goes in Authorization. */
  gql<T = any, V = Record<string, unknown>>(query: string | TypedDocumentNode<T, V>, variables?: V, key?: string): Promise<GqlResponse<T>>;
  createKey(input: NewKey): Promise<string>;
  stop(): Promise<void>;
}

/** The real gateway (schema, context, auth, error masking) on a random loopback port, over a fresh database. */
export async function startTestGateway(overrides: Partial<GatewayConfig> = {}): Promise<TestGateway> {
  const db = await createTestDatabase();
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', databaseUrl: db.url, logLevel: 'silent', statementTimeoutMs: 5000, ...overrides });
  const app = await startApp({ config, db, schema: await createSchema(), logger: createLogger('silent') });
  return {
    db,
    app,
    async gql(query, variables, key) {
      const res = await fetch(app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query: typeof query === 'string' ? query : print(query), variables }),
      });
      const body = (await res.json()) as GqlResponse<never>;
      return { status: res.status, data: body.data, errors: body.errors };
    },
    async createKey(input) {
      return (await new ApiKeyService(db.sql).create(input)).key;
    },
    async stop() {
      await app.close();
      await db.close();
    },
  };
}

/** Row counts of every table a batch writes: equal before and after means nothing was written. */
export async function factCounts(db: Database): Promise<Record<string, number>> {
  const [row] = await db.sql.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM sector) AS sector, (SELECT count(*) FROM procedure) AS procedure,
            (SELECT count(*) FROM service) AS service, (SELECT count(*) FROM service_level) AS service_level,
            (SELECT count(*) FROM filing_stat) AS filing_stat, (SELECT count(*) FROM plan) AS plan,
            (SELECT count(*) FROM fact_revision) AS fact_revision`,
  );
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
}
