import { UnitKind } from '../units/unit.entity';
import { ComparisonOperator, SortDirection } from './aggregate.inputs';
import {
  AggregateDimension as D, FULL_LEVELS, Grain, GRAIN_MONTHS, LevelView, levelSql, ONLINE_LEVELS, PeriodGrain, tierColumn, TOP_TIERS,
} from './dimensions';
import { AggregateMeasure, FLOW_COLUMNS, GROUPED_COLUMNS, MEASURES, STOCK_COLUMNS } from './measures';
import { FilterKey, RollupDef, ROLLUPS } from './rollup.service';
import { validOnSql } from '../units/unit-validity';
import { scopeWindow, unitScopeConditions } from './unit-scope';

/** An aggregate query after validation: everything the SQL needs, nothing left to default. */
export interface AggregateSpec {
  measures: AggregateMeasure[];
  groupBy: D[];
  unitTier: UnitKind;
  grain: Grain;
  /** First and last month (first day, YYYY-MM-01) of the period; undefined: open. */
  from?: string;
  to?: string;
  /** Date stock measures are taken on when not grouped by PERIOD. */
  stockDate: string;
  levels?: LevelView;
  current: boolean;
  filter: {
    unitIds?: number[];
    unitCodes?: string[];
    unitsAt: string;
    provinceCodes?: string[];
    unitKinds?: UnitKind[];
    sectorCodes?: string[];
    procedureCodes?: string[];
    essential?: boolean;
    eligible?: boolean;
    levels?: string[];
  };
  having: { measure: AggregateMeasure; op: ComparisonOperator; value: number }[];
  orderBy: { measure?: AggregateMeasure; dimension?: D; direction: SortDirection }[];
  limit: number;
  preferRollups: boolean;
  /** Grouped by UNIT or PROVINCE alone: add a row with null measures for each unit in scope without data. */
  includeEmptyUnits?: boolean;
  /** Internal (KPIs): rank every row by this measure, best first, nulls unranked. */
  rankBy?: { measure: AggregateMeasure; higherIsBetter: boolean };
  /** Internal (KPIs): return only the rows of these units (UNIT dimension), ranks still over all rows. */
  focusUnitIds?: number[];
}

export interface BuiltQuery {
  text: string;
  params: unknown[];
  /** Rollup answering each stream used (undefined: base tables). */
  flowRollup?: string;
  stockRollup?: string;
  streams: { flow: boolean; stock: boolean };
  /** Column number of each measure: m<i>_v, m<i>_n, m<i>_d. */
  measureIndex: Map<AggregateMeasure, number>;
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

/** Where a stream's facts come from, and how each attribute reads there. */
interface StreamSource {
  ctes: string[];
  from: string;
  where: string[];
  unitAt(tier: UnitKind): string;
  province: string;
  kind: string;
  sector: string;
  procedure: string;
  essential: string;
  eligible: string;
  /** Level as the chosen view reads it. */
  level: string;
  partialKinds: string;
  source: string;
  bucket: string;
  month?: string;
  /** Flows: SQL of a summed count column. */
  count?(column: string): string;
  /** Stocks: how many services a row stands for. */
  weight?: string;
  integrated?: string;
  /** Stocks, base tables only: whether the service had an online dossier in the window. */
  onlineFiling?: string;
}

const DIM_ORDER: D[] = [D.UNIT, D.PROVINCE, D.UNIT_KIND, D.SECTOR, D.PROCEDURE, D.ESSENTIAL, D.ELIGIBLE, D.LEVEL, D.PERIOD];
const DIM_COLUMN: Record<D, string> = {
  [D.UNIT]: 'd_unit', [D.PROVINCE]: 'd_province', [D.UNIT_KIND]: 'd_kind', [D.SECTOR]: 'd_sector', [D.PROCEDURE]: 'd_procedure',
  [D.ESSENTIAL]: 'd_essential', [D.ELIGIBLE]: 'd_eligible', [D.LEVEL]: 'd_level', [D.PERIOD]: 'd_period',
};
const OPS: Record<ComparisonOperator, string> = {
  [ComparisonOperator.GT]: '>', [ComparisonOperator.GTE]: '>=', [ComparisonOperator.LT]: '<', [ComparisonOperator.LTE]: '<=',
  [ComparisonOperator.EQ]: '=', [ComparisonOperator.NE]: '<>',
};
const sqlList = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

/** Which filter keys a spec uses. */
export function filterKeys(spec: AggregateSpec): FilterKey[] {
  const f = spec.filter;
  const keys: FilterKey[] = [];
  if (f.unitIds || f.unitCodes) keys.push('unit');
  if (f.provinceCodes) keys.push('province');
  if (f.unitKinds) keys.push('unitKinds');
  if (f.sectorCodes) keys.push('sector');
  if (f.procedureCodes) keys.push('procedure');
  if (f.essential !== undefined) keys.push('essential');
  if (f.eligible !== undefined) keys.push('eligible');
  if (f.levels) keys.push('levels');
  return keys;
}

/** The rollup that covers a stream of this query, if any (the smallest first). */
export function chooseRollup(spec: AggregateSpec, stream: 'flow' | 'stock', needsOnlineFilings: boolean): RollupDef | undefined {
  if (!spec.preferRollups || (stream === 'stock' && needsOnlineFilings)) return undefined;
  const keys = filterKeys(spec);
  const usesUnitTier = spec.groupBy.includes(D.UNIT) || keys.includes('unit');
  if (usesUnitTier && !TOP_TIERS.includes(spec.unitTier)) return undefined;
  return ROLLUPS.find((r) => r.stream === stream && spec.groupBy.every((d) => r.dims.has(d)) && keys.every((k) => r.filters.has(k)));
}

const bucketOf = (grain: Grain, month: string) => (grain === PeriodGrain.MONTH ? month : `date_trunc('${grain}', ${month}::timestamp)::date`);

function flowBase(spec: AggregateSpec): StreamSource {
  const cur = spec.current;
  const needLevel = spec.groupBy.includes(D.LEVEL) || spec.filter.levels !== undefined;
  // A dossier's level: its service's level in force on the last day of the month.
  const lateral = needLevel
    ? `LEFT JOIN LATERAL (
         SELECT sl.taxonomy, sl.level FROM service s JOIN service_level sl ON sl.service_id = s.id
         WHERE s.unit_id = f.unit_id AND s.procedure_id = f.procedure_id AND sl.valid_from < (f.month + interval '1 month')::date
         ORDER BY sl.valid_from DESC LIMIT 1) lv ON true`
    : '';
  return {
    ctes: [],
    from: `filing_stat f JOIN unit_map m ON m.unit_id = f.unit_id JOIN procedure p ON p.id = f.procedure_id ${lateral}`,
    where: [],
    unitAt: (t) => `m.${tierColumn(t, cur)}`,
    province: `m.${tierColumn(UnitKind.PROVINCE, cur)}`,
    kind: cur ? 'm.cur_kind' : 'm.kind',
    sector: 'p.sector_id',
    procedure: 'f.procedure_id',
    essential: 'p.essential',
    eligible: 'p.eligible_full_online',
    level: needLevel && spec.levels ? levelSql(spec.levels, 'lv.taxonomy', 'lv.level', 'p.eligible_full_online') : 'NULL::text',
    partialKinds: 'm.partial_kinds',
    source: 'f.source_id',
    month: 'f.month',
    bucket: bucketOf(spec.grain, 'f.month'),
    count: (c) => `f.${c}`,
  };
}

function flowRollup(spec: AggregateSpec, r: RollupDef): StreamSource {
  const cur = spec.current;
  // The top-level unit's own ancestors are the reporting unit's, for the tiers a rollup covers.
  return {
    ctes: [],
    from: `${r.table} r JOIN unit_map ml ON ml.unit_id = r.${cur ? 'cur_l1_id' : 'l1_id'}`,
    where: [],
    unitAt: (t) => `ml.${tierColumn(t, cur)}`,
    province: `ml.${tierColumn(UnitKind.PROVINCE, cur)}`,
    kind: cur ? 'r.cur_unit_kind' : 'r.unit_kind',
    sector: 'r.sector_id',
    procedure: 'NULL::int',
    essential: 'r.essential',
    eligible: 'r.eligible',
    level: 'NULL::text',
    partialKinds: 'r.partial_kinds',
    source: 'r.source_id',
    month: 'r.month',
    bucket: bucketOf(spec.grain, 'r.month'),
    count: (c) => `r.${c}`,
  };
}

function stockBase(spec: AggregateSpec, withOnlineFilings: boolean): StreamSource {
  const cur = spec.current;
  const view = spec.levels!;
  const where = [validOnSql('dd.d', 'm')];
  if (view === LevelView.DECREE43 || view === LevelView.DECREE42) where.push(`sl.taxonomy = '${view}'`);
  return {
    // Each level row is in force from its date until the service's next one.
    ctes: [`spans AS (
      SELECT sl.service_id, sl.taxonomy, sl.level, sl.integrated_national, sl.source_id, sl.valid_from,
        lead(sl.valid_from) OVER (PARTITION BY sl.service_id ORDER BY sl.valid_from) AS next_from
      FROM service_level sl)`],
    from: `dates dd JOIN spans sl ON sl.valid_from <= dd.d AND (sl.next_from IS NULL OR sl.next_from > dd.d)
      JOIN service s ON s.id = sl.service_id JOIN unit_map m ON m.unit_id = s.unit_id JOIN procedure p ON p.id = s.procedure_id`,
    where,
    unitAt: (t) => `m.${tierColumn(t, cur)}`,
    province: `m.${tierColumn(UnitKind.PROVINCE, cur)}`,
    kind: cur ? 'm.cur_kind' : 'm.kind',
    sector: 'p.sector_id',
    procedure: 's.procedure_id',
    essential: 'p.essential',
    eligible: 'p.eligible_full_online',
    level: levelSql(view, 'sl.taxonomy', 'sl.level', 'p.eligible_full_online'),
    partialKinds: 'm.partial_kinds',
    source: 'sl.source_id',
    bucket: 'dd.bucket',
    weight: '1',
    integrated: 'sl.integrated_national',
    onlineFiling: withOnlineFilings
      ? `EXISTS (SELECT 1 FROM filing_stat fx WHERE fx.unit_id = s.unit_id AND fx.procedure_id = s.procedure_id
           AND fx.month >= dd.wstart AND fx.month <= dd.wend AND fx.received_online > 0)`
      : undefined,
  };
}

function stockRollup(spec: AggregateSpec, r: RollupDef): StreamSource {
  const cur = spec.current;
  const view = spec.levels!;
  const where: string[] = [];
  if (view === LevelView.DECREE43 || view === LevelView.DECREE42) where.push(`r.taxonomy = '${view}'`);
  return {
    ctes: [],
    from: `dates dd JOIN ${r.table} r ON daterange(r.valid_from, r.valid_to) @> dd.d JOIN unit_map ml ON ml.unit_id = r.${cur ? 'cur_l1_id' : 'l1_id'}`,
    where,
    unitAt: (t) => `ml.${tierColumn(t, cur)}`,
    province: `ml.${tierColumn(UnitKind.PROVINCE, cur)}`,
    kind: cur ? 'r.cur_unit_kind' : 'r.unit_kind',
    sector: 'r.sector_id',
    procedure: 'NULL::int',
    essential: 'r.essential',
    eligible: 'r.eligible',
    level: levelSql(view, 'r.taxonomy', 'r.level', 'r.eligible'),
    partialKinds: 'r.partial_kinds',
    source: 'r.source_id',
    bucket: 'dd.bucket',
    weight: 'r.services',
    integrated: 'r.integrated',
  };
}

/** SQL for a dimension's value in a stream. */
function dimExpr(spec: AggregateSpec, s: StreamSource, d: D): string {
  switch (d) {
    case D.UNIT: return s.unitAt(spec.unitTier);
    case D.PROVINCE: return s.province;
    case D.UNIT_KIND: return s.kind;
    case D.SECTOR: return s.sector;
    case D.PROCEDURE: return s.procedure;
    case D.ESSENTIAL: return s.essential;
    case D.ELIGIBLE: return s.eligible;
    case D.LEVEL: return s.level;
    case D.PERIOD: return s.bucket;
  }
}

/** Tiers at which a partial merge changes the answer: those grouped or filtered on. */
function relevantTiers(spec: AggregateSpec): UnitKind[] {
  const tiers = new Set<UnitKind>();
  if (spec.groupBy.includes(D.UNIT) || spec.filter.unitIds || spec.filter.unitCodes) tiers.add(spec.unitTier);
  if (spec.groupBy.includes(D.PROVINCE) || spec.filter.provinceCodes) tiers.add(UnitKind.PROVINCE);
  return [...tiers];
}

function filterSql(spec: AggregateSpec, s: StreamSource, p: Params): string[] {
  const f = spec.filter;
  const out: string[] = [];
  if (f.unitIds || f.unitCodes) out.push(`${s.unitAt(spec.unitTier)} IN (SELECT id FROM fu)`);
  if (f.provinceCodes) out.push(`${s.province} IN (SELECT id FROM fp)`);
  if (f.unitKinds) out.push(`${s.kind} = ANY(${p.add(f.unitKinds, 'unit_kind[]')})`);
  if (f.sectorCodes) out.push(`${s.sector} IN (SELECT id FROM sector WHERE code = ANY(${p.add(f.sectorCodes, 'text[]')}))`);
  if (f.procedureCodes) out.push(`${s.procedure} IN (SELECT id FROM procedure WHERE code = ANY(${p.add(f.procedureCodes, 'text[]')}))`);
  if (f.essential !== undefined) out.push(`${s.essential} = ${p.add(f.essential, 'boolean')}`);
  if (f.eligible !== undefined) out.push(`${s.eligible} = ${p.add(f.eligible, 'boolean')}`);
  if (f.levels) out.push(`${s.level} = ANY(${p.add(f.levels, 'text[]')})`);
  return out;
}

function streamSql(spec: AggregateSpec, s: StreamSource, p: Params, stream: 'flow' | 'stock', gate?: string): string {
  const dims = DIM_ORDER.filter((d) => spec.groupBy.includes(d));
  const cols = dims.map((d) => `${dimExpr(spec, s, d)} AS ${DIM_COLUMN[d]}`);
  const tiers = relevantTiers(spec);
  const partial = spec.current && tiers.length > 0 ? `bool_or(${s.partialKinds} && ARRAY[${sqlList(tiers)}]::unit_kind[])` : 'false';
  const where = [...(gate ? [gate] : []), ...s.where, ...filterSql(spec, s, p)];
  if (stream === 'flow') {
    if (spec.from) where.push(`${s.month} >= ${p.add(spec.from, 'date')}`);
    if (spec.to) where.push(`${s.month} <= ${p.add(spec.to, 'date')}`);
  }
  let measures: string[];
  if (stream === 'flow') {
    measures = [
      ...FLOW_COLUMNS.map((c) => `sum(${s.count!(c)}) AS ${c}`),
      ...STOCK_COLUMNS.map((c) => `0 AS ${c}`),
      `min(${s.month}) AS first_month`, `max(${s.month}) AS last_month`,
    ];
  } else {
    const online = `${s.level} IN (${sqlList(ONLINE_LEVELS)})`;
    const w = s.weight!;
    measures = [
      ...FLOW_COLUMNS.map((c) => `0 AS ${c}`),
      `sum(${w}) AS services`,
      `coalesce(sum(${w}) FILTER (WHERE ${online}), 0) AS services_online`,
      `coalesce(sum(${w}) FILTER (WHERE ${s.level} IN (${sqlList(FULL_LEVELS)})), 0) AS services_full`,
      `coalesce(sum(${w}) FILTER (WHERE ${online} AND ${s.integrated} IS TRUE), 0) AS services_integrated`,
      s.onlineFiling ? `coalesce(sum(${w}) FILTER (WHERE ${online} AND ${s.onlineFiling}), 0) AS services_online_with_filings` : '0 AS services_online_with_filings',
      'NULL::date AS first_month', 'NULL::date AS last_month',
    ];
  }
  return `SELECT ${[...cols, ...measures, `array_agg(DISTINCT ${s.source}) AS srcs`, `${partial} AS partial`].join(',\n    ')}
  FROM ${s.from}
  ${where.length ? `WHERE ${where.join('\n    AND ')}` : ''}
  ${dims.length ? `GROUP BY ${dims.map((_, i) => i + 1).join(', ')}` : ''}`;
}

/**
 * The grouped rows (gd) and, after them, one row per unit in scope that has none, its measures
 * null (so `having` drops it, as it drops any null value). toSpec allows this only when UNIT or
 * PROVINCE is the one dimension, so a unit id is the whole row key.
 */
function emptyUnitsSql(spec: AggregateSpec, stockOnDate: boolean, p: Params): string {
  const dim = spec.groupBy.includes(D.UNIT) ? D.UNIT : D.PROVINCE;
  const tier = dim === D.UNIT ? spec.unitTier : UnitKind.PROVINCE;
  const col = DIM_COLUMN[dim];
  const scope = unitScopeConditions(spec, tier, scopeWindow(spec, stockOnDate ? spec.stockDate : null), (v, cast) => p.add(v, cast));
  return `SELECT * FROM gd
    UNION ALL
    SELECT ${['u.id', ...GROUPED_COLUMNS.map(() => 'NULL'), 'false'].join(', ')}
    FROM unit u WHERE ${scope.join(' AND ')} AND NOT EXISTS (SELECT 1 FROM gd WHERE gd.${col} = u.id)`;
}

/** Builds the one statement answering an aggregate: facts, grouping, measures, order and metadata. */
export function buildAggregateQuery(spec: AggregateSpec, paramOffset = 0): BuiltQuery {
  const p = new Params(paramOffset);
  const all = new Set<AggregateMeasure>([...spec.measures, ...spec.having.map((h) => h.measure)]);
  for (const o of spec.orderBy) if (o.measure) all.add(o.measure);
  if (spec.rankBy) all.add(spec.rankBy.measure);
  const kinds = new Set([...all].map((m) => MEASURES[m].kind));
  const needsFlow = kinds.has('flow');
  const needsStock = kinds.has('stock') || kinds.has('hybrid');
  const onlineFilings = kinds.has('hybrid');
  const dims = DIM_ORDER.filter((d) => spec.groupBy.includes(d));
  const dimCols = dims.map((d) => DIM_COLUMN[d]);

  const ctes: string[] = [];
  const f = spec.filter;
  if (f.unitIds || f.unitCodes) {
    const at = p.add(f.unitsAt, 'date');
    ctes.push(`fu AS (SELECT id, code, valid_to FROM unit WHERE kind = ${p.add(spec.unitTier, 'unit_kind')}
      AND (id = ANY(${p.add(f.unitIds ?? [], 'int[]')}) OR (code = ANY(${p.add(f.unitCodes ?? [], 'text[]')}) AND ${validOnSql(at)})))`);
  }
  if (f.provinceCodes) {
    const at = p.add(f.unitsAt, 'date');
    ctes.push(`fp AS (SELECT id, code, valid_to FROM unit WHERE kind = 'province' AND code = ANY(${p.add(f.provinceCodes, 'text[]')}) AND ${validOnSql(at)})`);
  }

  let flowRollupDef: RollupDef | undefined;
  let stockRollupDef: RollupDef | undefined;
  const streams: string[] = [];
  // A stream a rollup covers reads it only while no fact changed since the last refresh
  // (rollup_dirty empty); otherwise the base tables. The check runs once (an InitPlan), and
  // PostgreSQL skips the branch whose one-time filter is false.
  const FRESH = 'NOT (SELECT stale FROM rs)';
  const STALE = '(SELECT stale FROM rs)';
  const gated = (name: 'flow' | 'stock', rollup: StreamSource, base: StreamSource) =>
    `${name} AS (${streamSql(spec, rollup, p, name, FRESH)}\n  UNION ALL\n  ${streamSql(spec, base, p, name, STALE)})`;
  if (needsFlow) {
    flowRollupDef = chooseRollup(spec, 'flow', onlineFilings);
    if (flowRollupDef) {
      ctes.push(gated('flow', flowRollup(spec, flowRollupDef), flowBase(spec)));
    } else {
      ctes.push(`flow AS (${streamSql(spec, flowBase(spec), p, 'flow')})`);
    }
    streams.push('flow');
  }
  if (needsStock) {
    // The dates stocks are taken on: one, or the last day of each period with its window of months.
    if (spec.groupBy.includes(D.PERIOD)) {
      const step = `interval '${GRAIN_MONTHS[spec.grain]} months'`;
      const from = p.add(spec.from, 'date');
      const to = p.add(spec.to, 'date');
      ctes.push(`dates AS (
        SELECT b::date AS bucket, (b + ${step} - interval '1 day')::date AS d,
          greatest(b::date, ${from}) AS wstart, least((b + ${step} - interval '1 month')::date, ${to}) AS wend
        FROM generate_series(date_trunc('${spec.grain}', ${from}::timestamp), ${to}::timestamp, ${step}) b)`);
    } else {
      const d = p.add(spec.stockDate, 'date');
      ctes.push(`dates AS (SELECT NULL::date AS bucket, ${d} AS d,
        coalesce(${p.add(spec.from ?? null, 'date')}, '-infinity'::date) AS wstart,
        coalesce(${p.add(spec.to ?? null, 'date')}, date_trunc('month', ${d}::timestamp)::date) AS wend)`);
    }
    stockRollupDef = chooseRollup(spec, 'stock', onlineFilings);
    const base = stockBase(spec, onlineFilings);
    ctes.push(...base.ctes);
    if (stockRollupDef) ctes.push(gated('stock', stockRollup(spec, stockRollupDef), base));
    else ctes.push(`stock AS (${streamSql(spec, base, p, 'stock')})`);
    streams.push('stock');
  }
  if (flowRollupDef || stockRollupDef) ctes.unshift('rs AS (SELECT EXISTS (SELECT 1 FROM rollup_dirty) AS stale)');

  const union = streams.map((s) => `SELECT ${[...dimCols, ...GROUPED_COLUMNS, 'partial'].join(', ')} FROM ${s}`).join('\n    UNION ALL\n    ');
  const grouped = `SELECT ${[...dimCols, ...GROUPED_COLUMNS.map((c) => `coalesce(sum(${c}), 0) AS ${c}`), 'coalesce(bool_or(partial), false) AS partial'].join(', ')}
    FROM (${union}) x
    ${dimCols.length ? `GROUP BY ${dimCols.join(', ')}` : ''}`;
  if (spec.includeEmptyUnits) {
    ctes.push(`gd AS (${grouped})`, `g AS (${emptyUnitsSql(spec, needsStock && !spec.groupBy.includes(D.PERIOD), p)})`);
  } else {
    ctes.push(`g AS (${grouped})`);
  }

  // Measure values: m<i>_n numerator, m<i>_d denominator, m<i>_v value.
  const index = new Map<AggregateMeasure, number>();
  [...all].forEach((m, i) => index.set(m, i));
  const measureCols = [...all].flatMap((m) => {
    const i = index.get(m)!;
    const def = MEASURES[m];
    if (!def.denominator) return [`${def.numerator} AS m${i}_v`, `NULL::numeric AS m${i}_n`, `NULL::numeric AS m${i}_d`];
    return [
      `CASE WHEN ${def.denominator} = 0 THEN NULL ELSE ${def.numerator}::float8 / ${def.denominator} END AS m${i}_v`,
      `${def.numerator} AS m${i}_n`, `${def.denominator} AS m${i}_d`,
    ];
  });
  ctes.push(`v AS (SELECT g.*, ${measureCols.join(', ')} FROM g)`);

  const order: string[] = [];
  const dimOrder = (d: D, dir: string) => {
    switch (d) {
      case D.UNIT: return [`ud.code ${dir} NULLS LAST`, `ud.valid_from ${dir} NULLS FIRST`, `v.d_unit ${dir} NULLS LAST`];
      case D.PROVINCE: return [`up.code ${dir} NULLS LAST`, `up.valid_from ${dir} NULLS FIRST`, `v.d_province ${dir} NULLS LAST`];
      case D.SECTOR: return [`sd.code ${dir} NULLS LAST`];
      case D.PROCEDURE: return [`pd.code ${dir} NULLS LAST`];
      default: return [`v.${DIM_COLUMN[d]} ${dir} NULLS LAST`];
    }
  };
  for (const o of spec.orderBy) {
    const dir = o.direction === SortDirection.DESC ? 'DESC' : 'ASC';
    if (o.measure) order.push(`v.m${index.get(o.measure)}_v ${dir} NULLS LAST`);
    else if (o.dimension) order.push(...dimOrder(o.dimension, dir));
  }
  // Ties broken by every dimension, so pages are stable.
  for (const d of spec.groupBy) order.push(...dimOrder(d, 'ASC'));
  const having = spec.having.map((h) => `v.m${index.get(h.measure)}_v ${OPS[h.op]} ${p.add(h.value, 'float8')}`);
  const rank = spec.rankBy
    ? (() => {
        const col = `v.m${index.get(spec.rankBy.measure)}_v`;
        const dir = spec.rankBy.higherIsBetter ? 'DESC' : 'ASC';
        // Rows without a value, or gathering figures from above the unit tier, are not peers.
        const peer = `(${col} IS NOT NULL${dims.includes(D.UNIT) ? ' AND v.d_unit IS NOT NULL' : ''})`;
        return [`CASE WHEN ${peer} THEN rank() OVER (PARTITION BY ${peer} ORDER BY ${col} ${dir}) END AS rank_value`,
          `count(*) FILTER (WHERE ${peer}) OVER () AS ranked`];
      })()
    : ['NULL::int AS rank_value', 'NULL::int AS ranked'];
  const refCols = (alias: string, prefix: string) =>
    [`${alias}.id AS ${prefix}_id`, `${alias}.code AS ${prefix}_code`, `${alias}.name AS ${prefix}_name`];
  const unitCols = (alias: string, prefix: string) =>
    [...refCols(alias, prefix), `${alias}.kind AS ${prefix}_kind`, `${alias}.valid_from AS ${prefix}_from`, `${alias}.valid_to AS ${prefix}_to`];
  const joins: string[] = [];
  const labelCols: string[] = [];
  // One index lookup per group (OFFSET 0 keeps the planner from hashing the whole table instead).
  const lookup = (table: string, alias: string, column: string) =>
    `LEFT JOIN LATERAL (SELECT * FROM ${table} WHERE id = v.${column} OFFSET 0) ${alias} ON true`;
  if (dims.includes(D.UNIT)) { joins.push(lookup('unit', 'ud', 'd_unit')); labelCols.push(...unitCols('ud', 'u')); }
  if (dims.includes(D.PROVINCE)) { joins.push(lookup('unit', 'up', 'd_province')); labelCols.push(...unitCols('up', 'p')); }
  if (dims.includes(D.SECTOR)) { joins.push(lookup('sector', 'sd', 'd_sector')); labelCols.push(...refCols('sd', 's')); }
  if (dims.includes(D.PROCEDURE)) { joins.push(lookup('procedure', 'pd', 'd_procedure')); labelCols.push(...refCols('pd', 'pr')); }
  ctes.push(`r AS (
    SELECT v.*, ${[...labelCols, ...rank, `row_number() OVER (ORDER BY ${order.length ? order.join(', ') : '1'}) AS rn`].join(', ')}
    FROM v ${joins.join(' ')}
    ${having.length ? `WHERE ${having.join(' AND ')}` : ''})`);

  // Units are named as on the day stocks are taken (the period's last day, or asOf); in today's
  // units, by today's names. Only the rows returned ask (63 provinces, not every group).
  const unitNameCols = new Set([...(dims.includes(D.UNIT) ? ['u_name'] : []), ...(dims.includes(D.PROVINCE) ? ['p_name'] : [])]);
  const labelDate = unitNameCols.size > 0 ? p.add(spec.current ? null : spec.stockDate, 'date') : 'NULL';
  const outCols = [
    'rn', 'partial', 'rank_value',
    ...dims.filter((d) => ![D.UNIT, D.PROVINCE, D.SECTOR, D.PROCEDURE].includes(d)).map((d) => DIM_COLUMN[d]),
    ...labelCols.map((c) => c.split(' AS ')[1]).map((c) => (unitNameCols.has(c) ? `unit_name_at(${c.replace(/_name$/, '_id')}, ${labelDate}) AS ${c}` : c)),
    ...spec.measures.flatMap((m) => [`m${index.get(m)}_v`, `m${index.get(m)}_n`, `m${index.get(m)}_d`]),
  ];
  const rowFilter = spec.focusUnitIds ? `d_unit = ANY(${p.add(spec.focusUnitIds, 'int[]')})` : `rn <= ${p.add(spec.limit, 'int')}`;
  const srcUnion = streams.map((s) => `SELECT unnest(srcs) AS id FROM ${s}`).join(' UNION ');
  const streamMeta = (sql: string) => (needsFlow ? sql : 'NULL');
  const missing: string[] = [];
  if (f.unitIds || f.unitCodes) {
    missing.push(`'unitCodes', (SELECT coalesce(json_agg(c), '[]'::json) FROM unnest(${p.add(f.unitCodes ?? [], 'text[]')}) c WHERE NOT EXISTS (SELECT 1 FROM fu WHERE fu.code = c))`);
    missing.push(`'unitIds', (SELECT coalesce(json_agg(i), '[]'::json) FROM unnest(${p.add(f.unitIds ?? [], 'int[]')}) i WHERE NOT EXISTS (SELECT 1 FROM fu WHERE fu.id = i))`);
    missing.push(`'closedUnits', (SELECT coalesce(json_agg(json_build_object('id', id, 'code', code, 'validTo', valid_to)), '[]'::json) FROM fu WHERE valid_to IS NOT NULL)`);
  }
  if (f.provinceCodes) {
    missing.push(`'provinceCodes', (SELECT coalesce(json_agg(c), '[]'::json) FROM unnest(${p.add(f.provinceCodes, 'text[]')}) c WHERE NOT EXISTS (SELECT 1 FROM fp WHERE fp.code = c))`);
    missing.push(`'closedProvinces', (SELECT coalesce(json_agg(json_build_object('id', id, 'code', code, 'validTo', valid_to)), '[]'::json) FROM fp WHERE valid_to IS NOT NULL)`);
  }
  if (f.sectorCodes) {
    missing.push(`'sectorCodes', (SELECT coalesce(json_agg(c), '[]'::json) FROM unnest(${p.add(f.sectorCodes, 'text[]')}) c WHERE NOT EXISTS (SELECT 1 FROM sector WHERE code = c))`);
  }
  if (f.procedureCodes) {
    missing.push(`'procedureCodes', (SELECT coalesce(json_agg(c), '[]'::json) FROM unnest(${p.add(f.procedureCodes, 'text[]')}) c WHERE NOT EXISTS (SELECT 1 FROM procedure WHERE code = c))`);
  }

  const text = `WITH ${ctes.join(',\n')},
  src AS (${srcUnion})
SELECT json_build_object(
  'rows', coalesce((SELECT json_agg(x ORDER BY x.rn) FROM (SELECT ${outCols.join(', ')} FROM r WHERE ${rowFilter}) x), '[]'::json),
  'total', (SELECT count(*) FROM r),
  'ranked', (SELECT coalesce(max(ranked), 0) FROM r),
  'sources', coalesce((SELECT json_agg(to_json(s) ORDER BY s.code) FROM source s WHERE s.id IN (SELECT id FROM src)), '[]'::json),
  'lastIngestAt', (SELECT max(finished_at) FROM ingest_run WHERE status = 'succeeded' AND source_id IN (SELECT id FROM src)),
  'firstMonth', ${streamMeta('(SELECT min(first_month) FROM flow)')},
  'lastMonth', ${streamMeta('(SELECT max(last_month) FROM flow)')},
  'stale', ${flowRollupDef || stockRollupDef ? '(SELECT stale FROM rs)' : 'NULL'},
  'missing', json_build_object(${missing.join(', ')})
) AS result`;
  return {
    text,
    params: p.values,
    flowRollup: flowRollupDef?.table,
    stockRollup: stockRollupDef?.table,
    streams: { flow: needsFlow, stock: needsStock },
    measureIndex: index,
  };
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
  const text = `SELECT ${built.map((b, i) => `(${b.text}) AS r${i}`).join(',\n')}`;
  return { text, params, built };
}
