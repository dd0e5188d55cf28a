/**
 * The aggregate query builder: one SQL statement per aggregate, returning one JSON document
 * (AggregateStatementResult), written by small named steps, each owning one part of the statement
 * (in the spirit of Cube's BaseQuery, which splits where, group by, having and order by):
 *
 *   filters          filterCtes (filter_units, filter_provinces), filterConditions, periodConditions
 *   sources          flowStreamCte, stockStreamCtes, daysStreamCtes, openStreamCtes: per stream a
 *                    rollup or the base tables (stream-sources.ts, dossier-sources.ts), gated on
 *                    the rollups' freshness (rollup_state); percentileCtes (the days stream's
 *                    histogram read into each percentile asked)
 *   grouping         streamSelect (dimensions as columns, per stream), groupedCtes (`grouped`:
 *                    the streams' sums per group, and includeEmptyUnits' rows)
 *   measures         measuredCte (`measured`: each measure's value, numerator, denominator)
 *   order and rank   orderedCte (`ordered`: having, rank, row numbers), orderTerms, rankColumns
 *   labels           labelLookups (names of units, sectors, procedures), outputColumns (unit
 *                    names on the day the figures are read for: unit_name_at)
 *   result           resultDocument: the rows within the limit, totals, sources, coverage
 *
 * Why a class with methods rather than a pipeline of pure functions: every step reads the same
 * three things (the spec, the measures the statement computes, the parameter list) and parameters
 * are numbered in the order steps add them. One builder per statement holds the three, and build()
 * calls the steps in the order their SQL appears, so that order is visible in one place. Pure
 * functions would each return their fragment with its parameters, and the caller would renumber
 * them: more machinery for the same statement. The declarative tables stay data (MEASURES in
 * measures.ts, the dimensions in dimensions.ts, ROLLUPS in rollup.service.ts); output column names
 * are aggregate-columns.ts's, shared with the result shaping.
 *
 * The statement is the one the former single function wrote, with its common table expressions
 * named for what they hold (fu, fp, rs, gd, g, v, r, src became filter_units, filter_provinces,
 * rollup_state, grouped_with_data, grouped, measured, ordered, source_ids); checked by building
 * 22,000 random specs with both and comparing text and parameters.
 */
import { UnitKind } from '../units/unit.entity';
import { validOnSql } from '../units/unit-validity';
import {
  AGGREGATE_COLUMNS as COL, AggregateStatementResult, combinedResultColumn, DIMENSION_COLUMNS, isLabelled, LABEL_COLUMNS, LabelledDimension,
  measureColumns, MeasureColumns, MissingReferences, UnitLabelColumns,
} from './aggregate-columns';
import { ComparisonOperator, SortDirection } from './aggregate.inputs';
import { AggregateSpec, filtersUnits } from './aggregate-spec';
import { AggregateDimension as D, FULL_LEVELS, ONLINE_LEVELS } from './dimensions';
import { distributionSql } from './distribution.sql';
import { daysFromBaseTables, daysFromRollup, DaysSource, openFromBaseTables, openFromRollup, OpenSource } from './dossier-sources';
import { AggregateMeasure, DAYS_COLUMNS, FLOW_COLUMNS, GROUPED_COLUMNS, MEASURES, OPEN_COLUMNS, POOLED_DAYS_FROM, STOCK_COLUMNS } from './measures';
import { RollupDef } from './rollup.service';
import {
  chooseRollup, FlowSource, flowFromBaseTables, flowFromRollup, StockSource, stockDatesCte, stockFromBaseTables, stockFromRollup,
  Stream, StreamSource,
} from './stream-sources';
import { scopeWindow, unitScopeConditions } from './unit-scope';

export interface BuiltQuery {
  text: string;
  params: unknown[];
  /** Rollup answering each stream used (undefined: base tables). */
  flowRollup?: string;
  stockRollup?: string;
  daysRollup?: string;
  openRollup?: string;
  streams: { flow: boolean; stock: boolean; days: boolean; open: boolean };
  /** The columns of each measure computed (those asked, and those having, orderBy and rankBy read). */
  measureColumns: Map<AggregateMeasure, MeasureColumns>;
  /**
   * How the prepared statement should be planned (plan_cache_mode for its transaction): generic
   * when every stream reads a rollup (small tables, so one plan fits every value, and planning,
   * 25-60 ms of these statements, is skipped on every call, not only after PostgreSQL's five custom
   * plans on one pooled connection); custom when a stream reads the base tables, whose generic
   * plan, costed for a default 0.5% of filing_stat per month range, picked nested loops over
   * 1.29M rows after repeated runs (issue 11).
   */
  planCacheMode: 'force_generic_plan' | 'force_custom_plan';
}

/**
 * Collects parameters: user values never enter the SQL text. Numbering starts after `offset`, so
 * that several built queries can share one statement (see combineQueries).
 */
class Params {
  readonly values: unknown[] = [];
  constructor(private readonly offset = 0) {}
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return `$${this.offset + this.values.length}${cast ? `::${cast}` : ''}`;
  }
}

/** Names of the statement's common table expressions (the streams' own are their Stream names). */
const CTE = {
  filterUnits: 'filter_units',
  filterProvinces: 'filter_provinces',
  rollupState: 'rollup_state',
  groupedWithData: 'grouped_with_data',
  grouped: 'grouped',
  measured: 'measured',
  ordered: 'ordered',
  sourceIds: 'source_ids',
  daysHistogram: 'days_histogram',
  daysRanked: 'days_ranked',
  percentiles: 'days_percentiles',
} as const;

/** Columns of `grouped` beside GROUPED_COLUMNS for the percentiles (filled from days_percentiles, null elsewhere). */
const percentileColumn = (c: MeasureColumns) => `${c.value}_pct`;
const percentileTopColumn = (c: MeasureColumns) => `${c.value}_top`;
const PERCENTILE_MAX_DAYS = 'pct_max_days';

/** Dimensions in the order of their columns (whatever the order of groupBy). */
const DIMENSION_ORDER: D[] = [D.UNIT, D.PROVINCE, D.UNIT_KIND, D.SECTOR, D.PROCEDURE, D.ESSENTIAL, D.ELIGIBLE, D.LEVEL, D.PERIOD];

const COMPARISON_SQL: Record<ComparisonOperator, string> = {
  [ComparisonOperator.GT]: '>', [ComparisonOperator.GTE]: '>=', [ComparisonOperator.LT]: '<', [ComparisonOperator.LTE]: '<=',
  [ComparisonOperator.EQ]: '=', [ComparisonOperator.NE]: '<>',
};

/** Where a labelled dimension's names are read: the table its id points into, under an alias. */
const LABEL_LOOKUPS: Record<LabelledDimension, { table: string; alias: string }> = {
  [D.UNIT]: { table: 'unit', alias: 'ud' },
  [D.PROVINCE]: { table: 'unit', alias: 'up' },
  [D.SECTOR]: { table: 'sector', alias: 'sd' },
  [D.PROCEDURE]: { table: 'procedure', alias: 'pd' },
};

/** The table column behind each label column. */
const LABEL_SOURCE: Record<keyof UnitLabelColumns, string> = {
  id: 'id', code: 'code', name: 'name', kind: 'kind', validFrom: 'valid_from', validTo: 'valid_to',
};

/** Units are labelled with their validity too: a code names a unit only at a date. */
const isUnitLabel = (d: LabelledDimension): d is D.UNIT | D.PROVINCE => d === D.UNIT || d === D.PROVINCE;

const sqlList = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

/**
 * A stream covered by a rollup reads it only while no fact changed since the last refresh
 * (rollup_dirty empty); otherwise the base tables. The check runs once (an InitPlan), and
 * PostgreSQL skips the branch whose one-time filter is false (see streamCte for where it sits).
 */
const ROLLUP_FRESH = `NOT (SELECT stale FROM ${CTE.rollupState})`;
const ROLLUP_STALE = `(SELECT stale FROM ${CTE.rollupState})`;

/** The measures a statement computes, and what they need. */
interface MeasurePlan {
  /** Those asked, then those having, orderBy and rankBy read; a measure's position numbers its columns. */
  columns: Map<AggregateMeasure, MeasureColumns>;
  needsFlows: boolean;
  needsStocks: boolean;
  /** SERVICES_WITH_ONLINE_FILINGS: stocks that look at filings in a window. */
  needsOnlineFilings: boolean;
  /** Dossier measures: processing days of the period's resolved dossiers; dossiers open on the dates. */
  needsDays: boolean;
  needsOpen: boolean;
  /** The percentile measures computed (PROCESSING_DAYS_MEDIAN, _P90), with their fraction. */
  percentiles: { measure: AggregateMeasure; p: number }[];
  /**
   * The grouped columns the measures read (GROUPED_COLUMNS named in their numerator or
   * denominator); the others are a constant 0, not summed. Group by procedure reads 4 of the 8
   * filing counts: summing all 8 over the rollup's 48,000 rows of 2024 was work for nothing.
   */
  reads: ReadonlySet<string>;
}

/** The grouped columns an expression over them names (whole words: `received` is not in `received_online`). */
const columnsIn = (sql: string) => GROUPED_COLUMNS.filter((c) => new RegExp(`\\b${c}\\b`).test(sql));

function planMeasures(spec: AggregateSpec): MeasurePlan {
  const computed = new Set<AggregateMeasure>([...spec.measures, ...spec.having.map((h) => h.measure)]);
  for (const o of spec.orderBy) if (o.measure) computed.add(o.measure);
  if (spec.rankBy) computed.add(spec.rankBy.measure);
  if (spec.distribution) computed.add(spec.distribution.measure);
  const kinds = new Set([...computed].map((m) => MEASURES[m].kind));
  return {
    columns: new Map([...computed].map((m, i) => [m, measureColumns(i)])),
    needsFlows: kinds.has('flow'),
    needsStocks: kinds.has('stock') || kinds.has('hybrid'),
    needsOnlineFilings: kinds.has('hybrid'),
    needsDays: kinds.has('days'),
    needsOpen: kinds.has('open'),
    percentiles: [...computed].flatMap((m) => (MEASURES[m].percentile === undefined ? [] : [{ measure: m, p: MEASURES[m].percentile! }])),
    reads: new Set([...computed].flatMap((m) => columnsIn(`${MEASURES[m].numerator} ${MEASURES[m].denominator ?? ''}`))),
  };
}

/** Builds the one statement answering an aggregate (parameters numbered after `paramOffset`). */
export function buildAggregateQuery(spec: AggregateSpec, paramOffset = 0): BuiltQuery {
  return new AggregateQueryBuilder(spec, paramOffset).build();
}

class AggregateQueryBuilder {
  private readonly params: Params;
  private readonly measures: MeasurePlan;
  /** The groupBy dimensions, in column order. */
  private readonly dimensions: D[];
  private readonly streams: Stream[] = [];
  private flowRollup?: RollupDef;
  private stockRollup?: RollupDef;
  private daysRollup?: RollupDef;
  private openRollup?: RollupDef;

  constructor(private readonly spec: AggregateSpec, paramOffset: number) {
    this.params = new Params(paramOffset);
    this.measures = planMeasures(spec);
    this.dimensions = DIMENSION_ORDER.filter((d) => spec.groupBy.includes(d));
  }

  /** The steps, in the order their SQL (and so their parameters) appears in the statement. */
  build(): BuiltQuery {
    const ctes = this.filterCtes();
    if (this.measures.needsFlows) ctes.push(...this.flowStreamCtes());
    // The dates stocks and open dossiers are counted on (one CTE for both).
    if (this.measures.needsStocks || this.measures.needsOpen) ctes.push(stockDatesCte(this.spec, (v, cast) => this.add(v, cast)));
    if (this.measures.needsStocks) ctes.push(...this.stockStreamCtes());
    if (this.measures.needsDays) ctes.push(...this.daysStreamCtes());
    if (this.measures.needsOpen) ctes.push(...this.openStreamCtes());
    // Known once the sources are chosen, and first in the statement (it has no parameter).
    if (this.readsRollups()) ctes.unshift(`${CTE.rollupState} AS (SELECT EXISTS (SELECT 1 FROM rollup_dirty) AS stale)`);
    ctes.push(...this.groupedCtes(), this.measuredCte(), this.orderedCte());
    return {
      text: this.resultDocument(ctes),
      params: this.params.values,
      flowRollup: this.flowRollup?.table,
      stockRollup: this.stockRollup?.table,
      daysRollup: this.daysRollup?.table,
      openRollup: this.openRollup?.table,
      streams: { flow: this.measures.needsFlows, stock: this.measures.needsStocks, days: this.measures.needsDays, open: this.measures.needsOpen },
      measureColumns: this.measures.columns,
      planCacheMode: this.allStreamsReadRollups() ? 'force_generic_plan' : 'force_custom_plan',
    };
  }

  private allStreamsReadRollups(): boolean {
    const m = this.measures;
    return (!m.needsFlows || this.flowRollup !== undefined) && (!m.needsStocks || this.stockRollup !== undefined)
      && (!m.needsDays || this.daysRollup !== undefined) && (!m.needsOpen || this.openRollup !== undefined);
  }

  private readsRollups(): boolean {
    return [this.flowRollup, this.stockRollup, this.daysRollup, this.openRollup].some((r) => r !== undefined);
  }

  private add(value: unknown, cast: string): string {
    return this.params.add(value, cast);
  }

  // --- Filters -------------------------------------------------------------------------------

  /** The units named by the unit and province filters, read on unitsAt (ids are taken as they are). */
  private filterCtes(): string[] {
    const f = this.spec.filter;
    const ctes: string[] = [];
    if (filtersUnits(this.spec)) {
      const at = this.add(f.unitsAt, 'date');
      ctes.push(`${CTE.filterUnits} AS (SELECT id, code, valid_to FROM unit WHERE kind = ${this.add(this.spec.unitTier, 'unit_kind')}
      AND (id = ANY(${this.add(f.unitIds ?? [], 'int[]')}) OR (code = ANY(${this.add(f.unitCodes ?? [], 'text[]')}) AND ${validOnSql(at)})))`);
    }
    if (f.provinceCodes) {
      const at = this.add(f.unitsAt, 'date');
      ctes.push(`${CTE.filterProvinces} AS (SELECT id, code, valid_to FROM unit WHERE kind = 'province' AND code = ANY(${this.add(f.provinceCodes, 'text[]')}) AND ${validOnSql(at)})`);
    }
    return ctes;
  }

  /** The query's filters as conditions on a stream's attributes. */
  private filterConditions(source: StreamSource): string[] {
    const f = this.spec.filter;
    const conditions: string[] = [];
    if (filtersUnits(this.spec)) conditions.push(`${source.unit.at(this.spec.unitTier)} IN (SELECT id FROM ${CTE.filterUnits})`);
    if (f.provinceCodes) conditions.push(`${source.unit.province} IN (SELECT id FROM ${CTE.filterProvinces})`);
    if (f.unitKinds) conditions.push(`${source.unit.kind} = ANY(${this.add(f.unitKinds, 'unit_kind[]')})`);
    if (f.sectorCodes) conditions.push(`${source.catalogue.sector} IN (SELECT id FROM sector WHERE code = ANY(${this.add(f.sectorCodes, 'text[]')}))`);
    if (f.procedureCodes) conditions.push(`${source.catalogue.procedure} IN (SELECT id FROM procedure WHERE code = ANY(${this.add(f.procedureCodes, 'text[]')}))`);
    if (f.essential !== undefined) conditions.push(`${source.catalogue.essential} = ${this.add(f.essential, 'boolean')}`);
    if (f.eligible !== undefined) conditions.push(`${source.catalogue.eligible} = ${this.add(f.eligible, 'boolean')}`);
    if (f.levels) conditions.push(`${source.level} = ANY(${this.add(f.levels, 'text[]')})`);
    return conditions;
  }

  /** Flows are summed over the period's months, resolved dossiers over their resolution months (stocks are taken on the dates CTE's days). */
  private periodConditions(source: FlowSource | DaysSource): string[] {
    const conditions: string[] = [];
    if (this.spec.from) conditions.push(`${source.month} >= ${this.add(this.spec.from, 'date')}`);
    if (this.spec.to) conditions.push(`${source.month} <= ${this.add(this.spec.to, 'date')}`);
    return conditions;
  }

  // --- Sources: a rollup or the base tables, per stream ----------------------------------------

  private flowStreamCtes(): string[] {
    this.flowRollup = chooseRollup(this.spec, 'flow', this.measures.needsOnlineFilings);
    this.streams.push('flow');
    const rollup = this.flowRollup && flowFromRollup(this.spec, this.flowRollup);
    return this.streamCte('flow', rollup, flowFromBaseTables(this.spec));
  }

  private stockStreamCtes(): string[] {
    this.stockRollup = chooseRollup(this.spec, 'stock', this.measures.needsOnlineFilings);
    this.streams.push('stock');
    const base = stockFromBaseTables(this.spec, this.measures.needsOnlineFilings);
    const rollup = this.stockRollup && stockFromRollup(this.spec, this.stockRollup);
    return [...base.ctes, ...this.streamCte('stock', rollup, base)];
  }

  /** Resolved dossiers' processing days (a histogram per group), then the percentiles read from it. */
  private daysStreamCtes(): string[] {
    this.daysRollup = chooseRollup(this.spec, 'days', false);
    this.streams.push('days');
    const rollup = this.daysRollup && daysFromRollup(this.spec, this.daysRollup);
    return [...this.streamCte('days', rollup, daysFromBaseTables(this.spec)), ...this.percentileCtes()];
  }

  private openStreamCtes(): string[] {
    this.openRollup = chooseRollup(this.spec, 'open', false);
    this.streams.push('open');
    const rollup = this.openRollup && openFromRollup(this.spec, this.openRollup);
    return this.streamCte('open', rollup, openFromBaseTables(this.spec));
  }

  /**
   * Each percentile asked, per group, from the days stream's histogram (summed over sources; rows
   * without days only list a source, see dossier-sources.ts's sourcedHistogram), as
   * PostgreSQL's percentile_cont computes it over the dossiers themselves: with N dossiers and
   * h = p × (N - 1), the values of ranks floor(h) and ceil(h) (0-based, in order of days),
   * interpolated: lo + (hi - lo) × (h - floor(h)). The value of rank k is the smallest day count
   * whose running total exceeds k. Same float8 operations in the same order, so the answer is the
   * hand-written percentile_cont's to the bit (the bench compares them).
   *
   * From the rollup, a value of rank in the pooled top bucket (POOLED_DAYS_FROM days or more) is
   * that bucket's lower edge, so the percentile is a lower bound; `top` says so, and the group's
   * largest processing time bounds it above (the answer's warnings report both).
   */
  private percentileCtes(): string[] {
    const dims = this.dimensions.map((d) => DIMENSION_COLUMNS[d]);
    const partition = dims.length ? `PARTITION BY ${dims.join(', ')}` : '';
    const groupBy = dims.length ? `GROUP BY ${dims.join(', ')}` : '';
    const ranks = this.measures.percentiles.flatMap(({ measure, p }) => {
      const c = this.measures.columns.get(measure)!;
      const h = `(${p}::float8 * (total - 1)::float8)`;
      return [
        `min(days) FILTER (WHERE upto > floor(${h}))::float8 AS ${c.value}_lo`,
        `min(days) FILTER (WHERE upto > ceil(${h}))::float8 AS ${c.value}_hi`,
        `max(${h}) AS ${c.value}_h`,
      ];
    });
    const values = this.measures.percentiles.flatMap(({ measure }) => {
      const c = this.measures.columns.get(measure)!;
      return [
        `${c.value}_lo + (${c.value}_hi - ${c.value}_lo) * (${c.value}_h - floor(${c.value}_h)) AS ${percentileColumn(c)}`,
        `(pooled AND ${c.value}_hi >= ${POOLED_DAYS_FROM}) AS ${percentileTopColumn(c)}`,
      ];
    });
    return [
      `${CTE.daysHistogram} AS (SELECT ${[...dims, 'days', 'sum(timed) AS n', 'max(max_days) AS max_days', 'bool_or(pooled) AS pooled'].join(', ')}
    FROM days WHERE days IS NOT NULL GROUP BY ${[...dims, 'days'].join(', ')})`,
      `${CTE.daysRanked} AS (SELECT ${CTE.daysHistogram}.*, sum(n) OVER (${partition} ORDER BY days) AS upto, sum(n) OVER (${partition}) AS total
    FROM ${CTE.daysHistogram})`,
      `${CTE.percentiles} AS (SELECT ${[...dims, ...values, `max_days AS ${PERCENTILE_MAX_DAYS}`].join(', ')}
    FROM (SELECT ${[...dims, ...ranks, 'max(max_days) AS max_days', 'bool_or(pooled) AS pooled'].join(', ')} FROM ${CTE.daysRanked} ${groupBy}) q)`,
    ];
  }

  /** The percentile columns of `grouped` (each percentile's value and top flag, and the largest days), in order. */
  private percentileColumns(): { column: string; type: string; merge: string }[] {
    if (this.measures.percentiles.length === 0) return [];
    return [
      ...this.measures.percentiles.flatMap(({ measure }) => {
        const c = this.measures.columns.get(measure)!;
        return [
          { column: percentileColumn(c), type: 'float8', merge: 'max' },
          { column: percentileTopColumn(c), type: 'boolean', merge: 'bool_or' },
        ];
      }),
      { column: PERCENTILE_MAX_DAYS, type: 'int', merge: 'max' },
    ];
  }

  /**
   * A stream's CTE: the base tables, or the rollup while fresh and the base tables otherwise.
   * Each branch is its own MATERIALIZED CTE, gated where it is read: a CTE runs only when first
   * read, so the branch not taken costs nothing. Gated inside its SELECT, the one-time filter sat
   * below the base branch's Gather, whose two parallel workers were started for nothing: 137 ms
   * of a 675 ms group by procedure answered from the rollup (1M rows, loaded machine).
   */
  private streamCte(stream: Stream, rollup: StreamSource | undefined, base: StreamSource): string[] {
    if (!rollup) return [`${stream} AS (${this.streamSelect(base)})`];
    return [
      `${stream}_rollup AS MATERIALIZED (${this.streamSelect(rollup)})`,
      `${stream}_base AS MATERIALIZED (${this.streamSelect(base)})`,
      `${stream} AS (SELECT * FROM ${stream}_rollup WHERE ${ROLLUP_FRESH}\n  UNION ALL\n  SELECT * FROM ${stream}_base WHERE ${ROLLUP_STALE})`,
    ];
  }

  // --- Grouping ------------------------------------------------------------------------------

  /** SQL for a dimension's value in a source. */
  private dimensionValue(source: StreamSource, d: D): string {
    switch (d) {
      case D.UNIT: return source.unit.at(this.spec.unitTier);
      case D.PROVINCE: return source.unit.province;
      case D.UNIT_KIND: return source.unit.kind;
      case D.SECTOR: return source.catalogue.sector;
      case D.PROCEDURE: return source.catalogue.procedure;
      case D.ESSENTIAL: return source.catalogue.essential;
      case D.ELIGIBLE: return source.catalogue.eligible;
      case D.LEVEL: return source.level;
      case D.PERIOD: return source.bucket;
    }
  }

  /** Tiers at which a partial merge changes the answer: those grouped or filtered on. */
  private partialMergeTiers(): UnitKind[] {
    const tiers = new Set<UnitKind>();
    if (this.spec.groupBy.includes(D.UNIT) || filtersUnits(this.spec)) tiers.add(this.spec.unitTier);
    if (this.spec.groupBy.includes(D.PROVINCE) || this.spec.filter.provinceCodes) tiers.add(UnitKind.PROVINCE);
    return [...tiers];
  }

  /**
   * One stream's rows: its facts filtered and summed per group and source, with their partial-merge
   * flag. Grouping by source too gives the answer's sources from the groups (source_ids), where
   * `array_agg(DISTINCT source_id)` per group sorted every fact: 1.29M rows spilling about 70 MB
   * for group by procedure at 10M rows (issue 11), and a DISTINCT aggregate is never parallel.
   * A group has one row per source (usually one); `grouped` sums them.
   */
  private streamSelect(source: StreamSource): string {
    const dimensionColumns = this.dimensions.map((d) => `${this.dimensionValue(source, d)} AS ${DIMENSION_COLUMNS[d]}`);
    const tiers = this.partialMergeTiers();
    const partial = this.spec.current && tiers.length > 0 ? `bool_or(${source.unit.partialKinds} && ARRAY[${sqlList(tiers)}]::unit_kind[])` : 'false';
    const where = [...source.where, ...this.filterConditions(source)];
    if (source.stream === 'flow' || source.stream === 'days') where.push(...this.periodConditions(source));
    const sums = streamSums(source, this.measures.reads);
    // The days stream is a histogram: a row per group, source and day count.
    const keys = [...dimensionColumns, `${source.source} AS ${COL.sourceId}`, ...(source.stream === 'days' ? [`${source.days} AS days`] : [])];
    return `SELECT ${[...keys, ...sums, `${partial} AS ${COL.partial}`].join(',\n    ')}
  FROM ${source.from}
  ${where.length ? `WHERE ${where.join('\n    AND ')}` : ''}
  GROUP BY ${keys.map((_, i) => i + 1).join(', ')}`;
  }

  /** The streams' rows summed per group (`grouped`), with includeEmptyUnits' rows after those with data. */
  private groupedCtes(): string[] {
    const dimensionColumns = this.dimensions.map((d) => DIMENSION_COLUMNS[d]);
    const extra = this.percentileColumns();
    const nulls = extra.map((x) => `NULL::${x.type} AS ${x.column}`);
    const union = [
      ...this.streams.map((s) => `SELECT ${[...dimensionColumns, ...GROUPED_COLUMNS.map((c) => (STREAM_COLUMNS[s].includes(c) ? c : `0::bigint AS ${c}`)), COL.partial, ...nulls].join(', ')} FROM ${s}`),
      // The percentiles, one row per group with a histogram (no count: the days stream has them).
      ...(extra.length ? [`SELECT ${[...dimensionColumns, ...GROUPED_COLUMNS.map((c) => `0::bigint AS ${c}`), `false AS ${COL.partial}`, ...extra.map((x) => x.column)].join(', ')} FROM ${CTE.percentiles}`] : []),
    ].join('\n    UNION ALL\n    ');
    const sums = GROUPED_COLUMNS.map((c) => (this.measures.reads.has(c) ? `coalesce(sum(${c}), 0) AS ${c}` : `0::bigint AS ${c}`));
    const merged = extra.map((x) => `${x.merge}(${x.column}) AS ${x.column}`);
    const grouped = `SELECT ${[...dimensionColumns, ...sums, `coalesce(bool_or(${COL.partial}), false) AS ${COL.partial}`, ...merged].join(', ')}
    FROM (${union}) x
    ${dimensionColumns.length ? `GROUP BY ${dimensionColumns.join(', ')}` : ''}`;
    if (!this.spec.includeEmptyUnits) return [`${CTE.grouped} AS (${grouped})`];
    return [`${CTE.groupedWithData} AS (${grouped})`, `${CTE.grouped} AS (${this.emptyUnitRows()})`];
  }

  /**
   * The grouped rows and, after them, one row per unit in scope that has none, its measures null
   * (so `having` drops it, as it drops any null value). toSpec allows this only when UNIT or
   * PROVINCE is the one dimension, so a unit id is the whole row key.
   */
  private emptyUnitRows(): string {
    const spec = this.spec;
    const dimension = spec.groupBy.includes(D.UNIT) ? D.UNIT : D.PROVINCE;
    const tier = dimension === D.UNIT ? spec.unitTier : UnitKind.PROVINCE;
    const stockOnDate = (this.measures.needsStocks || this.measures.needsOpen) && !spec.groupBy.includes(D.PERIOD);
    const scope = unitScopeConditions(spec, tier, scopeWindow(spec, stockOnDate ? spec.stockDate : null), (v, cast) => this.add(v, cast));
    return `SELECT * FROM ${CTE.groupedWithData}
    UNION ALL
    SELECT ${['u.id', ...GROUPED_COLUMNS.map(() => 'NULL'), 'false', ...this.percentileColumns().map(() => 'NULL')].join(', ')}
    FROM unit u WHERE ${scope.join(' AND ')} AND NOT EXISTS (SELECT 1 FROM ${CTE.groupedWithData} WHERE ${CTE.groupedWithData}.${DIMENSION_COLUMNS[dimension]} = u.id)`;
  }

  // --- Measures ------------------------------------------------------------------------------

  /** Each measure's value, numerator and denominator over the grouped sums (`measured`). */
  private measuredCte(): string {
    const columns = [...this.measures.columns].flatMap(([m, c]) => {
      const def = MEASURES[m];
      const upper = `NULL::int AS ${c.upperBound}`;
      if (def.percentile !== undefined) {
        return [`${percentileColumn(c)} AS ${c.value}`, `NULL::numeric AS ${c.numerator}`, `NULL::numeric AS ${c.denominator}`,
          `CASE WHEN ${percentileTopColumn(c)} THEN ${PERCENTILE_MAX_DAYS} END AS ${c.upperBound}`];
      }
      if (!def.denominator) return [`${def.numerator} AS ${c.value}`, `NULL::numeric AS ${c.numerator}`, `NULL::numeric AS ${c.denominator}`, upper];
      return [
        `CASE WHEN ${def.denominator} = 0 THEN NULL ELSE ${def.numerator}::float8 / ${def.denominator} END AS ${c.value}`,
        `${def.numerator} AS ${c.numerator}`, `${def.denominator} AS ${c.denominator}`, upper,
      ];
    });
    return `${CTE.measured} AS (SELECT ${CTE.grouped}.*, ${columns.join(', ')} FROM ${CTE.grouped})`;
  }

  /** A measured row's column (`measured.<column>`). */
  private measured(column: string): string {
    return `${CTE.measured}.${column}`;
  }

  private measureValue(m: AggregateMeasure): string {
    return this.measured(this.measures.columns.get(m)!.value);
  }

  // --- Order and rank ------------------------------------------------------------------------

  /**
   * The rows that pass `having`, labelled, ranked and numbered in the answer's order (`ordered`):
   * the orderBy terms, then every dimension, so pages are stable.
   */
  private orderedCte(): string {
    const order: string[] = [];
    for (const o of this.spec.orderBy) {
      const direction = o.direction === SortDirection.DESC ? 'DESC' : 'ASC';
      if (o.measure) order.push(`${this.measureValue(o.measure)} ${direction} NULLS LAST`);
      else if (o.dimension) order.push(...this.orderTerms(o.dimension, direction));
    }
    for (const d of this.spec.groupBy) order.push(...this.orderTerms(d, 'ASC'));
    const having = this.spec.having.map((h) => `${this.measureValue(h.measure)} ${COMPARISON_SQL[h.op]} ${this.add(h.value, 'float8')}`);
    const columns = [
      ...this.labelColumns(),
      ...this.rankColumns(),
      `row_number() OVER (ORDER BY ${order.length ? order.join(', ') : '1'}) AS ${COL.rowNumber}`,
    ];
    return `${CTE.ordered} AS (
    SELECT ${CTE.measured}.*, ${columns.join(', ')}
    FROM ${CTE.measured} ${this.labelLookups().join(' ')}
    ${having.length ? `WHERE ${having.join(' AND ')}` : ''})`;
  }

  /** How a dimension sorts: units by code then validity (codes are reused), catalogue entries by code, the rest by value. */
  private orderTerms(d: D, direction: string): string[] {
    if (!isLabelled(d)) return [`${this.measured(DIMENSION_COLUMNS[d])} ${direction} NULLS LAST`];
    const { alias } = LABEL_LOOKUPS[d];
    if (!isUnitLabel(d)) return [`${alias}.code ${direction} NULLS LAST`];
    return [`${alias}.code ${direction} NULLS LAST`, `${alias}.valid_from ${direction} NULLS FIRST`, `${this.measured(DIMENSION_COLUMNS[d])} ${direction} NULLS LAST`];
  }

  /** Rank by spec.rankBy, best first, and how many rows were ranked (KPIs); null without rankBy. */
  private rankColumns(): string[] {
    const rankBy = this.spec.rankBy;
    if (!rankBy) return [`NULL::int AS ${COL.rank}`, `NULL::int AS ${COL.rankedCount}`];
    const value = this.measureValue(rankBy.measure);
    const direction = rankBy.higherIsBetter ? 'DESC' : 'ASC';
    // Rows without a value, or gathering figures from above the unit tier, are not peers.
    const peer = `(${value} IS NOT NULL${this.dimensions.includes(D.UNIT) ? ` AND ${this.measured(DIMENSION_COLUMNS[D.UNIT])} IS NOT NULL` : ''})`;
    return [`CASE WHEN ${peer} THEN rank() OVER (PARTITION BY ${peer} ORDER BY ${value} ${direction}) END AS ${COL.rank}`,
      `count(*) FILTER (WHERE ${peer}) OVER () AS ${COL.rankedCount}`];
  }

  // --- Labels --------------------------------------------------------------------------------

  private labelledDimensions(): LabelledDimension[] {
    return this.dimensions.filter(isLabelled);
  }

  /** One index lookup per group (OFFSET 0 keeps the planner from hashing the whole table instead). */
  private labelLookups(): string[] {
    return this.labelledDimensions().map((d) => {
      const { table, alias } = LABEL_LOOKUPS[d];
      return `LEFT JOIN LATERAL (SELECT * FROM ${table} WHERE id = ${this.measured(DIMENSION_COLUMNS[d])} OFFSET 0) ${alias} ON true`;
    });
  }

  /** The labelled dimensions' columns read from their lookups: `<alias>.<table column> AS <label column>`. */
  private labelColumns(): string[] {
    return this.labelledDimensions().flatMap((d) => {
      const { alias } = LABEL_LOOKUPS[d];
      return Object.entries(LABEL_COLUMNS[d]).map(([key, column]) => `${alias}.${LABEL_SOURCE[key as keyof UnitLabelColumns]} AS ${column}`);
    });
  }

  /**
   * The columns each returned row carries. Units are named as on the day stocks are taken (the
   * period's last day, or asOf); in today's units, by today's names. Only the rows returned ask
   * (63 provinces, not every group).
   */
  private outputColumns(): string[] {
    const units = this.labelledDimensions().filter(isUnitLabel);
    const labelDate = units.length > 0 ? this.add(this.spec.current ? null : this.spec.stockDate, 'date') : 'NULL';
    const unitNames = new Map(units.map((d) => [LABEL_COLUMNS[d].name, LABEL_COLUMNS[d].id]));
    return [
      COL.rowNumber, COL.partial, COL.rank,
      ...this.dimensions.filter((d) => !isLabelled(d)).map((d) => DIMENSION_COLUMNS[d]),
      ...this.labelledDimensions().flatMap((d) => Object.values(LABEL_COLUMNS[d]) as string[])
        .map((c) => (unitNames.has(c) ? `unit_name_at(${unitNames.get(c)}, ${labelDate}) AS ${c}` : c)),
      ...this.spec.measures.flatMap((m) => {
        const c = this.measures.columns.get(m)!;
        return [c.value, c.numerator, c.denominator, ...(MEASURES[m].percentile === undefined ? [] : [c.upperBound])];
      }),
    ];
  }

  // --- Result --------------------------------------------------------------------------------

  /** Filter values naming nothing, for the error that says so (each list only when its filter is used). */
  private missingReferences(): string[] {
    const f = this.spec.filter;
    const missing: Partial<Record<keyof MissingReferences, string>> = {};
    const absent = (values: unknown, type: string, lookup: string) =>
      `(SELECT coalesce(json_agg(c), '[]'::json) FROM unnest(${this.add(values, type)}) c WHERE NOT EXISTS (${lookup}))`;
    const closed = (cte: string) =>
      `(SELECT coalesce(json_agg(json_build_object('id', id, 'code', code, 'validTo', valid_to)), '[]'::json) FROM ${cte} WHERE valid_to IS NOT NULL)`;
    if (filtersUnits(this.spec)) {
      missing.unitCodes = absent(f.unitCodes ?? [], 'text[]', `SELECT 1 FROM ${CTE.filterUnits} WHERE ${CTE.filterUnits}.code = c`);
      missing.unitIds = `(SELECT coalesce(json_agg(i), '[]'::json) FROM unnest(${this.add(f.unitIds ?? [], 'int[]')}) i WHERE NOT EXISTS (SELECT 1 FROM ${CTE.filterUnits} WHERE ${CTE.filterUnits}.id = i))`;
      missing.closedUnits = closed(CTE.filterUnits);
    }
    if (f.provinceCodes) {
      missing.provinceCodes = absent(f.provinceCodes, 'text[]', `SELECT 1 FROM ${CTE.filterProvinces} WHERE ${CTE.filterProvinces}.code = c`);
      missing.closedProvinces = closed(CTE.filterProvinces);
    }
    if (f.sectorCodes) missing.sectorCodes = absent(f.sectorCodes, 'text[]', 'SELECT 1 FROM sector WHERE code = c');
    if (f.procedureCodes) missing.procedureCodes = absent(f.procedureCodes, 'text[]', 'SELECT 1 FROM procedure WHERE code = c');
    return Object.entries(missing).map(([key, sql]) => `'${key}', ${sql}`);
  }

  /**
   * spec.distribution over every row of `ordered` (after having, before the limit): one group per
   * combination of the other dimensions, keyed by their columns and labels as the rows are.
   */
  private distributionDocument(d: NonNullable<AggregateSpec['distribution']>): string {
    const columns = this.measures.columns.get(d.measure)!;
    const labelDate = this.add(this.spec.current ? null : this.spec.stockDate, 'date');
    const partition = this.dimensions.filter((x) => x !== d.unitDimension).flatMap((x) => {
      const own = { column: DIMENSION_COLUMNS[x] };
      if (!isLabelled(x)) return [own];
      const labels = Object.values(LABEL_COLUMNS[x]) as string[];
      const name = isUnitLabel(x) ? LABEL_COLUMNS[x].name : undefined;
      return [own, ...labels.map((c) => (c === name ? { column: c, expr: `unit_name_at(g.${LABEL_COLUMNS[x].id}, ${labelDate})` } : { column: c }))];
    });
    return distributionSql({
      from: CTE.ordered, unit: DIMENSION_COLUMNS[d.unitDimension],
      value: columns.value, numerator: columns.numerator, denominator: columns.denominator, partition, labelDate,
    });
  }

  /** The statement: the CTEs, then one JSON document with the rows within the limit and the answer's metadata. */
  private resultDocument(ctes: string[]): string {
    const outputColumns = this.outputColumns();
    const rowFilter = this.spec.focusUnitIds
      ? `${DIMENSION_COLUMNS[D.UNIT]} = ANY(${this.add(this.spec.focusUnitIds, 'int[]')})`
      : `${COL.rowNumber} <= ${this.add(this.spec.limit, 'int')}`;
    const sourceIds = this.streams.map((s) => `SELECT ${COL.sourceId} AS id FROM ${s}`).join(' UNION ');
    // Months with data: the flows' (months received) and the resolved dossiers' (months resolved).
    const monthStreams = this.streams.filter((s) => s === 'flow' || s === 'days');
    const months = monthStreams.map((s) => `SELECT ${COL.firstMonth}, ${COL.lastMonth} FROM ${s}`).join(' UNION ALL ');
    const flowMonths = (sql: string) => (monthStreams.length > 0 ? sql : 'NULL');
    const document: Record<keyof AggregateStatementResult, string> = {
      rows: `coalesce((SELECT json_agg(x ORDER BY x.${COL.rowNumber}) FROM (SELECT ${outputColumns.join(', ')} FROM ${CTE.ordered} WHERE ${rowFilter}) x), '[]'::json)`,
      total: `(SELECT count(*) FROM ${CTE.ordered})`,
      ranked: `(SELECT coalesce(max(${COL.rankedCount}), 0) FROM ${CTE.ordered})`,
      sources: `coalesce((SELECT json_agg(to_json(s) ORDER BY s.code) FROM source s WHERE s.id IN (SELECT id FROM ${CTE.sourceIds})), '[]'::json)`,
      lastIngestAt: `(SELECT max(finished_at) FROM ingest_run WHERE status = 'succeeded' AND source_id IN (SELECT id FROM ${CTE.sourceIds}))`,
      firstMonth: flowMonths(`(SELECT min(${COL.firstMonth}) FROM (${months}) mm)`),
      lastMonth: flowMonths(`(SELECT max(${COL.lastMonth}) FROM (${months}) mm)`),
      stale: this.readsRollups() ? ROLLUP_STALE : 'NULL',
      missing: `json_build_object(${this.missingReferences().join(', ')})`,
      distribution: this.spec.distribution ? this.distributionDocument(this.spec.distribution) : 'NULL',
    };
    return `WITH ${ctes.join(',\n')},
  ${CTE.sourceIds} AS (${sourceIds})
SELECT json_build_object(
${Object.entries(document).map(([key, sql]) => `  '${key}', ${sql}`).join(',\n')}
) AS ${COL.result}`;
  }
}

/**
 * The grouped columns each stream's CTE holds; `grouped` reads a constant 0 for the others. A
 * stream carries only its own: rows of a stream CTE are copied when it is materialized (the
 * rollup's branch, then the gated union), and the days stream's 49k rows for 2024 by month
 * (national world) spent about a third of the statement copying 17 columns mostly of zeros.
 */
const STREAM_COLUMNS: Record<Stream, readonly string[]> = { flow: FLOW_COLUMNS, stock: STOCK_COLUMNS, days: DAYS_COLUMNS, open: OPEN_COLUMNS };


/** A stream's grouped columns, coverage months and (days) histogram attributes, in the union's order after its keys. */
function streamSums(source: StreamSource, reads: ReadonlySet<string>): string[] {
  switch (source.stream) {
    case 'flow': return flowSums(source, reads);
    case 'stock': return stockCounts(source, reads);
    case 'days': return daysSums(source);
    case 'open': return openCounts(source);
  }
}

/**
 * A flow source's sums: its counts, no services, and its months with data. Sums are bigint (a
 * rollup's bigint counts would sum to numeric): `grouped` then sums bigints in 128-bit integers
 * instead of numeric states; numeric made that step about 50 of a 250 ms procedure answer from
 * the rollup (2,000 groups, 1M rows, loaded machine).
 */
function flowSums(source: FlowSource, reads: ReadonlySet<string>): string[] {
  return [
    ...FLOW_COLUMNS.map((c) => (reads.has(c) ? `sum(${source.count(c)})::bigint AS ${c}` : `0::bigint AS ${c}`)),
    `min(${source.firstMonth}) AS ${COL.firstMonth}`, `max(${source.lastMonth}) AS ${COL.lastMonth}`,
  ];
}

/** A days source's histogram row: dossiers and their days (timed, timed_days), with the bucket's largest days and whether it is pooled. */
function daysSums(source: DaysSource): string[] {
  const own: Record<(typeof DAYS_COLUMNS)[number], string> = { timed: `${source.dossiers}::bigint`, timed_days: `${source.totalDays}::bigint` };
  return [
    ...DAYS_COLUMNS.map((c) => `${own[c]} AS ${c}`),
    `min(${source.firstMonth}) AS ${COL.firstMonth}`, `max(${source.lastMonth}) AS ${COL.lastMonth}`,
    `${source.maxDays} AS max_days`, `${source.pooled} AS pooled`,
  ];
}

/** An open source's counts on the date. */
function openCounts(source: OpenSource): string[] {
  const own: Record<(typeof OPEN_COLUMNS)[number], string> = { in_progress: `${source.inProgress}::bigint`, overdue: `${source.overdue}::bigint` };
  return [...OPEN_COLUMNS.map((c) => `${own[c]} AS ${c}`), `NULL::date AS ${COL.firstMonth}`, `NULL::date AS ${COL.lastMonth}`];
}

/** A stock source's counts of services by level on the date, no dossiers. */
function stockCounts(source: StockSource, reads: ReadonlySet<string>): string[] {
  const w = source.weight;
  const online = `${source.level} IN (${sqlList(ONLINE_LEVELS)})`;
  const counts: Record<(typeof STOCK_COLUMNS)[number], string> = {
    services: `sum(${w})`,
    services_online: `coalesce(sum(${w}) FILTER (WHERE ${online}), 0)`,
    services_full: `coalesce(sum(${w}) FILTER (WHERE ${source.level} IN (${sqlList(FULL_LEVELS)})), 0)`,
    services_integrated: `coalesce(sum(${w}) FILTER (WHERE ${online} AND ${source.integrated} IS TRUE), 0)`,
    services_online_with_filings: source.onlineFiling ? `coalesce(sum(${w}) FILTER (WHERE ${online} AND ${source.onlineFiling}), 0)` : '0',
  };
  return [
    ...STOCK_COLUMNS.map((c) => `${reads.has(c) ? counts[c] : '0'} AS ${c}`),
    `NULL::date AS ${COL.firstMonth}`, `NULL::date AS ${COL.lastMonth}`,
  ];
}

/**
 * Several aggregates as one statement (`SELECT (q0) AS r0, (q1) AS r1, …`): one pool checkout and
 * one round trip instead of one each, and one snapshot for all of them. A KPI asks three (its
 * value with rank, the eligible-only value, the trend); run apart they held three connections and
 * nine round trips (bench:load, kpi kind).
 */
export function combineQueries(specs: AggregateSpec[]): { text: string; params: unknown[]; built: BuiltQuery[] } {
  const built: BuiltQuery[] = [];
  const params: unknown[] = [];
  for (const spec of specs) {
    const b = buildAggregateQuery(spec, params.length);
    params.push(...b.params);
    built.push(b);
  }
  const text = `SELECT ${built.map((b, i) => `(${b.text}) AS ${combinedResultColumn(i)}`).join(',\n')}`;
  return { text, params, built };
}
