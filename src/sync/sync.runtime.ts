import { GatewayConfig } from '../config/config';
import { Database } from '../db/database';
import { Logger } from '../server/logger';
import { RunningSimulator, startSimulator } from '../simulator';
import { applyRegistry, defaultSourcesFile, needsSimulator, readRegistryFile, resolveSources } from '../sources/source-registry.service';
import { SyncScheduler } from './sync.scheduler';
import { AbandonedRunSweeper } from './abandoned-run.sweeper';
import { FAILING_AFTER, SyncOutcome, SyncService } from './sync.service';

/** What the sync mutation needs in this process: the sources and, when running, the job queue. */
export interface SyncRuntime {
  sync: SyncService;
  scheduler?: SyncScheduler;
}

// The GraphQL context is built per request by the server; the sync machinery lives once per
// process, so the resolver finds it here (set at start-up, cleared at shutdown).
let current: SyncRuntime | undefined;

export function setSyncRuntime(runtime: SyncRuntime | undefined): void {
  current = runtime;
}

export function syncRuntime(): SyncRuntime | undefined {
  return current;
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
  /** Start the pg-boss scheduler (default true). */
  schedule?: boolean;
}

/**
 * Start-up of the federation: reads the source registry (SOURCES_FILE or config/sources.json),
 * starts the portal simulator in-process on a loopback port when the registry points at it and
 * SIMULATOR_URL is unset, mirrors the registry into the database, syncs every source once when
 * SYNC_ON_START (before /health reports ready), then starts the scheduler.
 */
export async function startFederation(opts: FederationOptions): Promise<Federation> {
  const env = opts.env ?? process.env;
  const log = opts.logger;
  const entries = readRegistryFile(opts.config.sourcesFile ?? defaultSourcesFile());
  let simulator: RunningSimulator | undefined;
  const vars: Record<string, string> = {};
  if (needsSimulator(entries) && !env.SIMULATOR_URL) {
    simulator = await startSimulator({ scale: 'small', port: 0, host: '127.0.0.1' });
    vars.SIMULATOR_URL = simulator.url;
    log.info({ url: simulator.url, scale: 'small' }, 'portal simulator started in-process (set SIMULATOR_URL to use another)');
  }
  let scheduler: SyncScheduler | undefined;
  const sweeper = new AbandonedRunSweeper({
    sql: opts.db.sql, health: opts.db.health, log, everyMs: opts.config.abandonedRunCheckMs, failingAfter: FAILING_AFTER,
  });
  const stop = async () => {
    setSyncRuntime(undefined);
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
    const sync = new SyncService(opts.db.sql, sources, log, env, { concurrency: opts.config.syncConcurrency, years: opts.config });
    setSyncRuntime({ sync });
    if (opts.config.syncOnStart) {
      const started = Date.now();
      const outcomes = await sync.syncAll({ trigger: 'start' });
      for (const o of outcomes.filter((x) => x.status !== 'succeeded')) log.warn({ source: o.code, status: o.status, error: o.error }, 'first sync did not succeed');
      log.info(
        { sources: outcomes.length, succeeded: outcomes.filter((o) => o.status === 'succeeded').length, rowsRead: outcomes.reduce((n, o) => n + o.rowsRead, 0), seconds: (Date.now() - started) / 1000 },
        'first sync done',
      );
    }
    if (opts.schedule !== false) {
      // The first sync may have met an outage (its runs failed cleanly): the queue starts once the database is back.
      await opts.db.health.whenUp();
      const jobs = new SyncScheduler(opts.db.url, sync, log, { health: opts.db.health });
      await jobs.start();
      scheduler = jobs;
      // A job whose run was closed as abandoned, or ended while pg-boss could not hear of it, blocks its source's queue.
      sweeper.afterSweep = async () => void (await jobs.releaseStuckJobs(opts.config.abandonedRunCheckMs));
    }
    setSyncRuntime({ sync, scheduler });
    return { sync, scheduler, simulatorUrl: simulator?.url, stop };
  } catch (e) {
    await stop();
    throw e;
  }
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
 * a queue (tests, SYNC scheduling off) the sync runs here.
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
  const waiting = rt.sync.saturated;
  const run = rt.sync.sync(code, { trigger: 'api', full: opts.full });
  if (!opts.wait) {
    run.catch(() => undefined);
    return { status: waiting ? 'queued' : 'running' };
  }
  const outcome = await run;
  return { status: outcome.status, outcome, error: outcome.error };
}
