import { buildAggregateQuery } from '../../src/aggregates/aggregate-query.builder';
import { toSpec } from '../../src/aggregates/aggregate.service';
import { AggregateInput } from '../../src/aggregates/aggregate.inputs';
import { ensureDossierPartition } from '../../src/ingest/dossier-stage';
import { rebuildRollups } from '../../src/aggregates/rollup.service';
import { startTestGateway, TestGateway } from '../support/harness';
import { dossierWorld, FixtureDossier, ingestDossiers } from './fixture';

/**
 * Dossier-level measures (issue 13, item 1) against numbers computed by hand from the dossiers
 * below, written through the real dossier stage (the path a feed's sync takes), answered both from
 * the rollups and from the dossier store (preferRollups: false).
 *
 * Processing days = resolved - received, in calendar days; a dossier counts in its resolution
 * month. In progress on D: received <= D, not resolved <= D. Overdue on D: in progress and due < D.
 */
const DOSSIERS: FixtureDossier[] = [
  // Hà Nội (01), P1 (sector HT)
  { code: 'A1', unit: '01', procedure: 'P1', received: '2025-06-02', due: '2025-06-06', resolved: '2025-06-04' }, //  2 days
  { code: 'A2', unit: '01', procedure: 'P1', received: '2025-06-02', due: '2025-06-06', resolved: '2025-06-06' }, //  4 days
  { code: 'A3', unit: '01', procedure: 'P1', received: '2025-05-20', due: '2025-05-30', resolved: '2025-06-09' }, // 20 days, late
  { code: 'A4', unit: '01', procedure: 'P1', received: '2025-06-10', due: '2025-06-15', resolved: '2025-06-11' }, //  1 day
  { code: 'A5', unit: '01', procedure: 'P1', received: '2025-06-01', due: '2025-06-05', resolved: '2025-06-08' }, //  7 days, late
  { code: 'C1', unit: '01', procedure: 'P1', received: '2025-06-25', due: '2025-07-05', resolved: null },
  { code: 'C2', unit: '01', procedure: 'P1', received: '2025-06-10', due: '2025-06-20', resolved: null },
  { code: 'C6', unit: '01', procedure: 'P1', received: '2025-06-01', due: null, resolved: null }, // no due day: never overdue
  // Hà Nội, P2 (sector DD)
  { code: 'C3', unit: '01', procedure: 'P2', received: '2025-06-15', due: '2025-06-25', resolved: '2025-07-03' }, // 18 days, late, July
  { code: 'C7', unit: '01', procedure: 'P2', received: '2025-06-20', due: '2025-06-25', resolved: '2025-06-30' }, // 10 days, late
  // Điện Biên (11), P2
  { code: 'B1', unit: '11', procedure: 'P2', received: '2025-06-03', due: '2025-06-13', resolved: '2025-06-05' }, //   2 days
  { code: 'B2', unit: '11', procedure: 'P2', received: '2025-06-03', due: '2025-06-13', resolved: '2025-06-13' }, //  10 days
  { code: 'B3', unit: '11', procedure: 'P2', received: '2024-01-10', due: '2024-02-10', resolved: '2025-06-20' }, // 527 days (366 + 161), late
  { code: 'C4', unit: '11', procedure: 'P2', received: '2025-06-28', due: '2025-06-30', resolved: '2025-07-01' }, //   3 days, late, July
  { code: 'C5', unit: '11', procedure: 'P2', received: '2025-07-01', due: '2025-07-10', resolved: null },
  // Điện Biên, P1: resolved on its due day after the due hour: flagged late, but never overdue at a day's end.
  { code: 'C8', unit: '11', procedure: 'P1', received: '2025-06-26', due: '2025-06-29', resolved: '2025-06-29', lateSameDay: true }, // 3 days
  // The 2025 merger: old 72 Tây Ninh and old 80 Long An went wholly into the new 80 Tây Ninh on 2025-07-01.
  { code: 'L1', unit: '72', procedure: 'P1', received: '2025-05-05', due: '2025-05-15', resolved: '2025-05-08' }, // 3 days, old 72
  { code: 'L2', unit: '80', procedure: 'P1', received: '2025-07-02', due: '2025-07-12', resolved: '2025-07-09' }, // 7 days, new 80
  { code: 'L3', unit: '80', procedure: 'P1', received: '2025-06-20', due: '2025-06-30', resolved: null }, // old 80 (Long An)
];

let gw: TestGateway;
let feed: number;
beforeAll(async () => {
  gw = await startTestGateway();
  feed = await dossierWorld(gw.db);
  await ingestDossiers(gw.db, feed, DOSSIERS, '20250801000000');
});
afterAll(() => gw?.stop());

interface MeasureOut { measure: string; value: number | null; numerator: number | null; denominator: number | null }
interface RowOut {
  dimensions: { unit: { code: string; validFrom: string | null } | null; procedure: { code: string } | null; period: { label: string } | null };
  measures: MeasureOut[];
}
interface WarningOut { code: string; measure: string | null; count: number | null; atMost: number | null; message: string }
interface Out { answeredFromRollups: boolean; coverage: { asOf: string | null; lastMonthWithData: string | null }; rows: RowOut[]; warnings: WarningOut[] }

const QUERY = `query($q: AggregateInput!) { aggregate(query: $q) {
  answeredFromRollups coverage { asOf lastMonthWithData }
  rows { dimensions { unit { code validFrom } procedure { code } period { label } } measures { measure value numerator denominator } }
  warnings { code measure count atMost message }
} }`;

async function ask(q: Record<string, unknown>): Promise<Out> {
  const res = await gw.gql<{ aggregate: Out }>(QUERY, { q });
  expect(res.errors).toBeUndefined();
  return res.data!.aggregate;
}

/** The answer from the rollups and from the dossier store; `rollups` says which rollups must have answered. */
async function both(q: Record<string, unknown>, rollups = true): Promise<{ fromRollups: Out; fromDossiers: Out }> {
  const [fromRollups, fromDossiers] = await Promise.all([ask({ ...q, preferRollups: true }), ask({ ...q, preferRollups: false })]);
  expect({ q, fromRollups: fromRollups.answeredFromRollups }).toEqual({ q, fromRollups: rollups });
  expect(fromDossiers.answeredFromRollups).toBe(false);
  return { fromRollups, fromDossiers };
}

/** Rows as [key, ...values]: the key is the unit code (with its first day), procedure or period. */
const table = (a: Out) => a.rows.map((r) => [
  r.dimensions.unit ? `${r.dimensions.unit.code}${r.dimensions.unit.validFrom ? `@${r.dimensions.unit.validFrom}` : ''}` : r.dimensions.procedure?.code ?? r.dimensions.period?.label ?? null,
  ...r.measures.map((m) => (m.denominator === null ? m.value : [m.value, m.numerator, m.denominator])),
]);

const TIMES = ['PROCESSING_DAYS_MEDIAN', 'PROCESSING_DAYS_P90', 'PROCESSING_DAYS_MEAN'];
const OPEN = ['DOSSIERS_IN_PROGRESS', 'DOSSIERS_OVERDUE'];
const MAY_JUL = { from: '2025-05', to: '2025-07' };
/** percentile_cont: with n sorted values v, h = p(n-1); v[floor h] + (v[ceil h] - v[floor h])(h - floor h). */
const lerp = (lo: number, hi: number, h: number) => lo + (hi - lo) * (h - Math.floor(h));

describe('processing time (median, 90th percentile, mean), by resolution month', () => {
  it('by province, May-July 2025, as reported', async () => {
    const { fromRollups, fromDossiers } = await both({ measures: TIMES, groupBy: ['UNIT'], period: MAY_JUL });
    expect(table(fromDossiers)).toEqual([
      // 01: 1 2 4 7 10 20 (June: A4 A1 A2 A5 C7 A3) and 18 (July: C3): sorted 1 2 4 7 10 18 20, n = 7.
      //     median h = 3: 7; p90 h = 5.4: 18 + (20 - 18) × 0.4; mean 62 / 7.
      ['01', 7, lerp(18, 20, 0.9 * 6), [62 / 7, 62, 7]],
      // 11: 2 3 10 527 (June: B1 C8 B2 B3) and 3 (July: C4): sorted 2 3 3 10 527, n = 5.
      //     median h = 2: 3; p90 h = 3.6: 10 + (527 - 10) × 0.6 = 320.2; mean 545 / 5 = 109.
      ['11', 3, lerp(10, 527, 0.9 * 4), [109, 545, 5]],
      // Old 72 (until 2025-06-30): L1, 3 days in May.
      ['72', 3, 3, [3, 3, 1]],
      // New 80 (from 2025-07-01): L2, 7 days in July. Old 80's only dossier (L3) is open.
      ['80@2025-07-01', 7, 7, [7, 7, 1]],
    ]);
    // From the rollup, 11's 90th percentile reads its top rank (527 days) in the pooled bucket (365 or more):
    // 10 + (365 - 10) × 0.6 = 223, a lower bound, the true value at most 527 days; everything else is exact.
    const rows = table(fromRollups);
    expect(rows[1]).toEqual(['11', 3, lerp(10, 365, 0.9 * 4), [109, 545, 5]]);
    expect([rows[0], ...rows.slice(2)]).toEqual([table(fromDossiers)[0], ...table(fromDossiers).slice(2)]);
    const pct = (a: Out) => a.warnings.filter((w) => w.code === 'PERCENTILE_IN_TOP_BUCKET');
    expect(pct(fromRollups)).toEqual([{
      code: 'PERCENTILE_IN_TOP_BUCKET', measure: 'PROCESSING_DAYS_P90', count: 1, atMost: 527, message: expect.stringContaining('at most 527 days'),
    }]);
    expect(pct(fromDossiers)).toEqual([]);
    expect(fromDossiers.coverage).toEqual({ asOf: null, lastMonthWithData: '2025-07' });
  });

  it('over a whole year, from the yearly rollup: the same dossiers, the same answer', async () => {
    const q = { measures: TIMES, groupBy: ['UNIT'], period: { from: '2025-01', to: '2025-12' } };
    // The engine's input (enum values as the schema maps them): the yearly rollup is the one chosen.
    const input = { unitTier: 'province', periodGrain: 'month', unitView: 'as_reported', preferRollups: true, limit: 100, measures: TIMES.map((m) => m.toLowerCase()), groupBy: ['unit'], period: q.period };
    expect(buildAggregateQuery(toSpec(input as AggregateInput)).daysRollup).toBe('dossier_days_rollup_l1_year');
    const { fromRollups, fromDossiers } = await both(q);
    // Every dossier resolved in 2025 was resolved in May-July (above): the same rows, 11's p90 again pooled.
    expect(table(fromDossiers)).toEqual([
      ['01', 7, lerp(18, 20, 0.9 * 6), [62 / 7, 62, 7]], ['11', 3, lerp(10, 527, 0.9 * 4), [109, 545, 5]], ['72', 3, 3, [3, 3, 1]], ['80@2025-07-01', 7, 7, [7, 7, 1]],
    ]);
    expect(table(fromRollups)).toEqual([
      ['01', 7, lerp(18, 20, 0.9 * 6), [62 / 7, 62, 7]], ['11', 3, lerp(10, 365, 0.9 * 4), [109, 545, 5]], ['72', 3, 3, [3, 3, 1]], ['80@2025-07-01', 7, 7, [7, 7, 1]],
    ]);
    expect(fromRollups.warnings.filter((w) => w.code === 'PERCENTILE_IN_TOP_BUCKET').map((w) => [w.measure, w.count, w.atMost])).toEqual([['PROCESSING_DAYS_P90', 1, 527]]);
    // Coverage reads the months the yearly rows hold, not their year.
    expect(fromRollups.coverage.lastMonthWithData).toBe('2025-07');
    expect(fromDossiers.coverage.lastMonthWithData).toBe('2025-07');
  });

  it('in today\'s units, old 72 and new 80 are one unit (the lineage)', async () => {
    const { fromRollups, fromDossiers } = await both({ measures: TIMES, groupBy: ['UNIT'], period: MAY_JUL, unitView: 'CURRENT_UNITS', filter: { unitCodes: ['80'] } });
    // L1 (3 days, old 72) and L2 (7 days, new 80): median h = 0.5: 3 + 4 × 0.5 = 5; p90 h = 0.9: 3 + 4 × 0.9 = 6.6; mean 10 / 2.
    expect(table(fromDossiers)).toEqual([['80@2025-07-01', 5, lerp(3, 7, 0.9), [5, 10, 2]]]);
    expect(table(fromRollups)).toEqual(table(fromDossiers));
  });

  it('by month for Hà Nội', async () => {
    const { fromRollups, fromDossiers } = await both({ measures: TIMES, groupBy: ['PERIOD'], period: MAY_JUL, filter: { provinceCodes: ['01'] } });
    expect(table(fromDossiers)).toEqual([
      // May: none resolved (A3, received in May, was resolved in June). June: 1 2 4 7 10 20, n = 6:
      // median h = 2.5: 4 + 3 × 0.5 = 5.5; p90 h = 4.5: 10 + 10 × 0.5 = 15; mean 44 / 6.
      ['2025-06', 5.5, lerp(10, 20, 0.9 * 5), [44 / 6, 44, 6]],
      // July: C3, 18 days.
      ['2025-07', 18, 18, [18, 18, 1]],
    ]);
    expect(table(fromRollups)).toEqual(table(fromDossiers));
  });

  it('for the nation by month (the rollup read without units)', async () => {
    const { fromRollups, fromDossiers } = await both({ measures: TIMES, groupBy: ['PERIOD'], period: { from: '2025-06', to: '2025-06' } });
    // June: 01's 1 2 4 7 10 20 and 11's 2 3 10 527: sorted 1 2 2 3 4 7 10 10 20 527, n = 10: median h = 4.5: 4 + 3 × 0.5 = 5.5;
    // p90 h = 8.1: 20 + (527 - 20) × 0.1 (the rollup: 20 + (365 - 20) × 0.1, pooled); mean (44 + 542) / 10.
    expect(table(fromDossiers)).toEqual([['2025-06', 5.5, lerp(20, 527, 0.9 * 9), [58.6, 586, 10]]]);
    expect(table(fromRollups)).toEqual([['2025-06', 5.5, lerp(20, 365, 0.9 * 9), [58.6, 586, 10]]]);
  });

  it('having and orderBy read the percentiles and the mean', async () => {
    // By province, May-July: means 62/7 (01), 109 (11), 3 (72), 7 (new 80); over 8 days: 01 and 11, the higher median (01's 7) first.
    const { fromRollups, fromDossiers } = await both({
      measures: ['PROCESSING_DAYS_MEDIAN', 'PROCESSING_DAYS_MEAN'], groupBy: ['UNIT'], period: MAY_JUL,
      having: [{ measure: 'PROCESSING_DAYS_MEAN', op: 'GT', value: 8 }], orderBy: [{ measure: 'PROCESSING_DAYS_MEDIAN', direction: 'DESC' }],
    });
    expect(table(fromDossiers)).toEqual([['01', 7, [62 / 7, 62, 7]], ['11', 3, [109, 545, 5]]]);
    expect(table(fromRollups)).toEqual(table(fromDossiers));
  });

  it('by procedure for the nation, June 2025 (the dossier store answers: no rollup by procedure)', async () => {
    const { fromDossiers } = await both({ measures: [...TIMES, 'DOSSIERS_ON_TIME', 'DOSSIERS_LATE', 'ON_TIME_RATE'], groupBy: ['PROCEDURE'], period: { from: '2025-06', to: '2025-06' } }, false);
    expect(table(fromDossiers)).toEqual([
      // P1 resolved in June: 01's 1 2 4 7 20 and 11's C8, 3: sorted 1 2 3 4 7 20, n = 6: median h = 2.5: 3.5;
      // p90 h = 4.5: 7 + 13 × 0.5 = 13.5; mean 37 / 6. On time and late count the dossiers RECEIVED in June
      // (the monthly statistics' month is the receipt month): P1 received in June and resolved: A1 A2 A4 on time,
      // A5 and C8 late (A3 was received in May; C1 C2 C6 L3 are open; L1 L2 are in May and July).
      ['P1', 3.5, lerp(7, 20, 0.9 * 5), [37 / 6, 37, 6], 3, 2, [3 / 5, 3, 5]],
      // P2 resolved in June: C7 10, B1 2, B2 10, B3 527: sorted 2 10 10 527: median h = 1.5: 10; p90 h = 2.7: 10 + 517 × 0.7;
      // mean 549 / 4. Received in June and resolved: B1 B2 on time; C3 C4 C7 late (B3 was received in 2024).
      ['P2', 10, lerp(10, 527, 0.9 * 3), [549 / 4, 549, 4], 2, 3, [2 / 5, 2, 5]],
    ]);
  });
});

describe('dossiers in progress and overdue on a date', () => {
  it('as of 2025-06-30, by province', async () => {
    const { fromRollups, fromDossiers } = await both({ measures: [...OPEN, 'OVERDUE_SHARE'], groupBy: ['UNIT'], asOf: '2025-06-30' });
    expect(table(fromDossiers)).toEqual([
      // 01: C1 (due 07-05), C2 (due 06-20: overdue), C6 (no due), C3 (resolved 07-03, due 06-25: overdue); C7 resolved on 06-30: done.
      ['01', 4, 2, [0.5, 2, 4]],
      // 11: C4 (due 06-30, not before the date); C5 received 07-01; C8 resolved 06-29.
      ['11', 1, 0, [0, 0, 1]],
      // Old 80: L3 (due 06-30).
      ['80', 1, 0, [0, 0, 1]],
    ]);
    expect(table(fromRollups)).toEqual(table(fromDossiers));
    expect(fromRollups.coverage.asOf).toBe('2025-06-30');
  });

  it('as of 2025-06-29: resolved on its due day after the due hour (C8) is never overdue', async () => {
    const { fromRollups, fromDossiers } = await both({ measures: OPEN, groupBy: ['UNIT'], asOf: '2025-06-29' });
    expect(table(fromDossiers)).toEqual([
      // 01: C1, C2 (due 06-20), C6, C3 (due 06-25), C7 (resolved 06-30, due 06-25): 5 in progress, 3 overdue.
      ['01', 5, 3],
      // 11: C4 (received 06-28); C8 was resolved on 06-29, its due day: neither in progress nor overdue (counted by its late flag, the
      // identity would give -1 here).
      ['11', 1, 0],
      ['80', 1, 0],
    ]);
    expect(table(fromRollups)).toEqual(table(fromDossiers));
  });

  it('at the end of each month, by province, and in today\'s units', async () => {
    const { fromRollups, fromDossiers } = await both({ measures: OPEN, groupBy: ['UNIT', 'PERIOD'], period: MAY_JUL });
    expect(table(fromDossiers)).toEqual([
      // 05-31: A3 (received 05-20, due 05-30). 06-30: as above. 07-31: C1 (due 07-05), C2, C6: 3, 2 overdue (C3 resolved 07-03).
      ['01', 1, 1], ['01', 4, 2], ['01', 3, 2],
      // 05-31: B3 (received 2024, due 2024-02-10). 06-30: C4. 07-31: C5 (due 07-10).
      ['11', 1, 1], ['11', 1, 0], ['11', 1, 1],
      // Old 80: L3 on 06-30 (due that day) and 07-31 (overdue), still counted where it was received.
      ['80', 1, 0], ['80', 1, 1],
    ]);
    expect(fromDossiers.rows.map((r) => r.dimensions.period!.label)).toEqual(['2025-05', '2025-06', '2025-07', '2025-05', '2025-06', '2025-07', '2025-06', '2025-07']);
    expect(table(fromRollups)).toEqual(table(fromDossiers));
    const today = await both({ measures: OPEN, groupBy: ['UNIT'], asOf: '2025-07-31', unitView: 'CURRENT_UNITS', filter: { unitCodes: ['80'] } });
    // L3, received by old 80 (Long An), belongs to the new 80 in today's units.
    expect(table(today.fromDossiers)).toEqual([['80@2025-07-01', 1, 1]]);
    expect(table(today.fromRollups)).toEqual(table(today.fromDossiers));
  });

  it('long before: only B3 (received 2024-01-10, due 2024-02-10) is open on 2024-06-30', async () => {
    const { fromRollups, fromDossiers } = await both({ measures: OPEN, asOf: '2024-06-30' });
    expect(table(fromDossiers)).toEqual([[null, 1, 1]]);
    expect(table(fromRollups)).toEqual(table(fromDossiers));
  });

  it('filters on sector and procedure apply (the dossier store answers)', async () => {
    const { fromDossiers } = await both({ measures: OPEN, groupBy: ['PROCEDURE'], asOf: '2025-06-30', filter: { sectorCodes: ['DD'] } }, false);
    // Sector DD is P2: 01's C3 (overdue) and 11's C4.
    expect(table(fromDossiers)).toEqual([['P2', 2, 1]]);
  });
});

describe('after a correction of a resolution day', () => {
  it('the run\'s refresh updates the rollups, which answer as the dossier store does', async () => {
    // A3 was in fact resolved on 2025-07-15: 56 days, in July.
    const a3 = DOSSIERS.find((d) => d.code === 'A3')!;
    await ingestDossiers(gw.db, feed, [{ ...a3, resolved: '2025-07-15' }], '20250901000000');
    expect(await gw.db.sql.query(`SELECT kind FROM rollup_dirty`)).toEqual([]);
    const times = await both({ measures: TIMES, groupBy: ['UNIT'], period: MAY_JUL, filter: { provinceCodes: ['01'] } });
    // 01: 1 2 4 7 10 18 56, n = 7: median 7; p90 h = 5.4: 18 + 38 × 0.4; mean 98 / 7 = 14.
    expect(table(times.fromDossiers)).toEqual([['01', 7, lerp(18, 56, 0.9 * 6), [14, 98, 7]]]);
    expect(table(times.fromRollups)).toEqual(table(times.fromDossiers));
    const open = await both({ measures: OPEN, groupBy: ['UNIT'], asOf: '2025-06-30', filter: { provinceCodes: ['01'] } });
    // A3 is now in progress and overdue on 06-30 (received 05-20, due 05-30): 4 + 1, 2 + 1.
    expect(table(open.fromDossiers)).toEqual([['01', 5, 3]]);
    expect(table(open.fromRollups)).toEqual(table(open.fromDossiers));
  });
});

describe('a second feed: the national histogram names its sources exactly', () => {
  const NATION = ['dossier_days_rollup_nation', 'dossier_days_sources_nation'];
  const DOSSIER_ROLLUPS = ['dossier_days_rollup_l1', 'dossier_days_rollup_l1_year', 'dossier_open_rollup_l1', ...NATION];
  const snapshot = () => Promise.all(DOSSIER_ROLLUPS.map((t) => gw.db.sql.query<{ t: string }>(`SELECT x::text AS t FROM ${t} x ORDER BY 1`)));
  const F1: FixtureDossier = { code: 'F1', unit: '11', procedure: 'P1', received: '2025-04-01', due: '2025-04-10', resolved: '2025-04-03' }; // 2 days, April
  const F2: FixtureDossier = { code: 'F2', unit: '01', procedure: 'P2', received: '2025-06-01', due: '2025-06-10', resolved: '2025-06-05' }; // 4 days, June
  let feed2: number;

  const SOURCED = `query($q: AggregateInput!) { aggregate(query: $q) { answeredFromRollups sources { code }
    rows { dimensions { unit { code validFrom } procedure { code } period { label } } measures { measure value numerator denominator } }
    warnings { code measure count atMost message } coverage { asOf lastMonthWithData } } }`;
  type Sourced = Out & { sources: { code: string }[] };
  const sourced = async (q: Record<string, unknown>): Promise<{ fromRollups: Sourced; fromDossiers: Sourced }> => {
    const [fromRollups, fromDossiers] = await Promise.all([true, false].map(async (preferRollups) => {
      const res = await gw.gql<{ aggregate: Sourced }>(SOURCED, { q: { ...q, preferRollups } });
      expect(res.errors).toBeUndefined();
      return res.data!.aggregate;
    }));
    expect([fromRollups.answeredFromRollups, fromDossiers.answeredFromRollups]).toEqual([true, false]);
    return { fromRollups, fromDossiers };
  };
  const codes = (a: Sourced) => a.sources.map((x) => x.code);

  beforeAll(async () => {
    [{ id: feed2 }] = await gw.db.sql.query<{ id: number }>(`INSERT INTO source (code, name, kind, precedence) VALUES ('feed2', 'Second feed', 'dossier_feed', 200) RETURNING id`);
    await ensureDossierPartition(gw.db.sql, feed2);
    await ingestDossiers(gw.db, feed2, [F1, F2], '20251001000000');
  });

  it('the nation by month reads the national histogram, and lists the sources of each month asked', async () => {
    const input = { unitTier: 'province', periodGrain: 'month', unitView: 'as_reported', preferRollups: true, limit: 100,
      measures: TIMES.map((m) => m.toLowerCase()), groupBy: ['period'], period: { from: '2025-04', to: '2025-07' } };
    expect(buildAggregateQuery(toSpec(input as AggregateInput)).daysRollup).toBe('dossier_days_rollup_nation');
    const all = await sourced({ measures: TIMES, groupBy: ['PERIOD'], period: { from: '2025-04', to: '2025-06' } });
    expect(table(all.fromDossiers)).toEqual([
      ['2025-04', 2, 2, [2, 2, 1]], // F1
      // May: L1, 3 days.
      ['2025-05', 3, 3, [3, 3, 1]],
      // June (A3 moved to July above): 01's 1 2 4 7 10, 11's 2 3 10 527, F2's 4: sorted 1 2 2 3 4 4 7 10 10 527, n = 10:
      // median h = 4.5: 4; p90 h = 8.1: 10 + (527 - 10) × 0.1 (the rollup pools 527 at 365); mean 570 / 10.
      ['2025-06', 4, lerp(10, 527, 0.9 * 9), [57, 570, 10]],
    ]);
    expect(table(all.fromRollups)).toEqual([['2025-04', 2, 2, [2, 2, 1]], ['2025-05', 3, 3, [3, 3, 1]], ['2025-06', 4, lerp(10, 365, 0.9 * 9), [57, 570, 10]]]);
    expect(all.fromRollups.warnings.filter((w) => w.code === 'PERCENTILE_IN_TOP_BUCKET').map((w) => [w.measure, w.count, w.atMost])).toEqual([['PROCESSING_DAYS_P90', 1, 527]]);
    expect([codes(all.fromRollups), codes(all.fromDossiers)]).toEqual([['feed', 'feed2'], ['feed', 'feed2']]);
    // One month, one source each: April only feed2, May only feed.
    for (const [month, expected] of [['2025-04', ['feed2']], ['2025-05', ['feed']]] as const) {
      const one = await sourced({ measures: TIMES, groupBy: ['PERIOD'], period: { from: month, to: month } });
      expect([codes(one.fromRollups), codes(one.fromDossiers)]).toEqual([expected, expected]);
      expect(table(one.fromRollups)).toEqual(table(one.fromDossiers));
    }
    // By unit kind in today's units, from the same rows: the one kind here, the same numbers and sources.
    const kinds = await sourced({ measures: TIMES, groupBy: ['PERIOD', 'UNIT_KIND'], period: { from: '2025-04', to: '2025-06' }, unitView: 'CURRENT_UNITS' });
    expect(table(kinds.fromRollups)).toEqual(table(all.fromRollups));
    expect(table(kinds.fromDossiers)).toEqual(table(all.fromDossiers));
    expect([codes(kinds.fromRollups), codes(kinds.fromDossiers)]).toEqual([['feed', 'feed2'], ['feed', 'feed2']]);
    // A unit kind filter applies to the sources too: no commune has a dossier.
    const communes = await sourced({ measures: TIMES, groupBy: ['PERIOD'], period: { from: '2025-04', to: '2025-06' }, filter: { unitKinds: ['COMMUNE'] } });
    expect([table(communes.fromRollups), codes(communes.fromRollups), codes(communes.fromDossiers)]).toEqual([[], [], []]);
  });

  it('a correction moving the only dossier of a month out of it: the month leaves the national rows, the sources follow', async () => {
    // F1 was in fact resolved on 2025-05-02: 31 days, in May.
    await ingestDossiers(gw.db, feed2, [{ ...F1, resolved: '2025-05-02' }], '20251101000000');
    expect(await gw.db.sql.query(`SELECT kind FROM rollup_dirty`)).toEqual([]);
    const rows = (t: string) => gw.db.sql.query<{ month: string; n: string }>(
      `SELECT to_char(month, 'YYYY-MM') AS month, count(*)::text AS n FROM ${t} WHERE month BETWEEN '2025-04-01' AND '2025-05-01' GROUP BY 1 ORDER BY 1`);
    // May: L1's 3 days and F1's 31, as reported in provinces: two day counts, two sources.
    expect(await rows('dossier_days_rollup_nation')).toEqual([{ month: '2025-05', n: '2' }]);
    expect(await gw.db.sql.query(`SELECT s.code FROM dossier_days_sources_nation n JOIN source s ON s.id = n.source_id WHERE n.month = '2025-05-01' ORDER BY 1`))
      .toEqual([{ code: 'feed' }, { code: 'feed2' }]);
    const may = await sourced({ measures: TIMES, groupBy: ['PERIOD'], period: { from: '2025-04', to: '2025-05' } });
    // 3 and 31: median h = 0.5: 17; p90 h = 0.9: 3 + 28 × 0.9; mean 34 / 2.
    expect(table(may.fromDossiers)).toEqual([['2025-05', 17, lerp(3, 31, 0.9), [17, 34, 2]]]);
    expect(table(may.fromRollups)).toEqual(table(may.fromDossiers));
    expect([codes(may.fromRollups), codes(may.fromDossiers)]).toEqual([['feed', 'feed2'], ['feed', 'feed2']]);

    // Incremental refreshes leave every dossier rollup, the national ones included, as a rebuild makes them.
    const incremental = await snapshot();
    expect(incremental[3].length).toBeGreaterThan(0);
    await rebuildRollups(gw.db.sql);
    expect(await snapshot()).toEqual(incremental);
  });
});

describe('bad arguments', () => {
  const problems = async (q: Record<string, unknown>) => {
    const res = await gw.gql(QUERY, { q });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    return res.errors![0].extensions!.problems!.map((p) => p.field);
  };

  it('names the field', async () => {
    expect(await problems({ measures: ['PROCESSING_DAYS_MEDIAN'], asOf: '2025-06-30' })).toEqual(['query.asOf']);
    expect(await problems({ measures: ['DOSSIERS_OVERDUE'], groupBy: ['PERIOD'], period: { from: '2025-05' } })).toEqual(['query.period']);
    expect(await problems({ measures: ['DOSSIERS_OVERDUE'], groupBy: ['LEVEL'], levels: 'DECREE42' })).toEqual(['query.groupBy']);
    expect(await problems({ measures: ['PROCESSING_DAYS_P90'], levels: 'DECREE42', filter: { levels: ['full'] } })).toEqual(['query.filter.levels']);
  });
});
