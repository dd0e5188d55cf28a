import { Rng } from '../../src/simulator/prng';

/**
 * The realistic read mix of `npm run bench:load`: the documented queries (docs/demo.md,
 * docs/queries.md, test/operations/*.graphql) as dashboards, journalists and integrators send
 * them, each kind with a share of the requests and a few variables that vary per request (unit
 * codes, years, dates) so that the database does not answer one cached plan over and over.
 *
 * The default world (`npm start`, the small simulator) has data for old provinces 30, 31, 72, 80,
 * 95, 96 (2018-01..2025-06) and their successors 31, 80, 96 (from 2025-07); every other unit
 * exists in the reference data but has no facts.
 */
export interface ReadKind {
  name: string;
  /** Share of the requests, in percent (the shares sum to 100). */
  weight: number;
  /** A request body (JSON) for this kind, drawn with the given generator. */
  body(rng: Rng): string;
}

const OLD_WITH_DATA = ['30', '31', '72', '80', '95', '96'];
const NEW_WITH_DATA = ['31', '80', '96'];
/** Every old province code (63), for lookups and KPIs whose peers are all provinces. */
const OLD_PROVINCES = [
  '01', '02', '04', '06', '08', '10', '11', '12', '14', '15', '17', '19', '20', '22', '24', '25', '26', '27', '30', '31', '33', '34', '35', '36',
  '37', '38', '40', '42', '44', '45', '46', '48', '49', '51', '52', '54', '56', '58', '60', '62', '64', '66', '67', '68', '70', '72', '74', '75',
  '77', '79', '80', '82', '83', '84', '86', '87', '89', '91', '92', '93', '94', '95', '96',
];
const SEARCHES = ['tay ninh', 'ha noi', 'long an', 'ca mau', 'hai phong', 'bac lieu', 'hai duong', 'phuong 1', 'xa tan', 'thanh pho'];

const gql = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });
const pad2 = (n: number) => String(n).padStart(2, '0');

const UNIT_BY_CODE = `query UnitByCode($code: String!, $at: LocalDate) {
  unit(code: $code, at: $at) {
    code name kind validFrom validTo parent { code name }
    predecessors { type effectiveOn unit { code name validTo } }
    successors { type effectiveOn unit { code name validFrom } }
  }
}`;

const UNIT_SEARCH = `query Units($filter: UnitFilter, $first: Int) {
  units(filter: $filter, first: $first) { pageInfo { hasNextPage endCursor } nodes { id code name kind validFrom validTo } }
}`;

const FILING_STATS = `query FilingStats($filter: FilingStatFilter, $first: Int) {
  filingStats(filter: $filter, first: $first) {
    pageInfo { hasNextPage endCursor }
    nodes {
      month received receivedOnline receivedPostal receivedInPerson resolvedOnTime resolvedLate withFee paidOnline syncedNational
      unit { code name } procedure { code } provenance { source { code kind } run { id } }
    }
  }
}`;

const NATIONAL_PICTURE = `query NationalPicture($from: YearMonth!, $to: YearMonth!) {
  aggregate(query: {
    measures: [LEVEL4_SHARE, ONLINE_DOSSIER_RATE, ON_TIME_RATE, ONLINE_PAYMENT_RATE, DOSSIERS_RECEIVED]
    groupBy: [UNIT], unitTier: PROVINCE, unitView: CURRENT_UNITS, levels: MAPPED_TO_DECREE42
    period: { from: $from, to: $to }
    orderBy: [{ measure: LEVEL4_SHARE, direction: DESC }]
  }) {
    coverage { from to asOf lastMonthWithData lastIngestAt }
    sources { code kind }
    rows {
      dimensions { unit { code name } }
      includesPartialMerges
      level4: value(measure: LEVEL4_SHARE) { value numerator denominator }
      online: value(measure: ONLINE_DOSSIER_RATE) { value numerator denominator }
      onTime: value(measure: ON_TIME_RATE) { value }
      payment: value(measure: ONLINE_PAYMENT_RATE) { value }
      received: value(measure: DOSSIERS_RECEIVED) { value }
    }
  }
}`;

const NATIONAL_TABLE = `query NationalTable($asOf: LocalDate!) {
  targets(filter: { indicator: LEVEL4_SHARE }) { code threshold comparison scopeKinds eligibleOnly deadline legalBasis }
  aggregate(query: {
    measures: [LEVEL4_SHARE, LEVEL34_SHARE, DVCQG_INTEGRATION], groupBy: [UNIT], unitTier: PROVINCE
    asOf: $asOf, levels: MAPPED_TO_DECREE42, orderBy: [{ measure: LEVEL4_SHARE, direction: DESC }]
  }) {
    coverage { asOf } sources { code }
    rows {
      dimensions { unit { code name } }
      level4: value(measure: LEVEL4_SHARE) { value numerator denominator }
      level34: value(measure: LEVEL34_SHARE) { value }
      dvcqg: value(measure: DVCQG_INTEGRATION) { value }
    }
  }
}`;

const MONTHLY_TREND = `query MonthlyTrend($unit: String!, $from: YearMonth!, $to: YearMonth!) {
  aggregate(query: {
    measures: [DOSSIERS_RECEIVED, ONLINE_DOSSIER_RATE, ON_TIME_RATE]
    groupBy: [PERIOD], periodGrain: MONTH, unitView: CURRENT_UNITS
    filter: { unitCodes: [$unit], unitsAt: "2025-07-01" }, period: { from: $from, to: $to }
  }) { rows { dimensions { period { label } } measures { measure value numerator denominator } } }
}`;

const BY_SECTOR = `query BySector($unit: String!, $from: YearMonth!, $to: YearMonth!) {
  aggregate(query: {
    measures: [DOSSIERS_RECEIVED, ONLINE_DOSSIER_RATE, ON_TIME_RATE]
    groupBy: [SECTOR], filter: { unitCodes: [$unit], unitsAt: "2025-09-01" }, period: { from: $from, to: $to }
    orderBy: [{ measure: DOSSIERS_RECEIVED, direction: DESC }], limit: 6
  }) { totalRows truncated rows { dimensions { sector { code name } } measures { measure value } } }
}`;

const KPI = `query Kpi($unit: String!, $asOf: LocalDate!, $levels: LevelView!, $grain: PeriodGrain!, $n: Int!) {
  kpi(indicator: LEVEL4_SHARE, unitCode: $unit, asOf: $asOf, levels: $levels, trendPeriods: $n, trendGrain: $grain) {
    unit { code name validTo }
    value numerator denominator rank peerCount
    targets { target { code threshold eligibleOnly deadline legalBasis } value met gapPoints deadlinePassed }
    trend { period { label end } value numerator denominator }
  }
}`;

const PLANS = `query Plans($year: Int!, $asOf: LocalDate!, $status: [PlanStatus!]) {
  planCompliance(year: $year, asOf: $asOf, kinds: [PROVINCE], status: $status) {
    counts { units issued issuedLate overdue pending }
    units { unit { code name } status deadline issuedOn documentNumber daysOverdue }
  }
}`;

const SOURCES = `query Sources { sources { code kind status precedence lastSuccessAt lastRows lastError } }`;

/** A month "YYYY-MM" of the years with data. */
const month = (rng: Rng, year: number) => `${year}-${pad2(rng.between(1, 12))}`;

export const READ_MIX: readonly ReadKind[] = [
  {
    name: 'unitByCode', weight: 20,
    body: (rng) => gql(UNIT_BY_CODE, { code: rng.pick(OLD_PROVINCES), at: rng.chance(0.5) ? `${rng.between(2019, 2025)}-0${rng.between(1, 6)}-15` : '2025-09-01' }),
  },
  {
    name: 'unitSearch', weight: 10,
    body: (rng) => gql(UNIT_SEARCH, { filter: { name: rng.pick(SEARCHES), ...(rng.chance(0.5) ? { validAt: '2025-09-01' } : {}) }, first: 20 }),
  },
  {
    name: 'filingStats', weight: 15,
    body: (rng) => {
      const year = rng.between(2019, 2024);
      return gql(FILING_STATS, { filter: { unitCode: rng.pick(OLD_WITH_DATA), unitAt: `${year}-06-01`, from: `${year}-01`, to: `${year}-12` }, first: 50 });
    },
  },
  {
    name: 'aggregateNational', weight: 12,
    body: (rng) => {
      if (rng.chance(0.5)) {
        const year = rng.between(2023, 2025);
        return gql(NATIONAL_PICTURE, { from: `${year}-01`, to: `${year}-12` });
      }
      return gql(NATIONAL_TABLE, { asOf: `${rng.between(2020, 2025)}-${pad2(rng.between(1, 12))}-28` });
    },
  },
  {
    name: 'aggregateTrend', weight: 10,
    body: (rng) => {
      const from = month(rng, rng.between(2023, 2024));
      return gql(MONTHLY_TREND, { unit: rng.pick(NEW_WITH_DATA), from, to: `2025-${pad2(rng.between(7, 12))}` });
    },
  },
  {
    name: 'aggregateSector', weight: 8,
    body: (rng) => gql(BY_SECTOR, { unit: rng.pick(NEW_WITH_DATA), from: `2025-0${rng.between(7, 9)}`, to: '2025-12' }),
  },
  {
    name: 'kpi', weight: 12,
    body: (rng) => gql(KPI, {
      unit: rng.pick(OLD_WITH_DATA), asOf: `${rng.between(2019, 2024)}-12-31`,
      ...(rng.chance(0.5) ? { levels: 'MAPPED_TO_DECREE43', grain: 'YEAR', n: 4 } : { levels: 'MAPPED_TO_DECREE42', grain: 'QUARTER', n: 3 }),
    }),
  },
  {
    name: 'planCompliance', weight: 7,
    body: (rng) => {
      const year = rng.between(2019, 2025);
      return gql(PLANS, { year, asOf: `${year}-${pad2(rng.between(3, 12))}-15`, ...(rng.chance(0.5) ? { status: ['OVERDUE'] } : {}) });
    },
  },
  { name: 'sources', weight: 6, body: () => gql(SOURCES) },
];

/** Draws a kind by weight. */
export function pickKind(rng: Rng, mix: readonly ReadKind[] = READ_MIX): ReadKind {
  const total = mix.reduce((s, k) => s + k.weight, 0);
  let x = rng.next() * total;
  for (const k of mix) {
    x -= k.weight;
    if (x < 0) return k;
  }
  return mix[mix.length - 1];
}
