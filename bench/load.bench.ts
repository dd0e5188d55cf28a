import autocannon from 'autocannon';
import os from 'node:os';
import { Rng } from '../src/simulator/prng';
import { cpuByRole, mb, memoryOf, startGatewayChild } from './gateway-child.runner';
import { mixRequest, sampleRss, table } from './load/mix-request';
import { LatencyRecorder, percentiles } from './load/latency.recorder';
import { READ_MIX } from './load/read-mix.definition';

/**
 * `npm run bench:load`: the realistic read mix (bench/load/read-mix.definition.ts) at
 * LOAD_CONNECTIONS connections (default 100) for LOAD_SECONDS (default 60) against the real
 * gateway in its own process, on the default world (SYNC_ON_START with the in-process simulator),
 * with autocannon as a library. Prints throughput, errors and p50/p90/p99/max per kind, and the
 * gateway's peak RSS. Targets (issue 8): 0 errors, p99 ≤ 1 s for every kind, peak RSS ≤ 250 MB.
 *
 * RATE_LIMIT_MAX=0: the per-client rate limit (600/min by default) would otherwise turn a load
 * from one address into 429s. Every request goes to 127.0.0.1. LOAD_SEED varies the draw.
 * "in flight": sent and not answered when the run stopped (at most one per connection; more would be timeouts).
 * LOAD_KINDS=kpi,sources restricts the mix to those kinds (to cost one kind alone).
 * LOAD_GATEWAY_ENV='{"DB_POOL_SIZE":"20"}' passes extra settings to the gateway (experiments).
 */
const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 100);
const SEED = Number(process.env.LOAD_SEED ?? 8);
/** A request slower than this counts as an error (autocannon's timeout, seconds). */
const TIMEOUT_S = 30;
const MIX = process.env.LOAD_KINDS ? READ_MIX.filter((k) => process.env.LOAD_KINDS!.split(',').includes(k.name)) : READ_MIX;
const TARGET_P99_MS = 1000;
const TARGET_RSS = 250 * 1048576;

const fmt = (ms: number) => (Number.isNaN(ms) ? '-' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

async function main(): Promise<void> {
  if (MIX.length === 0) throw new Error(`LOAD_KINDS names no kind of ${READ_MIX.map((k) => k.name).join(', ')}`);
  if (!(SECONDS > 0 && SECONDS <= 3600) || !(CONNECTIONS >= 1 && CONNECTIONS <= 2000)) {
    throw new Error('LOAD_SECONDS must be in 1..3600 and LOAD_CONNECTIONS in 1..2000');
  }
  const extraEnv = process.env.LOAD_GATEWAY_ENV ? (JSON.parse(process.env.LOAD_GATEWAY_ENV) as Record<string, string>) : {};
  console.log(`starting the gateway (default world: SYNC_ON_START=true, in-process simulator; RATE_LIMIT_MAX=0: rate limiting OFF for this single-address load)`);
  const gw = await startGatewayChild('load', { RATE_LIMIT_MAX: '0', ...extraEnv });
  try {
    const atReady = memoryOf(gw.pid);
    console.log(`gateway pid ${gw.pid} healthy in ${gw.startSeconds.toFixed(1)} s; RSS ${atReady ? mb(atReady.current) : '?'} (peak so far ${atReady ? mb(atReady.peak) : '?'}, the start-up sync included)`);
    const rng = new Rng(SEED);
    const recorder = new LatencyRecorder(MIX.map((k) => k.name));
    const rss = sampleRss(gw.pid);
    const cpuStart = process.cpuUsage();
    const rolesStart = cpuByRole(gw);
    const instance = autocannon({
      url: `${gw.origin}/graphql`,
      connections: CONNECTIONS,
      duration: SECONDS,
      timeout: TIMEOUT_S,
      requests: [mixRequest(rng, MIX, recorder)],
    });
    const result = await instance;
    const peakDuringLoad = rss.stop();
    const mem = memoryOf(gw.pid);
    const benchCpu = process.cpuUsage(cpuStart);
    const rolesEnd = cpuByRole(gw);

    const header = ['kind', 'share', 'requests', 'errors', 'non-2xx', 'in flight', 'p50', 'p90', 'p99', 'max'];
    const rows = [header];
    let failing = 0;
    for (const [name, s] of recorder.kinds()) {
      const [p50, p90, p99, max] = percentiles(s.latencies, [50, 90, 99, 100]);
      if (p99 > TARGET_P99_MS || s.graphqlErrors + s.non2xx > 0) failing++;
      const weight = Math.round((100 * MIX.find((k) => k.name === name)!.weight) / MIX.reduce((t, k) => t + k.weight, 0));
      rows.push([name, `${weight}%`, String(s.answered), String(s.graphqlErrors), String(s.non2xx), String(s.sent - s.answered), fmt(p50), fmt(p90), fmt(p99), fmt(max)]);
    }
    const all = recorder.all();
    const [a50, a90, a99, amax] = percentiles(all, [50, 90, 99, 100]);
    const totals = recorder.kinds().reduce((t, [, s]) => ({ e: t.e + s.graphqlErrors, n: t.n + s.non2xx, u: t.u + s.sent - s.answered }), { e: 0, n: 0, u: 0 });
    rows.push(['all', '100%', String(all.length), String(totals.e), String(totals.n), String(totals.u), fmt(a50), fmt(a90), fmt(a99), fmt(amax)]);

    console.log('');
    console.log(`settings: ${CONNECTIONS} connections × ${SECONDS} s, seed ${SEED}, request timeout ${TIMEOUT_S} s, gateway defaults (DB_POOL_SIZE etc.)${Object.keys(extraEnv).length ? ` + ${JSON.stringify(extraEnv)}` : ''}, RATE_LIMIT_MAX=0 (rate limit off), ${os.cpus().length} CPUs shared by gateway, PostgreSQL and this load generator`);
    console.log(table(rows));
    console.log('');
    console.log(`throughput: ${(all.length / result.duration).toFixed(1)} requests/s (${result.requests.total} answered in ${result.duration.toFixed(1)} s); autocannon: ${result.errors} connection errors (${result.timeouts} timeouts), ${result.non2xx} non-2xx`);
    console.log(`gateway RSS: peak during the load ${mb(peakDuringLoad)} (sampled every 200 ms); VmHWM ${mem ? mb(mem.peak) : '?'} over the process's life (start-up sync included); the in-process simulator's world is part of both; PostgreSQL's processes are not`);
    const perReq = (s: number) => `${((s * 1000) / Math.max(1, all.length)).toFixed(1)} ms`;
    const gwCpu = rolesEnd.gateway - rolesStart.gateway;
    const pgCpu = rolesEnd.postgres - rolesStart.postgres;
    const genCpu = (benchCpu.user + benchCpu.system) / 1e6;
    console.log(`CPU over the run (${os.cpus().length} cores × ${result.duration.toFixed(0)} s = ${(os.cpus().length * result.duration).toFixed(0)} s available): gateway ${gwCpu.toFixed(1)} s (${perReq(gwCpu)}/request), PostgreSQL ${pgCpu.toFixed(1)} s (${perReq(pgCpu)}/request; live backends only), load generator ${genCpu.toFixed(1)} s`);
    for (const [name, s] of recorder.kinds()) for (const ex of s.examples) console.log(`  ${name} error: ${ex}`);
    const errors = totals.e + totals.n + result.errors;
    const peak = Math.max(peakDuringLoad, mem?.peak ?? 0);
    const verdict = [
      `errors ${errors === 0 ? 'OK' : `FAIL (${errors})`}`,
      `p99 ≤ 1 s ${failing === 0 ? 'OK' : `FAIL (${failing} kinds over, or with errors)`}`,
      `peak RSS ≤ 250 MB ${peak <= TARGET_RSS ? 'OK' : `FAIL (${mb(peak)})`}`,
    ];
    console.log(`targets: ${verdict.join('; ')}`);
    if (errors > 0 || failing > 0 || peak > TARGET_RSS) process.exitCode = 1;
  } finally {
    await gw.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
