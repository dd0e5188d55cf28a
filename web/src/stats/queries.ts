import { cleanVariables, Variables } from './graphql';
import { INDICATORS, PageState, PERIOD_PATTERN } from './url-state';

/**
 * The GraphQL behind each view, and its variables from the page's state. The page runs exactly
 * these, and its download and GraphiQL links carry them unchanged. In each, the units' list is the
 * first list field: the export flattens the answer's first list.
 */
export interface ViewQuery {
  query: string;
  variables: Variables;
}

export interface UnitRef {
  id: string;
  code: string;
  name: string;
  validFrom?: string | null;
  validTo?: string | null;
}
export type Status = 'MET' | 'MISSED' | 'NOT_IN_FORCE' | 'NO_DATA';
export interface Target {
  code: string;
  threshold: number;
  comparison: string;
  deadline: string;
  periodStart: string | null;
  eligibleOnly: boolean;
  legalBasis: string;
}
export interface RatioValue {
  value: number | null;
  numerator: number | null;
  denominator: number | null;
}
export interface UnitCompliance extends RatioValue {
  rank: number | null;
  unit: UnitRef;
  status: Status;
  gapPoints: number | null;
  includesPartialMerges: boolean;
  judgments: { target: { code: string }; status: Status; value: number | null; gapPoints: number | null }[];
}
export interface Distribution {
  unitsWithValue: number;
  unitsWithoutValue: number;
  meanOfUnitRates: number | null;
  median: number | null;
  lowerQuartile: number | null;
  upperQuartile: number | null;
  min: { value: number; units: { code: string; name: string }[] } | null;
  max: { value: number; units: { code: string; name: string }[] } | null;
}
export interface SourceRef {
  code: string;
  kind: string;
}
export interface TargetCompliance {
  units: UnitCompliance[];
  indicator: string;
  tier: string;
  unitView: string;
  levels: string | null;
  from: string | null;
  to: string | null;
  asOf: string;
  primaryTarget: Target | null;
  targets: { target: Target; inForce: boolean; met: number; missed: number; withoutData: number }[];
  counts: { units: number; withData: number; withoutData: number; met: number; missed: number; notInForce: number };
  summary: { ratioOfSums: RatioValue; unitRates: Distribution };
  sources: SourceRef[];
}

const TARGET_FIELDS = 'code threshold comparison deadline periodStart eligibleOnly legalBasis';

export const RANKED_TABLE_QUERY = `query RankedTable($indicator: Indicator!, $period: PeriodRange, $asOf: LocalDate, $tier: UnitKind!, $unitView: UnitView!, $levels: LevelView, $planYear: Int) {
  targetCompliance(indicator: $indicator, period: $period, asOf: $asOf, tier: $tier, unitView: $unitView, levels: $levels, planYear: $planYear) {
    units {
      rank
      unit { id code name validFrom validTo }
      value numerator denominator status gapPoints includesPartialMerges
      judgments { target { code } status value gapPoints }
    }
    indicator tier unitView levels from to asOf
    primaryTarget { ${TARGET_FIELDS} }
    targets { target { ${TARGET_FIELDS} } inForce met missed withoutData }
    counts { units withData withoutData met missed notInForce }
    summary {
      ratioOfSums { value numerator denominator }
      unitRates {
        unitsWithValue unitsWithoutValue meanOfUnitRates median lowerQuartile upperQuartile
        min { value units { code name } }
        max { value units { code name } }
      }
    }
    sources { code kind }
  }
}`;

/** "2024" → Jan–Dec, "2024-Q2" → Apr–Jun, "2024-05" → May. */
export function periodRange(period: string): { from: string; to: string } {
  const m = PERIOD_PATTERN.exec(period);
  if (!m) throw new Error(`not a period: ${period}`);
  const [, year, quarter, month] = m;
  if (quarter) {
    const first = (Number(quarter) - 1) * 3 + 1;
    return { from: `${year}-${String(first).padStart(2, '0')}`, to: `${year}-${String(first + 2).padStart(2, '0')}` };
  }
  if (month) return { from: `${year}-${month}`, to: `${year}-${month}` };
  return { from: `${year}-01`, to: `${year}-12` };
}

/** A flow's period: the URL's, else the previous calendar year (the last complete one). */
export function effectivePeriod(s: PageState): string {
  return s.period ?? String(new Date().getFullYear() - 1);
}

/** The date the view is read on: a flow's last day, a stock's asOf; undefined means today (the server's). */
export function viewDate(s: PageState): string | undefined {
  if (!INDICATORS[s.indicator].flow) return s.asOf;
  const to = periodRange(effectivePeriod(s)).to;
  const [y, m] = to.split('-').map(Number);
  return `${to}-${String(new Date(Date.UTC(y, m, 0)).getUTCDate()).padStart(2, '0')}`;
}

/** period/asOf/levels variables shared by the views. */
function timeVariables(s: PageState): Variables {
  const info = INDICATORS[s.indicator];
  return {
    period: info.flow ? periodRange(effectivePeriod(s)) : undefined,
    asOf: info.flow ? undefined : s.asOf,
    levels: info.levels ? s.levels : undefined,
  };
}

export function rankedTableQuery(s: PageState): ViewQuery {
  const planYear = s.indicator === 'PLAN_ISSUED' ? s.planYear ?? Number((s.asOf ?? new Date().toISOString()).slice(0, 4)) : undefined;
  return {
    query: RANKED_TABLE_QUERY,
    variables: cleanVariables({ indicator: s.indicator, ...timeVariables(s), tier: s.tier, unitView: s.unitView, planYear }),
  };
}

export interface TrendRow {
  dimensions: { unit: UnitRef | null; period: { label: string; start: string; end: string } };
  value: RatioValue | null;
}
export interface Trend {
  aggregate: {
    rows: TrendRow[];
    distribution: { dimensions: { period: { label: string; start: string } }; ratioOfSums: RatioValue; unitRates: { meanOfUnitRates: number | null; median: number | null } }[];
    coverage: { firstMonthWithData: string | null; lastMonthWithData: string | null; lastIngestAt: string | null };
    sources: SourceRef[];
  };
}

export const TREND_QUERY = `query Trend($measure: AggregateMeasure!, $period: PeriodRange!, $grain: PeriodGrain!, $tier: UnitKind!, $unitView: UnitView!, $levels: LevelView) {
  aggregate(query: { measures: [$measure], groupBy: [UNIT, PERIOD], periodGrain: $grain, period: $period, unitTier: $tier, unitView: $unitView, levels: $levels, limit: 5000 }) {
    rows {
      dimensions { unit { id code name } period { label start end } }
      value(measure: $measure) { value numerator denominator }
    }
    distribution(measure: $measure) {
      dimensions { period { label start } }
      ratioOfSums { value numerator denominator }
      unitRates { meanOfUnitRates median }
    }
    coverage { firstMonthWithData lastMonthWithData lastIngestAt }
    sources { code kind }
  }
}`;

/** Years shown by the trends: the view's year and the seven before it. */
const TREND_YEARS = 8;

/**
 * Each unit's trend for the sparklines and the trend view: by year up to the view's period (by
 * quarter when the period is a quarter, by month over two years when it is a month). Null for
 * plan issuance, which has no aggregate measure.
 */
export function trendQuery(s: PageState): ViewQuery | null {
  const info = INDICATORS[s.indicator];
  if (!info.measure) return null;
  const end = viewDate(s) ?? new Date().toISOString().slice(0, 10);
  const endYear = Number(end.slice(0, 4));
  const month = info.flow ? /^\d{4}-\d{2}$/.test(effectivePeriod(s)) : false;
  const quarter = info.flow ? /Q/.test(effectivePeriod(s)) : false;
  const from = month ? `${endYear - 1}-01` : `${endYear - TREND_YEARS + 1}-01`;
  return {
    query: TREND_QUERY,
    variables: cleanVariables({
      measure: info.measure,
      period: { from, to: end.slice(0, 7) },
      grain: month ? 'MONTH' : quarter ? 'QUARTER' : 'YEAR',
      tier: s.tier,
      unitView: s.unitView,
      levels: info.levels ? s.levels : undefined,
    }),
  };
}

export interface Freshness {
  sources: { code: string; name: string; kind: string; status: string | null; lastSuccessAt: string | null; lastError: string | null }[];
  filings: { coverage: { from: string | null; to: string | null; lastMonthWithData: string | null; lastIngestAt: string | null } };
}

/** The data as a whole (not the view's period): how far the dossier figures go, and the sources' health. */
export const FRESHNESS_QUERY = `query Freshness {
  sources { code name kind status lastSuccessAt lastError }
  filings: aggregate(query: { measures: [DOSSIERS_RECEIVED] }) {
    coverage { from to lastMonthWithData lastIngestAt }
  }
}`;

export function freshnessQuery(): ViewQuery {
  return { query: FRESHNESS_QUERY, variables: {} };
}

export interface DrillRow {
  dimensions: { sector: { code: string; name: string } | null; procedure: { code: string; name: string } | null };
  value: RatioValue | null;
}
export interface Drill {
  aggregate: { totalRows: number; truncated: boolean; rows: DrillRow[]; sources: SourceRef[] };
}

export const DRILL_QUERY = `query DrillDown($measure: AggregateMeasure!, $groupBy: [AggregateDimension!]!, $unitIds: [ID!]!, $sectorCodes: [String!], $period: PeriodRange, $asOf: LocalDate, $tier: UnitKind!, $unitView: UnitView!, $levels: LevelView) {
  aggregate(query: {
    measures: [$measure], groupBy: $groupBy, unitTier: $tier, unitView: $unitView, levels: $levels, period: $period, asOf: $asOf
    filter: { unitIds: $unitIds, sectorCodes: $sectorCodes }
    orderBy: [{ measure: $measure, direction: DESC }], limit: 1000
  }) {
    rows {
      dimensions { sector { code name } procedure { code name } }
      value(measure: $measure) { value numerator denominator }
    }
    totalRows truncated
    sources { code kind }
  }
}`;

/** A unit's sectors, or one sector's procedures, with the view's indicator. */
export function drillQuery(s: PageState, unitId: string): ViewQuery | null {
  const measure = INDICATORS[s.indicator].measure;
  if (!measure) return null;
  return {
    query: DRILL_QUERY,
    variables: cleanVariables({
      measure,
      groupBy: s.sector ? ['PROCEDURE'] : ['SECTOR'],
      unitIds: [unitId],
      sectorCodes: s.sector ? [s.sector] : undefined,
      ...timeVariables(s),
      tier: s.tier,
      unitView: s.unitView,
    }),
  };
}

export type PlanStatus = 'ISSUED' | 'ISSUED_LATE' | 'OVERDUE' | 'PENDING';
export interface Plans {
  planCompliance: {
    units: { unit: { code: string; name: string }; status: PlanStatus; deadline: string | null; issuedOn: string | null; documentNumber: string | null; title: string | null; daysOverdue: number | null }[];
    year: number;
    asOf: string;
    counts: { units: number; issued: number; issuedOnTime: number; issuedLate: number; overdue: number; pending: number };
  };
}

export const PLANS_QUERY = `query Plans($year: Int!, $asOf: LocalDate, $kinds: [UnitKind!]) {
  planCompliance(year: $year, asOf: $asOf, kinds: $kinds) {
    units { unit { code name } status deadline issuedOn documentNumber title daysOverdue }
    year asOf
    counts { units issued issuedOnTime issuedLate overdue pending }
  }
}`;

/** Plans on the view's date (today without one) for the plan year asked, else the date's year. */
export function plansQuery(s: PageState): ViewQuery {
  const date = s.asOf ?? viewDate(s);
  const year = s.planYear ?? Number((date ?? new Date().toISOString()).slice(0, 4));
  return { query: PLANS_QUERY, variables: cleanVariables({ year, asOf: date, kinds: [s.tier] }) };
}

export interface Index766Group {
  code: string;
  name: string;
  maxPoints: number;
  points: number;
  coveredMaxPoints: number;
  fullyComputed: boolean;
  publishedPoints: number | null;
  differencePoints: number | null;
}
export interface Index766Unit {
  rank: number | null;
  unit: UnitRef;
  total: number;
  coveredMaxPoints: number;
  published: { total: number; rank: number | null; differencePoints: number; source: { code: string } } | null;
  groups: Index766Group[];
}
export interface Index766 {
  index766: {
    units: Index766Unit[];
    tier: string;
    period: { label: string; start: string; end: string };
    supportedMaxPoints: number;
    weightsConfirmed: boolean;
    notSupported: { group: string; criterion: string; name: string; maxPoints: number; reason: string }[];
    sources: SourceRef[];
  };
}

/** Units first: the export's rows (each group's columns numbered in the decision's order, groups.0 … groups.4). */
export const INDEX766_QUERY = `query Index766($tier: UnitKind!, $period: String!) {
  index766(tier: $tier, period: $period) {
    units {
      rank
      unit { id code name validFrom validTo }
      total coveredMaxPoints
      published { total rank differencePoints source { code } }
      groups { code name maxPoints points coveredMaxPoints fullyComputed publishedPoints differencePoints }
    }
    tier
    period { label start end }
    supportedMaxPoints weightsConfirmed
    notSupported { group criterion name maxPoints reason }
    sources { code kind }
  }
}`;

/** The Decision 766 index of the tier for the view's month, quarter or year. */
export function index766Query(s: PageState): ViewQuery {
  return { query: INDEX766_QUERY, variables: { tier: s.tier, period: effectivePeriod(s) } };
}

/** What the index is scored from (filings, service levels) and set beside (the portal's scores): the page's live refresh listens for these. */
export const INDEX766_FACT_KINDS = ['FILING_STAT', 'SERVICE_LEVEL', 'PUBLISHED_INDEX_SCORE'];
