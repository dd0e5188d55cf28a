import { PoolClient } from 'pg';
import { refreshRollups } from '../aggregates/rollup.service';
import { YearRange } from '../common/calendar';
import { FieldProblem } from '../common/errors';
import { DatabaseUnavailable, lostConnectionText } from '../db/database-health';
import { Sql, SqlClient } from '../db/sql';
import { validOnSql } from '../units/unit-validity';
import { currentBackend } from '../provenance/abandoned-run.service';
import { Batch, Section, SECTIONS } from './batch';
import { isDate, MAX_PROBLEMS, validateBatch } from './batch.validator';
import { applyFactStage, copyRows, createFactStage, FactTable, FILING_TABLE, lockFactScope, PLAN_TABLE, RunContext, SERVICE_LEVEL_TABLE, UpsertCounts } from './fact-upsert';
import { BatchRejected } from './ingest.service';

export interface SessionOptions {
  /** Source the facts are recorded under (its precedence decides conflicts). */
  sourceId: number;
  kind: 'push' | 'import' | 'sync';
  detail?: Record<string, unknown>;
  /** Unit codes the source may write, with everything below them; undefined or ['*']: any unit. */
  unitCodes?: string[];
  /** Taken with pg_try_advisory_xact_lock(hashtext(name), id) when the session opens; SessionBusy if another holds it. */
  lock?: { name: string; id: number };
  /** Value columns a source does not report, per section: current values are kept (see applyFactStage). */
  keepMissing?: Partial<Record<'services' | 'filings', string[]>>;
  /** Years accepted in dates and months (config MIN_YEAR / MAX_YEAR); the default configuration's when absent. */
  years?: YearRange;
  /** Most rows the session accepts over all sections (config MAX_BATCH_ROWS); unbounded when absent (connector syncs). */
  maxRows?: number;
}

export interface SessionResult {
  runId: number;
  rowsRead: number;
  /** Fact rows inserted or changed (catalogue included). */
  rowsWritten: number;
  sectors: number;
  procedures: number;
  services: UpsertCounts;
  filings: UpsertCounts;
  plans: UpsertCounts;
}

/**
 * Interchange rows, each optionally with `unitAt`: the date at which to read its unit code when
 * the fact's own date would name another unit (a connector that knows the agency's validity, e.g.
 * a late plan of old Long An issued after the 2025 reform, when code 80 is the new Tây Ninh).
 */
export type StagedBatch = { [S in Section]?: (NonNullable<Batch[S]>[number] & { unitAt?: string })[] };

/** Another session holds the lock asked for (e.g. the same source is being synced elsewhere). */
export class SessionBusy extends Error {}

const zero = (): UpsertCounts => ({ inserted: 0, updated: 0, corrected: 0, outranked: 0 });
const add = (a: UpsertCounts, b: UpsertCounts) => {
  a.inserted += b.inserted;
  a.updated += b.updated;
  a.corrected += b.corrected;
  a.outranked += b.outranked;
};

/** Staging tables of the code-level sections (codes are resolved in SQL when the session applies). */
const STAGES: Record<Section, { table: string; columns: string }> = {
  sectors: { table: 'stg_sectors', columns: 'seq int, code text, name text' },
  procedures: { table: 'stg_procedures', columns: 'seq int, code text, name text, sector text, tier procedure_tier, eligible boolean, essential boolean' },
  services: { table: 'stg_services', columns: 'seq int, unit text, unit_at date, procedure text, taxonomy level_taxonomy, level text, valid_from date, integrated_national boolean' },
  filings: {
    table: 'stg_filings',
    columns: 'seq int, unit text, unit_at date, procedure text, month date, received int, received_online int, received_postal int, resolved_on_time int, resolved_late int, with_fee int, paid_online int, synced_national int',
  },
  plans: { table: 'stg_plans', columns: 'seq int, unit text, unit_at date, year smallint, document_number text, title text, issued_on date, due_on date' },
};

/**
 * A streaming ingest: one transaction opened at the start, rows staged chunk by chunk (each
 * chunk validated by the batch rules, then COPYed into temporary tables), and everything applied
 * at the end with the same set-based upserts, precedence and revisions as a pushed batch. Memory
 * stays bounded by a chunk; a session that fails or is rejected writes nothing (its run is
 * recorded, outside the transaction, with the reason).
 */
export class IngestSession {
  rowsRead = 0;
  private readonly problems: FieldProblem[] = [];
  private problemTotal = 0;
  private readonly staged: Record<Section, number> = { sectors: 0, procedures: 0, services: 0, filings: 0, plans: 0 };
  private readonly result: Omit<SessionResult, 'runId' | 'rowsRead' | 'rowsWritten'> = { sectors: 0, procedures: 0, services: zero(), filings: zero(), plans: zero() };
  private applied = false;
  private done = false;

  private constructor(
    private readonly sql: Sql,
    private readonly client: PoolClient,
    /** The session's transaction, for connector-specific staging (e.g. dossiers). */
    readonly tx: SqlClient,
    readonly run: RunContext,
    private readonly opts: SessionOptions,
  ) {}

  get runId(): number {
    return this.run.runId;
  }

  static async open(sql: Sql, opts: SessionOptions): Promise<IngestSession> {
    const client = await sql.connect();
    const tx = new SqlClient(client, sql.health);
    try {
      await tx.query('BEGIN');
      if (opts.lock) {
        const [got] = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1), $2) AS ok', [opts.lock.name, opts.lock.id]);
        if (!got.ok) throw new SessionBusy(`${opts.lock.name} ${opts.lock.id} is held by another session`);
      }
      const [src] = await tx.query<{ precedence: number }>('SELECT precedence FROM source WHERE id = $1', [opts.sourceId]);
      if (!src) throw new Error(`unknown source id ${opts.sourceId}`);
      // The backend holding this transaction, by pid and start (as text: microseconds survive);
      // if this process dies, that backend goes and the abandoned-run sweep closes the run.
      const backend = await currentBackend(tx);
      // The run row is committed on its own, so a failed or rejected session still leaves its record.
      const [run] = await sql.query<{ id: number }>(
        `INSERT INTO ingest_run (source_id, kind, status, detail, backend_pid, backend_start) VALUES ($1, $2, 'running', $3, $4, $5::timestamptz) RETURNING id`,
        [opts.sourceId, opts.kind, JSON.stringify(opts.detail ?? {}), backend.pid, backend.backendStart],
      );
      return new IngestSession(sql, client, tx, { runId: run.id, sourceId: opts.sourceId, precedence: src.precedence }, opts);
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      throw e;
    }
  }

  /** Records a problem found by the connector itself (the session will be rejected). */
  problem(field: string, reason: string): void {
    this.problemTotal += 1;
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ field, reason });
  }

  get problemCount(): number {
    return this.problemTotal;
  }

  /** Throws BatchRejected when any problem was found so far. */
  assertValid(): void {
    if (this.problemTotal > 0) throw new BatchRejected('invalid', this.problems, this.problemTotal, this.runId);
  }

  /**
   * Validates a chunk of interchange rows by the batch rules and stages it. Row numbers in
   * problems count from the session's first row of that section. (Connectors count what they
   * read in rowsRead themselves: one upstream record may give several rows, or none.)
   */
  async stage(chunk: StagedBatch): Promise<void> {
    for (const section of SECTIONS) {
      const rows = chunk[section];
      if (!rows || rows.length === 0) continue;
      const offset = this.staged[section];
      this.staged[section] += rows.length;
      this.checkSize();
      const shape = validateBatch({ [section]: rows }, { maxRows: Number.MAX_SAFE_INTEGER, years: this.opts.years });
      const badAt = (rows as { unitAt?: unknown }[]).findIndex((r) => r.unitAt !== undefined && !isDate(r.unitAt));
      if (badAt >= 0) this.problem(`${section}[${offset + badAt}].unitAt`, 'must be a date YYYY-MM-DD');
      if (shape.total > 0) {
        const shift = (s: string) => s.replace(new RegExp(`\\b${section}\\[(\\d+)\\]`, 'g'), (_m, i: string) => `${section}[${offset + Number(i)}]`);
        for (const p of shape.problems) this.problem(shift(p.field), shift(p.reason));
        this.problemTotal += shape.total - shape.problems.length;
        continue;
      }
      if (this.problemTotal > 0) continue; // the session will be rejected: staging more is wasted work
      await this.ensureStage(section);
      await copyRows(this.tx, STAGES[section].table, ['seq', ...STAGES[section].columns.split(', ').slice(1).map((c) => c.split(' ')[0])], toStageRows(section, rows as never[], offset));
    }
  }

  private oversize = false;
  /** Flags the session once it holds more rows than maxRows (a file import's MAX_BATCH_ROWS). */
  private checkSize(): void {
    const size = SECTIONS.reduce((n, s) => n + this.staged[s], 0);
    if (this.opts.maxRows === undefined || this.oversize || size <= this.opts.maxRows) return;
    this.oversize = true;
    this.problem('batch', `has more than ${this.opts.maxRows} rows, the limit: split it`);
  }

  private readonly created = new Set<Section>();
  private async ensureStage(section: Section): Promise<void> {
    if (this.created.has(section)) return;
    await this.tx.query(`CREATE TEMP TABLE ${STAGES[section].table} (${STAGES[section].columns}) ON COMMIT DROP`);
    this.created.add(section);
  }

  private scopeLocked = false;
  /** The fact locks of the source's scope, at the first write (the streaming before it holds none). */
  private async lockScope(): Promise<void> {
    if (this.scopeLocked) return;
    this.scopeLocked = true;
    const codes = this.opts.unitCodes;
    await lockFactScope(this.tx, codes && codes.length > 0 ? { unitCodes: codes } : 'all');
  }

  /** Applies rows already resolved to ids and staged in `tmp` (see createFactStage) to a fact table. */
  async applyFacts(spec: FactTable, tmp: string): Promise<UpsertCounts> {
    await this.lockScope();
    const counts = await applyFactStage(this.tx, spec, tmp, this.run);
    const target = spec === FILING_TABLE ? this.result.filings : spec === PLAN_TABLE ? this.result.plans : this.result.services;
    add(target, counts);
    return counts;
  }

  /** Resolves and writes everything staged with stage(); throws BatchRejected listing every problem. */
  async applyStaged(): Promise<void> {
    if (this.applied) return;
    this.applied = true;
    this.assertValid();
    const tx = this.tx;
    const { sourceId, runId } = this.run;
    if (this.created.has('sectors')) {
      await this.duplicates('sectors', 'code', 'code');
      this.assertValid();
      const rows = await tx.query(
        `INSERT INTO sector (code, name, source_id, run_id) SELECT code, name, $1::int, $2::int FROM stg_sectors
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, source_id = excluded.source_id, run_id = excluded.run_id, updated_at = now()
         WHERE sector.name IS DISTINCT FROM excluded.name RETURNING id`,
        [sourceId, runId],
      );
      this.result.sectors += rows.length;
    }
    if (this.created.has('procedures')) {
      await this.duplicates('procedures', 'code', 'code');
      const unknown = await tx.query<{ seq: number; sector: string }>(
        `SELECT seq, sector FROM stg_procedures p WHERE NOT EXISTS (SELECT 1 FROM sector s WHERE s.code = p.sector) ORDER BY seq LIMIT ${MAX_PROBLEMS}`,
      );
      for (const r of unknown) this.problem(`procedures[${r.seq}].sector`, `unknown sector code ${r.sector}`);
      this.assertValid();
      const rows = await tx.query(
        `INSERT INTO procedure (code, name, sector_id, tier, eligible_full_online, essential, source_id, run_id)
         SELECT p.code, p.name, s.id, p.tier, coalesce(p.eligible, true), coalesce(p.essential, false), $1::int, $2::int
         FROM stg_procedures p JOIN sector s ON s.code = p.sector
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, sector_id = excluded.sector_id, tier = excluded.tier,
           eligible_full_online = excluded.eligible_full_online, essential = excluded.essential,
           source_id = excluded.source_id, run_id = excluded.run_id, updated_at = now()
         WHERE (procedure.name, procedure.sector_id, procedure.tier, procedure.eligible_full_online, procedure.essential)
           IS DISTINCT FROM (excluded.name, excluded.sector_id, excluded.tier, excluded.eligible_full_online, excluded.essential)
         RETURNING id`,
        [sourceId, runId],
      );
      this.result.procedures += rows.length;
    }
    // Resolve every section's codes and check them all before writing facts, so one rejection lists every problem.
    const sections = (['services', 'filings', 'plans'] as const).filter((s) => this.created.has(s));
    for (const s of sections) await this.resolve(s);
    this.assertValid();
    if (sections.length > 0) await this.lockScope();

    if (sections.includes('services')) {
      await tx.query(
        `INSERT INTO service (unit_id, procedure_id, source_id, run_id)
         SELECT DISTINCT unit_id, procedure_id, $1::int, $2::int FROM res_services ON CONFLICT (unit_id, procedure_id) DO NOTHING`,
        [sourceId, runId],
      );
      const tmp = await createFactStage(tx, SERVICE_LEVEL_TABLE);
      await tx.query(
        `INSERT INTO ${tmp} (service_id, valid_from, taxonomy, level, integrated_national)
         SELECT sv.id, r.valid_from, r.taxonomy, r.level, r.integrated_national FROM res_services r JOIN service sv USING (unit_id, procedure_id)`,
      );
      add(this.result.services, await applyFactStage(tx, SERVICE_LEVEL_TABLE, tmp, this.run, { keepMissing: this.opts.keepMissing?.services }));
    }
    if (sections.includes('filings')) {
      const keep = new Set(this.opts.keepMissing?.filings ?? []);
      const count = (c: string) => (keep.has(c) ? c : `coalesce(${c}, 0)`);
      const tmp = await createFactStage(tx, FILING_TABLE);
      await tx.query(
        `INSERT INTO ${tmp} (month, unit_id, procedure_id, received, received_online, received_postal, resolved_on_time, resolved_late, with_fee, paid_online, synced_national)
         SELECT month, unit_id, procedure_id, received, received_online, ${['received_postal', 'resolved_on_time', 'resolved_late', 'with_fee', 'paid_online', 'synced_national'].map(count).join(', ')}
         FROM res_filings`,
      );
      add(this.result.filings, await applyFactStage(tx, FILING_TABLE, tmp, this.run, { keepMissing: [...keep] }));
    }
    if (sections.includes('plans')) {
      const tmp = await createFactStage(tx, PLAN_TABLE);
      await tx.query(
        `INSERT INTO ${tmp} (unit_id, year, document_number, title, issued_on, due_on)
         SELECT unit_id, year, document_number, title, issued_on, due_on FROM res_plans`,
      );
      add(this.result.plans, await applyFactStage(tx, PLAN_TABLE, tmp, this.run));
    }
  }

  /** Flags staged rows whose key repeats (across chunks; within a chunk the validator already did). */
  private async duplicates(section: Section, keyExpr: string, label: string, table = STAGES[section].table): Promise<void> {
    const rows = await this.tx.query<{ first: number; seqs: number[]; key: string }>(
      `SELECT min(seq) AS first, (array_agg(seq ORDER BY seq))[2:] AS seqs, ${label}::text AS key FROM ${table}
       GROUP BY ${keyExpr} HAVING count(*) > 1 ORDER BY 1 LIMIT ${MAX_PROBLEMS}`,
    );
    for (const r of rows) for (const s of r.seqs) this.problem(`${section}[${s}]`, `duplicates ${section}[${r.first}] (same key ${r.key})`);
  }

  /** Resolves unit codes at the fact's date and procedure codes into res_<section>, recording problems. */
  private async resolve(section: 'services' | 'filings' | 'plans'): Promise<void> {
    const stage = STAGES[section].table;
    const res = `res_${section}`;
    const date = `coalesce(s.unit_at, ${section === 'services' ? 's.valid_from' : section === 'filings' ? 's.month' : 'coalesce(s.issued_on, s.due_on, make_date(s.year, 1, 1))'})`;
    const withProcedure = section !== 'plans';
    await this.tx.query(
      `CREATE TEMP TABLE ${res} ON COMMIT DROP AS
       SELECT s.*, ${date} AS fact_date, u.id AS unit_id${withProcedure ? ', p.id AS procedure_id' : ''}
       FROM ${stage} s
       LEFT JOIN unit u ON u.code = s.unit AND ${validOnSql(date, 'u')}
       ${withProcedure ? 'LEFT JOIN procedure p ON p.code = s.procedure' : ''}`,
    );
    const bad = await this.tx.query<{ seq: number; unit: string; procedure?: string; fact_date: string; no_unit: boolean; no_proc: boolean; code_known: boolean }>(
      `SELECT r.seq, r.unit, ${withProcedure ? 'r.procedure' : 'NULL AS procedure'}, to_char(r.fact_date, 'YYYY-MM-DD') AS fact_date,
              r.unit_id IS NULL AS no_unit, ${withProcedure ? 'r.procedure_id IS NULL' : 'false'} AS no_proc,
              EXISTS (SELECT 1 FROM unit u WHERE u.code = r.unit) AS code_known
       FROM ${res} r WHERE r.unit_id IS NULL ${withProcedure ? 'OR r.procedure_id IS NULL' : ''} ORDER BY r.seq LIMIT ${MAX_PROBLEMS}`,
    );
    for (const b of bad) {
      if (b.no_unit) this.problem(`${section}[${b.seq}].unit`, b.code_known ? `unit ${b.unit} did not exist on ${b.fact_date}` : `unknown unit code ${b.unit}`);
      if (b.no_proc) this.problem(`${section}[${b.seq}].procedure`, `unknown procedure code ${b.procedure}`);
    }
    if (bad.length > 0) return;
    const key = section === 'services' ? 'unit_id, procedure_id, valid_from' : section === 'filings' ? 'month, unit_id, procedure_id' : 'unit_id, year';
    const label = section === 'services' ? `unit || '/' || procedure || '/' || valid_from` : section === 'filings' ? `unit || '/' || procedure || '/' || to_char(month, 'YYYY-MM')` : `unit || '/' || year`;
    await this.duplicates(section, key, `min(${label})`, res);
    const codes = this.opts.unitCodes;
    if (codes && codes.length > 0 && !codes.includes('*')) {
      // In scope: the unit, or a unit above it, has one of the source's codes.
      const outside = await this.tx.query<{ seq: number; unit: string }>(
        `WITH RECURSIVE up(start_id, id, parent_id, code) AS (
           SELECT u.id, u.id, u.parent_id, u.code FROM unit u WHERE u.id IN (SELECT DISTINCT unit_id FROM ${res})
           UNION ALL
           SELECT up.start_id, p.id, p.parent_id, p.code FROM up JOIN unit p ON p.id = up.parent_id
         ), outside AS (SELECT start_id FROM up GROUP BY start_id HAVING NOT bool_or(code = ANY($1)))
         SELECT r.seq, r.unit FROM ${res} r JOIN outside o ON o.start_id = r.unit_id ORDER BY r.seq LIMIT ${MAX_PROBLEMS}`,
        [codes],
      );
      for (const o of outside) this.problem(`${section}[${o.seq}].unit`, `unit ${o.unit} is outside the units this source covers (${codes.join(', ')})`);
    }
  }

  /**
   * Applies what is staged (if not done yet), runs `before` in the transaction (e.g. saving the
   * source's cursor with its data), marks the run succeeded and commits.
   */
  async commit(opts: { before?: (tx: SqlClient) => Promise<void>; rowsWritten?: number; detail?: Record<string, unknown>; deferRollups?: boolean } = {}): Promise<SessionResult> {
    await this.applyStaged();
    // The aggregate rollups follow the facts, in the same transaction (as for a pushed batch),
    // unless the caller refreshes them once after a bulk of runs (aggregates read the base tables
    // while rollup_dirty lists stale cells, so a deferred refresh never gives wrong answers).
    if (!opts.deferRollups) await refreshRollups(this.tx);
    if (opts.before) await opts.before(this.tx);
    const changed = (c: UpsertCounts) => c.inserted + c.updated;
    const r = this.result;
    const rowsWritten = opts.rowsWritten ?? r.sectors + r.procedures + changed(r.services) + changed(r.filings) + changed(r.plans);
    await this.tx.query(
      `UPDATE ingest_run SET status = 'succeeded', finished_at = clock_timestamp(), rows_read = $2, rows_written = $3, detail = coalesce(detail, '{}'::jsonb) || $4::jsonb WHERE id = $1`,
      [this.runId, this.rowsRead, rowsWritten, JSON.stringify({ ...opts.detail, facts: { sectors: r.sectors, procedures: r.procedures, services: r.services, filings: r.filings, plans: r.plans } })],
    );
    await this.tx.query('COMMIT');
    this.finish();
    return { runId: this.runId, rowsRead: this.rowsRead, rowsWritten, ...r };
  }

  /**
   * Rolls everything back and records why: 'rejected' for a BatchRejected, else 'failed'. Safe to
   * call twice. Returns whether it recorded the run: not when the abandoned-run sweep closed it
   * first (its connection died with the database), so the source counts the failure once.
   */
  async fail(error: unknown, detail?: Record<string, unknown>): Promise<boolean> {
    if (this.done) return false;
    let broken: Error | undefined;
    await this.client.query('ROLLBACK').catch((e: unknown) => (broken = e instanceof Error ? e : new Error(String(e))));
    this.finish(broken);
    const rejected = error instanceof BatchRejected;
    const message = rejected
      ? [error.message, ...error.problems.slice(0, 20).map((p) => `${p.field}: ${p.reason}`)].join('\n')
      : error instanceof DatabaseUnavailable ? lostConnectionText(error)
      : error instanceof Error ? error.message : String(error);
    const recorded = await this.sql.query(
      `UPDATE ingest_run SET status = $2, finished_at = now(), rows_read = $3, rows_rejected = $4, error = $5,
         detail = coalesce(detail, '{}'::jsonb) || $6::jsonb WHERE id = $1 AND status = 'running' RETURNING id`,
      [this.runId, rejected ? 'rejected' : 'failed', this.rowsRead, rejected ? error.total : 0, message.slice(0, 4000), JSON.stringify(detail ?? {})],
    );
    return recorded.length > 0;
  }

  /** Hands the connection back; one that could not even roll back is dropped (`broken`), not reused. */
  private finish(broken?: Error): void {
    if (this.done) return;
    this.done = true;
    this.client.release(broken);
  }
}

/** Interchange rows as staging rows: seq first, optional values as NULL (empty CSV field). */
function toStageRows(section: Section, rows: never[], offset: number): unknown[][] {
  const n = (v: unknown) => (v === undefined ? null : v);
  type At = { unitAt?: string };
  switch (section) {
    case 'sectors':
      return (rows as Batch['sectors'] & object).map((r, i) => [offset + i, r.code, r.name]);
    case 'procedures':
      return (rows as Batch['procedures'] & object).map((r, i) => [offset + i, r.code, r.name, r.sector, r.tier, n(r.eligibleFullOnline), n(r.essential)]);
    case 'services':
      return (rows as NonNullable<StagedBatch['services']>).map((r: At & NonNullable<Batch['services']>[number], i) => [offset + i, r.unit, n(r.unitAt), r.procedure, r.taxonomy, String(r.level), r.from, n(r.integratedNational)]);
    case 'filings':
      return (rows as NonNullable<StagedBatch['filings']>).map((r, i) => [
        offset + i, r.unit, n(r.unitAt), r.procedure, `${r.month}-01`, r.received, r.receivedOnline, n(r.receivedPostal), n(r.resolvedOnTime), n(r.resolvedLate),
        n(r.withFee), n(r.paidOnline), n(r.syncedNational),
      ]);
    case 'plans':
      return (rows as NonNullable<StagedBatch['plans']>).map((r, i) => [offset + i, r.unit, n(r.unitAt), r.year, n(r.documentNumber), n(r.title), n(r.issuedOn), n(r.dueOn)]);
  }
}
