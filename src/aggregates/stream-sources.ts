/**
 * Step "sources" of the aggregate builder: where each fact stream is read, a rollup or the base
 * tables, and how each attribute the other steps ask for (a unit at a tier, a sector, a level, the
 * period bucket, the counts) reads there. Four streams: flows (filing_stat, summed over months),
 * stocks (service_level, counted on dates), and the dossier store's days and open dossiers
 * (dossier-sources.ts).
 *
 * Table aliases inside a stream: f filing_stat, p procedure, s service, sl a service's level
 * spans, m the reporting unit's unit_map row; r a rollup row and ml the unit_map row of its
 * top-level unit; dd the dates stocks are taken on; lv a dossier's service level.
 */
import { addMonths, blockStart, monthOf } from '../common/calendar';
import { UnitKind } from '../units/unit.entity';
import { validOnSql } from '../units/unit-validity';
import { AggregateSpec, filtersUnits } from './aggregate-spec';
import { AggregateDimension as D, Grain, GRAIN_MONTHS, LevelView, levelSql, PeriodGrain, tierColumn, TOP_TIERS } from './dimensions';
import { FilterKey, RollupDef, ROLLUPS, RollupUnitKey } from './rollup.service';
import { AddParam } from './unit-scope';
import type { DaysSource, OpenSource } from './dossier-sources';

export type Stream = 'flow' | 'stock' | 'days' | 'open';

/** How a fact's unit reads: its ancestor at a tier, its province, its kind, and where its attribution relies on a partial merge. */
export interface UnitAttributes {
  /** The reporting unit's ancestor at a tier (itself at its own tier). */
  at(tier: UnitKind): string;
  province: string;
  kind: string;
  /** Tiers at which the unit's attribution relies on a partial merge (unit_kind[]). */
  partialKinds: string;
}

/** How a fact's procedure and its catalogue attributes read. */
export interface CatalogueAttributes {
  sector: string;
  procedure: string;
  essential: string;
  eligible: string;
}

/** How each attribute of a fact reads in a source (SQL expressions). */
export interface SourceAttributes {
  /** Common table expressions the source needs (before its stream's). */
  ctes: string[];
  from: string;
  /** Conditions the source always sets (before the query's filters). */
  where: string[];
  unit: UnitAttributes;
  catalogue: CatalogueAttributes;
  /** Level as the chosen view reads it. */
  level: string;
  source: string;
  /** The PERIOD dimension's value. */
  bucket: string;
}

export interface FlowSource extends SourceAttributes {
  stream: 'flow';
  /** The row's month (a yearly rollup's: its year's first), which the period's bounds compare. */
  month: string;
  /** The first and last months with data a row holds (its month, but in a yearly rollup), for coverage. */
  firstMonth: string;
  lastMonth: string;
  /** SQL of a summed count column (one of FLOW_COLUMNS). */
  count(column: string): string;
}

export interface StockSource extends SourceAttributes {
  stream: 'stock';
  /** How many services a row stands for. */
  weight: string;
  integrated: string;
  /** For SERVICES_WITH_ONLINE_FILINGS: whether the service (the row's services) had an online dossier in the window. */
  onlineFiling?: string;
}

export type StreamSource = FlowSource | StockSource | DaysSource | OpenSource;

/** Which filter keys a spec uses. */
export function filterKeys(spec: AggregateSpec): FilterKey[] {
  const f = spec.filter;
  const keys: FilterKey[] = [];
  if (filtersUnits(spec)) keys.push('unit');
  if (f.provinceCodes) keys.push('province');
  if (f.unitKinds) keys.push('unitKinds');
  if (f.sectorCodes) keys.push('sector');
  if (f.procedureCodes) keys.push('procedure');
  if (f.essential !== undefined) keys.push('essential');
  if (f.eligible !== undefined) keys.push('eligible');
  if (f.levels) keys.push('levels');
  return keys;
}

/** Whether a rollup keyed this way can read the unit tier the query groups or filters by. */
function coversTier(r: RollupDef, spec: AggregateSpec, keys: FilterKey[]): boolean {
  const usesUnitTier = spec.groupBy.includes(D.UNIT) || keys.includes('unit');
  return !usesUnitTier || r.unitKey === 'unit' || (r.unitKey === 'l1' && TOP_TIERS.includes(spec.unitTier));
}

/**
 * Whether each date stocks are taken on falls in the last month of its window for online filings
 * (see stockDatesCte): a rollup row's last_online is the last month with an online dossier up to
 * its date, so it tells about a window ending that month only. Always so without PERIOD (the date
 * is the last day of period.to, or today without one); by PERIOD, unless period.to ends before the
 * last month of its quarter or year (the last window is then cut short).
 */
function windowsEndOnStockDates(spec: AggregateSpec): boolean {
  if (!spec.groupBy.includes(D.PERIOD)) return !spec.to || monthOf(spec.to) === monthOf(spec.stockDate);
  const next = monthOf(addMonths(spec.to!, 1));
  return blockStart(next, GRAIN_MONTHS[spec.grain]) === next;
}

/** Whether a rollup's grain covers the period: a yearly one, whole years only (and by PERIOD, years). */
function coversPeriod(r: RollupDef, spec: AggregateSpec): boolean {
  if (r.grain !== 'year') return true;
  const wholeYears = spec.from?.slice(5, 7) === '01' && spec.to?.slice(5, 7) === '12';
  return wholeYears && (!spec.groupBy.includes(D.PERIOD) || spec.grain === PeriodGrain.YEAR);
}

/** The rollup that covers a stream of this query, if any (the smallest first); undefined: the base tables. */
export function chooseRollup(spec: AggregateSpec, stream: Stream, needsOnlineFilings: boolean): RollupDef | undefined {
  if (!spec.preferRollups) return undefined;
  const onlineFilings = stream === 'stock' && needsOnlineFilings;
  if (onlineFilings && !windowsEndOnStockDates(spec)) return undefined;
  const keys = filterKeys(spec);
  return ROLLUPS.find((r) => r.stream === stream && (!onlineFilings || r.onlineFilings === true)
    && spec.groupBy.every((d) => r.dims.has(d)) && keys.every((k) => r.filters.has(k)) && coversTier(r, spec, keys) && coversPeriod(r, spec));
}

export const bucketOf = (grain: Grain, month: string) => (grain === PeriodGrain.MONTH ? month : `date_trunc('${grain}', ${month}::timestamp)::date`);

/**
 * Unit attributes, as reported and in today's units. Constants, built once, that the sources point
 * to: spreading shared attributes into each source object made building the bench's statement
 * 1.5 to 2.2 times slower than the single function this builder replaced (93-158 against 57-85 µs,
 * interleaved rounds); with constants it is within noise of it (49-86 against 52-84 µs).
 */
function unitAttributes(map: string, kind: string, partialKinds: string, current: boolean): UnitAttributes {
  return { at: (tier) => `${map}.${tierColumn(tier, current)}`, province: `${map}.${tierColumn(UnitKind.PROVINCE, current)}`, kind, partialKinds };
}

/** Base tables: the reporting unit's unit_map row `m`. */
export const BASE_UNIT = { asReported: unitAttributes('m', 'm.kind', 'm.partial_kinds', false), current: unitAttributes('m', 'm.cur_kind', 'm.partial_kinds', true) };
/**
 * A rollup row `r` carries the reporting unit's kind and partial merges; its top-level unit's own
 * ancestors (unit_map `ml`) are the reporting unit's, for the tiers a rollup covers.
 */
const ROLLUP_UNIT = { asReported: unitAttributes('ml', 'r.unit_kind', 'r.partial_kinds', false), current: unitAttributes('ml', 'r.cur_unit_kind', 'r.partial_kinds', true) };

export const unitIn = (attributes: typeof BASE_UNIT, current: boolean): UnitAttributes => (current ? attributes.current : attributes.asReported);

/** Base tables: the fact's procedure `p` (a filing's procedure_id, a service's). */
export const FLOW_CATALOGUE: CatalogueAttributes = { sector: 'p.sector_id', procedure: 'f.procedure_id', essential: 'p.essential', eligible: 'p.eligible_full_online' };
const STOCK_CATALOGUE: CatalogueAttributes = { ...FLOW_CATALOGUE, procedure: 's.procedure_id' };
/** Rollups keep sector, essential and eligible; the procedure rollup the procedure too. */
export const ROLLUP_CATALOGUE: CatalogueAttributes = { sector: 'r.sector_id', procedure: 'NULL::int', essential: 'r.essential', eligible: 'r.eligible' };
const PROCEDURE_ROLLUP_CATALOGUE: CatalogueAttributes = { ...ROLLUP_CATALOGUE, procedure: 'r.procedure_id' };

const rollupUnitMapJoin = (current: boolean) => `JOIN unit_map ml ON ml.unit_id = r.${current ? 'cur_l1_id' : 'l1_id'}`;

/** A national rollup has no unit: chooseRollup never picks one for a query that reads a unit tier. */
const noUnit = (what: string) => (): string => {
  throw new Error(`a national rollup has no ${what}`);
};
const NATION_UNIT: { asReported: UnitAttributes; current: UnitAttributes } = {
  asReported: { at: noUnit('unit tier'), province: 'NULL::int', kind: 'r.unit_kind', partialKinds: `'{}'::unit_kind[]` },
  current: { at: noUnit('unit tier'), province: 'NULL::int', kind: 'r.cur_unit_kind', partialKinds: `'{}'::unit_kind[]` },
};

/** How a flow rollup's rows read their unit (FROM clause after the rollup `r`, and the attributes). */
export const ROLLUP_UNITS: Record<RollupUnitKey, (current: boolean) => { join: string; unit: UnitAttributes }> = {
  l1: (current) => ({ join: rollupUnitMapJoin(current), unit: unitIn(ROLLUP_UNIT, current) }),
  // Keyed by the reporting unit: its unit_map row, as the base tables read it.
  unit: (current) => ({ join: 'JOIN unit_map m ON m.unit_id = r.unit_id', unit: unitIn(BASE_UNIT, current) }),
  nation: (current) => ({ join: '', unit: unitIn(NATION_UNIT, current) }),
};

/** Flows from filing_stat. */
export function flowFromBaseTables(spec: AggregateSpec): FlowSource {
  const needLevel = spec.groupBy.includes(D.LEVEL) || spec.filter.levels !== undefined;
  // A dossier's level: its service's level in force on the last day of the month.
  const lateral = needLevel
    ? `LEFT JOIN LATERAL (
         SELECT sl.taxonomy, sl.level FROM service s JOIN service_level sl ON sl.service_id = s.id
         WHERE s.unit_id = f.unit_id AND s.procedure_id = f.procedure_id AND sl.valid_from < (f.month + interval '1 month')::date
         ORDER BY sl.valid_from DESC LIMIT 1) lv ON true`
    : '';
  return {
    stream: 'flow',
    ctes: [],
    from: `filing_stat f JOIN unit_map m ON m.unit_id = f.unit_id JOIN procedure p ON p.id = f.procedure_id ${lateral}`,
    where: [],
    unit: unitIn(BASE_UNIT, spec.current),
    catalogue: FLOW_CATALOGUE,
    level: needLevel && spec.levels ? levelSql(spec.levels, 'lv.taxonomy', 'lv.level', 'p.eligible_full_online') : 'NULL::text',
    source: 'f.source_id',
    month: 'f.month',
    firstMonth: 'f.month',
    lastMonth: 'f.month',
    bucket: bucketOf(spec.grain, 'f.month'),
    count: (column) => `f.${column}`,
  };
}

/** Flows from a filing rollup (by month and unit: top-level, reporting or none; some by sector or procedure). */
export function flowFromRollup(spec: AggregateSpec, rollup: RollupDef): FlowSource {
  const { join, unit } = ROLLUP_UNITS[rollup.unitKey](spec.current);
  return {
    stream: 'flow',
    ctes: [],
    from: `${rollup.table} r ${join}`,
    where: [],
    unit,
    catalogue: rollup.procedure ? PROCEDURE_ROLLUP_CATALOGUE : ROLLUP_CATALOGUE,
    level: 'NULL::text',
    source: 'r.source_id',
    month: 'r.month',
    firstMonth: rollup.grain === 'year' ? 'r.first_month' : 'r.month',
    lastMonth: rollup.grain === 'year' ? 'r.last_month' : 'r.month',
    bucket: bucketOf(spec.grain, 'r.month'),
    count: (column) => `r.${column}`,
  };
}

/**
 * The dates stocks are taken on (CTE `dates`): one (asOf, or the period's last day), or the last
 * day of each period of the PERIOD dimension; each with the window of months a hybrid measure
 * looks for online filings in.
 */
export function stockDatesCte(spec: AggregateSpec, add: AddParam): string {
  if (spec.groupBy.includes(D.PERIOD)) {
    const step = `interval '${GRAIN_MONTHS[spec.grain]} months'`;
    const from = add(spec.from, 'date');
    const to = add(spec.to, 'date');
    return `dates AS (
        SELECT b::date AS bucket, (b + ${step} - interval '1 day')::date AS d,
          greatest(b::date, ${from}) AS wstart, least((b + ${step} - interval '1 month')::date, ${to}) AS wend
        FROM generate_series(date_trunc('${spec.grain}', ${from}::timestamp), ${to}::timestamp, ${step}) b)`;
  }
  const d = add(spec.stockDate, 'date');
  return `dates AS (SELECT NULL::date AS bucket, ${d} AS d,
        coalesce(${add(spec.from ?? null, 'date')}, '-infinity'::date) AS wstart,
        coalesce(${add(spec.to ?? null, 'date')}, date_trunc('month', ${d}::timestamp)::date) AS wend)`;
}

/** An as-reported view reads only the levels reported in its taxonomy. */
const reportedInView = (view: LevelView, taxonomy: string): string[] =>
  (view === LevelView.DECREE43 || view === LevelView.DECREE42 ? [`${taxonomy} = '${view}'`] : []);

/** Stocks from service_level: each level row is in force from its date until the service's next one (CTE `spans`). */
export function stockFromBaseTables(spec: AggregateSpec, withOnlineFilings: boolean): StockSource {
  const view = spec.levels!;
  return {
    stream: 'stock',
    ctes: [`spans AS (
      SELECT sl.service_id, sl.taxonomy, sl.level, sl.integrated_national, sl.source_id, sl.valid_from,
        lead(sl.valid_from) OVER (PARTITION BY sl.service_id ORDER BY sl.valid_from) AS next_from
      FROM service_level sl)`],
    from: `dates dd JOIN spans sl ON sl.valid_from <= dd.d AND (sl.next_from IS NULL OR sl.next_from > dd.d)
      JOIN service s ON s.id = sl.service_id JOIN unit_map m ON m.unit_id = s.unit_id JOIN procedure p ON p.id = s.procedure_id`,
    where: [validOnSql('dd.d', 'm'), ...reportedInView(view, 'sl.taxonomy')],
    unit: unitIn(BASE_UNIT, spec.current),
    catalogue: STOCK_CATALOGUE,
    level: levelSql(view, 'sl.taxonomy', 'sl.level', 'p.eligible_full_online'),
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

/** Stocks from a stock rollup: service counts run-length encoded over [valid_from, valid_to), by top-level unit or for the nation. */
export function stockFromRollup(spec: AggregateSpec, rollup: RollupDef): StockSource {
  const view = spec.levels!;
  const national = rollup.unitKey === 'nation';
  return {
    stream: 'stock',
    ctes: [],
    from: `dates dd JOIN ${rollup.table} r ON daterange(r.valid_from, r.valid_to) @> dd.d ${national ? '' : rollupUnitMapJoin(spec.current)}`,
    where: reportedInView(view, 'r.taxonomy'),
    unit: unitIn(national ? NATION_UNIT : ROLLUP_UNIT, spec.current),
    catalogue: ROLLUP_CATALOGUE,
    level: levelSql(view, 'r.taxonomy', 'r.level', 'r.eligible'),
    source: 'r.source_id',
    bucket: 'dd.bucket',
    weight: 'r.services',
    integrated: 'r.integrated',
    // The window ends in the month of dd.d (chooseRollup), where r.last_online is taken.
    onlineFiling: rollup.onlineFilings ? 'r.last_online >= dd.wstart' : undefined,
  };
}
