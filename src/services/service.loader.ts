import DataLoader from 'dataloader';
import { Sql, Statement } from '../db/sql';
import { byIdsStatement, ProcedureLoaders, rowsByIdLoader } from '../procedures/procedure.loader';
import { procedureColumnsSql, procedureFromRow } from '../procedures/procedure-row.mapper';
import { byDate, groupBy } from '../units/unit.loader';
import { SERVICE_COLUMNS, SERVICE_LEVEL_COLUMNS, serviceFromRow, serviceLevelFromRow, ServiceLevelNode, ServiceNode } from './service-row.mapper';

/** The loaders' fixed SQL, as prepared statements (db/sql.ts). */
const SERVICES_BY_IDS = byIdsStatement(`SELECT ${SERVICE_COLUMNS} FROM service s WHERE s.id`);
/** A service and its procedure in one row (the procedure's columns prefixed `p_`), the procedure primed into procedureById. */
export const SERVICE_AND_PROCEDURE = `${SERVICE_COLUMNS}, ${procedureColumnsSql('p', 'p_')}`;
const SERVICES_OF_UNITS = new Statement(
  `SELECT ${SERVICE_AND_PROCEDURE} FROM service s JOIN procedure p ON p.id = s.procedure_id WHERE s.unit_id = ANY($1::int[]) ORDER BY s.unit_id, p.code`,
);
/** The level in force on $2 of each service: the latest reported on or before it ((service_id, valid_from) is unique). */
const LEVELS_AT = new Statement(
  `SELECT DISTINCT ON (l.service_id) ${SERVICE_LEVEL_COLUMNS} FROM service_level l
   WHERE l.service_id = ANY($1::int[]) AND l.valid_from <= $2::date ORDER BY l.service_id, l.valid_from DESC`,
);
const LEVEL_HISTORIES = new Statement(`SELECT ${SERVICE_LEVEL_COLUMNS} FROM service_level l WHERE l.service_id = ANY($1::int[]) ORDER BY l.service_id, l.valid_from`);

/**
 * Primes each row's procedure (read with SERVICE_AND_PROCEDURE) into procedureById, once per
 * procedure, and returns the service: a list of services and their procedures costs one statement.
 */
export function serviceWithProcedure(procedures: Pick<ProcedureLoaders, 'procedureById'>): (row: Record<string, unknown>) => ServiceNode {
  const primed = new Set<number>();
  return (row) => {
    const service = serviceFromRow(row);
    if (!primed.has(service.procedure.id)) {
      primed.add(service.procedure.id);
      procedures.procedureById.prime(service.procedure.id, procedureFromRow(row, 'p_'));
    }
    return service;
  };
}

/**
 * Per-request loaders for services and their levels: one statement per batch, in plain SQL
 * (service-row.mapper.ts). The services' procedures come in the same statement, primed into the
 * request's procedureById (`procedures`).
 */
export function createServiceLoaders(sql: Sql, procedures: Pick<ProcedureLoaders, 'procedureById'>) {
  const servicesByUnit = new DataLoader<number, ServiceNode[]>(async (unitIds) => {
    const rows = await sql.query(SERVICES_OF_UNITS, [unitIds]);
    const grouped = groupBy(rows.map(serviceWithProcedure(procedures)), (s) => s.unit.id);
    return unitIds.map((id) => grouped.get(id) ?? []);
  });

  /** Key "serviceId|date": the level in force on that date (latest report from on or before it), one statement per date. */
  const levelAt = new DataLoader<string, ServiceLevelNode | undefined>(async (keys) => {
    const found = new Map<string, ServiceLevelNode>();
    for (const [date, serviceIds] of byDate(keys)) {
      const levels = await sql.query(LEVELS_AT, [serviceIds, date]);
      for (const l of levels.map(serviceLevelFromRow)) found.set(`${l.service.id}|${date}`, l);
    }
    return keys.map((k) => found.get(k));
  });

  const levelHistory = new DataLoader<number, ServiceLevelNode[]>(async (serviceIds) => {
    const rows = await sql.query(LEVEL_HISTORIES, [serviceIds]);
    const grouped = groupBy(rows.map(serviceLevelFromRow), (l) => l.service.id);
    return serviceIds.map((id) => grouped.get(id) ?? []);
  });

  return { serviceById: rowsByIdLoader<ServiceNode>(sql, SERVICES_BY_IDS, serviceFromRow), servicesByUnit, levelAt, levelHistory };
}
