import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Pool } from 'pg';
import type { Sql } from '../db/sql';
import { OperationNames } from './operation-names';

/** Every metric of the gateway starts with this (the process metrics keep their standard names). */
export const PREFIX = 'dvc_gateway_';

export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';
/** ok: an answer without errors; error: an answer with errors or a refused request. */
export type OperationOutcome = 'ok' | 'error';
/**
 * What the response cache did for a public read (src/cache/): front_hit (the exact bytes, before
 * Apollo), hit (Apollo's response cache), coalesced (shared an identical miss's answer), miss (ran
 * the operation), not_modified (a 304 to If-None-Match, nothing run).
 */
export type CacheOutcome = 'front_hit' | 'hit' | 'coalesced' | 'miss' | 'not_modified';
export type IngestKind = 'push' | 'import' | 'sync';
export type IngestOutcome = 'accepted' | 'rejected' | 'failed';

/** The routes a request is counted under: a fixed list, whatever path a client sends. */
export const ROUTES = ['/graphql', '/export', '/health', '/metrics', '/', 'other'] as const;
export type Route = (typeof ROUTES)[number];

export interface MetricsOptions {
  /** Distinct operation names given their own label value; later names are counted as "(other)". */
  maxOperationNames: number;
  /** Names that always have their own label value (the documented queries), outside the cap. */
  knownOperations?: Iterable<string>;
}

/** A sync run as SyncService reports it (a SyncOutcome). */
export interface SyncRunFacts {
  code: string;
  status: string;
  seconds: number;
  rowsRead: number;
  rowsWritten: number;
}

const SYNC_STATUSES = new Set(['succeeded', 'rejected', 'failed', 'busy']);
const SOURCE_STATUSES = ['healthy', 'degraded', 'failing', 'never'] as const;

interface SourceRow {
  source: string;
  status: string | null;
  consecutive_failures: number;
}
const CODE = /^[A-Z][A-Z0-9_]{0,47}$/;
/** Sources are named by the operator's registry; a code outside this shape is still counted, as "(invalid)". */
const SOURCE_CODE = /^[\w.:-]{1,64}$/;
const label = (v: string, shape: RegExp) => (shape.test(v) ? v : '(invalid)');

/**
 * The gateway's Prometheus metrics: one prom-client Registry per process (never prom-client's
 * global one), created with the HTTP app (server/app.ts) and kept on the ServiceRegistry as
 * `metrics`; the rest of the code calls the typed methods below and never prom-client directly.
 *
 * Labels are bounded: operation names are the client's words, so only the first
 * `maxOperationNames` distinct names get a value of their own (OperationNames); routes, error
 * codes and outcomes come from fixed lists; sources from the operator's registry. No label ever
 * holds variables, keys, messages or addresses. docs/operations.md lists every metric
 * (test/observability/metrics-doc.test.ts generates the list from this registry).
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly names: OperationNames;
  private readonly httpRequests: Counter<'route' | 'status'>;
  private readonly operations: Counter<'operation' | 'type' | 'outcome'>;
  private readonly operationSeconds: Histogram<'operation' | 'type' | 'outcome'>;
  private readonly errorCount: Counter<'code'>;
  private readonly cacheCount: Counter<'result'>;
  private readonly rateLimitedCount: Counter;
  private readonly poolAcquireSeconds: Histogram<'pool'>;
  private readonly syncRuns: Counter<'source' | 'outcome'>;
  private readonly syncSeconds: Histogram<'source' | 'outcome'>;
  private readonly syncRows: Counter<'source' | 'direction'>;
  private readonly ingestRowCount: Counter<'kind' | 'outcome'>;
  private readonly ingestBatches: Counter<'kind' | 'outcome'>;
  private readonly rollupSeconds: Histogram<'mode'>;
  private readonly pools = new Map<string, Pool>();
  private sources?: Sql;
  /** The source table's read in flight, shared by the two source gauges (prom-client may collect them at once). */
  private sourceRead?: Promise<SourceRow[]>;

  constructor(opts: MetricsOptions) {
    this.names = new OperationNames(opts.maxOperationNames, opts.knownOperations);
    const registers = [this.registry];
    // Process metrics (CPU, memory, event-loop lag, GC, handles) under their standard names, on this registry only.
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({
      name: `${PREFIX}http_requests_total`, help: 'HTTP requests answered, by route (a fixed list; other paths are "other") and status code.',
      labelNames: ['route', 'status'], registers,
    });
    this.operations = new Counter({
      name: `${PREFIX}graphql_operations_total`,
      help: 'GraphQL operations on /graphql, by operation name (the first METRICS_MAX_OPERATIONS names seen, then "(other)"; "(anonymous)" without a name), type and outcome (ok, or error: errors in the answer or the request refused).',
      labelNames: ['operation', 'type', 'outcome'], registers,
    });
    this.operationSeconds = new Histogram({
      name: `${PREFIX}graphql_operation_duration_seconds`, help: 'Time from the request arriving to the answer sent, per GraphQL operation (labels as graphql_operations_total).',
      labelNames: ['operation', 'type', 'outcome'], buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15], registers,
    });
    this.errorCount = new Counter({
      name: `${PREFIX}errors_total`, help: 'Answers carrying an error, by error code (extensions.code: BAD_USER_INPUT, UNAUTHENTICATED, RATE_LIMITED, INTERNAL_SERVER_ERROR...); an answer with several errors of one code counts once.',
      labelNames: ['code'], registers,
    });
    this.cacheCount = new Counter({
      name: `${PREFIX}response_cache_requests_total`,
      help: 'Public reads by what the response cache did: front_hit (exact bytes, before Apollo), hit (Apollo response cache), coalesced (shared an identical miss), miss (ran), not_modified (304).',
      labelNames: ['result'], registers,
    });
    this.rateLimitedCount = new Counter({ name: `${PREFIX}rate_limited_requests_total`, help: 'Requests refused with 429 by the per-client rate limit.', registers });
    const pools = this.pools;
    new Gauge({
      name: `${PREFIX}db_pool_connections`, help: 'Connections of the gateway\'s PostgreSQL pool by state: open (total), idle and busy (checked out), and max (its size).',
      labelNames: ['pool', 'state'], registers,
      collect() {
        for (const [name, p] of pools) {
          this.set({ pool: name, state: 'open' }, p.totalCount);
          this.set({ pool: name, state: 'idle' }, p.idleCount);
          this.set({ pool: name, state: 'busy' }, p.totalCount - p.idleCount);
          this.set({ pool: name, state: 'max' }, p.options.max ?? 10);
        }
      },
    });
    new Gauge({
      name: `${PREFIX}db_pool_waiting_requests`, help: 'Callers waiting for a connection of the pool now (waitingCount).',
      labelNames: ['pool'], registers,
      collect() {
        for (const [name, p] of pools) this.set({ pool: name }, p.waitingCount);
      },
    });
    this.poolAcquireSeconds = new Histogram({
      name: `${PREFIX}db_pool_acquire_seconds`, help: 'Time a caller waited for a connection of the pool (0 when one was idle).',
      labelNames: ['pool'], buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15], registers,
    });
    this.syncRuns = new Counter({
      name: `${PREFIX}sync_runs_total`, help: 'Source sync runs in this process, by source and outcome (succeeded, rejected, failed, busy: another run held the source).',
      labelNames: ['source', 'outcome'], registers,
    });
    this.syncSeconds = new Histogram({
      name: `${PREFIX}sync_run_duration_seconds`, help: 'Duration of source sync runs in this process, by source and outcome.',
      labelNames: ['source', 'outcome'], buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600], registers,
    });
    this.syncRows = new Counter({
      name: `${PREFIX}sync_rows_total`, help: 'Rows of source sync runs in this process: read from the source, and written (inserted or changed; committed runs only).',
      labelNames: ['source', 'direction'], registers,
    });
    const self = this;
    new Gauge({
      name: `${PREFIX}source_consecutive_failures`, help: 'Failed runs in a row of each synced source, read from the database at scrape time (every process syncing it counts).',
      labelNames: ['source'], registers,
      async collect() {
        this.reset();
        for (const r of await self.readSources()) this.set({ source: r.source }, r.consecutive_failures);
      },
    });
    new Gauge({
      name: `${PREFIX}source_status`, help: 'Health of each synced source, read from the database at scrape time: 1 for its current status (healthy, degraded, failing, never: not synced yet), 0 for the others.',
      labelNames: ['source', 'status'], registers,
      async collect() {
        this.reset();
        for (const r of await self.readSources()) {
          for (const status of SOURCE_STATUSES) this.set({ source: r.source, status }, (r.status ?? 'never') === status ? 1 : 0);
        }
      },
    });
    this.ingestRowCount = new Counter({
      name: `${PREFIX}ingest_rows_total`, help: 'Rows through the ingest core, by kind (push, import, sync) and outcome: accepted (committed), rejected (a batch refused whole for its problems), failed (stopped by an error).',
      labelNames: ['kind', 'outcome'], registers,
    });
    this.ingestBatches = new Counter({
      name: `${PREFIX}ingest_batches_total`, help: 'Ingest sessions (a push, an import, a sync run) by kind and outcome (labels as ingest_rows_total).',
      labelNames: ['kind', 'outcome'], registers,
    });
    this.rollupSeconds = new Histogram({
      name: `${PREFIX}rollup_refresh_seconds`, help: 'Time refreshing the aggregate rollups: in a run\'s transaction (run) or once after a bulk of runs (deferred).',
      labelNames: ['mode'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300], registers,
    });
  }

  /** One HTTP request answered. */
  httpRequest(route: Route, status: number): void {
    this.httpRequests.inc({ route, status: String(status) });
  }

  /** One GraphQL operation answered; `name` as the client gave it (capped and checked here). */
  operation(name: string | undefined, type: OperationType, outcome: OperationOutcome, seconds: number): void {
    const labels = { operation: this.names.label(name, outcome === 'ok'), type, outcome };
    this.operations.inc(labels);
    this.operationSeconds.observe(labels, seconds);
  }

  /** The distinct error codes of one answer. */
  errors(codes: Iterable<string>): void {
    for (const code of codes) this.errorCount.inc({ code: label(code, CODE) });
  }

  cache(result: CacheOutcome): void {
    this.cacheCount.inc({ result });
  }

  rateLimited(): void {
    this.rateLimitedCount.inc();
  }

  /**
   * Reports a pg Pool's connections (gauges read at scrape time) and times every checkout: the
   * pool's connect() is wrapped on this instance (pg has no event for "asked"; pool.query goes
   * through connect() too), which adds two clock reads a checkout.
   */
  observePool(name: string, pool: Pool): void {
    if (this.pools.get(name) === pool) return;
    this.pools.set(name, pool);
    const acquire = this.poolAcquireSeconds.labels({ pool: name });
    const connect = pool.connect.bind(pool) as (cb?: (err: Error | undefined, client?: unknown, done?: unknown) => void) => unknown;
    (pool as unknown as { connect: typeof connect }).connect = (cb) => {
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      if (cb) return connect((err, client, done) => (acquire.observe(seconds()), cb(err, client, done)));
      return (connect() as Promise<unknown>).finally(() => acquire.observe(seconds()));
    };
  }

  /** Lets the source gauges read the source table at scrape time. */
  watchSources(sql: Sql): void {
    this.sources = sql;
  }

  /** Runs a sync and records its outcome; one that throws (the database went away first) counts as failed. */
  async observeSync<T extends SyncRunFacts>(code: string, run: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    try {
      const outcome = await run();
      this.syncRun(outcome);
      return outcome;
    } catch (e) {
      this.syncRun({ code, status: 'failed', seconds: Number(process.hrtime.bigint() - started) / 1e9, rowsRead: 0, rowsWritten: 0 });
      throw e;
    }
  }

  syncRun(run: SyncRunFacts): void {
    const source = label(run.code, SOURCE_CODE);
    const outcome = SYNC_STATUSES.has(run.status) ? run.status : 'failed';
    this.syncRuns.inc({ source, outcome });
    this.syncSeconds.observe({ source, outcome }, run.seconds);
    this.syncRows.inc({ source, direction: 'read' }, run.rowsRead);
    this.syncRows.inc({ source, direction: 'written' }, run.rowsWritten);
  }

  ingest(kind: IngestKind, outcome: IngestOutcome, rows: number): void {
    this.ingestBatches.inc({ kind, outcome });
    this.ingestRowCount.inc({ kind, outcome }, rows);
  }

  rollupRefresh(mode: 'run' | 'deferred', seconds: number): void {
    this.rollupSeconds.observe({ mode }, seconds);
  }

  /** The exposition text and its content type, for GET /metrics. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /**
   * The synced sources' health from the source table: the database is the truth when several
   * processes sync (each counts only its own runs above). A scrape during an outage leaves the
   * source gauges empty rather than failing the whole scrape.
   */
  private readSources(): Promise<SourceRow[]> {
    const sql = this.sources;
    if (!sql) return Promise.resolve([]);
    return (this.sourceRead ??= sql
      .query<{ code: string; status: string | null; consecutive_failures: number }>(`SELECT code, status, consecutive_failures FROM source WHERE kind NOT IN ('push', 'import', 'reference') ORDER BY code`)
      .then((rows) => rows.map((r) => ({ source: label(r.code, SOURCE_CODE), status: r.status, consecutive_failures: r.consecutive_failures })), () => [])
      .finally(() => (this.sourceRead = undefined)));
  }
}
