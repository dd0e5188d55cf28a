import { Database } from '../../src/db/database';
import { createTestDatabase } from '../support/harness';

/**
 * Past one machine (issue 12, item 5): the schema stays ready to be distributed with Citus by
 * top-level unit (a province or a ministry: unit_map.l1_id), as docs/operations.md, "Past one
 * machine", describes. Citus accepts a distributed table only if every primary key and unique
 * index holds the distribution column, and a foreign key between two distributed tables only if
 * it holds the distribution column on both sides (co-location); a reference table (copied to
 * every node) may not point at a distributed one. This test reads the migrated database's catalog
 * (pg_class, pg_attribute, pg_index, pg_constraint, pg_inherits) and enforces those rules, so a
 * migration that breaks them fails here rather than on the day the data moves.
 *
 * Every table belongs to one of the lists below. A new table whose name looks like facts or
 * rollups, or that has a unit_id or l1_id column, must be added to one of them.
 */

/** The distribution column: the reporting unit's top-level ancestor (province, ministry; the nation for itself). */
const TOP_UNIT = 'l1_id';

/** Facts, distributed by TOP_UNIT on Citus. */
const FACT_TABLES = ['filing_stat', 'dossier', 'service', 'service_level', 'plan', 'published_indicator', 'published_index_score'];

/** Rollups keyed by top-level unit, co-located with the facts they sum (refreshed per (month, top-level unit) cell). */
const ROLLUP_TABLES = [
  'filing_rollup_l1', 'filing_rollup_sector', 'filing_rollup_unit',
  'service_stock_rollup_l1', 'service_stock_rollup_sector', 'service_stock_rollup_online_filings',
  // Dossier measures (issue 13): refreshed per (source, top-level unit) cell.
  'dossier_days_rollup_l1', 'dossier_days_rollup_l1_year', 'dossier_open_rollup_l1',
];

/**
 * National rollups: no unit in their key by design (a procedure or a sector for the whole nation,
 * see their migrations: keyed by top-level unit they would be as large as the facts). Small;
 * reference tables on Citus, rebuilt from the distributed facts by INSERT ... SELECT.
 */
const NATIONAL_ROLLUPS = [
  'filing_rollup_procedure', 'filing_rollup_procedure_year', 'filing_rollup_nation_sector', 'service_stock_rollup_nation_sector',
  // The nation's processing-days histogram and the sources of its rows (issue 13).
  'dossier_days_rollup_nation', 'dossier_days_sources_nation',
];

/**
 * Reference tables (copied to every node on Citus: joined to the facts on any node) and
 * coordinator-only tables (bookkeeping the workers never read: runs, keys, the dirty list, the
 * data version, the migration log, the revision log). Listed so that a table is never left out by
 * accident; only those with a unit column or a fact-like name are required to be listed.
 */
const REFERENCE_TABLES = ['unit', 'unit_lineage', 'unit_map', 'unit_name', 'procedure', 'sector', 'source', 'target'];
const COORDINATOR_TABLES = ['ingest_run', 'api_key', 'fact_revision', 'rollup_dirty', 'data_version', 'data_change_pending', 'mikro_orm_migrations'];

/**
 * Distributed tables that do not carry TOP_UNIT in their key yet, each with what it lacks. The
 * test fails for any other table breaking a rule, and for a listed table that no longer needs
 * its entry (remove it then).
 */
const NOT_YET_MIGRATED: Record<string, string> = {
  dossier: 'no l1_id; unique index dossier_s<source>_code per partition (code)',
  service: 'no l1_id; primary key (id), unique (unit_id, procedure_id)',
  service_level: 'no l1_id; primary key (id), unique (service_id, valid_from), foreign key service_id -> service (id)',
};

const DISTRIBUTED = [...FACT_TABLES, ...ROLLUP_TABLES];
const DECLARED = new Set([...DISTRIBUTED, ...NATIONAL_ROLLUPS, ...REFERENCE_TABLES, ...COORDINATOR_TABLES]);
/** Names that say "facts or rollups". */
const FACT_LIKE = /rollup|_stat$|_stats$|fact|dossier|_level$/;

interface TableInfo {
  table: string;
  columns: string[];
  /** Columns NOT NULL. */
  notNull: string[];
}

interface UniqueIndex {
  table: string;
  index: string;
  columns: string[];
  /** A partition's index (dossier_s<id>), reported under its parent. */
  partition: string | null;
}

interface ForeignKey {
  name: string;
  from: string;
  fromColumns: string[];
  to: string;
  toColumns: string[];
}

let db: Database;
let tables: Map<string, TableInfo>;
let uniques: UniqueIndex[];
let foreignKeys: ForeignKey[];

beforeAll(async () => {
  db = await createTestDatabase();
  // Every table of the schema but partitions (a partitioned parent stands for them).
  const rows = await db.sql.query<{ table: string; columns: string[]; not_null: string[] }>(
    `SELECT c.relname AS table,
            array_agg(a.attname::text ORDER BY a.attnum) AS columns,
            coalesce(array_agg(a.attname::text ORDER BY a.attnum) FILTER (WHERE a.attnotnull), '{}') AS not_null
     FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
     GROUP BY c.relname`,
  );
  tables = new Map(rows.map((r) => [r.table, { table: r.table, columns: r.columns, notNull: r.not_null }]));
  // Primary keys and unique indexes (constraints or not), of each table and of its partitions.
  uniques = await db.sql.query<UniqueIndex>(
    `SELECT coalesce(parent.relname, t.relname) AS table, ic.relname AS index,
            array(SELECT a.attname::text FROM unnest(i.indkey::int2[]) k JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k) AS columns,
            CASE WHEN parent.relname IS NULL THEN NULL ELSE t.relname END AS partition
     FROM pg_index i
     JOIN pg_class t ON t.oid = i.indrelid
     JOIN pg_class ic ON ic.oid = i.indexrelid
     LEFT JOIN pg_inherits inh ON inh.inhrelid = t.oid
     LEFT JOIN pg_class parent ON parent.oid = inh.inhparent
     WHERE t.relnamespace = current_schema()::regnamespace AND i.indisunique`,
  );
  foreignKeys = await db.sql.query<ForeignKey>(
    `SELECT c.conname AS name, f.relname AS from, t.relname AS to,
            array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) AS "fromColumns",
            array(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o) AS "toColumns"
     FROM pg_constraint c JOIN pg_class f ON f.oid = c.conrelid JOIN pg_class t ON t.oid = c.confrelid
     WHERE c.contype = 'f' AND f.relnamespace = current_schema()::regnamespace AND NOT f.relispartition`,
  );
});
afterAll(() => db?.close());

const migrated = (t: string) => !(t in NOT_YET_MIGRATED);

describe('the schema stays distributable by top-level unit (Citus)', () => {
  it('lists every table that looks like facts or rollups, or has a unit column', () => {
    const undeclared = [...tables.values()]
      .filter((t) => !DECLARED.has(t.table) && (FACT_LIKE.test(t.table) || t.columns.includes('unit_id') || t.columns.includes(TOP_UNIT)))
      .map((t) => t.table);
    // A new fact or rollup table: add it to FACT_TABLES or ROLLUP_TABLES (with l1_id in its keys), or say above why it is not distributed.
    expect(undeclared).toEqual([]);
    // And every declared table exists (a renamed one must be renamed here too).
    expect([...DECLARED].filter((t) => !tables.has(t))).toEqual([]);
  });

  it('gives every fact and rollup table a NOT NULL top-level unit column', () => {
    const missing = DISTRIBUTED.filter(migrated).filter((t) => !tables.get(t)?.notNull.includes(TOP_UNIT));
    expect(missing).toEqual([]);
  });

  it('holds the top-level unit in every primary key and unique index of a fact or rollup table, partitions included', () => {
    const offending = uniques
      .filter((u) => DISTRIBUTED.includes(u.table) && migrated(u.table) && !u.columns.includes(TOP_UNIT))
      .map((u) => `${u.partition ?? u.table}.${u.index} (${u.columns.join(', ')})`);
    expect(offending).toEqual([]);
  });

  it('lets no foreign key cross top-level units', () => {
    const distributed = (t: string) => DISTRIBUTED.includes(t);
    const offending = foreignKeys
      .filter((fk) => {
        // Fact -> reference (a unit, a procedure, a source): allowed, the target is on every node.
        if (distributed(fk.from) && !distributed(fk.to)) return false;
        // Reference -> fact: Citus refuses it (a reference table is on every node, its target is not).
        if (!distributed(fk.from) && distributed(fk.to)) return true;
        if (!distributed(fk.from)) return false;
        if (!migrated(fk.from) || !migrated(fk.to)) return false;
        // Fact -> fact: only within one top-level unit, i.e. the key pairs l1_id with l1_id.
        const i = fk.fromColumns.indexOf(TOP_UNIT);
        return i < 0 || fk.toColumns[i] !== TOP_UNIT;
      })
      .map((fk) => `${fk.name}: ${fk.from} (${fk.fromColumns.join(', ')}) -> ${fk.to} (${fk.toColumns.join(', ')})`);
    expect(offending).toEqual([]);
  });

  it('keeps the list of tables still to migrate exact', () => {
    // Each entry of NOT_YET_MIGRATED still breaks a rule; one that no longer does must leave the list.
    const stillNeeded = Object.keys(NOT_YET_MIGRATED).filter((t) => {
      const noColumn = !tables.get(t)?.notNull.includes(TOP_UNIT);
      const uniqueWithout = uniques.some((u) => u.table === t && !u.columns.includes(TOP_UNIT));
      const crossing = foreignKeys.some((fk) => fk.from === t && DISTRIBUTED.includes(fk.to) && fk.fromColumns[fk.toColumns.indexOf(TOP_UNIT)] !== TOP_UNIT);
      return noColumn || uniqueWithout || crossing;
    });
    expect(stillNeeded.sort()).toEqual(Object.keys(NOT_YET_MIGRATED).sort());
  });
});
