import { Client } from 'pg';
import { today } from '../common/calendar';
import { describe, failed } from '../db/database-health';
import { Sql } from '../db/sql';
import type { Logger } from '../server/logger';

/**
 * The tables whose writes do not bump the data version (migrations/Migration20261206000000_data_version.ts
 * says why); every other table of the schema has the `data_changed` trigger (checked by test/cache).
 * A migration that creates a table ends with `select data_version_watch_all();`
 * (Migration20261208000000_data_version_watch, whose SQL holds the same list).
 */
export const UNWATCHED_TABLES: readonly string[] = ['data_version', 'data_change_pending', 'ingest_run', 'api_key', 'mikro_orm_migrations'];

/** The channel of the NOTIFY sent at the commit of every bump (migrations/Migration20261221000000_data_version_notify.ts). */
export const DATA_VERSION_CHANNEL = 'dvc_data_version';

const VERSION_SQL = 'SELECT sum(n)::text AS v FROM data_version';

/** What a cached answer is valid for: the data version and the gateway's day (answers default to "today"). */
export interface DataStamp {
  version: string;
  /** Today in Asia/Ho_Chi_Minh: a default `asOf`, "open today" units and the like change at midnight without any write. */
  day: string;
}

/** How the watch reconnects after losing its connection (the database's health has the backoff until the server answers). */
export interface WatchOptions {
  url: string;
  log: Logger;
  retryMinMs: number;
  retryMaxMs: number;
}

/**
 * Reads the data version, the sum of the shards of `data_version` that triggers bump at the commit
 * of every transaction changing what a read returns (one owner of the version: the migration
 * writes it, this reads it).
 *
 * Ordering under READ COMMITTED: a request's version is read BEFORE its operation runs, and a
 * writer's bump becomes visible only at its commit, together with its data. So the answer cached
 * under version V reflects at least every commit that made V: it may already include a later
 * commit (then it is filed under an older version, which later readers no longer ask for), never
 * miss one. Reading it after the operation could file an old answer under a new version.
 *
 * Known between commits (watch()): the process LISTENs for the NOTIFY every bump sends at its
 * commit, on a connection of its own that also carries the version reads. A version read there
 * while no notification arrived from the read's start to its end is the version until the next
 * notification: requests take it from memory, without a round trip. bench:cache measured the
 * round trip as the hits' cost: every hit waited for a read on the pool, queued behind the misses'
 * aggregates at 100 connections (p99 of seconds for answers served from memory). The rule a
 * client can rely on, with or without read replicas: it is never served a version older than one
 * it has seen (`seen`: X-Data-Version or an ETag it sends; src/db/read-router.ts seenVersionOf),
 * nor older than a write committed through this process: every connection of the pool LISTENs too,
 * and PostgreSQL hands a session its own NOTIFY before the answer to its COMMIT, so the writer's
 * await returns after invalidate() ran (CI once served an answer from before an in-process ingest
 * when only the watch's connection listened: test/aggregates/rollup.test.ts). A mutation also
 * invalidates before its answer leaves. Another process's commit is heard when its notification
 * arrives (well under a millisecond on one machine); until then an answer may be that commit's
 * predecessor, as for any request that began before the commit; a client that must read its
 * write through another process sends the X-Data-Version its write's answer carried. Without the watch (not started, its connection lost, the
 * replicas, which cannot LISTEN), every request reads the version as before.
 *
 * Concurrent reads are coalesced: a request joins a read queued after its arrival (never one
 * already under way, whose snapshot may predate a commit the request should see), so at most one
 * version statement is in flight and one queued, whatever the number of connections.
 */
export class DataVersion {
  private inFlight: Promise<unknown> = Promise.resolve();
  private queued: Promise<DataStamp> | undefined;
  /** The version now, while the watch listens and nothing was heard since it was read. */
  private known?: { version: string; n: bigint };
  /** Notifications heard and local writes: a read that saw this move during its round trip is not kept. */
  private changes = 0;
  private listener?: Client;
  private watching?: WatchOptions;
  private closed = false;
  private day = '';
  private dayUntil = 0;
  /** Version reads sent to the database, and reads answered from memory (for tests and the bench's figures). */
  readonly stats = { reads: 0, fromMemory: 0, notifications: 0 };

  constructor(private readonly sql: Sql) {
    // A commit through this process's pool, by any code (an ingest, a sync, a script sharing the
    // pool), is heard before its await returns (Sql's `listen`): the next request reads anew.
    sql.onNotification(DATA_VERSION_CHANNEL, () => this.invalidate());
  }

  /**
   * The version for a request whose client has seen `seen` (undefined: nothing known): from memory
   * when known and not older than `seen`, else read (after this call, shared with the other
   * requests that arrived while the previous read ran).
   */
  read(seen?: bigint): Promise<DataStamp> {
    const known = this.known;
    if (known && (seen === undefined || known.n >= seen)) {
      this.stats.fromMemory++;
      return Promise.resolve({ version: known.version, day: this.today() });
    }
    if (this.queued) return this.queued;
    const next = this.inFlight.then(() => {
      // From here on, new arrivals queue a read of their own: this one's snapshot may predate them.
      this.queued = undefined;
      return this.readNow();
    });
    this.queued = next;
    this.inFlight = next.catch(() => undefined);
    return next;
  }

  /**
   * One statement: 16 rows summed, on the watch's connection when it listens (never queued behind
   * the pool's slow reads), else on the pool. Not in the query counter's tally: it is the cache's
   * cost per request, not the operation's, and the tests that count an operation's statements (a
   * fixed number whatever the rows) count the operation.
   */
  async readNow(): Promise<DataStamp> {
    const listener = this.listener;
    const changes = this.changes;
    this.stats.reads++;
    try {
      const { rows } = await (listener ?? this.sql.pool).query<{ v: string }>(VERSION_SQL);
      const version = rows[0].v;
      if (listener && listener === this.listener && changes === this.changes) this.known = { version, n: BigInt(version) };
      return { version, day: this.today() };
    } catch (e) {
      return failed(this.sql.health, e);
    }
  }

  /**
   * Today, formatted at most once a second: formatting it per request was 2.5% of the gateway's
   * time under bench:cache's hits. The key's day may so lag midnight by under a second, as it does
   * for a request that began a second earlier.
   */
  private today(): string {
    const now = Date.now();
    if (now >= this.dayUntil) {
      this.day = today(new Date(now));
      this.dayUntil = now + 1000;
    }
    return this.day;
  }

  /** A write committed through this process: the next request reads the version (called before the write's answer is sent). */
  invalidate(): void {
    this.changes++;
    this.known = undefined;
  }

  /** Whether the version is kept between commits (the watch listens). */
  get listening(): boolean {
    return !!this.listener;
  }

  /** Whether watch() was called (by the app that then closes it). */
  get watched(): boolean {
    return !!this.watching;
  }

  /**
   * Starts listening for the version's notifications (once; a no-op when already started). The
   * connection is opened in the background; until it listens, requests read as without it. Lost,
   * it is opened again once the database's health says it is up.
   */
  watch(opts: WatchOptions): void {
    if (this.watching || this.closed) return;
    this.watching = opts;
    void this.listen(opts.retryMinMs);
  }

  /** Stops listening (at shutdown): closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    const listener = this.listener;
    this.forget();
    if (listener) {
      listener.removeAllListeners('end');
      await listener.end().catch(() => undefined);
    }
  }

  private forget(): void {
    this.listener = undefined;
    this.invalidate();
  }

  private async listen(wait: number): Promise<void> {
    const opts = this.watching!;
    while (!this.closed) {
      await this.sql.health?.whenUp();
      if (this.closed) return;
      try {
        await this.connect(opts);
        return;
      } catch (e) {
        opts.log.warn({ err: describe(e), retryInMs: wait }, 'data version: LISTEN failed; requests read the version until it listens');
      }
      await new Promise((r) => setTimeout(r, wait).unref());
      wait = Math.min(wait * 2, opts.retryMaxMs);
    }
  }

  private async connect(opts: WatchOptions): Promise<void> {
    const client = new Client({ connectionString: opts.url, application_name: 'dvc-gateway data version' });
    client.on('notification', (n) => {
      if (n.channel !== DATA_VERSION_CHANNEL) return;
      this.stats.notifications++;
      this.invalidate();
    });
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client, new Error('Connection terminated')));
    try {
      await client.connect();
      // LISTEN before the first read on it: a commit after the read started is heard.
      await client.query(`LISTEN ${DATA_VERSION_CHANNEL}`);
      if (this.closed) throw new Error('closed');
      this.listener = client;
    } catch (e) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw e;
    }
  }

  private lost(client: Client, e: unknown): void {
    if (this.listener !== client) return;
    this.forget();
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.sql.health?.report(e);
    this.watching!.log.warn({ err: describe(e) }, 'data version: lost the LISTEN connection; requests read the version until it listens again');
    void this.listen(this.watching!.retryMinMs);
  }
}
