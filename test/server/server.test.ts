import { spawn } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { startApp } from '../../src/server/app';
import { createLogger } from '../../src/server/logger';
import { createSchema } from '../../src/server/schema';
import { freePort } from '../../src/common/free-port';
import { createTestDatabase, startTestGateway } from '../support/harness';


describe('HTTP server', () => {
  it('reports health, masks internal errors and binds to loopback', async () => {
    const gw = await startTestGateway();
    try {
      const health = await fetch(gw.app.url.replace('/graphql', '/health'));
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', database: 'up' });
      expect(gw.app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);

      // A database failure mid-request: the client sees a generic error, never SQL or a stack.
      await gw.db.sql.query('ALTER TABLE sector RENAME TO sector_gone');
      const res = await gw.gql('{ sectors { code } }');
      await gw.db.sql.query('ALTER TABLE sector_gone RENAME TO sector');
      expect(res.errors).toEqual([expect.objectContaining({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
      expect(JSON.stringify(res.errors)).not.toMatch(/relation|select|sector_gone|stacktrace|\.ts/i);
    } finally {
      await gw.stop();
    }
  });

  it('answers /health on a connection of its own while every pooled connection is busy', async () => {
    const gw = await startTestGateway();
    const held = [];
    try {
      // Every connection of the request pool taken (the harness's pool has 4), as under heavy load.
      for (let i = 0; i < 4; i++) held.push(await gw.db.sql.pool.connect());
      expect(gw.db.sql.pool.totalCount).toBe(4);
      expect(gw.db.sql.pool.idleCount).toBe(0);
      // A probe through that pool would wait for a free connection until the abort below.
      const health = await fetch(gw.app.url.replace('/graphql', '/health'), { signal: AbortSignal.timeout(20_000) });
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', database: 'up' });
    } finally {
      for (const c of held) c.release();
      await gw.stop();
    }
  });

  it('answers 503 on /health and to GraphQL until start-up is done', async () => {
    const db = await createTestDatabase();
    let ready = false;
    const config = loadConfig({}, { port: 0, databaseUrl: db.url, logLevel: 'silent' });
    const app = await startApp({ config, db, schema: await createSchema(), logger: createLogger('silent'), isReady: () => ready });
    try {
      const url = app.url.replace('/graphql', '/health');
      const starting = await fetch(url);
      expect(starting.status).toBe(503);
      expect(await starting.json()).toEqual({ status: 'starting', database: 'up' });
      // GraphQL says so too, instead of answering from half-loaded tables.
      const query = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ sources { code } }' }) });
      expect(query.status).toBe(503);
      expect(query.headers.get('retry-after')).toBe('5');
      expect(await query.json()).toEqual({ errors: [{ message: expect.stringMatching(/^starting: first sync in progress/), extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
      ready = true;
      expect((await fetch(url)).status).toBe(200);
      const after = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ sources { code } }' }) });
      expect(after.status).toBe(200);
    } finally {
      await app.close();
      await db.close();
    }
  });

  it('starts from the command line, serves, and stops cleanly on SIGTERM', async () => {
    const db = await createTestDatabase();
    await db.close();
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(__dirname, '../../dist/src/main.js')], {
      env: { ...process.env, DATABASE_URL: db.url, PORT: String(port), SYNC_ON_START: 'false', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      // Up to 50 s: a CI machine at load 20 printed nothing in the first 10.
      for (let i = 0; i < 500 && !out.includes('"ready"') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain('"msg":"ready"');
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('SIGTERM: draining requests and stopping');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('fails fast on invalid configuration', async () => {
    const child = spawn(process.execPath, [path.join(__dirname, '../../dist/src/main.js')], {
      env: { ...process.env, PORT: 'eighty', DATABASE_URL: 'mysql://nope' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain('PORT must be an integer, got "eighty"');
  });

  it('rejects more syncs at once than the database pool can serve', () => {
    expect(() => loadConfig({ DB_POOL_SIZE: '4', SYNC_CONCURRENCY: '4' })).toThrow(/syncConcurrency: must be below poolSize .* got 4 with poolSize 4/);
    expect(() => loadConfig({ SYNC_CONCURRENCY: '0' })).toThrow(/syncConcurrency/);
    // Unset, it follows a small pool down rather than fail.
    expect(loadConfig({ DB_POOL_SIZE: '4' }).syncConcurrency).toBe(2);
    expect(loadConfig({}).syncConcurrency).toBe(4);
  });
});
