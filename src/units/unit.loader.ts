import DataLoader from 'dataloader';
import { Sql, Statement } from '../db/sql';
import { LineageType } from './unit-lineage.entity';
import { readAt } from './unit.entity';
import { UnitNameSpan } from './unit-name.types';
import { renamedSql, UnitNode, unitColumnsSql, unitFromRow } from './unit-row.mapper';
import { validOnSql } from './unit-validity';

export interface UnitLinkRow {
  unit: UnitNode;
  type: LineageType;
  effectiveOn: string;
}

/** Groups keys "key|date" by date so one statement answers every key of a date (the key may hold "|": the date never does). */
export function keysByDate(keys: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const k of keys) {
    const cut = k.lastIndexOf('|');
    const date = k.slice(cut + 1);
    const list = groups.get(date) ?? [];
    list.push(k.slice(0, cut));
    groups.set(date, list);
  }
  return groups;
}

/** Groups keys "id|date" by date so one statement answers every key of a date. */
export function byDate(keys: readonly string[]): Map<string, number[]> {
  return new Map([...keysByDate(keys)].map(([date, ids]) => [date, ids.map(Number)]));
}

/** Rows grouped by a key, in the order read. */
export function groupBy<K, V>(rows: readonly V[], keyOf: (v: V) => K): Map<K, V[]> {
  const map = new Map<K, V[]>();
  for (const r of rows) {
    const k = keyOf(r);
    const list = map.get(k);
    if (list) list.push(r);
    else map.set(k, [r]);
  }
  return map;
}

/**
 * SQL: the name of the unit row `alias` on the date `at`, for a renamed unit only (null for the
 * others, whose name is their current one): unit_name_at, the rule's one owner, as the unitNameAt
 * loader asks it.
 */
const nameOnSql = (alias: string, at: string) => `CASE WHEN ${renamedSql(alias)} THEN unit_name_at(${alias}.id, ${at}) END`;

/**
 * A unit and its parent in one row, each with its name on the date $2 when renamed (primed into
 * unitNameAt: a lookup of a renamed unit, such as 46, Huế, costs one statement, not two; the
 * second, NAME_AT by `= ANY`, was planned on every call). The parent is a LATERAL subquery kept
 * apart by OFFSET 0, so that every plan reaches it by its primary key from the unit found: as a
 * plain join, the generic plan of the one-code statement (below) merged against the whole unit
 * index in id order.
 */
const UNIT_AND_PARENT = `SELECT ${unitColumnsSql('u')}, ${nameOnSql('u', '$2::date')} AS name_on, ${unitColumnsSql('p', 'p_')}, ${nameOnSql('p', '$2::date')} AS p_name_on
  FROM unit u LEFT JOIN LATERAL (SELECT * FROM unit p WHERE p.id = u.parent_id OFFSET 0) p ON true`;

/**
 * The loaders' fixed SQL, each a named prepared statement (db/sql.ts: parsed once per connection,
 * and planned once where PostgreSQL settles on a generic plan).
 *
 * One code (a `unit(code)` request) has a statement of its own: with `code = ANY($1)` the generic
 * plan is costed for 287 rows (783 against 99 for a custom plan), so PostgreSQL never takes it and
 * plans every call (0.48 ms, three times the execution); with `code = $1` it is costed for one row
 * and taken from the sixth call on.
 */
const UNIT_BY_ONE_CODE = new Statement(`${UNIT_AND_PARENT} WHERE u.code = $1 AND ${validOnSql('$2::date', 'u')} ORDER BY u.id`);
const UNIT_BY_CODES = new Statement(`${UNIT_AND_PARENT} WHERE u.code = ANY($1::text[]) AND ${validOnSql('$2::date', 'u')} ORDER BY u.id`);
const UNITS_BY_IDS = new Statement(`SELECT ${unitColumnsSql('u')} FROM unit u WHERE u.id = ANY($1::int[])`);
const CHILDREN = new Statement(`SELECT ${unitColumnsSql('u')} FROM unit u WHERE u.parent_id = ANY($1::int[]) ORDER BY u.code, u.id`);
const CHILDREN_ON = new Statement(`SELECT ${unitColumnsSql('u')} FROM unit u WHERE u.parent_id = ANY($1::int[]) AND ${validOnSql('$2::date', 'u')} ORDER BY u.code, u.id`);

/** A lineage link's other end, a predecessor named as on its last day, a successor as on its first. */
const linksSql = (self: string, other: string, namedOn: string) => new Statement(
  `SELECT ${self} AS self, ${other} AS other, type, to_char(effective_on, 'YYYY-MM-DD') AS effective_on,
     to_char(${namedOn}, 'YYYY-MM-DD') AS named_on
   FROM unit_lineage WHERE ${self} = ANY($1::int[]) ORDER BY ${other}`,
);
const LINKS = {
  predecessors: linksSql('successor_id', 'predecessor_id', 'effective_on - 1'),
  successors: linksSql('predecessor_id', 'successor_id', 'effective_on'),
};

/** One unit has its own `= $2` form: the ANY form is planned on every call (procedure.loader.ts, byIdsStatement). */
const NAME_AT = {
  one: new Statement('SELECT id, unit_name_at(id, $1::date) AS name FROM unit WHERE id = $2'),
  many: new Statement('SELECT id, unit_name_at(id, $1::date) AS name FROM unit WHERE id = ANY($2::int[])'),
};

const NAMES = new Statement(
  `SELECT unit_id, name, to_char(valid_from, 'YYYY-MM-DD') AS valid_from, to_char(valid_to, 'YYYY-MM-DD') AS valid_to FROM (
     SELECT n.unit_id, n.name, n.valid_from, n.valid_to FROM unit_name n WHERE n.unit_id = ANY($1::int[])
     UNION ALL
     SELECT u.id, u.name, coalesce((SELECT max(n.valid_to) + 1 FROM unit_name n WHERE n.unit_id = u.id), u.valid_from), u.valid_to
     FROM unit u WHERE u.id = ANY($1::int[])
   ) x ORDER BY unit_id, valid_from NULLS FIRST`,
);

/**
 * Per-request loaders for units and their relations: one statement per batch, never one per row,
 * in plain SQL through pg (UnitNode: no entity hydration, see unit-row.mapper.ts).
 */
export function createUnitLoaders(sql: Sql) {
  const unitById = new DataLoader<number, UnitNode | undefined>(async (ids) => {
    const rows = await sql.query(UNITS_BY_IDS, [ids]);
    const byId = new Map(rows.map((r) => [r.id as number, unitFromRow(r)!]));
    return ids.map((id) => byId.get(id));
  });

  /** Key "unitId|date": the name on that date, from unit_name_at (the one owner of the rule). */
  const unitNameAt = new DataLoader<string, string>(async (keys) => {
    const result = new Map<string, string>();
    for (const [date, ids] of byDate(keys)) {
      const rows = await sql.query<{ id: number; name: string }>(ids.length === 1 ? NAME_AT.one : NAME_AT.many, [date, ids.length === 1 ? ids[0] : ids]);
      for (const r of rows) result.set(`${r.id}|${date}`, r.name);
    }
    return keys.map((k) => result.get(k) ?? '');
  });

  /**
   * Key "code|date": the unit holding the code on that date (codes are reused after mergers).
   * Its parent comes in the same statement and is primed into unitById, so `unit(code) { parent }`
   * costs one statement, not two; so do their names on that date when renamed (unitNameAt).
   */
  const unitByCode = new DataLoader<string, UnitNode | null>(async (keys) => {
    const found = new Map<string, UnitNode>();
    for (const [date, codes] of keysByDate(keys)) {
      const rows = codes.length === 1 ? await sql.query(UNIT_BY_ONE_CODE, [codes[0], date]) : await sql.query(UNIT_BY_CODES, [codes, date]);
      for (const r of rows) {
        const unit = unitFromRow(r)!;
        const parent = unitFromRow(r, 'p_');
        if (parent) unitById.prime(parent.id, parent);
        if (unit.renamed) unitNameAt.prime(`${unit.id}|${date}`, r.name_on as string);
        if (parent?.renamed) unitNameAt.prime(`${parent.id}|${date}`, r.p_name_on as string);
        if (!found.has(`${unit.code}|${date}`)) found.set(`${unit.code}|${date}`, unit);
      }
    }
    return keys.map((k) => found.get(k) ?? null);
  });

  /** Key "parentId|date" (date may be empty: every child ever). */
  const childrenByParent = new DataLoader<string, UnitNode[]>(async (keys) => {
    const result = new Map<string, UnitNode[]>();
    for (const [date, parents] of byDate(keys)) {
      const rows = date ? await sql.query(CHILDREN_ON, [parents, date]) : await sql.query(CHILDREN, [parents]);
      for (const [parentId, children] of groupBy(rows.map((r) => unitFromRow(r)!), (u) => u.parent!.id)) result.set(`${parentId}|${date}`, children);
    }
    return keys.map((k) => result.get(k) ?? []);
  });

  const links = (direction: 'predecessors' | 'successors') =>
    new DataLoader<number, UnitLinkRow[]>(async (ids) => {
      const rows = await sql.query<{ self: number; other: number; type: LineageType; effective_on: string; named_on: string }>(LINKS[direction], [ids]);
      const units = await unitById.loadMany([...new Set(rows.map((r) => r.other))]);
      const byId = new Map(units.filter((u): u is UnitNode => u !== undefined && !(u instanceof Error)).map((u) => [u.id, u]));
      const grouped = groupBy(rows, (r) => r.self);
      return ids.map((id) => (grouped.get(id) ?? []).map((r) => ({ unit: readAt(byId.get(r.other)!, r.named_on), type: r.type, effectiveOn: r.effective_on })));
    });

  /** Every name of a unit, oldest first: its former names, then the current one from the day after the last rename. */
  const unitNames = new DataLoader<number, UnitNameSpan[]>(async (ids) => {
    const rows = await sql.query<{ unit_id: number; name: string; valid_from: string | null; valid_to: string | null }>(NAMES, [ids]);
    const grouped = groupBy(rows, (r) => r.unit_id);
    return ids.map((id) => (grouped.get(id) ?? []).map((r) => ({ name: r.name, validFrom: r.valid_from, validTo: r.valid_to })));
  });

  return { unitById, unitByCode, childrenByParent, predecessors: links('predecessors'), successors: links('successors'), unitNameAt, unitNames };
}

export type UnitLoaders = ReturnType<typeof createUnitLoaders>;
