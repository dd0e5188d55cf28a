import { isAscii } from 'node:buffer';
import { DossierFlag, DossierStage } from '../ingest/dossier-stage';
import { MAX_PROBLEMS } from '../ingest/ingest-problems';
import { IngestSession } from '../ingest/ingest-session';
import { Connector, ConnectorContext, ConnectorResult, intOption } from './connector';
import { TransientError } from './http.client';

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
    const fetchRaw = (at: Position | null, label: string) => {
      const raw = http.fetch(url(at), { label, ...auth }, (body) => body);
      raw.catch(() => undefined); // awaited (and rethrown) when its turn comes
      return raw;
    };
    const pageAt = (at: Position | null, label: string, prefetched: Promise<Buffer> | null) =>
      http.retry(label, async (attempt) => parsePage(attempt === 1 && prefetched ? await prefetched : await fetchRaw(at, label), at, label));

    let read = 0;
    let total: number | undefined;
    let label = `dossier page ${++pageNo}`;
    let prefetched: Promise<Buffer> | null = fetchRaw(pos, label);
    // Everything a page gives goes to the dossier stage here, so the page itself is unreachable once read (see fetchRaw).
    const take = (page: FeedPage): { count: number; last: Position | null } => {
      const count = page.content.length;
      total ??= page.totalElements;
      dossiers.expect(Math.max(count, total ?? 0));
      for (const d of page.content) addDossier(dossiers, session, d);
      return { count, last: count > 0 ? { t: page.content[count - 1].NgayCapNhat, id: page.content[count - 1].MaHoSo } : pos };
    };
    while (prefetched) {
      const { count, last }: { count: number; last: Position | null } = await pageAt(pos, label, prefetched).then(take);
      // Ask for the next page before writing this one: the upstream works while we do.
      label = `dossier page ${++pageNo}`;
      prefetched = count < size ? null : fetchRaw(last, label);
      await dossiers.flush();
      read += count;
      session.rowsRead = read;
      pos = last;
      ctx.progress({ phase: 'dossiers', done: read, total, unit: 'dossiers' });
      if (dossiers.problemCount >= MAX_PROBLEMS) break; // systematic: the run is rejected, no need to read on
    }

    const state = pos ? { modifiedFrom: pos.t, afterId: pos.id } : {};
    return { state, detail: { pages: pageNo, dossiers: read, cursor: state } };
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
  const flags = flagsOf(d, resolved, due);
  if (typeof flags === 'string') return session.problem(`dossier ${d.MaHoSo}`, flags);
  dossiers.add(d.MaHoSo, d.MaXa || d.MaHuyen || d.MaTinh, d.MaTTHC, received, due === 0 ? null : due, resolved === 0 ? null : resolved, digitsOf(d.NgayCapNhat), flags);
}

/**
 * A dossier's DossierFlag bits, or why its fields make no sense, given its resolved and due days
 * (0: none or not a timestamp). No closure per dossier: this runs millions of times (bench:sync).
 */
function flagsOf(d: FeedDossier, resolvedDay: number, dueDay: number): number | string {
  if (d.HinhThuc !== 1 && d.HinhThuc !== 2 && d.HinhThuc !== 3) return `HinhThuc must be 1, 2 or 3, got ${JSON.stringify(d.HinhThuc)}`;
  let flags: number = d.HinhThuc; // 1 in person, 2 online, 3 postal: DossierFlag's channel values
  if (d.TrangThaiHoSo === 4) {
    if (resolvedDay === 0) return `NgayTra must be yyyyMMddHHmmss on a resolved dossier (TrangThaiHoSo 4), got ${JSON.stringify(d.NgayTra)}`;
    if (dueDay === 0) return 'NgayHenTra is required on a resolved dossier (TrangThaiHoSo 4)';
    // Both are checked timestamps: fixed-width strings compare as instants.
    flags |= (d.NgayTra as string) <= (d.NgayHenTra as string) ? DossierFlag.RESOLVED_ON_TIME : DossierFlag.RESOLVED_LATE;
  } else if (d.TrangThaiHoSo !== 1 && d.TrangThaiHoSo !== 2 && d.TrangThaiHoSo !== 3) {
    return `TrangThaiHoSo must be 1 to 4, got ${JSON.stringify(d.TrangThaiHoSo)}`;
  }
  if (d.PhiLePhi > 0) flags |= DossierFlag.FEE;
  if (d.ThanhToanTrucTuyen === 1) flags |= DossierFlag.PAID_ONLINE;
  if (d.DongBoDVCQG === 1) flags |= DossierFlag.SYNCED;
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
 * string per call; 0 when it is not such a timestamp or its date is no calendar day (a month 13
 * or a 30 February would otherwise fail the whole COPY with no field named).
 */
function dayOf(s: unknown): number {
  if (!isTimestamp(s)) return 0;
  let day = 0;
  for (let i = 0; i < 8; i++) day = day * 10 + (s.charCodeAt(i) - 48);
  const y = Math.floor(day / 10000);
  const m = Math.floor(day / 100) % 100;
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
