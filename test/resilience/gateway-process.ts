import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { ApiKeyService } from '../../src/auth/api-key.service';
import { Sql } from '../../src/db/sql';
import { freePort } from '../../src/common/free-port';

/**
 * The compiled gateway (dist/src/main.js, built by `npm test`'s pretest or `npx tsc -p .`) as a
 * real child process on loopback ports, with its own embedded PostgreSQL in a throwaway folder:
 * what the resilience tests kill and restart. Nothing is mocked.
 */

export const MAIN = path.join(__dirname, '../../dist/src/main.js');


/** A temporary folder for DATA_DIR; open to all, since PostgreSQL runs as its own user when the tests run as root. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o777);
  return dir;
}

/** Polls `check` until it returns something truthy, or fails naming what it waited for. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface HttpAnswer {
  status: number;
  body: any;
}

export class GatewayProcess {
  private out = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Spawns the gateway; resolves once it logs "ready" (start-up done, first sync included if asked). */
  static async start(env: Record<string, string>, opts: { waitReady?: boolean; timeoutMs?: number } = {}): Promise<GatewayProcess> {
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -p tsconfig.build.json)`);
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN], {
      cwd: path.join(__dirname, '../..'),
      env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const gw = new GatewayProcess(child, port);
    if (opts.waitReady === false) return gw;
    try {
      await gw.waitForLog(/"msg":"ready"/, opts.timeoutMs ?? 45_000);
    } catch (e) {
      await gw.stop('SIGKILL'); // not ready in time: no child (nor its embedded PostgreSQL's lock) outlives the test
      throw e;
    }
    return gw;
  }

  /**
   * Spawns several gateways at once (one environment each) and waits until all are ready. If
   * one fails, the others are stopped before the error is thrown: no process outlives the test.
   */
  static async startAll(envs: Record<string, string>[], opts: { timeoutMs?: number } = {}): Promise<GatewayProcess[]> {
    const spawned: GatewayProcess[] = [];
    const settled = await Promise.allSettled(envs.map(async (env) => {
      const gw = await GatewayProcess.start(env, { waitReady: false });
      spawned.push(gw);
      await gw.waitForLog(/"msg":"ready"/, opts.timeoutMs ?? 45_000);
      return gw;
    }));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(spawned.map((g) => g.stop()));
      throw failed.reason;
    }
    return settled.map((s) => (s as PromiseFulfilledResult<GatewayProcess>).value);
  }

  get logs(): string {
    return this.out;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitForLog(pattern: RegExp, timeoutMs: number): Promise<void> {
    try {
      await waitFor(`the gateway to log ${pattern}`, () => {
        if (!this.alive && !pattern.test(this.out)) throw new Error(`the gateway exited (${this.child.exitCode ?? this.child.signalCode}):\n${this.out.slice(-3000)}`);
        return pattern.test(this.out);
      }, timeoutMs);
    } catch (e) {
      if (!this.alive) throw e;
      throw new Error(`${(e as Error).message}; its log ends:\n${this.out.slice(-3000)}`);
    }
  }

  async health(): Promise<HttpAnswer> {
    const res = await fetch(`http://127.0.0.1:${this.port}/health`, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: await res.json().catch(() => null) };
  }

  async gql(query: string, key?: string): Promise<HttpAnswer> {
    const res = await fetch(`http://127.0.0.1:${this.port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query }),
      signal: AbortSignal.timeout(120_000),
    });
    return { status: res.status, body: await res.json().catch(() => null) };
  }

  /** Sends `signal` and waits for the exit (SIGKILL if it takes longer than `graceMs`). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.alive) return this.exited;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The pid the running postmaster wrote in DATA_DIR/postmaster.pid (undefined if there is none). */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function connection(dataDir: string, port: number) {
  const { password } = JSON.parse(fs.readFileSync(`${dataDir}.credentials.json`, 'utf8')) as { password: string };
  return { host: '127.0.0.1', port, user: 'postgres', password, database: 'dvc_gateway', connectionTimeoutMillis: 5000 };
}

/** A client of the gateway's database, beside the gateway (the password is kept next to DATA_DIR). */
export async function clusterClient(dataDir: string, port: number): Promise<Client> {
  const client = new Client(connection(dataDir, port));
  client.on('error', () => undefined); // the tests kill the server under it
  await client.connect();
  return client;
}

/** An API key allowed to sync every source (units '*'), created as `npm run api-key` would. */
export async function createSyncKey(dataDir: string, port: number): Promise<string> {
  const pool = new Pool({ ...connection(dataDir, port), max: 1 });
  pool.on('error', () => undefined);
  try {
    return (await new ApiKeyService(new Sql(pool)).create({ name: `resilience-${process.pid}-${Date.now()}`, unitCodes: ['*'] })).key;
  } finally {
    await pool.end();
  }
}

/**
 * Stops a postmaster left running in `dataDir` (one orphaned by a killed gateway outlives it):
 * fast shutdown, then SIGKILL if it lingers. Always called in afterAll.
 */
export async function stopCluster(dataDir: string): Promise<void> {
  const pid = postmasterPid(dataDir);
  if (!pid || !isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGINT');
    await waitFor('the postmaster to stop', () => !isAlive(pid), 15_000, 100);
  } catch {
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
}
