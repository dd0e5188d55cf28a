import 'reflect-metadata';
import { GatewayConfig } from './config/config';
import { Database, openDatabase } from './db/database';
import { loadReferenceData } from './reference/reference-data.service';
import { RunningApp, startApp } from './server/app';
import { Logger } from './server/logger';
import { createSchema } from './server/schema';

export interface Gateway {
  app: RunningApp;
  db: Database;
  stop(): Promise<void>;
}

/**
 * Starts the whole gateway: database (embedded unless DATABASE_URL), migrations, reference data,
 * the HTTP server, then the start-up work (first sync); /health answers 503 until that is done.
 */
export async function startGateway(config: GatewayConfig, logger: Logger, startupWork?: (db: Database) => Promise<void>): Promise<Gateway> {
  const db = await openDatabase(config, (m) => logger.info(m));
  let app: RunningApp | undefined;
  try {
    const ref = await loadReferenceData(db.sql);
    if (ref.loaded) logger.info(ref, 'reference data loaded');
    let ready = false;
    app = await startApp({ config, db, schema: await createSchema(), logger, isReady: () => ready });
    logger.info(`GraphQL at ${app.url}`);
    if (startupWork) await startupWork(db);
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
      await db.close();
    },
  };
}
