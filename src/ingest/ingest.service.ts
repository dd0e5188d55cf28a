import { refreshRollups } from '../aggregates/rollup.service';
import { Caller, unitsOutOfScope } from '../auth/api-key.service';
import { YearRange } from '../common/calendar';
import { FieldProblem } from '../common/errors';
import { DatabaseUnavailable } from '../db/database-health';
import { Sql, SqlClient } from '../db/sql';
import { UNIT_INDEX_COLUMNS, UnitCodeIndex } from '../units/unit-validity';
import { Batch, batchSize, FilingRow, PlanRow, ServiceLevelRow } from './batch';
import { MAX_PROBLEMS, validateBatch } from './batch.validator';
import { FILING_TABLE, lockFactScope, PLAN_TABLE, RunContext, SERVICE_LEVEL_TABLE, upsertFacts, UpsertCounts } from './fact-upsert';

/** Why a batch was refused: each problem names the row and field. Nothing of the batch was written. */
export class BatchRejected extends Error {
  constructor(
    readonly kind: 'invalid' | 'forbidden',
    readonly problems: FieldProblem[],
    readonly total: number,
    readonly runId?: number,
  ) {
    super(`${kind === 'invalid' ? 'Batch rejected' : 'Batch outside the API key scope'}: ${total} problem(s)`);
  }
}

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

export interface IngestResult {
  runId: number;
  rowsRead: number;
  sectors: number;
  procedures: number;
  services: UpsertCounts;
  filings: UpsertCounts;
  plans: UpsertCounts;
  /** Rows inserted or changed across all sections. */
  rowsWritten: number;
}

const firstOfMonth = (m: string) => `${m}-01`;
const planDate = (p: PlanRow) => p.issuedOn ?? p.dueOn ?? `${p.year}-01-01`;

/**
 * The one write path for facts: integrator pushes, file imports and connector syncs all come
 * through here. A batch is validated whole, then written in one transaction with set-based
 * upserts, or not at all.
 */
export class IngestService {
  constructor(private readonly sql: Sql) {}

  async ingest(batch: Batch, opts: IngestOptions): Promise<IngestResult> {
    const rowsRead = batchSize(batch ?? {});
    const shape = validateBatch(batch, { maxRows: opts.maxRows, years: opts.years });
    if (shape.total > 0) throw await this.reject('invalid', shape.problems, shape.total, opts, rowsRead);

    const refs = await this.resolve(batch, opts);
    if (refs.problems.length > 0) throw await this.reject(refs.kind, refs.problems, refs.total, opts, rowsRead);

    let runId: number | undefined;
    // The run row is committed on its own, before the transaction and on its connection (a failed
    // batch keeps its record; no second connection is borrowed), and names that connection's
    // backend: if this process dies mid-write, the abandoned-run sweep closes the run.
    const openRun = async (c: SqlClient) => {
      const [run] = await c.query<{ id: number }>(
        `INSERT INTO ingest_run (source_id, kind, status, rows_read, detail, backend_pid, backend_start)
         VALUES ($1, $2, 'running', $3, $4, pg_backend_pid(), (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid())) RETURNING id`,
        [opts.sourceId, opts.kind, rowsRead, JSON.stringify({ ...opts.detail, apiKey: opts.caller?.name })],
      );
      runId = run.id;
    };
    try {
      const result = await this.sql.transaction(async (tx) => {
        const run = { id: runId! }; // set by openRun, which ran first on this connection
        const [src] = await tx.query<{ precedence: number }>('SELECT precedence FROM source WHERE id = $1', [opts.sourceId]);
        const ctx: RunContext = { runId: run.id, sourceId: opts.sourceId, precedence: src.precedence };
        const written = await this.write(tx, batch, refs, ctx);
        // Keep the aggregate rollups exact: recompute the cells this batch touched, in the same transaction.
        await refreshRollups(tx);
        await tx.query(
          `UPDATE ingest_run SET status = 'succeeded', finished_at = clock_timestamp(), rows_written = $2 WHERE id = $1`,
          [run.id, written.rowsWritten],
        );
        return { runId: run.id, written };
      }, { beforeBegin: openRun });
      return { runId: result.runId, rowsRead, ...result.written };
    } catch (e) {
      if (runId !== undefined) {
        // The run's error is public (ingestRuns): it says what happened, not the driver's words,
        // which the caller's error log keeps.
        const reason = e instanceof DatabaseUnavailable ? 'the database became unavailable' : 'an internal error stopped it (details in the gateway log)';
        await this.sql.query(`UPDATE ingest_run SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1`, [runId, `failed, nothing written: ${reason}`])
          .catch(() => undefined); // the database may be the reason: the sweep closes the run then
      }
      throw e;
    }
  }

  /** Records the refused run (for the source's history) and builds the error. */
  private async reject(kind: 'invalid' | 'forbidden', problems: FieldProblem[], total: number, opts: IngestOptions, rowsRead: number) {
    const [run] = await this.sql.query<{ id: number }>(
      `INSERT INTO ingest_run (source_id, kind, status, finished_at, rows_read, rows_rejected, error, detail)
       VALUES ($1, $2, 'rejected', now(), $3, $4, $5, $6) RETURNING id`,
      [opts.sourceId, opts.kind, rowsRead, total, problems.slice(0, 20).map((p) => `${p.field}: ${p.reason}`).join('\n'), JSON.stringify({ ...opts.detail, apiKey: opts.caller?.name })],
    );
    return new BatchRejected(kind, problems, total, run.id);
  }

  /** Resolves unit and procedure codes to ids and checks the caller's scope; read-only. */
  private async resolve(batch: Batch, opts: IngestOptions) {
    const problems: FieldProblem[] = [];
    let total = 0;
    const add = (field: string, reason: string) => {
      total += 1;
      if (problems.length < MAX_PROBLEMS) problems.push({ field, reason });
    };
    const services = batch.services ?? [];
    const filings = batch.filings ?? [];
    const plans = batch.plans ?? [];

    const unitCodes = new Set<string>();
    for (const r of [...services, ...filings, ...plans]) unitCodes.add(r.unit);
    const units = new UnitCodeIndex(unitCodes.size === 0 ? [] : await this.sql.query<{ id: number; code: string; validFrom: string | null; validTo: string | null }>(
      `SELECT ${UNIT_INDEX_COLUMNS} FROM unit u WHERE u.code = ANY($1)`, [[...unitCodes]]));

    const procCodes = new Set<string>([...services, ...filings].map((r) => r.procedure));
    const procedures = new Map<string, number>();
    if (procCodes.size > 0) {
      const rows = await this.sql.query<{ id: number; code: string }>('SELECT id, code FROM procedure WHERE code = ANY($1)', [[...procCodes]]);
      for (const r of rows) procedures.set(r.code, r.id);
    }
    const batchProcedures = new Set((batch.procedures ?? []).map((p) => p.code));
    const sectorCodes = new Set((batch.sectors ?? []).map((s) => s.code));
    const neededSectors = [...new Set((batch.procedures ?? []).map((p) => p.sector))].filter((c) => !sectorCodes.has(c));
    const knownSectors = new Set<string>();
    if (neededSectors.length > 0) {
      const rows = await this.sql.query<{ code: string }>('SELECT code FROM sector WHERE code = ANY($1)', [neededSectors]);
      for (const r of rows) knownSectors.add(r.code);
    }
    (batch.procedures ?? []).forEach((p, i) => {
      if (!sectorCodes.has(p.sector) && !knownSectors.has(p.sector)) add(`procedures[${i}].sector`, `unknown sector code ${p.sector}`);
    });

    const check = (section: string, rows: { unit: string; procedure?: string }[], dateOf: (i: number) => string) => {
      const ids: (number | undefined)[] = [];
      rows.forEach((r, i) => {
        const date = dateOf(i);
        const id = units.at(r.unit, date);
        if (id === undefined) {
          add(`${section}[${i}].unit`, units.knows(r.unit) ? `unit ${r.unit} did not exist on ${date}` : `unknown unit code ${r.unit}`);
        }
        if (r.procedure !== undefined && !procedures.has(r.procedure) && !batchProcedures.has(r.procedure)) {
          add(`${section}[${i}].procedure`, `unknown procedure code ${r.procedure}`);
        }
        ids.push(id);
      });
      return ids;
    };
    const serviceUnits = check('services', services, (i) => services[i].from);
    const filingUnits = check('filings', filings, (i) => firstOfMonth(filings[i].month));
    const planUnits = check('plans', plans, (i) => planDate(plans[i]));
    if (total > 0) return { kind: 'invalid' as const, problems, total, serviceUnits, filingUnits, planUnits, procedures };

    if (opts.caller) {
      const caller = opts.caller;
      if (!caller.catalogue) {
        if (batch.sectors?.length) add('sectors', `the key ${caller.name} may not write the procedure catalogue`);
        if (batch.procedures?.length) add('procedures', `the key ${caller.name} may not write the procedure catalogue`);
      }
      const all = [...serviceUnits, ...filingUnits, ...planUnits] as number[];
      const outside = await unitsOutOfScope(this.sql, caller, [...new Set(all)]);
      const flag = (section: string, rows: { unit: string }[], ids: (number | undefined)[]) =>
        ids.forEach((id, i) => {
          if (outside.has(id!)) add(`${section}[${i}].unit`, `unit ${rows[i].unit} is outside the scope of key ${caller.name} (${caller.unitCodes.join(', ')})`);
        });
      flag('services', services, serviceUnits);
      flag('filings', filings, filingUnits);
      flag('plans', plans, planUnits);
      if (total > 0) return { kind: 'forbidden' as const, problems, total, serviceUnits, filingUnits, planUnits, procedures };
    }
    return { kind: 'invalid' as const, problems, total, serviceUnits, filingUnits, planUnits, procedures };
  }

  private async write(
    tx: SqlClient,
    batch: Batch,
    refs: Awaited<ReturnType<IngestService['resolve']>>,
    ctx: RunContext,
  ): Promise<Omit<IngestResult, 'runId' | 'rowsRead'>> {
    const sectors = batch.sectors ?? [];
    let sectorCount = 0;
    if (sectors.length > 0) {
      const rows = await tx.query(
        `INSERT INTO sector (code, name, source_id, run_id) SELECT *, $3::int, $4::int FROM unnest($1::text[], $2::text[])
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, source_id = excluded.source_id, run_id = excluded.run_id, updated_at = now()
         WHERE sector.name IS DISTINCT FROM excluded.name RETURNING id`,
        [sectors.map((s) => s.code), sectors.map((s) => s.name), ctx.sourceId, ctx.runId],
      );
      sectorCount = rows.length;
    }
    const procs = batch.procedures ?? [];
    let procedureCount = 0;
    if (procs.length > 0) {
      const rows = await tx.query<{ id: number; code: string }>(
        `INSERT INTO procedure (code, name, sector_id, tier, eligible_full_online, essential, source_id, run_id)
         SELECT p.code, p.name, s.id, p.tier, p.eligible, p.essential, $7::int, $8::int
         FROM unnest($1::text[], $2::text[], $3::text[], $4::procedure_tier[], $5::bool[], $6::bool[])
           AS p(code, name, sector, tier, eligible, essential)
         JOIN sector s ON s.code = p.sector
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, sector_id = excluded.sector_id, tier = excluded.tier,
           eligible_full_online = excluded.eligible_full_online, essential = excluded.essential,
           source_id = excluded.source_id, run_id = excluded.run_id, updated_at = now()
         WHERE (procedure.name, procedure.sector_id, procedure.tier, procedure.eligible_full_online, procedure.essential)
           IS DISTINCT FROM (excluded.name, excluded.sector_id, excluded.tier, excluded.eligible_full_online, excluded.essential)
         RETURNING id, code`,
        [procs.map((p) => p.code), procs.map((p) => p.name), procs.map((p) => p.sector), procs.map((p) => p.tier),
          procs.map((p) => p.eligibleFullOnline ?? true), procs.map((p) => p.essential ?? false), ctx.sourceId, ctx.runId],
      );
      procedureCount = rows.length;
    }
    // Procedures the batch itself brought in get their ids now.
    const procedureIds = new Map(refs.procedures);
    const missing = [...new Set([...(batch.services ?? []), ...(batch.filings ?? [])].map((r) => r.procedure))].filter((c) => !procedureIds.has(c));
    if (missing.length > 0) {
      const rows = await tx.query<{ id: number; code: string }>('SELECT id, code FROM procedure WHERE code = ANY($1)', [missing]);
      for (const r of rows) procedureIds.set(r.code, r.id);
    }

    const units = [...new Set([...refs.serviceUnits, ...refs.filingUnits, ...refs.planUnits] as number[])];
    if (units.length > 0) await lockFactScope(tx, { unitIds: units });
    const services = await this.writeServices(tx, batch.services ?? [], refs.serviceUnits as number[], procedureIds, ctx);
    const filings = await upsertFacts(
      tx,
      FILING_TABLE,
      (batch.filings ?? []).map((r: FilingRow, i) => [
        firstOfMonth(r.month), refs.filingUnits[i], procedureIds.get(r.procedure), r.received, r.receivedOnline, r.receivedPostal ?? 0,
        r.resolvedOnTime ?? 0, r.resolvedLate ?? 0, r.withFee ?? 0, r.paidOnline ?? 0, r.syncedNational ?? 0,
      ]),
      ctx,
    );
    const plans = await upsertFacts(
      tx,
      PLAN_TABLE,
      (batch.plans ?? []).map((r, i) => [refs.planUnits[i], r.year, r.documentNumber ?? null, r.title ?? null, r.issuedOn ?? null, r.dueOn ?? null]),
      ctx,
    );
    const changed = (c: UpsertCounts) => c.inserted + c.updated;
    return {
      sectors: sectorCount,
      procedures: procedureCount,
      services,
      filings,
      plans,
      rowsWritten: sectorCount + procedureCount + changed(services) + changed(filings) + changed(plans),
    };
  }

  /** Creates the services a batch names (unit × procedure), then upserts their level reports. */
  private async writeServices(tx: SqlClient, rows: ServiceLevelRow[], unitIds: number[], procedureIds: Map<string, number>, ctx: RunContext) {
    if (rows.length === 0) return { inserted: 0, updated: 0, corrected: 0, outranked: 0 };
    const pairs = rows.map((r, i) => [unitIds[i], procedureIds.get(r.procedure)!] as const);
    const created = await tx.query<{ id: number; unit_id: number; procedure_id: number }>(
      `WITH pairs AS (SELECT DISTINCT * FROM unnest($1::int[], $2::int[]) AS p(unit_id, procedure_id)),
       ins AS (
         INSERT INTO service (unit_id, procedure_id, source_id, run_id) SELECT unit_id, procedure_id, $3, $4 FROM pairs
         ON CONFLICT (unit_id, procedure_id) DO NOTHING RETURNING id, unit_id, procedure_id
       )
       SELECT id, unit_id, procedure_id FROM ins
       UNION ALL
       SELECT s.id, s.unit_id, s.procedure_id FROM service s JOIN pairs p USING (unit_id, procedure_id)`,
      [pairs.map((p) => p[0]), pairs.map((p) => p[1]), ctx.sourceId, ctx.runId],
    );
    const serviceId = new Map(created.map((s) => [`${s.unit_id}/${s.procedure_id}`, s.id]));
    return upsertFacts(
      tx,
      SERVICE_LEVEL_TABLE,
      rows.map((r, i) => [serviceId.get(`${pairs[i][0]}/${pairs[i][1]}`), r.from, r.taxonomy, String(r.level), r.integratedNational ?? null]),
      ctx,
    );
  }
}
