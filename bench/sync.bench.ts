import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { loadConfig } from '../src/config/config';
import { refreshDeferredRollups } from '../src/ingest/rollup-refresh';
import { createLogger } from '../src/server/logger';
import { applyRegistry, parseRegistry, resolveSources } from '../src/sources/source-registry.service';
import { SyncService } from '../src/sync/sync.service';
import { benchDatabase } from './bench-db';

/**
 * `npm run bench:sync`: syncs the dossier feeds of the national-scale simulator (63 provinces,
 * ~6.3M dossiers; BENCH_PROVINCES=01,79 limits it) through the gateway's sync (HTTP paging, JSON,
 * code resolution, the dossier store, monthly statistics through the ingest core, one transaction
 * per feed), then, in the same run, a plain COPY of the same dossier rows into a table keyed like
 * the dossier store (unique on source and MaHoSo). Prints dossiers per second for both and the gateway's peak RSS. The simulator
 * runs in its own process (it is the upstream, not the gateway).
 *
 * SYNC_CONCURRENCY (the gateway's setting, default 4): feeds synced at once; BENCH_PAGE_SIZE (default 5000): dossiers per page.
 */
async function startSimulatorProcess(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(__dirname, '../src/simulator/simulator.cli.js'), '--scale', 'national', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"([^"]+)"/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  return { url, child };
}

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

/** CPU seconds used so far by this process, the simulator, and PostgreSQL's processes (Linux /proc; live processes only). */
function cpuByRole(simPid: number | undefined): Record<'gateway' | 'simulator' | 'postgres', number> {
  const out = { gateway: 0, simulator: 0, postgres: 0 };
  const tick = 100; // USER_HZ
  try {
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue;
      }
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(f[11]) + Number(f[12])) / tick;
      if (Number(pid) === process.pid) out.gateway += seconds;
      else if (Number(pid) === simPid) out.simulator += seconds;
      else if (comm === 'postgres') out.postgres += seconds;
    }
  } catch {
    // not Linux: no split
  }
  return out;
}

async function main(): Promise<void> {
  // The gateway's own limit (SYNC_CONCURRENCY, default 4) decides how many feeds sync at once.
  const concurrency = loadConfig().syncConcurrency;
  let peakRss = process.memoryUsage().rss;
  let atPeak = process.memoryUsage();
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > peakRss) {
      peakRss = m.rss;
      atPeak = m;
    }
  }, 50);
  const sim = await startSimulatorProcess();
  const { db, cleanup } = await benchDatabase(concurrency + 2);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-bench-sync-'));
  try {
    const agencies = (await (await fetch(`${sim.url}/dvcqg/api/v1/catalogue/agencies?pageSize=5000`, { headers: { authorization: 'Bearer sim-dvcqg-token' } })).json()) as {
      data: { items: { provinceCode: string | null }[] };
    };
    // Ministries have no province (null): provinces only, each with its feed at this scale.
    const all = [...new Set(agencies.data.items.map((a) => a.provinceCode).filter((c): c is string => c !== null))].sort();
    const provinces = process.env.BENCH_PROVINCES ? process.env.BENCH_PROVINCES.split(',') : all;
    const registry = parseRegistry({
      sources: [
        { code: 'catalogue', kind: 'dvcqg', name: 'catalogue', baseUrl: '${SIMULATOR_URL}/dvcqg/api/v1', credentials: { token: 'DVCQG_TOKEN' }, precedence: 300, units: ['*'], options: { parts: ['catalogue'] } },
        ...provinces.map((p) => ({
          code: `igate-${p}`, kind: 'dossier_feed', name: `feed ${p}`, baseUrl: `\${SIMULATOR_URL}/igate/${p}`,
          credentials: { clientId: 'IGATE_CLIENT_ID', clientSecret: 'IGATE_CLIENT_SECRET' }, precedence: 200, units: [p], options: { pageSize: Number(process.env.BENCH_PAGE_SIZE ?? 5000) },
        })),
      ],
    });
    const sources = resolveSources(registry, { SIMULATOR_URL: sim.url }, {});
    await applyRegistry(db.sql, sources);
    const sync = new SyncService(db.sql, sources, createLogger('warn'), {}, { concurrency });
    const cat = await sync.sync('catalogue');
    if (cat.status !== 'succeeded') throw new Error(`catalogue: ${cat.error}`);

    const feeds = sources.filter((s) => s.kind === 'dossier_feed').map((s) => s.code);
    // Peak memory is measured from here: the sync, not the set-up (reference data, catalogue).
    const rssAtStart = process.memoryUsage().rss;
    peakRss = rssAtStart;
    let dossiers = 0;
    let filings = 0;
    const started = process.hrtime.bigint();
    const cpuAtStart = cpuTicks();
    const rolesAtStart = cpuByRole(sim.child.pid);
    // Every feed asked for at once, as a schedule firing for all of them would: the service's limit queues them.
    await Promise.all(
      feeds.map(async (code) => {
        const o = await sync.sync(code, { trigger: 'bench', deferRollups: true });
        if (o.status !== 'succeeded') throw new Error(`${code}: ${o.error}`);
        dossiers += o.rowsRead;
        filings += o.rowsWritten;
        process.stdout.write(`\r${code}: ${o.rowsRead} dossiers in ${o.seconds.toFixed(1)} s; ${dossiers.toLocaleString('en-US')} so far   `);
      }),
    );
    const syncSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpuAtEnd = cpuTicks();
    const rolesAtEnd = cpuByRole(sim.child.pid);
    process.stdout.write('\n');
    // A bulk load refreshes the aggregates' rollups once, at the end (the ingest core's deferred refresh, as syncAll does).
    const rollups = (await refreshDeferredRollups(db.sql))!;
    const syncPeak = peakRss;

    // Baseline: the same dossier rows, written to a file, COPYed into a table keyed like the dossier
    // store (unique on source and MaHoSo), the key maintained as rows arrive: a plain COPY.
    const file = path.join(tmp, 'dossiers.copy');
    await db.sql.withClient(async (c) => {
      await pipeline(c.client.query(copyTo('COPY (SELECT source_id, code, unit_id, procedure_id, month, modified, flags FROM dossier) TO STDOUT')), fs.createWriteStream(file));
    });
    await db.sql.query('CREATE TABLE bench_copy (LIKE dossier INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY (source_id, code))');
    await db.sql.query('CHECKPOINT');
    const copyStarted = process.hrtime.bigint();
    await db.sql.transaction(async (tx) => {
      await pipeline(fs.createReadStream(file), tx.client.query(copyFrom('COPY bench_copy (source_id, code, unit_id, procedure_id, month, modified, flags) FROM STDIN')));
    });
    const copySeconds = Number(process.hrtime.bigint() - copyStarted) / 1e9;
    const [{ n }] = await db.sql.query<{ n: string }>('SELECT count(*) AS n FROM bench_copy');
    clearInterval(sampler);

    const rate = (count: number, s: number) => Math.round(count / s).toLocaleString('en-US');
    const mb = (b: number) => `${Math.round(b / 1048576)} MB`;
    console.log(`provinces: ${provinces.length} (feeds synced ${Math.min(concurrency, feeds.length)} at a time), on ${os.cpus().length} CPUs`);
    console.log(`gateway sync (HTTP pages, JSON, codes, dossier store, monthly statistics via the ingest core): ${dossiers.toLocaleString('en-US')} dossiers in ${syncSeconds.toFixed(1)} s = ${rate(dossiers, syncSeconds)} dossiers/s; ${filings.toLocaleString('en-US')} filing rows written`);
    console.log(`baseline plain COPY of the same ${Number(n).toLocaleString('en-US')} dossier rows (key source + MaHoSo):  ${copySeconds.toFixed(1)} s = ${rate(Number(n), copySeconds)} dossiers/s`);
    if (cpuAtStart && cpuAtEnd) {
      const busy = (cpuAtEnd.busy - cpuAtStart.busy) / (cpuAtEnd.total - cpuAtStart.total);
      const per = (r: keyof typeof rolesAtEnd) => `${r} ${((rolesAtEnd[r] - rolesAtStart[r]) * 1e6 / dossiers).toFixed(1)} µs`;
      console.log(`CPU busy during the sync: ${Math.round(busy * 100)}% of ${os.cpus().length} cores; CPU per dossier: ${per('gateway')}, ${per('simulator')}, ${per('postgres')} (the machine is shared)`);
    }
    console.log(`ratio gateway / COPY: ${(copySeconds / syncSeconds).toFixed(2)} (target: 0.5 or more)`);
    console.log(`then the aggregate rollups, refreshed once for the whole load: ${(rollups.ms / 1000).toFixed(1)} s (${rollups.filingRows.toLocaleString('en-US')} filing, ${rollups.stockRows.toLocaleString('en-US')} stock rows)`);
    console.log(`gateway peak RSS during the sync: ${mb(syncPeak)} (target: under 300 MB; ${mb(rssAtStart)} when it began); whole process, set-up included: ${mb(process.resourceUsage().maxRSS * 1024)}`);
    console.log(`  at the peak: V8 heap ${mb(atPeak.heapUsed)} used of ${mb(atPeak.heapTotal)}, buffers ${mb(atPeak.arrayBuffers)}, external ${mb(atPeak.external)}`);
  } finally {
    clearInterval(sampler);
    sim.child.kill('SIGTERM');
    fs.rmSync(tmp, { recursive: true, force: true });
    await cleanup();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
