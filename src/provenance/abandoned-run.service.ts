import { Sql, SqlClient } from '../db/sql';

/** The backend that holds a run's transaction: the sweep knows the run is alive while it is. */
export interface RunBackend {
  pid: number;
  /** As text: microseconds survive the round trip. */
  backendStart: string | null;
}

/** The backend of `tx`'s connection, to record on the run that transaction writes. */
export async function currentBackend(tx: SqlClient): Promise<RunBackend> {
  const [b] = await tx.query<{ pid: number; backend_start: string | null }>(
    'SELECT pg_backend_pid() AS pid, (SELECT backend_start::text FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS backend_start',
  );
  return { pid: b.pid, backendStart: b.backend_start };
}

/** Why an abandoned run was closed: on the run (error) and its source (lastError). */
export const ABANDONED_REASON =
  'abandoned: the process running it stopped (crash, kill or lost database connection) before it finished; its transaction died with it, so nothing was written';

export interface AbandonedRun {
  id: number;
  sourceId: number;
  sourceCode: string;
  kind: string;
}

/** Runs still RUNNING whose backend is gone (see closeAbandonedRuns), as a condition on `ingest_run r`. */
const ABANDONED = `r.status = 'running'
         AND CASE WHEN r.backend_pid IS NULL THEN r.started_at < pg_postmaster_start_time()
                  ELSE NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                                   WHERE a.pid = r.backend_pid AND (a.backend_start = r.backend_start OR a.backend_start IS NULL OR r.backend_start IS NULL)) END`;

/**
 * Closes the runs left RUNNING by a process that died, as 'abandoned' with the reason, and marks
 * their sources (of syncs) degraded, or failing after `failingAfter` failures in a row (the
 * source's own failingAfter option wins), one failure per abandoned run.
 *
 * A run is abandoned when the backend that held its transaction is gone: no session in
 * pg_stat_activity with its pid and start (pids are reused; a backend_start we may not see,
 * another role's, counts as alive). A run without a recorded backend (a pushed batch, or one from
 * before this was recorded) is abandoned only when it started before the server did, since no
 * transaction survives a restart. Safe beside live runs and other sweepers: rows are locked and
 * skipped if another sweep holds them, and a run closes once.
 */
export async function closeAbandonedRuns(sql: Sql, opts: { failingAfter: number }): Promise<AbandonedRun[]> {
  // A read-only look first: nearly every sweep finds nothing, and the closing statement's UPDATE of
  // `source` bumps the data version even when it updates no row (statement triggers fire for zero
  // rows: Migration20261206000000_data_version), which emptied every response cache once a minute
  // (bench:cache: the hit rate fell at each ABANDONED_RUN_CHECK_MS tick).
  const [{ any }] = await sql.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ingest_run r WHERE ${ABANDONED}) AS any`);
  if (!any) return [];
  return sql.query<AbandonedRun>(
    `WITH dead AS (
       SELECT r.id FROM ingest_run r
       WHERE ${ABANDONED}
       FOR UPDATE SKIP LOCKED
     ), closed AS (
       UPDATE ingest_run r SET status = 'abandoned', finished_at = now(), error = $1
       FROM dead WHERE r.id = dead.id AND r.status = 'running'
       RETURNING r.id, r.source_id, r.kind
     ), failures AS (
       SELECT source_id, count(*)::int AS n FROM closed WHERE kind = 'sync' GROUP BY source_id
     ), degraded AS (
       UPDATE source s SET consecutive_failures = s.consecutive_failures + f.n, last_error = $1,
         status = (CASE WHEN s.consecutive_failures + f.n >= coalesce((s.options->>'failingAfter')::int, $2) THEN 'failing' ELSE 'degraded' END)::source_status
       FROM failures f WHERE s.id = f.source_id
       RETURNING s.id
     )
     SELECT c.id, c.source_id AS "sourceId", s.code AS "sourceCode", c.kind::text AS kind
     FROM closed c JOIN source s ON s.id = c.source_id ORDER BY c.id`,
    [ABANDONED_REASON, opts.failingAfter],
  );
}
