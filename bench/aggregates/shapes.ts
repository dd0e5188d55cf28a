/**
 * The aggregate shapes of issue 11, each as a gateway query and the hand-written SQL of the same
 * answer on the base tables, with how to read both into comparable rows: a key per row and its
 * numbers (each measure's value, and a ratio's numerator and denominator).
 *
 * Period 2024, stocks on 31 December 2024, levels mapped to Decree 42 (as the five-indicator table).
 * A commune's figures count towards its province (the reference data has no district between them).
 */

/** A row's numbers by its key. */
export type Numbers = Map<string, (number | null)[]>;

type Json = Record<string, any>;

export interface Shape {
  name: string;
  /** The GraphQL operation; `$rollups: Boolean!` when it has a preferRollups switch. */
  query: string;
  variables?: Record<string, unknown>;
  /** Whether the query takes preferRollups (aggregate does, kpi does not). */
  rollupSwitch: boolean;
  sql: string;
  fromSql(rows: Json[]): Numbers;
  fromGateway(data: Json): Numbers;
  /** The answer's rows as the gateway counts them, for the heading. */
  rowCount(data: Json): number;
}

export const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Measures of an aggregate row: value, numerator and denominator of each. */
const measureNumbers = (row: Json): (number | null)[] => (row.measures as Json[]).flatMap((m) => [num(m.value), num(m.numerator), num(m.denominator)]);

/** SQL columns holding the same, in the same order: `<name>_v, <name>_n, <name>_d` per measure (counts: n and d null). */
const sqlNumbers = (row: Json, measures: string[]): (number | null)[] => measures.flatMap((m) => [num(row[`${m}_v`]), num(row[`${m}_n`]), num(row[`${m}_d`])]);

/** A ratio's three SQL columns from sums. */
export const ratio = (name: string, n: string, d: string) => `${n}::float8 / nullif(${d}, 0) AS ${name}_v, ${n} AS ${name}_n, ${d} AS ${name}_d`;
export const count = (name: string, v: string) => `${v} AS ${name}_v, NULL::bigint AS ${name}_n, NULL::bigint AS ${name}_d`;

export const aggregateShape = (s: {
  name: string; input: string; select: string; sql: string; measures: string[];
  key: (row: Json) => string; sqlKey: (row: Json) => string;
}): Shape => ({
  name: s.name,
  rollupSwitch: true,
  query: `query($rollups: Boolean!) { aggregate(query: { ${s.input}, preferRollups: $rollups }) {
    answeredFromRollups totalRows rows { dimensions { ${s.select} } measures { measure value numerator denominator } } } }`,
  sql: s.sql,
  fromSql: (rows) => new Map(rows.map((r) => [s.sqlKey(r), sqlNumbers(r, s.measures)])),
  fromGateway: (data) => new Map((data.aggregate.rows as Json[]).map((r) => [s.key(r.dimensions), measureNumbers(r)])),
  rowCount: (data) => data.aggregate.totalRows,
});

const PERIOD_2024 = `f.month BETWEEN DATE '2024-01-01' AND DATE '2024-12-01'`;
/** A unit's province: itself, or its parent (communes; the reference data has no district in between). */
export const PROVINCE_OF = `CASE WHEN u.kind = 'province' THEN u.id ELSE u.parent_id END`;
const VALID_ON = (d: string) => `(u.valid_from IS NULL OR u.valid_from <= ${d}) AND (u.valid_to IS NULL OR u.valid_to >= ${d})`;
/** A level as Decree 42 reads it (MAPPED_TO_DECREE42). */
const MAPPED_42 = `CASE WHEN l.taxonomy = 'decree42' THEN l.level WHEN l.level IN ('1', '2') THEN 'info' WHEN l.level = '3' THEN 'partial'
  WHEN l.level = '4' AND p.eligible_full_online THEN 'full' ELSE 'partial' END`;
/** Each service's latest level row on a date. */
const LATEST_ON = (d: string) => `SELECT DISTINCT ON (sl.service_id) sl.service_id, sl.taxonomy, sl.level
  FROM service_level sl WHERE sl.valid_from <= ${d} ORDER BY sl.service_id, sl.valid_from DESC`;
export const unitKey = (u: Json | null) => (u ? `${u.code}@${u.validFrom ?? ''}` : '-');
export const sqlUnitKey = (r: Json) => (r.code === null ? '-' : `${r.code}@${r.valid_from ?? ''}`);

/** The five-indicator table by province (the bench's first shape; its SQL is the one the bench always had). */
export const FIVE_INDICATORS: Shape = aggregateShape({
  name: 'five-indicator table by province',
  input: `measures: [LEVEL4_SHARE, LEVEL34_SHARE, ONLINE_DOSSIER_RATE, ON_TIME_RATE, ONLINE_PAYMENT_RATE],
    groupBy: [UNIT], unitTier: PROVINCE, period: { from: "2024-01", to: "2024-12" }, levels: MAPPED_TO_DECREE42, limit: 100`,
  select: 'unit { code validFrom }',
  measures: ['l4', 'l34', 'onl', 'ot', 'pay'],
  key: (d) => unitKey(d.unit),
  sqlKey: sqlUnitKey,
  sql: `
WITH flows AS (
  SELECT ${PROVINCE_OF} AS province_id,
    sum(f.received) AS received, sum(f.received_online) AS online, sum(f.resolved_on_time) AS on_time,
    sum(f.resolved_on_time + f.resolved_late) AS resolved, sum(f.with_fee) AS with_fee, sum(f.paid_online) AS paid_online
  FROM filing_stat f JOIN unit u ON u.id = f.unit_id
  WHERE ${PERIOD_2024}
  GROUP BY 1
),
latest AS (${LATEST_ON(`DATE '2024-12-31'`)}),
levels AS (
  SELECT ${PROVINCE_OF} AS province_id, ${MAPPED_42} AS level
  FROM latest l JOIN service s ON s.id = l.service_id JOIN unit u ON u.id = s.unit_id JOIN procedure p ON p.id = s.procedure_id
  WHERE ${VALID_ON(`DATE '2024-12-31'`)}
),
stock AS (
  SELECT province_id, count(*) AS services, count(*) FILTER (WHERE level = 'full') AS full_online,
    count(*) FILTER (WHERE level IN ('partial', 'full')) AS online
  FROM levels GROUP BY 1
)
SELECT pu.code, pu.valid_from::text AS valid_from,
  ${ratio('l4', 'st.full_online', 'st.services')}, ${ratio('l34', 'st.online', 'st.services')},
  ${ratio('onl', 'fl.online', 'fl.received')}, ${ratio('ot', 'fl.on_time', 'fl.resolved')}, ${ratio('pay', 'fl.paid_online', 'fl.with_fee')}
FROM unit pu LEFT JOIN flows fl ON fl.province_id = pu.id LEFT JOIN stock st ON st.province_id = pu.id
WHERE pu.kind = 'province' AND (fl.province_id IS NOT NULL OR st.province_id IS NOT NULL)
ORDER BY pu.code, pu.valid_from NULLS FIRST`,
});

/** Dossier flows by province (issue 11, item 6): the five-indicator table's flows without its stocks. */
export const FLOWS_BY_PROVINCE: Shape = aggregateShape({
  name: 'flows by province',
  input: `measures: [DOSSIERS_RECEIVED, ONLINE_DOSSIER_RATE, ON_TIME_RATE, ONLINE_PAYMENT_RATE], groupBy: [UNIT], unitTier: PROVINCE,
    period: { from: "2024-01", to: "2024-12" }, limit: 100`,
  select: 'unit { code validFrom }',
  measures: ['rec', 'onl', 'ot', 'pay'],
  key: (d) => unitKey(d.unit),
  sqlKey: sqlUnitKey,
  sql: `
SELECT pu.code, pu.valid_from::text AS valid_from, ${count('rec', 'g.received')}, ${ratio('onl', 'g.online', 'g.received')},
  ${ratio('ot', 'g.on_time', 'g.resolved')}, ${ratio('pay', 'g.paid_online', 'g.with_fee')}
FROM (SELECT ${PROVINCE_OF} AS province_id, sum(f.received) AS received, sum(f.received_online) AS online, sum(f.resolved_on_time) AS on_time,
        sum(f.resolved_on_time + f.resolved_late) AS resolved, sum(f.with_fee) AS with_fee, sum(f.paid_online) AS paid_online
      FROM filing_stat f JOIN unit u ON u.id = f.unit_id WHERE ${PERIOD_2024} GROUP BY 1) g
JOIN unit pu ON pu.id = g.province_id ORDER BY pu.code, pu.valid_from NULLS FIRST`,
});

/** Filing sums of one group, as the ratio and count columns the shapes below read. */
const FLOW_SUMS = `sum(f.received) AS received, sum(f.received_online) AS online, sum(f.resolved_on_time) AS on_time,
  sum(f.resolved_on_time + f.resolved_late) AS resolved`;

export const BY_PROCEDURE: Shape = aggregateShape({
  name: 'group by procedure',
  input: `measures: [DOSSIERS_RECEIVED, ONLINE_DOSSIER_RATE, ON_TIME_RATE], groupBy: [PROCEDURE], period: { from: "2024-01", to: "2024-12" }, limit: 5000`,
  select: 'procedure { code }',
  measures: ['rec', 'onl', 'ot'],
  key: (d) => d.procedure.code,
  sqlKey: (r) => r.code,
  sql: `
SELECT p.code, ${count('rec', 'g.received')}, ${ratio('onl', 'g.online', 'g.received')}, ${ratio('ot', 'g.on_time', 'g.resolved')}
FROM (SELECT f.procedure_id, ${FLOW_SUMS} FROM filing_stat f WHERE ${PERIOD_2024} GROUP BY 1) g
JOIN procedure p ON p.id = g.procedure_id ORDER BY p.code`,
});

export const SECTOR_BY_MONTH: Shape = aggregateShape({
  name: 'sector × month',
  input: `measures: [DOSSIERS_RECEIVED, ONLINE_DOSSIER_RATE], groupBy: [SECTOR, PERIOD], periodGrain: MONTH, period: { from: "2024-01", to: "2024-12" }, limit: 5000`,
  select: 'sector { code } period { label }',
  measures: ['rec', 'onl'],
  key: (d) => `${d.sector.code} ${d.period.label}`,
  sqlKey: (r) => `${r.code} ${r.label}`,
  sql: `
SELECT sc.code, to_char(g.month, 'YYYY-MM') AS label, ${count('rec', 'g.received')}, ${ratio('onl', 'g.online', 'g.received')}
FROM (SELECT p.sector_id, f.month, sum(f.received) AS received, sum(f.received_online) AS online
      FROM filing_stat f JOIN procedure p ON p.id = f.procedure_id WHERE ${PERIOD_2024} GROUP BY 1, 2) g
JOIN sector sc ON sc.id = g.sector_id ORDER BY sc.code, g.month`,
});

export const COMMUNE_TIER: Shape = aggregateShape({
  name: 'commune tier',
  input: `measures: [DOSSIERS_RECEIVED, ON_TIME_RATE], groupBy: [UNIT], unitTier: COMMUNE, period: { from: "2024-01", to: "2024-12" }, limit: 5000`,
  select: 'unit { code validFrom }',
  measures: ['rec', 'ot'],
  key: (d) => unitKey(d.unit),
  sqlKey: sqlUnitKey,
  // Figures of units above the tier (provinces) fall in one row without a unit, as the gateway gives them.
  sql: `
SELECT cu.code, cu.valid_from::text AS valid_from, ${count('rec', 'g.received')}, ${ratio('ot', 'g.on_time', 'g.resolved')}
FROM (SELECT CASE WHEN u.kind = 'commune' THEN u.id END AS commune_id, ${FLOW_SUMS}
      FROM filing_stat f JOIN unit u ON u.id = f.unit_id WHERE ${PERIOD_2024} GROUP BY 1) g
LEFT JOIN unit cu ON cu.id = g.commune_id ORDER BY cu.code NULLS LAST, cu.valid_from NULLS FIRST`,
});

export const ONLINE_FILINGS: Shape = aggregateShape({
  name: 'services with online filings',
  input: `measures: [SERVICES_WITH_ONLINE_FILINGS], groupBy: [UNIT], unitTier: PROVINCE, period: { from: "2024-01", to: "2024-12" }, levels: MAPPED_TO_DECREE42, limit: 100`,
  select: 'unit { code validFrom }',
  measures: ['swf'],
  key: (d) => unitKey(d.unit),
  sqlKey: sqlUnitKey,
  // Online services on the period's last day (partial or full), and those with an online dossier during the period.
  sql: `
WITH latest AS (${LATEST_ON(`DATE '2024-12-31'`)}),
online AS (
  SELECT ${PROVINCE_OF} AS province_id, s.unit_id, s.procedure_id
  FROM latest l JOIN service s ON s.id = l.service_id JOIN unit u ON u.id = s.unit_id JOIN procedure p ON p.id = s.procedure_id
  WHERE ${VALID_ON(`DATE '2024-12-31'`)} AND (${MAPPED_42}) IN ('partial', 'full')
),
filed AS (SELECT DISTINCT f.unit_id, f.procedure_id FROM filing_stat f WHERE ${PERIOD_2024} AND f.received_online > 0),
g AS (
  SELECT o.province_id, count(*) AS online, count(fd.unit_id) AS with_filings
  FROM online o LEFT JOIN filed fd ON fd.unit_id = o.unit_id AND fd.procedure_id = o.procedure_id GROUP BY 1
)
SELECT pu.code, pu.valid_from::text AS valid_from, ${ratio('swf', 'g.with_filings', 'g.online')}
FROM g JOIN unit pu ON pu.id = g.province_id ORDER BY pu.code, pu.valid_from NULLS FIRST`,
});

export const LEVELS_BY_SECTOR: Shape = aggregateShape({
  name: 'level share by sector',
  input: `measures: [LEVEL4_SHARE, LEVEL34_SHARE], groupBy: [SECTOR], asOf: "2024-12-31", levels: MAPPED_TO_DECREE42, limit: 100`,
  select: 'sector { code }',
  measures: ['l4', 'l34'],
  key: (d) => d.sector.code,
  sqlKey: (r) => r.code,
  sql: `
WITH latest AS (${LATEST_ON(`DATE '2024-12-31'`)}),
g AS (
  SELECT p.sector_id, count(*) AS services, count(*) FILTER (WHERE ${MAPPED_42} = 'full') AS full_online,
    count(*) FILTER (WHERE ${MAPPED_42} IN ('partial', 'full')) AS online
  FROM latest l JOIN service s ON s.id = l.service_id JOIN unit u ON u.id = s.unit_id JOIN procedure p ON p.id = s.procedure_id
  WHERE ${VALID_ON(`DATE '2024-12-31'`)}
  GROUP BY 1
)
SELECT sc.code, ${ratio('l4', 'g.full_online', 'g.services')}, ${ratio('l34', 'g.online', 'g.services')}
FROM g JOIN sector sc ON sc.id = g.sector_id ORDER BY sc.code`,
});

/** The KPI's province. */
const KPI_UNIT = '01';
const KPI_DATES = ['2024-03-31', '2024-06-30', '2024-09-30', '2024-12-31'];

/**
 * `kpi` for one province: its level-4 share on 31 December 2024, its rank among provinces and
 * how many were ranked, and its trend over the four quarters of 2024 (stocks on each quarter's
 * last day). Rows: `kpi` (value, numerator, denominator, rank, peers), then one per quarter.
 */
export const KPI: Shape = {
  name: 'kpi for one province',
  rollupSwitch: false,
  query: `query { kpi(indicator: LEVEL4_SHARE, unitCode: "${KPI_UNIT}", asOf: "2024-12-31", levels: MAPPED_TO_DECREE42, trendPeriods: 4, trendGrain: QUARTER) {
    value numerator denominator rank peerCount trend { period { end } value numerator denominator } } }`,
  sql: `
WITH spans AS (
  SELECT sl.service_id, sl.taxonomy, sl.level, sl.valid_from, lead(sl.valid_from) OVER (PARTITION BY sl.service_id ORDER BY sl.valid_from) AS next_from
  FROM service_level sl
),
dates AS (SELECT d::date AS d FROM unnest(ARRAY[${KPI_DATES.map((d) => `'${d}'`).join(', ')}]) d),
levels AS (
  SELECT dd.d, ${PROVINCE_OF} AS province_id, ${MAPPED_42} AS level
  FROM dates dd JOIN spans l ON l.valid_from <= dd.d AND (l.next_from IS NULL OR l.next_from > dd.d)
  JOIN service s ON s.id = l.service_id JOIN unit u ON u.id = s.unit_id JOIN procedure p ON p.id = s.procedure_id
  WHERE ${VALID_ON('dd.d')}
),
g AS (SELECT d, province_id, count(*) FILTER (WHERE level = 'full') AS full_online, count(*) AS services FROM levels GROUP BY 1, 2),
ranked AS (
  SELECT province_id, full_online, services, rank() OVER (ORDER BY full_online::float8 / services DESC) AS rank, count(*) OVER () AS peers
  FROM g WHERE d = DATE '${KPI_DATES[3]}'
),
unit01 AS (SELECT u.id FROM unit u WHERE u.code = '${KPI_UNIT}' AND u.kind = 'province' AND ${VALID_ON(`DATE '${KPI_DATES[3]}'`)})
SELECT 'kpi' AS key, ${ratio('k', 'r.full_online', 'r.services')}, r.rank, r.peers FROM ranked r WHERE r.province_id = (SELECT id FROM unit01)
UNION ALL
SELECT g.d::text, ${ratio('k', 'g.full_online', 'g.services')}, NULL, NULL FROM g WHERE g.province_id = (SELECT id FROM unit01)`,
  fromSql: (rows) => new Map(rows.map((r) => [r.key, [...sqlNumbers(r, ['k']), ...(r.key === 'kpi' ? [num(r.rank), num(r.peers)] : [])]])),
  fromGateway: (data) => {
    const k = data.kpi;
    return new Map<string, (number | null)[]>([
      ['kpi', [num(k.value), num(k.numerator), num(k.denominator), num(k.rank), num(k.peerCount)]],
      ...(k.trend as Json[]).map((p): [string, (number | null)[]] => [p.period.end, [num(p.value), num(p.numerator), num(p.denominator)]]),
    ]);
  },
  rowCount: (data) => 1 + data.kpi.trend.length,
};

/** Every shape, the five-indicator table first. */
export const SHAPES: Shape[] = [FIVE_INDICATORS, FLOWS_BY_PROVINCE, BY_PROCEDURE, SECTOR_BY_MONTH, COMMUNE_TIER, ONLINE_FILINGS, LEVELS_BY_SECTOR, KPI];

/** Rows that differ between two answers (keys missing on either side, or any number apart by more than 1e-9 relative). */
export function differences(expected: Numbers, actual: Numbers): string[] {
  const out: string[] = [];
  const close = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a)));
  for (const [key, e] of expected) {
    const a = actual.get(key);
    if (!a) out.push(`${key}: missing from the gateway's answer`);
    else if (a.length !== e.length || e.some((v, i) => !close(v, a[i]))) out.push(`${key}: SQL ${JSON.stringify(e)} gateway ${JSON.stringify(a)}`);
  }
  for (const key of actual.keys()) if (!expected.has(key)) out.push(`${key}: only in the gateway's answer`);
  return out;
}
