/**
 * The dossier streams of the aggregate builder (issue 13): dossier measures read the dossier
 * store's days (dossier.received_on, due_on, resolved_on), not the monthly statistics.
 *
 * - days: resolved dossiers by resolution month, as a histogram of processing days per group
 *   (`days`, a row per day count), from which the builder reads percentiles, and their count and
 *   sum of days (the mean).
 * - open: dossiers in progress and overdue at the end of each date of the `dates` CTE (the stock
 *   dates: asOf, or the last day of each period).
 *
 * Each from the dossier store (alias x, with its reporting unit's unit_map row m and procedure p)
 * or from its rollup by top-level unit (alias r; see rollup.service.ts). Dossiers whose receipt day
 * is unknown (stored before it was kept, until their feed re-reads them) are left out.
 */
import { AggregateSpec, filtersUnits } from './aggregate-spec';
import { AggregateDimension as D } from './dimensions';
import { POOLED_DAYS_FROM } from './measures';
import { RollupDef } from './rollup.service';
import { BASE_UNIT, bucketOf, FLOW_CATALOGUE, ROLLUP_CATALOGUE, ROLLUP_UNITS, SourceAttributes, unitIn } from './stream-sources';

export interface DaysSource extends SourceAttributes {
  stream: 'days';
  /** The resolution month (a yearly rollup's: its year's first), which the period's bounds compare. */
  month: string;
  /** The first and last resolution months a row holds (its month, but in a yearly rollup), for coverage. */
  firstMonth: string;
  lastMonth: string;
  /** A histogram bucket: the processing days (the rollup's pool the top ones in POOLED_DAYS_FROM). */
  days: string;
  /** Aggregates over a bucket's rows: dossiers, their total days, the largest days, whether the bucket is the rollup's pooled top one. */
  dossiers: string;
  totalDays: string;
  maxDays: string;
  pooled: string;
}

export interface OpenSource extends SourceAttributes {
  stream: 'open';
  /** Aggregates over a group's rows on a date: dossiers in progress, overdue. */
  inProgress: string;
  overdue: string;
}

/**
 * A rollup row's unit keys, with its top-level unit's unit_map row (ml) only when the query reads a
 * unit tier or a province: a national answer (by month, by unit kind) needs none of it, and the
 * join was about a third of reading 2024's 49k histogram rows by month (national world, loaded
 * machine). Inner on l1_id, which always has its row: leaving it out drops no row.
 */
function rollupUnits(spec: AggregateSpec, rollup: RollupDef): ReturnType<(typeof ROLLUP_UNITS)[keyof typeof ROLLUP_UNITS]> {
  const units = ROLLUP_UNITS[rollup.unitKey](spec.current);
  const readsUnitMap = spec.groupBy.includes(D.UNIT) || spec.groupBy.includes(D.PROVINCE) || filtersUnits(spec) || spec.filter.provinceCodes !== undefined;
  return readsUnitMap ? units : { ...units, join: '' };
}

const DOSSIER_CATALOGUE = { ...FLOW_CATALOGUE, procedure: 'x.procedure_id' };
const DOSSIER_JOINS = 'JOIN unit_map m ON m.unit_id = x.unit_id JOIN procedure p ON p.id = x.procedure_id';
const PROCESSING_DAYS = '(x.resolved_on - x.received_on)';
const RESOLUTION_MONTH = `date_trunc('month', x.resolved_on)::date`;

/** Resolved dossiers from the dossier store: exact days, nothing pooled. */
export function daysFromBaseTables(spec: AggregateSpec): DaysSource {
  return {
    stream: 'days',
    ctes: [],
    from: `dossier x ${DOSSIER_JOINS}`,
    where: ['x.resolved_on IS NOT NULL', 'x.received_on IS NOT NULL'],
    unit: unitIn(BASE_UNIT, spec.current),
    catalogue: DOSSIER_CATALOGUE,
    level: 'NULL::text',
    source: 'x.source_id',
    bucket: bucketOf(spec.grain, RESOLUTION_MONTH),
    month: RESOLUTION_MONTH,
    firstMonth: RESOLUTION_MONTH,
    lastMonth: RESOLUTION_MONTH,
    days: PROCESSING_DAYS,
    dossiers: 'count(*)',
    totalDays: `sum(${PROCESSING_DAYS})`,
    maxDays: `max(${PROCESSING_DAYS})`,
    pooled: 'false',
  };
}

/**
 * A histogram without sources in its key, with the rows of its sources table after its own: a
 * source's row has no day count (days null) and no dossier, so the stream groups them apart and
 * they add nothing to the counts, but the answer's sources are read from them as from any row.
 * The period's and unit kinds' conditions apply to both (PostgreSQL pushes them into each branch).
 */
function sourcedHistogram(table: string, sourcesTable: string): string {
  return `(SELECT month, unit_kind, cur_unit_kind, NULL::int AS source_id, days, dossiers, total_days, max_days FROM ${table}
    UNION ALL
    SELECT month, unit_kind, cur_unit_kind, source_id, NULL::int, 0, 0, NULL::int FROM ${sourcesTable})`;
}

/** Resolved dossiers from a processing-days rollup (by resolution month or year, and top-level unit). */
export function daysFromRollup(spec: AggregateSpec, rollup: RollupDef): DaysSource {
  const { join, unit } = rollupUnits(spec, rollup);
  return {
    stream: 'days',
    ctes: [],
    from: `${rollup.sourcesTable ? sourcedHistogram(rollup.table, rollup.sourcesTable) : rollup.table} r ${join}`,
    where: [],
    unit,
    catalogue: ROLLUP_CATALOGUE,
    level: 'NULL::text',
    source: 'r.source_id',
    bucket: bucketOf(spec.grain, 'r.month'),
    month: 'r.month',
    firstMonth: rollup.grain === 'year' ? 'r.first_month' : 'r.month',
    lastMonth: rollup.grain === 'year' ? 'r.last_month' : 'r.month',
    days: 'r.days',
    dossiers: 'sum(r.dossiers)',
    totalDays: 'sum(r.total_days)',
    maxDays: 'max(r.max_days)',
    pooled: `bool_or(r.days >= ${POOLED_DAYS_FROM})`,
  };
}

/** Dossiers open at the end of each date (CTE `dates`, alias dd) from the dossier store. */
export function openFromBaseTables(spec: AggregateSpec): OpenSource {
  return {
    stream: 'open',
    ctes: [],
    from: `dates dd JOIN dossier x ON x.received_on <= dd.d AND (x.resolved_on IS NULL OR x.resolved_on > dd.d) ${DOSSIER_JOINS}`,
    where: [],
    unit: unitIn(BASE_UNIT, spec.current),
    catalogue: DOSSIER_CATALOGUE,
    level: 'NULL::text',
    source: 'x.source_id',
    bucket: 'dd.bucket',
    inProgress: 'count(*)',
    overdue: 'count(*) FILTER (WHERE x.due_on < dd.d)',
  };
}

/** Dossiers open at the end of each date from the run-length encoded rollup: one row per key and date. */
export function openFromRollup(spec: AggregateSpec, rollup: RollupDef): OpenSource {
  const { join, unit } = rollupUnits(spec, rollup);
  return {
    stream: 'open',
    ctes: [],
    from: `dates dd JOIN ${rollup.table} r ON daterange(r.valid_from, r.valid_to) @> dd.d ${join}`,
    where: [],
    unit,
    catalogue: ROLLUP_CATALOGUE,
    level: 'NULL::text',
    source: 'r.source_id',
    bucket: 'dd.bucket',
    inProgress: 'sum(r.in_progress)',
    overdue: 'sum(r.overdue)',
  };
}
