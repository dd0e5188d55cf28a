import { Caller } from '../auth/api-key.service';
import { YearRange } from '../common/calendar';
import { Sql } from '../db/sql';
import type { Metrics } from '../observability/metrics';
import { Batch, batchSize } from './batch';
import { UnitScope } from './code-resolver';
import { IngestSession, SessionResult } from './ingest-session';

export { BatchRejected } from './ingest-problems';

export interface IngestOptions {
  /** Source the facts are recorded under (its precedence decides conflicts). */
  sourceId: number;
  kind: 'push' | 'import' | 'sync';
  /** The integrator, for scope checks; undefined for trusted local callers (CLI, connectors). */
  caller?: Caller;
  maxRows: number;
  /** Years accepted in dates and months (config MIN_YEAR / MAX_YEAR); the default configuration's when absent. */
  years?: YearRange;
  detail?: Record<string, unknown>;
}

export type IngestResult = SessionResult;

/** What an API key may write, as the ingest core checks it: its units (with everything below) and, unless allowed, no catalogue. */
export function callerScope(caller: Caller): UnitScope {
  return {
    unitCodes: caller.unitCodes,
    outside: `the scope of key ${caller.name}`,
    catalogueDenied: caller.catalogue ? undefined : `the key ${caller.name} may not write the procedure catalogue`,
  };
}

/**
 * A whole batch (integrator push, JSON file import) through the ingest core: one session, the
 * batch staged as its only chunk, committed. Rejected whole with every problem listed
 * (BatchRejected: kind 'forbidden' when every problem is one of the key's scope or permission,
 * else 'invalid'), or written whole in one transaction.
 */
export class IngestService {
  constructor(
    private readonly sql: Sql,
    private readonly metrics?: Metrics,
  ) {}

  async ingest(batch: Batch, opts: IngestOptions): Promise<IngestResult> {
    const session = await IngestSession.open(this.sql, {
      sourceId: opts.sourceId,
      kind: opts.kind,
      scope: opts.caller ? callerScope(opts.caller) : undefined,
      years: opts.years,
      maxRows: opts.maxRows,
      errors: 'public',
      metrics: this.metrics,
      detail: { ...opts.detail, apiKey: opts.caller?.name },
    });
    try {
      session.rowsRead = typeof batch === 'object' && batch !== null ? batchSize(batch) : 0;
      await session.stage(batch, { last: true });
      if (session.rowsStaged === 0 && session.problemCount === 0) session.problem('batch', 'is empty: no rows in any section');
      return await session.commit();
    } catch (e) {
      await session.fail(e).catch(() => undefined); // the database may be the reason: the sweep closes the run then
      throw e;
    }
  }
}
