import { GraphQLResolveInfo } from 'graphql';
import { today } from '../common/calendar';
import { badUserInput } from '../common/errors';
import { ConnectionResult, PageArgs } from '../common/pagination';
import { monthToDate } from '../common/scalars';
import { paginateSql, SqlConditions } from '../common/sql-page';
import { Sql } from '../db/sql';
import { UnitLoaders } from '../units/unit.loader';
import { UnitReadService } from '../units/unit-read.service';
import { FILING_STAT_COLUMNS, filingStatFromRow, FilingStatNode } from './filing-row.mapper';
import { FilingStatFilter } from './filing.inputs';

/** Ordered by month, unit, procedure, as the list always was (its cursors hold those three keys). */
const FILING_KEYS = [
  { sql: 'f.month', type: 'date', as: 'month' },
  { sql: 'f.unit_id', type: 'integer', as: 'unit_id' },
  { sql: 'f.procedure_id', type: 'integer', as: 'procedure_id' },
] as const;

export class FilingService {
  constructor(
    private readonly sql: Sql,
    private readonly loaders: Pick<UnitLoaders, 'unitByCode'>,
  ) {}

  /** Monthly statistics filtered and paged, in plain SQL (filing-row.mapper.ts). */
  async list(filter: FilingStatFilter, page: PageArgs, info: GraphQLResolveInfo): Promise<ConnectionResult<FilingStatNode>> {
    if (filter.from && filter.to && filter.from > filter.to) {
      throw badUserInput('Empty period', [{ field: 'filter.from', reason: `${filter.from} is after ${filter.to}` }]);
    }
    const where = new SqlConditions();
    if (filter.unitCode) {
      const at = filter.unitAt ?? (filter.from ? monthToDate(filter.from) : today());
      const unitId = await new UnitReadService(this.sql, this.loaders).idOfCode(filter.unitCode, at, 'filter.unitCode');
      where.and(`f.unit_id = ${where.param(unitId)}`);
    }
    if (filter.procedureCode) where.and(`f.procedure_id IN (SELECT p.id FROM procedure p WHERE p.code = ${where.param(filter.procedureCode)})`);
    if (filter.from) where.and(`f.month >= ${where.param(monthToDate(filter.from))}::date`);
    if (filter.to) where.and(`f.month <= ${where.param(monthToDate(filter.to))}::date`);
    return paginateSql(this.sql, { select: FILING_STAT_COLUMNS, from: 'filing_stat f', where, keys: [...FILING_KEYS] }, page, info, filingStatFromRow);
  }
}
