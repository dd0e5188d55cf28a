import { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { GraphQLResolveInfo } from 'graphql';
import { paginate } from '../common/paginate';
import { ConnectionResult, PageArgs } from '../common/pagination';
import { Procedure } from './procedure.entity';
import { ProcedureFilter } from './procedure.inputs';
import { Sector } from './sector.entity';

export class ProcedureService {
  constructor(private readonly em: EntityManager) {}

  list(filter: ProcedureFilter, page: PageArgs, info: GraphQLResolveInfo): Promise<ConnectionResult<Procedure>> {
    const where: FilterQuery<Procedure> = {};
    if (filter.code) where.code = filter.code;
    if (filter.name) where.name = { $ilike: `%${filter.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%` };
    if (filter.sectorCode) where.sector = { code: filter.sectorCode };
    if (filter.tier) where.tier = filter.tier;
    if (filter.essential !== undefined) where.essential = filter.essential;
    if (filter.eligibleFullOnline !== undefined) where.eligibleFullOnline = filter.eligibleFullOnline;
    return paginate(this.em, Procedure, where, { code: 'asc' }, page, info);
  }

  sectors(): Promise<Sector[]> {
    return this.em.find(Sector, {}, { orderBy: { code: 'asc' } });
  }
}
