import { MikroORM } from '@mikro-orm/postgresql';
import { Client, Pool } from 'pg';
import pino, { Logger } from 'pino';
import { GatewayConfig } from '../config/config';
import { DatabaseHealth, describe, isConnectionError, probeServer } from './database-health';
import { EmbeddedHandle, startEmbeddedPostgres } from './embedded-postgres';
import { ormConfig } from './mikro-orm.config';
import { DATA_VERSION_CHANNEL, DataVersion } from '../cache/data-version';
import { connectReplica, ReadRouter } from './read-router';
import { ResilientPostgreSqlDriver } from './resilient-postgresql.driver';
import { Sql } from './sql';

export interface Database {
  url: string;
  orm: MikroORM;
  sql: Sql;
  /** Up or down, process-wide; /health, the scheduler and the abandoned-run sweep read it. */
  health: DatabaseHealth;
  /**
   * Whether the server answers a trivial query now, on a connection of its own: a probe never
   * waits behind requests for the pool (under 100 connections of load, /health would otherwise
   * wait seconds, and an orchestrator could restart a gateway that is only busy).
   */
  answers(): Promise<boolean>;
  /**
   * The read replicas' router (DATABASE_REPLICA_URLS), absent without replicas: the per-request
   * context's `sql` is then routed (read-router.ts); `sql` above is always the primary.
   */
  reads?: ReadRouter;
  /** Closes the pools, then stops the embedded server if this process started one. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  logger?: Logger;
  /** Recovery backoff (DB_RETRY_MIN_MS, DB_RETRY_MAX_MS); the configuration's defaults when absent. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Streaming replicas of `url` that serve reads (DATABASE_REPLICA_URLS); none by default. */
  replicaUrls?: string[];
}

export interface OpenOptions {
  /**
   * With DATABASE_URL, wait for a server that does not answer yet (retrying with the backoff,
   * each attempt logged) instead of failing: the gateway may start before its database.
   */
  waitForServer?: boolean;
}

/**
 * Connects to DATABASE_URL, or starts the embedded PostgreSQL, and applies pending migrations.
 * The embedded cluster is supervised: if its postmaster dies, the health flips down and the
 * recovery loop starts it again with backoff.
 */
export async function openDatabase(config: GatewayConfig, logger: Logger = pino({ level: 'silent' }), opts: OpenOptions = {}): Promise<Database> {
  let embedded: EmbeddedHandle | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPort, database: 'dvc_gateway' });
    url = embedded.url;
    logger.info(`embedded PostgreSQL on 127.0.0.1:${config.embeddedPort}, data in ${config.dataDir}`);
  }
  // A worker only writes (syncs): its reads would gain nothing from a replica.
  const replicaUrls = config.role === 'worker' ? [] : config.replicaUrls;
  const connectOpts = { logger, retryMinMs: config.dbRetryMinMs, retryMaxMs: config.dbRetryMaxMs, replicaUrls };
  try {
    if (embedded || !opts.waitForServer) return await connect(url, config.poolSize, embedded, connectOpts);
    return await connectWhenReachable(url, config, connectOpts);
  } catch (e) {
    await embedded?.stop();
    throw e;
  }
}

/** connect(), retried with backoff while the server refuses connections (a wrong password or a bad migration fails at once). */
async function connectWhenReachable(url: string, config: GatewayConfig, opts: ConnectOptions): Promise<Database> {
  let wait = config.dbRetryMinMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect(url, config.poolSize, undefined, opts);
    } catch (e) {
      if (!isConnectionError(e)) throw e;
      opts.logger?.warn({ attempt, retryInMs: wait, err: describe(e) }, 'database not reachable yet');
    }
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, config.dbRetryMaxMs);
  }
}

export async function connect(url: string, poolSize = 10, embedded?: EmbeddedHandle, opts: ConnectOptions = {}): Promise<Database> {
  const defaults = new GatewayConfig();
  const log = opts.logger ?? pino({ level: 'silent' });
  const retryMaxMs = opts.retryMaxMs ?? defaults.dbRetryMaxMs;
  const health = new DatabaseHealth({
    log,
    retryMinMs: opts.retryMinMs ?? defaults.dbRetryMinMs,
    retryMaxMs,
    probe: () => probeServer(url, retryMaxMs),
    recover: embedded?.ensureRunning,
    action: embedded?.ensureRunning ? 'restarting the embedded PostgreSQL if it is down, then reconnecting' : 'reconnecting',
  });
  // The postmaster's exit is the earliest news of an outage; don't wait for a query to fail.
  embedded?.onExit?.((why) => health.connectionLost(new Error(why)));
  const orm = await MikroORM.init(ormConfig(url, poolSize, (msg) => log.warn({ from: 'knex' }, msg)));
  const driver: unknown = orm.em.getDriver();
  if (driver instanceof ResilientPostgreSqlDriver) driver.onConnectionError = (e) => health.report(e);
  const pool = new Pool({ connectionString: url, max: poolSize });
  // No pg error may end the process: an idle client's error reaches the pool, a checked-out
  // client's error reaches the client itself (node-postgres emits it there with nobody listening
  // between queries, e.g. a sync's session connection when the server is killed: 57P01).
  pool.on('error', (e) => health.report(e));
  pool.on('connect', (client) => client.on('error', (e) => health.report(e)));
  const probePool = new Pool({ connectionString: url, max: 1, connectionTimeoutMillis: retryMaxMs, query_timeout: retryMaxMs });
  probePool.on('error', (e) => health.report(e));
  probePool.on('connect', (client) => client.on('error', (e) => health.report(e)));
  try {
    await migrateUnderLock(url, orm, log);
  } catch (e) {
    await orm.close(true);
    await pool.end();
    await probePool.end();
    throw e;
  }
  // Every pool connection hears the data version's NOTIFY: a write through this process is known
  // to its DataVersion before the write's await returns (src/cache/data-version.ts).
  const sql = new Sql(pool, health, [DATA_VERSION_CHANNEL]);
  const reads = opts.replicaUrls?.length ? await openReplicas(sql, opts.replicaUrls, poolSize, { ...opts, log }) : undefined;
  return {
    url,
    orm,
    sql,
    health,
    reads,
    answers: () => probePool.query('SELECT 1').then(() => true, (e: unknown) => (health.report(e), false)),
    async close() {
      await reads?.close();
      await health.close();
      await orm.close(true);
      await pool.end();
      await probePool.end();
      await embedded?.stop();
    },
  };
}

/** The replicas' router: "replica 1".. "replica n" in the order of DATABASE_REPLICA_URLS (logs never show a URL: it may hold a password). */
async function openReplicas(primary: Sql, urls: string[], poolSize: number, opts: ConnectOptions & { log: Logger }): Promise<ReadRouter> {
  const defaults = new GatewayConfig();
  const replicas = await Promise.all(urls.map((u, i) => connectReplica(u, `replica ${i + 1}`, {
    poolSize, log: opts.log, retryMinMs: opts.retryMinMs ?? defaults.dbRetryMinMs, retryMaxMs: opts.retryMaxMs ?? defaults.dbRetryMaxMs,
  })));
  opts.log.info({ replicas: replicas.map((r) => `${r.name}${r.health.up ? '' : ' (down)'}`) }, 'reads go to the replicas, writes to the primary');
  return new ReadRouter(primary, new DataVersion(primary), replicas, opts.log);
}

/** The session-level advisory lock the migrations run under (one bigint key, apart from the two-key sync locks). */
export const MIGRATION_LOCK = `hashtext('dvc-gateway:migrations')`;

/**
 * Applies pending migrations while holding a session advisory lock on a connection of its own,
 * so that processes starting together on one database (several api processes and workers, an
 * upgrade rolled out to all of them) apply each migration once: the first takes the lock and
 * applies them; the others wait for it, then find none pending. Without the lock they raced on
 * creating the migration table and then on every DDL (test/platform/migration-lock.test.ts).
 * The lock goes with the connection, so a process killed mid-migration releases it (its
 * transaction rolled back: MikroORM runs them all-or-nothing) and the next one applies them.
 */
async function migrateUnderLock(url: string, orm: MikroORM, log: Logger): Promise<void> {
  const lock = new Client({ connectionString: url, application_name: 'dvc-gateway-migrations' });
  lock.on('error', () => undefined); // a failure shows on the next query
  await lock.connect();
  try {
    const started = Date.now();
    const [{ got }] = (await lock.query<{ got: boolean }>(`SELECT pg_try_advisory_lock(${MIGRATION_LOCK}) AS got`)).rows;
    if (!got) {
      log.info('another process is applying the migrations: waiting for it');
      await lock.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    }
    const applied = await orm.getMigrator().up();
    log.info({ applied: applied.length, waitedForLockMs: got ? 0 : Date.now() - started }, applied.length > 0 ? `applied ${applied.length} migration(s)` : 'no migration pending');
  } finally {
    await lock.end().catch(() => undefined); // ending the session releases the lock
  }
}

