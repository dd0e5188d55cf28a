import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/config';
import { Database } from './db/database';
import { describe, isConnectionError } from './db/database-health';
import { startGateway } from './gateway';
import { HeapPolicy } from './server/heap-policy';
import { createLogger } from './server/logger';
import { ServiceRegistry } from './server/service.registry';
import { startFederation, startSyncClient } from './sync/sync.runtime';

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
  // One registry of process-wide services: the server hands it to every request, the federation
  // fills it once the sync service exists (after the server listens, while /health says 503).
  const services = new ServiceRegistry();
  services.heap = HeapPolicy.forProcess();
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
