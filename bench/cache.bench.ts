import autocannon from 'autocannon';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import { Client } from 'pg';
import { Rng } from '../src/simulator/prng';
import { GatewayChild, mb, startGatewayChild } from './gateway-child.runner';
import { LatencyRecorder, percentiles } from './load/latency.recorder';
import { mixRequest, sampleRss, table } from './load/mix-request';
import { READ_MIX } from './load/read-mix.definition';

/**
 * The response cache against the realistic dashboard mix (issue 11, item 3): the read mix of
 * bench:load (bench/load/read-mix.definition.ts, POST as dashboards send it) at LOAD_CONNECTIONS
 * connections (default 100) for LOAD_SECONDS each (default 30), first against a gateway with
 * RESPONSE_CACHE=off, then against one with the cache on (defaults), in the same run, each on its
 * own default world (same simulator seed, same data). The cache starts cold: the misses that fill
 * it count. Prints throughput, latency percentiles (also the p99 of the second half, the cache
 * warm), hits (x-cache HIT, or COALESCED: an identical miss under way answered it), peak RSS, the
 * ratio, and the issue's targets (≥ 5× the throughput, p99 ≤ 500 ms with the cache on).
 *
 * Then the cost of one hit, sequentially on the cache-on gateway: served from memory over HTTP
 * (which includes the data version's read), beside what a hit stored in PostgreSQL would add: the
 * same answer read by primary key from a table, on one connection (the extra round trip, before
 * any pool wait), and the in-process LRU lookup itself.
 *
 * Not in package.json (the lead's file): `node scripts/build-if-stale.js && node dist/bench/cache.bench.js`.
 * The machine is shared: figures are noisy; compare the two modes of one run, not runs.
 */
const SECONDS = Number(process.env.LOAD_SECONDS ?? 30);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 100);
const SEED = Number(process.env.LOAD_SEED ?? 8);
const TIMEOUT_S = 30;
const TARGET_RATIO = 5;
const TARGET_P99_MS = 500;

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
  /** p99 of the requests sent in the second half of the run (the cache warm). */
  p99Late: number;
  peakRss: number;
  /** Per kind of the mix: requests answered, p50, p99 (ms). */
  kinds: { name: string; answered: number; p50: number; p99: number }[];
}

/** The mix against one gateway, from the same seed (the same draws in the same order). */
async function runMix(gw: GatewayChild, mode: string): Promise<ModeResult> {
  const rng = new Rng(SEED);
  const recorder = new LatencyRecorder(READ_MIX.map((k) => k.name));
  let hits = 0;
  const late: number[] = [];
  const half = performance.now() + (SECONDS * 1000) / 2;
  const rss = sampleRss(gw.pid);
  const result = await autocannon({
    url: `${gw.origin}/graphql`,
    connections: CONNECTIONS,
    duration: SECONDS,
    timeout: TIMEOUT_S,
    requests: [mixRequest(rng, READ_MIX, recorder, (ms, sentAt, headers) => {
      const mark = headers['x-cache'];
      if (mark === 'HIT' || mark === 'COALESCED') hits++;
      if (sentAt >= half) late.push(ms);
    })],
  });
  const peakRss = rss.stop();
  const all = recorder.all();
  const [p50, p90, p99, max] = percentiles(all, [50, 90, 99, 100]);
  const errors = recorder.kinds().reduce((t, [, s]) => t + s.graphqlErrors + s.non2xx, 0) + result.errors;
  for (const [name, s] of recorder.kinds()) for (const ex of s.examples) console.log(`  ${mode} ${name} error: ${ex}`);
  const kinds = recorder.kinds().map(([name, s]) => {
    const [k50, k99] = percentiles(s.latencies, [50, 99]);
    return { name, answered: s.latencies.length, p50: k50, p99: k99 };
  });
  return { mode, answered: all.length, seconds: result.duration, errors, hits, p50, p90, p99, max, p99Late: percentiles(late, [99])[0], peakRss, kinds };
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

async function main(): Promise<void> {
  if (!(SECONDS > 0 && SECONDS <= 3600) || !(CONNECTIONS >= 1 && CONNECTIONS <= 2000)) throw new Error('LOAD_SECONDS must be in 1..3600 and LOAD_CONNECTIONS in 1..2000');
  const results: ModeResult[] = [];
  for (const [mode, env] of [['cache off', { RESPONSE_CACHE: 'false' }], ['cache on', {}]] as const) {
    console.log(`starting a gateway, ${mode} (default world; RATE_LIMIT_MAX=0: rate limiting off for this single-address load)`);
    const gw = await startGatewayChild(`cache-${mode.replace(' ', '-')}`, { RATE_LIMIT_MAX: '0', ...env });
    try {
      console.log(`  healthy in ${gw.startSeconds.toFixed(1)} s; ${CONNECTIONS} connections × ${SECONDS} s`);
      results.push(await runMix(gw, mode));
      if (mode === 'cache on') await hitCost(gw);
    } finally {
      await gw.stop();
    }
  }
  const rows = [['mode', 'requests', 'req/s', 'errors', 'hits', 'p50', 'p90', 'p99', 'max', 'p99, 2nd half', 'peak RSS']];
  for (const r of results) {
    rows.push([r.mode, String(r.answered), (r.answered / r.seconds).toFixed(1), String(r.errors), `${((100 * r.hits) / Math.max(1, r.answered)).toFixed(0)}%`,
      fmt(r.p50), fmt(r.p90), fmt(r.p99), fmt(r.max), fmt(r.p99Late), mb(r.peakRss)]);
  }
  const [off, on] = results;
  const ratio = on.answered / on.seconds / (off.answered / off.seconds);
  console.log('');
  console.log(`settings: ${CONNECTIONS} connections × ${SECONDS} s per mode, seed ${SEED}, POST, ${os.cpus().length} CPUs shared by gateway, PostgreSQL, this load generator (and anything else on the machine: noisy)`);
  console.log(table(rows));
  console.log(`throughput ratio, cache on / cache off: ${ratio.toFixed(2)}×`);
  console.log('');
  console.log('per kind (requests answered, p50 / p99), cache off then on:');
  const kindRows = [['kind', 'off: requests', 'off: p50', 'off: p99', 'on: requests', 'on: p50', 'on: p99']];
  for (const k of off.kinds) {
    const o = on.kinds.find((x) => x.name === k.name)!;
    kindRows.push([k.name, String(k.answered), fmt(k.p50), fmt(k.p99), String(o.answered), fmt(o.p50), fmt(o.p99)]);
  }
  console.log(table(kindRows));
  const verdict = [
    `ratio ≥ ${TARGET_RATIO}× ${ratio >= TARGET_RATIO ? 'OK' : 'MISSED'}`,
    `p99 ≤ ${TARGET_P99_MS} ms with the cache ${on.p99 <= TARGET_P99_MS ? 'OK' : `MISSED (${fmt(on.p99)} over the run, cold start included; ${fmt(on.p99Late)} in its second half)`}`,
    `errors ${on.errors + off.errors === 0 ? 'OK' : `FAIL (${on.errors + off.errors})`}`,
  ];
  console.log(`targets: ${verdict.join('; ')}`);
  if (on.errors + off.errors > 0) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
