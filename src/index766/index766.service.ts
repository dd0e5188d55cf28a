import { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput, FieldProblem } from '../common/errors';
import { currentMonth, isFutureMonth } from '../common/calendar';
import { Sql } from '../db/sql';
import { AggregateInput, MAX_ROW_LIMIT } from '../aggregates/aggregate.inputs';
import { AggregateService, toSpec } from '../aggregates/aggregate.service';
import { MeasureValue, UnitRef } from '../aggregates/aggregate.types';
import { AggregateDimension as D, LevelView, UnitView } from '../aggregates/dimensions';
import { AggregateMeasure } from '../aggregates/measures';
import { Source } from '../provenance/source.entity';
import { UnitKind } from '../units/unit.entity';
import { parsePublishedPeriod, publishedLabel } from '../published/published-period';
import { PublishedGrain } from '../published/published.types';
import { CriterionSource, INDEX766_TIERS, loadIndex766Weights, TOTAL_COMPONENT } from './index766-weights';
import { ComponentStatus, Index766, Index766Criterion, Index766Group, Index766Unit, Index766Unsupported } from './index766.types';

export { loadIndex766Weights } from './index766-weights';
export type { CriterionWeight, GroupWeight, Index766Weights } from './index766-weights';

const round2 = (x: number) => Math.round(x * 100) / 100;

/** published − computed in points, exact: both are whole hundredths (numeric(6,2) as text; computed points rounded to 2 decimals). */
const minus = (published: string, computed: number) => (Math.round(Number(published) * 100) - Math.round(computed * 100)) / 100;

/** The criterion's rate from a row's measures: the ratio measure's parts, or numerator count over denominator count. */
function rateOf(source: CriterionSource, values: Map<string, MeasureValue>): { rate: number | null; numerator: number; denominator: number } {
  if ('measure' in source) {
    const v = values.get(source.measure);
    return { rate: v?.value ?? null, numerator: v?.numerator ?? 0, denominator: v?.denominator ?? 0 };
  }
  const numerator = values.get(source.numerator)?.value ?? 0;
  const denominator = values.get(source.denominator)?.value ?? 0;
  return { rate: denominator === 0 ? null : numerator / denominator, numerator, denominator };
}

/**
 * The Decision 766 index (issue 13, item 2): every unit of a tier for a month, quarter or year,
 * each criterion the data allows computed by its rule from one statement of the aggregate engine
 * (every measure the weights name, grouped by unit), the others NOT_SUPPORTED with their reason;
 * the groups, the total of the computed part and the rank; the portal's published score beside.
 */
export class Index766Service {
  private readonly engine: AggregateService;

  constructor(private readonly sql: Sql, private readonly em: EntityManager, timeoutMs: number) {
    this.engine = new AggregateService(sql, em, timeoutMs);
  }

  async index(req: { tier: UnitKind; period: string }, weights = loadIndex766Weights()): Promise<Index766> {
    const problems: FieldProblem[] = [];
    if (!INDEX766_TIERS.includes(req.tier)) problems.push({ field: 'tier', reason: `the index ranks provinces and ministries: PROVINCE or MINISTRY, not ${req.tier.toUpperCase()}` });
    const period = parsePublishedPeriod(req.period);
    if (!period) problems.push({ field: 'period', reason: `must be a month YYYY-MM, a quarter YYYY-Qn or a year YYYY, got ${JSON.stringify(req.period)}` });
    else if (isFutureMonth(period.start.slice(0, 7), currentMonth())) problems.push({ field: 'period', reason: `${req.period} has not begun yet (Asia/Ho_Chi_Minh)` });
    else if (period.start < weights.decision.date.slice(0, 7) + '-01') problems.push({ field: 'period', reason: `the index exists from Decision ${weights.decision.number} of ${weights.decision.date}: ${req.period} is before it` });
    if (problems.length > 0) throw badUserInput(`Invalid index766: ${problems.map((p) => p.reason).join('; ')}`, problems);
    const p = period!;

    const criteria = weights.groups.flatMap((g) => g.criteria);
    const measures = [...new Set(criteria.flatMap((c) => (c.source === null ? [] : 'measure' in c.source ? [c.source.measure] : [c.source.numerator, c.source.denominator])))] as AggregateMeasure[];
    // One statement: flows summed over the period, level shares and integration on its last day
    // (Decree 42's levels: the decision speaks of full-online services), every unit of the tier.
    const spec = toSpec(Object.assign(new AggregateInput(), {
      measures, groupBy: [D.UNIT], unitTier: req.tier, unitView: UnitView.AS_REPORTED, levels: LevelView.MAPPED_TO_DECREE42,
      period: { from: p.start.slice(0, 7), to: p.end.slice(0, 7) }, includeEmptyUnits: true, limit: MAX_ROW_LIMIT,
    }));
    const [outcome] = await this.engine.runMany([spec]);
    const units = outcome.rows.filter((r) => r.dimensions.unit).map((row): Index766Unit => {
      const values = new Map(row.measures.map((m) => [m.measure as string, m]));
      const groups = weights.groups.map((g): Index766Group => {
        const scored = g.criteria.map((c): Index766Criterion => {
          const base = { code: c.code, name: c.name, maxPoints: c.maxPoints, pointsConfirmed: c.pointsConfirmed };
          if (c.source === null) return { ...base, status: ComponentStatus.NOT_SUPPORTED, reason: c.notSupported!, rate: null, numerator: null, denominator: null, points: null };
          const r = rateOf(c.source, values);
          if (r.rate === null) return { ...base, status: ComponentStatus.NO_DATA, reason: null, rate: null, numerator: r.numerator, denominator: r.denominator, points: null };
          return { ...base, status: ComponentStatus.COMPUTED, reason: null, ...r, points: round2(r.rate * c.maxPoints) };
        });
        const computed = scored.filter((c) => c.status === ComponentStatus.COMPUTED);
        const coveredMaxPoints = computed.reduce((s, c) => s + c.maxPoints, 0);
        return {
          code: g.code, name: g.name, maxPoints: g.maxPoints, criteria: scored, publishedPoints: null, differencePoints: null,
          points: round2(computed.reduce((s, c) => s + c.points!, 0)), coveredMaxPoints, fullyComputed: coveredMaxPoints === g.maxPoints,
        };
      });
      return {
        unit: row.dimensions.unit as UnitRef, groups, published: null, rank: null,
        total: round2(groups.reduce((s, g) => s + g.points, 0)), coveredMaxPoints: groups.reduce((s, g) => s + g.coveredMaxPoints, 0),
      };
    });
    // Standard competition ranks of the totals (1, 1, 3), units without a computed criterion unranked.
    for (const u of units) u.rank = u.coveredMaxPoints === 0 ? null : 1 + units.filter((o) => o.coveredMaxPoints > 0 && o.total > u.total).length;
    await this.withPublished(units, p.grain, p.start);
    units.sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || (a.unit.code < b.unit.code ? -1 : a.unit.code > b.unit.code ? 1 : 0));

    const notSupported: Index766Unsupported[] = weights.groups.flatMap((g) => g.criteria.filter((c) => c.source === null)
      .map((c) => ({ group: g.code, criterion: c.code, name: c.name, maxPoints: c.maxPoints, reason: c.notSupported! })));
    return {
      tier: req.tier,
      period: { grain: p.grain as PublishedGrain, label: publishedLabel(p.grain, p.start), start: p.start, end: p.end },
      supportedMaxPoints: criteria.filter((c) => c.source !== null).reduce((s, c) => s + c.maxPoints, 0),
      notSupported,
      weightsConfirmed: criteria.every((c) => c.pointsConfirmed),
      units,
      sources: outcome.sources,
    };
  }

  /** The portal's published scores of the units for the period (published_index_score), set beside the computed ones. */
  private async withPublished(units: Index766Unit[], grain: string, start: string): Promise<void> {
    if (units.length === 0) return;
    const rows = await this.sql.query<{ unit_id: number; component: string; points: string; rank: number | null; source_id: number }>(
      `SELECT unit_id, component, points::text AS points, rank, source_id FROM published_index_score
       WHERE unit_id = ANY($1::int[]) AND period_grain = $2 AND period_start = $3::date`,
      [units.map((u) => Number(u.unit.id)), grain, start],
    );
    if (rows.length === 0) return;
    const sources = new Map((await this.em.find(Source, { id: { $in: [...new Set(rows.map((r) => r.source_id))] } })).map((s) => [Number(s.id), s]));
    const byUnit = new Map<string, typeof rows>();
    for (const r of rows) byUnit.set(String(r.unit_id), [...(byUnit.get(String(r.unit_id)) ?? []), r]);
    for (const u of units) {
      const mine = byUnit.get(u.unit.id);
      if (!mine) continue;
      const total = mine.find((r) => r.component === TOTAL_COMPONENT);
      if (total) u.published = { total: Number(total.points), rank: total.rank, differencePoints: minus(total.points, u.total), source: sources.get(total.source_id)! };
      for (const g of u.groups) {
        const hit = mine.find((r) => r.component === g.code);
        g.publishedPoints = hit ? Number(hit.points) : null;
        g.differencePoints = hit ? minus(hit.points, g.points) : null;
      }
    }
  }
}
