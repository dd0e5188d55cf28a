import { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { GraphQLResolveInfo } from 'graphql';
import { badUserInput } from '../common/errors';
import { paginate } from '../common/paginate';
import { ConnectionResult, PageArgs } from '../common/pagination';
import { today } from '../common/calendar';
import { UnitService } from '../units/unit.service';
import { Service } from './service.entity';
import { ServiceFilter } from './service.inputs';

export class ServiceService {
  constructor(private readonly em: EntityManager) {}

  async list(filter: ServiceFilter, page: PageArgs, info: GraphQLResolveInfo): Promise<ConnectionResult<Service>> {
    const where: FilterQuery<Service> = {};
    if (filter.unitCode) {
      const at = filter.unitAt ?? today();
      const unit = await new UnitService(this.em).findByCode(filter.unitCode, at);
      if (!unit) throw badUserInput('Unknown unit', [{ field: 'filter.unitCode', reason: `no unit with code ${filter.unitCode} on ${at}` }]);
      where.unit = unit.id;
    }
    if (filter.procedureCode) where.procedure = { code: filter.procedureCode };
    if (filter.sectorCode) where.procedure = { ...(where.procedure as object), sector: { code: filter.sectorCode } };
    return paginate(this.em, Service, where, { id: 'asc' }, page, info);
  }
}
