import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Rng } from '../src/simulator/prng';
import { cursorFederationGenerator } from './fuzz/cursor-federation.generator';
import { FuzzCase, FuzzContext } from './fuzz/fuzz-case';
import { graphqlDocumentGenerator } from './fuzz/graphql-document.generator';
import { httpBodyGenerator } from './fuzz/http-body.generator';
import { ingestBatchGenerator } from './fuzz/ingest-batch.generator';
import { protocolGenerator } from './fuzz/protocol.generator';
import { exchange } from './fuzz/raw-http.client';
import { classify, Classified } from './fuzz/response.classifier';
import { variablesGenerator } from './fuzz/variables.generator';
import { GatewayChild, mb, memoryOf, startGatewayChild } from './gateway-child.runner';

/**
 * `npm run bench:fuzz`: sends at least 1,000 bad requests, generated deterministically (FUZZ_SEED,
 * default 8), to the real gateway in its own process (default world, rate limit off so that one
 * address may send them all), over raw sockets to 127.0.0.1. Each answer is classified (status,
 * JSON or not, extensions.code, leaks of stack frames, paths, SQL or library names). Exits 1 on
 * any 5xx, INTERNAL_SERVER_ERROR or leak, or if the gateway stops answering /health: a gate.
 *
 * FUZZ_CONCURRENCY (default 4) requests at once; FUZZ_TIMEOUT_MS (default 5000) per request.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 8);
const CONCURRENCY = Math.max(1, Math.min(64, Number(process.env.FUZZ_CONCURRENCY ?? 4)));
const TIMEOUT_MS = Math.max(500, Math.min(120_000, Number(process.env.FUZZ_TIMEOUT_MS ?? 5000)));
const run = promisify(execFile);

/** A key made by the project's own CLI, next to the running gateway (same DATA_DIR and port: it shares its PostgreSQL). */
async function createKey(gw: GatewayChild, name: string, args: string[]): Promise<string> {
  const cli = path.resolve(__dirname, '..', 'src/auth/api-key.cli.js');
  const { stdout } = await run(process.execPath, [cli, 'create', name, ...args], { env: gw.env, timeout: 120_000 });
  const key = stdout.trim().split('\n').pop()!;
  if (!/^dvc_/.test(key)) throw new Error(`api-key CLI printed no key: ${stdout}`);
  return key;
}

async function procedureCodes(gw: GatewayChild): Promise<string[]> {
  const res = await fetch(`${gw.origin}/graphql`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ procedures(first: 20) { nodes { code } } }' }),
  });
  const body = (await res.json()) as { data?: { procedures: { nodes: { code: string }[] } } };
  return body.data?.procedures.nodes.map((n) => n.code) ?? [];
}

async function healthy(gw: GatewayChild): Promise<boolean> {
  try {
    return (await fetch(`${gw.origin}/health`, { signal: AbortSignal.timeout(10_000) })).status === 200;
  } catch {
    return false;
  }
}

interface Result {
  c: FuzzCase;
  r: Classified;
}

/** Runs the cases CONCURRENCY at a time (a bounded pool over a fixed list). */
async function runAll(gw: GatewayChild, cases: FuzzCase[], onProgress: (done: number) => void): Promise<Result[]> {
  const results: Result[] = new Array(cases.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      const outcome = await exchange(gw.port, cases[i].request, TIMEOUT_MS, cases[i].halfClose);
      results[i] = { c: cases[i], r: classify(outcome) };
      if (++done % 100 === 0) onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

const describe = (c: FuzzCase) => {
  const req = c.request;
  const raw = req.raw !== undefined ? String(req.raw) : `${req.method} ${req.path} ${req.headers.map(([n, v]) => `${n}: ${v}`).join('; ')} ${req.body === undefined ? '' : String(req.body)}`;
  return raw.replace(/\s+/g, ' ').slice(0, 220);
};

function report(results: Result[], healthAfter: boolean): number {
  const byStatus = new Map<string, number>();
  const byFamily = new Map<string, number>();
  const byCode = new Map<string, number>();
  for (const { c, r } of results) {
    byStatus.set(String(r.status), (byStatus.get(String(r.status)) ?? 0) + 1);
    byFamily.set(c.family, (byFamily.get(c.family) ?? 0) + 1);
    for (const code of new Set(r.codes)) byCode.set(code, (byCode.get(code) ?? 0) + 1);
  }
  const fmt = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  const fiveXx = results.filter(({ r }) => typeof r.status === 'number' && r.status >= 500);
  const internal = results.filter(({ r }) => r.internal);
  const leaks = results.filter(({ r }) => r.leaks.length > 0);
  const none = results.filter(({ r }) => r.status === 'none');
  // Every error answers JSON (issue 8). Not errors: the landing page a browser asks for (2xx HTML),
  // and answers to HEAD, which have no body by definition.
  const notJson = results.filter(({ c, r }) => typeof r.status === 'number' && r.status >= 400 && c.request.method !== 'HEAD' && !r.json);
  console.log('');
  console.log(`requests: ${results.length} (by family: ${fmt(byFamily)})`);
  console.log(`by status: ${fmt(byStatus)}`);
  console.log(`error codes (responses carrying each): ${fmt(byCode) || 'none'}`);
  console.log(`not JSON: ${notJson.length}; no response: ${none.length} (closed or timed out: not counted as failures, listed below)`);
  console.log(`5xx: ${fiveXx.length}; INTERNAL_SERVER_ERROR: ${internal.length}; leaks: ${leaks.length}; not JSON: ${notJson.length}; gateway healthy afterwards: ${healthAfter ? 'yes' : 'NO'}`);
  /** Failures grouped by (what failed, case name): a count and one example each. */
  const groups = (label: string, rs: Result[], key: (x: Result) => string[]) => {
    const g = new Map<string, Result[]>();
    for (const x of rs) for (const k of key(x)) g.set(k, [...(g.get(k) ?? []), x]);
    if (g.size === 0) return;
    console.log('');
    console.log(`${label}: ${rs.length} responses, ${g.size} classes`);
    for (const [k, xs] of [...g].sort((a, b) => b[1].length - a[1].length)) {
      const ex = xs[0];
      console.log(`  [${xs.length}] ${k}`);
      console.log(`      request:  ${describe(ex.c)}`);
      console.log(`      response: ${ex.r.status} ${ex.r.excerpt.slice(0, 240)}`);
    }
  };
  groups('5xx', fiveXx, (x) => [`${x.r.status} on ${x.c.family}: ${x.c.name}`]);
  groups('INTERNAL_SERVER_ERROR', internal, (x) => [`${x.c.family}: ${x.c.name}`]);
  groups('leaks', leaks, (x) => x.r.leaks.map((l) => `${l} on ${x.c.family}: ${x.c.name}`));
  groups('not JSON', notJson, (x) => [`${x.r.status} on ${x.c.family}: ${x.c.name}`]);
  groups('no response (informational)', none, (x) => [`${x.r.noResponse} on ${x.c.family}: ${x.c.name}`]);
  return fiveXx.length + internal.length + leaks.length + notJson.length + (healthAfter ? 0 : 1);
}

async function main(): Promise<void> {
  console.log(`starting the gateway (default world; RATE_LIMIT_MAX=0: rate limiting OFF, so one address can send every case)`);
  const gw = await startGatewayChild('fuzz', { RATE_LIMIT_MAX: '0' });
  try {
    console.log(`gateway healthy in ${gw.startSeconds.toFixed(1)} s; creating API keys with the api-key CLI`);
    const ctx: FuzzContext = {
      rng: new Rng(SEED),
      provinceKey: await createKey(gw, 'fuzz-province', ['--units', '80']),
      nationalKey: await createKey(gw, 'fuzz-national', ['--units', '*', '--catalogue']),
    };
    const procedures = await procedureCodes(gw);
    const generators = [httpBodyGenerator, graphqlDocumentGenerator, variablesGenerator, ingestBatchGenerator(procedures), cursorFederationGenerator, protocolGenerator];
    const cases = generators.flatMap((g) => g(ctx));
    console.log(`${cases.length} bad requests (seed ${SEED}), ${CONCURRENCY} at a time, ${TIMEOUT_MS} ms each at most`);
    const started = Date.now();
    const results = await runAll(gw, cases, (n) => process.stdout.write(`\r${n} / ${cases.length}`));
    process.stdout.write('\n');
    const healthAfter = await healthy(gw);
    const mem = memoryOf(gw.pid);
    console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s; gateway peak RSS ${mem ? mb(mem.peak) : '?'}`);
    const failures = report(results, healthAfter);
    if (cases.length < 1000) {
      console.log(`only ${cases.length} cases: fewer than 1,000`);
      process.exitCode = 1;
    }
    console.log('');
    console.log(failures === 0 ? 'fuzz: PASS (0 5xx, 0 INTERNAL_SERVER_ERROR, 0 leaks, 0 answers that are not JSON)' : `fuzz: FAIL (${failures} failing responses)`);
    if (failures > 0) process.exitCode = 1;
  } finally {
    await gw.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
