import { EntityManager } from '@mikro-orm/postgresql';
import { badUserInput, FieldProblem } from '../common/errors';
import { monthEnd, monthOf, monthsBetween } from '../common/calendar';
import { Sql } from '../db/sql';
import { AggregateInput, MAX_ROW_LIMIT } from '../aggregates/aggregate.inputs';
import { AggregateOutcome, AggregateService, toSpec } from '../aggregates/aggregate.service';
import { AggregateSpec } from '../aggregates/aggregate-spec';
import { UnitRef } from '../aggregates/aggregate.types';
import { AggregateDimension as D, LevelView, PeriodGrain, UnitView } from '../aggregates/dimensions';
import { DistributionService } from '../aggregates/distribution.service';
import { DistributionRow } from '../aggregates/distribution.sql';
import { KpiService } from '../aggregates/kpi.service';
import { AggregateMeasure, INDICATOR_MEASURE, MEASURES } from '../aggregates/measures';
import { Indicator } from '../plans/target.entity';
import { Source } from '../provenance/source.entity';
import { UnitKind } from '../units/unit.entity';
import { validOnSql } from '../units/unit-validity';
import { PublishedGrain as Grain, publishedLabel } from './published-period';
import { PublishedComparison, PublishedGrain, PublishedVsComputed } from './published.types';

/** Most published figures one answer compares (each needs its computed value): beyond, the window is to be narrowed. */
export const MAX_PUBLISHED_FIGURES = 500;

export interface PublishedVsComputedRequest {
  unitCode: string;
  unitAt?: string;
  indicator?: Indicator;
  period?: { from?: string; to?: string };
  asOf?: string;
  levels?: LevelView;
  unitView: UnitView;
  planYear?: number;
  tolerancePoints?: number;
}

interface FigureRow {
  indicator: Indicator;
  grain: Grain;
  start: string;
  end: string;
  value: string;
  document_number: string;
  document_date: string;
  document_title: string | null;
  document_url: string | null;
  source_id: number;
}

/** A value in millionths (numeric(7,6) as text): exact integer arithmetic from here on. */
const micro = (text: string): number => Math.round(Number(text) * 1e6);

const GRAIN_OF: Record<Exclude<Grain, 'date'>, PeriodGrain> = { month: PeriodGrain.MONTH, quarter: PeriodGrain.QUARTER, year: PeriodGrain.YEAR };

/**
 * published − computed in percentage points, and whether it is beyond the tolerance, in exact
 * integer arithmetic: the published value in millionths P, the computed num/den. The difference
 * in millionths of the ratio is (P·den − num·10⁶)/den, a point is 10⁴ millionths, and the
 * tolerance (4 decimals of a point) is a whole number of millionths: no float rounding can put a
 * figure exactly at the tolerance on the wrong side of it.
 */
export function reconcile(publishedMicro: number, num: number, den: number, tolerancePoints: number): { differencePoints: number; beyondTolerance: boolean } {
  const diff = BigInt(publishedMicro) * BigInt(den) - BigInt(num) * 1_000_000n;
  const tol = BigInt(Math.round(tolerancePoints * 10_000)) * BigInt(den);
  const abs = diff < 0n ? -diff : diff;
  return { differencePoints: Math.round((Number(diff) / den / 10_000) * 1e9) / 1e9, beyondTolerance: abs > tol };
}

/**
 * Published versus computed (issue 13, item 3): the figures documents published for a unit, each
 * beside the value the aggregate engine computes from detail for the same indicator and period
 * (or date), with the difference in points and a flag beyond the tolerance. Also the published
 * values of a tier for targetCompliance (valueSource: PUBLISHED).
 */
export class PublishedService {
  private readonly engine: AggregateService;

  constructor(private readonly sql: Sql, private readonly em: EntityManager, private readonly timeoutMs: number) {
    this.engine = new AggregateService(sql, em, timeoutMs);
  }

  async publishedVsComputed(req: PublishedVsComputedRequest, defaultTolerance: number): Promise<PublishedVsComputed> {
    const problems: FieldProblem[] = [];
    if (!req.period?.to && !req.asOf) problems.push({ field: 'period', reason: 'give period (the months whose published figures are compared) or asOf (the date of published stock figures)' });
    if (req.period?.from && req.period.to && req.period.from > req.period.to) problems.push({ field: 'period', reason: `from ${req.period.from} is after to ${req.period.to}` });
    if (req.planYear !== undefined && req.planYear !== null) problems.push({ field: 'planYear', reason: 'plan issuance is not published as a rate: planYear does not apply' });
    if (req.indicator && !INDICATOR_MEASURE[req.indicator]) problems.push({ field: 'indicator', reason: `${req.indicator.toUpperCase()} is not published as a rate` });
    if (problems.length > 0) throw badUserInput(`Invalid publishedVsComputed: ${problems.map((p) => p.reason).join('; ')}`, problems);
    const tolerance = req.tolerancePoints ?? defaultTolerance;
    const current = req.unitView === UnitView.CURRENT_UNITS;
    const at = req.unitAt ?? req.asOf ?? (req.period?.to ? monthEnd(req.period.to) : undefined)!;
    const unit = await new KpiService(this.sql, this.em, this.timeoutMs).unit(req.unitCode, current && !req.unitAt ? new Date().toISOString().slice(0, 10) : at, current);

    // The window: flows whose whole period lies in it, stocks dated in it (or on asOf).
    const from = req.period?.to ? `${req.period.from ?? req.period.to}-01` : null;
    const to = req.period?.to ? monthEnd(req.period.to) : null;
    const figures = await this.sql.query<FigureRow>(
      `SELECT indicator, period_grain AS grain, to_char(period_start, 'YYYY-MM-DD') AS start, to_char(period_end, 'YYYY-MM-DD') AS "end",
              value::text AS value, document_number, to_char(document_date, 'YYYY-MM-DD') AS document_date, document_title, document_url, source_id
       FROM published_indicator
       WHERE unit_id = $1 AND ($2::indicator IS NULL OR indicator = $2::indicator)
         AND ((period_grain <> 'date' AND period_start >= $3::date AND period_end <= $4::date)
           OR (period_grain = 'date' AND (period_start = $5::date OR period_start BETWEEN $3::date AND $4::date)))
       ORDER BY indicator, period_start, CASE period_grain WHEN 'year' THEN 0 WHEN 'quarter' THEN 1 WHEN 'month' THEN 2 ELSE 3 END, document_date, document_number
       LIMIT ${MAX_PUBLISHED_FIGURES + 1}`,
      [unit.id, req.indicator ?? null, from, to, req.asOf ?? null],
    );
    if (figures.length > MAX_PUBLISHED_FIGURES) {
      throw badUserInput('Too many published figures', [{ field: 'period', reason: `more than ${MAX_PUBLISHED_FIGURES} published figures in the window: narrow the period or name an indicator` }]);
    }
    const needsLevels = figures.some((f) => MEASURES[INDICATOR_MEASURE[f.indicator]!].kind !== 'flow');
    if (needsLevels && !req.levels) {
      throw badUserInput('Invalid publishedVsComputed: levels required', [{ field: 'levels', reason: 'published level shares, integration or services with online filings are compared: choose the taxonomy (DECREE43, DECREE42, MAPPED_TO_DECREE43 or MAPPED_TO_DECREE42)' }]);
    }

    const { lookup, sources } = await this.computed(unit, figures, req);
    const sourceById = await this.sourcesById(figures.map((f) => f.source_id));
    const comparisons: PublishedComparison[] = figures.map((f) => {
      const c = lookup(f);
      const numerator = c?.numerator ?? 0;
      const denominator = c?.denominator ?? 0;
      const computed = c && denominator > 0 ? c.value : null;
      const r = computed === null ? null : reconcile(micro(f.value), numerator, denominator, tolerance);
      return {
        indicator: f.indicator,
        period: { grain: f.grain as PublishedGrain, label: publishedLabel(f.grain, f.start), start: f.start, end: f.end },
        published: micro(f.value) / 1e6,
        document: { number: f.document_number, date: f.document_date, title: f.document_title, url: f.document_url },
        source: sourceById.get(f.source_id)!,
        computed, numerator, denominator,
        differencePoints: r?.differencePoints ?? null,
        beyondTolerance: r?.beyondTolerance ?? null,
      };
    });
    const beyond = comparisons.filter((c) => c.beyondTolerance === true).length;
    const without = comparisons.filter((c) => c.beyondTolerance === null).length;
    return {
      unit, from: req.period?.to ? req.period.from ?? req.period.to : null, to: req.period?.to ?? null, asOf: req.asOf ?? null,
      levels: req.levels ?? null, unitView: req.unitView, tolerancePoints: tolerance, comparisons,
      counts: { figures: comparisons.length, beyondTolerance: beyond, withoutComputed: without, withinTolerance: comparisons.length - beyond - without },
      sources,
    };
  }

  /**
   * The computed values of the figures, in one statement through the aggregate engine (runMany):
   * per grain of the flow figures, the unit's measures by PERIOD over the span they cover; per
   * date of the stock figures, the unit's measures on it.
   */
  private async computed(unit: UnitRef & { kind: UnitKind }, figures: FigureRow[], req: PublishedVsComputedRequest) {
    const base = { unitTier: unit.kind, unitView: req.unitView, levels: req.levels, filter: { unitIds: [unit.id] }, limit: MAX_ROW_LIMIT };
    const specs: AggregateSpec[] = [];
    const keys: { grain: Grain; date?: string; measures: AggregateMeasure[] }[] = [];
    for (const grain of ['month', 'quarter', 'year'] as const) {
      const own = figures.filter((f) => f.grain === grain);
      if (own.length === 0) continue;
      const measures = [...new Set(own.map((f) => INDICATOR_MEASURE[f.indicator]!))];
      const first = monthOf(own.reduce((m, f) => (f.start < m ? f.start : m), own[0].start));
      const last = monthOf(own.reduce((m, f) => (f.end > m ? f.end : m), own[0].end));
      specs.push(toSpec(Object.assign(new AggregateInput(), { ...base, measures, groupBy: [D.PERIOD], periodGrain: GRAIN_OF[grain], period: { from: first, to: last } })));
      keys.push({ grain, measures });
    }
    for (const date of [...new Set(figures.filter((f) => f.grain === 'date').map((f) => f.start))]) {
      const measures = [...new Set(figures.filter((f) => f.grain === 'date' && f.start === date).map((f) => INDICATOR_MEASURE[f.indicator]!))];
      specs.push(toSpec(Object.assign(new AggregateInput(), { ...base, measures, groupBy: [], asOf: date })));
      keys.push({ grain: 'date', date, measures });
    }
    const outcomes: AggregateOutcome[] = specs.length > 0 ? await this.engine.runMany(specs) : [];
    const values = new Map<string, { value: number | null; numerator: number | null; denominator: number | null }>();
    outcomes.forEach((o, i) => {
      const k = keys[i];
      for (const row of o.rows) {
        const start = k.grain === 'date' ? k.date! : row.dimensions.period!.start;
        k.measures.forEach((m, j) => values.set(`${k.grain}|${start}|${m}`, row.measures[j]));
      }
    });
    const sources = new Map<string, Source>();
    for (const o of outcomes) for (const s of o.sources) sources.set(String(s.id), s);
    return {
      lookup: (f: FigureRow) => values.get(`${f.grain}|${f.start}|${INDICATOR_MEASURE[f.indicator]}`),
      sources: [...sources.values()],
    };
  }

  private async sourcesById(ids: number[]): Promise<Map<number, Source>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const found = await this.em.find(Source, { id: { $in: unique } });
    return new Map(found.map((s) => [Number(s.id), s]));
  }

  /**
   * targetCompliance with valueSource PUBLISHED: every unit of the tier existing on `date`, with
   * the value the latest document published for exactly the period asked (flows: a month, a
   * quarter or a year) or on the date (stocks); ranks among the units with one (ties share a
   * rank), and the distribution of those values. A published figure has no numerator and
   * denominator: they are the value in millionths over 1,000,000 (so the judgment stays exact),
   * and the ratio of sums is null (the summary's ratioOfSums has 0 over 0).
   */
  async tierFigures(req: { tier: UnitKind; unitView: UnitView; period?: { from?: string; to?: string } }, indicator: Indicator, date: string) {
    const measure = INDICATOR_MEASURE[indicator];
    const problems: FieldProblem[] = [];
    if (!measure) problems.push({ field: 'valueSource', reason: `${indicator.toUpperCase()} is not published as a rate: valueSource PUBLISHED does not apply` });
    if (req.unitView === UnitView.CURRENT_UNITS) problems.push({ field: 'unitView', reason: 'a published figure belongs to the unit it was published for: valueSource PUBLISHED is AS_REPORTED only' });
    let grain: Grain = 'date';
    let start = date;
    if (measure && MEASURES[measure].kind !== 'stock') {
      const from = req.period?.from ?? req.period?.to!;
      const months = monthsBetween(from, req.period!.to!);
      const m = Number(from.slice(5, 7));
      const exact: Grain | undefined = months === 1 ? 'month' : months === 3 && m % 3 === 1 ? 'quarter' : months === 12 && m === 1 ? 'year' : undefined;
      if (exact) grain = exact;
      else problems.push({ field: 'period', reason: `published figures are for a month, a quarter or a year: ${from}..${req.period!.to} is none of them` });
      start = `${from}-01`;
    }
    if (problems.length > 0) throw badUserInput(`Invalid targetCompliance: ${problems.map((p) => p.reason).join('; ')}`, problems);
    const rows = await this.sql.query<{ id: number; code: string; name: string; kind: UnitKind; valid_from: string | null; valid_to: string | null; value: string | null; source_id: number | null }>(
      `SELECT u.id, u.code, unit_name_at(u.id, $4::date) AS name, u.kind, to_char(u.valid_from, 'YYYY-MM-DD') AS valid_from, to_char(u.valid_to, 'YYYY-MM-DD') AS valid_to,
              p.value::text AS value, p.source_id
       FROM unit u
       LEFT JOIN LATERAL (
         SELECT value, source_id FROM published_indicator p
         WHERE p.unit_id = u.id AND p.indicator = $2::indicator AND p.period_grain = $3 AND p.period_start = $5::date
         ORDER BY p.document_date DESC, p.document_number DESC LIMIT 1) p ON true
       WHERE u.kind = $1::unit_kind AND ${validOnSql('$4::date', 'u')}
       ORDER BY u.code, u.valid_from NULLS FIRST`,
      [req.tier, indicator, grain, date, start],
    );
    const values = rows.map((r) => (r.value === null ? null : micro(r.value)));
    const ranks = values.map((v) => (v === null ? null : 1 + values.filter((w) => w !== null && w > v).length));
    const figures = rows.map((r, i) => {
      const v = values[i];
      const value = { value: v === null ? null : v / 1e6, numerator: v, denominator: v === null ? null : 1_000_000 };
      const unit: UnitRef = { id: String(r.id), code: r.code, name: r.name, kind: r.kind, validFrom: r.valid_from, validTo: r.valid_to };
      return { unit, value, eligible: value, rank: ranks[i], includesPartialMerges: false };
    });
    const summary: DistributionRow = await new DistributionService(this.sql, this.timeoutMs)
      .ofValues(figures.map((f) => ({ unitId: Number(f.unit.id), value: f.value.value, numerator: 0, denominator: 0 })), date);
    const sources = [...(await this.sourcesById(rows.filter((r) => r.source_id !== null).map((r) => r.source_id!))).values()];
    return { figures, summary, sources };
  }
}
