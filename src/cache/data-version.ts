import { today } from '../common/calendar';
import { failed } from '../db/database-health';
import { Sql } from '../db/sql';

/**
 * The tables whose writes do not bump the data version (migrations/Migration20261206000000_data_version.ts
 * says why); every other table of the schema has the `data_changed` trigger (checked by test/cache).
 * A migration that creates a table ends with `select data_version_watch_all();`
 * (Migration20261208000000_data_version_watch, whose SQL holds the same list).
 */
export const UNWATCHED_TABLES: readonly string[] = ['data_version', 'data_change_pending', 'ingest_run', 'api_key', 'mikro_orm_migrations'];

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
 * Ordering under READ COMMITTED: a request reads the version BEFORE its operation runs, and a
 * writer's bump becomes visible only at its commit, together with its data. So the answer cached
 * under version V reflects at least every commit that made V: it may already include a later
 * commit (then it is filed under an older version, which later readers no longer ask for), never
 * miss one. Reading it after the operation could file an old answer under a new version.
 *
 * Concurrent reads are coalesced: a request joins a read queued after its arrival (never one
 * already under way, whose snapshot may predate a commit the request should see), so at most one
 * version statement is in flight and one queued, whatever the number of connections.
 */
export class DataVersion {
  private inFlight: Promise<unknown> = Promise.resolve();
  private queued: Promise<DataStamp> | undefined;

  constructor(private readonly sql: Sql) {}

  /** The version now (read after this call, shared with the other requests that arrived while the previous read ran). */
  read(): Promise<DataStamp> {
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
   * One statement on the pool: 16 rows summed. Not in the query counter's tally (the pool
   * directly): it is the cache's cost per request, not the operation's, and the tests that count
   * an operation's statements (a fixed number whatever the rows) count the operation.
   */
  async readNow(): Promise<DataStamp> {
    try {
      const { rows } = await this.sql.pool.query<{ v: string }>('SELECT sum(n)::text AS v FROM data_version');
      return { version: rows[0].v, day: today() };
    } catch (e) {
      return failed(this.sql.health, e);
    }
  }
}
