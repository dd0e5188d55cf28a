import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLSchema } from 'graphql';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { ApiKeyService, InvalidKeyError } from '../auth/api-key.service';
import { GatewayConfig } from '../config/config';
import { formatError, unauthenticated } from '../common/errors';
import { Database } from '../db/database';
import { GatewayContext } from './context';
import { createLoaders } from './loaders';
import { Logger } from './logger';
import { queryCostPlugin } from './query-cost';
import { inputHygienePlugin } from './input-hygiene.plugin';

export interface RunningApp {
  url: string;
  port: number;
  server: http.Server;
  /** Stops accepting requests and waits for those in flight. */
  close(): Promise<void>;
}

export interface AppOptions {
  config: GatewayConfig;
  db: Database;
  schema: GraphQLSchema;
  logger: Logger;
  /** Whether start-up (migrations, reference data, first sync) is done: /health says 503 until then. */
  isReady?: () => boolean;
}

/** Builds the per-request context: a forked EntityManager, fresh loaders, and the caller behind the API key. */
export function contextFactory(opts: AppOptions) {
  const keys = new ApiKeyService(opts.db.sql);
  return async ({ req }: { req: express.Request }): Promise<GatewayContext> => {
    const em = opts.db.orm.em.fork();
    const header = req.headers.authorization;
    let caller;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      try {
        if (!m) throw new InvalidKeyError('expected "Authorization: Bearer <key>"');
        caller = await keys.authenticate(m[1]);
      } catch (e) {
        if (e instanceof InvalidKeyError) throw unauthenticated(`Invalid API key: ${e.message}`, 401);
        throw e;
      }
    }
    return { em, sql: opts.db.sql, loaders: createLoaders(em), caller, config: opts.config };
  };
}

export async function startApp(opts: AppOptions): Promise<RunningApp> {
  const app = express();
  app.disable('x-powered-by');
  const server = http.createServer(app);
  const apollo = new ApolloServer<GatewayContext>({
    schema: opts.schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // main.ts owns shutdown (drain, scheduler, database); Apollo's own handler would re-raise the signal.
    stopOnTerminationSignals: false,
    formatError: (formatted, error) => formatError(formatted, error, (e) => opts.logger.error({ err: e }, 'request failed')),
    // The cost check rejects abusive operations after validation, before any resolver (or SQL) runs.
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer: server }), queryCostPlugin(), inputHygienePlugin(opts.config)],
  });
  await apollo.start();

  app.get('/health', async (_req, res) => {
    const ready = opts.isReady?.() ?? true;
    try {
      await opts.db.sql.query('SELECT 1');
      res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'starting', database: 'up' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'down' });
    }
  });
  app.use(
    '/graphql',
    express.json({ limit: '64mb' }),
    expressMiddleware(apollo, { context: contextFactory(opts) }),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.config.port, opts.config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.config.host.includes(':') ? `[${opts.config.host}]` : opts.config.host;
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    server,
    close: () => apollo.stop(),
  };
}
