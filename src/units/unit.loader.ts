import { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { byIdLoader } from '../common/by-id.loader';
import { LineageType } from './unit-lineage.entity';
import { readAt, Unit } from './unit.entity';
import { validOnFilter } from './unit-validity';
import { UnitNameSpan } from './unit-name.types';

export interface UnitLinkRow {
  unit: Unit;
  type: LineageType;
  effectiveOn: string;
}

/** Groups keys "id|date" by date so one statement answers every key of a date. */
export function byDate(keys: readonly string[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const k of keys) {
    const [id, date] = k.split('|');
    const list = groups.get(date) ?? [];
    list.push(Number(id));
    groups.set(date, list);
  }
  return groups;
}

/** Per-request loaders for units and their relations: one statement per batch, never one per row. */
export function createUnitLoaders(em: EntityManager) {
  const unitById = byIdLoader(em, Unit);

  /** Key "parentId|date" (date may be empty: every child ever). */
  const childrenByParent = new DataLoader<string, Unit[]>(async (keys) => {
    const result = new Map<string, Unit[]>();
    for (const [date, parents] of byDate(keys)) {
      const where = date
        ? { $and: [{ parent: { $in: parents } }, validOnFilter(date)] }
        : { parent: { $in: parents } };
      const rows = await em.find(Unit, where, { orderBy: { code: 'asc', id: 'asc' } });
      for (const u of rows) {
        const k = `${u.parent!.id}|${date}`;
        const list = result.get(k) ?? [];
        list.push(u);
        result.set(k, list);
      }
    }
    return keys.map((k) => result.get(k) ?? []);
  });

  const links = (direction: 'predecessors' | 'successors') =>
    new DataLoader<number, UnitLinkRow[]>(async (ids) => {
      const [self, other] = direction === 'predecessors' ? ['successor_id', 'predecessor_id'] : ['predecessor_id', 'successor_id'];
      // A predecessor is named as on its last day, a successor as on its first.
      const namedOn = direction === 'predecessors' ? 'effective_on - 1' : 'effective_on';
      const rows = await em.getConnection().execute<{ self: number; other: number; type: LineageType; effective_on: string; named_on: string }[]>(
        `SELECT ${self} AS self, ${other} AS other, type, to_char(effective_on, 'YYYY-MM-DD') AS effective_on,
           to_char(${namedOn}, 'YYYY-MM-DD') AS named_on
         FROM unit_lineage WHERE ${self} IN (?) ORDER BY ${other}`,
        [[...ids]],
      );
      const units = await unitById.loadMany([...new Set(rows.map((r) => r.other))]);
      const byId = new Map(units.filter((u): u is Unit => u instanceof Unit).map((u) => [u.id, u]));
      const grouped = new Map<number, UnitLinkRow[]>();
      for (const r of rows) {
        const list = grouped.get(r.self) ?? [];
        list.push({ unit: readAt(byId.get(r.other)!, r.named_on), type: r.type, effectiveOn: r.effective_on });
        grouped.set(r.self, list);
      }
      return ids.map((id) => grouped.get(id) ?? []);
    });

  /** Key "unitId|date": the name on that date, from unit_name_at (the one owner of the rule). */
  const unitNameAt = new DataLoader<string, string>(async (keys) => {
    const result = new Map<string, string>();
    for (const [date, ids] of byDate(keys)) {
      const rows = await em.getConnection().execute<{ id: number; name: string }[]>(
        'SELECT id, unit_name_at(id, ?::date) AS name FROM unit WHERE id IN (?)', [date, ids]);
      for (const r of rows) result.set(`${r.id}|${date}`, r.name);
    }
    return keys.map((k) => result.get(k) ?? '');
  });

  /** Every name of a unit, oldest first: its former names, then the current one from the day after the last rename. */
  const unitNames = new DataLoader<number, UnitNameSpan[]>(async (ids) => {
    const rows = await em.getConnection().execute<{ unit_id: number; name: string; valid_from: string | null; valid_to: string | null }[]>(
      `SELECT unit_id, name, to_char(valid_from, 'YYYY-MM-DD') AS valid_from, to_char(valid_to, 'YYYY-MM-DD') AS valid_to FROM (
         SELECT n.unit_id, n.name, n.valid_from, n.valid_to FROM unit_name n WHERE n.unit_id IN (?)
         UNION ALL
         SELECT u.id, u.name, coalesce((SELECT max(n.valid_to) + 1 FROM unit_name n WHERE n.unit_id = u.id), u.valid_from), u.valid_to
         FROM unit u WHERE u.id IN (?)
       ) x ORDER BY unit_id, valid_from NULLS FIRST`,
      [[...ids], [...ids]],
    );
    const grouped = new Map<number, UnitNameSpan[]>();
    for (const r of rows) {
      const list = grouped.get(r.unit_id) ?? [];
      list.push({ name: r.name, validFrom: r.valid_from, validTo: r.valid_to });
      grouped.set(r.unit_id, list);
    }
    return ids.map((id) => grouped.get(id) ?? []);
  });

  return { unitById, childrenByParent, predecessors: links('predecessors'), successors: links('successors'), unitNameAt, unitNames };
}

export type UnitLoaders = ReturnType<typeof createUnitLoaders>;
