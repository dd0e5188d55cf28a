import { Cursor, EntityMetadata, EntityProperty, ReferenceKind } from '@mikro-orm/core';
import { EntityManager, FilterQuery, QueryOrderMap } from '@mikro-orm/postgresql';
import { GraphQLResolveInfo } from 'graphql';
import { controlCharacterProblem } from './control-characters';
import { badUserInput } from './errors';
import { ConnectionResult, PageArgs, selects, toConnection } from './pagination';

/** Largest value of each integer column type: a larger key in a forged cursor would be an SQL "out of range" error. */
const INTEGER_MAX: Record<string, number> = { smallint: 32_767, int2: 32_767, integer: 2_147_483_647, int: 2_147_483_647, int4: 2_147_483_647, bigint: Number.MAX_SAFE_INTEGER, int8: Number.MAX_SAFE_INTEGER };
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The column a cursor key is compared with: a relation's key is the target's primary key. */
function keyColumn(prop: EntityProperty): EntityProperty {
  if ((prop.kind === ReferenceKind.MANY_TO_ONE || prop.kind === ReferenceKind.ONE_TO_ONE) && prop.targetMeta) {
    return prop.targetMeta.properties[prop.targetMeta.primaryKeys[0]] ?? prop;
  }
  return prop;
}

/** Whether a decoded cursor key fits its column: what this gateway's own cursors hold, and nothing SQL would choke on. */
function fitsColumn(value: unknown, prop: EntityProperty): boolean {
  const column = keyColumn(prop);
  const columnType = String(column.columnTypes?.[0] ?? column.type ?? '').toLowerCase();
  return fitsColumnType(value, columnType, column.runtimeType);
}

/**
 * Whether a decoded cursor key fits a column of `columnType` (a PostgreSQL type name, or the
 * entity property's runtime type when the column type says nothing): shared by entity pages and
 * plain-SQL pages (sql-page.ts), so a forged cursor is refused alike.
 */
export function fitsColumnType(value: unknown, columnType: string, runtimeType?: string): boolean {
  if (columnType === 'date') {
    // Dates travel as "YYYY-MM-DD"; PostgreSQL has no year 0, and the date must exist.
    const m = typeof value === 'string' ? DATE.exec(value) : null;
    if (!m || Number(m[1]) < 1) return false;
    const d = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().endsWith(`${value}T00:00:00.000Z`);
  }
  const max = INTEGER_MAX[columnType] ?? (runtimeType === 'number' ? INTEGER_MAX.integer : undefined);
  if (max !== undefined) return typeof value === 'number' && Number.isSafeInteger(value) && Math.abs(value) <= max;
  if (runtimeType === 'boolean') return typeof value === 'boolean';
  // Text keys (codes): as long as a cursor can be, and clean (PostgreSQL refuses NUL in text).
  return typeof value === 'string' && value.length <= 512 && controlCharacterProblem(value) === undefined;
}

/**
 * Checks a client's `after` before it reaches SQL: a cursor holds the ordering keys of the last
 * row, one value per orderBy column, each of that column's type. Anything else (not base64 JSON,
 * another arity, an object where a code was, a number beyond the column's range) is a forged or
 * foreign cursor and gets BAD_USER_INPUT naming `after`, instead of an SQL error.
 */
function assertCursorFits(after: string, meta: EntityMetadata, orderBy: Record<string, unknown>): void {
  const columns = Object.keys(orderBy);
  decodeCursorKeys(after, columns.length, (value, i) => meta.properties[columns[i]] !== undefined && fitsColumn(value, meta.properties[columns[i]]));
}

/**
 * The ordering keys a client's `after` holds, `arity` of them, each accepted by `fits`; anything
 * else is BAD_USER_INPUT naming `after`.
 */
export function decodeCursorKeys(after: string, arity: number, fits: (value: unknown, i: number) => boolean): unknown[] {
  let keys: unknown;
  try {
    keys = Cursor.decode(after);
  } catch {
    keys = undefined;
  }
  if (Array.isArray(keys) && keys.length === arity && keys.every((k, i) => fits(k, i))) return keys;
  throw badUserInput('Invalid cursor', [{ field: 'after', reason: 'not a cursor returned by this query (use pageInfo.endCursor, or null for the first page)' }]);
}

/** Keyset pagination over an entity (MikroORM's findByCursor), with a clear error for a bad cursor. */
export async function paginate<T extends object>(
  em: EntityManager,
  entity: new () => T,
  where: FilterQuery<T>,
  orderBy: QueryOrderMap<T>,
  page: PageArgs,
  info: GraphQLResolveInfo,
): Promise<ConnectionResult<T>> {
  const withCount = selects(info, 'totalCount');
  // `after: null` (what a client sends for the first page, e.g. a null endCursor fed back) is the first page.
  const after = page.after ?? undefined;
  if (after !== undefined) assertCursorFits(after, em.getMetadata().get(entity.name), orderBy as Record<string, unknown>);
  const cursor = await em.findByCursor(entity, where, { first: page.first, after, orderBy, includeCount: withCount } as never);
  return toConnection(cursor, withCount);
}
