import { stringify } from 'csv-stringify/sync';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import { SqlClient } from '../db/sql';
import { queryCounter } from '../db/query-counter';
import { FactType } from '../provenance/fact-revision.entity';

/** How one fact table is keyed and what it holds, for the set-based upsert below. */
export interface FactTable {
  table: string;
  factType: FactType;
  /** Natural key columns (the table has a unique constraint on exactly these). */
  keys: { column: string; type: string; json: string }[];
  values: { column: string; type: string; json: string }[];
}

export interface UpsertCounts {
  inserted: number;
  updated: number;
  /** Existing values replaced by this run and kept as revisions. */
  corrected: number;
  /** Values from a lower-precedence source that lost and were kept as revisions. */
  outranked: number;
}

export interface RunContext {
  runId: number;
  sourceId: number;
  precedence: number;
}

/** Streams rows into a temporary table with COPY: the fastest way into PostgreSQL. */
export async function copyRows(tx: SqlClient, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  queryCounter.record(`COPY ${table}`);
  const stream = tx.client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN (FORMAT csv)`));
  const chunks = function* () {
    for (let i = 0; i < rows.length; i += 5000) yield stringify(rows.slice(i, i + 5000));
  };
  await pipeline(Readable.from(chunks()), stream);
}

/**
 * Writes `rows` (already resolved to ids) into a fact table in a few set-based statements:
 * COPY into a temporary table, then one upsert that also records what it replaces or rejects.
 *
 * Rules: identical values change nothing (so a batch sent twice writes nothing the second time);
 * a different value from a source of equal or higher precedence replaces the old one, which is
 * kept in fact_revision ('corrected' from the same source, 'outranked' from another); a value from
 * a lower-precedence source is not applied and is itself kept as 'outranked'.
 */
export async function upsertFacts(tx: SqlClient, spec: FactTable, rows: unknown[][], run: RunContext): Promise<UpsertCounts> {
  if (rows.length === 0) return { inserted: 0, updated: 0, corrected: 0, outranked: 0 };
  const tmp = `tmp_${spec.table}`;
  const cols = [...spec.keys, ...spec.values];
  await tx.query(`CREATE TEMP TABLE ${tmp} (${cols.map((c) => `${c.column} ${c.type}`).join(', ')}) ON COMMIT DROP`);
  await copyRows(tx, tmp, cols.map((c) => c.column), rows);

  const keyCols = spec.keys.map((k) => k.column);
  const valCols = spec.values.map((v) => v.column);
  const json = (alias: string, list: FactTable['keys']) => `jsonb_build_object(${list.map((c) => `'${c.json}', ${alias}.${c.column}`).join(', ')})`;
  const [counts] = await tx.query<{ inserted: string; updated: string; corrected: string; outranked: string }>(
    `WITH diff AS (
       SELECT t.*, f.source_id AS old_source, f.run_id AS old_run, s.precedence AS old_prec, (f.source_id IS NULL) AS is_new,
              ${json('f', spec.values)} AS old_value
       FROM ${tmp} t
       LEFT JOIN ${spec.table} f USING (${keyCols.join(', ')})
       LEFT JOIN source s ON s.id = f.source_id
       WHERE f.source_id IS NULL OR (${valCols.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${valCols.map((c) => `f.${c}`).join(', ')})
     ),
     applied AS (
       INSERT INTO ${spec.table} (${[...keyCols, ...valCols].join(', ')}, source_id, run_id, updated_at)
       SELECT ${[...keyCols, ...valCols].join(', ')}, $1::int, $2::int, now() FROM diff WHERE is_new OR old_prec <= $3
       ON CONFLICT (${keyCols.join(', ')}) DO UPDATE SET
         ${valCols.map((c) => `${c} = excluded.${c}`).join(', ')}, source_id = excluded.source_id, run_id = excluded.run_id, updated_at = excluded.updated_at
       RETURNING (xmax = 0) AS inserted
     ),
     revised AS (
       INSERT INTO fact_revision (fact_type, fact_key, reason, value, value_source_id, value_run_id, run_id)
       SELECT '${spec.factType}', ${json('diff', spec.keys)},
              (CASE WHEN old_prec <= $3 AND old_source = $1 THEN 'corrected' ELSE 'outranked' END)::revision_reason,
              CASE WHEN old_prec <= $3 THEN old_value ELSE ${json('diff', spec.values)} END,
              CASE WHEN old_prec <= $3 THEN old_source ELSE $1 END,
              CASE WHEN old_prec <= $3 THEN old_run ELSE $2 END,
              $2
       FROM diff WHERE NOT is_new
       RETURNING reason
     )
     SELECT (SELECT count(*) FROM applied WHERE inserted) AS inserted,
            (SELECT count(*) FROM applied WHERE NOT inserted) AS updated,
            (SELECT count(*) FROM diff WHERE NOT is_new AND old_prec <= $3) AS corrected,
            (SELECT count(*) FROM diff WHERE NOT is_new AND old_prec > $3) AS outranked`,
    [run.sourceId, run.runId, run.precedence],
  );
  await tx.query(`DROP TABLE ${tmp}`);
  return { inserted: Number(counts.inserted), updated: Number(counts.updated), corrected: Number(counts.corrected), outranked: Number(counts.outranked) };
}

export const FILING_TABLE: FactTable = {
  table: 'filing_stat',
  factType: FactType.FILING_STAT,
  keys: [
    { column: 'month', type: 'date', json: 'month' },
    { column: 'unit_id', type: 'int', json: 'unitId' },
    { column: 'procedure_id', type: 'int', json: 'procedureId' },
  ],
  values: [
    { column: 'received', type: 'int', json: 'received' },
    { column: 'received_online', type: 'int', json: 'receivedOnline' },
    { column: 'received_postal', type: 'int', json: 'receivedPostal' },
    { column: 'resolved_on_time', type: 'int', json: 'resolvedOnTime' },
    { column: 'resolved_late', type: 'int', json: 'resolvedLate' },
    { column: 'with_fee', type: 'int', json: 'withFee' },
    { column: 'paid_online', type: 'int', json: 'paidOnline' },
    { column: 'synced_national', type: 'int', json: 'syncedNational' },
  ],
};

export const SERVICE_LEVEL_TABLE: FactTable = {
  table: 'service_level',
  factType: FactType.SERVICE_LEVEL,
  keys: [
    { column: 'service_id', type: 'int', json: 'serviceId' },
    { column: 'valid_from', type: 'date', json: 'validFrom' },
  ],
  values: [
    { column: 'taxonomy', type: 'level_taxonomy', json: 'taxonomy' },
    { column: 'level', type: 'varchar(8)', json: 'level' },
    { column: 'integrated_national', type: 'boolean', json: 'integratedNational' },
  ],
};

export const PLAN_TABLE: FactTable = {
  table: 'plan',
  factType: FactType.PLAN,
  keys: [
    { column: 'unit_id', type: 'int', json: 'unitId' },
    { column: 'year', type: 'smallint', json: 'year' },
  ],
  values: [
    { column: 'document_number', type: 'varchar(64)', json: 'documentNumber' },
    { column: 'title', type: 'text', json: 'title' },
    { column: 'issued_on', type: 'date', json: 'issuedOn' },
    { column: 'due_on', type: 'date', json: 'dueOn' },
  ],
};
