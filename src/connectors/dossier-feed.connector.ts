import { isAscii } from 'node:buffer';
import { DossierFlag, DossierStage } from '../ingest/dossier-stage';
import { MAX_PROBLEMS } from '../ingest/ingest-problems';
import { IngestSession } from '../ingest/ingest-session';
import { Connector, ConnectorContext, ConnectorResult, intOption } from './connector';
import { FeedPageDecoder } from './feed-page.decoder';
import { BodyBuffer, TransientError } from './http.client';

// Bound once: under jest a global lookup (Math) in a hot loop goes through the vm context (see src/simulator/ascii.writer.ts).
const { floor } = Math;

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
  NgayHenTra: string | null;
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

/**
 * A provincial one-stop dossier feed (iGate style): a client-credentials token, then dossiers
 * paged by a keyset cursor from the position saved by the last good run, ordered by last
 * modification (a dossier that changes reappears later with a later NgayCapNhat).
 *
 * The connector reads pages and maps each dossier to the ingest core's dossier record
 * (src/ingest/dossier-stage.ts keeps them, resolves their codes and turns them into monthly
 * statistics). Speed (bench:sync): the next page is requested before the current one is
 * processed, and a page is parsed only when its turn comes.
 */
export class DossierFeedConnector implements Connector {
  async run(ctx: ConnectorContext): Promise<ConnectorResult> {
    const { source, session, http } = ctx;
    const size = Math.min(5000, Math.max(1, intOption(source.options, 'pageSize', 5000)));
    const dossiers = await session.dossiers();

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
    // Two body buffers, taken in turn: page k is read into bodies[k % 2] (its retries too) while
    // page k - 1 is decoded from the other; page k + 1 is asked for only once page k is taken.
    const bodies = [new BodyBuffer(), new BodyBuffer()];
    const fetchRaw = (at: Position | null, label: string, into: BodyBuffer) => {
      const raw = http.fetch(url(at), { label, ...auth }, (body) => body, into);
      raw.catch(() => undefined); // awaited (and rethrown) when its turn comes
      return raw;
    };
    // Pages of the common form are decoded straight into columns (FeedPageDecoder), others parsed as JSON.
    const decoded = new DecodedPage();
    const pageAt = (at: Position | null, label: string, prefetched: Promise<Buffer> | null, into: BodyBuffer) =>
      http.retry(label, async (attempt): Promise<FeedPage | DecodedPage> => {
        const body = attempt === 1 && prefetched ? await prefetched : await fetchRaw(at, label, into);
        return decoded.read(body, at) ? decoded : parsePage(body, at, label);
      });

    let read = 0;
    let decodedPages = 0;
    let total: number | undefined;
    let label = `dossier page ${++pageNo}`;
    let body = bodies[pageNo % 2];
    let prefetched: Promise<Buffer> | null = fetchRaw(pos, label, body);
    // Everything a page gives goes to the dossier stage here, so the page itself is unreachable once read (see fetchRaw).
    const take = (page: FeedPage | DecodedPage): { count: number; last: Position | null } => {
      if (page instanceof DecodedPage) {
        decodedPages += 1;
        total ??= page.totalElements as number | undefined;
        dossiers.expect(Math.max(page.count, total ?? 0));
        return { count: page.count, last: page.addTo(dossiers) ?? pos };
      }
      const count = page.content.length;
      total ??= page.totalElements;
      dossiers.expect(Math.max(count, total ?? 0));
      for (const d of page.content) addDossier(dossiers, session, d);
      return { count, last: count > 0 ? { t: page.content[count - 1].NgayCapNhat, id: page.content[count - 1].MaHoSo } : pos };
    };
    while (prefetched) {
      const { count, last }: { count: number; last: Position | null } = await pageAt(pos, label, prefetched, body).then(take);
      // Ask for the next page before writing this one: the upstream works while we do.
      if (count < size) prefetched = null;
      else {
        label = `dossier page ${++pageNo}`;
        body = bodies[pageNo % 2];
        prefetched = fetchRaw(last, label, body);
      }
      await dossiers.flush();
      read += count;
      session.rowsRead = read;
      pos = last;
      ctx.progress({ phase: 'dossiers', done: read, total, unit: 'dossiers' });
      if (dossiers.problemCount >= MAX_PROBLEMS) break; // systematic: the run is rejected, no need to read on
    }

    const state = pos ? { modifiedFrom: pos.t, afterId: pos.id } : {};
    return { state, detail: { pages: pageNo, decodedPages, dossiers: read, cursor: state } };
  }
}

/**
 * Maps one feed dossier to the core's dossier record: its unit (commune, else district, else
 * province), days, and flags; a dossier the format makes no sense of is a problem of the run,
 * naming the field. Days are Asia/Ho_Chi_Minh calendar days: the feed's timestamps are already
 * local (docs/simulator.md), so a day is a timestamp's first eight digits, no time zone arithmetic.
 */
function addDossier(dossiers: DossierStage, session: IngestSession, d: FeedDossier): void {
  const received = dayOf(d.NgayTiepNhan);
  if (received === 0) return session.problem(`dossier ${d.MaHoSo}`, `NgayTiepNhan must be yyyyMMddHHmmss, got ${JSON.stringify(d.NgayTiepNhan)}`);
  // NgayHenTra may be missing on an open dossier; when given it must be a timestamp.
  const due = d.NgayHenTra == null ? 0 : dayOf(d.NgayHenTra);
  if (due === 0 && d.NgayHenTra != null) return session.problem(`dossier ${d.MaHoSo}`, `NgayHenTra must be yyyyMMddHHmmss, got ${JSON.stringify(d.NgayHenTra)}`);
  const resolved = d.TrangThaiHoSo === 4 ? dayOf(d.NgayTra) : 0;
  // (Compared only once both are checked timestamps: fixed-width strings compare as instants.)
  const flags = flagsOf(d.HinhThuc, d.TrangThaiHoSo, resolved, due, (d.NgayTra as string) <= (d.NgayHenTra as string), d.PhiLePhi, d.ThanhToanTrucTuyen, d.DongBoDVCQG);
  if (flags === null) return session.problem(`dossier ${d.MaHoSo}`, `NgayTra must be yyyyMMddHHmmss on a resolved dossier (TrangThaiHoSo 4), got ${JSON.stringify(d.NgayTra)}`);
  if (typeof flags === 'string') return session.problem(`dossier ${d.MaHoSo}`, flags);
  dossiers.add(d.MaHoSo, d.MaXa || d.MaHuyen || d.MaTinh, d.MaTTHC, received, due === 0 ? null : due, resolved === 0 ? null : resolved, digitsOf(d.NgayCapNhat), flags);
}

/**
 * A page decoded by FeedPageDecoder, checked by the same rules as addDossier (dayOf's calendar,
 * flagsOf) before any of its dossiers is added: a page with a dossier those rules refuse is read
 * again as JSON, so addDossier reports the problem in its words.
 */
class DecodedPage {
  private readonly decoder = new FeedPageDecoder();
  private days = new Int32Array(0);
  private flags = new Int32Array(0);

  get count(): number {
    return this.decoder.count;
  }

  get totalElements(): unknown {
    return this.decoder.totalElements;
  }

  /** Decodes and checks `body`; false: parse it as JSON. */
  read(body: Buffer, at: Position | null): boolean {
    const dec = this.decoder;
    if (!dec.decode(body, at)) return false;
    if (this.flags.length < dec.count) {
      this.days = new Int32Array(dec.count * 3);
      this.flags = new Int32Array(dec.count);
    }
    const days = this.days;
    for (let i = 0; i < dec.count; i++) {
      const received = calendarDay(floor(dec.received[i] / 1e6));
      const due = dec.due[i] === 0 ? 0 : calendarDay(floor(dec.due[i] / 1e6));
      const resolved = dec.status[i] === 4 ? calendarDay(floor(dec.resolved[i] / 1e6)) : 0;
      const flags = received === 0 || (due === 0 && dec.due[i] !== 0) ? null : flagsOf(dec.hinhThuc[i], dec.status[i], resolved, due, dec.resolved[i] <= dec.due[i], dec.fee[i], dec.paid[i], dec.synced[i]);
      if (typeof flags !== 'number') {
        dec.release(); // read again as JSON
        return false;
      }
      days[i * 3] = received;
      days[i * 3 + 1] = due;
      days[i * 3 + 2] = resolved;
      this.flags[i] = flags;
    }
    return true;
  }

  /** Adds the page's dossiers (all checked by read); returns the position after the last one, null if none. */
  addTo(dossiers: DossierStage): Position | null {
    const dec = this.decoder;
    const days = this.days;
    for (let i = 0; i < dec.count; i++) {
      const due = days[i * 3 + 1];
      const resolved = days[i * 3 + 2];
      dossiers.addAscii(dec.page, dec.codeStart[i], dec.codeEnd[i], dec.units[i], dec.procedures[i], days[i * 3], due === 0 ? null : due, resolved === 0 ? null : resolved, dec.modified[i], this.flags[i]);
    }
    const last = dec.count > 0 ? { t: dec.lastModified, id: dec.code(dec.count - 1) } : null;
    dec.release();
    return last;
  }
}

/**
 * A dossier's DossierFlag bits, or why its fields make no sense (null: NgayTra is no timestamp on a
 * resolved dossier), given its resolved and due days
 * (0: none or not a timestamp) and whether it was resolved by its due instant (read only when both
 * are timestamps). Plain arguments, no closure per dossier: this runs millions of times
 * (bench:sync), for the JSON path and the decoded one alike.
 */
function flagsOf(hinhThuc: number, status: number, resolvedDay: number, dueDay: number, onTime: boolean, fee: number, paid: number, synced: number): number | string | null {
  if (hinhThuc !== 1 && hinhThuc !== 2 && hinhThuc !== 3) return `HinhThuc must be 1, 2 or 3, got ${JSON.stringify(hinhThuc)}`;
  let flags: number = hinhThuc; // 1 in person, 2 online, 3 postal: DossierFlag's channel values
  if (status === 4) {
    if (resolvedDay === 0) return null; // the caller names NgayTra's value
    if (dueDay === 0) return 'NgayHenTra is required on a resolved dossier (TrangThaiHoSo 4)';
    flags |= onTime ? DossierFlag.RESOLVED_ON_TIME : DossierFlag.RESOLVED_LATE;
  } else if (status !== 1 && status !== 2 && status !== 3) {
    return `TrangThaiHoSo must be 1 to 4, got ${JSON.stringify(status)}`;
  }
  if (fee > 0) flags |= DossierFlag.FEE;
  if (paid === 1) flags |= DossierFlag.PAID_ONLINE;
  if (synced === 1) flags |= DossierFlag.SYNCED;
  return flags;
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

/** The number a checked `yyyyMMddHHmmss` spells (14 digits: an exact double). */
function digitsOf(s: string): number {
  let v = 0;
  for (let i = 0; i < s.length; i++) v = v * 10 + (s.charCodeAt(i) - 48);
  return v;
}

/** Days in each month of a common year (February's leap day is added below). */
const MONTH_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The calendar day yyyymmdd of a `yyyyMMddHHmmss` timestamp, read from its digits without a
 * string per call; 0 when it is not such a timestamp or its date is no calendar day.
 */
function dayOf(s: unknown): number {
  if (!isTimestamp(s)) return 0;
  let day = 0;
  for (let i = 0; i < 8; i++) day = day * 10 + (s.charCodeAt(i) - 48);
  return calendarDay(day);
}

/** `day` (yyyymmdd) if it is a calendar day, else 0 (a month 13 or a 30 February would otherwise fail the whole COPY with no field named). */
function calendarDay(day: number): number {
  const y = floor(day / 10000);
  const m = floor(day / 100) % 100;
  const dd = day % 100;
  if (y < 1 || m < 1 || m > 12 || dd < 1) return 0;
  const leap = m === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 1 : 0;
  return dd <= MONTH_DAYS[m] + leap ? day : 0;
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
