import { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput } from '../common/errors';
import { Sql } from '../db/sql';
import { Comparison, Indicator, Target } from '../plans/target.entity';
import { addMonths, blockStart, monthEnd, monthOf, today, yearOf } from '../common/calendar';
import { UnitKind } from '../units/unit.entity';
import { validOnSql } from '../units/unit-validity';
import { AggregateSpec } from './aggregate-spec';
import { AggregateInput } from './aggregate.inputs';
import { AggregateService, periodOf, toSpec } from './aggregate.service';
import { UnitRef, UnitRow, unitRefOf } from './aggregate.types';
import { AggregateDimension as D, Grain, GRAIN_MONTHS, LevelView, PeriodGrain, SUPPORTED_GRAINS, UnitView } from './dimensions';
import { Kpi, KpiPoint, TargetAssessment } from './kpi.types';
import { INDICATOR_MEASURE, MEASURES } from './measures';
import { PlanComplianceService } from './plan-compliance.service';

export interface KpiRequest {
  indicator: Indicator;
  unitCode: string;
  unitAt?: string;
  period?: { from?: string; to?: string };
  asOf?: string;
  levels?: LevelView;
  unitView: UnitView;
  trendPeriods: number;
  trendGrain: PeriodGrain;
  planYear?: number;
}

/** Whether a ratio num/den meets a threshold, in exact integer arithmetic (thresholds have 4 decimals). */
export function assess(num: number | null, den: number | null, threshold: number, comparison: Comparison): { met: boolean | null; gapPoints: number | null } {
  if (num === null || den === null || den === 0) return { met: null, gapPoints: null };
  const t = Math.round(threshold * 10_000);
  const scaled = num * 10_000;
  const short = comparison === Comparison.AT_LEAST ? t * den - scaled : scaled - t * den;
  // short / den is in units of 1/10000 of the ratio; a percentage point is 100 of them.
  return { met: short <= 0, gapPoints: short <= 0 ? 0 : Math.round((short / den / 100) * 1e9) / 1e9 };
}

/**
 * Whether a target is in force on `date`: from its periodStart (when given) through its deadline,
 * both included. A target is judged only where it is in force, never "missed" outside it.
 *
 * Why the deadline ends it, for a stock target too: the legal texts set each target for a period
 * (docs/domain.md, "Targets and plans"). Resolution 17's 30% "by the end of 2020" is in force from
 * the resolution to 31 December 2020: before the deadline `met` says whether the unit is already
 * there, on the deadline it is the judgment itself. After it the 2021 target (100% of eligible
 * services during 2021) took over; judging a 2025 value against the 2020 target would report a
 * miss the law never asked about. The judgment of an ended target is read by asking on its
 * deadline. A target without a periodStart is in force on every date up to its deadline.
 */
export function inForceOn(target: Pick<Target, 'periodStart' | 'deadline'>, date: string): boolean {
  return (!target.periodStart || target.periodStart <= date) && date <= target.deadline;
}

/** The unit's targets split by whether they apply on `date`, each list in the order given. */
function splitByForce(targets: Target[], date: string): { inForce: Target[]; notInForce: Target[] } {
  return { inForce: targets.filter((t) => inForceOn(t, date)), notInForce: targets.filter((t) => !inForceOn(t, date)) };
}

/** KPIs: an indicator for a unit, against its targets, ranked among peers, with its trend. */
export class KpiService {
  private readonly engine: AggregateService;

  constructor(private readonly sql: Sql, private readonly em: EntityManager, private readonly timeoutMs: number) {
    this.engine = new AggregateService(sql, em, timeoutMs);
  }

  async kpi(req: KpiRequest): Promise<Kpi> {
    const measure = INDICATOR_MEASURE[req.indicator];
    const kind = measure ? MEASURES[measure].kind : 'stock';
    if (!(SUPPORTED_GRAINS as readonly PeriodGrain[]).includes(req.trendGrain)) {
      throw badUserInput('Invalid trendGrain', [{ field: 'trendGrain', reason: `filing statistics are monthly: the finest grain is MONTH, not ${req.trendGrain.toUpperCase()}` }]);
    }
    if (kind !== 'stock' && req.asOf) {
      throw badUserInput(`${req.indicator.toUpperCase()} is measured over a period, not on a date: give period, not asOf`, [
        { field: 'asOf', reason: `${req.indicator.toUpperCase()} is a flow indicator: asOf applies to stock indicators (level shares, DVCQG integration, plan issuance)` },
      ]);
    }
    if (kind !== 'stock' && !req.period?.to) {
      throw badUserInput(`${req.indicator.toUpperCase()} is measured over a period: give period (at least period.to)`, [
        { field: 'period.to', reason: 'required for a flow indicator' },
      ]);
    }
    if (req.period?.from && req.period.to && req.period.from > req.period.to) {
      throw badUserInput('Empty period', [{ field: 'period', reason: `from ${req.period.from} is after to ${req.period.to}` }]);
    }
    const date = req.asOf ?? (req.period?.to ? monthEnd(req.period.to) : today());
    const current = req.unitView === UnitView.CURRENT_UNITS;
    // The unit and the indicator's targets are independent: asked side by side (two pools, one wait).
    const [unit, allTargets] = await Promise.all([
      this.unit(req.unitCode, req.unitAt ?? (current ? today() : date), current),
      this.em.find(Target, { indicator: req.indicator }, { orderBy: { deadline: 'asc', code: 'asc' } }),
    ]);
    const scoped = allTargets.filter((t) => t.scopeKinds.includes(unit.kind));
    if (req.indicator === Indicator.PLAN_ISSUED) return this.planKpi(req, unit, date, scoped);
    const { inForce: targets, notInForce: targetsNotInForce } = splitByForce(scoped, date);

    const base = {
      measures: [measure!],
      levels: req.levels,
      unitView: req.unitView,
      unitTier: unit.kind,
      period: req.period,
      asOf: kind === 'stock' ? req.asOf : undefined,
      limit: 1,
    };
    const mainSpec = toSpec(Object.assign(new AggregateInput(), { ...base, groupBy: [D.UNIT] }));
    const eligibleSpec = targets.some((t) => t.eligibleOnly)
      ? toSpec(Object.assign(new AggregateInput(), { ...base, filter: { unitIds: [unit.id], eligible: true } }))
      : undefined;
    let trendSpec;
    const points: string[] = [];
    if (req.trendPeriods > 0) {
      const grain = req.trendGrain as Grain;
      const last = blockStart(monthOf(date), GRAIN_MONTHS[grain]);
      for (let i = req.trendPeriods - 1; i >= 0; i--) points.push(addMonths(`${last}-01`, -i * GRAIN_MONTHS[grain]));
      trendSpec = toSpec(Object.assign(new AggregateInput(), {
        ...base, asOf: undefined, groupBy: [D.PERIOD], periodGrain: req.trendGrain, limit: req.trendPeriods,
        period: { from: monthOf(points[0]), to: monthOf(date) }, filter: { unitIds: [unit.id] },
      }));
    }
    // One statement for the value, the eligible-only value and the trend: under load each
    // statement apart waited for its own pooled connection (bench:load, kpi kind).
    const specs: AggregateSpec[] = [{ ...mainSpec, rankBy: { measure: measure!, higherIsBetter: true }, focusUnitIds: [Number(unit.id)] }];
    if (eligibleSpec) specs.push(eligibleSpec);
    if (trendSpec) specs.push(trendSpec);
    const outcomes = await this.engine.runMany(specs);
    const main = outcomes[0];
    const eligible = eligibleSpec ? outcomes[1] : undefined;
    const trend = trendSpec ? outcomes[outcomes.length - 1] : undefined;
    const mine = main.rows[0]?.measures[0];
    const value = mine?.value ?? null;
    const numerator = mine?.numerator ?? 0;
    const denominator = mine?.denominator ?? 0;
    const eligibleValue = eligible?.rows[0]?.measures[0];
    const assessments: TargetAssessment[] = targets.map((target) => {
      const v = target.eligibleOnly ? eligibleValue : mine;
      const n = v?.numerator ?? 0;
      const d = v?.denominator ?? 0;
      return {
        target, value: v?.value ?? null, numerator: n, denominator: d,
        // Deprecated field: only targets in force (date <= deadline) are judged, so it is always false.
        ...assess(n, d, Number(target.threshold), target.comparison), deadlinePassed: false,
      };
    });
    const byStart = new Map((trend?.rows ?? []).map((r) => [r.dimensions.period!.start, r.measures[0]]));
    const trendPoints: KpiPoint[] = points.map((start) => {
      const m = byStart.get(start);
      return { period: periodOf(req.trendGrain as Grain, start), value: m?.value ?? null, numerator: m?.numerator ?? 0, denominator: m?.denominator ?? 0 };
    });
    return {
      indicator: req.indicator,
      unit,
      value,
      numerator,
      denominator,
      from: kind === 'stock' ? null : req.period?.from ?? null,
      to: kind === 'stock' ? null : req.period?.to ?? null,
      asOf: date,
      levels: req.levels ?? null,
      unitView: req.unitView,
      targets: assessments,
      targetsNotInForce,
      rank: main.ranks[0] ?? null,
      peerCount: main.ranked,
      trend: trendPoints,
      includesPartialMerges: main.rows[0]?.includesPartialMerges ?? false,
      sources: main.sources,
    };
  }

  /** The unit holding `code` on `at`; with CURRENT_UNITS, it must exist today. */
  async unit(code: string, at: string, current: boolean): Promise<UnitRef & { kind: UnitKind }> {
    // One indexed lookup by code: no statement timeout (and its BEGIN/SET/COMMIT round trips) needed.
    const [u] = await this.sql.query<UnitRow>(
      // The name in force on the date the code is read at (unit_name_at owns the rule: a rename keeps the code).
      `SELECT id, code, unit_name_at(id, $2::date) AS name, kind, to_char(valid_from, 'YYYY-MM-DD') AS valid_from, to_char(valid_to, 'YYYY-MM-DD') AS valid_to FROM unit
       WHERE code = $1 AND ${validOnSql('$2::date')}`,
      [code, at]);
    if (!u) throw badUserInput('Unknown unit', [{ field: 'unitCode', reason: `no unit with code ${code} on ${at} (codes are read on unitAt)` }]);
    if (current && u.valid_to !== null) {
      throw badUserInput('Not a current unit', [{ field: 'unitCode', reason: `${code} closed on ${u.valid_to}: with CURRENT_UNITS ask for its successor` }]);
    }
    return unitRefOf(u);
  }

  /** Plan issuance: 1 or 0 for a unit; for the nation, the share of units in the targets' scope that issued. */
  private async planKpi(req: KpiRequest, unit: UnitRef, date: string, targets: Target[]): Promise<Kpi> {
    const year = req.planYear ?? yearOf(date);
    const svc = new PlanComplianceService(this.sql, this.timeoutMs);
    let numerator: number;
    let denominator: number;
    if (unit.kind === UnitKind.NATION) {
      const c = await svc.compliance(year, date, [UnitKind.PROVINCE, UnitKind.MINISTRY]);
      numerator = c.counts.issued;
      denominator = c.counts.units;
    } else {
      const c = await svc.compliance(year, date, [unit.kind], undefined, [Number(unit.id)]);
      numerator = c.counts.issued;
      denominator = c.counts.units;
    }
    const value = denominator === 0 ? null : numerator / denominator;
    const yearTargets = targets.filter((t) => t.planYear === undefined || t.planYear === null || t.planYear === year);
    const { inForce, notInForce } = splitByForce(yearTargets, date);
    return {
      indicator: req.indicator, unit, value, numerator, denominator, from: null, to: null, asOf: date, levels: null, unitView: req.unitView,
      targetsNotInForce: notInForce,
      targets: inForce.map((target) => ({
        target, value, numerator, denominator, ...assess(numerator, denominator, Number(target.threshold), target.comparison),
        deadlinePassed: false, // deprecated: a target in force has not passed its deadline
      })),
      rank: null, peerCount: 0, trend: [], includesPartialMerges: false, sources: [],
    };
  }
}
