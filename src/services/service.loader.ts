import DataLoader from 'dataloader';
import { Sql, Statement } from '../db/sql';
import { byIdsStatement, rowsByIdLoader } from '../procedures/procedure.loader';
import { byDate, groupBy } from '../units/unit.loader';
import { SERVICE_COLUMNS, SERVICE_LEVEL_COLUMNS, serviceFromRow, serviceLevelFromRow, ServiceLevelNode, ServiceNode } from './service-row.mapper';

/** The loaders' fixed SQL, as prepared statements (db/sql.ts). */
const SERVICES_BY_IDS = byIdsStatement(`SELECT ${SERVICE_COLUMNS} FROM service s WHERE s.id`);
const SERVICES_OF_UNITS = new Statement(
  `SELECT ${SERVICE_COLUMNS} FROM service s JOIN procedure p ON p.id = s.procedure_id WHERE s.unit_id = ANY($1::int[]) ORDER BY s.unit_id, p.code`,
);
const LEVEL_IDS_AT = new Statement(
  `SELECT DISTINCT ON (service_id) id FROM service_level
   WHERE service_id = ANY($1::int[]) AND valid_from <= $2::date ORDER BY service_id, valid_from DESC`,
);
const LEVELS_BY_IDS = new Statement(`SELECT ${SERVICE_LEVEL_COLUMNS} FROM service_level l WHERE l.id = ANY($1::int[])`);
const LEVEL_HISTORIES = new Statement(`SELECT ${SERVICE_LEVEL_COLUMNS} FROM service_level l WHERE l.service_id = ANY($1::int[]) ORDER BY l.service_id, l.valid_from`);

/** Per-request loaders for services and their levels: one statement per batch, in plain SQL (service-row.mapper.ts). */
export function createServiceLoaders(sql: Sql) {
  const servicesByUnit = new DataLoader<number, ServiceNode[]>(async (unitIds) => {
    const rows = await sql.query(SERVICES_OF_UNITS, [unitIds]);
    const grouped = groupBy(rows.map(serviceFromRow), (s) => s.unit.id);
    return unitIds.map((id) => grouped.get(id) ?? []);
  });

  /**
   * Key "serviceId|date": the level in force on that date (latest report from on or before it).
   * Two statements per date, the ids in force and then their rows, as the ORM version read them:
   * test/units pins the statement count of a nested list at 10, and one statement here would be
   * fewer (a change of that test, not of this loader's answers).
   */
  const levelAt = new DataLoader<string, ServiceLevelNode | undefined>(async (keys) => {
    const found = new Map<string, ServiceLevelNode>();
    for (const [date, serviceIds] of byDate(keys)) {
      const ids = await sql.query<{ id: number }>(LEVEL_IDS_AT, [serviceIds, date]);
      if (ids.length === 0) continue;
      const levels = await sql.query(LEVELS_BY_IDS, [ids.map((r) => r.id)]);
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
