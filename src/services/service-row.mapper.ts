import { sourcedColumnsSql, sourcedFromRow, SourcedNode } from '../procedures/procedure-row.mapper';
import type { LevelTaxonomy } from './service-level.entity';

/** Services and their levels read by plain SQL for the GraphQL layer (why: units/unit-row.mapper.ts). */
export interface ServiceNode extends SourcedNode {
  id: number;
  unit: { id: number };
  procedure: { id: number };
}

export const SERVICE_COLUMNS = `s.id, s.unit_id, s.procedure_id, ${sourcedColumnsSql('s')}`;

export function serviceFromRow(row: Record<string, unknown>): ServiceNode {
  return { id: row.id as number, unit: { id: row.unit_id as number }, procedure: { id: row.procedure_id as number }, ...sourcedFromRow(row) };
}

export interface ServiceLevelNode extends SourcedNode {
  id: number;
  service: { id: number };
  taxonomy: LevelTaxonomy;
  level: string;
  validFrom: string;
  integratedNational: boolean | null;
}

export const SERVICE_LEVEL_COLUMNS = `l.id, l.service_id, l.taxonomy, l.level, to_char(l.valid_from, 'YYYY-MM-DD') AS valid_from, l.integrated_national, ${sourcedColumnsSql('l')}`;

export function serviceLevelFromRow(row: Record<string, unknown>): ServiceLevelNode {
  return {
    id: row.id as number, service: { id: row.service_id as number }, taxonomy: row.taxonomy as LevelTaxonomy, level: row.level as string,
    validFrom: row.valid_from as string, integratedNational: row.integrated_national as boolean | null, ...sourcedFromRow(row),
  };
}
