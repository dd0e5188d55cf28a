import autocannon from 'autocannon';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { GatewayChild, startGatewayChild } from './gateway-child.runner';
import { cpuSeconds, databaseUrlOf, postgresCpuSeconds } from './reads/process-cpu';
import {
  PROCEDURE_BY_CODE, ReadShape, SERVICE_UNITS, SERVICES_OF_UNIT, ServerKind, UNIT_BY_CODE, UNIT_LOOKUPS, UNITS_PAGE, UNITS_PAGE_DATE, UNITS_PAGES,
} from './reads/read-shapes.definition';

/**
 * `npm run bench:reads` (issue 11, item 1): requests/s at READS_CONNECTIONS connections (default
 * 8) on four read shapes (bench/reads/read-shapes.definition.ts), for three servers over the same
 * database, in one run, on loopback:
 *   - the gateway (`node dist/src/main.js`, default world, rate limit off);
 *   - the same SQL through `pg` behind a bare node:http server (bench/reads/sql-baseline.server.ts),
 *     which answers the gateway's JSON byte for byte (checked before measuring);
 *   - PostGraphile 4.14 with @graphile/pg-aggregates and postgraphile-plugin-connection-filter
 *     (bench/peers/postgraphile, its own package.json, installed here when missing).
 * For each shape the three are warmed up (READS_WARMUP_SECONDS, default 2), then measured for
 * READS_SECONDS (default 12) each, in READS_ROUNDS slices (default 4) taken in turn, each round in
 * a rotated order, so that the machine's background load (2 shared cores) weighs on all three
 * alike; the ratios are what counts. Beside req/s it prints each server's CPU per request and PostgreSQL's (all three use
 * the gateway's embedded cluster): on a shared machine CPU per request moves less than req/s.
 * Target: the gateway at least 1.2× PostGraphile's req/s on unit by code. READS_SHAPES="unit by code,..." measures only those shapes.
 * READS_COMPARE='{"COMPILED_READS":"false"}' adds a second gateway process on the same database with
 * those settings, measured in the same slices: a before/after of a switch in one run.
 */
const SECONDS = Number(process.env.READS_SECONDS ?? 12);
const ROUNDS = Number(process.env.READS_ROUNDS ?? 4);
const WARMUP_SECONDS = Number(process.env.READS_WARMUP_SECONDS ?? 2);
const CONNECTIONS = Number(process.env.READS_CONNECTIONS ?? 8);
const TARGET_VS_POSTGRAPHILE = 1.2;
/** READS_SHAPES: a comma-separated list of shape names to measure (default all), e.g. "unit by code". */
const ONLY_SHAPES = (process.env.READS_SHAPES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
/** READS_COMPARE: settings (JSON) of a second gateway on the same database, measured beside the first. */
const COMPARE: Record<string, string> | undefined = process.env.READS_COMPARE ? (JSON.parse(process.env.READS_COMPARE) as Record<string, string>) : undefined;
/** The servers measured: the three, and with READS_COMPARE the second gateway (answering the gateway's bodies). */
type Measured = ServerKind | 'compare';

const ROOT = path.resolve(__dirname, '..', '..');
const PEER_DIR = path.join(ROOT, 'bench', 'peers', 'postgraphile');

interface Server {
  kind: ServerKind;
  url: string;
  pid: number;
}

interface Measurement {
  reqPerSec: number;
  failed: number;
  serverCpuMs: number;
  postgresCpuMs: number;
}

/** Installs the PostGraphile peer into its own folder when missing (never into the gateway's node_modules). */
function ensurePeerInstalled(): void {
  if (fs.existsSync(path.join(PEER_DIR, 'node_modules', 'postgraphile', 'package.json'))) return;
  console.log(`installing the PostGraphile peer: npm install --prefix ${path.relative(ROOT, PEER_DIR)}`);
  const res = spawnSync('npm', ['install', '--prefix', PEER_DIR, '--no-audit', '--no-fund'], { stdio: 'inherit', cwd: PEER_DIR });
  if (res.status !== 0) throw new Error('npm install of the PostGraphile peer failed');
}

interface ServerChild {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts a server script that prints `{"port":N}` once it listens; its output is kept for errors. */
function startServerChild(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<ServerChild> {
  const child: ChildProcess = spawn(process.execPath, [script], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not listen within 120 s:\n${output}`)), 120_000);
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${output}`)));
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
      const m = /\{"port":(\d+)\}/.exec(output);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        url: `http://127.0.0.1:${m[1]}/graphql`,
        pid: child.pid!,
        stop: () => new Promise<void>((done) => {
          if (child.exitCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
      });
    });
  });
}

async function post(url: string, body: string): Promise<{ data?: any; errors?: unknown[] }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return (await res.json()) as { data?: any; errors?: unknown[] };
}

const gatewayBody = (shape: ReadShape, variables: object) => JSON.stringify({ query: shape.gateway, variables });
const peerBody = (shape: ReadShape, variables: object) => JSON.stringify({ query: shape.postgraphile, variables });
const sqlBody = (shape: ReadShape, variables: object) => JSON.stringify({ shape: shape.name, variables });

/** The `after` values of the first UNITS_PAGES pages, walked on one server (cursors are each server's own). */
async function pageCursors(url: string, body: (after: string | null) => string, endCursorOf: (data: any) => string | null): Promise<(string | null)[]> {
  const cursors: (string | null)[] = [null];
  while (cursors.length < UNITS_PAGES) {
    const res = await post(url, body(cursors.at(-1)!));
    if (res.errors) throw new Error(`walking pages: ${JSON.stringify(res.errors)}`);
    const next = endCursorOf(res.data);
    if (!next) break;
    cursors.push(next);
  }
  return cursors;
}

/** Request bodies per shape and server, cycled through during the measurement. */
async function bodiesFor(servers: Record<ServerKind, Server>, procedureCodes: string[]): Promise<Map<ReadShape, Record<ServerKind, string[]>>> {
  const same = (shape: ReadShape, variables: object[]) => ({
    gateway: variables.map((v) => gatewayBody(shape, v)), sql: variables.map((v) => sqlBody(shape, v)), postgraphile: variables.map((v) => peerBody(shape, v)),
  });
  const at = UNITS_PAGE_DATE;
  const gatewayCursors = await pageCursors(servers.gateway.url, (after) => gatewayBody(UNITS_PAGE, { at, after }), (d) => d.units.pageInfo.endCursor);
  const peerCursors = await pageCursors(servers.postgraphile.url, (after) => peerBody(UNITS_PAGE, { at, after }), (d) => d.allUnits.pageInfo.endCursor);
  return new Map([
    [UNIT_BY_CODE, same(UNIT_BY_CODE, UNIT_LOOKUPS)],
    [PROCEDURE_BY_CODE, same(PROCEDURE_BY_CODE, procedureCodes.map((code) => ({ code })))],
    [UNITS_PAGE, {
      gateway: gatewayCursors.map((after) => gatewayBody(UNITS_PAGE, { at, after })),
      sql: gatewayCursors.map((after) => sqlBody(UNITS_PAGE, { at, after })),
      postgraphile: peerCursors.map((after) => peerBody(UNITS_PAGE, { at, after })),
    }],
    [SERVICES_OF_UNIT, same(SERVICES_OF_UNIT, SERVICE_UNITS)],
  ]);
}

/** Every body answers without errors on every server, and the gateway's answer is the SQL server's, byte for byte. */
async function checkAnswers(servers: Record<ServerKind, Server>, bodies: Map<ReadShape, Record<ServerKind, string[]>>): Promise<void> {
  for (const [shape, perServer] of bodies) {
    for (let i = 0; i < perServer.gateway.length; i++) {
      const [gw, sql, peer] = await Promise.all([post(servers.gateway.url, perServer.gateway[i]), post(servers.sql.url, perServer.sql[i]), post(servers.postgraphile.url, perServer.postgraphile[i % perServer.postgraphile.length])]);
      if (gw.errors || peer.errors) throw new Error(`${shape.name}: errors: ${JSON.stringify(gw.errors ?? peer.errors)}`);
      if (JSON.stringify(gw) !== JSON.stringify(sql)) {
        throw new Error(`${shape.name}: the gateway and the SQL baseline differ for ${perServer.sql[i]}:\n${JSON.stringify(gw).slice(0, 600)}\n${JSON.stringify(sql).slice(0, 600)}`);
      }
    }
  }
}

/** autocannon at CONNECTIONS connections for `seconds`, cycling through `bodies`; answers with errors count as failed. */
async function load(url: string, bodies: string[], seconds: number): Promise<{ answered: number; failed: number; duration: number }> {
  let next = 0;
  let failed = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }),
      onResponse: (status, body) => {
        if (status !== 200 || body.includes('"errors"')) failed++;
      },
    }],
  });
  return { answered: result.requests.total, failed: failed + result.errors + result.timeouts, duration: result.duration };
}

interface Tally {
  answered: number;
  failed: number;
  duration: number;
  serverCpu: number;
  postgresCpu: number;
}

/** One slice of load on one server, added to its tally (requests, seconds, its CPU and PostgreSQL's). */
async function slice(server: Server, bodies: string[], seconds: number, gw: GatewayChild, tally: Tally): Promise<void> {
  const cpu0 = cpuSeconds(server.pid);
  const pg0 = postgresCpuSeconds(gw);
  const run = await load(server.url, bodies, seconds);
  tally.answered += run.answered;
  tally.failed += run.failed;
  tally.duration += run.duration;
  tally.serverCpu += cpuSeconds(server.pid) - cpu0;
  tally.postgresCpu += postgresCpuSeconds(gw) - pg0;
}

/** The three servers on one shape: a warm-up each, then ROUNDS slices each, taken in turn (rotated per round). */
async function measureShape(servers: Partial<Record<Measured, Server>>, byKind: Record<ServerKind, string[]>, gw: GatewayChild): Promise<Partial<Record<Measured, Measurement>>> {
  const kinds = (['gateway', 'sql', 'postgraphile', 'compare'] as Measured[]).filter((k) => servers[k]);
  const perServer = { ...byKind, compare: byKind.gateway };
  for (const k of kinds) await load(servers[k]!.url, perServer[k], WARMUP_SECONDS);
  const tallies = Object.fromEntries(kinds.map((k) => [k, { answered: 0, failed: 0, duration: 0, serverCpu: 0, postgresCpu: 0 }])) as Record<Measured, Tally>;
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < kinds.length; i++) {
      const k = kinds[(i + round) % kinds.length];
      await slice(servers[k]!, perServer[k], SECONDS / ROUNDS, gw, tallies[k]);
    }
  }
  const toMeasurement = (t: Tally): Measurement => ({
    reqPerSec: t.answered / t.duration,
    failed: t.failed,
    serverCpuMs: (1000 * t.serverCpu) / Math.max(1, t.answered),
    postgresCpuMs: (1000 * t.postgresCpu) / Math.max(1, t.answered),
  });
  return Object.fromEntries(kinds.map((k) => [k, toMeasurement(tallies[k])]));
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const cpu = (m: Measurement) => `${m.serverCpuMs.toFixed(2)} + ${m.postgresCpuMs.toFixed(2)}`;

type Measured3 = Record<ServerKind, Measurement> & { compare?: Measurement };

function report(results: Map<ReadShape, Measured3>): boolean {
  const rows = [['shape', 'gateway req/s', 'SQL req/s', 'PostGraphile req/s', 'gw/SQL', 'gw/PostGraphile', 'CPU ms/req gw (+pg)', 'SQL (+pg)', 'PostGraphile (+pg)', 'failed']];
  if (COMPARE) rows[0].push('compared gw req/s', 'gw/compared', 'compared CPU (+pg)');
  for (const [shape, m] of results) {
    rows.push([
      shape.name, m.gateway.reqPerSec.toFixed(0), m.sql.reqPerSec.toFixed(0), m.postgraphile.reqPerSec.toFixed(0),
      ratio(m.gateway.reqPerSec, m.sql.reqPerSec), ratio(m.gateway.reqPerSec, m.postgraphile.reqPerSec),
      cpu(m.gateway), cpu(m.sql), cpu(m.postgraphile), `${m.gateway.failed}/${m.sql.failed}/${m.postgraphile.failed}${m.compare ? `/${m.compare.failed}` : ''}`,
    ]);
    if (m.compare) rows.at(-1)!.push(m.compare.reqPerSec.toFixed(0), ratio(m.gateway.reqPerSec, m.compare.reqPerSec), cpu(m.compare));
  }
  console.log(table(rows));
  if (COMPARE) console.log(`  compared gw: a second gateway on the same database with ${JSON.stringify(COMPARE)}`);
  for (const shape of results.keys()) console.log(`  ${shape.name}: ${shape.description}`);
  const unit = results.get(UNIT_BY_CODE);
  if (!unit) return ![...results.values()].some((m) => m.gateway.failed + m.sql.failed + m.postgraphile.failed > 0);
  const achieved = unit.gateway.reqPerSec / unit.postgraphile.reqPerSec;
  const failed = [...results.values()].some((m) => m.gateway.failed + m.sql.failed + m.postgraphile.failed > 0);
  console.log(`target: unit by code at least ${TARGET_VS_POSTGRAPHILE}× PostGraphile's req/s: ${achieved.toFixed(2)}× ${achieved >= TARGET_VS_POSTGRAPHILE ? 'OK' : 'MISSED'}${failed ? '; some requests FAILED' : ''}`);
  return achieved >= TARGET_VS_POSTGRAPHILE && !failed;
}

async function procedureCodesOf(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ code: string }>('SELECT code FROM procedure ORDER BY code LIMIT 100')).rows.map((r) => r.code);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  ensurePeerInstalled();
  console.log('starting the gateway (default world: SYNC_ON_START=true, in-process simulator; SYNC_SCHEDULES=false; RATE_LIMIT_MAX=0: rate limiting off for this single-address load)');
  // No cron syncs during the measurement (several sources are scheduled every 30 minutes): reads are measured, not a sync beside them.
  // RESPONSE_CACHE=off npm run bench:reads measures the gateway without its response cache (on by
  // default: repeated lookups are then answered from memory, before Apollo).
  const cache = process.env.RESPONSE_CACHE === undefined ? {} : { RESPONSE_CACHE: process.env.RESPONSE_CACHE };
  console.log(`gateway response cache: ${process.env.RESPONSE_CACHE ?? 'on (the default; RESPONSE_CACHE=off to measure without)'}`);
  const gw = await startGatewayChild('reads', { RATE_LIMIT_MAX: '0', SYNC_SCHEDULES: 'false', ...cache });
  const children: ServerChild[] = [];
  const stops: (() => Promise<void>)[] = [];
  try {
    const url = databaseUrlOf(gw);
    children.push(await startServerChild(path.join(ROOT, 'dist', 'bench', 'reads', 'sql-baseline.server.js'), ROOT, { DATABASE_URL: url }));
    children.push(await startServerChild(path.join(PEER_DIR, 'postgraphile-peer.server.js'), PEER_DIR, { DATABASE_URL: url }));
    const servers: Record<ServerKind, Server> = {
      gateway: { kind: 'gateway', url: `${gw.origin}/graphql`, pid: gw.pid },
      sql: { kind: 'sql', url: children[0].url, pid: children[0].pid },
      postgraphile: { kind: 'postgraphile', url: children[1].url, pid: children[1].pid },
    };
    const bodies = await bodiesFor(servers, await procedureCodesOf(url));
    await checkAnswers(servers, bodies);
    let compare: Server | undefined;
    if (COMPARE) {
      // On the gateway's database, loaded already: no sync of its own.
      const second = await startGatewayChild('reads-compare', { RATE_LIMIT_MAX: '0', SYNC_SCHEDULES: 'false', SYNC_ON_START: 'false', ...cache, ...COMPARE, DATABASE_URL: url });
      stops.push(() => second.stop());
      compare = { kind: 'gateway', url: `${second.origin}/graphql`, pid: second.pid };
      await checkAnswers({ ...servers, gateway: compare }, bodies);
    }
    console.log(`answers checked: the gateway's equal the SQL baseline's on every request body; PostGraphile answers without errors`);
    console.log(`settings: ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up + ${SECONDS} s per shape and server in ${ROUNDS} slices taken in turn, ${os.cpus().length} CPUs shared by the servers, PostgreSQL and autocannon; all on 127.0.0.1\n`);
    const results = new Map<ReadShape, Measured3>();
    for (const [shape, perServer] of bodies) {
      if (ONLY_SHAPES.length === 0 || ONLY_SHAPES.includes(shape.name)) results.set(shape, (await measureShape({ ...servers, compare }, perServer, gw)) as Measured3);
    }
    if (!report(results)) process.exitCode = 1;
  } finally {
    for (const stop of stops) await stop();
    for (const c of children) await c.stop();
    await gw.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
