import autocannon from 'autocannon';
import os from 'node:os';
import { cpuByRole, GatewayChild, startGatewayChild } from './gateway-child.runner';

/**
 * The cost of observability on a simple read (issue 12, item 1): two gateways side by side, one
 * with metrics and the access log (the defaults, LOG_LEVEL=info: a line per request to its log
 * file), one with METRICS=false ACCESS_LOG=false, the same public read sent to each in alternating
 * rounds of autocannon in one run, so that both see the same machine. Twice: with the response
 * cache (the read is answered from the front cache: the cheapest request, where the per-request
 * cost weighs most) and without (Apollo, the resolver and its SQL run each time).
 *
 * No first sync (SYNC_ON_START=false): the read asks for units, which the reference data holds.
 * BENCH_ROUNDS (default 3) rounds of BENCH_SECONDS (default 10) per gateway, BENCH_CONNECTIONS
 * (default 10). The machine is shared: compare the two gateways of one run (the ratio), not runs.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const READ = JSON.stringify({ query: 'query BenchUnits { units(first: 5, filter: { kind: PROVINCE }) { totalCount nodes { code name } } }' });

async function round(gw: GatewayChild): Promise<{ rps: number; non2xx: number; errors: number; p99: number; cpuUs: number }> {
  const cpu = cpuByRole(gw).gateway;
  const r = await autocannon({
    url: `${gw.origin}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: READ,
    connections: CONNECTIONS,
    duration: SECONDS,
  });
  // The gateway process's CPU time per request: steadier than req/s on a shared machine (waiting for a core costs no CPU).
  const cpuUs = ((cpuByRole(gw).gateway - cpu) * 1e6) / Math.max(1, r.requests.total);
  return { rps: r.requests.total / (r.duration || SECONDS), non2xx: r.non2xx, errors: r.errors, p99: r.latency.p99, cpuUs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function pair(cache: boolean): Promise<string[]> {
  const common = { RATE_LIMIT_MAX: '0', SYNC_ON_START: 'false', SYNC_SCHEDULES: 'false', LOG_LEVEL: 'info', RESPONSE_CACHE: String(cache) };
  const on = await startGatewayChild('metrics-on', { ...common, METRICS: 'true', ACCESS_LOG: 'true' });
  const off = await startGatewayChild('metrics-off', { ...common, METRICS: 'false', ACCESS_LOG: 'false' });
  try {
    // Warm both (JIT, the pool, the cache's first miss) with a round each that is not counted: the first rounds measured ran 2-3x the CPU of the later ones.
    for (const gw of [on, off]) await round(gw);
    const rps = { on: [] as number[], off: [] as number[] };
    const p99 = { on: [] as number[], off: [] as number[] };
    const cpu = { on: [] as number[], off: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate which goes first, so neither always follows the other's load.
      const order = i % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const);
      for (const mode of order) {
        const r = await round(mode === 'on' ? on : off);
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${mode}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
        rps[mode].push(r.rps);
        p99[mode].push(r.p99);
        cpu[mode].push(r.cpuUs);
        console.log(`  cache ${cache ? 'on ' : 'off'} round ${i + 1} metrics ${mode.padEnd(3)}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, ${Math.round(r.cpuUs)} µs CPU/request`);
      }
    }
    const ratio = median(rps.on) / median(rps.off);
    return [
      `cache ${cache ? 'on' : 'off'}`,
      String(Math.round(median(rps.off))),
      String(Math.round(median(rps.on))),
      ratio.toFixed(3),
      `${((1 - ratio) * 100).toFixed(1)} %`,
      `${median(p99.off)} / ${median(p99.on)} ms`,
      `${Math.round(median(cpu.off))} / ${Math.round(median(cpu.on))} µs (${(median(cpu.on) / median(cpu.off)).toFixed(3)})`,
    ];
  } finally {
    await on.stop();
    await off.stop();
  }
}

async function main(): Promise<void> {
  console.log(`metrics overhead: ${ROUNDS} rounds × ${SECONDS} s × ${CONNECTIONS} connections per gateway; load average at start ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const rows = [['read', 'req/s without', 'req/s with metrics + access log', 'ratio', 'cost', 'p99 without / with', 'gateway CPU/request without / with']];
  for (const cache of [true, false]) rows.push(await pair(cache));
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c])).join('  '));
  console.log(`load average at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (medians of the rounds; the ratio is of the medians)`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
