import DataLoader from 'dataloader';
import { Sql } from '../db/sql';
import { PROCEDURE_COLUMNS, procedureFromRow, ProcedureNode, SECTOR_COLUMNS, sectorFromRow, SectorNode } from './procedure-row.mapper';

/** A per-request loader of rows by id: one `WHERE id = ANY(...)` per batch, in plain SQL. */
export function rowsByIdLoader<T extends { id: number }>(sql: Sql, select: string, toNode: (row: Record<string, unknown>) => T) {
  return new DataLoader<number, T | undefined>(async (ids) => {
    const rows = await sql.query(`${select} = ANY($1::int[])`, [ids]);
    const byId = new Map(rows.map((r) => [r.id as number, toNode(r)]));
    return ids.map((id) => byId.get(id));
  });
}

export function createProcedureLoaders(sql: Sql) {
  return {
    procedureById: rowsByIdLoader<ProcedureNode>(sql, `SELECT ${PROCEDURE_COLUMNS} FROM procedure p WHERE p.id`, procedureFromRow),
    sectorById: rowsByIdLoader<SectorNode>(sql, `SELECT ${SECTOR_COLUMNS} FROM sector s WHERE s.id`, sectorFromRow),
  };
}
