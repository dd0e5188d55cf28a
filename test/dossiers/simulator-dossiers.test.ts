import { rebuildRollups } from '../../src/aggregates/rollup.service';
import { serve, Served, sourceId, syncWorld, SyncWorld } from '../sync/helpers';

/**
 * Dossier measures over the simulator's world (feeds of old 72 and 80, and new 80, synced through
 * the real connector): every answer from the rollups equals the one from the dossier store
 * (preferRollups: false) and a hand-written SQL over the dossier table (percentile_cont, counts on
 * the date), before and after a correction of a resolution day.
 */
let w: SyncWorld;
let gw: Served;
beforeAll(async () => {
  w = await syncWorld([
    { code: 'catalogue', kind: 'dvcqg' as never, options: { parts: ['catalogue'] } },
    { code: 'igate-80', kind: 'dossier_feed' as never, baseUrl: '${SIMULATOR_URL}/igate/80', units: ['80'] },
    { code: 'igate-72', kind: 'dossier_feed' as never, baseUrl: '${SIMULATOR_URL}/igate/72', units: ['72'] },
  ]);
  for (const s of ['catalogue', 'igate-80', 'igate-72']) expect((await w.sync.sync(s)).status).toBe('succeeded');
  gw = await serve(w.db);
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await w?.stop();
});

type Json = Record<string, any>;
const QUERY = `query($q: AggregateInput!) { aggregate(query: $q) {
  answeredFromRollups rows { dimensions { unit { code validFrom } period { label } } measures { measure value numerator denominator } }
} }`;

/** An answer as "unit@from|period" → numbers (value, numerator, denominator of each measure). */
const fromGateway = (a: Json) => new Map((a.rows as Json[]).map((r) => [
  `${r.dimensions.unit ? `${r.dimensions.unit.code}@${r.dimensions.unit.validFrom ?? ''}` : '-'}|${r.dimensions.period?.label ?? ''}`,
  (r.measures as Json[]).flatMap((m) => [m.value, m.numerator, m.denominator]),
]));

async function gateway(q: Json, rollups: boolean): Promise<Json> {
  const res = await gw.gql<{ aggregate: Json }>(QUERY, { q: { ...q, preferRollups: rollups } });
  expect(res.errors).toBeUndefined();
  return res.data!.aggregate;
}

/** The same answer three ways; the rollups must have answered. */
async function threeWays(q: Json, sql: string, params: unknown[] = []): Promise<Map<string, unknown[]>> {
  const [fromRollups, fromDossiers] = await Promise.all([gateway(q, true), gateway(q, false)]);
  expect(fromRollups.answeredFromRollups).toBe(true);
  const rows = await w.db.sql.query<Json>(sql, params);
  const bySql = new Map(rows.map((r) => [r.key as string, (r.v as unknown[]).map((x) => (x === null ? null : Number(x)))]));
  expect(bySql.size).toBeGreaterThan(0);
  expect(fromGateway(fromRollups)).toEqual(bySql);
  expect(fromGateway(fromDossiers)).toEqual(bySql);
  return bySql;
}

/** A dossier's province as reported (itself or the commune's parent) and in today's units. */
const PROVINCE = `CASE WHEN u.kind = 'province' THEN u.id ELSE u.parent_id END`;
const KEY = (period: string) => `pu.code || '@' || coalesce(to_char(pu.valid_from, 'YYYY-MM-DD'), '') || '|' || ${period}`;
const DAYS = '(d.resolved_on - d.received_on)';
/** Median, p90, mean (value, numerator, denominator) as the gateway returns them. */
const TIMES_SQL = `ARRAY[percentile_cont(0.5) WITHIN GROUP (ORDER BY ${DAYS}), NULL, NULL, percentile_cont(0.9) WITHIN GROUP (ORDER BY ${DAYS}), NULL, NULL,
  sum(${DAYS})::float8 / count(*), sum(${DAYS}), count(*)]`;

const timesBy = (period: string, current: boolean) => `
  SELECT ${KEY(period)} AS key, ${TIMES_SQL} AS v
  FROM dossier d JOIN unit u ON u.id = d.unit_id
  JOIN unit pu ON pu.id = ${current ? `(SELECT m.cur_province_id FROM unit_map m WHERE m.unit_id = d.unit_id)` : PROVINCE}
  WHERE d.received_on IS NOT NULL AND d.resolved_on >= $1::date AND d.resolved_on < $2::date
  GROUP BY 1`;

const openOn = `
  SELECT ${KEY(`''`)} AS key,
    ARRAY[count(*), NULL, NULL, count(*) FILTER (WHERE d.due_on < $1::date), NULL, NULL] AS v
  FROM dossier d JOIN unit u ON u.id = d.unit_id JOIN unit pu ON pu.id = ${PROVINCE}
  WHERE d.received_on <= $1::date AND (d.resolved_on IS NULL OR d.resolved_on > $1::date)
  GROUP BY 1`;

const TIMES = ['PROCESSING_DAYS_MEDIAN', 'PROCESSING_DAYS_P90', 'PROCESSING_DAYS_MEAN'];
const OPEN = ['DOSSIERS_IN_PROGRESS', 'DOSSIERS_OVERDUE'];

describe('dossier measures over the simulator\'s feeds', () => {
  it('stores days for every dossier synced', async () => {
    const [c] = await w.db.sql.query<{ n: string; days: string }>(`SELECT count(*) AS n, count(received_on) AS days FROM dossier`);
    expect(Number(c.n)).toBeGreaterThan(1000);
    expect(c.days).toBe(c.n);
  });

  it('processing times by province and month equal the hand-written percentile_cont over the dossier table', async () => {
    await threeWays({ measures: TIMES, groupBy: ['UNIT'], period: { from: '2024-01', to: '2024-12' }, limit: 1000 }, timesBy(`''`, false), ['2024-01-01', '2025-01-01']);
    await threeWays({ measures: TIMES, groupBy: ['UNIT', 'PERIOD'], period: { from: '2025-04', to: '2025-09' }, limit: 1000 },
      timesBy(`to_char(d.resolved_on, 'YYYY-MM')`, false), ['2025-04-01', '2025-10-01']);
    await threeWays({ measures: TIMES, groupBy: ['UNIT'], unitView: 'CURRENT_UNITS', period: { from: '2025-01', to: '2025-12' }, limit: 1000 },
      timesBy(`''`, true), ['2025-01-01', '2026-01-01']);
  });

  it('dossiers in progress and overdue by province equal the counts on the date over the dossier table', async () => {
    for (const date of ['2019-03-31', '2025-06-30', '2025-07-01', '2025-12-31']) {
      await threeWays({ measures: OPEN, groupBy: ['UNIT'], asOf: date, limit: 1000 }, openOn, [date]);
    }
    // Late 2025 still has open dossiers (the clock is 2026-01-01), some overdue.
    const end = await threeWays({ measures: OPEN, groupBy: ['UNIT'], asOf: '2025-12-31' }, openOn, ['2025-12-31']);
    const totals = [...end.values()].reduce<number[]>((t, v) => [t[0] + (v[0] as number), t[1] + (v[3] as number)], [0, 0]);
    expect(totals[0]).toBeGreaterThan(0);
  });

  it('after a correction moves a resolution day, the sync\'s refresh keeps the rollups equal to the dossier table', async () => {
    const sid = await sourceId(w.db, 'igate-80');
    // A dossier resolved on time in 2024 (resolution before its due day): the simulator's "overdue" correction returns its result a day after the due day.
    const [d] = await w.db.sql.query<{ code: string; resolved: string; due: string }>(
      `SELECT code, to_char(resolved_on, 'YYYY-MM-DD') AS resolved, to_char(due_on, 'YYYY-MM-DD') AS due FROM dossier
       WHERE source_id = $1 AND resolved_on < due_on AND resolved_on >= '2024-03-01' AND resolved_on < '2024-04-01' ORDER BY code LIMIT 1`, [sid]);
    const before = await threeWays({ measures: TIMES, groupBy: ['UNIT', 'PERIOD'], period: { from: '2024-01', to: '2024-12' }, limit: 1000 },
      timesBy(`to_char(d.resolved_on, 'YYYY-MM')`, false), ['2024-01-01', '2025-01-01']);
    w.sim.world.correctDossier(d.code, 'overdue');
    expect(await w.sync.sync('igate-80')).toMatchObject({ status: 'succeeded', rowsRead: 1 });
    const [after] = await w.db.sql.query<{ resolved: string }>(`SELECT to_char(resolved_on, 'YYYY-MM-DD') AS resolved FROM dossier WHERE source_id = $1 AND code = $2`, [sid, d.code]);
    const day = new Date(`${d.due}T00:00:00Z`);
    day.setUTCDate(day.getUTCDate() + 1);
    expect(after.resolved).toBe(day.toISOString().slice(0, 10));
    expect(await w.db.sql.query('SELECT * FROM rollup_dirty')).toEqual([]);
    const now = await threeWays({ measures: TIMES, groupBy: ['UNIT', 'PERIOD'], period: { from: '2024-01', to: '2024-12' }, limit: 1000 },
      timesBy(`to_char(d.resolved_on, 'YYYY-MM')`, false), ['2024-01-01', '2025-01-01']);
    // The month the dossier left (or the one it entered) changed: the mean's total days at least.
    expect(now).not.toEqual(before);
    for (const date of [d.resolved, d.due, after.resolved]) await threeWays({ measures: OPEN, groupBy: ['UNIT'], asOf: date }, openOn, [date]);

    // Incremental refreshes leave the rollups as a rebuild makes them.
    const snapshot = () => Promise.all(['dossier_days_rollup_l1', 'dossier_days_rollup_l1_year', 'dossier_open_rollup_l1', 'dossier_days_rollup_nation', 'dossier_days_sources_nation'].map((t) => w.db.sql.query<{ t: string }>(`SELECT x::text AS t FROM ${t} x ORDER BY 1`)));
    const incremental = await snapshot();
    await rebuildRollups(w.db.sql);
    expect(await snapshot()).toEqual(incremental);
  });
});
