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
  /**
   * A key column an index of the table leads with and that groups facts coarsely (a unit, a
   * service): if no fact of the stage's groups exists yet, every staged row is new (see below).
   */
  group: string;
  values: { column: string; type: string; json: string; fill?: string }[];
  /**
   * The table's top-level unit column (the distribution column on Citus: docs/operations.md,
   * "Past one machine"), filled on insert from unit_map by the staged row's `unitColumn`.
   * Migration20261213500000_fact_top_unit says why; test/scaleout/catalog.test.ts, which tables.
   */
  topUnit?: { column: string; unitColumn: string };
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
    // csv-stringify writes false as an empty field, which COPY reads as NULL: spell booleans out.
    for (let i = 0; i < rows.length; i += 5000) yield stringify(rows.slice(i, i + 5000), { cast: { boolean: (v) => (v ? 't' : 'f') } });
  };
  await pipeline(Readable.from(chunks()), stream);
}

/** What a fact writer may touch: facts of these units (by id or code, with all their versions), or anything. */
export type FactScope = { unitIds: number[] } | { unitCodes: string[] } | 'all';

const FACT_LOCK = `hashtext('dvc-gateway:facts')`;

/**
 * Takes, for the rest of the transaction, the locks a fact writer needs before its first write
 * (applyFactStage relies on them): one per top-level unit (province or ministry) its units fall
 * under, so syncs of different provinces apply side by side while two writers of one province
 * take turns, and the diff and "fresh" checks below stay exact until commit. A writer of
 * everything holds key 0 exclusively; the others hold it shared, then their keys in ascending
 * order, all in one call: no two writers can wait for each other in a cycle. Call it once per
 * transaction (a second call with other units could wait on a writer that waits on this one).
 */
export async function lockFactScope(tx: SqlClient, scope: FactScope): Promise<void> {
  if (scope === 'all' || ('unitCodes' in scope && scope.unitCodes.includes('*'))) {
    await tx.query(`SELECT pg_advisory_xact_lock(${FACT_LOCK}, 0)`);
    return;
  }
  await tx.query(`SELECT pg_advisory_xact_lock_shared(${FACT_LOCK}, 0)`);
  const [where, values] = 'unitIds' in scope ? ['u.id = ANY($1::int[])', scope.unitIds] : ['u.code = ANY($1::text[])', scope.unitCodes];
  await tx.query(
    `SELECT count(pg_advisory_xact_lock(${FACT_LOCK}, l1)) FROM (
       SELECT DISTINCT coalesce(m.l1_id, u.id) AS l1 FROM unit u LEFT JOIN unit_map m ON m.unit_id = u.id WHERE ${where} ORDER BY 1) x`,
    [values],
  );
}

/** Options of a staged apply. */
export interface ApplyOptions {
  /**
   * Value columns the source does not report (NULL in the stage): the current value is kept, and a
   * new fact gets the column's `fill`. E.g. a statistics export has no "synced to DVCQG" column.
   */
  keepMissing?: string[];
}

/** Creates the temporary table a fact table's rows (already resolved to ids) are staged in; dropped at commit. */
export async function createFactStage(tx: SqlClient, spec: FactTable, name = `tmp_${spec.table}`): Promise<string> {
  const cols = [...spec.keys, ...spec.values];
  await tx.query(`CREATE TEMP TABLE ${name} (${cols.map((c) => `${c.column} ${c.type}`).join(', ')}) ON COMMIT DROP`);
  return name;
}

/**
 * Writes `rows` (already resolved to ids) into a fact table in a few set-based statements:
 * COPY into a temporary table, then the staged apply below.
 */
export async function upsertFacts(tx: SqlClient, spec: FactTable, rows: unknown[][], run: RunContext): Promise<UpsertCounts> {
  if (rows.length === 0) return { inserted: 0, updated: 0, corrected: 0, outranked: 0 };
  const tmp = await createFactStage(tx, spec);
  await copyRows(tx, tmp, [...spec.keys, ...spec.values].map((c) => c.column), rows);
  return applyFactStage(tx, spec, tmp, run);
}

/**
 * Applies the rows staged in `tmp` (one per key) to the fact table, and drops `tmp`.
 *
 * Rules: identical values change nothing (so a batch sent twice writes nothing the second time);
 * a different value from a source of equal or higher precedence replaces the old one, which is
 * kept in fact_revision ('corrected' from the same source, 'outranked' from another); a value from
 * a lower-precedence source is not applied and is itself kept as 'outranked' (once: the same
 * losing value sent again is not recorded again). An identical value from a higher-precedence
 * source takes the fact over (source and run change, no revision), so that a later change from
 * the lower source cannot override what the higher one said.
 *
 * The caller holds lockFactScope for the stage's units: the diff is then exact until commit, and
 * new facts go in with a plain INSERT, which costs half an INSERT ... ON CONFLICT on large stages
 * (bench:sync).
 */
export async function applyFactStage(tx: SqlClient, spec: FactTable, tmp: string, run: RunContext, opts: ApplyOptions = {}): Promise<UpsertCounts> {
  // The fact tables live in memory: priced for disks (random_page_cost 4), joining a stage of
  // 40k rows to a 2.5M-row fact table scanned all of it per feed (bench:sync) instead of probing
  // its key index. For this apply only; restored below.
  const [{ was }] = await tx.query<{ was: string }>(`SELECT current_setting('random_page_cost') AS was`);
  await tx.query(`SELECT set_config('random_page_cost', '1.1', true)`);
  const diff = `diff_${spec.table}`;
  const keyCols = spec.keys.map((k) => k.column);
  const valCols = spec.values.map((v) => v.column);
  const keep = new Set(opts.keepMissing ?? []);
  const fill = (v: FactTable['values'][number]) => (keep.has(v.column) ? `COALESCE(t.${v.column}, ${v.fill ?? 'NULL'})` : `t.${v.column}`);
  // Counted by the statement's row count: a RETURNING into a CTE kept every inserted row in a
  // tuplestore just to count it (2.6M rows on a national first load, bench:sync).
  // The top-level unit comes from unit_map in the same statement (a hash join with the unit tree,
  // nothing per row). A LEFT JOIN: a unit without a unit_map row would fail on NOT NULL, never be dropped.
  const top = spec.topUnit;
  const insertNew = (where: string): Promise<number> =>
    tx.execute(
      `INSERT INTO ${spec.table} (${[...keyCols, ...valCols].join(', ')}, ${top ? `${top.column}, ` : ''}source_id, run_id, updated_at)
       SELECT ${keyCols.map((c) => `t.${c}`).join(', ')}, ${spec.values.map(fill).join(', ')}, ${top ? 'top_unit.l1_id, ' : ''}$1::int, $2::int, now()
       FROM ${tmp} t ${top ? `LEFT JOIN unit_map top_unit ON top_unit.unit_id = t.${top.unitColumn}` : ''} ${where}`,
      [run.sourceId, run.runId],
    );
  const finish = async () => {
    await tx.query(`SELECT set_config('random_page_cost', $1, true)`, [was]);
    await tx.query(`DROP TABLE IF EXISTS ${diff}`);
    await tx.query(`DROP TABLE ${tmp}`);
  };

  // Fresh groups (a feed's first load, a new province): nothing to compare, so no probe of the
  // fact table per row, twice (diff, then anti-join), which was half the database's work in
  // bench:sync. One probe per distinct group tells; the advisory lock keeps it true until commit.
  const fresh = await noFactsIn(tx, spec, `(SELECT DISTINCT ${spec.group} AS g FROM ${tmp}) d`);
  if (fresh) {
    const inserted = await insertNew('');
    await finish();
    return { inserted, updated: 0, corrected: 0, outranked: 0 };
  }

  const valueExpr = (v: FactTable['values'][number]) => (keep.has(v.column) ? `COALESCE(t.${v.column}, f.${v.column}, ${v.fill ?? 'NULL'})` : `t.${v.column}`);
  const newVals = `(${spec.values.map(valueExpr).join(', ')})`;
  const oldVals = `(${valCols.map((c) => `f.${c}`).join(', ')})`;
  const json = (alias: string, list: FactTable['keys']) => `jsonb_build_object(${list.map((c) => `'${c.json}', ${alias}.${c.column}`).join(', ')})`;
  // Facts the stage already has a value for, where something would change (an inner join: a
  // first load finds none, and new facts never pass through a temporary table).
  await tx.query(
    `CREATE TEMP TABLE ${diff} ON COMMIT DROP AS
     SELECT ${keyCols.map((c) => `t.${c}`).join(', ')}, ${spec.values.map((v) => `${valueExpr(v)} AS ${v.column}`).join(', ')},
            f.source_id AS old_source, f.run_id AS old_run, s.precedence AS old_prec,
            ${json('f', spec.values)} AS old_value, ${newVals} IS DISTINCT FROM ${oldVals} AS changed
     FROM ${tmp} t
     JOIN ${spec.table} f USING (${keyCols.join(', ')})
     JOIN source s ON s.id = f.source_id
     WHERE ${newVals} IS DISTINCT FROM ${oldVals} OR s.precedence < $1`,
    [run.precedence],
  );
  const [counts] = await tx.query<{ updated: string; corrected: string; outranked: string }>(
    `SELECT count(*) FILTER (WHERE old_prec <= $1) AS updated,
            count(*) FILTER (WHERE changed AND old_prec <= $1) AS corrected,
            count(*) FILTER (WHERE changed AND old_prec > $1) AS outranked
     FROM ${diff}`,
    [run.precedence],
  );
  const result = { inserted: 0, updated: Number(counts.updated), corrected: Number(counts.corrected), outranked: Number(counts.outranked) };

  if (result.corrected + result.outranked > 0) {
    await tx.query(
      `INSERT INTO fact_revision (fact_type, fact_key, reason, value, value_source_id, value_run_id, run_id)
       SELECT '${spec.factType}', ${json('d', spec.keys)},
              (CASE WHEN old_prec <= $3 AND old_source = $1 THEN 'corrected' ELSE 'outranked' END)::revision_reason,
              CASE WHEN old_prec <= $3 THEN old_value ELSE ${json('d', spec.values)} END,
              CASE WHEN old_prec <= $3 THEN old_source ELSE $1 END,
              CASE WHEN old_prec <= $3 THEN old_run ELSE $2 END,
              $2
       FROM ${diff} d
       WHERE changed
         AND NOT (old_prec > $3 AND EXISTS (
           SELECT 1 FROM fact_revision r
           WHERE r.fact_type = '${spec.factType}' AND r.fact_key = ${json('d', spec.keys)} AND r.reason = 'outranked'
             AND r.value_source_id = $1 AND r.value = ${json('d', spec.values)}))`,
      [run.sourceId, run.runId, run.precedence],
    );
  }
  if (result.updated > 0) {
    await tx.query(
      `UPDATE ${spec.table} f SET ${valCols.map((c) => `${c} = d.${c}`).join(', ')}, source_id = $1, run_id = $2, updated_at = now()
       FROM ${diff} d
       WHERE ${keyCols.map((c) => `f.${c} = d.${c}`).join(' AND ')} AND d.old_prec <= $3`,
      [run.sourceId, run.runId, run.precedence],
    );
  }
  // New facts, straight from the stage.
  result.inserted = await insertNew(`WHERE NOT EXISTS (SELECT 1 FROM ${spec.table} f WHERE ${keyCols.map((c) => `f.${c} = t.${c}`).join(' AND ')})`);
  await finish();
  return result;
}

/**
 * Whether no fact of `spec`'s table has any of the groups `groups` lists (a FROM item `d` with a
 * column `g`): the "fresh" case, where nothing is compared and every row is new (applyFactStage,
 * copyFreshFacts). LATERAL ... LIMIT 1: an index probe per group, never a scan of the whole fact table.
 */
async function noFactsIn(tx: SqlClient, spec: FactTable, groups: string, params: unknown[] = []): Promise<boolean> {
  const [{ fresh }] = await tx.query<{ fresh: boolean }>(freshProbeSql(spec, groups), params);
  return fresh;
}

/**
 * noFactsIn's statement. The probe is ordered by the table's key, group first (the order of the
 * key's index: filing_stat (unit_id, month, procedure_id, l1_id), plan (unit_id, year, l1_id),
 * service_level (service_id, valid_from)), so only the index can answer it without sorting
 * every fact of the group. Without the ORDER BY, a fact table without statistics (a new
 * database, filled by its first sync) is priced at 0.5% of its rows per group, so a sequential
 * scan "finds one" after 200 rows: the planner chose it, and a fresh group, which has none,
 * read the whole table. In bench:sync that was 63 probes, 871k blocks read and 22.6 s of
 * backend time (of about 150 s for the whole sync); ordered, a probe is 300 index searches,
 * under a millisecond. test/sync/fact-copy.test.ts checks the plan with disk prices.
 */
export function freshProbeSql(spec: FactTable, groups: string): string {
  const order = freshProbeOrder(spec).map((c) => `f.${c}`).join(', ');
  return `SELECT NOT EXISTS (SELECT 1 FROM ${groups} CROSS JOIN LATERAL (SELECT 1 FROM ${spec.table} f WHERE f.${spec.group} = d.g ORDER BY ${order} LIMIT 1) hit) AS fresh`;
}

/** The fresh probe's order: the group, then the other key columns (a prefix of the key's index). */
export function freshProbeOrder(spec: FactTable): string[] {
  return [spec.group, ...spec.keys.map((k) => k.column).filter((c) => c !== spec.group)];
}

/** Rows of a fact table in binary COPY format (see copyFreshFacts), a slice at a time. */
export type FactRowChunks = (top: ReadonlyMap<number, number>, run: RunContext) => Iterable<Buffer>;

/**
 * Writes fact rows straight into `spec`'s table with one binary COPY, if no fact of their groups
 * (the `groups` values of spec.group, which is also the top-level unit's column) exists yet: the
 * fresh case of applyFactStage (nothing to compare, every row new), without the temporary table
 * and the INSERT ... SELECT from it. Returns null, having written nothing, when some group has
 * facts: the caller stages the rows and applies them with applyFactStage.
 *
 * `chunks` writes the rows, columns keys, values, then the top-level unit (from `top`, by the
 * row's unit; NULL if unknown, which fails on NOT NULL as the staged insert's LEFT JOIN would),
 * source and run. The caller holds lockFactScope for the groups, which keeps "fresh" true until commit.
 *
 * Why (bench:sync, 2 provinces, 155,525 fact rows): the facts' backend CPU fell from 914 ms
 * (COPY into the stage 151, DELETE of the recounted groups 90, INSERT ... SELECT 673) to 583 ms
 * (this COPY 522, the recounted groups 61). What remains is mostly filing_stat's key index: the
 * same rows COPYed into a copy of the table without it cost 370 ms instead of 870.
 */
export async function copyFreshFacts(tx: SqlClient, spec: FactTable, groups: readonly number[], chunks: FactRowChunks, run: RunContext): Promise<UpsertCounts | null> {
  const top = spec.topUnit;
  if (!top || top.unitColumn !== spec.group) throw new Error(`copyFreshFacts: ${spec.table} is not grouped by its top-level unit's column`);
  if (groups.length === 0) return { inserted: 0, updated: 0, corrected: 0, outranked: 0 };
  if (!(await noFactsIn(tx, spec, 'unnest($1::int[]) d(g)', [groups]))) return null;
  const tops = await tx.query<{ unit_id: number; l1_id: number }>('SELECT unit_id, l1_id FROM unit_map WHERE unit_id = ANY($1::int[])', [groups]);
  const columns = [...spec.keys, ...spec.values].map((c) => c.column).concat(top.column, 'source_id', 'run_id');
  queryCounter.record(`COPY ${spec.table}`);
  const copy = tx.client.query(copyFrom(`COPY ${spec.table} (${columns.join(', ')}) FROM STDIN WITH (FORMAT binary)`));
  await pipeline(Readable.from(chunks(new Map(tops.map((r) => [r.unit_id, r.l1_id])), run)), copy);
  return { inserted: Number(copy.rowCount), updated: 0, corrected: 0, outranked: 0 };
}

export const FILING_TABLE: FactTable = {
  table: 'filing_stat',
  factType: FactType.FILING_STAT,
  keys: [
    { column: 'month', type: 'date', json: 'month' },
    { column: 'unit_id', type: 'int', json: 'unitId' },
    { column: 'procedure_id', type: 'int', json: 'procedureId' },
  ],
  group: 'unit_id',
  topUnit: { column: 'l1_id', unitColumn: 'unit_id' },
  values: [
    { column: 'received', type: 'int', json: 'received' },
    { column: 'received_online', type: 'int', json: 'receivedOnline' },
    { column: 'received_postal', type: 'int', fill: '0', json: 'receivedPostal' },
    { column: 'resolved_on_time', type: 'int', fill: '0', json: 'resolvedOnTime' },
    { column: 'resolved_late', type: 'int', fill: '0', json: 'resolvedLate' },
    { column: 'with_fee', type: 'int', fill: '0', json: 'withFee' },
    { column: 'paid_online', type: 'int', fill: '0', json: 'paidOnline' },
    { column: 'synced_national', type: 'int', fill: '0', json: 'syncedNational' },
  ],
};

export const SERVICE_LEVEL_TABLE: FactTable = {
  table: 'service_level',
  factType: FactType.SERVICE_LEVEL,
  keys: [
    { column: 'service_id', type: 'int', json: 'serviceId' },
    { column: 'valid_from', type: 'date', json: 'validFrom' },
  ],
  group: 'service_id',
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
  group: 'unit_id',
  topUnit: { column: 'l1_id', unitColumn: 'unit_id' },
  values: [
    { column: 'document_number', type: 'varchar(64)', json: 'documentNumber' },
    { column: 'title', type: 'text', json: 'title' },
    { column: 'issued_on', type: 'date', json: 'issuedOn' },
    { column: 'due_on', type: 'date', json: 'dueOn' },
  ],
};
