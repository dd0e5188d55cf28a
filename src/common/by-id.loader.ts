import { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';

/**
 * A per-request loader fetching entities by id: one `WHERE id IN (...)` per batch. `em` is the
 * request's EntityManager, forked on first use (most reads never need one).
 */
export function byIdLoader<T extends { id: number }>(em: () => EntityManager, entity: new () => T) {
  return new DataLoader<number, T | undefined>(async (ids) => {
    const rows = (await em().find(entity, { id: { $in: [...ids] } } as never)) as T[];
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id));
  });
}
