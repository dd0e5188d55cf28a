import { Client } from 'pg';
import PgBoss from 'pg-boss';
import { DatabaseHealth, describe, failed, isConnectionError } from '../db/database-health';
import { Logger } from '../server/logger';
import { SyncOutcome, SyncService } from './sync.service';

export interface SyncJob {
  code: string;
  trigger: string;
  full?: boolean;
}

export interface JobState {
  id: string;
  state: 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';
  outcome?: SyncOutcome;
}

const TIMEZONE = 'Asia/Ho_Chi_Minh';

/** One pg-boss queue per source: a pg-boss (v10) schedule belongs to a queue. */
export const queueOf = (code: string): string => `sync__${code}`;

/**
 * Scheduled and on-demand syncs on pg-boss (its own `pgboss` schema in the gateway's database),
 * so that every gateway process shares the work. Each source has a queue with the 'stately'
 * policy and the source code as singleton key: at most one run active and one waiting per source
 * across all processes (a request while one waits joins it). The sync's own advisory lock is the
 * second guard (the CLI does not go through the queue).
 */
export class SyncScheduler {
  private boss?: PgBoss;
  private readonly workers = new Map<string, string>();

  constructor(
    private readonly databaseUrl: string,
    private readonly sync: SyncService,
    private readonly log: Logger,
    /**
     * schedules: register the registry's cron schedules and fire them (default true); false leaves only on-demand jobs.
     * work: take jobs (default true). False (an api process, GATEWAY_ROLE=api): only queue jobs and
     * read their state, for the workers to run; no worker, no schedule touched, no pg-boss maintenance.
     */
    private readonly opts: { pollingIntervalSeconds?: number; health?: DatabaseHealth; schedules?: boolean; work?: boolean } = {},
  ) {}

  private get schedules(): boolean {
    return this.opts.schedules !== false;
  }

  private get works(): boolean {
    return this.opts.work !== false;
  }

  async start(): Promise<void> {
    // With schedules off, pg-boss's timekeeper does not run here either: this process fires no cron.
    // A sending-only process (work: false) leaves the timekeeper and the maintenance to the workers.
    const boss = new PgBoss({
      connectionString: this.databaseUrl, schema: 'pgboss', max: 3, application_name: 'dvc-gateway-sync',
      schedule: this.works && this.schedules, supervise: this.works,
    });
    // pg-boss's pool and workers report here (never an unhandled 'error'). Its workers keep
    // polling through an outage and resume when the database is back; a connection-class error
    // tells the database health, and while it is down the repeats are only debug lines.
    boss.on('error', (e: Error) => {
      const health = this.opts.health;
      if (health && isConnectionError(e)) {
        const known = !health.up;
        health.report(e);
        if (known) return this.log.debug({ err: describe(e) }, 'job queue error (database down)');
      }
      this.log.warn({ err: describe(e) }, 'job queue error');
    });
    await boss.start();
    this.boss = boss;
    const known = new Set(this.sync.sources.map((s) => queueOf(s.code)));
    await this.createQueues([...known]);
    for (const s of this.sync.sources) {
      const queue = queueOf(s.code);
      if (!this.works) continue;
      if (s.schedule && this.schedules) await boss.schedule(queue, s.schedule, { code: s.code, trigger: 'schedule' }, { tz: TIMEZONE, singletonKey: s.code });
      else await boss.unschedule(queue);
      const id = await boss.work<SyncJob>(queue, { pollingIntervalSeconds: this.opts.pollingIntervalSeconds ?? 10 }, async ([job]) =>
        this.sync.sync(job.data.code, { trigger: job.data.trigger, full: job.data.full, jobId: job.id }),
      );
      this.workers.set(s.code, id);
    }
    // Sources that left the registry stop being scheduled (schedules live in the shared database,
    // where any pg-boss on it would fire them: the process that starts last decides, as for the registry).
    if (!this.works) return this.log.info({ sources: this.sync.sources.length }, 'sync job queue connected (sending only: workers run the jobs)');
    for (const sched of await boss.getSchedules()) if (sched.name.startsWith('sync__') && !known.has(sched.name)) await boss.unschedule(sched.name);
    const scheduled = this.schedules ? this.sync.sources.filter((s) => s.schedule).length : 0;
    this.log.info({ sources: this.sync.sources.length, scheduled, schedules: this.schedules ? 'on' : 'off (SYNC_SCHEDULES)' }, 'sync scheduler started');
  }

  get running(): boolean {
    return this.boss !== undefined;
  }

  /**
   * Creates the sources' queues, one process at a time (a session advisory lock on a connection
   * of its own). pg-boss 10 creates a queue as a partition of its job table (CREATE TABLE, foreign
   * keys to its queue table, ATTACH PARTITION) without a lock of its own: processes starting
   * together on a new database deadlocked there (test/platform/roles.test.ts, four at once).
   * The lock's holder creates them all; the next finds them and pg-boss does nothing.
   */
  private async createQueues(queues: string[]): Promise<void> {
    const boss = this.required();
    const lock = new Client({ connectionString: this.databaseUrl, application_name: 'dvc-gateway-sync' });
    lock.on('error', () => undefined); // a failure shows on the next query
    await this.unavailableIfDown(() => lock.connect());
    try {
      await this.unavailableIfDown(() => lock.query(`SELECT pg_advisory_lock(hashtext('dvc-gateway:sync-queues'))`));
      const existing = new Set((await boss.getQueues()).map((q) => q.name));
      // A run may take long at national scale; pg-boss would otherwise expire it after 15 minutes.
      for (const queue of queues) if (!existing.has(queue)) await boss.createQueue(queue, { name: queue, policy: 'stately', retryLimit: 0, expireInSeconds: 6 * 3600 });
    } finally {
      await lock.end().catch(() => undefined); // ending the session releases the lock
    }
  }

  /**
   * Queues a sync of `code` and returns its job id. When one is already waiting for that source,
   * that job is returned instead (requests coalesce).
   */
  async enqueue(code: string, trigger: string, full = false): Promise<string> {
    return this.unavailableIfDown(() => this.send(code, trigger, full));
  }

  private async send(code: string, trigger: string, full: boolean): Promise<string> {
    const boss = this.required();
    const queue = queueOf(code);
    const id = await boss.send(queue, { code, trigger, full } satisfies SyncJob, { singletonKey: code });
    const worker = this.workers.get(code);
    if (worker) boss.notifyWorker(worker);
    if (id) return id;
    const rows = await boss.getDb().executeSql(
      `SELECT id FROM pgboss.job WHERE name = $1 AND singleton_key = $2 AND state IN ('created', 'retry', 'active') ORDER BY state, created_on DESC LIMIT 1`,
      [queue, code],
    ) as { rows: { id: string }[] };
    if (!rows.rows[0]) throw new Error(`could not queue a sync of ${code}`);
    return rows.rows[0].id;
  }

  async job(code: string, id: string): Promise<JobState | null> {
    const job = await this.unavailableIfDown(() => this.required().getJobById<SyncJob>(queueOf(code), id, { includeArchive: true }));
    if (!job) return null;
    return { id, state: job.state, outcome: job.state === 'completed' ? (job.output as SyncOutcome) : undefined };
  }

  /** Waits until the job ends or `timeoutMs` passes; returns its last state. */
  async waitFor(code: string, id: string, timeoutMs: number): Promise<JobState | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.job(code, id);
      if (!s || ['completed', 'failed', 'cancelled'].includes(s.state) || Date.now() >= deadline) return s;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * Fails the sync jobs left 'active' with no run behind them any more: the run was abandoned
   * (its process died), or it ended more than `settledMs` ago and pg-boss never heard (the
   * database was down when the worker tried to record the outcome). A stately queue fetches no
   * new job of a source while one is active, so without this the source would wait for the
   * job's expiry (hours) before its next run. Returns how many were released.
   */
  async releaseStuckJobs(settledMs: number): Promise<number> {
    const boss = this.boss;
    if (!boss) return 0;
    const stuck = (await boss.getDb().executeSql(
      `SELECT j.name, j.id::text AS id, r.status::text AS status FROM pgboss.job j
       JOIN ingest_run r ON r.detail->>'job' = j.id::text
       WHERE left(j.name, 6) = 'sync__' AND j.state = 'active'
         AND (r.status = 'abandoned' OR (r.status <> 'running' AND r.finished_at < now() - make_interval(secs => $1::float8 / 1000)))`,
      [settledMs],
    )) as { rows: { name: string; id: string; status: string }[] };
    for (const j of stuck.rows) {
      await boss.fail(j.name, j.id, { error: `released: its run is ${j.status} but the job was still active` });
      this.log.warn({ queue: j.name, job: j.id, run: j.status }, 'released a sync job left active by a run that ended');
    }
    return stuck.rows.length;
  }

  /** Stops taking jobs and waits (up to 30 s) for those running. */
  async stop(): Promise<void> {
    const boss = this.boss;
    this.boss = undefined;
    await boss?.stop({ graceful: true, wait: true, timeout: 30_000 });
  }

  /** pg-boss talks to the database on its own pool: its connection-class errors become DatabaseUnavailable (503) like ours. */
  private async unavailableIfDown<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      return failed(this.opts.health, e);
    }
  }

  private required(): PgBoss {
    if (!this.boss) throw new Error('the sync scheduler is not running');
    return this.boss;
  }
}
