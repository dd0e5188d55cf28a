import { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { GraphQLResolveInfo } from 'graphql';
import { badUserInput } from '../common/errors';
import { paginate } from '../common/paginate';
import { ConnectionResult, PageArgs } from '../common/pagination';
import { today } from '../common/calendar';
import { UnitService } from '../units/unit.service';
import { Plan } from './plan.entity';
import { PlanFilter, TargetFilter } from './plan.inputs';
import { Target } from './target.entity';

export class PlanService {
  constructor(private readonly em: EntityManager) {}

  async list(filter: PlanFilter, page: PageArgs, info: GraphQLResolveInfo): Promise<ConnectionResult<Plan>> {
    const where: FilterQuery<Plan> = {};
    if (filter.unitCode) {
      const at = filter.unitAt ?? (filter.year ? `${filter.year}-01-01` : today());
      const unit = await new UnitService(this.em).findByCode(filter.unitCode, at);
      if (!unit) throw badUserInput('Unknown unit', [{ field: 'filter.unitCode', reason: `no unit with code ${filter.unitCode} on ${at}` }]);
      where.unit = unit.id;
    }
    if (filter.year) where.year = filter.year;
    return paginate(this.em, Plan, where, { year: 'asc', unit: 'asc' }, page, info);
  }

  targets(filter: TargetFilter): Promise<Target[]> {
    return this.em.find(Target, filter.indicator ? { indicator: filter.indicator } : {}, { orderBy: { deadline: 'asc', code: 'asc' } });
  }
}
