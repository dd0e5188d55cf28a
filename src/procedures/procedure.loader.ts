import DataLoader from 'dataloader';
import { Sql, Statement } from '../db/sql';
import { PROCEDURE_COLUMNS, procedureFromRow, ProcedureNode, SECTOR_COLUMNS, sectorFromRow, SectorNode } from './procedure-row.mapper';

/**
 * Fixed statements reading rows by id (`select` ends with the id column), prepared (db/sql.ts).
 * One id has its own `= $1` form: PostgreSQL costs the generic plan of `= ANY($1)` above a custom
 * one and re-plans it on every call (pg_stat_statements: 31 plans in 30 sector lookups), while
 * `= $1` is planned once per connection.
 */
export const byIdsStatement = (select: string) => ({ one: new Statement(`${select} = $1`), many: new Statement(`${select} = ANY($1::int[])`) });
export type ByIdsStatement = ReturnType<typeof byIdsStatement>;

/** A per-request loader of rows by id: one `byIdsStatement` per batch, in plain SQL. */
export function rowsByIdLoader<T extends { id: number }>(sql: Sql, statement: ByIdsStatement, toNode: (row: Record<string, unknown>) => T) {
  return new DataLoader<number, T | undefined>(async (ids) => {
    const rows = ids.length === 1 ? await sql.query(statement.one, [ids[0]]) : await sql.query(statement.many, [ids]);
    const byId = new Map(rows.map((r) => [r.id as number, toNode(r)]));
    return ids.map((id) => byId.get(id));
  });
}

const PROCEDURES_BY_IDS = byIdsStatement(`SELECT ${PROCEDURE_COLUMNS} FROM procedure p WHERE p.id`);
const SECTORS_BY_IDS = byIdsStatement(`SELECT ${SECTOR_COLUMNS} FROM sector s WHERE s.id`);

export function createProcedureLoaders(sql: Sql) {
  return {
    procedureById: rowsByIdLoader<ProcedureNode>(sql, PROCEDURES_BY_IDS, (row) => procedureFromRow(row)),
    sectorById: rowsByIdLoader<SectorNode>(sql, SECTORS_BY_IDS, (row) => sectorFromRow(row)),
  };
}

export type ProcedureLoaders = ReturnType<typeof createProcedureLoaders>;
