import crypto from 'node:crypto';
import { GraphQLError } from 'graphql';
import { PoolClient, QueryResultRow } from 'pg';
import { queryCounter } from '../db/query-counter';
import { Sql } from '../db/sql';

/** PostgreSQL's query_canceled, raised when statement_timeout fires. */
const QUERY_CANCELED = '57014';

/**
 * Prepared statements kept per pooled connection. Dashboards repeat a few query shapes: a
 * prepared one skips planning (about half the time of a rollup-answered aggregate). The cap
 * bounds what arbitrary shapes can pin in server memory; past it, statements run unprepared.
 */
const MAX_PREPARED_PER_CONNECTION = 200;
const prepared = new WeakMap<PoolClient, Set<string>>();

export function queryTimeout(ms: number): GraphQLError {
  return new GraphQLError(
    `The query ran longer than the ${ms} ms allowed and was stopped. Narrow the period, the filters or the dimensions, or ask for fewer rows.`,
    { extensions: { code: 'QUERY_TIMEOUT', timeoutMs: ms } },
  );
}

/**
 * Runs one read-only statement under a statement timeout, in its own transaction: the timeout is
 * SET LOCAL, so it dies with the transaction and never leaks to the pooled connection. The
 * timeout is a validated integer from the configuration; the statement's values are parameters.
 */
export interface ReadQueryOptions {
  /**
   * How the prepared statement is planned (SET LOCAL plan_cache_mode, in the same round trip as
   * the timeout); unset, PostgreSQL's own choice (auto). Generic: planned once for all values.
   * PostgreSQL's own choice kept custom plans for the KPI's combined statement, re-planned on
   * every call: 30 ms a call against 12 ms generic, measured on the default world. Custom: planned
   * for each call's values. On base tables, after repeated runs, auto switched to a generic plan
   * costed for 0.5% of filing_stat that picked nested loops over 1.29M rows (issue 11).
   */
  planCacheMode?: 'force_generic_plan' | 'force_custom_plan';
}

const PLAN_CACHE_MODES = new Set(['force_generic_plan', 'force_custom_plan']);

export async function runReadQuery<R extends QueryResultRow>(sql: Sql, text: string, params: unknown[], timeoutMs: number, opts: ReadQueryOptions = {}): Promise<R[]> {
  const ms = Math.trunc(timeoutMs);
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new Error(`invalid statement timeout ${timeoutMs}`);
  return sql.withClient(async (c) => {
    // Checked against the two values: the mode is written into the SQL text (SET takes no parameter).
    if (opts.planCacheMode !== undefined && !PLAN_CACHE_MODES.has(opts.planCacheMode)) throw new Error(`invalid plan_cache_mode ${String(opts.planCacheMode)}`);
    await c.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${ms}${opts.planCacheMode ? `; SET LOCAL plan_cache_mode = ${opts.planCacheMode}` : ''}`);
    try {
      const names = prepared.get(c.client) ?? new Set<string>();
      prepared.set(c.client, names);
      const name = `dvc_${crypto.createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
      let rows: R[];
      if (names.has(name) || names.size < MAX_PREPARED_PER_CONNECTION) {
        names.add(name);
        queryCounter.record(text);
        rows = (await c.client.query<R>({ name, text, values: params })).rows;
      } else {
        rows = await c.query<R>(text, params);
      }
      await c.query('COMMIT');
      return rows;
    } catch (e) {
      await c.client.query('ROLLBACK').catch(() => undefined);
      if ((e as { code?: string }).code === QUERY_CANCELED) throw queryTimeout(ms);
      throw e;
    }
  });
}
