import { refreshRollups, RollupRefreshResult } from '../aggregates/rollup.service';
import { describe } from '../db/database-health';
import { Sql, SqlClient } from '../db/sql';
import type { Metrics } from '../observability/metrics';
import { Logger } from '../server/logger';

/**
 * The ingest core owns when the aggregate rollups follow the facts (no other module refreshes
 * them): a run refreshes the cells it touched in its own transaction (refreshInRun, called by
 * IngestSession.commit), unless it is part of a bulk of runs, which defer to one refresh at the
 * end (refreshDeferredRollups: syncAll, `npm run sync` of several sources, benches). Each refresh
 * rescans the facts of the provinces touched, which dominated bulk first loads (bench:sync);
 * until a refresh, stale cells stay listed in rollup_dirty and aggregates read the base tables
 * for them, so deferring never gives a wrong answer.
 */
export async function refreshInRun(tx: SqlClient, metrics?: Metrics): Promise<RollupRefreshResult> {
  const r = await refreshRollups(tx);
  metrics?.rollupRefresh('run', r.ms / 1000);
  return r;
}

/**
 * The deferred refresh after a bulk of runs, in its own transaction. Given a logger, a failure is
 * logged and undefined returned (the stale cells stay listed: the next refresh takes them);
 * without one (a CLI, a bench), it is thrown for the caller to report.
 */
export async function refreshDeferredRollups(sql: Sql, log?: Logger, metrics?: Metrics): Promise<RollupRefreshResult | undefined> {
  try {
    const r = await refreshRollups(sql);
    metrics?.rollupRefresh('deferred', r.ms / 1000);
    log?.info({ filingRows: r.filingRows, stockRows: r.stockRows, ms: r.ms }, 'aggregate rollups refreshed');
    return r;
  } catch (e) {
    if (!log) throw e;
    log.warn({ err: describe(e) }, 'aggregate rollup refresh failed; the next sync refreshes them');
    return undefined;
  }
}
