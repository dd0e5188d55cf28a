import { Client } from 'pg';
import type { Metrics } from '../observability/metrics';
import type { HeapPolicy } from '../server/heap-policy';
import { GatewayConfig } from '../config/config';
import { describe } from '../db/database-health';
import { Database } from '../db/database';
import { Logger } from '../server/logger';
import { ServiceRegistry } from '../server/service.registry';
import type { RunningSimulator } from '../simulator';
import { applyRegistry, defaultSourcesFile, needsSimulator, readRegistryFile, RegistryEntry, ResolvedSource, resolveSources, SIMULATOR_PLACEHOLDER } from '../sources/source-registry.service';
import { SyncScheduler } from './sync.scheduler';
import { AbandonedRunSweeper } from './abandoned-run.sweeper';
import { FAILING_AFTER, SyncOutcome, SyncService } from './sync.service';

/** What the sync mutation needs in this process: the sources and, when running, the job queue. */
export interface SyncRuntime {
  sync: SyncService;
  scheduler?: SyncScheduler;
  /**
   * An api process (GATEWAY_ROLE=api): its SyncService only names the sources; every sync goes
   * through the job queue to a worker, and none is ever run here.
   */
  queueOnly?: boolean;
}

export interface Federation extends SyncRuntime {
  /** The in-process portal simulator's URL, when this process started one. */
  simulatorUrl?: string;
  stop(): Promise<void>;
}

export interface FederationOptions {
  config: GatewayConfig;
  db: Database;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Where the sync runtime is published for the resolvers: filled once the sync service exists, cleared at stop. */
  services: ServiceRegistry;
  /** Start the pg-boss job queue (default true); without it on-demand syncs run in this process and nothing is scheduled. */
  queue?: boolean;
}

/**
 * Start-up of the federation: reads the source registry (SOURCES_FILE or config/sources.json),
 * starts the portal simulator in-process on a loopback port when the registry points at it and
 * SIMULATOR_URL is unset, mirrors the registry into the database, syncs every source once when
 * SYNC_ON_START (before /health reports ready), then starts the job queue, with the registry's
 * schedules unless SYNC_SCHEDULES is off.
 */
export async function startFederation(opts: FederationOptions): Promise<Federation> {
  const env = opts.env ?? process.env;
  const log = opts.logger;
  const entries = readRegistryFile(opts.config.sourcesFile ?? defaultSourcesFile());
  const simulator = await startSimulatorIfNeeded(entries, env, log);
  const vars: Record<string, string> = simulator ? { SIMULATOR_URL: simulator.url } : {};
  let scheduler: SyncScheduler | undefined;
  const sweeper = new AbandonedRunSweeper({
    sql: opts.db.sql, health: opts.db.health, log, everyMs: opts.config.abandonedRunCheckMs, failingAfter: FAILING_AFTER,
  });
  const stop = async () => {
    opts.services.sync = undefined;
    await sweeper.stop();
    await scheduler?.stop().catch((e: unknown) => log.warn({ err: String(e) }, 'scheduler stop failed'));
    await simulator?.close();
  };
  try {
    const sources = resolveSources(entries, vars, env);
    await applyRegistry(opts.db.sql, sources);
    // Runs a dead process left RUNNING are closed before the first sync, whose sources they degrade.
    await sweeper.sweep();
    sweeper.start();
    const sync = new SyncService(opts.db.sql, sources, log, env, { concurrency: opts.config.syncConcurrency, years: opts.config, metrics: opts.services.metrics, heap: opts.services.heap });
    opts.services.sync = { sync };
    if (opts.config.syncOnStart) {
      const started = Date.now();
      const outcomes = await firstSync(opts.db, sync, log, { concurrency: opts.config.syncConcurrency, years: opts.config, env, metrics: opts.services.metrics, heap: opts.services.heap });
      for (const o of outcomes.filter((x) => x.status !== 'succeeded')) log.warn({ source: o.code, status: o.status, error: o.error }, 'first sync did not succeed');
      log.info(
        { sources: outcomes.length, succeeded: outcomes.filter((o) => o.status === 'succeeded').length, rowsRead: outcomes.reduce((n, o) => n + o.rowsRead, 0), seconds: (Date.now() - started) / 1000 },
        'first sync done',
      );
    }
    if (opts.queue !== false) {
      // The first sync may have met an outage (its runs failed cleanly): the queue starts once the database is back.
      await opts.db.health.whenUp();
      const jobs = new SyncScheduler(opts.db.url, sync, log, { health: opts.db.health, schedules: opts.config.syncSchedules });
      await jobs.start();
      scheduler = jobs;
      // A job whose run was closed as abandoned, or ended while pg-boss could not hear of it, blocks its source's queue.
      sweeper.afterSweep = async () => void (await jobs.releaseStuckJobs(opts.config.abandonedRunCheckMs));
    }
    opts.services.sync = { sync, scheduler };
    return { sync, scheduler, simulatorUrl: simulator?.url, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * The start-up sync (SYNC_ON_START), once for workers that start together: under a session
 * advisory lock, each source a process finds synced by another since it began waiting is skipped.
 * Two workers started at once (a deployment, a restart of all of them) thus sync each source
 * once, not twice one after the other; a worker started alone syncs everything, as before.
 * The lock is on a connection of its own, held for the whole first sync (minutes at national
 * scale), while the others wait with /health at 503 "starting". If the lock cannot be taken
 * (the database is down), the sync runs without it: its runs fail cleanly as they did before.
 */
async function firstSync(db: Database, sync: SyncService, log: Logger, opts: { concurrency: number; years: GatewayConfig; env: NodeJS.ProcessEnv; metrics?: Metrics; heap?: HeapPolicy }): Promise<SyncOutcome[]> {
  const lock = await takeFirstSyncLock(db.url, log);
  try {
    if (!lock) return await sync.syncAll({ trigger: 'start' });
    const done = new Set(
      (await db.sql.query<{ code: string }>(
        `SELECT DISTINCT s.code FROM ingest_run r JOIN source s ON s.id = r.source_id
         WHERE r.kind = 'sync' AND r.status = 'succeeded' AND r.finished_at >= $1`,
        [lock.since],
      ).catch(() => [])).map((r) => r.code),
    );
    if (done.size === 0) return await sync.syncAll({ trigger: 'start' });
    const rest = sync.sources.filter((s) => !done.has(s.code));
    log.info({ skipped: [...done].sort(), left: rest.length }, 'start-up sync: the sources another worker synced meanwhile are skipped');
    if (rest.length === 0) return [];
    // A service for the sources left (nothing else runs before the queue starts).
    return await new SyncService(db.sql, rest, log, opts.env, { concurrency: opts.concurrency, years: opts.years, metrics: opts.metrics, heap: opts.heap }).syncAll({ trigger: 'start' });
  } finally {
    await lock?.release();
  }
}

/** Takes the start-up sync's lock (waiting for another worker's first sync); undefined when the database does not answer. */
async function takeFirstSyncLock(url: string, log: Logger): Promise<{ since: Date; release(): Promise<void> } | undefined> {
  const client = new Client({ connectionString: url, application_name: 'dvc-gateway-first-sync' });
  client.on('error', (e) => log.warn({ err: describe(e) }, 'the start-up sync lost its lock connection'));
  try {
    await client.connect();
    const [{ since, got }] = (await client.query<{ since: Date; got: boolean }>(`SELECT clock_timestamp() AS since, pg_try_advisory_lock(${FIRST_SYNC_LOCK}) AS got`)).rows;
    if (!got) {
      log.info('another worker is running its start-up sync: waiting for it, then syncing what it did not');
      await client.query(`SELECT pg_advisory_lock(${FIRST_SYNC_LOCK})`);
    }
    // Ending the session releases the lock.
    return { since, release: () => client.end().catch(() => undefined) };
  } catch (e) {
    await client.end().catch(() => undefined);
    log.warn({ err: describe(e) }, "start-up sync without the workers' lock (the database did not answer)");
    return undefined;
  }
}

/** The session lock of the start-up sync (one bigint key, like the migrations'). */
const FIRST_SYNC_LOCK = `hashtext('dvc-gateway:first-sync')`;

/**
 * GATEWAY_ROLE=api: the sending side of the job queue only. The sources are named from the same
 * registry file as the workers' (their URLs and credentials are never needed here: nothing is
 * fetched); an on-demand sync is queued with the source's singleton key and run by whichever
 * worker takes it, exactly as a scheduled one. No simulator, no start-up sync, no sweep.
 */
export async function startSyncClient(opts: FederationOptions): Promise<{ stop(): Promise<void> }> {
  const env = opts.env ?? process.env;
  const entries = readRegistryFile(opts.config.sourcesFile ?? defaultSourcesFile());
  // Named, not resolved: ${SIMULATOR_URL} and the like stay as written (this process connects to no source).
  const sources: ResolvedSource[] = entries.map((e) => ({ ...e, url: e.baseUrl, simulated: e.baseUrl.includes(SIMULATOR_PLACEHOLDER) }));
  const sync = new SyncService(opts.db.sql, sources, opts.logger, env, { concurrency: 1, years: opts.config });
  await opts.db.health.whenUp();
  const jobs = new SyncScheduler(opts.db.url, sync, opts.logger, { health: opts.db.health, work: false });
  await jobs.start();
  opts.services.sync = { sync, scheduler: jobs, queueOnly: true };
  return {
    async stop() {
      opts.services.sync = undefined;
      await jobs.stop().catch((e: unknown) => opts.logger.warn({ err: String(e) }, 'job queue stop failed'));
    },
  };
}

/**
 * The portal simulator is a fifth of the source tree and a production registry never points at
 * it: it is loaded (and started on a loopback port) only when the registry names
 * ${SIMULATOR_URL} and SIMULATOR_URL does not say where another one runs.
 */
async function startSimulatorIfNeeded(entries: RegistryEntry[], env: NodeJS.ProcessEnv, log: Logger): Promise<RunningSimulator | undefined> {
  if (!needsSimulator(entries) || env.SIMULATOR_URL) return undefined;
  // A require at the point of use, not import(): under module node16 TypeScript keeps import() as
  // an ES-module import of this CommonJS tree, which jest's VM cannot run; the effect is the same.
  const { startSimulator } = require('../simulator') as typeof import('../simulator');
  const simulator = await startSimulator({ scale: 'small', port: 0, host: '127.0.0.1' });
  log.info({ url: simulator.url, scale: 'small' }, 'portal simulator started in-process (set SIMULATOR_URL to use another)');
  return simulator;
}

export type SyncRequestStatus = 'succeeded' | 'rejected' | 'failed' | 'busy' | 'queued' | 'running';

export interface SyncRequestResult {
  status: SyncRequestStatus;
  outcome?: SyncOutcome;
  jobId?: string;
  error?: string;
}

/**
 * An on-demand sync: through the job queue when this process runs it (so the run is shared
 * with, and never doubles, the scheduled ones), waiting up to `waitMs` for the outcome; without
 * a queue (tests, a process started without it) the sync runs here, except in an api process
 * (GATEWAY_ROLE=api), where a worker runs every sync.
 */
export async function requestSync(rt: SyncRuntime, code: string, opts: { wait: boolean; full: boolean; waitMs?: number }): Promise<SyncRequestResult> {
  if (rt.scheduler?.running) {
    const jobId = await rt.scheduler.enqueue(code, 'api', opts.full);
    if (!opts.wait) return { status: 'queued', jobId };
    const job = await rt.scheduler.waitFor(code, jobId, opts.waitMs ?? 120_000);
    if (job?.state === 'completed' && job.outcome) return { status: job.outcome.status, outcome: job.outcome, jobId, error: job.outcome.error };
    if (job?.state === 'failed' || job?.state === 'cancelled') return { status: 'failed', jobId, error: `the sync job ${job.state}` };
    return { status: job?.state === 'active' ? 'running' : 'queued', jobId };
  }
  // An api process never runs a sync itself (its queue stops only at shutdown).
  if (rt.queueOnly) return { status: 'failed', error: 'the job queue is not available in this process at the moment; try again shortly' };
  const waiting = rt.sync.saturated;
  const run = rt.sync.sync(code, { trigger: 'api', full: opts.full });
  if (!opts.wait) {
    run.catch(() => undefined);
    return { status: waiting ? 'queued' : 'running' };
  }
  const outcome = await run;
  return { status: outcome.status, outcome, error: outcome.error };
}
