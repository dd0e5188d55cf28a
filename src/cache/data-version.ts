import { today } from '../common/calendar';
import { failed } from '../db/database-health';
import { Sql } from '../db/sql';
import type { ChannelHandler, ListenConnection, NotificationListener } from '../db/notification-listener';

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
 * commit, on the process's listening connection (src/db/notification-listener.ts, shared with live updates), which also carries the version reads. A version read there
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
  /** The listener's connection while it listens on the channel: version reads go there. */
  private conn?: ListenConnection;
  private watching?: NotificationListener;
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
   * One statement: 16 rows summed, on the listening connection when it listens (never queued behind
   * the pool's slow reads), else on the pool. Not in the query counter's tally: it is the cache's
   * cost per request, not the operation's, and the tests that count an operation's statements (a
   * fixed number whatever the rows) count the operation.
   */
  async readNow(): Promise<DataStamp> {
    const conn = this.conn;
    const changes = this.changes;
    this.stats.reads++;
    try {
      const rows = conn ? await conn.query<{ v: string }>(VERSION_SQL) : (await this.sql.pool.query<{ v: string }>(VERSION_SQL)).rows;
      const version = rows[0].v;
      if (conn && conn === this.conn && changes === this.changes) this.known = { version, n: BigInt(version) };
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
    return !!this.conn;
  }

  /** Whether watch() was called (by the app that then closes it). */
  get watched(): boolean {
    return !!this.watching;
  }

  /**
   * Subscribes to the version's notifications on the process's listener (once; a no-op when
   * already started). Until the listener's connection listens, requests read as without it; lost,
   * the version is forgotten until it listens again (the listener owns the reconnection).
   */
  watch(listener: NotificationListener): void {
    if (this.watching || this.closed) return;
    this.watching = listener;
    listener.on(DATA_VERSION_CHANNEL, this.channel);
  }

  /** Stops listening (at shutdown); the listener's connection is its owner's to close. */
  async close(): Promise<void> {
    this.closed = true;
    this.watching?.off(DATA_VERSION_CHANNEL, this.channel);
    this.forget();
  }

  private forget(): void {
    this.conn = undefined;
    this.invalidate();
  }

  private readonly channel: ChannelHandler = {
    notified: () => {
      this.stats.notifications++;
      this.invalidate();
    },
    // Called after the LISTEN: a version read on this connection from now on misses no commit.
    listening: (conn) => {
      if (!this.closed) this.conn = conn;
    },
    lost: () => this.forget(),
  };
}
