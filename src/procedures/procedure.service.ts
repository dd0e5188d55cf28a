import { EntityManager } from '@mikro-orm/postgresql';
import { GraphQLResolveInfo } from 'graphql';
import { ConnectionResult, PageArgs } from '../common/pagination';
import { paginateSql, SqlConditions } from '../common/sql-page';
import { Sql } from '../db/sql';
import { ProcedureFilter } from './procedure.inputs';
import { PROCEDURE_COLUMNS, procedureFromRow, ProcedureNode } from './procedure-row.mapper';
import { Sector } from './sector.entity';

export class ProcedureService {
  constructor(
    private readonly em: EntityManager,
    private readonly sql: Sql,
  ) {}

  /** The catalogue, filtered and paged by code, in plain SQL (procedure-row.mapper.ts). */
  list(filter: ProcedureFilter, page: PageArgs, info: GraphQLResolveInfo): Promise<ConnectionResult<ProcedureNode>> {
    const where = new SqlConditions();
    if (filter.code) where.and(`p.code = ${where.param(filter.code)}`);
    if (filter.name) where.and(`p.name ILIKE ${where.param(`%${filter.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`);
    if (filter.sectorCode) where.and(`p.sector_id IN (SELECT s.id FROM sector s WHERE s.code = ${where.param(filter.sectorCode)})`);
    if (filter.tier) where.and(`p.tier = ${where.param(filter.tier)}`);
    if (filter.essential !== undefined) where.and(`p.essential = ${where.param(filter.essential)}`);
    if (filter.eligibleFullOnline !== undefined) where.and(`p.eligible_full_online = ${where.param(filter.eligibleFullOnline)}`);
    return paginateSql(this.sql, { select: PROCEDURE_COLUMNS, from: 'procedure p', where, keys: [{ sql: 'p.code', type: 'text', as: 'code' }] }, page, info, procedureFromRow);
  }

  sectors(): Promise<Sector[]> {
    return this.em.find(Sector, {}, { orderBy: { code: 'asc' } });
  }
}
