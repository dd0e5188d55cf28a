import { addMonths, monthStart, yearOf } from '../common/calendar';
import { queryCounter } from '../db/query-counter';
import { Sql, SqlClient } from '../db/sql';
import { AggregateDimension as D } from './dimensions';
import { FLOW_COLUMNS, POOLED_DAYS_FROM } from './measures';
import { ONLINE_LEVELS } from './dimensions';

/** Filters an aggregate can carry, by what they constrain (to decide whether a rollup covers them). */
export type FilterKey = 'unit' | 'province' | 'unitKinds' | 'sector' | 'procedure' | 'essential' | 'eligible' | 'levels';

/**
 * How a rollup's rows name their unit:
 * - `l1`: the reporting unit's top-level unit (province or ministry: `l1_id`) and its counterpart
 *   in today's units (`cur_l1_id`), with the reporting unit's kinds and partial merges at those
 *   tiers; covers the UNIT dimension at tiers nation, province and ministry.
 * - `unit`: the reporting unit itself (`unit_id`, read through unit_map like the base tables);
 *   covers UNIT at every tier (communes). `l1_id` is kept to refresh by cell.
 * - `nation`: no unit, only the reporting unit's kind as reported and today (`unit_kind`,
 *   `cur_unit_kind`); covers queries with no unit dimension or unit filter but UNIT_KIND.
 */
export type RollupUnitKey = 'l1' | 'unit' | 'nation';

/** A precomputed rollup the engine may answer from. */
export interface RollupDef {
  table: string;
  /** flow and stock: filing statistics and service levels; days and open: the dossier store (dossier measures). */
  stream: 'flow' | 'stock' | 'days' | 'open';
  dims: ReadonlySet<D>;
  filters: ReadonlySet<FilterKey>;
  unitKey: RollupUnitKey;
  /** Whether rows carry sector_id and essential (the procedure attributes beyond eligibility). */
  sector: boolean;
  /** Whether rows carry procedure_id (flows; with the sector attributes). */
  procedure?: boolean;
  /** A national rollup summed from another national one whose key includes its own (refreshed after it). */
  derivedFrom?: string;
  /**
   * Stocks only: rows also carry `last_online`, the last month up to the date with an online
   * dossier for the service (online levels only), for SERVICES_WITH_ONLINE_FILINGS. Such a rollup
   * follows the filings too: refreshed for the top-level units whose filings changed.
   */
  onlineFilings?: boolean;
  /**
   * Flows only: 'year' when a row sums a calendar year (`month` its first day; `first_month` and
   * `last_month` the months with data it holds); covers whole years only. Otherwise monthly.
   */
  grain?: 'year';
  /**
   * Days only, for a rollup without source_id in its key: the table listing the sources present
   * per (month, unit kinds), which the answer's `sources` are read from instead.
   */
  sourcesTable?: string;
}

const UNIT_DIMS = [D.PERIOD, D.UNIT, D.PROVINCE, D.UNIT_KIND];
const UNIT_FILTERS: FilterKey[] = ['unit', 'province', 'unitKinds'];
const CATALOGUE_DIMS = [D.SECTOR, D.ESSENTIAL, D.ELIGIBLE];
const CATALOGUE_FILTERS: FilterKey[] = ['sector', 'essential', 'eligible'];

const NATION_DIMS = [D.PERIOD, D.UNIT_KIND, ...CATALOGUE_DIMS];
const NATION_FILTERS: FilterKey[] = ['unitKinds', ...CATALOGUE_FILTERS];

/**
 * Smallest first: the engine takes the first that covers a query. Rows at 10M filing rows
 * (bench): l1 12k, nation_sector about 10k, procedure 383k, sector 1.15M, unit 128k (one row
 * per reporting unit and month: most procedures of a unit sum into it, but it covers every tier,
 * so it comes after those it would replace).
 */
export const ROLLUPS: readonly RollupDef[] = [
  { table: 'filing_rollup_l1', stream: 'flow', unitKey: 'l1', dims: new Set(UNIT_DIMS), filters: new Set(UNIT_FILTERS), sector: false },
  // Sector × month for the nation (issue 11): 50 sectors a month, where filing_rollup_sector has one per top-level unit too (144k rows for 2024 at 10M).
  {
    table: 'filing_rollup_nation_sector', stream: 'flow', unitKey: 'nation', sector: true, derivedFrom: 'filing_rollup_procedure',
    dims: new Set(NATION_DIMS), filters: new Set(NATION_FILTERS),
  },
  // Group by procedure over whole years (issue 11): 2024 is 4,000 rows here at 10M filing rows, 48,000 in the monthly one below.
  {
    table: 'filing_rollup_procedure_year', stream: 'flow', unitKey: 'nation', sector: true, procedure: true, grain: 'year',
    derivedFrom: 'filing_rollup_procedure', dims: new Set([...NATION_DIMS, D.PROCEDURE]), filters: new Set<FilterKey>([...NATION_FILTERS, 'procedure']),
  },
  // Group by procedure (issue 11): the base tables' answer read 1.26M facts for a year at 10M rows, 2.4× the hand-written SQL.
  {
    table: 'filing_rollup_procedure', stream: 'flow', unitKey: 'nation', sector: true, procedure: true,
    dims: new Set([...NATION_DIMS, D.PROCEDURE]), filters: new Set<FilterKey>([...NATION_FILTERS, 'procedure']),
  },
  {
    table: 'filing_rollup_sector', stream: 'flow', unitKey: 'l1', sector: true,
    dims: new Set([...UNIT_DIMS, ...CATALOGUE_DIMS]),
    filters: new Set<FilterKey>([...UNIT_FILTERS, ...CATALOGUE_FILTERS]),
  },
  // Units below the top tier (communes; issue 11): one row per reporting unit and month instead of one per procedure.
  { table: 'filing_rollup_unit', stream: 'flow', unitKey: 'unit', dims: new Set(UNIT_DIMS), filters: new Set(UNIT_FILTERS), sector: false },
  // Stocks by sector for the nation (issue 11, level share by sector): summed from service_stock_rollup_sector
  // over its top-level units, so a date reads a row per sector and level instead of one per top-level unit too.
  {
    table: 'service_stock_rollup_nation_sector', stream: 'stock', unitKey: 'nation', sector: true, derivedFrom: 'service_stock_rollup_sector',
    dims: new Set([D.PERIOD, D.UNIT_KIND, D.ELIGIBLE, D.LEVEL, D.SECTOR, D.ESSENTIAL]),
    filters: new Set<FilterKey>(['unitKinds', 'eligible', 'levels', 'sector', 'essential']),
  },
  {
    table: 'service_stock_rollup_l1', stream: 'stock', unitKey: 'l1', sector: false,
    dims: new Set([...UNIT_DIMS, D.ELIGIBLE, D.LEVEL]),
    filters: new Set<FilterKey>([...UNIT_FILTERS, 'eligible', 'levels']),
  },
  {
    table: 'service_stock_rollup_sector', stream: 'stock', unitKey: 'l1', sector: true,
    dims: new Set([...UNIT_DIMS, D.ELIGIBLE, D.LEVEL, D.SECTOR, D.ESSENTIAL]),
    filters: new Set<FilterKey>([...UNIT_FILTERS, 'eligible', 'levels', 'sector', 'essential']),
  },
  // Services with online filings (issue 11): service_stock_rollup_l1's keys and the last month with an online dossier.
  {
    table: 'service_stock_rollup_online_filings', stream: 'stock', unitKey: 'l1', sector: false, onlineFilings: true,
    dims: new Set([...UNIT_DIMS, D.ELIGIBLE, D.LEVEL]),
    filters: new Set<FilterKey>([...UNIT_FILTERS, 'eligible', 'levels']),
  },
  // Dossier measures (issue 13), by top-level unit: processing days by resolution month (a histogram), dossiers in progress and
  // overdue over time (run-length encoded). Keyed by procedure they would be about as large as the dossiers themselves (0.7 dossiers
  // per unit, procedure and month in the national simulator world), so procedure and sector queries read the dossier store.
  // The nation by month (issue 13, "processing time by month"): summed over sources and top-level units, 2024 is 1,219 rows and
  // 792 source rows in the national world, where the monthly one below has 49,035 (each province is its own feed).
  {
    table: 'dossier_days_rollup_nation', stream: 'days', unitKey: 'nation', derivedFrom: 'dossier_days_rollup_l1',
    sourcesTable: 'dossier_days_sources_nation', dims: new Set([D.PERIOD, D.UNIT_KIND]), filters: new Set<FilterKey>(['unitKinds']), sector: false,
  },
  // Whole years (a year by province: 12 times fewer rows than by month), summed from the monthly one.
  {
    table: 'dossier_days_rollup_l1_year', stream: 'days', unitKey: 'l1', grain: 'year', derivedFrom: 'dossier_days_rollup_l1',
    dims: new Set(UNIT_DIMS), filters: new Set(UNIT_FILTERS), sector: false,
  },
  { table: 'dossier_days_rollup_l1', stream: 'days', unitKey: 'l1', dims: new Set(UNIT_DIMS), filters: new Set(UNIT_FILTERS), sector: false },
  { table: 'dossier_open_rollup_l1', stream: 'open', unitKey: 'l1', dims: new Set(UNIT_DIMS), filters: new Set(UNIT_FILTERS), sector: false },
];

/**
 * Unit keys of a rollup row, per unit (13k rows, not per fact). Only ambiguity at the tiers a
 * rollup covers (nation, province, ministry) is kept.
 */
// MATERIALIZED: inlined, the partial-kinds array was rebuilt per fact row (2.6M) instead of per unit.
const unitKeysCte = (l1s: string) => `um AS MATERIALIZED (
  SELECT unit_id, valid_from, valid_to, l1_id, cur_l1_id, kind AS unit_kind, cur_kind AS cur_unit_kind,
    ARRAY(SELECT k FROM unnest(partial_kinds) k WHERE k IN ('nation', 'province', 'ministry') ORDER BY k) AS partial_kinds
  FROM unit_map WHERE (${l1s}::int[] IS NULL OR l1_id = ANY(${l1s}::int[])))`;
const UNIT_KEY_COLUMNS = ['l1_id', 'cur_l1_id', 'unit_kind', 'cur_unit_kind', 'partial_kinds'];

/** Key columns of a flow rollup row and the SQL reading each from a fact `f`, its unit keys `m` and procedure `p`. */
function flowKeys(r: RollupDef): { columns: string[]; select: string[] } {
  const unit: Record<RollupUnitKey, [string, string][]> = {
    l1: UNIT_KEY_COLUMNS.map((c) => [c, `m.${c}`]),
    unit: [['unit_id', 'f.unit_id'], ['l1_id', 'm.l1_id']],
    nation: [['unit_kind', 'm.unit_kind'], ['cur_unit_kind', 'm.cur_unit_kind']],
  };
  const catalogue: [string, string][] = [
    ...(r.procedure ? [['procedure_id', 'f.procedure_id'] as [string, string]] : []),
    ...(r.sector ? [['sector_id', 'p.sector_id'], ['essential', 'p.essential'], ['eligible', 'p.eligible_full_online']] as [string, string][] : []),
  ];
  const keys: [string, string][] = [['month', 'f.month'], ['source_id', 'f.source_id'], ...unit[r.unitKey], ...catalogue];
  return { columns: keys.map(([c]) => c), select: keys.map(([, sql]) => sql) };
}

/**
 * Recomputes a flow rollup's cells, written in month order: queries read a period, and a rebuild
 * written in hash order spread 2024's 38k rows of filing_rollup_procedure over 4,581 of its
 * blocks (1M filing rows), about all of them; in month order a year is an eighth of the table.
 * Keyed by unit (l1, unit), a cell is a month and a top-level unit: $1 months, $2 top-level
 * units, or $3/$4 (month, top-level unit) pairs. A national rollup has no unit in its key: its
 * cells are months ($1), recomputed from every unit's facts.
 */
function flowRefresh(r: RollupDef): string {
  const { columns, select } = flowKeys(r);
  const national = r.unitKey === 'nation';
  return `INSERT INTO ${r.table} (${columns.join(', ')}, rows, ${FLOW_COLUMNS.join(', ')})
    WITH ${unitKeysCte(national ? 'NULL' : '$2')}
    SELECT ${select.join(', ')}, count(*), ${FLOW_COLUMNS.map((c) => `sum(f.${c})`).join(', ')}
    FROM filing_stat f JOIN um m ON m.unit_id = f.unit_id ${r.sector ? 'JOIN procedure p ON p.id = f.procedure_id' : ''}
    WHERE ($1::date[] IS NULL OR f.month = ANY($1::date[]))
      ${national ? '' : 'AND ($3::date[] IS NULL OR (f.month, m.l1_id) IN (SELECT * FROM unnest($3::date[], $4::int[])))'}
    GROUP BY ${columns.map((_, i) => i + 1).join(', ')}
    ORDER BY 1`;
}

/** A national rollup from the one it is derived from, for months $1 (null: all): a sum over its finer key. */
function derivedRefresh(r: RollupDef & { derivedFrom: string }): string {
  const { columns } = flowKeys(r);
  // A yearly rollup: each year's months summed, and which of them had data.
  const [keys, span] = r.grain === 'year'
    ? [columns.map((c) => (c === 'month' ? `date_trunc('year', month)::date` : c)), ['first_month', 'last_month']]
    : [columns, []];
  return `INSERT INTO ${r.table} (${[...columns, ...span].join(', ')}, rows, ${FLOW_COLUMNS.join(', ')})
    SELECT ${[...keys, ...(span.length ? ['min(month)', 'max(month)'] : [])].join(', ')}, sum(rows), ${FLOW_COLUMNS.map((c) => `sum(${c})`).join(', ')}
    FROM ${r.derivedFrom} WHERE $1::date[] IS NULL OR month = ANY($1::date[])
    GROUP BY ${columns.map((_, i) => i + 1).join(', ')}
    ORDER BY 1`;
}

/** The first days of the years holding these months ("YYYY-MM-DD"), and every month of those years; null: all. */
function yearsOf(months: string[] | null): { years: string[] | null; months: string[] | null } {
  if (months === null) return { years: null, months: null };
  const years = [...new Set(months.map((m) => `${yearOf(m)}-01-01`))];
  return { years, months: years.flatMap((y) => Array.from({ length: 12 }, (_, i) => addMonths(y, i))) };
}

/** Key columns of a stock rollup row. */
function stockKeys(r: RollupDef): string[] {
  const unit = r.unitKey === 'nation' ? ['unit_kind', 'cur_unit_kind'] : ['l1_id', 'cur_l1_id', 'unit_kind', 'cur_unit_kind', 'partial_kinds'];
  return ['source_id', ...unit, 'eligible', 'taxonomy', 'level', 'integrated', ...(r.sector ? ['sector_id', 'essential'] : []),
    ...(r.onlineFilings ? ['last_online'] : [])];
}

/** The tail of a stock refresh: events `ev` (key, at, delta) summed per key and date, then run-length encoded. */
function runLengths(k: string): string {
  return `net AS (SELECT ${k}, at, sum(delta) AS delta FROM ev GROUP BY ${k}, at HAVING sum(delta) <> 0),
    run AS (
      SELECT ${k}, at, lead(at) OVER w AS next_at, sum(delta) OVER w AS services
      FROM net WINDOW w AS (PARTITION BY ${k} ORDER BY at)
    )
    SELECT at, next_at, ${k}, services FROM run WHERE services <> 0`;
}

/**
 * A national stock rollup from the one it is derived from (every top-level unit): each row's
 * count starts at its valid_from and ends at its valid_to, summed over the coarser key.
 */
function derivedStockRefresh(r: RollupDef & { derivedFrom: string }): string {
  const k = stockKeys(r).join(', ');
  return `INSERT INTO ${r.table} (valid_from, valid_to, ${k}, services)
    WITH ev AS (
      SELECT ${k}, valid_from AS at, services AS delta FROM ${r.derivedFrom}
      UNION ALL
      SELECT ${k}, valid_to AS at, -services AS delta FROM ${r.derivedFrom} WHERE valid_to IS NOT NULL
    ),
    ${runLengths(k)}`;
}

/**
 * Run-length encodes each key's service count over time: every level row is a span
 * [valid_from, next valid_from) clipped to its unit's validity; +1/-1 at the span ends, summed
 * per key and date, give the count between consecutive change dates.
 *
 * With onlineFilings, an online level's span is cut further at each month with an online dossier
 * for its service (`filed`: from that month to the next such month, and before the first one a
 * piece without any), each piece keyed by that month (`last_online`). That is a piece per online
 * service-month with dossiers (about 9M at 10M filing rows, read once for a rebuild, by top-level
 * unit after an ingest); summed per key and date they come back to about as many rows as months
 * times the few `last_online` values a key has on a date.
 */
function stockRefresh(r: RollupDef): string {
  const keys = stockKeys(r);
  const k = keys.join(', ');
  const levelSpans = `SELECT sl.source_id, m.l1_id, m.cur_l1_id, m.unit_kind, m.cur_unit_kind, m.partial_kinds,
        p.eligible_full_online AS eligible, sl.taxonomy, sl.level, sl.integrated_national AS integrated
        ${r.sector ? ', p.sector_id, p.essential' : ''}
        ${r.onlineFilings ? ', s.unit_id, s.procedure_id' : ''},
        greatest(sl.valid_from, coalesce(m.valid_from, '-infinity'::date)) AS f,
        least(coalesce(lead(sl.valid_from) OVER (PARTITION BY sl.service_id ORDER BY sl.valid_from), 'infinity'::date),
              coalesce(m.valid_to + 1, 'infinity'::date)) AS t
      FROM service_level sl JOIN service s ON s.id = sl.service_id JOIN um m ON m.unit_id = s.unit_id
      JOIN procedure p ON p.id = s.procedure_id`;
  const spans = r.onlineFilings
    ? `level_spans AS (${levelSpans}),
    filed AS (
      SELECT f.unit_id, f.procedure_id, f.month, lead(f.month) OVER w AS next_month, row_number() OVER w AS n
      -- By unit through filing_stat's key (OFFSET 0 keeps it a per-unit lookup): joined, the planner guessed half the table for one province's 653 units
      -- and read all 8.9M rows (17 of 23 s at 10M filing rows, loaded machine).
      FROM um m CROSS JOIN LATERAL (SELECT * FROM filing_stat f WHERE f.unit_id = m.unit_id AND f.received_online > 0 OFFSET 0) f
      WINDOW w AS (PARTITION BY f.unit_id, f.procedure_id ORDER BY f.month)
    ),
    filed_spans AS (
      SELECT unit_id, procedure_id, month AS last_online, month AS xf, coalesce(next_month, 'infinity'::date) AS xt FROM filed
      UNION ALL
      SELECT unit_id, procedure_id, NULL::date, '-infinity'::date, month FROM filed WHERE n = 1
    ),
    spans AS (
      SELECT ${keys.filter((c) => c !== 'last_online').map((c) => `l.${c}`).join(', ')}, x.last_online,
        greatest(l.f, coalesce(x.xf, l.f)) AS f, least(l.t, coalesce(x.xt, l.t)) AS t
      FROM level_spans l LEFT JOIN filed_spans x ON l.level IN (${ONLINE_LEVELS.map((v) => `'${v}'`).join(', ')})
        AND x.unit_id = l.unit_id AND x.procedure_id = l.procedure_id AND x.xf < l.t AND x.xt > l.f
    )`
    : `spans AS (${levelSpans})`;
  return `INSERT INTO ${r.table} (valid_from, valid_to, ${k}, services)
    WITH ${unitKeysCte('$1')},
    ${spans},
    ev AS (
      SELECT ${k}, f AS at, 1 AS delta FROM spans WHERE f < t
      UNION ALL
      SELECT ${k}, t AS at, -1 AS delta FROM spans WHERE f < t AND t <> 'infinity'::date
    ),
    ${runLengths(k)}`;
}

/**
 * Dossier rollups (dossier_days_rollup_l1, dossier_open_rollup_l1) of one cell: a source's
 * dossiers ($1; the dossier table is partitioned by source, so this reads one partition) of
 * top-level units $2 (null: all); `source` null: every source (a rebuild).
 */
function dossierSource(source: number | null): string {
  // Spelled per case (not "$1 IS NULL OR ..."), so that the one-source text prunes to its partition whatever the plan.
  return source === null ? '$1::int IS NULL' : 'x.source_id = $1::int';
}

/**
 * The processing-days histogram: per resolution month and key, one row per day count, those of
 * POOLED_DAYS_FROM days or more pooled in one (the open top bucket) with their exact sum and largest.
 */
function dossierDaysRefresh(table: string, source: number | null): string {
  const days = 'x.resolved_on - x.received_on';
  return `INSERT INTO ${table} (month, source_id, ${UNIT_KEY_COLUMNS.join(', ')}, days, dossiers, total_days, max_days)
    WITH ${unitKeysCte('$2')}
    SELECT date_trunc('month', x.resolved_on)::date, x.source_id, ${UNIT_KEY_COLUMNS.map((c) => `m.${c}`).join(', ')},
      least(${days}, ${POOLED_DAYS_FROM}), count(*), sum(${days}), max(${days})
    FROM dossier x JOIN um m ON m.unit_id = x.unit_id
    WHERE ${dossierSource(source)} AND x.resolved_on IS NOT NULL AND x.received_on IS NOT NULL
    GROUP BY ${[...Array(UNIT_KEY_COLUMNS.length + 3).keys()].map((i) => i + 1).join(', ')}
    ORDER BY 1`;
}

/**
 * Dossiers in progress and overdue at the end of each day, per key, run-length encoded over
 * [valid_from, valid_to) like the stock rollups (see runLengths): a dossier is in progress over
 * [received_on, resolved_on) (resolved on a day, it no longer is at that day's end; open, to no
 * end), and overdue over [greatest(due_on + 1, received_on), resolved_on): from the day after its
 * due day (due_on < date), once received. Each span gives +1 at its start and -1 at its end;
 * summed per day and accumulated, they give the counts on every day from the day's events alone.
 * This is the identity in_progress(D) = #received<=D - #resolved<=D, and overdue(D) =
 * #{unresolved, due<D} + #{resolved late, due<D} - #{resolved late, resolved<=D}, where "late" is
 * by day (resolved_on > due_on), not the on-time flag (an instant NgayTra <= NgayHenTra): a
 * dossier flagged late but resolved on its due day is never overdue at a day's end, while the
 * identity by flag would count it -1 on that day. Dossiers without a due day are never overdue.
 */
function dossierOpenRefresh(table: string, source: number | null): string {
  const k = ['source_id', ...UNIT_KEY_COLUMNS].join(', ');
  return `INSERT INTO ${table} (valid_from, valid_to, ${k}, in_progress, overdue)
    WITH ${unitKeysCte('$2')},
    x AS (
      SELECT x.source_id, ${UNIT_KEY_COLUMNS.map((c) => `m.${c}`).join(', ')}, x.received_on, x.resolved_on,
        x.due_on IS NOT NULL AS has_due, greatest(x.due_on + 1, x.received_on) AS overdue_from
      FROM dossier x JOIN um m ON m.unit_id = x.unit_id
      WHERE ${dossierSource(source)} AND x.received_on IS NOT NULL
    ),
    ev AS (
      SELECT ${k}, received_on AS at, 1 AS dp, 0 AS dov FROM x WHERE resolved_on IS NULL OR resolved_on > received_on
      UNION ALL
      SELECT ${k}, resolved_on, -1, 0 FROM x WHERE resolved_on > received_on
      UNION ALL
      SELECT ${k}, overdue_from, 0, 1 FROM x WHERE has_due AND (resolved_on IS NULL OR resolved_on > overdue_from)
      UNION ALL
      SELECT ${k}, resolved_on, 0, -1 FROM x WHERE has_due AND resolved_on > overdue_from
    ),
    net AS (SELECT ${k}, at, sum(dp) AS dp, sum(dov) AS dov FROM ev GROUP BY ${k}, at HAVING sum(dp) <> 0 OR sum(dov) <> 0),
    run AS (
      SELECT ${k}, at, lead(at) OVER w AS next_at, sum(dp) OVER w AS in_progress, sum(dov) OVER w AS overdue
      FROM net WINDOW w AS (PARTITION BY ${k} ORDER BY at)
    )
    SELECT at, next_at, ${k}, in_progress, overdue FROM run WHERE in_progress <> 0 OR overdue <> 0`;
}

/** A dossier rollup cell's rows ($1 source, null: all; $2 top-level units, null: all). */
const CELL_ROWS = '($1::int IS NULL OR source_id = $1::int) AND ($2::int[] IS NULL OR l1_id = ANY($2::int[]))';

/** A yearly processing-days histogram from the monthly one it is derived from, for a cell ($1 source, null: all; $2 top-level units, null: all). */
function dossierDaysYearRefresh(r: RollupDef & { derivedFrom: string }): string {
  const keys = ['source_id', ...UNIT_KEY_COLUMNS, 'days'];
  return `INSERT INTO ${r.table} (month, ${keys.join(', ')}, first_month, last_month, dossiers, total_days, max_days)
    SELECT date_trunc('year', month)::date, ${keys.join(', ')}, min(month), max(month), sum(dossiers), sum(total_days), max(max_days)
    FROM ${r.derivedFrom} WHERE ${CELL_ROWS}
    GROUP BY ${[...Array(keys.length + 1).keys()].map((i) => i + 1).join(', ')}
    ORDER BY 1`;
}

/**
 * A national processing-days histogram (no source, no unit in its key) for months $1 (null: all),
 * summed from the monthly one it is derived from, and the sources present in each of its months
 * and unit kinds (its sourcesTable), so an answer from it names the same sources.
 */
function dossierDaysNationRefresh(r: RollupDef & { derivedFrom: string; sourcesTable: string }): string[] {
  const months = '$1::date[] IS NULL OR month = ANY($1::date[])';
  return [
    `INSERT INTO ${r.table} (month, unit_kind, cur_unit_kind, days, dossiers, total_days, max_days)
    SELECT month, unit_kind, cur_unit_kind, days, sum(dossiers), sum(total_days), max(max_days)
    FROM ${r.derivedFrom} WHERE ${months} GROUP BY 1, 2, 3, 4 ORDER BY 1`,
    `INSERT INTO ${r.sourcesTable} (month, unit_kind, cur_unit_kind, source_id)
    SELECT DISTINCT month, unit_kind, cur_unit_kind, source_id FROM ${r.derivedFrom} WHERE ${months} ORDER BY 1`,
  ];
}

/** A dossier rollup cell: a source (null: every source) and its top-level units (null: all). */
interface DossierCell { source: number | null; l1s: number[] | null }

/**
 * Copies a cell's rows of a rollup keyed by source and top-level unit aside; the function returned
 * gives the months ("YYYY-MM-DD") whose rows in the cell differ now, and drops the copy. A sync
 * changes a few months of a source whose rows span its whole history (96 months in the national
 * world), and a national month recomputed reads every source's rows of that month.
 */
async function cellChanges(tx: SqlClient, table: string, c: DossierCell): Promise<() => Promise<string[]>> {
  const copy = `${table}_before`;
  await tx.query(`CREATE TEMP TABLE ${copy} (LIKE ${table}) ON COMMIT DROP`);
  await tx.query(`INSERT INTO ${copy} SELECT * FROM ${table} WHERE ${CELL_ROWS}`, [c.source, c.l1s]);
  return async () => {
    const rows = await tx.query<{ m: string }>(`SELECT DISTINCT to_char(month, 'YYYY-MM-DD') AS m FROM (
        (SELECT * FROM ${copy} EXCEPT ALL SELECT * FROM ${table} WHERE ${CELL_ROWS})
        UNION ALL
        (SELECT * FROM ${table} WHERE ${CELL_ROWS} EXCEPT ALL SELECT * FROM ${copy})) x`, [c.source, c.l1s]);
    await tx.query(`DROP TABLE ${copy}`);
    return rows.map((r) => r.m);
  };
}

/**
 * Recomputes the dossier rollups' cells (each from its source's partition: the dossier store has
 * no index by unit), then the national ones for every month whose rows a cell's refresh changed:
 * a national month sums every cell, so it is recomputed whole.
 */
async function refreshDossiers(tx: SqlClient, cells: DossierCell[]): Promise<number> {
  let rows = 0;
  const dossierRollups = ROLLUPS.filter((r) => r.stream === 'days' || r.stream === 'open');
  // Derived rollups after the ones they are summed from.
  const perCell = dossierRollups.filter((r) => r.unitKey !== 'nation')
    .sort((a, b) => Number(a.derivedFrom !== undefined) - Number(b.derivedFrom !== undefined));
  const national = dossierRollups.filter((r): r is RollupDef & { derivedFrom: string; sourcesTable: string } =>
    r.unitKey === 'nation' && r.derivedFrom !== undefined && r.sourcesTable !== undefined);
  const sums = [...new Set(national.map((r) => r.derivedFrom))];
  // Per table summed from: the months changed (null: every month, after a rebuild).
  const touched = new Map<string, Set<string> | null>(sums.map((t) => [t, new Set<string>()]));
  for (const c of cells) {
    const everything = c.source === null && c.l1s === null;
    const changes: [string, () => Promise<string[]>][] = [];
    for (const t of sums) {
      if (everything) touched.set(t, null);
      else changes.push([t, await cellChanges(tx, t, c)]);
    }
    for (const r of perCell) {
      await tx.query(`DELETE FROM ${r.table} WHERE ${CELL_ROWS}`, [c.source, c.l1s]);
      const text = r.derivedFrom !== undefined ? dossierDaysYearRefresh({ ...r, derivedFrom: r.derivedFrom })
        : r.stream === 'days' ? dossierDaysRefresh(r.table, c.source) : dossierOpenRefresh(r.table, c.source);
      rows += await insertCount(tx, text, [c.source, c.l1s]);
    }
    for (const [t, changed] of changes) {
      const months = await changed();
      const set = touched.get(t);
      if (set) for (const m of months) set.add(m);
    }
  }
  for (const r of national) {
    const set = touched.get(r.derivedFrom);
    const months = set ? [...set] : null;
    if (months?.length === 0) continue;
    await tx.query(`DELETE FROM ${r.table} WHERE $1::date[] IS NULL OR month = ANY($1::date[])`, [months]);
    await tx.query(`DELETE FROM ${r.sourcesTable} WHERE $1::date[] IS NULL OR month = ANY($1::date[])`, [months]);
    const [histogram, sources] = dossierDaysNationRefresh(r);
    rows += await insertCount(tx, histogram, [months]);
    await insertCount(tx, sources, [months]);
  }
  return rows;
}

/**
 * The dossier cells rollup_dirty lists among `ids` (kind 'dossier': a source and a unit, 0 for all
 * of the source's, a null source for every source), merged per source; `all`: everything
 * (reference changes that move top-level units or procedure attributes, listed as flow 0).
 */
async function dirtyDossierCells(tx: SqlClient, ids: string[], all: boolean): Promise<DossierCell[]> {
  if (all) return [{ source: null, l1s: null }];
  const rows = await tx.query<{ source: number | null; l1s: (number | null)[] }>(
    `SELECT d.source_id AS source, array_agg(DISTINCT CASE WHEN d.unit_id = 0 THEN NULL ELSE m.l1_id END) AS l1s
     FROM rollup_dirty d LEFT JOIN unit_map m ON m.unit_id = d.unit_id
     WHERE d.kind = 'dossier' AND d.id = ANY($1::bigint[]) GROUP BY 1`, [ids]);
  if (rows.some((r) => r.source === null && r.l1s.includes(null))) return [{ source: null, l1s: null }];
  return rows.map((r) => ({ source: r.source, l1s: r.l1s.includes(null) ? null : (r.l1s as number[]) }));
}

export interface RollupScope {
  /** Months ("YYYY-MM" or "YYYY-MM-DD") whose filing figures changed; omitted: every month. */
  months?: string[];
  /** Units whose facts changed (filings or service levels); omitted: every unit. */
  unitIds?: number[];
  /** Refresh the filing rollups (default true). */
  filings?: boolean;
  /** Refresh the service stock rollups (default true). Service levels are not monthly: a unit's whole history is redone. */
  services?: boolean;
  /** Refresh the dossier rollups (default true), every source's, for the units' whole history. */
  dossiers?: boolean;
}

export interface RollupRefreshResult {
  filingRows: number;
  stockRows: number;
  /** Rows written to the dossier rollups. */
  dossierRows: number;
  ms: number;
}

/** Which flow cells to recompute: all, the cross product of months and top-level units, or (month, unit) pairs. */
interface FlowCells { months: string[] | null; l1s: number[] | null; pairs: { months: string[]; l1s: number[] } | null }

/** Runs an INSERT ... SELECT and returns how many rows it wrote (counted like any statement). */
async function insertCount(tx: SqlClient, text: string, params: unknown[]): Promise<number> {
  queryCounter.record(text);
  const res = await tx.client.query(text, params);
  return res.rowCount ?? 0;
}

/** The months a national rollup recomputes for these cells: those named (by list or pairs); null: every month. */
function nationalMonths(c: FlowCells): string[] | null {
  if (c.pairs) return [...new Set(c.pairs.months)];
  return c.months;
}

async function refreshFlows(tx: SqlClient, c: FlowCells): Promise<number> {
  let rows = 0;
  const params = [c.months, c.l1s, c.pairs?.months ?? null, c.pairs?.l1s ?? null];
  // The planner guesses a group per fact row and sorts them all on disk (15 s after a national
  // load); hashing the ~300k actual groups takes 4 s. For these statements only; restored below.
  const [{ was }] = await tx.query<{ was: string }>(`SELECT current_setting('enable_sort') AS was`);
  await tx.query(`SELECT set_config('enable_sort', 'off', true)`);
  // Derived rollups after the ones they are summed from.
  const flows = ROLLUPS.filter((x) => x.stream === 'flow').sort((a, b) => Number(a.derivedFrom !== undefined) - Number(b.derivedFrom !== undefined));
  for (const r of flows) {
    if (r.unitKey === 'nation') {
      // A month of a national rollup sums every unit: recomputed whole for each month touched.
      // A yearly one: the whole years those months fall in.
      const months = nationalMonths(c);
      const cells = r.grain === 'year' ? yearsOf(months) : { years: months, months };
      await tx.query(`DELETE FROM ${r.table} WHERE $1::date[] IS NULL OR month = ANY($1::date[])`, [cells.years]);
      const text = r.derivedFrom !== undefined ? derivedRefresh({ ...r, derivedFrom: r.derivedFrom }) : flowRefresh(r);
      rows += await insertCount(tx, text, [cells.months]);
      continue;
    }
    // DELETE rather than TRUNCATE even for a rebuild: readers keep their snapshot instead of waiting.
    await tx.query(`DELETE FROM ${r.table} WHERE ($1::date[] IS NULL OR month = ANY($1::date[])) AND ($2::int[] IS NULL OR l1_id = ANY($2::int[]))
      AND ($3::date[] IS NULL OR (month, l1_id) IN (SELECT * FROM unnest($3::date[], $4::int[])))`, params);
    rows += await insertCount(tx, flowRefresh(r), params);
  }
  await tx.query(`SELECT set_config('enable_sort', $1, true)`, [was]);
  return rows;
}

/**
 * Recomputes stock rollups for top-level units (null: all): every one after a change of service
 * levels, only those following the filings (onlineFilings) after a change of filings.
 */
async function refreshStocks(tx: SqlClient, l1s: number[] | null, which: 'all' | 'onlineFilings' = 'all'): Promise<number> {
  let rows = 0;
  // Derived rollups after the ones they are summed from; a national one is recomputed whole (its rows sum every unit).
  const stocks = ROLLUPS.filter((x) => x.stream === 'stock' && (which === 'all' || x.onlineFilings))
    .sort((a, b) => Number(a.derivedFrom !== undefined) - Number(b.derivedFrom !== undefined));
  for (const r of stocks) {
    if (r.derivedFrom !== undefined) {
      await tx.query(`DELETE FROM ${r.table}`);
      rows += await insertCount(tx, derivedStockRefresh({ ...r, derivedFrom: r.derivedFrom }), []);
      continue;
    }
    await tx.query(`DELETE FROM ${r.table} WHERE $1::int[] IS NULL OR l1_id = ANY($1::int[])`, [l1s]);
    rows += await insertCount(tx, stockRefresh(r), [l1s]);
  }
  return rows;
}

/**
 * Brings the rollups up to date. Without a scope, recomputes what the fact-table triggers listed
 * in rollup_dirty since the last refresh (every writer is covered, whoever it is) and empties
 * that list: this is the call for the end of an ingest or sync transaction. With a scope,
 * recomputes those months and units (`{}`: everything, see rebuildRollups) and clears what it
 * covered from the list.
 *
 * Call it inside the transaction that wrote the facts, so base tables and rollups are committed
 * together; given the pool, it opens its own transaction. Refreshes are serialised by an advisory
 * lock, so each sees the facts the previous one committed. Until a refresh, aggregates read the
 * base tables (same results, slower).
 */
export async function refreshRollups(db: Sql | SqlClient, scope?: RollupScope): Promise<RollupRefreshResult> {
  if (db instanceof Sql) return db.transaction((tx) => refreshRollups(tx, scope));
  const started = Date.now();
  await db.query(`SELECT pg_advisory_xact_lock(hashtext('dvc-gateway:rollups'))`);
  let filingRows = 0;
  let stockRows = 0;
  let dossierRows = 0;
  if (scope === undefined) {
    const [q] = await db.query<{ ids: string[] | null; flow_all: boolean; stock_all: boolean; flow: boolean; stock: boolean; dossier: boolean }>(
      `SELECT array_agg(id) AS ids, coalesce(bool_or(kind = 'flow' AND unit_id = 0), false) AS flow_all,
         coalesce(bool_or(kind = 'stock' AND unit_id = 0), false) AS stock_all,
         coalesce(bool_or(kind = 'flow'), false) AS flow, coalesce(bool_or(kind = 'stock'), false) AS stock,
         coalesce(bool_or(kind = 'dossier'), false) AS dossier
       FROM rollup_dirty`);
    if (!q.ids) return { filingRows, stockRows, dossierRows, ms: Date.now() - started };
    // Top-level units whose filings changed (null: all), for the stock rollups that follow filings.
    let filedL1s: number[] | null | undefined;
    if (q.flow_all) {
      filingRows = await refreshFlows(db, { months: null, l1s: null, pairs: null });
      filedL1s = null;
    } else if (q.flow) {
      const [c] = await db.query<{ months: string[]; l1s: number[] }>(
        `SELECT array_agg(month) AS months, array_agg(l1_id) AS l1s FROM (
           SELECT DISTINCT to_char(d.month, 'YYYY-MM-DD') AS month, m.l1_id FROM rollup_dirty d JOIN unit_map m ON m.unit_id = d.unit_id
           WHERE d.kind = 'flow' AND d.id = ANY($1::bigint[])) x`, [q.ids]);
      // The pairs' top-level units also narrow the unit map, so the facts are read by unit (their key's lead).
      if (c.months) {
        filedL1s = [...new Set(c.l1s)];
        filingRows = await refreshFlows(db, { months: null, l1s: filedL1s, pairs: c });
      }
    }
    let stockL1s: number[] | null | undefined;
    if (q.stock_all) stockL1s = null;
    else if (q.stock) {
      const [c] = await db.query<{ l1s: number[] | null }>(
        `SELECT array_agg(DISTINCT m.l1_id) AS l1s FROM rollup_dirty d JOIN unit_map m ON m.unit_id = d.unit_id
         WHERE d.kind = 'stock' AND d.id = ANY($1::bigint[])`, [q.ids]);
      if (c.l1s) stockL1s = c.l1s;
    }
    if (stockL1s !== undefined) stockRows = await refreshStocks(db, stockL1s);
    // The stock rollups that follow filings, for the units whose filings changed, but those whose stocks were all just recomputed.
    if (filedL1s !== undefined && stockL1s !== null) {
      const rest = filedL1s === null ? null : filedL1s.filter((l1) => !stockL1s?.includes(l1));
      if (rest === null || rest.length > 0) stockRows += await refreshStocks(db, rest, 'onlineFilings');
    }
    // Dossier rollups: the cells the dossier stage listed; everything when the unit tree or the catalogue moved (flow 0).
    if (q.dossier || q.flow_all) dossierRows = await refreshDossiers(db, await dirtyDossierCells(db, q.ids, q.flow_all));
    await db.query('DELETE FROM rollup_dirty WHERE id = ANY($1::bigint[])', [q.ids]);
    return { filingRows, stockRows, dossierRows, ms: Date.now() - started };
  }

  let l1s: number[] | null = null;
  if (scope.unitIds) {
    const [row] = await db.query<{ l1s: number[] | null }>('SELECT array_agg(DISTINCT l1_id) AS l1s FROM unit_map WHERE unit_id = ANY($1::int[])', [scope.unitIds]);
    l1s = row.l1s ?? [];
  }
  const months = scope.months ? [...new Set(scope.months.map(monthStart))] : null;
  const filings = (scope.filings ?? true) && (months === null || months.length > 0) && (l1s === null || l1s.length > 0);
  const services = (scope.services ?? true) && (l1s === null || l1s.length > 0);
  if (filings) {
    filingRows = await refreshFlows(db, { months, l1s, pairs: null });
    // The stock rollups that follow filings, unless all stocks are recomputed below.
    if (!services) stockRows += await refreshStocks(db, l1s, 'onlineFilings');
    // What this covered is no longer stale.
    await db.query(`DELETE FROM rollup_dirty d WHERE d.kind = 'flow'
      AND ((d.unit_id = 0 AND $1::date[] IS NULL AND $2::int[] IS NULL)
        OR (($1::date[] IS NULL OR d.month = ANY($1::date[])) AND ($2::int[] IS NULL OR d.unit_id IN (SELECT unit_id FROM unit_map WHERE l1_id = ANY($2::int[])))))`,
    [months, l1s]);
  }
  if (services) {
    stockRows += await refreshStocks(db, l1s);
    await db.query(`DELETE FROM rollup_dirty d WHERE d.kind = 'stock'
      AND ($1::int[] IS NULL OR d.unit_id IN (SELECT unit_id FROM unit_map WHERE l1_id = ANY($1::int[])))`, [l1s]);
  }
  if ((scope.dossiers ?? true) && (l1s === null || l1s.length > 0)) {
    dossierRows = await refreshDossiers(db, [{ source: null, l1s }]);
    await db.query(`DELETE FROM rollup_dirty d WHERE d.kind = 'dossier'
      AND ($1::int[] IS NULL OR d.unit_id IN (SELECT unit_id FROM unit_map WHERE l1_id = ANY($1::int[])))`, [l1s]);
  }
  return { filingRows, stockRows, dossierRows, ms: Date.now() - started };
}

/** Rebuilds every rollup from the base tables (after bulk loads with triggers off, or reference changes). */
export function rebuildRollups(db: Sql | SqlClient): Promise<RollupRefreshResult> {
  return refreshRollups(db, {});
}
