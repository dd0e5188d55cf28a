import type { UnitKind } from './unit.entity';

/**
 * Units read by plain SQL for the GraphQL layer, without MikroORM's entity hydration: a CPU
 * profile put 38% of a unit lookup in building and hydrating one findOne (the SQL itself takes
 * 0.1 ms), and measured in-process one findOne cost 2.0 ms of CPU against 0.25 ms for the same
 * row through pg (bench:reads has the end-to-end figures). A UnitNode carries what the Unit type
 * and its resolvers read: the columns, the parent's id, and whether the unit has former names.
 */
export interface UnitNode {
  id: number;
  code: string;
  /** The current name; `name` at a date is resolved by the Unit resolver (unit_name_at when renamed). */
  name: string;
  kind: UnitKind;
  validFrom?: string | null;
  validTo?: string | null;
  parent?: { id: number } | null;
  /** Whether the unit has former names (unit_name); undefined counts as possibly renamed. */
  renamed?: boolean;
}

/** SQL: whether the unit row `alias` has former names (shared with the entity's `renamed` formula). */
export const renamedSql = (alias: string) => `exists (select 1 from unit_name un where un.unit_id = ${alias}.id)`;

/**
 * SQL: the columns of a UnitNode from the unit row `alias`, each output name prefixed by `as`
 * (to read a unit and its parent in one row). Dates as "YYYY-MM-DD" text: pg would make them
 * JavaScript Dates at local midnight.
 */
export function unitColumnsSql(alias: string, as = ''): string {
  return [
    `${alias}.id AS "${as}id"`, `${alias}.code AS "${as}code"`, `${alias}.name AS "${as}name"`, `${alias}.kind AS "${as}kind"`,
    `${alias}.parent_id AS "${as}parent_id"`, `to_char(${alias}.valid_from, 'YYYY-MM-DD') AS "${as}valid_from"`,
    `to_char(${alias}.valid_to, 'YYYY-MM-DD') AS "${as}valid_to"`, `${renamedSql(alias)} AS "${as}renamed"`,
  ].join(', ');
}

/** A row read with unitColumnsSql(alias, as) to a UnitNode, or null when the (outer-joined) unit is absent. */
export function unitFromRow(row: Record<string, unknown>, as = ''): UnitNode | null {
  const id = row[`${as}id`];
  if (id === null || id === undefined) return null;
  const parentId = row[`${as}parent_id`] as number | null;
  return {
    id: id as number,
    code: row[`${as}code`] as string,
    name: row[`${as}name`] as string,
    kind: row[`${as}kind`] as UnitKind,
    parent: parentId === null ? null : { id: parentId },
    validFrom: row[`${as}valid_from`] as string | null,
    validTo: row[`${as}valid_to`] as string | null,
    renamed: row[`${as}renamed`] as boolean,
  };
}
