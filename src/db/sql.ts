import crypto from 'node:crypto';
import { Pool, PoolClient, QueryConfig, QueryResultRow } from 'pg';
import { DatabaseHealth, failed } from './database-health';
import { queryCounter } from './query-counter';

/**
 * Told of each statement before it is sent (the text only, never the parameters); what it returns
 * is called when the statement ends, with the error if it failed. Tracing sets one (src/observability/tracing.ts).
 */
export type StatementObserver = (text: string) => ((error?: unknown) => void) | undefined;

/**
 * Fixed SQL (a module constant, or text assembled from fixed fragments into a bounded set of texts,
 * never values: paginateSql's `prepared`) sent as a named prepared statement:
 * each pooled connection parses it once, and once PostgreSQL's plan cache settles on a generic
 * plan (after five custom ones, when the generic plan costs no more) it is not planned again.
 * Measured on the default world (pg_stat_statements, one unit lookup): planning took 0.48 ms
 * against 0.17 ms of execution, re-done on every call as an unnamed statement. The name is a
 * hash of the text, so two statements never share a name. Only fixed SQL: every name stays
 * prepared on every connection for the connection's life.
 */
export class Statement {
  readonly name: string;

  constructor(readonly text: string) {
    this.name = `dvc_${crypto.createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
  }
}

/** What a query sends: ad hoc SQL text (unnamed: planned on every call), or a fixed Statement. */
export type SqlText = string | Statement;

const textOf = (sql: SqlText): string => (typeof sql === 'string' ? sql : sql.text);

/** pg's query argument for `sql`: a named statement carries its name (pg parses it once per connection). */
function pgQuery(sql: SqlText, params?: unknown[]): string | QueryConfig {
  return typeof sql === 'string' ? sql : { name: sql.name, text: sql.text, values: params };
}

/** A client that counts what it sends, so raw SQL shows up in the same tally as the ORM's. */
export class SqlClient {
  constructor(
    readonly client: PoolClient,
    private readonly health?: DatabaseHealth,
    private readonly observer?: StatementObserver,
  ) {}

  async query<R extends QueryResultRow = QueryResultRow>(sql: SqlText, params?: unknown[]): Promise<R[]> {
    const text = textOf(sql);
    queryCounter.record(text);
    const done = this.observer?.(text);
    try {
      const res = await this.client.query<R>(pgQuery(sql, params), params as unknown[]);
      done?.();
      return res.rows;
    } catch (e) {
      done?.(e);
      return failed(this.health, e);
    }
  }

  /** Runs a statement and returns how many rows it affected (an INSERT ... SELECT counted without RETURNING). */
  async execute(text: string, params?: unknown[]): Promise<number> {
    queryCounter.record(text);
    try {
      return (await this.client.query(text, params as unknown[])).rowCount ?? 0;
    } catch (e) {
      return failed(this.health, e);
    }
  }
}

/**
 * Raw SQL for what an ORM should not do row by row: set-based upserts, COPY, aggregates.
 * Entity reads and writes go through MikroORM.
 */
export class Sql {
  private readonly hearers = new Map<string, Set<() => void>>();

  constructor(
    readonly pool: Pool,
    /** Told of connection-class errors; absent for a bare pool (tests). */
    readonly health?: DatabaseHealth,
    /**
     * Channels every connection of the pool LISTENs on, from its first statement. PostgreSQL sends
     * a session the NOTIFYs of its own transaction at their COMMIT, before the COMMIT's answer
     * (measured on PostgreSQL 18: the event precedes the resolved promise, in a transaction and in
     * autocommit alike), so whoever listens through onNotification() hears a write committed through
     * this pool before the writer's await returns, whatever code wrote it. Only a connection's own
     * NOTIFYs are passed on: another process's commit reaches every idle connection too, each in its
     * own time, and hearing it again after the process's listener had made one version read cost
     * another (CI counted 3 reads for 2); other processes are the listener's
     * (src/db/notification-listener.ts).
     */
    listen: readonly string[] = [],
  ) {
    if (!listen.length) return;
    pool.on('connect', (client) => {
      // The backend's pid, from its BackendKeyData (node-postgres keeps it untyped as processID).
      const own = () => (client as unknown as { processID?: number }).processID;
      client.on('notification', (n) => {
        if (n.processId === own()) this.hearers.get(n.channel)?.forEach((fn) => fn());
      });
      // Queued ahead of the statement the connection was opened for. A failure here is the
      // connection's, reported by its error handler and seen by that statement.
      for (const channel of listen) client.query(`LISTEN ${channel}`).catch(() => undefined);
    });
  }

  /** Calls fn on every NOTIFY a connection of this pool hears on `channel` (one of the constructor's `listen`). */
  onNotification(channel: string, fn: () => void): void {
    const set = this.hearers.get(channel) ?? new Set();
    set.add(fn);
    this.hearers.set(channel, set);
  }

  /** Set by the HTTP app when tracing is on: every statement of this Sql and its clients is reported. */
  observer?: StatementObserver;

  async query<R extends QueryResultRow = QueryResultRow>(sql: SqlText, params?: unknown[]): Promise<R[]> {
    const text = textOf(sql);
    queryCounter.record(text);
    const done = this.observer?.(text);
    try {
      const res = await this.pool.query<R>(pgQuery(sql, params), params as unknown[]);
      done?.();
      return res.rows;
    } catch (e) {
      done?.(e);
      return failed(this.health, e);
    }
  }

  /** Checks out a connection; a refused connection is DatabaseUnavailable like a failed statement. */
  async connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect();
    } catch (e) {
      return failed(this.health, e);
    }
  }

  /**
   * Runs fn in one transaction: everything it wrote is committed together or not at all.
   * `beforeBegin` runs first on the same connection, outside the transaction (its writes commit
   * on their own): a run's record that must outlive a rollback and name this connection's backend.
   */
  async transaction<T>(fn: (tx: SqlClient) => Promise<T>, opts: { beforeBegin?: (c: SqlClient) => Promise<void> } = {}): Promise<T> {
    const client = await this.connect();
    const tx = new SqlClient(client, this.health, this.observer);
    let broken: unknown;
    try {
      if (opts.beforeBegin) await opts.beforeBegin(tx);
      await tx.query('BEGIN');
      const result = await fn(tx);
      await tx.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch((err: unknown) => (broken = err));
      throw e;
    } finally {
      // A connection that could not even roll back is dropped, not handed to the next caller.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  /** Runs fn on one connection (for session settings such as statement_timeout), read-only. */
  async withClient<T>(fn: (c: SqlClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await fn(new SqlClient(client, this.health, this.observer));
    } finally {
      client.release();
    }
  }
}
