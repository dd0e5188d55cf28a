import { Cursor } from '@mikro-orm/core';
import { EntityManager, FilterQuery, QueryOrderMap } from '@mikro-orm/postgresql';
import { GraphQLResolveInfo } from 'graphql';
import { badUserInput } from './errors';
import { ConnectionResult, PageArgs, selects, toConnection } from './pagination';

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
  if (page.after !== undefined) {
    let keys: unknown;
    try {
      keys = Cursor.decode(page.after);
    } catch {
      keys = undefined;
    }
    // A cursor holds the ordering keys of the last row: one value per orderBy column.
    if (!Array.isArray(keys) || keys.length !== Object.keys(orderBy).length) {
      throw badUserInput('Invalid cursor', [{ field: 'after', reason: 'not a cursor returned by this query' }]);
    }
  }
  const cursor = await em.findByCursor(entity, where, { first: page.first, after: page.after, orderBy, includeCount: withCount } as never);
  return toConnection(cursor, withCount);
}
