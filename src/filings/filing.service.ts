import { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { GraphQLResolveInfo } from 'graphql';
import { badUserInput } from '../common/errors';
import { paginate } from '../common/paginate';
import { ConnectionResult, PageArgs } from '../common/pagination';
import { monthToDate } from '../common/scalars';
import { today } from '../common/calendar';
import { UnitService } from '../units/unit.service';
import { FilingStat } from './filing-stat.entity';
import { FilingStatFilter } from './filing.inputs';

export class FilingService {
  constructor(private readonly em: EntityManager) {}

  async list(filter: FilingStatFilter, page: PageArgs, info: GraphQLResolveInfo): Promise<ConnectionResult<FilingStat>> {
    const where: FilterQuery<FilingStat>[] = [];
    if (filter.from && filter.to && filter.from > filter.to) {
      throw badUserInput('Empty period', [{ field: 'filter.from', reason: `${filter.from} is after ${filter.to}` }]);
    }
    if (filter.unitCode) {
      const at = filter.unitAt ?? (filter.from ? monthToDate(filter.from) : today());
      const unit = await new UnitService(this.em).findByCode(filter.unitCode, at);
      if (!unit) throw badUserInput('Unknown unit', [{ field: 'filter.unitCode', reason: `no unit with code ${filter.unitCode} on ${at}` }]);
      where.push({ unit: unit.id });
    }
    if (filter.procedureCode) where.push({ procedure: { code: filter.procedureCode } });
    if (filter.from) where.push({ month: { $gte: monthToDate(filter.from) } });
    if (filter.to) where.push({ month: { $lte: monthToDate(filter.to) } });
    return paginate(this.em, FilingStat, { $and: where }, { month: 'asc', unit: 'asc', procedure: 'asc' }, page, info);
  }
}
