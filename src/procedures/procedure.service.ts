import { EntityManager } from '@mikro-orm/postgresql';
import { GraphQLResolveInfo } from 'graphql';
import { ConnectionResult, PageArgs } from '../common/pagination';
import { paginateSql, SqlConditions } from '../common/sql-page';
import { Sql } from '../db/sql';
import { ProcedureLoaders } from './procedure.loader';
import { ProcedureFilter } from './procedure.inputs';
import { PROCEDURE_COLUMNS, procedureFromRow, ProcedureNode, sectorColumnsSql, sectorFromRow } from './procedure-row.mapper';
import { Sector } from './sector.entity';

/** A procedure and its sector in one row (the sector's columns prefixed `s_`). */
const PROCEDURE_AND_SECTOR = `${PROCEDURE_COLUMNS}, ${sectorColumnsSql('s', 's_')}`;

/** The catalogue's reads in plain SQL (procedure-row.mapper.ts). */
export class ProcedureReadService {
  constructor(
    private readonly sql: Sql,
    private readonly loaders: Pick<ProcedureLoaders, 'sectorById'>,
  ) {}

  /**
   * The catalogue, filtered and paged by code, each procedure's sector read in the same statement
   * and primed into sectorById: `procedures(filter: {code}) { nodes { sector { name } } }` sends
   * one statement, prepared, instead of an unprepared page and a sector lookup (bench:execution,
   * procedure by code, see the commit).
   */
  list(filter: ProcedureFilter, page: PageArgs, info: GraphQLResolveInfo): Promise<ConnectionResult<ProcedureNode>> {
    const where = new SqlConditions();
    if (filter.code) where.and(`p.code = ${where.param(filter.code)}`);
    if (filter.name) where.and(`p.name ILIKE ${where.param(`%${filter.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`);
    if (filter.sectorCode) where.and(`p.sector_id IN (SELECT s.id FROM sector s WHERE s.code = ${where.param(filter.sectorCode)})`);
    if (filter.tier) where.and(`p.tier = ${where.param(filter.tier)}`);
    if (filter.essential !== undefined) where.and(`p.essential = ${where.param(filter.essential)}`);
    if (filter.eligibleFullOnline !== undefined) where.and(`p.eligible_full_online = ${where.param(filter.eligibleFullOnline)}`);
    const primed = new Set<number>();
    const toNode = (row: Record<string, unknown>) => {
      const procedure = procedureFromRow(row);
      if (!primed.has(procedure.sector.id)) {
        primed.add(procedure.sector.id);
        this.loaders.sectorById.prime(procedure.sector.id, sectorFromRow(row, 's_'));
      }
      return procedure;
    };
    const query = { select: PROCEDURE_AND_SECTOR, from: 'procedure p JOIN sector s ON s.id = p.sector_id', where, keys: [{ sql: 'p.code', type: 'text' as const, as: 'code' }], prepared: true };
    return paginateSql(this.sql, query, page, info, toNode);
  }
}

/** Sectors through MikroORM. */
export class ProcedureService {
  constructor(private readonly em: EntityManager) {}

  sectors(): Promise<Sector[]> {
    return this.em.find(Sector, {}, { orderBy: { code: 'asc' } });
  }
}
