import express from 'express';
import { Pool, PoolClient, QueryResultRow } from 'pg';
import { Logger } from 'pino';
import { DataStamp, DataVersion } from '../cache/data-version';
import { DatabaseHealth, DatabaseUnavailable, describe, isConnectionError, probeServer } from './database-health';
import { Sql, SqlClient, SqlText } from './sql';

/**
 * Read replicas (DATABASE_REPLICA_URLS, issue 12; docs/operations.md, "Read replicas").
 *
 * A request's reads go to one server, chosen once per request: the next healthy replica in turn
 * whose data version is not behind the version the client has already seen; else the primary.
 * Writes, and everything a mutation reads, go to the primary: the operation is known before any
 * resolver runs (readRoutingPlugin pins the request to the primary), so the reads that follow a
 * write in the same request never meet a replica.
 *
 * Lag, by the data version (src/cache/data-version.ts): a streaming replica replays the primary's
 * `data_version` rows with the data they count, so its version says exactly which commits it has.
 * Every routed response carries `X-Data-Version`, the version of the server that answered (after
 * a mutation, the primary's once it has committed). A client that sends it back (or an
 * If-None-Match holding one of the gateway's ETags, `"v<version>-…"`) is served only by a server
 * at that version or later: it never sees the data go back in time, and it reads its own writes.
 * A client that sends neither may be served by a lagging replica (what it has seen is unknown).
 *
 * Round robin rather than least busy: each request already costs one version read on the server
 * it tries (coalesced, one statement in flight per server), and the replicas of one primary are
 * alike; a busy replica shows as a slow version read, not as a skipped one.
 */

/** The response header and request header of the protocol. */
export const DATA_VERSION_HEADER = 'x-data-version';

export interface ReadServer {
  /** "primary", "replica 1", ... (never the URL: it may hold a password). */
  name: string;
  sql: Sql;
  health: DatabaseHealth;
  version: DataVersion;
  close(): Promise<void>;
}

/** Where one request reads: the server, its Sql, and its data stamp (undefined when the version could not be read). */
export interface ReadChoice {
  server: string;
  sql: Sql;
  stamp?: DataStamp;
}

export interface ReadRouterStats {
  /** Requests whose reads each server served. */
  served: Record<string, number>;
  /** Times a replica was passed over because it was behind the version the client had seen. */
  behind: Record<string, number>;
}

export class ReadRouter {
  private next = 0;
  /** The highest version this process has read anywhere: a client's claim above it is checked against the primary. */
  private highest = 0n;
  private readonly served = new Map<string, number>();
  private readonly behind = new Map<string, number>();

  constructor(
    readonly primary: Sql,
    /** The primary's data version, shared with the response cache (one coalesced reader per server). */
    readonly primaryVersion: DataVersion,
    readonly replicas: ReadServer[],
    private readonly log: Logger,
  ) {}

  /**
   * The server for a request whose client has seen `seen` (undefined: nothing known). Replicas
   * in turn, from the next one: a replica that is down (its health recovering) is skipped, one
   * behind `seen` is skipped; the primary when none remains.
   */
  async choose(seen?: bigint): Promise<ReadChoice> {
    if (seen !== undefined && seen > this.highest) seen = await this.plausible(seen);
    const n = this.replicas.length;
    const first = this.next;
    this.next = (this.next + 1) % Math.max(n, 1);
    for (let i = 0; i < n; i++) {
      const replica = this.replicas[(first + i) % n];
      if (!replica.health.up) continue;
      let stamp: DataStamp;
      try {
        stamp = await replica.version.read();
      } catch {
        continue; // told its health (failed()); the recovery loop takes it from here
      }
      const version = this.observe(stamp.version);
      if (seen !== undefined && version < seen) {
        this.behind.set(replica.name, (this.behind.get(replica.name) ?? 0) + 1);
        this.log.debug({ replica: replica.name, version: stamp.version, seen: String(seen) }, 'replica behind what the client has seen: not used for it');
        continue;
      }
      return this.count({ server: replica.name, sql: replica.sql, stamp });
    }
    const stamp = await this.primaryVersion.read(seen).catch(() => undefined);
    if (stamp) this.observe(stamp.version);
    return this.count({ server: 'primary', sql: this.primary, stamp });
  }

  stats(): ReadRouterStats {
    return { served: Object.fromEntries(this.served), behind: Object.fromEntries(this.behind) };
  }

  async close(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.close()));
  }

  /**
   * A version above any this process has read may come from another gateway process (fine) or
   * be made up (every request to the primary): capped at the primary's version, which no server
   * can be ahead of.
   */
  private async plausible(seen: bigint): Promise<bigint> {
    const stamp = await this.primaryVersion.read(seen).catch(() => undefined);
    if (!stamp) return seen;
    const primary = this.observe(stamp.version);
    return seen > primary ? primary : seen;
  }

  private observe(version: string): bigint {
    const v = BigInt(version);
    if (v > this.highest) this.highest = v;
    return v;
  }

  private count(choice: ReadChoice): ReadChoice {
    this.served.set(choice.server, (this.served.get(choice.server) ?? 0) + 1);
    return choice;
  }
}

/** The version a client says it has seen: X-Data-Version, or the highest version among its If-None-Match ETags. */
export function seenVersionOf(req: express.Request): bigint | undefined {
  let seen: bigint | undefined;
  const header = req.headers[DATA_VERSION_HEADER];
  const raw = Array.isArray(header) ? header[0] : header;
  // Anything but a plain number (at most 30 digits: the sum of 16 bigints) is ignored, as if absent.
  if (raw && /^\d{1,30}$/.test(raw.trim())) seen = BigInt(raw.trim());
  for (const m of (req.headers['if-none-match'] ?? '').matchAll(/"v(\d{1,30})-/g)) {
    const v = BigInt(m[1]);
    if (seen === undefined || v > seen) seen = v;
  }
  return seen;
}

/**
 * One request's route: the choice, made once (the first read, or the routing middleware), and
 * whether the request has been pinned to the primary (a mutation) or failed over to it (its
 * replica went away mid-request).
 */
export class RequestRoute {
  private chosen?: Promise<ReadChoice>;
  private toPrimary = false;

  constructor(
    readonly router: ReadRouter,
    readonly seen: bigint | undefined,
  ) {}

  choice(): Promise<ReadChoice> {
    return (this.chosen ??= this.router.choose(this.seen));
  }

  /** The data stamp of the server that answers (the response cache's key and ETag); throws when it could not be read. */
  async read(): Promise<DataStamp> {
    const { stamp } = await this.choice();
    if (!stamp) throw new Error('the data version could not be read');
    return stamp;
  }

  /** Every later statement of this request goes to the primary (a mutation: writes and the reads after them). */
  pinPrimary(): void {
    this.toPrimary = true;
  }

  get pinned(): boolean {
    return this.toPrimary;
  }

  async target(): Promise<Sql> {
    if (this.toPrimary) return this.router.primary;
    return (await this.choice()).sql;
  }
}

/**
 * Whether a read that failed on a replica may be run again on the primary: the replica went away
 * (a connection-class error), or hot standby cancelled the statement for a conflict with the WAL
 * it replays (SQLSTATE 40001 on a standby, "conflict with recovery"). Statement errors, timeouts
 * and a write refused by the read-only replica (a bug: writes belong to mutations) are not.
 */
function retryableOnPrimary(e: unknown): boolean {
  if (e instanceof DatabaseUnavailable || isConnectionError(e)) return true;
  const err = e as { code?: unknown; message?: unknown };
  return err?.code === '40001' && typeof err.message === 'string' && /conflict with recovery/i.test(err.message);
}

/**
 * The per-request context's `sql` when replicas are configured: the same interface as Sql, each
 * call sent to the request's server (RequestRoute). A read that fails on a replica for a reason
 * of the replica's (retryableOnPrimary) runs again on the primary, and so does the rest of the
 * request. Loaders and services take it as any Sql: they get replicas without knowing.
 */
export class RoutedSql extends Sql {
  constructor(readonly route: RequestRoute) {
    super(route.router.primary.pool, route.router.primary.health);
  }

  private async run<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    const sql = await this.route.target();
    if (sql === this.route.router.primary) return fn(sql);
    try {
      return await fn(sql);
    } catch (e) {
      if (!retryableOnPrimary(e)) throw e;
      this.route.pinPrimary();
      return fn(this.route.router.primary);
    }
  }

  override query<R extends QueryResultRow = QueryResultRow>(text: SqlText, params?: unknown[]): Promise<R[]> {
    return this.run((sql) => sql.query<R>(text, params));
  }

  override connect(): Promise<PoolClient> {
    return this.run((sql) => sql.connect());
  }

  override transaction<T>(fn: (tx: SqlClient) => Promise<T>, opts: { beforeBegin?: (c: SqlClient) => Promise<void> } = {}): Promise<T> {
    // A transaction is for writes: always the primary.
    return this.route.router.primary.transaction(fn, opts);
  }

  override withClient<T>(fn: (c: SqlClient) => Promise<T>): Promise<T> {
    return this.run((sql) => sql.withClient(fn));
  }
}

export interface ReplicaOptions {
  poolSize: number;
  log: Logger;
  retryMinMs: number;
  retryMaxMs: number;
}

/**
 * Connects to one replica: a pool, a health of its own (down on a connection-class error, then
 * probed with backoff until it answers, like the primary's: database-health.ts) and its data
 * version reader. A replica down at start-up does not stop the gateway: it starts down and
 * joins when it answers. Nothing is migrated there: a replica is read-only and gets the schema
 * from the primary's WAL.
 */
export async function connectReplica(url: string, name: string, opts: ReplicaOptions): Promise<ReadServer> {
  const health = new DatabaseHealth({
    log: opts.log.child({ replica: name }),
    retryMinMs: opts.retryMinMs,
    retryMaxMs: opts.retryMaxMs,
    probe: () => probeServer(url, opts.retryMaxMs),
    action: 'reconnecting to the replica',
    downMessage: `${name} unavailable: its reads go to the other replicas or the primary until it answers again`,
  });
  const pool = new Pool({ connectionString: url, max: opts.poolSize, application_name: 'dvc-gateway-reads' });
  pool.on('error', (e) => health.report(e));
  pool.on('connect', (client) => client.on('error', (e) => health.report(e)));
  const sql = new Sql(pool, health);
  try {
    await probeServer(url, opts.retryMaxMs);
  } catch (e) {
    opts.log.warn({ replica: name, err: describe(e) }, 'replica not reachable at start-up: reads go elsewhere until it answers');
    health.connectionLost(e);
  }
  return {
    name,
    sql,
    health,
    version: new DataVersion(sql),
    async close() {
      await health.close();
      await pool.end();
    },
  };
}

/** The route of a request, kept on its response (res.locals) for the middleware, the context and the plugin. */
export function requestRouteOf(res: express.Response): RequestRoute | undefined {
  return (res.locals as { readRoute?: RequestRoute }).readRoute;
}

/**
 * Routes the request's reads (before the response cache's middleware, whose stamp then comes
 * from the chosen server) and says which version answers in X-Data-Version. With the response
 * cache on, the request's RequestCache reads its stamp through the route.
 */
export function readRouting(router: ReadRouter, makeCache?: (route: RequestRoute) => unknown): express.RequestHandler {
  return async (req, res, next) => {
    try {
      const route = new RequestRoute(router, seenVersionOf(req));
      const locals = res.locals as { readRoute?: RequestRoute; requestCache?: unknown };
      locals.readRoute = route;
      if (makeCache) locals.requestCache = makeCache(route);
      const { stamp } = await route.choice();
      if (stamp) res.setHeader(DATA_VERSION_HEADER, stamp.version);
      next();
    } catch (e) {
      next(e);
    }
  };
}
