import DataLoader from 'dataloader';
import { Sql, Statement } from '../db/sql';
import { PROCEDURE_COLUMNS, procedureFromRow, ProcedureNode, SECTOR_COLUMNS, sectorFromRow, SectorNode } from './procedure-row.mapper';

/** A fixed statement reading rows by id (`select` ends with the id column): `WHERE id = ANY($1)`, prepared (db/sql.ts). */
export const byIdsStatement = (select: string) => new Statement(`${select} = ANY($1::int[])`);

/** A per-request loader of rows by id: one `byIdsStatement` per batch, in plain SQL. */
export function rowsByIdLoader<T extends { id: number }>(sql: Sql, statement: Statement, toNode: (row: Record<string, unknown>) => T) {
  return new DataLoader<number, T | undefined>(async (ids) => {
    const rows = await sql.query(statement, [ids]);
    const byId = new Map(rows.map((r) => [r.id as number, toNode(r)]));
    return ids.map((id) => byId.get(id));
  });
}

const PROCEDURES_BY_IDS = byIdsStatement(`SELECT ${PROCEDURE_COLUMNS} FROM procedure p WHERE p.id`);
const SECTORS_BY_IDS = byIdsStatement(`SELECT ${SECTOR_COLUMNS} FROM sector s WHERE s.id`);

export function createProcedureLoaders(sql: Sql) {
  return {
    procedureById: rowsByIdLoader<ProcedureNode>(sql, PROCEDURES_BY_IDS, procedureFromRow),
    sectorById: rowsByIdLoader<SectorNode>(sql, SECTORS_BY_IDS, sectorFromRow),
  };
}
