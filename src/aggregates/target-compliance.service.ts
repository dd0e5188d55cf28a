import { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput, FieldProblem } from '../common/errors';
import { monthEnd, today, yearOf } from '../common/calendar';
import { Sql } from '../db/sql';
import { Indicator, Target } from '../plans/target.entity';
import { Source } from '../provenance/source.entity';
import { UnitKind } from '../units/unit.entity';
import { AggregateInput, MAX_ROW_LIMIT } from './aggregate.inputs';
import { AggregateService, toSpec } from './aggregate.service';
import { AggregateSpec } from './aggregate-spec';
import { UnitRef } from './aggregate.types';
import { AggregateDimension as D, LevelView, UnitView } from './dimensions';
import { DistributionService, ratioOfSums, unitRates } from './distribution.service';
import { DistributionRow } from './distribution.sql';
import { assess, inForceOn } from './kpi.service';
import { AggregateMeasure, INDICATOR_MEASURE, MEASURES } from './measures';
import { PlanComplianceService } from './plan-compliance.service';
import { PlanStatus } from './plan-compliance.types';
import { PublishedService } from '../published/published.service';
import { ValueSource } from '../published/published.types';
import { ComplianceStatus, TargetCompliance, TargetJudgment, TargetTally, UnitCompliance } from './target-compliance.types';

export interface TargetComplianceRequest {
  target?: string;
  indicator?: Indicator;
  period?: { from?: string; to?: string };
  asOf?: string;
  tier: UnitKind;
  unitView: UnitView;
  levels?: LevelView;
  planYear?: number;
  /** COMPUTED (default): from detail; PUBLISHED: as documents published it (src/published). */
  valueSource?: ValueSource;
}

/** A unit's figures before judgment: its value, and its eligible-only value for eligibleOnly targets. */
interface UnitFigures {
  unit: UnitRef;
  value: Ratio;
  eligible: Ratio;
  rank: number | null;
  includesPartialMerges: boolean;
}

interface Ratio { value: number | null; numerator: number | null; denominator: number | null }

const NO_VALUE: Ratio = { value: null, numerator: null, denominator: null };
const TIERS: readonly UnitKind[] = [UnitKind.PROVINCE, UnitKind.MINISTRY];

/** One target's judgment of a value: only a target in force judges; no value is NO_DATA whatever the target. */
export function judge(target: Target, r: Ratio, date: string): Omit<TargetJudgment, 'target'> {
  const base = { value: r.value, numerator: r.numerator, denominator: r.denominator };
  if (r.value === null) return { ...base, status: ComplianceStatus.NO_DATA, gapPoints: null };
  if (!inForceOn(target, date)) return { ...base, status: ComplianceStatus.NOT_IN_FORCE, gapPoints: null };
  const { met, gapPoints } = assess(r.numerator, r.denominator, Number(target.threshold), target.comparison);
  return { ...base, status: met ? ComplianceStatus.MET : ComplianceStatus.MISSED, gapPoints };
}

/** Units by rank (nulls last), then code and validity (codes are reused). */
function byRank(a: UnitCompliance, b: UnitCompliance): number {
  const ra = a.rank ?? Number.MAX_SAFE_INTEGER;
  const rb = b.rank ?? Number.MAX_SAFE_INTEGER;
  if (ra !== rb) return ra - rb;
  if (a.unit.code !== b.unit.code) return a.unit.code < b.unit.code ? -1 : 1;
  return (a.unit.validFrom ?? '') < (b.unit.validFrom ?? '') ? -1 : (a.unit.validFrom ?? '') > (b.unit.validFrom ?? '') ? 1 : 0;
}

/** Standard competition ranks of values, highest first (1, 1, 3): the same rule as the aggregate's rank(). */
function competitionRanks(values: (number | null)[]): (number | null)[] {
  return values.map((v) => (v === null ? null : 1 + values.filter((w) => w !== null && w > v).length));
}

/** targetCompliance: every unit of a tier against the targets of an indicator, counted, tallied and summarised. */
export class TargetComplianceService {
  private readonly engine: AggregateService;

  constructor(private readonly sql: Sql, private readonly em: EntityManager, private readonly timeoutMs: number) {
    this.engine = new AggregateService(sql, em, timeoutMs);
  }

  async targetCompliance(req: TargetComplianceRequest): Promise<TargetCompliance> {
    const { indicator, chosen } = await this.indicatorOf(req);
    const date = this.checkedDate(req, indicator);
    const scoped = chosen ? [chosen] : (await this.em.find(Target, { indicator }, { orderBy: { deadline: 'asc', code: 'asc' } }))
      .filter((t) => t.scopeKinds.includes(req.tier));
    // A plan target names its year: asked by code, it is the default plan year.
    const year = req.planYear ?? chosen?.planYear ?? yearOf(date);
    // Plan targets are per plan year: only the year asked is considered (as the KPI does).
    const targets = indicator === Indicator.PLAN_ISSUED && !chosen ? scoped.filter((t) => t.planYear === undefined || t.planYear === null || t.planYear === year) : scoped;
    const primary = chosen ?? targets.find((t) => inForceOn(t, date)) ?? null;
    const measure = INDICATOR_MEASURE[indicator];
    const { figures, summary, sources } = req.valueSource === ValueSource.PUBLISHED
      ? await new PublishedService(this.sql, this.em, this.timeoutMs).tierFigures(req, indicator, date)
      : measure
      ? await this.aggregateFigures(req, measure, date, targets.some((t) => t.eligibleOnly))
      : await this.planFigures(req, year, date);
    return this.judged(req, indicator, date, measure, primary, targets, figures, summary, sources);
  }

  /** The indicator asked, and the target when one is named; BAD_USER_INPUT naming the field otherwise. */
  private async indicatorOf(req: TargetComplianceRequest): Promise<{ indicator: Indicator; chosen?: Target }> {
    const problems: FieldProblem[] = [];
    if (!TIERS.includes(req.tier)) problems.push({ field: 'tier', reason: `targets are judged for provinces and ministries: PROVINCE or MINISTRY, not ${req.tier.toUpperCase()}` });
    if (!req.target && !req.indicator) {
      problems.push({ field: 'indicator', reason: 'give an indicator (every target of it) or a target code' });
    }
    let chosen: Target | undefined;
    if (req.target) {
      chosen = (await this.em.findOne(Target, { code: req.target })) ?? undefined;
      if (!chosen) {
        problems.push({ field: 'target', reason: `no target with code ${req.target} (the targets are listed by the \`targets\` query)` });
      } else if (req.indicator && chosen.indicator !== req.indicator) {
        problems.push({ field: 'indicator', reason: `target ${chosen.code} is set on ${chosen.indicator.toUpperCase()}, not ${req.indicator.toUpperCase()}: give one or make them agree` });
      } else if (TIERS.includes(req.tier) && !chosen.scopeKinds.includes(req.tier)) {
        problems.push({ field: 'tier', reason: `target ${chosen.code} applies to ${chosen.scopeKinds.map((k) => k.toUpperCase()).join(', ')}, not ${req.tier.toUpperCase()}` });
      }
    }
    if (problems.length > 0) throw badUserInput(`Invalid targetCompliance: ${problems.map((p) => p.reason).join('; ')}`, problems);
    return { indicator: chosen?.indicator ?? req.indicator!, chosen };
  }

  /** The date units and targets are read on, after the checks of period, asOf, levels and planYear. */
  private checkedDate(req: TargetComplianceRequest, indicator: Indicator): string {
    const measure = INDICATOR_MEASURE[indicator];
    const kind = measure ? MEASURES[measure].kind : 'stock';
    const name = indicator.toUpperCase();
    const problems: FieldProblem[] = [];
    if (kind !== 'stock' && req.asOf) problems.push({ field: 'asOf', reason: `${name} is measured over a period: give period, not asOf` });
    if (kind !== 'stock' && !req.period?.to) problems.push({ field: 'period.to', reason: `required for ${name}, measured over a period` });
    if (req.period?.from && req.period.to && req.period.from > req.period.to) problems.push({ field: 'period', reason: `from ${req.period.from} is after to ${req.period.to}` });
    // A published figure is judged as published: the taxonomy it was counted under is the document's.
    if (readsLevels(req, measure) && !req.levels) {
      problems.push({ field: 'levels', reason: `${name} reads service levels: choose the taxonomy (DECREE43, DECREE42, MAPPED_TO_DECREE43 or MAPPED_TO_DECREE42)` });
    }
    if (req.planYear !== undefined && req.planYear !== null && indicator !== Indicator.PLAN_ISSUED) problems.push({ field: 'planYear', reason: 'only for PLAN_ISSUED' });
    if (indicator === Indicator.PLAN_ISSUED && req.unitView === UnitView.CURRENT_UNITS) {
      problems.push({ field: 'unitView', reason: 'a plan belongs to the unit that issued it: plan issuance is AS_REPORTED only' });
    }
    if (problems.length > 0) throw badUserInput(`Invalid targetCompliance: ${problems.map((p) => p.reason).join('; ')}`, problems);
    return req.asOf ?? (req.period?.to ? monthEnd(req.period.to) : today());
  }

  /**
   * One statement (runMany): every unit of the tier with its value, rank and the distribution of the
   * values; and, when an eligibleOnly target is considered, the values over eligible services.
   */
  private async aggregateFigures(req: TargetComplianceRequest, measure: AggregateMeasure, date: string, eligibleToo: boolean) {
    const stock = MEASURES[measure].kind === 'stock';
    const input = (extra: Partial<AggregateInput>) => toSpec(Object.assign(new AggregateInput(), {
      measures: [measure], groupBy: [D.UNIT], unitTier: req.tier, unitView: req.unitView, levels: req.levels,
      // Stocks on the date only: the units in scope are then those valid on it.
      period: stock ? undefined : req.period, asOf: stock ? date : undefined, limit: MAX_ROW_LIMIT, ...extra,
    }));
    const specs: AggregateSpec[] = [{
      ...input({ includeEmptyUnits: true }),
      rankBy: { measure, higherIsBetter: true },
      distribution: { measure, unitDimension: D.UNIT },
    }];
    if (eligibleToo) specs.push(input({ filter: { eligible: true } }));
    const [main, eligible] = await this.engine.runMany(specs);
    const eligibleById = new Map((eligible?.rows ?? []).filter((r) => r.dimensions.unit).map((r) => [r.dimensions.unit!.id, r.measures[0]]));
    const figures: UnitFigures[] = [];
    main.rows.forEach((row, i) => {
      const unit = row.dimensions.unit;
      // Figures of units above the tier (a null unit) are not a unit of the tier.
      if (!unit) return;
      figures.push({ unit, value: row.measures[0], eligible: eligibleById.get(unit.id) ?? NO_VALUE, rank: main.ranks[i], includesPartialMerges: row.includesPartialMerges });
    });
    return { figures, summary: main.distributionRows![0], sources: main.sources };
  }

  /** Plan issuance: 1 for a unit that issued its plan by the date, else 0, of 1; ranks and statistics over those. */
  private async planFigures(req: TargetComplianceRequest, year: number, date: string): Promise<{ figures: UnitFigures[]; summary: DistributionRow; sources: Source[] }> {
    const plans = await new PlanComplianceService(this.sql, this.timeoutMs).compliance(year, date, [req.tier]);
    const values = plans.units.map((u) => (u.status === PlanStatus.ISSUED || u.status === PlanStatus.ISSUED_LATE ? 1 : 0));
    const ranks = competitionRanks(values);
    const figures = plans.units.map((u, i): UnitFigures => {
      const value = { value: values[i], numerator: values[i], denominator: 1 };
      return { unit: u.unit, value, eligible: value, rank: ranks[i], includesPartialMerges: false };
    });
    // Units named as plan compliance names them: on the plan year's last day, or the date if earlier.
    const labelDate = date < `${year}-12-31` ? date : `${year}-12-31`;
    const summary = await new DistributionService(this.sql, this.timeoutMs)
      .ofValues(figures.map((f) => ({ unitId: Number(f.unit.id), value: f.value.value, numerator: f.value.numerator!, denominator: 1 })), labelDate);
    return { figures, summary, sources: [] };
  }

  private judged(
    req: TargetComplianceRequest, indicator: Indicator, date: string, measure: AggregateMeasure | undefined, primary: Target | null,
    targets: Target[], figures: UnitFigures[], summary: DistributionRow, sources: Source[],
  ): TargetCompliance {
    const flow = measure !== undefined && MEASURES[measure].kind !== 'stock';
    const units: UnitCompliance[] = figures.map((f) => {
      const judgments = targets.map((target) => ({ target, ...judge(target, target.eligibleOnly ? f.eligible : f.value, date) }));
      const main = primary ? judge(primary, primary.eligibleOnly ? f.eligible : f.value, date) : undefined;
      const status = main?.status ?? (f.value.value === null ? ComplianceStatus.NO_DATA : ComplianceStatus.NOT_IN_FORCE);
      return {
        unit: f.unit, ...f.value, rank: f.rank, status, gapPoints: main?.gapPoints ?? null, judgments, includesPartialMerges: f.includesPartialMerges,
      };
    }).sort(byRank);
    const withStatus = (s: ComplianceStatus) => units.filter((u) => u.status === s).length;
    const withData = units.filter((u) => u.value !== null).length;
    const tallies: TargetTally[] = targets.map((target, i) => {
      const count = (s: ComplianceStatus) => units.filter((u) => u.judgments[i].status === s).length;
      return { target, inForce: inForceOn(target, date), met: count(ComplianceStatus.MET), missed: count(ComplianceStatus.MISSED), withoutData: count(ComplianceStatus.NO_DATA) };
    });
    return {
      indicator, tier: req.tier, unitView: req.unitView,
      levels: readsLevels(req, measure) ? req.levels ?? null : null,
      from: flow ? req.period?.from ?? null : null, to: flow ? req.period?.to ?? null : null, asOf: date,
      primaryTarget: primary, targets: tallies, units,
      counts: {
        units: units.length, withData, withoutData: units.length - withData,
        met: withStatus(ComplianceStatus.MET), missed: withStatus(ComplianceStatus.MISSED), notInForce: withStatus(ComplianceStatus.NOT_IN_FORCE),
      },
      summary: { ratioOfSums: ratioOfSums(summary), unitRates: unitRates(summary) },
      sources,
    };
  }
}

/** Whether the figures judged are computed from service levels (stocks and hybrids computed from detail), so a taxonomy is needed. */
function readsLevels(req: TargetComplianceRequest, measure: AggregateMeasure | undefined): boolean {
  return req.valueSource !== ValueSource.PUBLISHED && measure !== undefined && MEASURES[measure].kind !== 'flow';
}
