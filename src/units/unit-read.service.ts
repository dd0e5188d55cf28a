import { GraphQLResolveInfo } from 'graphql';
import { today } from '../common/calendar';
import { badUserInput } from '../common/errors';
import { ConnectionResult, PageArgs } from '../common/pagination';
import { paginateSql, SqlConditions } from '../common/sql-page';
import { foldVietnamese } from '../common/text';
import { Sql } from '../db/sql';
import { readAt, UnitReadAt } from './unit.entity';
import { UnitFilter } from './unit.inputs';
import { UnitLoaders } from './unit.loader';
import { UnitNode, unitColumnsSql, unitFromRow } from './unit-row.mapper';
import { validOnSql } from './unit-validity';

/** Escapes LIKE wildcards so a user's "%" or "_" matches literally. */
function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Unit lookups and lists for GraphQL, in plain SQL through the request's loaders and pg: the
 * answers (names at a date, order, cursors) are those of the MikroORM reads they replace, at a
 * fraction of the CPU (unit-row.mapper.ts; bench:reads).
 */
export class UnitReadService {
  constructor(
    private readonly sql: Sql,
    private readonly loaders: Pick<UnitLoaders, 'unitByCode'>,
  ) {}

  /** The unit holding `code` on `date`: codes are reused across the 2025 merger, so the date matters. */
  findByCode(code: string, date: string = today()): Promise<UnitNode | null> {
    return this.loaders.unitByCode.load(`${code}|${date}`);
  }

  /** The unit holding `code` on `date`, or BAD_USER_INPUT naming `field` (filters by unit code). */
  async idOfCode(code: string, date: string, field: string): Promise<number> {
    const unit = await this.findByCode(code, date);
    if (!unit) throw badUserInput('Unknown unit', [{ field, reason: `no unit with code ${code} on ${date}` }]);
    return unit.id;
  }

  async list(filter: UnitFilter, page: PageArgs, info: GraphQLResolveInfo): Promise<ConnectionResult<UnitReadAt>> {
    const where = new SqlConditions();
    if (filter.kind) where.and(`u.kind = ${where.param(filter.kind)}`);
    if (filter.code) where.and(`u.code = ${where.param(filter.code)}`);
    if (filter.name) this.nameMatches(where, filter.name);
    if (filter.validAt) where.and(validOnSql(`${where.param(filter.validAt)}::date`, 'u'));
    if (filter.parentId) {
      if (!/^\d+$/.test(filter.parentId)) throw badUserInput('Invalid parentId', [{ field: 'filter.parentId', reason: 'not a unit id' }]);
      where.and(`u.parent_id = ${where.param(Number(filter.parentId))}`);
    }
    if (filter.parentCode) {
      const parent = await this.findByCode(filter.parentCode, filter.validAt ?? today());
      if (!parent) throw badUserInput('Unknown parent unit', [{ field: 'filter.parentCode', reason: `no unit with code ${filter.parentCode} on ${filter.validAt ?? today()}` }]);
      where.and(`u.parent_id = ${where.param(parent.id)}`);
    }
    const keys = [{ sql: 'u.code', type: 'text', as: 'code' }, { sql: 'u.id', type: 'integer', as: 'id' }] as const;
    // Units listed for a date are named as on that date.
    return paginateSql(this.sql, { select: unitColumnsSql('u'), from: 'unit u', where, keys: [...keys] }, page, info, (r) => readAt(unitFromRow(r)!, filter.validAt));
  }

  /** Units whose current or any former name contains `text`, accents and case aside (one condition, no extra statement). */
  private nameMatches(where: SqlConditions, text: string): void {
    const pattern = where.param(likeContains(foldVietnamese(text)));
    where.and(`u.name_search LIKE ${pattern} OR u.id IN (SELECT n.unit_id FROM unit_name n WHERE n.name_search LIKE ${pattern})`);
  }
}
