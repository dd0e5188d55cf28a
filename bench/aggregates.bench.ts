/**
 * Aggregates at national scale: generates a synthetic national dataset in SQL
 * (bench/aggregates/generate.ts), then times every aggregate shape of issue 11
 * (bench/aggregates/shapes.ts: the five-indicator table by province, group by procedure,
 * sector × month, commune tier, services with online filings, level share by sector, `kpi` for
 * one province), each three ways:
 *   1. the hand-written SQL of the same answer on the base tables (the baseline),
 *   2. the gateway over HTTP (rollups where they cover the shape),
 *   3. the same with preferRollups: false (base tables through the engine; not for kpi).
 * Every answer is compared with the SQL's, row by row and number by number: a difference is
 * printed with its rows and the bench exits non-zero.
 *
 *   npm run bench                      # BENCH_SCALE=1000000 filing rows (the default)
 *   BENCH_SCALE=10000000 npm run bench # the national size (~10M rows; several minutes)
 *   BENCH_CURVE=1000000=<url>,10000000=<url>,30000000=<url> npm run bench
 *                                      # how cost grows: issue 11's item 6 shapes at each scale, alternating
 *
 * It starts a throwaway embedded PostgreSQL in a temporary folder (removed afterwards), or uses
 * BENCH_DATABASE_URL (an empty database: the bench migrates and fills it; run again on the same
 * one, it reuses the data; BENCH_REBUILD=0 keeps its rollups too, refreshing only those listed stale). BENCH_RUNS sets the timed
 * repetitions (default 15; medians are printed); BENCH_SHAPES a comma-separated part of the shape
 * names to time only those.
 *
 * The dossier measures' shapes (bench/aggregates/dossier-shapes.ts: processing times, dossiers in
 * progress and overdue) run on a second database of the same server, the dossier world: the
 * simulator's national feeds (~6.3M dossiers) synced through the gateway as bench:sync does
 * (bench/dossier-world.ts), once: an earlier run's world is reused (BENCH_DOSSIER_DATABASE_URL, or
 * the database "<BENCH_DATABASE_URL's>_dossiers", created if missing). Filling it takes minutes
 * (bench:sync's time, plus the rollup refresh); BENCH_DOSSIER_PROVINCES=01,79 fills a part only.
 * BENCH_SHAPES without a dossier shape's name skips the dossier world.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rebuildRollups, refreshRollups } from '../src/aggregates/rollup.service';
import { loadConfig } from '../src/config/config';
import { connect, Database } from '../src/db/database';
import { startEmbeddedPostgres, EmbeddedHandle } from '../src/db/embedded-postgres';
import { loadReferenceData } from '../src/reference/reference-data.service';
import { startApp } from '../src/server/app';
import { createLogger } from '../src/server/logger';
import { createSchema } from '../src/server/schema';
import { freePort } from '../src/common/free-port';
import { generate } from './aggregates/generate';
import { differences, Shape, SHAPES } from './aggregates/shapes';
import { DOSSIER_SHAPES } from './aggregates/dossier-shapes';
import { startSimulatorProcess, syncDossierWorld } from './dossier-world';
import { refreshDeferredRollups } from '../src/ingest/rollup-refresh';
import { Client } from 'pg';

const SCALE = Number(process.env.BENCH_SCALE ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = process.hrtime.bigint();
  const r = await fn();
  return [r, Number(process.hrtime.bigint() - t) / 1e6];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Times `fn` `runs` times after one untimed warm-up; returns the last answer and the times. */
async function repeat<T>(runs: number, fn: () => Promise<T>): Promise<{ answer: T; ms: number[] }> {
  let answer = await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    answer = await fn();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { answer, ms };
}

interface ShapeResult {
  name: string; sqlMs: number; gatewayMs: number; baseMs: number | null; floorMs: number; identical: boolean; rows: number; rollups: boolean | null;
}

type Ask = (shape: Shape, rollups: boolean) => Promise<Record<string, any>>;

/**
 * One shape: the SQL, the gateway (rollups), the gateway on base tables; every answer checked
 * against the SQL's. SQL and gateway runs alternate, so that the machine's load (2 cores shared
 * with other sessions) falls on both alike; beside them, the round trip of a trivial query
 * (`{ __typename }`) in the same rounds: the HTTP and GraphQL floor every answer pays.
 */
async function timeShape(db: Awaited<ReturnType<typeof connect>>, world: World, shape: Shape): Promise<ShapeResult> {
  const ask = world.ask;
  const sqlRuns = Math.min(RUNS, 5);
  let expectedRows = await db.sql.query(shape.sql);
  let answer = await ask(shape, true);
  await world.floor();
  const sqlMs: number[] = [];
  const gatewayMs: number[] = [];
  const floorMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    if (i < sqlRuns) {
      const [rows, ms] = await timed(() => db.sql.query(shape.sql));
      expectedRows = rows;
      sqlMs.push(ms);
    }
    const [a, ms] = await timed(() => ask(shape, true));
    answer = a;
    gatewayMs.push(ms);
    floorMs.push((await timed(() => world.floor()))[1]);
  }
  const expected = shape.fromSql(expectedRows);
  const base = shape.rollupSwitch ? await repeat(Math.min(RUNS, 3), () => ask(shape, false)) : undefined;
  const problems = [
    ...differences(expected, shape.fromGateway(answer)).map((d) => `gateway: ${d}`),
    ...(base ? differences(expected, shape.fromGateway(base.answer)).map((d) => `preferRollups false: ${d}`) : []),
  ];
  const rollups = shape.rollupSwitch ? Boolean(answer.aggregate.answeredFromRollups) : null;
  const result: ShapeResult = {
    name: shape.name, sqlMs: median(sqlMs), gatewayMs: median(gatewayMs), baseMs: base ? median(base.ms) : null, floorMs: median(floorMs),
    identical: problems.length === 0, rows: shape.rowCount(answer), rollups,
  };
  console.log('');
  console.log(`${shape.name}${shape.name.includes(" on ") ? "" : ", 2024"} (${result.rows} rows; answers ${result.identical ? 'IDENTICAL' : `DIFFER in ${problems.length} rows`})`);
  console.log(`  hand-written SQL (base tables)     median ${result.sqlMs.toFixed(1)} ms over ${sqlMs.length} runs`);
  console.log(`  gateway over HTTP                  median ${result.gatewayMs.toFixed(1)} ms over ${gatewayMs.length} runs${rollups === null ? '' : ` (answered from rollups: ${rollups})`}`);
  console.log(`  { __typename } over HTTP (floor)   median ${result.floorMs.toFixed(1)} ms over ${floorMs.length} runs`);
  if (base) console.log(`  gateway, preferRollups: false      median ${median(base.ms).toFixed(1)} ms over ${base.ms.length} runs`);
  console.log(`  ratio gateway / hand-written SQL   ${(result.gatewayMs / result.sqlMs).toFixed(3)} (target ≤ 0.1)`);
  if (!result.identical) {
    console.log(`  !!!!! ANSWERS DIFFER from the hand-written SQL (${problems.length}; first 10):`);
    for (const p of problems.slice(0, 10)) console.log(`  !!!!! ${p}`);
  }
  return result;
}

function printSummary(results: ShapeResult[]): void {
  console.log('');
  console.log(`load average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(', ')} (${os.cpus().length} CPUs)`);
  console.log('| shape | SQL median ms | gateway median ms | ratio | { __typename } ms | preferRollups: false ms | answers |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of results) {
    console.log(`| ${r.name} | ${r.sqlMs.toFixed(1)} | ${r.gatewayMs.toFixed(1)} | ${(r.gatewayMs / r.sqlMs).toFixed(3)} | ${r.floorMs.toFixed(1)} | ${r.baseMs === null ? '' : r.baseMs.toFixed(1)} | ${r.identical ? 'IDENTICAL' : 'DIFFER'} |`);
  }
}

/** A filled database with a gateway on it, for one scale. */
interface World { db: Awaited<ReturnType<typeof connect>>; ask: Ask; floor(): Promise<void>; filings: number; close(): Promise<void> }

/**
 * Connects to `url` (or a throwaway embedded cluster), fills it at `scale` unless an earlier run
 * did, rebuilds the rollups (unless BENCH_REBUILD=0 on a reused database) and starts a gateway.
 */
async function openWorld(url: string | undefined, scale: number, label = ''): Promise<World> {
  let embedded: EmbeddedHandle | undefined;
  let dir: string | undefined;
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
  const cleanup = async () => {
    await db.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await loadReferenceData(db.sql);
    const [existing] = await db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM filing_stat f JOIN source s ON s.id = f.source_id WHERE s.code = 'bench'`);
    if (Number(existing.n) > 0) {
      // A BENCH_DATABASE_URL filled by an earlier run: time it again without regenerating.
      console.log(`${label}reusing ${Number(existing.n).toLocaleString('en')} filing rows already in the database`);
    } else {
      console.log(`${label}BENCH_SCALE=${scale} (target filing rows), ${os.cpus().length} CPUs`);
      const [counts, genMs] = await timed(() => generate(db, scale));
      console.log(`${label}generated ${counts.filings.toLocaleString('en')} filing rows, ${counts.services.toLocaleString('en')} services (${counts.communes.toLocaleString('en')} communes report), ${counts.levels.toLocaleString('en')} level rows in ${(genMs / 1000).toFixed(1)} s`);
    }
    // Filings were loaded with triggers off: rebuild everything rather than what the triggers listed.
    // BENCH_REBUILD=0 keeps the rollups of an earlier run on a reused database (4 minutes at 10M rows).
    if (process.env.BENCH_REBUILD === '0' && Number(existing.n) > 0) {
      // Only what is listed stale, e.g. a rollup added by a migration since.
      const [refresh, refreshMs] = await timed(() => refreshRollups(db.sql));
      console.log(`${label}rollups kept from the earlier run (BENCH_REBUILD=0); those listed stale refreshed in ${(refreshMs / 1000).toFixed(1)} s (${refresh.filingRows.toLocaleString('en')} filing rollup rows, ${refresh.stockRows.toLocaleString('en')} stock rollup rows)`);
      if (refresh.filingRows + refresh.stockRows > 0) await db.sql.query('VACUUM ANALYZE');
    } else {
      const [refresh, refreshMs] = await timed(() => rebuildRollups(db.sql));
      console.log(`${label}rollups rebuilt in ${(refreshMs / 1000).toFixed(1)} s (${refresh.filingRows.toLocaleString('en')} filing rollup rows, ${refresh.stockRows.toLocaleString('en')} stock rollup rows)`);
      await db.sql.query('VACUUM ANALYZE');
    }
    const [filings] = await db.sql.query<{ n: string }>('SELECT count(*) AS n FROM filing_stat');
    return await gatewayWorld(db, url, Number(filings.n), cleanup);
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** A gateway on a filled database (the response cache off: this times the engine, not a cached answer, since the same query repeats). */
async function gatewayWorld(db: Database, url: string, filings: number, cleanup: () => Promise<void>): Promise<World> {
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', databaseUrl: url, logLevel: 'silent', statementTimeoutMs: 600_000, responseCache: false });
  const app = await startApp({ config, db, schema: await createSchema(), logger: createLogger('silent') });
  const ask: Ask = async (shape, rollups) => {
    const variables = { ...shape.variables, ...(shape.rollupSwitch ? { rollups } : {}) };
    const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: shape.query, variables }) });
    const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown };
    if (!body.data) throw new Error(`gateway error on ${shape.name}: ${JSON.stringify(body.errors)}`);
    return body.data;
  };
  const floor = async () => {
    const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    await res.json();
  };
  return { db, ask, floor, filings, close: async () => { await app.close(); await cleanup(); } };
}

/**
 * The dossier world: a database beside the filing world's on the same server (BENCH_DOSSIER_DATABASE_URL,
 * else "<its name>_dossiers"), filled once by syncing the simulator's national feeds through the
 * gateway (bench:sync's way), rollups refreshed once at the end; an earlier run's is reused.
 */
async function openDossierWorld(filingUrl: string): Promise<World> {
  let url = process.env.BENCH_DOSSIER_DATABASE_URL;
  if (!url) {
    const u = new URL(filingUrl);
    const name = `${u.pathname.slice(1)}_dossiers`;
    const admin = new Client({ connectionString: filingUrl });
    await admin.connect();
    try {
      const [exists] = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rows;
      if (!exists) await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    u.pathname = `/${name}`;
    url = u.toString();
  }
  const db = await connect(url, 6);
  const cleanup = () => db.close();
  try {
    await loadReferenceData(db.sql);
    const [have] = await db.sql.query<{ n: string }>('SELECT count(*) AS n FROM dossier WHERE received_on IS NOT NULL');
    if (Number(have.n) > 0) {
      console.log(`dossier world: reusing ${Number(have.n).toLocaleString('en')} dossiers already in ${new URL(url).pathname.slice(1)}`);
      const [refresh, ms] = await timed(() => refreshRollups(db.sql));
      if (refresh.dossierRows + refresh.filingRows + refresh.stockRows > 0) {
        console.log(`dossier world: rollups listed stale refreshed in ${(ms / 1000).toFixed(1)} s (${refresh.dossierRows.toLocaleString('en')} dossier rollup rows)`);
        await db.sql.query('VACUUM ANALYZE');
      }
    } else {
      const provinces = process.env.BENCH_DOSSIER_PROVINCES ? process.env.BENCH_DOSSIER_PROVINCES.split(',') : null;
      console.log(`dossier world: syncing the simulator's national feeds (${provinces ? provinces.join(', ') : 'every province'}) into ${new URL(url).pathname.slice(1)}; this takes minutes`);
      const sim = await startSimulatorProcess();
      try {
        const [dossiers, syncMs] = await timed(() => syncDossierWorld(db, sim.url, provinces, loadConfig().syncConcurrency, (line) => {
          if (process.stdout.isTTY) process.stdout.write(`\r  ${line}   `);
        }));
        if (process.stdout.isTTY) process.stdout.write('\n');
        console.log(`dossier world: ${dossiers.toLocaleString('en')} dossiers synced in ${(syncMs / 1000).toFixed(1)} s (load ${os.loadavg().map((x) => x.toFixed(2)).join(', ')})`);
      } finally {
        sim.child.kill('SIGTERM');
      }
      const [refresh, ms] = await timed(async () => (await refreshDeferredRollups(db.sql))!);
      console.log(`dossier world: rollups refreshed once after the sync in ${(ms / 1000).toFixed(1)} s (${refresh.filingRows.toLocaleString('en')} filing, ${refresh.dossierRows.toLocaleString('en')} dossier rollup rows)`);
      await db.sql.query('VACUUM ANALYZE');
    }
    return await gatewayWorld(db, url, 0, cleanup);
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** The shapes of `among` named by BENCH_SHAPES (parts of names, comma-separated), or `fallback`. */
function chosenShapes(fallback: Shape[], among: Shape[] = SHAPES): Shape[] {
  const only = process.env.BENCH_SHAPES?.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  return only ? among.filter((s) => only.some((o) => s.name.toLowerCase().includes(o))) : fallback;
}

/** Issue 11, item 6's shapes: how their cost grows with the data. */
const CURVE_SHAPES = ['five-indicator table by province', 'flows by province', 'group by procedure'];

/**
 * BENCH_CURVE="1000000=<url>,10000000=<url>,30000000=<url>": the same shapes on each database
 * (filled at that scale if empty), in one process, scales alternating within each round so that
 * the machine's load falls on all alike; prints each scale's medians and how the gateway's and the
 * SQL's times grow from the smallest scale to each other one.
 */
async function curve(spec: string): Promise<void> {
  const scales = spec.split(',').map((part) => {
    const at = part.indexOf('=');
    return { scale: Number(part.slice(0, at)), url: part.slice(at + 1) };
  }).sort((a, b) => a.scale - b.scale);
  const worlds: World[] = [];
  try {
    for (const s of scales) worlds.push(await openWorld(s.url, s.scale, `[${s.scale.toLocaleString('en')}] `));
    const shapes = chosenShapes(SHAPES.filter((s) => CURVE_SHAPES.includes(s.name)));
    const rows: string[] = [];
    let identical = true;
    for (const shape of shapes) {
      const sql = worlds.map(() => [] as number[]);
      const gateway = worlds.map(() => [] as number[]);
      // Warm-up and the answers' check, once per scale.
      for (const w of worlds) {
        const problems = differences(shape.fromSql(await w.db.sql.query(shape.sql)), shape.fromGateway(await w.ask(shape, true)));
        if (problems.length > 0) {
          identical = false;
          console.log(`!!!!! ${shape.name} at ${w.filings.toLocaleString('en')} rows: ANSWERS DIFFER (${problems.length}; first 5)`);
          for (const p of problems.slice(0, 5)) console.log(`!!!!! ${p}`);
        }
      }
      for (let round = 0; round < RUNS; round++) {
        for (let i = 0; i < worlds.length; i++) {
          if (round < Math.min(RUNS, 5)) sql[i].push((await timed(() => worlds[i].db.sql.query(shape.sql)))[1]);
          gateway[i].push((await timed(() => worlds[i].ask(shape, true)))[1]);
        }
      }
      worlds.forEach((w, i) => {
        const [s, g] = [median(sql[i]), median(gateway[i])];
        const growth = i === 0 ? '' : `${(g / median(gateway[0])).toFixed(2)}× | ${(s / median(sql[0])).toFixed(2)}×`;
        rows.push(`| ${shape.name} | ${w.filings.toLocaleString('en')} | ${s.toFixed(1)} | ${g.toFixed(1)} | ${(g / s).toFixed(3)} | ${growth || '1× | 1×'} |`);
      });
    }
    console.log('');
    console.log(`How cost grows (medians: SQL over ${Math.min(RUNS, 5)} runs, gateway over ${RUNS}; growth from ${worlds[0].filings.toLocaleString('en')} rows)`);
    console.log('| shape | filing rows | SQL median ms | gateway median ms | ratio | gateway growth | SQL growth |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of rows) console.log(r);
    console.log(identical ? 'answers IDENTICAL at every scale' : '!!!!! SOME ANSWERS DIFFER FROM THE HAND-WRITTEN SQL (see above)');
    if (!identical) process.exitCode = 1;
  } finally {
    for (const w of worlds) await w.close();
  }
}

async function main(): Promise<void> {
  if (process.env.BENCH_CURVE) return curve(process.env.BENCH_CURVE);
  const world = await openWorld(process.env.BENCH_DATABASE_URL, SCALE);
  try {
    const results: ShapeResult[] = [];
    for (const shape of chosenShapes(SHAPES)) results.push(await timeShape(world.db, world, shape));
    const dossierShapes = chosenShapes(DOSSIER_SHAPES, DOSSIER_SHAPES);
    if (dossierShapes.length > 0) {
      const dossiers = await openDossierWorld(world.db.url);
      try {
        for (const shape of dossierShapes) results.push(await timeShape(dossiers.db, dossiers, shape));
      } finally {
        await dossiers.close();
      }
    }
    printSummary(results);
    if (results.some((r) => !r.identical)) {
      console.log('');
      console.log('!!!!! SOME ANSWERS DIFFER FROM THE HAND-WRITTEN SQL (see above)');
      process.exitCode = 1;
    }
  } finally {
    await world.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
