/**
 * The dossier measures' shapes (issue 13, item 1), over the national dossier world (the
 * simulator's 63 provincial feeds, ~6.3M dossiers, synced as bench:sync does: bench/dossier-world.ts),
 * each as a gateway query and the hand-written SQL of the same answer over the dossier table:
 * percentile_cont for the percentiles (the gateway's are the same to the bit), counts on the date
 * for dossiers in progress and overdue.
 *
 * Processing times: dossiers resolved in 2024, by resolution month. Open dossiers: on 31 December
 * 2025 (the simulator's clock is 2026-01-01, so late 2025's dossiers are still open), and at the
 * end of each quarter of 2024. A commune's dossiers count towards its province.
 */
import { aggregateShape, count, PROVINCE_OF, ratio, Shape, sqlUnitKey, unitKey } from './shapes';

const DAYS = '(d.resolved_on - d.received_on)';
/** Median, p90 and mean (value, numerator, denominator each) as the gateway returns them. */
const TIMES_SQL = `${count('med', `percentile_cont(0.5) WITHIN GROUP (ORDER BY ${DAYS})`)},
  ${count('p90', `percentile_cont(0.9) WITHIN GROUP (ORDER BY ${DAYS})`)}, ${ratio('mean', `sum(${DAYS})`, 'count(*)')}`;
const TIMES = 'measures: [PROCESSING_DAYS_MEDIAN, PROCESSING_DAYS_P90, PROCESSING_DAYS_MEAN]';
const RESOLVED_2024 = `d.received_on IS NOT NULL AND d.resolved_on >= DATE '2024-01-01' AND d.resolved_on < DATE '2025-01-01'`;
const OPEN = 'measures: [DOSSIERS_IN_PROGRESS, DOSSIERS_OVERDUE, OVERDUE_SHARE]';
/** In progress and overdue at the end of day `d` (a column or a literal), and their share. */
const OPEN_ON = (d: string) => `d.received_on <= ${d} AND (d.resolved_on IS NULL OR d.resolved_on > ${d})`;
const OPEN_SQL = (d: string) => `${count('ip', 'count(*)')}, ${count('od', `count(*) FILTER (WHERE d.due_on < ${d})`)},
  ${ratio('share', `count(*) FILTER (WHERE d.due_on < ${d})`, 'count(*)')}`;

export const TIMES_BY_PROVINCE: Shape = aggregateShape({
  name: 'processing time by province',
  input: `${TIMES}, groupBy: [UNIT], unitTier: PROVINCE, period: { from: "2024-01", to: "2024-12" }, limit: 200`,
  select: 'unit { code validFrom }',
  measures: ['med', 'p90', 'mean'],
  key: (d) => unitKey(d.unit),
  sqlKey: sqlUnitKey,
  sql: `
SELECT pu.code, pu.valid_from::text AS valid_from, ${TIMES_SQL}
FROM dossier d JOIN unit u ON u.id = d.unit_id JOIN unit pu ON pu.id = ${PROVINCE_OF}
WHERE ${RESOLVED_2024}
GROUP BY pu.id, pu.code, pu.valid_from`,
});

export const TIMES_BY_MONTH: Shape = aggregateShape({
  name: 'processing time by month',
  input: `${TIMES}, groupBy: [PERIOD], periodGrain: MONTH, period: { from: "2024-01", to: "2024-12" }`,
  select: 'period { label }',
  measures: ['med', 'p90', 'mean'],
  key: (d) => d.period.label,
  sqlKey: (r) => r.label,
  sql: `
SELECT to_char(d.resolved_on, 'YYYY-MM') AS label, ${TIMES_SQL}
FROM dossier d WHERE ${RESOLVED_2024}
GROUP BY 1`,
});

export const OPEN_BY_PROVINCE: Shape = aggregateShape({
  name: 'open and overdue by province on 31 Dec 2025',
  input: `${OPEN}, groupBy: [UNIT], unitTier: PROVINCE, asOf: "2025-12-31", limit: 200`,
  select: 'unit { code validFrom }',
  measures: ['ip', 'od', 'share'],
  key: (d) => unitKey(d.unit),
  sqlKey: sqlUnitKey,
  sql: `
SELECT pu.code, pu.valid_from::text AS valid_from, ${OPEN_SQL(`DATE '2025-12-31'`)}
FROM dossier d JOIN unit u ON u.id = d.unit_id JOIN unit pu ON pu.id = ${PROVINCE_OF}
WHERE ${OPEN_ON(`DATE '2025-12-31'`)}
GROUP BY pu.id, pu.code, pu.valid_from`,
});

export const OPEN_BY_PROVINCE_QUARTER: Shape = aggregateShape({
  name: 'open and overdue by province and quarter',
  input: `${OPEN}, groupBy: [UNIT, PERIOD], unitTier: PROVINCE, periodGrain: QUARTER, period: { from: "2024-01", to: "2024-12" }, limit: 1000`,
  select: 'unit { code validFrom } period { label }',
  measures: ['ip', 'od', 'share'],
  key: (d) => `${unitKey(d.unit)}|${d.period.label}`,
  sqlKey: (r) => `${sqlUnitKey(r)}|${r.label}`,
  sql: `
SELECT pu.code, pu.valid_from::text AS valid_from, to_char(q.d, 'YYYY') || '-Q' || to_char(q.d, 'Q') AS label, ${OPEN_SQL('q.d')}
FROM unnest(ARRAY[DATE '2024-03-31', DATE '2024-06-30', DATE '2024-09-30', DATE '2024-12-31']) q(d)
JOIN dossier d ON ${OPEN_ON('q.d')}
JOIN unit u ON u.id = d.unit_id JOIN unit pu ON pu.id = ${PROVINCE_OF}
GROUP BY pu.id, pu.code, pu.valid_from, q.d`,
});

/** The dossier shapes, timed on the dossier world. */
export const DOSSIER_SHAPES: Shape[] = [TIMES_BY_PROVINCE, TIMES_BY_MONTH, OPEN_BY_PROVINCE, OPEN_BY_PROVINCE_QUARTER];
