import { isAscii } from 'node:buffer';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import { SqlClient } from '../db/sql';
import { queryCounter } from '../db/query-counter';
import { createFactStage, FILING_TABLE } from '../ingest/fact-upsert';
import { dossierPartition } from '../sources/source-registry.service';
import { BloomFilter } from './bloom.filter';
import { Connector, ConnectorContext, ConnectorResult, intOption } from './connector';
import { TransientError } from './http.client';
import { UNIT_INDEX_COLUMNS, UnitCodeIndex } from '../units/unit-validity';

/** A feed position: dossiers strictly after (NgayCapNhat, MaHoSo); id null: from NgayCapNhat on. */
interface Position {
  t: string;
  id: string | null;
}

/** The fields of a feed dossier the gateway reads (docs/simulator.md, b). */
interface FeedDossier {
  MaHoSo: string;
  MaTTHC: string;
  MaTinh: string;
  MaHuyen: string | null;
  MaXa: string | null;
  NgayTiepNhan: string;
  NgayHenTra: string;
  NgayTra: string | null;
  NgayCapNhat: string;
  HinhThuc: number;
  TrangThaiHoSo: number;
  PhiLePhi: number;
  ThanhToanTrucTuyen: number;
  DongBoDVCQG: number;
}

interface FeedPage {
  content: FeedDossier[];
  totalElements?: number;
}

// Flag bits of a stored dossier (see the dossier table's comment).
const RESOLVED_ON_TIME = 1 << 2;
const RESOLVED_LATE = 1 << 3;
const FEE = 1 << 4;
const PAID_ONLINE = 1 << 5;
const SYNCED = 1 << 6;

const STAGED_COLUMNS = 'code, unit_id, procedure_id, month, modified, flags';
const DOSSIER_COLUMNS = `source_id, ${STAGED_COLUMNS}`;

/** Staged dossiers per COPY statement (about a page's worth waits in memory). */
const STAGE_BATCH = 5000;

/** Rows as COPY text, one per line. */
const copyLines = (rows: string[]) => (rows.length === 0 ? '' : `${rows.join('\n')}\n`);

/** Streams ready-made COPY text (PostgreSQL's text format) into a table. */
async function copyText(tx: SqlClient, table: string, columns: string, text: string, freeze = false): Promise<void> {
  if (text.length === 0) return;
  queryCounter.record(`COPY ${table}`);
  await pipeline(Readable.from([text]), tx.client.query(copyFrom(`COPY ${table} (${columns}) FROM STDIN${freeze ? ' WITH (FREEZE)' : ''}`)));
}

// COPY's text format (tab-separated) parses faster than CSV in PostgreSQL; a MaHoSo is escaped
// only in the rare case it holds a backslash, tab or line break.
const ESCAPE = /[\\\t\n\r]/;
const copyField = (s: string) => (ESCAPE.test(s) ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : s);

/**
 * A provincial one-stop dossier feed (iGate style): a client-credentials token, then dossiers
 * paged by a keyset cursor from the position saved by the last good run, ordered by last
 * modification (a dossier that changes reappears later with a later NgayCapNhat).
 *
 * Dossiers are kept compactly, one row per MaHoSo in its latest version (table dossier, one
 * partition per feed), and aggregated into monthly filing statistics through the ingest core:
 * only the (unit, procedure, month) groups a run touched, old and new, are recomputed, so new
 * dossiers only add and a corrected dossier corrects exactly its month.
 *
 * Speed (bench:sync): the next page is requested before the current one is processed; on a
 * feed's first load dossiers are COPYed straight into its empty, unindexed partition (the unique
 * index is built after, in one pass), and only those that may repeat within the run (a Bloom
 * filter says which) go through a staged upsert.
 */
export class DossierFeedConnector implements Connector {
  async run(ctx: ConnectorContext): Promise<ConnectorResult> {
    const { source, session, http } = ctx;
    const tx = session.tx;
    const size = Math.min(5000, Math.max(1, intOption(source.options, 'pageSize', 5000)));
    const sid = source.id;
    // Created when the registry is applied (DDL takes a lock on the parent table: not inside a run).
    const partition = dossierPartition(sid);

    // Codes are resolved in memory: units by code and receipt date (codes are reused), procedures by code.
    const scoped = !source.units.includes('*');
    const units = new UnitCodeIndex(await tx.query<{ id: number; code: string; validFrom: string | null; validTo: string | null }>(
      scoped
        ? `WITH RECURSIVE down AS (SELECT id FROM unit WHERE code = ANY($1) UNION SELECT u.id FROM unit u JOIN down d ON u.parent_id = d.id)
           SELECT ${UNIT_INDEX_COLUMNS} FROM unit u JOIN down USING (id)`
        : `SELECT ${UNIT_INDEX_COLUMNS} FROM unit u`,
      scoped ? [source.units] : [],
    ));
    const procedures = new Map((await tx.query<{ id: number; code: string }>('SELECT id, code FROM procedure')).map((p) => [p.code, p.id]));

    // First load: the partition is empty, so rows go straight in; otherwise everything is staged and upserted.
    const [{ empty }] = await tx.query<{ empty: boolean }>(`SELECT NOT EXISTS (SELECT 1 FROM ${partition}) AS empty`);
    const firstLoad = empty;
    // Truncated in this transaction, the empty partition gets a new file: with wal_level=minimal
    // (the embedded cluster's setting) its COPY and index build skip the WAL and are synced at commit.
    if (firstLoad) await tx.query(`TRUNCATE ${partition}`);
    await tx.query(`CREATE TEMP TABLE stg_dossier (code text, unit_id int, procedure_id int, month date, modified bigint, flags smallint) ON COMMIT DROP`);
    let bloom: BloomFilter | undefined;

    let token = '';
    const authenticate = async () => {
      const answer = await http.json<{ access_token?: string }>(`${source.url}/oauth/token`, {
        method: 'POST',
        label: 'token',
        headers: () => ({ 'content-type': 'application/json', accept: 'application/json' }),
        body: JSON.stringify({ grant_type: 'client_credentials', client_id: ctx.credential('clientId'), client_secret: ctx.credential('clientSecret') }),
      });
      if (!answer.access_token) throw new Error('token: the answer has no access_token');
      token = answer.access_token;
    };
    await authenticate();

    const saved = ctx.full ? undefined : (ctx.state as { modifiedFrom?: string; afterId?: string | null });
    let pos: Position | null = saved?.modifiedFrom ? { t: saved.modifiedFrom, id: saved.afterId ?? null } : null;
    let pageNo = 0;
    const url = (at: Position | null) => {
      const query = new URLSearchParams({ size: String(size) });
      if (at) {
        query.set('modifiedFrom', at.t);
        if (at.id) query.set('afterId', at.id);
      }
      return `${source.url}/api/dossiers?${query}`;
    };
    const auth = { headers: () => ({ authorization: `Bearer ${token}`, accept: 'application/json' }), reauthenticate: authenticate };
    // Raw bytes only: a prefetched page waits outside the JS heap, and is parsed just before use,
    // so its objects die young (parsing early promoted them and let the heap grow, bench:sync).
    const fetchRaw = (at: Position | null, label: string) => {
      const raw = http.fetch(url(at), { label, ...auth }, (body) => body);
      raw.catch(() => undefined); // awaited (and rethrown) when its turn comes
      return raw;
    };
    const pageAt = (at: Position | null, label: string, prefetched: Promise<Buffer> | null) =>
      http.retry(label, async (attempt) => parsePage(attempt === 1 && prefetched ? await prefetched : await fetchRaw(at, label), at, label));

    let read = 0;
    let direct = 0;
    let staged = 0;
    let total: number | undefined;
    const rows = new RowWriter(units, procedures, ctx);
    const stagedRows: string[] = [];
    const flushStaged = async () => {
      await copyText(tx, 'stg_dossier', STAGED_COLUMNS, copyLines(stagedRows));
      stagedRows.length = 0;
    };
    let label = `dossier page ${++pageNo}`;
    let prefetched: Promise<Buffer> | null = fetchRaw(pos, label);
    // Everything a page gives, so the page itself is unreachable once read (see fetchRaw).
    const take = (page: FeedPage): { count: number; last: Position | null; directText: string; stagedRows: string[]; direct: number } => {
      const count = page.content.length;
      total ??= page.totalElements;
      if (firstLoad && !bloom) bloom = new BloomFilter(Math.max(count, total ?? 0));
      const last = count > 0 ? { t: page.content[count - 1].NgayCapNhat, id: page.content[count - 1].MaHoSo } : pos;
      return { count, last, ...this.toCopyText(page, rows, sid, firstLoad ? bloom! : null) };
    };
    while (prefetched) {
      const part: ReturnType<typeof take> = await pageAt(pos, label, prefetched).then(take);
      const { count, last } = part;
      // Ask for the next page before processing this one: the upstream works while we do.
      label = `dossier page ${++pageNo}`;
      prefetched = count < size ? null : fetchRaw(last, label);
      direct += part.direct;
      staged += part.stagedRows.length;
      if (session.problemCount >= 1000) break; // systematic: the run is rejected below, no need to read on
      if (session.problemCount === 0) {
        // FREEZE (allowed: the partition was truncated in this transaction): rows go in already
        // visible to all, so vacuum has nothing to do on them later, while other feeds sync.
        await copyText(tx, partition, DOSSIER_COLUMNS, part.directText, firstLoad);
        // On a first load few dossiers are staged (a repeat, or a Bloom false positive): they wait
        // for a full COPY's worth rather than cost a statement per page.
        for (const r of part.stagedRows) stagedRows.push(r);
        if (stagedRows.length >= STAGE_BATCH) await flushStaged();
      }
      read += count;
      session.rowsRead = read;
      pos = last;
      ctx.progress({ phase: 'dossiers', done: read, total, unit: 'dossiers' });
    }
    session.assertValid();
    await flushStaged();

    // A first load COPYed into a bare partition: its unique index is built now, in one sorted pass.
    await tx.query(`CREATE UNIQUE INDEX IF NOT EXISTS ${partition}_code ON ${partition} (code)`);

    // Staged dossiers: keep each one's latest version; note the groups they leave and enter
    // (a first load or a full re-read recomputes every group of the feed instead).
    const touched = firstLoad || ctx.full ? null : 'feed_touched';
    if (staged > 0) {
      await tx.query(`CREATE TEMP TABLE stg_latest ON COMMIT DROP AS SELECT DISTINCT ON (code) * FROM stg_dossier ORDER BY code, modified DESC`);
      if (touched) {
        await tx.query(
          `CREATE TEMP TABLE ${touched} ON COMMIT DROP AS
           SELECT d.month, d.unit_id, d.procedure_id FROM stg_latest s JOIN ${partition} d USING (code)
           WHERE d.modified <= s.modified AND (d.unit_id, d.procedure_id, d.month, d.flags) IS DISTINCT FROM (s.unit_id, s.procedure_id, s.month, s.flags)
           UNION
           SELECT s.month, s.unit_id, s.procedure_id FROM stg_latest s LEFT JOIN ${partition} d USING (code)
           WHERE d.code IS NULL OR (d.modified <= s.modified AND (d.unit_id, d.procedure_id, d.month, d.flags) IS DISTINCT FROM (s.unit_id, s.procedure_id, s.month, s.flags))`,
        );
      }
      await tx.query(
        `INSERT INTO ${partition} (${DOSSIER_COLUMNS}) SELECT $1::int, ${STAGED_COLUMNS} FROM stg_latest
         ON CONFLICT (code) DO UPDATE SET unit_id = excluded.unit_id, procedure_id = excluded.procedure_id, month = excluded.month,
           modified = excluded.modified, flags = excluded.flags
         WHERE ${partition}.modified <= excluded.modified
           AND (${partition}.unit_id, ${partition}.procedure_id, ${partition}.month, ${partition}.flags)
               IS DISTINCT FROM (excluded.unit_id, excluded.procedure_id, excluded.month, excluded.flags)`,
        [sid],
      );
    }

    // Recompute the touched groups' monthly statistics (every group on a first load) and apply them.
    let groups = 0;
    let filings = { inserted: 0, updated: 0, corrected: 0, outranked: 0 };
    if (touched === null ? direct + staged > 0 : staged > 0) {
      const tmp = await createFactStage(tx, FILING_TABLE);
      const counts = `count(d.code), count(d.code) FILTER (WHERE d.flags & 3 = 2), count(d.code) FILTER (WHERE d.flags & 3 = 3),
        count(d.code) FILTER (WHERE d.flags & ${RESOLVED_ON_TIME} <> 0), count(d.code) FILTER (WHERE d.flags & ${RESOLVED_LATE} <> 0),
        count(d.code) FILTER (WHERE d.flags & ${FEE} <> 0), count(d.code) FILTER (WHERE d.flags & ${PAID_ONLINE} <> 0),
        count(d.code) FILTER (WHERE d.flags & ${SYNCED} <> 0)`;
      const cols = 'month, unit_id, procedure_id, received, received_online, received_postal, resolved_on_time, resolved_late, with_fee, paid_online, synced_national';
      await tx.query(
        touched
          ? `INSERT INTO ${tmp} (${cols})
             SELECT g.month, g.unit_id, g.procedure_id, ${counts}
             FROM (SELECT DISTINCT month, unit_id, procedure_id FROM ${touched}) g
             LEFT JOIN ${partition} d ON d.month = g.month AND d.unit_id = g.unit_id AND d.procedure_id = g.procedure_id
             GROUP BY g.month, g.unit_id, g.procedure_id`
          : `INSERT INTO ${tmp} (${cols}) SELECT d.month, d.unit_id, d.procedure_id, ${counts} FROM ${partition} d GROUP BY 1, 2, 3`,
      );
      groups = Number((await tx.query<{ n: string }>(`SELECT count(*) AS n FROM ${tmp}`))[0].n);
      filings = await session.applyFacts(FILING_TABLE, tmp);
    }

    const state = pos ? { modifiedFrom: pos.t, afterId: pos.id } : {};
    return {
      state,
      rowsWritten: filings.inserted + filings.updated,
      detail: { pages: pageNo, dossiers: read, firstLoad, copiedDirect: direct, staged, groupsRecomputed: groups, cursor: state },
    };
  }

  /**
   * A page as COPY text: straight into the partition on a first load (unless the dossier may
   * already have come in this run), else into the staging table. The page's objects are dropped
   * on return, before the COPY is awaited. Rows are joined once (appending to one string builds
   * a rope that is flattened, slowly, when the socket writes it).
   */
  private toCopyText(page: FeedPage, rows: RowWriter, sid: number, bloom: BloomFilter | null) {
    const directRows: string[] = [];
    const stagedRows: string[] = [];
    const lead = `${sid}\t`;
    for (const d of page.content) {
      // Decided first, so each row is built once, with its source_id or without.
      const direct = bloom !== null && !bloom.add(d.MaHoSo);
      const row = rows.row(d, direct ? lead : '');
      if (row === null) continue;
      if (direct) directRows.push(row);
      else stagedRows.push(row);
    }
    return { directText: copyLines(directRows), stagedRows, direct: directRows.length };
  }
}

/** `yyyyMMddHHmmss`: 14 digits (a loop: a regular expression here cost 4% of the sync, bench:sync). */
function isTimestamp(s: unknown): s is string {
  if (typeof s !== 'string' || s.length !== 14) return false;
  for (let i = 0; i < 14; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Turns dossiers into COPY text rows of the dossier table, resolving codes; records a problem for a dossier it cannot take. */
class RowWriter {
  private readonly months = new Map<string, string>();

  constructor(
    private readonly units: UnitCodeIndex,
    private readonly procedures: Map<string, number>,
    private readonly ctx: ConnectorContext,
  ) {}

  /** The row, after `lead` (the source_id column when it goes straight into the partition). */
  row(d: FeedDossier, lead: string): string | null {
    const bad = (reason: string) => (this.ctx.session.problem(`dossier ${d.MaHoSo}`, reason), null);
    const unitCode = d.MaXa || d.MaHuyen || d.MaTinh;
    const received = d.NgayTiepNhan;
    if (!isTimestamp(received)) return bad(`NgayTiepNhan must be yyyyMMddHHmmss, got ${JSON.stringify(received)}`);
    const day = Number(received.slice(0, 8));
    const unit = this.units.atDay(unitCode, day);
    if (unit === undefined) {
      const units = this.ctx.source.units;
      return bad(units.includes('*') || !this.units.knows(unitCode)
        ? `unit ${unitCode} is unknown on ${day} or outside the units this source covers (${units.join(', ')})`
        : `unit ${unitCode} did not exist on ${day}`);
    }
    const procedure = this.procedures.get(d.MaTTHC);
    if (procedure === undefined) return bad(`unknown procedure code ${d.MaTTHC}`);
    if (d.HinhThuc !== 1 && d.HinhThuc !== 2 && d.HinhThuc !== 3) return bad(`HinhThuc must be 1, 2 or 3, got ${JSON.stringify(d.HinhThuc)}`);
    let flags = d.HinhThuc;
    if (d.TrangThaiHoSo === 4) {
      if (!isTimestamp(d.NgayTra) || !isTimestamp(d.NgayHenTra)) {
        return bad('a resolved dossier needs NgayTra and NgayHenTra (yyyyMMddHHmmss)');
      }
      flags |= d.NgayTra <= d.NgayHenTra ? RESOLVED_ON_TIME : RESOLVED_LATE;
    } else if (d.TrangThaiHoSo !== 1 && d.TrangThaiHoSo !== 2 && d.TrangThaiHoSo !== 3) {
      return bad(`TrangThaiHoSo must be 1 to 4, got ${JSON.stringify(d.TrangThaiHoSo)}`);
    }
    if (d.PhiLePhi > 0) flags |= FEE;
    if (d.ThanhToanTrucTuyen === 1) flags |= PAID_ONLINE;
    if (d.DongBoDVCQG === 1) flags |= SYNCED;
    const ym = received.slice(0, 6);
    let month = this.months.get(ym);
    if (month === undefined) {
      month = `${ym.slice(0, 4)}-${ym.slice(4, 6)}-01`;
      this.months.set(ym, month);
    }
    return `${lead}${copyField(d.MaHoSo)}\t${unit}\t${procedure}\t${month}\t${d.NgayCapNhat}\t${flags}`;
  }
}

/**
 * Parses and checks one page: every dossier with a MaHoSo and an NgayCapNhat, strictly after the
 * previous one and after the position asked for, in (NgayCapNhat, MaHoSo) order. A page that is
 * not (served twice, cut short) is transient: it is fetched again.
 */
function parsePage(body: Buffer, at: Position | null, label: string): FeedPage {
  let page: FeedPage;
  try {
    // Feeds are ASCII but for the odd name: decoding as Latin-1 then is exact and much cheaper.
    page = JSON.parse(isAscii(body) ? body.toString('latin1') : body.toString('utf8')) as FeedPage;
  } catch (e) {
    throw new TransientError(`${label}: malformed JSON (${body.length} bytes): ${(e as Error).message}`);
  }
  if (!page || !Array.isArray(page.content)) throw new TransientError(`${label}: unexpected answer (no content list)`);
  let prevT = at?.t ?? '';
  let prevId = at?.id ?? null;
  let inclusive = at !== null && at.id === null;
  for (const d of page.content) {
    if (typeof d?.MaHoSo !== 'string' || d.MaHoSo === '' || d.MaHoSo.length > 64 || !isTimestamp(d.NgayCapNhat)) {
      throw new TransientError(`${label}: a dossier without a valid MaHoSo or NgayCapNhat`);
    }
    const after = d.NgayCapNhat > prevT || (d.NgayCapNhat === prevT && (inclusive || prevId === null || d.MaHoSo > prevId));
    if (!after) throw new TransientError(`${label}: dossier ${d.MaHoSo} (${d.NgayCapNhat}) is not after ${prevT}/${prevId ?? ''}: page served twice or out of order`);
    prevT = d.NgayCapNhat;
    prevId = d.MaHoSo;
    inclusive = false;
  }
  return page;
}
