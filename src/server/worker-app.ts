import express from 'express';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { GatewayConfig } from '../config/config';
import { Metrics } from '../observability/metrics';
import { metricsRoute } from '../observability/metrics.router';
import { Database } from '../db/database';
import { RunningApp } from './app';
import { answerClientErrorsWithJson, lastResortErrorHandler, sendJsonError } from './error.middleware';
import { healthRoute } from './health.route';
import { Logger } from './logger';
import { ServiceRegistry } from './service.registry';

export interface WorkerAppOptions {
  config: GatewayConfig;
  db: Database;
  logger: Logger;
  isReady: () => boolean;
  services: ServiceRegistry;
}

/**
 * A worker's HTTP port (GATEWAY_ROLE=worker): /health for the orchestrator and /metrics for
 * Prometheus, nothing else. No GraphQL schema is built and no request reaches the database but
 * the health probe's, so a worker's port can be opened to the monitoring network only.
 */
export async function startWorkerApp(opts: WorkerAppOptions): Promise<RunningApp> {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/health', healthRoute(opts.db, opts.isReady));
  // The same metrics as an api process's (src/observability/): the sync runs, rollup refreshes and pool use are a worker's.
  const { config, services } = opts;
  if (config.metrics) services.metrics ??= new Metrics({ maxOperationNames: config.metricsMaxOperations });
  services.metrics?.observePool('primary', opts.db.sql.pool);
  services.metrics?.watchSources(opts.db.sql);
  if (services.metrics) app.get('/metrics', metricsRoute(services.metrics, config.metricsToken));
  app.use((req, res) => sendJsonError(req, res, 404, 'NOT_FOUND', 'Nothing here: this is a sync worker (GATEWAY_ROLE=worker); it serves /health and /metrics only.'));
  app.use(lastResortErrorHandler(opts.logger));
  const server = http.createServer(app);
  answerClientErrorsWithJson(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.config.port, opts.config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.config.host.includes(':') ? `[${opts.config.host}]` : opts.config.host;
  return {
    url: `http://${host}:${port}/health`,
    port,
    server,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}
