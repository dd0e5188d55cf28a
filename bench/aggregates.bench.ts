/**
 * Aggregates at national scale: generates a synthetic national dataset in SQL, then times the
 * five-indicator table by province (level-4 share, level-3/4 share, online dossier rate, on-time
 * rate, online payment rate; 2024, stocks on 31 December) three ways:
 *   1. a hand-written SQL query on the base tables (the baseline),
 *   2. the gateway's `aggregate` query over HTTP (rollups),
 *   3. the same with preferRollups: false (base tables through the engine).
 *
 *   npm run bench                      # BENCH_SCALE=1000000 filing rows (the default)
 *   BENCH_SCALE=10000000 npm run bench # the national size (~10M rows, 146k services; several minutes)
 *
 * It starts a throwaway embedded PostgreSQL in a temporary folder (removed afterwards), or uses
 * BENCH_DATABASE_URL (an empty database: the bench migrates and fills it; run again on the same
 * one, it reuses the data). BENCH_RUNS sets the timed repetitions (default 15; medians are printed).
 */
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rebuildRollups } from '../src/aggregates/rollup.service';
import { loadConfig } from '../src/config/config';
import { connect, Database } from '../src/db/database';
import { startEmbeddedPostgres, EmbeddedHandle } from '../src/db/embedded-postgres';
import { loadReferenceData } from '../src/reference/reference-data.service';
import { startApp } from '../src/server/app';
import { createLogger } from '../src/server/logger';
import { createSchema } from '../src/server/schema';
import { freePort } from '../src/common/free-port';

const SCALE = Number(process.env.BENCH_SCALE ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
/** Months of data: 2018-01 .. 2025-12; old provinces until 2025-06, today's from 2025-07. */
const FIRST_MONTH = '2018-01-01';
const LAST_MONTH = '2025-12-01';


async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = process.hrtime.bigint();
  const r = await fn();
  return [r, Number(process.hrtime.bigint() - t) / 1e6];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The synthetic nation, written with set-based SQL (FK triggers off while loading). */
async function generate(db: Database): Promise<{ services: number; levels: number; filings: number }> {
  const q = (text: string, params?: unknown[]) => db.sql.query(text, params);
  const [src] = await q(`INSERT INTO source (code, name, kind, precedence) VALUES ('bench', 'Synthetic national data', 'import', 10) RETURNING id`);
  const [run] = await q(`INSERT INTO ingest_run (source_id, kind, status, finished_at) VALUES ($1, 'import', 'succeeded', now()) RETURNING id`, [src.id]);
  const ids = [src.id, run.id];
  await q(`INSERT INTO sector (code, name, source_id, run_id) SELECT 'S' || lpad(i::text, 2, '0'), 'Lĩnh vực ' || i, $1, $2 FROM generate_series(1, 50) i`, ids);
  await q(`INSERT INTO procedure (code, name, sector_id, tier, eligible_full_online, essential, source_id, run_id)
    SELECT 'B.' || lpad(i::text, 6, '0'), 'Thủ tục ' || i, (SELECT id FROM sector WHERE code = 'S' || lpad((i % 50 + 1)::text, 2, '0')),
      'province', i % 7 <> 0, i <= 25, $1, $2 FROM generate_series(1, 2000) i`, ids);
  // Unit-months with data: 63 old provinces × 90 months + 34 provinces × 6 months.
  const [um] = await q(`SELECT
      (SELECT count(*) FROM unit WHERE kind = 'province' AND valid_from IS NULL) * 90
    + (SELECT count(*) FROM unit WHERE kind = 'province' AND valid_to IS NULL) * 6 AS n`);
  const perUnit = Math.max(1, Math.min(2000, Math.ceil(SCALE / Number(um.n))));
  await q(`INSERT INTO service (unit_id, procedure_id, source_id, run_id)
    SELECT u.id, p.id, $1, $2 FROM unit u CROSS JOIN generate_series(0, $3 - 1) k
    JOIN procedure p ON p.code = 'B.' || lpad(((k + u.id * 37) % 2000 + 1)::text, 6, '0')
    WHERE u.kind = 'province'`, [...ids, perUnit]);
  // Levels: old units level 2 or 3 from 2018, level 4 for ~70% at some month of 2019-2022, reclassified under
  // Decree 42 in 2023; units opened on 2025-07-01 report under Decree 42 from that day.
  await q(`INSERT INTO service_level (service_id, taxonomy, level, valid_from, integrated_national, source_id, run_id)
    WITH s AS (SELECT s.id, u.valid_from AS opened, p.eligible_full_online AS eligible, abs(hashtext('lv' || s.id)) AS h
               FROM service s JOIN unit u ON u.id = s.unit_id JOIN procedure p ON p.id = s.procedure_id)
    SELECT id, 'decree43'::level_taxonomy, CASE WHEN h % 3 = 0 THEN '2' ELSE '3' END, DATE '2018-01-01', NULL::boolean, $1::int, $2::int FROM s WHERE opened IS NULL
    UNION ALL
    SELECT id, 'decree43', '4', (DATE '2019-01-01' + ((h / 7) % 48) * interval '1 month')::date, h % 5 <> 0, $1::int, $2::int FROM s WHERE opened IS NULL AND h % 10 < 7
    UNION ALL
    SELECT id, 'decree42', CASE WHEN h % 10 < 7 AND eligible THEN 'full' WHEN h % 3 = 0 AND h % 10 >= 7 THEN 'info' ELSE 'partial' END,
      DATE '2023-01-01', h % 5 <> 0, $1::int, $2::int FROM s WHERE opened IS NULL
    UNION ALL
    SELECT id, 'decree42', CASE WHEN h % 10 < 8 AND eligible THEN 'full' WHEN h % 10 = 9 THEN 'info' ELSE 'partial' END,
      opened, h % 4 <> 0, $1::int, $2::int FROM s WHERE opened IS NOT NULL`, ids);
  // Filings: every service of every unit that exists in a month, with counts that obey the table's checks.
  await db.sql.transaction(async (tx) => {
    await tx.query(`SET LOCAL session_replication_role = replica`);
    await tx.query(`INSERT INTO filing_stat (month, unit_id, procedure_id, source_id, run_id, received, received_online, received_postal,
        resolved_on_time, resolved_late, with_fee, paid_online, synced_national)
      SELECT month, unit_id, procedure_id, $1, $2, r, onl, (r - onl) * ((h / 11) % 10) / 100, ot, (r - ot) * ((h / 17) % 50) / 100,
        fee, fee * ((h / 23) % 100) / 100, r * (80 + (h / 29) % 21) / 100
      FROM (
        SELECT m::date AS month, s.unit_id, s.procedure_id, h, r, r * (20 + (h / 7) % 70) / 100 AS onl, r * (60 + (h / 13) % 35) / 100 AS ot,
          r * ((h / 19) % 60) / 100 AS fee
        FROM service s JOIN unit u ON u.id = s.unit_id
        CROSS JOIN generate_series($3::date, $4::date, interval '1 month') m
        CROSS JOIN LATERAL (SELECT abs(hashtext(s.id || '-' || m::date)) AS h) hh
        CROSS JOIN LATERAL (SELECT 5 + hh.h % 200 AS r) rr
        WHERE (u.valid_from IS NULL OR u.valid_from <= m) AND (u.valid_to IS NULL OR u.valid_to >= m)
      ) x`, [...ids, FIRST_MONTH, LAST_MONTH]);
  });
  const [c] = await q(`SELECT (SELECT count(*) FROM service) AS services, (SELECT count(*) FROM service_level) AS levels, (SELECT count(*) FROM filing_stat) AS filings`);
  return { services: Number(c.services), levels: Number(c.levels), filings: Number(c.filings) };
}

/**
 * The baseline: how one would write the table by hand on the base tables (a commune's figures
 * count towards its province; a service's level is its latest row on the date).
 */
const BASELINE = `
WITH flows AS (
  SELECT CASE WHEN u.kind = 'province' THEN u.id ELSE u.parent_id END AS province_id,
    sum(f.received) AS received, sum(f.received_online) AS online, sum(f.resolved_on_time) AS on_time,
    sum(f.resolved_on_time + f.resolved_late) AS resolved, sum(f.with_fee) AS with_fee, sum(f.paid_online) AS paid_online
  FROM filing_stat f JOIN unit u ON u.id = f.unit_id
  WHERE f.month BETWEEN DATE '2024-01-01' AND DATE '2024-12-01'
  GROUP BY 1
),
latest AS (
  SELECT DISTINCT ON (sl.service_id) sl.service_id, sl.taxonomy, sl.level
  FROM service_level sl WHERE sl.valid_from <= DATE '2024-12-31'
  ORDER BY sl.service_id, sl.valid_from DESC
),
levels AS (
  SELECT CASE WHEN u.kind = 'province' THEN u.id ELSE u.parent_id END AS province_id,
    CASE WHEN l.taxonomy = 'decree42' THEN l.level WHEN l.level IN ('1', '2') THEN 'info' WHEN l.level = '3' THEN 'partial'
         WHEN l.level = '4' AND p.eligible_full_online THEN 'full' ELSE 'partial' END AS level
  FROM latest l JOIN service s ON s.id = l.service_id JOIN unit u ON u.id = s.unit_id JOIN procedure p ON p.id = s.procedure_id
  WHERE (u.valid_from IS NULL OR u.valid_from <= DATE '2024-12-31') AND (u.valid_to IS NULL OR u.valid_to >= DATE '2024-12-31')
),
stock AS (
  SELECT province_id, count(*) AS services, count(*) FILTER (WHERE level = 'full') AS full_online,
    count(*) FILTER (WHERE level IN ('partial', 'full')) AS online
  FROM levels GROUP BY 1
)
SELECT pu.code, pu.name,
  st.full_online::float8 / nullif(st.services, 0) AS level4_share, st.online::float8 / nullif(st.services, 0) AS level34_share,
  fl.online::float8 / nullif(fl.received, 0) AS online_dossier_rate, fl.on_time::float8 / nullif(fl.resolved, 0) AS on_time_rate,
  fl.paid_online::float8 / nullif(fl.with_fee, 0) AS online_payment_rate
FROM unit pu LEFT JOIN flows fl ON fl.province_id = pu.id LEFT JOIN stock st ON st.province_id = pu.id
WHERE pu.kind = 'province' AND (fl.province_id IS NOT NULL OR st.province_id IS NOT NULL)
ORDER BY pu.code, pu.valid_from NULLS FIRST`;

const GATEWAY = `query($rollups: Boolean!) { aggregate(query: {
  measures: [LEVEL4_SHARE, LEVEL34_SHARE, ONLINE_DOSSIER_RATE, ON_TIME_RATE, ONLINE_PAYMENT_RATE],
  groupBy: [UNIT], unitTier: PROVINCE, period: { from: "2024-01", to: "2024-12" }, levels: MAPPED_TO_DECREE42, limit: 100, preferRollups: $rollups
}) { answeredFromRollups totalRows rows { dimensions { unit { code name validFrom } } measures { measure value numerator denominator } } } }`;

async function main(): Promise<void> {
  let embedded: EmbeddedHandle | undefined;
  let dir: string | undefined;
  let url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-bench-'));
    // PostgreSQL may run as another user (embedded-postgres drops root).
    fs.chmodSync(dir, 0o777);
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(dir, 'pg'), port: await freePort(), database: 'dvc_bench',
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
    });
    url = embedded.url;
  }
  const db = await connect(url, 4, embedded);
  try {
    await loadReferenceData(db.sql);
    const [existing] = await db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM filing_stat f JOIN source s ON s.id = f.source_id WHERE s.code = 'bench'`);
    if (Number(existing.n) > 0) {
      // A BENCH_DATABASE_URL filled by an earlier run: time it again without regenerating.
      console.log(`reusing ${Number(existing.n).toLocaleString('en')} filing rows already in the database`);
    } else {
      console.log(`BENCH_SCALE=${SCALE} (target filing rows), ${os.cpus().length} CPUs`);
      const [counts, genMs] = await timed(() => generate(db));
      console.log(`generated ${counts.filings.toLocaleString('en')} filing rows, ${counts.services.toLocaleString('en')} services, ${counts.levels.toLocaleString('en')} level rows in ${(genMs / 1000).toFixed(1)} s`);
    }
    // Filings were loaded with triggers off: rebuild everything rather than what the triggers listed.
    const [refresh, refreshMs] = await timed(() => rebuildRollups(db.sql));
    console.log(`rollups rebuilt in ${(refreshMs / 1000).toFixed(1)} s (${refresh.filingRows.toLocaleString('en')} filing rollup rows, ${refresh.stockRows.toLocaleString('en')} stock rollup rows)`);
    await db.sql.query('VACUUM ANALYZE');

    const config = loadConfig({}, { port: 0, host: '127.0.0.1', databaseUrl: url, logLevel: 'silent', statementTimeoutMs: 600_000 });
    const app = await startApp({ config, db, schema: await createSchema(), logger: createLogger('silent') });
    const ask = async (rollups: boolean) => {
      const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: GATEWAY, variables: { rollups } }) });
      const body = (await res.json()) as { data?: { aggregate: { answeredFromRollups: boolean; totalRows: number; rows: { measures: { value: number | null }[] }[] } }; errors?: unknown };
      if (!body.data) throw new Error(`gateway error: ${JSON.stringify(body.errors)}`);
      return body.data.aggregate;
    };
    try {
      const baseline: number[] = [];
      let baseRows: Record<string, unknown>[] = [];
      for (let i = 0; i <= Math.min(RUNS, 5); i++) {
        const [rows, ms] = await timed(() => db.sql.query(BASELINE));
        if (i > 0) baseline.push(ms);
        baseRows = rows;
      }
      const viaRollups: number[] = [];
      const rollupAnswer = await ask(true);
      for (let i = 0; i < RUNS; i++) viaRollups.push((await timed(() => ask(true)))[1]);
      const viaBase: number[] = [];
      let baseAnswer = rollupAnswer;
      for (let i = 0; i <= Math.min(RUNS, 5); i++) {
        const [a, ms] = await timed(() => ask(false));
        if (i > 0) viaBase.push(ms);
        baseAnswer = a;
      }
      // The same table every way (values to 1e-12).
      const differ = (answer: typeof rollupAnswer) => baseRows.filter((row, i) => {
        const g = answer.rows[i]?.measures.map((m) => m.value) ?? [];
        const h = [row.level4_share, row.level34_share, row.online_dossier_rate, row.on_time_rate, row.online_payment_rate] as (number | null)[];
        return h.some((v, k) => (v === null) !== (g[k] === null) || (v !== null && Math.abs(v - (g[k] as number)) > 1e-12));
      }).length + Math.abs(baseRows.length - answer.rows.length);
      const mismatches = differ(rollupAnswer) + differ(baseAnswer);
      const answer = rollupAnswer;
      const b = median(baseline);
      const r = median(viaRollups);
      console.log('');
      console.log(`five-indicator table by province, 2024 (${answer.totalRows} provinces; results ${mismatches === 0 ? 'identical' : `DIFFER in ${mismatches} rows`})`);
      console.log(`  hand-written SQL (base tables)     median ${b.toFixed(1)} ms over ${baseline.length} runs`);
      console.log(`  gateway aggregate over HTTP        median ${r.toFixed(1)} ms over ${viaRollups.length} runs (answered from rollups: ${answer.answeredFromRollups})`);
      console.log(`  gateway, preferRollups: false      median ${median(viaBase).toFixed(1)} ms over ${viaBase.length} runs`);
      console.log(`  ratio gateway / hand-written SQL   ${(r / b).toFixed(3)} (target ≤ 0.05)`);
      if (mismatches > 0) process.exitCode = 1;
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
