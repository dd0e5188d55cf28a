import 'reflect-metadata';
import type express from 'express';
import { execute, ExecutionResult, GraphQLSchema, parse } from 'graphql';
import { CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import os from 'node:os';
import { Pool } from 'pg';
import { loadConfig } from '../../src/config/config';
import { connect, Database } from '../../src/db/database';
import { queryCounter } from '../../src/db/query-counter';
import { contextFactory } from '../../src/server/app';
import { GatewayContext } from '../../src/server/context';
import { createLogger } from '../../src/server/logger';
import { createSchema } from '../../src/server/schema';
import { startGatewayChild } from '../gateway-child.runner';
import { cpuSeconds, databaseUrlOf, postgresCpuSeconds } from './process-cpu';
import {
  PROCEDURE_BY_CODE, ReadShape, SERVICE_UNITS, SERVICES_OF_UNIT, UNIT_BY_CODE, UNIT_LOOKUPS, UNITS_PAGE, UNITS_PAGE_DATE, UNITS_PAGES,
} from './read-shapes.definition';
import { SQL_ANSWERS } from './sql-baseline.server';

/**
 * `npm run bench:execution`: what one execution of a compiled read costs below the HTTP server,
 * in the gateway's process and in PostgreSQL, for the shapes of bench:reads
 * (read-shapes.definition.ts). The gateway's HTTP layers (Express, Apollo) are left out: this
 * measures the context (server/app.ts contextFactory: loaders, the lazy EntityManager), the
 * compiled query (graphql-jit, as server/compiled-execution.ts compiles it), the resolvers and
 * their argument validation, the loaders, pg and the statements.
 *
 * A gateway child (bench/gateway-child.runner.ts) builds the default world and keeps its embedded
 * cluster; this process connects to that database as the server does (connect(), createSchema()).
 * Every request body of bench:reads is answered first by the compiled query, by graphql-js and by
 * the hand-written SQL of bench/reads/sql-baseline.server.ts: the three must be equal byte for
 * byte (the bench stops otherwise). Then, for EXECUTION_SECONDS per shape (default 6) in
 * EXECUTION_ROUNDS slices (default 3) taken shape after shape, EXECUTION_CONCURRENCY executions
 * at a time (default 8, bench:reads' connections) cycle through the variables; it prints the CPU
 * of this process and of PostgreSQL (postmaster and backends, /proc) per execution, and the
 * statements sent per execution. A before/after comparison is two runs at a similar load (write
 * down `uptime`): old and new code cannot alternate in one process.
 */
const SECONDS = Number(process.env.EXECUTION_SECONDS ?? 6);
const ROUNDS = Number(process.env.EXECUTION_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.EXECUTION_CONCURRENCY ?? 8);
/** EXECUTION_SHAPES="unit by code,...": only those shapes (default all four). */
const ONLY_SHAPES = (process.env.EXECUTION_SHAPES ?? '').split(',').map((s) => s.trim()).filter(Boolean);

type Variables = Record<string, unknown>;

interface Workload {
  shape: ReadShape;
  query: CompiledQuery;
  variables: Variables[];
}

interface Tally {
  executions: number;
  seconds: number;
  cpuMicros: number;
  /** The whole cluster's CPU (postmaster and every backend, the child's idle ones and autovacuum included). */
  postgresSeconds: number;
  /** The CPU of the backends serving this process's pool (APPLICATION_NAME), live at the slice's start and end. */
  backendSeconds: number;
  statements: number;
}

/** The application_name of this process's connections, to tell its backends from the child's. */
const APPLICATION_NAME = 'dvc-execution-bench';

/** CPU seconds of each live backend serving this process's pool, by pid. */
async function backendCpu(admin: Pool): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [APPLICATION_NAME]);
  return new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)]));
}

/** A request's context, built as the server builds it for a plain POST (no key, no read replicas, no response cache). */
function contextMaker(db: Database, schema: GraphQLSchema): () => Promise<GatewayContext> {
  const config = loadConfig({}, { databaseUrl: db.url, logLevel: 'silent', responseCache: false });
  const make = contextFactory({ config, db, schema, logger: createLogger('silent') });
  return () => make({ req: { headers: { accept: 'application/json' } } as express.Request, res: { locals: {} } as express.Response });
}

function compile(schema: GraphQLSchema, shape: ReadShape): CompiledQuery {
  const compiled = compileQuery(schema, parse(shape.gateway));
  if (!isCompiledQuery(compiled)) throw new Error(`${shape.name}: graphql-jit refused the document: ${JSON.stringify(compiled.errors)}`);
  return compiled;
}

async function runCompiled(query: CompiledQuery, context: () => Promise<GatewayContext>, variables: Variables): Promise<ExecutionResult> {
  return (await query.query(undefined, await context(), variables)) as ExecutionResult;
}

/** The `after` values of the first UNITS_PAGES pages, walked through the compiled query. */
async function unitPageCursors(query: CompiledQuery, context: () => Promise<GatewayContext>): Promise<Variables[]> {
  const pages: Variables[] = [{ at: UNITS_PAGE_DATE, after: null }];
  while (pages.length < UNITS_PAGES) {
    const result = await runCompiled(query, context, pages.at(-1)!);
    const cursor = (result.data as { units: { pageInfo: { endCursor: string | null } } }).units.pageInfo.endCursor;
    if (!cursor) break;
    pages.push({ at: UNITS_PAGE_DATE, after: cursor });
  }
  return pages;
}

/** Compiled, interpreted and hand-written SQL answer every variables set of the workload with the same bytes. */
async function checkAnswers(schema: GraphQLSchema, pool: Pool, context: () => Promise<GatewayContext>, w: Workload): Promise<void> {
  const document = parse(w.shape.gateway);
  for (const variables of w.variables) {
    const compiled = JSON.stringify(await runCompiled(w.query, context, variables));
    const interpreted = JSON.stringify(await execute({ schema, document, contextValue: await context(), variableValues: variables }));
    const sql = JSON.stringify({ data: await SQL_ANSWERS[w.shape.name](pool, variables as Record<string, string>) });
    if (compiled !== interpreted || compiled !== sql) {
      throw new Error(`${w.shape.name} ${JSON.stringify(variables)}: answers differ\ncompiled    ${compiled.slice(0, 400)}\ninterpreted ${interpreted.slice(0, 400)}\nsql         ${sql.slice(0, 400)}`);
    }
  }
}

/** CONCURRENCY lanes, each executing one query after another, cycling through the variables, until `seconds` have passed. */
async function load(w: Workload, context: () => Promise<GatewayContext>, seconds: number): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let next = 0;
  let executions = 0;
  const lane = async () => {
    while (performance.now() < until) {
      const result = await runCompiled(w.query, context, w.variables[next++ % w.variables.length]);
      if (result.errors) throw new Error(`${w.shape.name}: ${JSON.stringify(result.errors)}`);
      executions++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return executions;
}

async function slice(w: Workload, context: () => Promise<GatewayContext>, seconds: number, pgCpu: () => number, admin: Pool, tally: Tally): Promise<void> {
  const backends0 = await backendCpu(admin);
  queryCounter.reset();
  const cpu0 = process.cpuUsage();
  const pg0 = pgCpu();
  const t0 = performance.now();
  const executions = await load(w, context, seconds);
  const cpu = process.cpuUsage(cpu0);
  tally.seconds += (performance.now() - t0) / 1000;
  tally.postgresSeconds += pgCpu() - pg0;
  // A backend opened during the slice counts from 0; one closed during it is lost (the pool keeps them under load).
  for (const [pid, seconds1] of await backendCpu(admin)) tally.backendSeconds += seconds1 - (backends0.get(pid) ?? 0);
  tally.cpuMicros += cpu.user + cpu.system;
  tally.executions += executions;
  tally.statements += queryCounter.total;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

async function main(): Promise<void> {
  console.log('starting a gateway child for the default world (its cluster is measured; the child itself stays idle)');
  const gw = await startGatewayChild('execution', { RATE_LIMIT_MAX: '0', SYNC_SCHEDULES: 'false', RESPONSE_CACHE: 'off' });
  let db: Database | undefined;
  const pool = new Pool({ connectionString: databaseUrlOf(gw), max: 2 });
  try {
    db = await connect(`${databaseUrlOf(gw)}?application_name=${APPLICATION_NAME}`, 10);
    const schema = await createSchema();
    const context = contextMaker(db, schema);
    const procedureCodes = (await pool.query<{ code: string }>('SELECT code FROM procedure ORDER BY code LIMIT 100')).rows.map((r) => r.code);
    const unitsPage = compile(schema, UNITS_PAGE);
    const workloads: Workload[] = [
      { shape: UNIT_BY_CODE, query: compile(schema, UNIT_BY_CODE), variables: UNIT_LOOKUPS },
      { shape: PROCEDURE_BY_CODE, query: compile(schema, PROCEDURE_BY_CODE), variables: procedureCodes.map((code) => ({ code })) },
      { shape: SERVICES_OF_UNIT, query: compile(schema, SERVICES_OF_UNIT), variables: SERVICE_UNITS },
      { shape: UNITS_PAGE, query: unitsPage, variables: await unitPageCursors(unitsPage, context) },
    ].filter((w) => ONLY_SHAPES.length === 0 || ONLY_SHAPES.includes(w.shape.name));
    for (const w of workloads) await checkAnswers(schema, pool, context, w);
    console.log('answers checked: compiled = graphql-js = hand-written SQL, byte for byte, on every variables set');
    console.log(`settings: ${CONCURRENCY} executions at a time, 1 s warm-up + ${SECONDS} s per shape in ${ROUNDS} slices taken shape after shape; ${os.cpus().length} CPUs; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    const pgCpu = () => postgresCpuSeconds(gw);
    for (const w of workloads) await load(w, context, 1);
    const tallies = new Map(workloads.map((w) => [w, { executions: 0, seconds: 0, cpuMicros: 0, postgresSeconds: 0, backendSeconds: 0, statements: 0 }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const w of workloads) await slice(w, context, SECONDS / ROUNDS, pgCpu, pool, tallies.get(w)!);
    }
    const rows = [['shape', 'executions/s', 'gateway µs CPU/exec', 'its backends µs CPU/exec', 'whole cluster µs CPU/exec', 'statements/exec']];
    const perExec = (seconds: number, t: Tally) => ((1e6 * seconds) / t.executions).toFixed(0);
    for (const [w, t] of tallies) {
      rows.push([w.shape.name, (t.executions / t.seconds).toFixed(0), (t.cpuMicros / t.executions).toFixed(0), perExec(t.backendSeconds, t), perExec(t.postgresSeconds, t), (t.statements / t.executions).toFixed(2)]);
    }
    console.log(table(rows));
    console.log(`\nload average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await pool.end();
    await db?.close();
    await gw.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
