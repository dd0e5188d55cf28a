import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import { Sql, SqlClient } from '../db/sql';
import { queryCounter } from '../db/query-counter';
import { UnitCodeIndex } from '../units/unit-validity';
import { BloomFilter } from './bloom.filter';
import { BinaryCopyRows } from './binary-copy.rows';
import { CodeResolver, isoDay } from './code-resolver';
import { createFactStage, FactRowChunks, FactTable, FILING_TABLE, UpsertCounts } from './fact-upsert';
import { MAX_PROBLEMS, ProblemKind } from './ingest-problems';
import { COUNTED, countSql, DossierFlag, MonthlyCounts } from './monthly-counts';

export { DossierFlag };

/** What the dossier stage needs of its session (kept narrow: the session owns the transaction, problems and fact writes). */
export interface DossierHost {
  readonly tx: SqlClient;
  readonly problemCount: number;
  problem(field: string, reason: string, kind?: ProblemKind): void;
  assertValid(): void;
  applyFacts(spec: FactTable, tmp: string): Promise<UpsertCounts>;
  /** Writes fact rows straight into the table when their groups have no facts yet (copyFreshFacts); null: nothing written. */
  copyFreshFacts(spec: FactTable, groups: readonly number[], chunks: FactRowChunks): Promise<UpsertCounts | null>;
}

const STAGED_COLUMNS = 'code, unit_id, procedure_id, month, modified, flags, received_on, due_on, resolved_on';
const DOSSIER_COLUMNS = `source_id, ${STAGED_COLUMNS}`;

/**
 * What a newer version of a dossier may change: the upsert rewrites a row when one differs, and
 * the dossier rollups' cells are listed from the same comparison (listRollupCells).
 */
const STORED_VALUES = ['unit_id', 'procedure_id', 'month', 'flags', 'received_on', 'due_on', 'resolved_on'];
const storedValues = (alias: string) => STORED_VALUES.map((c) => `${alias}.${c}`).join(', ');

const EMPTY = Buffer.alloc(0);

/** Rows per COPY statement of a stage written in slices, staged dossiers or counted groups (about a page's worth waits in memory). */
const STAGE_BATCH = 5000;

/**
 * Streams ready-made rows in binary COPY format (BinaryCopyRows: the server parses nothing) into
 * a table; resolves once the server has them all, so the caller may reuse the bytes.
 */
async function copyBytes(tx: SqlClient, table: string, columns: string, rows: BinaryCopyRows, freeze = false): Promise<void> {
  if (rows.length === 0) return;
  queryCounter.record(`COPY ${table}`);
  await pipeline(Readable.from([rows.bytes()]), tx.client.query(copyFrom(`COPY ${table} (${columns}) FROM STDIN WITH (FORMAT binary${freeze ? ', FREEZE' : ''})`)));
}

/** Name of a feed's partition of the dossier table (DDL cannot take parameters: the id is checked to be an integer). */
export function dossierPartition(sourceId: number): string {
  if (!Number.isSafeInteger(sourceId) || sourceId <= 0) throw new Error(`bad source id ${sourceId}`);
  return `dossier_s${sourceId}`;
}

/** Creates the source's dossier partition if missing (outside a run: DDL locks the parent table, which a running feed sync holds). */
export async function ensureDossierPartition(sql: Pick<Sql, 'query'>, sourceId: number): Promise<string> {
  const table = dossierPartition(sourceId);
  // Checked first: creating a partition locks the parent, which a running feed sync holds.
  const [found] = await sql.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [table]);
  if (!found.ok) await sql.query(`CREATE TABLE IF NOT EXISTS ${table} PARTITION OF dossier FOR VALUES IN (${sourceId})`);
  return table;
}

/**
 * The ingest core's dossier path: dossiers kept compactly, one row per dossier number in its
 * latest version (table dossier, one partition per source), and turned into monthly filing
 * statistics: only the (unit, procedure, month) groups a run touched, old and new, are
 * recomputed, so new dossiers only add and a corrected dossier corrects exactly its month.
 *
 * Speed (bench:sync): add() resolves codes against an in-memory index and makes one string (the
 * COPY row) per dossier; on a source's first load dossiers are COPYed straight into its empty,
 * unindexed partition (frozen, without WAL: it was truncated in this transaction; the unique
 * index is built after, in one pass), and only those that may repeat within the run (a Bloom
 * filter says which) go through a staged upsert.
 */
export class DossierStage {
  private bloom: BloomFilter | undefined;
  private expected = 0;
  /** Rows for the partition itself (source_id first) and for the upsert's stage (without it), as binary COPY bytes. */
  private readonly directRows = new BinaryCopyRows(1 << 19);
  private readonly stagedRows = new BinaryCopyRows(1 << 12);
  /** Dossiers whose unit missed the index (told apart asynchronously, at the next flush). */
  private misses: { code: string; unitCode: string; day: number }[] = [];
  private extraMisses = 0;
  private direct = 0;
  private staged = 0;
  /**
   * A first load's monthly statistics of the rows COPYed straight into the partition, counted as
   * they stream (null otherwise, or once the groups pass MonthlyCounts' cap: then SQL counts).
   */
  private counted: MonthlyCounts | null;
  /** Whether the counted groups went straight into filing_stat (copyFreshFacts), for the run's detail. */
  private factsCopied = false;

  private constructor(
    private readonly host: DossierHost,
    private readonly resolver: CodeResolver,
    private readonly units: UnitCodeIndex,
    private readonly procedures: Map<string, number>,
    private readonly partition: string,
    private readonly sourceId: number,
    private readonly firstLoad: boolean,
    private readonly full: boolean,
  ) {
    this.counted = firstLoad ? new MonthlyCounts() : null;
  }

  static async open(host: DossierHost, resolver: CodeResolver, sourceId: number, full: boolean): Promise<DossierStage> {
    const tx = host.tx;
    const partition = dossierPartition(sourceId);
    const units = await resolver.writableIndex();
    const procedures = await resolver.loadAllProcedures();
    // First load: the partition is empty, so rows go straight in; otherwise everything is staged and upserted.
    const [{ empty }] = await tx.query<{ empty: boolean }>(`SELECT NOT EXISTS (SELECT 1 FROM ${partition}) AS empty`);
    // Truncated in this transaction, the empty partition gets a new file: with wal_level=minimal
    // (the embedded cluster's setting) its COPY and index build skip the WAL and are synced at commit.
    if (empty) await tx.query(`TRUNCATE ${partition}`);
    await tx.query(
      `CREATE TEMP TABLE stg_dossier (code text, unit_id int, procedure_id int, month date, modified bigint, flags smallint, received_on date, due_on date, resolved_on date) ON COMMIT DROP`,
    );
    return new DossierStage(host, resolver, units, procedures, partition, sourceId, empty, full);
  }

  /** How many dossiers the run expects (sizes the first load's Bloom filter; call before the first add). */
  expect(count: number): void {
    if (count > this.expected) this.expected = count;
  }

  /**
   * One dossier: its number, unit code (read at the receipt day), procedure code, its days as
   * yyyymmdd in Asia/Ho_Chi_Minh (received; due and resolved, or null), last modification as
   * the number yyyyMMddHHmmss, and DossierFlag bits. The days are valid calendar days (the connector checks
   * them). A dossier whose codes do not resolve is a problem of the run (reported at the next
   * flush, with why).
   */
  add(code: string, unitCode: string, procedureCode: string, receivedDay: number, dueDay: number | null, resolvedDay: number | null, modified: number, flags: number): void {
    this.put(code, EMPTY, 0, 0, unitCode, procedureCode, receivedDay, dueDay, resolvedDay, modified, flags);
  }

  /**
   * add() for a dossier whose number is the ASCII bytes `page[start..end]` (a decoded feed page:
   * no string is made for it unless it becomes a problem).
   */
  addAscii(page: Buffer, start: number, end: number, unitCode: string, procedureCode: string, receivedDay: number, dueDay: number | null, resolvedDay: number | null, modified: number, flags: number): void {
    this.put(null, page, start, end, unitCode, procedureCode, receivedDay, dueDay, resolvedDay, modified, flags);
  }

  /** add() and addAscii(): the number is `code`, or when null the ASCII bytes `page[start..end]`. */
  private put(code: string | null, page: Buffer, start: number, end: number, unitCode: string, procedureCode: string, receivedDay: number, dueDay: number | null, resolvedDay: number | null, modified: number, flags: number): void {
    const unit = this.units.atDay(unitCode, receivedDay);
    if (unit === undefined) return this.miss(code ?? page.toString('latin1', start, end), unitCode, receivedDay);
    const procedure = this.procedures.get(procedureCode);
    if (procedure === undefined) return this.host.problem(`dossier ${code ?? page.toString('latin1', start, end)}`, `unknown procedure code ${procedureCode}`);
    if (this.host.problemCount > 0 || this.misses.length > 0) return; // the run will be rejected: no row to build
    // Decided first, so each row is built once, with its source_id or without.
    const bloom = this.firstLoad ? (this.bloom ??= new BloomFilter(Math.max(this.expected, 1))) : undefined;
    const direct = bloom !== undefined && !(code === null ? bloom.addAscii(page, start, end) : bloom.add(code));
    const rows = direct ? this.directRows : this.stagedRows;
    // The columns' order and exact types (DOSSIER_COLUMNS, STAGED_COLUMNS): binary COPY converts nothing.
    if (direct) {
      rows.row(10).int4(this.sourceId);
      this.direct += 1;
      if (this.counted && !this.counted.add(unit, procedure, receivedDay, flags)) this.counted = null;
    } else {
      rows.row(9);
      this.staged += 1;
    }
    if (code === null) rows.asciiText(page, start, end);
    else rows.text(code);
    rows.int4(unit).int4(procedure).monthOf(receivedDay).int8(modified).int2(flags);
    rows.date(receivedDay).dateOrNull(dueDay).dateOrNull(resolvedDay);
  }

  private miss(code: string, unitCode: string, day: number): void {
    if (this.misses.length < MAX_PROBLEMS) this.misses.push({ code, unitCode, day });
    else this.extraMisses += 1;
  }

  /** Problems found so far, reported or not: a connector stops reading at MAX_PROBLEMS (the run is rejected anyway). */
  get problemCount(): number {
    return this.host.problemCount + this.misses.length + this.extraMisses;
  }

  /** Tells why each missed unit did not resolve: unknown, not valid on the receipt day, or outside the source's units. */
  private async reportMisses(): Promise<void> {
    for (const m of this.misses) {
      const { reason, forbidden } = await this.resolver.describeMiss(m.unitCode, isoDay(m.day));
      this.host.problem(`dossier ${m.code}`, reason, forbidden ? 'forbidden' : 'invalid');
    }
    for (let i = 0; i < this.extraMisses; i++) this.host.problem('dossier', 'unit code not resolved');
    this.misses = [];
    this.extraMisses = 0;
  }

  /**
   * Writes what the dossiers added since the last flush give (call once per page, after its
   * dossiers are added: the page's objects are dropped before the COPY is awaited). Nothing is
   * written once the run has a problem.
   */
  async flush(): Promise<void> {
    // The rows are bytes outside the JS heap (BinaryCopyRows): nothing of the page lives on
    // across the awaits (rows kept as strings past an await were promoted to the old generation,
    // which doubled the time in GC: bench:sync).
    if (this.misses.length > 0 || this.extraMisses > 0) {
      this.directRows.clear();
      await this.reportMisses();
    }
    if (this.host.problemCount > 0) {
      this.directRows.clear();
      this.stagedRows.clear();
      return;
    }
    // FREEZE (allowed: the partition was truncated in this transaction): rows go in already
    // visible to all, so vacuum has nothing to do on them later, while other feeds sync.
    await copyBytes(this.host.tx, this.partition, DOSSIER_COLUMNS, this.directRows, this.firstLoad);
    this.directRows.clear();
    // On a first load few dossiers are staged (a repeat, or a Bloom false positive): they wait
    // for a full COPY's worth rather than cost a statement per page.
    if (this.stagedRows.rows >= STAGE_BATCH) await this.flushStaged();
  }

  private async flushStaged(): Promise<void> {
    await copyBytes(this.host.tx, 'stg_dossier', STAGED_COLUMNS, this.stagedRows);
    this.stagedRows.clear();
  }

  /**
   * Applies the run's dossiers (called by the session when it applies): keeps each dossier's
   * latest version and recomputes the monthly statistics of the groups touched (every group of
   * the source on a first load or a full re-read) through the fact upsert. Returns the run's detail.
   */
  async finish(): Promise<Record<string, unknown>> {
    await this.flush();
    this.host.assertValid();
    await this.flushStaged();
    const tx = this.host.tx;
    const partition = this.partition;
    // A first load COPYed into a bare partition: its unique index is built now, in one sorted pass,
    // by this backend alone (for the rest of the transaction, which builds no other index): feeds
    // already sync side by side (SYNC_CONCURRENCY), and parallel workers only added their start-up
    // and coordination (a 110k-row partition: 70 ms of CPU alone, 87 with two workers, the same wall time).
    await tx.query(`SELECT set_config('max_parallel_maintenance_workers', '0', true)`);
    await tx.query(`CREATE UNIQUE INDEX IF NOT EXISTS ${partition}_code ON ${partition} (code)`);

    // Staged dossiers: keep each one's latest version; note the groups they leave and enter (a
    // change of days alone leaves the monthly statistics as they were: no group to recompute).
    // Every group is recomputed on a full re-read, and on a first load not counted as it streamed;
    // a counted first load recomputes only the groups its staged dossiers touch.
    const counted = this.firstLoad ? this.counted : null;
    const touched = (this.firstLoad && !counted) || (this.full && !this.firstLoad) ? null : 'feed_touched';
    if (this.staged > 0) {
      await tx.query(`CREATE TEMP TABLE stg_latest ON COMMIT DROP AS SELECT DISTINCT ON (code) * FROM stg_dossier ORDER BY code, modified DESC`);
      // Its true size for the joins below: unanalysed, the planner took its 150 rows of a first
      // load for 860 and hashed the whole partition rather than probe its code index (bench:sync:
      // 63 feeds, 2 x 6.3M rows hashed, 5.1 s of backend time).
      await tx.query('ANALYZE stg_latest');
      if (touched) {
        // One pass over the staged dossiers: each changed or new one gives its new group, and the
        // group it leaves (none for a new dossier: its stored side is all NULL).
        await tx.query(
          `CREATE TEMP TABLE ${touched} ON COMMIT DROP AS
           SELECT DISTINCT v.month, v.unit_id, v.procedure_id FROM stg_latest s LEFT JOIN ${partition} d USING (code)
           CROSS JOIN LATERAL (VALUES (d.month, d.unit_id, d.procedure_id), (s.month, s.unit_id, s.procedure_id)) v(month, unit_id, procedure_id)
           WHERE v.unit_id IS NOT NULL AND (d.code IS NULL OR (d.modified <= s.modified AND (d.unit_id, d.procedure_id, d.month, d.flags) IS DISTINCT FROM (s.unit_id, s.procedure_id, s.month, s.flags)))`,
        );
      }
      if (!this.firstLoad) await this.listRollupCells();
      await tx.query(
        `INSERT INTO ${partition} (${DOSSIER_COLUMNS}) SELECT $1::int, ${STAGED_COLUMNS} FROM stg_latest
         ON CONFLICT (code) DO UPDATE SET modified = excluded.modified, ${STORED_VALUES.map((c) => `${c} = excluded.${c}`).join(', ')}
         WHERE ${partition}.modified <= excluded.modified AND (${storedValues(partition)}) IS DISTINCT FROM (${storedValues('excluded')})`,
        [this.sourceId],
      );
    }

    if (this.firstLoad && this.direct + this.staged > 0) await this.listRollupCells();
    // (The touched groups exist only if dossiers were staged.)
    const recount = this.staged > 0 ? touched : null;
    let groups = 0;
    if (touched === null || counted ? this.direct + this.staged > 0 : this.staged > 0) groups = await this.recomputeGroups(recount, counted);
    this.counted = null;
    return { firstLoad: this.firstLoad, copiedDirect: this.direct, staged: this.staged, groupsRecomputed: groups, countedWhileStreaming: counted !== null, factsCopied: this.factsCopied };
  }

  /**
   * Lists the cells of the dossier rollups (processing days, dossiers open: rollup.service.ts) this
   * run changes in rollup_dirty, kind 'dossier' with the source, for the refresh that follows (in
   * the run, or deferred): on a first load every unit of the source (unit 0); otherwise the units of
   * the staged dossiers whose stored row changes, before and after the change (called before the
   * upsert), a change of days alone included, which leaves the monthly statistics as they were.
   */
  private async listRollupCells(): Promise<void> {
    const tx = this.host.tx;
    if (this.firstLoad) {
      await tx.query(`INSERT INTO rollup_dirty (kind, unit_id, source_id) VALUES ('dossier', 0, $1)`, [this.sourceId]);
      return;
    }
    await tx.query(
      `INSERT INTO rollup_dirty (kind, unit_id, source_id)
       SELECT DISTINCT 'dossier', v.unit_id, $1::int FROM stg_latest s LEFT JOIN ${this.partition} d USING (code)
       CROSS JOIN LATERAL (VALUES (s.unit_id), (d.unit_id)) v(unit_id)
       WHERE v.unit_id IS NOT NULL AND (d.code IS NULL OR (d.modified <= s.modified AND (${storedValues('d')}) IS DISTINCT FROM (${storedValues('s')})))`,
      [this.sourceId],
    );
  }

  /**
   * Monthly statistics applied as filing facts: the groups counted while streaming (`counted`),
   * with the `touched` groups recomputed from the partition; without counts, the touched groups
   * (every group when `touched` is null) as one GROUP BY.
   */
  private async recomputeGroups(touched: string | null, counted: MonthlyCounts | null): Promise<number> {
    const tx = this.host.tx;
    const partition = this.partition;
    const cols = `month, unit_id, procedure_id, ${COUNTED.join(', ')}`;
    let copied = 0;
    let order: Int32Array | null = null;
    if (counted) {
      // Staged dossiers replaced or joined counted ones: their groups are left out here and counted again, from the partition.
      order = touched ? await this.withoutTouched(counted, touched) : counted.sorted();
      // The partition's rows were counted as they were COPYed: no GROUP BY reads them back, and
      // groups no fact has yet (a first load, as a rule) go straight into filing_stat.
      const direct = await this.host.copyFreshFacts(FILING_TABLE, counted.unitIds(), (top, run) => this.countedChunks(counted, order!, { top, sourceId: run.sourceId, runId: run.runId }));
      if (direct) {
        copied = order.length;
        this.factsCopied = true;
        if (!touched) return copied;
      }
    }
    const tmp = await createFactStage(tx, FILING_TABLE);
    if (counted && order && !copied) {
      // Written in filing_stat's key order (unit, month, procedure), a slice at a time (one
      // buffer for a province's groups would hold megabytes while the COPY runs).
      for (let from = 0; from < order.length; from += STAGE_BATCH) {
        this.directRows.clear();
        counted.write(this.directRows, order, from, Math.min(from + STAGE_BATCH, order.length));
        await copyBytes(tx, tmp, cols, this.directRows);
      }
      this.directRows.clear();
      if (!touched) return this.applyGroups(tmp);
    }
    // Written in filing_stat's key order (unit, month, procedure), so the fact upsert reads them in
    // that order and fills the key's index leaf after leaf instead of at random places.
    const counts = countSql('d');
    await tx.query(
      touched
        ? `INSERT INTO ${tmp} (${cols})
           SELECT g.month, g.unit_id, g.procedure_id, ${counts}
           FROM (SELECT DISTINCT month, unit_id, procedure_id FROM ${touched}) g
           LEFT JOIN ${partition} d ON d.month = g.month AND d.unit_id = g.unit_id AND d.procedure_id = g.procedure_id
           GROUP BY g.month, g.unit_id, g.procedure_id ORDER BY g.unit_id, g.month, g.procedure_id`
        : `INSERT INTO ${tmp} (${cols}) SELECT d.month, d.unit_id, d.procedure_id, ${counts} FROM ${partition} d GROUP BY 1, 2, 3 ORDER BY 2, 1, 3`,
    );
    return copied + (await this.applyGroups(tmp));
  }

  /** The counted groups in filing_stat's key order, less the `touched` ones (a few hundred at most: the staged dossiers' groups). */
  private async withoutTouched(counted: MonthlyCounts, touched: string): Promise<Int32Array> {
    const rows = await this.host.tx.query<{ m: number; u: number; p: number }>(
      `SELECT DISTINCT to_char(month, 'YYYYMMDD')::int AS m, unit_id AS u, procedure_id AS p FROM ${touched}`,
    );
    const order = counted.sorted();
    // Marked by group number and left out in one pass (a Set and a filter closure were 1.3% of
    // the gateway's samples in bench:sync).
    const drop = new Uint8Array(counted.groups);
    let dropped = 0;
    for (const r of rows) {
      const g = counted.find(r.u, r.p, r.m);
      if (g >= 0 && drop[g] === 0) {
        drop[g] = 1;
        dropped += 1;
      }
    }
    if (dropped === 0) return order;
    let kept = 0;
    for (let i = 0; i < order.length; i++) if (drop[order[i]] === 0) order[kept++] = order[i];
    return order.subarray(0, kept);
  }

  /** A COPY stream of the counted groups `order` as fact rows (header, slices of rows, trailer), for copyFreshFacts. */
  private *countedChunks(counted: MonthlyCounts, order: Int32Array, tail: { top: ReadonlyMap<number, number>; sourceId: number; runId: number }): Iterable<Buffer> {
    yield BinaryCopyRows.streamStart();
    const rows = new BinaryCopyRows(1 << 16);
    for (let from = 0; from < order.length; from += STAGE_BATCH) {
      rows.clear();
      counted.write(rows, order, from, Math.min(from + STAGE_BATCH, order.length), tail);
      yield rows.rowBytes();
    }
    yield BinaryCopyRows.streamEnd();
  }

  /** Applies the staged groups as filing facts; returns how many groups there were. */
  private async applyGroups(tmp: string): Promise<number> {
    const groups = Number((await this.host.tx.query<{ n: string }>(`SELECT count(*) AS n FROM ${tmp}`))[0].n);
    await this.host.applyFacts(FILING_TABLE, tmp);
    return groups;
  }
}
