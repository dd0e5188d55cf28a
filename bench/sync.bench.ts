import 'reflect-metadata';
import { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { loadConfig } from '../src/config/config';
import { connect, Database } from '../src/db/database';
import { refreshDeferredRollups } from '../src/ingest/rollup-refresh';
import { loadReferenceData } from '../src/reference/reference-data.service';
import { HeapPolicy } from '../src/server/heap-policy';
import { createLogger } from '../src/server/logger';
import { SyncService } from '../src/sync/sync.service';
import { benchDatabase } from './bench-db';
import { nationalFeeds, startSimulatorProcess } from './dossier-world';

/**
 * `npm run bench:sync`: syncs the dossier feeds of the national-scale simulator (63 provinces,
 * ~6.3M dossiers; BENCH_PROVINCES=01,79 limits it) through the gateway's sync (HTTP paging, JSON,
 * code resolution, the dossier store, monthly statistics through the ingest core, one transaction
 * per feed), then, in the same run, a plain COPY of the same dossier rows into a table keyed like
 * the dossier store (unique on source and MaHoSo). BENCH_RUNS runs (default 3), each on a fresh
 * database of one cluster; prints each run and the median of the ratios (issue 11: at least 0.6x
 * COPY as the median of 3 runs). The simulator runs in its own process (it is the upstream, not
 * the gateway), started once.
 *
 * SYNC_CONCURRENCY (the gateway's setting, default 4): feeds synced at once; BENCH_PAGE_SIZE (default 5000): dossiers per page.
 * The simulator process and the sources are bench/dossier-world.ts's (npm run bench fills its dossier world with them).
 */

/** Busy and total CPU jiffies of the whole machine (Linux /proc/stat), to say how loaded the cores were. */
function cpuTicks(): { busy: number; total: number } | null {
  try {
    const [cpu] = fs.readFileSync('/proc/stat', 'utf8').split('\n');
    const f = cpu.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - (f[4] ?? 0), total };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) of a process, with those of its children it waited for; 0 if gone or not Linux. */
function cpuSeconds(pid: number, withChildren = false): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14-17 of stat (utime, stime, cutime, cstime), in USER_HZ (100) ticks.
    return (Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0)) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds used so far by one PostgreSQL cluster: its postmaster with the backends it reaped
 * (cutime) and its live processes. By parent pid, so the other clusters sharing the machine
 * (other sessions' benches) are not counted.
 */
function clusterCpu(postmaster: number): number {
  let total = cpuSeconds(postmaster, true);
  try {
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
        if (Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) === postmaster) total += cpuSeconds(Number(pid));
      } catch {
        // exited meanwhile: its time is in the postmaster's cutime
      }
    }
  } catch {
    // not Linux
  }
  return total;
}

/** The postmaster of the cluster a pool talks to (the parent of one of its backends). */
async function postmasterOf(db: Database): Promise<number> {
  const [{ pid }] = await db.sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  try {
    return Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** What one run measured. */
interface RunResult {
  load: string;
  dossiers: number;
  filings: number;
  syncSeconds: number;
  copyRows: number;
  copySeconds: number;
  /** Rollup refresh after the load (deferred: once for every feed). */
  rollupSeconds: number;
  rollupRows: number;
  /** CPU seconds during the sync: this process, the simulator, PostgreSQL; during the COPY: PostgreSQL. */
  cpu: { gateway: number; simulator: number; postgres: number; copyPostgres: number };
  /** Share of the machine's CPU busy during the sync (all processes, other sessions' included). */
  busy: number | null;
  rssAtStart: number;
  peakRss: number;
  atPeak: NodeJS.MemoryUsage;
}

/** Peak RSS of this process, sampled every 50 ms between start() and stop(). */
class RssSampler {
  peak = 0;
  atPeak = process.memoryUsage();
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    this.atPeak = process.memoryUsage();
    this.peak = this.atPeak.rss;
    // rss() alone is cheap; the full memoryUsage() (heap spaces) only at a new peak.
    this.timer = setInterval(() => {
      const rss = process.memoryUsage.rss();
      if (rss > this.peak) {
        this.atPeak = process.memoryUsage();
        this.peak = Math.max(rss, this.atPeak.rss);
      }
    }, 50);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** A database of its own on the cluster for one run (created empty, migrated, reference data loaded; dropped after). */
async function runDatabase(adminUrl: string, name: string, poolSize: number): Promise<{ db: Database; drop: () => Promise<void> }> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await connect(url.toString(), poolSize);
  await loadReferenceData(db.sql);
  return {
    db,
    drop: async () => {
      await db.close();
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name}`).finally(() => c.end());
    },
  };
}

async function oneRun(run: number, sim: { url: string; child: ChildProcess }, adminUrl: string, concurrency: number, heap: HeapPolicy, provincesWanted: string[] | null, tmp: string): Promise<RunResult & { provinces: number; feeds: number }> {
  const { db, drop } = await runDatabase(adminUrl, `bench_sync_${process.pid}_${run}`, concurrency + 2);
  const sampler = new RssSampler();
  try {
    const postmaster = await postmasterOf(db);
    const { sources, feeds, provinces } = await nationalFeeds(db, sim.url, provincesWanted, Number(process.env.BENCH_PAGE_SIZE ?? 5000));
    // The gateway's heap policy (main.ts applies it at start-up; a sync run raises it), so the bench's process behaves as the gateway's does.
    const sync = new SyncService(db.sql, sources, createLogger('warn'), {}, { concurrency, heap });
    const cat = await sync.sync('catalogue');
    if (cat.status !== 'succeeded') throw new Error(`catalogue: ${cat.error}`);
    await db.sql.query('CHECKPOINT');

    // Measured from here: the sync, not the set-up (reference data, catalogue).
    const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    sampler.start();
    const rssAtStart = sampler.peak;
    let dossiers = 0;
    let filings = 0;
    const cpuAtStart = cpuTicks();
    const cpu0 = { gateway: process.cpuUsage(), simulator: cpuSeconds(sim.child.pid!), postgres: clusterCpu(postmaster) };
    const started = process.hrtime.bigint();
    // Every feed asked for at once, as a schedule firing for all of them would: the service's limit queues them.
    await Promise.all(
      feeds.map(async (code) => {
        const o = await sync.sync(code, { trigger: 'bench', deferRollups: true });
        if (o.status !== 'succeeded') throw new Error(`${code}: ${o.error}`);
        dossiers += o.rowsRead;
        filings += o.rowsWritten;
        if (process.stdout.isTTY) process.stdout.write(`\r  run ${run}: ${code} ${o.rowsRead} dossiers in ${o.seconds.toFixed(1)} s; ${dossiers.toLocaleString('en-US')} so far   `);
      }),
    );
    const syncSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const gatewayCpu = process.cpuUsage(cpu0.gateway);
    const cpuAtEnd = cpuTicks();
    const cpu = {
      gateway: (gatewayCpu.user + gatewayCpu.system) / 1e6,
      simulator: cpuSeconds(sim.child.pid!) - cpu0.simulator,
      postgres: clusterCpu(postmaster) - cpu0.postgres,
      copyPostgres: 0,
    };
    sampler.stop();
    if (process.stdout.isTTY) process.stdout.write('\n');
    // A bulk load refreshes the aggregates' rollups once, at the end (the ingest core's deferred refresh, as syncAll does).
    const rollups = (await refreshDeferredRollups(db.sql))!;

    // Baseline: the same dossier rows, written to a file, COPYed into a table keyed like the dossier
    // store (unique on source and MaHoSo), the key maintained as rows arrive: a plain COPY.
    const file = path.join(tmp, 'dossiers.copy');
    // Every column the dossier store has, read from the catalogue: the baseline moves the same bytes the sync stores.
    const [{ columns }] = await db.sql.query<{ columns: string }>(
      `SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS columns FROM pg_attribute WHERE attrelid = 'dossier'::regclass AND attnum > 0 AND NOT attisdropped`,
    );
    await db.sql.withClient(async (c) => {
      await pipeline(c.client.query(copyTo(`COPY (SELECT ${columns} FROM dossier) TO STDOUT`)), fs.createWriteStream(file));
    });
    await db.sql.query('CREATE TABLE bench_copy (LIKE dossier INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY (source_id, code))');
    await db.sql.query('CHECKPOINT');
    const copyCpu0 = clusterCpu(postmaster);
    const copyStarted = process.hrtime.bigint();
    await db.sql.transaction(async (tx) => {
      await pipeline(fs.createReadStream(file), tx.client.query(copyFrom(`COPY bench_copy (${columns}) FROM STDIN`)));
    });
    const copySeconds = Number(process.hrtime.bigint() - copyStarted) / 1e9;
    cpu.copyPostgres = clusterCpu(postmaster) - copyCpu0;
    const [{ n }] = await db.sql.query<{ n: string }>('SELECT count(*) AS n FROM bench_copy');
    fs.rmSync(file, { force: true });
    const busy = cpuAtStart && cpuAtEnd ? (cpuAtEnd.busy - cpuAtStart.busy) / (cpuAtEnd.total - cpuAtStart.total) : null;
    return {
      provinces: provinces.length, feeds: feeds.length, load, dossiers, filings, syncSeconds, copyRows: Number(n), copySeconds,
      rollupSeconds: rollups.ms / 1000, rollupRows: rollups.filingRows + rollups.stockRows, cpu, busy,
      rssAtStart, peakRss: sampler.peak, atPeak: sampler.atPeak,
    };
  } finally {
    sampler.stop();
    await drop();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  // The gateway's own limit (SYNC_CONCURRENCY, default 4) decides how many feeds sync at once.
  const concurrency = loadConfig().syncConcurrency;
  const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
  const heap = HeapPolicy.forProcess();
  const sim = await startSimulatorProcess();
  // One cluster (or DATABASE_URL's server); each run gets a fresh database of its own on it.
  const { db: admin, cleanup } = await benchDatabase(1);
  const adminUrl = admin.url;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-bench-sync-'));
  const results: RunResult[] = [];
  const rate = (count: number, s: number) => Math.round(count / s).toLocaleString('en-US');
  const mb = (b: number) => `${Math.round(b / 1048576)} MB`;
  const us = (seconds: number, n: number) => ((seconds * 1e6) / n).toFixed(2);
  try {
    const provincesWanted = process.env.BENCH_PROVINCES ? process.env.BENCH_PROVINCES.split(',') : null;
    let shape = '';
    for (let run = 1; run <= runs; run++) {
      const r = await oneRun(run, sim, adminUrl, concurrency, heap, provincesWanted, tmp);
      shape = `provinces: ${r.provinces} (feeds synced ${Math.min(concurrency, r.feeds)} at a time), ${r.dossiers.toLocaleString('en-US')} dossiers, ${r.filings.toLocaleString('en-US')} filing rows written; ${os.cpus().length} CPUs`;
      results.push(r);
      console.log(
        `run ${run} (load ${r.load}): sync ${r.syncSeconds.toFixed(1)} s = ${rate(r.dossiers, r.syncSeconds)} dossiers/s; COPY ${r.copySeconds.toFixed(1)} s = ${rate(r.copyRows, r.copySeconds)} rows/s; ` +
          `ratio ${(r.copySeconds / r.syncSeconds).toFixed(2)}; peak RSS ${mb(r.peakRss)}`,
      );
    }
    console.log(shape);
    console.log('gateway sync: HTTP pages, JSON, codes, dossier store, monthly statistics via the ingest core; COPY: the same dossier rows into a table keyed on (source, MaHoSo)');
    console.log('CPU in µs per dossier: gateway (this process), PostgreSQL (this cluster only), simulator (the upstream); COPY: PostgreSQL per row');
    console.log('');
    console.log('| run | load avg (1/5/15 min) | sync s | dossiers/s | COPY s | COPY rows/s | ratio | ratio incl. rollups | gateway CPU µs | PostgreSQL CPU µs | simulator CPU µs | COPY PostgreSQL CPU µs | machine busy | peak RSS |');
    console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    results.forEach((r, i) => {
      console.log(
        `| ${i + 1} | ${r.load} | ${r.syncSeconds.toFixed(1)} | ${rate(r.dossiers, r.syncSeconds)} | ${r.copySeconds.toFixed(1)} | ${rate(r.copyRows, r.copySeconds)} | ` +
          `${(r.copySeconds / r.syncSeconds).toFixed(2)} | ${(r.copySeconds / (r.syncSeconds + r.rollupSeconds)).toFixed(2)} | ` +
          `${us(r.cpu.gateway, r.dossiers)} | ${us(r.cpu.postgres, r.dossiers)} | ${us(r.cpu.simulator, r.dossiers)} | ${us(r.cpu.copyPostgres, r.copyRows)} | ` +
          `${r.busy === null ? '?' : `${Math.round(r.busy * 100)}%`} | ${mb(r.peakRss)} |`,
      );
    });
    const ratios = results.map((r) => r.copySeconds / r.syncSeconds);
    console.log('');
    console.log(`median ratio gateway / COPY over ${runs} run(s): ${median(ratios).toFixed(2)} (target: 0.6 or more); runs: ${ratios.map((x) => x.toFixed(2)).join(', ')}`);
    console.log(`median dossiers/s: ${rate(median(results.map((r) => r.dossiers / r.syncSeconds)), 1)}; median COPY rows/s: ${rate(median(results.map((r) => r.copyRows / r.copySeconds)), 1)}`);
    console.log(`rollup refresh after each load (deferred, once for all feeds): ${results.map((r) => `${r.rollupSeconds.toFixed(1)} s`).join(', ')} (${results[0].rollupRows.toLocaleString('en-US')} rows)`);
    const worst = results.reduce((a, b) => (b.peakRss > a.peakRss ? b : a));
    console.log(`gateway peak RSS during the sync: ${results.map((r) => mb(r.peakRss)).join(', ')} (target: 250 MB or less; ${results.map((r) => mb(r.rssAtStart)).join(', ')} when each began); whole process, set-up included: ${mb(process.resourceUsage().maxRSS * 1024)}`);
    console.log(`  at the highest peak: V8 heap ${mb(worst.atPeak.heapUsed)} used of ${mb(worst.atPeak.heapTotal)}, buffers ${mb(worst.atPeak.arrayBuffers)}, external ${mb(worst.atPeak.external)}`);
  } finally {
    sim.child.kill('SIGTERM');
    fs.rmSync(tmp, { recursive: true, force: true });
    await cleanup();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
