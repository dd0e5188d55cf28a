import { Cursor } from '@mikro-orm/core';
import { GraphQLResolveInfo } from 'graphql';
import { Sql, SqlText, Statement } from '../db/sql';
import { decodeCursorKeys, fitsColumnType } from './paginate';
import { ConnectionResult, PageArgs, selects } from './pagination';

/**
 * Keyset pagination in plain SQL, for the read paths where MikroORM's findByCursor (query
 * building, hydration, identity map) cost more than the statement: lists of units, procedures,
 * services and filing statistics. Answers and cursors are those of findByCursor (`paginate`):
 * the cursor is Cursor.encode of the ordering keys of the last row, the page is fetched with one
 * row more to tell hasNextPage, totalCount is counted only when selected.
 */

/** Conditions ANDed into a WHERE clause, with their parameters numbered as they are added. */
export class SqlConditions {
  readonly params: unknown[] = [];
  private readonly parts: string[] = [];

  /** A placeholder for `value` ($n), to use in the condition being built. */
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  and(condition: string): this {
    this.parts.push(`(${condition})`);
    return this;
  }

  get sql(): string {
    return this.parts.length === 0 ? 'true' : this.parts.join(' AND ');
  }
}

/** An ordering key (ascending): its SQL expression, its column type (for the cursor check) and its name in the selected row. */
export interface PageKey {
  sql: string;
  type: 'text' | 'integer' | 'date';
  as: string;
}

export interface SqlPageQuery {
  /** The select list; it must include every key's `as`. */
  select: string;
  /** FROM and joins (no WHERE). */
  from: string;
  where: SqlConditions;
  keys: PageKey[];
  /**
   * Sent as a named prepared statement (db/sql.ts, Statement), planned once per connection when
   * PostgreSQL settles on a generic plan. The text is made of fixed fragments, one per filter
   * given, every value a parameter, so a list has at most 2^filters texts; opt in only where a
   * generic plan cannot go wrong for some values (a unique key, a small table). Measured on
   * procedure by code, one connection: 142 µs of PostgreSQL CPU unprepared with its sector read
   * apart, 38 µs prepared with the sector joined.
   */
  prepared?: boolean;
}

/** Rows after the cursor: the keys as a row compare greater (all keys ascending, none null). */
function afterCursor(q: SqlPageQuery, after: string): void {
  const values = decodeCursorKeys(after, q.keys.length, (value, i) => fitsColumnType(value, q.keys[i].type));
  const placeholders = values.map((v, i) => `${q.where.param(v)}::${q.keys[i].type}`);
  q.where.and(`(${q.keys.map((k) => k.sql).join(', ')}) > (${placeholders.join(', ')})`);
}

export async function paginateSql<R extends Record<string, unknown>, T>(
  sql: Sql,
  q: SqlPageQuery,
  page: PageArgs,
  info: GraphQLResolveInfo,
  toNode: (row: R) => T,
): Promise<ConnectionResult<T>> {
  // The total of the whole list, as findByCursor counts it: without the cursor's condition.
  const text = (sql: string): SqlText => (q.prepared ? new Statement(sql) : sql);
  const countStatement: [SqlText, unknown[]] | undefined = selects(info, 'totalCount') ? [text(`SELECT count(*)::int AS n FROM ${q.from} WHERE ${q.where.sql}`), [...q.where.params]] : undefined;
  // `after: null` (what a client sends for the first page, e.g. a null endCursor fed back) is the first page.
  if (page.after !== undefined && page.after !== null) afterCursor(q, page.after);
  const limit = q.where.param(page.first + 1);
  const [rows, count] = await Promise.all([
    sql.query<R>(text(`SELECT ${q.select} FROM ${q.from} WHERE ${q.where.sql} ORDER BY ${q.keys.map((k) => k.sql).join(', ')} LIMIT ${limit}`), q.where.params),
    countStatement ? sql.query<{ n: number }>(...countStatement) : undefined,
  ]);
  const nodes = rows.slice(0, page.first);
  const last = nodes.at(-1);
  return {
    nodes: nodes.map(toNode),
    pageInfo: { hasNextPage: rows.length > page.first, endCursor: last ? Cursor.encode(q.keys.map((k) => last[k.as])) : undefined },
    totalCount: count?.[0].n,
  };
}
