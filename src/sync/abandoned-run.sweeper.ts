import { DatabaseHealth, describe } from '../db/database-health';
import { Sql } from '../db/sql';
import { AbandonedRun, closeAbandonedRuns } from '../provenance/abandoned-run.service';
import { Logger } from '../server/logger';

export interface SweeperOptions {
  sql: Sql;
  health: DatabaseHealth;
  log: Logger;
  /** ABANDONED_RUN_CHECK_MS. */
  everyMs: number;
  /** Failures in a row after which a source is failing (its own failingAfter option wins). */
  failingAfter: number;
}

/**
 * Closes runs left RUNNING by dead processes: once at start-up (before the first sync, so the
 * sources it reports on are right), every ABANDONED_RUN_CHECK_MS, and as soon as the database is
 * back after an outage (runs in flight then lost their transactions). A sweep that fails (the
 * database is down) is logged and tried again at the next tick; never two at once.
 */
export class AbandonedRunSweeper {
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private current?: Promise<AbandonedRun[]>;
  /** Work after each sweep that closed runs or not, e.g. releasing the queue jobs of dead runs. */
  afterSweep?: () => Promise<void>;

  constructor(private readonly opts: SweeperOptions) {}

  /** One sweep now (joins one in progress); returns the runs it closed. Throws if the database is down. */
  sweep(): Promise<AbandonedRun[]> {
    this.current ??= this.runSweep().finally(() => (this.current = undefined));
    return this.current;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.opts.everyMs);
    this.timer.unref();
    this.unsubscribe = this.opts.health.onChange((up) => up && this.tick());
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.current?.catch(() => undefined);
  }

  private tick(): void {
    if (!this.opts.health.up) return; // the recovery loop will call again when it is back
    this.sweep().catch((e: unknown) => this.opts.log.warn({ err: describe(e) }, 'abandoned-run sweep failed; trying again later'));
  }

  private async runSweep(): Promise<AbandonedRun[]> {
    const closed = await closeAbandonedRuns(this.opts.sql, { failingAfter: this.opts.failingAfter });
    for (const r of closed) this.opts.log.warn({ run: r.id, source: r.sourceCode, kind: r.kind }, 'closed a run abandoned by a process that stopped');
    await this.afterSweep?.();
    return closed;
  }
}
