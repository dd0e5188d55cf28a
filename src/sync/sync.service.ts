import pLimit from 'p-limit';
import { YearRange } from '../common/calendar';
import { ConnectorKind, connectorKind } from '../connectors/connector-registry';
import { intOption, SyncProgress } from '../connectors/connector';
import { DEFAULT_HTTP, HttpClient } from '../connectors/http.client';
import { DatabaseUnavailable, describe, lostConnectionText } from '../db/database-health';
import { Sql } from '../db/sql';
import { ensureDossierPartition } from '../ingest/dossier-stage';
import { BatchRejected } from '../ingest/ingest-problems';
import { IngestSession, SessionBusy } from '../ingest/ingest-session';
import { refreshDeferredRollups } from '../ingest/rollup-refresh';
import type { Metrics } from '../observability/metrics';
import type { HeapPolicy } from '../server/heap-policy';
import { Logger } from '../server/logger';
import { credentialOf, ResolvedSource } from '../sources/source-registry.service';

export type SyncStatus = 'succeeded' | 'rejected' | 'failed' | 'busy';

export interface SyncOutcome {
  code: string;
  status: SyncStatus;
  runId?: number;
  rowsRead: number;
  rowsWritten: number;
  /** Why it did not succeed (also the source's lastError). */
  error?: string;
  seconds: number;
}

export interface SyncRunOptions {
  /** Ignore the saved cursor and read the source from its beginning. */
  full?: boolean;
  /** What started the run (recorded in the run's detail): start, schedule, api, cli. */
  trigger?: string;
  onProgress?: (code: string, p: SyncProgress) => void;
  /**
   * Leave the aggregate rollups to a later refreshDeferredRollups (syncAll does one at the end):
   * each refresh rescans the facts of the provinces touched, which dominated bulk first loads.
   */
  deferRollups?: boolean;
  /** The job-queue job running this sync, recorded with the run (the abandoned-run sweep releases the job of a dead run). */
  jobId?: string;
}

export class UnknownSourceError extends Error {}

/** Consecutive failures after which a source is 'failing' rather than 'degraded' (option failingAfter). */
export const FAILING_AFTER = 3;

/** The registry's entry for a source's kind (connector-registry.ts). */
export function connectorFor(kind: string): ConnectorKind {
  const spec = connectorKind(kind);
  if (!spec) throw new UnknownSourceError(`no connector for sources of kind ${kind}`);
  return spec;
}

/**
 * Runs syncs: one source at a time per source (a transaction-scoped advisory lock, so two
 * processes never sync one source at once), everything a run reads applied in one transaction or
 * not at all, the run recorded in ingest_run, and the source's health and cursor kept up to date.
 */
export class SyncService {
  private readonly byCode: Map<string, ResolvedSource>;
  /** Bounds the runs in this process, whoever starts them (schedule, API, start, syncAll). */
  private readonly limit: pLimit.Limit;
  private readonly concurrency: number;
  /** Years accepted in synced dates and months (config MIN_YEAR / MAX_YEAR), for the batch rules every run's rows pass. */
  private readonly years?: YearRange;
  private readonly metrics?: Metrics;
  private readonly heap?: HeapPolicy;

  constructor(
    private readonly sql: Sql,
    readonly sources: ResolvedSource[],
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
    opts: { concurrency?: number; years?: YearRange; metrics?: Metrics; heap?: HeapPolicy } = {},
  ) {
    this.byCode = new Map(sources.map((s) => [s.code, s]));
    this.metrics = opts.metrics;
    this.heap = opts.heap;
    this.years = opts.years;
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
    this.limit = pLimit(this.concurrency);
  }

  /** Whether a run asked for now would wait for a free slot. */
  get saturated(): boolean {
    return this.limit.activeCount >= this.concurrency;
  }

  has(code: string): boolean {
    return this.byCode.has(code);
  }

  /** Sources in the order a full sync runs them: highest precedence first (the national catalogue before the feeds that name its procedures). */
  ordered(): ResolvedSource[] {
    return [...this.sources].sort((a, b) => b.precedence - a.precedence || a.code.localeCompare(b.code));
  }

  /**
   * Syncs every source, then refreshes the aggregate rollups once for all of them. Sources run by
   * precedence tier, highest first (the national catalogue names the procedures the feeds use),
   * the sources of one tier side by side within the concurrency limit.
   */
  async syncAll(opts: SyncRunOptions = {}): Promise<SyncOutcome[]> {
    const list = this.ordered();
    const outcomes: SyncOutcome[] = new Array(list.length);
    for (let start = 0; start < list.length; ) {
      let end = start;
      while (end < list.length && list[end].precedence === list[start].precedence) end++;
      await Promise.all(list.slice(start, end).map(async (s, k) => (outcomes[start + k] = await this.syncOrFailed(s.code, { ...opts, deferRollups: true }))));
      start = end;
    }
    // Stale rollup cells stay listed in rollup_dirty (answers stay right), so a failed refresh is only logged.
    if (!opts.deferRollups && outcomes.some((o) => o.status === 'succeeded')) await refreshDeferredRollups(this.sql, this.log, this.metrics);
    return outcomes;
  }

  /** sync(), with an error that escaped the run (the database went away before the run opened) as a failed outcome. */
  private async syncOrFailed(code: string, opts: SyncRunOptions): Promise<SyncOutcome> {
    const started = Date.now();
    try {
      return await this.sync(code, opts);
    } catch (e) {
      const error = `failed, nothing written: ${e instanceof DatabaseUnavailable ? lostConnectionText(e) : describe(e)}`;
      this.log.warn({ source: code, err: error }, 'sync did not succeed');
      return { code, status: 'failed', rowsRead: 0, rowsWritten: 0, error, seconds: (Date.now() - started) / 1000 };
    }
  }

  /** Syncs one source (waiting for a free slot under the concurrency limit first). */
  sync(code: string, opts: SyncRunOptions = {}): Promise<SyncOutcome> {
    if (!this.byCode.has(code)) return Promise.reject(new UnknownSourceError(`no source ${code} in the registry`));
    const run = () => (this.heap ? this.heap.during(() => this.run(code, opts)) : this.run(code, opts));
    return this.limit(() => (this.metrics ? this.metrics.observeSync(code, run) : run()));
  }

  private async run(code: string, opts: SyncRunOptions): Promise<SyncOutcome> {
    const source = this.byCode.get(code);
    if (!source) throw new UnknownSourceError(`no source ${code} in the registry`);
    const started = Date.now();
    const seconds = () => (Date.now() - started) / 1000;
    const [row] = await this.sql.query<{ id: number; sync_state: Record<string, unknown> }>('SELECT id, sync_state FROM source WHERE code = $1', [code]);
    if (!row) throw new UnknownSourceError(`source ${code} is not in the database: apply the registry first`);
    const kind = connectorFor(source.kind);
    // DDL, outside the run's transaction (it locks the dossier table, which running feed syncs hold).
    if (kind.keepsDossiers) await ensureDossierPartition(this.sql, row.id);

    let session: IngestSession;
    try {
      session = await IngestSession.open(this.sql, {
        sourceId: row.id,
        kind: 'sync',
        scope: { unitCodes: source.units, outside: 'the units this source covers' },
        lock: { name: 'dvc-gateway:sync', id: row.id },
        keepMissing: kind.keepMissing,
        years: this.years,
        metrics: this.metrics,
        full: !!opts.full,
        detail: { trigger: opts.trigger ?? 'api', full: !!opts.full, ...(opts.jobId ? { job: opts.jobId } : {}) },
      });
    } catch (e) {
      if (e instanceof SessionBusy) return { code, status: 'busy', rowsRead: 0, rowsWritten: 0, error: `a sync of ${code} is already running`, seconds: seconds() };
      throw e;
    }
    const o = source.options;
    const http = new HttpClient({
      timeoutMs: intOption(o, 'timeoutMs', DEFAULT_HTTP.timeoutMs),
      retries: intOption(o, 'retries', DEFAULT_HTTP.retries),
      retryBaseMs: intOption(o, 'retryBaseMs', DEFAULT_HTTP.retryBaseMs),
      retryMaxMs: intOption(o, 'retryMaxMs', DEFAULT_HTTP.retryMaxMs),
    });
    const log = this.log.child({ source: code, run: session.runId });
    log.info({ full: !!opts.full, trigger: opts.trigger }, 'sync started');
    try {
      await this.sql.query('UPDATE source SET last_attempt_at = now() WHERE id = $1', [row.id]);
      const result = await kind.create().run({
        source: { ...source, id: row.id },
        session,
        http,
        state: opts.full ? {} : row.sync_state ?? {},
        full: !!opts.full,
        credential: (name) => credentialOf(source, name, this.env),
        progress: (p) => opts.onProgress?.(code, p),
        log,
      });
      const committed = await session.commit({
        // The cursor moves with the data it covers: both or neither.
        before: (tx) => tx.query('UPDATE source SET sync_state = $2 WHERE id = $1', [row.id, JSON.stringify(result.state)]).then(() => undefined),
        detail: { ...result.detail, http: http.stats },
        deferRollups: opts.deferRollups,
      });
      // Committed: the run succeeded even if the database goes away before its source says so.
      await this.sql
        .query(
          `UPDATE source SET status = 'healthy', last_success_at = now(), last_rows = $2, last_error = NULL, consecutive_failures = 0 WHERE id = $1`,
          [row.id, committed.rowsRead],
        )
        .catch((e: unknown) => log.warn({ err: describe(e) }, 'could not mark the source healthy after its run committed'));
      log.info({ rowsRead: committed.rowsRead, rowsWritten: committed.rowsWritten, seconds: seconds() }, 'sync succeeded');
      return { code, status: 'succeeded', runId: session.runId, rowsRead: committed.rowsRead, rowsWritten: committed.rowsWritten, seconds: seconds() };
    } catch (e) {
      const rejected = e instanceof BatchRejected;
      const reason = rejected
        ? `rejected, nothing written: ${e.total} problem(s): ${e.problems.slice(0, 3).map((p) => `${p.field}: ${p.reason}`).join('; ')}`
        : `failed, nothing written: ${e instanceof DatabaseUnavailable ? lostConnectionText(e) : e instanceof Error ? e.message : String(e)}`;
      // The transaction is rolled back whatever happens next. Recording the failure needs the
      // database, which may be the thing that failed: then the run stays RUNNING until the
      // abandoned-run sweep closes it (its backend is gone) and counts it against the source.
      try {
        if (await session.fail(e, { http: http.stats })) {
          await this.sql.query(
            `UPDATE source SET consecutive_failures = consecutive_failures + 1, last_error = $2,
               status = (CASE WHEN consecutive_failures + 1 >= $3 THEN 'failing' ELSE 'degraded' END)::source_status
             WHERE id = $1`,
            [row.id, reason.slice(0, 2000), intOption(o, 'failingAfter', FAILING_AFTER)],
          );
        }
      } catch (recordError) {
        log.warn({ err: describe(recordError) }, 'could not record the failed run; the abandoned-run sweep will close it');
      }
      log.warn({ err: e instanceof Error ? e.message : String(e), seconds: seconds() }, 'sync did not succeed');
      return { code, status: rejected ? 'rejected' : 'failed', runId: session.runId, rowsRead: session.rowsRead, rowsWritten: 0, error: reason, seconds: seconds() };
    }
  }
}
