import { Pool, PoolClient, QueryResultRow } from 'pg';
import { queryCounter } from './query-counter';

/** A client that counts what it sends, so raw SQL shows up in the same tally as the ORM's. */
export class SqlClient {
  constructor(readonly client: PoolClient) {}

  async query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<R[]> {
    queryCounter.record(text);
    const res = await this.client.query<R>(text, params as unknown[]);
    return res.rows;
  }
}

/**
 * Raw SQL for what an ORM should not do row by row: set-based upserts, COPY, aggregates.
 * Entity reads and writes go through MikroORM.
 */
export class Sql {
  constructor(readonly pool: Pool) {}

  async query<R extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<R[]> {
    queryCounter.record(text);
    const res = await this.pool.query<R>(text, params as unknown[]);
    return res.rows;
  }

  /** Runs fn in one transaction: everything it wrote is committed together or not at all. */
  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx = new SqlClient(client);
    try {
      await tx.query('BEGIN');
      const result = await fn(tx);
      await tx.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  /** Runs fn on one connection (for session settings such as statement_timeout), read-only. */
  async withClient<T>(fn: (c: SqlClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await fn(new SqlClient(client));
    } finally {
      client.release();
    }
  }
}
