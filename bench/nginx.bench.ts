import autocannon from 'autocannon';
import crypto from 'node:crypto';
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import { Rng } from '../src/simulator/prng';
import { cpuByRole, GatewayChild, startGatewayChild } from './gateway-child.runner';
import { table } from './load/mix-request';
import { pickKind, READ_MIX } from './load/read-mix.definition';
import { NginxFront, startNginx } from './nginx-front';

/**
 * `npm run bench:nginx` (issue 12, item 4): deploy/nginx.conf with Debian's nginx (installed with
 * apt-get if missing) on loopback, in front of two gateway processes on one database (the first
 * starts the embedded cluster and syncs the default world; the second joins it by DATABASE_URL
 * and syncs nothing), against one gateway answered directly, in the same run.
 *
 * Requests: NGINX_URLS (default 40) GET reads drawn from bench:load's read mix (the dashboards'
 * documented queries with their variables), sent either with the query in the URL ("GET query")
 * or as automatic persisted queries, the hash alone ("GET persisted"; registered on both
 * processes first). Every URL is fetched once through each path before measuring: this measures
 * the steady state of a public dashboard, where answers are cached (the gateway's in-memory
 * cache directly; nginx's on-disk cache with the kernel's page cache through nginx).
 *
 * Modes, alternated NGINX_ROUNDS times (default 4), NGINX_SECONDS each (default 5) at
 * NGINX_CONNECTIONS (default 50): short and many, since the load of a shared machine swings
 * within seconds:
 * - direct: one gateway process (its front cache answers);
 * - nginx, no cache: the same upstream of two processes, nginx's cache off (balancing alone);
 * - nginx, cache: deploy/nginx.conf as is.
 * Besides req/s, the CPU the serving side spent per request (both gateways, their PostgreSQL and
 * nginx, from /proc), which depends much less on what else the machine runs than req/s does.
 * Prints req/s, latency, non-2xx, the share of cache hits (nginx's X-Cache-Status through its
 * cache, else the gateway's x-cache: HIT or COALESCED), ratios to direct, and `uptime` before and
 * after (the machine is shared: compare modes of one run, not runs).
 */
const SECONDS = Number(process.env.NGINX_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.NGINX_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.NGINX_ROUNDS ?? 4);
const URLS = Number(process.env.NGINX_URLS ?? 40);

interface Sample {
  /** CPU seconds the serving side (gateways, PostgreSQL, nginx) used during the run. */
  cpu: number;
  requests: number;
  seconds: number;
  non2xx: number;
  errors: number;
  hits: number;
  p50: number;
  p99: number;
}

/** GET paths for `n` draws of the read mix: the query in the URL, and the persisted form (hash alone). */
function drawPaths(n: number): { query: string[]; persisted: string[]; register: string[] } {
  const rng = new Rng(12);
  const query: string[] = [];
  const persisted: string[] = [];
  const register: string[] = [];
  const seen = new Set<string>();
  while (query.length < n) {
    const body = JSON.parse(pickKind(rng, READ_MIX).body(rng)) as { query: string; variables?: unknown };
    const vars = body.variables === undefined ? '' : `&variables=${encodeURIComponent(JSON.stringify(body.variables))}`;
    const q = `/graphql?query=${encodeURIComponent(body.query)}${vars}`;
    if (seen.has(q)) continue;
    seen.add(q);
    const ext = `extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: crypto.createHash('sha256').update(body.query).digest('hex') } }))}`;
    query.push(q);
    persisted.push(`/graphql?${ext}${vars}`);
    register.push(`/graphql?query=${encodeURIComponent(body.query)}&${ext}${vars}`);
  }
  return { query, persisted, register };
}

async function fetchOk(url: string): Promise<Response> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await res.text();
  if (res.status !== 200 || body.includes('"errors"')) throw new Error(`${url.slice(0, 200)}: ${res.status} ${body.slice(0, 300)}`);
  return res;
}

async function run(origin: string, paths: string[], cpu: () => number): Promise<Sample> {
  const cpu0 = cpu();
  let i = 0;
  let hits = 0;
  const result = await autocannon({
    url: origin,
    connections: CONNECTIONS,
    duration: SECONDS,
    timeout: 30,
    requests: [{
      method: 'GET',
      headers: { accept: 'application/json' },
      setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] }),
      onResponse: (_status, _body, _context, headers) => {
        // autocannon keeps the header names as sent: nginx's X-Cache-Status, the gateway's x-cache.
        const h = Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
        const hit = h['x-cache-status'] ?? h['x-cache'];
        if (hit === 'HIT' || hit === 'COALESCED') hits++;
      },
    }],
  });
  return { cpu: cpu() - cpu0, requests: result.requests.total, seconds: result.duration, non2xx: result.non2xx, errors: result.errors + result.timeouts, hits, p50: result.latency.p50, p99: result.latency.p99 };
}

function databaseUrlOf(gw: GatewayChild): string {
  const { password } = JSON.parse(fs.readFileSync(`${gw.dataDir}.credentials.json`, 'utf8')) as { password: string };
  return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${gw.env.EMBEDDED_PG_PORT}/dvc_gateway`;
}

async function main(): Promise<void> {
  const uptimeBefore = execSync('uptime').toString().trim();
  console.log(`uptime before: ${uptimeBefore}`);
  let a: GatewayChild | undefined;
  let b: GatewayChild | undefined;
  let nginx: NginxFront | undefined;
  try {
    // Schedules off: no sync may write (and move the data version) while the bench measures.
    const common = { RATE_LIMIT_MAX: '0', SYNC_SCHEDULES: 'false', GATEWAY_ROLE: 'api' };
    a = await startGatewayChild('nginx-a', { ...common, GATEWAY_ROLE: 'all' });
    console.log(`gateway A: ${a.origin} (embedded cluster, default world synced in ${a.startSeconds.toFixed(0)} s)`);
    b = await startGatewayChild('nginx-b', { ...common, DATABASE_URL: databaseUrlOf(a), SYNC_ON_START: 'false' });
    console.log(`gateway B: ${b.origin} (same database)`);
    nginx = await startNginx([a.port, b.port], { install: true, uncached: true });
    console.log(`nginx: ${nginx.origin} (deploy/nginx.conf), ${nginx.uncachedOrigin} (same upstream, no cache)`);

    const paths = drawPaths(URLS);
    // Persisted hashes live in each process's memory: register them on both.
    for (const gw of [a, b]) for (const p of paths.register) await fetchOk(gw.origin + p);
    // Warm every cache on every path: each process, then nginx (twice: its cache, then a HIT).
    for (const p of [...paths.query, ...paths.persisted]) {
      await fetchOk(a.origin + p);
      await fetchOk(b.origin + p);
      await fetchOk(nginx.uncachedOrigin + p);
      await fetchOk(nginx.origin + p);
      const again = await fetchOk(nginx.origin + p);
      if (again.headers.get('x-cache-status') !== 'HIT') throw new Error(`nginx did not keep ${p.slice(0, 120)}: ${again.headers.get('x-cache-status')} (Cache-Control: ${again.headers.get('cache-control')})`);
    }
    console.log(`${paths.query.length} URLs of each form, every one a nginx HIT on its second fetch\n`);

    const modes = [
      { name: 'direct (gateway A)', origin: a.origin },
      { name: 'nginx, no cache (A+B)', origin: nginx.uncachedOrigin! },
      { name: 'nginx, cache (A+B)', origin: nginx.origin },
    ];
    const forms = [
      { name: 'GET query', paths: paths.query },
      { name: 'GET persisted', paths: paths.persisted },
    ];
    const serving = () => {
      const ca = cpuByRole(a!);
      const cb = cpuByRole(b!);
      return ca.gateway + ca.postgres + cb.gateway + cb.postgres + nginx!.cpuSeconds();
    };
    const totals = new Map<string, Sample[]>();
    for (let round = 1; round <= ROUNDS; round++) {
      for (const form of forms) {
        for (const mode of modes) {
          const s = await run(mode.origin, form.paths, serving);
          const key = `${form.name} | ${mode.name}`;
          totals.set(key, [...(totals.get(key) ?? []), s]);
          console.log(`round ${round} ${key}: ${(s.requests / s.seconds).toFixed(0)} req/s, ${((1e6 * s.cpu) / s.requests).toFixed(0)} µs CPU/request, p99 ${s.p99} ms, non-2xx ${s.non2xx}, errors ${s.errors}`);
        }
      }
    }

    const rows = [['form | mode', 'req/s', 'x direct', 'CPU µs/req', 'x direct', 'p50 ms', 'p99 ms', 'cache hits', 'non-2xx', 'errors']];
    for (const form of forms) {
      const rate = (mode: string) => {
        const ss = totals.get(`${form.name} | ${mode}`)!;
        return ss.reduce((t, s) => t + s.requests, 0) / ss.reduce((t, s) => t + s.seconds, 0);
      };
      const cpuPer = (mode: string) => {
        const ss = totals.get(`${form.name} | ${mode}`)!;
        return (1e6 * ss.reduce((t, s) => t + s.cpu, 0)) / ss.reduce((t, s) => t + s.requests, 0);
      };
      const direct = rate(modes[0].name);
      const directCpu = cpuPer(modes[0].name);
      for (const mode of modes) {
        const ss = totals.get(`${form.name} | ${mode.name}`)!;
        const n = ss.reduce((t, s) => t + s.requests, 0);
        rows.push([
          `${form.name} | ${mode.name}`,
          rate(mode.name).toFixed(0),
          `${(rate(mode.name) / direct).toFixed(2)}x`,
          cpuPer(mode.name).toFixed(0),
          `${(cpuPer(mode.name) / directCpu).toFixed(2)}x`,
          String(Math.max(...ss.map((s) => s.p50))),
          String(Math.max(...ss.map((s) => s.p99))),
          `${((100 * ss.reduce((t, s) => t + s.hits, 0)) / n).toFixed(1)}%`,
          String(ss.reduce((t, s) => t + s.non2xx, 0)),
          String(ss.reduce((t, s) => t + s.errors, 0)),
        ]);
      }
    }
    console.log(`\n${ROUNDS} rounds x ${SECONDS} s per mode, ${CONNECTIONS} connections, ${URLS} URLs per form, modes alternated (req/s: all rounds together; p50/p99: the worst round)`);
    console.log(table(rows));
    const errs = nginx.errors().split('\n').filter((l) => /\[(error|crit|alert|emerg)\]/.test(l));
    if (errs.length > 0) console.log(`nginx error log (${errs.length} lines), first: ${errs[0]}`);
  } finally {
    await nginx?.stop();
    await b?.stop();
    await a?.stop();
    console.log(`uptime after: ${execSync('uptime').toString().trim()}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
