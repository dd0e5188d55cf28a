import { FactTable } from '../ingest/fact-upsert';
import { FactType } from '../provenance/fact-revision.entity';

/**
 * The published-indicator fact table (Migration20261216000000_published_indicator) for the ingest
 * core's set-based upsert: a re-push of the same figure and document changes nothing; a changed
 * value of the same document is a correction, kept in fact_revision.
 */
export const PUBLISHED_INDICATOR_TABLE: FactTable = {
  table: 'published_indicator',
  factType: FactType.PUBLISHED_INDICATOR,
  keys: [
    { column: 'unit_id', type: 'int', json: 'unitId' },
    { column: 'indicator', type: 'indicator', json: 'indicator' },
    { column: 'period_grain', type: 'varchar(8)', json: 'periodGrain' },
    { column: 'period_start', type: 'date', json: 'periodStart' },
    { column: 'document_number', type: 'varchar(64)', json: 'documentNumber' },
  ],
  group: 'unit_id',
  topUnit: { column: 'l1_id', unitColumn: 'unit_id' },
  values: [
    { column: 'period_end', type: 'date', json: 'periodEnd' },
    { column: 'value', type: 'numeric(7,6)', json: 'value' },
    { column: 'document_date', type: 'date', json: 'documentDate' },
    { column: 'document_title', type: 'text', json: 'documentTitle' },
    { column: 'document_url', type: 'text', json: 'documentUrl' },
  ],
};
