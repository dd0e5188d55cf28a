import { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { byIdLoader } from '../common/by-id.loader';
import { byDate } from '../units/unit.loader';
import { ServiceLevel } from './service-level.entity';
import { Service } from './service.entity';

function group<K, V>(rows: V[], keyOf: (v: V) => K): Map<K, V[]> {
  const map = new Map<K, V[]>();
  for (const r of rows) {
    const k = keyOf(r);
    const list = map.get(k);
    if (list) list.push(r);
    else map.set(k, [r]);
  }
  return map;
}

export function createServiceLoaders(em: EntityManager) {
  const servicesByUnit = new DataLoader<number, Service[]>(async (unitIds) => {
    const rows = await em.find(Service, { unit: { $in: [...unitIds] } }, { orderBy: { unit: 'asc', procedure: { code: 'asc' } } });
    const grouped = group(rows, (s) => s.unit.id);
    return unitIds.map((id) => grouped.get(id) ?? []);
  });

  /** Key "serviceId|date": the level in force on that date (latest report from on or before it). */
  const levelAt = new DataLoader<string, ServiceLevel | undefined>(async (keys) => {
    const found = new Map<string, ServiceLevel>();
    for (const [date, serviceIds] of byDate(keys)) {
      const ids = await em.getConnection().execute<{ id: number }[]>(
        `SELECT DISTINCT ON (service_id) id FROM service_level
         WHERE service_id IN (?) AND valid_from <= ? ORDER BY service_id, valid_from DESC`,
        [serviceIds, date],
      );
      if (ids.length === 0) continue;
      const levels = await em.find(ServiceLevel, { id: { $in: ids.map((r) => r.id) } });
      for (const l of levels) found.set(`${l.service.id}|${date}`, l);
    }
    return keys.map((k) => found.get(k));
  });

  const levelHistory = new DataLoader<number, ServiceLevel[]>(async (serviceIds) => {
    const rows = await em.find(ServiceLevel, { service: { $in: [...serviceIds] } }, { orderBy: { service: 'asc', validFrom: 'asc' } });
    const grouped = group(rows, (l) => l.service.id);
    return serviceIds.map((id) => grouped.get(id) ?? []);
  });

  return { serviceById: byIdLoader(em, Service), servicesByUnit, levelAt, levelHistory };
}
