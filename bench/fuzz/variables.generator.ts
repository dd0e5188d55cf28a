import { FuzzCase, FuzzContext, junkString, op } from './fuzz-case';

/**
 * Real operations (docs/queries.md, test/operations) with bad variables: wrong types, NUL and
 * control characters, impossible and out-of-range dates and months, huge and negative numbers.
 */
const OPS = {
  unit: 'query($code: String!, $at: LocalDate) { unit(code: $code, at: $at) { code name predecessors { unit { code } } } }',
  units: 'query($filter: UnitFilter, $first: Int) { units(filter: $filter, first: $first) { nodes { code name } } }',
  filings: 'query($filter: FilingStatFilter, $first: Int) { filingStats(filter: $filter, first: $first) { nodes { month received } } }',
  services: 'query($code: String!, $unitAt: LocalDate, $at: LocalDate) { services(filter: { unitCode: $code, unitAt: $unitAt }, first: 10) { nodes { level(at: $at) { level } } } }',
  aggregate: 'query($q: AggregateInput!) { aggregate(query: $q) { totalRows rows { measures { value } } } }',
  kpi: 'query($unit: String!, $asOf: LocalDate, $n: Int!, $levels: LevelView, $period: PeriodRange) { kpi(indicator: LEVEL4_SHARE, unitCode: $unit, asOf: $asOf, levels: $levels, trendPeriods: $n, period: $period) { value trend { value } } }',
  plans: 'query($year: Int!, $asOf: LocalDate) { planCompliance(year: $year, asOf: $asOf) { counts { units } } }',
  plansList: 'query($filter: PlanFilter) { plans(filter: $filter) { nodes { year } } }',
};

/** Values that are wrong for almost any variable. */
function badScalars(ctx: FuzzContext): unknown[] {
  const { rng } = ctx;
  return [
    null, true, 0, -1, 1.5, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, '', ' ', '\u0000', 'a\u0000b', '\u0001\u001f\u007f', '\ud800', '\u202e08',
    [], ['80'], {}, { code: '80' }, 'x'.repeat(100_000), '80; DROP TABLE unit;--', "' OR '1'='1", '%', '_', '\\', '80\n', ' 80 ',
    junkString(rng, 20), junkString(rng, 200),
  ];
}

const BAD_DATES = [
  '0000-01-01', '0001-01-01', '1944-12-31', '99999-01-01', '2100-12-32', '2025-02-30', '2025-13-01', '2025-00-10', '2025-1-1', '2025/01/01',
  '2025-01-01T00:00:00Z', '20250101', '-2025-01-01', '+002025-01-01', '2101-01-01', '9999-12-31', '2025-01-01\u0000', '١٢٣٤-٠١-٠١', 'today', 'NaN',
];
const BAD_MONTHS = ['0000-01', '2025-13', '2025-00', '2025-1', '99999-01', '2101-01', '1900-01', '2025-01-01', '2025', '-2025-01', '2099-12', '2025-02\u0000', 'NaN-NaN'];

function perOperation(ctx: FuzzContext): FuzzCase[] {
  const out: FuzzCase[] = [];
  const v = (name: string, query: string, variables: unknown) => out.push(op('variables', name, query, variables));
  for (const bad of badScalars(ctx)) {
    v('unit(code) bad', OPS.unit, { code: bad });
    v('units(filter.name) bad', OPS.units, { filter: { name: bad } });
    v('units(first) bad', OPS.units, { first: bad });
    v('filingStats(unitCode) bad', OPS.filings, { filter: { unitCode: bad } });
    v('kpi(trendPeriods) bad', OPS.kpi, { unit: '80', n: bad, levels: 'DECREE42' });
    v('planCompliance(year) bad', OPS.plans, { year: bad });
    v('aggregate(query) bad', OPS.aggregate, { q: bad });
  }
  for (const d of BAD_DATES) {
    v('unit(at) bad date', OPS.unit, { code: '80', at: d });
    v('services(at) bad date', OPS.services, { code: '80', unitAt: d, at: d });
    v('kpi(asOf) bad date', OPS.kpi, { unit: '80', asOf: d, n: 3, levels: 'DECREE42' });
    v('planCompliance(asOf) bad date', OPS.plans, { year: 2021, asOf: d });
    v('aggregate(asOf) bad date', OPS.aggregate, { q: { measures: ['SERVICES'], levels: 'DECREE42', asOf: d } });
    v('aggregate(filter.unitsAt) bad date', OPS.aggregate, { q: { measures: ['DOSSIERS_RECEIVED'], filter: { unitCodes: ['80'], unitsAt: d } } });
  }
  for (const m of BAD_MONTHS) {
    v('filingStats(from) bad month', OPS.filings, { filter: { from: m, to: '2025-01' } });
    v('aggregate(period) bad month', OPS.aggregate, { q: { measures: ['DOSSIERS_RECEIVED'], period: { from: m, to: m } } });
    v('kpi(period) bad month', OPS.kpi, { unit: '80', n: 0, period: { to: m } });
  }
  const years = [0, -1, 1, 1944, 2101, 9999, 99999, 2 ** 31 - 1, -(2 ** 31)];
  for (const y of years) {
    v('planCompliance year out of range', OPS.plans, { year: y, asOf: '2025-01-01' });
    v('plans(filter.year) out of range', OPS.plansList, { filter: { year: y } });
  }
  const aggregateInputs: unknown[] = [
    { measures: ['DOSSIERS_RECEIVED'], limit: 2 ** 31 },
    { measures: ['DOSSIERS_RECEIVED'], limit: 0 },
    { measures: ['DOSSIERS_RECEIVED'], groupBy: ['UNIT', 'UNIT', 'UNIT'] },
    { measures: ['DOSSIERS_RECEIVED'], filter: { unitIds: ['abc', '-1', '99999999999999999999', '1e5'] } },
    { measures: ['DOSSIERS_RECEIVED'], filter: { unitIds: Array.from({ length: 50_000 }, (_, i) => String(i)) } },
    { measures: ['DOSSIERS_RECEIVED'], filter: { unitCodes: Array.from({ length: 50_000 }, (_, i) => String(i)) } },
    { measures: ['DOSSIERS_RECEIVED'], filter: { sectorCodes: ['\u0000'], procedureCodes: ["'"] } },
    { measures: ['DOSSIERS_RECEIVED'], having: [{ measure: 'DOSSIERS_RECEIVED', op: 'GT', value: 'NaN' }] },
    { measures: ['DOSSIERS_RECEIVED'], having: [{ measure: 'DOSSIERS_RECEIVED', op: 'GT', value: 1e309 }] },
    { measures: ['DOSSIERS_RECEIVED'], groupBy: ['PERIOD'], periodGrain: 'WEEK' },
    { measures: ['LEVEL4_SHARE'], levels: 'DECREE42', groupBy: ['PERIOD'], periodGrain: 'MONTH', period: { from: '1945-01', to: '2100-12' } },
    { measures: ['LEVEL4_SHARE'], levels: 'DECREE43', filter: { levels: ['full', '\u0000', 'x'.repeat(10_000)] } },
    { measures: ['DOSSIERS_RECEIVED'], unitView: 'CURRENT_UNITS', filter: { unitCodes: ['72'], unitsAt: '2020-01-01' } },
    { measures: ['DOSSIERS_RECEIVED'], preferRollups: 'yes' },
    { measures: ['DOSSIERS_RECEIVED'], extra: 1 },
    { measures: Array.from({ length: 1000 }, () => 'DOSSIERS_RECEIVED') },
  ];
  for (const q of aggregateInputs) v('aggregate input bad', OPS.aggregate, { q });
  v('variables for an undeclared name', OPS.unit, { code: '80', nope: 1 });
  v('missing required variable', OPS.unit, {});
  v('variables 10,000 keys', OPS.unit, Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i])));
  return out;
}

export const variablesGenerator = (ctx: FuzzContext): FuzzCase[] => perOperation(ctx);
