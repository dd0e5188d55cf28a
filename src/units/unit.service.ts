import { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { GraphQLResolveInfo } from 'graphql';
import { today } from '../common/calendar';
import { badUserInput } from '../common/errors';
import { paginate } from '../common/paginate';
import { ConnectionResult, PageArgs } from '../common/pagination';
import { foldVietnamese } from '../common/text';
import { UnitFilter } from './unit.inputs';
import { readAt, Unit } from './unit.entity';
import { validOnFilter } from './unit-validity';



/** Escapes LIKE wildcards so a user's "%" or "_" matches literally. */
function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class UnitService {
  constructor(private readonly em: EntityManager) {}

  /** The unit holding `code` on `date`: codes are reused across the 2025 merger, so the date matters. */
  async findByCode(code: string, date: string = today()): Promise<Unit | null> {
    return this.em.findOne(Unit, { $and: [{ code }, validOnFilter(date)] });
  }

  async list(filter: UnitFilter, page: PageArgs, info: GraphQLResolveInfo): Promise<ConnectionResult<Unit>> {
    const where: FilterQuery<Unit>[] = [];
    if (filter.kind) where.push({ kind: filter.kind });
    if (filter.code) where.push({ code: filter.code });
    if (filter.name) where.push(await this.nameMatches(filter.name));
    if (filter.validAt) where.push(validOnFilter(filter.validAt));
    if (filter.parentId) {
      if (!/^\d+$/.test(filter.parentId)) throw badUserInput('Invalid parentId', [{ field: 'filter.parentId', reason: 'not a unit id' }]);
      where.push({ parent: Number(filter.parentId) });
    }
    if (filter.parentCode) {
      const parent = await this.findByCode(filter.parentCode, filter.validAt ?? today());
      if (!parent) throw badUserInput('Unknown parent unit', [{ field: 'filter.parentCode', reason: `no unit with code ${filter.parentCode} on ${filter.validAt ?? today()}` }]);
      where.push({ parent: parent.id });
    }
    const result = await paginate(this.em, Unit, { $and: where }, { code: 'asc', id: 'asc' }, page, info);
    // Units listed for a date are named as on that date.
    return { ...result, nodes: result.nodes.map((u) => readAt(u, filter.validAt)) };
  }

  /** Units whose current or any former name contains `text`, accents and case aside. */
  private async nameMatches(text: string): Promise<FilterQuery<Unit>> {
    const pattern = likeContains(foldVietnamese(text));
    const former = await this.em.getConnection().execute<{ unit_id: number }[]>(
      'SELECT DISTINCT unit_id FROM unit_name WHERE name_search LIKE ?', [pattern]);
    const byName: FilterQuery<Unit> = { nameSearch: { $like: pattern } };
    return former.length === 0 ? byName : { $or: [byName, { id: { $in: former.map((r) => r.unit_id) } }] };
  }
}
