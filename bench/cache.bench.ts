import autocannon from 'autocannon';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import { Client } from 'pg';
import { Rng } from '../src/simulator/prng';
import { cpuByRole, GatewayChild, mb, startGatewayChild } from './gateway-child.runner';
import { LatencyRecorder, percentiles } from './load/latency.recorder';
import { mixRequest, sampleRss, table } from './load/mix-request';
import { READ_MIX } from './load/read-mix.definition';

/**
 * The response cache against the realistic dashboard mix (issue 11, item 3): the read mix of
 * bench:load (bench/load/read-mix.definition.ts, POST as dashboards send it) at LOAD_CONNECTIONS
 * connections (default 100), against two gateways started side by side on their own default
 * worlds (same simulator seed, same data): one with RESPONSE_CACHE=off, one with the cache on.
 *
 * Each gateway first gets a warm-up of LOAD_WARMUP_REQUESTS (default 3,000) requests of the mix,
 * or LOAD_WARMUP_SECONDS (default 90) if that comes first, printed apart as the cold start: the
 * mix draws from about 3,000 distinct answers (2,279 of them unit lookups by code and date), so
 * a cold cache spends its first thousands of requests filling, while a gateway serving dashboards
 * runs for the 30 minutes between two scheduled syncs. After 3,000 draws about 15% of the next
 * ones are still new (bench/load: 685 distinct in 2,000 draws, 1,138 in 5,000). Then LOAD_ROUNDS
 * (default 2) rounds of LOAD_SECONDS (default 30) split between the rounds, the modes alternating
 * within each (off, then on), so that the machine's load weighs on both alike; before each slice
 * the other gateway is let finish what it still runs (settle()). The ratio is of the summed rounds.
 * Both modes are driven the same way, by this process's autocannon; its CPU per request is
 * printed beside the gateway's, to show whether the client is what limits.
 *
 * Prints throughput, latency percentiles, hits (x-cache HIT, or COALESCED: an identical miss
 * under way answered it) overall and per kind, peak RSS, the ratio, and the issue's targets
 * (≥ 5× the throughput, p99 ≤ 500 ms with the cache on). Then the cost of one hit, sequentially
 * on the cache-on gateway, beside what a hit stored in PostgreSQL would add.
 *
 * `npm run bench:cache` (BENCH_GATEWAY_NODE_ARGS, e.g. `--heap-growing-percent=25`, reaches both
 * gateways). The machine is shared: compare the two modes of one run, not runs.
 */
const SECONDS = Number(process.env.LOAD_SECONDS ?? 30);
const WARMUP_REQUESTS = Number(process.env.LOAD_WARMUP_REQUESTS ?? 3000);
const WARMUP_SECONDS = Number(process.env.LOAD_WARMUP_SECONDS ?? 90);
const ROUNDS = Number(process.env.LOAD_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 100);
const SEED = Number(process.env.LOAD_SEED ?? 8);
const TIMEOUT_S = 30;
const TARGET_RATIO = 5;
const TARGET_P99_MS = 500;

/** The outcome of the mix against one gateway over one or more slices of time. */
interface ModeResult {
  mode: string;
  answered: number;
  seconds: number;
  errors: number;
  hits: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  peakRss: number;
  /** CPU per answered request, in µs: the load generator (this process) and the gateway process. */
  clientCpuUs: number;
  gatewayCpuUs: number;
  /** Per kind of the mix: requests answered, hits, p50, p99 (ms). */
  kinds: { name: string; answered: number; hits: number; p50: number; p99: number }[];
}

/** One gateway and its stream of draws (the same seed on both sides: the same requests in the same order). */
interface Side {
  mode: string;
  gw: GatewayChild;
  rng: Rng;
  slices: Slice[];
}

interface Slice {
  recorder: LatencyRecorder;
  hits: Map<string, number>;
  seconds: number;
  errors: number;
  peakRss: number;
  clientCpuS: number;
  gatewayCpuS: number;
}

/** The mix against one side for `seconds`, its draws continuing where the previous slice stopped. */
async function runSlice(side: Side, seconds: number): Promise<Slice> {
  const recorder = new LatencyRecorder(READ_MIX.map((k) => k.name));
  const hits = new Map<string, number>();
  const rss = sampleRss(side.gw.pid);
  const cpu0 = process.cpuUsage();
  const gw0 = cpuByRole(side.gw).gateway;
  const result = await autocannon({
    url: `${side.gw.origin}/graphql`,
    connections: CONNECTIONS,
    duration: seconds,
    timeout: TIMEOUT_S,
    requests: [mixRequest(side.rng, READ_MIX, recorder, (_ms, _sentAt, headers, kind) => {
      const mark = headers['x-cache'];
      if (mark === 'HIT' || mark === 'COALESCED') hits.set(kind, (hits.get(kind) ?? 0) + 1);
    })],
  });
  const cpu = process.cpuUsage(cpu0);
  const errors = recorder.kinds().reduce((t, [, k]) => t + k.graphqlErrors + k.non2xx, 0) + result.errors;
  for (const [name, k] of recorder.kinds()) for (const ex of k.examples) console.log(`  ${side.mode} ${name} error: ${ex}`);
  return {
    recorder, hits, seconds: result.duration, errors, peakRss: rss.stop(),
    clientCpuS: (cpu.user + cpu.system) / 1e6, gatewayCpuS: cpuByRole(side.gw).gateway - gw0,
  };
}

/** The slices of one side summed: counts and CPU added, latencies pooled, the highest RSS. */
function summary(mode: string, slices: Slice[]): ModeResult {
  const all = slices.flatMap((s) => s.recorder.all());
  const [p50, p90, p99, max] = percentiles(all, [50, 90, 99, 100]);
  const sum = (f: (s: Slice) => number) => slices.reduce((t, s) => t + f(s), 0);
  const answered = all.length;
  const kinds = READ_MIX.map(({ name }) => {
    const latencies = slices.flatMap((s) => s.recorder.kinds().find(([n]) => n === name)![1].latencies);
    const [k50, k99] = percentiles(latencies, [50, 99]);
    return { name, answered: latencies.length, hits: sum((s) => s.hits.get(name) ?? 0), p50: k50, p99: k99 };
  });
  return {
    mode, answered, seconds: sum((s) => s.seconds), errors: sum((s) => s.errors), hits: kinds.reduce((t, k) => t + k.hits, 0),
    p50, p90, p99, max, peakRss: Math.max(...slices.map((s) => s.peakRss)),
    clientCpuUs: (1e6 * sum((s) => s.clientCpuS)) / Math.max(1, answered), gatewayCpuUs: (1e6 * sum((s) => s.gatewayCpuS)) / Math.max(1, answered),
    kinds,
  };
}

const fmt = (ms: number) => (Number.isNaN(ms) ? '-' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`);
const us = (ms: number) => `${Math.round(ms * 1000)} µs`;

/** Median of `n` timings of fn, in ms. */
async function median(n: number, fn: () => Promise<unknown>): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  return percentiles(t, [50])[0];
}

/** A hit from memory over HTTP, beside a read of the same answer from a PostgreSQL table and the LRU lookup alone. */
async function hitCost(gw: GatewayChild): Promise<void> {
  const rng = new Rng(SEED);
  const body = READ_MIX.find((k) => k.name === 'aggregateNational')!.body(rng);
  const send = () => fetch(`${gw.origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body });
  const first = await send();
  const answer = await first.text();
  const hit = await send();
  await hit.text();
  if (hit.headers.get('x-cache') !== 'HIT') throw new Error(`expected a hit, got x-cache ${hit.headers.get('x-cache')}`);
  const httpHit = await median(500, async () => (await send()).text());

  // The bench's own throwaway cluster (startGatewayChild made it): its password file sits beside it.
  const { password } = JSON.parse(fs.readFileSync(path.join(path.dirname(gw.dataDir), `${path.basename(gw.dataDir)}.credentials.json`), 'utf8')) as { password: string };
  const pg = new Client({ host: '127.0.0.1', port: Number(gw.env.EMBEDDED_PG_PORT), user: 'postgres', password, database: 'dvc_gateway' });
  await pg.connect();
  try {
    await pg.query('CREATE TEMP TABLE response_cache_probe (key text PRIMARY KEY, value text NOT NULL)');
    const key = 'fqc:' + 'a'.repeat(64);
    await pg.query('INSERT INTO response_cache_probe VALUES ($1, $2)', [key, answer]);
    const pgRead = await median(500, () => pg.query('SELECT value FROM response_cache_probe WHERE key = $1', [key]));
    const version = await median(500, () => pg.query('SELECT sum(n)::text AS v FROM data_version'));
    const lru = new InMemoryLRUCache<string>({ maxSize: 32 * 1048576 });
    await lru.set(key, answer);
    const memory = await median(5000, () => lru.get(key));
    console.log('');
    console.log(`one hit, sequential (medians; answer of aggregateNational, ${answer.length} characters):`);
    console.log(table([
      ['step', 'time'],
      ['hit from memory over HTTP (version read included)', fmt(httpHit)],
      ['  of which: the data version read (one statement)', us(version)],
      ['  of which: the LRU lookup', us(memory)],
      ['the same answer read from a PostgreSQL table by key', us(pgRead)],
    ]));
    console.log(`a hit kept in PostgreSQL would cost the version read plus that lookup (${us(pgRead)}, ${(pgRead / Math.max(memory, 1e-6)).toFixed(0)}× the LRU), plus a pool connection under load`);
  } finally {
    await pg.end();
  }
}

/**
 * Waits (at most 10 s) until every gateway has finished what an ended slice left running: the
 * requests autocannon stopped waiting for still run in the gateway and its PostgreSQL, and would
 * otherwise take CPU from the next slice, of the other mode. Settled: under 5% of a core used by
 * each gateway and its PostgreSQL over 500 ms.
 */
async function settle(sides: Side[]): Promise<void> {
  const until = performance.now() + 10_000;
  while (performance.now() < until) {
    const before = sides.map((s) => cpuByRole(s.gw));
    await new Promise((r) => setTimeout(r, 500));
    const busy = sides.some((s, i) => {
      const now = cpuByRole(s.gw);
      return now.gateway - before[i].gateway > 0.025 || now.postgres - before[i].postgres > 0.025;
    });
    if (!busy) return;
  }
}

const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
const pct = (part: number, whole: number) => `${((100 * part) / Math.max(1, whole)).toFixed(0)}%`;

function modeTable(results: ModeResult[]): string {
  const rows = [['mode', 'requests', 'req/s', 'errors', 'hits', 'p50', 'p90', 'p99', 'max', 'peak RSS', 'client CPU/req', 'gateway CPU/req']];
  for (const r of results) {
    rows.push([r.mode, String(r.answered), (r.answered / r.seconds).toFixed(1), String(r.errors), pct(r.hits, r.answered),
      fmt(r.p50), fmt(r.p90), fmt(r.p99), fmt(r.max), mb(r.peakRss), us(r.clientCpuUs / 1000), us(r.gatewayCpuUs / 1000)]);
  }
  return table(rows);
}

async function main(): Promise<void> {
  if (!(SECONDS > 0 && SECONDS <= 3600) || !(CONNECTIONS >= 1 && CONNECTIONS <= 2000) || !(WARMUP_SECONDS >= 0 && WARMUP_SECONDS <= 3600) || !(WARMUP_REQUESTS >= 0 && WARMUP_REQUESTS <= 1_000_000) || !(Number.isInteger(ROUNDS) && ROUNDS >= 1 && ROUNDS <= 20)) {
    throw new Error('LOAD_SECONDS must be in 1..3600, LOAD_WARMUP_SECONDS in 0..3600, LOAD_WARMUP_REQUESTS in 0..1000000, LOAD_ROUNDS in 1..20 and LOAD_CONNECTIONS in 1..2000');
  }
  const sides: Side[] = [];
  try {
    for (const [mode, env] of [['cache off', { RESPONSE_CACHE: 'false' }], ['cache on', {}]] as const) {
      console.log(`starting a gateway, ${mode} (default world; RATE_LIMIT_MAX=0: rate limiting off for this single-address load)`);
      const gw = await startGatewayChild(`cache-${mode.replace(' ', '-')}`, { RATE_LIMIT_MAX: '0', ...env });
      console.log(`  healthy in ${gw.startSeconds.toFixed(1)} s`);
      sides.push({ mode, gw, rng: new Rng(SEED), slices: [] });
    }
    console.log(`load average at the start: ${load()}`);
    const warm: ModeResult[] = [];
    if (WARMUP_REQUESTS > 0) {
      for (const side of sides) {
        console.log(`warm-up, ${side.mode}: ${CONNECTIONS} connections, ${WARMUP_REQUESTS} requests or ${WARMUP_SECONDS} s (cold start, not in the ratio)`);
        const slices: Slice[] = [];
        const until = performance.now() + WARMUP_SECONDS * 1000;
        while (slices.reduce((t, s) => t + s.recorder.all().length, 0) < WARMUP_REQUESTS && performance.now() < until) {
          await settle(sides);
          slices.push(await runSlice(side, 5));
        }
        warm.push(summary(side.mode, slices));
      }
    }
    const sliceSeconds = Math.max(1, Math.round(SECONDS / ROUNDS));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const side of sides) {
        await settle(sides);
        side.slices.push(await runSlice(side, sliceSeconds));
        console.log(`round ${round}/${ROUNDS}, ${side.mode}: ${sliceSeconds} s done (load ${load()})`);
      }
    }
    await hitCost(sides[1].gw);
    const results = sides.map((side) => summary(side.mode, side.slices));
    const [off, on] = results;
    const ratio = on.answered / on.seconds / (off.answered / off.seconds);
    console.log('');
    console.log(`settings: ${CONNECTIONS} connections, seed ${SEED}, POST; warm-up ${WARMUP_REQUESTS} requests or ${WARMUP_SECONDS} s per mode, then ${ROUNDS} rounds × ${sliceSeconds} s per mode, alternating; ${os.cpus().length} CPUs shared by both gateways, their PostgreSQL, this load generator (and anything else on the machine: noisy); load average at the end ${load()}`);
    if (warm.length) {
      console.log('cold start (the warm-up):');
      console.log(modeTable(warm));
    }
    console.log('measured (the rounds):');
    console.log(modeTable(results));
    console.log(`throughput ratio, cache on / cache off: ${ratio.toFixed(2)}×`);
    console.log('');
    console.log('per kind (requests answered, hits, p50 / p99), cache off then on:');
    const kindRows = [['kind', 'off: requests', 'off: p50', 'off: p99', 'on: requests', 'on: hits', 'on: p50', 'on: p99']];
    for (const k of off.kinds) {
      const o = on.kinds.find((x) => x.name === k.name)!;
      kindRows.push([k.name, String(k.answered), fmt(k.p50), fmt(k.p99), String(o.answered), pct(o.hits, o.answered), fmt(o.p50), fmt(o.p99)]);
    }
    console.log(table(kindRows));
    const verdict = [
      `ratio ≥ ${TARGET_RATIO}× ${ratio >= TARGET_RATIO ? 'OK' : 'MISSED'}`,
      `p99 ≤ ${TARGET_P99_MS} ms with the cache ${on.p99 <= TARGET_P99_MS ? 'OK' : `MISSED (${fmt(on.p99)})`}`,
      `errors ${on.errors + off.errors === 0 ? 'OK' : `FAIL (${on.errors + off.errors})`}`,
    ];
    console.log(`targets: ${verdict.join('; ')}`);
    if (on.errors + off.errors > 0) process.exitCode = 1;
  } finally {
    for (const side of sides) await side.gw.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
