import { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput, FieldProblem } from '../common/errors';
import { Sql } from '../db/sql';
import { Source } from '../provenance/source.entity';
import { addMonths, monthEnd, monthOf, monthsBetween, today } from '../common/calendar';
import { UnitKind } from '../units/unit.entity';
import { AggregateInput } from './aggregate.inputs';
import {
  AGGREGATE_COLUMNS as COL, AggregateStatementResult, CatalogueLabelColumns, combinedResultColumn, DIMENSION_COLUMNS, LABEL_COLUMNS, UnitLabelColumns,
} from './aggregate-columns';
import { buildAggregateQuery, BuiltQuery, combineQueries } from './aggregate-query.builder';
import { AggregateSpec } from './aggregate-spec';
import { AggregateDimensions, AggregateResult, AggregateRow, CatalogueRef, MeasureValue, Period, UnitRef } from './aggregate.types';
import { AggregateDimension as D, Grain, GRAIN_MONTHS, PeriodGrain, SUPPORTED_GRAINS, UnitView, VIEW_LEVELS } from './dimensions';
import { AggregateMeasure, isDossierMeasure, MEASURES } from './measures';
import { runReadQuery } from './read-query';
import type { DistributionRow } from './distribution.sql';

/** Most periods a stock series (stock measures by PERIOD) may span. */
export const MAX_STOCK_PERIODS = 120;

export function periodOf(grain: Grain, start: string): Period {
  const end = monthEnd(addMonths(start, GRAIN_MONTHS[grain] - 1));
  const year = start.slice(0, 4);
  const label = grain === PeriodGrain.YEAR ? year
    : grain === PeriodGrain.QUARTER ? `${year}-Q${Math.floor((Number(start.slice(5, 7)) - 1) / 3) + 1}`
      : monthOf(start);
  return { grain, label, start, end };
}

const names = (ms: AggregateMeasure[]) => ms.map((m) => m.toUpperCase()).join(', ');

/** Checks what the schema cannot (combinations), and settles every default. */
export function toSpec(q: AggregateInput, now: string = today()): AggregateSpec {
  const problems: FieldProblem[] = [];
  const add = (field: string, reason: string) => problems.push({ field, reason });
  const groupBy = q.groupBy ?? [];
  const filter = q.filter ?? {};

  if (!(SUPPORTED_GRAINS as readonly PeriodGrain[]).includes(q.periodGrain)) {
    add('query.periodGrain', `filing statistics are monthly: the finest grain is MONTH (then QUARTER, YEAR), not ${q.periodGrain.toUpperCase()}`);
  }
  const from = q.period?.from;
  const to = q.period?.to;
  if (from && to && from > to) add('query.period', `from ${from} is after to ${to}`);

  const used = new Set<AggregateMeasure>([...q.measures, ...(q.having ?? []).map((h) => h.measure)]);
  for (const o of q.orderBy ?? []) if (o.measure) used.add(o.measure);
  const byKind = (k: string) => [...used].filter((m) => MEASURES[m].kind === k);
  const flows = byKind('flow');
  const stocks = byKind('stock');
  const hybrids = byKind('hybrid');
  const days = byKind('days');
  // Dossiers in progress and overdue are counted on a date, as stocks are.
  const onDate = [...stocks, ...byKind('open')];
  const byPeriod = groupBy.includes(D.PERIOD);

  if (q.asOf) {
    const overPeriod = [
      ...(flows.length ? [`${names(flows)} ${flows.length > 1 ? 'are flows' : 'is a flow'} summed over a period`] : []),
      ...(days.length ? [`${names(days)} ${days.length > 1 ? 'are' : 'is'} measured over the dossiers resolved in a period`] : []),
    ];
    if (hybrids.length > 0) {
      add('query.asOf', `${names(hybrids)} is measured over the period, on the services online on its last day: give period, not asOf`);
    } else if (onDate.length === 0) {
      add('query.asOf', `asOf applies to stock measures (service counts, level shares, DVCQG integration) and to dossiers in progress or overdue; ${overPeriod.join(', and ')}: give period instead`);
    } else if (byPeriod) {
      add('query.asOf', 'grouped by PERIOD, stock measures and dossiers in progress or overdue are taken on the last day of each period: drop asOf or the PERIOD dimension');
    }
  }
  if (byPeriod && onDate.length + hybrids.length > 0) {
    if (!from || !to) {
      add('query.period', `measures on a date (${names([...onDate, ...hybrids])}) by PERIOD need both period.from and period.to: they are taken on the last day of each period`);
    } else if ((SUPPORTED_GRAINS as readonly PeriodGrain[]).includes(q.periodGrain)) {
      if (monthsBetween(from, to) / GRAIN_MONTHS[q.periodGrain as Grain] > MAX_STOCK_PERIODS) {
        add('query.period', `stock measures by PERIOD are limited to ${MAX_STOCK_PERIODS} periods; use a coarser periodGrain or a shorter period`);
      }
    }
  }
  const dossierMeasures = [...used].filter(isDossierMeasure);
  if (dossierMeasures.length > 0) {
    // The dossier store keeps no service level per dossier; reading one per dossier (as monthly statistics do per group) is not done.
    const why = `${names(dossierMeasures)} ${dossierMeasures.length > 1 ? 'are' : 'is'} read from the dossiers, which are not split by service level`;
    if (groupBy.includes(D.LEVEL)) add('query.groupBy', `${why}: drop the LEVEL dimension`);
    if (filter.levels) add('query.filter.levels', `${why}: drop filter.levels`);
  }
  const needsLevels = stocks.length + hybrids.length > 0 || groupBy.includes(D.LEVEL) || filter.levels !== undefined;
  if (needsLevels && !q.levels) {
    add('query.levels', 'service levels are read here: choose the taxonomy (DECREE43, DECREE42, MAPPED_TO_DECREE43 or MAPPED_TO_DECREE42)');
  }
  if (filter.levels && q.levels) {
    const allowed = VIEW_LEVELS[q.levels];
    const bad = filter.levels.filter((l) => !allowed.includes(l));
    if (bad.length > 0) add('query.filter.levels', `${bad.join(', ')} not a level of ${q.levels.toUpperCase()} (${allowed.join(', ')})`);
  }
  (q.orderBy ?? []).forEach((o, i) => {
    if ((o.measure === undefined) === (o.dimension === undefined)) add(`query.orderBy[${i}]`, 'give either a measure or a dimension');
    else if (o.dimension && !groupBy.includes(o.dimension)) add(`query.orderBy[${i}].dimension`, `${o.dimension.toUpperCase()} is not in groupBy`);
  });
  if (q.includeEmptyUnits && !(groupBy.length === 1 && (groupBy[0] === D.UNIT || groupBy[0] === D.PROVINCE))) {
    add('query.includeEmptyUnits', 'empty units are listed when UNIT or PROVINCE is the only groupBy dimension');
  }
  if (problems.length > 0) throw badUserInput(`Invalid aggregate: ${problems.map((p) => p.reason).join('; ')}`, problems);

  const stockDate = q.asOf ?? (to ? monthEnd(to) : now);
  return {
    measures: q.measures,
    groupBy,
    unitTier: q.unitTier,
    grain: q.periodGrain as Grain,
    from: from ? `${from}-01` : undefined,
    to: to ? `${to}-01` : undefined,
    stockDate,
    levels: q.levels,
    current: q.unitView === UnitView.CURRENT_UNITS,
    filter: {
      unitIds: filter.unitIds?.map(Number),
      unitCodes: filter.unitCodes,
      unitsAt: filter.unitsAt ?? now,
      provinceCodes: filter.provinceCodes,
      unitKinds: filter.unitKinds,
      sectorCodes: filter.sectorCodes,
      procedureCodes: filter.procedureCodes,
      essential: filter.essential ?? undefined,
      eligible: filter.eligible ?? undefined,
      levels: filter.levels,
    },
    having: q.having ?? [],
    orderBy: q.orderBy ?? [],
    limit: q.limit,
    preferRollups: q.preferRollups,
    includeEmptyUnits: q.includeEmptyUnits,
  };
}

export interface AggregateOutcome extends AggregateResult {
  /** Rank of each row by spec.rankBy (internal, for KPIs), and how many rows had a value. */
  ranks: (number | null)[];
  ranked: number;
  /** The validated query, kept for the lazily computed `warnings` (internal). */
  spec: AggregateSpec;
  /** spec.distribution's groups, as the statement returned them (internal). */
  distributionRows: DistributionRow[] | null;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

type Row = Record<string, unknown>;

/** A unit named by a row's label columns; null when the row has none (figures above the unit tier). */
function unitRef(row: Row, label: UnitLabelColumns): UnitRef | null {
  if (row[label.id] === null || row[label.id] === undefined) return null;
  return {
    id: String(row[label.id]), code: String(row[label.code]), name: String(row[label.name]), kind: row[label.kind] as UnitKind,
    validFrom: (row[label.validFrom] as string | null) ?? null, validTo: (row[label.validTo] as string | null) ?? null,
  };
}

/** A sector or procedure named by a row's label columns; null when its id is null. */
function catalogueRef(row: Row, label: CatalogueLabelColumns): CatalogueRef | null {
  if (row[label.id] === null) return null;
  return { id: String(row[label.id]), code: String(row[label.code]), name: String(row[label.name]) };
}

/** A row's dimension values, read from its dimension and label columns; those not in `dimensions` are null. */
export function dimensionsOf(row: Row, dimensions: D[], grain: Grain): AggregateDimensions {
  const grouped = (d: D) => dimensions.includes(d);
  const value = (d: D) => row[DIMENSION_COLUMNS[d]];
  return {
    unit: grouped(D.UNIT) ? unitRef(row, LABEL_COLUMNS[D.UNIT]) : null,
    province: grouped(D.PROVINCE) ? unitRef(row, LABEL_COLUMNS[D.PROVINCE]) : null,
    unitKind: grouped(D.UNIT_KIND) ? (value(D.UNIT_KIND) as UnitKind | null) : null,
    sector: grouped(D.SECTOR) ? catalogueRef(row, LABEL_COLUMNS[D.SECTOR]) : null,
    procedure: grouped(D.PROCEDURE) ? catalogueRef(row, LABEL_COLUMNS[D.PROCEDURE]) : null,
    essential: grouped(D.ESSENTIAL) ? (value(D.ESSENTIAL) as boolean | null) : null,
    eligible: grouped(D.ELIGIBLE) ? (value(D.ELIGIBLE) as boolean | null) : null,
    level: grouped(D.LEVEL) ? (value(D.LEVEL) as string | null) : null,
    period: grouped(D.PERIOD) && value(D.PERIOD) ? periodOf(grain, String(value(D.PERIOD))) : null,
  };
}

/** The aggregate engine: validates, builds one statement, runs it under the timeout, shapes the rows. */
export class AggregateService {
  constructor(private readonly sql: Sql, private readonly em: EntityManager, private readonly timeoutMs: number) {}

  async aggregate(input: AggregateInput): Promise<AggregateOutcome> {
    return this.run(toSpec(input));
  }

  /** For callers that build specs themselves (KPIs). */
  async run(spec: AggregateSpec): Promise<AggregateOutcome> {
    const built = buildAggregateQuery(spec);
    // Generic when every stream reads a rollup (planned once), custom on base tables (see BuiltQuery.planCacheMode).
    const [row] = await runReadQuery<Record<string, AggregateStatementResult>>(this.sql, built.text, built.params, this.timeoutMs, { planCacheMode: built.planCacheMode });
    const result = row[COL.result];
    this.checkFilters(spec, result);
    return this.shape(spec, built, result);
  }

  /** Several specs in one statement (one connection, one round trip), outcomes in the same order. */
  async runMany(specs: AggregateSpec[]): Promise<AggregateOutcome[]> {
    const { text, params, built } = combineQueries(specs);
    const [row] = await runReadQuery<Record<string, AggregateStatementResult>>(this.sql, text, params, this.timeoutMs, { planCacheMode: 'force_generic_plan' });
    return specs.map((spec, i) => {
      const result = row[combinedResultColumn(i)];
      this.checkFilters(spec, result);
      return this.shape(spec, built[i], result);
    });
  }

  /** Filters naming nothing are mistakes worth telling, not empty results. */
  private checkFilters(spec: AggregateSpec, r: AggregateStatementResult): void {
    const problems: FieldProblem[] = [];
    const m = r.missing;
    const tier = spec.unitTier.toUpperCase();
    const at = spec.filter.unitsAt;
    for (const c of m.unitCodes ?? []) problems.push({ field: 'query.filter.unitCodes', reason: `no ${tier} with code ${c} on ${at} (codes are read on filter.unitsAt)` });
    for (const i of m.unitIds ?? []) problems.push({ field: 'query.filter.unitIds', reason: `no ${tier} with id ${i}` });
    for (const c of m.provinceCodes ?? []) problems.push({ field: 'query.filter.provinceCodes', reason: `no PROVINCE with code ${c} on ${at} (codes are read on filter.unitsAt)` });
    if (spec.current) {
      for (const u of m.closedUnits ?? []) problems.push({ field: 'query.filter', reason: `unit ${u.code} (id ${u.id}) closed on ${u.validTo}: with CURRENT_UNITS its figures belong to its successor; filter on today's units` });
      for (const u of m.closedProvinces ?? []) problems.push({ field: 'query.filter.provinceCodes', reason: `province ${u.code} closed on ${u.validTo}: with CURRENT_UNITS its figures belong to its successor; filter on today's provinces` });
    }
    for (const c of m.sectorCodes ?? []) problems.push({ field: 'query.filter.sectorCodes', reason: `unknown sector code ${c}` });
    for (const c of m.procedureCodes ?? []) problems.push({ field: 'query.filter.procedureCodes', reason: `unknown procedure code ${c}` });
    if (problems.length > 0) throw badUserInput(`Invalid aggregate filter: ${problems.map((p) => p.reason).join('; ')}`, problems);
  }

  private shape(spec: AggregateSpec, built: BuiltQuery, r: AggregateStatementResult): AggregateOutcome {
    const rows: AggregateRow[] = r.rows.map((row) => {
      const measures: MeasureValue[] = spec.measures.map((measure) => {
        const columns = built.measureColumns.get(measure)!;
        const ratio = MEASURES[measure].denominator !== undefined;
        return {
          measure,
          value: num(row[columns.value]),
          numerator: ratio ? num(row[columns.numerator]) : null,
          denominator: ratio ? num(row[columns.denominator]) : null,
        };
      });
      const byMeasure = new Map(measures.map((mv) => [mv.measure, mv]));
      const upperBounds = new Map(spec.measures.flatMap((measure) => {
        const bound = MEASURES[measure].percentile === undefined ? null : num(row[built.measureColumns.get(measure)!.upperBound]);
        return bound === null ? [] : [[measure, bound] as const];
      }));
      return {
        dimensions: dimensionsOf(row, spec.groupBy, spec.grain),
        measures,
        byMeasure,
        upperBounds,
        includesPartialMerges: row[COL.partial] === true,
      };
    });
    const byPeriod = spec.groupBy.includes(D.PERIOD);
    return {
      rows,
      totalRows: Number(r.total),
      truncated: !spec.focusUnitIds && Number(r.total) > rows.length,
      coverage: {
        from: spec.from ?? null,
        to: spec.to ?? null,
        asOf: (built.streams.stock || built.streams.open) && !byPeriod ? spec.stockDate : null,
        firstMonthWithData: r.firstMonth,
        lastMonthWithData: r.lastMonth,
        lastIngestAt: r.lastIngestAt ? new Date(r.lastIngestAt) : null,
      },
      // Whole rows, mapped like any ORM read: Source's fields stay in one place (its entity).
      sources: r.sources.map((row) => this.em.map(Source, row)),
      levels: spec.levels ?? null,
      unitView: spec.current ? UnitView.CURRENT_UNITS : UnitView.AS_REPORTED,
      answeredFromRollups: r.stale === false
        && (!built.streams.flow || built.flowRollup !== undefined) && (!built.streams.stock || built.stockRollup !== undefined)
        && (!built.streams.days || built.daysRollup !== undefined) && (!built.streams.open || built.openRollup !== undefined),
      ranks: r.rows.map((row) => num(row[COL.rank])),
      ranked: Number(r.ranked),
      spec,
      distributionRows: r.distribution,
    };
  }
}

