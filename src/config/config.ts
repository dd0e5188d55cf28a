import 'reflect-metadata';
import path from 'node:path';
import { isIP } from 'node:net';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';
import { projectRoot } from './project-root';

/** Bytes of JSON an ingest row may take, for the derived MAX_INGEST_BYTES (a long filing row is about 250). */
export const INGEST_BYTES_PER_ROW = 320;

export const GATEWAY_ROLES = ['all', 'api', 'worker'] as const;
export type GatewayRole = (typeof GATEWAY_ROLES)[number];

/**
 * Every setting the gateway reads from its environment, validated once at start-up so that a typo
 * fails fast with a clear message instead of surfacing later as a strange runtime error.
 */
export class GatewayConfig {
  @IsString()
  @Matches(/^[0-9a-fA-F:.]+$|^localhost$/, { message: 'HOST must be an IP address or localhost' })
  host = '127.0.0.1';

  @IsInt() @Min(0) @Max(65535)
  port = 4000;

  /** When unset, the gateway runs its own embedded PostgreSQL in `dataDir`. */
  @IsOptional() @IsString() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  databaseUrl?: string;

  @IsString()
  dataDir = path.join(projectRoot(), '.data', 'postgres');

  @IsInt() @Min(1024) @Max(65535)
  embeddedPort = 54329;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  logLevel = 'info';

  /** Largest ingest batch accepted, in rows across all sections. */
  @IsInt() @Min(1) @Max(5_000_000)
  maxBatchRows = 200_000;

  /**
   * publishedVsComputed: a published figure further than this from the value computed from detail,
   * in percentage points, is flagged (beyondTolerance); an argument overrides it per query. Reports
   * print rates with two decimals (0.01 point), so 0.1 point is ten times what rounding explains.
   */
  @IsNumber({ maxDecimalPlaces: 4 }) @Min(0) @Max(100)
  publishedTolerancePoints = 0.1;

  /** Statement timeout for read queries (aggregates), in milliseconds. */
  @IsInt() @Min(100) @Max(600_000)
  statementTimeoutMs = 15_000;

  @IsInt() @Min(1) @Max(100)
  poolSize = 10;

  /**
   * Source syncs run at once in this process (scheduled, requested or at start); more wait their
   * turn. Each holds a connection for its transaction and borrows another now and then, so at
   * least one must stay free (checked below); the default leaves two, for queries. Four keep two
   * cores busy at national scale (bench:sync).
   */
  @IsInt() @Min(1) @Max(32)
  syncConcurrency = 4;

  /**
   * Sync every configured source once before /health reports ready (the demo start). Only that
   * first sync: false leaves the schedules (syncSchedules) and on-demand syncs as they are.
   */
  @IsBoolean()
  syncOnStart = true;

  /**
   * Register and fire the registry's cron schedules (pg-boss). False: no schedule is registered
   * (those left by an earlier start are removed) and this process fires none; the job queue still
   * runs, so on-demand syncs (GraphQL syncSource) keep their one-run-per-source guarantee.
   */
  @IsBoolean()
  syncSchedules = true;

  @IsOptional() @IsString()
  sourcesFile?: string;

  // --- Several processes on one database (issue 12; docs/operations.md, "Running several processes"). ---

  /**
   * What this process does. `all` (the default, `npm start`): the API and the sync machinery.
   * `api`: the API only; no schedule, no start-up sync, no simulator, no abandoned-run sweep; an
   * on-demand sync is queued (pg-boss) for a worker to run. `worker`: the sync scheduler, the
   * start-up sync and the sweep; its HTTP port serves /health and /metrics only.
   */
  @IsIn(GATEWAY_ROLES, { message: `GATEWAY_ROLE must be one of ${GATEWAY_ROLES.join(', ')}` })
  role: GatewayRole = 'all';

  /**
   * Streaming replicas of DATABASE_URL that serve reads (DATABASE_REPLICA_URLS, comma-separated
   * postgres:// URLs): healthy ones in turn, the primary when none is healthy or none has caught
   * up with the data version the client saw (src/db/read-router.ts). Workers do not use them.
   */
  @IsString({ each: true })
  @Matches(/^postgres(ql)?:\/\//, { each: true, message: 'DATABASE_REPLICA_URLS must list postgres:// URLs' })
  replicaUrls: string[] = [];

  // --- Protection against abusive requests (issue 8). Every limit is a setting, none a constant. ---

  /** Largest cost of one operation: about one unit per value a response could hold (server/query-cost.ts). */
  @IsInt() @Min(1) @Max(1_000_000_000)
  maxQueryCost = 1_000_000;

  /**
   * Deepest field nesting, fragments expanded; introspection counts. 15 lets the standard
   * introspection query of GraphiQL, Apollo's sandbox and code generators through (its TypeRef
   * fragment nests ofType seven times, 15 levels in all).
   */
  @IsInt() @Min(1) @Max(1000)
  maxQueryDepth = 15;

  /** Aliased fields in one operation, fragments expanded. */
  @IsInt() @Min(0) @Max(100_000)
  maxQueryAliases = 30;

  /** Lexical tokens in one document (Apollo Router's default is 15,000): checked while parsing. */
  @IsInt() @Min(100) @Max(10_000_000)
  maxQueryTokens = 15_000;

  /** Field selections written in one document, before validation (whose overlapping-fields rule is quadratic). */
  @IsInt() @Min(10) @Max(100_000)
  maxQueryFields = 500;

  /** Largest request body for queries, in bytes, checked from Content-Length before reading. */
  @IsInt() @Min(1024) @Max(1024 * 1024 * 1024)
  maxQueryBytes = 1024 * 1024;

  /**
   * Largest request body for an ingest push (a mutation with an API key), in bytes. Derived from
   * MAX_BATCH_ROWS unless set: INGEST_BYTES_PER_ROW bytes a row, room for the longest filing rows.
   */
  @IsInt() @Min(1024) @Max(4 * 1024 * 1024 * 1024)
  maxIngestBytes = 200_000 * INGEST_BYTES_PER_ROW;

  /** Requests one client (API key, or else address) may send per rate-limit window; 0 turns rate limiting off. */
  @IsInt() @Min(0) @Max(10_000_000)
  rateLimitMax = 600;

  @IsInt() @Min(1000) @Max(24 * 3600 * 1000)
  rateLimitWindowMs = 60_000;

  /**
   * The proxies whose X-Forwarded-For is believed (TRUST_PROXY: comma-separated addresses, CIDR
   * ranges, or loopback, linklocal, uniquelocal). Empty (the default): the client is the socket's
   * address. Behind nginx on the same machine, `loopback`: without it every client would share the
   * proxy's rate-limit allowance; with a proxy not listed, a client could spoof the header.
   */
  trustProxy: string[] = [];

  /** Whether introspection queries are answered (off hides the schema from anonymous clients). */
  @IsBoolean()
  introspection = true;

  /** Whether a browser GET of /graphql shows the landing page. */
  @IsBoolean()
  landingPage = true;

  /** Years accepted in dates and months, inclusive: anything outside is a typo (year 0000, 20255). */
  @IsInt() @Min(1) @Max(9999)
  minYear = 1945;

  @IsInt() @Min(1) @Max(9999)
  maxYear = 2100;

  /** Database reconnection backoff: first wait and longest wait, in milliseconds. */
  @IsInt() @Min(10) @Max(600_000)
  dbRetryMinMs = 250;

  @IsInt() @Min(10) @Max(3_600_000)
  dbRetryMaxMs = 15_000;

  /** How often runs left RUNNING by a dead process are looked for and closed as abandoned. */
  @IsInt() @Min(1000) @Max(24 * 3600 * 1000)
  abandonedRunCheckMs = 60_000;

  /**
   * Whether queries run compiled (graphql-jit, src/server/compiled-execution.ts), each document
   * compiled once; false runs every operation on graphql-js's interpreter, as before
   * (COMPILED_QUERIES=false: an operator's way back if a compiled answer ever differs; tests compare
   * the two byte for byte, test/server/compiled-execution.test.ts).
   */
  @IsBoolean()
  compiledQueries = true;

  /**
   * Whether a query Apollo has answered once runs again through the compiled reads' lane, without
   * Apollo's per-request pipeline (src/server/compiled-reads.ts; needs COMPILED_QUERIES).
   * COMPILED_READS=false sends every request through Apollo: the operator's way back, and the
   * other side of an A/B measurement (test/server/compiled-reads.test.ts compares the two).
   */
  @IsBoolean()
  compiledReads = true;

  // --- Response cache and HTTP caching (issue 11; src/cache/, docs/caching.md). ---

  /** Whether public read answers are cached in memory and GET answers carry Cache-Control public and an ETag. */
  @IsBoolean()
  responseCache = true;

  /**
   * How long a cached answer may be kept, in seconds. Long is safe: the key holds the data
   * version, so a write makes the old entries unreachable at once; this only bounds how long an
   * unreachable entry waits for the LRU to evict it.
   */
  @IsInt() @Min(1) @Max(7 * 24 * 3600)
  responseCacheMaxAgeSeconds = 3600;

  /** Memory the cached answers may take, in bytes (estimated as UTF-16: two bytes a character of key and answer). */
  @IsInt() @Min(1024) @Max(4 * 1024 * 1024 * 1024)
  responseCacheMaxBytes = 32 * 1024 * 1024;

  /**
   * `max-age` of a GET read's Cache-Control: how long a browser or proxy may reuse it without
   * asking. The gateway never serves a stale answer, but a client keeps its copy this long; after
   * that it revalidates with If-None-Match (304, nothing run, when no write happened). 0: always revalidate.
   */
  @IsInt() @Min(0) @Max(24 * 3600)
  httpCacheMaxAgeSeconds = 60;

  /** Memory the automatic persisted queries (query text by hash) may take, in bytes. */
  @IsInt() @Min(1024) @Max(1024 * 1024 * 1024)
  persistedQueriesMaxBytes = 8 * 1024 * 1024;

  // --- Live updates (issue 13; src/live/): GraphQL subscriptions over WebSocket on /graphql. ---

  /** Whether /graphql accepts WebSocket connections (graphql-ws) for `figuresChanged` and `sourceStatusChanged`. */
  @IsBoolean()
  liveUpdates = true;

  /** WebSocket connections this process holds at once; more are refused at the upgrade (HTTP 503). */
  @IsInt() @Min(1) @Max(1_000_000)
  liveMaxConnections = 1000;

  /** Subscriptions one connection may hold at once (a page needs two or three). */
  @IsInt() @Min(1) @Max(1000)
  liveMaxSubscriptionsPerConnection = 10;

  /** Subscriptions this process holds at once, all connections together. */
  @IsInt() @Min(1) @Max(10_000_000)
  liveMaxSubscriptions = 5000;

  /**
   * Shortest time between two events of one subscription, in ms: a commit after a quiet spell is
   * announced at once, commits within this time of an event are coalesced into the next one.
   */
  @IsInt() @Min(0) @Max(600_000)
  liveCoalesceMs = 250;

  // --- Observability (issue 12; src/observability/, docs/operations.md#observability). ---

  /** Whether metrics are kept and served at /metrics (Prometheus text). */
  @IsBoolean()
  metrics = true;

  /**
   * Who may read /metrics: unset, loopback clients not behind a proxy; set, anyone sending
   * `Authorization: Bearer <token>` (and only them). At least 16 characters.
   */
  @IsOptional() @IsString() @Matches(/^\S{16,256}$/, { message: 'METRICS_TOKEN must be 16 to 256 characters without spaces' })
  metricsToken?: string;

  /** Distinct GraphQL operation names given a metric label of their own; later ones count as "(other)". */
  @IsInt() @Min(0) @Max(10_000)
  metricsMaxOperations = 100;

  /** One structured log line per HTTP request (at level info). */
  @IsBoolean()
  accessLog = true;

  /** Where spans go, OTLP over HTTP (JSON): from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces. Unset: no tracing. */
  @IsOptional() @IsString() @Matches(/^https?:\/\/\S+$/, { message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL' })
  otlpTracesUrl?: string;

  /** service.name of the spans. */
  @IsString() @Matches(/^\S{1,100}$/, { message: 'OTEL_SERVICE_NAME must be 1 to 100 characters without spaces' })
  otelServiceName = 'dvc-gateway';

  /** Share of requests traced, in percent (a request not sampled costs no span). */
  @IsInt() @Min(0) @Max(100)
  traceSamplePercent = 100;
}


export class ConfigError extends Error {}

/**
 * Parses environment strings, collecting every unparsable value instead of throwing at the first,
 * so that one start-up lists all the mistakes (with the validation errors that follow).
 */
class EnvParser {
  readonly problems: string[] = [];

  int(name: string, raw: string | undefined, fallback: number): number {
    if (raw === undefined || raw === '') return fallback;
    if (/^-?\d+$/.test(raw)) return Number(raw);
    this.problems.push(`${name} must be an integer, got "${raw}"`);
    return fallback;
  }

  decimal(name: string, raw: string | undefined, fallback: number): number {
    if (raw === undefined || raw === '') return fallback;
    if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw);
    this.problems.push(`${name} must be a number such as 0.5, got "${raw}"`);
    return fallback;
  }

  /** A list of proxies as Express's `trust proxy` takes them: addresses, CIDR ranges, or the names of its preset ranges. */
  proxies(name: string, raw: string | undefined): string[] {
    const items = (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const bad = items.filter((item) => !isProxySpec(item));
    if (bad.length > 0) this.problems.push(`${name} must list addresses, CIDR ranges (10.0.0.0/8) or loopback, linklocal, uniquelocal; not ${bad.map((b) => JSON.stringify(b)).join(', ')}`);
    return bad.length > 0 ? [] : items;
  }

  bool(name: string, raw: string | undefined, fallback: boolean): boolean {
    if (raw === undefined || raw === '') return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    this.problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }
}

const PROXY_PRESETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `loopback`, `10.1.2.3`, `10.0.0.0/8`, `fd00::/8`: what proxy-addr (Express's `trust proxy`) accepts, checked before it sees it. */
function isProxySpec(item: string): boolean {
  if (PROXY_PRESETS.has(item)) return true;
  const [address, prefix, extra] = item.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Reads and validates the configuration; throws ConfigError listing every invalid setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  const c = new GatewayConfig();
  const parse = new EnvParser();
  const int = parse.int.bind(parse);
  const bool = parse.bool.bind(parse);
  c.host = env.HOST || c.host;
  c.port = int('PORT', env.PORT, c.port);
  c.databaseUrl = env.DATABASE_URL || undefined;
  c.dataDir = env.DATA_DIR ? path.resolve(env.DATA_DIR) : c.dataDir;
  c.embeddedPort = int('EMBEDDED_PG_PORT', env.EMBEDDED_PG_PORT, c.embeddedPort);
  c.logLevel = env.LOG_LEVEL || c.logLevel;
  c.maxBatchRows = int('MAX_BATCH_ROWS', env.MAX_BATCH_ROWS, c.maxBatchRows);
  c.statementTimeoutMs = int('STATEMENT_TIMEOUT_MS', env.STATEMENT_TIMEOUT_MS, c.statementTimeoutMs);
  c.poolSize = int('DB_POOL_SIZE', env.DB_POOL_SIZE, c.poolSize);
  c.syncConcurrency = int('SYNC_CONCURRENCY', env.SYNC_CONCURRENCY, Math.max(1, Math.min(c.syncConcurrency, c.poolSize - 2)));
  c.syncOnStart = bool('SYNC_ON_START', env.SYNC_ON_START, c.syncOnStart);
  c.syncSchedules = bool('SYNC_SCHEDULES', env.SYNC_SCHEDULES, c.syncSchedules);
  c.sourcesFile = env.SOURCES_FILE || undefined;
  c.role = (env.GATEWAY_ROLE || c.role) as GatewayRole;
  c.replicaUrls = (env.DATABASE_REPLICA_URLS ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  c.maxQueryCost = int('MAX_QUERY_COST', env.MAX_QUERY_COST, c.maxQueryCost);
  c.maxQueryDepth = int('MAX_QUERY_DEPTH', env.MAX_QUERY_DEPTH, c.maxQueryDepth);
  c.maxQueryAliases = int('MAX_QUERY_ALIASES', env.MAX_QUERY_ALIASES, c.maxQueryAliases);
  c.maxQueryTokens = int('MAX_QUERY_TOKENS', env.MAX_QUERY_TOKENS, c.maxQueryTokens);
  c.maxQueryFields = int('MAX_QUERY_FIELDS', env.MAX_QUERY_FIELDS, c.maxQueryFields);
  c.maxQueryBytes = int('MAX_QUERY_BYTES', env.MAX_QUERY_BYTES, c.maxQueryBytes);
  c.maxIngestBytes = int('MAX_INGEST_BYTES', env.MAX_INGEST_BYTES, c.maxBatchRows * INGEST_BYTES_PER_ROW);
  c.rateLimitMax = int('RATE_LIMIT_MAX', env.RATE_LIMIT_MAX, c.rateLimitMax);
  c.rateLimitWindowMs = int('RATE_LIMIT_WINDOW_MS', env.RATE_LIMIT_WINDOW_MS, c.rateLimitWindowMs);
  c.trustProxy = parse.proxies('TRUST_PROXY', env.TRUST_PROXY);
  c.introspection = bool('INTROSPECTION', env.INTROSPECTION, c.introspection);
  c.compiledQueries = bool('COMPILED_QUERIES', env.COMPILED_QUERIES, c.compiledQueries);
  c.compiledReads = bool('COMPILED_READS', env.COMPILED_READS, c.compiledReads);
  c.landingPage = bool('LANDING_PAGE', env.LANDING_PAGE, c.landingPage);
  c.minYear = int('MIN_YEAR', env.MIN_YEAR, c.minYear);
  c.maxYear = int('MAX_YEAR', env.MAX_YEAR, c.maxYear);
  c.dbRetryMinMs = int('DB_RETRY_MIN_MS', env.DB_RETRY_MIN_MS, c.dbRetryMinMs);
  c.dbRetryMaxMs = int('DB_RETRY_MAX_MS', env.DB_RETRY_MAX_MS, c.dbRetryMaxMs);
  c.abandonedRunCheckMs = int('ABANDONED_RUN_CHECK_MS', env.ABANDONED_RUN_CHECK_MS, c.abandonedRunCheckMs);
  c.responseCache = bool('RESPONSE_CACHE', env.RESPONSE_CACHE, c.responseCache);
  c.responseCacheMaxAgeSeconds = int('RESPONSE_CACHE_MAX_AGE_SECONDS', env.RESPONSE_CACHE_MAX_AGE_SECONDS, c.responseCacheMaxAgeSeconds);
  c.responseCacheMaxBytes = int('RESPONSE_CACHE_MAX_BYTES', env.RESPONSE_CACHE_MAX_BYTES, c.responseCacheMaxBytes);
  c.httpCacheMaxAgeSeconds = int('HTTP_CACHE_MAX_AGE_SECONDS', env.HTTP_CACHE_MAX_AGE_SECONDS, c.httpCacheMaxAgeSeconds);
  c.publishedTolerancePoints = parse.decimal('PUBLISHED_TOLERANCE_POINTS', env.PUBLISHED_TOLERANCE_POINTS, c.publishedTolerancePoints);
  c.persistedQueriesMaxBytes = int('PERSISTED_QUERIES_MAX_BYTES', env.PERSISTED_QUERIES_MAX_BYTES, c.persistedQueriesMaxBytes);
  c.liveUpdates = bool('LIVE_UPDATES', env.LIVE_UPDATES, c.liveUpdates);
  c.liveMaxConnections = int('LIVE_MAX_CONNECTIONS', env.LIVE_MAX_CONNECTIONS, c.liveMaxConnections);
  c.liveMaxSubscriptionsPerConnection = int('LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION', env.LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION, c.liveMaxSubscriptionsPerConnection);
  c.liveMaxSubscriptions = int('LIVE_MAX_SUBSCRIPTIONS', env.LIVE_MAX_SUBSCRIPTIONS, c.liveMaxSubscriptions);
  c.liveCoalesceMs = int('LIVE_COALESCE_MS', env.LIVE_COALESCE_MS, c.liveCoalesceMs);
  c.metrics = bool('METRICS', env.METRICS, c.metrics);
  c.metricsToken = env.METRICS_TOKEN || undefined;
  c.metricsMaxOperations = int('METRICS_MAX_OPERATIONS', env.METRICS_MAX_OPERATIONS, c.metricsMaxOperations);
  c.accessLog = bool('ACCESS_LOG', env.ACCESS_LOG, c.accessLog);
  c.otlpTracesUrl = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || (env.OTEL_EXPORTER_OTLP_ENDPOINT ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : undefined);
  c.otelServiceName = env.OTEL_SERVICE_NAME || c.otelServiceName;
  c.traceSamplePercent = int('TRACE_SAMPLE_PERCENT', env.TRACE_SAMPLE_PERCENT, c.traceSamplePercent);
  Object.assign(c, overrides);
  const errors = validateSync(c);
  const lines = [
    ...parse.problems.map((m) => `  - ${m}`),
    ...errors.flatMap((e) => Object.values(e.constraints ?? {}).map((m) => `  - ${e.property}: ${m}`)),
  ];
  // Cross-setting rules only once each setting is valid on its own (a fallback would mislead them).
  const each = lines.length === 0;
  if (each && c.syncConcurrency >= c.poolSize) {
    lines.push(`  - syncConcurrency: must be below poolSize (each sync borrows a second connection), got ${c.syncConcurrency} with poolSize ${c.poolSize}`);
  }
  if (each && c.replicaUrls.length > 0 && !c.databaseUrl) {
    lines.push('  - replicaUrls: DATABASE_REPLICA_URLS needs DATABASE_URL (the embedded cluster runs wal_level=minimal and has no replicas)');
  }
  if (each && c.databaseUrl && c.replicaUrls.includes(c.databaseUrl)) lines.push('  - replicaUrls: DATABASE_REPLICA_URLS lists DATABASE_URL itself');
  if (each && c.minYear > c.maxYear) lines.push(`  - minYear: must not exceed maxYear, got ${c.minYear} > ${c.maxYear}`);
  if (each && c.dbRetryMinMs > c.dbRetryMaxMs) lines.push(`  - dbRetryMinMs: must not exceed dbRetryMaxMs, got ${c.dbRetryMinMs} > ${c.dbRetryMaxMs}`);
  if (lines.length > 0) {
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return c;
}
