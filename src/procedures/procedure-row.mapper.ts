import type { Sourced } from '../provenance/sourced.entity';
import type { ProcedureTier } from './procedure.entity';

/**
 * Procedures, sectors and other sourced rows read by plain SQL for the GraphQL layer, without
 * MikroORM's entity hydration (the reason and the measurements: units/unit-row.mapper.ts).
 */

/** A fact row's provenance as provenanceOf reads it: the source's and run's ids, and when. */
export interface SourcedNode {
  source: { id: number };
  run: { id: number };
  updatedAt: Date;
}

/** SQL: the provenance columns of the row `alias`, each output name prefixed by `as` (none: the column's own). */
export const sourcedColumnsSql = (alias: string, as = '') => (as
  ? `${alias}.source_id AS "${as}source_id", ${alias}.run_id AS "${as}run_id", ${alias}.updated_at AS "${as}updated_at"`
  : `${alias}.source_id, ${alias}.run_id, ${alias}.updated_at`);

export function sourcedFromRow(row: Record<string, unknown>, as = ''): SourcedNode {
  return { source: { id: row[`${as}source_id`] as number }, run: { id: row[`${as}run_id`] as number }, updatedAt: row[`${as}updated_at`] as Date };
}

/** provenanceOf takes the entity type; it reads only source.id, run.id and updatedAt, which a SourcedNode has. */
export const asSourced = (node: SourcedNode): Sourced => node as unknown as Sourced;

export interface ProcedureNode extends SourcedNode {
  id: number;
  code: string;
  name: string;
  sector: { id: number };
  tier: ProcedureTier;
  eligibleFullOnline: boolean;
  essential: boolean;
}

/** SQL: the columns of a ProcedureNode from the procedure row `alias`, each output name prefixed by `as` (to read a procedure beside another row). */
export const procedureColumnsSql = (alias: string, as = '') => (as
  ? ['id', 'code', 'name', 'sector_id', 'tier', 'eligible_full_online', 'essential'].map((c) => `${alias}.${c} AS "${as}${c}"`).join(', ') + `, ${sourcedColumnsSql(alias, as)}`
  : `${alias}.id, ${alias}.code, ${alias}.name, ${alias}.sector_id, ${alias}.tier, ${alias}.eligible_full_online, ${alias}.essential, ${sourcedColumnsSql(alias)}`);

export const PROCEDURE_COLUMNS = procedureColumnsSql('p');

/** A row read with procedureColumnsSql(alias, as) to a ProcedureNode. */
export function procedureFromRow(row: Record<string, unknown>, as = ''): ProcedureNode {
  return {
    id: row[`${as}id`] as number, code: row[`${as}code`] as string, name: row[`${as}name`] as string, sector: { id: row[`${as}sector_id`] as number },
    tier: row[`${as}tier`] as ProcedureTier, eligibleFullOnline: row[`${as}eligible_full_online`] as boolean, essential: row[`${as}essential`] as boolean,
    ...sourcedFromRow(row, as),
  };
}

export interface SectorNode extends SourcedNode {
  id: number;
  code: string;
  name: string;
}

/** SQL: the columns of a SectorNode from the sector row `alias`, each output name prefixed by `as` (to read a procedure and its sector in one row). */
export const sectorColumnsSql = (alias: string, as = '') => (as
  ? `${alias}.id AS "${as}id", ${alias}.code AS "${as}code", ${alias}.name AS "${as}name", ${sourcedColumnsSql(alias, as)}`
  : `${alias}.id, ${alias}.code, ${alias}.name, ${sourcedColumnsSql(alias)}`);

export const SECTOR_COLUMNS = sectorColumnsSql('s');

/** A row read with sectorColumnsSql(alias, as) to a SectorNode. */
export function sectorFromRow(row: Record<string, unknown>, as = ''): SectorNode {
  return { id: row[`${as}id`] as number, code: row[`${as}code`] as string, name: row[`${as}name`] as string, ...sourcedFromRow(row, as) };
}
