import { ApolloServer } from '@apollo/server';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLSchema } from 'graphql';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { ApiKeyService } from '../auth/api-key.service';
import { DataVersion } from '../cache/data-version';
import { RequestCache, requestCacheOf } from '../cache/request-cache';
import { frontCache } from '../cache/front-cache';
import { frontBytes, InFlightReads, noResponseCachePlugins, notModified, persistedQueryCache, responseCachePlugins } from '../cache/response-cache';
import { GatewayConfig } from '../config/config';
import { BoundedCache } from '../common/bounded-cache';
import { formatError } from '../common/errors';
import { Database } from '../db/database';
import { readRouting, requestRouteOf, RoutedSql } from '../db/read-router';
import { readRoutingPlugin } from '../db/read-routing.plugin';
import { explorerRouter, loadExplorerFiles } from '../explorer/explorer.router';
import { exportRouter } from '../export/export.router';
import { SavedViews } from '../export/saved-views';
import { attachLiveServer, liveLimits } from '../live/live.server';
import { LiveUpdates } from '../live/live-updates.service';
import { Metrics } from '../observability/metrics';
import { metricsRoute } from '../observability/metrics.router';
import { observedOf, RequestObserver } from '../observability/request-observer';
import { tracingFor } from '../observability/tracing.load';
import { bodyBytesOf, readJsonBody } from './body-limit.middleware';
import { bodyLimitPlugin } from './body-limit.plugin';
import { callerOf, identifyCaller, refuseInvalidKey } from './caller.middleware';
import { GatewayContext } from './context';
import { answerClientErrorsWithJson, lastResortErrorHandler, notFoundHandler, prefersGraphqlResponseJson } from './error.middleware';
import { healthRoute } from './health.route';
import { httpStatusPlugin } from './http-status.plugin';
import { Compiled, compiledExecution, compiledQueryCache } from './compiled-execution';
import { CompiledReads } from './compiled-reads';
import { straightChain } from './straight-chain';
import { createLoaders } from './loaders';
import { Logger } from './logger';
import { queryCostPlugin } from './query-cost';
import { inputHygienePlugin } from './input-hygiene.plugin';
import { limitQuerySize } from './query-size.middleware';
import { createRateLimiter } from './rate-limit.middleware';
import { checkPersistedQuery, onlyGetAndPost } from './request-shape.middleware';
import { refuseWhileStarting } from './startup.middleware';
import { NotificationListener } from '../db/notification-listener';
import { ServiceRegistry } from './service.registry';

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
  /** Process-wide services for the resolvers (default: an empty registry, a server that does not sync). */
  services?: ServiceRegistry;
  /** The compiled queries' cache (default: compiledQueryCache(), bounded in bytes), with COMPILED_QUERIES on. */
  compiledQueries?: BoundedCache<string, Compiled>;
}

/**
 * Builds the per-request context: an EntityManager forked on first use, fresh loaders, the caller behind the API
 * key (authenticated earlier by identifyCaller, before the body was read) and facts about the request.
 */
export function contextFactory(opts: AppOptions, services = opts.services ?? new ServiceRegistry()) {
  return async ({ req, res }: { req: express.Request; res: express.Response }): Promise<GatewayContext> => {
    let em: EntityManager | undefined;
    const observed = observedOf(res);
    const forkEm = () => (em ??= opts.db.orm.em.fork());
    const version = services.dataVersion;
    // With read replicas, reads go where the request was routed (src/db/read-router.ts).
    const route = requestRouteOf(res);
    const sql = route ? new RoutedSql(route) : opts.db.sql;
    const context: Omit<GatewayContext, 'em'> & LazyEm = {
      requestId: observed?.id,
      forkEm, sql, loaders: createLoaders(forkEm, sql), caller: callerOf(res), config: opts.config, services,
      requestCache: version ? requestCacheOf(req, res, version) : undefined,
      http: {
        observed,
        bodyBytes: bodyBytesOf(res),
        legacyJson: !prefersGraphqlResponseJson(req),
      },
    };
    return Object.assign(Object.create(LAZY_EM) as GatewayContext, context);
  };
}

interface LazyEm {
  /** The request's EntityManager, forked on the first call. */
  forkEm: () => EntityManager;
}

/**
 * The prototype of every request context: `em` forks the request's EntityManager on first use, as
 * reads through the loaders' SQL never touch the ORM (a fork cost 5-17 µs of CPU). A getter on the
 * prototype, not on the context: Apollo copies the context's own properties for each operation
 * (cloneObject), which would call an own getter, and fork, at once.
 */
const LAZY_EM = Object.freeze({
  get em(): EntityManager {
    return (this as unknown as LazyEm).forkEm();
  },
});

export async function startApp(opts: AppOptions): Promise<RunningApp> {
  const app = express();
  app.disable('x-powered-by');
  // Express's own ETag hashes a body already computed (the operation has run) and contradicted
  // `no-store`; GET reads get the gateway's, from the data version, checked before anything runs (src/cache/).
  app.set('etag', false);
  // The client's address (rate-limit key) from X-Forwarded-For only when the hop that sent it is a listed proxy (TRUST_PROXY).
  if (opts.config.trustProxy.length > 0) app.set('trust proxy', opts.config.trustProxy);
  // Set once the routes are: an exact POST /graphql takes the straight chain (straight-chain.ts), the rest Express.
  let handle: http.RequestListener = app;
  const server = http.createServer((req, res) => handle(req, res));
  const { config } = opts;
  const services = opts.services ?? new ServiceRegistry();
  const reads = opts.db.reads;
  if (config.responseCache) services.dataVersion ??= reads?.primaryVersion ?? new DataVersion(opts.db.sql);
  // One LISTEN connection per process (src/db/notification-listener.ts), opened with its first channel.
  const ownsListener = (!!services.dataVersion || config.liveUpdates) && !services.notifications;
  if (ownsListener) {
    services.notifications = new NotificationListener({ url: opts.db.url, health: opts.db.health, log: opts.logger, retryMinMs: config.dbRetryMinMs, retryMaxMs: config.dbRetryMaxMs });
  }
  // The version kept in memory between commits (its channel on that connection): hits need no round trip.
  const ownsVersionWatch = !!services.dataVersion && !services.dataVersion.watched && !!services.notifications;
  if (ownsVersionWatch) services.dataVersion!.watch(services.notifications!);
  // With read replicas: the request's server is chosen first; the cache's stamp is that server's version.
  const routing = reads ? [readRouting(reads, services.dataVersion ? (route) => new RequestCache(route) : undefined)] : [];
  // Subscriptions over WebSocket on /graphql (src/live/): their channel on the same connection, subscribed with the first subscription.
  const ownsLive = config.liveUpdates && !services.live && !!services.notifications;
  if (ownsLive) services.live = new LiveUpdates(opts.db, services.notifications!, liveLimits(config), opts.logger);
  const keys = new ApiKeyService(opts.db.sql);
  const live = config.liveUpdates
    ? attachLiveServer({ server, schema: opts.schema, config, db: opts.db, services, keys, logger: opts.logger, isReady: () => opts.isReady?.() ?? true })
    : undefined;
  // Observability (src/observability/): metrics once per process, the access log, optional tracing.
  if (config.metrics) services.metrics ??= new Metrics({ maxOperationNames: config.metricsMaxOperations });
  services.metrics?.observePool('primary', opts.db.sql.pool);
  for (const r of reads?.replicas ?? []) services.metrics?.observePool(r.name, r.sql.pool);
  services.metrics?.watchSources(opts.db.sql);
  const tracing = tracingFor(config, () => observer.current()?.span);
  const observer = new RequestObserver({ logger: opts.logger, metrics: services.metrics, tracing, accessLog: config.accessLog });
  if (tracing) for (const sql of [opts.db.sql, ...(reads?.replicas ?? []).map((r) => r.sql)]) sql.observer = tracing.statements;
  app.use(observer.middleware());
  const queryLimits = { maxCost: config.maxQueryCost, maxDepth: config.maxQueryDepth, maxAliases: config.maxQueryAliases, introspection: config.introspection };
  // Identical public reads in flight run once, whether Apollo or the compiled reads' lane runs them (src/cache/response-cache.ts).
  const inFlight = services.dataVersion ? new InFlightReads() : undefined;
  // Queries Apollo has answered once run again without its per-request pipeline (src/server/compiled-reads.ts).
  const compiledQueries = opts.compiledQueries ?? compiledQueryCache();
  const compiledReads = config.compiledQueries && config.compiledReads ? new CompiledReads({ schema: opts.schema, config, limits: queryLimits, compiled: compiledQueries, inFlight, observer }) : undefined;
  const apollo = new ApolloServer<GatewayContext>({
    // Queries run compiled (src/server/compiled-execution.ts), through Apollo's gateway interface, its only way to take another executor.
    ...(config.compiledQueries ? { gateway: compiledExecution(opts.schema, compiledQueries) } : { schema: opts.schema }),
    // Off, introspection is refused by queryCostPlugin (to callers without a key) in the gateway's
    // own words; Apollo's switch stays on so that key holders may still read the schema.
    introspection: true,
    // With introspection off, validation errors do not suggest field names either ("Did you mean...").
    hideSchemaDetailsFromClientErrors: !config.introspection,
    includeStacktraceInErrorResponses: false,
    // Plain GET queries are allowed (no preflight header asked for). Cross-site request forgery rides
    // on credentials a browser attaches by itself (cookies, HTTP authentication), and the gateway has
    // none: it sets no cookies, and writes need an `Authorization: Bearer` key, which a cross-site page
    // does not have and the browser never adds. A forged request runs as nobody and reads only what is
    // public anyway. Mutations stay refused on GET (405); POST bodies must be JSON (415 otherwise).
    csrfPrevention: false,
    // A second guard behind limitQuerySize: the parser stops at the same token count.
    parseOptions: { maxTokens: config.maxQueryTokens },
    // main.ts owns shutdown (drain, scheduler, database); Apollo's own handler would re-raise the signal.
    stopOnTerminationSignals: false,
    // Automatic persisted queries (on: dashboards send a hash by GET, which HTTP caches can keep), in a cache of their own bounded in bytes.
    persistedQueries: { cache: persistedQueryCache(config) },
    formatError: (formatted, error) => formatError(formatted, error, (e) => opts.logger.error({ err: e, requestId: observer.requestIdOf(error) }, 'request failed')),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      // The WebSocket connections too (Apollo's plugin drains only HTTP): closed with 1001, going away.
      ...(live ? [live] : []),
      // A subgraph turns on inline tracing by default: any client sending
      // `apollo-federation-include-trace: ftv1` would get per-field timings and unmasked error
      // messages in a base64 trace. No router here reports to Apollo Studio, so it stays off.
      ApolloServerPluginInlineTraceDisabled(),
      // Apollo's Sandbox loads from a CDN, with telemetry: browsers get the bundled explorer instead
      // (src/explorer/), or with LANDING_PAGE=false a JSON 400.
      ApolloServerPluginLandingPageDisabled(),
      // Cost, depth, aliases and introspection are checked after validation, before any resolver (or SQL) runs.
      queryCostPlugin(queryLimits),
      bodyLimitPlugin(config.maxQueryBytes),
      inputHygienePlugin(config),
      httpStatusPlugin(),
      observer.plugin(),
      // Off: `cache-control: no-store` on every answer.
      ...(services.dataVersion ? responseCachePlugins(config, services.dataVersion, inFlight!) : noResponseCachePlugins()),
      ...(reads ? [readRoutingPlugin(reads)] : []),
      ...(compiledReads ? [compiledReads.certifier()] : []),
    ],
  });
  await apollo.start();

  app.get('/health', healthRoute(opts.db, () => opts.isReady?.() ?? true));
  if (services.metrics) app.get('/metrics', metricsRoute(services.metrics, config.metricsToken));
  const rateLimiter = createRateLimiter({ max: config.rateLimitMax, windowMs: config.rateLimitWindowMs }, opts.logger, services.metrics);
  // Order matters: who is calling decides the rate-limit key and the body limit; an invalid key and
  // an over-limit client are refused before their body is read.
  // Brackets may nest four times as deep as fields: a field at the deepest level may still take an
  // argument holding a list of input objects. Beyond that, only recursion in a parser is served.
  const maxNesting = 4 * config.maxQueryDepth;
  const context = contextFactory(opts, services);
  const sizeLimits = { maxQueryBytes: config.maxQueryBytes, maxQueryTokens: config.maxQueryTokens, maxQueryFields: config.maxQueryFields, maxQueryNesting: maxNesting };
  const explorer = loadExplorerFiles();
  if (config.landingPage && !explorer) opts.logger.warn('the explorer is not built (dist/web): / answers 503 until `npm run build`');
  app.use(explorerRouter({ enabled: config.landingPage, explorer }));
  // Exports run through the same Apollo server, behind the same guards (and rate-limit allowance) as /graphql.
  app.use(['/export.csv', '/export.json', '/export'], refuseWhileStarting(() => opts.isReady?.() ?? true), identifyCaller(keys), rateLimiter.middleware, refuseInvalidKey(), limitQuerySize(sizeLimits), ...routing);
  app.use(exportRouter({ apollo, context, views: new SavedViews(), config, logger: opts.logger }));
  const graphqlChain: express.RequestHandler[] = [
    refuseWhileStarting(() => opts.isReady?.() ?? true),
    onlyGetAndPost(),
    identifyCaller(keys),
    rateLimiter.middleware,
    refuseInvalidKey(),
    readJsonBody({ maxQueryBytes: config.maxQueryBytes, maxIngestBytes: config.maxIngestBytes, maxJsonNesting: maxNesting }),
    checkPersistedQuery(),
    ...routing,
    // Before the size limits and Apollo: a 304 or a kept answer is for bytes that passed them once (src/cache/).
    ...(services.dataVersion ? [notModified(config, services.dataVersion), frontCache(services.dataVersion, frontBytes(config))] : []),
    limitQuerySize(sizeLimits),
    observer.reenter(),
    ...(compiledReads ? [compiledReads.middleware(context)] : []),
    expressMiddleware(apollo, { context }),
  ];
  app.use('/graphql', ...graphqlChain);
  const notFound = notFoundHandler();
  const lastResort = lastResortErrorHandler(opts.logger);
  app.use(notFound);
  app.use(lastResort);
  const straight = straightChain(app, [observer.middleware(), ...graphqlChain], lastResort, notFound);
  handle = (req, res) => (req.method === 'POST' && req.url === '/graphql' ? straight(req, res) : app(req, res));
  answerClientErrorsWithJson(server);
  // Requests with `Expect: 100-continue` go through the app like any other: readJsonBody sends the
  // 100 once the body is wanted, so a refused upload (too large, bad key, rate limited) is never sent.
  server.on('checkContinue', (req, res) => handle(req, res));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.config.port, opts.config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.config.host.includes(':') ? `[${opts.config.host}]` : opts.config.host;
  if (config.landingPage && explorer) opts.logger.info(`explorer at http://${host}:${port}/`);
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    server,
    close: async () => {
      await apollo.stop();
      rateLimiter.close();
      if (ownsVersionWatch) await services.dataVersion?.close();
      if (ownsLive) {
        await services.live?.close();
        services.live = undefined;
      }
      if (ownsListener) {
        await services.notifications?.close();
        services.notifications = undefined;
      }
      if (tracing) {
        opts.db.sql.observer = undefined;
        await tracing.shutdown().catch((e: unknown) => opts.logger.warn({ err: String(e) }, 'could not send the last spans'));
      }
    },
  };
}
