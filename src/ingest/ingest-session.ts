import { PoolClient } from 'pg';
import { YearRange } from '../common/calendar';
import { FieldProblem } from '../common/errors';
import { DatabaseUnavailable, lostConnectionText } from '../db/database-health';
import { Sql, SqlClient } from '../db/sql';
import type { Metrics } from '../observability/metrics';
import { currentBackend } from '../provenance/abandoned-run.service';
import { parsePublishedPeriod } from '../published/published-period';
import { PUBLISHED_INDICATOR_TABLE } from '../published/published-indicator.table';
import { PUBLISHED_INDEX_SCORE_TABLE } from '../index766/published-index-score.table';
import { INDEX766_TIERS } from '../index766/index766-weights';
import { Batch, batchSize, FilingRow, PlanRow, ProcedureRow, PublishedIndexScoreRow, PublishedIndicatorRow, Section, SECTIONS, SectorRow } from './batch';
import { isDate, validateBatch } from './batch.validator';
import { CodeResolver, isRestricted, UnitScope } from './code-resolver';
import { DossierHost, DossierStage } from './dossier-stage';
import { applyFactStage, copyFreshFacts, copyRows, createFactStage, FactRowChunks, FactScope, FactTable, FILING_TABLE, lockFactScope, PLAN_TABLE, RunContext, SERVICE_LEVEL_TABLE, UpsertCounts } from './fact-upsert';
import { BatchRejected, MAX_PROBLEMS, ProblemKind, ProblemList } from './ingest-problems';
import { refreshInRun } from './rollup-refresh';

export { BatchRejected } from './ingest-problems';

export interface SessionOptions {
  /** Source the facts are recorded under (its precedence decides conflicts). */
  sourceId: number;
  kind: 'push' | 'import' | 'sync';
  detail?: Record<string, unknown>;
  /** The units the session may write, and whether it may write the catalogue; absent or ['*']: anything. */
  scope?: UnitScope;
  /** Taken with pg_try_advisory_xact_lock(hashtext(name), id) when the session opens; SessionBusy if another holds it. */
  lock?: { name: string; id: number };
  /** Value columns a source does not report, per section: current values are kept (see applyFactStage). */
  keepMissing?: Partial<Record<'services' | 'filings', readonly string[]>>;
  /** Years accepted in dates and months (config MIN_YEAR / MAX_YEAR); the default configuration's when absent. */
  years?: YearRange;
  /** Most rows the session accepts over all sections (config MAX_BATCH_ROWS); unbounded when absent (connector syncs). */
  maxRows?: number;
  /** A full re-read of the source (its dossiers' every group is recomputed). */
  full?: boolean;
  /**
   * The words a run's error gets when something other than a rejection stops it: 'public' (push
   * and import: the run is shown to anyone, so "the database became unavailable", never the
   * driver's words) or 'detailed' (syncs: the operator's lastError says what failed). Default by kind.
   */
  errors?: 'public' | 'detailed';
  /** Told of the session's outcome (rows accepted, rejected or failed) and its rollup refresh. */
  metrics?: Metrics;
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
  publishedIndicators: UpsertCounts;
  publishedIndexScores: UpsertCounts;
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
const n = (v: unknown) => (v === undefined ? null : v);
const FILING_COUNT_COLUMNS = ['received_postal', 'resolved_on_time', 'resolved_late', 'with_fee', 'paid_online', 'synced_national'] as const;

/** The fact sections, each with the date its unit code is read at, its stage table and its key (for repeats across chunks). */
type FactSection = 'services' | 'filings' | 'plans' | 'publishedIndicators' | 'publishedIndexScores';
const FACT_SECTIONS: readonly FactSection[] = ['services', 'filings', 'plans', 'publishedIndicators', 'publishedIndexScores'];
const FACT_STAGES: Record<FactSection, { table: string; columns: string; key: string; label: string }> = {
  services: {
    table: 'stg_services',
    columns: 'seq int, unit_id int, procedure_id int, valid_from date, taxonomy level_taxonomy, level varchar(8), integrated_national boolean',
    key: 'unit_id, procedure_id, valid_from',
    label: `(SELECT code FROM unit WHERE id = unit_id) || '/' || (SELECT code FROM procedure WHERE id = procedure_id) || '/' || valid_from`,
  },
  filings: {
    table: 'stg_filings',
    columns: `seq int, ${[...FILING_TABLE.keys, ...FILING_TABLE.values].map((c) => `${c.column} ${c.type}`).join(', ')}`,
    key: 'month, unit_id, procedure_id',
    label: `(SELECT code FROM unit WHERE id = unit_id) || '/' || (SELECT code FROM procedure WHERE id = procedure_id) || '/' || to_char(month, 'YYYY-MM')`,
  },
  plans: {
    table: 'stg_plans',
    columns: `seq int, ${[...PLAN_TABLE.keys, ...PLAN_TABLE.values].map((c) => `${c.column} ${c.type}`).join(', ')}`,
    key: 'unit_id, year',
    label: `(SELECT code FROM unit WHERE id = unit_id) || '/' || year`,
  },
  publishedIndicators: {
    table: 'stg_published',
    columns: `seq int, ${[...PUBLISHED_INDICATOR_TABLE.keys, ...PUBLISHED_INDICATOR_TABLE.values].map((c) => `${c.column} ${c.type}`).join(', ')}`,
    key: 'unit_id, indicator, period_grain, period_start, document_number',
    label: `(SELECT code FROM unit WHERE id = unit_id) || '/' || indicator || '/' || period_start || '/' || document_number`,
  },
  publishedIndexScores: {
    table: 'stg_index_scores',
    columns: `seq int, ${[...PUBLISHED_INDEX_SCORE_TABLE.keys, ...PUBLISHED_INDEX_SCORE_TABLE.values].map((c) => `${c.column} ${c.type}`).join(', ')}`,
    key: 'unit_id, period_grain, period_start, component',
    label: `(SELECT code FROM unit WHERE id = unit_id) || '/' || period_grain || '/' || period_start || '/' || component`,
  },
};

/** The date a fact row's unit code is read at (README, interchange format). */
const factDate: { [S in FactSection]: (r: NonNullable<StagedBatch[S]>[number]) => string } = {
  services: (r) => r.unitAt ?? r.from,
  filings: (r) => r.unitAt ?? `${r.month}-01`,
  plans: (r) => r.unitAt ?? r.issuedOn ?? r.dueOn ?? `${r.year}-01-01`,
  // A published figure names the unit as it was when its period began (or on its date).
  publishedIndicators: (r) => r.unitAt ?? (r.period ? parsePublishedPeriod(r.period)!.start : r.date!),
  publishedIndexScores: (r) => r.unitAt ?? parsePublishedPeriod(r.period)!.start,
};

/** Where each fact table's counts go in the session's result. */
const RESULT_OF = new Map<FactTable, FactSection>([
  [SERVICE_LEVEL_TABLE, 'services'], [FILING_TABLE, 'filings'], [PLAN_TABLE, 'plans'],
  [PUBLISHED_INDICATOR_TABLE, 'publishedIndicators'], [PUBLISHED_INDEX_SCORE_TABLE, 'publishedIndexScores'],
]);
const perSection = <T>(make: () => T) => Object.fromEntries(SECTIONS.map((k) => [k, make()])) as Record<Section, T>;
/** "filings[3]" and the like, in problems: renumbered from a chunk's rows to the session's. */
const ROW_REF = new RegExp(`\\b(${SECTIONS.join('|')})\\[(\\d+)\\]`, 'g');

/**
 * The ingest core: every source's rows go through here (integrator push, file import, each
 * connector's sync). One transaction is opened at the start; rows are staged chunk by chunk;
 * everything is applied at the end, or nothing.
 *
 * For each chunk, in one pass, every problem of every kind is listed (up to MAX_PROBLEMS): the
 * batch rules (format), unit codes at the fact's date and procedure codes (CodeResolver, through
 * the one owner of "valid on a date"), repeated keys, and permission (units outside the scope,
 * the catalogue without the right); a row with a format problem is not resolved, every other row
 * is. Rows without problems are COPYed, resolved to ids, into temporary tables; while the session
 * has a problem nothing more is written (it will be rejected). At the end: repeats across chunks,
 * the dossiers (DossierStage, monthly statistics of the groups touched), the fact upserts with
 * precedence and revisions (fact-upsert.ts), the rollup refresh, and the run record. Memory stays
 * bounded by a chunk; a session that fails or is rejected writes nothing (its run is recorded,
 * outside the transaction, with the reason).
 */
export class IngestSession implements DossierHost {
  rowsRead = 0;
  private readonly problems = new ProblemList();
  private readonly staged = perSection(() => 0);
  private readonly chunks = perSection(() => 0);
  private readonly result: Omit<SessionResult, 'runId' | 'rowsRead' | 'rowsWritten'> = {
    sectors: 0, procedures: 0, services: zero(), filings: zero(), plans: zero(), publishedIndicators: zero(), publishedIndexScores: zero(),
  };
  private readonly resolver: CodeResolver;
  /** Catalogue codes met so far (repeats across chunks; rows naming a procedure this session brings are not "unknown"). */
  private readonly catalogue = { sectors: new Map<string, number>(), procedures: new Map<string, number>() };
  /** Procedure codes of catalogue rows with a problem. */
  private readonly named = new Set<string>();
  /** Units the rows name, for the fact locks of a push or import (a sync locks its scope). */
  private readonly touchedUnits = new Set<number>();
  private readonly created = new Set<FactSection>();
  private dossierStage: DossierStage | undefined;
  private oversize = false;
  private applied = false;
  private scopeLocked = false;
  private done = false;

  private constructor(
    private readonly sql: Sql,
    private readonly client: PoolClient,
    /** The session's transaction. */
    readonly tx: SqlClient,
    readonly run: RunContext,
    private readonly opts: SessionOptions,
  ) {
    this.resolver = new CodeResolver(tx, opts.scope);
  }

  get runId(): number {
    return this.run.runId;
  }

  static async open(sql: Sql, opts: SessionOptions): Promise<IngestSession> {
    const client = await sql.connect();
    const tx = new SqlClient(client, sql.health, sql.observer);
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

  /** Records a problem (the session will be rejected): found by the core, or by a connector in its source's format. */
  problem(field: string, reason: string, kind: ProblemKind = 'invalid'): void {
    this.problems.add(field, reason, kind);
  }

  get problemCount(): number {
    return this.problems.total;
  }

  /** Rows staged so far, over all sections. */
  get rowsStaged(): number {
    return SECTIONS.reduce((s, k) => s + this.staged[k], 0);
  }

  /** Throws BatchRejected when any problem was found so far. */
  assertValid(): void {
    const p = this.problems;
    if (p.total > 0) throw new BatchRejected(p.kind, p.list, p.total, this.runId);
  }

  /**
   * The session's dossier stage (opened on first use): a connector of a source that keeps
   * dossiers adds them there; the session applies them with everything else.
   */
  async dossiers(): Promise<DossierStage> {
    this.dossierStage ??= await DossierStage.open(this, this.resolver, this.run.sourceId, !!this.opts.full);
    return this.dossierStage;
  }

  /**
   * Checks a chunk of interchange rows (batch rules, codes at their dates, repeats, scope) and
   * stages those without problems. Row numbers in problems count from the session's first row of
   * that section. `last`: no chunk follows (a whole batch), so a size problem can give the total.
   * (Connectors count what they read in rowsRead themselves: one upstream record may give several
   * rows, or none.)
   */
  async stage(chunk: StagedBatch, opts: { last?: boolean } = {}): Promise<void> {
    if (this.oversize) return;
    const size = typeof chunk === 'object' && chunk !== null ? batchSize(chunk as Batch) : 0;
    if (size === 0 && isSectionsOnly(chunk)) return; // a connector's empty page
    if (this.opts.maxRows !== undefined && this.rowsStaged + size > this.opts.maxRows) {
      this.oversize = true;
      const total = this.rowsStaged + size;
      this.problem('batch', opts.last ? `has ${total} rows, more than the limit of ${this.opts.maxRows}: split it` : `has more than ${this.opts.maxRows} rows, the limit: split it`);
      return;
    }
    const offsets = { ...this.staged };
    const shape = validateBatch(chunk, { maxRows: Number.MAX_SAFE_INTEGER, years: this.opts.years });
    const shift = (s: string) => s.replace(ROW_REF, (_m, sec: Section, i: string) => `${sec}[${offsets[sec] + Number(i)}]`);
    for (const p of shape.problems) this.problem(shift(p.field), shift(p.reason));
    this.problems.addUnlisted(shape.total - shape.problems.length);
    if (size === 0 || !isSectionsOnly(chunk)) return;
    const bad = (s: Section) => shape.badRows.get(s) ?? new Set<number>();
    for (const section of SECTIONS) {
      const rows = chunk[section];
      if (!rows || rows.length === 0) continue;
      this.staged[section] += rows.length;
      this.chunks[section] += 1;
    }
    await this.stageCatalogue(chunk, offsets, bad);
    // Codes of well-formed rows only (a code with a NUL in it cannot even be looked up).
    await this.resolver.loadUnits(codesOf(chunk, FACT_SECTIONS, 'unit', bad));
    await this.resolver.loadProcedures(codesOf(chunk, ['services', 'filings'], 'procedure', bad));
    if (isRestricted(this.opts.scope) && FACT_SECTIONS.some((f) => chunk[f]?.length)) await this.resolver.loadScope();
    const last = !!opts.last;
    await this.stageFacts('services', chunk.services, offsets.services, bad('services'), last, (row, r, unit, proc) =>
      row.push(unit, proc, r.from, r.taxonomy, String(r.level), n(r.integratedNational)));
    // A count the source never reports stays NULL (the stored value is kept); any other missing count is 0.
    const keep = new Set(this.opts.keepMissing?.filings ?? []);
    const missing = FILING_COUNT_COLUMNS.map((c) => (keep.has(c) ? null : 0));
    await this.stageFacts('filings', chunk.filings, offsets.filings, bad('filings'), last, (row, r: FilingRow, unit, proc) =>
      row.push(`${r.month}-01`, unit, proc, r.received, r.receivedOnline, r.receivedPostal ?? missing[0], r.resolvedOnTime ?? missing[1],
        r.resolvedLate ?? missing[2], r.withFee ?? missing[3], r.paidOnline ?? missing[4], r.syncedNational ?? missing[5]));
    await this.stageFacts('plans', chunk.plans, offsets.plans, bad('plans'), last, (row, r: PlanRow, unit) =>
      row.push(unit, r.year, n(r.documentNumber), n(r.title), n(r.issuedOn), n(r.dueOn)));
    await this.stageFacts('publishedIndicators', chunk.publishedIndicators, offsets.publishedIndicators, bad('publishedIndicators'), last, (row, r: PublishedIndicatorRow, unit) => {
      const period = r.period ? parsePublishedPeriod(r.period)! : { grain: 'date', start: r.date!, end: r.date! };
      row.push(unit, r.indicator, period.grain, period.start, r.documentNumber, period.end, r.value, r.documentDate, n(r.documentTitle), n(r.documentUrl));
    });
    await this.stageFacts('publishedIndexScores', chunk.publishedIndexScores, offsets.publishedIndexScores, bad('publishedIndexScores'), last, (row, r: PublishedIndexScoreRow, unit) => {
      const period = parsePublishedPeriod(r.period)!;
      row.push(unit, period.grain, period.start, r.component, period.end, r.points, n(r.rank));
    });
  }

  /**
   * Sectors and procedures: checked (permission, repeats across chunks, known sector) and written
   * at once, in the session's transaction, so the rows after them can name them (rolled back with
   * everything if the session is rejected).
   */
  private async stageCatalogue(chunk: StagedBatch, offsets: Record<Section, number>, bad: (s: Section) => Set<number>): Promise<void> {
    const denied = this.opts.scope?.catalogueDenied;
    for (const section of ['sectors', 'procedures'] as const) {
      if (denied && chunk[section]?.length) this.problem(section, denied, 'forbidden');
    }
    if (denied) return;
    const sectors = this.fresh('sectors', chunk.sectors ?? [], offsets.sectors, bad('sectors'));
    if (sectors.length > 0 && this.problems.total === 0) {
      const rows = await this.tx.query(
        `INSERT INTO sector (code, name, source_id, run_id) SELECT *, $3::int, $4::int FROM unnest($1::text[], $2::text[])
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, source_id = excluded.source_id, run_id = excluded.run_id, updated_at = now()
         WHERE sector.name IS DISTINCT FROM excluded.name RETURNING id`,
        [sectors.map((s) => s.code), sectors.map((s) => s.name), this.run.sourceId, this.run.runId],
      );
      this.result.sectors += rows.length;
    }
    const procedures = this.fresh('procedures', chunk.procedures ?? [], offsets.procedures, bad('procedures'));
    if (procedures.length === 0) return;
    const needed = [...new Set(procedures.map((p) => p.sector))];
    const known = new Set((await this.tx.query<{ code: string }>('SELECT code FROM sector WHERE code = ANY($1)', [needed])).map((r) => r.code));
    const good = procedures.filter((p) => {
      const ok = known.has(p.sector) || this.catalogue.sectors.has(p.sector);
      if (!ok) this.problem(`procedures[${p.seq}].sector`, `unknown sector code ${p.sector}`);
      return ok;
    });
    if (good.length === 0 || this.problems.total > 0) return;
    const rows = await this.tx.query<{ id: number; code: string }>(
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
      [good.map((p) => p.code), good.map((p) => p.name), good.map((p) => p.sector), good.map((p) => p.tier),
        good.map((p) => p.eligibleFullOnline ?? true), good.map((p) => p.essential ?? false), this.run.sourceId, this.run.runId],
    );
    this.result.procedures += rows.length;
    this.resolver.noteProcedures(rows);
  }

  /** Catalogue rows without a format problem and not met in an earlier chunk (a repeat is a problem), with their row numbers. */
  private fresh<R extends SectorRow | ProcedureRow>(section: 'sectors' | 'procedures', rows: R[], offset: number, bad: Set<number>): (R & { seq: number })[] {
    const seen = this.catalogue[section];
    const out: (R & { seq: number })[] = [];
    rows.forEach((r, i) => {
      if (bad.has(i)) {
        // Rows naming it are not "unknown procedure" too: it has its own problem.
        if (section === 'procedures' && typeof r?.code === 'string') this.named.add(r.code);
        return;
      }
      const seq = offset + i;
      const first = seen.get(r.code);
      if (first !== undefined && first < offset) return this.problem(`${section}[${seq}]`, `duplicates ${section}[${first}] (same key ${r.code})`);
      if (first === undefined) seen.set(r.code, seq);
      out.push({ ...r, seq });
    });
    return out;
  }

  /**
   * Resolves a fact section's rows (unit at the fact's date, procedure, scope), records each
   * problem, and COPYs the rows, as ids, into the section's stage while the session has none.
   */
  private async stageFacts<S extends FactSection>(
    section: S,
    rows: NonNullable<StagedBatch[S]> | undefined,
    offset: number,
    bad: Set<number>,
    last: boolean,
    values: (row: unknown[], r: NonNullable<StagedBatch[S]>[number], unit: number, procedure: number) => void,
  ): Promise<void> {
    if (!rows || rows.length === 0) return;
    // A whole batch in one chunk has no repeats the batch rules did not see: its rows need no
    // number in the stage (one column less to serialise and COPY: bench:ingest).
    // Published 766 scores are numbered always: their tier is checked on the stage (indexScoreTiers), naming the row.
    const numbered = section === 'publishedIndexScores' || !(last && this.chunks[section] === 1);
    const out: unknown[][] = [];
    const track = !isRestricted(this.opts.scope) && this.opts.kind !== 'sync';
    for (let i = 0; i < rows.length; i++) {
      if (bad.has(i)) continue;
      const r = rows[i] as NonNullable<StagedBatch[S]>[number] & { unit: string; procedure?: string; unitAt?: unknown };
      const at = `${section}[${offset + i}]`;
      if (r.unitAt !== undefined && !isDate(r.unitAt)) {
        this.problem(`${at}.unitAt`, 'must be a date YYYY-MM-DD');
        continue;
      }
      const date = factDate[section](r as never);
      const unit = this.resolver.unitAt(r.unit, date);
      let ok = true;
      if (unit === undefined) {
        this.problem(`${at}.unit`, this.resolver.missingUnit(r.unit, date));
        ok = false;
      } else if (this.resolver.outside(unit)) {
        this.problem(`${at}.unit`, this.resolver.outsideReason(r.unit), 'forbidden');
        ok = false;
      }
      let procedure = 0;
      if (r.procedure !== undefined) {
        const id = this.resolver.procedure(r.procedure);
        if (id === undefined) {
          // A procedure of this very batch that could not be written has its own problem.
          if (!this.catalogue.procedures.has(r.procedure) && !this.named.has(r.procedure)) this.problem(`${at}.procedure`, `unknown procedure code ${r.procedure}`);
          ok = false;
        } else procedure = id;
      }
      if (!ok || this.problems.total > 0) continue;
      if (track) this.touchedUnits.add(unit!);
      const row: unknown[] = numbered ? [offset + i] : [];
      values(row, r, unit!, procedure);
      out.push(row);
    }
    if (out.length === 0 || this.problems.total > 0) return;
    const stage = FACT_STAGES[section];
    if (!this.created.has(section)) {
      await this.tx.query(`CREATE TEMP TABLE ${stage.table} (${stage.columns}) ON COMMIT DROP`);
      this.created.add(section);
    }
    const columns = stage.columns.split(', ').map((c) => c.split(' ')[0]);
    await copyRows(this.tx, stage.table, numbered ? columns : columns.slice(1), out);
  }

  /** The fact locks of what the session writes, at its first write (the streaming before it holds none). */
  private async lockScope(): Promise<void> {
    if (this.scopeLocked) return;
    this.scopeLocked = true;
    const scope = this.opts.scope;
    const locks: FactScope = isRestricted(scope) ? { unitCodes: scope.unitCodes } : this.opts.kind === 'sync' ? 'all' : { unitIds: [...this.touchedUnits] };
    await lockFactScope(this.tx, locks);
  }

  /** Applies rows already resolved to ids and staged in `tmp` (see createFactStage) to a fact table. */
  async applyFacts(spec: FactTable, tmp: string, keepMissing?: readonly string[]): Promise<UpsertCounts> {
    await this.lockScope();
    const counts = await applyFactStage(this.tx, spec, tmp, this.run, { keepMissing: keepMissing ? [...keepMissing] : undefined });
    add(this.result[RESULT_OF.get(spec)!], counts);
    return counts;
  }

  /** Writes fact rows straight into a fact table if none of their groups has facts yet (see copyFreshFacts); null: nothing written. */
  async copyFreshFacts(spec: FactTable, groups: readonly number[], chunks: FactRowChunks): Promise<UpsertCounts | null> {
    await this.lockScope();
    const counts = await copyFreshFacts(this.tx, spec, groups, chunks, this.run);
    if (counts) add(this.result[RESULT_OF.get(spec)!], counts);
    return counts;
  }

  /** Writes everything staged; throws BatchRejected listing every problem. Returns the dossier stage's detail, if any. */
  private async applyStaged(): Promise<Record<string, unknown>> {
    if (this.applied) return {};
    this.applied = true;
    for (const s of FACT_SECTIONS) if (this.chunks[s] > 1 && this.created.has(s)) await this.repeats(s);
    await this.indexScoreTiers();
    this.assertValid();
    const dossierDetail = this.dossierStage ? await this.dossierStage.finish() : {};
    if (this.created.has('services')) {
      await this.lockScope();
      await this.tx.query(
        `INSERT INTO service (unit_id, procedure_id, source_id, run_id)
         SELECT DISTINCT unit_id, procedure_id, $1::int, $2::int FROM stg_services ON CONFLICT (unit_id, procedure_id) DO NOTHING`,
        [this.run.sourceId, this.run.runId],
      );
      const tmp = await createFactStage(this.tx, SERVICE_LEVEL_TABLE);
      await this.tx.query(
        `INSERT INTO ${tmp} (service_id, valid_from, taxonomy, level, integrated_national)
         SELECT sv.id, r.valid_from, r.taxonomy, r.level, r.integrated_national FROM stg_services r JOIN service sv USING (unit_id, procedure_id)`,
      );
      await this.applyFacts(SERVICE_LEVEL_TABLE, tmp, this.opts.keepMissing?.services);
    }
    // The stages have the fact tables' columns (and seq, which the upsert ignores): applied as they are.
    if (this.created.has('filings')) await this.applyFacts(FILING_TABLE, FACT_STAGES.filings.table, this.opts.keepMissing?.filings);
    if (this.created.has('plans')) await this.applyFacts(PLAN_TABLE, FACT_STAGES.plans.table);
    if (this.created.has('publishedIndicators')) await this.applyFacts(PUBLISHED_INDICATOR_TABLE, FACT_STAGES.publishedIndicators.table);
    if (this.created.has('publishedIndexScores')) await this.applyFacts(PUBLISHED_INDEX_SCORE_TABLE, FACT_STAGES.publishedIndexScores.table);
    return dossierDetail;
  }

  /** A published 766 score names a province or a ministry, the tiers the index ranks: a score of any other unit is refused, naming its row. */
  private async indexScoreTiers(): Promise<void> {
    if (!this.created.has('publishedIndexScores')) return;
    const rows = await this.tx.query<{ seq: number; code: string; kind: string }>(
      `SELECT s.seq, u.code, u.kind FROM ${FACT_STAGES.publishedIndexScores.table} s JOIN unit u ON u.id = s.unit_id
       WHERE u.kind::text <> ALL($1::text[]) ORDER BY s.seq LIMIT ${MAX_PROBLEMS}`,
      [INDEX766_TIERS],
    );
    for (const r of rows) this.problem(`publishedIndexScores[${r.seq}].unit`, `unit ${r.code} is a ${r.kind}: the Decision 766 index scores ${INDEX766_TIERS.join(' and ')} units`);
  }

  /** Flags staged rows whose key repeats across chunks (within a chunk the batch rules already did). */
  private async repeats(section: FactSection): Promise<void> {
    const { table, key, label } = FACT_STAGES[section];
    const rows = await this.tx.query<{ first: number; seqs: number[]; key: string }>(
      `SELECT min(seq) AS first, (array_agg(seq ORDER BY seq))[2:] AS seqs, min(${label})::text AS key FROM ${table}
       GROUP BY ${key} HAVING count(*) > 1 ORDER BY 1 LIMIT ${MAX_PROBLEMS}`,
    );
    for (const r of rows) for (const s of r.seqs) this.problem(`${section}[${s}]`, `duplicates ${section}[${r.first}] (same key ${r.key})`);
  }

  /**
   * Applies what is staged (if not done yet), refreshes the aggregate rollups in the same
   * transaction unless `deferRollups` (a bulk of runs; see rollup-refresh.ts), runs `before` in
   * the transaction (e.g. saving the source's cursor with its data), marks the run succeeded and commits.
   */
  async commit(opts: { before?: (tx: SqlClient) => Promise<void>; detail?: Record<string, unknown>; deferRollups?: boolean } = {}): Promise<SessionResult> {
    const dossierDetail = await this.applyStaged();
    if (!opts.deferRollups) await refreshInRun(this.tx, this.opts.metrics);
    if (opts.before) await opts.before(this.tx);
    const changed = (c: UpsertCounts) => c.inserted + c.updated;
    const r = this.result;
    const rowsWritten = r.sectors + r.procedures + FACT_SECTIONS.reduce((sum, f) => sum + changed(r[f]), 0);
    await this.tx.query(
      `UPDATE ingest_run SET status = 'succeeded', finished_at = clock_timestamp(), rows_read = $2, rows_written = $3, detail = coalesce(detail, '{}'::jsonb) || $4::jsonb WHERE id = $1`,
      [this.runId, this.rowsRead, rowsWritten, JSON.stringify({ ...opts.detail, ...dossierDetail, facts: { ...r } })],
    );
    // Committed synchronously, though a sync alone could lose its last commit after a crash (its
    // feed position commits with its data, so a lost commit is read again): the data version
    // could not. A commit is heard (NOTIFY) before its WAL is flushed under synchronous_commit=off;
    // answers cached under the version it made would be served again once the next commit, after
    // the crash, reuses that number for other data (src/cache/data-version.ts).
    await this.tx.query('COMMIT');
    this.finish();
    this.opts.metrics?.ingest(this.opts.kind, 'accepted', this.rowsRead);
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
    this.opts.metrics?.ingest(this.opts.kind, rejected ? 'rejected' : 'failed', this.rowsRead);
    const recorded = await this.sql.query(
      `UPDATE ingest_run SET status = $2, finished_at = now(), rows_read = $3, rows_rejected = $4, error = $5,
         detail = coalesce(detail, '{}'::jsonb) || $6::jsonb WHERE id = $1 AND status = 'running' RETURNING id`,
      [this.runId, rejected ? 'rejected' : 'failed', this.rowsRead, rejected ? error.total : 0, this.errorText(error).slice(0, 4000), JSON.stringify(detail ?? {})],
    );
    return recorded.length > 0;
  }

  /** The run's error: the rejection's problems, or what stopped it (in public words for a push or import; see SessionOptions.errors). */
  private errorText(error: unknown): string {
    if (error instanceof BatchRejected) return [error.message, ...error.problems.slice(0, 20).map((p: FieldProblem) => `${p.field}: ${p.reason}`)].join('\n');
    if ((this.opts.errors ?? (this.opts.kind === 'push' ? 'public' : 'detailed')) === 'public') {
      // The run's error is public (ingestRuns): it says what happened, not the driver's words, which the caller's error log keeps.
      return `failed, nothing written: ${error instanceof DatabaseUnavailable ? 'the database became unavailable' : 'an internal error stopped it (details in the gateway log)'}`;
    }
    return error instanceof DatabaseUnavailable ? lostConnectionText(error) : error instanceof Error ? error.message : String(error);
  }

  /** Hands the connection back; one that could not even roll back is dropped (`broken`), not reused. */
  private finish(broken?: Error): void {
    if (this.done) return;
    this.done = true;
    this.client.release(broken);
  }
}

/** Whether the value is an object whose keys are all sections holding lists (or nothing): rows can be staged from it. */
function isSectionsOnly(chunk: unknown): chunk is StagedBatch {
  if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) return false;
  return Object.entries(chunk).every(([k, v]) => (SECTIONS as readonly string[]).includes(k) && (v === undefined || v === null || Array.isArray(v)));
}

/** The codes a field holds in the sections' rows that have no format problem. */
function codesOf(chunk: StagedBatch, sections: readonly FactSection[], field: 'unit' | 'procedure', bad: (s: Section) => Set<number>): Set<string> {
  const codes = new Set<string>();
  for (const s of sections) {
    const skip = bad(s);
    (chunk[s] ?? []).forEach((r, i) => {
      const code = (r as unknown as Record<string, unknown>)[field];
      if (!skip.has(i) && typeof code === 'string') codes.add(code);
    });
  }
  return codes;
}
