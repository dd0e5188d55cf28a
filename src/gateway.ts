import 'reflect-metadata';
import { GatewayConfig } from './config/config';
import { Database, openDatabase } from './db/database';
import { loadReferenceData } from './reference/reference-data.service';
import { RunningApp, startApp } from './server/app';
import { Logger } from './server/logger';
import { createSchema } from './server/schema';
import { ServiceRegistry } from './server/service.registry';
import { startWorkerApp } from './server/worker-app';

export interface Gateway {
  app: RunningApp;
  db: Database;
  stop(): Promise<void>;
}

/** Start-up work may return its own shutdown (run after requests are drained, before the database closes). */
export type StartupWork = (db: Database) => Promise<void | (() => Promise<void>)>;

export interface GatewayOptions {
  /** Runs after the HTTP server listens, before /health reports ready (the first sync). */
  startupWork?: StartupWork;
  /** Process-wide services the resolvers read through their context; start-up work fills it. */
  services?: ServiceRegistry;
}

/**
 * Starts the whole gateway: database (embedded unless DATABASE_URL), migrations, reference data,
 * the HTTP server, then the start-up work (first sync); /health answers 503 until that is done.
 * The HTTP server is the API's (GATEWAY_ROLE all or api) or a worker's /health and /metrics.
 */
export async function startGateway(config: GatewayConfig, logger: Logger, opts: GatewayOptions = {}): Promise<Gateway> {
  const { startupWork, services = new ServiceRegistry() } = opts;
  const db = await openDatabase(config, logger, { waitForServer: true });
  let app: RunningApp | undefined;
  let cleanup: void | (() => Promise<void>);
  try {
    const ref = await loadReferenceData(db.sql);
    if (ref.loaded) logger.info(ref, 'reference data loaded');
    let ready = false;
    const isReady = () => ready;
    if (config.role === 'worker') {
      app = await startWorkerApp({ config, db, logger, isReady, services });
      logger.info(`sync worker: health at ${app.url}`);
    } else {
      app = await startApp({ config, db, schema: await createSchema(), logger, isReady, services });
      logger.info(`GraphQL at ${app.url}`);
    }
    if (startupWork) cleanup = await startupWork(db);
    ready = true;
    logger.info('ready');
  } catch (e) {
    await app?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw e;
  }
  const running = app;
  return {
    app: running,
    db,
    async stop() {
      await running.close();
      if (cleanup) await cleanup().catch((e: unknown) => logger.error({ err: e }, 'start-up work shutdown failed'));
      await db.close();
    },
  };
}
