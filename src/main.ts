import 'reflect-metadata';
import v8 from 'node:v8';
import { ConfigError, loadConfig } from './config/config';
import { Database } from './db/database';
import { describe, isConnectionError } from './db/database-health';
import { startGateway } from './gateway';
import { createLogger } from './server/logger';
import { ServiceRegistry } from './server/service.registry';
import { startFederation, startSyncClient } from './sync/sync.runtime';

/**
 * How far V8 lets its heap grow past what a full collection left alive, in percent, unless the
 * command line says otherwise (`node --heap-growing-percent=N dist/src/main.js`; the flag is not
 * allowed in NODE_OPTIONS). V8's own factor grows the heap up to 4x the live size when the process
 * allocates fast: bench:cache's gateway at 100 connections held 52-72 MB alive in a 190-250 MB
 * heap, 310-370 MB RSS; with 50, 251-254 MB RSS; with 25, 234-239 MB and no more gateway CPU per
 * request than with 50 (8.4 against 8.6 ms without the cache, 0.75 against 0.86 ms with it; one
 * run each at load 15: docs/caching.md, Memory).
 * Unlike a cap (--max-old-space-size) it cannot stop a national first load that needs more: the
 * heap still follows what is alive, it is only collected sooner. V8 reads the flag at every full
 * collection, so setting it at start-up takes effect.
 */
const HEAP_GROWING_PERCENT = 25;

function limitHeapGrowth(): void {
  if (process.execArgv.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'))) return;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  keepRunningThroughDatabaseErrors(logger);
  limitHeapGrowth();
  // One registry of process-wide services: the server hands it to every request, the federation
  // fills it once the sync service exists (after the server listens, while /health says 503).
  const services = new ServiceRegistry();
  // all, worker: sources from the registry, the portal simulator when they point at it, a first
  // sync, the scheduler. api: only the job queue's sending side, so that an on-demand sync is run
  // by a worker (docs/operations.md, "Running several processes").
  const startupWork = config.role === 'api'
    ? async (db: Database) => (await startSyncClient({ config, db, logger, services })).stop
    : async (db: Database) => (await startFederation({ config, db, logger, services })).stop;
  logger.info({ role: config.role }, `starting as ${config.role === 'all' ? 'api and sync worker (GATEWAY_ROLE=all)' : config.role === 'api' ? 'an api process (GATEWAY_ROLE=api)' : 'a sync worker (GATEWAY_ROLE=worker)'}`);
  const gateway = await startGateway(config, logger, { startupWork, services });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal}: draining requests and stopping`);
    gateway.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/**
 * No database error ends the process. Every pool and client has an error listener; these are the
 * last line: a rejected promise nobody awaited is logged, and an exception that escaped is logged
 * and survived when it is a connection-class error (the database health recovers from those).
 * Any other uncaught exception leaves the process in an unknown state: log it and exit.
 */
function keepRunningThroughDatabaseErrors(logger: ReturnType<typeof createLogger>): void {
  process.on('unhandledRejection', (reason) => {
    // pg-boss 10 records a job's outcome without awaiting it: during an outage that rejects here.
    // The job is released later (SyncScheduler.releaseStuckJobs); a warning without the stack is enough.
    if (isConnectionError(reason)) return logger.warn({ err: describe(reason) }, 'a database call nobody awaited failed during an outage (the gateway keeps running)');
    // Anything else is a bug: the stack goes to the log (never to a client) to say which promise.
    logger.error({ err: reason }, 'unhandled promise rejection (the gateway keeps running)');
  });
  process.on('uncaughtException', (e) => {
    if (isConnectionError(e)) {
      logger.error({ err: describe(e) }, 'a database error escaped its handler (the gateway keeps running)');
      return;
    }
    logger.fatal({ err: e }, 'uncaught exception');
    process.exit(1);
  });
}

main().catch((e: unknown) => {
  console.error('dvc-gateway failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
