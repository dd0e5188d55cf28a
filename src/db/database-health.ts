import { Client } from 'pg';
import { Logger } from 'pino';

/**
 * Errors that say the database server (not the statement) is the problem: the server went away
 * or refused us. SQLSTATE class 08 (connection exception), 57P01-57P03 (admin shutdown, crash
 * shutdown, cannot connect now), 53300 (too many connections), and the socket errors node-postgres
 * passes through. A statement error (syntax, constraint, timeout) is none of these.
 */
const SERVER_GONE_CODES = new Set(['57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** node-postgres says some of these only in words (no code). */
const SERVER_GONE_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|the database system is (starting up|shutting down|in recovery mode)|terminating connection due to/i;

/** Whether `e` (or what it wraps: MikroORM and GraphQL keep the original as cause/originalError) is a connection-class error. */
export function isConnectionError(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && typeof cur === 'object' && depth < 6; depth++) {
    const err = cur as { code?: unknown; message?: unknown; cause?: unknown; originalError?: unknown };
    if (err instanceof DatabaseUnavailable) return true;
    if (typeof err.code === 'string' && (SERVER_GONE_CODES.has(err.code) || /^08[0-9A-Z]{3}$/.test(err.code))) return true;
    if (typeof err.message === 'string' && SERVER_GONE_MESSAGES.test(err.message)) return true;
    cur = err.originalError ?? err.cause;
  }
  return false;
}

/** What a client is told while the database is down: no host, port, SQL or driver text. */
export const UNAVAILABLE_MESSAGE = 'The database is unavailable at the moment; try again shortly.';

/**
 * A statement that failed because the database is down. It carries GraphQL extensions, which
 * graphql-js copies from a resolver's error: Apollo then answers HTTP 503 with the code
 * SERVICE_UNAVAILABLE (formatError lets it through, with UNAVAILABLE_MESSAGE only).
 */
export class DatabaseUnavailable extends Error {
  readonly extensions = { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } };

  constructor(override readonly cause?: unknown) {
    super(UNAVAILABLE_MESSAGE);
    this.name = 'DatabaseUnavailable';
  }
}

/** A run's error when the database went away under it: that, and the driver's short reason. */
export function lostConnectionText(e: DatabaseUnavailable): string {
  return `the database connection was lost: ${describe(e.cause)}`;
}

/** Turns a connection-class error into DatabaseUnavailable; anything else is returned as it is. */
function asUnavailable(e: unknown): unknown {
  return !(e instanceof DatabaseUnavailable) && isConnectionError(e) ? new DatabaseUnavailable(e) : e;
}

/**
 * What every database call does when it fails (raw SQL, the job queue): a connection-class error
 * tells the health (which starts recovery) and becomes DatabaseUnavailable (HTTP 503,
 * SERVICE_UNAVAILABLE for a client); any other error is rethrown as it is.
 */
export function failed(health: DatabaseHealth | undefined, e: unknown): never {
  health?.report(e);
  throw asUnavailable(e);
}

export interface DatabaseHealthOptions {
  log: Logger;
  /** First wait between recovery attempts, doubled after each failure up to retryMaxMs (DB_RETRY_MIN_MS, DB_RETRY_MAX_MS). */
  retryMinMs: number;
  retryMaxMs: number;
  /** Resolves when the database answers a trivial query (on a fresh connection, not a pooled one). */
  probe(): Promise<void>;
  /** Brings the server back before each probe, when this process owns it (the embedded cluster); else nothing. */
  recover?(): Promise<void>;
  /** What an attempt does, for its log line: "restarting the embedded PostgreSQL" or "reconnecting". */
  action?: string;
  /** The warning when it goes down (a replica's differs: its requests go elsewhere rather than failing). */
  downMessage?: string;
}

export type HealthListener = (up: boolean) => void;

/**
 * Whether the database is up, for the whole process: one per Database, passed down (no module
 * state). Whoever meets a connection-class error (a pool, the Sql layer, the ORM driver, the
 * postmaster watch, /health) calls connectionLost(); the first call flips it down and starts
 * one recovery loop: recover() (restart the embedded cluster if it died), then probe(), waiting
 * retryMinMs, doubling to retryMaxMs, each attempt logged, until the database answers. Then it
 * flips up and tells the listeners (the scheduler and the abandoned-run sweep react to that).
 */
export class DatabaseHealth {
  private isUp = true;
  private recovering?: Promise<void>;
  private closed = false;
  private wake?: () => void;
  private readonly listeners = new Set<HealthListener>();

  constructor(private readonly opts: DatabaseHealthOptions) {}

  get up(): boolean {
    return this.isUp;
  }

  /** Subscribes to up/down changes; returns the unsubscribe. A listener that throws is logged, never fatal. */
  onChange(listener: HealthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when the database is up (at once if it is). */
  whenUp(): Promise<void> {
    if (this.isUp) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.onChange((up) => {
        if (!up) return;
        off();
        resolve();
      });
    });
  }

  /** Reports a failure: a connection-class error flips the state down and starts recovery; others are ignored. */
  report(e: unknown): void {
    if (isConnectionError(e)) this.connectionLost(e);
  }

  /** The database is gone (a connection died, the postmaster exited): flip down, recover in the background. */
  connectionLost(reason: unknown): void {
    if (this.closed) return;
    if (this.isUp) {
      this.isUp = false;
      this.opts.log.warn({ reason: describe(reason) }, this.opts.downMessage ?? 'database unavailable: requests get 503 until it answers again');
      this.emit(false);
    }
    this.recovering ??= this.recoverLoop().finally(() => (this.recovering = undefined));
  }

  /** Stops the recovery loop (at shutdown) and waits for an attempt in progress. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.recovering?.catch(() => undefined);
  }

  private async recoverLoop(): Promise<void> {
    let wait = this.opts.retryMinMs;
    for (let attempt = 1; !this.closed; attempt++) {
      this.opts.log.warn({ attempt }, `database recovery: ${this.opts.action ?? 'reconnecting'}`);
      try {
        await this.opts.recover?.();
        await this.opts.probe();
        if (this.closed) return;
        this.isUp = true;
        this.opts.log.info({ attempt }, 'database available again');
        this.emit(true);
        return;
      } catch (e) {
        this.opts.log.warn({ attempt, retryInMs: wait, err: describe(e) }, 'database still unavailable');
      }
      await this.sleep(wait);
      wait = Math.min(wait * 2, this.opts.retryMaxMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref(); // the loop alone keeps no process alive (a CLI may end while the database is down)
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }

  private emit(up: boolean): void {
    for (const l of this.listeners) {
      try {
        l(up);
      } catch (e) {
        this.opts.log.error({ err: describe(e) }, 'database health listener failed');
      }
    }
  }
}

/** A short description for logs: code and message, not the stack. */
export function describe(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code} ` : ''}${e.message}`.slice(0, 500);
  }
  return String(e).slice(0, 500);
}

/**
 * One fresh connection and a trivial query: whether a server (the primary or a replica) answers
 * now (pooled connections may be stale). No attempt waits longer than `timeoutMs` (the longest backoff).
 */
export async function probeServer(url: string, timeoutMs: number): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}
