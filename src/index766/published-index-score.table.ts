import { FactTable } from '../ingest/fact-upsert';
import { FactType } from '../provenance/fact-revision.entity';

/**
 * The national portal's published Decision 766 scores (Migration20261216000100_published_index_score,
 * l1_id from Migration20261220000000_published_top_unit) for the ingest core's set-based upsert:
 * one fact per unit, period and component (a group's code or `total`). The same score sent again
 * changes nothing; a changed score or rank is a correction, the old one kept in fact_revision.
 */
export const PUBLISHED_INDEX_SCORE_TABLE: FactTable = {
  table: 'published_index_score',
  factType: FactType.PUBLISHED_INDEX_SCORE,
  keys: [
    { column: 'unit_id', type: 'int', json: 'unitId' },
    { column: 'period_grain', type: 'varchar(8)', json: 'periodGrain' },
    { column: 'period_start', type: 'date', json: 'periodStart' },
    { column: 'component', type: 'varchar(32)', json: 'component' },
  ],
  group: 'unit_id',
  topUnit: { column: 'l1_id', unitColumn: 'unit_id' },
  values: [
    { column: 'period_end', type: 'date', json: 'periodEnd' },
    { column: 'points', type: 'numeric(6,2)', json: 'points' },
    { column: 'rank', type: 'int', json: 'rank' },
  ],
};
