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
  let cursor;
  try {
    cursor = await em.findByCursor(entity, where, { first: page.first, after: page.after, orderBy, includeCount: withCount } as never);
  } catch (e) {
    if (page.after && e instanceof Error && /cursor/i.test(e.message)) {
      throw badUserInput('Invalid cursor', [{ field: 'after', reason: 'not a cursor returned by this query' }]);
    }
    throw e;
  }
  return toConnection(cursor, withCount);
}
