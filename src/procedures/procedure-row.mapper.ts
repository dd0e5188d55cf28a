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

/** SQL: the provenance columns of the row `alias`. */
export const sourcedColumnsSql = (alias: string) => `${alias}.source_id, ${alias}.run_id, ${alias}.updated_at`;

export function sourcedFromRow(row: Record<string, unknown>): SourcedNode {
  return { source: { id: row.source_id as number }, run: { id: row.run_id as number }, updatedAt: row.updated_at as Date };
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

export const PROCEDURE_COLUMNS = `p.id, p.code, p.name, p.sector_id, p.tier, p.eligible_full_online, p.essential, ${sourcedColumnsSql('p')}`;

export function procedureFromRow(row: Record<string, unknown>): ProcedureNode {
  return {
    id: row.id as number, code: row.code as string, name: row.name as string, sector: { id: row.sector_id as number },
    tier: row.tier as ProcedureTier, eligibleFullOnline: row.eligible_full_online as boolean, essential: row.essential as boolean,
    ...sourcedFromRow(row),
  };
}

export interface SectorNode extends SourcedNode {
  id: number;
  code: string;
  name: string;
}

export const SECTOR_COLUMNS = `s.id, s.code, s.name, ${sourcedColumnsSql('s')}`;

export function sectorFromRow(row: Record<string, unknown>): SectorNode {
  return { id: row.id as number, code: row.code as string, name: row.name as string, ...sourcedFromRow(row) };
}
