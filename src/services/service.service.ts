import { GraphQLResolveInfo } from 'graphql';
import { today } from '../common/calendar';
import { ConnectionResult, PageArgs } from '../common/pagination';
import { paginateSql, SqlConditions } from '../common/sql-page';
import { Sql } from '../db/sql';
import type { ProcedureLoaders } from '../procedures/procedure.loader';
import { UnitLoaders } from '../units/unit.loader';
import { UnitReadService } from '../units/unit-read.service';
import { ServiceFilter } from './service.inputs';
import { SERVICE_AND_PROCEDURE, serviceWithProcedure } from './service.loader';
import { ServiceNode } from './service-row.mapper';

export class ServiceService {
  constructor(
    private readonly sql: Sql,
    private readonly loaders: Pick<UnitLoaders, 'unitByCode'> & Pick<ProcedureLoaders, 'procedureById'>,
  ) {}

  /** Services (unit × procedure) filtered and paged by id, in plain SQL (service-row.mapper.ts), each with its procedure (primed into procedureById). */
  async list(filter: ServiceFilter, page: PageArgs, info: GraphQLResolveInfo): Promise<ConnectionResult<ServiceNode>> {
    const where = new SqlConditions();
    if (filter.unitCode) {
      const unitId = await new UnitReadService(this.sql, this.loaders).idOfCode(filter.unitCode, filter.unitAt ?? today(), 'filter.unitCode');
      where.and(`s.unit_id = ${where.param(unitId)}`);
    }
    if (filter.procedureCode) where.and(`s.procedure_id IN (SELECT p.id FROM procedure p WHERE p.code = ${where.param(filter.procedureCode)})`);
    if (filter.sectorCode) {
      where.and(`s.procedure_id IN (SELECT p.id FROM procedure p JOIN sector sc ON sc.id = p.sector_id WHERE sc.code = ${where.param(filter.sectorCode)})`);
    }
    const from = 'service s JOIN procedure p ON p.id = s.procedure_id';
    return paginateSql(this.sql, { select: SERVICE_AND_PROCEDURE, from, where, keys: [{ sql: 's.id', type: 'integer', as: 'id' }] }, page, info, serviceWithProcedure(this.loaders));
  }
}
